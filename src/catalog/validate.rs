//! Argument checking against the catalog: strict for plan files, lenient (clamp, default, drop,
//! with warnings) for what a language model proposes.

use super::{find, names, order_key, FaultSpec, ParamKind, ParamSpec, ORDER_MAX};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CatalogError {
    #[error("{at}.function: unknown function \"{name}\"; allowed: {allowed}")]
    UnknownFunction {
        at: String,
        name: String,
        allowed: String,
    },
    #[error("{at}.arguments.{param}: missing; expected {expected}")]
    Missing {
        at: String,
        param: String,
        expected: String,
    },
    #[error("{at}.arguments.{param}: {value} is out of range; allowed {expected}")]
    OutOfRange {
        at: String,
        param: String,
        value: String,
        expected: String,
    },
    #[error("{at}.arguments.{param}: {value} is not a {kind}; expected {expected}")]
    WrongType {
        at: String,
        param: String,
        value: String,
        kind: &'static str,
        expected: String,
    },
    #[error("{at}.arguments.{param}: unknown argument; allowed: {allowed}")]
    UnknownArgument {
        at: String,
        param: String,
        allowed: String,
    },
}

/// A catalog function with every parameter given a valid value (intensity first).
#[derive(Clone, Debug)]
pub struct ResolvedStep {
    pub spec: &'static FaultSpec,
    pub values: Vec<f32>,
    /// Per parameter (same order as `values`): the order of the shaft rate its Hz value was
    /// derived from, for the parameters in `ORDER_PARAMS`; `None` where the Hz value is given.
    pub orders: Vec<Option<f32>>,
}

impl ResolvedStep {
    /// All defaults.
    pub fn defaults(spec: &'static FaultSpec) -> Self {
        Self {
            spec,
            values: spec.all_params().map(|p| p.default).collect(),
            orders: vec![None; spec.all_params().count()],
        }
    }

    /// Sets parameter `i` to `order` × `shaft_hz` (clamped to its range) and records the order;
    /// returns the note that says so, with the clamp if there was one.
    pub fn set_order(&mut self, i: usize, order: f32, shaft_hz: f64) -> String {
        let p = self.spec.all_params().nth(i).expect("parameter index");
        let hz = f64::from(order) * shaft_hz;
        let v = (hz as f32).clamp(p.min, p.max);
        self.values[i] = v;
        self.orders[i] = Some(order);
        let key = order_key(self.spec.name, p.name).unwrap_or_default();
        if (f64::from(v) - hz).abs() > 1e-3 * hz {
            format!(
                "{}.{key} {order} × shaft {shaft_hz:.2} Hz = {hz:.2} Hz, clamped to {v} Hz ({})",
                self.spec.name,
                expected(p)
            )
        } else {
            format!(
                "{}.{key} {order} × shaft {shaft_hz:.2} Hz = {v} Hz",
                self.spec.name
            )
        }
    }

    /// Recomputes every order-given frequency at a new shaft rate (the machine's speed
    /// changed); returns a note per parameter that moved.
    pub fn rebase(&mut self, shaft_hz: f64) -> Vec<String> {
        (0..self.values.len())
            .filter_map(|i| {
                let order = self.orders[i]?;
                let before = self.values[i];
                let note = self.set_order(i, order, shaft_hz);
                (self.values[i] != before).then_some(note)
            })
            .collect()
    }

    /// Whether any frequency of this step is given as an order.
    pub fn has_orders(&self) -> bool {
        self.orders.iter().any(Option::is_some)
    }

    pub fn intensity(&self) -> f32 {
        self.values[0]
    }

    pub fn set_intensity(&mut self, intensity: f32) {
        self.values[0] = intensity.clamp(0.0, 1.0);
    }

    /// Value of a named parameter. Panics on a name the spec lacks: a catalog bug, which the
    /// catalog tests catch by building every function.
    pub fn get(&self, name: &str) -> f32 {
        let i = self.spec.all_params().position(|p| p.name == name);
        self.values[i.unwrap_or_else(|| panic!("{} has no parameter {name}", self.spec.name))]
    }

    /// Arguments as a JSON object, in catalog order; an order-given frequency is followed by
    /// its order (`rate_hz`, `rate_order`).
    pub fn arguments(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for ((p, v), order) in self.spec.all_params().zip(&self.values).zip(&self.orders) {
            let value = match p.kind {
                ParamKind::Int => Value::from(v.round() as i64),
                // Round-trip through f64's shortest form of the f32 value.
                ParamKind::Float => Value::from((*v as f64 * 1e6).round() / 1e6),
            };
            out.insert(p.name.to_string(), value);
            if let (Some(o), Some(key)) = (order, order_key(self.spec.name, p.name)) {
                out.insert(key, Value::from((f64::from(*o) * 1e6).round() / 1e6));
            }
        }
        out
    }
}

/// Is `key` one of `spec`'s order keys? Returns the index of the Hz parameter it stands for.
fn order_param(spec: &FaultSpec, key: &str) -> Option<usize> {
    spec.all_params()
        .position(|p| order_key(spec.name, p.name).as_deref() == Some(key))
}

fn order_expected() -> String {
    format!("a number above 0 and at most {ORDER_MAX} (an order of the shaft rate)")
}

fn expected(p: &ParamSpec) -> String {
    let kind = if p.kind == ParamKind::Int {
        "an integer"
    } else {
        "a number"
    };
    let unit = if p.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", p.unit)
    };
    format!("{kind} from {} to {}{unit}", p.min, p.max)
}

