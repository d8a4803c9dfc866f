//! Faultline as a CLAP / VST3 plugin: thin glue over `faultline::engine`. Parameters feed the
//! engine's control atomics, `process` hands the buffer to the engine's processor, and the editor
//! talks to the engine handle. No DSP or scoring lives here.

mod editor;
pub use editor::headless;
mod params;
pub mod presets;

pub use params::{DEFAULT_NONE, EDITOR_SIZE, FaultlineParams};

use faultline::engine::{self, AnalysisConfig, EngineHandle, Processor};
use nice_plug::prelude::*;
use std::num::NonZeroU32;
use std::sync::Arc;

/// The thread that makes default plans (the audio thread only raises a flag and unparks it).
/// Our own thread rather than nice-plug's background tasks: a task that arrives while the plugin
/// is being destroyed makes nice-plug's shared worker exit, and its drop then aborts the host
/// (seen in clap-validator's param-fuzz-basic, about 1 run in 30).
struct DefaultPlanner {
    thread: Option<std::thread::JoinHandle<()>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl DefaultPlanner {
    /// Starts the thread; if the system refuses one, default plans are off and the editor says so
    /// (the host must not crash for it).
    fn spawn(params: Arc<FaultlineParams>, engine: &EngineHandle) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("faultline-default-plan".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Acquire) {
                    if params
                        .plan
                        .requested
                        .load(std::sync::atomic::Ordering::Acquire)
                    {
                        params.plan.make_default(params.plan.requested_machine());
                    }
                    std::thread::park_timeout(std::time::Duration::from_millis(100));
                }
            });
        let thread = thread
            .map_err(|e| {
                nice_log!("Faultline: no default-plan thread: {e}");
                engine.report_error(format!(
                    "default plans are off: cannot start their thread: {e}"
                ));
            })
            .ok();
        Self { thread, stop }
    }

    /// Wakes the thread (allocation-free: a futex wake).
    fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }
}

impl Drop for DefaultPlanner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

pub struct Faultline {
    params: Arc<FaultlineParams>,
    engine: Arc<EngineHandle>,
    processor: Processor,
    /// Fault on in the last block (a default plan is made when it turns on with no plan).
    fault_was_on: bool,
    /// The host transport was playing in the last block.
    was_playing: bool,
    /// Where the timeline should be at the next block if the host did not jump.
    next_pos: Option<i64>,
    planner: DefaultPlanner,
}

impl Default for Faultline {
    fn default() -> Self {
        let (processor, engine) = engine::start(AnalysisConfig::default());
        let engine = Arc::new(engine);
        let params = Arc::new(FaultlineParams::new(engine.clone()));
        // A new instance holds the default machine's default plan (keyword, seeded), so Fault on
        // plays at once and a host's tests with parameters alone exercise the fault DSP; a
        // project's state replaces it.
        params.plan.make_default(params.machine());
        let planner = DefaultPlanner::spawn(params.clone(), &engine);
        Self {
            params,
            engine,
            processor,
            fault_was_on: false,
            was_playing: false,
            next_pos: None,
            planner,
        }
    }
}

impl Faultline {
    /// Copies the host parameters into the engine's atomics (cheap stores, once per block).
    fn sync_controls(&self) {
        let c = self.engine.controls();
        c.set_fault_on(self.params.fault_on.value());
        c.set_intensity(self.params.intensity.value());
        c.set_mix(self.params.mix.value());
        c.set_bypass(self.params.bypass.value());
        c.set_machine(self.params.machine_index() as usize);
    }

    /// Locks the faults to the host's timeline: when the transport starts playing or jumps, the
    /// chains seek to the song position (samples since the song start), so every random stream
    /// and phase is a function of the plan's seed and the position (`dsp` module doc, "Timeline
    /// lock"). Two bounces of a range are sample-identical, and one started at bar 5 matches the
    /// same range of one from bar 1 once the chain's filter memory has passed. A host that
    /// starts without a position restarts at 0; one that never plays runs free. Allocation-free.
    fn follow_transport(&mut self, transport: &Transport, samples: usize) {
        let pos = transport.pos_samples();
        // Positions from a seconds timeline are rounded: allow a sample of slack.
        let jumped = matches!((pos, self.next_pos), (Some(p), Some(e)) if (p - e).abs() > 1);
        if transport.playing && (!self.was_playing || jumped) {
            self.processor.seek(pos.unwrap_or(0));
        }
        self.was_playing = transport.playing;
        self.next_pos = if transport.playing {
            pos.map(|p| p + samples as i64)
        } else {
            None
        };
    }

    /// Makes sure the engine holds the saved plan and model before the processor is prepared
    /// (a state loaded while active has already applied itself; see `params::PlanState`).
    fn restore_state(&mut self) {
        let plan = self.params.plan.lock().clone();
        if plan != self.engine.plan() {
            self.engine.store_plan(plan);
        }
        self.params.model_path.apply();
    }
}

impl Plugin for Faultline {
    const NAME: &'static str = "Faultline";
    const VENDOR: &'static str = "Faultline";
    const URL: &'static str = "https://github.com/faultline-audio/faultline";
    const EMAIL: &'static str = "dev@faultline.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = editor::FaultlineEditor;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        Some(editor::FaultlineEditor::new(
            self.params.clone(),
            self.engine.clone(),
        ))
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.fault_was_on = false;
        (self.was_playing, self.next_pos) = (false, None);
        self.restore_state();
        self.sync_controls();
        let channels = layout.main_output_channels.map_or(2, NonZeroU32::get) as usize;
        match self.engine.prepare_processor(
            &mut self.processor,
            buffer_config.sample_rate,
            buffer_config.max_buffer_size as usize,
            channels,
        ) {
            Ok(()) => true,
            Err(e) => {
                nice_log!("Faultline: cannot activate: {e:#}");
                false
            }
        }
    }

    fn reset(&mut self) {
        self.sync_controls();
        self.processor.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.sync_controls();
        self.follow_transport(context.transport(), buffer.samples());
        // Fault turning on with no plan (or a default plan for another machine): the plan is
        // made on the default-plan thread and crossfades in a few milliseconds later.
        let machine = self.params.machine_index();
        let on = self.params.fault_on.value();
        let turned_on = on && !self.fault_was_on;
        self.fault_was_on = on;
        if on && self.params.plan.wants_default(machine, turned_on) {
            self.params.plan.request(machine);
            self.planner.wake();
        }
        self.processor.process(buffer.as_slice());
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Faultline {
    const CLAP_ID: &'static str = "audio.faultline.faultline";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Plausible machine faults on live audio, and how hard an autoencoder finds them");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Distortion,
        ClapFeature::Analyzer,
    ];
}

impl Vst3Plugin for Faultline {
    const VST3_CLASS_ID: [u8; 16] = *b"FaultlineFaults1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Fx,
        Vst3SubCategory::Distortion,
        Vst3SubCategory::Analyzer,
    ];
}

nice_export_clap!(Faultline);
nice_export_vst3!(Faultline);
