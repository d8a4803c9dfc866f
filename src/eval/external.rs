//! `evaluate --scores DIR`: the whole relative evaluation from any detector's DCASE-format score
//! files, without running ours. `DIR/reference/anomaly_score_<machine>_section_<XX>_test.csv`
//! holds the system's scores for the dataset's real test clips; `DIR/<planner>/…` the scores for
//! that planner's test set (`render --as-test-set`). Labels come from the DCASE file names (a
//! planner set's rows named `…_anomaly_…` are its anomalies; its normal rows repeat the real test
//! set's and are not used twice). The system's score is reported as the score kind `external`.

use super::{machines_in, summarize, test_clips, EvalResult, EvaluateConfig, ScoredClip};
use crate::dataset::ClipName;
use anyhow::Context;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `file_name → score` from every `anomaly_score_<machine>_section_*_test.csv` in `dir`.
pub fn read_scores(dir: &Path, machine: &str) -> anyhow::Result<HashMap<String, f64>> {
    let prefix = format!("anomaly_score_{machine}_section_");
    let mut out = HashMap::new();
    let mut files = 0;
    for e in std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the score folder", dir.display()))?
    {
        let path = e?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.starts_with(&prefix) && name.ends_with("_test.csv")) {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let (file, score) = line.split_once(',').with_context(|| {
                format!("{}:{}: expected `file_name,score`", path.display(), i + 1)
            })?;
            let score: f64 = score.trim().parse().with_context(|| {
                format!(
                    "{}:{}: score {score:?} is not a number",
                    path.display(),
                    i + 1
                )
            })?;
            anyhow::ensure!(
                score.is_finite(),
                "{}:{}: score {score} is not finite",
                path.display(),
                i + 1
            );
            // Evaluators write names with or without folders.
            let file = Path::new(file.trim())
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            out.insert(file, score);
        }
    }
    anyhow::ensure!(files > 0, "{}: no {prefix}XX_test.csv files", dir.display());
    Ok(out)
}

fn scored(machine: &str, source: &str, path: PathBuf, score: f64) -> ScoredClip {
    let mut scores = [f64::NAN; crate::detect::ScoreKind::COUNT];
    scores[crate::detect::ScoreKind::External as usize] = score;
    ScoredClip {
        machine: machine.into(),
        source: source.into(),
        plan_seed: 0,
        path,
        scores,
    }
}

pub fn evaluate_scores(cfg: &EvaluateConfig, scores: &Path) -> anyhow::Result<EvalResult> {
    anyhow::ensure!(
        cfg.plan_seeds == 1,
        "--scores: a score folder holds one test set per planner, so --plan-seeds must be 1"
    );
    anyhow::ensure!(cfg.sweep.is_empty(), "--scores: the severity sweep renders new sets; score those and evaluate each, or drop --sweep");
    let machines = if cfg.machines.is_empty() {
        machines_in(&cfg.data)?
    } else {
        cfg.machines.clone()
    };
    let mut clips = Vec::new();
    for machine in &machines {
        let reference = read_scores(&scores.join("reference"), machine)?;
        let (normal, real) = test_clips(&cfg.data, machine)?;
        for (paths, source) in [(&normal, "normal"), (&real, "reference")] {
            for p in paths {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let score = reference.get(name).with_context(|| {
                    format!(
                        "{}: no score for {name} (a test clip of {machine})",
                        scores.join("reference").display()
                    )
                })?;
                clips.push(scored(machine, source, p.clone(), *score));
            }
        }
        for planner in &cfg.planners {
            let dir = scores.join(planner);
            let set = read_scores(&dir, machine)?;
            let mut anomalies: Vec<(&String, &f64)> = set
                .iter()
                .filter(|(f, _)| ClipName::parse(f).is_some_and(|c| c.anomaly))
                .collect();
            anomalies.sort_by(|a, b| a.0.cmp(b.0));
            anyhow::ensure!(
                !anomalies.is_empty(),
                "{}: no anomaly rows (DCASE `…_anomaly_…` names) for {machine}",
                dir.display()
            );
            for (file, score) in anomalies {
                clips.push(scored(machine, planner, dir.join(file), *score));
            }
        }
    }
    let model = crate::detect::Provenance {
        trained_on: machines.clone(),
        created: crate::plan::now_rfc3339(),
        ..Default::default()
    };
    // No model of ours: its seed is 0 and means nothing; the data's seed is read as for ours.
    let seeds = super::seeds_of(cfg, 0);
    let mut result = summarize(
        cfg,
        machines,
        model,
        Vec::new(),
        clips,
        Vec::new(),
        seeds,
        &[crate::detect::ScoreKind::External],
    );
    result.scores_from = Some(scores.display().to_string());
    Ok(result)
}
