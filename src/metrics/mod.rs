//! Detection metrics as scikit-learn and SciPy compute them: ROC, AUC (ties count half), pAUC
//! with McClish standardisation (`roc_auc_score(max_fpr=…)`), rankings, Spearman ρ, Kendall τ-b.

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
            points.push((if neg > 0.0 { fp / neg } else { f64::NAN }, if pos > 0.0 { tp / pos } else { f64::NAN }));
        }
    }
    points
}

fn trapezoid(points: &[(f64, f64)]) -> f64 {
    points.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum()
}

/// Area under the ROC curve; NaN without both classes.
pub fn auc(labels: &[bool], scores: &[f64]) -> f64 {
    trapezoid(&roc_curve(labels, scores))
}

/// Partial AUC up to `max_fpr`, McClish-standardised to 0.5 (chance) … 1 (perfect).
pub fn pauc(labels: &[bool], scores: &[f64], max_fpr: f64) -> f64 {
    let roc = roc_curve(labels, scores);
    let stop = roc.partition_point(|p| p.0 <= max_fpr);
    let mut part: Vec<(f64, f64)> = roc[..stop].to_vec();
    if stop < roc.len() {
        let (a, b) = (roc[stop - 1], roc[stop]);
        let t = (max_fpr - a.0) / (b.0 - a.0);
        part.push((max_fpr, a.1 + t * (b.1 - a.1)));
    }
    let area = trapezoid(&part);
    let (min_area, max_area) = (0.5 * max_fpr * max_fpr, max_fpr);
    0.5 * (1.0 + (area - min_area) / (max_area - min_area))
}

/// Average ranks (1-based, ties share the mean rank), as `scipy.stats.rankdata`.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            out[order[k]] = r;
        }
        i = j + 1;
    }
    out
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Spearman's ρ (Pearson correlation of average ranks), as `scipy.stats.spearmanr`.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
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
    (concordant - discordant) / ((concordant + discordant + ties_a) * (concordant + discordant + ties_b)).sqrt()
}

/// Rank of each entry by value, 1 = highest (the easiest machine to detect on).
pub fn rank_descending(values: &[f64]) -> Vec<f64> {
    ranks(&values.iter().map(|v| -v).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests;
