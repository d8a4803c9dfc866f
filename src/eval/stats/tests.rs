//! The evaluation statistics on constructed data whose answer is known: machines whose
//! difficulty a source tracks, ignores or inverts, and references that do or do not resolve.

use super::*;
use crate::dsp::Rng;
use crate::eval::verdict;

/// (machine, source, plan seed, [mse, mahalanobis]) of one clip.
type Clip = (String, String, usize, [f64; 2]);
/// Machines, sources, clips.
type Data = (Vec<String>, Vec<String>, Vec<Clip>);

/// Scores of `machines` machines: normals ~ N(0, 1); anomalies of source s on machine m ~
/// N(shift(s, m), 1), with `per_class` clips each.
fn dataset(per_class: usize, shifts: &[(&str, Vec<f64>)], seed: u64) -> Data {
    let machines: Vec<String> = (0..shifts[0].1.len()).map(|m| format!("m{m}")).collect();
    let sources: Vec<String> = shifts.iter().map(|s| s.0.to_string()).collect();
    let mut rng = Rng::new(seed);
    let mut clips = Vec::new();
    for (m, name) in machines.iter().enumerate() {
        for _ in 0..per_class {
            let x = rng.gaussian() as f64;
            clips.push((name.clone(), "normal".into(), 0, [x, x]));
        }
        for (source, shift) in shifts {
            for _ in 0..per_class {
                let x = rng.gaussian() as f64 + shift[m];
                clips.push((name.clone(), source.to_string(), 0, [x, x]));
            }
        }
    }
    (machines, sources, clips)
}

fn design(d: &Data) -> Design {
    Design::new(
        &d.0,
        &d.1,
        &ScoreKind::LIVE,
        d.2.iter().map(|c| Scored {
            machine: &c.0,
            source: &c.1,
            plan_seed: c.2,
            scores: [c.3[0], c.3[1], f64::NAN, f64::NAN, f64::NAN],
        }),
    )
}

fn rho(design: &Design, source: usize, cfg: &StatsConfig) -> Estimate {
    let tables = design.resample(cfg);
    let point = design.point();
    let value = spearman_small(
        &design.aucs(&point, ScoreKind::Mse, source),
        &design.aucs(&point, ScoreKind::Mse, 0),
    );
    Estimate::new(
        value,
        &correlations(design, &tables, ScoreKind::Mse, source).0,
        cfg.level,
    )
}

const CFG: StatsConfig = StatsConfig {
    resamples: 400,
    level: 0.95,
    seed: 5,
    ceiling_splits: 60,
};

#[test]
fn agreeing_noise_and_inverted_sources_get_their_verdicts() {
    let spread: Vec<f64> = (0..8).map(|m| 0.2 + 0.3 * m as f64).collect();
    let inverted: Vec<f64> = spread.iter().rev().copied().collect();
    let flat = vec![1.2; 8];
    let d = dataset(
        60,
        &[
            ("reference", spread.clone()),
            ("agrees", spread.clone()),
            ("inverted", inverted),
            ("noise", flat),
        ],
        1,
    );
    let design = design(&d);
    let ceiling = design.ceiling(ScoreKind::Mse, &CFG);
    assert!(
        ceiling.value > 0.85,
        "well separated machines, 60 clips: ceiling {ceiling:?}"
    );
    let [lo, hi] = ceiling.ci.unwrap();
    assert!(lo <= ceiling.value && ceiling.value <= hi);
    let verdict_of = |s| verdict::verdict(&rho(&design, s, &CFG), &ceiling, 60).0;
    assert_eq!(verdict_of(1), verdict::Verdict::Agrees);
    assert_eq!(verdict_of(2), verdict::Verdict::Disagrees);
    assert_eq!(verdict_of(3), verdict::Verdict::Inconclusive);
}

