//! Resonance: a loosened mounting or a cracked bracket lowers a structural mode's damping, so
//! the machine's sound rings at that frequency. A peaking filter whose boost is gain_db ×
//! `scale_law(intensity)` (the severity scale's law), so it fades to 0 dB smoothly.

use super::filters::{BiquadCoefs, LookaheadBiquad};
use super::{Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct ResonanceParams {
    /// Frequency of the structural mode, Hz.
    pub frequency_hz: f32,
    /// Sharpness of the mode.
    pub q: f32,
    /// Boost at intensity 1, dB.
    pub gain_db: f32,
}

pub struct Resonance {
    p: ResonanceParams,
    intensity: f32,
    sr: f32,
    filters: Vec<LookaheadBiquad>,
}

impl Resonance {
    pub fn new(p: ResonanceParams, intensity: f32) -> Self {
        Self {
            p,
            intensity,
            sr: 48_000.0,
            filters: Vec::new(),
        }
    }

    pub fn coefs(&self) -> BiquadCoefs {
        let gain = f64::from(self.p.gain_db * super::scale_law(self.intensity));
        BiquadCoefs::peaking(
            f64::from(self.p.frequency_hz),
            f64::from(self.p.q),
            gain,
            f64::from(self.sr),
        )
    }
}

impl Transform for Resonance {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.sr = sample_rate;
        self.filters = vec![LookaheadBiquad::new(self.coefs()); channels];
    }

    /// Filters only: their memory starts empty, nothing depends on the position.
    fn seek(&mut self, _position: i64) {
        self.filters.iter_mut().for_each(LookaheadBiquad::reset);
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        let c = self.coefs();
        self.filters.iter_mut().for_each(|f| f.set_coefs(c));
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

    fn gain_db(freq: f32, intensity: f32) -> f32 {
        let sr = 48_000.0;
        let p = ResonanceParams {
            frequency_hz: 900.0,
            q: 6.0,
            gain_db: 18.0,
        };
        let input = sine(freq, 0.1, sr, sr as usize);
        let mut out = input.clone();
        let mut chain = FaultChain::single(Box::new(Resonance::new(p, intensity)), intensity);
        chain.prepare(sr, 1024, 1);
        chain.process_mono(&mut out);
        20.0 * (rms(&out[24_000..]) / rms(&input[24_000..])).log10()
    }

    #[test]
    fn boosts_its_mode_by_the_scale_law_and_leaves_far_bands() {
        assert!((gain_db(900.0, 1.0) - 18.0).abs() < 0.1);
        let want = 18.0 * crate::dsp::scale_law(0.5);
        assert!(
            (gain_db(900.0, 0.5) - want).abs() < 0.1,
            "{}",
            gain_db(900.0, 0.5)
        );
        assert!(gain_db(8000.0, 1.0).abs() < 0.3);
        assert!(gain_db(100.0, 1.0).abs() < 0.3);
    }
}
