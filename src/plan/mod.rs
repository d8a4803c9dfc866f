//! Fault plans: the versioned JSON document a planner writes and the DSP chain is built from.

mod caption;
pub mod check;
mod edit;
mod keyword;
pub mod llm;
mod random;

pub use caption::caption;
pub use edit::{Editable, EDIT_NOTE};
pub use keyword::{KeywordPlanner, KeywordPlannerNoKinematics};
pub use random::RandomPlanner;

use crate::catalog::{self, resolve_strict, CatalogError, ResolvedStep};
use crate::dsp::FaultChain;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PLAN_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    pub function: String,
    pub arguments: Map<String, Value>,
}

/// Who made a plan and how. Never holds a secret: planners put only names and notes here.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The planner that produced the steps (`keyword` when the LLM planner fell back to it).
    pub planner: String,
    /// The planner that was asked, when another one produced the steps or may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// Why the requested planner's answer was not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// The model asked (LLM planner), whether or not its answer was used.
    #[serde(default)]
    pub model: Option<String>,
    /// The system prompt the LLM planner sent (`plain` or `physics`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    pub created: String,
    /// What happened on the way: keywords matched, values clamped, fallbacks taken.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Provenance {
    /// What a planner without a model (keyword, random) made now, with its notes.
    pub fn without_model(planner: &str, notes: Vec<String>) -> Self {
        Self {
            planner: planner.into(),
            model: None,
            created: now_rfc3339(),
            notes,
            ..Self::default()
        }
    }

    /// Whether a planner other than the requested one produced the steps.
    pub fn is_fallback(&self) -> bool {
        self.requested.as_deref().is_some_and(|r| r != self.planner)
    }

    /// The warning a command prints for a fallback plan, with its reason.
    pub fn fallback_warning(&self) -> Option<String> {
        self.is_fallback().then(|| {
            format!(
                "warning: the {} planner gave no usable plan ({}); the plan is the {} planner's",
                self.requested.as_deref().unwrap_or("requested"),
                self.fallback.as_deref().unwrap_or("no reason given"),
                self.planner
            )
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    pub version: u32,
    pub machine: String,
    pub caption: String,
    pub steps: Vec<PlanStep>,
    pub seed: u64,
    /// The machine's shaft rate (Hz) the steps' orders (`rate_order`, …) were resolved at;
    /// absent when no step gives a frequency as an order. `at_shaft` moves the plan to another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shaft_hz: Option<f64>,
    /// The plant's ambient, dB against the machine's own sound, in the recording the steps'
    /// intensities were set for; absent: they are severities against the machine itself (see
    /// `for_clip`). `on_ambient` moves the plan to another recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambient_db: Option<f64>,
    pub provenance: Provenance,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("not JSON (line {line}, column {column}): {message}")]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("version: {found} is not supported; allowed: {PLAN_VERSION}")]
    Version { found: String },
    #[error("plan: {0}")]
    Shape(String),
    #[error("machine: must not be empty")]
    EmptyMachine,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl FaultPlan {
    pub fn new(
        machine: &str,
        caption: &str,
        steps: &[ResolvedStep],
        seed: u64,
        provenance: Provenance,
    ) -> Self {
        Self {
            version: PLAN_VERSION,
            machine: machine.to_string(),
            caption: caption.to_string(),
            steps: plan_steps(steps),
            seed,
            shaft_hz: None,
            ambient_db: None,
            provenance,
        }
    }

    /// Records the shaft rate the steps' orders were resolved at (kept only if a step has one).
    pub fn with_shaft_hz(mut self, shaft_hz: Option<f64>) -> Self {
        let any_order = self
            .steps
            .iter()
            .any(|s| s.arguments.keys().any(|k| k.ends_with("_order")));
        self.shaft_hz = shaft_hz.filter(|_| any_order);
        self
    }

    /// The plan for the same machine running at another shaft rate: every frequency given as
    /// an order is recomputed (order × `shaft_hz`, clamped to its range); frequencies given in
    /// Hz stay. Returns the notes of what moved. A plan without orders comes back unchanged.
    pub fn at_shaft(&self, shaft_hz: f64) -> Result<(Self, Vec<String>), CatalogError> {
        let mut steps = self.resolve()?;
        let usable = shaft_hz.is_finite() && shaft_hz > 0.0;
        if !steps.iter().any(ResolvedStep::has_orders) || !usable || self.shaft_hz == Some(shaft_hz)
        {
            return Ok((self.clone(), Vec::new()));
        }
        let notes = steps.iter_mut().flat_map(|s| s.rebase(shaft_hz)).collect();
        Ok((
            Self {
                steps: plan_steps(&steps),
                shaft_hz: Some(shaft_hz),
                ..self.clone()
            },
            notes,
        ))
    }

    /// The plan for another clip. Two things follow the clip's metadata:
    /// - when the clip states its speed (an `rpm` attribute) or is a machine of another type (its
    ///   typical speed), frequencies given as orders follow that clip's shaft rate;
    /// - when severities are measured against the machine (`MeasuredAt::Machine`, the default
    ///   for any dataset but a synthetic one made with `--severity-at recording`) and the clip
    ///   states how loud the plant's ambient is against the machine (`ambient_db`), the steps'
    ///   intensities are lowered to the level the machine's sound has in the recording
    ///   (`on_ambient`). Against the recording they stay: the catalog is measured there.
    ///
    /// The plan's notes say what moved; otherwise the plan is unchanged.
    pub fn for_clip(
        &self,
        machine: &str,
        attributes: &[(String, String)],
        severity: crate::features::level::MeasuredAt,
    ) -> Result<Self, CatalogError> {
        let plan = self.at_clip_speed(machine, attributes)?;
        match ambient_db(machine, attributes) {
            Some(db) if severity == crate::features::level::MeasuredAt::Machine => {
                plan.on_ambient(Some(db))
            }
            _ => Ok(plan),
        }
    }

    fn at_clip_speed(
        &self,
        machine: &str,
        attributes: &[(String, String)],
    ) -> Result<Self, CatalogError> {
        let Some(kind) = crate::machine::machine_type_of(machine) else {
            return Ok(self.clone());
        };
        let states_speed = attributes
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("rpm"));
        let other_type = crate::machine::machine_type_of(&self.machine) != Some(kind);
        if self.shaft_hz.is_none() || !(states_speed || other_type) {
            return Ok(self.clone());
        }
        let Some(shaft) = crate::kinematics::Kinematics::for_machine(kind, attributes).shaft_hz
        else {
            return Ok(self.clone());
        };
        let (mut plan, notes) = self.at_shaft(shaft)?;
        plan.provenance.notes.extend(
            notes
                .into_iter()
                .map(|n| format!("followed the clip's shaft rate: {n}")),
        );
        Ok(plan)
    }

    /// The plan for a recording whose ambient stands `ambient_db` dB against the machine's own
    /// sound (`None`: a clean recording of the machine).
    ///
    /// Why: a fault is a sound *of the machine*, so its severity is set against the machine's
    /// own sound — as the synthetic world's reference faults are, before the plant is mixed in.
    /// A transform can only act on the recording, whose level also holds the ambient, and the
    /// severity scale (`features::level`) is measured against what it is given. The machine's
    /// share of the recording's energy is `s = 1 / (1 + 10^(ambient_db/10))`, so a fault at
    /// `L` dB against the machine stands at `L + 10·log10 s` dB against the recording; on the
    /// scale's 20 dB per decade of intensity that is intensity × √s. Every step, additive or
    /// multiplicative, moves by the same factor. A plan already set for another ambient moves by
    /// the ratio of the two shares. Noted in the plan's provenance.
    pub fn on_ambient(&self, ambient_db: Option<f64>) -> Result<Self, CatalogError> {
        let usable = |db: Option<f64>| db.filter(|d| d.is_finite());
        let (from, to) = (usable(self.ambient_db), usable(ambient_db));
        if from == to {
            return Ok(self.clone());
        }
        let shift_db = share_shift_db(to) - share_shift_db(from);
        let factor = 10f64.powf(shift_db / 20.0) as f32;
        let mut steps = self.resolve()?;
        for s in &mut steps {
            s.set_intensity(s.intensity() * factor);
        }
        let mut provenance = self.provenance.clone();
        provenance.notes.push(match to {
            Some(db) => format!(
                "severity against the machine: the recording's ambient stands {db:+.1} dB against the machine, \
                 so the machine is {:.1} dB of the recording and every step's intensity × {factor:.3} ({shift_db:+.1} dB)",
                machine_share_db(db)
            ),
            None => format!(
                "severity against the machine: no ambient, every step's intensity × {factor:.3} ({shift_db:+.1} dB)"
            ),
        });
        Ok(Self {
            steps: plan_steps(&steps),
            ambient_db: to,
            provenance,
            ..self.clone()
        })
    }

    /// Checks that every order-given frequency is the order × the plan's shaft rate.
    fn check_orders(&self, steps: &[ResolvedStep]) -> Result<(), PlanError> {
        for (i, s) in steps.iter().enumerate() {
            for ((p, v), order) in s.spec.all_params().zip(&s.values).zip(&s.orders) {
                let Some(order) = order else { continue };
                let key = catalog::order_key(s.spec.name, p.name).unwrap_or_default();
                let Some(shaft) = self.shaft_hz.filter(|x| x.is_finite() && *x > 0.0) else {
                    return Err(PlanError::Shape(format!(
                        "steps[{i}].arguments.{key}: an order needs the plan's shaft_hz (the shaft rate, Hz, it was resolved at)"
                    )));
                };
                let want = ((f64::from(*order) * shaft) as f32).clamp(p.min, p.max);
                if (v - want).abs() > 1e-3 * want.abs().max(1e-3) {
                    return Err(PlanError::Shape(format!(
                        "steps[{i}].arguments.{}: {v} Hz does not match {key} {order} × shaft_hz {shaft} = {want} Hz; change one of them or remove {key}",
                        p.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Parses and fully validates a plan; errors name the field and what is allowed.
    pub fn from_json(text: &str) -> Result<Self, PlanError> {
        let value: Value = serde_json::from_str(text).map_err(|e| PlanError::NotJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        match value.get("version") {
            Some(v) if v.as_u64() == Some(u64::from(PLAN_VERSION)) => {}
            Some(v) => {
                return Err(PlanError::Version {
                    found: v.to_string(),
                })
            }
            None => {
                return Err(PlanError::Version {
                    found: "missing".into(),
                })
            }
        }
        let plan: FaultPlan =
            serde_json::from_value(value).map_err(|e| PlanError::Shape(e.to_string()))?;
        if plan.machine.trim().is_empty() {
            return Err(PlanError::EmptyMachine);
        }
        let steps = plan.resolve()?;
        plan.check_orders(&steps)?;
        Ok(plan)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serialises")
    }

    /// The steps checked against the catalog.
    pub fn resolve(&self) -> Result<Vec<ResolvedStep>, CatalogError> {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| resolve_strict(&format!("steps[{i}]"), &s.function, &s.arguments))
            .collect()
    }

    /// The DSP chain for this plan (not yet prepared).
    pub fn chain(&self) -> Result<FaultChain, CatalogError> {
        Ok(catalog::build_chain(&self.resolve()?, self.seed))
    }

    /// The same plan with every step's intensity multiplied by `scale` (calibration).
    pub fn scaled(&self, scale: f32) -> Result<Self, CatalogError> {
        let mut steps = self.resolve()?;
        for s in &mut steps {
            s.set_intensity(s.intensity() * scale);
        }
        Ok(Self {
            steps: plan_steps(&steps),
            ..self.clone()
        })
    }
}

fn plan_steps(steps: &[ResolvedStep]) -> Vec<PlanStep> {
    steps
        .iter()
        .map(|s| PlanStep {
            function: s.spec.name.to_string(),
            arguments: s.arguments(),
        })
        .collect()
}

/// The machine's share of a recording's energy, dB (≤ 0), when the ambient stands `ambient_db`
/// dB against the machine's own sound: `−10·log10(1 + 10^(ambient_db/10))`.
pub fn machine_share_db(ambient_db: f64) -> f64 {
    -10.0 * (1.0 + 10f64.powf(ambient_db / 10.0)).log10()
}

/// The factor on a severity's intensity that sets it against the machine's own sound in a
/// recording with that ambient (1 without one): √(machine share), see `FaultPlan::on_ambient`.
pub fn intensity_on_ambient(ambient_db: Option<f64>) -> f32 {
    10f64.powf(share_shift_db(ambient_db) / 20.0) as f32
}

/// The machine's share of a recording with that ambient, dB (0 without a usable one).
fn share_shift_db(ambient_db: Option<f64>) -> f64 {
    ambient_db
        .filter(|d| d.is_finite())
        .map_or(0.0, machine_share_db)
}

/// How loud the plant's ambient is against the machine in a clip, dB, when its metadata says:
/// a `noise` attribute (the synthetic world's: ambient dB against the machine), an `snr` or
/// `snr_db` attribute (its negative), or MIMII's `<snr>_dB_<machine>` folder as the machine key.
/// `None` when nothing says: the recording is taken as the machine's own sound.
pub fn ambient_db(machine: &str, attributes: &[(String, String)]) -> Option<f64> {
    let attr = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    attr("noise")
        .or_else(|| attr("snr").or_else(|| attr("snr_db")).map(|s| -s))
        .or_else(|| {
            let (snr, _) = machine.split_once("_dB_")?;
            snr.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|s| -s)
        })
}

/// What a planner is asked: which machine, its attributes, and the fault in words.
#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub machine: String,
    pub attributes: Vec<(String, String)>,
    pub fault: String,
    pub seed: u64,
}

impl PlanRequest {
    pub fn caption(&self) -> String {
        caption(&self.machine, &self.attributes, &self.fault)
    }
}

/// Turns a request into a plan. The LLM planner plugs in here too.
pub trait Planner: Send + Sync {
    fn name(&self) -> &'static str;
    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan>;
}

/// A planner by name; `llm` uses the settings from `llm::LlmConfig::default().with_env()`.
pub fn planner_by_name(name: &str) -> anyhow::Result<Box<dyn Planner>> {
    planner_with(name, &llm::LlmConfig::default().with_env())
}

/// A planner by name, the LLM one with the given settings.
pub fn planner_with(name: &str, llm_config: &llm::LlmConfig) -> anyhow::Result<Box<dyn Planner>> {
    match name {
        "keyword" => Ok(Box::new(KeywordPlanner)),
        "keyword-no-kinematics" => Ok(Box::new(KeywordPlannerNoKinematics)),
        "random" => Ok(Box::new(RandomPlanner)),
        "llm" => Ok(Box::new(llm::LlmPlanner::new(llm_config.clone())?)),
        other => anyhow::bail!(
            "unknown planner \"{other}\"; allowed: keyword, random, llm, keyword-no-kinematics (an ablation)"
        ),
    }
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::level::MeasuredAt;

    fn sample() -> FaultPlan {
        let req = PlanRequest {
            machine: "fan".into(),
            attributes: vec![("rpm".into(), "1200".into())],
            fault: "squeaking bearing".into(),
            seed: 3,
        };
        KeywordPlanner.plan(&req).unwrap()
    }

    #[test]
    fn round_trips_through_json() {
        let plan = sample();
        let back = FaultPlan::from_json(&plan.to_json()).unwrap();
        assert_eq!(plan, back);
        assert_eq!(back.resolve().unwrap().len(), plan.steps.len());
    }

    #[test]
    fn bad_plans_fail_naming_the_field() {
        let good = sample().to_json();
        let cases: Vec<(String, &str)> = vec![
            ("{ not json".into(), "not JSON (line 1"),
            (
                good.replace("\"version\": 1", "\"version\": 2"),
                "version: 2 is not supported; allowed: 1",
            ),
            (good.replace("\"version\": 1,", ""), "version: missing"),
            (
                good.replace("\"function\": \"squeak\"", "\"function\": \"sqeak\""),
                "steps[0].function: unknown function \"sqeak\"",
            ),
            (
                good.replace("\"machine\": \"fan\"", "\"machine\": \"\""),
                "machine: must not be empty",
            ),
            (
                good.replace("\"seed\": 3", "\"seed\": \"three\""),
                "plan: invalid type",
            ),
        ];
        for (text, want) in cases {
            let e = FaultPlan::from_json(&text).unwrap_err().to_string();
            assert!(e.contains(want), "wanted {want:?} in {e:?}");
        }
        let mut v: Value = serde_json::from_str(&good).unwrap();
        v["steps"][0]["arguments"]["frequency_hz"] = 99999.into();
        let e = FaultPlan::from_json(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps[0].arguments.frequency_hz: 99999 is out of range; allowed a number from 300 to 8000 Hz"), "{e}");
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_ambient_comes_from_the_noise_or_snr_attribute_or_a_mimii_snr_folder() {
        assert_eq!(ambient_db("fan", &attrs(&[("noise", "-8")])), Some(-8.0));
        assert_eq!(ambient_db("fan", &attrs(&[("SNR", "6")])), Some(-6.0));
        assert_eq!(ambient_db("pump", &attrs(&[("snr_db", "-6")])), Some(6.0));
        assert_eq!(ambient_db("-6_dB_valve", &[]), Some(6.0));
        assert_eq!(ambient_db("6_dB_fan", &[]), Some(-6.0));
        // Nothing says, or it is not a number: no ambient (the recording is the machine).
        assert_eq!(ambient_db("fan", &attrs(&[("rpm", "1200")])), None);
        assert_eq!(ambient_db("fan", &attrs(&[("noise", "loud")])), None);
        assert_eq!(ambient_db("fan", &attrs(&[("noise", "NaN")])), None);
    }

    #[test]
    fn severities_against_the_machine_are_lowered_by_the_root_of_its_share_of_the_recording() {
        // Ambient as loud as the machine: the machine is half the recording's energy (−3.01 dB),
        // so every intensity × 10^(−3.01/20) = 0.7071.
        assert!((machine_share_db(0.0) + 10.0 * 2f64.log10()).abs() < 1e-12);
        assert!((intensity_on_ambient(Some(0.0)) - 0.5f32.sqrt()).abs() < 1e-6);
        assert_eq!(intensity_on_ambient(None), 1.0);
        // A quiet plant changes almost nothing; a loud one a lot.
        assert!(intensity_on_ambient(Some(-30.0)) > 0.999);
        assert!((intensity_on_ambient(Some(10.0)) - (1.0f32 / 11.0).sqrt()).abs() < 1e-6);

        let plan = sample();
        let before: Vec<f32> = plan
            .resolve()
            .unwrap()
            .iter()
            .map(|s| s.intensity())
            .collect();
        let noisy = plan
            .for_clip("fan", &attrs(&[("noise", "0")]), MeasuredAt::Machine)
            .unwrap();
        // Severities measured against the recording (a `--severity-at recording` world): the
        // ambient is already in what the scale measured, so nothing moves.
        let as_recorded = plan
            .for_clip("fan", &attrs(&[("noise", "0")]), MeasuredAt::Recording)
            .unwrap();
        assert_eq!(
            (as_recorded.steps.clone(), as_recorded.ambient_db),
            (plan.steps.clone(), None)
        );
        assert_eq!(noisy.ambient_db, Some(0.0));
        let after: Vec<f32> = noisy
            .resolve()
            .unwrap()
            .iter()
            .map(|s| s.intensity())
            .collect();
        for (b, a) in before.iter().zip(&after) {
            assert!((a / b - 0.5f32.sqrt()).abs() < 1e-5, "{b} -> {a}");
        }
        assert!(
            noisy
                .provenance
                .notes
                .last()
                .unwrap()
                .contains("severity against the machine"),
            "{:?}",
            noisy.provenance.notes
        );
        // The same clip again changes nothing (the plan knows the ambient it was set for); a
        // clip with another ambient moves by the ratio of the two shares; back to none restores.
        assert_eq!(
            noisy
                .for_clip("fan", &attrs(&[("noise", "0")]), MeasuredAt::Machine)
                .unwrap(),
            noisy
        );
        let quieter = noisy.on_ambient(Some(-10.0)).unwrap();
        let want = intensity_on_ambient(Some(-10.0));
        for (b, s) in before.iter().zip(quieter.resolve().unwrap()) {
            assert!((s.intensity() / b - want).abs() < 1e-4);
        }
        let clean = noisy.on_ambient(None).unwrap();
        for (b, s) in before.iter().zip(clean.resolve().unwrap()) {
            assert!((s.intensity() - b).abs() < 1e-5);
        }
        // A clip whose metadata says nothing leaves the plan as it is.
        assert_eq!(
            plan.for_clip("fan", &attrs(&[("rpm", "1200")]), MeasuredAt::Machine)
                .unwrap()
                .steps,
            plan.steps
        );
        // The plan's JSON keeps the ambient and reads back.
        assert_eq!(FaultPlan::from_json(&noisy.to_json()).unwrap(), noisy);
    }

    fn bearing_plan(rpm: &str) -> FaultPlan {
        KeywordPlanner
            .plan(&PlanRequest {
                machine: "bearing".into(),
                attributes: vec![("rpm".into(), rpm.into())],
                fault: "outer race defect".into(),
                seed: 2,
            })
            .unwrap()
    }

    #[test]
    fn a_kinematic_rate_is_stored_as_order_and_hz_and_follows_the_shaft() {
        let plan = bearing_plan("1800");
        let bpfo = crate::kinematics::Bearing::TYPICAL.bpfo(30.0);
        let args = &plan.steps[0].arguments;
        assert_eq!(plan.steps[0].function, "knock");
        assert!((args["rate_order"].as_f64().unwrap() - bpfo / 30.0).abs() < 1e-4);
        assert!((args["rate_hz"].as_f64().unwrap() - bpfo).abs() < 0.01);
        assert_eq!(plan.shaft_hz, Some(30.0));
        // The JSON round-trips with both.
        assert_eq!(FaultPlan::from_json(&plan.to_json()).unwrap(), plan);
        // At 1200 rpm the Hz follow the order; the seed and the other arguments stay.
        let (slow, notes) = plan.at_shaft(20.0).unwrap();
        let a = &slow.steps[0].arguments;
        assert!((a["rate_hz"].as_f64().unwrap() - bpfo / 30.0 * 20.0).abs() < 0.01);
        assert_eq!(a["rate_order"], args["rate_order"]);
        assert_eq!(a["resonance_hz"], args["resonance_hz"]);
        assert_eq!((slow.seed, slow.shaft_hz), (plan.seed, Some(20.0)));
        assert!(notes[0].contains("× shaft 20.00 Hz"), "{notes:?}");
        // The same as planning at 1200 rpm directly.
        let direct = bearing_plan("1200");
        assert!(
            (direct.steps[0].arguments["rate_hz"].as_f64().unwrap()
                - a["rate_hz"].as_f64().unwrap())
            .abs()
                < 0.01
        );
        // A clip that states its speed moves a fixed plan; one that does not keeps it.
        let clip = plan
            .for_clip(
                "bearing",
                &[("rpm".into(), "1200".into())],
                MeasuredAt::Machine,
            )
            .unwrap();
        assert_eq!(clip.steps, slow.steps);
        assert!(clip
            .provenance
            .notes
            .iter()
            .any(|n| n.contains("followed the clip's shaft rate")));
        assert_eq!(
            plan.for_clip("bearing", &[], MeasuredAt::Machine).unwrap(),
            plan
        );
        // A plan without orders never moves.
        let fan = KeywordPlanner
            .plan(&PlanRequest {
                machine: "fan".into(),
                attributes: vec![],
                fault: "squeal".into(),
                seed: 1,
            })
            .unwrap();
        assert_eq!(fan.shaft_hz, None);
        assert_eq!(fan.at_shaft(99.0).unwrap().0, fan);
    }

    #[test]
    fn an_order_that_does_not_match_its_hz_or_lacks_the_shaft_rate_is_named() {
        let plan = bearing_plan("1800");
        // The error from_json gives for the plan's JSON changed by `edit`.
        let error_after = |edit: &dyn Fn(&mut Value)| -> String {
            let mut v: Value = serde_json::from_str(&plan.to_json()).unwrap();
            edit(&mut v);
            FaultPlan::from_json(&v.to_string())
                .unwrap_err()
                .to_string()
        };
        let e = error_after(&|v| v["steps"][0]["arguments"]["rate_hz"] = 50.0.into());
        assert!(
            e.contains("steps[0].arguments.rate_hz: 50 Hz does not match rate_order")
                && e.contains("shaft_hz 30"),
            "{e}"
        );
        let e = error_after(&|v| {
            v.as_object_mut().unwrap().remove("shaft_hz");
        });
        assert!(
            e.contains("steps[0].arguments.rate_order: an order needs the plan's shaft_hz"),
            "{e}"
        );
        let e = error_after(&|v| v["steps"][0]["arguments"]["rate_order"] = 0.0.into());
        assert!(
            e.contains("rate_order: 0.0 is out of range; allowed a number above 0"),
            "{e}"
        );
        let e = error_after(&|v| v["steps"][0]["arguments"]["resonance_order"] = 2.0.into());
        assert!(
            e.contains("resonance_order: unknown argument; allowed:") && e.contains("rate_order"),
            "{e}"
        );
    }

    #[test]
    fn scaling_multiplies_intensities() {
        let plan = sample();
        let half = plan.scaled(0.5).unwrap();
        for (a, b) in plan.resolve().unwrap().iter().zip(half.resolve().unwrap()) {
            assert!((a.intensity() * 0.5 - b.intensity()).abs() < 1e-6);
        }
        assert_eq!(half.seed, plan.seed);
    }
}
