//! Measurement helpers for the DSP tests: generators and spectral probes.
#![cfg(test)]

use realfft::RealFftPlanner;

pub fn sine(freq: f32, amp: f32, sr: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| amp * (std::f64::consts::TAU * freq as f64 * n as f64 / sr as f64).sin() as f32)
        .collect()
}

pub fn noise(seed: u64, amp: f32, len: usize) -> Vec<f32> {
    let mut r = crate::dsp::Rng::new(seed);
    (0..len).map(|_| amp * r.bipolar()).collect()
}

pub fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len().max(1) as f64).sqrt() as f32
}

pub fn diff(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// Hann-windowed magnitude spectrum (bin k at k·sr/n).
pub fn spectrum(x: &[f32]) -> Vec<f32> {
    let n = x.len();
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let mut input: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| v * (0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos()))
        .collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).unwrap();
    out.iter().map(|c| c.norm()).collect()
}

/// Frequency of the strongest spectral peak in [lo, hi] Hz, refined by parabolic interpolation.
pub fn peak_hz(x: &[f32], sr: f32, lo: f32, hi: f32) -> f32 {
    let s = spectrum(x);
    let bin = sr / x.len() as f32;
    let (a, b) = ((lo / bin) as usize, ((hi / bin) as usize).min(s.len() - 2));
    let k = (a.max(1)..=b)
        .max_by(|&i, &j| s[i].total_cmp(&s[j]))
        .unwrap();
    let (l, c, r) = (s[k - 1].ln(), s[k].ln(), s[k + 1].ln());
    let delta = 0.5 * (l - r) / (l - 2.0 * c + r);
    (k as f32 + delta) * bin
}

/// Energy of `x` in [lo, hi] Hz as a fraction of its total energy.
pub fn band_fraction(x: &[f32], sr: f32, lo: f32, hi: f32) -> f32 {
    let s = spectrum(x);
    let bin = sr / x.len() as f32;
    let total: f64 = s.iter().map(|v| (*v as f64).powi(2)).sum();
    let band: f64 = s
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as f32 * bin) >= lo && (*k as f32 * bin) <= hi)
        .map(|(_, v)| (*v as f64).powi(2))
        .sum();
    (band / total) as f32
}
