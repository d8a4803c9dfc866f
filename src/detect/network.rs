//! The DCASE task 2 baseline autoencoder on ndarray, with its own backward pass.
//!
//! Dense 640-128-128-128-128-8-128-128-128-128-640; every hidden Linear is followed by
//! BatchNorm1d (momentum 0.01, eps 1e-3, as the baseline) and ReLU; the output Linear is plain.
//! Rows are examples: a Linear is `x·W + b` with W stored in × out (PyTorch stores out × in;
//! `io.rs` transposes).

use super::team::Team;
use crate::dsp::Rng;
use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut2, Zip};

pub const BASELINE_DIMS: [usize; 11] = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640];
pub const BN_MOMENTUM: f32 = 0.01;
pub const BN_EPS: f32 = 1e-3;
/// Adam's moment decay rates (PyTorch's defaults).
const B1: f32 = 0.9;
const B2: f32 = 0.999;

#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm {
    pub gamma: Array1<f32>,
    pub beta: Array1<f32>,
    pub running_mean: Array1<f32>,
    pub running_var: Array1<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub w: Array2<f32>,
    pub b: Array1<f32>,
    pub bn: Option<BatchNorm>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Autoencoder {
    pub layers: Vec<Layer>,
    pub batches_tracked: i64,
}

/// Gradients, shaped like the parameters, in `Autoencoder::params` order.
pub type Grads = Vec<Vec<f32>>;

impl Autoencoder {
    /// PyTorch's default initialisation: weights and biases uniform in ±1/√fan_in.
    pub fn new(dims: &[usize], seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let n = dims.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let (fan_in, fan_out) = (dims[i], dims[i + 1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let w = Array2::from_shape_fn((fan_in, fan_out), |_| rng.range(-bound, bound));
                let b = Array1::from_shape_fn(fan_out, |_| rng.range(-bound, bound));
                let bn = (i + 1 < n).then(|| BatchNorm {
                    gamma: Array1::ones(fan_out),
                    beta: Array1::zeros(fan_out),
                    running_mean: Array1::zeros(fan_out),
                    running_var: Array1::ones(fan_out),
                });
                Layer { w, b, bn }
            })
            .collect();
        Self {
            layers,
            batches_tracked: 0,
        }
    }

    pub fn dims(&self) -> Vec<usize> {
        let mut d = vec![self.layers[0].w.nrows()];
        d.extend(self.layers.iter().map(|l| l.w.ncols()));
        d
    }

