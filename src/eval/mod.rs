//! The paper's experiment: one autoencoder trained on the normal clips of every machine type;
//! per machine, normal test clips against anomalies from each planner and against the reference
//! (or real) anomalies; AUC and pAUC with MSE and Mahalanobis scores; machine rankings and their
//! rank correlation with the reference ranking, each with a bootstrap interval (`stats.rs`), the
//! reference ceiling and a verdict (`verdict.rs`); optionally a severity sweep (`sweep.rs`).

mod calibrate;
pub mod external;
pub mod premise;
mod result;
pub mod stats;
pub mod sweep;
pub mod verdict;

pub use calibrate::{calibrate, CalibrationResult};
pub use result::{
    summarize, Ceiling, Detection, EvalResult, PlanOrigin, Ranking, Seeds, SweepCurve,
    SweepRanking, SweepResult,
};
pub use stats::StatsConfig;
pub use verdict::Verdict;

use crate::dataset::{read_wav, scan, BadFiles, ClipName, Split};
use crate::detect::{EpochReport, Model, ScoreKind, TrainConfig};
use crate::features::{FeatureConfig, LogMel};
use crate::metrics;
use crate::plan::{FaultPlan, PlanRequest};
use anyhow::Context;
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Stacked log-mel vectors (rows) of audio at any rate and channel count.
pub fn audio_vectors(
    audio: &crate::dataset::Audio,
    lm: &mut LogMel,
) -> anyhow::Result<Array2<f32>> {
    let x = crate::features::prepare_channel(audio, lm.config().sample_rate, lm.config().channel)?;
    let v = lm.vectors(&x);
    let dims = lm.config().dims();
    anyhow::ensure!(!v.is_empty(), "too short for {} frames", lm.config().frames);
    Ok(Array2::from_shape_vec((v.len() / dims, dims), v).expect("whole vectors"))
}

/// Stacked log-mel vectors of one clip (rows), from any WAV.
pub fn clip_vectors(path: &Path, lm: &mut LogMel) -> anyhow::Result<Array2<f32>> {
    audio_vectors(&read_wav(path)?, lm).with_context(|| path.display().to_string())
}

/// Features of many clips on all cores; `None` for a clip `bad` skipped.
pub fn vectors_of(
    paths: &[PathBuf],
    config: &FeatureConfig,
    bad: &BadFiles,
) -> anyhow::Result<Vec<Option<Array2<f32>>>> {
    paths
        .par_iter()
        .map_init(
            || LogMel::new(config.clone()),
            |lm, p| bad.check(p, clip_vectors(p, lm)),
        )
        .collect()
}

/// Every detector's scores of many clips on all cores (features computed once per clip);
/// `None` for a clip `bad` skipped.
pub fn detector_scores(
    detectors: &crate::detect::Detectors,
    paths: &[PathBuf],
    bad: &BadFiles,
) -> anyhow::Result<Vec<Option<[f64; ScoreKind::COUNT]>>> {
    detector_scores_of(detectors, paths, read, bad)
}

/// A WAV's audio (`read_wav` with its error as `anyhow`).
fn read(path: &Path) -> anyhow::Result<crate::dataset::Audio> {
    Ok(read_wav(path)?)
}

/// `detector_scores` of clips whose audio `audio` gives by path (held in memory or read).
pub fn detector_scores_of(
    detectors: &crate::detect::Detectors,
    paths: &[PathBuf],
    audio: impl Fn(&Path) -> anyhow::Result<crate::dataset::Audio> + Sync,
    bad: &BadFiles,
) -> anyhow::Result<Vec<Option<[f64; ScoreKind::COUNT]>>> {
    paths
        .par_iter()
        .map_init(
            || LogMel::new(detectors.features().clone()),
            |lm, p| {
                let v = audio(p).and_then(|a| audio_vectors(&a, lm));
                Ok(bad
                    .check(p, v.with_context(|| p.display().to_string()))?
                    .map(|v| detectors.score(v.view())))
            },
        )
        .collect()
}

