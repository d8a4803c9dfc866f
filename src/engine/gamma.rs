//! The DCASE baseline's decision threshold: a gamma distribution (shape, location, scale all
//! free, as `scipy.stats.gamma.fit`) fitted by maximum likelihood to the normal scores, and its
//! 0.9 quantile.
//!
//! The fit profiles the likelihood over the location: for a fixed location the shape has a
//! one-dimensional Newton solution (Minka 2002) and the scale follows from it, so only the
//! location needs a search.

/// Fitted gamma parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gamma {
    pub shape: f64,
    pub loc: f64,
    pub scale: f64,
}

/// Quantile the baseline uses for its decision threshold.
pub const THRESHOLD_QUANTILE: f64 = 0.9;

impl Gamma {
    /// Maximum-likelihood fit; `None` for fewer than 3 distinct finite values.
    pub fn fit(scores: &[f64]) -> Option<Self> {
        let x: Vec<f64> = scores.iter().copied().filter(|v| v.is_finite()).collect();
        let n = x.len() as f64;
        let min = x.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        if x.len() < 3 || sd <= 0.0 || !sd.is_finite() {
            return None;
        }
        // Location = min − sd·e^t: a coarse grid over t, then golden-section search around the
        // best point of the profile likelihood.
        let profile = |t: f64| Self::fit_at(&x, min - sd * t.exp());
        let grid: Vec<f64> = (0..=68).map(|i| -12.0 + 0.25 * i as f64).collect();
        let best = (0..grid.len())
            .max_by(|&a, &b| profile(grid[a]).1.total_cmp(&profile(grid[b]).1))
            .expect("non-empty grid");
        let (mut lo, mut hi) = (
            grid[best.saturating_sub(1)],
            grid[(best + 1).min(grid.len() - 1)],
        );
        let golden = 0.5 * (5f64.sqrt() - 1.0);
        let mut c = hi - golden * (hi - lo);
        let mut d = lo + golden * (hi - lo);
        let (mut fc, mut fd) = (profile(c).1, profile(d).1);
        for _ in 0..40 {
            if fc > fd {
                hi = d;
                d = c;
                fd = fc;
                c = hi - golden * (hi - lo);
                fc = profile(c).1;
            } else {
                lo = c;
                c = d;
                fc = fd;
                d = lo + golden * (hi - lo);
                fd = profile(d).1;
            }
        }
        let (g, ll) = profile(0.5 * (lo + hi));
        ll.is_finite().then_some(g)
    }

    /// Shape and scale by maximum likelihood for a fixed location, and the log-likelihood.
    fn fit_at(x: &[f64], loc: f64) -> (Self, f64) {
        let n = x.len() as f64;
        let mean_y = x.iter().map(|v| v - loc).sum::<f64>() / n;
        let mean_ln_y = x.iter().map(|v| (v - loc).ln()).sum::<f64>() / n;
        let s = mean_y.ln() - mean_ln_y;
        // Minka's starting point, then Newton on ln a − ψ(a) = s.
        let mut a = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
        for _ in 0..20 {
            let f = a.ln() - digamma(a) - s;
            let df = 1.0 / a - trigamma(a);
            let next = a - f / df;
            let next = if next > 0.0 { next } else { a * 0.5 };
            if (next - a).abs() < 1e-12 * a {
                a = next;
                break;
            }
            a = next;
        }
        let scale = mean_y / a;
        let ll =
            (a - 1.0) * n * mean_ln_y - n * mean_y / scale - n * a * scale.ln() - n * ln_gamma(a);
        (
            Self {
                shape: a,
                loc,
                scale,
            },
            if ll.is_nan() { f64::NEG_INFINITY } else { ll },
        )
    }

