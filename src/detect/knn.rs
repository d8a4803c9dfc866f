//! A detector of another family than the autoencoder: k-nearest-neighbour distance between clip
//! embeddings, as ASDKit's kNN backends score (per-domain memory banks, cosine distance, the
//! smaller of the source and target scores — the same "selective" idea as the 2023+ baseline's
//! Mahalanobis). A clip's embedding is the mean and the standard deviation over frames of each
//! log-mel band (2 × 128 numbers): no training loop, so it is fast to fit and says something
//! different from a reconstruction error — a level- and timbre-statistics view of the clip.
//!
//! Embeddings are z-scored with the training embeddings' statistics, then scaled to unit
//! length, so the distance is scikit-learn's `NearestNeighbors(metric="cosine")` distance
//! `1 − cos`; a clip's score in a bank is the mean distance to its `k` nearest training
//! embeddings there, and its anomaly score the smallest over the banks (domains) it has.

use super::Provenance;
use crate::features::FeatureConfig;
use ndarray::{Array2, ArrayView2, Axis};

/// Default neighbours per bank (ASDKit's configurations use 1 for source and target).
pub const DEFAULT_K: usize = 1;

/// A fitted kNN detector.
#[derive(Clone, Debug, PartialEq)]
pub struct Knn {
    pub features: FeatureConfig,
    pub k: usize,
    /// Per-dimension mean and standard deviation of the training embeddings.
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    /// (domain, rows of unit-length standardized training embeddings).
    pub banks: Vec<(String, Array2<f32>)>,
    pub provenance: Provenance,
}

/// A clip's embedding from its stacked log-mel vectors (rows of `frames` frames × `n_mels`,
/// frame-major): every frame once (the first frame of each row, then the last row's rest), then
/// the mean and the population standard deviation of each band over the frames.
pub fn embedding(vectors: ArrayView2<f32>, n_mels: usize) -> Vec<f32> {
    let (rows, dims) = vectors.dim();
    let mut sum = vec![0.0f64; n_mels];
    let mut sq = vec![0.0f64; n_mels];
    let mut n = 0usize;
    let mut add = |frame: &[f32]| {
        for (b, v) in frame.iter().enumerate() {
            sum[b] += f64::from(*v);
            sq[b] += f64::from(*v) * f64::from(*v);
        }
        n += 1;
    };
    for r in 0..rows {
        let row = vectors.row(r);
        let row = row.as_slice().expect("standard layout");
        add(&row[..n_mels]);
        if r + 1 == rows {
            for f in 1..dims / n_mels {
                add(&row[f * n_mels..(f + 1) * n_mels]);
            }
        }
    }
    let n = n.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q / n - m * m).max(0.0).sqrt());
    mean.iter()
        .map(|m| *m as f32)
        .chain(std.map(|s| s as f32))
        .collect()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut()
            .for_each(|x| *x = (f64::from(*x) / norm) as f32);
    }
    v
}