    /// Evaluation mode: batch norm uses the running statistics, folded with the bias into one
    /// scale and shift per column.
    pub fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut h = x.to_owned();
        for layer in &self.layers {
            let mut z = Array2::zeros((h.nrows(), layer.w.ncols()));
            matmul(h.view(), layer.w.view(), z.view_mut());
            match &layer.bn {
                Some(bn) => {
                    // ((z + b) − mean)·γ/√(var + ε) + β = z·scale + shift
                    let scale = Zip::from(&bn.gamma)
                        .and(&bn.running_var)
                        .map_collect(|g, v| g / (v + BN_EPS).sqrt());
                    let shift = Zip::from(&bn.beta)
                        .and(&bn.running_mean)
                        .and(&scale)
                        .and(&layer.b)
                        .map_collect(|beta, m, s, b| beta + (b - m) * s);
                    affine_relu(
                        z.view_mut(),
                        scale.as_slice().expect("standard layout"),
                        shift.as_slice().expect("standard layout"),
                    );
                }
                None => add_bias(z.view_mut(), &layer.b),
            }
            h = z;
        }
        h
    }

    /// Training mode on the first `rows` rows of `ws.input_mut()`: batch statistics (over the
    /// rows of every `team` member), everything `backward` needs kept in `ws`. The running
    /// statistics move in [`update_running_stats`](Self::update_running_stats), once per batch.
    pub fn forward_train(&self, ws: &mut Workspace, rows: usize, team: &Team, member: usize) {
        assert!(
            rows <= ws.batch,
            "batch of {rows} rows in a workspace for {}",
            ws.batch
        );
        for (i, layer) in self.layers.iter().enumerate() {
            let (done, rest) = ws.acts.split_at_mut(i + 1);
            let mut z = rest[0].slice_mut(s![..rows, ..]);
            matmul(done[i].slice(s![..rows, ..]), layer.w.view(), z.view_mut());
            match &layer.bn {
                Some(bn) => {
                    let stats = &mut ws.stats[i];
                    batch_norm_relu(
                        z,
                        bn,
                        ws.xhat[i].slice_mut(s![..rows, ..]),
                        stats,
                        team,
                        member,
                    );
                    stats
                        .mean
                        .iter_mut()
                        .zip(&layer.b)
                        .for_each(|(m, b)| *m += b);
                }
                None => add_bias(z.view_mut(), &layer.b),
            }
        }
    }

    /// Moves the batch-norm running statistics toward those of the last `forward_train`.
    pub fn update_running_stats(&mut self, ws: &Workspace) {
        for (layer, stats) in self.layers.iter_mut().zip(&ws.stats) {
            if let Some(bn) = &mut layer.bn {
                let unbiased = stats.rows / (stats.rows - 1.0).max(1.0);
                Zip::from(&mut bn.running_mean)
                    .and(&stats.mean)
                    .for_each(|r, m| *r += BN_MOMENTUM * (m - *r));
                Zip::from(&mut bn.running_var)
                    .and(&stats.var)
                    .for_each(|r, v| *r += BN_MOMENTUM * ((*v as f64 * unbiased) as f32 - *r));
            }
        }
        self.batches_tracked += 1;
    }

    /// This member's share of the gradients, into `ws.grads`, from the gradient of the loss with
    /// respect to the output that `ws` holds (see [`Workspace::mse_gradient`]), after
    /// `forward_train` on the same rows. The team's shares add up to the batch's gradients.
    pub fn backward(&self, ws: &mut Workspace, rows: usize, team: &Team, member: usize) {
        let Workspace {
            acts,
            xhat,
            stats,
            grad,
            grad_prev,
            grads,
            param_index,
            ..
        } = ws;
        for (i, layer) in self.layers.iter().enumerate().rev() {
            let (fan_in, fan_out) = layer.w.dim();
            let mut g = ArrayViewMut2::from_shape((rows, fan_out), &mut grad[..rows * fan_out])
                .expect("sized at creation");
            let layer_grads = &mut grads[param_index[i]..];
            let (dw, db, norm) = match layer_grads {
                [dw, db, dgamma, dbeta, ..] if layer.bn.is_some() => {
                    (dw, db, Some((dgamma, dbeta)))
                }
                [dw, db, ..] => (dw, db, None),
                _ => unreachable!("the workspace holds w and b gradients for every layer"),
            };
            if let (Some(bn), Some((dgamma, dbeta))) = (&layer.bn, norm) {
                let (act, xhat) = (
                    acts[i + 1].slice(s![..rows, ..]),
                    xhat[i].slice(s![..rows, ..]),
                );
                batch_norm_relu_backward(
                    g.view_mut(),
                    act,
                    xhat,
                    &mut stats[i],
                    &bn.gamma,
                    (dgamma, dbeta),
                    team,
                    member,
                );
            }
            column_sums(g.view(), db);
            let dw = ArrayViewMut2::from_shape((fan_in, fan_out), &mut dw[..])
                .expect("sized at creation");
            matmul(acts[i].slice(s![..rows, ..]).t(), g.view(), dw);
            if i > 0 {
                let prev =
                    ArrayViewMut2::from_shape((rows, fan_in), &mut grad_prev[..rows * fan_in])
                        .expect("sized at creation");
                matmul(g.view(), layer.w.t(), prev);
                std::mem::swap(grad, grad_prev);
            }
        }
    }

    /// Every trainable tensor as a flat slice, in the order `backward` returns gradients:
    /// per layer w, b, then γ, β where there is batch norm.
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        let mut out: Vec<&mut [f32]> = Vec::new();
        for l in &mut self.layers {
            out.push(l.w.as_slice_mut().expect("standard layout"));
            out.push(l.b.as_slice_mut().expect("standard layout"));
            if let Some(bn) = &mut l.bn {
                out.push(bn.gamma.as_slice_mut().expect("standard layout"));
                out.push(bn.beta.as_slice_mut().expect("standard layout"));
            }
        }
        out
    }
}

