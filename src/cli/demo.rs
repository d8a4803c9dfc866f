//! `faultline demo`: the whole chain on built-in defaults, no download, no API key. Synthesizes
//! all eight machine types, trains one autoencoder on their normal clips, renders keyword and
//! random planner anomalies under several plan seeds, scores everything against the reference
//! faults, and writes the report; its last lines are the report's summary and the `evaluate`
//! command that reproduces the same numbers from the same data.

use super::EvalArgs;
use crate::eval;
use crate::machine::MachineType;
use crate::offline::{self, SynthSetConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Normal training clips per machine.
pub const COUNT: usize = 60;
/// Test clips per class and machine: chosen from the reference ceiling within the time goal
/// (BENCHMARKS.md, "Demo size"). 100 normal and 100 anomalous clips a machine is also a DCASE
/// 2022–2025 development section's test set (50 + 50 in each domain).
pub const TEST_COUNT: usize = 100;
pub const EPOCHS: usize = 20;

pub struct Demo {
    pub out: PathBuf,
    pub count: usize,
    pub test_count: usize,
    pub seconds: f32,
    pub epochs: usize,
    pub severity_at: crate::features::level::MeasuredAt,
}

/// The demo's dataset folder; remade when it holds a dataset of other settings (it is the
/// demo's own folder under its output).
fn dataset(d: &Demo, seed: u64, quiet: bool) -> anyhow::Result<PathBuf> {
    let data = d.out.join("data");
    let cfg = SynthSetConfig {
        machines: MachineType::ALL.to_vec(),
        count: d.count,
        test_count: Some(d.test_count),
        seed,
        sample_rate: 16_000,
        seconds: d.seconds,
        measured_at: d.severity_at,
        quiet,
    };
    let s = match offline::synth_set(&cfg, &data) {
        Ok(s) => s,
        Err(e) if data.exists() => {
            eprintln!("demo: {e:#}; making it again");
            std::fs::remove_dir_all(&data)?;
            offline::synth_set(&cfg, &data)?
        }
        Err(e) => return Err(e),
    };
    eprintln!(
        "demo: dataset in {} ({} clips written, {} reused; seed {seed})",
        data.display(),
        s.written,
        s.skipped
    );
    Ok(data)
}

pub fn run(d: &Demo, args: &EvalArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    // The time goal buys a test set large enough for a reliable reference ranking rather than
    // the severity sweep (BENCHMARKS.md, "Demo size"): the sweep is on with --sweep.
    anyhow::ensure!(
        d.count > 0 && d.test_count >= 2,
        "--count must be at least 1 and --test-count at least 2"
    );
    let data = dataset(d, args.seed, args.quiet)?;
    let cfg = args.config(
        data.clone(),
        d.out.join("report"),
        d.epochs,
        None,
        crate::plan::llm::LlmConfig::default(),
    );
    let result = eval::evaluate(&cfg)?;
    let report = crate::report::write_report(&result, &cfg.out)?;
    eprint!("{}", crate::report::summary_text(&result));
    eprintln!(
        "demo: reproduce: faultline evaluate --data {} --out REPORT_DIR {}",
        shown(&data),
        args.reproduce(&cfg)
    );
    eprintln!("demo: done in {:.0} s", start.elapsed().as_secs_f64());
    println!("{}", report.display());
    Ok(())
}

fn shown(p: &Path) -> String {
    let s = p.display().to_string();
    if s.contains(' ') {
        format!("{s:?}")
    } else {
        s
    }
}
