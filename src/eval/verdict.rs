//! Whether a source's ranking of machines agrees with the reference ranking, in words a reader
//! can check: the interval of ρ against 0, and the reference ceiling against what a resolved
//! ranking needs.

use crate::metrics::bootstrap::Estimate;
use serde::Serialize;

/// The reference ceiling a ranking must have before agreement with it means anything.
pub const CEILING_NEEDED: f64 = 0.7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Agrees,
    Inconclusive,
    Disagrees,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Agrees => "agrees",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Disagrees => "disagrees",
        }
    }
}

fn ceiling_reason(ceiling: &Estimate, clips_per_class: usize) -> String {
    match super::stats::clips_needed(ceiling.value, clips_per_class, CEILING_NEEDED) {
        _ if ceiling.value.is_nan() => "the reference ceiling is undefined (every machine ties on the reference)".into(),
        Some(n) => format!(
            "ceiling {:.2}: the reference ranking is not resolved with {clips_per_class} clips per class; about {n} would be needed (Spearman–Brown prophecy from the split-half ceiling to {CEILING_NEEDED})",
            ceiling.value
        ),
        None => format!("ceiling {:.2}: the two halves of the reference do not rank machines alike at all, so no clip count can be extrapolated", ceiling.value),
    }
}

/// Verdict of a ranking with correlation `rho` against a reference of ceiling `ceiling`
/// measured with `clips_per_class` clips of each class per machine.
pub fn verdict(rho: &Estimate, ceiling: &Estimate, clips_per_class: usize) -> (Verdict, String) {
    let Some([lo, hi]) = rho.ci else {
        return (Verdict::Inconclusive, "ρ is undefined in more than 5 % of the resamples (machines tie, e.g. every AUC at 1.00): there is no ranking to compare".into());
    };
    let resolved = ceiling.value >= CEILING_NEEDED;
    if hi < 0.0 {
        return (Verdict::Disagrees, format!("ρ {}: the whole interval is below 0, so this source ranks machines unlike the reference", rho.text(2)));
    }
    if lo > 0.0 && resolved {
        return (
            Verdict::Agrees,
            format!(
                "ρ {}: the interval is above 0, and the reference ceiling {:.2} ≥ {CEILING_NEEDED}",
                rho.text(2),
                ceiling.value
            ),
        );
    }
    let mut why = Vec::new();
    if lo <= 0.0 {
        why.push(format!("ρ {}: the interval includes 0", rho.text(2)));
    }
    if !resolved {
        why.push(ceiling_reason(ceiling, clips_per_class));
    }
    (Verdict::Inconclusive, why.join("; "))
}

/// Whether a planner beats the random ablation: the interval of Δρ = ρ(planner) − ρ(random).
pub fn versus_random(delta: &Estimate) -> String {
    match delta.ci {
        Some([lo, _]) if lo > 0.0 => format!("beats random (Δρ {})", delta.text(2)),
        Some([_, hi]) if hi < 0.0 => format!("worse than random (Δρ {})", delta.text(2)),
        Some(_) => format!(
            "not distinguishable from random (Δρ {} includes 0)",
            delta.text(2)
        ),
        None => "Δρ undefined (machines tie in too many resamples)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(value: f64, lo: f64, hi: f64) -> Estimate {
        Estimate {
            value,
            ci: Some([lo, hi]),
        }
    }

    #[test]
    fn agreement_needs_both_an_interval_above_zero_and_a_resolved_reference() {
        let high = est(0.9, 0.8, 0.95);
        assert_eq!(verdict(&est(0.8, 0.3, 0.95), &high, 50).0, Verdict::Agrees);
        let (v, why) = verdict(&est(0.8, 0.3, 0.95), &est(0.31, 0.0, 0.6), 12);
        assert_eq!(v, Verdict::Inconclusive);
        // 0.7(1 − 0.31) / (0.31 · 0.3) = 5.19 → 63 clips.
        assert!(
            why.contains("ceiling 0.31")
                && why.contains("12 clips per class")
                && why.contains("about 63"),
            "{why}"
        );
        assert_eq!(
            verdict(&est(0.1, -0.4, 0.6), &high, 50).0,
            Verdict::Inconclusive
        );
        assert_eq!(
            verdict(&est(-0.8, -0.95, -0.3), &est(0.2, 0.0, 0.5), 12).0,
            Verdict::Disagrees
        );
        assert_eq!(
            verdict(
                &Estimate {
                    value: f64::NAN,
                    ci: None
                },
                &high,
                50
            )
            .0,
            Verdict::Inconclusive
        );
        assert!(verdict(&est(0.5, 0.1, 0.8), &est(-0.2, -0.5, 0.3), 12)
            .1
            .contains("no clip count"));
    }

    #[test]
    fn random_comparison_reads_the_delta_interval() {
        assert!(versus_random(&est(0.5, 0.1, 0.9)).starts_with("beats random"));
        assert!(versus_random(&est(-0.5, -0.9, -0.1)).starts_with("worse"));
        assert!(versus_random(&est(0.1, -0.3, 0.5)).starts_with("not distinguishable"));
    }
}
