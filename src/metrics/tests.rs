//! Against values computed by scikit-learn and SciPy: `benches/reference/make_metrics_fixture.py`
//! wrote `tests/fixtures/metrics.json`.

use super::*;

#[derive(serde::Deserialize)]
struct Case {
    labels: Vec<u8>,
    scores: Vec<f64>,
    auc: f64,
    pauc: f64,
}

#[derive(serde::Deserialize)]
struct RankCase {
    a: Vec<f64>,
    b: Vec<f64>,
    spearman: f64,
    kendall: f64,
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
    rank_cases: Vec<RankCase>,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../../tests/fixtures/metrics.json")).unwrap()
}

#[test]
fn auc_and_pauc_match_scikit_learn() {
    let f = fixture();
    assert!(f.cases.len() >= 10);
    for (k, c) in f.cases.iter().enumerate() {
        let labels: Vec<bool> = c.labels.iter().map(|&l| l == 1).collect();
        assert!(
            (auc(&labels, &c.scores) - c.auc).abs() < 1e-12,
            "case {k}: auc {} vs {}",
            auc(&labels, &c.scores),
            c.auc
        );
        assert!(
            (pauc(&labels, &c.scores, 0.1) - c.pauc).abs() < 1e-12,
            "case {k}: pauc {} vs {}",
            pauc(&labels, &c.scores, 0.1),
            c.pauc
        );
    }
}

#[test]
fn rank_correlations_match_scipy() {
    for (k, c) in fixture().rank_cases.iter().enumerate() {
        assert!(
            (spearman(&c.a, &c.b) - c.spearman).abs() < 1e-12,
            "case {k}: spearman"
        );
        assert!(
            (kendall(&c.a, &c.b) - c.kendall).abs() < 1e-12,
            "case {k}: kendall"
        );
    }
}

#[test]
fn ranks_average_ties_and_descending_puts_the_largest_first() {
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    assert_eq!(rank_descending(&[0.9, 0.7, 0.8]), vec![1.0, 3.0, 2.0]);
}

#[test]
fn auc_is_exact_from_counts_and_ties_count_half() {
    // 131 of 144 pairs: normals 0..12, anomalies placed so that exactly 13 pairs are lost.
    let normals: Vec<f64> = (0..12).map(|i| i as f64).collect();
    let mut anomalies: Vec<f64> = vec![100.0; 12];
    anomalies[0] = -1.0; // loses all 12
    anomalies[1] = 11.0; // ties the top normal: half of one pair, twice → 1 lost
    anomalies[2] = 11.0;
    let a = RocSample::new(&normals, &anomalies).areas(0.1).0;
    assert_eq!(a, 131.0 / 144.0);
    // The same ratio from twice the clips and in another order is the same f64, bit for bit.
    let (n2, mut a2): (Vec<f64>, Vec<f64>) = (
        normals.iter().chain(&normals).copied().collect(),
        anomalies.iter().chain(&anomalies).copied().collect(),
    );
    a2.reverse();
    let b = RocSample::new(&n2, &a2).areas(0.1).0;
    assert_eq!(a.to_bits(), b.to_bits());
    // All tied: exactly one half.
    assert_eq!(RocSample::new(&[1.0; 5], &[1.0; 7]).areas(0.1).0, 0.5);
}

#[test]
fn weights_equal_repeated_clips() {
    let normals = [0.1, 0.5, 0.5, 0.9, 1.3];
    let anomalies = [0.5, 1.0, 1.3, 2.0];
    let (w_neg, w_pos) = ([2u32, 0, 1, 3, 1], [1u32, 2, 0, 1]);
    let expand = |v: &[f64], w: &[u32]| -> Vec<f64> {
        v.iter()
            .zip(w)
            .flat_map(|(&x, &k)| std::iter::repeat_n(x, k as usize))
            .collect()
    };
    let direct = RocSample::new(&expand(&normals, &w_neg), &expand(&anomalies, &w_pos)).areas(0.1);
    let weighted = RocSample::new(&normals, &anomalies).weighted_areas(&w_neg, &w_pos, 0.1);
    assert_eq!(direct.0.to_bits(), weighted.0.to_bits());
    assert!(
        (direct.1 - weighted.1).abs() < 1e-12,
        "{direct:?} {weighted:?}"
    );
    let labels: Vec<bool> = [false; 7].into_iter().chain([true; 4]).collect();
    let scores: Vec<f64> = expand(&normals, &w_neg)
        .into_iter()
        .chain(expand(&anomalies, &w_pos))
        .collect();
    assert_eq!(auc(&labels, &scores).to_bits(), weighted.0.to_bits());
}

#[derive(serde::Deserialize)]
struct BootCase {
    normals: Vec<f64>,
    anomalies: Vec<f64>,
    auc: f64,
    pauc: f64,
    auc_ci: [f64; 2],
    pauc_ci: [f64; 2],
}

#[derive(serde::Deserialize)]
struct BootFixture {
    level: f64,
    auc_cases: Vec<BootCase>,
}

/// `benches/reference/make_bootstrap_fixture.py`: scipy.stats.bootstrap (percentile, the two
/// classes resampled separately) of scikit-learn's AUC and pAUC, 4000 resamples.
#[test]
fn bootstrap_intervals_match_scipy_within_monte_carlo_error() {
    let f: BootFixture =
        serde_json::from_str(include_str!("../../tests/fixtures/bootstrap.json")).unwrap();
    for (k, c) in f.auc_cases.iter().enumerate() {
        let (a, p) =
            bootstrap::auc_intervals(&c.normals, &c.anomalies, 0.1, 4000, f.level, k as u64);
        assert!(
            (a.value - c.auc).abs() < 1e-12 && (p.value - c.pauc).abs() < 1e-12,
            "case {k}: point values"
        );
        let (ac, pc) = (a.ci.unwrap(), p.ci.unwrap());
        for i in 0..2 {
            assert!(
                (ac[i] - c.auc_ci[i]).abs() < 0.015,
                "case {k}: AUC interval {ac:?} vs scipy {:?}",
                c.auc_ci
            );
            assert!(
                (pc[i] - c.pauc_ci[i]).abs() < 0.03,
                "case {k}: pAUC interval {pc:?} vs scipy {:?}",
                c.pauc_ci
            );
        }
    }
}
