//! `faultline synth`: a DCASE-layout dataset of synthetic machine sound.

use crate::dataset::{
    attributes_csv_with_faults, write_atomic, write_wav_atomic, Audio, ClipName, FaultColumns,
    SampleFormat, Split,
};
use crate::dsp::{derive_seed, Rng};
use crate::machine::MachineType;
use crate::synth::{self, reference_faults, ClipSpec, Domain, MeasuredAt};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct SynthSetConfig {
    pub machines: Vec<MachineType>,
    /// Normal training clips per machine.
    pub count: usize,
    /// Normal test clips per machine, and as many reference-fault clips; `None` = a fifth of
    /// `count` (at least 2), as DCASE's proportions.
    pub test_count: Option<usize>,
    pub seed: u64,
    pub sample_rate: u32,
    pub seconds: f32,
    /// What the reference faults' severities are measured against (`MeasuredAt`).
    pub measured_at: MeasuredAt,
    pub quiet: bool,
}

#[derive(Debug, Default)]
pub struct SynthSummary {
    pub written: usize,
    pub skipped: usize,
}

struct Job {
    path: PathBuf,
    spec: ClipSpec,
}

/// What a reference-fault clip's sidecar (`<clip>.json`) says: the fault, how it sounds, the
/// severity drawn and the level measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FaultRecord {
    pub fault: String,
    pub description: String,
    pub severity_db: f32,
    pub measured_db: f64,
}

/// The sidecar of a clip: `<clip stem>.json` beside it.
pub fn fault_sidecar(clip: &Path) -> PathBuf {
    clip.with_extension("json")
}

/// Reads a clip's fault record, if it has one.
pub fn read_fault_record(clip: &Path) -> Option<FaultRecord> {
    serde_json::from_str(&std::fs::read_to_string(fault_sidecar(clip)).ok()?).ok()
}

pub fn test_count(count: usize) -> usize {
    (count / 5).max(2)
}

/// Version of the synthetic world (machines, ambient, reference faults): clips of another
/// version are not reused.
pub const WORLD_VERSION: u32 = 5;

/// The file in a synthetic dataset's root that says how it was made.
pub const SYNTH_MANIFEST: &str = "synth.json";

/// What a dataset's fault severities are measured against: a synthetic dataset's manifest says;
/// any other dataset (and one made before the setting existed) is taken as `Machine`, so plans
/// made for its clips take a recorded ambient into account (`FaultPlan::for_clip`).
pub fn severity_measured_at(data: &Path) -> MeasuredAt {
    std::fs::read_to_string(data.join(SYNTH_MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v["severity_measured_at"]
                .as_str()
                .and_then(|s| s.parse().ok())
        })
        .unwrap_or_default()
}

fn jobs_for(m: MachineType, cfg: &SynthSetConfig, out: &Path) -> (Vec<Job>, Vec<ClipName>) {
    let machine_seed = derive_seed(cfg.seed, m as u64);
    let mut rng = Rng::new(machine_seed);
    let mut jobs = Vec::new();
    let mut names = Vec::new();
    let faults = reference_faults(m);
    let mut add =
        |split: Split, index: usize, domain: Domain, fault: Option<&'static str>, rng: &mut Rng| {
            let attrs = synth::sample_attributes(m, domain, rng);
            let name = ClipName {
                section: "00".into(),
                domain: domain.name().into(),
                split,
                anomaly: fault.is_some(),
                index,
                attributes: attrs.0.clone(),
                naming: Default::default(),
            };
            let seed = derive_seed(
                machine_seed,
                (split as u64) << 40 | (fault.is_some() as u64) << 32 | index as u64,
            );
            // Reference faults from barely there to as strong as the machine, on the one scale.
            let (lo, hi) = crate::features::level::SEVERITY_RANGE_DB;
            let severity_db = if fault.is_some() {
                rng.range(lo as f32, hi as f32)
            } else {
                0.0
            };
            let spec = ClipSpec {
                machine: m,
                attrs,
                fault,
                severity_db,
                measured_at: cfg.measured_at,
                seed,
                sample_rate: cfg.sample_rate,
                seconds: cfg.seconds,
            };
            jobs.push(Job {
                path: out.join(m.name()).join(split.name()).join(name.file_name()),
                spec,
            });
            names.push(name);
        };
    // DCASE proportions: training mostly source domain (1 in 10 target); test half and half.
    for i in 0..cfg.count {
        add(
            Split::Train,
            i,
            if i % 10 == 9 {
                Domain::Target
            } else {
                Domain::Source
            },
            None,
            &mut rng,
        );
    }
    let t = cfg.test_count.unwrap_or_else(|| test_count(cfg.count));
    for i in 0..t {
        add(
            Split::Test,
            i,
            if i % 2 == 1 {
                Domain::Target
            } else {
                Domain::Source
            },
            None,
            &mut rng,
        );
    }
    // Both fault types in both domains: the type turns every two clips, the domain every clip.
    for i in 0..t {
        let fault = faults[(i / 2) % faults.len()];
        add(
            Split::Test,
            i,
            if i % 2 == 1 {
                Domain::Target
            } else {
                Domain::Source
            },
            Some(fault),
            &mut rng,
        );
    }
    (jobs, names)
}

