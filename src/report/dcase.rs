//! The report's DCASE table: per machine, section and source (the reference and each planner,
//! plan seed 0) the numbers the DCASE 2023–2025 evaluator reports — AUC over the section, AUC
//! (source) and AUC (target) (that domain's normals against every anomaly), pAUC — each with its
//! bootstrap interval, and per source the official score (`metrics::dcase`) and the DCASE 2020
//! per-machine means.

use crate::dataset::ClipName;
use crate::detect::ScoreKind;
use crate::eval::{EvalResult, ScoredClip};
use crate::metrics::bootstrap::auc_intervals;
use crate::metrics::dcase::{self, LabelledScore, DCASE_MAX_FPR};
use std::fmt::Write as _;
use std::path::Path;

/// A clip's section and whether it is a target-domain clip: from its DCASE name, else MIMII's
/// `id_XX` folder, else section 00, source.
pub fn section_of(path: &Path) -> (String, bool) {
    if let Some(c) = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(ClipName::parse)
    {
        return (c.section, c.domain == "target");
    }
    let id = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .find_map(|c| c.strip_prefix("id_").map(str::to_string));
    (id.unwrap_or_else(|| "00".into()), false)
}

fn labelled(clips: &[&ScoredClip], kind: ScoreKind) -> Vec<LabelledScore> {
    clips
        .iter()
        .map(|c| {
            // A rendered anomaly carries its normal clip's name (DCASE) or folder (MIMII); an
            // evaluation set's clip is placed by its ground truth.
            let file = c.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let (section, target) = match (
                crate::dataset::ground_truth::eval_name(file),
                crate::dataset::ground_truth::label(&c.machine, file),
            ) {
                (Some((section, _)), Some((_, domain))) => (section, domain == "target"),
                _ => section_of(&c.path),
            };
            LabelledScore {
                machine: c.machine.clone(),
                section,
                target,
                anomaly: c.source != "normal",
                score: c.score(kind),
            }
        })
        .collect()
}

/// The markdown section and the CSV rows (`source,score,machine,section,auc_all,…`).
pub fn tables(r: &EvalResult) -> (String, String) {
    let mut md = String::from("## DCASE metrics per section\n\nAs the DCASE 2023–2025 evaluator computes them (AUC (source/target): that domain's normal clips against every anomaly of the section; pAUC: max FPR 0.1, standardised), for the reference and each planner's plan seed 0, with 95 % bootstrap intervals over clips; official score (2022–2025): harmonic mean of every AUC (source), AUC (target) and pAUC; 2021: harmonic mean of every domain's AUC and pAUC with that domain's anomalies only (its source and target test sets were apart); DCASE 2020: mean AUC / pAUC over ids.\n\n");
    let mut csv = String::from("source,score,machine,section,normals,anomalies,auc_all,auc_all_lo,auc_all_hi,auc_source,auc_target,pauc,pauc_lo,pauc_hi\n");
    let fmt = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{x:.3}"));
    for &kind in &r.kinds {
        let _ = writeln!(md, "### {}\n\n| source | machine | section | clips (n/a) | AUC | AUC (source) | AUC (target) | pAUC |\n|---|---|---|---:|---:|---:|---:|---:|", kind.name());
        let mut officials = Vec::new();
        for source in &r.sources {
            let clips: Vec<&ScoredClip> = r
                .clips
                .iter()
                .filter(|c| c.source == "normal" || (c.source == *source && c.plan_seed == 0))
                .collect();
            let scores = labelled(&clips, kind);
            let sections = dcase::section_metrics(&scores);
            for s in &sections {
                let of = |anomaly: bool| -> Vec<f64> {
                    scores
                        .iter()
                        .filter(|c| {
                            c.machine == s.machine && c.section == s.section && c.anomaly == anomaly
                        })
                        .map(|c| c.score)
                        .collect()
                };
                let (auc, pauc) = auc_intervals(
                    &of(false),
                    &of(true),
                    DCASE_MAX_FPR,
                    r.stats.resamples,
                    r.stats.level,
                    r.stats.seed,
                );
                let _ = writeln!(
                    md,
                    "| {source} | {} | {} | {}/{} | {} | {} | {} | {} |",
                    s.machine,
                    s.section,
                    s.normals,
                    s.anomalies,
                    auc.text(3),
                    fmt(s.auc_source),
                    fmt(s.auc_target),
                    pauc.text(3)
                );
                let [alo, ahi] = auc.ci.unwrap_or([f64::NAN; 2]);
                let [plo, phi] = pauc.ci.unwrap_or([f64::NAN; 2]);
                let _ = writeln!(
                    csv,
                    "{source},{},{},{},{},{},{},{alo},{ahi},{},{},{},{plo},{phi}",
                    kind.name(),
                    s.machine,
                    s.section,
                    s.normals,
                    s.anomalies,
                    s.auc_all,
                    s.auc_source.map_or(String::new(), |v| v.to_string()),
                    s.auc_target.map_or(String::new(), |v| v.to_string()),
                    s.pauc
                );
            }
            let means: Vec<String> = r
                .machines
                .iter()
                .filter_map(|m| {
                    dcase::dcase2020(&sections, m).map(|(a, p)| format!("{m} {a:.3}/{p:.3}"))
                })
                .collect();
            let official = crate::metrics::bootstrap::Estimate {
                value: dcase::official_2023(&sections),
                ci: dcase::official_2023_interval(
                    &scores,
                    r.stats.resamples,
                    r.stats.level,
                    r.stats.seed,
                ),
            };
            officials.push(format!(
                "| {source} | {} | {:.3} | {:.3} | {:.3} | {} |",
                official.text(3),
                dcase::official_2021(&scores),
                dcase::hmean_domain(&sections, false),
                dcase::hmean_domain(&sections, true),
                means.join(" · ")
            ));
        }
        let _ = writeln!(md, "\n| source | official score (2022–2025) | official score (2021) | h-mean AUC (source) | h-mean AUC (target) | DCASE 2020 AUC/pAUC per machine |\n|---|---:|---:|---:|---:|---|");
        for line in officials {
            let _ = writeln!(md, "{line}");
        }
        md.push('\n');
    }
    md.push_str("The official score's interval: clips resampled within each machine × section × domain × class, the score recomputed on every resample (percentile interval, the same resamples and level as above).\n\n");
    (md, csv)
}
