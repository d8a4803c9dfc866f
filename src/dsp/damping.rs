//! Damping: clogging (a blocked filter, a choked intake, mud on a housing) muffles the high
//! part of the sound. A 4th-order Butterworth low-pass whose cutoff slides, on a log scale, from
//! 0.45·fs at intensity 0 down to `cutoff_hz` at intensity 1.

use super::filters::{BiquadCoefs, BlockedCascade};
use super::{Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct DampingParams {
    /// Cutoff at intensity 1, Hz.
    pub cutoff_hz: f32,
}

/// Q of the two sections of a 4th-order Butterworth.
const BUTTERWORTH4_Q: [f64; 2] = [0.541_196_100_146_197, 1.306_562_964_876_376_4];

pub struct Damping {
    p: DampingParams,
    intensity: f32,
    sr: f32,
    filters: Vec<BlockedCascade>,
}

impl Damping {
    pub fn new(p: DampingParams, intensity: f32) -> Self {
        Self { p, intensity, sr: 48_000.0, filters: Vec::new() }
    }

    /// The cutoff in force at the current intensity.
    pub fn effective_cutoff(&self) -> f64 {
        let top = 0.45 * f64::from(self.sr);
        let low = f64::from(self.p.cutoff_hz).min(top);
        (top.ln() + f64::from(self.intensity.clamp(0.0, 1.0)) * (low.ln() - top.ln())).exp()
    }

    pub fn sections(&self) -> [BiquadCoefs; 2] {
        let fc = self.effective_cutoff();
        BUTTERWORTH4_Q.map(|q| BiquadCoefs::lowpass(fc, q, f64::from(self.sr)))
    }
}

impl Transform for Damping {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.sr = sample_rate;
        self.filters = vec![BlockedCascade::new(self.sections()); channels];
    }

    fn reset(&mut self) {
        self.filters.iter_mut().for_each(BlockedCascade::reset);
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        let sections = self.sections();
        let Some((first, rest)) = self.filters.split_first_mut() else { return };
        first.set_coefs(sections);
        // The block matrices are built once and copied: channels differ only in state.
        rest.iter_mut().for_each(|f| f.copy_coefs_from(first));
    }

    fn process(&mut self, block: &mut Block<'_, '_>, _level: &[f32]) {
        for c in 0..block.num_channels().min(self.filters.len()) {
            self.filters[c].process(block.channel(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{rms, sine};
    use crate::dsp::FaultChain;

    fn attenuation_db(freq: f32, intensity: f32) -> f32 {
        let sr = 16_000.0;
        let input = sine(freq, 0.3, sr, sr as usize);
        let mut out = input.clone();
        let mut chain = FaultChain::single(Box::new(Damping::new(DampingParams { cutoff_hz: 1000.0 }, intensity)), intensity);
        chain.prepare(sr, 333, 1);
        chain.process_mono(&mut out);
        20.0 * (rms(&out[8000..]) / rms(&input[8000..])).log10()
    }

    /// Bilinear Butterworth of order 4 with the cutoff pre-warped: |H|² = 1 / (1 + (tan(πf/fs)/tan(πfc/fs))^8).
    fn butterworth_db(freq: f64, fc: f64, sr: f64) -> f64 {
        let r = (std::f64::consts::PI * freq / sr).tan() / (std::f64::consts::PI * fc / sr).tan();
        -10.0 * (1.0 + r.powi(8)).log10()
    }

    #[test]
    fn attenuates_above_cutoff_as_a_4th_order_butterworth() {
        for f in [250.0, 1000.0, 2000.0, 3000.0] {
            let got = attenuation_db(f, 1.0) as f64;
            let want = butterworth_db(f as f64, 1000.0, 16_000.0);
            assert!((got - want).abs() < 0.1, "{f} Hz: {got} dB vs {want} dB");
        }
        assert!(attenuation_db(2000.0, 1.0) < -24.0);
    }

    #[test]
    fn cutoff_falls_monotonically_with_intensity() {
        let mut last = f64::MAX;
        for i in 1..=10 {
            let mut d = Damping::new(DampingParams { cutoff_hz: 500.0 }, i as f32 / 10.0);
            d.prepare(16_000.0, 64, 1);
            let fc = d.effective_cutoff();
            assert!(fc < last);
            last = fc;
        }
        assert!((last - 500.0).abs() < 1e-6);
    }
}
