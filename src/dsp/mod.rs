//! Fault DSP: one file per transform, plus the chain that runs them in order.
//!
//! Plain DSP — no plugin, plan or file types. Every transform follows the real-time shape:
//! `prepare` allocates for a sample rate, block size and channel count; `process` works in place
//! on any block up to that size without allocating; `reset` returns to the just-prepared state so
//! a seed always gives the same samples. Multichannel audio shares timing: an impact, a dropout or
//! a modulation phase happens at the same sample in every channel.

mod amplitude_modulation;
mod band_noise;
mod chain;
mod damping;
mod delay;
mod dropout;
mod filters;
mod hum;
mod knock;
mod level;
mod osc;
mod pitch_shift;
mod rattle;
mod resonance;
mod rng;
mod saturation;
mod speed_wobble;
mod squeak;
#[cfg(test)]
pub(crate) mod testutil;

pub use amplitude_modulation::{AmplitudeModulation, AmplitudeModulationParams};
pub use band_noise::{BandNoise, BandNoiseParams};
pub use chain::{sanitize, FaultChain, INPUT_FLOOR, INPUT_LIMIT};
pub use damping::{Damping, DampingParams};
pub use delay::{AllpassTap, DelayLine};
pub use dropout::{Dropout, DropoutParams};
pub use filters::{Biquad, BiquadCoefs, BlockedCascade, LookaheadBiquad, Resonator};
pub use hum::{Hum, HumParams};
pub use knock::{Knock, KnockParams};
pub use level::{LevelFollower, LEVEL_FLOOR};
pub use osc::sin_cycles;
pub use pitch_shift::{PitchShift, PitchShiftParams};
pub use rattle::{Rattle, RattleParams};
pub use resonance::{Resonance, ResonanceParams};
pub use rng::{derive_seed, splitmix64, Rng};
pub use saturation::{Saturation, SaturationParams};
pub use speed_wobble::{SpeedWobble, SpeedWobbleParams};
pub use squeak::{Squeak, SqueakParams};

/// Largest block a chain accepts in one `process` call is unbounded (it splits), but each
/// transform sees at most the `max_block` it was prepared for.
pub const MAX_CHANNELS: usize = 64;

/// A view of `len` frames starting at `start` in a set of equally long channel buffers.
pub struct Block<'a, 'b> {
    channels: &'a mut [&'b mut [f32]],
    start: usize,
    len: usize,
}

impl<'a, 'b> Block<'a, 'b> {
    pub fn new(channels: &'a mut [&'b mut [f32]], start: usize, len: usize) -> Self {
        Self { channels, start, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    pub fn channel(&mut self, c: usize) -> &mut [f32] {
        &mut self.channels[c][self.start..self.start + self.len]
    }

    /// Adds one signal to every channel (a fault source heard the same everywhere).
    pub fn add_to_all(&mut self, signal: &[f32]) {
        for c in 0..self.channels.len() {
            for (x, s) in self.channel(c).iter_mut().zip(signal) {
                *x += s;
            }
        }
    }

    /// Multiplies every channel by one gain curve.
    pub fn scale_all(&mut self, gains: &[f32]) {
        for c in 0..self.channels.len() {
            for (x, g) in self.channel(c).iter_mut().zip(gains) {
                *x *= g;
            }
        }
    }
}

/// One fault transform, as the chain drives it.
pub trait Transform: Send {
    /// Allocates every buffer for this sample rate, largest block and channel count.
    fn prepare(&mut self, sample_rate: f32, max_block: usize, channels: usize);
    /// Back to the state right after `prepare`: the same seed gives the same output again.
    fn reset(&mut self);
    /// Severity in 0..1. The chain skips a transform at 0 (exact pass-through).
    fn set_intensity(&mut self, intensity: f32);
    /// Processes the block in place. `level[i]` is the machine's running RMS at frame i, the
    /// reference that additive faults are scaled to. Must not allocate.
    fn process(&mut self, block: &mut Block<'_, '_>, level: &[f32]);
    /// Whether `process` reads `level`; the chain skips the level follower when none does.
    fn uses_level(&self) -> bool {
        false
    }
    /// Samples by which the output lags the input as the fault goes to nothing (the pitch
    /// faults' one-sample shortest delay); offline renders take it back out.
    fn latency(&self) -> usize {
        0
    }
}

/// A fault that adds a sound of its own (squeak, rattle, knock, hum, noise).
pub trait Source: Send {
    fn prepare(&mut self, sample_rate: f32);
    fn reset(&mut self);
    /// Writes the fault sound at unit reference level: `Additive` scales it by the machine level.
    fn fill(&mut self, out: &mut [f32]);
}

/// Runs a `Source` and adds it at `level_db` × intensity relative to the machine's RMS.
pub struct Additive<S: Source> {
    source: S,
    gain: f32,
    intensity: f32,
    scratch: Vec<f32>,
}

impl<S: Source> Additive<S> {
    pub fn new(source: S, level_db: f32, intensity: f32) -> Self {
        Self { source, gain: db_to_gain(level_db), intensity, scratch: Vec::new() }
    }
}

impl<S: Source> Transform for Additive<S> {
    fn prepare(&mut self, sample_rate: f32, max_block: usize, _channels: usize) {
        self.source.prepare(sample_rate);
        self.scratch = vec![0.0; max_block];
    }
    fn reset(&mut self) {
        self.source.reset();
    }
    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
    }
    fn process(&mut self, block: &mut Block<'_, '_>, level: &[f32]) {
        let out = &mut self.scratch[..block.len()];
        self.source.fill(out);
        let g = self.gain * self.intensity;
        for (o, l) in out.iter_mut().zip(level) {
            *o *= g * l;
        }
        block.add_to_all(out);
    }
    fn uses_level(&self) -> bool {
        true
    }
}

