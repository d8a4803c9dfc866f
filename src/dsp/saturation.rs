//! Saturation: rubbing (a rotor touching its housing, a shaft on a seal) clips the vibration
//! where the parts meet, adding odd harmonics, and even ones when the contact is one-sided.
//! A level-referenced tanh curve with unit small-signal gain, blended in by `scale_law(intensity)`
//! (the severity scale's law, shared by every multiplicative fault).

use super::{Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct SaturationParams {
    /// Drive into the curve at peaks of the machine's level, dB.
    pub drive_db: f32,
    /// One-sidedness of the contact, 0 symmetric … 1 strongly asymmetric.
    pub asymmetry: f32,
}

pub struct Saturation {
    drive: f32,
    bias: f32,
    bias_out: f32,
    slope: f32,
    intensity: f32,
}

impl Saturation {
    pub fn new(p: SaturationParams, intensity: f32) -> Self {
        let bias = p.asymmetry.clamp(0.0, 1.0);
        let bias_out = soft_tanh(bias);
        // Slope of soft_tanh at the bias, so the small-signal gain is exactly 1.
        let b2 = bias * bias;
        let slope = (b2 - 9.0).powi(2) / (9.0 * (b2 + 3.0).powi(2));
        Self {
            drive: 10f32.powf(p.drive_db / 20.0),
            bias,
            bias_out,
            slope,
            intensity,
        }
    }

    /// The curve on a level-normalised input u: slope 1 at u = 0.
    #[inline]
    fn curve(&self, u: f32) -> f32 {
        (soft_tanh(self.drive * u + self.bias) - self.bias_out) / (self.drive * self.slope)
    }
}

/// Rational tanh (Padé 3/2), exactly ±1 beyond ±3 and monotone: a rubbing contact's curve needs
/// the shape, not libm's last digit, and this is several times faster than `f32::tanh`.
#[inline]
pub fn soft_tanh(x: f32) -> f32 {
    let x = x.clamp(-3.0, 3.0);
    let x2 = x * x;
    x * (27.0 + x2) / (27.0 + 9.0 * x2)
}

impl Transform for Saturation {
    fn prepare(&mut self, _sample_rate: f32, _max_block: usize, _channels: usize) {}

    fn seek(&mut self, _position: i64) {}

    fn uses_level(&self) -> bool {
        true
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
    }

    fn process(&mut self, block: &mut Block<'_, '_>, level: &[f32]) {
        let mix = super::scale_law(self.intensity);
        for c in 0..block.num_channels() {
            for (x, l) in block.channel(c).iter_mut().zip(level) {
                // Peaks of a machine sound sit about 3× above its RMS.
                let reference = 3.0 * l;
                let wet = reference * self.curve(*x / reference);
                *x += mix * (wet - *x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{sine, spectrum};
    use crate::dsp::FaultChain;

    fn harmonics(intensity: f32, asymmetry: f32) -> (f32, f32) {
        let sr = 16_000.0;
        let mut x = sine(250.0, 0.4, sr, sr as usize * 2);
        let p = SaturationParams {
            drive_db: 12.0,
            asymmetry,
        };
        let mut chain = FaultChain::single(Box::new(Saturation::new(p, intensity)), intensity);
        chain.prepare(sr, 100, 1);
        chain.process_mono(&mut x);
        let s = spectrum(&x[16_000..]);
        // 1 s analysed: bin k is k Hz.
        (s[500] / s[250], s[750] / s[250])
    }

    #[test]
    fn soft_tanh_tracks_tanh_and_is_monotone() {
        let mut last = -2.0;
        for i in -400..=400 {
            let x = i as f32 / 100.0;
            let y = soft_tanh(x);
            assert!((y - x.tanh()).abs() < 0.025, "{x}");
            assert!(y >= last - 1e-6, "not monotone at {x}");
            last = y;
        }
    }

    #[test]
    fn distortion_grows_with_intensity_and_asymmetry_adds_even_harmonics() {
        let (h2_sym, h3_lo) = harmonics(0.3, 0.0);
        let (_, h3_hi) = harmonics(1.0, 0.0);
        assert!(h3_lo > 1e-3 && h3_hi > 2.0 * h3_lo, "h3 {h3_lo} → {h3_hi}");
        assert!(h2_sym < 1e-4, "symmetric curve made 2nd harmonic {h2_sym}");
        let (h2_asym, _) = harmonics(1.0, 0.7);
        assert!(h2_asym > 1e-2, "asymmetric 2nd harmonic {h2_asym}");
    }
}
