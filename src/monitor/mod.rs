//! `faultline monitor`: a microphone (or a looped recording) through the real-time engine, a
//! live terminal view, and reports written periodically and on exit.

mod schedule;
mod source;
mod view;

pub use schedule::Schedule;
#[cfg(feature = "device")]
pub use source::{list_devices, open_input, start_input};
pub use source::{spawn_loop, Driver, SourceStatus};

use crate::detect::{ScoreKind, TrainConfig};
use crate::engine::{self, AnalysisConfig, EngineHandle, EngineState, WindowScore};
use crate::machine::MachineType;
use crate::plan::{FaultPlan, PlanRequest};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub enum Input {
    /// A cpal input device (`None`: the default one).
    Device(Option<String>),
    /// A WAV file played in a loop.
    Loop(PathBuf),
}

pub enum PlanChoice {
    None,
    Fault { text: String, planner: String },
    File(PathBuf),
}

pub struct MonitorConfig {
    pub input: Input,
    /// Play the processed audio on an output device (`Some(None)`: the default one).
    pub passthrough: Option<Option<String>>,
    pub model: Option<PathBuf>,
    pub learn: Option<Duration>,
    pub learn_epochs: usize,
    pub save_model: Option<PathBuf>,
    pub machine: MachineType,
    pub plan: PlanChoice,
    pub schedule: Option<Schedule>,
    pub score: ScoreKind,
    /// Loop mode only: as fast as analysis keeps up, not in real time.
    pub fast: bool,
    /// Stop after this much audio.
    pub duration: Option<Duration>,
    pub report_dir: PathBuf,
    pub report_every: Duration,
    pub json: bool,
    pub quiet: bool,
    pub analysis: AnalysisConfig,
    pub llm: crate::plan::llm::LlmConfig,
}

/// Restores the terminal however the run ends (an error returned with `?` included).
struct TerminalGuard(ratatui::DefaultTerminal);

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Set by Ctrl-C (SIGINT) or SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// What a run ended with.
pub struct MonitorOutcome {
    pub report: Vec<PathBuf>,
    pub seconds: f64,
    pub windows: u64,
    pub error: Option<String>,
}

fn make_plan(cfg: &MonitorConfig) -> anyhow::Result<Option<FaultPlan>> {
    Ok(match &cfg.plan {
        PlanChoice::None => None,
        PlanChoice::File(path) => Some(crate::cli::load_plan(path)?),
        PlanChoice::Fault { text, planner } => {
            let request = PlanRequest {
                machine: cfg.machine.name().to_string(),
                attributes: vec![],
                fault: text.clone(),
                seed: 0,
            };
            let plan = crate::plan::planner_with(planner, &cfg.llm)?.plan(&request)?;
            if let Some(w) = plan.provenance.fallback_warning() {
                eprintln!("monitor: {w}");
            }
            Some(plan)
        }
    })
}

