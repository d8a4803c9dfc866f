//! `faultline render`: anomaly clips from normal clips, with a JSON sidecar per clip and a
//! manifest.

use crate::dataset::{
    read_wav, write_atomic, write_wav_atomic, Audio, BadFiles, ClipName, SampleFormat,
};
use crate::dsp::{derive_seed, splitmix64};
use crate::features::level::MeasuredAt;
use crate::machine::MachineType;
use crate::plan::{FaultPlan, PlanRequest, Planner};
use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where each clip's plan comes from. (One value per render: the variants' sizes do not matter.)
#[allow(clippy::large_enum_variant)]
pub enum PlanSource {
    /// One plan for every clip; each clip gets its own seed derived from the plan's.
    Fixed(FaultPlan),
    /// A plan per clip from a planner, for the clip's machine and attributes.
    Planner {
        planner: Box<dyn Planner>,
        fault: String,
        seed: u64,
    },
    /// A plan made beforehand for each clip (by its source path), used as it is.
    PerClip(std::collections::HashMap<PathBuf, FaultPlan>),
}

/// The per-clip salt every plan source derives a clip's seed from (its path below the input).
pub fn path_hash(rel: &Path) -> u64 {
    splitmix64(
        rel.to_string_lossy()
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(b as u64)),
    )
}

/// The sidecar of one rendered clip (and its manifest entry).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RenderEntry {
    pub source: PathBuf,
    pub output: PathBuf,
    pub machine: String,
    pub seed: u64,
    pub sample_rate: u32,
    pub channels: usize,
    pub plan: FaultPlan,
}

#[derive(Debug, Default)]
pub struct RenderSummary {
    pub written: usize,
    pub skipped: usize,
    pub entries: Vec<RenderEntry>,
}

fn wav_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
    {
        let path = entry?.path();
        if path.is_dir() {
            wav_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The machine a clip belongs to: the given one, else the nearest folder named after a type.
fn machine_of(rel: &Path, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(m) = given {
        return Ok(m.to_string());
    }
    rel.ancestors()
        .filter_map(|a| a.file_name()?.to_str())
        .find_map(|name| name.parse::<MachineType>().ok())
        .map(|m| m.name().to_string())
        .with_context(|| {
            format!(
                "{}: no machine type in its path; pass --machine",
                rel.display()
            )
        })
}

/// Output name: DCASE names become `…_anomaly_…`, others get `_fault` appended.
fn output_name(file_name: &str) -> String {
    match ClipName::parse(file_name) {
        Some(mut c) => {
            c.anomaly = true;
            c.file_name()
        }
        None => format!(
            "{}_fault.wav",
            file_name.trim_end_matches(".wav").trim_end_matches(".WAV")
        ),
    }
}

/// One clip's render: its output path, sidecar and plan.
pub(super) struct Job {
    pub(super) output: PathBuf,
    sidecar: PathBuf,
    machine: String,
    pub(super) plan: FaultPlan,
}

impl Job {
    pub(super) fn new(
        input_root: &Path,
        out_root: &Path,
        src: &Path,
        source: &PlanSource,
        machine: Option<&str>,
        severity: MeasuredAt,
    ) -> anyhow::Result<Self> {
        // A file outside the input root keeps only its name: an absolute path joined to the
        // output root would write beside the source instead.
        let rel = src
            .strip_prefix(input_root)
            .unwrap_or_else(|_| Path::new(src.file_name().unwrap_or_default()));
        let machine = machine_of(rel, machine)?;
        let file_name = rel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("clip.wav");
        let output = out_root.join(rel.with_file_name(output_name(file_name)));
        let sidecar = output.with_extension("json");
        let path_hash = path_hash(rel);
        let plan = match source {
            // A fixed plan's orders follow each clip's own shaft rate (its `rpm` attribute).
            PlanSource::Fixed(plan) => {
                let attributes = ClipName::attributes_of(src);
                FaultPlan {
                    seed: derive_seed(plan.seed, path_hash),
                    ..plan.for_clip(&machine, &attributes, severity)?
                }
            }
            PlanSource::Planner {
                planner,
                fault,
                seed,
            } => {
                let attributes = ClipName::attributes_of(src);
                let request = PlanRequest {
                    machine: machine.clone(),
                    attributes: attributes.clone(),
                    fault: fault.clone(),
                    seed: derive_seed(*seed, path_hash),
                };
                planner
                    .plan(&request)
                    .with_context(|| format!("planning for {}", src.display()))?
                    .for_clip(&machine, &attributes, severity)?
            }
            PlanSource::PerClip(plans) => plans
                .get(src)
                .with_context(|| format!("{}: no plan was made for this clip", src.display()))?
                .clone(),
        };
        Ok(Self {
            output,
            sidecar,
            machine,
            plan,
        })
    }

    pub(super) fn entry(&self, src: &Path, rendered: &Audio) -> RenderEntry {
        RenderEntry {
            source: src.to_path_buf(),
            output: self.output.clone(),
            machine: self.machine.clone(),
            seed: self.plan.seed,
            sample_rate: rendered.sample_rate,
            channels: rendered.channels.len(),
            plan: self.plan.clone(),
        }
    }

    /// The sidecar of an earlier render of this clip from the same plan (steps and seed), if
    /// one is on disk beside its WAV: a rerun reuses that clip.
    pub(super) fn earlier(&self, src: &Path) -> anyhow::Result<Option<RenderEntry>> {
        if !(self.output.exists() && self.sidecar.exists()) {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&self.sidecar)?;
        Ok(serde_json::from_str::<RenderEntry>(&text).ok().filter(|e| {
            e.plan.steps == self.plan.steps && e.plan.seed == self.plan.seed && e.source == src
        }))
    }

    /// Writes the clip (float WAV, atomically) and then its sidecar.
    pub(super) fn write(&self, entry: &RenderEntry, rendered: &Audio) -> anyhow::Result<()> {
        write_wav_atomic(&self.output, rendered, SampleFormat::Float32)?;
        let json = serde_json::to_string_pretty(entry)?;
        write_atomic(&self.sidecar, |f| {
            std::io::Write::write_all(f, json.as_bytes())
        })?;
        Ok(())
    }
}

impl Job {
    /// Renders the clip from its source on disk and writes it; a rerun reuses an earlier render
    /// of the same plan (`false`: nothing written).
    fn render(&self, src: &Path) -> anyhow::Result<(RenderEntry, bool)> {
        if let Some(entry) = self.earlier(src)? {
            return Ok((entry, false));
        }
        let audio = read_wav(src).map_err(|e| anyhow::Error::new(Unreadable(e.to_string())))?;
        let rendered = render_plan(&self.plan, audio)?;
        let entry = self.entry(src, &rendered);
        self.write(&entry, &rendered)?;
        Ok((entry, true))
    }
}

/// A source clip that could not be read (a render skips it unless `--strict`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unreadable(String);

/// Applies a plan's chain to a whole clip as the real-time engine does (latency included): the
/// reference the engine's output is checked against.
pub fn apply_plan(plan: &FaultPlan, audio: Audio) -> anyhow::Result<Audio> {
    let mut chain = plan.chain()?;
    chain.prepare(audio.sample_rate as f32, 4096, audio.channels.len());
    let mut channels = audio.channels;
    {
        let mut refs: Vec<&mut [f32]> = channels.iter_mut().map(|c| c.as_mut_slice()).collect();
        chain.process(&mut refs);
    }
    Ok(Audio {
        sample_rate: audio.sample_rate,
        channels,
    })
}

/// A plan applied to a whole clip for an offline render: time-aligned with the input
/// (`FaultChain::process_clip`), so only the fault differs.
pub fn render_plan(plan: &FaultPlan, audio: Audio) -> anyhow::Result<Audio> {
    let mut chain = plan.chain()?;
    chain.prepare(audio.sample_rate as f32, 4096, audio.channels.len());
    let mut channels = audio.channels;
    chain.process_clip(&mut channels);
    Ok(Audio {
        sample_rate: audio.sample_rate,
        channels,
    })
}

/// Renders every WAV under `input` (normal clips only, for DCASE names) into `out`.
pub fn render_set(
    input: &Path,
    out: &Path,
    source: &PlanSource,
    machine: Option<&str>,
    quiet: bool,
    bad: &BadFiles,
) -> anyhow::Result<RenderSummary> {
    let mut files = Vec::new();
    wav_files(input, &mut files)?;
    // Normal clips only: by DCASE name, or outside MIMII's `abnormal` folders.
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(ClipName::parse)
            .is_none_or(|c| !c.anomaly)
            && !p
                .strip_prefix(input)
                .unwrap_or(p)
                .components()
                .any(|c| c.as_os_str() == "abnormal")
    });
    render_files(input, &files, out, source, machine, quiet, bad)
}

