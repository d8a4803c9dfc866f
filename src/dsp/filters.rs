//! Filters shared by the transforms: RBJ-cookbook biquads and an impact resonator.
//!
//! Coefficients and state are f64: low resonances at 192 kHz put poles within 1e-4 of the
//! unit circle, where f32 state audibly drifts; on x86 the f64 arithmetic costs the same.

use std::f64::consts::PI;

/// Normalised biquad coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl BiquadCoefs {
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalise(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }

    fn omega(freq: f64, sample_rate: f64) -> (f64, f64) {
        let w0 = 2.0 * PI * clamp_freq(freq, sample_rate) / sample_rate;
        (w0.cos(), w0.sin())
    }

    /// Second-order low-pass with the given Q (0.7071 for Butterworth).
    pub fn lowpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        let b1 = 1.0 - cos;
        Self::normalise(
            [b1 / 2.0, b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
        )
    }

    /// Second-order high-pass with the given Q.
    pub fn highpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        let b1 = 1.0 + cos;
        Self::normalise(
            [b1 / 2.0, -b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
        )
    }

    /// Band-pass with 0 dB gain at the centre.
    pub fn bandpass(freq: f64, q: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let alpha = sin / (2.0 * q);
        Self::normalise([alpha, 0.0, -alpha], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
    }

    /// Peaking equaliser: `gain_db` at `freq`, 0 dB far away.
    pub fn peaking(freq: f64, q: f64, gain_db: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let a = 10f64.powf(gain_db / 40.0);
        let alpha = sin / (2.0 * q);
        Self::normalise(
            [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
        )
    }

    /// High shelf (slope S = 1): `gain_db` far above `freq`, 0 dB far below, half-way in dB at
    /// `freq`. At 0 dB it is exactly the identity, so a shelf whose gain fades fades away.
    pub fn high_shelf(freq: f64, gain_db: f64, sample_rate: f64) -> Self {
        let (cos, sin) = Self::omega(freq, sample_rate);
        let a = 10f64.powf(gain_db / 40.0);
        let two_sqrt_a_alpha = 2.0 * a.sqrt() * sin / std::f64::consts::SQRT_2;
        Self::normalise(
            [
                a * ((a + 1.0) + (a - 1.0) * cos + two_sqrt_a_alpha),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                a * ((a + 1.0) + (a - 1.0) * cos - two_sqrt_a_alpha),
            ],
            [
                (a + 1.0) - (a - 1.0) * cos + two_sqrt_a_alpha,
                2.0 * ((a - 1.0) - (a + 1.0) * cos),
                (a + 1.0) - (a - 1.0) * cos - two_sqrt_a_alpha,
            ],
        )
    }

    /// Magnitude response at `freq` (the analytic reference the tests measure against).
    pub fn magnitude(&self, freq: f64, sample_rate: f64) -> f64 {
        let w = 2.0 * PI * freq / sample_rate;
        let z1 = (w.cos(), -w.sin());
        let z2 = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            self.b0 + self.b1 * z1.0 + self.b2 * z2.0,
            self.b1 * z1.1 + self.b2 * z2.1,
        );
        let den = (
            1.0 + self.a1 * z1.0 + self.a2 * z2.0,
            self.a1 * z1.1 + self.a2 * z2.1,
        );
        (num.0.hypot(num.1)) / (den.0.hypot(den.1))
    }
}

/// Keeps a design frequency inside (0, 0.45·fs) so every catalog value works at 8 kHz too.
pub fn clamp_freq(freq: f64, sample_rate: f64) -> f64 {
    freq.clamp(1.0, 0.45 * sample_rate)
}

/// Direct form I biquad: the fewest operations a sample, best where several sections run in
/// one loop and their feedback chains overlap (cascades, filtered noise).
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    coefs: BiquadCoefs,
    x: [f64; 2],
    y: [f64; 2],
}

impl Default for Biquad {
    fn default() -> Self {
        Self::new(BiquadCoefs::IDENTITY)
    }
}

