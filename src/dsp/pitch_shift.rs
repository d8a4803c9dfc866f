//! Pitch shift: a machine under overload slows down, a slipping drive speeds up, and every
//! rotational component moves together by one ratio. A two-tap delay-line shifter (taps half a
//! grain apart, smoothstep cross-fades) moves all frequencies by `semitones × intensity` with no
//! look-ahead.
//!
//! The sweep phase is a `u32` fraction of a cycle: it wraps by itself, the other tap is half a
//! turn away, and each tap's delay splits into whole samples and fraction with one integer
//! multiply — no float-to-int conversion or branch per sample.

use super::delay::DelayLine;
use super::{samples, Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct PitchShiftParams {
    /// Shift at intensity 1, semitones (negative: slower machine).
    pub semitones: f32,
    /// Grain (delay sweep) length, ms: longer is smoother for low tones.
    pub grain_ms: f32,
}

/// The taps never read closer than this, so the Hermite read has a sample on each side.
const MIN_DELAY: usize = 2;

/// One turn of the sweep phase.
const TURN: f64 = 4_294_967_296.0;

pub struct PitchShift {
    p: PitchShiftParams,
    intensity: f32,
    /// Grain length in whole samples: a tap's delay sweeps `MIN_DELAY..MIN_DELAY + grain`.
    grain: u32,
    /// Phase change per sample, fraction of a turn (wrapping: negative steps are large ones).
    phase_step: u32,
    phase: u32,
    lines: Vec<DelayLine>,
}

impl PitchShift {
    pub fn new(p: PitchShiftParams, intensity: f32) -> Self {
        Self { p, intensity, grain: 1, phase_step: 0, phase: 0, lines: Vec::new() }
    }

    pub fn ratio(&self) -> f32 {
        2f32.powf(self.p.semitones * self.intensity / 12.0)
    }

    fn update_step(&mut self) {
        // The delay changes by (1 − ratio) per sample: the read point runs at `ratio`.
        let step = (1.0 - f64::from(self.ratio())) / f64::from(self.grain);
        self.phase_step = (step * TURN).round() as i64 as u32;
    }
}

impl Transform for PitchShift {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.grain = samples(self.p.grain_ms / 1000.0, sample_rate).clamp(1, 1 << 24) as u32;
        let capacity = self.grain as usize + MIN_DELAY + 2;
        self.lines = (0..channels).map(|_| DelayLine::with_capacity(capacity)).collect();
        self.update_step();
        self.reset();
    }

    fn reset(&mut self) {
        self.phase = 0;
        self.lines.iter_mut().for_each(DelayLine::reset);
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        self.update_step();
    }

    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        let (grain, step, start) = (u64::from(self.grain), self.phase_step, self.phase);
        // Delay of the tap at `phase`: whole samples and the fraction, from one 32.32 product.
        let tap = |phase: u32| {
            let d = u64::from(phase) * grain;
            (MIN_DELAY + (d >> 32) as usize, (d as u32 >> 8) as f32 * (1.0 / 16_777_216.0))
        };
        for c in 0..block.num_channels().min(self.lines.len()) {
            // Every channel replays the same phase path: shared timing.
            let mut phase = start;
            let line = &mut self.lines[c];
            for x in block.channel(c).iter_mut() {
                line.push(*x);
                // Smoothstep of a triangle: 0 where tap a jumps, 1 half a turn later, and tap b's
                // weight is exactly 1 − it (the pair sums to unity, like sin²/cos²).
                let folded = phase ^ ((phase as i32 >> 31) as u32);
                let tri = (folded >> 7) as f32 * (1.0 / 16_777_216.0);
                let fade = tri * tri * (3.0 - 2.0 * tri);
                let (wa, ta) = tap(phase);
                let (wb, tb) = tap(phase.wrapping_add(1 << 31));
                let a = line.read_split(wa, ta);
                let b = line.read_split(wb, tb);
                *x = b + fade * (a - b);
                phase = phase.wrapping_add(step);
            }
        }
        let len = block.len() as u32;
        self.phase = start.wrapping_add(step.wrapping_mul(len));
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
