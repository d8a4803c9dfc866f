//! Dropout: a sticking valve, a slipping clutch or an intermittent contact makes the sound cut
//! out for moments at random. Events come as a Poisson process; each holds the gain down for a
//! set time, with 2 ms ramps so the cuts do not click. The dip's depth in dB is
//! depth_db × `scale_law(intensity)`, the severity scale's law, so faint dropouts fade to nothing.

use super::poisson::PoissonClock;
use super::{db_to_gain, discard, samples, GainCurve};

#[derive(Clone, Copy, Debug)]
pub struct DropoutParams {
    /// Mean dropout starts per second (Poisson; one starting during another extends it).
    pub rate_hz: f32,
    /// Length of one dropout, ms.
    pub duration_ms: f32,
    /// Attenuation during a dropout at intensity 1, dB.
    pub depth_db: f32,
}

pub struct Dropout {
    p: DropoutParams,
    seed: u64,
    sr: f32,
    clock: PoissonClock,
    gain: f32,
    step: f32,
    hold: usize,
}

impl Dropout {
    pub fn new(p: DropoutParams, seed: u64) -> Self {
        Self {
            p,
            seed,
            sr: 48_000.0,
            clock: PoissonClock::new(seed, 48_000.0, p.rate_hz),
            gain: 1.0,
            step: 0.0,
            hold: 0,
        }
    }
}

impl GainCurve for Dropout {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.step = 1.0 / samples(0.002, sample_rate) as f32;
        self.clock = PoissonClock::new(self.seed, sample_rate, self.p.rate_hz);
        self.seek(0, 0.0);
    }

    /// Dropout starts restart from the segment's own seed at each boundary (Poisson: no
    /// memory). The gain at `position` depends only on starts within a dropout's length and a
    /// few ramps before it, so a seek jumps start by start (no per-sample work) to that window
    /// and runs the window sample by sample: the same state as a run from the start, cheaply
    /// enough for the audio thread.
    fn seek(&mut self, position: i64, intensity: f32) {
        let window =
            (samples(self.p.duration_ms / 1000.0, self.sr) as f32 + 4.0 / self.step) as i64 + 1;
        let from = position - window;
        self.gain = 1.0;
        self.hold = 0;
        self.clock.restart_at_segment_of(from);
        self.clock.skip_to(from, |_| {});
        discard(position - from, |buf| self.fill(buf, intensity));
    }

    fn fill(&mut self, gains: &mut [f32], intensity: f32) {
        let low = db_to_gain(-self.p.depth_db * super::scale_law(intensity));
        for g in gains.iter_mut() {
            if self.clock.tick() {
                // Starts are Poisson; one arriving during a dropout extends it.
                self.hold = self.hold.max(samples(self.p.duration_ms / 1000.0, self.sr));
            }
            let target = if self.hold > 0 {
                self.hold -= 1;
                low
            } else {
                1.0
            };
            // Linear ramp toward the target, one full swing per 2 ms.
            let delta = (target - self.gain).clamp(-self.step, self.step);
            self.gain += delta;
            *g = self.gain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropouts_have_the_set_depth_length_and_rate() {
        let sr = 16_000.0;
        let p = DropoutParams {
            rate_hz: 2.0,
            duration_ms: 50.0,
            depth_db: 40.0,
        };
        let mut d = Dropout::new(p, 11);
        d.prepare(sr);
        let secs = 60.0;
        let mut g = vec![0.0; (sr * secs) as usize];
        d.fill(&mut g, 0.5);
        // The dip in dB follows the scale law: at 0.5, 57 % of the 40 dB.
        let low = db_to_gain(-40.0 * crate::dsp::scale_law(0.5));
        let min = g.iter().cloned().fold(1.0, f32::min);
        assert!((min - low).abs() < 1e-4, "min gain {min} vs {low}");
        // Segments where the gain sits at the floor: count and length.
        let mut segments = Vec::new();
        let mut run = 0;
        for &v in &g {
            if (v - low).abs() < 1e-6 {
                run += 1;
            } else if run > 0 {
                segments.push(run);
                run = 0;
            }
        }
        // Starts are Poisson at 2 Hz; one within 50 ms of the last extends it, so separate
        // dropouts come at λ·e^(−λd) and a fraction e^(−λd) of them last exactly 50 ms.
        let (rate, d) = (2.0f32, 0.05f32);
        let expected = secs * rate * (-rate * d).exp();
        let n = segments.len() as f32;
        assert!(
            (n - expected).abs() < 3.0 * expected.sqrt(),
            "{n} dropouts, expected ~{expected}"
        );
        // Held 50 ms (800 samples) or longer when merged, less the ≤ 2 ms ramp down.
        assert!(segments.iter().all(|&s| s >= 768), "{segments:?}");
        let single = segments.iter().filter(|&&s| s <= 800).count() as f32;
        let want = n * (-rate * d).exp();
        assert!(
            (single - want).abs() < 3.0 * (n * 0.1f32).sqrt() + 1.0,
            "{single} single of {n}, want ~{want}"
        );
    }
}
