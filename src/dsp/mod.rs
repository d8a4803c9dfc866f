//! Fault DSP: one file per transform, plus the chain that runs them in order.
//!
//! Plain DSP — no plugin, plan or file types. Every transform follows the real-time shape:
//! `prepare` allocates for a sample rate, block size and channel count; `process` works in place
//! on any block up to that size without allocating; `seek` puts it where it would be at a given
//! sample of the timeline, so a seed and a position always give the same samples (`reset` is
//! `seek(0)`).
//!
//! **Timeline lock.** Every random stream and phase is a function of the plan's seed and the
//! position in samples, not of how long the transform has run: phases are computed from the
//! position; periodic events (knock, squeak bursts) sit on a grid with jitter drawn per event
//! index; Poisson events (rattle impacts, dropouts) and noise draw from a generator reseeded at
//! every `SEGMENT_SECONDS` boundary of the timeline (the Poisson process is memoryless, so this
//! changes nothing statistically). A seek rebuilds that state (fast-forwarding the event stream
//! from the previous boundary where events can outlast one); only the memory of the filters and
//! delay lines acting on the input (a few hundred ms at most) is not rebuilt. Renders of the
//! same range are therefore sample-identical, and a render started anywhere matches the same
//! range of one started earlier once that memory has passed. Multichannel audio shares timing: an impact, a dropout or
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
mod poisson;
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
        Self {
            channels,
            start,
            len,
        }
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
    /// Puts the transform where it would be at sample `position` of the timeline (see the
    /// module doc, "Timeline lock"); the memory of filters on the input starts empty. Must not
    /// allocate.
    fn seek(&mut self, position: i64);
    /// Back to the state right after `prepare`: the same seed gives the same output again.
    fn reset(&mut self) {
        self.seek(0);
    }
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
    /// The state at sample `position` of the timeline (module doc, "Timeline lock").
    fn seek(&mut self, position: i64);
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
        Self {
            source,
            gain: db_to_gain(level_db),
            intensity,
            scratch: Vec::new(),
        }
    }
}

impl<S: Source> Transform for Additive<S> {
    fn prepare(&mut self, sample_rate: f32, max_block: usize, _channels: usize) {
        self.source.prepare(sample_rate);
        self.scratch = vec![0.0; max_block];
    }
    fn seek(&mut self, position: i64) {
        self.source.seek(position);
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
    /// The state at sample `position` of the timeline at this intensity (module doc).
    fn seek(&mut self, position: i64, intensity: f32);
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
        Self {
            curve,
            intensity,
            scratch: Vec::new(),
        }
    }
}

impl<G: GainCurve> Transform for Modulated<G> {
    fn prepare(&mut self, sample_rate: f32, max_block: usize, _channels: usize) {
        self.curve.prepare(sample_rate);
        self.scratch = vec![0.0; max_block];
    }
    fn seek(&mut self, position: i64) {
        self.curve.seek(position, self.intensity);
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

/// Length of the timeline's segments, s: random event streams restart from a seed of their own
/// at every multiple of this (longer than any event, so a seek fast-forwards at most two).
pub const SEGMENT_SECONDS: f32 = 4.0;

/// The segment grid at a sample rate: its length in samples and the start of the segment
/// holding `position`.
#[derive(Clone, Copy, Debug)]
pub struct Segments {
    pub len: i64,
}

impl Segments {
    pub fn new(sample_rate: f32) -> Self {
        Self {
            len: samples(SEGMENT_SECONDS, sample_rate) as i64,
        }
    }

    pub fn start_of(&self, position: i64) -> i64 {
        position.div_euclid(self.len) * self.len
    }

    /// The seed of the segment starting at `start`.
    pub fn seed(&self, seed: u64, start: i64) -> u64 {
        derive_seed(seed, start.div_euclid(self.len) as u64)
    }
}

/// Samples until a per-sample countdown (`until -= 1`, an event when it reaches ≤ 0) fires: a
/// seek jumps there at once. Exact: subtracting whole numbers from an f32 below 2^24 rounds
/// nothing, so a jump lands on the same bits as the sample-by-sample countdown.
#[inline]
pub(crate) fn samples_to_event(until: f32) -> i64 {
    if until > 0.0 {
        (until.ceil() as i64).max(1)
    } else {
        1
    }
}

/// Runs `fill` over `n` samples into a stack buffer and drops them: a seek fast-forwarding a
/// stream whose state depends on its recent events. Allocation-free.
pub(crate) fn discard(n: i64, mut fill: impl FnMut(&mut [f32])) {
    let mut buf = [0.0f32; 256];
    let mut left = n.max(0) as usize;
    while left > 0 {
        let k = left.min(buf.len());
        fill(&mut buf[..k]);
        left -= k;
    }
}

/// A low-frequency oscillator's phase as a 32-bit fraction of a turn: the phase at sample n is
/// exactly `step · n` (wrapping), so it depends on the position alone — not on block sizes, not
/// on float rounding piling up over a long timeline — and a seek lands on the same bits.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedPhase {
    step: u32,
}

impl FixedPhase {
    const TURN: f64 = 4_294_967_296.0;

    pub fn new(rate_hz: f32, sample_rate: f32) -> Self {
        let cycles = (f64::from(rate_hz) / f64::from(sample_rate)).rem_euclid(1.0);
        Self {
            step: (cycles * Self::TURN).round() as u64 as u32,
        }
    }

    /// The phase at sample `position`, as a turn fraction.
    #[inline]
    pub fn at(&self, position: i64) -> u32 {
        self.step.wrapping_mul(position as u32)
    }

    /// One sample on.
    #[inline]
    pub fn next(&self, phase: u32) -> u32 {
        phase.wrapping_add(self.step)
    }

    /// A turn fraction in cycles, [0, 1).
    #[inline]
    pub fn cycles(phase: u32) -> f32 {
        (phase >> 8) as f32 * (1.0 / 16_777_216.0)
    }
}

/// Samples in `seconds`, at least one.
pub fn samples(seconds: f32, sample_rate: f32) -> usize {
    ((seconds * sample_rate).round() as usize).max(1)
}
