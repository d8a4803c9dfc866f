//! The fault chain: transforms in plan order over a shared level reference.

use super::level::LevelFollower;
use super::{Block, Transform};

/// Input samples are clamped to this magnitude: far above any audio, far below where the
/// squares in the level follower would overflow. Non-finite input becomes silence.
pub const INPUT_LIMIT: f32 = 1e6;

/// Magnitudes below this become 0: denormal (and near-denormal) input would otherwise slow every
/// filter by orders of magnitude, and −600 dBFS is no sound.
pub const INPUT_FLOOR: f32 = 1e-30;

/// What every fault input goes through: non-finite → silence, tiny → 0, huge → clamped.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    // Branch-free (`&`, selects), so loops over whole buffers vectorise: NaN fails both tests.
    let magnitude = x.abs();
    let keep = (INPUT_FLOOR..=f32::MAX).contains(&magnitude);
    if keep {
        x.clamp(-INPUT_LIMIT, INPUT_LIMIT)
    } else {
        0.0
    }
}

struct Step {
    transform: Box<dyn Transform>,
    intensity: f32,
    /// Skipped (intensity 0) since the last block it ran: it seeks back to the timeline when it
    /// runs again, so a fault faded out and in stays on the timeline.
    paused: bool,
}

/// An ordered set of transforms, each with its own intensity, that runs in place.
pub struct FaultChain {
    steps: Vec<Step>,
    level: LevelFollower,
    level_buf: Vec<f32>,
    sample_rate: f32,
    max_block: usize,
    channels: usize,
    intensity_scale: f32,
    uses_level: bool,
    /// Timeline position of the next sample.
    position: i64,
}

impl FaultChain {
    pub fn new(steps: Vec<(Box<dyn Transform>, f32)>) -> Self {
        let steps = steps
            .into_iter()
            .map(|(transform, intensity)| Step {
                transform,
                intensity,
                paused: false,
            })
            .collect();
        Self {
            steps,
            level: LevelFollower::new(48_000.0),
            level_buf: Vec::new(),
            sample_rate: 0.0,
            max_block: 0,
            channels: 0,
            intensity_scale: 1.0,
            uses_level: false,
            position: 0,
        }
    }