/// A fault that only changes gain over time (modulation, dropouts).
pub trait GainCurve: Send {
    fn prepare(&mut self, sample_rate: f32);
    fn reset(&mut self);
    /// Writes the gain for each frame at this intensity (all ones at intensity 0).
    fn fill(&mut self, gains: &mut [f32], intensity: f32);
}

/// Runs a `GainCurve` over all channels.
pub struct Modulated<G: GainCurve> {
    curve: G,
    intensity: f32,
    scratch: Vec<f32>,
}

impl<G: GainCurve> Modulated<G> {
    pub fn new(curve: G, intensity: f32) -> Self {
        Self { curve, intensity, scratch: Vec::new() }
    }
}

impl<G: GainCurve> Transform for Modulated<G> {
    fn prepare(&mut self, sample_rate: f32, max_block: usize, _channels: usize) {
        self.curve.prepare(sample_rate);
        self.scratch = vec![0.0; max_block];
    }
    fn reset(&mut self) {
        self.curve.reset();
    }
    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
    }
    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        let gains = &mut self.scratch[..block.len()];
        self.curve.fill(gains, self.intensity);
        block.scale_all(gains);
    }
}

/// The severity scale's level at intensity 1, dB: an added sound at intensity 1 carries this much
/// more energy than the machine in the band where it shows (README, "Severity scale").
pub const SCALE_TOP_DB: f32 = 12.0;

/// The clip-mean log-mel change (dB, in the band that changes most) that intensity `i` stands for
/// on the severity scale: that of an added sound whose energy goes as i², 10·log10(1 + r·i²)
/// with r = 10^(SCALE_TOP_DB/10) − 1 (12.3 dB at 1, 7.0 at 0.5, 3.0 at 0.25, 0.007 at 0.02).
pub fn scale_change_db(intensity: f32) -> f32 {
    let i = intensity.clamp(0.0, 1.0);
    10.0 * (1.0 + (10f32.powf(SCALE_TOP_DB / 10.0) - 1.0) * i * i).log10()
}

/// `scale_change_db(i) / scale_change_db(1)`: the one law by which every multiplicative fault
/// scales its change (a gain in dB, a shift, a depth) with intensity, so all functions fade to
/// nothing alike — as i² near 0 — and an additive fault (amplitude ∝ i) follows it by itself.
pub fn scale_law(intensity: f32) -> f32 {
    scale_change_db(intensity) / scale_change_db(1.0)
}

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Samples in `seconds`, at least one.
pub fn samples(seconds: f32, sample_rate: f32) -> usize {
    ((seconds * sample_rate).round() as usize).max(1)
}
