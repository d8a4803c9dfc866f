//! `planner-check`: how well a planner maps fault descriptions to the catalog functions that can
//! make them, on a development set written for the purpose (`check/dev_set.toml`, 48 cases over
//! the 8 machine types, separate from the tests' examples). Per planner: hit rate (some step is
//! in the case's family), first-function hit rate, kinematic hit rate (the case's order within
//! 5 %), fallback rate and seconds per plan — each rate with its 95 % Wilson interval, since 48
//! cases leave wide ones. A fallback plan (the keyword planner's, after the LLM gave nothing
//! usable) is a miss for the planner asked, so the LLM is never credited with keyword answers.

use super::{FaultPlan, PlanRequest, Planner};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// The built-in development set.
pub const DEV_SET: &str = include_str!("check/dev_set.toml");

/// One fault description and what would count as a right answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub machine: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    pub fault: String,
    /// Functions any of which makes the fault.
    pub expect: Vec<String>,
    /// The expected order of `function`'s order-capable rate.
    #[serde(default)]
    pub order: Option<ExpectedOrder>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedOrder {
    pub function: String,
    pub value: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    case: Vec<Case>,
}

/// Parses a development set; every case's functions must be catalog functions.
pub fn parse_set(text: &str) -> anyhow::Result<Vec<Case>> {
    let set: SetFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    for (i, c) in set.case.iter().enumerate() {
        anyhow::ensure!(!c.expect.is_empty(), "case {}: expect is empty", i + 1);
        for f in c.expect.iter().chain(c.order.as_ref().map(|o| &o.function)) {
            anyhow::ensure!(
                crate::catalog::find(f).is_some(),
                "case {}: {f:?} is not a catalog function",
                i + 1
            );
        }
    }
    Ok(set.case)
}

/// A proportion with its 95 % Wilson score interval.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Rate {
    pub hits: usize,
    pub n: usize,
    pub value: f64,
    pub ci: [f64; 2],
}

impl Rate {
    pub fn new(hits: usize, n: usize) -> Self {
        let (lo, hi) = wilson(hits, n, 1.959_963_984_540_054);
        Self {
            hits,
            n,
            value: if n == 0 {
                f64::NAN
            } else {
                hits as f64 / n as f64
            },
            ci: [lo, hi],
        }
    }
}

/// Wilson score interval of `k` successes in `n` trials at normal quantile `z`.
pub fn wilson(k: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// One case's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub machine: String,
    pub fault: String,
    pub functions: Vec<String>,
    pub hit: bool,
    pub first_hit: bool,
    /// `None` when the case has no expected order.
    pub order_hit: Option<bool>,
    pub fallback: bool,
    /// Why the requested planner's answer was not used.
    pub fallback_reason: Option<String>,
    pub seconds: f64,
}

/// A planner's results on a set.
#[derive(Clone, Debug, Serialize)]
pub struct CheckResult {
    pub planner: String,
    /// The model and prompt when the planner is the LLM's.
    pub model: Option<String>,
    pub prompt: Option<String>,
    pub hit: Rate,
    pub first_hit: Rate,
    pub order_hit: Rate,
    pub fallback: Rate,
    pub seconds_mean: f64,
    pub seconds_median: f64,
    pub outcomes: Vec<Outcome>,
}

/// The Hz a plan's `function` step gives its order-capable rate, and the shaft rate.
fn order_hit(plan: &FaultPlan, case: &Case, want: &ExpectedOrder) -> bool {
    let Some(kind) = crate::machine::machine_type_of(&case.machine) else {
        return false;
    };
    let attributes: Vec<(String, String)> = case.attributes.clone().into_iter().collect();
    let Some(shaft) = crate::kinematics::Kinematics::for_machine(kind, &attributes).shaft_hz else {
        return false;
    };
    let Some(param) = crate::catalog::ORDER_PARAMS
        .iter()
        .find(|(f, _)| *f == want.function)
        .map(|(_, p)| *p)
    else {
        return false;
    };
    plan.steps
        .iter()
        .filter(|s| s.function == want.function)
        .filter_map(|s| s.arguments.get(param).and_then(|v| v.as_f64()))
        .any(|hz| (hz / shaft - want.value).abs() <= 0.05 * want.value)
}

