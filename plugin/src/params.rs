//! Host-visible parameters (stable short ids) and the state a project saves with the plugin.

use faultline::detect::ScoreKind;
use faultline::engine::{BookSummary, EngineHandle};
use faultline::machine::MachineType;
use faultline::plan::FaultPlan;
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Editor size at first open, logical pixels.
pub const EDITOR_SIZE: (u32, u32) = (980, 760);

#[derive(Params)]
pub struct FaultlineParams {
    /// Which machine the track plays (labels the detector's windows).
    #[id = "machine"]
    pub machine: IntParam,
    /// The ground-truth label: the fault is applied.
    #[id = "fault"]
    pub fault_on: BoolParam,
    /// Scales every transform's intensity (ramped in the engine).
    #[id = "intens"]
    pub intensity: FloatParam,
    #[id = "mix"]
    pub mix: FloatParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Which score the meter and the threshold use.
    #[id = "score"]
    pub score_mode: IntParam,

    /// The current plan (JSON), so a project reopens with the same fault and seed.
    #[persist = "plan"]
    pub plan: Mutex<Option<FaultPlan>>,
    /// The detector model file.
    #[persist = "model"]
    pub model_path: Mutex<Option<PathBuf>>,
    /// The score book's summary at save time (read live from the engine).
    #[persist = "book"]
    pub book: BookState,
    /// Editor size in logical pixels.
    #[persist = "editor"]
    pub editor_size: Mutex<(u32, u32)>,
}

impl FaultlineParams {
    pub fn new(engine: Arc<EngineHandle>) -> Self {
        Self {
            machine: IntParam::new("Machine", 0, IntRange::Linear { min: 0, max: MachineType::ALL.len() as i32 - 1 })
                .with_value_to_string(Arc::new(|v| MachineType::ALL[v.clamp(0, MachineType::ALL.len() as i32 - 1) as usize].name().to_string()))
                .with_string_to_value(Arc::new(|s| MachineType::ALL.iter().position(|m| m.name().eq_ignore_ascii_case(s.trim())).map(|i| i as i32))),
            fault_on: BoolParam::new("Fault on", false),
            intensity: FloatParam::new("Intensity", 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit(" %")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            mix: FloatParam::new("Mix", 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit(" %")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            score_mode: IntParam::new("Score", 0, IntRange::Linear { min: 0, max: ScoreKind::ALL.len() as i32 - 1 })
                .with_value_to_string(Arc::new(|v| ScoreKind::ALL[v.clamp(0, 1) as usize].name().to_string()))
                .with_string_to_value(Arc::new(|s| ScoreKind::ALL.iter().position(|k| k.name().eq_ignore_ascii_case(s.trim())).map(|i| i as i32))),
            plan: Mutex::new(None),
            model_path: Mutex::new(None),
            book: BookState { engine, restored: Mutex::new(None) },
            editor_size: Mutex::new(EDITOR_SIZE),
        }
    }

    pub fn score_kind(&self) -> ScoreKind {
        ScoreKind::ALL[self.score_mode.value().clamp(0, 1) as usize]
    }

    pub fn machine(&self) -> MachineType {
        MachineType::ALL[self.machine.value().clamp(0, MachineType::ALL.len() as i32 - 1) as usize]
    }
}

/// The score book in saved state: written from the live engine, read back as the summary of
/// the session the project was saved in (scores of a new session start empty).
pub struct BookState {
    engine: Arc<EngineHandle>,
    pub restored: Mutex<Option<BookSummary>>,
}

impl<'a> PersistentField<'a, Option<BookSummary>> for BookState {
    fn set(&self, new_value: Option<BookSummary>) {
        *self.restored.lock().unwrap_or_else(|e| e.into_inner()) = new_value;
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<BookSummary>) -> R,
    {
        let live = self.engine.live().detail().book;
        if live.windows > 0 {
            f(&Some(live))
        } else {
            f(&self.restored.lock().unwrap_or_else(|e| e.into_inner()))
        }
    }
}
