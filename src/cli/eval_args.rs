//! The flags `evaluate` and `demo` share, so one set of seeds means the same thing in both and
//! the demo's printed command reproduces its numbers.

use crate::eval::{sweep, EvaluateConfig, StatsConfig};
use std::path::PathBuf;

#[derive(clap::Args, Clone, Debug)]
pub struct EvalArgs {
    /// Comma-separated sources: keyword, llm (with --llm-prompt), llm-plain and llm-physics
    /// (the LLM with that system prompt: give both to compare the prompts), random (one plan
    /// per machine type and plan seed, the paper's ablation), random-per-clip,
    /// keyword-no-kinematics (the keyword planner with its physical fault frequencies off: an
    /// ablation).
    #[arg(long, default_value = "keyword,random")]
    pub planner: String,
    /// One fault description for every machine (default: each type's typical fault).
    #[arg(long)]
    pub fault: Option<String>,
    /// Where each clip's fault description comes from: `typical` (one per machine type) or
    /// `per-clip` (each reference clip's own description, from its sidecar or the attributes
    /// CSV, rendered from the normal clip of the same index and domain; clips without one fall
    /// back to the typical description, counted in the report).
    #[arg(long, value_enum, default_value = "typical")]
    pub describe: crate::eval::Describe,
    /// Comma-separated machine folders (default: all).
    #[arg(long)]
    pub machines: Option<String>,
    /// Comma-separated detectors: ae (the baseline autoencoder: MSE and Mahalanobis scores),
    /// knn (k-nearest-neighbour distance on clip embeddings). Each gets its own rankings and
    /// verdicts; with both, the report says whether they agree.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "ae")]
    pub detector: Vec<crate::detect::Detector>,
    /// A kNN detector file (`faultline train --detector knn`) instead of fitting one.
    #[arg(long)]
    pub knn_model: Option<PathBuf>,
    /// The channel of multichannel clips the model hears: a number from 0, or `mean` (default:
    /// 0 for MIMII, as its baselines; the mean otherwise).
    #[arg(long)]
    pub channel: Option<crate::features::Channel>,
    /// Stop at the first clip that cannot be read (default: skip it, name it, count it in the
    /// report).
    #[arg(long)]
    pub strict: bool,
    /// Seed of the model (training) and of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Seed of the plans; plan seed k is derived from it.
    #[arg(long, default_value_t = 0)]
    pub plan_seed: u64,
    /// Plan seeds each planner renders under; AUCs are averaged over them.
    #[arg(long, default_value_t = 3)]
    pub plan_seeds: usize,
    /// Bootstrap resamples for every interval.
    #[arg(long, default_value_t = crate::metrics::bootstrap::DEFAULT_RESAMPLES)]
    pub resamples: usize,
    /// Confidence level of every interval.
    #[arg(long, default_value_t = crate::metrics::bootstrap::DEFAULT_LEVEL)]
    pub ci: f64,
    /// Severity sweep: render each planner at a ladder of intensity scales (see --sweep-scales).
    /// Off by default, in the demo too (it spends its time on a larger test set instead).
    #[arg(long)]
    pub sweep: bool,
    /// No sweep (the default; kept for scripts written when the demo swept).
    #[arg(long, conflicts_with = "sweep")]
    pub no_sweep: bool,
    /// The sweep's ladder as LO:HI:N, log-spaced.
    #[arg(long, default_value = "0.05:1:5", value_parser = parse_ladder)]
    pub sweep_scales: Ladder,
    /// Also write the sweep's clips under OUT/anomalies/PLANNER@SCALE (by default a sweep step
    /// is scored in memory and not written; the planners' own clips always are).
    #[arg(long)]
    pub keep_sweep_renders: bool,
    /// Training threads (default: every core). A seed and thread count always give the same model.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    #[arg(long)]
    pub quiet: bool,
}

/// The sweep's intensity scales, and the text they were given as.
#[derive(Clone, Debug)]
pub struct Ladder(pub Vec<f32>, pub String);

fn parse_ladder(text: &str) -> Result<Ladder, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let bad =
        || format!("\"{text}\": expected LO:HI:N with 0 < LO < HI ≤ 1 and N ≥ 2, e.g. 0.03:1:6");
    let [lo, hi, n] = parts[..] else {
        return Err(bad());
    };
    let (lo, hi, n): (f32, f32, usize) = (
        lo.parse().map_err(|_| bad())?,
        hi.parse().map_err(|_| bad())?,
        n.parse().map_err(|_| bad())?,
    );
    if !(lo > 0.0 && lo < hi && hi <= 1.0 && (2..=32).contains(&n)) {
        return Err(bad());
    }
    Ok(Ladder(sweep::ladder(lo, hi, n), text.to_string()))
}

impl EvalArgs {
    pub fn planners(&self) -> Vec<String> {
        self.planner
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    }

    pub fn config(
        &self,
        data: PathBuf,
        out: PathBuf,
        epochs: usize,
        model: Option<PathBuf>,
        llm: crate::plan::llm::LlmConfig,
    ) -> EvaluateConfig {
        EvaluateConfig {
            machines: self
                .machines
                .as_deref()
                .map(|m| {
                    m.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            data,
            out,
            planners: self.planners(),
            fault: self.fault.clone(),
            describe: self.describe,
            train: crate::detect::TrainConfig {
                epochs,
                seed: self.seed,
                threads: self
                    .threads
                    .map_or_else(crate::detect::default_threads, |t| t as usize),
                channel: self.channel,
                ..crate::detect::TrainConfig::default()
            },
            model,
            detectors: self.detector.clone(),
            knn_model: self.knn_model.clone(),
            strict: self.strict,
            plan_seed: self.plan_seed,
            plan_seeds: self.plan_seeds,
            stats: StatsConfig {
                resamples: self.resamples,
                level: self.ci,
                seed: self.seed,
                ..StatsConfig::default()
            },
            sweep: if self.sweep {
                self.sweep_scales.0.clone()
            } else {
                Vec::new()
            },
            keep_sweep_renders: self.keep_sweep_renders,
            quiet: self.quiet,
            llm,
        }
    }

    /// The `faultline evaluate` flags that reproduce a run with these settings.
    pub fn reproduce(&self, cfg: &EvaluateConfig) -> String {
        let mut s = format!(
            "--planner {} --seed {} --plan-seed {} --plan-seeds {} --resamples {} --ci {} --epochs {} --threads {}",
            self.planner, self.seed, self.plan_seed, self.plan_seeds, self.resamples, self.ci, cfg.train.epochs, cfg.train.threads
        );
        if let Some(m) = &self.machines {
            s.push_str(&format!(" --machines {m}"));
        }
        if let Some(f) = &self.fault {
            s.push_str(&format!(" --fault {f:?}"));
        }
        if self.detector != [crate::detect::Detector::Ae] {
            let names: Vec<&str> = self.detector.iter().map(|d| d.name()).collect();
            s.push_str(&format!(" --detector {}", names.join(",")));
        }
        if self.describe == crate::eval::Describe::PerClip {
            s.push_str(" --describe per-clip");
        }
        if self.sweep {
            s.push_str(&format!(" --sweep --sweep-scales {}", self.sweep_scales.1));
        }
        s
    }
}