/// Scores (MSE, Mahalanobis) of many clips on all cores; `None` for a clip `bad` skipped.
pub fn score_paths(
    model: &Model,
    paths: &[PathBuf],
    bad: &BadFiles,
) -> anyhow::Result<Vec<Option<(f64, f64)>>> {
    paths
        .par_iter()
        .map_init(
            || LogMel::new(model.features.clone()),
            |lm, p| {
                Ok(bad
                    .check(p, clip_vectors(p, lm))?
                    .map(|v| model.score(v.view())))
            },
        )
        .collect()
}

/// Machines of a dataset (DCASE machine folders with a `train` folder, or MIMII machines), sorted.
pub fn machines_in(root: &Path) -> anyhow::Result<Vec<String>> {
    let out = crate::dataset::machines(root)
        .with_context(|| format!("{}: cannot read dataset folder", root.display()))?;
    anyhow::ensure!(
        !out.is_empty(),
        "{}: no machines found (expected {}; `faultline dataset DIR` shows what is there)",
        root.display(),
        crate::dataset::LAYOUTS_EXPECTED
    );
    Ok(out)
}

/// The feature settings for a dataset: MIMII's 8 channels → channel 0 unless told otherwise,
/// as its baselines; otherwise the mean of the channels.
fn features_for(root: &Path, cfg: &TrainConfig) -> FeatureConfig {
    let default_channel = match crate::dataset::layout_of(root) {
        crate::dataset::Layout::Mimii => crate::features::Channel::Index(0),
        // ToyADMOS: one mono file per microphone, `ch1` is read (`dataset::toyadmos`).
        crate::dataset::Layout::Dcase | crate::dataset::Layout::Toyadmos => {
            crate::features::Channel::Mean
        }
    };
    FeatureConfig {
        channel: cfg.channel.unwrap_or(default_channel),
        ..FeatureConfig::default()
    }
}

/// The readable normal training clips of `machines`: (features, domain) per clip.
fn training_vectors(
    root: &Path,
    machines: &[String],
    features: &FeatureConfig,
    bad: &BadFiles,
) -> anyhow::Result<Vec<(Array2<f32>, String)>> {
    let mut clips = Vec::new();
    for m in machines {
        clips.extend(
            scan(root, m, Split::Train)?
                .into_iter()
                .filter(|(_, n)| !n.anomaly),
        );
    }
    anyhow::ensure!(
        !clips.is_empty(),
        "{}: no normal training clips",
        root.display()
    );
    let paths: Vec<PathBuf> = clips.iter().map(|c| c.0.clone()).collect();
    let per_clip: Vec<(Array2<f32>, String)> = vectors_of(&paths, features, bad)?
        .into_iter()
        .zip(clips)
        .filter_map(|(v, (_, name))| v.map(|v| (v, name.domain)))
        .collect();
    anyhow::ensure!(
        !per_clip.is_empty(),
        "{}: no readable normal training clips",
        root.display()
    );
    Ok(per_clip)
}

/// Trains one autoencoder on the normal training clips of `machines`.
pub fn train_model(
    root: &Path,
    machines: &[String],
    cfg: &TrainConfig,
    bad: &BadFiles,
    on_epoch: impl FnMut(EpochReport),
) -> anyhow::Result<Model> {
    let features = features_for(root, cfg);
    let per_clip = training_vectors(root, machines, &features, bad)?;
    fit_ae(&per_clip, features, cfg, machines, on_epoch)
}

