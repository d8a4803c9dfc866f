//! The audio side: applies the current fault chain with ramped controls, crossfades to a new
//! chain when one arrives, and taps the result for analysis. Nothing here allocates, locks or
//! blocks once `prepare` has run.

use super::controls::Ramp;
use super::tap::{Tag, TapSample};
use super::Shared;
use crate::dsp::{sanitize, FaultChain};
use ringbuf::traits::{Consumer, Observer, Producer};
use ringbuf::{HeapCons, HeapProd};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Most channels a processor handles (more pass through untouched).
pub const MAX_CHANNELS: usize = 32;
/// Controls ramp over this long: short enough to feel immediate, long enough not to click.
pub const RAMP_SECONDS: f32 = 0.01;
/// A new chain fades in over this long.
pub const CROSSFADE_SECONDS: f32 = 0.02;
/// While the intensity ramps the chain runs in sub-blocks this long, each at one intensity.
const INTENSITY_STEP: usize = 32;

/// `range` of each planar buffer as the `&mut [&mut [f32]]` that `process` methods take, without
/// allocating (the array lives on the stack; use its first `bufs.len()` entries).
pub fn channel_slices(
    bufs: &mut [Vec<f32>],
    range: std::ops::Range<usize>,
) -> [&mut [f32]; MAX_CHANNELS] {
    let mut refs: [&mut [f32]; MAX_CHANNELS] = Default::default();
    for (r, buf) in refs.iter_mut().zip(bufs.iter_mut()) {
        *r = &mut buf[range.clone()];
    }
    refs
}

pub struct Processor {
    shared: Arc<Shared>,
    chains_in: HeapCons<Box<FaultChain>>,
    chains_out: HeapProd<Box<FaultChain>>,
    tap: HeapProd<TapSample>,
    current: Option<Box<FaultChain>>,
    incoming: Option<Box<FaultChain>>,
    /// Chains waiting for room in the return queue (never dropped here).
    retiring: [Option<Box<FaultChain>>; 3],
    crossfade_pos: usize,
    crossfade_len: usize,
    intensity: Ramp,
    wet_gain: Ramp,
    dry: Vec<Vec<f32>>,
    wet: Vec<Vec<f32>>,
    wet_incoming: Vec<Vec<f32>>,
    gain: Vec<f32>,
    tap_buf: Vec<TapSample>,
    gap_pending: bool,
    /// Timeline position of the next sample (see `seek`); runs on while bypassed.
    position: i64,
    /// The chains were paused by a bypass and must seek back to `position` when they resume.
    chains_paused: bool,
    sample_rate: f32,
    max_block: usize,
    channels: usize,
}

impl Processor {
    pub(super) fn new(
        shared: Arc<Shared>,
        chains_in: HeapCons<Box<FaultChain>>,
        chains_out: HeapProd<Box<FaultChain>>,
        tap: HeapProd<TapSample>,
    ) -> Self {
        Self {
            shared,
            chains_in,
            chains_out,
            tap,
            current: None,
            incoming: None,
            retiring: [None, None, None],
            crossfade_pos: 0,
            crossfade_len: 1,
            intensity: Ramp::new(1.0, 1),
            wet_gain: Ramp::new(0.0, 1),
            dry: Vec::new(),
            wet: Vec::new(),
            wet_incoming: Vec::new(),
            gain: Vec::new(),
            tap_buf: Vec::new(),
            gap_pending: true,
            position: 0,
            chains_paused: false,
            sample_rate: 0.0,
            max_block: 0,
            channels: 0,
        }
    }

