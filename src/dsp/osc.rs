//! Oscillator helpers: a fast sine on a 0..1 phase.
//!
//! `f32::sin` goes through libm and costs 10–20 ns; the additive faults evaluate several sines
//! per sample, so a polynomial with error below 1e-6 keeps them well over 1000× real time.

use std::f32::consts::PI;

/// floor for |x| < 2^31. `f32::floor` is a libm call on baseline x86-64 (no SSE4.1), several
/// times the cost of this on the per-sample paths.
#[inline]
pub fn fast_floor(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// sin(2π·phase) for any phase with |phase| < 2^31 cycles.
#[inline]
pub fn sin_cycles(phase: f32) -> f32 {
    // Reduce to [-0.5, 0.5) cycles, then fold into [-0.25, 0.25] where the odd polynomial is accurate.
    let p = phase - fast_floor(phase + 0.5);
    let q = if p > 0.25 {
        0.5 - p
    } else if p < -0.25 {
        -0.5 - p
    } else {
        p
    };
    let x = q * (2.0 * PI);
    let x2 = x * x;
    // Taylor-derived minimax-like coefficients up to x^11 on [-π/2, π/2].
    x * (1.0
        + x2 * (-1.666_666_7e-1
            + x2 * (8.333_333e-3
                + x2 * (-1.984_127e-4 + x2 * (2.755_731_4e-6 + x2 * -2.505_210_8e-8)))))
}

/// Advances a phase in cycles by `inc`, wrapping into [0, 1).
#[inline]
pub fn advance(phase: &mut f32, inc: f32) {
    *phase += inc;
    if !(0.0..1.0).contains(phase) {
        *phase -= fast_floor(*phase);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std_sine_within_1e6() {
        let mut worst = 0.0f64;
        for i in -200_000..200_000 {
            let phase = i as f32 * 1.37e-5;
            let ours = sin_cycles(phase) as f64;
            let reference = (phase as f64 * std::f64::consts::TAU).sin();
            worst = worst.max((ours - reference).abs());
        }
        assert!(worst < 1e-6, "max error {worst}");
    }

    #[test]
    fn fast_floor_matches_floor() {
        for x in [-3.5f32, -1.0, -0.2, 0.0, 0.7, 1.0, 2.999, 1e6 + 0.5] {
            assert_eq!(fast_floor(x), x.floor(), "{x}");
        }
    }

    #[test]
    fn advance_wraps_both_directions() {
        let mut p = 0.9;
        advance(&mut p, 0.3);
        assert!((p - 0.2).abs() < 1e-6);
        advance(&mut p, -0.5);
        assert!((p - 0.7).abs() < 1e-6);
    }
}