/// Seconds of the probe clips the world fingerprint renders.
const PROBE_SECONDS: f32 = 1.0;

/// A fingerprint of what this code would write: every clip's name, seed and severity, and the
/// samples of a short probe of each machine's first normal and first fault clip (FNV-1a 64 over
/// their bits, hex). Two runs agree on it exactly when the plan of the dataset and the renderer
/// agree, so a rerun reuses clips on disk only when it would have written the same ones; a
/// change to the world's code that forgets to raise `WORLD_VERSION` still shows.
fn world_fingerprint(per_machine: &[(MachineType, Vec<Job>, Vec<ClipName>)]) -> String {
    use crate::hash::{fnv1a, fnv1a_extend};
    let mut h = fnv1a(b"faultline world");
    for (_, jobs, _) in per_machine {
        for job in jobs {
            let name = job.path.file_name().map(|n| n.to_string_lossy());
            h = fnv1a_extend(h, name.unwrap_or_default().as_bytes());
            h = fnv1a_extend(h, &job.spec.seed.to_le_bytes());
            h = fnv1a_extend(h, &job.spec.severity_db.to_le_bytes());
        }
        let probes = [
            jobs.iter().find(|j| j.spec.fault.is_none()),
            jobs.iter().find(|j| j.spec.fault.is_some()),
        ];
        for job in probes.into_iter().flatten() {
            let spec = ClipSpec {
                seconds: job.spec.seconds.min(PROBE_SECONDS),
                ..job.spec.clone()
            };
            let r = synth::render_clip(&spec);
            for v in &r.samples {
                h = fnv1a_extend(h, &v.to_le_bytes());
            }
            h = fnv1a_extend(h, &r.fault_level_db.unwrap_or(0.0).to_le_bytes());
        }
    }
    format!("{h:016x}")
}

