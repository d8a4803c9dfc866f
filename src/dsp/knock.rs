//! Knock: periodic impacts from a localised defect — a spall on a bearing race, a cracked gear
//! tooth, a loose piston — once per defect period, each ringing the housing's structural
//! resonance. Impacts sit on the defect's period, each a little early or late as rolling
//! elements slip (jitter about the grid: the defect stays locked to the turning part).

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
    /// Random spread of each impact about the grid, percent of a period.
    pub jitter_pct: f32,
}

pub struct Knock {
    p: KnockParams,
    seed: u64,
    sr: f32,
    /// Grid offset as a fraction of a period, from the seed.
    offset: f64,
    /// Timeline position of the next sample, the next impact's index and time.
    t: i64,
    next: i64,
    next_at: i64,
    ring: Resonator,
}

impl Knock {
    pub fn new(p: KnockParams, seed: u64) -> Self {
        let offset = f64::from(Rng::new(seed).uniform());
        Self {
            p,
            seed,
            sr: 48_000.0,
            offset,
            t: 0,
            next: 0,
            next_at: 0,
            ring: Resonator::default(),
        }
    }

    fn period(&self) -> f64 {
        f64::from(self.sr) / f64::from(self.p.rate_hz.max(1e-3))
    }

    /// Impact `k`: its time (on the shaft-locked grid, moved by up to ±jitter % of a period —
    /// jitter about the grid, not a drifting random walk, as a defect on a turning part) and
    /// its strength. A function of the seed and `k` only.
    fn impact(&self, k: i64) -> (i64, f32) {
        let mut rng = Rng::new(super::derive_seed(self.seed, k as u64));
        let jitter =
            0.01 * f64::from(self.p.jitter_pct.clamp(0.0, 45.0)) * f64::from(rng.bipolar());
        let at = ((k as f64 + self.offset + jitter) * self.period()).floor() as i64;
        (at, 1.0 + 0.1 * rng.bipolar())
    }
}

impl Source for Knock {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.seek(0);
    }

    /// The first impact at or after `position` comes next; the ring of earlier ones (its
    /// filter's memory) is not replayed.
    fn seek(&mut self, position: i64) {
        let sr = f64::from(self.sr);
        self.ring = Resonator::new(
            f64::from(self.p.resonance_hz),
            f64::from(self.p.decay_ms) / 1000.0,
            sr,
        );
        let mut k = (position as f64 / self.period() - self.offset).floor() as i64 - 1;
        while self.impact(k).0 < position {
            k += 1;
        }
        self.t = position;
        self.next = k;
        self.next_at = self.impact(k).0;
    }

    fn fill(&mut self, out: &mut [f32]) {
        for o in out.iter_mut() {
            let mut hit = 0.0;
            if self.t >= self.next_at {
                hit = self.impact(self.next).1;
                self.next += 1;
                self.next_at = self.impact(self.next).0;
            }
            self.t += 1;
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
        let p = KnockParams {
            rate_hz: 25.0,
            resonance_hz: 2000.0,
            decay_ms: 2.0,
            jitter_pct: 0.0,
        };
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
    fn jitter_moves_impacts_about_the_grid_without_drift() {
        let sr = 16_000.0;
        let p = KnockParams {
            rate_hz: 10.0,
            resonance_hz: 3000.0,
            decay_ms: 1.0,
            jitter_pct: 10.0,
        };
        let mut k = Knock::new(p, 4);
        k.prepare(sr);
        let mut out = vec![0.0; sr as usize * 30];
        k.seek(0);
        k.fill(&mut out);
        let onsets = onsets(&out);
        assert!(onsets.len() >= 299, "{} onsets", onsets.len());
        // Each impact within ±10 % of a period of its grid slot: offsets from the grid span at
        // most 20 % of a period (a random walk of ±10 % steps would drift ~±900 samples here).
        let offsets: Vec<i64> = onsets
            .iter()
            .enumerate()
            .map(|(i, &o)| o as i64 - i as i64 * 1600)
            .collect();
        let span = offsets.iter().max().unwrap() - offsets.iter().min().unwrap();
        assert!(span <= 322, "offsets span {span} samples");
        let gaps: Vec<f32> = onsets.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
        assert!(
            gaps.iter().any(|g| (*g - 1600.0).abs() > 20.0),
            "no jitter seen"
        );
    }
}