    /// Negative log-likelihood of `x` (scipy's `nnlf`).
    pub fn nll(&self, x: &[f64]) -> f64 {
        -x.iter()
            .map(|v| {
                let y = (v - self.loc) / self.scale;
                if y <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    (self.shape - 1.0) * y.ln() - y - ln_gamma(self.shape) - self.scale.ln()
                }
            })
            .sum::<f64>()
    }

    pub fn cdf(&self, v: f64) -> f64 {
        let y = (v - self.loc) / self.scale;
        if y <= 0.0 {
            0.0
        } else {
            lower_regularized(self.shape, y)
        }
    }

    /// Inverse of the CDF by bisection (monotone, always converges).
    pub fn ppf(&self, q: f64) -> f64 {
        let (mut lo, mut hi) = (0.0f64, self.shape.max(1.0));
        while lower_regularized(self.shape, hi) < q {
            hi *= 2.0;
        }
        // 64 halvings take the bracket below f64 resolution.
        for _ in 0..64 {
            let mid = 0.5 * (lo + hi);
            if lower_regularized(self.shape, mid) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.loc + self.scale * 0.5 * (lo + hi)
    }

    /// The decision threshold: the 0.9 quantile.
    pub fn threshold(&self) -> f64 {
        self.ppf(THRESHOLD_QUANTILE)
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// ψ(x) by recurrence up to x ≥ 10, then the asymptotic series.
pub fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    acc + x.ln()
        - 0.5 / x
        - f * (1.0 / 12.0 - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f / 132.0))))
}

/// ψ′(x) likewise.
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    acc + 1.0 / x + f / 2.0 + f / x * (1.0 / 6.0 - f * (1.0 / 30.0 - f * (1.0 / 42.0 - f / 30.0)))
}

/// P(a, x), the regularized lower incomplete gamma function: series below a + 1, Lentz's
/// continued fraction above.
pub fn lower_regularized(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        // Terms shrink like exp(−k²/2a) near x ≈ a: enough of them for shapes up to ~10⁶.
        for _ in 0..20_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (sum * ln_prefix.exp()).min(1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..20_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (1.0 - ln_prefix.exp() * h).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_functions_match_known_values() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        // ψ(1) = −γ, ψ′(1) = π²/6.
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-12);
        assert!((trigamma(1.0) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-10);
        // P(1, x) = 1 − e^−x; P(3, 2) from tables.
        assert!((lower_regularized(1.0, 0.7) - (1.0 - (-0.7f64).exp())).abs() < 1e-14);
        assert!((lower_regularized(3.0, 2.0) - 0.323_323_583_816_936_5).abs() < 1e-13);
        assert!((lower_regularized(3.0, 9.0) - (1.0 - 50.5 * (-9.0f64).exp())).abs() < 1e-13);
    }

    #[test]
    fn ppf_inverts_cdf() {
        let g = Gamma {
            shape: 2.5,
            loc: 1.0,
            scale: 3.0,
        };
        for q in [0.01, 0.5, 0.9, 0.999] {
            assert!((g.cdf(g.ppf(q)) - q).abs() < 1e-12, "{q}");
        }
    }

    /// Against `scipy.stats.gamma.fit` (fixture by benches/reference/make_gamma_fixture.py). The
    /// fit must be at least as likely as scipy's and give its threshold within 0.1 %.
    #[test]
    fn fit_matches_scipy() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/gamma.json")).unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let x: Vec<f64> = case["scores"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let g = Gamma::fit(&x).unwrap();
            let ours = g.nll(&x);
            let theirs = case["nll"].as_f64().unwrap();
            let want = case["threshold"].as_f64().unwrap();
            let rel = (g.threshold() - want).abs() / want;
            eprintln!(
                "{name}: {g:?} nll {ours:.4} vs {theirs:.4}, threshold {:.4} vs {want:.4}",
                g.threshold()
            );
            if case["shape"].as_f64().unwrap() < 1.0 {
                // Shape < 1: the likelihood is unbounded as loc → min(x), so every optimizer
                // stops somewhere near the spike; only the threshold is comparable.
                assert!(
                    rel < 0.05,
                    "{name}: threshold {} vs scipy {want}",
                    g.threshold()
                );
            } else {
                assert!(
                    ours <= theirs + 1e-6 * theirs.abs(),
                    "{name}: nll {ours} vs scipy {theirs}"
                );
                assert!(
                    rel < 1e-3,
                    "{name}: threshold {} vs scipy {want}",
                    g.threshold()
                );
            }
        }
    }

    #[test]
    fn degenerate_input_gives_none() {
        assert!(Gamma::fit(&[1.0, 1.0, 1.0, 1.0]).is_none());
        assert!(Gamma::fit(&[1.0, f64::NAN]).is_none());
    }
}
