//! Training as the baseline: Adam (lr 1e-3), MSE, batch 256, 10 % of the vectors held out for
//! validation, shuffled with a seed.
//!
//! With several threads every batch is split by rows: each member runs the forward and backward
//! pass on its share (batch norm's statistics summed over the team, so the maths is the one-thread
//! maths). Every member keeps its own replica of the network and of Adam's moments and applies
//! the same summed gradients in the same order, so the replicas stay bit-identical and no
//! parameter is written by one core while another reads it. A given seed and thread count always
//! give the same model.

use super::network::{mse_loss, Adam, Autoencoder, Workspace};
use super::team::Team;
use crate::dsp::Rng;
use ndarray::{ArrayView2, Axis};
use std::sync::RwLock;

#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub validation_split: f32,
    pub seed: u64,
    /// Threads that share each batch (1: the calling thread alone).
    pub threads: usize,
    /// The channel features are taken from; `None`: the dataset's default (MIMII: 0, else the
    /// mean).
    pub channel: Option<crate::features::Channel>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 256,
            learning_rate: 1e-3,
            validation_split: 0.1,
            seed: 0,
            threads: default_threads(),
            channel: None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct EpochReport {
    pub epoch: usize,
    pub loss: f32,
    pub val_loss: f32,
}

/// Every core: training is the one job running when it runs (the live engine asks for 1).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
pub fn train(
    model: &mut Autoencoder,
    data: ArrayView2<f32>,
    cfg: &TrainConfig,
    mut on_epoch: impl FnMut(EpochReport),
) -> Vec<EpochReport> {
    let mut rng = Rng::new(cfg.seed);
    let order = shuffled(data.nrows(), &mut rng);
    let n_val =
        ((data.nrows() as f32 * cfg.validation_split) as usize).min(data.nrows().saturating_sub(2));
    let val = data.select(Axis(0), &order[..n_val]);
    let members = cfg.threads.clamp(1, (cfg.batch_size / 2).max(1));
    let shared = Shared {
        data,
        train_idx: &order[n_val..],
        batch_size: cfg.batch_size,
        // Each epoch's batch order, drawn up front so every member walks the same batches.
        epoch_orders: (0..cfg.epochs)
            .map(|_| shuffled(order.len() - n_val, &mut rng))
            .collect(),
        team: Team::new(members),
        workspaces: (0..members)
            .map(|_| RwLock::new(Workspace::new(model, cfg.batch_size.div_ceil(members))))
            .collect(),
    };
    let mut history = Vec::with_capacity(cfg.epochs);
    std::thread::scope(|scope| {
        for member in 1..members {
            let (shared, mut replica) = (&shared, model.clone());
            scope.spawn(move || {
                shared.run_member(member, &mut replica, cfg.learning_rate, |_, _, _| {})
            });
        }
        shared.run_member(0, model, cfg.learning_rate, |epoch, net, loss| {
            let report = EpochReport {
                epoch: epoch + 1,
                loss,
                val_loss: eval_loss(net, val.view()),
            };
            on_epoch(report);
            history.push(report);
        });
    });
    history
}

/// What the members of a training team share.
struct Shared<'a> {
    data: ArrayView2<'a, f32>,
    train_idx: &'a [usize],
    batch_size: usize,
    epoch_orders: Vec<Vec<usize>>,
    team: Team,
    workspaces: Vec<RwLock<Workspace>>,
}

