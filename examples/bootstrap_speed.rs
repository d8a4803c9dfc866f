//! The evaluation's bootstrap at the size: 8 machines × 3 sources (reference and two
//! planners) × 2,000 resamples, 50 normal and 50 anomalous clips per machine and source, all
//! intervals (AUC, pAUC, ρ, τ, Δρ) and the reference ceiling. Goal: ≤ 1 s on 2 cores.
//!
//! `cargo run --release --example bootstrap_speed [plan_seeds]`

use faultline::detect::ScoreKind;
use faultline::dsp::Rng;
use faultline::eval::stats::{correlations, Design, Scored, StatsConfig};
use std::time::Instant;

fn main() {
    let plan_seeds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let machines: Vec<String> = (0..8).map(|m| format!("m{m}")).collect();
    let sources: Vec<String> = ["reference", "keyword", "random"]
        .map(String::from)
        .to_vec();
    let mut rng = Rng::new(1);
    let mut clips = Vec::new();
    for (m, name) in machines.iter().enumerate() {
        for _ in 0..50 {
            clips.push((
                name.clone(),
                "normal".to_string(),
                0,
                [rng.gaussian() as f64, rng.gaussian() as f64],
            ));
        }
        for (s, source) in sources.iter().enumerate() {
            for k in 0..if s == 0 { 1 } else { plan_seeds } {
                for _ in 0..50 {
                    let shift = 0.2 * m as f64 + 0.1 * s as f64;
                    clips.push((
                        name.clone(),
                        source.clone(),
                        k,
                        [rng.gaussian() as f64 + shift, rng.gaussian() as f64 + shift],
                    ));
                }
            }
        }
    }
    let cfg = StatsConfig {
        resamples: 2000,
        ..StatsConfig::default()
    };
    for round in 0..3 {
        let start = Instant::now();
        let design = Design::new(
            &machines,
            &sources,
            &ScoreKind::LIVE,
            clips.iter().map(|c| Scored {
                machine: &c.0,
                source: &c.1,
                plan_seed: c.2,
                scores: [c.3[0], c.3[1], f64::NAN, f64::NAN, f64::NAN],
            }),
        );
        let tables = design.resample(&cfg);
        let mut n = 0;
        for kind in ScoreKind::LIVE {
            for s in 1..sources.len() {
                n += correlations(&design, &tables, kind, s).0.len();
            }
        }
        let resampled = start.elapsed().as_secs_f64();
        let ceilings: Vec<_> = ScoreKind::LIVE
            .iter()
            .map(|&k| design.ceiling(k, &cfg))
            .collect();
        let total = start.elapsed().as_secs_f64();
        println!(
            "round {round}: {} threads, {plan_seeds} plan seed(s): resamples + ρ/τ {:.3} s, + ceilings ({} splits, {} resamples) {:.3} s total ({n} correlations; ceiling mse {:.2})",
            rayon::current_num_threads(),
            resampled,
            cfg.ceiling_splits,
            cfg.resamples,
            total,
            ceilings[0].value
        );
    }
}
