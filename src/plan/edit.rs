//! Hand edits of a plan's arguments (the plugin editor's sliders): one argument at a time,
//! clamped to the catalog's range, with the plan's notes saying what a person changed — a plan
//! edited by hand must not claim to be the planner's own.

use super::{plan_steps, FaultPlan};
use crate::catalog::{self, CatalogError, ParamKind, ORDER_MAX};

/// Prefix of the provenance note an edit leaves.
pub const EDIT_NOTE: &str = "edited by hand:";

/// One editable argument of a step, as an editor shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Editable {
    /// The argument's key in the plan (`rate_hz`, or `rate_order` when the rate is an order).
    pub key: String,
    pub value: f32,
    pub min: f32,
    pub max: f32,
    /// The unit to show (`Hz`, `dB`, `× shaft` for an order).
    pub unit: String,
    pub integer: bool,
    pub description: &'static str,
}

impl FaultPlan {
    /// Every argument of step `step` in catalog order. A frequency given as an order is shown
    /// (and edited) as the order, since that is what follows the machine's speed.
    pub fn editable(&self, step: usize) -> Result<Vec<Editable>, CatalogError> {
        Ok(self
            .editable_steps()?
            .into_iter()
            .nth(step)
            .unwrap_or_default())
    }

    /// `editable` for every step, resolving the plan once (the editor draws this each frame).
    pub fn editable_steps(&self) -> Result<Vec<Vec<Editable>>, CatalogError> {
        Ok(self.resolve()?.iter().map(editable_of).collect())
    }

    /// The plan with argument `key` of step `step` set to `value` (clamped to its range; an
    /// integer parameter rounds). `key` is a parameter name or an order key (`rate_order`:
    /// the Hz follow at the plan's shaft rate). Setting the Hz of an order-given frequency makes
    /// it a plain Hz value. The plan's notes record the edit; repeated edits of one argument
    /// keep one note.
    pub fn with_argument(&self, step: usize, key: &str, value: f32) -> Result<Self, CatalogError> {
        let mut steps = self.resolve()?;
        let at = format!("steps[{step}]");
        let count = steps.len();
        let s = steps
            .get_mut(step)
            .ok_or_else(|| CatalogError::OutOfRange {
                at: "plan".into(),
                param: at.clone(),
                value: step.to_string(),
                expected: format!("a step index below {count}"),
            })?;
        let name = s.spec.name;
        let unknown = CatalogError::UnknownArgument {
            at: at.clone(),
            param: key.into(),
            allowed: s
                .spec
                .all_params()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        };
        if !value.is_finite() {
            return Err(CatalogError::WrongType {
                at: at.clone(),
                param: key.into(),
                value: value.to_string(),
                kind: "number",
                expected: "a finite number".into(),
            });
        }
        let params: Vec<_> = s.spec.all_params().collect();
        let (before, after, unit);
        if let Some(i) = params.iter().position(|p| p.name == key) {
            let p = params[i];
            let v = match p.kind {
                ParamKind::Int => value.round(),
                ParamKind::Float => value,
            }
            .clamp(p.min, p.max);
            before = s.values[i];
            s.values[i] = v;
            s.orders[i] = None;
            after = v;
            unit = p.unit.to_string();
        } else if let Some(i) = params
            .iter()
            .position(|p| catalog::order_key(name, p.name).as_deref() == Some(key))
        {
            let shaft = self
                .shaft_hz
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| CatalogError::Missing {
                    at: "plan".into(),
                    param: "shaft_hz".into(),
                    expected: format!("the shaft rate in Hz to set {key}; or set the Hz instead"),
                })?;
            before = s.orders[i].unwrap_or(s.values[i] / shaft as f32);
            after = value.clamp(0.01, ORDER_MAX);
            s.set_order(i, after, shaft);
            unit = "× shaft".into();
        } else {
            return Err(unknown);
        }
        let any_order = steps.iter().any(|s| s.has_orders());
        let mut notes = self.provenance.notes.clone();
        let prefix = format!("{EDIT_NOTE} {at} {name}.{key} ");
        let original = match notes.last() {
            // A second edit of the same argument: keep the first value, replace the note.
            Some(n) if n.starts_with(&prefix) => {
                let from = n[prefix.len()..]
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_string();
                notes.pop();
                from
            }
            _ => format!("{before}"),
        };
        notes.push(
            format!("{prefix}{original} -> {after} {unit}")
                .trim_end()
                .to_string(),
        );
        let mut plan = Self {
            steps: plan_steps(&steps),
            shaft_hz: if any_order { self.shaft_hz } else { None },
            ..self.clone()
        };
        plan.provenance.notes = notes;
        Ok(plan)
    }
}

