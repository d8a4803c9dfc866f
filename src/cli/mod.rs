//! The `faultline` command line.

mod demo;
mod eval_args;
mod planner_check;
mod score;

use eval_args::EvalArgs;

use crate::catalog::{self, CATALOG};
use crate::detect::{default_threads, load_model, save_model, ScoreKind, TrainConfig};
use crate::eval;
use crate::machine::MachineType;
use crate::offline::{self, PlanSource, SynthSetConfig};
use crate::plan::llm::{LlmConfig, LlmFile};
use crate::plan::{planner_with, FaultPlan, PlanRequest};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "faultline",
    version,
    about = "Plausible machine faults from normal sound, and how hard they are to detect"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    llm: LlmArgs,
    /// Read datasets as this layout instead of detecting it (dcase: DCASE 2020–2025 names in
    /// <machine>/<train|test>/; mimii: MIMII 2019's <machine>/id_XX/<normal|abnormal>/).
    #[arg(long, global = true, value_enum)]
    layout: Option<crate::dataset::Layout>,
    /// An evaluation set's labels: the folder holding the DCASE 2021–2025 evaluators'
    /// `ground_truth_data/ground_truth_<machine>_section_<XX>_test.csv` (and
    /// `ground_truth_domain/`), which label its `section_XX_NNNN.wav` test clips; or DCASE
    /// 2020's `eval_data_list.csv`, which labels `id_XX_NNNNNNNN.wav`.
    #[arg(long, global = true)]
    ground_truth: Option<PathBuf>,
}

/// Settings of the `llm` planner (any command that plans). Precedence: defaults, then the TOML
/// file (`--llm-config`, else `./faultline.toml` if present), then OPENAI_BASE_URL /
/// OPENAI_MODEL / FAULTLINE_LLM_MODEL, then these flags. The key is read from the variable
/// named by `api_key_env` (default OPENAI_API_KEY) and never written anywhere.
#[derive(clap::Args)]
struct LlmArgs {
    #[arg(long, global = true)]
    llm_config: Option<PathBuf>,
    #[arg(long, global = true)]
    llm_base_url: Option<String>,
    #[arg(long, global = true)]
    llm_model: Option<String>,
    #[arg(long, global = true)]
    llm_timeout: Option<f64>,
    /// System prompt of the llm planner: plain, or physics (kinematics, sounds, severities).
    #[arg(long, global = true, value_enum)]
    llm_prompt: Option<crate::plan::llm::PromptStyle>,
    /// Ask the server every time instead of reusing cached replies.
    #[arg(long, global = true)]
    no_cache: bool,
}

impl LlmArgs {
    fn config(&self) -> anyhow::Result<LlmConfig> {
        let mut c = LlmConfig::default();
        let default_file = PathBuf::from("faultline.toml");
        match &self.llm_config {
            Some(path) => c = c.with_file(path)?,
            None if default_file.exists() => c = c.with_file(&default_file)?,
            None => {}
        }
        let mut c = c.with_env();
        c.apply(LlmFile {
            base_url: self.llm_base_url.clone(),
            model: self.llm_model.clone(),
            timeout_s: self.llm_timeout,
            prompt: self.llm_prompt,
            ..LlmFile::default()
        });
        if self.no_cache {
            c.cache_dir = None;
        }
        Ok(c)
    }
}