#[test]
fn a_reference_of_equal_machines_has_a_low_ceiling_and_nothing_agrees() {
    // One dataset's ceiling is noisy (its machines can differ by chance, and then its halves
    // agree); over datasets it centres near 0, and no verdict says `agrees`.
    let same = vec![1.0; 8];
    let mut ceilings = Vec::new();
    for seed in 0..6 {
        let d = dataset(
            12,
            &[
                ("reference", same.clone()),
                ("planner", (0..8).map(|m| 0.3 * m as f64).collect()),
            ],
            10 + seed,
        );
        let design = design(&d);
        let ceiling = design.ceiling(ScoreKind::Mse, &CFG);
        let (v, why) = verdict::verdict(&rho(&design, 1, &CFG), &ceiling, 12);
        assert_ne!(v, verdict::Verdict::Agrees, "seed {seed}: {why}");
        ceilings.push(ceiling.value);
    }
    let mean = ceilings.iter().sum::<f64>() / ceilings.len() as f64;
    assert!(
        mean < 0.4,
        "machines that differ only by noise: ceilings {ceilings:?}"
    );
}

#[test]
fn resamples_share_the_normals_and_do_not_depend_on_threads() {
    let d = dataset(
        20,
        &[
            ("reference", vec![0.5, 1.0, 1.5]),
            ("a", vec![0.5, 1.0, 1.5]),
            ("b", vec![0.5, 1.0, 1.5]),
        ],
        3,
    );
    let design = design(&d);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| design.resample(&CFG));
    let many = design.resample(&CFG);
    assert_eq!(one.len(), CFG.resamples);
    for (a, b) in one.iter().zip(&many) {
        assert_eq!(a.auc, b.auc);
    }
    // Identical anomaly scores in two sources differ only through their own resampling, while
    // the shared normals move both: their AUCs correlate across resamples.
    let xs: Vec<f64> = one
        .iter()
        .map(|t| design.at(t, ScoreKind::Mse, 0, 1).0)
        .collect();
    let ys: Vec<f64> = one
        .iter()
        .map(|t| design.at(t, ScoreKind::Mse, 0, 2).0)
        .collect();
    assert!(crate::metrics::spearman(&xs, &ys) > 0.2, "paired normals");
}

#[test]
fn a_sources_resamples_do_not_depend_on_the_other_sources() {
    // The same run with and without source "a": "b"'s resampled AUCs, and so its intervals,
    // are the same to the bit (the reference's too), as a planner's interval must not move
    // because another planner was evaluated beside it.
    let d = dataset(
        20,
        &[
            ("reference", vec![0.5, 1.0, 1.5]),
            ("a", vec![1.5, 1.0, 0.5]),
            ("b", vec![0.4, 1.2, 1.4]),
        ],
        3,
    );
    let with = design(&d);
    let without_a = design(&(
        d.0.clone(),
        vec!["reference".into(), "b".into()],
        d.2.iter().filter(|c| c.1 != "a").cloned().collect(),
    ));
    let (t1, t2) = (with.resample(&CFG), without_a.resample(&CFG));
    for (x, y) in t1.iter().zip(&t2) {
        for m in 0..3 {
            assert_eq!(
                with.at(x, ScoreKind::Mse, m, 2),
                without_a.at(y, ScoreKind::Mse, m, 1)
            );
            assert_eq!(
                with.at(x, ScoreKind::Mse, m, 0),
                without_a.at(y, ScoreKind::Mse, m, 0)
            );
        }
    }
    assert_eq!(
        rho(&with, 2, &CFG).ci,
        rho(&without_a, 1, &CFG).ci,
        "ρ interval of b"
    );
}

#[test]
fn plan_seeds_are_averaged() {
    let machines = vec!["m".to_string()];
    let sources = vec!["reference".to_string(), "p".to_string()];
    // Seed 0 perfectly separated, seed 1 perfectly inverted: mean AUC 0.5.
    let mut clips = vec![];
    for i in 0..5 {
        clips.push(("m".to_string(), "normal".to_string(), 0, [i as f64, 0.0]));
        clips.push((
            "m".to_string(),
            "reference".to_string(),
            0,
            [10.0 + i as f64, 0.0],
        ));
        clips.push(("m".to_string(), "p".to_string(), 0, [10.0 + i as f64, 0.0]));
        clips.push(("m".to_string(), "p".to_string(), 1, [-10.0 - i as f64, 0.0]));
    }
    let design = design(&(machines, sources, clips));
    assert_eq!(design.seeds(0, 1), 2);
    assert_eq!(design.seed_auc(ScoreKind::Mse, 0, 1, 0), 1.0);
    assert_eq!(design.seed_auc(ScoreKind::Mse, 0, 1, 1), 0.0);
    assert_eq!(design.at(&design.point(), ScoreKind::Mse, 0, 1).0, 0.5);
}

