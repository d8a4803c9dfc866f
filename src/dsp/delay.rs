//! A circular delay line read at fractional delays (4-point Hermite), for the pitch faults.

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
        Self { buf: vec![0.0; 2 * len], mask: len - 1, write: 0 }
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
        let [y2, y1, y0, ym1] = self.buf[base..base + 4] else { unreachable!("slice of 4") };
        let c1 = 0.5 * (y1 - ym1);
        let c2 = ym1 - 2.5 * y0 + 2.0 * y1 - 0.5 * y2;
        let c3 = 0.5 * (y2 - ym1) + 1.5 * (y0 - y1);
        ((c3 * frac + c2) * frac + c1) * frac + y0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