/// Mean squared error over all elements, and its gradient with respect to `output`.
pub fn mse_loss(output: &Array2<f32>, target: ArrayView2<f32>) -> (f32, Array2<f32>) {
    let n = output.len() as f32;
    let diff = output - &target;
    let loss = diff.iter().map(|d| d * d).sum::<f32>() / n;
    (loss, diff * (2.0 / n))
}

/// Every buffer one training step needs, made once for a batch size: a step then allocates
/// nothing (at 256 × 640 floats a fresh buffer is an mmap, page faults and zeroing per step).
pub struct Workspace {
    batch: usize,
    /// `acts[0]` is the input batch; `acts[i + 1]` the output of layer `i`.
    acts: Vec<Array2<f32>>,
    /// Normalised pre-activations of the batch-norm layers (empty for the output layer).
    xhat: Vec<Array2<f32>>,
    /// Batch statistics of each layer's pre-activation (unused for the output layer).
    stats: Vec<BatchStats>,
    /// Gradient with respect to the current layer's output, and the next one down (swapped).
    grad: Vec<f32>,
    grad_prev: Vec<f32>,
    /// Squared error of the last `mse_gradient`.
    sse: f64,
    /// Gradients in `Autoencoder::params_mut` order.
    grads: Grads,
    /// Where each layer's w gradient sits in `grads` (b, γ, β follow it).
    param_index: Vec<usize>,
}

impl Workspace {
    pub fn new(model: &Autoencoder, batch: usize) -> Self {
        let dims = model.dims();
        let widest = dims.iter().copied().max().unwrap_or(0);
        let acts = dims.iter().map(|&d| Array2::zeros((batch, d))).collect();
        let xhat = model
            .layers
            .iter()
            .map(|l| {
                if l.bn.is_some() {
                    Array2::zeros((batch, l.w.ncols()))
                } else {
                    Array2::zeros((0, 0))
                }
            })
            .collect();
        let stats = model
            .layers
            .iter()
            .map(|l| BatchStats::new(l.w.ncols()))
            .collect();
        let mut param_index = Vec::new();
        let mut grads = Vec::new();
        for l in &model.layers {
            param_index.push(grads.len());
            grads.push(vec![0.0; l.w.len()]);
            grads.push(vec![0.0; l.b.len()]);
            if l.bn.is_some() {
                grads.push(vec![0.0; l.w.ncols()]);
                grads.push(vec![0.0; l.w.ncols()]);
            }
        }
        Self {
            batch,
            acts,
            xhat,
            stats,
            grad: vec![0.0; batch * widest],
            grad_prev: vec![0.0; batch * widest],
            sse: 0.0,
            grads,
            param_index,
        }
    }

    /// The input batch, `batch × input dims`: fill the first rows before `forward_train`.
    pub fn input_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.acts[0].view_mut()
    }

    /// The network output of the last `forward_train`.
    pub fn output(&self, rows: usize) -> ArrayView2<'_, f32> {
        self.acts
            .last()
            .expect("at least the input")
            .slice(s![..rows, ..])
    }

    pub fn grads(&self) -> &Grads {
        &self.grads
    }

    /// Squared reconstruction error (against the input) summed over this member's rows of the
    /// last forward pass; stores the gradient of the batch's mean squared error, the batch being
    /// `batch_rows` rows over the whole team.
    pub fn mse_gradient(&mut self, rows: usize, batch_rows: usize) -> f64 {
        let out = self.acts.last().expect("at least the input");
        self.sse = squared_error_and_gradient(
            out.slice(s![..rows, ..]),
            self.acts[0].slice(s![..rows, ..]),
            &mut self.grad,
            batch_rows,
        );
        self.sse
    }

    /// What the last `mse_gradient` returned.
    pub fn last_sse(&self) -> f64 {
        self.sse
    }
}

