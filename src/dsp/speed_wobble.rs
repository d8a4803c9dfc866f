//! Speed wobble: a slipping belt, a worn coupling or a hunting motor controller makes the speed
//! swing around its set point, so every tone warbles. A delay line swept sinusoidally gives a
//! frequency ratio of 1 ± (2^(cents/1200) − 1) at the modulation rate.
//!
//! The deviation scales with `scale_law(intensity)` (the severity scale's law), and the line is read through
//! an allpass fractional delay, flat to Nyquist: as the deviation goes to zero the sweep shrinks
//! to an exact one-sample delay, instead of leaving a polynomial read's treble loss behind.

use super::delay::{AllpassTap, DelayLine};
use super::osc::sin_cycles;
use super::{Block, FixedPhase, Transform};

#[derive(Clone, Copy, Debug)]
pub struct SpeedWobbleParams {
    /// Speed swings per second, Hz.
    pub rate_hz: f32,
    /// Peak frequency deviation at intensity 1, cents.
    pub depth_cents: f32,
}

/// The shortest delay of the sweep: one sample, an exact read.
const MIN_DELAY: f32 = 1.0;

pub struct SpeedWobble {
    p: SpeedWobbleParams,
    intensity: f32,
    sr: f32,
    /// Sweep amplitude in samples at intensity 1.
    sweep: f32,
    /// Timeline position of the next sample.
    position: i64,
    lines: Vec<DelayLine>,
    taps: Vec<AllpassTap>,
}

impl SpeedWobble {
    pub fn new(p: SpeedWobbleParams, intensity: f32) -> Self {
        Self {
            p,
            intensity,
            sr: 48_000.0,
            sweep: 0.0,
            position: 0,
            lines: Vec::new(),
            taps: Vec::new(),
        }
    }

    /// Delay amplitude A for a peak ratio deviation d at angular rate ω: d = A·ω.
    fn sweep_for(cents: f32, rate_hz: f32, sample_rate: f32) -> f32 {
        let omega = std::f32::consts::TAU * rate_hz.max(1e-3) / sample_rate;
        (2f32.powf(cents / 1200.0) - 1.0) / omega
    }
}

impl Transform for SpeedWobble {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.sr = sample_rate;
        self.sweep = Self::sweep_for(self.p.depth_cents, self.p.rate_hz, sample_rate);
        let capacity = (2.0 * self.sweep) as usize + MIN_DELAY as usize + 4;
        self.lines = (0..channels)
            .map(|_| DelayLine::with_capacity(capacity))
            .collect();
        self.taps = vec![AllpassTap::default(); channels];
        self.reset();
    }

    /// The swing's phase follows the position; the delay lines start empty.
    fn seek(&mut self, position: i64) {
        self.position = position;
        self.lines.iter_mut().for_each(DelayLine::reset);
        self.taps.iter_mut().for_each(AllpassTap::reset);
    }

    fn latency(&self) -> usize {
        MIN_DELAY as usize
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity.clamp(0.0, 1.0);
    }

    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        let amp = self.sweep * super::scale_law(self.intensity);
        // Centred on one sample while the swing is under half a sample, so a faint wobble never
        // steps the allpass's integer part (each step is a tiny click at the top of the band).
        let centre = (MIN_DELAY + amp - 0.5).max(MIN_DELAY);
        // The swing's phase is a function of the position (`FixedPhase`).
        let osc = FixedPhase::new(self.p.rate_hz, self.sr);
        let start = osc.at(self.position);
        for c in 0..block.num_channels().min(self.lines.len()) {
            let mut phase = start;
            let (line, tap) = (&mut self.lines[c], &mut self.taps[c]);
            for x in block.channel(c).iter_mut() {
                line.push(*x);
                *x = tap.read(line, centre + amp * sin_cycles(FixedPhase::cycles(phase)));
                phase = osc.next(phase);
            }
        }
        self.position += block.len() as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::sine;
    use crate::dsp::FaultChain;

    /// Instantaneous frequency from the spacing of upward zero crossings.
    fn crossing_freqs(x: &[f32], sr: f32) -> Vec<f32> {
        let ups: Vec<f32> = (1..x.len())
            .filter(|&i| x[i - 1] < 0.0 && x[i] >= 0.0)
            .map(|i| (i - 1) as f32 + x[i - 1] / (x[i - 1] - x[i]))
            .collect();
        ups.windows(2).map(|w| sr / (w[1] - w[0])).collect()
    }

    #[test]
    fn frequency_swings_by_the_set_cents() {
        let sr = 48_000.0;
        let mut x = sine(1000.0, 0.5, sr, sr as usize * 3);
        let p = SpeedWobbleParams {
            rate_hz: 2.0,
            depth_cents: 100.0,
        };
        let mut chain = FaultChain::single(Box::new(SpeedWobble::new(p, 1.0)), 1.0);
        chain.prepare(sr, 480, 1);
        chain.process_mono(&mut x);
        let f = crossing_freqs(&x[4800..], sr);
        let max = f.iter().cloned().fold(0.0, f32::max);
        let min = f.iter().cloned().fold(f32::MAX, f32::min);
        let d = 2f32.powf(100.0 / 1200.0) - 1.0;
        assert!((max / 1000.0 - (1.0 + d)).abs() < 0.003, "max {max}");
        assert!((min / 1000.0 - (1.0 - d)).abs() < 0.003, "min {min}");
    }
}