impl Knn {
    /// Fits the detector on training embeddings with their domains ("source", "target", or
    /// "all" when the dataset has none).
    pub fn fit(
        embeddings: &[(String, Vec<f32>)],
        k: usize,
        features: FeatureConfig,
        provenance: Provenance,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(!embeddings.is_empty(), "kNN: no training clips");
        anyhow::ensure!(k >= 1, "kNN: k must be at least 1");
        let dims = embeddings[0].1.len();
        anyhow::ensure!(
            embeddings.iter().all(|(_, e)| e.len() == dims),
            "kNN: embeddings of different lengths"
        );
        let n = embeddings.len() as f64;
        let mut mean = vec![0.0f64; dims];
        for (_, e) in embeddings {
            for (m, v) in mean.iter_mut().zip(e) {
                *m += f64::from(*v) / n;
            }
        }
        let mut var = vec![0.0f64; dims];
        for (_, e) in embeddings {
            for ((s, v), m) in var.iter_mut().zip(e).zip(&mean) {
                *s += (f64::from(*v) - m).powi(2) / n;
            }
        }
        // A constant dimension (std 0) would divide by zero: it carries no information, so it
        // is scaled by 1 and stays constant.
        let std: Vec<f32> = var
            .iter()
            .map(|v| {
                let s = v.sqrt() as f32;
                if s > 1e-12 {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        let mean: Vec<f32> = mean.iter().map(|m| *m as f32).collect();
        let mut domains: Vec<String> = embeddings.iter().map(|(d, _)| d.clone()).collect();
        domains.sort();
        domains.dedup();
        let mut knn = Self {
            features,
            k,
            mean,
            std,
            banks: Vec::new(),
            provenance,
        };
        for d in domains {
            let rows: Vec<Vec<f32>> = embeddings
                .iter()
                .filter(|(x, _)| *x == d)
                .map(|(_, e)| knn.normalized(e))
                .collect();
            let flat: Vec<f32> = rows.concat();
            knn.banks.push((
                d,
                Array2::from_shape_vec((rows.len(), dims), flat).expect("rows of equal length"),
            ));
        }
        Ok(knn)
    }

    /// Standardized, unit-length.
    fn normalized(&self, e: &[f32]) -> Vec<f32> {
        unit(
            e.iter()
                .zip(&self.mean)
                .zip(&self.std)
                .map(|((v, m), s)| (v - m) / s)
                .collect(),
        )
    }

    /// The anomaly score of an embedding: the smallest over the banks of the mean cosine
    /// distance to its `k` nearest training embeddings.
    pub fn score_embedding(&self, e: &[f32]) -> f64 {
        let q = self.normalized(e);
        self.banks
            .iter()
            .map(|(_, bank)| {
                let mut d: Vec<f64> = bank
                    .axis_iter(Axis(0))
                    .map(|row| {
                        1.0 - row
                            .iter()
                            .zip(&q)
                            .map(|(a, b)| f64::from(*a) * f64::from(*b))
                            .sum::<f64>()
                    })
                    .collect();
                let k = self.k.min(d.len());
                d.select_nth_unstable_by(k - 1, f64::total_cmp);
                d[..k].iter().sum::<f64>() / k as f64
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// The anomaly score of a clip from its stacked log-mel vectors.
    pub fn score(&self, vectors: ArrayView2<f32>) -> f64 {
        self.score_embedding(&embedding(vectors, self.features.n_mels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `benches/reference/make_knn_fixture.py`: scikit-learn `StandardScaler` (population std),
    /// row normalisation, `NearestNeighbors(metric="cosine")` per domain, mean of the k
    /// distances, minimum over domains.
    #[test]
    fn scores_match_scikit_learn() {
        let text = include_str!("../../tests/fixtures/knn_reference.json");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let rows = |key: &str| -> Vec<Vec<f32>> {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r.as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap() as f32)
                        .collect()
                })
                .collect()
        };
        let domains: Vec<String> = v["train_domains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect();
        let train: Vec<(String, Vec<f32>)> = domains.into_iter().zip(rows("train")).collect();
        for case in v["cases"].as_array().unwrap() {
            let k = case["k"].as_u64().unwrap() as usize;
            let knn = Knn::fit(&train, k, FeatureConfig::default(), Provenance::default()).unwrap();
            for (q, want) in rows("test").iter().zip(case["scores"].as_array().unwrap()) {
                let got = knn.score_embedding(q);
                let want = want.as_f64().unwrap();
                assert!(
                    (got - want).abs() < 1e-5 * want.abs().max(1e-3),
                    "k {k}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn the_embedding_is_the_mean_and_spread_of_every_frame() {
        // 7 frames of 3 bands, stacked by 5 → 3 rows; frame t band b = t·10 + b.
        let spec: Vec<f32> = (0..7)
            .flat_map(|t| (0..3).map(move |b| (t * 10 + b) as f32))
            .collect();
        let stacked = crate::features::stack(&spec, 3, 5);
        let v = Array2::from_shape_vec((3, 15), stacked).unwrap();
        let e = embedding(v.view(), 3);
        // Band 0 over t = 0..6: mean 30, population sd 20.
        assert_eq!(e.len(), 6);
        assert!((e[0] - 30.0).abs() < 1e-4 && (e[2] - 32.0).abs() < 1e-4);
        assert!((e[3] - 20.0).abs() < 1e-3, "{}", e[3]);
    }

    #[test]
    fn a_far_clip_scores_higher_and_the_nearer_domain_decides() {
        let mut rng = crate::dsp::Rng::new(3);
        let mut clip = |centre: f32| -> Vec<f32> {
            (0..8)
                .map(|i| centre * (i as f32 + 1.0) + rng.range(-0.1, 0.1))
                .collect()
        };
        let mut train = Vec::new();
        for _ in 0..20 {
            train.push(("source".to_string(), clip(1.0)));
            train.push(("target".to_string(), clip(-1.0)));
        }
        let knn = Knn::fit(&train, 2, FeatureConfig::default(), Provenance::default()).unwrap();
        let near_source = knn.score_embedding(&clip(1.0));
        let near_target = knn.score_embedding(&clip(-1.0));
        let odd: Vec<f32> = (0..8)
            .map(|i| if i % 2 == 0 { 3.0 } else { -3.0 })
            .collect();
        assert!(knn.score_embedding(&odd) > 10.0 * near_source.max(near_target));
        assert!(near_source < 0.05 && near_target < 0.05);
    }
}