#[derive(Subcommand)]
enum Command {
    /// List the fault functions (--json: the tool list sent to a language model).
    Catalog {
        #[arg(long)]
        json: bool,
    },
    /// Make a fault plan from a fault description and print it as JSON.
    Plan {
        #[arg(long)]
        machine: String,
        /// Attributes as key=value pairs, comma separated (e.g. rpm=1200,blades=4).
        #[arg(long, default_value = "")]
        attrs: String,
        #[arg(long)]
        fault: String,
        /// keyword, random or llm (or keyword-no-kinematics, the ablation without fault frequencies).
        #[arg(long, default_value = "keyword")]
        planner: String,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Write a synthetic dataset in the DCASE layout (normal train, normal and reference-fault test).
    Synth {
        /// A machine type, a comma-separated list, or "all".
        #[arg(long, default_value = "all")]
        machine: String,
        /// Normal training clips per machine.
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Normal test clips per machine, and as many reference-fault clips (default: a fifth
        /// of --count, at least 2).
        #[arg(long)]
        test_count: Option<usize>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = crate::synth::DEFAULT_SECONDS)]
        seconds: f32,
        #[arg(long, default_value_t = crate::synth::DEFAULT_SAMPLE_RATE)]
        sample_rate: u32,
        /// What each reference fault's severity is measured against: the machine's own sound
        /// (before the plant's ambient) or the recording (machine plus ambient, as the catalog's
        /// transforms are measured). README, "The synthetic world".
        #[arg(long, default_value = "machine")]
        severity_at: crate::features::level::MeasuredAt,
        #[arg(long)]
        quiet: bool,
    },
    /// What a dataset folder holds: layout, machines, sections, domains, clips per split and
    /// class, sample rates, channels, durations, unreadable files (headers only).
    Dataset {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Render anomaly clips from normal clips, with a JSON sidecar per clip and a manifest.
    Render {
        #[arg(long = "in")]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// A plan file to apply to every clip.
        #[arg(long, conflicts_with_all = ["planner", "fault"])]
        plan: Option<PathBuf>,
        /// A planner to plan each clip from --fault (with --as-test-set, --fault is optional).
        #[arg(long)]
        planner: Option<String>,
        #[arg(long)]
        fault: Option<String>,
        /// Machine type of every clip (default: from the folder names).
        #[arg(long)]
        machine: Option<String>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        quiet: bool,
        /// Stop at the first file that cannot be read (default: skip it with a line naming it
        /// and why, and count it at the end).
        #[arg(long)]
        strict: bool,
        /// --in is a DCASE dataset: write OUT/<machine>/test/ with its normal test clips and one
        /// anomaly rendered from each, and ground_truth_<machine>_section_<XX>_test.csv, for any
        /// detector to score (then `evaluate --scores`). Without --fault each machine type gets
        /// its typical fault.
        #[arg(long, requires = "planner")]
        as_test_set: bool,
    },
    /// Train one autoencoder on the normal training clips of a dataset.
    Train {
        #[arg(long)]
        data: PathBuf,
        /// Comma-separated machine folders (default: all).
        #[arg(long)]
        machines: Option<String>,
        #[arg(long)]
        out: PathBuf,
        /// Which detector: `ae` (the DCASE baseline autoencoder) or `knn` (k-nearest-neighbour
        /// distance on clip embeddings, one bank per domain; --epochs does not apply).
        #[arg(long, value_enum, default_value = "ae")]
        detector: crate::detect::Detector,
        #[arg(long, default_value_t = 100)]
        epochs: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Threads sharing each batch (default: every core). A seed and thread count always give
        /// the same model.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
        /// Share of the vectors held out to report a validation loss.
        #[arg(long, default_value_t = 0.1)]
        validation_split: f32,
        /// The channel of multichannel clips the model hears: a number from 0, or `mean`
        /// (default: 0 for MIMII, as its baselines; the mean otherwise).
        #[arg(long)]
        channel: Option<crate::features::Channel>,
        #[arg(long)]
        quiet: bool,
        /// Stop at the first file that cannot be read (default: skip it with a line naming it
        /// and why, and count it at the end).
        #[arg(long)]
        strict: bool,
    },
    /// Score test clips: per machine and section, DCASE-format
    /// anomaly_score_<machine>_section_<XX>_test.csv and decision_result_<machine>_section_<XX>_test.csv
    /// (threshold: 0.9 quantile of a gamma fit to the section's normal training scores).
    Score {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        machines: Option<String>,
        /// Where the CSVs go (default: the current folder).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "mse")]
        score: ScoreArg,
        /// Stop at the first file that cannot be read (default: skip it with a line naming it
        /// and why, and count it at the end).
        #[arg(long)]
        strict: bool,
    },
    /// The paper's relative evaluation: train, render planner anomalies, score, report, every
    /// number with its bootstrap interval, the reference ceiling and a verdict.
    Evaluate {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Use this model instead of training.
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 30)]
        epochs: usize,
        /// Evaluate another detector's scores instead of training ours: DIR/reference/ holds
        /// its DCASE score files (anomaly_score_<machine>_section_<XX>_test.csv) for the real
        /// test set, DIR/<planner>/ those for each planner's `render --as-test-set` set.
        #[arg(long, conflicts_with = "model")]
        scores: Option<PathBuf>,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Scale each machine's planned faults until their AUC lands near a target; writes the plans.
    Calibrate {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0.8)]
        target_auc: f64,
        #[arg(long, default_value_t = 0.03)]
        tolerance: f64,
        #[arg(long, default_value = "keyword")]
        planner: String,
        #[arg(long)]
        fault: Option<String>,
        #[arg(long)]
        machines: Option<String>,
        #[arg(long, value_enum, default_value = "mse")]
        score: ScoreArg,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Each planner on a development set of fault descriptions: hit rates (with intervals),
    /// kinematic orders, fallbacks and seconds per plan.
    PlannerCheck(planner_check::CheckArgs),
    /// The paper's premise: each catalog function alone at one intensity on every machine's
    /// normal test clips; AUC table, the machine's share of its variance, and ρ of the
    /// machines' mean AUC against their reference AUC, with bootstrap intervals.
    Premise {
        #[arg(long)]
        data: PathBuf,
        /// A trained model (`faultline train`); without it one is trained on --data.
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long, default_value_t = 0.5)]
        intensity: f32,
        /// Instead of one intensity: on every clip, the intensity that puts each function's
        /// level on that clip (the recording) at this many dB on the severity scale.
        #[arg(long, conflicts_with = "intensity", allow_hyphen_values = true)]
        level_db: Option<f64>,
        /// Instead of one intensity or level: on every clip, the intensity that puts the RMS
        /// change of the clip's log-mel cells (every frame and band) at this many dB — one size
        /// of change as a log-mel detector's squared error spreads it.
        #[arg(long, conflicts_with_all = ["intensity", "level_db"])]
        cell_change_db: Option<f64>,
        #[arg(long)]
        machines: Option<String>,
        #[arg(long, default_value_t = 20)]
        epochs: usize,
        #[arg(long, default_value_t = 500)]
        resamples: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write the result as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Live: a microphone or a looped WAV through the engine, scored window by window, with a
    /// terminal view and reports (JSON + CSV) written periodically and on exit.
    Monitor {
        /// Input device (name or id, see --list-devices); the default input without it.
        #[arg(long, conflicts_with = "loop_file")]
        device: Option<String>,
        /// List input devices and exit.
        #[arg(long)]
        list_devices: bool,
        /// Play a WAV file in a loop instead of a device.
        #[arg(long = "loop", value_name = "FILE")]
        loop_file: Option<PathBuf>,
        /// With --loop: as fast as the analysis keeps up (simulated real time).
        #[arg(long, requires = "loop_file")]
        fast: bool,
        /// Also play the processed audio on an output device ("default" for the default one).
        #[arg(long, value_name = "DEVICE")]
        passthrough: Option<String>,
        /// A detector model (safetensors).
        #[arg(long, required_unless_present_any = ["learn", "list_devices"])]
        model: Option<PathBuf>,
        /// Learn normal from the first DURATION of input (fault off), then score.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        learn: Option<std::time::Duration>,
        /// Minimum epochs when learning (at least 2000 optimizer steps are run anyway).
        #[arg(long, default_value_t = 20)]
        learn_epochs: usize,
        /// Save the learned model here.
        #[arg(long)]
        save_model: Option<PathBuf>,
        #[arg(long, default_value = "fan")]
        machine: String,
        /// The fault, in words (planned by --planner).
        #[arg(long, conflicts_with = "plan")]
        fault: Option<String>,
        #[arg(long, default_value = "keyword")]
        planner: String,
        /// A plan file instead of --fault.
        #[arg(long)]
        plan: Option<PathBuf>,
        /// Alternate fault off/on: "10s" or "off=20s,on=5s" (default: on once the model is ready).
        #[arg(long, value_parser = crate::monitor::Schedule::parse)]
        schedule: Option<crate::monitor::Schedule>,
        #[arg(long, value_enum, default_value = "mse")]
        score: ScoreArg,
        /// Stop after this much audio.
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<std::time::Duration>,
        #[arg(long, default_value = "faultline-monitor")]
        report: PathBuf,
        /// Seconds between periodic reports.
        #[arg(long, default_value_t = 10.0)]
        report_every: f64,
        /// Window length and hop in seconds.
        #[arg(long, default_value_t = 1.0)]
        window: f64,
        #[arg(long, default_value_t = 0.5)]
        hop: f64,
        /// No terminal view.
        #[arg(long)]
        quiet: bool,
        /// One JSON line per scored window on stdout (implies no terminal view).
        #[arg(long)]
        json: bool,
    },
    /// The main job on built-in defaults: synthesize all machines, evaluate, report.
    Demo {
        #[arg(long, default_value = "target/faultline-demo")]
        out: PathBuf,
        /// Normal training clips per machine.
        #[arg(long, default_value_t = demo::COUNT)]
        count: usize,
        /// Normal and reference-fault test clips per machine, each.
        #[arg(long, default_value_t = demo::TEST_COUNT)]
        test_count: usize,
        #[arg(long, default_value_t = crate::synth::DEFAULT_SECONDS)]
        seconds: f32,
        #[arg(long, default_value_t = demo::EPOCHS)]
        epochs: usize,
        /// What each reference fault's severity is measured against: the machine's own sound
        /// (before the plant's ambient) or the recording (machine plus ambient, as the catalog's
        /// transforms are measured). README, "The synthetic world".
        #[arg(long, default_value = "machine")]
        severity_at: crate::features::level::MeasuredAt,
        #[command(flatten)]
        eval: EvalArgs,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ScoreArg {
    Mse,
    Mahalanobis,
    /// The kNN detector's distance (a kNN model file).
    Knn,
}

impl From<ScoreArg> for ScoreKind {
    fn from(s: ScoreArg) -> Self {
        match s {
            ScoreArg::Mse => ScoreKind::Mse,
            ScoreArg::Mahalanobis => ScoreKind::Mahalanobis,
            ScoreArg::Knn => ScoreKind::Knn,
        }
    }
}

fn machine_list(data: &std::path::Path, given: Option<&str>) -> anyhow::Result<Vec<String>> {
    match given {
        Some(list) => Ok(list
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect()),
        None => eval::machines_in(data),
    }
}

fn parse_machines(text: &str) -> anyhow::Result<Vec<MachineType>> {
    if text == "all" {
        return Ok(MachineType::ALL.to_vec());
    }
    text.split(',')
        .map(|m| m.trim().parse::<MachineType>().map_err(Into::into))
        .collect()
}

fn parse_attrs(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .with_context(|| format!("--attrs: \"{p}\" is not key=value"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

pub fn load_plan(path: &std::path::Path) -> anyhow::Result<FaultPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read plan", path.display()))?;
    FaultPlan::from_json(&text).with_context(|| format!("{}: invalid plan", path.display()))
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let llm = cli.llm.config()?;
    if let Some(layout) = cli.layout {
        crate::dataset::force_layout(layout);
    }
    if let Some(dir) = &cli.ground_truth {
        crate::dataset::ground_truth::set_ground_truth(dir)?;
    }
    match cli.command {
        Command::Dataset { dir, json } => {
            let summary = crate::dataset::describe(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{}", summary.text());
            }
        }
        Command::Catalog { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(&catalog::tool_schema())?);
            } else {
                for f in CATALOG {
                    println!("{:<22} {}", f.name, f.fault);
                    for p in f.all_params() {
                        println!(
                            "    {:<16} {:>8} .. {:<8} default {:<8} {}",
                            p.name, p.min, p.max, p.default, p.unit
                        );
                    }
                }
            }
        }
        Command::Plan {
            machine,
            attrs,
            fault,
            planner,
            seed,
        } => {
            let request = PlanRequest {
                machine,
                attributes: parse_attrs(&attrs)?,
                fault,
                seed,
            };
            let plan = planner_with(&planner, &llm)?.plan(&request)?;
            if let Some(w) = plan.provenance.fallback_warning() {
                eprintln!("plan: {w}");
            }
            println!("{}", plan.to_json());
        }
        Command::Synth {
            machine,
            count,
            test_count,
            out,
            seed,
            seconds,
            sample_rate,
            severity_at,
            quiet,
        } => {
            anyhow::ensure!(count > 0, "--count must be at least 1");
            anyhow::ensure!(
                test_count.is_none_or(|t| t >= 2),
                "--test-count must be at least 2 (an AUC needs clips of both classes)"
            );
            anyhow::ensure!(
                (1.0..=600.0).contains(&seconds),
                "--seconds must be from 1 to 600"
            );
            anyhow::ensure!(
                (8_000..=192_000).contains(&sample_rate),
                "--sample-rate must be from 8000 to 192000"
            );
            let cfg = SynthSetConfig {
                machines: parse_machines(&machine)?,
                count,
                test_count,
                seed,
                sample_rate,
                seconds,
                measured_at: severity_at,
                quiet,
            };
            let s = offline::synth_set(&cfg, &out)?;
            eprintln!(
                "synth: {} clips written, {} already there, in {}",
                s.written,
                s.skipped,
                out.display()
            );
        }
        Command::Render {
            input,
            out,
            plan,
            planner,
            fault,
            machine,
            seed,
            quiet,
            strict,
            as_test_set,
        } => {
            if as_test_set {
                let name = planner
                    .clone()
                    .expect("clap: --as-test-set requires --planner");
                let bad = crate::dataset::BadFiles::new(strict);
                for m in eval::machines_in(&input)? {
                    let source = PlanSource::Planner {
                        planner: planner_with(&name, &llm)?,
                        fault: eval::fault_for(&m, fault.as_deref()),
                        seed,
                    };
                    let (normals, anomalies) =
                        offline::write_machine_test_set(&input, &m, &out, &source, quiet, &bad)?;
                    eprintln!("render: {m}: test set of {normals} normal clips and {anomalies} {name} anomalies in {}", out.join(&m).join("test").display());
                }
                let summary = bad.summary();
                if !summary.is_empty() {
                    eprintln!("render: done{summary}");
                }
                return Ok(());
            }
            let source = match (plan, planner) {
                (Some(path), _) => PlanSource::Fixed(load_plan(&path)?),
                (None, Some(name)) => PlanSource::Planner {
                    planner: planner_with(&name, &llm)?,
                    fault: fault
                        .context("render --planner needs --fault TEXT (the fault to plan)")?,
                    seed,
                },
                (None, None) => {
                    anyhow::bail!("render needs --plan FILE or --planner NAME --fault TEXT")
                }
            };
            if let Some(m) = &machine {
                m.parse::<MachineType>()?;
            }
            let bad = crate::dataset::BadFiles::new(strict);
            let s = offline::render_set(&input, &out, &source, machine.as_deref(), quiet, &bad)?;
            let fallbacks = s
                .entries
                .iter()
                .filter(|e| e.plan.provenance.is_fallback())
                .count();
            let fell_back = if fallbacks > 0 {
                format!(", {fallbacks} of {} plans from a fallback planner (see each sidecar's provenance)", s.entries.len())
            } else {
                String::new()
            };
            eprintln!(
                "render: {} clips written, {} already there{}{fell_back}; manifest {}",
                s.written,
                s.skipped,
                bad.summary(),
                out.join("manifest.json").display()
            );
        }
        Command::Train {
            data,
            machines,
            out,
            detector,
            epochs,
            seed,
            threads,
            validation_split,
            channel,
            quiet,
            strict,
        } => {
            anyhow::ensure!(
                (0.0..0.9).contains(&validation_split),
                "--validation-split {validation_split}: expected 0 ≤ share < 0.9"
            );
            let machines = machine_list(&data, machines.as_deref())?;
            let cfg = eval::EvaluateConfig {
                data: data.clone(),
                out: out.clone(),
                machines: machines.clone(),
                planners: vec![],
                fault: None,
                describe: eval::Describe::Typical,
                train: TrainConfig {
                    epochs,
                    seed,
                    validation_split,
                    threads: threads.map_or_else(default_threads, |t| t as usize),
                    channel,
                    ..TrainConfig::default()
                },
                model: None,
                detectors: vec![detector],
                knn_model: None,
                plan_seed: 0,
                plan_seeds: 1,
                stats: eval::StatsConfig::default(),
                sweep: Vec::new(),
                keep_sweep_renders: false,
                quiet,
                strict,
                llm: llm.clone(),
            };
            let bad = crate::dataset::BadFiles::new(strict);
            let (detectors, history) = eval::obtain_detectors(&cfg, &machines, &bad)?;
            if let Some(knn) = &detectors.knn {
                crate::detect::save_knn(knn, &out)?;
                let p = &knn.provenance;
                eprintln!(
                    "train: kNN detector, {} clips in {} bank(s) ({}), k = {}, fitted in {:.2} s{}; written to {}",
                    p.clips,
                    knn.banks.len(),
                    knn.banks.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>().join(", "),
                    knn.k,
                    p.train_seconds,
                    bad.summary(),
                    out.display()
                );
                return Ok(());
            }
            let model = detectors.ae.expect("the autoencoder was asked for");
            save_model(&model, &out)?;
            for (epoch, loss, val) in history.iter().rev().take(1) {
                eprintln!("train: epoch {epoch}: loss {loss:.4}, validation {val:.4}");
            }
            let p = &model.provenance;
            eprintln!(
                "train: {} clips, {} vectors, {} epochs in {:.2} s on {} thread(s){}; model written to {}",
                p.clips,
                p.vectors,
                p.epochs,
                p.train_seconds,
                p.threads,
                bad.summary(),
                out.display()
            );
        }
        Command::Score {
            model,
            data,
            machines,
            out,
            score,
            strict,
        } => {
            let model = crate::detect::load_detectors(&model)?;
            let kind = ScoreKind::from(score);
            // A kNN file gives the kNN score; an autoencoder file MSE or Mahalanobis.
            let kind = match (kind, model.knn.is_some()) {
                (ScoreKind::Knn, false) => anyhow::bail!(
                    "--score knn needs a kNN model file (`faultline train --detector knn`)"
                ),
                (k, true) => {
                    if k != ScoreKind::Knn {
                        eprintln!("score: a kNN model file gives the knn score (--score {} does not apply)", k.name());
                    }
                    ScoreKind::Knn
                }
                (k, false) => k,
            };
            let bad = crate::dataset::BadFiles::new(strict);
            for m in machine_list(&data, machines.as_deref())? {
                for line in score::score_machine(&model, &data, &m, &out, kind, &bad)? {
                    eprintln!("{line}");
                }
            }
            let summary = bad.summary();
            if !summary.is_empty() {
                eprintln!("score: done{summary}");
            }
        }
        Command::Evaluate {
            data,
            out,
            model,
            epochs,
            scores,
            eval,
        } => {
            let cfg = eval.config(data, out.clone(), epochs, model, llm.clone());
            let result = match &scores {
                Some(dir) => eval::external::evaluate_scores(&cfg, dir)?,
                None => eval::evaluate(&cfg)?,
            };
            let report = crate::report::write_report(&result, &out)?;
            if !eval.quiet {
                eprint!("{}", crate::report::summary_text(&result));
            }
            println!("{}", report.display());
        }
        Command::Calibrate {
            data,
            model,
            out,
            target_auc,
            tolerance,
            planner,
            fault,
            machines,
            score,
            seed,
        } => {
            anyhow::ensure!(
                (0.5..1.0).contains(&target_auc),
                "--target-auc must be from 0.5 to below 1"
            );
            let model = load_model(&model)?;
            let mut table = String::from("| machine | scale | AUC | AUC at full intensity | within tolerance |\n|---|---:|---:|---:|---|\n");
            for m in machine_list(&data, machines.as_deref())? {
                let (normal, _) = eval::test_clips(&data, &m)?;
                let planner = planner_with(&planner, &llm)?;
                let r = eval::calibrate(
                    &model,
                    &m,
                    &normal,
                    crate::offline::severity_measured_at(&data),
                    planner.as_ref(),
                    fault.as_deref(),
                    target_auc,
                    tolerance,
                    score.into(),
                    seed,
                )?;
                for (i, plan) in r.plans.iter().enumerate() {
                    let path = out.join(&m).join(format!("plan_{i:04}.json"));
                    crate::dataset::write_atomic(&path, |f| {
                        std::io::Write::write_all(f, plan.to_json().as_bytes())
                    })?;
                }
                table.push_str(&format!(
                    "| {m} | {:.3} | {:.3} | {:.3} | {} |\n",
                    r.scale,
                    r.auc,
                    r.auc_at_full,
                    if r.reached { "yes" } else { "no" }
                ));
                let summary = serde_json::to_string_pretty(&r)?;
                crate::dataset::write_atomic(&out.join(&m).join("calibration.json"), |f| {
                    std::io::Write::write_all(f, summary.as_bytes())
                })?;
            }
            crate::dataset::write_atomic(&out.join("calibration.md"), |f| {
                std::io::Write::write_all(f, table.as_bytes())
            })?;
            println!("{table}");
        }
        Command::PlannerCheck(args) => planner_check::run(&args, &llm)?,
        Command::Premise {
            data,
            model,
            intensity,
            level_db,
            cell_change_db,
            machines,
            epochs,
            resamples,
            seed,
            json,
        } => {
            anyhow::ensure!(
                intensity > 0.0 && intensity <= 1.0,
                "--intensity must be in (0, 1]"
            );
            let machines = machine_list(&data, machines.as_deref())?;
            let model = match model {
                Some(p) => load_model(&p)?,
                None => eval::train_model(
                    &data,
                    &machines,
                    &crate::detect::TrainConfig {
                        epochs,
                        seed,
                        ..Default::default()
                    },
                    &crate::dataset::BadFiles::new(false),
                    |_| {},
                )?,
            };
            let severity = match (level_db, cell_change_db) {
                (Some(db), _) => {
                    anyhow::ensure!(
                        db.is_finite() && (-40.0..=24.0).contains(&db),
                        "--level-db must be from -40 to 24 dB"
                    );
                    eval::premise::Severity::LevelDb(db)
                }
                (None, Some(db)) => {
                    anyhow::ensure!(
                        db.is_finite() && db > 0.0 && db <= 20.0,
                        "--cell-change-db must be above 0 and at most 20 dB"
                    );
                    eval::premise::Severity::CellChangeDb(db)
                }
                (None, None) => eval::premise::Severity::Intensity(intensity),
            };
            let r = eval::premise::premise(&model, &data, &machines, severity, resamples, seed)?;
            if let Some(path) = json {
                let text = serde_json::to_string_pretty(&r)?;
                crate::dataset::write_atomic(&path, |f| {
                    std::io::Write::write_all(f, text.as_bytes())
                })?;
            }
            print!("{}", eval::premise::text(&r));
        }
        Command::Monitor {
            device,
            list_devices,
            loop_file,
            fast,
            passthrough,
            model,
            learn,
            learn_epochs,
            save_model,
            machine,
            fault,
            planner,
            plan,
            schedule,
            score,
            duration,
            report,
            report_every,
            window,
            hop,
            quiet,
            json,
        } => {
            if list_devices {
                #[cfg(feature = "device")]
                {
                    for name in crate::monitor::list_devices()? {
                        println!("{name}");
                    }
                    return Ok(());
                }
                #[cfg(not(feature = "device"))]
                anyhow::bail!("this build has no audio device support (the `device` feature)");
            }
            anyhow::ensure!(
                window > 0.0 && hop > 0.0 && hop <= window,
                "--window and --hop must be positive, hop ≤ window"
            );
            let plan_choice = match (fault, plan) {
                (Some(text), None) => crate::monitor::PlanChoice::Fault { text, planner },
                (None, Some(path)) => crate::monitor::PlanChoice::File(path),
                _ => crate::monitor::PlanChoice::None,
            };
            let cfg = crate::monitor::MonitorConfig {
                input: match loop_file {
                    Some(path) => crate::monitor::Input::Loop(path),
                    None => crate::monitor::Input::Device(device),
                },
                passthrough: passthrough.map(|p| (p != "default").then_some(p)),
                model,
                learn,
                learn_epochs,
                save_model,
                machine: machine.parse::<MachineType>()?,
                plan: plan_choice,
                schedule,
                score: score.into(),
                fast,
                duration,
                report_dir: report,
                report_every: std::time::Duration::from_secs_f64(report_every.max(0.5)),
                json,
                quiet,
                analysis: crate::engine::AnalysisConfig {
                    window_s: window,
                    hop_s: hop,
                },
                llm,
            };
            let outcome = crate::monitor::run(cfg)?;
            eprintln!(
                "monitor: {:.1} s of audio, {} windows; report: {}",
                outcome.seconds,
                outcome.windows,
                outcome
                    .report
                    .first()
                    .map_or(String::new(), |p| p.display().to_string())
            );
            if let Some(e) = outcome.error {
                anyhow::bail!("the input stopped: {e} (the report was written)");
            }
        }
        Command::Demo {
            out,
            count,
            test_count,
            seconds,
            epochs,
            severity_at,
            eval,
        } => demo::run(
            &demo::Demo {
                out,
                count,
                test_count,
                seconds,
                epochs,
                severity_at,
            },
            &eval,
        )?,
    }
    Ok(())
}
