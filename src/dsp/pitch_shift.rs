//! Pitch shift: a machine under overload slows down, a slipping drive speeds up, and every
//! rotational component moves together by one ratio. A two-tap delay-line shifter with no
//! look-ahead: each tap's delay ramps at (1 − ratio) per sample and jumps back by a grain when
//! it runs out, while the other tap, half a grain away, carries the sound.
//!
//! Built so that the fault fades to nothing with the shift, as a severity sweep needs:
//! - the shift is `semitones × scale_law(intensity)` (the severity scale's law, shared by every
//!   multiplicative fault: as intensity² near 0);
//! - taps read through allpass fractional delays, flat to Nyquist (a polynomial read loses
//!   treble at every fractional delay, which a detector catches at any shift);
//! - the cross-fade between taps lasts half a grain of *time*, so it takes a fraction
//!   |1 − ratio| of the clip instead of all of it (a full-cycle fade sums two taps 20 ms apart,
//!   which for noise loses up to 3 dB and for tones combs, however small the shift);
//! - the sweep starts where the sounding tap's delay is shortest, so as the shift goes to zero
//!   the output becomes the input delayed by one sample, from the first sample on.
//!
//! The sweep phase is a `u32` fraction of a turn: it wraps by itself and the other tap is half a
//! turn away.

use super::delay::{AllpassTap, DelayLine};
use super::{samples, Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct PitchShiftParams {
    /// Shift at intensity 1, semitones (negative: slower machine).
    pub semitones: f32,
    /// Grain (delay sweep) length, ms: longer is smoother for low tones.
    pub grain_ms: f32,
}

/// The shortest tap delay: one sample, an exact read.
const MIN_DELAY: f32 = 1.0;

/// One turn of the sweep phase.
const TURN: f64 = 4_294_967_296.0;

pub struct PitchShift {
    p: PitchShiftParams,
    intensity: f32,
    /// Grain length in whole samples: a tap's delay sweeps `MIN_DELAY..MIN_DELAY + grain`.
    grain: u32,
    /// Phase change per sample, fraction of a turn (wrapping: negative steps are large ones).
    phase_step: u32,
    /// Width of a cross-fade, fraction of a turn (≤ 0.5).
    fade: f32,
    /// Phase at position 0.
    start: u32,
    phase: u32,
    lines: Vec<DelayLine>,
    /// Two taps per channel.
    taps: Vec<[AllpassTap; 2]>,
}

impl PitchShift {
    pub fn new(p: PitchShiftParams, intensity: f32) -> Self {
        Self {
            p,
            intensity,
            grain: 1,
            phase_step: 0,
            fade: 0.0,
            start: 0,
            phase: 0,
            lines: Vec::new(),
            taps: Vec::new(),
        }
    }

    /// Frequency ratio at the current intensity.
    pub fn ratio(&self) -> f32 {
        2f32.powf(self.p.semitones * super::scale_law(self.intensity) / 12.0)
    }

    fn update_step(&mut self) {
        // The delay changes by (1 − ratio) per sample: the read point runs at `ratio`.
        let slope = 1.0 - f64::from(self.ratio());
        let step = slope / f64::from(self.grain);
        self.phase_step = (step * TURN).round() as i64 as u32;
        // Half a grain of time is |slope|/2 of a turn.
        let fade = (0.5 * slope.abs()).min(0.5);
        self.fade = fade as f32;
        // A growing delay starts where tap a is fully in, at its shortest. A shrinking one
        // starts late enough that tap b (half a grain longer) has history when it takes over.
        let start = if slope >= 0.0 {
            fade
        } else {
            fade + slope.abs() * (f64::from(MIN_DELAY) / f64::from(self.grain) + 0.5 + fade)
        };
        self.start = (start.min(0.5) * TURN) as u32;
    }

    /// Weight of tap a at sweep phase `p` (fraction of a turn); tap b gets 1 − it. Zero where
    /// tap a jumps (p = 0), one half a turn later where tap b jumps.
    #[inline]
    fn weight(p: f32, fade: f32) -> f32 {
        let ramp = |u: f32| {
            let u = u.min(1.0);
            u * u * (3.0 - 2.0 * u)
        };
        if fade <= 0.0 {
            return 1.0;
        }
        if p < 0.5 {
            ramp(p / fade)
        } else {
            1.0 - ramp((p - 0.5) / fade)
        }
    }
}

impl Transform for PitchShift {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.grain = samples(self.p.grain_ms / 1000.0, sample_rate).clamp(1, 1 << 24) as u32;
        let capacity = self.grain as usize + MIN_DELAY as usize + 4;
        self.lines = (0..channels)
            .map(|_| DelayLine::with_capacity(capacity))
            .collect();
        self.taps = vec![[AllpassTap::default(); 2]; channels];
        self.update_step();
        self.reset();
    }

    /// The sweep's phase at `position` at the current shift (the phase of a shift that changed
    /// along the way follows its history since the last seek). The delay lines start empty, so
    /// the first grain after a seek away from 0 reads some silence.
    fn seek(&mut self, position: i64) {
        self.phase = self
            .start
            .wrapping_add(self.phase_step.wrapping_mul(position as u32));
        self.lines.iter_mut().for_each(DelayLine::reset);
        self.taps.iter_mut().flatten().for_each(AllpassTap::reset);
    }

    fn latency(&self) -> usize {
        MIN_DELAY as usize
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        self.update_step();
    }

    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        let (grain, step, start, fade) =
            (self.grain as f32, self.phase_step, self.phase, self.fade);
        const SCALE: f32 = 1.0 / TURN as f32;
        for c in 0..block.num_channels().min(self.lines.len()) {
            // Every channel replays the same phase path: shared timing.
            let mut phase = start;
            let (line, [ta, tb]) = (&mut self.lines[c], &mut self.taps[c]);
            for x in block.channel(c).iter_mut() {
                line.push(*x);
                let pa = phase as f32 * SCALE;
                let pb = phase.wrapping_add(1 << 31) as f32 * SCALE;
                let w = Self::weight(pa, fade);
                // Both taps run every sample so their allpass state is settled when faded in.
                let a = ta.read(line, MIN_DELAY + pa * grain);
                let b = tb.read(line, MIN_DELAY + pb * grain);
                *x = b + w * (a - b);
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
        let p = PitchShiftParams {
            semitones,
            grain_ms: 50.0,
        };
        let mut chain = FaultChain::single(Box::new(PitchShift::new(p, intensity)), intensity);
        chain.prepare(sr, 512, 1);
        chain.process_mono(&mut x);
        peak_hz(&x[sr as usize / 2..], sr, 100.0, 0.45 * sr)
    }

    #[test]
    fn moves_a_sine_by_the_ratio() {
        for (f, st, i, sr) in [
            (1000.0, 3.0, 1.0, 16_000.0),
            (1000.0, -5.0, 1.0, 48_000.0),
            (800.0, 4.0, 0.5, 44_100.0),
        ] {
            let want = f * 2f32.powf(st * crate::dsp::scale_law(i) / 12.0);
            let got = shifted_peak(f, st, i, sr);
            assert!(
                (got / want - 1.0).abs() < 0.003,
                "{f} Hz {st} st × {i} @ {sr}: {got} vs {want}"
            );
        }
    }
}