#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn squared_error_and_gradient(
    out: ArrayView2<f32>,
    target: ArrayView2<f32>,
    grad: &mut [f32],
    batch_rows: usize,
) -> f64 {
    let cols = out.ncols();
    let scale = 2.0 / (batch_rows * cols) as f32;
    let mut total = 0.0f64;
    for ((o, x), g) in out
        .rows()
        .into_iter()
        .zip(target.rows())
        .zip(grad.chunks_exact_mut(cols))
    {
        let mut row_total = 0.0f32;
        for ((g, o), x) in g.iter_mut().zip(o).zip(x) {
            let d = o - x;
            row_total += d * d;
            *g = scale * d;
        }
        total += f64::from(row_total);
    }
    total
}

/// Statistics of one batch-norm layer over the whole batch, and room for the sums behind them.
struct BatchStats {
    rows: f64,
    /// Mean of the pre-activation including the bias (what the running mean tracks).
    mean: Vec<f32>,
    var: Vec<f32>,
    inv_std: Vec<f32>,
    /// Per-column partial sums, exchanged through the team.
    sums: Vec<f64>,
    /// Per-column factors of the backward pass.
    scratch: Vec<f32>,
}

impl BatchStats {
    fn new(cols: usize) -> Self {
        Self {
            rows: 0.0,
            mean: vec![0.0; cols],
            var: vec![0.0; cols],
            inv_std: vec![0.0; cols],
            sums: vec![0.0; 2 * cols + 1],
            scratch: vec![0.0; 3 * cols],
        }
    }
}

/// `c = a·b` for the training passes, with the `gemm` crate (candle's): on these 128–640-wide
/// products it runs about 15 % faster than matrixmultiply, ndarray's own (110 against 95 GFLOP/s
/// here, one core).
fn matmul(a: ArrayView2<f32>, b: ArrayView2<f32>, mut c: ArrayViewMut2<f32>) {
    let ((m, k), (k_b, n)) = (a.dim(), b.dim());
    assert!(
        k == k_b && c.dim() == (m, n),
        "matmul shapes {:?} · {:?} → {:?}",
        a.dim(),
        b.dim(),
        c.dim()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(0.0);
        return;
    }
    let (a_s, b_s, c_s) = (a.strides(), b.strides(), c.strides());
    let (c_rs, c_cs) = (c_s[0], c_s[1]);
    // SAFETY: each view is valid for its m×k, k×n and m×n elements at the strides passed, and
    // `c` is a unique borrow, so it overlaps neither input. `read_dst` false: c = 1·a·b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_cs,
            c_rs,
            false,
            a.as_ptr(),
            a_s[1],
            a_s[0],
            b.as_ptr(),
            b_s[1],
            b_s[0],
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The output layer's bias, added to every row.
fn add_bias(mut z: ArrayViewMut2<f32>, bias: &Array1<f32>) {
    z.rows_mut()
        .into_iter()
        .for_each(|mut row| row.iter_mut().zip(bias).for_each(|(v, b)| *v += b));
}

/// `z = max(z·scale + shift, 0)` per column, in place.
#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn affine_relu(mut z: ArrayViewMut2<f32>, scale: &[f32], shift: &[f32]) {
    for mut row in z.rows_mut() {
        let row = row.as_slice_mut().expect("rows contiguous");
        for ((v, s), t) in row.iter_mut().zip(scale).zip(shift) {
            *v = (*v * s + t).max(0.0);
        }
    }
}