fn fit_ae(
    per_clip: &[(Array2<f32>, String)],
    features: FeatureConfig,
    cfg: &TrainConfig,
    machines: &[String],
    on_epoch: impl FnMut(EpochReport),
) -> anyhow::Result<Model> {
    let views: Vec<_> = per_clip.iter().map(|(a, _)| a.view()).collect();
    let data = ndarray::concatenate(Axis(0), &views)?;
    let mut model = crate::detect::fit_model(
        data.view(),
        features,
        cfg,
        machines.to_vec(),
        per_clip.len(),
        on_epoch,
    );
    // Per-domain residual statistics for the selective Mahalanobis score.
    let mut domains: Vec<&String> = per_clip.iter().map(|(_, d)| d).collect();
    domains.sort();
    domains.dedup();
    let per_domain: Vec<(String, Array2<f32>)> = domains
        .into_iter()
        .map(|d| {
            let views: Vec<_> = per_clip
                .iter()
                .filter(|(_, x)| x == d)
                .map(|(a, _)| a.view())
                .collect();
            Ok((d.clone(), ndarray::concatenate(Axis(0), &views)?))
        })
        .collect::<anyhow::Result<_>>()?;
    let views: Vec<(String, ndarray::ArrayView2<f32>)> = per_domain
        .iter()
        .map(|(d, a)| (d.clone(), a.view()))
        .collect();
    model.fit_selective(&views);
    Ok(model)
}

/// Fits the kNN detector (`detect::knn`), one memory bank per domain.
fn fit_knn(
    per_clip: &[(Array2<f32>, String)],
    features: FeatureConfig,
    cfg: &TrainConfig,
    machines: &[String],
) -> anyhow::Result<crate::detect::knn::Knn> {
    let started = std::time::Instant::now();
    let embeddings: Vec<(String, Vec<f32>)> = per_clip
        .iter()
        .map(|(v, d)| {
            (
                d.clone(),
                crate::detect::knn::embedding(v.view(), features.n_mels),
            )
        })
        .collect();
    let provenance = crate::detect::Provenance {
        trained_on: machines.to_vec(),
        clips: per_clip.len(),
        vectors: per_clip.len(),
        seed: cfg.seed,
        created: crate::plan::now_rfc3339(),
        threads: 1,
        ..Default::default()
    };
    let mut knn = crate::detect::knn::Knn::fit(
        &embeddings,
        crate::detect::knn::DEFAULT_K,
        features,
        provenance,
    )?;
    knn.provenance.train_seconds = started.elapsed().as_secs_f32();
    Ok(knn)
}

/// One scored clip.
#[derive(Clone, Debug, Serialize)]
pub struct ScoredClip {
    pub machine: String,
    /// "normal", "reference", a planner's name, or `planner@scale` in a sweep.
    pub source: String,
    /// Which plan seed rendered it (0 for normal and reference clips).
    pub plan_seed: usize,
    pub path: PathBuf,
    /// Indexed by `ScoreKind as usize`: MSE, Mahalanobis, kNN (NaN where not computed).
    pub scores: [f64; ScoreKind::COUNT],
}

impl ScoredClip {
    pub fn score(&self, kind: ScoreKind) -> f64 {
        self.scores[kind as usize]
    }

    /// A clip with the autoencoder's two scores.
    pub fn ae(machine: &str, source: &str, path: PathBuf, (mse, mahalanobis): (f64, f64)) -> Self {
        let mut scores = [f64::NAN; ScoreKind::COUNT];
        scores[ScoreKind::Mse as usize] = mse;
        scores[ScoreKind::Mahalanobis as usize] = mahalanobis;
        Self {
            machine: machine.into(),
            source: source.into(),
            plan_seed: 0,
            path,
            scores,
        }
    }
}

/// AUC of `source` anomalies against the machine's normal clips (no interval; calibration's
/// inner loop).
pub fn auc_of(clips: &[ScoredClip], machine: &str, source: &str, kind: ScoreKind) -> f64 {
    let of = |s: &str| -> Vec<f64> {
        clips
            .iter()
            .filter(|c| c.machine == machine && c.source == s)
            .map(|c| c.score(kind))
            .collect()
    };
    metrics::RocSample::new(&of("normal"), &of(source))
        .areas(stats::MAX_FPR)
        .0
}

/// Normal and real anomalous test clips of a machine.
pub fn test_clips(root: &Path, machine: &str) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let clips = scan(root, machine, Split::Test)?;
    let (anomalous, normal): (Vec<_>, Vec<_>) = clips
        .into_iter()
        .partition(|(_, n): &(PathBuf, ClipName)| n.anomaly);
    Ok((
        normal.into_iter().map(|c| c.0).collect(),
        anomalous.into_iter().map(|c| c.0).collect(),
    ))
}