    /// Allocates for a stream format and installs `chain` (already prepared for it, see
    /// `EngineHandle::prepare_processor`). The only method that allocates.
    pub(super) fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
        chain: Option<FaultChain>,
    ) {
        let max_block = max_block.max(1);
        let channels = channels.clamp(1, MAX_CHANNELS);
        self.sample_rate = sample_rate;
        self.max_block = max_block;
        self.channels = channels;
        self.dry = vec![vec![0.0; max_block]; channels];
        self.wet = vec![vec![0.0; max_block]; channels];
        self.wet_incoming = vec![vec![0.0; max_block]; channels];
        self.gain = vec![0.0; max_block];
        self.tap_buf = vec![TapSample::default(); max_block];
        let ramp = (RAMP_SECONDS * sample_rate).round() as u32;
        let values = self.shared.controls.snapshot();
        self.intensity = Ramp::new(values.intensity, ramp);
        self.wet_gain = Ramp::new(values.wet_gain(), ramp);
        self.crossfade_len = ((CROSSFADE_SECONDS * sample_rate).round() as usize).max(1);
        // Not the audio thread: old chains may be dropped right here, queued ones too (the
        // chain passed in is built from the newest plan).
        while self.chains_in.try_pop().is_some() {}
        self.incoming = None;
        self.current = None;
        self.retiring = [None, None, None];
        self.current = chain.map(|mut c| {
            c.set_intensity_scale(values.intensity);
            Box::new(c)
        });
        self.gap_pending = true;
        self.position = 0;
        self.chains_paused = false;
    }

    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub fn controls(&self) -> &super::Controls {
        &self.shared.controls
    }

    /// Samples waiting in the analysis queue (a faster-than-real-time driver keeps this small
    /// instead of dropping, so analysis follows closely).
    pub fn tap_backlog(&self) -> usize {
        self.tap.occupied_len()
    }

    /// The analysis side's state (a driver waits while a learned model trains).
    pub fn engine_state(&self) -> super::EngineState {
        self.shared.live.state()
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Back to the start: chains at position 0, ramps at their targets.
    pub fn reset(&mut self) {
        self.seek(0);
    }

    /// Moves to sample `position` of the timeline (a host's transport start or jump): every
    /// chain seeks there (`dsp` module doc, "Timeline lock"), ramps jump to their targets.
    /// Allocation-free; costs a few ms at most (event streams fast-forward within a segment).
    pub fn seek(&mut self, position: i64) {
        self.position = position;
        self.chains_paused = false;
        for c in [&mut self.current, &mut self.incoming]
            .into_iter()
            .flatten()
        {
            c.seek(position);
        }
        if let Some(next) = self.incoming.take() {
            self.finish_crossfade(next);
        }
        let values = self.shared.controls.snapshot();
        self.intensity.reset(values.intensity);
        self.wet_gain.reset(values.wet_gain());
        self.gap_pending = true;
    }

    /// Processes equally long channel buffers in place, any length. Channels past the prepared
    /// count pass through. Output is finite whatever the input.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        assert!(self.max_block > 0, "Processor::process before prepare");
        let used = channels.len().min(self.channels);
        let Some(len) = channels[..used].iter().map(|c| c.len()).min() else {
            return;
        };
        let mut start = 0;
        while start < len {
            let n = (len - start).min(self.max_block);
            self.process_block(&mut channels[..used], start, n);
            start += n;
        }
    }

    fn process_block(&mut self, io: &mut [&mut [f32]], start: usize, n: usize) {
        let values = self.shared.controls.snapshot();
        self.flush_retiring();
        self.receive_chain();
        let nch = io.len();
        let mut peak = 0.0f32;
        for (ch, dry) in io.iter().zip(&mut self.dry) {
            for (d, x) in dry[..n].iter_mut().zip(&ch[start..start + n]) {
                *d = sanitize(*x);
                peak = peak.max(d.abs());
            }
        }
        self.shared
            .live
            .input_peak
            .fetch_max(peak, Ordering::Relaxed);

        self.intensity.set_target(values.intensity);
        self.wet_gain.set_target(values.wet_gain());
        let silent_wet =
            values.bypass && !self.wet_gain.is_ramping() && self.wet_gain.value() == 0.0;
        if silent_wet {
            // Bypassed: the chains pause and cost nothing; they seek back to the timeline when
            // they resume.
            self.intensity.advance(n as u32);
            self.chains_paused = true;
        } else {
            if self.chains_paused {
                let position = self.position;
                for c in [&mut self.current, &mut self.incoming]
                    .into_iter()
                    .flatten()
                {
                    c.seek(position);
                }
                self.chains_paused = false;
            }
            self.run_chains(nch, n);
        }
        self.position += n as i64;
        self.wet_gain.fill(&mut self.gain[..n]);

        let inv = 1.0 / nch as f32;
        let label = Tag::new(
            values.machine,
            values.wet_gain() > 0.0 && values.intensity > 0.0,
        );
        for t in &mut self.tap_buf[..n] {
            *t = TapSample {
                value: 0.0,
                tag: label,
            };
        }
        for ((ch, dry), wet) in io.iter_mut().zip(&self.dry).zip(&self.wet) {
            let out = &mut ch[start..start + n];
            for i in 0..n {
                let g = self.gain[i];
                // dry·(1−g) + wet·g: exactly dry at 0 and exactly wet at 1.
                let y = if silent_wet {
                    dry[i]
                } else {
                    dry[i] * (1.0 - g) + wet[i] * g
                };
                let y = if y.is_finite() { y } else { 0.0 };
                out[i] = y;
                self.tap_buf[i].value += y * inv;
            }
        }
        self.send_tap(n);
    }

    /// Runs the current (and incoming) chain over copies of the dry signal into `wet`.
    fn run_chains(&mut self, nch: usize, n: usize) {
        for (w, d) in self.wet[..nch].iter_mut().zip(&self.dry) {
            w[..n].copy_from_slice(&d[..n]);
        }
        if self.incoming.is_some() {
            for (w, d) in self.wet_incoming[..nch].iter_mut().zip(&self.dry) {
                w[..n].copy_from_slice(&d[..n]);
            }
        }
        let step = if self.intensity.is_ramping() {
            INTENSITY_STEP
        } else {
            n
        };
        let mut a = 0;
        while a < n {
            let b = (a + step).min(n);
            let scale = if self.intensity.is_ramping() {
                self.intensity.advance((b - a) as u32)
            } else {
                self.intensity.value()
            };
            for (chain, bufs) in [
                (&mut self.current, &mut self.wet),
                (&mut self.incoming, &mut self.wet_incoming),
            ] {
                if let Some(chain) = chain {
                    if chain.intensity_scale() != scale {
                        chain.set_intensity_scale(scale);
                    }
                    chain.process(&mut channel_slices(&mut bufs[..nch], a..b)[..nch]);
                }
            }
            a = b;
        }
        if self.incoming.is_some() {
            let len = self.crossfade_len;
            for (w, next) in self.wet[..nch].iter_mut().zip(&self.wet_incoming) {
                for i in 0..n {
                    let x = ((self.crossfade_pos + i + 1) as f32 / len as f32).min(1.0);
                    w[i] = w[i] * (1.0 - x) + next[i] * x;
                }
            }
            self.crossfade_pos += n;
            if self.crossfade_pos >= len {
                let next = self.incoming.take().expect("checked above");
                self.finish_crossfade(next);
            }
        }
    }

    fn finish_crossfade(&mut self, next: Box<FaultChain>) {
        self.shared
            .live
            .installed_chains
            .fetch_add(1, Ordering::Relaxed);
        if let Some(old) = self.current.replace(next) {
            self.retire(old);
        }
    }

    /// Takes a new chain from the queue unless a crossfade or a return is still pending.
    fn receive_chain(&mut self) {
        if self.incoming.is_some() || self.retiring.iter().any(Option::is_some) {
            return;
        }
        let Some(mut chain) = self.chains_in.try_pop() else {
            return;
        };
        let fits = chain.is_prepared()
            && chain.sample_rate() == self.sample_rate
            && chain.max_block() >= self.max_block
            && chain.channels() >= self.channels;
        if !fits {
            // Prepared for another stream format (a race with `prepare`): hand it back.
            self.shared
                .live
                .rejected_chains
                .fetch_add(1, Ordering::Relaxed);
            self.retire(chain);
            return;
        }
        chain.set_intensity_scale(self.intensity.value());
        // A new plan joins the timeline where it is.
        chain.seek(self.position);
        self.incoming = Some(chain);
        self.crossfade_pos = 0;
    }

    /// Hands a chain back to be dropped off the audio thread; keeps it if the queue is full.
    fn retire(&mut self, chain: Box<FaultChain>) {
        if let Err(chain) = self.chains_out.try_push(chain) {
            // At most three chains are ever in hand (current, incoming, one returned), so a
            // free slot always exists.
            let slot = self
                .retiring
                .iter_mut()
                .find(|s| s.is_none())
                .expect("a free retiring slot");
            *slot = Some(chain);
        }
    }

    fn flush_retiring(&mut self) {
        for slot in &mut self.retiring {
            if let Some(chain) = slot.take() {
                if let Err(chain) = self.chains_out.try_push(chain) {
                    *slot = Some(chain);
                }
            }
        }
    }

    fn send_tap(&mut self, n: usize) {
        if self.gap_pending {
            self.tap_buf[0].tag = self.tap_buf[0].tag.with_gap();
        }
        let pushed = self.tap.push_slice(&self.tap_buf[..n]);
        if pushed < n {
            self.shared
                .live
                .dropped_samples
                .fetch_add((n - pushed) as u64, Ordering::Relaxed);
            self.gap_pending = true;
        } else {
            self.gap_pending = false;
        }
        if pushed > 0 {
            self.shared
                .live
                .tapped_samples
                .fetch_add(pushed as u64, Ordering::Relaxed);
        }
    }
}
