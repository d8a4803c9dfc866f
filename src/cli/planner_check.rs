//! `faultline planner-check`: each planner on the fault-description development set — hit
//! rates, kinematic orders, fallbacks and seconds per plan (`plan::check`).

use crate::plan::check::{check, parse_set, table, Case, DEV_SET};
use std::path::PathBuf;

#[derive(clap::Args, Clone, Debug)]
pub struct CheckArgs {
    /// Comma-separated sources, as `evaluate` names them: keyword, random, llm, llm-plain,
    /// llm-physics.
    #[arg(long, default_value = "keyword,random")]
    pub planner: String,
    /// A development set (TOML, `[[case]]` tables); default: the built-in 48 cases.
    #[arg(long)]
    pub set: Option<PathBuf>,
    /// Only this many cases, spread evenly over the set (every machine type keeps some).
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write the results (with every case's outcome) as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `limit` cases spread evenly over the set.
fn subset(cases: Vec<Case>, limit: Option<usize>) -> Vec<Case> {
    match limit {
        Some(k) if k < cases.len() => {
            let n = cases.len();
            (0..k.max(1))
                .map(|i| cases[i * n / k.max(1)].clone())
                .collect()
        }
        _ => cases,
    }
}

pub fn run(args: &CheckArgs, llm: &crate::plan::llm::LlmConfig) -> anyhow::Result<()> {
    let text = match &args.set {
        Some(p) => {
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => DEV_SET.to_string(),
    };
    let cases = subset(
        parse_set(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}",
                args.set
                    .as_ref()
                    .map_or("built-in set".into(), |p| p.display().to_string())
            )
        })?,
        args.limit,
    );
    let mut results = Vec::new();
    for name in args
        .planner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        anyhow::ensure!(
            crate::eval::SOURCES.contains(&name),
            "unknown planner \"{name}\"; allowed: {}",
            crate::eval::SOURCES.join(", ")
        );
        let planner = crate::eval::source_planner(name, llm)?;
        let bar = crate::offline::progress(cases.len(), name, false);
        let r = check(planner.as_ref(), name, &cases, args.seed, |i| {
            bar.set_position(i as u64)
        })?;
        bar.finish_and_clear();
        results.push(r);
    }
    println!(
        "planner-check: {} cases ({}), seed {}\n",
        cases.len(),
        args.set
            .as_ref()
            .map_or("built-in development set".into(), |p| p
                .display()
                .to_string()),
        args.seed
    );
    print!("{}", table(&results));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)?;
        crate::dataset::write_atomic(path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
    }
    Ok(())
}
