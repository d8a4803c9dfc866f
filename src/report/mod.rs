//! The evaluation report: `report.md` (tables), `report.json`, CSVs and PNG plots.

mod plots;

pub use plots::{auc_bars, histogram, roc_curves, spectrogram_pair};

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

/// Markdown tables: AUC / pAUC per machine and source for each score, rankings, correlations.
pub fn markdown(r: &EvalResult, plots: &[PathBuf]) -> String {
    let mut md = String::from("# Faultline relative evaluation\n\n");
    let _ = writeln!(
        md,
        "Data: `{}`. One autoencoder trained on the normal training clips of {} ({} clips, {} vectors, {} epochs, final loss {:.3}, validation {:.3}).\n",
        r.data.display(),
        r.machines.join(", "),
        r.model.clips,
        r.model.vectors,
        r.model.epochs,
        r.model.final_loss,
        r.model.final_val_loss
    );
    let _ = writeln!(md, "Anomaly sources: `reference` = the dataset's own anomalies (reference faults for synthetic data); the others are clips rendered from the normal test clips by that planner.\n");
    for kind in ScoreKind::ALL {
        let _ = writeln!(md, "## AUC / pAUC ({} score)\n", kind.name());
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
                let d = r.detections.iter().find(|d| d.machine == *m && d.source == *s && d.score == kind);
                let _ = write!(md, " {} | {} |", cell(d.map(|d| d.auc)), cell(d.map(|d| d.pauc)));
            }
            md.push('\n');
        }
        let _ = writeln!(md, "\n### Ranking of machines by AUC (1 = easiest to detect)\n");
        let _ = write!(md, "| source | ranking | Spearman ρ vs reference | Kendall τ vs reference |\n|---|---|---:|---:|\n");
        for rk in r.rankings.iter().filter(|rk| rk.score == kind) {
            let mut order: Vec<(f64, &String)> = rk.ranks.iter().copied().zip(&rk.machines).collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            let text: Vec<String> = order.iter().map(|(rank, m)| format!("{m} ({rank})")).collect();
            let _ = writeln!(md, "| {} | {} | {} | {} |", rk.source, text.join(" > "), cell(rk.spearman_vs_reference), cell(rk.kendall_vs_reference));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "## Example plans (first test clip of each machine)\n\n| machine | planner | functions (intensity) |\n|---|---|---|");
    for (m, p, plan) in &r.example_plans {
        let steps: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{} ({:.2})", s.function, s.arguments.get("intensity").and_then(|v| v.as_f64()).unwrap_or(f64::NAN)))
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
    let mut s = String::from("machine,source,score,auc,pauc,normals,anomalies\n");
    for d in &r.detections {
        let _ = writeln!(s, "{},{},{},{:.6},{:.6},{},{}", d.machine, d.source, d.score.name(), d.auc, d.pauc, d.normals, d.anomalies);
    }
    s
}

/// `scores.csv`: every scored clip.
pub fn scores_csv(r: &EvalResult) -> String {
    let mut s = String::from("machine,source,path,mse,mahalanobis\n");
    for c in &r.clips {
        let _ = writeln!(s, "{},{},{},{:.8},{:.8}", c.machine, c.source, c.path.display(), c.mse, c.mahalanobis);
    }
    s
}

/// Writes the whole report folder; returns the path of `report.md`.
pub fn write_report(r: &EvalResult, out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let mut plots = vec![auc_bars(r, ScoreKind::Mse, &out.join("auc_bars_mse.png"))?, auc_bars(r, ScoreKind::Mahalanobis, &out.join("auc_bars_mahalanobis.png"))?];
    for m in &r.machines {
        plots.push(roc_curves(r, m, ScoreKind::Mse, &out.join(format!("roc_{m}.png")))?);
        plots.push(histogram(r, m, ScoreKind::Mse, &out.join(format!("hist_{m}.png")))?);
        if let Some((_, planner, _)) = r.example_plans.iter().find(|(mm, _, _)| mm == m) {
            let clip = r.clips.iter().find(|c| c.machine == *m && c.source == *planner);
            if let Some(clip) = clip {
                let sidecar: crate::offline::RenderEntry = serde_json::from_str(&std::fs::read_to_string(clip.path.with_extension("json"))?)?;
                plots.push(spectrogram_pair(&sidecar.source, &clip.path, &format!("{m}: normal vs {planner}"), &out.join(format!("spectrogram_{m}.png")))?);
            }
        }
    }
    write_text(&out.join("report.json"), &serde_json::to_string_pretty(r)?)?;
    write_text(&out.join("metrics.csv"), &metrics_csv(r))?;
    write_text(&out.join("scores.csv"), &scores_csv(r))?;
    let md_path = out.join("report.md");
    write_text(&md_path, &markdown(r, &plots))?;
    Ok(md_path)
}
