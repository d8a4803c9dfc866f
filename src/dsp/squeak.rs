//! Squeak: stick–slip friction (a dry bearing seal, a belt on a pulley, metal on metal) radiates
//! a narrow whistle with a few harmonics, in bursts whose pitch glides as the contact loads up.

use super::osc::{advance, sin_cycles};
use super::{samples, Rng, Source};

#[derive(Clone, Copy, Debug)]
pub struct SqueakParams {
    /// Fundamental of the whistle, Hz.
    pub frequency_hz: f32,
    /// Bursts per second.
    pub burst_rate_hz: f32,
    /// Length of one burst, ms (capped at 90 % of the burst period).
    pub burst_ms: f32,
    /// Upward pitch glide at the middle of a burst, cents.
    pub glide_cents: f32,
}

/// Harmonic amplitudes of the whistle; divided by their RMS so a burst has unit RMS.
const HARMONICS: [f32; 3] = [1.0, 0.35, 0.12];

pub struct Squeak {
    p: SqueakParams,
    seed: u64,
    rng: Rng,
    sr: f32,
    norm: f32,
    phase: f32,
    burst_len: usize,
    pos: usize,
    until_next: usize,
}

impl Squeak {
    pub fn new(p: SqueakParams, seed: u64) -> Self {
        let norm = 1.0 / (HARMONICS.iter().map(|a| a * a).sum::<f32>() / 2.0).sqrt();
        Self { p, seed, rng: Rng::new(seed), sr: 48_000.0, norm, phase: 0.0, burst_len: 1, pos: usize::MAX, until_next: 0 }
    }

    fn period(&self) -> f32 {
        1.0 / self.p.burst_rate_hz.max(1e-3)
    }
}

impl Source for Squeak {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        let len_s = (self.p.burst_ms / 1000.0).min(0.9 * self.period());
        self.burst_len = samples(len_s, sample_rate);
        self.reset();
    }

    fn reset(&mut self) {
        self.rng = Rng::new(self.seed);
        self.phase = 0.0;
        self.pos = usize::MAX;
        // First burst after a random fraction of a period, so clips do not all start squeaking.
        self.until_next = samples(self.rng.uniform() * self.period(), self.sr);
    }

    fn fill(&mut self, out: &mut [f32]) {
        let nyquist_guard = 0.45 * self.sr;
        // Frequency rises linearly with the bell to f·2^(cents/1200) mid-burst (no exp per sample).
        let glide = 2f32.powf(self.p.glide_cents / 1200.0) - 1.0;
        for o in out.iter_mut() {
            if self.until_next == 0 {
                self.pos = 0;
                let jitter = 1.0 + 0.25 * self.rng.bipolar();
                self.until_next = samples(self.period() * jitter, self.sr).max(self.burst_len + 1);
            }
            self.until_next -= 1;
            if self.pos >= self.burst_len {
                *o = 0.0;
                continue;
            }
            let t = self.pos as f32 / self.burst_len as f32;
            self.pos += 1;
            let bell = sin_cycles(0.5 * t); // sin(πt): 0 at both ends, 1 mid-burst
            let freq = self.p.frequency_hz * (1.0 + glide * bell);
            advance(&mut self.phase, freq / self.sr);
            let mut tone = 0.0;
            for (k, a) in HARMONICS.iter().enumerate() {
                if freq * (k + 1) as f32 <= nyquist_guard {
                    tone += a * sin_cycles(self.phase * (k + 1) as f32);
                }
            }
            *o = bell * bell * tone * self.norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{diff, noise, peak_hz};
    use crate::dsp::{Additive, FaultChain};

    fn params(freq: f32) -> SqueakParams {
        SqueakParams { frequency_hz: freq, burst_rate_hz: 4.0, burst_ms: 200.0, glide_cents: 0.0 }
    }

    #[test]
    fn puts_a_spectral_peak_at_its_frequency() {
        let sr = 16_000.0;
        for freq in [700.0, 2500.0, 5200.0] {
            let input = noise(1, 0.1, sr as usize * 4);
            let mut out = input.clone();
            let mut chain = FaultChain::single(Box::new(Additive::new(Squeak::new(params(freq), 9), 0.0, 1.0)), 1.0);
            chain.prepare(sr, 512, 1);
            chain.process_mono(&mut out);
            let peak = peak_hz(&out, sr, 200.0, 7800.0);
            assert!((peak - freq).abs() < 3.0, "{freq}: peak at {peak}");
            let added = peak_hz(&diff(&out, &input), sr, 200.0, 7800.0);
            assert!((added - freq).abs() < 3.0, "{freq}: added peak at {added}");
        }
    }

    #[test]
    fn glide_raises_the_peak_within_its_range() {
        let sr = 16_000.0;
        let mut p = params(2000.0);
        p.glide_cents = 300.0;
        let mut s = Squeak::new(p, 3);
        s.prepare(sr);
        let mut out = vec![0.0; sr as usize * 4];
        s.fill(&mut out);
        let peak = peak_hz(&out, sr, 1000.0, 4000.0);
        assert!(peak > 2000.0 && peak < 2000.0 * 2f32.powf(0.25) + 5.0, "{peak}");
    }
}