/// Renders `files` (under `input`, whose relative paths the outputs keep) into `out`.
pub fn render_files(
    input: &Path,
    files: &[PathBuf],
    out: &Path,
    source: &PlanSource,
    machine: Option<&str>,
    quiet: bool,
    bad: &BadFiles,
) -> anyhow::Result<RenderSummary> {
    let mut files = files.to_vec();
    if let PlanSource::PerClip(plans) = source {
        files.retain(|p| plans.contains_key(p));
    }
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "{}: no normal WAV clips found",
        input.display()
    );
    // Whether the input's severities are against the machine (plans then follow each clip's
    // recorded ambient) or the recording: a synthetic dataset's manifest says.
    let severity = super::synth_set::severity_measured_at(input);
    let bar = super::progress(files.len(), "render", quiet);
    let results: Vec<anyhow::Result<(RenderEntry, bool)>> = files
        .par_iter()
        .map(|src| {
            let r =
                Job::new(input, out, src, source, machine, severity).and_then(|j| j.render(src));
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let mut summary = RenderSummary::default();
    for (src, r) in files.iter().zip(results) {
        // A source that cannot be read is skipped (or, strict, the error); any other failure
        // (a plan that does not build, a disk that is full) stops the render.
        let r = match r {
            Err(e) if e.downcast_ref::<Unreadable>().is_some() => bad.check(src, Err(e))?,
            r => Some(r?),
        };
        let Some((entry, written)) = r else { continue };
        if written {
            summary.written += 1;
        } else {
            summary.skipped += 1;
        }
        summary.entries.push(entry);
    }
    anyhow::ensure!(
        !summary.entries.is_empty(),
        "{}: none of the {} clips could be read (each is named above)",
        input.display(),
        files.len()
    );
    let manifest = serde_json::to_string_pretty(&summary.entries)?;
    write_atomic(&out.join("manifest.json"), |f| {
        std::io::Write::write_all(f, manifest.as_bytes())
    })?;
    Ok(summary)
}
