//! The evaluation report: `report.md` (tables), `report.json`, CSVs and PNG plots.

mod dcase;
mod intervals;
mod plots;
mod summary;

pub use intervals::{forest, sweep_curves};
pub use plots::{auc_bars, histogram, roc_curves, spectrogram_pair};
pub use summary::text as summary_text;

use crate::dataset::write_atomic;
use crate::detect::ScoreKind;
use crate::eval::EvalResult;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    write_atomic(path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
    Ok(())
}

fn cell(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.3}"))
}

fn with_ci(v: f64, ci: Option<[f64; 2]>) -> String {
    crate::metrics::bootstrap::Estimate { value: v, ci }.text(3)
}

/// A detection threshold with its interval; `≤ lowest` and `∞` where the ladder censors it.
fn threshold_text(t: &crate::metrics::bootstrap::Estimate, lowest: f64) -> String {
    let one = |v: f64| {
        if v.is_infinite() {
            "∞".to_string()
        } else if v <= lowest {
            format!("≤{v:.3}")
        } else {
            format!("{v:.3}")
        }
    };
    match t.ci {
        Some([lo, hi]) => format!("{} [{}, {}]", one(t.value), one(lo), one(hi)),
        None => format!("{} [–]", one(t.value)),
    }
}

/// Markdown tables: AUC / pAUC per machine and source for each score, rankings, correlations.
pub fn markdown(r: &EvalResult, plots: &[PathBuf]) -> String {
    let mut md = String::from("# Faultline relative evaluation\n\n");
    md.push_str(&summary::markdown(r));
    if !r.plan_origins.is_empty() {
        md.push_str("**Who made the plans** (per machine, over every plan seed; a planner whose plans are mostly fallbacks gets an inconclusive verdict):\n\n| planner | machine | plans | by the planner | by a fallback | fallback reasons |\n|---|---|---:|---:|---:|---|\n");
        for o in &r.plan_origins {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                o.source,
                o.machine,
                o.plans,
                o.plans - o.fallbacks,
                o.fallbacks,
                o.reasons.join("; ").replace('|', "/")
            );
        }
        md.push('\n');
    }
    if !r.unreadable.is_empty() {
        let _ = writeln!(md, "**{} unreadable file(s) left out** (every number below is without them; `--strict` makes them errors):\n", r.unreadable.len());
        for (path, why) in &r.unreadable {
            let _ = writeln!(md, "- `{path}`: {why}");
        }
        md.push('\n');
    }
    if let Some(dir) = &r.scores_from {
        let _ = writeln!(md, "Data: `{}`. **Scores from another detector**, read from `{dir}` (DCASE score files); no model of ours was trained or run; its score is the `external` score below.\n", r.data.display());
    } else {
        let _ = writeln!(md, "Data: `{}`.", r.data.display());
        if r.kinds.contains(&ScoreKind::Mse) {
            let _ = writeln!(
                md,
                "Detector `ae`: one autoencoder trained on the normal training clips of {} ({} clips, {} vectors, {} epochs, final loss {:.3}, validation {:.3}).",
                r.machines.join(", "),
                r.model.clips,
                r.model.vectors,
                r.model.epochs,
                r.model.final_loss,
                r.model.final_val_loss
            );
        }
        if let Some(k) = &r.knn_model {
            let _ = writeln!(
                md,
                "Detector `knn`: nearest-neighbour cosine distance between clip embeddings (mean and spread of each log-mel band), one bank per domain, the smaller of the domains' scores, on the normal training clips of {} ({} clips).",
                k.trained_on.join(", "),
                k.clips
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "Anomaly sources: `reference` = the dataset's own anomalies (reference faults for synthetic data); the others are clips rendered from the normal test clips by that planner.\n");
    for &kind in &r.kinds {
        let _ = writeln!(
            md,
            "## AUC / pAUC ({} score), with {:.0} % intervals\n",
            kind.name(),
            100.0 * r.seeds.level
        );
        let _ = write!(md, "| machine |");
        for s in &r.sources {
            let _ = write!(md, " {s} AUC | {s} pAUC |");
        }
        let _ = write!(md, "\n|---|");
        for _ in &r.sources {
            md.push_str("---:|---:|");
        }
        md.push('\n');
        for m in &r.machines {
            let _ = write!(md, "| {m} |");
            for s in &r.sources {
                let d = r
                    .detections
                    .iter()
                    .find(|d| d.machine == *m && d.source == *s && d.score == kind);
                match d {
                    Some(d) => {
                        let _ = write!(
                            md,
                            " {} | {} |",
                            with_ci(d.auc, d.auc_ci),
                            with_ci(d.pauc, d.pauc_ci)
                        );
                    }
                    None => md.push_str(" – | – |"),
                }
            }
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "\n### Ranking of machines by AUC (1 = easiest to detect)\n"
        );
        let _ = write!(md, "| source | ranking | Spearman ρ vs reference | Kendall τ vs reference |\n|---|---|---:|---:|\n");
        let cell = |v: Option<f64>, ci: Option<[f64; 2]>| v.map_or(cell(None), |v| with_ci(v, ci));
        for rk in r.rankings.iter().filter(|rk| rk.score == kind) {
            let mut order: Vec<(f64, &String)> =
                rk.ranks.iter().copied().zip(&rk.machines).collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            let text: Vec<String> = order
                .iter()
                .map(|(rank, m)| format!("{m} ({rank})"))
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                rk.source,
                text.join(" > "),
                cell(rk.spearman_vs_reference, rk.spearman_ci),
                cell(rk.kendall_vs_reference, rk.kendall_ci)
            );
        }
        md.push('\n');
    }
    if !r.detector_agreement.is_empty() {
        let _ = writeln!(md, "## Do the detectors agree?\n\nSpearman ρ between two detectors' AUC rankings of the machines for the same anomalies (over the same bootstrap resamples), and each detector's verdict against the reference. The paper's open question 2: a planner whose ranking holds for one detector only says more about that detector than about the machines.\n\n| source | scores | ρ between the detectors' rankings | verdicts | same verdict |\n|---|---|---:|---|---|");
        for a in &r.detector_agreement {
            let v = |x: Option<crate::eval::Verdict>| x.map_or("–", |v| v.name());
            let same = match (a.verdict_a, a.verdict_b) {
                (Some(x), Some(y)) => {
                    if x == y {
                        "yes"
                    } else {
                        "no"
                    }
                }
                _ => "–",
            };
            let _ = writeln!(
                md,
                "| {} | {} vs {} | {} | {} / {} | {same} |",
                a.source,
                a.a.name(),
                a.b.name(),
                with_ci(a.spearman, a.spearman_ci),
                v(a.verdict_a),
                v(a.verdict_b)
            );
        }
        md.push('\n');
    }
    if let Some(sweep) = &r.sweep {
        let _ = writeln!(md, "## Severity sweep\n\nEach planner's plans with every step's intensity multiplied by the scale; the detection threshold is the scale at which the AUC first reaches {} (log-interpolated; `≤` the lowest scale when already there, `∞` when never reached).\n", sweep.threshold_auc);
        for planner in r.sources.iter().filter(|s| *s != "reference") {
            for &kind in &r.kinds {
                let _ = write!(
                    md,
                    "### {planner} ({})\n\n| machine | threshold |",
                    kind.name()
                );
                for x in &sweep.scales {
                    let _ = write!(md, " AUC @{x:.3} |");
                }
                md.push_str("\n|---|---:|");
                md.push_str(&"---:|".repeat(sweep.scales.len()));
                md.push('\n');
                for c in sweep
                    .curves
                    .iter()
                    .filter(|c| c.planner == *planner && c.score == kind)
                {
                    let _ = write!(
                        md,
                        "| {} | {} |",
                        c.machine,
                        threshold_text(&c.threshold, sweep.scales[0] as f64)
                    );
                    for a in &c.aucs {
                        let _ = write!(md, " {a:.3} |");
                    }
                    md.push('\n');
                }
                md.push('\n');
            }
        }
    }
    let _ = writeln!(md, "## Example plans (first test clip of each machine)\n\n| machine | planner | functions (intensity) |\n|---|---|---|");
    for (m, p, plan) in &r.example_plans {
        let steps: Vec<String> = plan
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{} ({:.2})",
                    s.function,
                    s.arguments
                        .get("intensity")
                        .and_then(|v| v.as_f64())
                        .unwrap_or(f64::NAN)
                )
            })
            .collect();
        let _ = writeln!(md, "| {m} | {p} | {} |", steps.join(", "));
    }
    if !plots.is_empty() {
        let _ = writeln!(md, "\n## Plots\n");
        for p in plots {
            let name = p.file_name().unwrap().to_string_lossy();
            let _ = writeln!(md, "![{name}]({name})");
        }
    }
    md
}