/// What `evaluate` is asked to do.
#[derive(Clone, Debug)]
pub struct EvaluateConfig {
    pub data: PathBuf,
    pub out: PathBuf,
    /// Machine folders to use; empty = all.
    pub machines: Vec<String>,
    /// Sources to render: `keyword`, `llm`, `random` (one plan per machine type and plan seed,
    /// the paper's ablation), `random-per-clip` (a plan per clip).
    pub planners: Vec<String>,
    /// Fault description for every machine; `None` = each machine type's typical fault.
    pub fault: Option<String>,
    /// With no `fault`: one typical description per machine, or each reference clip's own.
    pub describe: Describe,
    /// Training settings; its seed is the model seed.
    pub train: TrainConfig,
    /// Use this model instead of training one.
    pub model: Option<PathBuf>,
    /// The detectors to evaluate (`--detector ae,knn`); each gives its own rankings.
    pub detectors: Vec<crate::detect::Detector>,
    /// Use this kNN detector file instead of fitting one.
    pub knn_model: Option<PathBuf>,
    /// Seed of the plans: plan seed k of N is `derive_seed(plan_seed, k)`.
    pub plan_seed: u64,
    /// Plan seeds each planner's anomalies are rendered under; AUCs are averaged over them.
    pub plan_seeds: usize,
    pub stats: StatsConfig,
    /// Intensity scales of the severity sweep; empty = no sweep.
    pub sweep: Vec<f32>,
    /// Also write the sweep's clips (by default they are scored in memory and not written:
    /// the demo's sweep is 9600 clips, 6 GB of float WAVs).
    pub keep_sweep_renders: bool,
    pub quiet: bool,
    /// The first unreadable clip is an error (by default such clips are skipped and counted).
    pub strict: bool,
    /// Settings of the `llm` planner, when it is among `planners`.
    pub llm: crate::plan::llm::LlmConfig,
}

/// Where the fault descriptions planners are given come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Describe {
    /// One description per machine type (`MachineType::typical_fault`).
    #[default]
    Typical,
    /// Each reference clip's own description, given to the normal clip of the same index and
    /// domain.
    PerClip,
}

/// Each reference clip's fault description by (domain, index), from its sidecar.
fn reference_descriptions(real: &[PathBuf]) -> HashMap<(String, usize), String> {
    real.iter()
        .filter_map(|p| {
            let name = ClipName::parse(p.file_name()?.to_str()?)?;
            let record = crate::offline::read_fault_record(p)?;
            Some(((name.domain, name.index), record.description))
        })
        .collect()
}

pub use crate::machine::machine_type_of;

/// What a planner is told the machine is: its type's name when the key names one.
fn planner_machine(key: &str) -> String {
    machine_type_of(key).map_or_else(|| key.to_string(), |m| m.name().to_string())
}

/// The fault a planner is asked for on a machine.
pub fn fault_for(machine: &str, fault: Option<&str>) -> String {
    fault.map(str::to_string).unwrap_or_else(|| {
        machine_type_of(machine)
            .map(|m| m.typical_fault().to_string())
            .unwrap_or_else(|| "worn bearing".into())
    })
}

/// (epoch, training loss, validation loss) for each epoch.
pub type EpochHistory = Vec<(usize, f32, f32)>;

