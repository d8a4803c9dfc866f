//! The keyword planner: a documented mapping from fault words to catalog functions and
//! parameter ranges (the paper's "manual keyword mapping"). Offline, instant, and the default.
//!
//! Words match by prefix, so "squeaking" hits "squeak" and "loosened" hits "loose". Functions
//! come in the order the text first names them, each once, at most three. A description that
//! names nothing known falls back to the machine type's typical fault, noted in the provenance.

use super::{now_rfc3339, FaultPlan, PlanRequest, Planner, Provenance};
use crate::catalog::{find, ResolvedStep};
use crate::dsp::Rng;
use crate::machine::MachineType;

/// One mapping: fault words → a function, with ranges drawn per plan (unlisted parameters keep
/// their catalog defaults).
pub struct Rule {
    pub words: &'static [&'static str],
    pub function: &'static str,
    pub ranges: &'static [(&'static str, f32, f32)],
}

/// A step's intensity: uniform in dB over the severity scale's range (`SEVERITY_RANGE_DB`,
/// −12 … 0 dB, intensity 0.25 … 1), the range the synthetic world's reference faults are drawn
/// from. The rules leave the level parameters (`catalog::LEVEL_PARAMS`) at the catalog's
/// calibrated defaults, so a step's intensity alone sets its level.
pub fn draw_intensity(rng: &mut Rng) -> f32 {
    let (lo, hi) = crate::features::level::SEVERITY_RANGE_DB;
    crate::features::level::intensity_for(f64::from(rng.range(lo as f32, hi as f32))) as f32
}
pub const MAX_STEPS: usize = 3;

pub static RULES: &[Rule] = &[
    Rule {
        words: &[
            "squeak", "squeal", "screech", "whistl", "friction", "dry", "lubric", "grease", "glaz",
        ],
        function: "squeak",
        ranges: &[
            ("frequency_hz", 1200.0, 4500.0),
            ("burst_rate_hz", 0.5, 3.0),
            ("burst_ms", 100.0, 600.0),
            ("glide_cents", 30.0, 200.0),
        ],
    },
    Rule {
        words: &[
            "rattl", "loose", "bolt", "cover", "guard", "debris", "chatter",
        ],
        function: "rattle",
        ranges: &[
            ("impact_rate_hz", 8.0, 40.0),
            ("resonance_hz", 1500.0, 5000.0),
            ("decay_ms", 3.0, 15.0),
        ],
    },
    Rule {
        words: &[
            "knock", "bearing", "race", "spall", "pitting", "tooth", "teeth", "gear", "crack",
            "chip", "impact", "flat", "dent", "bang",
        ],
        function: "knock",
        ranges: &[
            ("rate_hz", 5.0, 80.0),
            ("resonance_hz", 1000.0, 4000.0),
            ("decay_ms", 5.0, 25.0),
            ("jitter_pct", 1.0, 5.0),
        ],
    },
    Rule {
        words: &[
            "imbalanc", "unbalanc", "misalign", "hum", "vibrat", "electric", "mains",
        ],
        function: "hum",
        ranges: &[
            ("fundamental_hz", 20.0, 120.0),
            ("harmonics", 2.0, 6.0),
            ("rolloff_db", 3.0, 9.0),
        ],
    },
    Rule {
        words: &[
            "eccentric",
            "bent",
            "wobbl",
            "slap",
            "blade",
            "belt",
            "modulat",
            "puls",
        ],
        function: "amplitude_modulation",
        ranges: &[("rate_hz", 2.0, 15.0)],
    },
    Rule {
        words: &["overload", "slow", "jam", "stall", "heavy", "load", "drag"],
        function: "pitch_shift",
        ranges: &[("grain_ms", 30.0, 60.0)],
    },
    Rule {
        words: &[
            "slip", "unstable", "hunting", "fluctuat", "surg", "coupling",
        ],
        function: "speed_wobble",
        ranges: &[("rate_hz", 0.5, 4.0)],
    },
    Rule {
        words: &["wear", "worn", "rough", "abrasi", "scratch", "grind"],
        function: "band_noise",
        ranges: &[("center_hz", 2000.0, 5000.0), ("bandwidth_oct", 1.0, 2.0)],
    },
    Rule {
        words: &["cavitat", "bubbl", "boil"],
        function: "band_noise",
        ranges: &[("center_hz", 3000.0, 6000.0), ("bandwidth_oct", 1.5, 3.0)],
    },
    Rule {
        words: &["leak", "hiss", "air", "seal", "gas", "steam"],
        function: "band_noise",
        ranges: &[("center_hz", 4000.0, 7000.0), ("bandwidth_oct", 1.0, 2.0)],
    },
    Rule {
        words: &[
            "resonan",
            "mount",
            "bracket",
            "foundation",
            "ring",
            "base",
            "frame",
        ],
        function: "resonance",
        ranges: &[("frequency_hz", 300.0, 3000.0), ("q", 4.0, 15.0)],
    },
    Rule {
        words: &[
            "clog", "block", "chok", "dust", "filter", "muffl", "obstruct", "dirt",
        ],
        function: "damping",
        ranges: &[("cutoff_hz", 500.0, 2500.0)],
    },
    Rule {
        words: &[
            "stick",
            "stuck",
            "intermittent",
            "dropout",
            "cut",
            "stutter",
            "hesitat",
        ],
        function: "dropout",
        ranges: &[("rate_hz", 0.5, 4.0), ("duration_ms", 30.0, 200.0)],
    },
    Rule {
        words: &["rub", "contact", "scrap", "clip", "distort", "touch"],
        function: "saturation",
        ranges: &[("asymmetry", 0.1, 0.6)],
    },
];

