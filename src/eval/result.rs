//! What an evaluation produced (report.json) and how its statistics are drawn from the scored
//! clips: detections with intervals, rankings with ρ/τ intervals and verdicts, the reference
//! ceiling, Δρ against the random ablation, and the severity sweep.

use super::stats::{correlations, Design, Scored, Table};
use super::sweep::{self, THRESHOLD_AUC};
use super::verdict::{self, Verdict};
use super::{EpochHistory, EvaluateConfig, ScoredClip};
use crate::detect::{Provenance, ScoreKind};
use crate::metrics::bootstrap::{undefined_share, Estimate};
use crate::metrics::{kendall, ranks, spearman_small};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// AUC and pAUC of one anomaly source on one machine with one score.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    pub machine: String,
    pub source: String,
    pub score: ScoreKind,
    /// Mean over plan seeds of the AUC (the reference has one).
    pub auc: f64,
    pub auc_ci: Option<[f64; 2]>,
    pub pauc: f64,
    pub pauc_ci: Option<[f64; 2]>,
    pub normals: usize,
    /// Anomalous clips over all plan seeds.
    pub anomalies: usize,
    pub plan_seeds: usize,
    /// The AUC of each plan seed.
    pub auc_per_seed: Vec<f64>,
}

/// Machines ranked by AUC for one source and score (1 = easiest), against the reference.
#[derive(Clone, Debug, Serialize)]
pub struct Ranking {
    pub source: String,
    pub score: ScoreKind,
    pub machines: Vec<String>,
    pub aucs: Vec<f64>,
    pub ranks: Vec<f64>,
    pub spearman_vs_reference: Option<f64>,
    pub spearman_ci: Option<[f64; 2]>,
    pub kendall_vs_reference: Option<f64>,
    pub kendall_ci: Option<[f64; 2]>,
    /// ρ of each plan seed's ranking alone: mean and standard deviation over seeds.
    pub spearman_over_seeds: Option<[f64; 2]>,
    /// Δρ = ρ(this source) − ρ(random), paired over the same resamples.
    pub delta_vs_random: Option<Estimate>,
    pub versus_random: Option<String>,
    pub verdict: Option<Verdict>,
    pub verdict_reason: Option<String>,
}

/// The reference ranking's agreement with itself (see `stats`).
pub type Ceiling = Estimate;

/// Seeds and settings that reproduce the numbers.
#[derive(Clone, Debug, Serialize)]
pub struct Seeds {
    /// `faultline synth --seed` of the dataset, when it was synthesized.
    pub data: Option<u64>,
    pub model: u64,
    pub plan: u64,
    pub plan_seeds: usize,
    pub bootstrap: u64,
    pub resamples: usize,
    pub level: f64,
}

/// One machine's AUC against intensity scale for one planner and score.
#[derive(Clone, Debug, Serialize)]
pub struct SweepCurve {
    pub planner: String,
    pub score: ScoreKind,
    pub machine: String,
    pub aucs: Vec<f64>,
    pub auc_cis: Vec<Option<[f64; 2]>>,
    /// Scale where the AUC first reaches 0.75 (∞ = not within the ladder).
    pub threshold: Estimate,
}

