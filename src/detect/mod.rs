//! The detector: the DCASE baseline autoencoder, its training, MSE and Mahalanobis scores, and
//! model files.

mod io;
pub mod knn;
mod mahalanobis;
mod network;
mod team;
mod train;

pub use io::{load_detectors, load_knn, load_model, save_knn, save_model, ModelError};
pub use mahalanobis::{invert_spd, Mahalanobis};
pub use network::{mse_loss, Adam, Autoencoder, BatchNorm, Layer, Workspace, BASELINE_DIMS};
pub use team::Team;
pub use train::{default_threads, train, EpochReport, TrainConfig};

use crate::features::FeatureConfig;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// How a clip or window is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// The autoencoder's reconstruction error.
    Mse,
    /// The autoencoder's residual, Mahalanobis distance.
    Mahalanobis,
    /// The DCASE 2023+ baseline's selective Mahalanobis: residual covariances per domain
    /// (source, target), the smaller of the two distances.
    SelectiveMahalanobis,
    /// The kNN detector's distance (`knn.rs`).
    Knn,
    /// Another system's score, read from its DCASE score files (`evaluate --scores`).
    External,
}

impl ScoreKind {
    pub const COUNT: usize = 5;
    pub const ALL: [ScoreKind; Self::COUNT] = [
        ScoreKind::Mse,
        ScoreKind::Mahalanobis,
        ScoreKind::SelectiveMahalanobis,
        ScoreKind::Knn,
        ScoreKind::External,
    ];
    /// The autoencoder's scores: what the live engine, the monitor and the plugin compute.
    pub const LIVE: [ScoreKind; 2] = [ScoreKind::Mse, ScoreKind::Mahalanobis];

    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::Mse => "mse",
            ScoreKind::Mahalanobis => "mahalanobis",
            ScoreKind::SelectiveMahalanobis => "selective_mahalanobis",
            ScoreKind::Knn => "knn",
            ScoreKind::External => "external",
        }
    }

    /// The detector that gives this score: `ae` or `knn`.
    pub fn detector(self) -> Detector {
        match self {
            ScoreKind::Mse | ScoreKind::Mahalanobis | ScoreKind::SelectiveMahalanobis => {
                Detector::Ae
            }
            ScoreKind::Knn => Detector::Knn,
            ScoreKind::External => Detector::External,
        }
    }
}

/// A detector family (`--detector`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Detector {
    /// The DCASE baseline autoencoder (MSE and Mahalanobis scores).
    Ae,
    /// k-nearest-neighbour distance on clip embeddings (mean and spread of log-mel bands).
    Knn,
    /// Another system, through its score files (`evaluate --scores`; not a `--detector`).
    #[value(skip)]
    External,
}

impl Detector {
    pub fn name(self) -> &'static str {
        match self {
            Detector::Ae => "ae",
            Detector::Knn => "knn",
            Detector::External => "external",
        }
    }

    /// The scores this detector gives.
    pub fn kinds(self) -> &'static [ScoreKind] {
        match self {
            Detector::Ae => &[
                ScoreKind::Mse,
                ScoreKind::Mahalanobis,
                ScoreKind::SelectiveMahalanobis,
            ],
            Detector::Knn => &[ScoreKind::Knn],
            Detector::External => &[ScoreKind::External],
        }
    }
}

/// Where a model came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub trained_on: Vec<String>,
    pub clips: usize,
    pub vectors: usize,
    pub epochs: usize,
    pub seed: u64,
    pub final_loss: f32,
    pub final_val_loss: f32,
    pub created: String,
    /// Wall time of the training loop (epochs and validation; not features or statistics).
    #[serde(default)]
    pub train_seconds: f32,
    #[serde(default)]
    pub threads: usize,
}

/// A trained detector: network, residual statistics, the feature settings it expects.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub network: Autoencoder,
    pub mahalanobis: Mahalanobis,
    /// Per domain (`source`, `target`): the residual statistics of that domain's training clips,
    /// for the selective Mahalanobis score; empty when the training data has one domain (the
    /// score would equal `mahalanobis`) or the file predates it.
    pub selective: Vec<(String, Mahalanobis)>,
    pub features: FeatureConfig,
    pub provenance: Provenance,
}

impl Model {
    /// Scores of a set of feature vectors (one clip or one window): (MSE, Mahalanobis).
    pub fn score(&self, vectors: ArrayView2<f32>) -> (f64, f64) {
        let [mse, maha, _] = self.all_scores(vectors);
        (mse, maha)
    }

    /// MSE, pooled Mahalanobis and selective Mahalanobis (NaN without per-domain statistics)
    /// of a set of feature vectors, from one forward pass.
    pub fn all_scores(&self, vectors: ArrayView2<f32>) -> [f64; 3] {
        let residual: Array2<f32> = &vectors - &self.network.forward(vectors);
        let mse = residual.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>()
            / residual.len().max(1) as f64;
        let selective = if self.selective.is_empty() {
            f64::NAN
        } else {
            self.selective
                .iter()
                .map(|(_, m)| m.score(residual.view()))
                .fold(f64::INFINITY, f64::min)
        };
        [mse, self.mahalanobis.score(residual.view()), selective]
    }

