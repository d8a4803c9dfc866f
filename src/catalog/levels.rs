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

/// What a fit holds equal on every clip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// The severity scale's fault level, dB (`level_of_change` of `Frames::change_db`).
    Level,
    /// The RMS change of the log-mel cells, dB (`Frames::rms_cell_change_db`).
    CellChange,
}

impl Measure {
    /// The measure of `y` against `base`, in its own units.
    pub fn of(self, base: &Frames, y: &Frames) -> f64 {
        match self {
            Self::Level => level_of_change(base.change_db(y)),
            Self::CellChange => base.rms_cell_change_db(y),
        }
    }

    /// The measure on a dB scale the fit steps on (a level is one already; a cell change in dB
    /// grows with the square of a small added sound's gain, so it is fitted as 20·log10 of it).
    fn to_fit(self, v: f64) -> f64 {
        match self {
            Self::Level => v,
            Self::CellChange => 20.0 * v.log10(),
        }
    }

    /// The inverse of [`to_fit`](Self::to_fit): back to the measure's own units.
    fn fit_to_units(self, v: f64) -> f64 {
        match self {
            Self::Level => v,
            Self::CellChange => 10f64.powf(v / 20.0),
        }
    }

    /// Where a fit starts: the nominal intensity of a level; a quarter for a cell change.
    fn start(self, target: f64) -> f32 {
        match self {
            Self::Level => (intensity_for(target) as f32).clamp(1e-4, 1.0),
            Self::CellChange => 0.25,
        }
    }
}

/// The intensity that puts one function's fault level on clip `x` at `target_db` (measured as
/// `features::level` measures it, against `x` as given: for a recorded clip, the machine with
/// its ambient), and the level reached. The catalog's intensities are calibrated to the scale
/// on the machines' median; on one clip the same intensity can stand several dB off, more where
/// the function works in a band the clip leaves nearly empty. Secant steps on the scale from the
/// nominal intensity (`level::fit_gain`); intensity stays in (0, 1], so a level out of reach
/// returns intensity 1. Also returns the render at that intensity (the fit's last trial), so a
/// caller does not render it again.
pub fn fit_intensity(
    spec: &'static FaultSpec,
    target_db: f64,
    x: &[f32],
    sample_rate: u32,
    seed: u64,
) -> (f32, f64, Vec<f32>) {
    fit_intensity_by(Measure::Level, spec, target_db, x, sample_rate, seed)
}

/// [`fit_intensity`] holding `measure` at `target` (in the measure's own units) instead.
pub fn fit_intensity_by(
    measure: Measure,
    spec: &'static FaultSpec,
    target: f64,
    x: &[f32],
    sample_rate: u32,
    seed: u64,
) -> (f32, f64, Vec<f32>) {
    let base = Frames::of(x, sample_rate);
    // `fit_gain` returns the last intensity it tried: its render is the one kept here.
    let last = std::cell::RefCell::new(Vec::new());
    let level = |i: f32| {
        let y = apply(spec, i, x, sample_rate, seed);
        let l = measure.to_fit(measure.of(&base, &Frames::of(&y, sample_rate)));
        *last.borrow_mut() = y;
        l
    };
    let target_fit = measure.to_fit(target);
    let mut i = measure.start(target);
    let mut l = level(i);
    // Nothing measurable yet: a decade up at a time.
    while !l.is_finite() && i < 1.0 {
        i = (i * 10.0).min(1.0);
        l = level(i);
    }
    let (i, l) = fit_gain(level, target_fit, (i, l), (1e-4, 1.0), 6);
    (i, measure.fit_to_units(l), last.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CATALOG;

    /// A fitted intensity puts the function's level on the clip where asked, as an independent
    /// measurement of the render says; on two machines the same level takes different
    /// intensities, and a higher level a higher intensity.
    #[test]
    fn a_fitted_intensity_reaches_its_level_on_the_clip() {
        let sr = crate::synth::DEFAULT_SAMPLE_RATE;
        let fan = crate::synth::normal_clip(MachineType::Fan, 3.0, sr, 2);
        let pump = crate::synth::normal_clip(MachineType::Pump, 3.0, sr, 2);
        for name in ["hum", "band_noise", "squeak", "dropout", "pitch_shift"] {
            let spec = CATALOG.iter().find(|s| s.name == name).unwrap();
            let mut on = Vec::new();
            for (clip, target) in [(&fan, -6.0), (&fan, 3.0), (&pump, 3.0)] {
                let (i, reached, _) = fit_intensity(spec, target, clip, sr, 9);
                let measured = level_of_change(change_db(clip, &apply(spec, i, clip, sr, 9), sr));
                assert!(
                    (measured - reached).abs() < 1e-9,
                    "{name}: {measured} vs {reached}"
                );
                assert!(
                    (reached - target).abs() < 0.5 || i == 1.0,
                    "{name} at {target} dB: reached {reached:.2} dB with intensity {i}"
                );
                on.push(i);
            }
            assert!(on[1] > on[0], "{name}: {on:?}");
            // An added sound stands against the machine's own band: the intensity for one level
            // differs between machines (a dropout's level is the machine's own, whatever it is).
            if ["hum", "band_noise", "squeak"].contains(&name) {
                assert!(
                    (on[1] / on[2] - 1.0).abs() > 0.1,
                    "{name}: fan and pump alike: {on:?}"
                );
            }
        }
    }

    /// Held at one cell change, a modulation of every band and a squeak in a few take their own
    /// intensities and reach it, as an independent measurement of the render says.
    #[test]
    fn a_fit_by_cell_change_reaches_it() {
        let sr = crate::synth::DEFAULT_SAMPLE_RATE;
        let fan = crate::synth::normal_clip(MachineType::Fan, 3.0, sr, 2);
        let base = Frames::of(&fan, sr);
        let mut at = Vec::new();
        for name in ["amplitude_modulation", "squeak", "band_noise"] {
            let spec = CATALOG.iter().find(|s| s.name == name).unwrap();
            let (i, reached, y) = fit_intensity_by(Measure::CellChange, spec, 1.0, &fan, sr, 9);
            let measured = base.rms_cell_change_db(&Frames::of(&y, sr));
            assert!(
                (measured - reached).abs() < 1e-9,
                "{name}: {measured} vs {reached}"
            );
            assert!(
                (reached - 1.0).abs() < 0.07,
                "{name}: reached {reached:.3} dB at intensity {i}"
            );
            at.push(i);
        }
        assert!(at.iter().any(|i| (i / at[0] - 1.0).abs() > 0.2), "{at:?}");
    }
}
