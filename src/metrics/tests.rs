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
        assert!((auc(&labels, &c.scores) - c.auc).abs() < 1e-12, "case {k}: auc {} vs {}", auc(&labels, &c.scores), c.auc);
        assert!((pauc(&labels, &c.scores, 0.1) - c.pauc).abs() < 1e-12, "case {k}: pauc {} vs {}", pauc(&labels, &c.scores, 0.1), c.pauc);
    }
}

#[test]
fn rank_correlations_match_scipy() {
    for (k, c) in fixture().rank_cases.iter().enumerate() {
        assert!((spearman(&c.a, &c.b) - c.spearman).abs() < 1e-12, "case {k}: spearman");
        assert!((kendall(&c.a, &c.b) - c.kendall).abs() < 1e-12, "case {k}: kendall");
    }
}

#[test]
fn ranks_average_ties_and_descending_puts_the_largest_first() {
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    assert_eq!(rank_descending(&[0.9, 0.7, 0.8]), vec![1.0, 3.0, 2.0]);
}