fn lookup(at: &str, function: &str) -> Result<&'static FaultSpec, CatalogError> {
    find(function).ok_or_else(|| CatalogError::UnknownFunction {
        at: at.to_string(),
        name: function.to_string(),
        allowed: names().collect::<Vec<_>>().join(", "),
    })
}

/// A JSON value as a number, accepting numeric strings ("0.5") that models often send.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// Checks a plan step exactly: every argument present, typed and in range, nothing unknown.
pub fn resolve_strict(
    at: &str,
    function: &str,
    arguments: &Map<String, Value>,
) -> Result<ResolvedStep, CatalogError> {
    let spec = lookup(at, function)?;
    if let Some(extra) = arguments.keys().find(|k| {
        !spec.all_params().any(|p| p.name == k.as_str()) && order_param(spec, k).is_none()
    }) {
        return Err(CatalogError::UnknownArgument {
            at: at.to_string(),
            param: extra.clone(),
            allowed: spec
                .all_params()
                .map(|p| p.name.to_string())
                .chain(
                    spec.all_params()
                        .filter_map(|p| order_key(spec.name, p.name)),
                )
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut orders = vec![None; spec.all_params().count()];
    for (key, raw) in arguments {
        let Some(i) = order_param(spec, key) else {
            continue;
        };
        let x = raw
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| CatalogError::WrongType {
                at: at.to_string(),
                param: key.clone(),
                value: raw.to_string(),
                kind: "number",
                expected: order_expected(),
            })?;
        if !(x > 0.0 && x <= f64::from(ORDER_MAX)) {
            return Err(CatalogError::OutOfRange {
                at: at.to_string(),
                param: key.clone(),
                value: raw.to_string(),
                expected: order_expected(),
            });
        }
        orders[i] = Some(x as f32);
    }
    let mut values = Vec::new();
    for p in spec.all_params() {
        let raw = arguments.get(p.name).ok_or_else(|| CatalogError::Missing {
            at: at.to_string(),
            param: p.name.to_string(),
            expected: expected(p),
        })?;
        let x = match raw {
            Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
            _ => None,
        };
        let kind = if p.kind == ParamKind::Int {
            "integer"
        } else {
            "number"
        };
        let wrong = || CatalogError::WrongType {
            at: at.to_string(),
            param: p.name.to_string(),
            value: raw.to_string(),
            kind,
            expected: expected(p),
        };
        let x = x.ok_or_else(wrong)?;
        if p.kind == ParamKind::Int && x.fract() != 0.0 {
            return Err(wrong());
        }
        if x < p.min as f64 || x > p.max as f64 {
            return Err(CatalogError::OutOfRange {
                at: at.to_string(),
                param: p.name.to_string(),
                value: raw.to_string(),
                expected: expected(p),
            });
        }
        values.push(x as f32);
    }
    Ok(ResolvedStep {
        spec,
        values,
        orders,
    })
}

/// Makes the best of a proposed call: unknown function → `None`; a missing or unusable
/// argument → its default; out of range → clamped; unknown arguments ignored. An order
/// (`rate_order`) sets its frequency to order × `shaft_hz` (over a Hz value also given), or is
/// ignored when the machine's shaft rate is unknown. Every change is reported in `warnings`,
/// prefixed with `at`.
pub fn resolve_lenient(
    at: &str,
    function: &str,
    arguments: &Map<String, Value>,
    shaft_hz: Option<f64>,
    warnings: &mut Vec<String>,
) -> Option<ResolvedStep> {
    let spec = match lookup(at, function) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!("dropped: {e}"));
            return None;
        }
    };
    for k in arguments.keys().filter(|k| {
        !spec.all_params().any(|p| p.name == k.as_str()) && order_param(spec, k).is_none()
    }) {
        warnings.push(format!("{at}.arguments.{k}: unknown argument ignored"));
    }
    let values = spec
        .all_params()
        .map(|p| match arguments.get(p.name) {
            None => {
                warnings.push(format!(
                    "{at}.arguments.{}: missing, default {} used",
                    p.name, p.default
                ));
                p.default
            }
            Some(raw) => match as_number(raw) {
                None => {
                    warnings.push(format!(
                        "{at}.arguments.{}: {raw} is not a number, default {} used",
                        p.name, p.default
                    ));
                    p.default
                }
                Some(x) => {
                    let mut v = x.clamp(p.min as f64, p.max as f64);
                    if p.kind == ParamKind::Int {
                        v = v.round();
                    }
                    if v != x {
                        warnings.push(format!(
                            "{at}.arguments.{}: {x} clamped to {v} ({})",
                            p.name,
                            expected(p)
                        ));
                    }
                    v as f32
                }
            },
        })
        .collect();
    let mut step = ResolvedStep {
        spec,
        values,
        orders: vec![None; spec.all_params().count()],
    };
    for (key, raw) in arguments {
        let Some(i) = order_param(spec, key) else {
            continue;
        };
        let order = as_number(raw).filter(|x| *x > 0.0);
        match (order, shaft_hz) {
            (None, _) => warnings.push(format!(
                "{at}.arguments.{key}: {raw} is not a positive number; ignored"
            )),
            (Some(_), None) => warnings.push(format!(
                "{at}.arguments.{key}: ignored, the machine's shaft rate is unknown"
            )),
            (Some(o), Some(shaft)) => {
                let clamped = o.min(f64::from(ORDER_MAX));
                if clamped != o {
                    warnings.push(format!(
                        "{at}.arguments.{key}: {o} clamped to {clamped} ({})",
                        order_expected()
                    ));
                }
                let note = step.set_order(i, clamped as f32, shaft);
                warnings.push(format!("{at}: {note}"));
            }
        }
    }
    Some(step)
}