    /// Scores of each vector on its own, (MSE, Mahalanobis) per row. A set's score is the mean
    /// of its rows' scores, so streaming code scores each vector once and averages per window.
    pub fn score_rows(&self, vectors: ArrayView2<f32>) -> Vec<(f64, f64)> {
        let recon = self.network.forward(vectors);
        let residual: Array2<f32> = &vectors - &recon;
        let maha = self.mahalanobis.score_rows(residual.view());
        residual
            .rows()
            .into_iter()
            .zip(maha)
            .map(|(r, m)| {
                (
                    r.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / r.len().max(1) as f64,
                    m,
                )
            })
            .collect()
    }

    /// One of the autoencoder's scores (NaN for another detector's kind).
    pub fn score_kind(&self, vectors: ArrayView2<f32>, kind: ScoreKind) -> f64 {
        let [mse, maha, selective] = self.all_scores(vectors);
        match kind {
            ScoreKind::Mse => mse,
            ScoreKind::Mahalanobis => maha,
            ScoreKind::SelectiveMahalanobis => selective,
            ScoreKind::Knn | ScoreKind::External => f64::NAN,
        }
    }

    /// The selective Mahalanobis score: the smallest over the domains of the mean δᵀΣ_d⁻¹δ
    /// (NaN without per-domain statistics).
    pub fn selective_score(&self, vectors: ArrayView2<f32>) -> f64 {
        self.all_scores(vectors)[2]
    }

    /// Fits the per-domain residual statistics from each domain's training vectors; a domain
    /// with fewer residual blocks than twice the block length is left out (its covariance
    /// would be mostly ridge). Fewer than two domains leave `selective` empty.
    pub fn fit_selective(&mut self, per_domain: &[(String, ArrayView2<f32>)]) {
        let k = self.mahalanobis.block_len();
        let mut out = Vec::new();
        for (domain, data) in per_domain {
            if data.len() / k < 2 * k {
                continue;
            }
            let mut residuals = Array2::<f32>::zeros(data.dim());
            for (chunk, mut r) in data
                .axis_chunks_iter(Axis(0), 4096)
                .zip(residuals.axis_chunks_iter_mut(Axis(0), 4096))
            {
                r.assign(&(&chunk - &self.network.forward(chunk)));
            }
            out.push((domain.clone(), Mahalanobis::fit(residuals.view(), k)));
        }
        self.selective = if out.len() >= 2 { out } else { Vec::new() };
    }
}

/// The detectors an evaluation runs on the same features: the autoencoder, the kNN, or both.
#[derive(Clone, Debug, Default)]
pub struct Detectors {
    pub ae: Option<Model>,
    pub knn: Option<knn::Knn>,
}

impl Detectors {
    /// The score kinds these detectors give, in `ScoreKind::ALL` order.
    pub fn kinds(&self) -> Vec<ScoreKind> {
        ScoreKind::ALL
            .into_iter()
            .filter(|k| match k {
                ScoreKind::SelectiveMahalanobis => {
                    self.ae.as_ref().is_some_and(|m| !m.selective.is_empty())
                }
                _ => match k.detector() {
                    Detector::Ae => self.ae.is_some(),
                    Detector::Knn => self.knn.is_some(),
                    Detector::External => false,
                },
            })
            .collect()
    }

    /// The feature settings (every detector here was made with the same).
    pub fn features(&self) -> &FeatureConfig {
        match (&self.ae, &self.knn) {
            (Some(m), _) => &m.features,
            (None, Some(k)) => &k.features,
            (None, None) => panic!("Detectors with no detector"),
        }
    }

    /// Every score of one clip's vectors, indexed by `ScoreKind as usize` (NaN where the
    /// detector is absent).
    pub fn score(&self, vectors: ArrayView2<f32>) -> [f64; ScoreKind::COUNT] {
        let mut out = [f64::NAN; ScoreKind::COUNT];
        if let Some(m) = &self.ae {
            let [mse, maha, selective] = m.all_scores(vectors);
            out[ScoreKind::Mse as usize] = mse;
            out[ScoreKind::Mahalanobis as usize] = maha;
            out[ScoreKind::SelectiveMahalanobis as usize] = selective;
        }
        if let Some(k) = &self.knn {
            out[ScoreKind::Knn as usize] = k.score(vectors);
        }
        out
    }
}

