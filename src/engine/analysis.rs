//! The analysis side: reads the tapped audio, streams features, scores each vector once, averages
//! vector scores into sliding windows, labels windows from the sample tags, fills the score book,
//! and runs learn-normal mode.

use super::live::{push_history, EngineState};
use super::score_book::{ScoreBook, WindowScore};
use super::stream::FeatureStream;
use super::tap::{Tag, TapSample};
use super::Shared;
use crate::detect::{fit_model, Model, TrainConfig};
use crate::dsp::FaultChain;
use crate::features::FeatureConfig;
use crate::machine::MachineType;
use crossbeam_channel::{Receiver, Sender};
use ndarray::Array2;
use ringbuf::traits::{Consumer, Observer};
use ringbuf::HeapCons;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Learn-normal mode trains for at least this many optimizer steps: a minute of audio is only
/// ~1900 vectors (7 batches), so a fixed epoch count would leave the network untrained.
pub const LEARN_MIN_STEPS: usize = 2000;

/// Most vectors scored in one batch.
const MAX_BATCH: usize = 48;

/// Window settings.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisConfig {
    pub window_s: f64,
    pub hop_s: f64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            window_s: 1.0,
            hop_s: 0.5,
        }
    }
}

/// Requests to the analysis thread.
pub enum Command {
    SetModel(Arc<Model>),
    /// Collect this many seconds of normal (fault-off) audio, then train on it.
    Learn {
        seconds: f64,
        train: TrainConfig,
    },
    CancelLearn,
    ClearBook,
    Subscribe(Sender<WindowScore>),
    WriteReport {
        dir: PathBuf,
        extra: serde_json::Value,
        reply: Sender<std::io::Result<Vec<PathBuf>>>,
    },
    /// Replies once everything tapped before the request is analysed.
    Sync(Sender<()>),
    Stop,
}

/// A scored vector waiting for its windows.
#[derive(Clone, Copy)]
struct VectorScore {
    centre: u64,
    mse: f64,
    mahalanobis: f64,
}

struct Learning {
    target: usize,
    /// Feature vectors per second of audio (to say progress in seconds).
    frames_per_s: f64,
    data: Vec<f32>,
    train: TrainConfig,
    machines: Vec<&'static str>,
    /// The last batch held only fault-on audio: learning waits for Fault off.
    waiting: bool,
    /// The status last shown, as (whole seconds collected, waiting), to update it only on change.
    shown: (usize, bool),
}

/// The learning status line: seconds of fault-off audio collected, and whether it waits.
fn learning_status(learning: &Learning, have: usize) -> String {
    let got = have as f64 / learning.frames_per_s;
    let want = learning.target as f64 / learning.frames_per_s;
    if learning.waiting {
        format!("learning waits for Fault off: {got:.0} of {want:.0} s of normal audio so far (fault-on audio is not learned)")
    } else {
        format!("learning normal: {got:.0} of {want:.0} s of fault-off audio")
    }
}

pub struct Analyzer {
    shared: Arc<Shared>,
    tap: HeapCons<TapSample>,
    returned: HeapCons<Box<FaultChain>>,
    commands: Receiver<Command>,
    commands_tx: Sender<Command>,
    config: AnalysisConfig,
    stream: FeatureStream,
    model: Option<Arc<Model>>,
    book: ScoreBook,
    learning: Option<Learning>,
    subscribers: Vec<Sender<WindowScore>>,
    read_buf: Vec<TapSample>,
    samples: Vec<f32>,
    /// Vectors waiting to be scored, as rows.
    batch: Vec<f32>,
    batch_index: Vec<u64>,
    scored: VecDeque<VectorScore>,
    /// Tag changes as (feature-rate position, tag).
    tags: VecDeque<(f64, Tag)>,
    /// Input samples since the current segment began (a segment ends at a gap).
    segment_samples: u64,
    /// Stream seconds before the current segment.
    segment_start_s: f64,
    next_window: u64,
    window_count: u64,
    /// The book version the last `publish` showed.
    published: u64,
    /// The tap was drained unanalysed (no model, not learning) since the segment began.
    idle: bool,
    stopped: bool,
}

