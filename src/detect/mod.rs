//! The detector: the DCASE baseline autoencoder, its training, MSE and Mahalanobis scores, and
//! model files.

mod io;
mod mahalanobis;
mod network;
mod team;
mod train;

pub use io::{load_model, save_model, ModelError};
pub use mahalanobis::{invert_spd, Mahalanobis};
pub use network::{mse_loss, Adam, Autoencoder, BatchNorm, Layer, Workspace, BASELINE_DIMS};
pub use team::Team;
pub use train::{default_threads, train, EpochReport, TrainConfig};

use crate::features::FeatureConfig;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// How a clip or window is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ScoreKind {
    Mse,
    Mahalanobis,
}

impl ScoreKind {
    pub const ALL: [ScoreKind; 2] = [ScoreKind::Mse, ScoreKind::Mahalanobis];
    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::Mse => "mse",
            ScoreKind::Mahalanobis => "mahalanobis",
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
    pub features: FeatureConfig,
    pub provenance: Provenance,
}

impl Model {
    /// Scores of a set of feature vectors (one clip or one window): (MSE, Mahalanobis).
    pub fn score(&self, vectors: ArrayView2<f32>) -> (f64, f64) {
        let recon = self.network.forward(vectors);
        let residual: Array2<f32> = &vectors - &recon;
        let mse = residual.iter().map(|v| (*v as f64).powi(2)).sum::<f64>()
            / residual.len().max(1) as f64;
        (mse, self.mahalanobis.score(residual.view()))
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

    pub fn score_kind(&self, vectors: ArrayView2<f32>, kind: ScoreKind) -> f64 {
        let (mse, maha) = self.score(vectors);
        match kind {
            ScoreKind::Mse => mse,
            ScoreKind::Mahalanobis => maha,
        }
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
        network,
        features,
        provenance: Provenance::default(),
    }
}
