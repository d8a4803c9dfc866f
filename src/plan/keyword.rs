//! The keyword planner: a documented mapping from fault words to catalog functions and
//! parameter ranges (the paper's "manual keyword mapping"). Offline, instant, and the default.
//!
//! Words match by prefix, so "squeaking" hits "squeak" and "loosened" hits "loose". Functions
//! come in the order the text first names them, each once, at most three. A description that
//! names nothing known falls back to the machine type's typical fault, noted in the provenance.

use super::{FaultPlan, PlanRequest, Planner, Provenance};
use crate::catalog::{find, ResolvedStep};
use crate::dsp::Rng;
use crate::kinematics::Kinematics;
use crate::machine::MachineType;

/// One mapping: fault words → a function, with ranges drawn per plan (unlisted parameters keep
/// their catalog defaults).
pub struct Rule {
    pub words: &'static [&'static str],
    pub function: &'static str,
    pub ranges: &'static [(&'static str, f32, f32)],
}

/// A fault's severity, dB on the scale: uniform over `SEVERITY_RANGE_DB` (0 … +12 dB,
/// intensity 0.25 … 1), the range the synthetic world's reference faults are drawn from. The
/// rules leave the level parameters (`catalog::LEVEL_PARAMS`) at the catalog's calibrated
/// defaults, so a step's intensity alone sets its level.
pub fn draw_severity_db(rng: &mut Rng) -> f64 {
    let (lo, hi) = crate::features::level::SEVERITY_RANGE_DB;
    f64::from(rng.range(lo as f32, hi as f32))
}

/// Gives the steps that render *one* fault one severity: drawn once (uniformly in dB on the
/// scale, as the synthetic world's reference faults are, one per clip) and shared by the steps
/// in energy, each at `S − 10·log10 k` dB for `k` steps. Why: a fault's severity is the size of
/// the fault, not of each function used to render it; drawing every step its own severity made
/// a three-function plan three faults' worth of change (AUC ≈ 1 on most machines, so machines
/// tied). Returns the note for the plan's provenance.
pub fn share_severity(steps: &mut [ResolvedStep], rng: &mut Rng) -> String {
    let severity = draw_severity_db(rng);
    let k = steps.len().max(1);
    let each = severity - 10.0 * (k as f64).log10();
    for s in steps.iter_mut() {
        s.set_intensity(crate::features::level::intensity_for(each) as f32);
    }
    if k == 1 {
        format!("one fault at {severity:.1} dB on the severity scale")
    } else {
        format!(
            "one fault at {severity:.1} dB on the severity scale, shared by its {k} steps ({each:.1} dB each)"
        )
    }
}