/// Runs `planner` on every case (seed `seed + i` for case i).
pub fn check(
    planner: &dyn Planner,
    label: &str,
    cases: &[Case],
    seed: u64,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<CheckResult> {
    let mut outcomes = Vec::new();
    let (mut model, mut prompt) = (None, None);
    for (i, case) in cases.iter().enumerate() {
        let request = PlanRequest {
            machine: case.machine.clone(),
            attributes: case.attributes.clone().into_iter().collect(),
            fault: case.fault.clone(),
            seed: seed.wrapping_add(i as u64),
        };
        let started = Instant::now();
        let plan = planner.plan(&request)?;
        let seconds = started.elapsed().as_secs_f64();
        model = model.or(plan.provenance.model.clone());
        prompt = prompt.or(plan.provenance.prompt.clone());
        let functions: Vec<String> = plan.steps.iter().map(|s| s.function.clone()).collect();
        // A fallback plan is another planner's answer: it is a miss for the one asked.
        let own = !plan.provenance.is_fallback();
        outcomes.push(Outcome {
            machine: case.machine.clone(),
            fault: case.fault.clone(),
            hit: own && functions.iter().any(|f| case.expect.contains(f)),
            first_hit: own && functions.first().is_some_and(|f| case.expect.contains(f)),
            order_hit: case
                .order
                .as_ref()
                .map(|o| own && order_hit(&plan, case, o)),
            fallback: !own,
            fallback_reason: plan.provenance.fallback.clone(),
            seconds,
            functions,
        });
        progress(i + 1);
    }
    let n = outcomes.len();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let with_order = outcomes.iter().filter(|o| o.order_hit.is_some()).count();
    let mut secs: Vec<f64> = outcomes.iter().map(|o| o.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let median = if secs.is_empty() {
        f64::NAN
    } else if secs.len() % 2 == 1 {
        secs[secs.len() / 2]
    } else {
        (secs[secs.len() / 2 - 1] + secs[secs.len() / 2]) / 2.0
    };
    Ok(CheckResult {
        planner: label.to_string(),
        model,
        prompt,
        hit: Rate::new(count(&|o| o.hit), n),
        first_hit: Rate::new(count(&|o| o.first_hit), n),
        order_hit: Rate::new(count(&|o| o.order_hit == Some(true)), with_order),
        fallback: Rate::new(count(&|o| o.fallback), n),
        seconds_mean: secs.iter().sum::<f64>() / n.max(1) as f64,
        seconds_median: median,
        outcomes,
    })
}

fn rate(r: &Rate) -> String {
    format!(
        "{:>2}/{:<2} {:.2} [{:.2}, {:.2}]",
        r.hits, r.n, r.value, r.ci[0], r.ci[1]
    )
}

/// The table `planner-check` prints.
pub fn table(results: &[CheckResult]) -> String {
    let mut out = String::from(
        "| planner | model, prompt | hit | first function | kinematic order (±5 %) | fallback | s/plan mean (median) |\n|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        let who = match (&r.model, &r.prompt) {
            (Some(m), Some(p)) => format!("{m}, {p}"),
            (Some(m), None) => m.clone(),
            _ => "—".into(),
        };
        out.push_str(&format!(
            "| {} | {who} | {} | {} | {} | {} | {:.3} ({:.3}) |\n",
            r.planner,
            rate(&r.hit),
            rate(&r.first_hit),
            rate(&r.order_hit),
            rate(&r.fallback),
            r.seconds_mean,
            r.seconds_median
        ));
    }
    out.push_str("Rates: hits/cases, with 95 % Wilson intervals; a plan the requested planner did not make (a fallback) counts as a miss.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_set_covers_every_machine_type_with_six_or_more_cases() {
        let cases = parse_set(DEV_SET).unwrap();
        assert!(cases.len() >= 40, "{}", cases.len());
        for m in crate::machine::MachineType::ALL {
            let n = cases.iter().filter(|c| c.machine == m.name()).count();
            assert!(n >= 5, "{}: {n}", m.name());
        }
        // Separate from the tests' examples: no description is one the LLM prompt shows.
        assert!(cases.iter().all(|c| !c.fault.contains("squeaking bearing")));
        let e = parse_set("[[case]]\nmachine = \"fan\"\nfault = \"x\"\nexpect = [\"explode\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"explode\" is not a catalog function"), "{e}");
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels.stats.proportion.proportion_confint(k, n, alpha=0.05, method="wilson").
        let cases = [
            (40, 48, 0.70422, 0.91304),
            (0, 48, 0.0, 0.0741),
            (24, 48, 0.36389, 0.63611),
            (48, 48, 0.9259, 1.0),
            (7, 13, 0.29144, 0.76794),
        ];
        for (k, n, lo, hi) in cases {
            let (a, b) = wilson(k, n, 1.959_963_984_540_054);
            assert!(
                (a - lo).abs() < 1e-4 && (b - hi).abs() < 1e-4,
                "{k}/{n}: {a} {b}"
            );
        }
    }

    #[test]
    fn the_keyword_planner_hits_the_kinematic_orders_it_knows() {
        let cases = parse_set(DEV_SET).unwrap();
        let r = check(&super::super::KeywordPlanner, "keyword", &cases, 0, |_| {}).unwrap();
        assert_eq!(r.hit.n, cases.len());
        assert_eq!(r.fallback.hits, 0);
        // The outer-race spall at 1500 rpm: BPFO 3.585 × 25 Hz, which the keyword planner
        // derives from the bearing's geometry.
        let spall = r
            .outcomes
            .iter()
            .find(|o| o.fault == "spall on the outer raceway")
            .unwrap();
        assert_eq!(spall.order_hit, Some(true), "{spall:?}");
        assert!(r.order_hit.n >= 10);
    }
}