pub fn run(cfg: MonitorConfig) -> anyhow::Result<MonitorOutcome> {
    anyhow::ensure!(
        cfg.model.is_some() || cfg.learn.is_some(),
        "give a detector: --model FILE or --learn DURATION"
    );
    let plan = make_plan(&cfg)?;
    let (mut processor, mut handle, analyzer) = engine::build(cfg.analysis.clone());
    handle.spawn_analysis(analyzer);
    handle.controls().set_machine(
        MachineType::ALL
            .iter()
            .position(|m| *m == cfg.machine)
            .unwrap_or(0),
    );
    if let Some(path) = &cfg.model {
        handle.load_model(path)?;
    }
    handle.store_plan(plan.clone());
    let status = Arc::new(SourceStatus::default());

    // The source: it owns the processor from here on.
    #[cfg(feature = "device")]
    let mut _streams = None;
    let (title, loop_thread) = match &cfg.input {
        Input::Loop(path) => {
            let audio = crate::dataset::read_wav(path)?;
            anyhow::ensure!(audio.frames() > 0, "{}: no audio", path.display());
            handle.prepare_processor(
                &mut processor,
                audio.sample_rate as f32,
                audio.sample_rate as usize / 100 + 1,
                audio.channels.len(),
            )?;
            let title = format!(
                "loop {} · {} Hz · {} ch{}",
                path.display(),
                audio.sample_rate,
                audio.channels.len(),
                if cfg.fast { " · fast" } else { "" }
            );
            let driver = Driver::new(
                processor,
                cfg.schedule,
                plan.is_some(),
                status.clone(),
                cfg.duration,
            );
            (title, Some(spawn_loop(audio, driver, cfg.fast)))
        }
        #[cfg(feature = "device")]
        Input::Device(name) => {
            anyhow::ensure!(
                !cfg.fast,
                "--fast is for --loop files; a device runs in real time"
            );
            let input = open_input(name.as_deref())?;
            let rate = input.config.sample_rate();
            handle.prepare_processor(
                &mut processor,
                rate as f32,
                8192,
                input.config.channels() as usize,
            )?;
            let title = format!(
                "device {} · {rate} Hz · {} ch",
                input.name,
                input.config.channels()
            );
            let driver = Driver::new(
                processor,
                cfg.schedule,
                plan.is_some(),
                status.clone(),
                cfg.duration,
            );
            _streams = Some(start_input(
                &input,
                driver,
                cfg.passthrough.as_ref().map(|p| p.as_deref()),
            )?);
            (title, None)
        }
        #[cfg(not(feature = "device"))]
        Input::Device(_) => anyhow::bail!(
            "this build has no audio device support (the `device` feature); use --loop FILE"
        ),
    };

    if let Some(d) = cfg.learn {
        handle.learn(
            d.as_secs_f64(),
            TrainConfig {
                epochs: cfg.learn_epochs,
                ..Default::default()
            },
        );
    }
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let windows = handle.subscribe();
    let extra = |handle: &EngineHandle, status: &SourceStatus| {
        serde_json::json!({
            "source": "monitor",
            "input": title,
            "machine": cfg.machine.name(),
            "seconds": status.seconds(),
            "plan": handle.plan(),
            "schedule": cfg.schedule.map(|s| serde_json::json!({"off_s": s.off.as_secs_f64(), "on_s": s.on.as_secs_f64()})),
            "score": cfg.score.name(),
            "model": handle.model().map(|m| serde_json::to_value(&m.provenance).unwrap_or_default()),
            "error": status.error(),
        })
    };

    let mut terminal = if cfg.quiet || cfg.json {
        None
    } else {
        Some(TerminalGuard(ratatui::try_init()?))
    };
    let hint = "q / Ctrl-C: quit and write the report   f: toggle the fault by hand";
    let mut alarms: VecDeque<WindowScore> = VecDeque::new();
    let mut last_report = Instant::now();
    let mut saved_learned = false;
    let mut error = None;
    let mut input_level = 0.0f32;
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) || status.ended.load(Ordering::Acquire) {
            break;
        }
        if let (Some(path), Some(_), false, EngineState::Scoring) = (
            &cfg.save_model,
            cfg.learn,
            saved_learned,
            handle.live().state(),
        ) {
            saved_learned = true;
            if let Err(e) = handle.save_model(path) {
                // Stop, but still write the report and restore the terminal.
                error = Some(format!("saving the learned model: {e:#}"));
                break;
            }
        }
        for w in windows.try_iter() {
            if cfg.json {
                println!("{}", serde_json::to_string(&w).expect("plain data"));
            }
            if w.above(cfg.score) {
                if alarms.len() == 200 {
                    alarms.pop_front();
                }
                alarms.push_back(w);
            }
        }
        if last_report.elapsed() >= cfg.report_every {
            handle.write_report(&cfg.report_dir, extra(&handle, &status))?;
            last_report = Instant::now();
        }
        input_level = input_level.max(handle.live().take_input_peak()) * 0.85;
        if let Some(t) = terminal.as_mut() {
            let state = view::ViewState {
                title: &title,
                machine: cfg.machine.name(),
                kind: cfg.score,
                seconds: status.seconds(),
                input_level,
                alarms: &alarms,
                fault_on: handle.controls().snapshot().fault_on,
                hint,
            };
            t.0.draw(|f| view::draw(f, &handle, &state))?;
            use ratatui::crossterm::event::{self, Event, KeyCode, KeyModifiers};
            if event::poll(Duration::from_millis(150))? {
                if let Event::Key(k) = event::read()? {
                    match k.code {
                        KeyCode::Char('q') | KeyCode::Esc => break,
                        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => break,
                        KeyCode::Char('f') => {
                            // Manual control replaces the schedule.
                            status.manual.store(true, Ordering::Relaxed);
                            let on = !handle.controls().snapshot().fault_on;
                            handle.controls().set_fault_on(on);
                        }
                        _ => {}
                    }
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(if cfg.fast { 5 } else { 50 }));
        }
        if let Some(e) = status.error() {
            error = Some(e);
            break;
        }
    }
    drop(terminal.take());
    status.stop.store(true, Ordering::Relaxed);
    if let Some(t) = loop_thread {
        let _ = t.join();
    }
    #[cfg(feature = "device")]
    drop(_streams.take());
    handle.sync();
    if let (Some(path), Some(_), false) = (&cfg.save_model, cfg.learn, saved_learned) {
        // The input ended while the learned model was still training: wait for it.
        let deadline = Instant::now() + Duration::from_secs(600);
        while handle.live().state() == EngineState::Training && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        match handle.live().state() {
            EngineState::Scoring => {
                if let Err(e) = handle.save_model(path) {
                    error = error.or(Some(format!("saving the learned model: {e:#}")));
                }
            }
            _ => eprintln!(
                "monitor: not enough normal audio was heard to learn a model; nothing saved to {}",
                path.display()
            ),
        }
    }
    for w in windows.try_iter() {
        if cfg.json {
            println!("{}", serde_json::to_string(&w).expect("plain data"));
        }
    }
    let error = error.or_else(|| status.error());
    let report = handle.write_report(&cfg.report_dir, extra(&handle, &status))?;
    let outcome = MonitorOutcome {
        report,
        seconds: status.seconds(),
        windows: handle.live().detail().book.windows,
        error,
    };
    handle.stop();
    Ok(outcome)
}
