//! The paper's experiment: one autoencoder trained on the normal clips of every machine type;
//! per machine, normal test clips against anomalies from each planner and against the reference
//! (or real) anomalies; AUC and pAUC with MSE and Mahalanobis scores; machine rankings and their
//! rank correlation with the reference ranking.

mod calibrate;

pub use calibrate::{calibrate, CalibrationResult};

use crate::dataset::{read_wav, scan, ClipName, Split};
use crate::detect::{EpochReport, Model, Provenance, ScoreKind, TrainConfig};
use crate::features::{prepare_audio, FeatureConfig, LogMel};
use crate::metrics;
use anyhow::Context;
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Stacked log-mel vectors (rows) of audio at any rate and channel count.
pub fn audio_vectors(audio: &crate::dataset::Audio, lm: &mut LogMel) -> anyhow::Result<Array2<f32>> {
    let x = prepare_audio(audio, lm.config().sample_rate);
    let v = lm.vectors(&x);
    let dims = lm.config().dims();
    anyhow::ensure!(!v.is_empty(), "too short for {} frames", lm.config().frames);
    Ok(Array2::from_shape_vec((v.len() / dims, dims), v).expect("whole vectors"))
}

/// Stacked log-mel vectors of one clip (rows), from any WAV.
pub fn clip_vectors(path: &Path, lm: &mut LogMel) -> anyhow::Result<Array2<f32>> {
    audio_vectors(&read_wav(path)?, lm).with_context(|| path.display().to_string())
}

/// Features of many clips on all cores.
pub fn vectors_of(paths: &[PathBuf], config: &FeatureConfig) -> anyhow::Result<Vec<Array2<f32>>> {
    paths.par_iter().map_init(|| LogMel::new(config.clone()), |lm, p| clip_vectors(p, lm)).collect()
}

/// Scores (MSE, Mahalanobis) of many clips on all cores.
pub fn score_paths(model: &Model, paths: &[PathBuf]) -> anyhow::Result<Vec<(f64, f64)>> {
    paths
        .par_iter()
        .map_init(|| LogMel::new(model.features.clone()), |lm, p| Ok(model.score(clip_vectors(p, lm)?.view())))
        .collect()
}

