//! Detection metrics as scikit-learn and SciPy compute them: ROC, AUC (ties count half), pAUC
//! with McClish standardisation (`roc_auc_score(max_fpr=…)`), rankings, Spearman ρ, Kendall τ-b,
//! and seeded bootstrap intervals (`bootstrap.rs`).
//!
//! AUC and pAUC come from integer counts: a [`RocSample`] sorts the scores once into tie groups,
//! and any multiplicity of the clips (all ones, a bootstrap resample, a split half) is walked in
//! one pass. The AUC is the Mann–Whitney count `Σ dn·(2·tp + dp)` over `2·N·P`, an exact integer
//! ratio, so two inputs with the same counts give bit-identical values (131/144 and 262/288 are
//! the same `f64`), and the order the clips come in cannot change a digit.

pub mod bootstrap;
pub mod dcase;

/// Scores of one normal-versus-anomalous comparison, sorted once (highest score first) and cut
/// into tie groups, so that AUC and pAUC of any weighting of the clips cost one pass.
#[derive(Clone, Debug)]
pub struct RocSample {
    /// (index within its class, anomalous), highest score first.
    order: Vec<(u32, bool)>,
    /// Exclusive end of each tie group in `order`.
    group_ends: Vec<u32>,
    n_neg: usize,
    n_pos: usize,
}

impl RocSample {
    pub fn new(normals: &[f64], anomalies: &[f64]) -> Self {
        let mut all: Vec<(f64, u32, bool)> = normals
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i as u32, false))
            .chain(
                anomalies
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| (s, i as u32, true)),
            )
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut group_ends = Vec::new();
        for k in 0..all.len() {
            if all.get(k + 1).is_none_or(|next| next.0 != all[k].0) {
                group_ends.push(k as u32 + 1);
            }
        }
        Self {
            order: all.iter().map(|&(_, i, p)| (i, p)).collect(),
            group_ends,
            n_neg: normals.len(),
            n_pos: anomalies.len(),
        }
    }

    /// From labels (true = anomalous) and scores, as scikit-learn takes them.
    pub fn from_labels(labels: &[bool], scores: &[f64]) -> Self {
        let pick = |want: bool| -> Vec<f64> {
            labels
                .iter()
                .zip(scores)
                .filter(|(l, _)| **l == want)
                .map(|(_, s)| *s)
                .collect()
        };
        Self::new(&pick(false), &pick(true))
    }

    pub fn normals(&self) -> usize {
        self.n_neg
    }

    pub fn anomalies(&self) -> usize {
        self.n_pos
    }

    /// (AUC, pAUC up to `max_fpr`) with every clip counted once.
    pub fn areas(&self, max_fpr: f64) -> (f64, f64) {
        self.walk(|_| 1, |_| 1, max_fpr)
    }

    /// (AUC, pAUC) with clip `i` of each class counted `w_neg[i]` / `w_pos[i]` times (a
    /// bootstrap resample, or 0/1 for a subset). NaN where a class has no weight.
    pub fn weighted_areas(&self, w_neg: &[u32], w_pos: &[u32], max_fpr: f64) -> (f64, f64) {
        debug_assert!(w_neg.len() == self.n_neg && w_pos.len() == self.n_pos);
        self.walk(|i| w_neg[i], |i| w_pos[i], max_fpr)
    }

    #[inline]
    fn walk(
        &self,
        w_neg: impl Fn(usize) -> u32,
        w_pos: impl Fn(usize) -> u32,
        max_fpr: f64,
    ) -> (f64, f64) {
        let (mut neg, mut pos) = (0u64, 0u64);
        for &(i, p) in &self.order {
            if p {
                pos += w_pos(i as usize) as u64;
            } else {
                neg += w_neg(i as usize) as u64;
            }
        }
        if neg == 0 || pos == 0 {
            return (f64::NAN, f64::NAN);
        }
        let (nf, pf) = (neg as f64, pos as f64);
        // Twice the area in count² units; integers while the walk is below max_fpr.
        let (mut fp, mut tp, mut u2, mut part2) = (0u64, 0u64, 0u128, 0u128);
        let mut partial = None::<f64>;
        let mut start = 0usize;
        for &end in &self.group_ends {
            let (mut dn, mut dp) = (0u64, 0u64);
            for &(i, p) in &self.order[start..end as usize] {
                if p {
                    dp += w_pos(i as usize) as u64;
                } else {
                    dn += w_neg(i as usize) as u64;
                }
            }
            start = end as usize;
            let step = dn as u128 * (2 * tp + dp) as u128;
            u2 += step;
            if partial.is_none() {
                if (fp + dn) as f64 / nf <= max_fpr {
                    part2 += step;
                } else {
                    // The segment that crosses max_fpr, interpolated as scikit-learn does.
                    let w = max_fpr * nf - fp as f64;
                    partial =
                        Some(part2 as f64 + w * (2.0 * tp as f64 + dp as f64 * w / dn as f64));
                }
            }
            fp += dn;
            tp += dp;
        }
        let denom = 2.0 * nf * pf;
        let auc = u2 as f64 / denom;
        let area = partial.unwrap_or(part2 as f64) / denom;
        let (min_area, max_area) = (0.5 * max_fpr * max_fpr, max_fpr);
        (auc, 0.5 * (1.0 + (area - min_area) / (max_area - min_area)))
    }
}

