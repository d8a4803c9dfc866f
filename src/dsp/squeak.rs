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
    sr: f32,
    norm: f32,
    /// Burst period and length in samples, jitter of a burst's start as a fraction of a period,
    /// and the grid's offset (first burst after a random fraction of a period, so clips do not
    /// all start squeaking at once).
    period: f64,
    burst_len: usize,
    jitter: f64,
    offset: f64,
    /// Timeline position of the next sample, the index of the next burst and its start.
    t: i64,
    next: i64,
    next_start: i64,
    phase: f32,
    pos: usize,
}

impl Squeak {
    pub fn new(p: SqueakParams, seed: u64) -> Self {
        let norm = 1.0 / (HARMONICS.iter().map(|a| a * a).sum::<f32>() / 2.0).sqrt();
        let offset = f64::from(Rng::new(seed).uniform());
        Self {
            p,
            seed,
            sr: 48_000.0,
            norm,
            period: 1.0,
            burst_len: 1,
            jitter: 0.0,
            offset,
            t: 0,
            next: 0,
            next_start: 0,
            phase: 0.0,
            pos: usize::MAX,
        }
    }

    fn period_s(&self) -> f32 {
        1.0 / self.p.burst_rate_hz.max(1e-3)
    }

    /// Start of burst `k`: on the grid, moved by up to ±25 % of a period (less when bursts are
    /// long, so two never overlap). A function of the seed and `k` only.
    fn start(&self, k: i64) -> i64 {
        let j = Rng::new(super::derive_seed(self.seed, k as u64)).bipolar();
        ((k as f64 + self.offset + self.jitter * f64::from(j)) * self.period).floor() as i64
    }

    /// One sample of the burst in progress (0 between bursts).
    #[inline]
    fn tick(&mut self, glide: f32) -> f32 {
        if self.pos >= self.burst_len {
            return 0.0;
        }
        let t = self.pos as f32 / self.burst_len as f32;
        self.pos += 1;
        let bell = sin_cycles(0.5 * t); // sin(πt): 0 at both ends, 1 mid-burst
        let freq = self.p.frequency_hz * (1.0 + glide * bell);
        advance(&mut self.phase, freq / self.sr);
        let nyquist_guard = 0.45 * self.sr;
        let mut tone = 0.0;
        for (k, a) in HARMONICS.iter().enumerate() {
            if freq * (k + 1) as f32 <= nyquist_guard {
                tone += a * sin_cycles(self.phase * (k + 1) as f32);
            }
        }
        bell * bell * tone * self.norm
    }

    fn glide(&self) -> f32 {
        // Frequency rises linearly with the bell to f·2^(cents/1200) mid-burst (no exp per sample).
        2f32.powf(self.p.glide_cents / 1200.0) - 1.0
    }
}

impl Source for Squeak {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        let len_s = (self.p.burst_ms / 1000.0).min(0.9 * self.period_s());
        self.burst_len = samples(len_s, sample_rate);
        self.period = f64::from(self.period_s()) * f64::from(sample_rate);
        self.jitter = (0.5 * (1.0 - self.burst_len as f64 / self.period)).clamp(0.0, 0.25);
        self.seek(0);
    }

    /// Finds the last burst that started at or before `position` and replays it up to there.
    fn seek(&mut self, position: i64) {
        let mut k = (position as f64 / self.period - self.offset).floor() as i64 + 1;
        while self.start(k) > position {
            k -= 1;
        }
        let begun = self.start(k);
        self.t = begun;
        self.next = k;
        self.next_start = begun;
        self.pos = usize::MAX;
        // Replay the burst's phase only (no harmonics): the same bits as playing it.
        let glide = self.glide();
        while self.t < position {
            self.step_clock();
            if self.pos < self.burst_len {
                let t = self.pos as f32 / self.burst_len as f32;
                self.pos += 1;
                let freq = self.p.frequency_hz * (1.0 + glide * sin_cycles(0.5 * t));
                advance(&mut self.phase, freq / self.sr);
            }
        }
    }

    fn fill(&mut self, out: &mut [f32]) {
        let glide = self.glide();
        for o in out.iter_mut() {
            self.step_clock();
            *o = self.tick(glide);
        }
    }
}

impl Squeak {
    /// Starts the next burst when its time comes; advances the clock one sample.
    #[inline]
    fn step_clock(&mut self) {
        if self.t >= self.next_start {
            self.pos = 0;
            self.phase = 0.0;
            self.next += 1;
            self.next_start = self.start(self.next);
        }
        self.t += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{diff, noise, peak_hz};
    use crate::dsp::{Additive, FaultChain};

    fn params(freq: f32) -> SqueakParams {
        SqueakParams {
            frequency_hz: freq,
            burst_rate_hz: 4.0,
            burst_ms: 200.0,
            glide_cents: 0.0,
        }
    }

    #[test]
    fn puts_a_spectral_peak_at_its_frequency() {
        let sr = 16_000.0;
        for freq in [700.0, 2500.0, 5200.0] {
            let input = noise(1, 0.1, sr as usize * 4);
            let mut out = input.clone();
            let mut chain = FaultChain::single(
                Box::new(Additive::new(Squeak::new(params(freq), 9), 0.0, 1.0)),
                1.0,
            );
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
        assert!(
            peak > 2000.0 && peak < 2000.0 * 2f32.powf(0.25) + 5.0,
            "{peak}"
        );
    }
}
