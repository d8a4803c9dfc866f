//! Seeded bootstrap for detection metrics, as `scipy.stats.bootstrap(method="percentile")` does
//! it for independent samples: each class (normals, anomalies) is resampled with replacement on
//! its own, the statistic is recomputed on every resample, and the interval is the pair of
//! percentiles (NumPy's linear interpolation) that leave (1 − level)/2 on each side.
//!
//! A resample is a vector of multiplicities over the original clips, so metrics reweight a
//! [`RocSample`](super::RocSample) sorted once instead of sorting again; nothing allocates per
//! resample. Every resample `b` draws from its own stream `derive_seed(seed, b)`, so results do
//! not depend on how many threads share the work.

use crate::dsp::{derive_seed, Rng};

/// Default number of resamples.
pub const DEFAULT_RESAMPLES: usize = 1000;
/// Default confidence level.
pub const DEFAULT_LEVEL: f64 = 0.95;

/// Fills `counts` with a multinomial draw: `counts.len()` picks, uniform over its slots.
pub fn resample_counts(rng: &mut Rng, counts: &mut [u32]) {
    counts.fill(0);
    let n = counts.len();
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
}

/// The stream of resample `b`.
pub fn resample_rng(seed: u64, b: usize) -> Rng {
    Rng::new(derive_seed(seed, b as u64))
}

/// NumPy's `percentile(values, q)` (linear interpolation) of sorted values; q in 0..=100.
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q / 100.0;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (sorted[lo], sorted[hi]);
    if lo == hi || a == b {
        a
    } else {
        a + (h - lo as f64) * (b - a)
    }
}

/// Percentile interval `[lo, hi]` at `level` of the finite resampled values (infinities are
/// kept: a censored threshold can be one). `None` when more than 5 % of the resamples gave no
/// value (NaN: a class without clips, a ranking where every machine ties), as the interval
/// would then describe a different question.
pub fn percentile_interval(values: &[f64], level: f64) -> Option<[f64; 2]> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() || (values.len() - v.len()) as f64 > 0.05 * values.len() as f64 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Some([
        percentile_sorted(&v, 100.0 * alpha),
        percentile_sorted(&v, 100.0 * (1.0 - alpha)),
    ])
}

/// Share of the values that are NaN.
pub fn undefined_share(values: &[f64]) -> f64 {
    values.iter().filter(|x| x.is_nan()).count() as f64 / values.len().max(1) as f64
}

/// A value and its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub ci: Option<[f64; 2]>,
}

impl Estimate {
    pub fn new(value: f64, resampled: &[f64], level: f64) -> Self {
        Self {
            value,
            ci: percentile_interval(resampled, level),
        }
    }

    /// "0.812 [0.701, 0.905]".
    pub fn text(&self, digits: usize) -> String {
        let f = |v: f64| {
            if v.is_nan() {
                "–".to_string()
            } else {
                // No "-0.00": a value that rounds to zero prints as zero.
                let t = format!("{v:.digits$}");
                if t.trim_start_matches('-')
                    .chars()
                    .all(|c| c == '0' || c == '.')
                {
                    t.trim_start_matches('-').to_string()
                } else {
                    t
                }
            }
        };
        match self.ci {
            Some([lo, hi]) => format!("{} [{}, {}]", f(self.value), f(lo), f(hi)),
            None => format!("{} [–]", f(self.value)),
        }
    }
}

/// AUC and pAUC of one comparison with their intervals: `resamples` resamples of each class.
pub fn auc_intervals(
    normals: &[f64],
    anomalies: &[f64],
    max_fpr: f64,
    resamples: usize,
    level: f64,
    seed: u64,
) -> (Estimate, Estimate) {
    let sample = super::RocSample::new(normals, anomalies);
    let (auc, pauc) = sample.areas(max_fpr);
    let (mut w_neg, mut w_pos) = (vec![0u32; normals.len()], vec![0u32; anomalies.len()]);
    let (mut aucs, mut paucs) = (Vec::with_capacity(resamples), Vec::with_capacity(resamples));
    for b in 0..resamples {
        let mut rng = resample_rng(seed, b);
        resample_counts(&mut rng, &mut w_neg);
        resample_counts(&mut rng, &mut w_pos);
        let (a, p) = sample.weighted_areas(&w_neg, &w_pos, max_fpr);
        aucs.push(a);
        paucs.push(p);
    }
    (
        Estimate::new(auc, &aucs, level),
        Estimate::new(pauc, &paucs, level),
    )
}

/// Percentile interval of the resampled values moved by the resamples' bias, `point − mean`,
/// and clipped to `bounds`: for a statistic whose resampled values run systematically off its
/// point value, as a split-half reliability does (a resample with repeated clips is noisier
/// than the data, so its halves agree less). It keeps the resampled spread and contains the
/// point value.
pub fn shifted_interval(
    values: &[f64],
    point: f64,
    level: f64,
    bounds: [f64; 2],
) -> Option<[f64; 2]> {
    let [lo, hi] = percentile_interval(values, level)?;
    let finite: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let shift = point - finite.iter().sum::<f64>() / finite.len() as f64;
    if !shift.is_finite() {
        return None;
    }
    Some([
        (lo + shift).clamp(bounds[0], bounds[1]),
        (hi + shift).clamp(bounds[0], bounds[1]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 97.5]) = [1.075, 3.925]
        let [lo, hi] = percentile_interval(&[4.0, 1.0, 3.0, 2.0], 0.95).unwrap();
        assert!((lo - 1.075).abs() < 1e-12 && (hi - 3.925).abs() < 1e-12);
        assert!(percentile_interval(&[1.0, f64::NAN], 0.95).is_none());
    }

    #[test]
    fn the_shifted_interval_keeps_the_spread_and_centres_on_the_point() {
        let values: Vec<f64> = (0..1001).map(|i| i as f64 / 1000.0 * 0.4).collect();
        let plain = percentile_interval(&values, 0.9).unwrap();
        let moved = shifted_interval(&values, 0.5, 0.9, [-1.0, 1.0]).unwrap();
        assert!(
            (moved[0] - (plain[0] + 0.3)).abs() < 1e-9
                && (moved[1] - (plain[1] + 0.3)).abs() < 1e-9,
            "{plain:?} {moved:?}"
        );
        assert_eq!(
            shifted_interval(&values, 0.95, 0.9, [-1.0, 1.0]).unwrap()[1],
            1.0
        );
    }
}
