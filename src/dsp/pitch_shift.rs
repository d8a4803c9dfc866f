//! Pitch shift: a machine under overload slows down, a slipping drive speeds up, and every
//! rotational component moves together by one ratio. A two-tap delay-line shifter (taps half a
//! grain apart, sin² cross-fades) moves all frequencies by `semitones × intensity` with no
//! look-ahead.

use super::delay::DelayLine;
use super::osc::advance;
use super::{samples, Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct PitchShiftParams {
    /// Shift at intensity 1, semitones (negative: slower machine).
    pub semitones: f32,
    /// Grain (delay sweep) length, ms: longer is smoother for low tones.
    pub grain_ms: f32,
}

/// The taps never read closer than this, so the Hermite read has a sample on each side.
const MIN_DELAY: f32 = 2.0;

pub struct PitchShift {
    p: PitchShiftParams,
    intensity: f32,
    grain: f32,
    phase_step: f32,
    phase: f32,
    lines: Vec<DelayLine>,
}

impl PitchShift {
    pub fn new(p: PitchShiftParams, intensity: f32) -> Self {
        Self { p, intensity, grain: 1.0, phase_step: 0.0, phase: 0.0, lines: Vec::new() }
    }

    pub fn ratio(&self) -> f32 {
        2f32.powf(self.p.semitones * self.intensity / 12.0)
    }

    fn update_step(&mut self) {
        // The delay changes by (1 − ratio) per sample: the read point runs at `ratio`.
        self.phase_step = (1.0 - self.ratio()) / self.grain;
    }
}

impl Transform for PitchShift {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.grain = samples(self.p.grain_ms / 1000.0, sample_rate) as f32;
        let capacity = self.grain as usize + MIN_DELAY as usize + 2;
        self.lines = (0..channels).map(|_| DelayLine::with_capacity(capacity)).collect();
        self.update_step();
        self.reset();
    }

    fn reset(&mut self) {
        self.phase = 0.0;
        self.lines.iter_mut().for_each(DelayLine::reset);
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        self.update_step();
    }

    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        let start = self.phase;
        let mut end = start;
        for c in 0..block.num_channels().min(self.lines.len()) {
            // Every channel replays the same phase path: shared timing.
            let mut phase = start;
            let line = &mut self.lines[c];
            for x in block.channel(c).iter_mut() {
                line.push(*x);
                let other = if phase >= 0.5 { phase - 0.5 } else { phase + 0.5 };
                // Smoothstep of a triangle: 0 where a tap jumps, 1 half a grain later, and the
                // other tap's weight is exactly 1 − it (the pair sums to unity, like sin²/cos²).
                let tri = 1.0 - (2.0 * phase - 1.0).abs();
                let fade = tri * tri * (3.0 - 2.0 * tri);
                let a = line.read(MIN_DELAY + phase * self.grain);
                let b = line.read(MIN_DELAY + other * self.grain);
                *x = b + fade * (a - b);
                advance(&mut phase, self.phase_step);
            }
            end = phase;
        }
        self.phase = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{peak_hz, sine};
    use crate::dsp::FaultChain;

    fn shifted_peak(freq: f32, semitones: f32, intensity: f32, sr: f32) -> f32 {
        let mut x = sine(freq, 0.5, sr, sr as usize * 2);
        let p = PitchShiftParams { semitones, grain_ms: 50.0 };
        let mut chain = FaultChain::single(Box::new(PitchShift::new(p, intensity)), intensity);
        chain.prepare(sr, 512, 1);
        chain.process_mono(&mut x);
        peak_hz(&x[sr as usize / 2..], sr, 100.0, 0.45 * sr)
    }

    #[test]
    fn moves_a_sine_by_the_ratio() {
        for (f, st, i, sr) in [(1000.0, 3.0, 1.0, 16_000.0), (1000.0, -5.0, 1.0, 48_000.0), (800.0, 4.0, 0.5, 44_100.0)] {
            let want = f * 2f32.powf(st * i / 12.0);
            let got = shifted_peak(f, st, i, sr);
            assert!((got / want - 1.0).abs() < 0.003, "{f} Hz {st} st × {i} @ {sr}: {got} vs {want}");
        }
    }
}