/// Batch norm (statistics of the team's whole batch) then ReLU, in place on `z = x·W`. The
/// bias is left out here: it only shifts the mean, which the caller adds it to. Sums are f64, so
/// E[z²] − E[z]² keeps its digits.
#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn batch_norm_relu(
    mut z: ArrayViewMut2<f32>,
    bn: &BatchNorm,
    mut xhat: ArrayViewMut2<f32>,
    stats: &mut BatchStats,
    team: &Team,
    member: usize,
) {
    let cols = z.ncols();
    let (sum, rest) = stats.sums.split_at_mut(cols);
    let (sum_sq, count) = rest.split_at_mut(cols);
    sum.fill(0.0);
    sum_sq.fill(0.0);
    for row in z.rows() {
        for ((s, q), &v) in sum.iter_mut().zip(sum_sq.iter_mut()).zip(row) {
            let v = f64::from(v);
            *s += v;
            *q += v * v;
        }
    }
    count[0] = z.nrows() as f64;
    team.all_sum(member, &mut stats.sums);
    let n = stats.sums[2 * cols];
    stats.rows = n;
    for c in 0..cols {
        let m = stats.sums[c] / n;
        let var = (stats.sums[cols + c] / n - m * m).max(0.0);
        stats.mean[c] = m as f32;
        stats.var[c] = var as f32;
        stats.inv_std[c] = (1.0 / (var + f64::from(BN_EPS)).sqrt()) as f32;
    }
    let (gamma, beta) = (
        bn.gamma.as_slice().expect("standard layout"),
        bn.beta.as_slice().expect("standard layout"),
    );
    for (mut row, mut xrow) in z.rows_mut().into_iter().zip(xhat.rows_mut()) {
        let (row, xrow) = (
            row.as_slice_mut().expect("rows contiguous"),
            xrow.as_slice_mut().expect("rows contiguous"),
        );
        for (((((v, x), m), s), g), b) in row
            .iter_mut()
            .zip(xrow)
            .zip(&stats.mean)
            .zip(&stats.inv_std)
            .zip(gamma)
            .zip(beta)
        {
            *x = (*v - m) * s;
            *v = (*x * g + b).max(0.0);
        }
    }
}

/// Back through ReLU and batch norm, in place: `g` arrives as the gradient of the layer's output
/// and leaves as that of `z`. dz = inv_std·γ·(g − Σg/B − x̂·Σ(g·x̂)/B), the sums over the whole
/// batch (through the team); this member's own shares of dγ = Σ(g·x̂) and dβ = Σg go to `dgamma`
/// and `dbeta` (the shares add up when the team's gradients are gathered).
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn batch_norm_relu_backward(
    mut g: ArrayViewMut2<f32>,
    act: ArrayView2<f32>,
    xhat: ArrayView2<f32>,
    stats: &mut BatchStats,
    gamma: &Array1<f32>,
    (dgamma, dbeta): (&mut [f32], &mut [f32]),
    team: &Team,
    member: usize,
) {
    let cols = g.ncols();
    let (dg_sum, rest) = stats.sums.split_at_mut(cols);
    let db_sum = &mut rest[..cols];
    dg_sum.fill(0.0);
    db_sum.fill(0.0);
    for ((mut grow, arow), xrow) in g.rows_mut().into_iter().zip(act.rows()).zip(xhat.rows()) {
        let (grow, arow, xrow) = (
            grow.as_slice_mut().expect("rows contiguous"),
            arow.as_slice().expect("rows contiguous"),
            xrow.as_slice().expect("rows contiguous"),
        );
        for ((((gv, a), x), dg), db) in grow
            .iter_mut()
            .zip(arow)
            .zip(xrow)
            .zip(dg_sum.iter_mut())
            .zip(db_sum.iter_mut())
        {
            // ReLU: only where the activation was positive.
            *gv = if *a > 0.0 { *gv } else { 0.0 };
            *dg += f64::from(*gv * x);
            *db += f64::from(*gv);
        }
    }
    dgamma
        .iter_mut()
        .zip(&stats.sums[..cols])
        .for_each(|(d, s)| *d = *s as f32);
    dbeta
        .iter_mut()
        .zip(&stats.sums[cols..2 * cols])
        .for_each(|(d, s)| *d = *s as f32);
    team.all_sum(member, &mut stats.sums[..2 * cols]);
    // Per column: scale = inv_std·γ, and the two batch means.
    let n = stats.rows;
    let (scale, rest) = stats.scratch.split_at_mut(cols);
    let (mean_dg, mean_db) = rest.split_at_mut(cols);
    for c in 0..cols {
        scale[c] = stats.inv_std[c] * gamma[c];
        mean_dg[c] = (stats.sums[c] / n) as f32;
        mean_db[c] = (stats.sums[cols + c] / n) as f32;
    }
    for (mut grow, xrow) in g.rows_mut().into_iter().zip(xhat.rows()) {
        let (grow, xrow) = (
            grow.as_slice_mut().expect("rows contiguous"),
            xrow.as_slice().expect("rows contiguous"),
        );
        for ((((gv, x), k), mg), mb) in grow
            .iter_mut()
            .zip(xrow)
            .zip(&*scale)
            .zip(&*mean_dg)
            .zip(&*mean_db)
        {
            *gv = k * (*gv - mb - x * mg);
        }
    }
}

