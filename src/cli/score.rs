//! `faultline score`: DCASE-format score and decision files, one pair per machine and section,
//! as the DCASE 2020–2025 baselines write them:
//! `anomaly_score_<machine>_section_<XX>_test.csv` (`file_name,score`) and
//! `decision_result_<machine>_section_<XX>_test.csv` (`file_name,0|1`), the decision being score
//! above the threshold: the 0.9 quantile of a gamma distribution fitted to the section's normal
//! training scores (the baselines' `decision_threshold`).

use crate::dataset::{scan, write_atomic, BadFiles, Split};
use crate::detect::{Detectors, ScoreKind};
use crate::engine::Gamma;
use crate::eval::detector_scores;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Scores of the clips of one split of one machine, grouped by section (unreadable clips left
/// out through `bad`).
fn section_scores(
    model: &Detectors,
    data: &Path,
    machine: &str,
    split: Split,
    kind: ScoreKind,
    bad: &BadFiles,
) -> anyhow::Result<BTreeMap<String, Vec<(PathBuf, f64)>>> {
    let clips = scan(data, machine, split)?;
    let clips: Vec<_> = if split == Split::Train {
        clips.into_iter().filter(|c| !c.1.anomaly).collect()
    } else {
        clips
    };
    let paths: Vec<PathBuf> = clips.iter().map(|c| c.0.clone()).collect();
    let mut out: BTreeMap<String, Vec<(PathBuf, f64)>> = BTreeMap::new();
    for ((path, name), score) in clips.into_iter().zip(detector_scores(model, &paths, bad)?) {
        if let Some(scores) = score {
            out.entry(name.section)
                .or_default()
                .push((path, scores[kind as usize]));
        }
    }
    Ok(out)
}

fn csv(rows: impl Iterator<Item = (String, String)>) -> String {
    rows.map(|(a, b)| format!("{a},{b}\n")).collect()
}

/// Writes both files for every section of `machine`; returns a line per section.
pub fn score_machine(
    model: &Detectors,
    data: &Path,
    machine: &str,
    out: &Path,
    kind: ScoreKind,
    bad: &BadFiles,
) -> anyhow::Result<Vec<String>> {
    let test = section_scores(model, data, machine, Split::Test, kind, bad)?;
    anyhow::ensure!(
        !test.is_empty(),
        "{}/{machine}/test: no readable test clips",
        data.display()
    );
    let train = section_scores(model, data, machine, Split::Train, kind, bad)?;
    let mut lines = Vec::new();
    for (section, scores) in &test {
        let name = |p: &PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        };
        let file = out.join(format!(
            "anomaly_score_{machine}_section_{section}_test.csv"
        ));
        let text = csv(scores.iter().map(|(p, v)| (name(p), v.to_string())));
        write_atomic(&file, |f| std::io::Write::write_all(f, text.as_bytes()))?;
        let normal: Vec<f64> = train
            .get(section)
            .map(|v| v.iter().map(|x| x.1).collect())
            .unwrap_or_default();
        let threshold = Gamma::fit(&normal).map(|g| g.threshold());
        let decided = match threshold {
            Some(t) => {
                let file = out.join(format!("decision_result_{machine}_section_{section}_test.csv"));
                let text = csv(scores.iter().map(|(p, v)| (name(p), u8::from(*v > t).to_string())));
                write_atomic(&file, |f| std::io::Write::write_all(f, text.as_bytes()))?;
                format!("decisions above {t:.4} (gamma fit to {} normal training scores)", normal.len())
            }
            None => format!("no decision file: {} normal training scores in this section, too few for a gamma fit", normal.len()),
        };
        lines.push(format!(
            "score: {machine} section {section}: {} clips → {}; {decided}",
            scores.len(),
            file.display()
        ));
    }
    Ok(lines)
}