impl Biquad {
    pub fn new(coefs: BiquadCoefs) -> Self {
        Self {
            coefs,
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    pub fn coefs(&self) -> BiquadCoefs {
        self.coefs
    }

    /// New coefficients, keeping the state (for parameter changes while running).
    pub fn set_coefs(&mut self, coefs: BiquadCoefs) {
        self.coefs = coefs;
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.coefs);
    }

    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        let c = &self.coefs;
        let x = x as f64;
        let ([x1, x2], [y1, y2]) = (self.x, self.y);
        // Everything but the newest output first, so only `a1·y1` waits on the last sample.
        let y = (c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a2 * y2) - c.a1 * y1;
        (self.x, self.y) = ([x, x1], [y, y1]);
        y as f32
    }
}

/// A lone biquad is bound by its feedback chain (multiply then add, 8 cycles a sample). Scattered
/// look-ahead multiplies the denominator D(z) by D(−z): y[n] = (a1² − 2a2)·y[n−2] − a2²·y[n−4] + v[n],
/// v = u[n] − a1·u[n−1] + a2·u[n−2], u the feed-forward part. The added poles mirror the real ones
/// (same radius: stable) and are cancelled by the added zeros, so the response is the same; each
/// output now waits on the one two samples back, halving the chain per sample.
#[derive(Clone, Copy, Debug)]
pub struct LookaheadBiquad {
    coefs: BiquadCoefs,
    c2: f64,
    c4: f64,
    x: [f64; 2],
    u: [f64; 2],
    y: [f64; 4],
}

impl LookaheadBiquad {
    pub fn new(coefs: BiquadCoefs) -> Self {
        let mut b = Self {
            coefs,
            c2: 0.0,
            c4: 0.0,
            x: [0.0; 2],
            u: [0.0; 2],
            y: [0.0; 4],
        };
        b.set_coefs(coefs);
        b
    }

    pub fn set_coefs(&mut self, coefs: BiquadCoefs) {
        self.coefs = coefs;
        self.c2 = coefs.a1 * coefs.a1 - 2.0 * coefs.a2;
        self.c4 = -coefs.a2 * coefs.a2;
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.coefs);
    }

    /// Filters a buffer in place.
    pub fn process(&mut self, buf: &mut [f32]) {
        let c = self.coefs;
        let ([mut x1, mut x2], [mut u1, mut u2], [mut y1, mut y2, mut y3, mut y4]) =
            (self.x, self.u, self.y);
        for s in buf.iter_mut() {
            let x = *s as f64;
            let u = c.b0 * x + c.b1 * x1 + c.b2 * x2;
            let v = u - c.a1 * u1 + c.a2 * u2;
            let y = (v + self.c4 * y4) + self.c2 * y2;
            (x2, x1, u2, u1) = (x1, x, u1, u);
            (y4, y3, y2, y1) = (y3, y2, y1, y);
            *s = y as f32;
        }
        (self.x, self.u, self.y) = ([x1, x2], [u1, u2], [y1, y2, y3, y4]);
    }
}

/// Samples a [`BlockedCascade`] advances per matrix product.
const BLOCK: usize = 8;
/// State size of two biquad sections.
const STATE: usize = 4;

/// Two biquad sections in series (a 4th-order filter), run eight samples at a time.
///
/// Sample by sample, a cascade waits on its feedback chains (a multiply and an add per section
/// per sample). Blocked, the eight outputs and the state after them are one linear map of the
/// state before and the eight inputs: a 12 × 12 matrix-vector product whose columns are vectors
/// (SIMD), with only the four state columns on the chain from block to block. The matrix is built
/// by running the sample-by-sample cascade (transposed direct form II) on unit inputs and states,
/// so both paths are the same filter; leftovers shorter than a block run sample by sample.
#[derive(Clone, Debug)]
pub struct BlockedCascade {
    sections: [BiquadCoefs; 2],
    /// Column-major: `map[j]` is what input `j` (state 0..4, then samples 0..8) adds to the
    /// eight outputs and the four next-state values.
    map: [[f64; BLOCK + STATE]; STATE + BLOCK],
    state: [f64; STATE],
}

impl BlockedCascade {
    pub fn new(sections: [BiquadCoefs; 2]) -> Self {
        let mut f = Self {
            sections,
            map: [[0.0; BLOCK + STATE]; STATE + BLOCK],
            state: [0.0; STATE],
        };
        f.set_coefs(sections);
        f
    }