/// Machines ranked by detection threshold (lower = easier) against the reference AUC ranking.
#[derive(Clone, Debug, Serialize)]
pub struct SweepRanking {
    pub planner: String,
    pub score: ScoreKind,
    pub spearman_vs_reference: f64,
    pub spearman_ci: Option<[f64; 2]>,
    pub kendall_vs_reference: f64,
    pub kendall_ci: Option<[f64; 2]>,
    pub verdict: Verdict,
    pub verdict_reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SweepResult {
    pub scales: Vec<f32>,
    pub threshold_auc: f64,
    pub curves: Vec<SweepCurve>,
    pub rankings: Vec<SweepRanking>,
}

/// Everything an evaluation produced (report.json).
#[derive(Clone, Debug, Serialize)]
pub struct EvalResult {
    pub data: PathBuf,
    pub machines: Vec<String>,
    /// "reference" and the planners (sweep sources are in `sweep`).
    pub sources: Vec<String>,
    /// The fault description planners were given: a fixed one (`--fault`), or per machine
    /// type (`typical`) or per reference clip (`per-clip`).
    pub fault: Option<String>,
    pub describe: super::Describe,
    pub model: Provenance,
    pub training: EpochHistory,
    pub seeds: Seeds,
    pub stats: super::StatsConfig,
    pub detections: Vec<Detection>,
    pub rankings: Vec<Ranking>,
    /// Per score name: the reference ceiling.
    pub reference_ceiling: BTreeMap<String, Ceiling>,
    /// Clips per class a machine has in the reference (the smallest over machines).
    pub reference_clips_per_class: usize,
    pub sweep: Option<SweepResult>,
    pub example_plans: Vec<(String, String, crate::plan::FaultPlan)>,
    pub clips: Vec<ScoredClip>,
    /// Files that could not be read and were left out (path, reason).
    pub unreadable: Vec<(String, String)>,
    /// Per machine and planner: how many plans the requested planner made and how many came
    /// from a fallback.
    pub plan_origins: Vec<PlanOrigin>,
    /// The score folder an external detector wrote (`evaluate --scores`); `None`: our model.
    pub scores_from: Option<String>,
    /// The scores evaluated (the detectors' kinds, `--detector`).
    pub kinds: Vec<ScoreKind>,
    /// The kNN detector's provenance, when it ran (the autoencoder's is `model`).
    pub knn_model: Option<Provenance>,
    /// Per source, for each pair of scores from different detectors: do they rank the machines
    /// alike, and do they reach the same verdict?
    pub detector_agreement: Vec<DetectorAgreement>,
}

/// Whether two detectors (two scores of different detectors) agree on one source's ranking.
#[derive(Clone, Debug, Serialize)]
pub struct DetectorAgreement {
    pub source: String,
    pub a: ScoreKind,
    pub b: ScoreKind,
    /// Spearman ρ between the two detectors' AUC rankings of the machines, with its interval
    /// over the same resamples.
    pub spearman: f64,
    pub spearman_ci: Option<[f64; 2]>,
    /// Each detector's verdict on this source (planners only).
    pub verdict_a: Option<Verdict>,
    pub verdict_b: Option<Verdict>,
}

/// Who made a planner's plans on one machine (over its plan seeds).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanOrigin {
    pub machine: String,
    pub source: String,
    pub plans: usize,
    pub fallbacks: usize,
    /// The fallback reasons seen, each once.
    pub reasons: Vec<String>,
}

/// A planner whose plans are more than this share fallbacks gets an inconclusive verdict: its
/// AUCs are mostly the fallback planner's.
pub const FALLBACK_SHARE_LIMIT: f64 = 0.5;

impl EvalResult {
    /// Overrides the verdict of every ranking whose planner's plans were mostly fallbacks.
    pub fn apply_plan_origins(&mut self) {
        for rk in &mut self.rankings {
            let of: Vec<&PlanOrigin> = self
                .plan_origins
                .iter()
                .filter(|o| o.source == rk.source)
                .collect();
            let plans: usize = of.iter().map(|o| o.plans).sum();
            let fallbacks: usize = of.iter().map(|o| o.fallbacks).sum();
            if plans > 0 && fallbacks as f64 > FALLBACK_SHARE_LIMIT * plans as f64 {
                rk.verdict = Some(Verdict::Inconclusive);
                let was = rk.verdict_reason.take().unwrap_or_default();
                rk.verdict_reason = Some(format!("{fallbacks} of {plans} plans came from a fallback planner, not {}: these AUCs are mostly the fallback's ({was})", rk.source));
            }
        }
    }
}