/// Rules hit by a description, in the order of first mention, one per function.
pub fn matching_rules(text: &str) -> Vec<(&'static Rule, String)> {
    let lower = text.to_lowercase();
    let mut hits: Vec<(usize, &'static Rule, String)> = Vec::new();
    let mut position = 0;
    for token in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        position += 1;
        for rule in RULES {
            if let Some(w) = rule.words.iter().find(|w| token.starts_with(*w)) {
                if !hits.iter().any(|(_, r, _)| r.function == rule.function) {
                    hits.push((
                        position,
                        rule,
                        format!("\"{token}\" → {} (\"{w}\")", rule.function),
                    ));
                }
            }
        }
    }
    hits.sort_by_key(|(p, _, _)| *p);
    hits.into_iter()
        .take(MAX_STEPS)
        .map(|(_, r, why)| (r, why))
        .collect()
}

/// Draws one step of a rule: listed ranges uniformly, intensity uniformly in dB.
pub fn draw_step(rule: &Rule, rng: &mut Rng) -> ResolvedStep {
    let spec = find(rule.function)
        .unwrap_or_else(|| panic!("keyword rule names unknown function {}", rule.function));
    let mut step = ResolvedStep::defaults(spec);
    step.set_intensity(draw_intensity(rng));
    for (name, lo, hi) in rule.ranges {
        let i = spec
            .all_params()
            .position(|p| p.name == *name)
            .expect("rule parameter exists");
        let v = rng.range(*lo, *hi);
        step.values[i] = if spec.all_params().nth(i).unwrap().kind == crate::catalog::ParamKind::Int
        {
            v.round()
        } else {
            v
        };
    }
    step
}

pub struct KeywordPlanner;

impl Planner for KeywordPlanner {
    fn name(&self) -> &'static str {
        "keyword"
    }

    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan> {
        let mut notes = Vec::new();
        let mut hits = matching_rules(&request.fault);
        if hits.is_empty() {
            let typical = request
                .machine
                .parse::<MachineType>()
                .map(|m| m.typical_fault())
                .unwrap_or("worn bearing");
            notes.push(format!(
                "no known fault word in \"{}\"; used the typical fault \"{typical}\"",
                request.fault
            ));
            hits = matching_rules(typical);
        }
        notes.extend(hits.iter().map(|(_, why)| why.clone()));
        let mut rng = Rng::new(request.seed);
        let steps: Vec<ResolvedStep> = hits
            .iter()
            .map(|(rule, _)| draw_step(rule, &mut rng))
            .collect();
        let provenance = Provenance {
            planner: self.name().into(),
            model: None,
            created: now_rfc3339(),
            notes,
            ..Provenance::default()
        };
        Ok(FaultPlan::new(
            &request.machine,
            &request.caption(),
            &steps,
            request.seed,
            provenance,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(fault: &str, machine: &str) -> FaultPlan {
        let req = PlanRequest {
            machine: machine.into(),
            attributes: vec![],
            fault: fault.into(),
            seed: 1,
        };
        KeywordPlanner.plan(&req).unwrap()
    }

    fn functions(p: &FaultPlan) -> Vec<&str> {
        p.steps.iter().map(|s| s.function.as_str()).collect()
    }

    #[test]
    fn every_rule_names_a_catalog_function_and_parameter_within_range() {
        for rule in RULES {
            let spec = find(rule.function).expect(rule.function);
            for (name, lo, hi) in rule.ranges {
                let p = spec
                    .all_params()
                    .find(|p| p.name == *name)
                    .unwrap_or_else(|| panic!("{}.{name}", rule.function));
                assert!(
                    p.min <= *lo && lo <= hi && *hi <= p.max,
                    "{}.{name}",
                    rule.function
                );
            }
        }
    }

    #[test]
    fn maps_fault_words_in_order_of_mention() {
        assert_eq!(
            functions(&plan("squeaking bearing", "fan")),
            ["squeak", "knock"]
        );
        assert_eq!(
            functions(&plan("loosened mounting bolts", "pump")),
            ["rattle", "resonance"]
        );
        assert_eq!(
            functions(&plan("clogged intake and cavitation", "pump")),
            ["damping", "band_noise"]
        );
        assert_eq!(
            functions(&plan(
                "rotor rubbing; imbalance; slipping belt; worn seal",
                "fan"
            ))
            .len(),
            MAX_STEPS
        );
    }

    #[test]
    fn unknown_words_fall_back_to_the_machines_typical_fault_and_say_so() {
        let p = plan("it sounds odd", "valve");
        assert_eq!(functions(&p), ["band_noise", "dropout"]);
        assert!(
            p.provenance.notes[0]
                .contains("typical fault \"a leaking seat or a sticking plunger\""),
            "{}",
            p.provenance.notes[0]
        );
    }

    #[test]
    fn plans_validate_and_vary_with_the_seed() {
        let a = plan("worn bearing", "bearing");
        assert!(FaultPlan::from_json(&a.to_json()).is_ok());
        let req = PlanRequest {
            machine: "bearing".into(),
            attributes: vec![],
            fault: "worn bearing".into(),
            seed: 2,
        };
        let b = KeywordPlanner.plan(&req).unwrap();
        assert_eq!(functions(&a), functions(&b));
        assert_ne!(a.steps, b.steps);
    }
}