/// Writes the dataset; clips already on disk are kept (a rerun after Ctrl-C resumes).
pub fn synth_set(cfg: &SynthSetConfig, out: &Path) -> anyhow::Result<SynthSummary> {
    let per_machine: Vec<(MachineType, Vec<Job>, Vec<ClipName>)> = cfg
        .machines
        .iter()
        .map(|&m| {
            let (jobs, names) = jobs_for(m, cfg, out);
            (m, jobs, names)
        })
        .collect();
    let fingerprint = world_fingerprint(&per_machine);
    let manifest = serde_json::json!({
        "generator": "faultline synth",
        "world": WORLD_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
        "seed": cfg.seed,
        "machines": cfg.machines.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "count": cfg.count,
        "test_count": cfg.test_count.unwrap_or_else(|| test_count(cfg.count)),
        "seconds": cfg.seconds,
        "sample_rate": cfg.sample_rate,
        "severity_measured_at": cfg.measured_at.name(),
        "world_fingerprint": fingerprint,
    });
    // Clips already on disk are reused, so they must come from the same settings.
    let old = std::fs::read_to_string(out.join(SYNTH_MANIFEST));
    if old.is_err() {
        if let Some(m) = cfg.machines.iter().find(|m| out.join(m.name()).exists()) {
            anyhow::bail!("{}: holds a {} folder but no {SYNTH_MANIFEST}, so its clips' settings are unknown; write to another folder or delete it", out.display(), m.name());
        }
    }
    if let Ok(old) = old {
        let old: serde_json::Value = serde_json::from_str(&old).unwrap_or_default();
        anyhow::ensure!(
            old["world"] == manifest["world"],
            "{}: holds a dataset of synthetic world version {} (now {WORLD_VERSION}: version 4 draws a different plant for every clip's ambient — its tilt, other machines running, its drift and event rates; version 5 draws slow wanders coarse and interpolates them), so its clips cannot be reused; write to another folder or delete it",
            out.display(),
            old["world"].as_u64().map_or("1".to_string(), |v| v.to_string())
        );
        for key in [
            "seed",
            "count",
            "test_count",
            "seconds",
            "sample_rate",
            "severity_measured_at",
        ] {
            // A manifest from before the setting existed measured against the machine.
            let was = match (&old[key], key) {
                (serde_json::Value::Null, "severity_measured_at") => serde_json::json!("machine"),
                (v, _) => v.clone(),
            };
            anyhow::ensure!(
                was == manifest[key],
                "{}: holds a dataset made with {key} {} (now {}); write to another folder or delete it",
                out.display(),
                was,
                manifest[key]
            );
        }
        // Same version and settings, but the code that renders the world may still have
        // changed: clips on disk must come from the renderer that would write them now. (A
        // manifest from before fingerprints cannot be checked; its version check stands.)
        if let Some(was) = old["world_fingerprint"].as_str() {
            anyhow::ensure!(
                was == fingerprint,
                "{}: holds clips of world version {WORLD_VERSION} rendered by other code (world fingerprint {was}, now {fingerprint}), so they cannot be reused; write to another folder or delete it",
                out.display()
            );
        }
    }
    let text = serde_json::to_string_pretty(&manifest)?;
    write_atomic(&out.join(SYNTH_MANIFEST), |f| {
        std::io::Write::write_all(f, text.as_bytes())
    })?;
    let mut all_jobs = Vec::new();
    for (m, jobs, names) in per_machine {
        let faults: Vec<Option<FaultColumns>> = jobs
            .iter()
            .map(|j| {
                j.spec.fault.map(|f| FaultColumns {
                    fault: f,
                    severity_db: j.spec.severity_db,
                    description: synth::describe_fault(m, f),
                })
            })
            .collect();
        let csv = attributes_csv_with_faults(m.name(), &names, Some(&faults));
        write_atomic(&out.join(m.name()).join("attributes_00.csv"), |f| {
            std::io::Write::write_all(f, csv.as_bytes())
        })?;
        all_jobs.extend(jobs);
    }
    let bar = super::progress(all_jobs.len(), "synth", cfg.quiet);
    let results: Vec<anyhow::Result<bool>> = all_jobs
        .par_iter()
        .map(|job| {
            let done = job.path.exists()
                && (job.spec.fault.is_none() || fault_sidecar(&job.path).exists());
            if !done {
                let r = synth::render_clip(&job.spec);
                let audio = Audio::mono(job.spec.sample_rate, r.samples);
                if let (Some(fault), Some(measured_db)) = (job.spec.fault, r.fault_level_db) {
                    let record = FaultRecord {
                        fault: fault.into(),
                        description: synth::describe_fault(job.spec.machine, fault).into(),
                        severity_db: job.spec.severity_db,
                        measured_db,
                    };
                    let text = serde_json::to_string_pretty(&record)?;
                    write_atomic(&fault_sidecar(&job.path), |f| {
                        std::io::Write::write_all(f, text.as_bytes())
                    })?;
                }
                write_wav_atomic(&job.path, &audio, SampleFormat::Int16)?;
            }
            bar.inc(1);
            Ok(!done)
        })
        .collect();
    bar.finish_and_clear();
    let mut summary = SynthSummary::default();
    for r in results {
        if r? {
            summary.written += 1;
        } else {
            summary.skipped += 1;
        }
    }
    Ok(summary)
}