fn mean_sd(v: &[f64]) -> Option<[f64; 2]> {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some([mean, sd])
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The statistics of an evaluation from its scored clips.
#[allow(clippy::too_many_arguments)]
pub fn summarize(
    cfg: &EvaluateConfig,
    machines: Vec<String>,
    model: Provenance,
    training: EpochHistory,
    clips: Vec<ScoredClip>,
    example_plans: Vec<(String, String, crate::plan::FaultPlan)>,
    seeds: Seeds,
    kinds: &[ScoreKind],
) -> EvalResult {
    let mut sources = vec!["reference".to_string()];
    sources.extend(cfg.planners.iter().cloned());
    let mut all_sources = sources.clone();
    for p in &cfg.planners {
        all_sources.extend(cfg.sweep.iter().map(|&x| sweep::source_name(p, x)));
    }
    let scored = clips.iter().map(|c| Scored {
        machine: &c.machine,
        source: &c.source,
        plan_seed: c.plan_seed,
        scores: c.scores,
    });
    let design = Design::new(&machines, &all_sources, kinds, scored);
    let point = design.point();
    let tables = design.resample(&cfg.stats);
    let level = cfg.stats.level;
    let interval = |f: &dyn Fn(&Table) -> f64| -> Option<[f64; 2]> {
        crate::metrics::bootstrap::percentile_interval(
            &tables.iter().map(f).collect::<Vec<_>>(),
            level,
        )
    };

    let mut detections = Vec::new();
    for (m, machine) in machines.iter().enumerate() {
        for (s, source) in sources.iter().enumerate() {
            if design.seeds(m, s) == 0 {
                continue;
            }
            for &kind in kinds {
                let (auc, pauc) = design.at(&point, kind, m, s);
                detections.push(Detection {
                    machine: machine.clone(),
                    source: source.clone(),
                    score: kind,
                    auc,
                    auc_ci: interval(&|t| design.at(t, kind, m, s).0),
                    pauc,
                    pauc_ci: interval(&|t| design.at(t, kind, m, s).1),
                    normals: design.normals(m),
                    anomalies: design.anomalies(m, s),
                    plan_seeds: design.seeds(m, s),
                    auc_per_seed: (0..design.seeds(m, s))
                        .map(|k| design.seed_auc(kind, m, s, k))
                        .collect(),
                });
            }
        }
    }

    let has_reference = (0..machines.len()).all(|m| design.seeds(m, 0) > 0) && machines.len() > 2;
    let reference_clips_per_class = (0..machines.len())
        .map(|m| design.normals(m).min(design.anomalies(m, 0)))
        .min()
        .unwrap_or(0);
    let mut reference_ceiling = BTreeMap::new();
    if has_reference {
        for &kind in kinds {
            reference_ceiling.insert(kind.name().to_string(), design.ceiling(kind, &cfg.stats));
        }
    }
    let random = design.source_index("random");
    let mut rankings = Vec::new();
    for &kind in kinds {
        for (s, source) in sources.iter().enumerate() {
            if (0..machines.len()).any(|m| design.seeds(m, s) == 0) {
                continue;
            }
            let aucs = design.aucs(&point, kind, s);
            let mut rk = Ranking {
                source: source.clone(),
                score: kind,
                machines: machines.clone(),
                ranks: crate::metrics::rank_descending(&aucs),
                aucs: aucs.clone(),
                spearman_vs_reference: None,
                spearman_ci: None,
                kendall_vs_reference: None,
                kendall_ci: None,
                spearman_over_seeds: None,
                delta_vs_random: None,
                versus_random: None,
                verdict: None,
                verdict_reason: None,
            };
            if s > 0 && has_reference {
                let reference = design.aucs(&point, kind, 0);
                let (rhos, taus) = correlations(&design, &tables, kind, s);
                let rho = Estimate::new(spearman_small(&aucs, &reference), &rhos, level);
                rk.spearman_vs_reference = finite(rho.value);
                rk.spearman_ci = rho.ci;
                rk.kendall_vs_reference = finite(kendall(&aucs, &reference));
                rk.kendall_ci = Estimate::new(0.0, &taus, level).ci;
                let seeds = design.seeds(0, s);
                let per_seed: Vec<f64> = (0..seeds)
                    .map(|k| {
                        spearman_small(
                            &(0..machines.len())
                                .map(|m| design.seed_auc(kind, m, s, k))
                                .collect::<Vec<_>>(),
                            &reference,
                        )
                    })
                    .collect();
                rk.spearman_over_seeds = mean_sd(&per_seed);
                if let Some(r) = random.filter(|&r| r != s && source != "random-per-clip") {
                    let (random_rhos, _) = correlations(&design, &tables, kind, r);
                    let deltas: Vec<f64> =
                        rhos.iter().zip(&random_rhos).map(|(a, b)| a - b).collect();
                    let random_rho = spearman_small(&design.aucs(&point, kind, r), &reference);
                    let delta = Estimate::new(rho.value - random_rho, &deltas, level);
                    rk.versus_random = Some(verdict::versus_random(&delta));
                    rk.delta_vs_random = Some(delta);
                }
                let ceiling = reference_ceiling[kind.name()];
                let (v, why) = verdict::verdict(&rho, &ceiling, reference_clips_per_class);
                let why = if undefined_share(&rhos) > 0.0 && rho.ci.is_some() {
                    format!(
                        "{why} ({:.1} % of resamples tied every machine and were left out)",
                        100.0 * undefined_share(&rhos)
                    )
                } else {
                    why
                };
                rk.verdict = Some(v);
                rk.verdict_reason = Some(why);
            }
            rankings.push(rk);
        }
    }

    let mut detector_agreement = Vec::new();
    for (i, &a) in kinds.iter().enumerate() {
        for &b in &kinds[i + 1..] {
            if a.detector() == b.detector() {
                continue;
            }
            for (s, source) in sources.iter().enumerate() {
                if (0..machines.len()).any(|m| design.seeds(m, s) == 0) {
                    continue;
                }
                let rhos: Vec<f64> = tables
                    .iter()
                    .map(|t| spearman_small(&design.aucs(t, a, s), &design.aucs(t, b, s)))
                    .collect();
                let rho = Estimate::new(
                    spearman_small(&design.aucs(&point, a, s), &design.aucs(&point, b, s)),
                    &rhos,
                    level,
                );
                let verdict_of = |k: ScoreKind| {
                    rankings
                        .iter()
                        .find(|r: &&Ranking| r.score == k && r.source == *source)
                        .and_then(|r| r.verdict)
                };
                detector_agreement.push(DetectorAgreement {
                    source: source.clone(),
                    a,
                    b,
                    spearman: rho.value,
                    spearman_ci: rho.ci,
                    verdict_a: verdict_of(a),
                    verdict_b: verdict_of(b),
                });
            }
        }
    }

    let sweep = (!cfg.sweep.is_empty() && has_reference).then(|| {
        sweep_result(
            cfg,
            &design,
            &point,
            &tables,
            &reference_ceiling,
            reference_clips_per_class,
        )
    });
    EvalResult {
        data: cfg.data.clone(),
        machines,
        sources,
        fault: cfg.fault.clone(),
        describe: cfg.describe,
        model,
        training,
        seeds,
        stats: cfg.stats,
        detections,
        rankings,
        reference_ceiling,
        reference_clips_per_class,
        sweep,
        example_plans,
        clips,
        unreadable: Vec::new(),
        plan_origins: Vec::new(),
        scores_from: None,
        kinds: kinds.to_vec(),
        knn_model: None,
        detector_agreement,
    }
}

fn sweep_result(
    cfg: &EvaluateConfig,
    design: &Design,
    point: &Table,
    tables: &[Table],
    ceilings: &BTreeMap<String, Estimate>,
    clips_per_class: usize,
) -> SweepResult {
    let level = cfg.stats.level;
    let scales = &cfg.sweep;
    let mut curves = Vec::new();
    let mut rankings = Vec::new();
    for planner in &cfg.planners {
        let idx: Vec<usize> = scales
            .iter()
            .map(|&x| {
                design
                    .source_index(&sweep::source_name(planner, x))
                    .expect("sweep source")
            })
            .collect();
        for &kind in &design.kinds {
            let thresholds = |t: &Table| -> Vec<f64> {
                (0..design.machines.len())
                    .map(|m| {
                        sweep::threshold(
                            scales,
                            &idx.iter()
                                .map(|&s| design.at(t, kind, m, s).0)
                                .collect::<Vec<_>>(),
                            THRESHOLD_AUC,
                        )
                    })
                    .collect()
            };
            let point_thr = thresholds(point);
            let resampled: Vec<Vec<f64>> = tables.iter().map(thresholds).collect();
            for (m, machine) in design.machines.iter().enumerate() {
                let aucs: Vec<f64> = idx
                    .iter()
                    .map(|&s| design.at(point, kind, m, s).0)
                    .collect();
                let auc_cis = idx
                    .iter()
                    .map(|&s| {
                        crate::metrics::bootstrap::percentile_interval(
                            &tables
                                .iter()
                                .map(|t| design.at(t, kind, m, s).0)
                                .collect::<Vec<_>>(),
                            level,
                        )
                    })
                    .collect();
                let thr: Vec<f64> = resampled.iter().map(|r| r[m]).collect();
                curves.push(SweepCurve {
                    planner: planner.clone(),
                    score: kind,
                    machine: machine.clone(),
                    aucs,
                    auc_cis,
                    threshold: Estimate::new(point_thr[m], &thr, level),
                });
            }
            // Lower threshold = easier: rank −threshold against the reference AUC (ranks, so a
            // censored +∞ ties with the others that never reached the level).
            let corr = |thr: &[f64], t: &Table| -> (f64, f64) {
                let a = ranks(&thr.iter().map(|x| -x).collect::<Vec<_>>());
                let r = design.aucs(t, kind, 0);
                (spearman_small(&a, &r), kendall(&a, &ranks(&r)))
            };
            let (rho, tau) = corr(&point_thr, point);
            let (rhos, taus): (Vec<f64>, Vec<f64>) = resampled
                .iter()
                .zip(tables)
                .map(|(thr, t)| corr(thr, t))
                .unzip();
            let rho_est = Estimate::new(rho, &rhos, level);
            let (v, why) = verdict::verdict(&rho_est, &ceilings[kind.name()], clips_per_class);
            rankings.push(SweepRanking {
                planner: planner.clone(),
                score: kind,
                spearman_vs_reference: rho,
                spearman_ci: rho_est.ci,
                kendall_vs_reference: tau,
                kendall_ci: Estimate::new(tau, &taus, level).ci,
                verdict: v,
                verdict_reason: why,
            });
        }
    }
    SweepResult {
        scales: scales.clone(),
        threshold_auc: THRESHOLD_AUC,
        curves,
        rankings,
    }
}