/// `metrics.csv`: one row per machine × source × score.
pub fn metrics_csv(r: &EvalResult) -> String {
    let mut s = String::from("machine,source,score,auc,auc_lo,auc_hi,pauc,pauc_lo,pauc_hi,normals,anomalies,plan_seeds\n");
    let ci = |c: Option<[f64; 2]>| c.map_or(",".to_string(), |[a, b]| format!("{a:.6},{b:.6}"));
    for d in &r.detections {
        let _ = writeln!(
            s,
            "{},{},{},{:.6},{},{:.6},{},{},{},{}",
            d.machine,
            d.source,
            d.score.name(),
            d.auc,
            ci(d.auc_ci),
            d.pauc,
            ci(d.pauc_ci),
            d.normals,
            d.anomalies,
            d.plan_seeds
        );
    }
    s
}

/// `scores.csv`: every scored clip.
pub fn scores_csv(r: &EvalResult) -> String {
    let mut s = String::from("machine,source,plan_seed,path");
    for k in &r.kinds {
        let _ = write!(s, ",{}", k.name());
    }
    s.push('\n');
    for c in &r.clips {
        let _ = write!(
            s,
            "{},{},{},{}",
            c.machine,
            c.source,
            c.plan_seed,
            c.path.display()
        );
        for k in &r.kinds {
            let _ = write!(s, ",{:.8}", c.score(*k));
        }
        s.push('\n');
    }
    s
}

