//! Host-visible parameters (stable short ids) and the state a project saves with the plugin.

use faultline::detect::ScoreKind;
use faultline::engine::{BookSummary, EngineHandle};
use faultline::machine::MachineType;
use faultline::plan::FaultPlan;
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// Editor size at first open, logical pixels.
pub const EDITOR_SIZE: (u32, u32) = (980, 760);

#[derive(Params)]
pub struct FaultlineParams {
    /// Which machine the track plays (labels the detector's windows).
    #[id = "machine"]
    pub machine: EnumParam<MachineChoice>,
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
    pub score_mode: EnumParam<ScoreChoice>,

    /// The current plan (JSON), so a project reopens with the same fault and seed.
    #[persist = "plan"]
    pub plan: PlanState,
    /// The detector model file.
    #[persist = "model"]
    pub model_path: ModelState,
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
            machine: EnumParam::new("Machine", MachineChoice::Fan),
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
            score_mode: EnumParam::new("Score", ScoreChoice::Mse),
            plan: PlanState {
                engine: engine.clone(),
                plan: Mutex::new(None),
                present: AtomicBool::new(false),
                default_for: AtomicI32::new(DEFAULT_NONE),
                orders_for: AtomicI32::new(DEFAULT_NONE),
                requested: AtomicBool::new(false),
                requested_for: AtomicI32::new(0),
            },
            model_path: ModelState {
                engine: engine.clone(),
                path: Mutex::new(None),
                loaded: Mutex::new(None),
            },
            book: BookState {
                engine,
                restored: Mutex::new(None),
            },
            editor_size: Mutex::new(EDITOR_SIZE),
        }
    }

    pub fn score_kind(&self) -> ScoreKind {
        ScoreKind::LIVE[self.score_mode.value().to_index()]
    }

    pub fn machine(&self) -> MachineType {
        MachineType::ALL[self.machine.value().to_index()]
    }

    /// The machine as its index in [`MachineType::ALL`] (the parameter's plain value, the
    /// number the state and the default-plan bookkeeping use).
    pub fn machine_index(&self) -> i32 {
        self.machine.value().to_index() as i32
    }
}

/// `Machine` as a choice: one variant per [`MachineType::ALL`] entry, in that order, named as
/// the datasets name the machine. An enum (not an integer with value strings) so that a VST3
/// host lists it by name (the vendored wrapper marks enums `kIsList`); the saved value is the
/// variant's index, as it was when this was an integer parameter, so old sessions load.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineChoice {
    #[name = "fan"]
    Fan,
    #[name = "pump"]
    Pump,
    #[name = "slider"]
    Slider,
    #[name = "valve"]
    Valve,
    #[name = "gearbox"]
    Gearbox,
    #[name = "bearing"]
    Bearing,
    #[name = "ToyCar"]
    ToyCar,
    #[name = "ToyTrain"]
    ToyTrain,
}

/// `Score` as a choice, one variant per [`ScoreKind::LIVE`] entry, in that order.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreChoice {
    #[name = "mse"]
    Mse,
    #[name = "mahalanobis"]
    Mahalanobis,
}

/// The plan in saved state. A state the host loads takes effect wherever it arrives: while the
/// plugin is active its chain is built here (the host's main thread) and crossfaded in by the
/// audio thread through the engine's lock-free queue; a state without a plan crossfades back to
/// dry; before activation the plan waits for `activate`. (nice-plug does not re-activate a
/// plugin after a state load, so applying it only in `activate` left a reopened session dry.)
pub struct PlanState {
    engine: Arc<EngineHandle>,
    plan: Mutex<Option<FaultPlan>>,
    /// Whether a plan is set: what the audio thread reads (it may not take the lock).
    present: AtomicBool,
    /// The machine a default plan was made for (`DEFAULT_NONE` for a user's or a loaded plan):
    /// a default plan follows the Machine parameter, a user's plan stays.
    default_for: AtomicI32,
    /// The machine index whose (typical) shaft rate a user plan's orders are resolved at
    /// (`DEFAULT_NONE`: the plan gives no frequency as an order). Such a plan's order-given
    /// frequencies follow the Machine parameter.
    orders_for: AtomicI32,
    /// A default plan has been asked of the default-plan thread and not made yet.
    pub requested: AtomicBool,
    /// The machine index it was asked for.
    requested_for: AtomicI32,
}

/// `PlanState::default_for` when the plan is not a default one.
pub const DEFAULT_NONE: i32 = -1;

/// The provenance note of a plan the plugin made itself.
pub const DEFAULT_PLAN_NOTE: &str = "default plan: no plan was given, so the plugin planned the machine's typical faults with the keyword planner";

