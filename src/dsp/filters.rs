//! Filters shared by the transforms: RBJ-cookbook biquads and an impact resonator.
//!
//! Coefficients and state are f64: low resonances at 192 kHz put poles within 1e-4 of the
//! unit circle, where f32 state audibly drifts; on x86 the f64 arithmetic costs the same.

use std::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl BiquadCoefs {
    pub const IDENTITY: Self = Self { b0: 1.0, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 };

    fn normalise(b: [f64; 3], a: [f64; 3]) -> Self {
        Self { b0: b[0] / a[0], b1: b[1] / a[0], b2: b[2] / a[0], a1: a[1] / a[0], a2: a[2] / a[0] }
    }

    fn omega(freq: f64, sample_rate: f64) -> (f64, f64) {
        let w0 = 2.0 * PI * clamp_freq(freq, sample_rate) / sample_rate;
        (w0.cos(), w0.sin())
    }

    /// Second-order low-pass with the given Q (0.7071 for Butterworth).
    pub fn lowpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        let b1 = 1.0 - cos;
        Self::normalise([b1 / 2.0, b1, b1 / 2.0], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
    }

    /// Second-order high-pass with the given Q.
    pub fn highpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        let b1 = 1.0 + cos;
        Self::normalise([b1 / 2.0, -b1, b1 / 2.0], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
    }

    /// Band-pass with 0 dB gain at the centre.
    pub fn bandpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        Self::normalise([alpha, 0.0, -alpha], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
    }

    /// Peaking equaliser: `gain_db` at `freq`, 0 dB far away.
    pub fn peaking(freq: f64, q: f64, gain_db: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let a = 10f64.powf(gain_db / 40.0);
        let alpha = sin / (2.0 * q);
        Self::normalise(
            [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
        )
    }

    /// Magnitude response at `freq` (the analytic reference the tests measure against).
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let w = 2.0 * PI * freq / sample_rate;
        let z1 = (w.cos(), -w.sin());
        let z2 = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (self.b0 + self.b1 * z1.0 + self.b2 * z2.0, self.b1 * z1.1 + self.b2 * z2.1);
        let den = (1.0 + self.a1 * z1.0 + self.a2 * z2.0, self.a1 * z1.1 + self.a2 * z2.1);
        (num.0.hypot(num.1)) / (den.0.hypot(den.1))
    }
}

/// Keeps a design frequency inside (0, 0.45·fs) so every catalog value works at 8 kHz too.
pub fn clamp_freq(freq: f64, sample_rate: f64) -> f64 {
    freq.clamp(1.0, 0.45 * sample_rate)
}

/// Transposed direct form II biquad.
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    pub coefs: BiquadCoefs,
    s1: f64,
    s2: f64,
}

impl Default for Biquad {
    fn default() -> Self {
        Self::new(BiquadCoefs::IDENTITY)
    }
}

impl Biquad {
    pub fn new(coefs: BiquadCoefs) -> Self {
        Self { coefs, s1: 0.0, s2: 0.0 }
    }

    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        let c = &self.coefs;
        let x = x as f64;
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y as f32
    }
}

/// Two-pole resonator whose impulse response is exactly `r^n · sin((n+1)·ω)`: an impulse of
/// height `a` rings as a damped sine of peak about `a`, decaying to 1/e in `decay_s`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resonator {
    c1: f64,
    c2: f64,
    gain: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    pub fn new(freq: f64, decay_s: f64, sample_rate: f64) -> Self {
        let w = 2.0 * PI * clamp_freq(freq, sample_rate) / sample_rate;
        let r = (-1.0 / (decay_s.max(1e-5) * sample_rate)).exp();
        Self { c1: 2.0 * r * w.cos(), c2: -r * r, gain: w.sin(), y1: 0.0, y2: 0.0 }
    }

    /// Retunes without clearing the ringing (rattling parts differ from hit to hit).
    pub fn retune(&mut self, freq: f64, decay_s: f64, sample_rate: f64) {
        let fresh = Self::new(freq, decay_s, sample_rate);
        self.c1 = fresh.c1;
        self.c2 = fresh.c2;
        self.gain = fresh.gain;
    }

    pub fn reset(&mut self) {
        self.y1 = 0.0;
        self.y2 = 0.0;
    }

    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        let y = self.gain * x as f64 + self.c1 * self.y1 + self.c2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{sine, rms};

    fn measured_gain(coefs: BiquadCoefs, freq: f32, sr: f32) -> f64 {
        let mut bq = Biquad::new(coefs);
        let x = sine(freq, 1.0, sr, (sr * 2.0) as usize);
        let y: Vec<f32> = x.iter().map(|&s| bq.tick(s)).collect();
        let half = y.len() / 2;
        (rms(&y[half..]) / rms(&x[half..])) as f64
    }

    #[test]
    fn lowpass_matches_its_analytic_response() {
        let sr = 48_000.0;
        let c = BiquadCoefs::lowpass(1000.0, std::f64::consts::FRAC_1_SQRT_2, sr as f64);
        for f in [200.0, 1000.0, 2000.0, 8000.0] {
            let want = c.magnitude(f as f64, sr as f64);
            let got = measured_gain(c, f, sr);
            assert!((20.0 * (got / want).log10()).abs() < 0.05, "{f} Hz: {got} vs {want}");
        }
        // Butterworth: -3.01 dB at the cutoff.
        assert!((20.0 * c.magnitude(1000.0, sr as f64).log10() + 3.01).abs() < 0.01);
    }

    #[test]
    fn peaking_hits_its_gain_at_the_centre() {
        let sr = 44_100.0;
        let c = BiquadCoefs::peaking(900.0, 4.0, 12.0, sr as f64);
        let db = 20.0 * measured_gain(c, 900.0, sr).log10();
        assert!((db - 12.0).abs() < 0.05, "{db}");
        let far = 20.0 * measured_gain(c, 12_000.0, sr).log10();
        assert!(far.abs() < 0.2, "{far}");
    }

    #[test]
    fn resonator_rings_at_its_frequency_and_decays() {
        let sr = 16_000.0;
        let mut r = Resonator::new(1000.0, 0.01, sr);
        let ir: Vec<f32> = (0..1600).map(|n| r.tick(if n == 0 { 1.0 } else { 0.0 })).collect();
        let w = 2.0 * std::f64::consts::PI * 1000.0 / sr;
        let rr = (-1.0f64 / (0.01 * sr)).exp();
        for (n, &y) in ir.iter().enumerate().take(400) {
            let ref_val = rr.powi(n as i32) * ((n + 1) as f64 * w).sin();
            assert!((y as f64 - ref_val).abs() < 1e-4, "n={n}: {y} vs {ref_val}");
        }
    }
}