/// Writes the whole report folder; returns the path of `report.md`.
pub fn write_report(r: &EvalResult, out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let mut plots = Vec::new();
    for &kind in &r.kinds {
        plots.push(forest(
            r,
            kind,
            &out.join(format!("forest_{}.png", kind.name())),
        )?);
        plots.extend(sweep_curves(
            r,
            kind,
            &out.join(format!("sweep_{}.png", kind.name())),
        )?);
    }
    plots.push(auc_bars(r, ScoreKind::Mse, &out.join("auc_bars_mse.png"))?);
    plots.push(auc_bars(
        r,
        ScoreKind::Mahalanobis,
        &out.join("auc_bars_mahalanobis.png"),
    )?);
    for m in &r.machines {
        plots.push(roc_curves(
            r,
            m,
            ScoreKind::Mse,
            &out.join(format!("roc_{m}.png")),
        )?);
        plots.push(histogram(
            r,
            m,
            ScoreKind::Mse,
            &out.join(format!("hist_{m}.png")),
        )?);
        if let Some((_, planner, _)) = r.example_plans.iter().find(|(mm, _, _)| mm == m) {
            let clip = r
                .clips
                .iter()
                .find(|c| c.machine == *m && c.source == *planner && c.plan_seed == 0);
            if let Some(clip) = clip {
                let sidecar: crate::offline::RenderEntry = serde_json::from_str(
                    &std::fs::read_to_string(clip.path.with_extension("json"))?,
                )?;
                plots.push(spectrogram_pair(
                    &sidecar.source,
                    &clip.path,
                    &format!("{m}: normal vs {planner}"),
                    &out.join(format!("spectrogram_{m}.png")),
                )?);
            }
        }
    }
    write_text(&out.join("report.json"), &serde_json::to_string_pretty(r)?)?;
    write_text(&out.join("metrics.csv"), &metrics_csv(r))?;
    write_text(&out.join("scores.csv"), &scores_csv(r))?;
    let (dcase_md, dcase_csv) = dcase::tables(r);
    write_text(&out.join("dcase_metrics.csv"), &dcase_csv)?;
    let md_path = out.join("report.md");
    write_text(&md_path, &(markdown(r, &plots) + &dcase_md))?;
    Ok(md_path)
}