#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn column_sums(m: ArrayView2<f32>, out: &mut [f32]) {
    out.fill(0.0);
    for row in m.rows() {
        out.iter_mut().zip(row).for_each(|(o, v)| *o += v);
    }
}

/// Adam with PyTorch's defaults (β 0.9/0.999, ε 1e-8) and bias correction.
pub struct Adam {
    lr: f32,
    step: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Adam {
    pub fn new(model: &mut Autoencoder, lr: f32) -> Self {
        let sizes: Vec<usize> = model.params_mut().iter().map(|p| p.len()).collect();
        Self {
            lr,
            step: 0,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
        }
    }

    pub fn step(&mut self, model: &mut Autoencoder, grads: &Grads) {
        self.step += 1;
        let (c1, c2) = (1.0 - B1.powi(self.step), 1.0 - B2.powi(self.step));
        let (step, inv_c2) = (self.lr / c1, 1.0 / c2);
        for (((p, g), m), v) in model
            .params_mut()
            .into_iter()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            adam_update(p, g, m, v, step, inv_c2);
        }
    }
}

#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn adam_update(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], step: f32, inv_c2: f32) {
    // Zipped slices, no indexing: the loop vectorises (sqrt and division included).
    for (((p, g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = B1 * *m + (1.0 - B1) * g;
        *v = B2 * *v + (1.0 - B2) * g * g;
        *p -= step * *m / ((*v * inv_c2).sqrt() + 1e-8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One training-mode pass over `x` (one batch): the loss, and the workspace holding it.
    fn train_pass(model: &mut Autoencoder, x: &Array2<f32>) -> (f32, Workspace) {
        let mut ws = Workspace::new(model, x.nrows());
        ws.input_mut().assign(x);
        model.forward_train(&mut ws, x.nrows(), &Team::new(1), 0);
        model.update_running_stats(&ws);
        let loss = ws.mse_gradient(x.nrows(), x.nrows()) / x.len() as f64;
        (loss as f32, ws)
    }

    fn loss_of(model: &Autoencoder, x: &Array2<f32>) -> f64 {
        train_pass(&mut model.clone(), x).0 as f64
    }

    #[test]
    fn backward_matches_finite_differences() {
        let dims = [6, 5, 3, 5, 6];
        let model = Autoencoder::new(&dims, 3);
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((7, 6), |_| rng.range(-1.0, 1.0));
        let mut m = model.clone();
        let (_, mut ws) = train_pass(&mut m, &x);
        m.backward(&mut ws, x.nrows(), &Team::new(1), 0);
        let grads = ws.grads().clone();
        let h = 1e-2f32;
        let mut checked = 0;
        for (p_index, g) in grads.iter().enumerate() {
            for k in (0..g.len()).step_by(3) {
                let mut plus = model.clone();
                plus.params_mut()[p_index][k] += h;
                let mut minus = model.clone();
                minus.params_mut()[p_index][k] -= h;
                let numeric = (loss_of(&plus, &x) - loss_of(&minus, &x)) / (2.0 * h as f64);
                let analytic = g[k] as f64;
                assert!(
                    (numeric - analytic).abs() <= 2e-3 + 0.03 * numeric.abs(),
                    "param {p_index}[{k}]: {analytic} vs {numeric}"
                );
                checked += 1;
            }
        }
        assert!(checked > 40);
    }

    /// Members of a team, each with its share of the rows, produce gradients that add up to the
    /// one-thread gradients of the whole batch (to float rounding), and the same batch statistics.
    #[test]
    fn a_team_computes_the_batch_gradients() {
        let model = Autoencoder::new(&[12, 9, 4, 9, 12], 7);
        let mut rng = Rng::new(8);
        let x = Array2::from_shape_fn((23, 12), |_| rng.range(-1.0, 2.0));
        let (_, mut whole) = train_pass(&mut model.clone(), &x);
        model.backward(&mut whole, 23, &Team::new(1), 0);
        for members in [2, 3] {
            let team = Team::new(members);
            let shares: Vec<Workspace> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..members)
                    .map(|m| {
                        let (team, model, x) = (&team, &model, &x);
                        s.spawn(move || {
                            let rows = 23 * m / members..23 * (m + 1) / members;
                            let mut ws = Workspace::new(model, 12);
                            ws.input_mut()
                                .slice_mut(s![..rows.len(), ..])
                                .assign(&x.slice(s![rows.clone(), ..]));
                            model.forward_train(&mut ws, rows.len(), team, m);
                            ws.mse_gradient(rows.len(), 23);
                            model.backward(&mut ws, rows.len(), team, m);
                            ws
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (k, want) in whole.grads().iter().enumerate() {
                let scale = want.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
                for (j, w) in want.iter().enumerate() {
                    let got: f32 = shares.iter().map(|ws| ws.grads()[k][j]).sum();
                    assert!(
                        (got - w).abs() <= 1e-5 * scale,
                        "{members} members, tensor {k}[{j}]: {got} vs {w}"
                    );
                }
            }
            for ws in &shares {
                for ((a, b), _) in ws
                    .stats
                    .iter()
                    .zip(&whole.stats)
                    .zip(&model.layers)
                    .filter(|(_, l)| l.bn.is_some())
                {
                    assert_eq!(a.rows, 23.0);
                    let worst = a
                        .mean
                        .iter()
                        .zip(&b.mean)
                        .chain(a.var.iter().zip(&b.var))
                        .fold(0.0f32, |m, (p, q)| m.max((p - q).abs()));
                    assert!(
                        worst < 1e-5,
                        "{members} members: batch statistics differ by {worst}"
                    );
                }
            }
        }
    }

    #[test]
    fn eval_mode_uses_running_statistics() {
        let mut model = Autoencoder::new(&[4, 3, 4], 1);
        let mut rng = Rng::new(2);
        let x = Array2::from_shape_fn((64, 4), |_| rng.range(0.0, 2.0));
        let mut ws = Workspace::new(&model, 64);
        ws.input_mut().assign(&x);
        for _ in 0..2000 {
            model.forward_train(&mut ws, 64, &Team::new(1), 0);
            model.update_running_stats(&ws);
        }
        // After many identical batches the running stats equal the batch stats (up to the
        // unbiased factor), so eval output ≈ train output.
        let (_, ws) = train_pass(&mut model.clone(), &x);
        let train_out = ws.output(64).to_owned();
        let eval_out = model.forward(x.view());
        let worst = (&train_out - &eval_out)
            .iter()
            .fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(worst < 0.05, "{worst}");
        assert_eq!(model.batches_tracked, 2000);
    }

    #[test]
    fn training_lowers_the_loss() {
        let mut model = Autoencoder::new(&[16, 8, 4, 8, 16], 5);
        let mut rng = Rng::new(6);
        let x = Array2::from_shape_fn((256, 16), |(i, j)| {
            ((i % 4) as f32 * 0.5 + j as f32 * 0.1).sin() + 0.05 * rng.bipolar()
        });
        let mut adam = Adam::new(&mut model, 1e-2);
        let first = loss_of(&model, &x);
        let mut ws = Workspace::new(&model, 256);
        ws.input_mut().assign(&x);
        let team = Team::new(1);
        for _ in 0..300 {
            model.forward_train(&mut ws, 256, &team, 0);
            model.update_running_stats(&ws);
            ws.mse_gradient(256, 256);
            model.backward(&mut ws, 256, &team, 0);
            adam.step(&mut model, ws.grads());
        }
        let last = loss_of(&model, &x);
        assert!(last < 0.2 * first, "{first} → {last}");
    }
}