    /// New coefficients, keeping the state (for parameter changes while running).
    pub fn set_coefs(&mut self, sections: [BiquadCoefs; 2]) {
        self.sections = sections;
        for (j, column) in self.map.iter_mut().enumerate() {
            let mut state = [0.0; STATE];
            if j < STATE {
                state[j] = 1.0;
            }
            for (k, out) in column[..BLOCK].iter_mut().enumerate() {
                let x = if j == STATE + k { 1.0 } else { 0.0 };
                *out = Self::step(&sections, &mut state, x);
            }
            column[BLOCK..].copy_from_slice(&state);
        }
    }

    /// Another cascade's coefficients (and block matrix), keeping this one's state.
    pub fn copy_coefs_from(&mut self, other: &Self) {
        self.sections = other.sections;
        self.map = other.map;
    }

    pub fn reset(&mut self) {
        self.state = [0.0; STATE];
    }

    /// One sample through both sections (transposed direct form II; state `[z1, z2]` each).
    #[inline]
    fn step(sections: &[BiquadCoefs; 2], state: &mut [f64; STATE], x: f64) -> f64 {
        let mut v = x;
        for (c, z) in sections.iter().zip(state.chunks_exact_mut(2)) {
            let y = c.b0 * v + z[0];
            z[0] = c.b1 * v - c.a1 * y + z[1];
            z[1] = c.b2 * v - c.a2 * y;
            v = y;
        }
        v
    }

    /// Filters a buffer in place.
    pub fn process(&mut self, buf: &mut [f32]) {
        let mut blocks = buf.chunks_exact_mut(BLOCK);
        for block in &mut blocks {
            self.state = apply_block(&self.map, &self.state, block);
        }
        for x in blocks.into_remainder() {
            *x = Self::step(&self.sections, &mut self.state, f64::from(*x)) as f32;
        }
    }
}

/// One block of [`BlockedCascade`]: the input columns first (they do not wait on the state), then
/// the state columns.
#[multiversion::multiversion(targets("x86_64+avx+fma", "x86_64+avx"))]
fn apply_block(
    map: &[[f64; BLOCK + STATE]; STATE + BLOCK],
    state: &[f64; STATE],
    block: &mut [f32],
) -> [f64; STATE] {
    let mut acc = [0.0; BLOCK + STATE];
    for (column, &x) in map[STATE..].iter().zip(block.iter()) {
        let x = f64::from(x);
        acc.iter_mut().zip(column).for_each(|(a, m)| *a += m * x);
    }
    for (column, &s) in map[..STATE].iter().zip(state) {
        acc.iter_mut().zip(column).for_each(|(a, m)| *a += m * s);
    }
    block.iter_mut().zip(&acc).for_each(|(y, a)| *y = *a as f32);
    let mut next = [0.0; STATE];
    next.copy_from_slice(&acc[BLOCK..]);
    next
}