/// Trains a baseline autoencoder on `data` (rows = feature vectors) and fits the Mahalanobis
/// statistics of its training residuals: the one way a model is made, offline or live.
pub fn fit_model(
    data: ArrayView2<f32>,
    features: FeatureConfig,
    cfg: &TrainConfig,
    trained_on: Vec<String>,
    clips: usize,
    on_epoch: impl FnMut(EpochReport),
) -> Model {
    let mut network = Autoencoder::new(&BASELINE_DIMS, cfg.seed);
    let started = std::time::Instant::now();
    let history = train(&mut network, data, cfg, on_epoch);
    let train_seconds = started.elapsed().as_secs_f32();
    // Residual statistics of the training data, in eval mode, for the Mahalanobis score.
    let mut residuals = Array2::<f32>::zeros(data.dim());
    for (chunk, mut out) in data
        .axis_chunks_iter(Axis(0), 4096)
        .zip(residuals.axis_chunks_iter_mut(Axis(0), 4096))
    {
        out.assign(&(&chunk - &network.forward(chunk)));
    }
    let mahalanobis = Mahalanobis::fit(residuals.view(), features.n_mels);
    let last = history.last().copied();
    let provenance = Provenance {
        trained_on,
        clips,
        vectors: data.nrows(),
        epochs: cfg.epochs,
        seed: cfg.seed,
        final_loss: last.map_or(f32::NAN, |h| h.loss),
        final_val_loss: last.map_or(f32::NAN, |h| h.val_loss),
        created: crate::plan::now_rfc3339(),
        train_seconds,
        threads: cfg.threads,
    };
    Model {
        network,
        mahalanobis,
        selective: Vec::new(),
        features,
        provenance,
    }
}

/// An untrained but well-defined model (random weights, residual statistics of `audio` at
/// 16 kHz): deterministic scores for tests and benchmarks that need a model but not a good one.
pub fn untrained_model(audio: &[f32], seed: u64) -> Model {
    let network = Autoencoder::new(&BASELINE_DIMS, seed);
    let features = FeatureConfig::default();
    let v = crate::features::LogMel::new(features.clone()).vectors(audio);
    let data = Array2::from_shape_vec((v.len() / features.dims(), features.dims()), v)
        .expect("whole vectors");
    let residual = &data - &network.forward(data.view());
    Model {
        mahalanobis: Mahalanobis::fit(residual.view(), features.n_mels),
        selective: Vec::new(),
        network,
        features,
        provenance: Provenance::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selective_mahalanobis_is_the_nearer_domains_distance() {
        let mut rng = crate::dsp::Rng::new(5);
        let audio: Vec<f32> = (0..16_000 * 6).map(|_| rng.gaussian() * 0.1).collect();
        let mut model = untrained_model(&audio, 3);
        let v = {
            let mut lm = crate::features::LogMel::new(model.features.clone());
            let x = lm.vectors(&audio);
            Array2::from_shape_vec((x.len() / 640, 640), x).unwrap()
        };
        // A quiet source domain and a target domain 20 dB louder (log-mel + 20).
        let loud = &v + 20.0;
        model.fit_selective(&[("source".into(), v.view()), ("target".into(), loud.view())]);
        assert_eq!(model.selective.len(), 2);
        let residual = |x: &Array2<f32>| x - &model.network.forward(x.view());
        // Each domain's statistics are the baseline's fit on that domain's residuals alone.
        assert_eq!(
            model.selective[0].1,
            Mahalanobis::fit(residual(&v).view(), 128)
        );
        assert_eq!(
            model.selective[1].1,
            Mahalanobis::fit(residual(&loud).view(), 128)
        );
        for clip in [&v, &loud] {
            let r = residual(clip);
            let per: Vec<f64> = model
                .selective
                .iter()
                .map(|(_, m)| m.score(r.view()))
                .collect();
            let s = model.selective_score(clip.view());
            assert_eq!(s, per[0].min(per[1]));
            assert!(per[0] != per[1] && s.is_finite(), "{per:?}");
            let d = Detectors {
                ae: Some(model.clone()),
                knn: None,
            };
            assert_eq!(
                d.score(clip.view())[ScoreKind::SelectiveMahalanobis as usize],
                s
            );
            assert_eq!(
                d.score(clip.view())[ScoreKind::Mahalanobis as usize],
                model.score(clip.view()).1
            );
            assert_eq!(
                d.score(clip.view())[ScoreKind::Mse as usize],
                model.score(clip.view()).0
            );
        }
        assert!(Detectors {
            ae: Some(model.clone()),
            knn: None
        }
        .kinds()
        .contains(&ScoreKind::SelectiveMahalanobis));
        // One domain: no selective score (it would equal the pooled one).
        model.fit_selective(&[("source".into(), v.view())]);
        assert!(model.selective.is_empty());
        assert!(model.selective_score(v.view()).is_nan());
        assert_eq!(
            Detectors {
                ae: Some(model),
                knn: None
            }
            .kinds(),
            vec![ScoreKind::Mse, ScoreKind::Mahalanobis]
        );
    }
}
