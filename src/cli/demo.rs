//! `faultline demo`: the whole offline chain on built-in defaults, no download, no API key.
//! Synthesizes all eight machines, plans faults with the keyword and random planners, renders
//! them, and summarises how far each planner's faults move the sound from normal, next to the
//! reference faults (log-mel distance; the detector-based evaluation replaces this table).

use crate::dataset::{read_wav, scan, write_atomic, Split};
use crate::features::{FeatureConfig, LogMel};
use crate::machine::MachineType;
use crate::offline::{self, PlanSource, SynthSetConfig};
use crate::plan::planner_by_name;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn mean_logmel(path: &Path, lm: &mut LogMel) -> anyhow::Result<Vec<f32>> {
    let x = read_wav(path)?.downmix();
    let spec = lm.spectrogram(&x);
    let m = lm.config().n_mels;
    let frames = spec.len() / m;
    Ok((0..m).map(|b| spec.iter().skip(b).step_by(m).sum::<f32>() / frames as f32).collect())
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / a.len() as f32).sqrt()
}

pub fn run(out: &Path, count: usize, quiet: bool) -> anyhow::Result<()> {
    let data = out.join("data");
    let cfg = SynthSetConfig { machines: MachineType::ALL.to_vec(), count, seed: 0, sample_rate: 16_000, seconds: 10.0, quiet };
    let s = offline::synth_set(&cfg, &data)?;
    eprintln!("demo: dataset in {} ({} clips written, {} reused)", data.display(), s.written, s.skipped);

    let mut rows: BTreeMap<(String, String), Vec<f32>> = BTreeMap::new();
    let mut plans: BTreeMap<(String, String), String> = BTreeMap::new();
    for planner in ["keyword", "random"] {
        for m in MachineType::ALL {
            let input = data.join(m.name()).join("test");
            let dest: PathBuf = out.join("anomalies").join(planner).join(m.name());
            let source = PlanSource::Planner { planner: planner_by_name(planner)?, fault: m.typical_fault().to_string(), seed: 1 };
            let r = offline::render_set(&input, &dest, &source, Some(m.name()), quiet)?;
            let mut lm = LogMel::new(FeatureConfig::default());
            for e in &r.entries {
                let d = distance(&mean_logmel(&e.source, &mut lm)?, &mean_logmel(&e.output, &mut lm)?);
                rows.entry((m.name().to_string(), planner.to_string())).or_default().push(d);
            }
            if let Some(e) = r.entries.first() {
                let functions: Vec<&str> = e.plan.steps.iter().map(|s| s.function.as_str()).collect();
                plans.insert((m.name().to_string(), planner.to_string()), functions.join(" + "));
            }
        }
    }
    // Reference faults: distance of each test anomaly from the mean of the normal test clips.
    let mut lm = LogMel::new(FeatureConfig::default());
    for m in MachineType::ALL {
        let clips = scan(&data, m.name(), Split::Test)?;
        let normals: Vec<Vec<f32>> = clips.iter().filter(|c| !c.1.anomaly).map(|c| mean_logmel(&c.0, &mut lm)).collect::<Result<_, _>>()?;
        let centre: Vec<f32> = (0..normals[0].len()).map(|b| normals.iter().map(|n| n[b]).sum::<f32>() / normals.len() as f32).collect();
        for (path, _) in clips.iter().filter(|c| c.1.anomaly) {
            let d = distance(&mean_logmel(path, &mut lm)?, &centre);
            rows.entry((m.name().to_string(), "reference".to_string())).or_default().push(d);
        }
    }

    let mut md = String::from("# Faultline demo\n\nMean log-mel distance (dB RMS over 128 bands) between each anomaly clip and its normal source (planners) or the normal test mean (reference faults). Larger means the fault moves the sound further.\n\n| machine | keyword | random | reference | keyword plan (first clip) | random plan (first clip) |\n|---|---|---|---|---|---|\n");
    for m in MachineType::ALL {
        let cell = |p: &str| {
            rows.get(&(m.name().to_string(), p.to_string())).map_or("-".to_string(), |v| format!("{:.2}", v.iter().sum::<f32>() / v.len() as f32))
        };
        let plan = |p: &str| plans.get(&(m.name().to_string(), p.to_string())).cloned().unwrap_or_default();
        md.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", m.name(), cell("keyword"), cell("random"), cell("reference"), plan("keyword"), plan("random")));
    }
    let summary = out.join("summary.md");
    write_atomic(&summary, |f| std::io::Write::write_all(f, md.as_bytes()))?;
    println!("{md}");
    println!("demo: summary written to {}", summary.display());
    Ok(())
}