/// Trains (or loads) the requested detectors, features computed once, and fills the epoch
/// history, with a progress bar.
pub fn obtain_detectors(
    cfg: &EvaluateConfig,
    machines: &[String],
    bad: &BadFiles,
) -> anyhow::Result<(crate::detect::Detectors, EpochHistory)> {
    use crate::detect::Detector;
    anyhow::ensure!(
        !cfg.detectors.is_empty(),
        "--detector: name at least one of ae, knn"
    );
    let wants = |d| cfg.detectors.contains(&d);
    anyhow::ensure!(
        cfg.knn_model.is_none() || wants(Detector::Knn),
        "--knn-model is a kNN detector's file: add knn to --detector (e.g. --detector ae,knn)"
    );
    anyhow::ensure!(
        cfg.model.is_none() || wants(Detector::Ae),
        "--model is an autoencoder's file: add ae to --detector (or give a kNN file as --knn-model)"
    );
    let mut out = crate::detect::Detectors::default();
    let mut history = Vec::new();
    if wants(Detector::Ae) {
        if let Some(path) = &cfg.model {
            out.ae = Some(crate::detect::load_model(path)?);
        }
    }
    if wants(Detector::Knn) {
        if let Some(path) = &cfg.knn_model {
            out.knn = Some(crate::detect::load_knn(path)?);
        }
    }
    let need_ae = wants(Detector::Ae) && out.ae.is_none();
    let need_knn = wants(Detector::Knn) && out.knn.is_none();
    if need_ae || need_knn {
        let features = out
            .ae
            .as_ref()
            .map(|m| m.features.clone())
            .or_else(|| out.knn.as_ref().map(|k| k.features.clone()))
            .unwrap_or_else(|| features_for(&cfg.data, &cfg.train));
        let per_clip = training_vectors(&cfg.data, machines, &features, bad)?;
        if need_ae {
            let bar = crate::offline::progress(cfg.train.epochs, "train", cfg.quiet);
            out.ae = Some(fit_ae(
                &per_clip,
                features.clone(),
                &cfg.train,
                machines,
                |e| {
                    bar.set_message(format!("loss {:.3} val {:.3}", e.loss, e.val_loss));
                    bar.inc(1);
                    history.push((e.epoch, e.loss, e.val_loss));
                },
            )?);
            bar.finish_and_clear();
        }
        if need_knn {
            out.knn = Some(fit_knn(&per_clip, features, &cfg.train, machines)?);
        }
    }
    if let (Some(a), Some(k)) = (&out.ae, &out.knn) {
        anyhow::ensure!(
            a.features == k.features,
            "the autoencoder and the kNN detector were made with different feature settings ({:?} vs {:?})",
            a.features,
            k.features
        );
    }
    Ok((out, history))
}

/// The planners `evaluate` knows, and the planner each one plans with: `llm` with the
/// configured prompt, `llm-plain` and `llm-physics` with that system prompt (both in one run
/// compare the prompts' rankings and verdicts as separate sources).
pub const SOURCES: &[&str] = &[
    "keyword",
    "keyword-no-kinematics",
    "llm",
    "llm-plain",
    "llm-physics",
    "random",
    "random-per-clip",
];

/// The planner a source plans with.
pub fn source_planner(
    source: &str,
    llm: &crate::plan::llm::LlmConfig,
) -> anyhow::Result<Box<dyn crate::plan::Planner>> {
    use crate::plan::llm::PromptStyle;
    let with_prompt = |prompt| crate::plan::llm::LlmConfig {
        prompt,
        ..llm.clone()
    };
    match source {
        "random-per-clip" => crate::plan::planner_with("random", llm),
        "llm-plain" => crate::plan::planner_with("llm", &with_prompt(PromptStyle::Plain)),
        "llm-physics" => crate::plan::planner_with("llm", &with_prompt(PromptStyle::Physics)),
        other => crate::plan::planner_with(other, llm),
    }
}

