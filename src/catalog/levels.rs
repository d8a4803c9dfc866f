//! Catalog functions measured on the severity scale (`features::level`): each function alone at
//! its defaults on the built-in machines' normal sound.

use super::{build_chain, FaultSpec, ResolvedStep};
pub use crate::features::level::*;
use crate::machine::MachineType;

/// One function at its defaults and `intensity`, run over a normal clip of `machine`.
pub fn apply(
    spec: &'static FaultSpec,
    intensity: f32,
    x: &[f32],
    sample_rate: u32,
    seed: u64,
) -> Vec<f32> {
    let mut step = ResolvedStep::defaults(spec);
    step.set_intensity(intensity);
    let mut chain = build_chain(&[step], seed);
    chain.prepare(sample_rate as f32, 1024, 1);
    let mut y = [x.to_vec()];
    chain.process_clip(&mut y);
    let [y] = y;
    y
}

/// Fault level and largest band change (dB) of one function on each machine's normal sound
/// (middle attributes, `seconds` long, seed `seed`).
pub fn on_machines(
    spec: &'static FaultSpec,
    intensity: f32,
    seconds: f32,
    seed: u64,
) -> Vec<(MachineType, f64, f64)> {
    let sr = crate::synth::DEFAULT_SAMPLE_RATE;
    MachineType::ALL
        .iter()
        .map(|&m| {
            let x = crate::synth::normal_clip(m, seconds, sr, seed);
            let y = apply(spec, intensity, &x, sr, seed);
            let (fx, fy) = (Frames::of(&x, sr), Frames::of(&y, sr));
            (
                m,
                level_of_change(fx.change_db(&fy)),
                fx.max_band_change_db(&fy),
            )
        })
        .collect()
}

/// Median of a few values (NaN-free).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}