impl PlanState {
    /// The plan as saved.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Option<FaultPlan>> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a plan the engine now plays (the editor's, after `EngineHandle::set_plan`).
    pub fn record(&self, plan: Option<FaultPlan>, default_for: i32) {
        let orders_for = plan
            .as_ref()
            .filter(|p| p.shaft_hz.is_some())
            .and_then(|p| faultline::machine::machine_type_of(&p.machine))
            .and_then(|m| MachineType::ALL.iter().position(|x| *x == m))
            .map_or(DEFAULT_NONE, |i| i as i32);
        self.orders_for.store(orders_for, Ordering::Release);
        self.present.store(plan.is_some(), Ordering::Release);
        self.default_for.store(default_for, Ordering::Release);
        *self.lock() = plan;
    }

    /// Whether the plan playing is one the plugin made by default (it follows Machine).
    pub fn is_default(&self) -> bool {
        self.present.load(Ordering::Acquire)
            && self.default_for.load(Ordering::Acquire) != DEFAULT_NONE
    }

    /// Whether the plan's order-given frequencies follow Machine (a user plan with orders).
    pub fn follows_machine(&self) -> bool {
        self.orders_for.load(Ordering::Acquire) != DEFAULT_NONE
    }

    /// Whether a user plan's order-given frequencies should move to `machine`'s shaft rate.
    fn orders_follow(&self, machine: i32) -> bool {
        let orders_for = self.orders_for.load(Ordering::Acquire);
        self.present.load(Ordering::Acquire)
            && self.default_for.load(Ordering::Acquire) == DEFAULT_NONE
            && orders_for != DEFAULT_NONE
            && orders_for != machine
    }

    /// Whether the audio side should ask the plan thread for work on `machine` (allocation-free):
    /// a default plan when Fault turns on with no plan or Machine moves away from a default
    /// plan's machine; a user plan with orders when Machine moves (its Hz follow the new
    /// machine's shaft rate). A state loaded without a plan while Fault stays on stays dry.
    pub fn wants_default(&self, machine: i32, fault_turned_on: bool) -> bool {
        !self.requested.load(Ordering::Acquire)
            && (self.default_fits(machine, fault_turned_on) || self.orders_follow(machine))
    }

    /// Whether a default plan for `machine` should replace what plays: none plays (and Fault
    /// just turned on), or a default plan for another machine does.
    fn default_fits(&self, machine: i32, no_plan_counts: bool) -> bool {
        let default_for = self.default_for.load(Ordering::Acquire);
        if self.present.load(Ordering::Acquire) {
            default_for != DEFAULT_NONE && default_for != machine
        } else {
            no_plan_counts
        }
    }

    /// Asks for a default plan for machine index `machine` (audio thread; allocation-free).
    pub fn request(&self, machine: i32) {
        self.requested_for.store(machine, Ordering::Release);
        self.requested.store(true, Ordering::Release);
    }

    /// The machine the pending request is for.
    pub fn requested_machine(&self) -> MachineType {
        MachineType::ALL[self
            .requested_for
            .load(Ordering::Acquire)
            .clamp(0, MachineType::ALL.len() as i32 - 1) as usize]
    }

    /// Makes and plays the default plan for `machine`: its typical faults through the keyword
    /// planner, seeded by the machine, with the provenance saying why. Runs on the plugin's
    /// default-plan thread. A user's plan made meanwhile wins.
    pub fn make_default(&self, machine: MachineType) {
        let index = MachineType::ALL
            .iter()
            .position(|m| *m == machine)
            .unwrap_or(0) as i32;
        // Still wanted: no user plan arrived since the request.
        if self.default_fits(index, true) {
            let request = faultline::plan::PlanRequest {
                machine: machine.name().into(),
                attributes: vec![],
                fault: machine.typical_fault().into(),
                seed: index as u64,
            };
            match faultline::plan::planner_by_name("keyword").and_then(|p| p.plan(&request)) {
                Ok(mut plan) => {
                    plan.provenance.notes.insert(0, DEFAULT_PLAN_NOTE.into());
                    match self.engine.set_plan(plan.clone()) {
                        Ok(()) => self.record(Some(plan), index),
                        Err(e) => self
                            .engine
                            .report_error(format!("cannot play the default plan: {e:#}")),
                    }
                }
                Err(e) => self
                    .engine
                    .report_error(format!("cannot make the default plan: {e:#}")),
            }
        } else if self.orders_follow(index) {
            self.follow_machine(machine);
        }
        self.requested.store(false, Ordering::Release);
    }

