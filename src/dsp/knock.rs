//! Knock: periodic impacts from a localised defect — a spall on a bearing race, a cracked gear
//! tooth, a loose piston — once per defect period, each ringing the housing's structural
//! resonance. The period jitters slightly as rolling elements slip.

use super::filters::Resonator;
use super::{Rng, Source};

#[derive(Clone, Copy, Debug)]
pub struct KnockParams {
    /// Impacts per second (the defect frequency).
    pub rate_hz: f32,
    /// Structural resonance excited by each impact, Hz.
    pub resonance_hz: f32,
    /// Ring time to 1/e, ms.
    pub decay_ms: f32,
    /// Random spread of each period, percent.
    pub jitter_pct: f32,
}

pub struct Knock {
    p: KnockParams,
    seed: u64,
    rng: Rng,
    sr: f32,
    until_next: f32,
    ring: Resonator,
}

impl Knock {
    pub fn new(p: KnockParams, seed: u64) -> Self {
        Self { p, seed, rng: Rng::new(seed), sr: 48_000.0, until_next: 0.0, ring: Resonator::default() }
    }

    fn period(&self) -> f32 {
        self.sr / self.p.rate_hz.max(1e-3)
    }
}

impl Source for Knock {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.reset();
    }

    fn reset(&mut self) {
        self.rng = Rng::new(self.seed);
        let sr = f64::from(self.sr);
        self.ring = Resonator::new(f64::from(self.p.resonance_hz), f64::from(self.p.decay_ms) / 1000.0, sr);
        self.until_next = (self.rng.uniform() * self.period()).floor();
    }

    fn fill(&mut self, out: &mut [f32]) {
        for o in out.iter_mut() {
            let mut hit = 0.0;
            if self.until_next <= 0.0 {
                let jitter = 1.0 + 0.01 * self.p.jitter_pct * self.rng.bipolar();
                self.until_next += self.period() * jitter;
                hit = 1.0 + 0.1 * self.rng.bipolar();
            }
            self.until_next -= 1.0;
            // The contact click itself plus the ringing housing.
            *o = 0.5 * hit + self.ring.tick(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The impact sample (click 0.5 plus the first ring sample) is the first to exceed 1.0;
    /// the ringing that follows within 100 samples belongs to the same impact.
    fn onsets(x: &[f32]) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::new();
        for (i, v) in x.iter().enumerate() {
            if *v > 1.0 && found.last().is_none_or(|&l| i - l > 100) {
                found.push(i);
            }
        }
        found
    }

    #[test]
    fn impacts_come_exactly_at_the_period_without_jitter() {
        let sr = 16_000.0;
        let p = KnockParams { rate_hz: 25.0, resonance_hz: 2000.0, decay_ms: 2.0, jitter_pct: 0.0 };
        let mut k = Knock::new(p, 2);
        k.prepare(sr);
        let mut out = vec![0.0; sr as usize * 2];
        k.fill(&mut out);
        let onsets = onsets(&out);
        assert!(onsets.len() >= 49, "{} onsets", onsets.len());
        for w in onsets.windows(2) {
            let gap = (w[1] - w[0]) as f32;
            assert!((gap - 640.0).abs() <= 1.0, "gap {gap}");
        }
    }

    #[test]
    fn jitter_spreads_periods_within_bounds() {
        let sr = 16_000.0;
        let p = KnockParams { rate_hz: 10.0, resonance_hz: 3000.0, decay_ms: 1.0, jitter_pct: 10.0 };
        let mut k = Knock::new(p, 4);
        k.prepare(sr);
        let mut out = vec![0.0; sr as usize * 5];
        k.fill(&mut out);
        let onsets = onsets(&out);
        let gaps: Vec<f32> = onsets.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
        assert!(gaps.iter().all(|g| (*g - 1600.0).abs() <= 161.0));
        assert!(gaps.iter().any(|g| (*g - 1600.0).abs() > 20.0), "no jitter seen");
    }
}
