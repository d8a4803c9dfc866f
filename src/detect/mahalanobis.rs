//! Mahalanobis scoring as the baseline does it: training residuals cut into `n_mels`-long blocks
//! (one per stacked frame), their covariance and its inverse; a clip's score is the mean of
//! δᵀ Σ⁻¹ δ over its residual blocks.

use ndarray::{Array2, ArrayView2};

#[derive(Clone, Debug, PartialEq)]
pub struct Mahalanobis {
    pub cov: Array2<f64>,
    pub inv_cov: Array2<f64>,
}

impl Mahalanobis {
    /// From training residuals (rows of `blocks × block_len`).
    pub fn fit(residuals: ArrayView2<f32>, block_len: usize) -> Self {
        let blocks: Vec<&[f32]> = residuals
            .as_slice()
            .expect("standard layout")
            .chunks_exact(block_len)
            .collect();
        let n = blocks.len() as f64;
        let mut mean = vec![0.0f64; block_len];
        for b in &blocks {
            for (m, v) in mean.iter_mut().zip(b.iter()) {
                *m += *v as f64 / n;
            }
        }
        // Unbiased covariance (np.cov): Σ (δ−μ)(δ−μ)ᵀ / (n−1), accumulated as a matrix product.
        let centred = Array2::from_shape_fn((blocks.len(), block_len), |(i, j)| {
            blocks[i][j] as f64 - mean[j]
        });
        let cov = centred.t().dot(&centred) / (n - 1.0).max(1.0);
        let inv_cov = invert_spd(&cov);
        Self { cov, inv_cov }
    }

    pub fn block_len(&self) -> usize {
        self.cov.nrows()
    }

    /// Mean of δᵀ Σ⁻¹ δ over the residual blocks.
    pub fn score(&self, residuals: ArrayView2<f32>) -> f64 {
        let k = self.block_len();
        let data: Vec<f64> = residuals.iter().map(|v| *v as f64).collect();
        let blocks =
            Array2::from_shape_vec((data.len() / k, k), data).expect("rows are whole blocks");
        let projected = blocks.dot(&self.inv_cov);
        (&projected * &blocks).sum() / blocks.nrows().max(1) as f64
    }
}

impl Mahalanobis {
    /// Mean of δᵀ Σ⁻¹ δ over the blocks of each row separately.
    pub fn score_rows(&self, residuals: ArrayView2<f32>) -> Vec<f64> {
        let k = self.block_len();
        let per_row = residuals.ncols() / k;
        let data: Vec<f64> = residuals.iter().map(|v| *v as f64).collect();
        let blocks =
            Array2::from_shape_vec((data.len() / k, k), data).expect("rows are whole blocks");
        let projected = blocks.dot(&self.inv_cov);
        let quad: Vec<f64> = (&projected * &blocks)
            .rows()
            .into_iter()
            .map(|r| r.sum())
            .collect();
        quad.chunks(per_row.max(1))
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect()
    }
}

/// Inverse of a symmetric positive (semi-)definite matrix by Gauss–Jordan with partial pivoting;
/// a ridge of 1e-6 of the mean diagonal keeps a rank-deficient covariance invertible.
pub fn invert_spd(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let ridge = 1e-6 * (0..n).map(|i| a[[i, i]]).sum::<f64>() / n as f64 + 1e-12;
    let mut m = a.clone();
    for i in 0..n {
        m[[i, i]] += ridge;
    }
    let mut inv = Array2::<f64>::eye(n);
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| m[[x, col]].abs().total_cmp(&m[[y, col]].abs()))
            .unwrap();
        if pivot != col {
            for k in 0..n {
                m.swap([col, k], [pivot, k]);
                inv.swap([col, k], [pivot, k]);
            }
        }
        let p = m[[col, col]];
        for k in 0..n {
            m[[col, k]] /= p;
            inv[[col, k]] /= p;
        }
        for r in 0..n {
            if r != col {
                let f = m[[r, col]];
                if f != 0.0 {
                    for k in 0..n {
                        m[[r, k]] -= f * m[[col, k]];
                        inv[[r, k]] -= f * inv[[col, k]];
                    }
                }
            }
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::Rng;

    #[test]
    fn inverse_times_matrix_is_identity() {
        let mut rng = Rng::new(1);
        let b = Array2::from_shape_fn((20, 8), |_| rng.gaussian() as f64);
        let a = b.t().dot(&b);
        let err = (a.dot(&invert_spd(&a)) - Array2::<f64>::eye(8))
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        // Off by the 1e-6 ridge only.
        assert!(err < 2e-5, "{err}");
    }

    #[test]
    fn whitened_gaussian_blocks_score_their_dimension() {
        // For δ ~ N(0, Σ), E[δᵀ Σ⁻¹ δ] = dimension.
        let mut rng = Rng::new(2);
        let scale = [3.0f32, 0.5, 1.0, 2.0];
        let rows = Array2::from_shape_fn((20_000, 8), |(_, j)| rng.gaussian() * scale[j % 4]);
        let m = Mahalanobis::fit(rows.view(), 4);
        let s = m.score(rows.view());
        assert!((s - 4.0).abs() < 0.1, "{s}");
        // Residuals twice as large score four times as high.
        assert!((m.score((&rows * 2.0).view()) / s - 4.0).abs() < 0.01);
    }
}