impl Analyzer {
    pub(super) fn new(
        shared: Arc<Shared>,
        tap: HeapCons<TapSample>,
        returned: HeapCons<Box<FaultChain>>,
        commands: Receiver<Command>,
        commands_tx: Sender<Command>,
        config: AnalysisConfig,
    ) -> Self {
        let rate = shared.sample_rate();
        Self {
            stream: FeatureStream::new(FeatureConfig::default(), rate),
            shared,
            tap,
            returned,
            commands,
            commands_tx,
            config,
            model: None,
            book: ScoreBook::new(),
            learning: None,
            subscribers: Vec::new(),
            read_buf: vec![TapSample::default(); 8192],
            samples: Vec::with_capacity(8192),
            batch: Vec::new(),
            batch_index: Vec::new(),
            scored: VecDeque::new(),
            tags: VecDeque::new(),
            segment_samples: 0,
            segment_start_s: 0.0,
            next_window: 0,
            window_count: 0,
            published: u64::MAX,
            idle: false,
            stopped: false,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    pub fn book(&self) -> &ScoreBook {
        &self.book
    }

    /// The thread body: waits for commands or audio until told to stop.
    pub(super) fn run(mut self) {
        while !self.stopped {
            match self
                .commands
                .recv_timeout(std::time::Duration::from_millis(5))
            {
                Ok(cmd) => self.handle(cmd),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => self.stopped = true,
            }
            self.pump();
        }
        self.shared.live.set_state(EngineState::Stopped);
    }

    /// Handles pending commands and analyses everything tapped so far.
    pub fn pump(&mut self) {
        while let Ok(cmd) = self.commands.try_recv() {
            self.handle(cmd);
        }
        self.drain_tap();
    }

    /// Analyses everything tapped so far.
    fn drain_tap(&mut self) {
        // Returned chains are dropped here, off the audio thread.
        while self.returned.try_pop().is_some() {}
        if self.model.is_none() && self.learning.is_none() {
            self.skip_tap();
            return;
        }
        if self.idle {
            // Audio that arrived with nothing to do was dropped unanalysed: what comes now is a
            // new segment (new padding and resampler state), its times continuing the stream's.
            self.idle = false;
            self.restart_segment();
        }
        let mut any = false;
        loop {
            let n = self.tap.pop_slice(&mut self.read_buf);
            if n == 0 {
                break;
            }
            any = true;
            let mut start = 0;
            for i in 0..n {
                if self.read_buf[i].tag.gap() && i > start {
                    self.consume(start, i);
                    self.score_due(true);
                    start = i;
                }
                if self.read_buf[i].tag.gap() {
                    self.restart_segment();
                }
            }
            self.consume(start, n);
            if self.tap.is_empty() {
                break;
            }
        }
        if any {
            self.score_due(false);
            // The summary (AUCs over every window so far) is rebuilt only when the book changed.
            if self.book.version() != self.published {
                self.publish();
            }
        }
    }

    /// With no model and no learning nothing reads the features, so the tapped audio is only
    /// counted (for the stream's clock), not resampled and analysed: an instance that scores
    /// nothing costs no CPU beside the audio thread's.
    fn skip_tap(&mut self) {
        loop {
            let n = self.tap.pop_slice(&mut self.read_buf);
            if n == 0 {
                break;
            }
            let mut start = 0;
            for i in 0..n {
                if self.read_buf[i].tag.gap() {
                    self.segment_samples += (i - start) as u64;
                    start = i;
                    self.restart_segment();
                }
            }
            self.segment_samples += (n - start) as u64;
            self.idle = true;
        }
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::SetModel(model) => self.set_model(model),
            Command::Learn { seconds, train } => {
                let frames_per_s =
                    self.stream.config().sample_rate as f64 / self.stream.config().hop as f64;
                let target = ((seconds * frames_per_s) as usize).max(64);
                self.learning = Some(Learning {
                    target,
                    frames_per_s,
                    data: Vec::new(),
                    train,
                    machines: Vec::new(),
                    waiting: false,
                    shown: (0, false),
                });
                self.shared.live.progress.store(0.0, Ordering::Relaxed);
                self.shared.live.set_state(EngineState::Learning);
                self.set_status(format!(
                    "learning normal: 0 of {seconds:.0} s of fault-off audio"
                ));
            }
            Command::CancelLearn => {
                self.learning = None;
                self.shared.live.set_state(if self.model.is_some() {
                    EngineState::Scoring
                } else {
                    EngineState::NoModel
                });
                self.set_status("learning cancelled".into());
            }
            Command::ClearBook => {
                self.book.restart();
                self.publish();
            }
            Command::Subscribe(tx) => self.subscribers.push(tx),
            Command::WriteReport { dir, extra, reply } => {
                let _ = reply.send(self.book.write_report(
                    &dir,
                    &extra,
                    self.shared.live.dropped(),
                ));
            }
            Command::Sync(reply) => {
                self.drain_tap();
                let _ = reply.send(());
            }
            Command::Stop => {
                self.drain_tap();
                self.stopped = true;
            }
        }
    }

    fn set_model(&mut self, model: Arc<Model>) {
        if model.features != *self.stream.config() {
            self.stream = FeatureStream::new(model.features.clone(), self.stream.input_rate());
            self.restart_segment();
        }
        self.model = Some(model.clone());
        *self.shared.model.lock().unwrap_or_else(|e| e.into_inner()) = Some(model);
        self.book.restart();
        self.scored.clear();
        if self.learning.is_none() {
            self.shared.live.set_state(EngineState::Scoring);
        }
        self.set_status("model ready".into());
        self.publish();
    }

    fn set_status(&self, s: String) {
        self.shared.live.with_detail(|d| d.status = s);
    }

    /// A gap: the stream restarts (new padding and resampler state); unfinished windows are lost.
    fn restart_segment(&mut self) {
        let rate = self.shared.sample_rate();
        self.segment_start_s += self.segment_samples as f64 / self.stream.input_rate() as f64;
        if self.next_window > 0 || !self.scored.is_empty() {
            self.book.discard();
        }
        self.stream = FeatureStream::new(self.stream.config().clone(), rate);
        self.segment_samples = 0;
        self.scored.clear();
        self.tags.clear();
        self.batch.clear();
        self.batch_index.clear();
        self.next_window = 0;
    }

    /// Analyses `read_buf[a..b]`, all of one segment.
    fn consume(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let ratio = self.stream.config().sample_rate as f64 / self.stream.input_rate() as f64;
        self.samples.clear();
        for (k, s) in self.read_buf[a..b].iter().enumerate() {
            let tag = s.tag.label();
            if self.tags.back().is_none_or(|(_, t)| *t != tag) {
                self.tags
                    .push_back(((self.segment_samples + k as u64) as f64 * ratio, tag));
            }
            self.samples.push(s.value);
        }
        self.segment_samples += (b - a) as u64;
        let (batch, index) = (&mut self.batch, &mut self.batch_index);
        let samples = std::mem::take(&mut self.samples);
        self.stream.push(&samples, |i, v| {
            batch.extend_from_slice(v);
            index.push(i);
        });
        self.samples = samples;
        if self.batch_index.len() >= MAX_BATCH {
            self.score_batch();
            self.emit_windows();
        }
    }

    /// Scores the waiting vectors once a window needs them (or `force`). Vectors go through the
    /// network in batches: a matrix product over many rows costs little more than over one.
    fn score_due(&mut self, force: bool) {
        let window_end = self.next_window * self.hop_len() + self.window_len();
        let due = self
            .batch_index
            .last()
            .is_some_and(|&i| self.stream.vector_centre(i) >= window_end);
        if due || (force && !self.batch_index.is_empty()) {
            self.score_batch();
            self.emit_windows();
        }
    }

    fn window_len(&self) -> u64 {
        (self.config.window_s * self.stream.config().sample_rate as f64)
            .round()
            .max(1.0) as u64
    }

    fn hop_len(&self) -> u64 {
        (self.config.hop_s * self.stream.config().sample_rate as f64)
            .round()
            .max(1.0) as u64
    }

    fn score_batch(&mut self) {
        if self.batch_index.is_empty() {
            return;
        }
        let dims = self.stream.config().dims();
        let rows = Array2::from_shape_vec(
            (self.batch_index.len(), dims),
            std::mem::take(&mut self.batch),
        )
        .expect("whole vectors");
        // A learned vector must hold no fault-on audio at all: its whole extent, widened by the
        // fault ramp and the crossfade, lies inside one fault-off span (a switch's tail would
        // otherwise be learned as normal).
        let guard = self.vector_margin()
            + ((super::RAMP_SECONDS + super::CROSSFADE_SECONDS)
                * self.stream.config().sample_rate as f32) as f64;
        if let Some(learning) = self.learning.as_mut() {
            let mut normal = 0usize;
            for (row, &i) in rows.rows().into_iter().zip(&self.batch_index) {
                let centre = self.stream.vector_centre(i) as f64;
                let tag = label_of(&self.tags, centre - guard, centre + guard);
                if let Some(tag) = tag.filter(|t| !t.fault()) {
                    normal += 1;
                    learning.data.extend(row.iter());
                    let name = machine_name(tag);
                    if !learning.machines.contains(&name) {
                        learning.machines.push(name);
                    }
                }
            }
            // Fault-on audio is never learned as normal: say so instead of a bar that stalls.
            learning.waiting = normal == 0;
        }
        let scores = self.model.as_ref().map(|m| m.score_rows(rows.view()));
        for (k, &i) in self.batch_index.iter().enumerate() {
            let (mse, mahalanobis) = scores.as_ref().map_or((f64::NAN, f64::NAN), |s| s[k]);
            self.scored.push_back(VectorScore {
                centre: self.stream.vector_centre(i),
                mse,
                mahalanobis,
            });
        }
        self.batch = rows.into_raw_vec_and_offset().0;
        self.batch.clear();
        self.batch_index.clear();
        self.advance_learning();
    }

    fn advance_learning(&mut self) {
        let dims = self.stream.config().dims();
        let Some(learning) = self.learning.as_ref() else {
            return;
        };
        let have = learning.data.len() / dims;
        let progress = (have as f32 / learning.target as f32).min(1.0);
        self.shared.live.progress.store(progress, Ordering::Relaxed);
        if have < learning.target {
            let shown = (
                (have as f64 / learning.frames_per_s) as usize,
                learning.waiting,
            );
            if shown != learning.shown {
                let status = learning_status(learning, have);
                self.learning.as_mut().expect("checked").shown = shown;
                self.set_status(status);
            }
            return;
        }
        let learning = self.learning.take().expect("checked");
        self.shared.live.set_state(EngineState::Training);
        let shared = self.shared.clone();
        let commands = self.commands_tx.clone();
        let features = self.stream.config().clone();
        std::thread::Builder::new()
            .name("faultline-learn".into())
            .spawn(move || {
                let data =
                    Array2::from_shape_vec((learning.data.len() / dims, dims), learning.data)
                        .expect("whole vectors");
                let mut train = learning.train;
                let steps_per_epoch = (data.nrows() as f32 * (1.0 - train.validation_split)
                    / train.batch_size as f32)
                    .ceil()
                    .max(1.0) as usize;
                train.epochs = train.epochs.max(LEARN_MIN_STEPS.div_ceil(steps_per_epoch));
                // One thread: a training team spins between meetings, on the core the audio
                // thread may need.
                train.threads = 1;
                let epochs = train.epochs;
                let machines = learning.machines.iter().map(|m| m.to_string()).collect();
                let model = fit_model(data.view(), features, &train, machines, 0, |e| {
                    shared.live.progress.store(
                        (e.epoch + 1) as f32 / epochs.max(1) as f32,
                        Ordering::Relaxed,
                    );
                    shared.live.with_detail(|d| {
                        d.status = format!(
                            "training: epoch {}/{epochs}, loss {:.2}, validation {:.2}",
                            e.epoch + 1,
                            e.loss,
                            e.val_loss
                        )
                    });
                });
                let _ = commands.send(Command::SetModel(Arc::new(model)));
            })
            .expect("spawn the training thread");
    }

    /// How far a vector's audio reaches from its centre (feature-rate samples), plus a little.
    fn vector_margin(&self) -> f64 {
        let c = self.stream.config();
        (c.frames / 2 * c.hop + c.n_fft / 2) as f64 + 64.0
    }

    /// Emits every window whose vectors are all in.
    fn emit_windows(&mut self) {
        let rate = self.stream.config().sample_rate as f64;
        let (len, hop) = (self.window_len(), self.hop_len());
        let margin = self.vector_margin();
        while let Some(last) = self.scored.back() {
            let start = self.next_window * hop;
            let end = start + len;
            if last.centre < end {
                break;
            }
            let (mut n, mut mse, mut maha) = (0usize, 0.0, 0.0);
            for v in self
                .scored
                .iter()
                .filter(|v| v.centre >= start && v.centre < end)
            {
                n += 1;
                mse += v.mse;
                maha += v.mahalanobis;
            }
            let tag = label_of(&self.tags, start as f64 - margin, end as f64 + margin);
            if n > 0 && mse.is_finite() {
                match tag {
                    Some(tag) => {
                        let w = WindowScore {
                            index: self.window_count,
                            start_s: self.segment_start_s + start as f64 / rate,
                            machine: machine_name(tag),
                            fault: tag.fault(),
                            mse: mse / n as f64,
                            mahalanobis: maha / n as f64,
                            above_mse: false,
                            above_mahalanobis: false,
                        };
                        self.window_count += 1;
                        let w = self.book.add(w);
                        self.shared.live.latest_mse.store(w.mse, Ordering::Relaxed);
                        self.shared
                            .live
                            .latest_mahalanobis
                            .store(w.mahalanobis, Ordering::Relaxed);
                        self.shared.live.windows.fetch_add(1, Ordering::Relaxed);
                        self.subscribers.retain(|s| s.send(w.clone()).is_ok());
                        self.shared
                            .live
                            .with_detail(|d| push_history(&mut d.history, w));
                    }
                    None => self.book.discard(),
                }
            }
            self.next_window += 1;
            let next_start = self.next_window * hop;
            while self.scored.front().is_some_and(|v| v.centre < next_start) {
                self.scored.pop_front();
            }
            while self.tags.len() > 1 && self.tags[1].0 <= next_start as f64 - margin {
                self.tags.pop_front();
            }
        }
    }

    fn publish(&mut self) {
        let summary = self.book.summary(self.shared.live.dropped());
        self.shared.live.with_detail(|d| d.book = summary);
        self.published = self.book.version();
    }
}

fn machine_name(tag: Tag) -> &'static str {
    MachineType::ALL[tag.machine().min(MachineType::ALL.len() - 1)].name()
}

/// The tag in force at feature-rate position `pos`.
fn tag_at(tags: &VecDeque<(f64, Tag)>, pos: f64) -> Tag {
    tags.iter()
        .take_while(|(p, _)| *p <= pos)
        .last()
        .or(tags.front())
        .map_or(Tag::default(), |(_, t)| *t)
}

/// The one tag over `[lo, hi)`, or `None` when it changes inside.
fn label_of(tags: &VecDeque<(f64, Tag)>, lo: f64, hi: f64) -> Option<Tag> {
    let first = tag_at(tags, lo);
    tags.iter()
        .filter(|(p, _)| *p > lo && *p < hi)
        .all(|(_, t)| *t == first)
        .then_some(first)
}