/// ROC points (fpr, tpr) at every distinct threshold, from (0, 0) to (1, 1), as
/// `sklearn.metrics.roc_curve(drop_intermediate=False)`. `labels[i]` true = anomalous.
pub fn roc_curve(labels: &[bool], scores: &[f64]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let neg = labels.len() as f64 - pos;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0)];
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order.get(k + 1).is_none_or(|&j| scores[j] != scores[i]);
        if last_of_tie {
            points.push((
                if neg > 0.0 { fp / neg } else { f64::NAN },
                if pos > 0.0 { tp / pos } else { f64::NAN },
            ));
        }
    }
    points
}

/// Area under the ROC curve (Mann–Whitney, ties count ½); NaN without both classes.
pub fn auc(labels: &[bool], scores: &[f64]) -> f64 {
    RocSample::from_labels(labels, scores).areas(0.1).0
}

/// Partial AUC up to `max_fpr`, McClish-standardised to 0.5 (chance) … 1 (perfect).
pub fn pauc(labels: &[bool], scores: &[f64], max_fpr: f64) -> f64 {
    RocSample::from_labels(labels, scores).areas(max_fpr).1
}

/// Average ranks (1-based, ties share the mean rank), as `scipy.stats.rankdata`.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    ranks_into(values, &mut out);
    out
}

/// [`ranks`] into a caller's buffer, without allocating (O(n²): for rankings of a few machines
/// inside a bootstrap loop).
pub fn ranks_into(values: &[f64], out: &mut [f64]) {
    for (i, &v) in values.iter().enumerate() {
        let (mut below, mut equal) = (0usize, 0usize);
        for &w in values {
            if w < v {
                below += 1;
            } else if w == v {
                equal += 1;
            }
        }
        out[i] = below as f64 + (equal as f64 + 1.0) / 2.0;
    }
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Spearman's ρ (Pearson correlation of average ranks), as `scipy.stats.spearmanr`; NaN when
/// either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Most machines a ranking inside a bootstrap loop may have ([`spearman_small`]).
pub const MAX_RANKED: usize = 64;

/// [`spearman`] on the stack, for at most [`MAX_RANKED`] entries.
pub fn spearman_small(a: &[f64], b: &[f64]) -> f64 {
    assert!(
        a.len() <= MAX_RANKED && a.len() == b.len(),
        "spearman_small: {} entries",
        a.len()
    );
    let (mut ra, mut rb) = ([0.0; MAX_RANKED], [0.0; MAX_RANKED]);
    ranks_into(a, &mut ra[..a.len()]);
    ranks_into(b, &mut rb[..b.len()]);
    pearson(&ra[..a.len()], &rb[..b.len()])
}

/// Kendall's τ-b, as `scipy.stats.kendalltau`.
pub fn kendall(a: &[f64], b: &[f64]) -> f64 {
    let (mut concordant, mut discordant, mut ties_a, mut ties_b) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            let (da, db) = (a[i] - a[j], b[i] - b[j]);
            if da == 0.0 && db == 0.0 {
                continue;
            } else if da == 0.0 {
                ties_a += 1.0;
            } else if db == 0.0 {
                ties_b += 1.0;
            } else if (da > 0.0) == (db > 0.0) {
                concordant += 1.0;
            } else {
                discordant += 1.0;
            }
        }
    }
    (concordant - discordant)
        / ((concordant + discordant + ties_a) * (concordant + discordant + ties_b)).sqrt()
}

/// Rank of each entry by value, 1 = highest (the easiest machine to detect on).
pub fn rank_descending(values: &[f64]) -> Vec<f64> {
    ranks(&values.iter().map(|v| -v).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests;
