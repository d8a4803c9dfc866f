//! `faultline calibrate`: per machine, bisect a planner's intensity scale until the synthetic
//! anomalies' AUC lands within a tolerance of a target (the paper's open question: synthetic
//! anomalies come out too easy to detect).

use super::{auc_of, fault_for, ScoredClip};
use crate::dataset::read_wav;
use crate::detect::{Model, ScoreKind};
use crate::features::LogMel;
use crate::plan::{FaultPlan, PlanRequest, Planner};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Debug, Serialize)]
pub struct CalibrationResult {
    pub machine: String,
    pub scale: f32,
    pub auc: f64,
    pub auc_at_full: f64,
    pub reached: bool,
    pub steps: Vec<(f32, f64)>,
    pub plans: Vec<FaultPlan>,
}

/// Bisects the intensity scale in [0, 1] for one machine. `normal` are the machine's normal test
/// clips; each gets its own plan from `planner`, tailored to the clip as `evaluate` and `render`
/// tailor it (`FaultPlan::for_clip`: its speed, and its recorded ambient when severities are
/// measured against the machine), then scaled together.
#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    model: &Model,
    machine: &str,
    normal: &[PathBuf],
    severity: crate::features::level::MeasuredAt,
    planner: &dyn Planner,
    fault: Option<&str>,
    target: f64,
    tolerance: f64,
    kind: ScoreKind,
    seed: u64,
) -> anyhow::Result<CalibrationResult> {
    let audio: Vec<crate::dataset::Audio> = normal
        .iter()
        .map(|p| read_wav(p))
        .collect::<Result<_, _>>()?;
    let plans: Vec<FaultPlan> = normal
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let attributes = crate::dataset::ClipName::attributes_of(p);
            let req = PlanRequest {
                machine: machine.into(),
                attributes,
                fault: fault_for(machine, fault),
                seed: crate::dsp::derive_seed(seed, i as u64),
            };
            Ok(planner
                .plan(&req)?
                .for_clip(machine, &req.attributes, severity)?)
        })
        .collect::<anyhow::Result<_>>()?;
    let normal_scores: Vec<ScoredClip> = audio
        .par_iter()
        .zip(normal)
        .map_init(
            || LogMel::new(model.features.clone()),
            |lm, (a, p)| score_audio(model, lm, a, machine, "normal", p),
        )
        .collect::<anyhow::Result<_>>()?;
    let auc_at = |scale: f32| -> anyhow::Result<f64> {
        let anomalies: Vec<ScoredClip> = audio
            .par_iter()
            .zip(&plans)
            .zip(normal)
            .map_init(
                || LogMel::new(model.features.clone()),
                |lm, ((a, plan), p)| {
                    let mut chain = plan.scaled(scale)?.chain()?;
                    chain.prepare(a.sample_rate as f32, 4096, a.channels.len());
                    let mut channels = a.channels.clone();
                    chain.process_clip(&mut channels);
                    let faulty = crate::dataset::Audio {
                        sample_rate: a.sample_rate,
                        channels,
                    };
                    score_audio(model, lm, &faulty, machine, "calibrated", p)
                },
            )
            .collect::<anyhow::Result<_>>()?;
        let all: Vec<ScoredClip> = normal_scores.iter().cloned().chain(anomalies).collect();
        Ok(auc_of(&all, machine, "calibrated", kind))
    };
    let auc_at_full = auc_at(1.0)?;
    let mut steps = vec![(1.0, auc_at_full)];
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    let (mut scale, mut auc) = (1.0, auc_at_full);
    if auc_at_full > target + tolerance {
        for _ in 0..12 {
            scale = 0.5 * (lo + hi);
            auc = auc_at(scale)?;
            steps.push((scale, auc));
            if (auc - target).abs() <= tolerance {
                break;
            }
            if auc > target {
                hi = scale;
            } else {
                lo = scale;
            }
        }
    }
    let reached = (auc - target).abs() <= tolerance;
    let plans = plans
        .iter()
        .map(|p| p.scaled(scale))
        .collect::<Result<_, _>>()?;
    Ok(CalibrationResult {
        machine: machine.into(),
        scale,
        auc,
        auc_at_full,
        reached,
        steps,
        plans,
    })
}

fn score_audio(
    model: &Model,
    lm: &mut LogMel,
    audio: &crate::dataset::Audio,
    machine: &str,
    source: &str,
    path: &std::path::Path,
) -> anyhow::Result<ScoredClip> {
    let scores = model.score(super::audio_vectors(audio, lm)?.view());
    Ok(ScoredClip::ae(machine, source, path.to_path_buf(), scores))
}