/// The alternatives a description names ("a leaking seat or a sticking plunger"): its parts
/// between the word "or", each kept only if it names a known fault word.
pub fn alternatives(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if word.eq_ignore_ascii_case("or") {
            parts.push(std::mem::take(&mut current));
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| {
            p.trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .to_string()
        })
        .filter(|p| !matching_rules(p).is_empty())
        .collect()
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

/// Draws one step of a rule: listed ranges uniformly (the intensity is the fault's: `share_severity`).
pub fn draw_step(rule: &Rule, rng: &mut Rng) -> ResolvedStep {
    let spec = find(rule.function)
        .unwrap_or_else(|| panic!("keyword rule names unknown function {}", rule.function));
    let mut step = ResolvedStep::defaults(spec);
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

/// A fault frequency from the machine's kinematics for a step, where the words name one: the
/// parameter, its value in Hz, and the note saying where it came from. `None`: physics gives no
/// frequency for these words (the rule's range stays).
pub fn kinematic_rate(
    function: &str,
    text: &str,
    k: &Kinematics,
) -> Option<(&'static str, f64, String)> {
    let shaft = k.shaft_hz?;
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let b = &k.bearing;
    let geometry = format!(
        "{} balls, {:.2}/{:.2} mm, {:.0}°",
        b.balls, b.ball_mm, b.pitch_mm, b.contact_deg
    );
    let (param, hz, what) = match function {
        "knock" if has(&["inner race"]) => ("rate_hz", b.bpfi(shaft), format!("BPFI ({geometry})")),
        "knock" if has(&["cage"]) => (
            "rate_hz",
            b.ftf(shaft),
            format!("FTF, the cage rate ({geometry})"),
        ),
        "knock" if has(&["ball spin", "ball defect", "roller", "rolling element"]) => {
            ("rate_hz", b.bsf(shaft), format!("BSF ({geometry})"))
        }
        "knock" if has(&["tooth", "teeth", "gear"]) => (
            "rate_hz",
            shaft,
            "once per revolution of the tooth's shaft (1×)".to_string(),
        ),
        "knock" if has(&["outer race", "ball pass", "race", "spall", "bearing"]) => {
            ("rate_hz", b.bpfo(shaft), format!("BPFO ({geometry})"))
        }
        "hum" if has(&["misalign"]) => (
            "fundamental_hz",
            2.0 * shaft,
            "2× shaft (misalignment)".to_string(),
        ),
        "hum" if has(&["imbalanc", "unbalanc"]) => {
            ("fundamental_hz", shaft, "1× shaft (imbalance)".to_string())
        }
        "hum" if has(&["mesh", "whine"]) && k.teeth.is_some() => {
            let n = k.teeth.unwrap_or(1);
            (
                "fundamental_hz",
                f64::from(n) * shaft,
                format!("gear mesh, {n} teeth × shaft"),
            )
        }
        "amplitude_modulation" if has(&["belt"]) => {
            let hz = k.belt_hz()?;
            (
                "rate_hz",
                hz,
                format!(
                    "belt pass, π × {:.0} mm pulley × shaft / {:.0} mm belt",
                    k.pulley_mm, k.belt_mm
                ),
            )
        }
        "amplitude_modulation" if has(&["mesh", "gear", "tooth", "teeth"]) => (
            "rate_hz",
            shaft,
            "1× shaft: the mesh modulated once per revolution (sidebands at mesh ± 1×)".to_string(),
        ),
        "amplitude_modulation" if has(&["eccentric", "bent", "imbalanc", "unbalanc"]) => (
            "rate_hz",
            shaft,
            "1× shaft (a once-per-revolution swell)".to_string(),
        ),
        "amplitude_modulation" if has(&["blade"]) && k.blades.is_some() => {
            let n = k.blades.unwrap_or(1);
            (
                "rate_hz",
                f64::from(n) * shaft,
                format!("blade pass, {n} blades × shaft"),
            )
        }
        "amplitude_modulation" if has(&["vane"]) && k.vanes.is_some() => {
            let n = k.vanes.unwrap_or(1);
            (
                "rate_hz",
                f64::from(n) * shaft,
                format!("vane pass, {n} vanes × shaft"),
            )
        }
        _ => return None,
    };
    let source = k.sources.first().cloned().unwrap_or_default();
    Some((
        param,
        hz,
        format!(
            "{function} {param} = {hz:.2} Hz = {:.3}× shaft: {what}; {source}",
            hz / shaft
        ),
    ))
}

/// Sets a step's kinematic frequency as an order of the shaft rate (so the plan's Hz follow
/// the machine's speed), clamped to the catalog's range, and says so.
fn apply_kinematics(step: &mut ResolvedStep, text: &str, k: &Kinematics, notes: &mut Vec<String>) {
    let Some((param, hz, note)) = kinematic_rate(step.spec.name, text, k) else {
        return;
    };
    let (Some(i), Some(shaft)) = (
        step.spec.all_params().position(|p| p.name == param),
        k.shaft_hz,
    ) else {
        return;
    };
    let spec = step.spec.all_params().nth(i).expect("index from position");
    step.set_order(i, (hz / shaft) as f32, shaft);
    let v = step.values[i];
    notes.push(if (f64::from(v) - hz).abs() > 1e-3 * hz {
        format!(
            "{note} (clamped to {v} Hz, the catalog's range {}–{} Hz)",
            spec.min, spec.max
        )
    } else {
        note
    });
}

pub struct KeywordPlanner;

impl Planner for KeywordPlanner {
    fn name(&self) -> &'static str {
        "keyword"
    }

    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan> {
        keyword_plan(request, true, self.name())
    }
}

/// The keyword planner with its kinematic frequencies off: every rate and fundamental is drawn
/// from its rule's range, as when the machine's type is unknown. An ablation, not a planner to
/// use: it separates what the keyword planner's choice of functions does to a ranking from what
/// its physical fault frequencies do (BENCHMARKS.md, "Fidelity"). Its plans say so.
pub struct KeywordPlannerNoKinematics;

impl Planner for KeywordPlannerNoKinematics {
    fn name(&self) -> &'static str {
        "keyword-no-kinematics"
    }

    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan> {
        keyword_plan(request, false, self.name())
    }
}