/// Each normal test clip's plan for `planner` under plan seed `k`. `random` draws one plan per
/// machine type (the paper's ablation) and gives each clip its own DSP seed; every other
/// planner plans each clip from its own attributes.
fn plans_for(
    cfg: &EvaluateConfig,
    planner_name: &str,
    machine: &str,
    normal: &[PathBuf],
    descriptions: &HashMap<(String, usize), String>,
    k: usize,
) -> anyhow::Result<HashMap<PathBuf, FaultPlan>> {
    let seed = crate::dsp::derive_seed(cfg.plan_seed, k as u64);
    let severity = crate::offline::severity_measured_at(&cfg.data);
    let planner = source_planner(planner_name, &cfg.llm)?;
    let fault = fault_for(machine, cfg.fault.as_deref());
    let machine_hash = crate::offline::path_hash(Path::new(machine));
    let per_type = if planner_name == "random" {
        Some(planner.plan(&PlanRequest {
            machine: planner_machine(machine),
            attributes: vec![],
            fault: fault.clone(),
            seed: crate::dsp::derive_seed(seed, machine_hash),
        })?)
    } else {
        None
    };
    let test_dir = cfg.data.join(machine).join("test");
    normal
        .iter()
        .map(|p| {
            // DCASE: relative to the test folder (seeds as before); MIMII: to the machine folder.
            let rel = p
                .strip_prefix(&test_dir)
                .or_else(|_| p.strip_prefix(crate::dataset::machine_dir(&cfg.data, machine)))
                .unwrap_or(p);
            let clip_seed = crate::dsp::derive_seed(seed, crate::offline::path_hash(rel));
            let plan = match &per_type {
                Some(plan) => {
                    let attributes = ClipName::attributes_of(p);
                    FaultPlan {
                        seed: clip_seed,
                        ..plan.for_clip(machine, &attributes, severity)?
                    }
                }
                None => {
                    let name = p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(ClipName::parse);
                    let own = name
                        .as_ref()
                        .and_then(|c| descriptions.get(&(c.domain.clone(), c.index)));
                    let fault = own.cloned().unwrap_or_else(|| fault.clone());
                    let attributes = name.map(|c| c.attributes).unwrap_or_default();
                    planner
                        .plan(&PlanRequest {
                            machine: planner_machine(machine),
                            attributes: attributes.clone(),
                            fault,
                            seed: clip_seed,
                        })
                        .with_context(|| format!("planning for {}", p.display()))?
                        .for_clip(machine, &attributes, severity)?
                }
            };
            Ok((p.clone(), plan))
        })
        .collect()
}

/// Normal clips kept in memory for an evaluation's renders, by path: all of a machine's that
/// can be read, unless they would take more than `HOLD_BYTES` as samples (a large real test
/// set: then each render reads its clip from disk, as a clip missing here is).
fn hold(paths: &[PathBuf]) -> HashMap<PathBuf, crate::dataset::Audio> {
    // Samples in memory are f32: up to twice a 16-bit file (headers aside).
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| 2 * m.len()))
        .sum();
    if bytes > HOLD_BYTES {
        return HashMap::new();
    }
    paths
        .par_iter()
        .filter_map(|p| Some((p.clone(), read(p).ok()?)))
        .collect()
}

/// At most this many bytes of one machine's normal test clips are held in memory (1 GiB).
const HOLD_BYTES: u64 = 1 << 30;