/// Machine folders of a DCASE-layout dataset (those with a `train` folder), sorted.
pub fn machines_in(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).with_context(|| format!("{}: cannot read dataset folder", root.display()))? {
        let p = e?.path();
        if p.join("train").is_dir() {
            out.push(p.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    out.sort();
    anyhow::ensure!(!out.is_empty(), "{}: no <machine>/train folders (DCASE layout expected)", root.display());
    Ok(out)
}

/// Trains one model on the normal training clips of `machines`.
pub fn train_model(root: &Path, machines: &[String], cfg: &TrainConfig, on_epoch: impl FnMut(EpochReport)) -> anyhow::Result<Model> {
    let features = FeatureConfig::default();
    let mut paths = Vec::new();
    for m in machines {
        paths.extend(scan(root, m, Split::Train)?.into_iter().filter(|(_, n)| !n.anomaly).map(|(p, _)| p));
    }
    anyhow::ensure!(!paths.is_empty(), "{}: no normal training clips", root.display());
    let per_clip = vectors_of(&paths, &features)?;
    let views: Vec<_> = per_clip.iter().map(|a| a.view()).collect();
    let data = ndarray::concatenate(Axis(0), &views)?;
    Ok(crate::detect::fit_model(data.view(), features, cfg, machines.to_vec(), paths.len(), on_epoch))
}

/// One scored clip.
#[derive(Clone, Debug, Serialize)]
pub struct ScoredClip {
    pub machine: String,
    /// "normal", "reference" or a planner's name.
    pub source: String,
    pub path: PathBuf,
    pub mse: f64,
    pub mahalanobis: f64,
}

impl ScoredClip {
    pub fn score(&self, kind: ScoreKind) -> f64 {
        match kind {
            ScoreKind::Mse => self.mse,
            ScoreKind::Mahalanobis => self.mahalanobis,
        }
    }
}

/// AUC and pAUC of one anomaly source on one machine with one score.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    pub machine: String,
    pub source: String,
    pub score: ScoreKind,
    pub auc: f64,
    pub pauc: f64,
    pub normals: usize,
    pub anomalies: usize,
}

/// Detection of `source` anomalies against the machine's normal clips.
pub fn detection(clips: &[ScoredClip], machine: &str, source: &str, kind: ScoreKind) -> Option<Detection> {
    let of = |s: &str| -> Vec<f64> { clips.iter().filter(|c| c.machine == machine && c.source == s).map(|c| c.score(kind)).collect() };
    let (normals, anomalies) = (of("normal"), of(source));
    if normals.is_empty() || anomalies.is_empty() {
        return None;
    }
    let labels: Vec<bool> = normals.iter().map(|_| false).chain(anomalies.iter().map(|_| true)).collect();
    let scores: Vec<f64> = normals.iter().chain(&anomalies).copied().collect();
    Some(Detection {
        machine: machine.into(),
        source: source.into(),
        score: kind,
        auc: metrics::auc(&labels, &scores),
        pauc: metrics::pauc(&labels, &scores, 0.1),
        normals: normals.len(),
        anomalies: anomalies.len(),
    })
}

/// Machines ranked by AUC for one source and score (1 = easiest), and the rank correlation
/// with the reference ranking.
#[derive(Clone, Debug, Serialize)]
pub struct Ranking {
    pub source: String,
    pub score: ScoreKind,
    pub machines: Vec<String>,
    pub aucs: Vec<f64>,
    pub ranks: Vec<f64>,
    pub spearman_vs_reference: Option<f64>,
    pub kendall_vs_reference: Option<f64>,
}

pub fn rankings(detections: &[Detection], machines: &[String], sources: &[String]) -> Vec<Ranking> {
    let mut out = Vec::new();
    for kind in ScoreKind::ALL {
        let aucs_of = |source: &str| -> Option<Vec<f64>> {
            machines
                .iter()
                .map(|m| detections.iter().find(|d| d.machine == *m && d.source == source && d.score == kind).map(|d| d.auc))
                .collect()
        };
        let reference = aucs_of("reference");
        for source in sources {
            let Some(aucs) = aucs_of(source) else { continue };
            let (spearman, kendall) = match (&reference, source.as_str()) {
                (Some(r), s) if s != "reference" && machines.len() > 2 => (Some(metrics::spearman(&aucs, r)), Some(metrics::kendall(&aucs, r))),
                _ => (None, None),
            };
            out.push(Ranking {
                source: source.clone(),
                score: kind,
                machines: machines.to_vec(),
                ranks: metrics::rank_descending(&aucs),
                aucs,
                spearman_vs_reference: spearman,
                kendall_vs_reference: kendall,
            });
        }
    }
    out
}

/// Normal and real anomalous test clips of a machine.
pub fn test_clips(root: &Path, machine: &str) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let clips = scan(root, machine, Split::Test)?;
    let (anomalous, normal): (Vec<_>, Vec<_>) = clips.into_iter().partition(|(_, n): &(PathBuf, ClipName)| n.anomaly);
    Ok((normal.into_iter().map(|c| c.0).collect(), anomalous.into_iter().map(|c| c.0).collect()))
}

/// What `evaluate` is asked to do.
#[derive(Clone, Debug)]
pub struct EvaluateConfig {
    pub data: PathBuf,
    pub out: PathBuf,
    /// Machine folders to use; empty = all.
    pub machines: Vec<String>,
    pub planners: Vec<String>,
    /// Fault description for every machine; `None` = each machine type's typical fault.
    pub fault: Option<String>,
    pub train: TrainConfig,
    /// Use this model instead of training one.
    pub model: Option<PathBuf>,
    pub seed: u64,
    pub quiet: bool,
    /// Settings of the `llm` planner, when it is among `planners`.
    pub llm: crate::plan::llm::LlmConfig,
}

/// Everything an evaluation produced (report.json).
#[derive(Clone, Debug, Serialize)]
pub struct EvalResult {
    pub data: PathBuf,
    pub machines: Vec<String>,
    pub sources: Vec<String>,
    pub model: Provenance,
    pub training: EpochHistory,
    pub detections: Vec<Detection>,
    pub rankings: Vec<Ranking>,
    pub example_plans: Vec<(String, String, crate::plan::FaultPlan)>,
    pub clips: Vec<ScoredClip>,
}