/// What the ablation's plans say in their provenance.
const NO_KINEMATICS_NOTE: &str =
    "kinematic frequencies off (ablation): rates and fundamentals drawn from the rules' ranges";

fn keyword_plan(
    request: &PlanRequest,
    kinematics: bool,
    name: &'static str,
) -> anyhow::Result<FaultPlan> {
    let mut notes = Vec::new();
    let mut rng = Rng::new(request.seed);
    let mut text = request.fault.clone();
    if matching_rules(&text).is_empty() {
        let typical = request
            .machine
            .parse::<MachineType>()
            .map(|m| m.typical_fault())
            .unwrap_or("worn bearing");
        notes.push(format!(
            "no known fault word in \"{}\"; used the typical fault \"{typical}\"",
            request.fault
        ));
        text = typical.to_string();
    }
    // "A or B" names two faults of which a clip has one: each plan renders one of them,
    // drawn with the plan's seed (a clip set gets both, as a machine's real faults come).
    let options = alternatives(&text);
    if options.len() > 1 {
        let pick = options[rng.below(options.len())].clone();
        notes.push(format!(
                "the description names {} alternative faults ({}); this plan renders \"{pick}\" (drawn with the plan's seed)",
                options.len(),
                options
                    .iter()
                    .map(|o| format!("\"{o}\""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        text = pick;
    }
    let hits = matching_rules(&text);
    notes.extend(hits.iter().map(|(_, why)| why.clone()));
    let mut steps: Vec<ResolvedStep> = hits
        .iter()
        .map(|(rule, _)| draw_step(rule, &mut rng))
        .collect();
    notes.push(share_severity(&mut steps, &mut rng));
    // Where the words name a fault with a physical frequency, the machine's kinematics set
    // it (not the rule's range): BPFO for an outer-race defect, 1× for imbalance, ….
    let mut shaft_hz = None;
    match request.machine.parse::<MachineType>() {
        Ok(machine) if kinematics => {
            let kin = Kinematics::for_machine(machine, &request.attributes);
            shaft_hz = kin.shaft_hz;
            for step in &mut steps {
                apply_kinematics(step, &text, &kin, &mut notes);
            }
        }
        Ok(_) => notes.push(NO_KINEMATICS_NOTE.into()),
        Err(_) => {}
    }
    let provenance = Provenance::without_model(name, notes);
    Ok(FaultPlan::new(
        &request.machine,
        &request.caption(),
        &steps,
        request.seed,
        provenance,
    )
    .with_shaft_hz(shaft_hz))
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
        // The typical fault names two alternatives; the plan renders one of them.
        assert!(
            [vec!["band_noise"], vec!["dropout"]].contains(&functions(&p)),
            "{:?}",
            functions(&p)
        );
        assert!(
            p.provenance.notes[0]
                .contains("typical fault \"a leaking seat or a sticking plunger\""),
            "{}",
            p.provenance.notes[0]
        );
    }

    #[test]
    fn alternatives_are_the_parts_between_or_that_name_a_fault() {
        assert_eq!(
            alternatives("a leaking seat or a sticking plunger"),
            ["a leaking seat", "a sticking plunger"]
        );
        assert_eq!(
            alternatives("Blade imbalance, OR a worn bearing"),
            ["Blade imbalance", "a worn bearing"]
        );
        // A part without a fault word is not an alternative; "or" inside a word is no split.
        assert_eq!(
            alternatives("a worn bearing or something"),
            ["a worn bearing"]
        );
        assert_eq!(alternatives("motor rattle"), ["motor rattle"]);
    }

    #[test]
    fn a_description_with_alternatives_renders_one_fault_per_plan_and_both_over_plans() {
        let mut seen = std::collections::HashMap::new();
        for seed in 0..400 {
            let p = KeywordPlanner
                .plan(&PlanRequest {
                    machine: "valve".into(),
                    attributes: vec![],
                    fault: "a leaking seat or a sticking plunger".into(),
                    seed,
                })
                .unwrap();
            let f = functions(&p).join("+");
            assert!(f == "band_noise" || f == "dropout", "{f}");
            assert!(
                p.provenance
                    .notes
                    .iter()
                    .any(|n| n.contains("2 alternative faults")),
                "{:?}",
                p.provenance.notes
            );
            *seen.entry(f).or_insert(0) += 1;
        }
        // Each alternative in about half of the plans (binomial sd 10 of 400).
        for (f, n) in &seen {
            assert!((150..=250).contains(n), "{f}: {n} of 400");
        }
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn a_faults_steps_share_one_severity_drawn_over_the_scale() {
        use crate::features::level::{severity_db, SEVERITY_RANGE_DB};
        let (lo, hi) = SEVERITY_RANGE_DB;
        let mut totals = Vec::new();
        for seed in 0..300 {
            let p = KeywordPlanner
                .plan(&PlanRequest {
                    machine: "fan".into(),
                    attributes: vec![],
                    fault: "squeaking, rattling bearing".into(),
                    seed,
                })
                .unwrap();
            let steps = p.resolve().unwrap();
            assert_eq!(steps.len(), 3, "squeak, rattle, knock");
            let levels: Vec<f64> = steps
                .iter()
                .map(|s| severity_db(f64::from(s.intensity())))
                .collect();
            // Equal shares: each step at S − 10·log10 3; their energies add back to S.
            for l in &levels {
                assert!((l - levels[0]).abs() < 1e-4, "{levels:?}");
            }
            let total = 10.0
                * levels
                    .iter()
                    .map(|l| 10f64.powf(l / 10.0))
                    .sum::<f64>()
                    .log10();
            assert!(total >= lo - 1e-3 && total <= hi + 1e-3, "{total}");
            totals.push(total);
        }
        // Uniform over the range: mean near the middle, both ends reached.
        let mean = totals.iter().sum::<f64>() / totals.len() as f64;
        assert!((mean - 0.5 * (lo + hi)).abs() < 0.6, "mean {mean}");
        assert!(totals.iter().any(|t| *t < lo + 1.0) && totals.iter().any(|t| *t > hi - 1.0));
        // The random planner's steps share one severity too.
        for seed in 0..50 {
            let p = crate::plan::RandomPlanner
                .plan(&PlanRequest {
                    machine: "fan".into(),
                    attributes: vec![],
                    fault: String::new(),
                    seed,
                })
                .unwrap();
            let steps = p.resolve().unwrap();
            let k = steps.len() as f64;
            let each = severity_db(f64::from(steps[0].intensity()));
            assert!(steps
                .iter()
                .all(|s| (s.intensity() - steps[0].intensity()).abs() < 1e-6));
            let total = each + 10.0 * k.log10();
            assert!(total >= lo - 1e-3 && total <= hi + 1e-3, "{total}");
        }
    }

    fn plan_with(fault: &str, machine: &str, attrs: &[(&str, &str)]) -> FaultPlan {
        let req = PlanRequest {
            machine: machine.into(),
            attributes: attrs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            fault: fault.into(),
            seed: 1,
        };
        KeywordPlanner.plan(&req).unwrap()
    }

    fn arg(p: &FaultPlan, function: &str, name: &str) -> f64 {
        p.steps
            .iter()
            .find(|s| s.function == function)
            .unwrap()
            .arguments[name]
            .as_f64()
            .unwrap()
    }

    #[test]
    fn the_ablation_plans_the_same_faults_without_kinematic_frequencies() {
        let req = PlanRequest {
            machine: "bearing".into(),
            attributes: vec![("rpm".into(), "1800".into())],
            fault: "outer race defect: regular ticking at the ball pass frequency".into(),
            seed: 5,
        };
        let with = KeywordPlanner.plan(&req).unwrap();
        let without = KeywordPlannerNoKinematics.plan(&req).unwrap();
        assert_eq!(without.provenance.planner, "keyword-no-kinematics");
        assert!(without
            .provenance
            .notes
            .iter()
            .any(|n| n.contains("ablation")));
        assert_eq!(without.shaft_hz, None);
        assert!(!without
            .resolve()
            .unwrap()
            .iter()
            .any(ResolvedStep::has_orders));
        // Same functions, same drawn values, except the rate physics sets.
        let names = |p: &FaultPlan| {
            p.steps
                .iter()
                .map(|s| s.function.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&with), names(&without));
        let bpfo = crate::kinematics::Bearing::TYPICAL.bpfo(30.0);
        let rate = arg(&without, "knock", "rate_hz");
        assert!((rate / bpfo - 1.0).abs() > 0.05, "{rate} is BPFO {bpfo}");
        for (a, b) in with.steps.iter().zip(&without.steps) {
            for (k, v) in &b.arguments {
                if k != "rate_hz" {
                    assert_eq!(a.arguments.get(k), Some(v), "{}: {k}", a.function);
                }
            }
        }
        // `evaluate --planner keyword-no-kinematics` and `plan --planner` find it by name.
        assert!(crate::eval::SOURCES.contains(&"keyword-no-kinematics"));
        assert_eq!(
            crate::plan::planner_by_name("keyword-no-kinematics")
                .unwrap()
                .name(),
            "keyword-no-kinematics"
        );
    }

    #[test]
    fn fault_frequencies_come_from_the_machines_kinematics() {
        // The case: an outer-race defect on a bearing at 1800 rpm ticks at BPFO.
        let p = plan_with(
            "outer race defect: regular ticking at the ball pass frequency",
            "bearing",
            &[("rpm", "1800")],
        );
        let bpfo = crate::kinematics::Bearing::TYPICAL.bpfo(30.0);
        assert!(
            (arg(&p, "knock", "rate_hz") / bpfo - 1.0).abs() < 0.05,
            "{} vs {bpfo}",
            arg(&p, "knock", "rate_hz")
        );
        assert!(
            p.provenance
                .notes
                .iter()
                .any(|n| n.contains("BPFO") && n.contains("rpm=1800")),
            "{:?}",
            p.provenance.notes
        );
        // The same words on a gearbox at 1200 rpm are its tooth's once per revolution: 20 Hz,
        // not the bearing's number.
        let g = plan_with("cracked tooth knocking", "gearbox", &[("rpm", "1200")]);
        assert!((arg(&g, "knock", "rate_hz") - 20.0).abs() < 1e-4);
        // Gear mesh = teeth × shaft, exactly; imbalance 1×, misalignment 2×.
        let m = plan_with(
            "gear mesh whine hum",
            "gearbox",
            &[("rpm", "1200"), ("teeth", "23")],
        );
        assert!((arg(&m, "hum", "fundamental_hz") - 23.0 * 20.0).abs() < 1e-3);
        assert!(
            (arg(
                &plan_with("imbalance", "fan", &[("rpm", "1500")]),
                "hum",
                "fundamental_hz"
            ) - 25.0)
                .abs()
                < 1e-4
        );
        assert!(
            (arg(
                &plan_with("misalignment", "pump", &[("rpm", "1500")]),
                "hum",
                "fundamental_hz"
            ) - 50.0)
                .abs()
                < 1e-4
        );
        assert!(
            (arg(
                &plan_with("inner race spall", "bearing", &[("rpm", "1800")]),
                "knock",
                "rate_hz"
            ) - crate::kinematics::Bearing::TYPICAL.bpfi(30.0))
            .abs()
                < 1e-3
        );
        // A slipping, damaged belt goes round at the belt pass frequency; a gear fault's
        // modulation is once per revolution (sidebands at mesh ± 1×).
        let b = plan_with(
            "damaged belt pulsing",
            "fan",
            &[("rpm", "1500"), ("pulley_mm", "125"), ("belt_mm", "1250")],
        );
        assert!(
            (arg(&b, "amplitude_modulation", "rate_hz") - std::f64::consts::PI * 2.5).abs() < 1e-3
        );
        let s = plan_with("worn gear mesh pulsing", "gearbox", &[("rpm", "1200")]);
        assert!((arg(&s, "amplitude_modulation", "rate_hz") - 20.0).abs() < 1e-4);
        // A machine that does not turn keeps the rule's range; so do words without physics.
        let v = plan_with("knocking", "valve", &[]);
        assert!(!v.provenance.notes.iter().any(|n| n.contains("shaft")));
        // A fault frequency beyond the catalog's range is clamped and said so.
        let fast = plan_with("bent shaft wobble", "fan", &[("rpm", "9000")]);
        assert!(
            fast.provenance.notes.iter().any(|n| n.contains("clamped")),
            "{:?}",
            fast.provenance.notes
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
