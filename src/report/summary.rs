//! The summary every evaluation opens with: per source × score, ρ against the reference with
//! its interval, the reference ceiling, Δρ against random, and the verdict with its reason. The
//! same rows go to report.md and to the terminal.

use crate::eval::{EvalResult, Ranking};
use crate::metrics::bootstrap::Estimate;
use std::fmt::Write as _;

fn est(value: Option<f64>, ci: Option<[f64; 2]>) -> String {
    Estimate {
        value: value.unwrap_or(f64::NAN),
        ci,
    }
    .text(2)
}

fn seeds_line(r: &EvalResult) -> String {
    let s = &r.seeds;
    format!(
        "{} machines, {} normal + {} reference test clips per machine (smallest), {} plan seed(s), fault descriptions {}; {:.0} % percentile intervals from {} bootstrap resamples; seeds: data {}, model {}, plans {}, bootstrap {}",
        r.machines.len(),
        r.detections.iter().filter(|d| d.source == "reference").map(|d| d.normals).min().unwrap_or(0),
        r.reference_clips_per_class,
        s.plan_seeds,
        match (&r.fault, r.describe) {
            (Some(f), _) => format!("fixed ({f:?})"),
            (None, crate::eval::Describe::Typical) => "typical per machine type".to_string(),
            (None, crate::eval::Describe::PerClip) => "per reference clip".to_string(),
        },
        100.0 * s.level,
        s.resamples,
        s.data.map_or("–".into(), |d| d.to_string()),
        s.model,
        s.plan,
        s.bootstrap
    )
}

fn ceiling(r: &EvalResult, score: &str) -> String {
    r.reference_ceiling
        .get(score)
        .map_or("–".into(), |c| c.text(2))
}

fn compared(r: &EvalResult) -> impl Iterator<Item = &Ranking> {
    r.rankings.iter().filter(|rk| rk.verdict.is_some())
}

/// Markdown: the summary box at the top of report.md.
pub fn markdown(r: &EvalResult) -> String {
    let mut md = String::from("## Summary\n\n");
    let _ = writeln!(md, "{}.\n", seeds_line(r));
    let _ = writeln!(md, "| source | score | ρ vs reference | τ vs reference | ρ over plan seeds (mean ± sd) | reference ceiling | Δρ vs random | verdict | why |\n|---|---|---:|---:|---:|---:|---:|---|---|");
    for rk in compared(r) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | **{}** | {} |",
            rk.source,
            rk.score.name(),
            est(rk.spearman_vs_reference, rk.spearman_ci),
            est(rk.kendall_vs_reference, rk.kendall_ci),
            rk.spearman_over_seeds
                .map_or("–".into(), |[m, sd]| format!("{m:.2} ± {sd:.2}")),
            ceiling(r, rk.score.name()),
            rk.delta_vs_random.map_or("–".into(), |d| d.text(2)),
            rk.verdict.map_or("–", |v| v.name()),
            [rk.verdict_reason.clone(), rk.versus_random.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    if let Some(sweep) = &r.sweep {
        let _ = writeln!(
            md,
            "\nSeverity sweep (machines ranked by the intensity at which AUC reaches {}):\n",
            sweep.threshold_auc
        );
        let _ = writeln!(md, "| planner | score | ρ vs reference | τ vs reference | verdict | why |\n|---|---|---:|---:|---|---|");
        for s in &sweep.rankings {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | **{}** | {} |",
                s.planner,
                s.score.name(),
                est(Some(s.spearman_vs_reference), s.spearman_ci),
                est(Some(s.kendall_vs_reference), s.kendall_ci),
                s.verdict.name(),
                s.verdict_reason
            );
        }
    }
    md.push_str(
        "\nHow to read it: ρ is Spearman's rank correlation between the source's ranking of machines by AUC and the reference ranking; \
its interval comes from resampling the test clips. The reference ceiling is how well the reference ranking agrees with itself \
(split-half, Spearman–Brown corrected): no source can agree with the reference better than that. `agrees` needs the whole ρ \
interval above 0 and a ceiling of at least 0.7; `disagrees` needs it below 0; anything else is `inconclusive`, with the reason.\n\n",
    );
    md
}

/// The terminal version (the demo's and evaluate's last lines).
pub fn text(r: &EvalResult) -> String {
    let mut t = format!("summary: {}\n", seeds_line(r));
    let mut sources: Vec<&str> = r.plan_origins.iter().map(|o| o.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    for source in sources {
        let of = r.plan_origins.iter().filter(|o| o.source == source);
        let (plans, fallbacks) = of.fold((0, 0), |(p, f), o| (p + o.plans, f + o.fallbacks));
        if fallbacks > 0 {
            let _ = writeln!(t, "summary: {source}: {fallbacks} of {plans} plans came from a fallback planner (reasons in report.md)");
        }
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(t, "summary: {} unreadable file(s) left out (listed in report.md; --strict makes them errors)", r.unreadable.len());
    }
    let scores: Vec<String> = r
        .reference_ceiling
        .iter()
        .map(|(k, c)| format!("{k} {}", c.text(2)))
        .collect();
    let _ = writeln!(
        t,
        "summary: reference ceiling (split-half, Spearman–Brown): {}",
        scores.join(" · ")
    );
    for rk in compared(r) {
        let _ = writeln!(
            t,
            "summary: {} ({}): ρ {}{} → {}: {}",
            rk.source,
            rk.score.name(),
            est(rk.spearman_vs_reference, rk.spearman_ci),
            rk.delta_vs_random
                .map_or(String::new(), |d| format!(" · Δρ vs random {}", d.text(2))),
            rk.verdict.map_or("–", |v| v.name()),
            [rk.verdict_reason.clone(), rk.versus_random.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if let Some(sweep) = &r.sweep {
        for s in &sweep.rankings {
            let _ = writeln!(
                t,
                "summary: sweep {} ({}): ρ {} → {}",
                s.planner,
                s.score.name(),
                est(Some(s.spearman_vs_reference), s.spearman_ci),
                s.verdict.name()
            );
        }
    }
    t
}
