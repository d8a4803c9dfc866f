//! Metrics as the DCASE Task 2 evaluators report them, per machine and section.
//!
//! DCASE 2023–2025 (nttcslab/dcase2023_task2_evaluator, the same rules each year): AUC over the
//! section; AUC (source) and AUC (target) from that domain's normal clips against *every*
//! anomaly of the section; pAUC (max FPR 0.1, McClish-standardised as scikit-learn's
//! `roc_auc_score(max_fpr=0.1)`) over the section; the official score is the harmonic mean, over
//! every machine and section, of AUC (source), AUC (target) and pAUC (each floored at machine
//! epsilon, as the evaluator does). DCASE 2020: AUC and pAUC per machine id (our sections) and
//! their arithmetic means per machine. The 2021 and 2022 evaluators' variants are not
//! implemented.

use super::RocSample;
use serde::Serialize;

/// The DCASE pAUC's false-positive limit.
pub const DCASE_MAX_FPR: f64 = 0.1;

/// One scored test clip as the evaluators see it.
#[derive(Clone, Debug)]
pub struct LabelledScore {
    pub machine: String,
    pub section: String,
    pub target: bool,
    pub anomaly: bool,
    pub score: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SectionMetrics {
    pub machine: String,
    pub section: String,
    pub auc_all: f64,
    /// `None` when the section has no normal clip of that domain.
    pub auc_source: Option<f64>,
    pub auc_target: Option<f64>,
    pub pauc: f64,
    pub normals: usize,
    pub anomalies: usize,
}

fn split(clips: &[&LabelledScore], keep: impl Fn(&LabelledScore) -> bool) -> (Vec<f64>, Vec<f64>) {
    let normals = clips
        .iter()
        .filter(|c| !c.anomaly && keep(c))
        .map(|c| c.score)
        .collect();
    let anomalies = clips
        .iter()
        .filter(|c| c.anomaly)
        .map(|c| c.score)
        .collect();
    (normals, anomalies)
}

/// Per machine and section (sorted), the 2023–2025 evaluator's numbers. Sections without both
/// classes are left out.
pub fn section_metrics(clips: &[LabelledScore]) -> Vec<SectionMetrics> {
    let mut keys: Vec<(String, String)> = clips
        .iter()
        .map(|c| (c.machine.clone(), c.section.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for (machine, section) in keys {
        let these: Vec<&LabelledScore> = clips
            .iter()
            .filter(|c| c.machine == machine && c.section == section)
            .collect();
        let (normals, anomalies) = split(&these, |_| true);
        if normals.is_empty() || anomalies.is_empty() {
            continue;
        }
        let (auc_all, pauc) = RocSample::new(&normals, &anomalies).areas(DCASE_MAX_FPR);
        let domain_auc = |target: bool| {
            let (n, a) = split(&these, |c| c.target == target);
            (!n.is_empty()).then(|| RocSample::new(&n, &a).areas(DCASE_MAX_FPR).0)
        };
        out.push(SectionMetrics {
            auc_source: domain_auc(false),
            auc_target: domain_auc(true),
            machine,
            section,
            auc_all,
            pauc,
            normals: normals.len(),
            anomalies: anomalies.len(),
        });
    }
    out
}

/// Harmonic mean with each value floored at machine epsilon (scipy.stats.hmean as the
/// evaluators call it); NaN for no values.
pub fn hmean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.len() as f64
        / values
            .iter()
            .map(|v| 1.0 / v.max(f64::EPSILON))
            .sum::<f64>()
}

/// The DCASE 2022–2025 official score: hmean of every AUC (source), AUC (target) and pAUC
/// (the 2022 evaluator's domain-generalisation rule, kept by 2023–2025).
pub fn official_2023(sections: &[SectionMetrics]) -> f64 {
    let v: Vec<f64> = sections
        .iter()
        .flat_map(|s| [s.auc_source, s.auc_target, Some(s.pauc)])
        .flatten()
        .collect();
    hmean(&v)
}

/// The DCASE 2021 official score: source and target were separate test sets, so per machine,
/// section and domain that domain's normal clips against that domain's anomalies give an AUC
/// and a pAUC; the score is the harmonic mean of all of them. (2022–2025: `official_2023`.)
pub fn official_2021(clips: &[LabelledScore]) -> f64 {
    let mut keys: Vec<(&str, &str, bool)> = clips
        .iter()
        .map(|c| (c.machine.as_str(), c.section.as_str(), c.target))
        .collect();
    keys.sort();
    keys.dedup();
    let mut v = Vec::new();
    for (m, s, t) in keys {
        let of = |anomaly: bool| -> Vec<f64> {
            clips
                .iter()
                .filter(|c| {
                    c.machine == m && c.section == s && c.target == t && c.anomaly == anomaly
                })
                .map(|c| c.score)
                .collect()
        };
        let (n, a) = (of(false), of(true));
        if n.is_empty() || a.is_empty() {
            continue;
        }
        let (auc, pauc) = RocSample::new(&n, &a).areas(DCASE_MAX_FPR);
        v.extend([auc, pauc]);
    }
    hmean(&v)
}

/// A bootstrap interval of the official score (`official_2023`): clips resampled with
/// replacement within each machine × section × domain × class stratum, as the statistics
/// issue's intervals do for one AUC, the score recomputed on each of `resamples` resamples
/// (stream `derive_seed(seed, b)` each); the percentile interval at `level`. `None` when too
/// many resamples have no score (`percentile_interval`).
pub fn official_2023_interval(
    clips: &[LabelledScore],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<[f64; 2]> {
    use rayon::prelude::*;
    // (machine, section, target, anomaly) → the clips in that stratum.
    type Stratum<'a> = ((&'a str, &'a str, bool, bool), Vec<usize>);
    let mut strata: Vec<Stratum> = Vec::new();
    for (i, c) in clips.iter().enumerate() {
        let key = (c.machine.as_str(), c.section.as_str(), c.target, c.anomaly);
        match strata.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => strata.push((key, vec![i])),
        }
    }
    let values: Vec<f64> = (0..resamples)
        .into_par_iter()
        .map(|b| {
            let mut rng = super::bootstrap::resample_rng(seed, b);
            let mut drawn = Vec::with_capacity(clips.len());
            for (_, members) in &strata {
                let mut counts = vec![0u32; members.len()];
                super::bootstrap::resample_counts(&mut rng, &mut counts);
                for (&i, &n) in members.iter().zip(&counts) {
                    for _ in 0..n {
                        drawn.push(clips[i].clone());
                    }
                }
            }
            official_2023(&section_metrics(&drawn))
        })
        .collect();
    super::bootstrap::percentile_interval(&values, level)
}

/// The harmonic mean of one domain's AUCs over machines and sections.
pub fn hmean_domain(sections: &[SectionMetrics], target: bool) -> f64 {
    let v: Vec<f64> = sections
        .iter()
        .filter_map(|s| if target { s.auc_target } else { s.auc_source })
        .collect();
    hmean(&v)
}

/// DCASE 2020 per machine: the arithmetic means over ids (sections) of AUC and pAUC.
pub fn dcase2020(sections: &[SectionMetrics], machine: &str) -> Option<(f64, f64)> {
    let rows: Vec<&SectionMetrics> = sections.iter().filter(|s| s.machine == machine).collect();
    (!rows.is_empty()).then(|| {
        let n = rows.len() as f64;
        (
            rows.iter().map(|r| r.auc_all).sum::<f64>() / n,
            rows.iter().map(|r| r.pauc).sum::<f64>() / n,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_clips() -> Vec<LabelledScore> {
        let fx: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/dcase_metrics.json")).unwrap();
        fx["clips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| LabelledScore {
                machine: c["machine"].as_str().unwrap().into(),
                section: c["section"].as_str().unwrap().into(),
                target: c["domain"] == "target",
                anomaly: c["anomaly"].as_bool().unwrap(),
                score: c["score"].as_f64().unwrap(),
            })
            .collect()
    }

    #[test]
    fn the_official_scores_interval_holds_it_and_narrows_with_more_clips() {
        let clips = fixture_clips();
        let point = official_2023(&section_metrics(&clips));
        let [lo, hi] = official_2023_interval(&clips, 400, 0.95, 3).unwrap();
        assert!(lo < point && point < hi, "{lo} {point} {hi}");
        assert_eq!(official_2023_interval(&clips, 400, 0.95, 3), Some([lo, hi]));
        // Four independent-looking copies of every clip (jittered scores): about half as wide.
        let mut rng = crate::dsp::Rng::new(1);
        let more: Vec<LabelledScore> = (0..4)
            .flat_map(|_| clips.iter().cloned())
            .map(|mut c| {
                c.score += 1e-3 * rng.gaussian() as f64;
                c
            })
            .collect();
        let [a, b] = official_2023_interval(&more, 400, 0.95, 3).unwrap();
        let ratio = (b - a) / (hi - lo);
        assert!((0.3..0.75).contains(&ratio), "{ratio}");
    }

    /// Against the evaluator's rules run by scikit-learn and SciPy
    /// (`benches/reference/make_dcase_fixture.py`).
    #[test]
    fn sections_and_official_scores_match_the_reference_evaluator() {
        let fx: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/dcase_metrics.json")).unwrap();
        let clips = fixture_clips();
        let got = section_metrics(&clips);
        let want = fx["sections"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        let close = |a: f64, b: &serde_json::Value, what: &str| {
            assert!(
                (a - b.as_f64().unwrap()).abs() < 1e-12,
                "{what}: {a} vs {b}"
            )
        };
        for g in &got {
            let at = format!("{} {}", g.machine, g.section);
            let w = want
                .iter()
                .find(|w| w["machine"] == g.machine.as_str() && w["section"] == g.section.as_str())
                .unwrap();
            close(g.auc_all, &w["auc_all"], &format!("{at} AUC"));
            close(g.pauc, &w["pauc"], &format!("{at} pAUC"));
            close(
                g.auc_source.unwrap(),
                &w["auc_source"],
                &format!("{at} AUC source"),
            );
            close(
                g.auc_target.unwrap(),
                &w["auc_target"],
                &format!("{at} AUC target"),
            );
        }
        close(official_2023(&got), &fx["official_2023"], "official score");
        close(
            official_2021(&clips),
            &fx["official_2021"],
            "2021 official score",
        );
        close(
            hmean_domain(&got, false),
            &fx["hmean_source"],
            "hmean source",
        );
        close(
            hmean_domain(&got, true),
            &fx["hmean_target"],
            "hmean target",
        );
        for m in ["fan", "valve", "ToyCar"] {
            let (auc, pauc) = dcase2020(&got, m).unwrap();
            close(auc, &fx["dcase2020"][m]["auc"], &format!("{m} 2020 AUC"));
            close(pauc, &fx["dcase2020"][m]["pauc"], &format!("{m} 2020 pAUC"));
        }
    }
}