pub fn evaluate(cfg: &EvaluateConfig) -> anyhow::Result<EvalResult> {
    anyhow::ensure!(cfg.plan_seeds >= 1, "--plan-seeds must be at least 1");
    anyhow::ensure!(
        cfg.stats.resamples >= 100,
        "--resamples must be at least 100 (1000 or more for a 95 % interval)"
    );
    anyhow::ensure!(
        cfg.stats.level > 0.5 && cfg.stats.level < 1.0,
        "--ci {}: expected a level between 0.5 and 1 (e.g. 0.95)",
        cfg.stats.level
    );
    for p in &cfg.planners {
        anyhow::ensure!(
            SOURCES.contains(&p.as_str()),
            "unknown planner \"{p}\"; allowed: {}",
            SOURCES.join(", ")
        );
    }
    let machines = if cfg.machines.is_empty() {
        machines_in(&cfg.data)?
    } else {
        cfg.machines.clone()
    };
    let bad = BadFiles::new(cfg.strict);
    let (detectors, training) = obtain_detectors(cfg, &machines, &bad)?;
    if let Some(model) = &detectors.ae {
        crate::detect::save_model(model, &cfg.out.join("model.safetensors"))?;
    }
    if let Some(knn) = &detectors.knn {
        crate::detect::save_knn(knn, &cfg.out.join("knn.safetensors"))?;
    }
    let kinds = detectors.kinds();

    let mut clips = Vec::new();
    let mut example_plans = Vec::new();
    let mut origins: Vec<PlanOrigin> = Vec::new();
    let push = |machine: &str,
                source: &str,
                plan_seed: usize,
                paths: &[PathBuf],
                audio: &(dyn Fn(&Path) -> anyhow::Result<crate::dataset::Audio> + Sync),
                clips: &mut Vec<ScoredClip>|
     -> anyhow::Result<()> {
        let scores = detector_scores_of(&detectors, paths, audio, &bad)?;
        for (path, scores) in paths.iter().zip(scores) {
            let Some(scores) = scores else {
                continue;
            };
            clips.push(ScoredClip {
                machine: machine.into(),
                source: source.into(),
                plan_seed,
                path: path.clone(),
                scores,
            });
        }
        Ok(())
    };
    let renders = cfg.planners.len() * cfg.plan_seeds * (1 + cfg.sweep.len());
    let bar = crate::offline::progress(machines.len() * (renders + 1), "evaluate", cfg.quiet);
    for machine in &machines {
        let (normal, real) = test_clips(&cfg.data, machine)?;
        anyhow::ensure!(
            !normal.is_empty(),
            "{}/{machine}/test: no normal test clips",
            cfg.data.display()
        );
        // The normal clips are read once: scored, then rendered from by every planner, plan
        // seed and sweep step (the demo: 100 clips a machine, 600 renders).
        let held = hold(&normal);
        let audio = |p: &Path| match held.get(p) {
            Some(a) => Ok(a.clone()),
            None => read(p),
        };
        push(machine, "normal", 0, &normal, &audio, &mut clips)?;
        push(machine, "reference", 0, &real, &read, &mut clips)?;
        // Only the normal clips that could be read get anomalies rendered from them.
        let normal: Vec<PathBuf> = clips
            .iter()
            .filter(|c| &c.machine == machine && c.source == "normal")
            .map(|c| c.path.clone())
            .collect();
        anyhow::ensure!(
            !normal.is_empty(),
            "{}/{machine}/test: no readable normal test clips",
            cfg.data.display()
        );
        bar.inc(1);
        // A fixed --fault wins; per-clip descriptions only where the dataset gives them.
        let descriptions = if cfg.describe == Describe::PerClip && cfg.fault.is_none() {
            reference_descriptions(&real)
        } else {
            HashMap::new()
        };
        if cfg.describe == Describe::PerClip && descriptions.len() < normal.len() && !cfg.quiet {
            eprintln!("evaluate: {machine}: {} of {} normal test clips have a matching reference description; the rest get the typical one", descriptions.len().min(normal.len()), normal.len());
        }
        // Renders keep the clips' paths relative to the test folder (DCASE) or the machine
        // folder (MIMII and ToyADMOS, whose split is not in their folders).
        let machine_dir = match crate::dataset::layout_of(&cfg.data) {
            // DCASE 2021's source_test/target_test: relative to the machine folder.
            crate::dataset::Layout::Dcase if cfg.data.join(machine).join("test").is_dir() => {
                cfg.data.join(machine).join("test")
            }
            crate::dataset::Layout::Dcase => cfg.data.join(machine),
            crate::dataset::Layout::Mimii | crate::dataset::Layout::Toyadmos => {
                crate::dataset::machine_dir(&cfg.data, machine)
            }
        };
        for planner in &cfg.planners {
            for k in 0..cfg.plan_seeds {
                let plans = plans_for(cfg, planner, machine, &normal, &descriptions, k)?;
                let origin = match origins
                    .iter_mut()
                    .find(|o: &&mut PlanOrigin| o.machine == *machine && o.source == *planner)
                {
                    Some(o) => o,
                    None => {
                        origins.push(PlanOrigin {
                            machine: machine.clone(),
                            source: planner.clone(),
                            ..Default::default()
                        });
                        origins.last_mut().expect("just pushed")
                    }
                };
                for plan in plans.values() {
                    origin.plans += 1;
                    if plan.provenance.is_fallback() {
                        origin.fallbacks += 1;
                        let why = plan.provenance.fallback.clone().unwrap_or_default();
                        if !origin.reasons.contains(&why) && origin.reasons.len() < 5 {
                            origin.reasons.push(why);
                        }
                    }
                }
                let scales = std::iter::once(None).chain(cfg.sweep.iter().copied().map(Some));
                for scale in scales {
                    // A ladder's scale 1 is the planner's own plans, rendered byte for byte as
                    // the unscaled run (2400 of 2400 demo WAVs compared): its clips are scored
                    // once and counted under both names, not rendered and scored again.
                    if scale == Some(1.0) {
                        let source = sweep::source_name(planner, 1.0);
                        let same: Vec<ScoredClip> = clips
                            .iter()
                            .filter(|c| {
                                &c.machine == machine && &c.source == planner && c.plan_seed == k
                            })
                            .map(|c| ScoredClip {
                                source: source.clone(),
                                ..c.clone()
                            })
                            .collect();
                        clips.extend(same);
                        bar.inc(1);
                        continue;
                    }
                    let (source, plans) = match scale {
                        None => (planner.clone(), plans.clone()),
                        Some(x) => (
                            sweep::source_name(planner, x),
                            plans
                                .iter()
                                .map(|(p, plan)| Ok((p.clone(), plan.scaled(x)?)))
                                .collect::<anyhow::Result<_>>()?,
                        ),
                    };
                    let out = cfg
                        .out
                        .join("anomalies")
                        .join(&source)
                        .join(format!("seed_{k}"))
                        .join(machine);
                    // The planner's own clips are written for listening (and the report's
                    // spectrograms); a sweep step's only with --keep-sweep-renders. Every clip
                    // is scored in memory as it is rendered.
                    let rendered = crate::offline::ScoredRender {
                        input: &machine_dir,
                        out: &out,
                        machine,
                        write: scale.is_none() || cfg.keep_sweep_renders,
                    }
                    .run(
                        plans,
                        audio,
                        &bad,
                        || LogMel::new(detectors.features().clone()),
                        |lm, a| Ok(detectors.score(audio_vectors(a, lm)?.view())),
                    )?;
                    if k == 0 && scale.is_none() {
                        if let Some(r) = rendered.first() {
                            let plan = r.entry.plan.clone();
                            example_plans.push((machine.clone(), planner.clone(), plan));
                        }
                    }
                    for r in rendered {
                        let Some(scores) = r.score else { continue };
                        clips.push(ScoredClip {
                            machine: machine.clone(),
                            source: source.clone(),
                            plan_seed: k,
                            // A clip not written is named by the normal clip it came from.
                            path: if r.written {
                                r.entry.output
                            } else {
                                r.entry.source
                            },
                            scores,
                        });
                    }
                    bar.inc(1);
                }
            }
        }
    }
    bar.finish_and_clear();
    let ae_provenance = detectors.ae.as_ref().map(|m| m.provenance.clone());
    let seeds = seeds_of(cfg, cfg.train.seed);
    let mut result = summarize(
        cfg,
        machines,
        ae_provenance.unwrap_or_default(),
        training,
        clips,
        example_plans,
        seeds,
        &kinds,
    );
    result.knn_model = detectors.knn.as_ref().map(|k| k.provenance.clone());
    result.unreadable = bad
        .skipped()
        .into_iter()
        .map(|(p, why)| (p.display().to_string(), why))
        .collect();
    result.plan_origins = origins;
    result.apply_plan_origins();
    Ok(result)
}

/// The seeds and settings that reproduce an evaluation's numbers (`model`: the model's seed).
pub(crate) fn seeds_of(cfg: &EvaluateConfig, model: u64) -> Seeds {
    Seeds {
        data: read_synth_seed(&cfg.data),
        model,
        plan: cfg.plan_seed,
        plan_seeds: cfg.plan_seeds,
        bootstrap: cfg.stats.seed,
        resamples: cfg.stats.resamples,
        level: cfg.stats.level,
    }
}

/// The seed `faultline synth` wrote a dataset with (its `synth.json`), if it was synthesized.
fn read_synth_seed(data: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(data.join(crate::offline::SYNTH_MANIFEST)).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["seed"].as_u64()
}
