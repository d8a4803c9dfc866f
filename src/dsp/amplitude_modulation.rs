//! Amplitude modulation: an eccentric rotor, a bent shaft or a slapping belt makes the machine's
//! sound swell and fade once per revolution. The gain swings, as a raised cosine in dB, between 0 dB and
//! −depth_db × `scale_law(intensity)` (the severity scale's law, shared by every multiplicative
//! fault).

use super::osc::sin_cycles;
use super::{FixedPhase, GainCurve};

#[derive(Clone, Copy, Debug)]
pub struct AmplitudeModulationParams {
    /// Modulation rate (the rotation rate of the eccentric part), Hz.
    pub rate_hz: f32,
    /// Depth of the envelope's dip at intensity 1, dB.
    pub depth_db: f32,
}

pub struct AmplitudeModulation {
    p: AmplitudeModulationParams,
    sr: f32,
    /// Timeline position of the next sample.
    position: i64,
}

impl AmplitudeModulation {
    pub fn new(p: AmplitudeModulationParams) -> Self {
        Self {
            p,
            sr: 48_000.0,
            position: 0,
        }
    }
}

impl GainCurve for AmplitudeModulation {
    fn prepare(&mut self, sample_rate: f32) {
        self.sr = sample_rate;
        self.seek(0, 0.0);
    }

    fn seek(&mut self, position: i64, _intensity: f32) {
        self.position = position;
    }

    fn fill(&mut self, gains: &mut [f32], intensity: f32) {
        // Amplitude dB → natural-log units, once per block: g = exp(−k·(0.5 + 0.5·sin)).
        let k = self.p.depth_db.max(0.0)
            * super::scale_law(intensity)
            * (std::f32::consts::LN_10 / 20.0);
        // The phase is a function of the position (`FixedPhase`).
        let osc = FixedPhase::new(self.p.rate_hz, self.sr);
        let mut phase = osc.at(self.position);
        for g in gains.iter_mut() {
            *g = (-k * (0.5 + 0.5 * sin_cycles(FixedPhase::cycles(phase)))).exp();
            phase = osc.next(phase);
        }
        self.position += gains.len() as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::sine;
    use crate::dsp::{FaultChain, Modulated};

    /// Envelope by peak per carrier period; depth = 1 − min/max.
    fn measured_depth(x: &[f32], period: usize) -> f32 {
        let peaks: Vec<f32> = x
            .chunks(period)
            .map(|c| c.iter().fold(0.0f32, |m, v| m.max(v.abs())))
            .collect();
        let max = peaks.iter().cloned().fold(0.0, f32::max);
        let min = peaks.iter().cloned().fold(f32::MAX, f32::min);
        1.0 - min / max
    }

    #[test]
    fn measured_envelope_dip_follows_the_scale_law() {
        let sr = 16_000.0;
        for (depth_db, intensity) in [(6.0f32, 1.0f32), (20.0, 0.5), (12.0, 0.9)] {
            let mut x = sine(1000.0, 0.5, sr, sr as usize * 2);
            let p = AmplitudeModulationParams {
                rate_hz: 4.0,
                depth_db,
            };
            let mut chain = FaultChain::single(
                Box::new(Modulated::new(AmplitudeModulation::new(p), intensity)),
                intensity,
            );
            chain.prepare(sr, 256, 1);
            chain.process_mono(&mut x);
            let got = measured_depth(&x, 16);
            let want = 1.0 - 10f32.powf(-depth_db * crate::dsp::scale_law(intensity) / 20.0);
            assert!(
                (got - want).abs() < 0.02,
                "depth {depth_db} dB × {intensity}: measured {got}, want {want}"
            );
        }
    }
}