/// A resolved step's arguments as an editor shows them.
fn editable_of(s: &crate::catalog::ResolvedStep) -> Vec<Editable> {
    s.spec
        .all_params()
        .zip(&s.values)
        .zip(&s.orders)
        .map(
            |((p, v), order)| match (order, catalog::order_key(s.spec.name, p.name)) {
                (Some(o), Some(key)) => Editable {
                    key,
                    value: *o,
                    min: 0.01,
                    max: ORDER_MAX,
                    unit: "× shaft".into(),
                    integer: false,
                    description: p.description,
                },
                _ => Editable {
                    key: p.name.into(),
                    value: *v,
                    min: p.min,
                    max: p.max,
                    unit: p.unit.into(),
                    integer: p.kind == ParamKind::Int,
                    description: p.description,
                },
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::plan::{planner_by_name, FaultPlan, PlanRequest};

    /// A knock at twice a 24 Hz shaft rate, the catalog's defaults otherwise.
    fn knock_plan() -> FaultPlan {
        let spec = crate::catalog::find("knock").unwrap();
        let mut step = crate::catalog::ResolvedStep::defaults(spec);
        let i = spec.all_params().position(|p| p.name == "rate_hz").unwrap();
        step.set_order(i, 2.0, 24.0);
        let provenance = crate::plan::Provenance {
            planner: "keyword".into(),
            requested: None,
            fallback: None,
            model: None,
            prompt: None,
            created: "2026-12-01T00:00:00Z".into(),
            notes: vec![],
        };
        let plan =
            FaultPlan::new("pump", "pump, knock", &[step], 3, provenance).with_shaft_hz(Some(24.0));
        FaultPlan::from_json(&plan.to_json()).expect("a valid plan")
    }

    #[test]
    fn every_catalog_argument_is_editable_with_its_range_and_unit() {
        let plan = knock_plan();
        let args = plan.editable(0).unwrap();
        let spec = crate::catalog::find("knock").unwrap();
        assert_eq!(args.len(), spec.all_params().count());
        let rate = args
            .iter()
            .find(|a| a.key == "rate_order")
            .expect("the order is edited");
        assert_eq!((rate.value, rate.unit.as_str()), (2.0, "× shaft"));
        for (a, p) in args
            .iter()
            .zip(spec.all_params())
            .filter(|(a, _)| a.key == a.key.trim_end_matches("_order"))
        {
            assert_eq!(
                (a.key.as_str(), a.min, a.max, a.unit.as_str()),
                (p.name, p.min, p.max, p.unit)
            );
        }
    }

    #[test]
    fn an_edit_is_clamped_recorded_and_reads_back() {
        let plan = knock_plan();
        let edited = plan.with_argument(0, "rate_order", 3.0).unwrap();
        // The Hz follow the order at the plan's shaft rate, and the plan stays valid JSON.
        let back = FaultPlan::from_json(&edited.to_json()).unwrap();
        assert_eq!(back.steps[0].arguments["rate_hz"], serde_json::json!(72.0));
        assert_eq!(back.shaft_hz, Some(24.0));
        // A second edit of the same argument keeps one note with the first value.
        let again = edited.with_argument(0, "rate_order", 2.5).unwrap();
        let notes: Vec<_> = again
            .provenance
            .notes
            .iter()
            .filter(|n| n.starts_with(super::EDIT_NOTE))
            .collect();
        assert_eq!(
            notes,
            ["edited by hand: steps[0] knock.rate_order 2 -> 2.5 × shaft"]
        );
        // Out of range is clamped to the catalog's maximum, an integer rounds.
        let spec = crate::catalog::find("knock").unwrap();
        let p = spec.all_params().find(|p| p.name == "rate_hz").unwrap();
        let hz = plan.with_argument(0, "rate_hz", 1e9).unwrap();
        assert_eq!(
            hz.steps[0].arguments["rate_hz"].as_f64().unwrap() as f32,
            p.max
        );
        // Setting the Hz drops the order, and with it the plan's shaft rate.
        assert!(!hz.steps[0].arguments.contains_key("rate_order"));
        assert_eq!(hz.shaft_hz, None);
        assert!(FaultPlan::from_json(&hz.to_json()).is_ok());
    }

    #[test]
    fn unknown_keys_and_non_numbers_are_named_errors() {
        let plan = knock_plan();
        let e = plan.with_argument(0, "speed", 1.0).unwrap_err().to_string();
        assert!(e.contains("speed") && e.contains("rate_hz"), "{e}");
        let e = plan
            .with_argument(0, "intensity", f32::NAN)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not a number"), "{e}");
        assert!(plan.with_argument(4, "intensity", 0.2).is_err());
    }

    #[test]
    fn every_step_of_every_typical_plan_edits_to_a_valid_plan() {
        for m in crate::machine::MachineType::ALL {
            let request = PlanRequest {
                machine: m.name().into(),
                attributes: vec![],
                fault: m.typical_fault().into(),
                seed: 1,
            };
            let plan = planner_by_name("keyword").unwrap().plan(&request).unwrap();
            for i in 0..plan.steps.len() {
                for a in plan.editable(i).unwrap() {
                    let mid = if a.integer {
                        ((a.min + a.max) / 2.0).round()
                    } else {
                        (a.min + a.max) / 2.0
                    };
                    let edited = plan.with_argument(i, &a.key, mid).unwrap();
                    let back = FaultPlan::from_json(&edited.to_json())
                        .unwrap_or_else(|e| panic!("{} {}: {e}", m.name(), a.key));
                    let shown = back.editable(i).unwrap();
                    let got = shown.iter().find(|b| b.key == a.key).unwrap().value;
                    assert!(
                        (got - mid).abs() <= 1e-3 * mid.abs().max(1.0),
                        "{} {}: {got} vs {mid}",
                        m.name(),
                        a.key
                    );
                }
            }
        }
    }
}
