//! Training as the baseline: Adam (lr 1e-3), MSE, batch 256, 10 % of the vectors held out for
//! validation, shuffled with a seed.

use super::network::{mse_loss, Adam, Autoencoder};
use crate::dsp::Rng;
use ndarray::{Array2, ArrayView2, Axis};

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub validation_split: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { epochs: 100, batch_size: 256, learning_rate: 1e-3, validation_split: 0.1, seed: 0 }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct EpochReport {
    pub epoch: usize,
    pub loss: f32,
    pub val_loss: f32,
}

fn shuffled(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        idx.swap(i, rng.below(i + 1));
    }
    idx
}

/// Mean eval-mode reconstruction loss, in chunks so memory stays flat.
pub fn eval_loss(model: &Autoencoder, x: ArrayView2<f32>) -> f32 {
    if x.nrows() == 0 {
        return f32::NAN;
    }
    let mut total = 0.0f64;
    for chunk in x.axis_chunks_iter(Axis(0), 4096) {
        let out = model.forward(chunk);
        total += mse_loss(&out, chunk).0 as f64 * chunk.nrows() as f64;
    }
    (total / x.nrows() as f64) as f32
}

/// Trains `model` on `data` (rows = vectors); calls `on_epoch` after each epoch.
pub fn train(model: &mut Autoencoder, data: ArrayView2<f32>, cfg: &TrainConfig, mut on_epoch: impl FnMut(EpochReport)) -> Vec<EpochReport> {
    let mut rng = Rng::new(cfg.seed);
    let order = shuffled(data.nrows(), &mut rng);
    let n_val = ((data.nrows() as f32 * cfg.validation_split) as usize).min(data.nrows().saturating_sub(2));
    let val = data.select(Axis(0), &order[..n_val]);
    let train_idx = &order[n_val..];
    let mut adam = Adam::new(model, cfg.learning_rate);
    let mut batch = Array2::<f32>::zeros((cfg.batch_size, data.ncols()));
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let order = shuffled(train_idx.len(), &mut rng);
        let (mut total, mut count) = (0.0f64, 0usize);
        for chunk in order.chunks(cfg.batch_size) {
            // Batch norm needs two rows for a variance: a last batch of one is skipped.
            if chunk.len() < 2 {
                continue;
            }
            let mut b = batch.slice_mut(ndarray::s![..chunk.len(), ..]);
            for (row, &k) in b.rows_mut().into_iter().zip(chunk) {
                let mut row = row;
                row.assign(&data.row(train_idx[k]));
            }
            let b = batch.slice(ndarray::s![..chunk.len(), ..]);
            let (out, cache) = model.forward_train(b);
            let (loss, grad) = mse_loss(&out, b);
            let grads = model.backward(&cache, grad);
            adam.step(model, &grads);
            total += loss as f64 * chunk.len() as f64;
            count += chunk.len();
        }
        let report = EpochReport { epoch: epoch + 1, loss: (total / count.max(1) as f64) as f32, val_loss: eval_loss(model, val.view()) };
        on_epoch(report);
        history.push(report);
    }
    history
}