    /// Moves a user plan's order-given frequencies to `machine`'s typical shaft rate (the
    /// Machine parameter changed); the plan's notes say what moved.
    fn follow_machine(&self, machine: MachineType) {
        let Some(plan) = self.lock().clone() else {
            return;
        };
        let Some(shaft) = faultline::kinematics::Kinematics::typical(machine).shaft_hz else {
            // A machine that does not turn: the orders have nothing to follow; the Hz stay.
            self.orders_for.store(DEFAULT_NONE, Ordering::Release);
            return;
        };
        match plan.at_shaft(shaft) {
            Ok((mut moved, notes)) => {
                moved.provenance.notes.extend(notes.into_iter().map(|n| {
                    format!(
                        "followed Machine = {} (typical shaft rate): {n}",
                        machine.name()
                    )
                }));
                moved.machine = machine.name().into();
                match self.engine.set_plan(moved.clone()) {
                    Ok(()) => self.record(Some(moved), DEFAULT_NONE),
                    Err(e) => self
                        .engine
                        .report_error(format!("cannot play the plan at the new speed: {e:#}")),
                }
            }
            Err(e) => self
                .engine
                .report_error(format!("cannot move the plan to the new speed: {e:#}")),
        }
    }
}

impl<'a> PersistentField<'a, Option<FaultPlan>> for PlanState {
    fn set(&self, new_value: Option<FaultPlan>) {
        // A loaded plan is the project's own: it does not follow Machine, even one the plugin
        // once made by default (its provenance still says so).
        let default_for = match &new_value {
            Some(p)
                if p.provenance
                    .notes
                    .first()
                    .is_some_and(|n| n == DEFAULT_PLAN_NOTE) =>
            {
                MachineType::ALL
                    .iter()
                    .position(|m| m.name() == p.machine)
                    .map_or(DEFAULT_NONE, |i| i as i32)
            }
            _ => DEFAULT_NONE,
        };
        self.record(new_value.clone(), default_for);
        let applied = match new_value {
            Some(plan) => self.engine.set_plan(plan).map_err(|e| {
                format!("the loaded plan cannot be used, audio passes through: {e:#}")
            }),
            None => self
                .engine
                .clear_plan()
                .map_err(|e| format!("cannot return to dry: {e:#}")),
        };
        if let Err(message) = applied {
            // A plan that does not build must not leave the previous one playing.
            let _ = self.engine.clear_plan();
            self.engine.report_error(message);
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<FaultPlan>) -> R,
    {
        f(&self.lock())
    }
}

/// The model file in saved state: a loaded state loads the model it names (once), active or not.
pub struct ModelState {
    engine: Arc<EngineHandle>,
    path: Mutex<Option<PathBuf>>,
    /// The file the engine has loaded, to load only when a state names another.
    loaded: Mutex<Option<PathBuf>>,
}

impl ModelState {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Option<PathBuf>> {
        self.path.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a model the editor loaded or saved itself.
    pub fn record(&self, path: PathBuf) {
        *self.lock() = Some(path.clone());
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
    }

    /// Loads the saved model if the engine has not loaded it yet; a file that cannot be read
    /// is reported and the engine keeps what it has.
    pub fn apply(&self) {
        let path = self.lock().clone();
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if path != *loaded {
            if let Some(p) = &path
                && let Err(e) = self.engine.load_model(p)
            {
                nice_log!("Faultline: cannot load the model {}: {e:#}", p.display());
                self.engine
                    .report_error(format!("cannot load the saved model: {e:#}"));
            }
            *loaded = path;
        }
    }
}

impl<'a> PersistentField<'a, Option<PathBuf>> for ModelState {
    fn set(&self, new_value: Option<PathBuf>) {
        *self.lock() = new_value;
        self.apply();
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<PathBuf>) -> R,
    {
        f(&self.lock())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The choices are the core's lists, in their order: a saved index means the same machine
    /// and score in the plugin as in the CLI, and the names are the datasets' folder names.
    #[test]
    fn choices_are_the_core_lists_in_order() {
        let machines = MachineChoice::variants();
        assert_eq!(machines.len(), MachineType::ALL.len());
        for (i, (name, m)) in machines.iter().zip(MachineType::ALL).enumerate() {
            assert_eq!(*name, m.name(), "variant {i}");
            assert_eq!(MachineChoice::from_index(i).to_index(), i);
        }
        let scores = ScoreChoice::variants();
        assert_eq!(scores.len(), ScoreKind::LIVE.len());
        for (name, k) in scores.iter().zip(ScoreKind::LIVE) {
            assert_eq!(*name, k.name());
        }
    }
}
