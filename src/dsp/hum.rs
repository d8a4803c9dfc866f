//! Hum: a rotor out of balance shakes the machine at its running speed (1×); misalignment and
//! looseness add 2×, 3×… The fault adds a harmonic series on the rotation frequency with a
//! chosen roll-off.

use super::osc::{advance, sin_cycles};
use super::{Rng, Source};

#[derive(Clone, Copy, Debug)]
pub struct HumParams {
    /// Fundamental (running speed or mains), Hz.
    pub fundamental_hz: f32,
    /// Number of harmonics, 1..=16.
    pub harmonics: usize,
    /// Level drop per harmonic, dB.
    pub rolloff_db: f32,
}

pub const MAX_HARMONICS: usize = 16;

pub struct Hum {
    p: HumParams,
    seed: u64,
    sr: f32,
    phase: f32,
    amps: [f32; MAX_HARMONICS],
    offsets: [f32; MAX_HARMONICS],
}

impl Hum {
    pub fn new(p: HumParams, seed: u64) -> Self {
        Self { p, seed, sr: 48_000.0, phase: 0.0, amps: [0.0; MAX_HARMONICS], offsets: [0.0; MAX_HARMONICS] }
    }

    /// Relative amplitude of harmonic k (1-based) before normalisation.
    pub fn harmonic_gain(rolloff_db: f32, k: usize) -> f32 {
        10f32.powf(-rolloff_db * (k as f32 - 1.0) / 20.0)
    }
}

impl Source for Hum {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        let n = self.p.harmonics.clamp(1, MAX_HARMONICS);
        let mut rng = Rng::new(self.seed);
        let mut power = 0.0;
        for k in 0..MAX_HARMONICS {
            let audible = k < n && self.p.fundamental_hz * (k + 1) as f32 <= 0.45 * sample_rate;
            self.amps[k] = if audible { Self::harmonic_gain(self.p.rolloff_db, k + 1) } else { 0.0 };
            self.offsets[k] = rng.uniform();
            power += self.amps[k] * self.amps[k] / 2.0;
        }
        let norm = 1.0 / power.sqrt().max(1e-9);
        self.amps.iter_mut().for_each(|a| *a *= norm);
        self.reset();
    }

    fn reset(&mut self) {
        self.phase = 0.0;
    }

    fn fill(&mut self, out: &mut [f32]) {
        let inc = self.p.fundamental_hz / self.sr;
        let n = self.amps.iter().rposition(|a| *a > 0.0).map_or(0, |i| i + 1);
        for o in out.iter_mut() {
            let mut acc = 0.0;
            for k in 0..n {
                acc += self.amps[k] * sin_cycles(self.phase * (k + 1) as f32 + self.offsets[k]);
            }
            *o = acc;
            advance(&mut self.phase, inc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{rms, spectrum};

    #[test]
    fn adds_the_harmonic_series_with_its_rolloff_at_unit_rms() {
        let sr = 16_000.0;
        let p = HumParams { fundamental_hz: 100.0, harmonics: 5, rolloff_db: 6.0 };
        let mut h = Hum::new(p, 1);
        h.prepare(sr);
        let mut out = vec![0.0; sr as usize]; // 1 s: bins are 1 Hz apart, harmonics on bins
        h.fill(&mut out);
        assert!((rms(&out) - 1.0).abs() < 0.01);
        let s = spectrum(&out);
        let base = s[100];
        for k in 1..=5 {
            let rel_db = 20.0 * (s[100 * k] / base).log10();
            let want = -6.0 * (k as f32 - 1.0);
            assert!((rel_db - want).abs() < 0.1, "harmonic {k}: {rel_db} dB, want {want}");
        }
        // Nothing at the 6th harmonic or between harmonics.
        assert!(s[600] < base * 1e-3 && s[150] < base * 1e-3);
    }
}