/// Two-pole resonator whose impulse response is exactly `r^n · sin((n+1)·ω)`: an impulse of
/// height `a` rings as a damped sine of peak about `a`, decaying to 1/e in `decay_s`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resonator {
    c1: f64,
    c2: f64,
    gain: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    pub fn new(freq: f64, decay_s: f64, sample_rate: f64) -> Self {
        let w = 2.0 * PI * clamp_freq(freq, sample_rate) / sample_rate;
        let r = (-1.0 / (decay_s.max(1e-5) * sample_rate)).exp();
        Self {
            c1: 2.0 * r * w.cos(),
            c2: -r * r,
            gain: w.sin(),
            y1: 0.0,
            y2: 0.0,
        }
    }

    /// Retunes without clearing the ringing (rattling parts differ from hit to hit).
    pub fn retune(&mut self, freq: f64, decay_s: f64, sample_rate: f64) {
        let fresh = Self::new(freq, decay_s, sample_rate);
        self.c1 = fresh.c1;
        self.c2 = fresh.c2;
        self.gain = fresh.gain;
    }

    pub fn reset(&mut self) {
        self.y1 = 0.0;
        self.y2 = 0.0;
    }

    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        let y = (self.gain * x as f64 + self.c2 * self.y2) + self.c1 * self.y1;
        self.y2 = self.y1;
        self.y1 = y;
        y as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{rms, sine};

    fn measured_gain(coefs: BiquadCoefs, freq: f32, sr: f32) -> f64 {
        let mut bq = Biquad::new(coefs);
        let x = sine(freq, 1.0, sr, (sr * 2.0) as usize);
        let y: Vec<f32> = x.iter().map(|&s| bq.tick(s)).collect();
        let half = y.len() / 2;
        (rms(&y[half..]) / rms(&x[half..])) as f64
    }

    #[test]
    fn lowpass_matches_its_analytic_response() {
        let sr = 48_000.0;
        let c = BiquadCoefs::lowpass(1000.0, std::f64::consts::FRAC_1_SQRT_2, sr as f64);
        for f in [200.0, 1000.0, 2000.0, 8000.0] {
            let want = c.magnitude(f as f64, sr as f64);
            let got = measured_gain(c, f, sr);
            assert!(
                (20.0 * (got / want).log10()).abs() < 0.05,
                "{f} Hz: {got} vs {want}"
            );
        }
        // Butterworth: -3.01 dB at the cutoff.
        assert!((20.0 * c.magnitude(1000.0, sr as f64).log10() + 3.01).abs() < 0.01);
    }

    #[test]
    fn lookahead_form_matches_the_plain_biquad() {
        let sr = 48_000.0;
        let x = crate::dsp::testutil::noise(3, 0.5, 48_000);
        for c in [
            BiquadCoefs::peaking(900.0, 8.0, 18.0, sr),
            BiquadCoefs::lowpass(40.0, 0.7, sr),
            BiquadCoefs::bandpass(20_000.0, 3.0, sr),
        ] {
            let mut plain = Biquad::new(c);
            let want: Vec<f32> = x.iter().map(|&v| plain.tick(v)).collect();
            let mut fast = LookaheadBiquad::new(c);
            let mut got = x.clone();
            for block in got.chunks_mut(333) {
                fast.process(block);
            }
            let err = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(err < 1e-5, "max difference {err}");
        }
    }

    #[test]
    fn blocked_cascade_matches_two_plain_sections() {
        let x = crate::dsp::testutil::noise(5, 0.5, 48_000);
        let designs = [(1000.0, 48_000.0), (30.0, 192_000.0), (7000.0, 16_000.0)];
        for (fc, sr) in designs {
            let sections = [
                BiquadCoefs::lowpass(fc, 0.54, sr),
                BiquadCoefs::lowpass(fc, 1.31, sr),
            ];
            let (mut a, mut b) = (Biquad::new(sections[0]), Biquad::new(sections[1]));
            let want: Vec<f32> = x.iter().map(|&v| b.tick(a.tick(v))).collect();
            let mut blocked = BlockedCascade::new(sections);
            let mut got = x.clone();
            // Odd block lengths: full blocks of 8 and the sample-by-sample leftovers alternate.
            for chunk in got.chunks_mut(333) {
                blocked.process(chunk);
            }
            let peak = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            let err = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(
                err < 1e-5 * peak,
                "{fc} Hz at {sr}: max difference {err} (peak {peak})"
            );
        }
    }

    #[test]
    fn peaking_hits_its_gain_at_the_centre() {
        let sr = 44_100.0;
        let c = BiquadCoefs::peaking(900.0, 4.0, 12.0, sr as f64);
        let db = 20.0 * measured_gain(c, 900.0, sr).log10();
        assert!((db - 12.0).abs() < 0.05, "{db}");
        let far = 20.0 * measured_gain(c, 12_000.0, sr).log10();
        assert!(far.abs() < 0.2, "{far}");
    }

    #[test]
    fn resonator_rings_at_its_frequency_and_decays() {
        let sr = 16_000.0;
        let mut r = Resonator::new(1000.0, 0.01, sr);
        let ir: Vec<f32> = (0..1600)
            .map(|n| r.tick(if n == 0 { 1.0 } else { 0.0 }))
            .collect();
        let w = 2.0 * std::f64::consts::PI * 1000.0 / sr;
        let rr = (-1.0f64 / (0.01 * sr)).exp();
        for (n, &y) in ir.iter().enumerate().take(400) {
            let ref_val = rr.powi(n as i32) * ((n + 1) as f64 * w).sin();
            assert!((y as f64 - ref_val).abs() < 1e-4, "n={n}: {y} vs {ref_val}");
        }
    }
}
