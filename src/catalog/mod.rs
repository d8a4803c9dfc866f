//! The fault function catalog: the one source of truth for fault names, descriptions and
//! parameters. The LLM tool list (`tool_schema`), plan validation (`resolve_strict`,
//! `resolve_lenient`) and the DSP builders (`build_chain`) all read `CATALOG`.

mod entries;
pub mod levels;
mod validate;

pub use entries::CATALOG;
pub use validate::{resolve_lenient, resolve_strict, CatalogError, ResolvedStep};

/// Frequency parameters that may be given as an **order** of the machine's shaft rate besides
/// Hz — the rates a condition-monitoring engineer reads as multiples of running speed (1×
/// imbalance, 2× misalignment, blade pass, BPFO …). The order's key is the parameter's name
/// with `_hz` replaced by `_order` (`rate_hz` → `rate_order`). A plan stores both the order and
/// the Hz it gave at the plan's `shaft_hz`, so its Hz follow when the machine's speed changes.
/// Structural frequencies (resonances, band centres, a squeal's pitch) are not orders.
pub const ORDER_PARAMS: &[(&str, &str)] = &[
    ("knock", "rate_hz"),
    ("rattle", "impact_rate_hz"),
    ("squeak", "burst_rate_hz"),
    ("hum", "fundamental_hz"),
    ("amplitude_modulation", "rate_hz"),
    ("speed_wobble", "rate_hz"),
];

/// The largest order accepted (a 64-tooth gear's mesh is 64×; a bearing's BPFI of 20 balls ~12×).
pub const ORDER_MAX: f32 = 200.0;

/// The order key of a function's parameter, when that parameter may be given as an order.
pub fn order_key(function: &str, param: &str) -> Option<String> {
    ORDER_PARAMS
        .iter()
        .any(|(f, p)| *f == function && *p == param)
        .then(|| format!("{}_order", param.trim_end_matches("_hz")))
}

use crate::dsp::{derive_seed, FaultChain, Transform};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Float,
    Int,
}

/// One typed parameter of a fault function.
#[derive(Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub unit: &'static str,
    pub min: f32,
    pub max: f32,
    pub default: f32,
    pub kind: ParamKind,
    pub description: &'static str,
}

/// Every transform takes `intensity`, first: 0 is an exact pass-through, 1 the full fault.
pub const INTENSITY: ParamSpec = ParamSpec {
    name: "intensity",
    unit: "",
    min: 0.0,
    max: 1.0,
    default: 0.5,
    kind: ParamKind::Float,
    description: "Severity of the fault: 0 leaves the sound untouched, 1 is the full fault; severity grows monotonically.",
};

/// Parameters that set a function's level at intensity 1 on the severity scale: the catalog's
/// defaults are calibrated so intensity alone sets the level (README, "Severity scale"), and
/// planners that draw on the scale (keyword, random) leave these at their defaults.
pub const LEVEL_PARAMS: &[&str] = &[
    "level_db",
    "semitones",
    "depth_cents",
    "gain_db",
    "depth_db",
    "drive_db",
];

/// Builds the DSP transform from resolved arguments and a seed.
pub type Builder = fn(&ResolvedStep, u64) -> Box<dyn Transform>;

/// One fault function the planner may call.
pub struct FaultSpec {
    pub name: &'static str,
    /// The mechanical fault it stands for, in a few words.
    pub fault: &'static str,
    /// The sound and the fault, one paragraph.
    pub description: &'static str,
    /// Parameters after `intensity`.
    pub params: &'static [ParamSpec],
    pub build: Builder,
}

impl FaultSpec {
    /// `intensity` followed by the function's own parameters.
    pub fn all_params(&self) -> impl Iterator<Item = &'static ParamSpec> {
        std::iter::once(&INTENSITY).chain(self.params.iter())
    }

    /// The OpenAI-compatible tool entry for this function.
    pub fn tool(&self) -> Value {
        let mut properties = serde_json::Map::new();
        for p in self.all_params() {
            let unit = if p.unit.is_empty() {
                String::new()
            } else {
                format!(" [{}]", p.unit)
            };
            let ty = if p.kind == ParamKind::Int {
                "integer"
            } else {
                "number"
            };
            properties.insert(
                p.name.to_string(),
                json!({
                    "type": ty,
                    "minimum": p.min,
                    "maximum": p.max,
                    "default": p.default,
                    "description": format!("{}{} Range {} to {}, default {}.", p.description, unit, p.min, p.max, p.default),
                }),
            );
        }
        for p in self.all_params() {
            if let Some(key) = order_key(self.name, p.name) {
                properties.insert(
                    key,
                    json!({
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": ORDER_MAX,
                        "description": format!("Optional: {} as a multiple of the machine's shaft rate (an order: 1 = once per revolution, 2 = twice, a bearing's or gear's defect order from the caption). When given, it sets {} = order × shaft rate.", p.name, p.name),
                    }),
                );
            }
        }
        let required: Vec<&str> = self.all_params().map(|p| p.name).collect();
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": format!("{} Stands for: {}.", self.description, self.fault),
                "parameters": { "type": "object", "properties": properties, "required": required, "additionalProperties": false },
            }
        })
    }
}

impl std::fmt::Debug for FaultSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub fn find(name: &str) -> Option<&'static FaultSpec> {
    CATALOG.iter().find(|f| f.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|f| f.name)
}

/// The whole tool list, as sent in a chat-completions request's `tools`.
pub fn tool_schema() -> Value {
    Value::Array(CATALOG.iter().map(FaultSpec::tool).collect())
}

/// Builds a chain from resolved steps; step i gets a seed derived from `seed` and i.
pub fn build_chain(steps: &[ResolvedStep], seed: u64) -> FaultChain {
    FaultChain::new(
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    (s.spec.build)(s, derive_seed(seed, i as u64)),
                    s.intensity(),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
