//! The real-time engine the plugin and the monitor both wrap.
//!
//! ```text
//!  control threads ──atomics──▶ Processor (audio thread) ──ringbuf: tagged mono──▶ Analyzer thread
//!  EngineHandle ──ringbuf: new chains──▶   │  ◀──ringbuf: old chains (dropped by the Analyzer)
//!  EngineHandle ──crossbeam: commands─────────────────────────────────────────▶ │
//!  readers ◀── Live (atomics + detail mutex) ◀──────────────────────────────────┘
//! ```
//!
//! The audio thread only touches atomics and the three SPSC queues; everything that allocates
//! (building chains, features, scoring, training, reports) happens elsewhere.

mod analysis;
mod controls;
mod gamma;
mod live;
mod processor;
mod score_book;
mod stream;
mod tap;
#[cfg(test)]
mod tests;

pub use analysis::{AnalysisConfig, Analyzer, Command};
pub use controls::{ControlValues, Controls, Ramp};
pub use gamma::Gamma;
pub use live::{EngineState, Live, LiveDetail, HISTORY};
pub use processor::{channel_slices, Processor, CROSSFADE_SECONDS, MAX_CHANNELS, RAMP_SECONDS};
pub use score_book::{BookSummary, MachineSummary, ScoreBook, WindowScore};
pub use stream::FeatureStream;
pub use tap::{Tag, TapSample};

use crate::detect::{Model, TrainConfig};
use crate::dsp::FaultChain;
use crate::plan::FaultPlan;
use atomic_float::AtomicF32;
use crossbeam_channel::Sender;
use ringbuf::traits::{Producer, Split};
use ringbuf::{HeapProd, HeapRb};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Seconds of audio the analysis queue holds at the highest sample rate before samples drop.
pub const TAP_SECONDS: usize = 4;
const TAP_CAPACITY: usize = 192_000 * TAP_SECONDS;

/// State shared by the processor, the analyzer and the handle.
#[derive(Debug, Default)]
pub struct Shared {
    pub controls: Controls,
    pub live: Live,
    /// The processor's sample rate (written in `prepare`, read by the analyzer at a gap).
    sample_rate: AtomicF32,
    /// The stream format chains are prepared for: (sample rate, max block, channels).
    format: Mutex<Option<(f32, usize, usize)>>,
    model: Mutex<Option<Arc<Model>>>,
}

impl Shared {
    fn sample_rate(&self) -> u32 {
        let sr = self.sample_rate.load(Ordering::Acquire);
        if sr >= 1.0 {
            sr.round() as u32
        } else {
            48_000
        }
    }
}

/// Builds the engine: the audio-side processor, the handle for control threads, and the
/// analyzer (run it with `EngineHandle::spawn_analysis`, or drive it by hand with `pump`).
pub fn build(config: AnalysisConfig) -> (Processor, EngineHandle, Analyzer) {
    let shared = Arc::new(Shared::default());
    let (chain_tx, chain_rx) = HeapRb::<Box<FaultChain>>::new(4).split();
    let (retire_tx, retire_rx) = HeapRb::<Box<FaultChain>>::new(8).split();
    let (tap_tx, tap_rx) = HeapRb::<TapSample>::new(TAP_CAPACITY).split();
    let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
    let processor = Processor::new(shared.clone(), chain_rx, retire_tx, tap_tx);
    let analyzer = Analyzer::new(
        shared.clone(),
        tap_rx,
        retire_rx,
        cmd_rx,
        cmd_tx.clone(),
        config,
    );
    let handle = EngineHandle {
        shared,
        chains: Mutex::new(chain_tx),
        plan: Mutex::new(None),
        commands: cmd_tx,
        thread: None,
    };
    (processor, handle, analyzer)
}

/// Builds the engine with its analysis thread running.
pub fn start(config: AnalysisConfig) -> (Processor, EngineHandle) {
    let (processor, mut handle, analyzer) = build(config);
    handle.spawn_analysis(analyzer);
    (processor, handle)
}

/// The control side: plans, models, learn mode, reports, live values. `Sync`, for any
/// non-audio thread.
pub struct EngineHandle {
    shared: Arc<Shared>,
    chains: Mutex<HeapProd<Box<FaultChain>>>,
    plan: Mutex<Option<FaultPlan>>,
    commands: Sender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EngineHandle {
    pub fn spawn_analysis(&mut self, analyzer: Analyzer) {
        let thread = std::thread::Builder::new()
            .name("faultline-analysis".into())
            .spawn(move || analyzer.run())
            .expect("spawn the analysis thread");
        self.thread = Some(thread);
    }

    pub fn controls(&self) -> &Controls {
        &self.shared.controls
    }

    pub fn live(&self) -> &Live {
        &self.shared.live
    }

    /// Allocates the processor for a stream format and installs the current plan's chain.
    /// Call from a non-audio context (a plugin's `activate`, a monitor's set-up).
    pub fn prepare_processor(
        &self,
        processor: &mut Processor,
        sample_rate: f32,
        max_block: usize,
        channels: usize,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            sample_rate.is_finite() && (1000.0..=768_000.0).contains(&sample_rate),
            "unsupported sample rate {sample_rate}"
        );
        let channels = channels.clamp(1, MAX_CHANNELS);
        *self.shared.format.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((sample_rate, max_block.max(1), channels));
        // A plan that no longer builds (a state saved by another version, a hand-edited file)
        // must not stop the host from activating: the audio passes through and the error shows.
        let chain = match self.plan().map(|plan| self.prepared_chain(&plan)) {
            Some(Ok(chain)) => Some(chain),
            Some(Err(e)) => {
                self.report_error(format!(
                    "the saved plan cannot be used, audio passes through: {e:#}"
                ));
                None
            }
            None => None,
        };
        self.shared
            .sample_rate
            .store(sample_rate, Ordering::Release);
        processor.prepare(sample_rate, max_block, channels, chain);
        Ok(())
    }

