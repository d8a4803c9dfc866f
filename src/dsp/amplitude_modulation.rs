//! Amplitude modulation: an eccentric rotor, a bent shaft or a slapping belt makes the machine's
//! sound swell and fade once per revolution. Gain swings between 1 and 1 − depth·intensity.

use super::osc::{advance, sin_cycles};
use super::GainCurve;

#[derive(Clone, Copy, Debug)]
pub struct AmplitudeModulationParams {
    /// Modulation rate (the rotation rate of the eccentric part), Hz.
    pub rate_hz: f32,
    /// Modulation depth at intensity 1: the fraction by which the envelope dips.
    pub depth: f32,
}

pub struct AmplitudeModulation {
    p: AmplitudeModulationParams,
    sr: f32,
    phase: f32,
}

impl AmplitudeModulation {
    pub fn new(p: AmplitudeModulationParams) -> Self {
        Self { p, sr: 48_000.0, phase: 0.0 }
    }
}

impl GainCurve for AmplitudeModulation {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.reset();
    }

    fn reset(&mut self) {
        self.phase = 0.0;
    }

    fn fill(&mut self, gains: &mut [f32], intensity: f32) {
        let depth = (self.p.depth * intensity).clamp(0.0, 1.0);
        let inc = self.p.rate_hz / self.sr;
        for g in gains.iter_mut() {
            *g = 1.0 - depth * (0.5 + 0.5 * sin_cycles(self.phase));
            advance(&mut self.phase, inc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::sine;
    use crate::dsp::{FaultChain, Modulated};

    /// Envelope by peak per carrier period; depth = 1 − min/max.
    fn measured_depth(x: &[f32], period: usize) -> f32 {
        let peaks: Vec<f32> = x.chunks(period).map(|c| c.iter().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
        let max = peaks.iter().cloned().fold(0.0, f32::max);
        let min = peaks.iter().cloned().fold(f32::MAX, f32::min);
        1.0 - min / max
    }

    #[test]
    fn measured_envelope_depth_matches_depth_times_intensity() {
        let sr = 16_000.0;
        for (depth, intensity) in [(0.6, 1.0), (0.8, 0.5), (1.0, 0.9)] {
            let mut x = sine(1000.0, 0.5, sr, sr as usize * 2);
            let p = AmplitudeModulationParams { rate_hz: 4.0, depth };
            let mut chain = FaultChain::single(Box::new(Modulated::new(AmplitudeModulation::new(p), intensity)), intensity);
            chain.prepare(sr, 256, 1);
            chain.process_mono(&mut x);
            let got = measured_depth(&x, 16);
            let want = depth * intensity;
            assert!((got - want).abs() < 0.02, "depth {depth}×{intensity}: measured {got}");
        }
    }
}