#[test]
fn spearman_brown_and_the_clip_estimate() {
    assert!((spearman_brown(0.5) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(spearman_brown(1.0), 1.0);
    assert_eq!(clips_needed(0.8, 50, 0.7), Some(50));
    assert_eq!(clips_needed(0.0, 50, 0.7), None);
    // Check the prophecy: k·c / (1 + (k − 1)·c) at the estimate reaches the target.
    let (c, n) = (0.49, 12);
    let k = clips_needed(c, n, 0.7).unwrap() as f64 / n as f64;
    assert!(k * c / (1.0 + (k - 1.0) * c) >= 0.7 - 1e-9);
}

#[derive(serde::Deserialize)]
struct RefMachine {
    normals: Vec<f64>,
    reference: Vec<f64>,
    planner: Vec<f64>,
}

#[derive(serde::Deserialize)]
struct RankingCase {
    machines: Vec<RefMachine>,
    spearman: f64,
    kendall: f64,
    spearman_ci: [f64; 2],
    kendall_ci: [f64; 2],
}

#[derive(serde::Deserialize)]
struct Fixture {
    level: f64,
    ranking_case: RankingCase,
}

/// The joint resampling of rankings against a NumPy loop with scikit-learn AUCs and SciPy's
/// spearmanr / kendalltau (`benches/reference/make_bootstrap_fixture.py`, 4000 resamples).
#[test]
fn ranking_intervals_match_the_reference_loop() {
    let f: Fixture =
        serde_json::from_str(include_str!("../../../tests/fixtures/bootstrap.json")).unwrap();
    let c = &f.ranking_case;
    let machines: Vec<String> = (0..c.machines.len()).map(|m| format!("m{m}")).collect();
    let sources = vec!["reference".to_string(), "planner".to_string()];
    let mut clips = Vec::new();
    for (m, d) in c.machines.iter().enumerate() {
        for (source, v) in [
            ("normal", &d.normals),
            ("reference", &d.reference),
            ("planner", &d.planner),
        ] {
            clips.extend(
                v.iter()
                    .map(|&x| (machines[m].clone(), source.to_string(), 0usize, [x, x])),
            );
        }
    }
    let design = design(&(machines, sources, clips));
    let cfg = StatsConfig {
        resamples: 4000,
        level: f.level,
        seed: 9,
        ceiling_splits: 20,
    };
    let tables = design.resample(&cfg);
    let point = design.point();
    let (a, r) = (
        design.aucs(&point, ScoreKind::Mse, 1),
        design.aucs(&point, ScoreKind::Mse, 0),
    );
    assert!(
        (spearman_small(&a, &r) - c.spearman).abs() < 1e-12
            && (kendall(&a, &r) - c.kendall).abs() < 1e-12
    );
    let (rhos, taus) = correlations(&design, &tables, ScoreKind::Mse, 1);
    let (rho, tau) = (
        Estimate::new(0.0, &rhos, f.level).ci.unwrap(),
        Estimate::new(0.0, &taus, f.level).ci.unwrap(),
    );
    for i in 0..2 {
        assert!(
            (rho[i] - c.spearman_ci[i]).abs() < 0.08,
            "ρ interval {rho:?} vs reference {:?}",
            c.spearman_ci
        );
        assert!(
            (tau[i] - c.kendall_ci[i]).abs() < 0.08,
            "τ interval {tau:?} vs reference {:?}",
            c.kendall_ci
        );
    }
}
