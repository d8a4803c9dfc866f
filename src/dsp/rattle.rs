//! Rattle: a loose cover, bolt or guard hit at random by the machine's vibration. Impacts come
//! as a Poisson process with random strength, each ringing two detuned resonances of the loose
//! part (its frequency varies a little from hit to hit, as the contact point moves).

use super::filters::Resonator;
use super::poisson::PoissonClock;
use super::{Rng, Source};

#[derive(Clone, Copy, Debug)]
pub struct RattleParams {
    /// Mean impacts per second.
    pub impact_rate_hz: f32,
    /// Main resonance of the loose part, Hz.
    pub resonance_hz: f32,
    /// Ring time to 1/e, ms.
    pub decay_ms: f32,
}

pub struct Rattle {
    p: RattleParams,
    seed: u64,
    sr: f32,
    clock: PoissonClock,
    modes: [Resonator; 2],
}

impl Rattle {
    pub fn new(p: RattleParams, seed: u64) -> Self {
        Self {
            p,
            seed,
            sr: 48_000.0,
            clock: PoissonClock::new(seed, 48_000.0, p.impact_rate_hz),
            modes: [Resonator::default(); 2],
        }
    }

    /// An impact's own draws, after the clock's gap: its strength and the part's pitch.
    #[inline]
    fn draw_impact(p: &RattleParams, rng: &mut Rng) -> (f32, f64) {
        let hit = rng.range(0.3, 1.0);
        let f = f64::from(p.resonance_hz * (1.0 + 0.12 * rng.bipolar()));
        (hit, f)
    }
}

impl Source for Rattle {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.clock = PoissonClock::new(self.seed, sample_rate, self.p.impact_rate_hz);
        self.seek(0);
    }

    /// Impacts restart from the segment's own seed at each boundary (a Poisson process has no
    /// memory); a seek replays the segment's impact draws up to `position` event by event (no
    /// per-sample work: allocation-free and cheap on the audio thread). The ring of impacts
    /// before `position` is the resonators' memory, not replayed.
    fn seek(&mut self, position: i64) {
        let decay = f64::from(self.p.decay_ms) / 1000.0;
        let f = f64::from(self.p.resonance_hz);
        let sr = f64::from(self.sr);
        self.modes = [
            Resonator::new(f, decay, sr),
            Resonator::new(f * 1.62, decay * 0.6, sr),
        ];
        self.clock.restart_at_segment_of(position);
        let p = self.p;
        self.clock.skip_to(position, |rng| {
            Self::draw_impact(&p, rng);
        });
    }

    fn fill(&mut self, out: &mut [f32]) {
        let (sr, decay) = (f64::from(self.sr), f64::from(self.p.decay_ms) / 1000.0);
        for o in out.iter_mut() {
            let mut hit = 0.0;
            if self.clock.tick() {
                let (strength, f) = Self::draw_impact(&self.p, &mut self.clock.rng);
                hit = strength;
                self.modes[0].retune(f, decay, sr);
                self.modes[1].retune(f * 1.62, decay * 0.6, sr);
            }
            *o = self.modes[0].tick(hit) + 0.6 * self.modes[1].tick(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::band_fraction;

    fn count_onsets(x: &[f32], threshold: f32, min_gap: usize) -> usize {
        let mut count = 0;
        let mut last = None::<usize>;
        for (i, v) in x.iter().enumerate() {
            if v.abs() > threshold && last.is_none_or(|l| i - l > min_gap) {
                count += 1;
            }
            if v.abs() > threshold {
                last = Some(i);
            }
        }
        count
    }

    #[test]
    fn impacts_arrive_at_the_poisson_rate_and_ring_at_the_resonance() {
        let sr = 16_000.0;
        let p = RattleParams {
            impact_rate_hz: 5.0,
            resonance_hz: 2500.0,
            decay_ms: 1.0,
        };
        let mut r = Rattle::new(p, 5);
        r.prepare(sr);
        let secs = 40.0;
        let mut out = vec![0.0; (sr * secs) as usize];
        r.fill(&mut out);
        // Impacts closer than the 5 ms dead time merge (Poisson: a fraction 1 − e^(−rate·5 ms)).
        let n = count_onsets(&out, 0.1, (0.005 * sr) as usize) as f32;
        let expected = 5.0 * secs * (-5.0f32 * 0.005).exp();
        assert!(
            (n - expected).abs() < 3.0 * expected.sqrt(),
            "{n} onsets, expected ~{expected}"
        );
        assert!(band_fraction(&out, sr, 1800.0, 4800.0) > 0.8);
    }
}
