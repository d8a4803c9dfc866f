//! Argument checking against the catalog: strict for plan files, lenient (clamp, default, drop,
//! with warnings) for what a language model proposes.

use super::{find, names, FaultSpec, ParamKind, ParamSpec};
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
}

impl ResolvedStep {
    /// All defaults.
    pub fn defaults(spec: &'static FaultSpec) -> Self {
        Self {
            spec,
            values: spec.all_params().map(|p| p.default).collect(),
        }
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

    /// Arguments as a JSON object, in catalog order.
    pub fn arguments(&self) -> Map<String, Value> {
        self.spec
            .all_params()
            .zip(&self.values)
            .map(|(p, v)| {
                let value = match p.kind {
                    ParamKind::Int => Value::from(v.round() as i64),
                    // Round-trip through f64's shortest form of the f32 value.
                    ParamKind::Float => Value::from((*v as f64 * 1e6).round() / 1e6),
                };
                (p.name.to_string(), value)
            })
            .collect()
    }
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
    if let Some(extra) = arguments
        .keys()
        .find(|k| !spec.all_params().any(|p| p.name == k.as_str()))
    {
        return Err(CatalogError::UnknownArgument {
            at: at.to_string(),
            param: extra.clone(),
            allowed: spec
                .all_params()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        });
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
    Ok(ResolvedStep { spec, values })
}

/// Makes the best of a proposed call: unknown function → `None`; a missing or unusable
/// argument → its default; out of range → clamped; unknown arguments ignored. Every change is
/// reported in `warnings`, prefixed with `at`.
pub fn resolve_lenient(
    at: &str,
    function: &str,
    arguments: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Option<ResolvedStep> {
    let spec = match lookup(at, function) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!("dropped: {e}"));
            return None;
        }
    };
    for k in arguments
        .keys()
        .filter(|k| !spec.all_params().any(|p| p.name == k.as_str()))
    {
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
    Some(ResolvedStep { spec, values })
}