impl Shared<'_> {
    /// One member's whole training run on its replica `net`; `epoch_end` gets the epoch index,
    /// the network and the epoch's mean training loss.
    fn run_member(
        &self,
        member: usize,
        net: &mut Autoencoder,
        learning_rate: f32,
        mut epoch_end: impl FnMut(usize, &Autoencoder, f32),
    ) {
        let (team, members) = (&self.team, self.workspaces.len());
        let mut adam = Adam::new(net, learning_rate);
        let mut grads = self.workspaces[member]
            .read()
            .expect("no member panicked")
            .grads()
            .clone();
        for (epoch, order) in self.epoch_orders.iter().enumerate() {
            let (mut sse, mut count) = (0.0f64, 0usize);
            for chunk in batches(order, self.batch_size) {
                let rows = member_rows(chunk.len(), members, member);
                {
                    let mut ws = self.workspaces[member].write().expect("no member panicked");
                    for (mut row, &k) in ws
                        .input_mut()
                        .rows_mut()
                        .into_iter()
                        .zip(&chunk[rows.clone()])
                    {
                        row.assign(&self.data.row(self.train_idx[k]));
                    }
                    net.forward_train(&mut ws, rows.len(), team, member);
                    ws.mse_gradient(rows.len(), chunk.len());
                    net.backward(&mut ws, rows.len(), team, member);
                }
                team.wait(); // every share of the gradients is ready
                for (i, ws) in self.workspaces.iter().enumerate() {
                    let ws = ws.read().expect("no member panicked");
                    if i == 0 {
                        grads
                            .iter_mut()
                            .zip(ws.grads())
                            .for_each(|(g, w)| g.copy_from_slice(w));
                    } else {
                        grads
                            .iter_mut()
                            .zip(ws.grads())
                            .for_each(|(g, w)| g.iter_mut().zip(w).for_each(|(a, b)| *a += b));
                    }
                    sse += ws.last_sse();
                }
                team.wait(); // everyone has read them: workspaces free for the next batch
                net.update_running_stats(
                    &self.workspaces[member].read().expect("no member panicked"),
                );
                adam.step(net, &grads);
                count += chunk.len();
            }
            epoch_end(
                epoch,
                net,
                (sse / (count.max(1) * self.data.ncols()) as f64) as f32,
            );
        }
    }
}

/// An epoch's batches. Batch norm needs two rows for a variance: a last batch of one is skipped.
fn batches(order: &[usize], size: usize) -> impl Iterator<Item = &[usize]> {
    order.chunks(size).filter(|c| c.len() >= 2)
}

/// The rows of a batch of `len` that `member` of `members` takes: contiguous, near-equal shares.
fn member_rows(len: usize, members: usize, member: usize) -> std::ops::Range<usize> {
    len * member / members..len * (member + 1) / members
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BASELINE_DIMS;
    use ndarray::Array2;

    fn data() -> Array2<f32> {
        let mut rng = Rng::new(4);
        Array2::from_shape_fn((1100, 640), |(i, j)| {
            ((i % 7) as f32 * 0.3 + j as f32 * 0.01).sin() + 0.1 * rng.bipolar()
        })
    }

    fn trained(threads: usize, learning_rate: f32) -> (Autoencoder, Vec<EpochReport>) {
        let x = data();
        let mut net = Autoencoder::new(&BASELINE_DIMS, 1);
        let cfg = TrainConfig {
            epochs: 3,
            threads,
            learning_rate,
            ..TrainConfig::default()
        };
        let history = train(&mut net, x.view(), &cfg, |_| {});
        (net, history)
    }

    /// `train` with teams (1100 vectors: a last batch of 58 rows, split unevenly over three
    /// members) sees the same batches and rows and reports the same losses as one thread. At a
    /// normal learning rate Adam turns rounding-level differences into steps of the learning
    /// rate, so the runs drift apart; at 1e-7 they cannot, and a missing or doubled row (a
    /// 1/256 change), or batch statistics over a share only, would show.
    #[test]
    fn a_team_sees_the_batches_one_thread_sees() {
        let (one, h1) = trained(1, 1e-7);
        for threads in [2, 3] {
            let (team, h) = trained(threads, 1e-7);
            for (a, b) in h1.iter().zip(&h) {
                assert!(
                    (a.loss / b.loss - 1.0).abs() < 1e-5
                        && (a.val_loss / b.val_loss - 1.0).abs() < 1e-5,
                    "{threads} threads: {a:?} vs {b:?}"
                );
            }
            assert_eq!(team.batches_tracked, one.batches_tracked);
        }
    }

    #[test]
    fn a_team_lowers_the_loss() {
        let (_, h) = trained(2, 1e-3);
        assert!(h[2].loss < 0.8 * h[0].loss, "{h:?}");
    }
}