    /// A chain of one transform (handy in tests and benches).
    pub fn single(transform: Box<dyn Transform>, intensity: f32) -> Self {
        Self::new(vec![(transform, intensity)])
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn max_block(&self) -> usize {
        self.max_block
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Whether a step scales its fault to the machine's running level (additive faults,
    /// saturation): such a chain's level follower starts empty after `prepare` or a seek, so
    /// its first ~200 ms after a seek differ from an uninterrupted render. Known after `prepare`.
    pub fn uses_level(&self) -> bool {
        self.uses_level
    }

    pub fn is_prepared(&self) -> bool {
        self.max_block > 0
    }

    /// Allocates everything: the only place a chain allocates.
    pub fn prepare(&mut self, sample_rate: f32, max_block: usize, channels: usize) {
        let max_block = max_block.max(1);
        let channels = channels.clamp(1, super::MAX_CHANNELS);
        self.sample_rate = sample_rate;
        self.max_block = max_block;
        self.channels = channels;
        self.level = LevelFollower::new(sample_rate);
        self.level_buf = vec![0.0; max_block];
        for s in &mut self.steps {
            s.transform.prepare(sample_rate, max_block, channels);
            s.transform
                .set_intensity(s.intensity * self.intensity_scale);
        }
        self.uses_level = self.steps.iter().any(|s| s.transform.uses_level());
    }

    /// Back to the just-prepared state: the same input then gives the same output.
    pub fn reset(&mut self) {
        self.seek(0);
    }

    /// Every step where it would be at sample `position` of the timeline (`dsp` module doc,
    /// "Timeline lock"); the level follower and the filters start empty. Allocation-free: a
    /// host's transport jump calls this on the audio thread.
    pub fn seek(&mut self, position: i64) {
        self.level.reset();
        self.position = position;
        for s in &mut self.steps {
            s.transform.seek(position);
            s.paused = false;
        }
    }

    /// Timeline position of the next sample.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Scales every step's intensity (a live "amount" control). Allocation-free.
    pub fn set_intensity_scale(&mut self, scale: f32) {
        self.intensity_scale = scale.clamp(0.0, 1.0);
        for s in &mut self.steps {
            s.transform
                .set_intensity(s.intensity * self.intensity_scale);
        }
    }

    pub fn intensity_scale(&self) -> f32 {
        self.intensity_scale
    }

    /// Processes equally long channel buffers in place, any length (split into prepared
    /// blocks). Channels beyond the prepared count pass through untouched. Output is finite.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        assert!(self.is_prepared(), "FaultChain::process before prepare");
        let used = channels.len().min(self.channels);
        let channels = &mut channels[..used];
        let Some(len) = channels.iter().map(|c| c.len()).min() else {
            return;
        };
        for ch in channels.iter_mut() {
            for x in ch[..len].iter_mut() {
                *x = sanitize(*x);
            }
        }
        let inv_channels = 1.0 / used as f32;
        let mut start = 0;
        while start < len {
            let n = (len - start).min(self.max_block);
            let level = &mut self.level_buf[..n];
            if self.uses_level {
                for (i, l) in level.iter_mut().enumerate() {
                    let power: f32 = channels.iter().map(|c| c[start + i] * c[start + i]).sum();
                    *l = self.level.next(power * inv_channels);
                }
            }
            let mut block = Block::new(channels, start, n);
            for s in &mut self.steps {
                if s.intensity * self.intensity_scale > 0.0 {
                    if s.paused {
                        s.transform.seek(self.position);
                        s.paused = false;
                    }
                    s.transform.process(&mut block, level);
                } else {
                    s.paused = true;
                }
            }
            self.position += n as i64;
            start += n;
        }
        for ch in channels.iter_mut() {
            for x in ch[..len].iter_mut() {
                *x = if x.abs() <= f32::MAX { *x } else { 0.0 };
            }
        }
    }

    pub fn process_mono(&mut self, samples: &mut [f32]) {
        self.process(&mut [samples]);
    }

    /// Samples the output lags the input by, summed over the steps that run.
    pub fn latency(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.intensity * self.intensity_scale > 0.0)
            .map(|s| s.transform.latency())
            .sum()
    }

    /// Processes whole clips with the latency taken out: each channel runs on `latency` more
    /// samples (its end mirrored) and the first `latency` outputs are dropped. A fault fading to
    /// nothing then gives back the clip itself, edges included — a one-sample lag would change the
    /// edge frames a detector sees. Allocates: for offline renders, not the audio thread.
    pub fn process_clip(&mut self, channels: &mut [Vec<f32>]) {
        let lag = self.latency();
        for ch in channels.iter_mut() {
            let n = ch.len();
            ch.extend(
                (0..lag)
                    .map(|k| if n > k + 1 { ch[n - 2 - k] } else { 0.0 })
                    .collect::<Vec<_>>(),
            );
        }
        let mut refs: Vec<&mut [f32]> = channels.iter_mut().map(|c| c.as_mut_slice()).collect();
        self.process(&mut refs);
        for ch in channels.iter_mut() {
            ch.drain(..lag.min(ch.len()));
        }
    }
}

#[cfg(test)]
mod sanitize_tests {
    use super::*;

    #[test]
    fn sanitize_flushes_denormals_and_bounds_the_rest() {
        assert_eq!(sanitize(1e-40), 0.0);
        assert_eq!(sanitize(-1e-31), 0.0);
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::NEG_INFINITY), 0.0);
        assert_eq!(sanitize(1e30), INPUT_LIMIT);
        assert_eq!(sanitize(0.25), 0.25);
        assert_eq!(sanitize(-1e-20), -1e-20);
    }
}
