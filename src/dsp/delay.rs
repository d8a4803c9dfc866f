//! A circular delay line read at fractional delays, for the pitch faults: 4-point Hermite, or
//! through a first-order allpass (`AllpassTap`) whose magnitude is exactly flat to Nyquist.

/// The buffer holds two copies of the ring, so the four samples of a read are always one
/// contiguous slice: no wrap-around masking per sample.
#[derive(Clone, Debug, Default)]
pub struct DelayLine {
    buf: Vec<f32>,
    mask: usize,
    write: usize,
}

impl DelayLine {
    /// Allocates room for delays up to `max_delay` samples (plus interpolation margin).
    pub fn with_capacity(max_delay: usize) -> Self {
        let len = (max_delay + 4).next_power_of_two();
        Self {
            buf: vec![0.0; 2 * len],
            mask: len - 1,
            write: 0,
        }
    }

    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.write = 0;
    }

    #[inline]
    pub fn push(&mut self, x: f32) {
        self.write = (self.write + 1) & self.mask;
        let len = self.mask + 1;
        self.buf[self.write] = x;
        self.buf[self.write + len] = x;
    }

    /// The sample pushed `delay` samples ago (delay ≥ 1 for full 4-point accuracy; 0 is the
    /// newest sample). Hermite interpolation keeps pitch-shifted tones clean of zipper noise.
    #[inline]
    pub fn read(&self, delay: f32) -> f32 {
        let d = delay.max(1.0);
        let whole = d as usize; // truncation is floor for d ≥ 1
        self.read_split(whole, d - whole as f32)
    }

    /// [`read`](Self::read) at `whole + frac` samples ago (`whole` ≥ 1, `frac` in [0, 1)), for
    /// callers that keep their delay in fixed point and so skip the float-to-int conversion.
    #[inline]
    pub fn read_split(&self, whole: usize, frac: f32) -> f32 {
        // Samples at delays whole+2, whole+1, whole, whole-1 (oldest first); interpolate between
        // `whole` and `whole + 1`.
        let base = self.write.wrapping_sub(whole + 2) & self.mask;
        let [y2, y1, y0, ym1] = self.buf[base..base + 4] else {
            unreachable!("slice of 4")
        };
        let c1 = 0.5 * (y1 - ym1);
        let c2 = ym1 - 2.5 * y0 + 2.0 * y1 - 0.5 * y2;
        let c3 = 0.5 * (y2 - ym1) + 1.5 * (y0 - y1);
        ((c3 * frac + c2) * frac + c1) * frac + y0
    }
}

impl DelayLine {
    /// The sample pushed `k` samples ago (0 is the newest).
    #[inline]
    pub fn at(&self, k: usize) -> f32 {
        self.buf[self.write.wrapping_sub(k) & self.mask]
    }
}

/// A fractional-delay read through a first-order (Thiran) allpass: |H| = 1 at every frequency,
/// so a swept delay moves pitch without the treble loss of polynomial interpolation, which a
/// log-mel detector would see as a fault of its own at any shift, however small. The allpass
/// part of the delay stays in [0.5, 1.5), where its pole (|η| ≤ 1/3) settles within a few
/// samples after the integer part steps; at an integer delay η = 0 and the read is exact.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllpassTap {
    y1: f32,
}

impl AllpassTap {
    /// The shortest delay the allpass can give: half a sample.
    pub const MIN_DELAY: f32 = 0.5;

    pub fn reset(&mut self) {
        self.y1 = 0.0;
    }

    /// The line read `delay` samples ago (≥ 0.5); call once per sample, after `push`.
    #[inline]
    pub fn read(&mut self, line: &DelayLine, delay: f32) -> f32 {
        let d = delay.max(Self::MIN_DELAY);
        let whole = (d - 0.5) as usize; // floor: d − 0.5 ≥ 0
        let frac = d - whole as f32;
        let eta = (1.0 - frac) / (1.0 + frac);
        let y = eta * (line.at(whole) - self.y1) + line.at(whole + 1);
        self.y1 = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allpass_tap_is_exact_at_integer_delays_and_flat_with_the_right_phase_between() {
        let sr = 16_000.0f64;
        for (delay, freq) in [
            (3.0f32, 7900.0f64),
            (3.3, 1000.0),
            (2.7, 7200.0),
            (5.5, 7900.0),
        ] {
            let mut line = DelayLine::with_capacity(16);
            let mut tap = AllpassTap::default();
            let x: Vec<f32> = (0..4000)
                .map(|n| (std::f64::consts::TAU * freq * n as f64 / sr).sin() as f32)
                .collect();
            let y: Vec<f32> = x
                .iter()
                .map(|&v| {
                    line.push(v);
                    tap.read(&line, delay)
                })
                .collect();
            // Steady state: unit gain at every frequency (a Hermite read at 7.9 kHz and a
            // half-sample fraction loses most of the tone).
            let rms = |v: &[f32]| (v.iter().map(|a| a * a).sum::<f32>() / v.len() as f32).sqrt();
            // 3200 samples: whole beat periods of each tone against the sampling grid.
            let gain = rms(&y[800..]) / rms(&x[800..]);
            assert!(
                (gain - 1.0).abs() < 1e-3,
                "delay {delay} at {freq} Hz: gain {gain}"
            );
            if delay.fract() == 0.0 {
                assert!(y[100..]
                    .iter()
                    .zip(&x[100 - delay as usize..])
                    .all(|(a, b)| (a - b).abs() < 1e-6));
            } else if freq < 2000.0 {
                // Low frequencies are delayed by the whole delay (the allpass's phase delay).
                let lag = delay as f64;
                let want =
                    |n: usize| (std::f64::consts::TAU * freq * (n as f64 - lag) / sr).sin() as f32;
                assert!(
                    (1000..1100).all(|n| (y[n] - want(n)).abs() < 0.01),
                    "delay {delay}"
                );
            }
        }
    }

    #[test]
    fn integer_delays_are_exact_and_fractions_interpolate() {
        let mut d = DelayLine::with_capacity(16);
        for n in 0..20 {
            d.push(n as f32);
        }
        assert_eq!(d.read(3.0), 16.0);
        // A ramp is reproduced exactly by cubic interpolation.
        assert!((d.read(3.25) - 15.75).abs() < 1e-5);
    }
}