    fn prepared_chain(&self, plan: &FaultPlan) -> anyhow::Result<FaultChain> {
        let mut chain = plan.chain()?;
        if let Some((sr, block, ch)) = *self.shared.format.lock().unwrap_or_else(|e| e.into_inner())
        {
            chain.prepare(sr, block, ch);
        }
        Ok(chain)
    }

    /// Switches to a new plan: its chain is built and prepared here, then crossfaded in by the
    /// audio thread. Errors (an invalid plan, a full queue) leave the current chain playing.
    pub fn set_plan(&self, plan: FaultPlan) -> anyhow::Result<()> {
        let chain = self.prepared_chain(&plan)?;
        self.push_chain(chain)?;
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = Some(plan);
        Ok(())
    }

    /// Back to the dry signal: an empty chain is crossfaded in (a project state without a plan
    /// loaded while a plan plays), and the next `prepare_processor` installs none.
    pub fn clear_plan(&self) -> anyhow::Result<()> {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let mut chain = FaultChain::new(Vec::new());
        if let Some((sr, block, ch)) = *self.shared.format.lock().unwrap_or_else(|e| e.into_inner())
        {
            chain.prepare(sr, block, ch);
        }
        self.push_chain(chain)
    }

    /// Hands a prepared chain to the audio thread for a crossfade (an unprepared one — the
    /// processor is not active yet — is dropped: `prepare_processor` builds from the plan).
    fn push_chain(&self, chain: FaultChain) -> anyhow::Result<()> {
        if chain.is_prepared() {
            let mut tx = self.chains.lock().unwrap_or_else(|e| e.into_inner());
            // The audio thread takes one chain per crossfade; wait briefly for room.
            let mut chain = Box::new(chain);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            loop {
                match tx.try_push(chain) {
                    Ok(()) => break,
                    Err(back) if std::time::Instant::now() < deadline => {
                        chain = back;
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    Err(_) => {
                        anyhow::bail!("the audio thread is not taking new chains (is it running?)")
                    }
                }
            }
        }
        Ok(())
    }

    /// Records the plan without sending a chain: the next `prepare_processor` installs it (a
    /// plugin restoring its state before activation).
    pub fn store_plan(&self, plan: Option<FaultPlan>) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    pub fn plan(&self) -> Option<FaultPlan> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Shows an error to readers (editor, terminal) without stopping anything.
    pub fn report_error(&self, message: String) {
        self.shared
            .live
            .with_detail(|d| d.last_error = Some(message));
    }

    pub fn model(&self) -> Option<Arc<Model>> {
        self.shared
            .model
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_model(&self, model: Model) {
        let _ = self.commands.send(Command::SetModel(Arc::new(model)));
    }

    pub fn load_model(&self, path: &Path) -> anyhow::Result<()> {
        self.set_model(crate::detect::load_model(path)?);
        Ok(())
    }

    pub fn save_model(&self, path: &Path) -> anyhow::Result<()> {
        let model = self
            .model()
            .ok_or_else(|| anyhow::anyhow!("no model to save yet"))?;
        crate::detect::save_model(&model, path)?;
        Ok(())
    }

    /// Learn-normal mode: the next `seconds` of fault-off audio train a new model.
    pub fn learn(&self, seconds: f64, train: TrainConfig) {
        let _ = self.commands.send(Command::Learn { seconds, train });
    }

    pub fn cancel_learn(&self) {
        let _ = self.commands.send(Command::CancelLearn);
    }

    pub fn clear_scores(&self) {
        let _ = self.commands.send(Command::ClearBook);
    }

    /// Every scored window from now on.
    pub fn subscribe(&self) -> crossbeam_channel::Receiver<WindowScore> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let _ = self.commands.send(Command::Subscribe(tx));
        rx
    }

    /// Waits until the analyzer has processed everything tapped so far (its thread must run).
    pub fn sync(&self) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        if self.commands.send(Command::Sync(tx)).is_ok() {
            let _ = rx.recv_timeout(std::time::Duration::from_secs(60));
        }
    }

    /// Writes the score book's report files into `dir`.
    pub fn write_report(
        &self,
        dir: &Path,
        extra: serde_json::Value,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.commands
            .send(Command::WriteReport {
                dir: dir.to_path_buf(),
                extra,
                reply: tx,
            })
            .map_err(|_| anyhow::anyhow!("the analysis thread has stopped"))?;
        let files = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .map_err(|_| anyhow::anyhow!("the analysis thread did not answer"))??;
        Ok(files)
    }

    /// Sends a command (for a hand-driven analyzer in tests).
    pub fn send(&self, cmd: Command) {
        let _ = self.commands.send(cmd);
    }

    /// Stops the analysis thread after it has analysed what was tapped.
    pub fn stop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