/// The fault a planner is asked for on a machine.
pub fn fault_for(machine: &str, fault: Option<&str>) -> String {
    fault.map(str::to_string).unwrap_or_else(|| {
        machine.parse::<crate::machine::MachineType>().map(|m| m.typical_fault().to_string()).unwrap_or_else(|_| "worn bearing".into())
    })
}

/// (epoch, training loss, validation loss) for each epoch.
pub type EpochHistory = Vec<(usize, f32, f32)>;

/// Trains (or loads) a model and fills the epoch history, with a progress bar.
pub fn obtain_model(cfg: &EvaluateConfig, machines: &[String]) -> anyhow::Result<(Model, EpochHistory)> {
    if let Some(path) = &cfg.model {
        return Ok((crate::detect::load_model(path)?, Vec::new()));
    }
    let bar = crate::offline::progress(cfg.train.epochs, "train", cfg.quiet);
    let mut history = Vec::new();
    let model = train_model(&cfg.data, machines, &cfg.train, |e| {
        bar.set_message(format!("loss {:.3} val {:.3}", e.loss, e.val_loss));
        bar.inc(1);
        history.push((e.epoch, e.loss, e.val_loss));
    })?;
    bar.finish_and_clear();
    Ok((model, history))
}

pub fn evaluate(cfg: &EvaluateConfig) -> anyhow::Result<EvalResult> {
    let machines = if cfg.machines.is_empty() { machines_in(&cfg.data)? } else { cfg.machines.clone() };
    let (model, training) = obtain_model(cfg, &machines)?;
    crate::detect::save_model(&model, &cfg.out.join("model.safetensors"))?;

    let mut clips = Vec::new();
    let mut example_plans = Vec::new();
    let push = |machine: &str, source: &str, paths: &[PathBuf], clips: &mut Vec<ScoredClip>| -> anyhow::Result<()> {
        for (path, (mse, mahalanobis)) in paths.iter().zip(score_paths(&model, paths)?) {
            clips.push(ScoredClip { machine: machine.into(), source: source.into(), path: path.clone(), mse, mahalanobis });
        }
        Ok(())
    };
    let bar = crate::offline::progress(machines.len() * (cfg.planners.len() + 1), "evaluate", cfg.quiet);
    for machine in &machines {
        let (normal, real) = test_clips(&cfg.data, machine)?;
        anyhow::ensure!(!normal.is_empty(), "{}/{machine}/test: no normal test clips", cfg.data.display());
        push(machine, "normal", &normal, &mut clips)?;
        push(machine, "reference", &real, &mut clips)?;
        bar.inc(1);
        for planner in &cfg.planners {
            let source = crate::offline::PlanSource::Planner {
                planner: crate::plan::planner_with(planner, &cfg.llm)?,
                fault: fault_for(machine, cfg.fault.as_deref()),
                seed: cfg.seed,
            };
            let out = cfg.out.join("anomalies").join(planner).join(machine);
            let rendered = crate::offline::render_set(&cfg.data.join(machine).join("test"), &out, &source, Some(machine), true)?;
            let paths: Vec<PathBuf> = rendered.entries.iter().map(|e| e.output.clone()).collect();
            push(machine, planner, &paths, &mut clips)?;
            if let Some(e) = rendered.entries.first() {
                example_plans.push((machine.clone(), planner.clone(), e.plan.clone()));
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let mut sources = vec!["reference".to_string()];
    sources.extend(cfg.planners.iter().cloned());
    let detections: Vec<Detection> = machines
        .iter()
        .flat_map(|m| sources.iter().flat_map(move |s| ScoreKind::ALL.into_iter().map(move |k| (m, s, k))))
        .filter_map(|(m, s, k)| detection(&clips, m, s, k))
        .collect();
    let rankings = rankings(&detections, &machines, &sources);
    Ok(EvalResult { data: cfg.data.clone(), machines, sources, model: model.provenance.clone(), training, detections, rankings, example_plans, clips })
}
