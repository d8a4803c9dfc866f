//! A Poisson event stream locked to the timeline (`dsp` module doc, "Timeline lock"): a
//! per-sample countdown whose generator restarts from the segment's own seed, with a fresh gap,
//! at every segment boundary. Rattle impacts and dropout starts share it.

use super::{samples_to_event, Rng, Segments};

#[derive(Clone, Debug)]
pub struct PoissonClock {
    seed: u64,
    segments: Segments,
    /// Mean gap between events, samples.
    mean_gap: f32,
    /// The generator of the current segment: the event's own draws come from it too.
    pub rng: Rng,
    /// Timeline position of the next sample and the next segment boundary.
    t: i64,
    boundary: i64,
    until_next: f32,
}

impl PoissonClock {
    pub fn new(seed: u64, sample_rate: f32, rate_hz: f32) -> Self {
        Self {
            seed,
            segments: Segments::new(sample_rate),
            mean_gap: sample_rate / rate_hz.max(1e-3),
            rng: Rng::new(seed),
            t: 0,
            boundary: 0,
            until_next: 0.0,
        }
    }

    /// Restarts at the start of the segment holding `position` (or of an earlier one): the
    /// state a run from the song's start has there.
    pub fn restart_at_segment_of(&mut self, position: i64) {
        self.t = self.segments.start_of(position);
        self.boundary = self.t;
    }

    #[inline]
    fn begin_segment_if_due(&mut self) {
        if self.t == self.boundary {
            self.rng = Rng::new(self.segments.seed(self.seed, self.t));
            self.until_next = self.rng.exponential(self.mean_gap);
            self.boundary += self.segments.len;
        }
    }

    /// One sample on: whether an event happens on it. The next gap is drawn first; the caller
    /// then makes the event's own draws from `rng`, in the same order every time.
    #[inline]
    pub fn tick(&mut self) -> bool {
        self.begin_segment_if_due();
        self.t += 1;
        self.until_next -= 1.0;
        if self.until_next <= 0.0 {
            self.until_next += self.rng.exponential(self.mean_gap);
            true
        } else {
            false
        }
    }

    /// Jumps to `to` event by event — the same state as ticking there, without the per-sample
    /// loop (exact: whole-number steps off an f32 below 2^24 round nothing) — calling `event`
    /// for each event's own draws.
    pub fn skip_to(&mut self, to: i64, mut event: impl FnMut(&mut Rng)) {
        while self.t < to {
            self.begin_segment_if_due();
            let room = to.min(self.boundary) - self.t;
            match samples_to_event(self.until_next) {
                j if j <= room => {
                    self.t += j;
                    self.until_next -= j as f32;
                    self.until_next += self.rng.exponential(self.mean_gap);
                    event(&mut self.rng);
                }
                _ => {
                    self.t += room;
                    self.until_next -= room as f32;
                }
            }
        }
    }
}
