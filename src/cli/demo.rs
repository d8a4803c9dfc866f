//! `faultline demo`: the whole chain on built-in defaults, no download, no API key. Synthesizes
//! all eight machine types, trains one autoencoder on their normal clips, renders keyword and
//! random planner anomalies, scores everything against the reference faults, and writes the
//! report.

use crate::detect::TrainConfig;
use crate::eval::{self, EvaluateConfig};
use crate::machine::MachineType;
use crate::offline::{self, SynthSetConfig};
use std::path::Path;
use std::time::Instant;

pub fn run(out: &Path, count: usize, epochs: usize, quiet: bool) -> anyhow::Result<()> {
    let start = Instant::now();
    let data = out.join("data");
    let cfg = SynthSetConfig { machines: MachineType::ALL.to_vec(), count, seed: 0, sample_rate: 16_000, seconds: 10.0, quiet };
    let s = offline::synth_set(&cfg, &data)?;
    eprintln!("demo: dataset in {} ({} clips written, {} reused)", data.display(), s.written, s.skipped);
    let eval_cfg = EvaluateConfig {
        data,
        out: out.join("report"),
        machines: Vec::new(),
        planners: vec!["keyword".into(), "random".into()],
        fault: None,
        train: TrainConfig { epochs, ..TrainConfig::default() },
        model: None,
        seed: 1,
        quiet,
        llm: crate::plan::llm::LlmConfig::default(),
    };
    let result = eval::evaluate(&eval_cfg)?;
    let report = crate::report::write_report(&result, &eval_cfg.out)?;
    for r in result.rankings.iter().filter(|r| r.source != "reference") {
        eprintln!(
            "demo: {} ({}): Spearman ρ vs reference ranking {}",
            r.source,
            r.score.name(),
            r.spearman_vs_reference.map_or("–".into(), |v| format!("{v:.2}"))
        );
    }
    eprintln!("demo: done in {:.0} s", start.elapsed().as_secs_f64());
    println!("{}", report.display());
    Ok(())
}
