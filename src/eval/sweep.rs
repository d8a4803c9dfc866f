//! The severity sweep: each planner's plans rendered at a ladder of intensity scales, the AUC of
//! each machine as a function of scale, and the *detection threshold*, the scale at which the
//! AUC first reaches [`THRESHOLD_AUC`]. Near AUC 1 every machine ties; the threshold still
//! orders them (lower = easier to detect).

/// The AUC the detection threshold is read at.
pub const THRESHOLD_AUC: f64 = 0.75;

/// `n` scales log-spaced from `lo` to `hi`.
pub fn ladder(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    if n < 2 {
        return vec![hi];
    }
    (0..n)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f32 / (n - 1) as f32).exp())
        .collect()
}

/// Source name of a planner at a sweep scale.
pub fn source_name(planner: &str, scale: f32) -> String {
    format!("{planner}@{scale:.3}")
}

/// The scale where the AUC curve first reaches `level`, interpolated linearly in log-scale
/// between the two ladder points around the crossing. The curve's lowest scale when it starts
/// at or above the level (the threshold is at most that); +∞ when it never reaches it (more
/// than the largest scale). NaN AUCs give NaN.
pub fn threshold(scales: &[f32], aucs: &[f64], level: f64) -> f64 {
    if aucs.iter().any(|a| a.is_nan()) {
        return f64::NAN;
    }
    let Some(i) = aucs.iter().position(|&a| a >= level) else {
        return f64::INFINITY;
    };
    if i == 0 {
        return scales[0] as f64;
    }
    let (a0, a1) = (aucs[i - 1], aucs[i]);
    let t = (level - a0) / (a1 - a0);
    let (l0, l1) = ((scales[i - 1] as f64).ln(), (scales[i] as f64).ln());
    (l0 + t * (l1 - l0)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_log_spaced_between_its_ends() {
        let l = ladder(0.03, 1.0, 6);
        assert_eq!(l.len(), 6);
        assert!((l[0] - 0.03).abs() < 1e-6 && (l[5] - 1.0).abs() < 1e-6);
        let r: Vec<f32> = l.windows(2).map(|w| w[1] / w[0]).collect();
        assert!(r.iter().all(|x| (x - r[0]).abs() < 1e-4), "{r:?}");
    }

    #[test]
    fn threshold_interpolates_in_log_scale_and_censors_at_both_ends() {
        let s = [0.1, 1.0];
        // Halfway between 0.5 and 1.0 in AUC is halfway in log scale: √0.1.
        assert!((threshold(&s, &[0.5, 1.0], 0.75) - 0.1f64.sqrt()).abs() < 1e-6);
        assert_eq!(threshold(&s, &[0.8, 0.9], 0.75), 0.1f32 as f64);
        assert_eq!(threshold(&s, &[0.5, 0.6], 0.75), f64::INFINITY);
        // First crossing, not the last.
        let s3 = [0.1, 0.3, 1.0];
        assert!((threshold(&s3, &[0.5, 0.75, 0.6], 0.75) - 0.3f32 as f64).abs() < 1e-6);
        assert!(threshold(&s, &[f64::NAN, 1.0], 0.75).is_nan());
    }
}
