//! Hum: a rotor out of balance shakes the machine at its running speed (1×); misalignment and
//! looseness add 2×, 3×… The fault adds a harmonic series on the rotation frequency with a
//! chosen roll-off.

use super::osc::sin_cycles;
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
const RESYNC: i64 = 1024;

pub struct Hum {
    p: HumParams,
    seed: u64,
    sr: f32,
    /// Timeline position of the next sample.
    sample: i64,
    s1: f32,
    c1: f32,
    amps: [f32; MAX_HARMONICS],
    /// amp·cos φk and amp·sin φk: each harmonic's amplitude and random phase.
    amps_sin: [f32; MAX_HARMONICS],
    amps_cos: [f32; MAX_HARMONICS],
}

impl Hum {
    pub fn new(p: HumParams, seed: u64) -> Self {
        Self {
            p,
            seed,
            sr: 48_000.0,
            sample: 0,
            s1: 0.0,
            c1: 1.0,
            amps: [0.0; MAX_HARMONICS],
            amps_sin: [0.0; MAX_HARMONICS],
            amps_cos: [0.0; MAX_HARMONICS],
        }
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
            self.amps[k] = if audible {
                Self::harmonic_gain(self.p.rolloff_db, k + 1)
            } else {
                0.0
            };
            power += self.amps[k] * self.amps[k] / 2.0;
        }
        let norm = 1.0 / power.sqrt().max(1e-9);
        for k in 0..MAX_HARMONICS {
            let offset = rng.uniform();
            self.amps[k] *= norm;
            self.amps_sin[k] = self.amps[k] * sin_cycles(offset + 0.25);
            self.amps_cos[k] = self.amps[k] * sin_cycles(offset);
        }
        self.seek(0);
    }

    /// The oscillator is resynchronised from the position every `RESYNC` samples and rotated in
    /// between; a seek replays the rotations from the last resync so it lands on the same bits.
    fn seek(&mut self, position: i64) {
        let inc = f64::from(self.p.fundamental_hz) / f64::from(self.sr);
        let (rot_s, rot_c) = (
            (std::f64::consts::TAU * inc).sin() as f32,
            (std::f64::consts::TAU * inc).cos() as f32,
        );
        self.sample = position - position.rem_euclid(RESYNC);
        let phase = ((self.sample as f64 * inc).rem_euclid(1.0)) as f32;
        (self.s1, self.c1) = (sin_cycles(phase), sin_cycles(phase + 0.25));
        while self.sample < position {
            (self.s1, self.c1) = (
                self.s1 * rot_c + self.c1 * rot_s,
                self.c1 * rot_c - self.s1 * rot_s,
            );
            self.sample += 1;
        }
    }

    fn fill(&mut self, out: &mut [f32]) {
        let inc = f64::from(self.p.fundamental_hz) / f64::from(self.sr);
        let n = self
            .amps
            .iter()
            .rposition(|a| *a > 0.0)
            .map_or(0, |i| i + 1);
        let (rot_s, rot_c) = (
            (std::f64::consts::TAU * inc).sin() as f32,
            (std::f64::consts::TAU * inc).cos() as f32,
        );
        for o in out.iter_mut() {
            // The fundamental's phasor turns by a fixed rotation each sample and is re-synced
            // from the exact phase every RESYNC samples (by sample count, so block sizes do
            // not matter). sin(kθ + φk) = sin kθ·cos φk + cos kθ·sin φk, with sin kθ, cos kθ
            // from the Chebyshev recursion: no sine evaluation per harmonic.
            if self.sample.rem_euclid(RESYNC) == 0 {
                let phase = ((self.sample as f64 * inc).rem_euclid(1.0)) as f32;
                (self.s1, self.c1) = (sin_cycles(phase), sin_cycles(phase + 0.25));
            }
            let (s1, c1) = (self.s1, self.c1);
            let (mut s_prev, mut c_prev, mut s_k, mut c_k) = (0.0f32, 1.0f32, s1, c1);
            let mut acc = 0.0;
            for k in 0..n {
                acc += self.amps_sin[k] * s_k + self.amps_cos[k] * c_k;
                let (s_next, c_next) = (2.0 * c1 * s_k - s_prev, 2.0 * c1 * c_k - c_prev);
                (s_prev, c_prev, s_k, c_k) = (s_k, c_k, s_next, c_next);
            }
            *o = acc;
            (self.s1, self.c1) = (s1 * rot_c + c1 * rot_s, c1 * rot_c - s1 * rot_s);
            self.sample += 1;
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
        let p = HumParams {
            fundamental_hz: 100.0,
            harmonics: 5,
            rolloff_db: 6.0,
        };
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
            assert!(
                (rel_db - want).abs() < 0.1,
                "harmonic {k}: {rel_db} dB, want {want}"
            );
        }
        // Nothing at the 6th harmonic or between harmonics.
        assert!(s[600] < base * 1e-3 && s[150] < base * 1e-3);
    }
}
