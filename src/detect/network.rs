//! The DCASE task 2 baseline autoencoder on ndarray, with its own backward pass.
//!
//! Dense 640-128-128-128-128-8-128-128-128-128-640; every hidden Linear is followed by
//! BatchNorm1d (momentum 0.01, eps 1e-3, as the baseline) and ReLU; the output Linear is plain.
//! Rows are examples: a Linear is `x·W + b` with W stored in × out (PyTorch stores out × in;
//! `io.rs` transposes).

use crate::dsp::Rng;
use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};

pub const BASELINE_DIMS: [usize; 11] = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640];
pub const BN_MOMENTUM: f32 = 0.01;
pub const BN_EPS: f32 = 1e-3;

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

/// What the backward pass needs from a training-mode forward pass.
pub struct Cache {
    /// Input of each Linear (the last entry is the network output).
    inputs: Vec<Array2<f32>>,
    xhat: Vec<Option<Array2<f32>>>,
    inv_std: Vec<Option<Array1<f32>>>,
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
        Self { layers, batches_tracked: 0 }
    }

    pub fn dims(&self) -> Vec<usize> {
        let mut d = vec![self.layers[0].w.nrows()];
        d.extend(self.layers.iter().map(|l| l.w.ncols()));
        d
    }

    /// Evaluation mode: batch norm uses the running statistics.
    pub fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        let mut h = x.to_owned();
        for layer in &self.layers {
            let mut z = h.dot(&layer.w) + &layer.b;
            if let Some(bn) = &layer.bn {
                let scale = Zip::from(&bn.gamma).and(&bn.running_var).map_collect(|g, v| g / (v + BN_EPS).sqrt());
                let shift = Zip::from(&bn.beta).and(&bn.running_mean).and(&scale).map_collect(|b, m, s| b - m * s);
                Zip::from(z.rows_mut()).for_each(|mut row| {
                    Zip::from(&mut row).and(&scale).and(&shift).for_each(|v, s, t| *v = (*v * s + t).max(0.0));
                });
            }
            h = z;
        }
        h
    }

    /// Training mode: batch statistics, running statistics updated, cache kept for `backward`.
    pub fn forward_train(&mut self, x: ArrayView2<f32>) -> (Array2<f32>, Cache) {
        let batch = x.nrows() as f32;
        let mut cache = Cache { inputs: vec![x.to_owned()], xhat: Vec::new(), inv_std: Vec::new() };
        for layer in &mut self.layers {
            let mut z = cache.inputs.last().unwrap().dot(&layer.w) + &layer.b;
            if let Some(bn) = &mut layer.bn {
                let mean = z.mean_axis(Axis(0)).expect("batch not empty");
                z -= &mean;
                let var = z.mapv(|v| v * v).mean_axis(Axis(0)).expect("batch not empty");
                let inv_std = var.mapv(|v| 1.0 / (v + BN_EPS).sqrt());
                z *= &inv_std;
                let xhat = z.clone();
                Zip::from(z.rows_mut()).for_each(|mut row| {
                    Zip::from(&mut row).and(&bn.gamma).and(&bn.beta).for_each(|v, g, b| *v = (*v * g + b).max(0.0));
                });
                let unbiased = batch / (batch - 1.0).max(1.0);
                Zip::from(&mut bn.running_mean).and(&mean).for_each(|r, m| *r += BN_MOMENTUM * (m - *r));
                Zip::from(&mut bn.running_var).and(&var).for_each(|r, v| *r += BN_MOMENTUM * (v * unbiased - *r));
                cache.xhat.push(Some(xhat));
                cache.inv_std.push(Some(inv_std));
            } else {
                cache.xhat.push(None);
                cache.inv_std.push(None);
            }
            cache.inputs.push(z);
        }
        self.batches_tracked += 1;
        (cache.inputs.last().unwrap().clone(), cache)
    }

    /// Gradients of a loss whose gradient with respect to the output is `grad_out`.
    pub fn backward(&self, cache: &Cache, grad_out: Array2<f32>) -> Grads {
        let batch = grad_out.nrows() as f32;
        let mut per_layer: Vec<Vec<Vec<f32>>> = vec![Vec::new(); self.layers.len()];
        let mut g = grad_out;
        for (i, layer) in self.layers.iter().enumerate().rev() {
            let mut grads = Vec::new();
            if let Some(bn) = &layer.bn {
                // ReLU: only where the activation (this layer's output) was positive.
                Zip::from(&mut g).and(&cache.inputs[i + 1]).for_each(|g, a| {
                    if *a <= 0.0 {
                        *g = 0.0
                    }
                });
                let xhat = cache.xhat[i].as_ref().unwrap();
                let inv_std = cache.inv_std[i].as_ref().unwrap();
                let dgamma = (&g * xhat).sum_axis(Axis(0));
                let dbeta = g.sum_axis(Axis(0));
                // dxhat = g·γ;  dz = inv_std/B · (B·dxhat − Σdxhat − x̂·Σ(dxhat·x̂))
                let sum_dxhat = &dbeta * &bn.gamma;
                let sum_dxhat_xhat = &dgamma * &bn.gamma;
                Zip::from(g.rows_mut()).and(xhat.rows()).for_each(|mut grow, xrow| {
                    Zip::from(&mut grow).and(&xrow).and(&bn.gamma).and(inv_std).and(&sum_dxhat).and(&sum_dxhat_xhat).for_each(
                        |gv, xh, gamma, s, sd, sdx| *gv = s / batch * (batch * *gv * gamma - sd - xh * sdx),
                    );
                });
                grads.push(dgamma.to_vec());
                grads.push(dbeta.to_vec());
            }
            let dw = cache.inputs[i].t().dot(&g);
            let db = g.sum_axis(Axis(0));
            let mut layer_grads = vec![dw.into_raw_vec_and_offset().0, db.to_vec()];
            layer_grads.extend(grads);
            per_layer[i] = layer_grads;
            if i > 0 {
                g = g.dot(&layer.w.t());
            }
        }
        per_layer.into_iter().flatten().collect()
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
        Self { lr, step: 0, m: sizes.iter().map(|&n| vec![0.0; n]).collect(), v: sizes.iter().map(|&n| vec![0.0; n]).collect() }
    }

    pub fn step(&mut self, model: &mut Autoencoder, grads: &Grads) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.step += 1;
        let (c1, c2) = (1.0 - B1.powi(self.step), 1.0 - B2.powi(self.step));
        for (((p, g), m), v) in model.params_mut().into_iter().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            for i in 0..p.len() {
                m[i] = B1 * m[i] + (1.0 - B1) * g[i];
                v[i] = B2 * v[i] + (1.0 - B2) * g[i] * g[i];
                p[i] -= self.lr * (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loss_of(model: &Autoencoder, x: &Array2<f32>) -> f64 {
        let mut m = model.clone();
        let (out, _) = m.forward_train(x.view());
        mse_loss(&out, x.view()).0 as f64
    }

    #[test]
    fn backward_matches_finite_differences() {
        let dims = [6, 5, 3, 5, 6];
        let model = Autoencoder::new(&dims, 3);
        let mut rng = Rng::new(9);
        let x = Array2::from_shape_fn((7, 6), |_| rng.range(-1.0, 1.0));
        let mut m = model.clone();
        let (out, cache) = m.forward_train(x.view());
        let grads = m.backward(&cache, mse_loss(&out, x.view()).1);
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
                assert!((numeric - analytic).abs() <= 2e-3 + 0.03 * numeric.abs(), "param {p_index}[{k}]: {analytic} vs {numeric}");
                checked += 1;
            }
        }
        assert!(checked > 40);
    }

    #[test]
    fn eval_mode_uses_running_statistics() {
        let mut model = Autoencoder::new(&[4, 3, 4], 1);
        let mut rng = Rng::new(2);
        let x = Array2::from_shape_fn((64, 4), |_| rng.range(0.0, 2.0));
        for _ in 0..2000 {
            model.forward_train(x.view());
        }
        // After many identical batches the running stats equal the batch stats (up to the
        // unbiased factor), so eval output ≈ train output.
        let (train_out, _) = model.clone().forward_train(x.view());
        let eval_out = model.forward(x.view());
        let worst = (&train_out - &eval_out).iter().fold(0.0f32, |a, b| a.max(b.abs()));
        assert!(worst < 0.05, "{worst}");
        assert_eq!(model.batches_tracked, 2000);
    }

    #[test]
    fn training_lowers_the_loss() {
        let mut model = Autoencoder::new(&[16, 8, 4, 8, 16], 5);
        let mut rng = Rng::new(6);
        let x = Array2::from_shape_fn((256, 16), |(i, j)| ((i % 4) as f32 * 0.5 + j as f32 * 0.1).sin() + 0.05 * rng.bipolar());
        let mut adam = Adam::new(&mut model, 1e-2);
        let first = loss_of(&model, &x);
        for _ in 0..300 {
            let (out, cache) = model.forward_train(x.view());
            let grads = model.backward(&cache, mse_loss(&out, x.view()).1);
            adam.step(&mut model, &grads);
        }
        let last = loss_of(&model, &x);
        assert!(last < 0.2 * first, "{first} → {last}");
    }
}
