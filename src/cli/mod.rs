//! The `faultline` command line.

mod demo;

use crate::catalog::{self, CATALOG};
use crate::machine::MachineType;
use crate::offline::{self, PlanSource, SynthSetConfig};
use crate::plan::{planner_by_name, FaultPlan, PlanRequest};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "faultline", version, about = "Plausible machine faults from normal sound, and how hard they are to detect")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
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
        /// Normal training clips per machine (test: a fifth of it, normal and faulty each).
        #[arg(long, default_value_t = 200)]
        count: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = crate::synth::DEFAULT_SECONDS)]
        seconds: f32,
        #[arg(long, default_value_t = crate::synth::DEFAULT_SAMPLE_RATE)]
        sample_rate: u32,
        #[arg(long)]
        quiet: bool,
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
        /// A planner to plan each clip from --fault.
        #[arg(long, requires = "fault")]
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
    },
    /// The main job on built-in defaults: synthesize all machines, plan and render faults.
    Demo {
        #[arg(long, default_value = "target/faultline-demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 40)]
        count: usize,
        #[arg(long)]
        quiet: bool,
    },
}

fn parse_machines(text: &str) -> anyhow::Result<Vec<MachineType>> {
    if text == "all" {
        return Ok(MachineType::ALL.to_vec());
    }
    text.split(',').map(|m| m.trim().parse::<MachineType>().map_err(Into::into)).collect()
}

fn parse_attrs(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').with_context(|| format!("--attrs: \"{p}\" is not key=value"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

pub fn load_plan(path: &std::path::Path) -> anyhow::Result<FaultPlan> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read plan", path.display()))?;
    FaultPlan::from_json(&text).with_context(|| format!("{}: invalid plan", path.display()))
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Catalog { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(&catalog::tool_schema())?);
            } else {
                for f in CATALOG {
                    println!("{:<22} {}", f.name, f.fault);
                    for p in f.all_params() {
                        println!("    {:<16} {:>8} .. {:<8} default {:<8} {}", p.name, p.min, p.max, p.default, p.unit);
                    }
                }
            }
        }
        Command::Plan { machine, attrs, fault, planner, seed } => {
            let request = PlanRequest { machine, attributes: parse_attrs(&attrs)?, fault, seed };
            let plan = planner_by_name(&planner)?.plan(&request)?;
            println!("{}", plan.to_json());
        }
        Command::Synth { machine, count, out, seed, seconds, sample_rate, quiet } => {
            anyhow::ensure!(count > 0, "--count must be at least 1");
            anyhow::ensure!((1.0..=600.0).contains(&seconds), "--seconds must be from 1 to 600");
            anyhow::ensure!((8_000..=192_000).contains(&sample_rate), "--sample-rate must be from 8000 to 192000");
            let cfg = SynthSetConfig { machines: parse_machines(&machine)?, count, seed, sample_rate, seconds, quiet };
            let s = offline::synth_set(&cfg, &out)?;
            eprintln!("synth: {} clips written, {} already there, in {}", s.written, s.skipped, out.display());
        }
        Command::Render { input, out, plan, planner, fault, machine, seed, quiet } => {
            let source = match (plan, planner) {
                (Some(path), _) => PlanSource::Fixed(load_plan(&path)?),
                (None, Some(name)) => PlanSource::Planner { planner: planner_by_name(&name)?, fault: fault.unwrap_or_default(), seed },
                (None, None) => anyhow::bail!("render needs --plan FILE or --planner NAME --fault TEXT"),
            };
            if let Some(m) = &machine {
                m.parse::<MachineType>()?;
            }
            let s = offline::render_set(&input, &out, &source, machine.as_deref(), quiet)?;
            eprintln!("render: {} clips written, {} already there; manifest {}", s.written, s.skipped, out.join("manifest.json").display());
        }
        Command::Demo { out, count, quiet } => demo::run(&out, count, quiet)?,
    }
    Ok(())
}
