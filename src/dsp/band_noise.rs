//! Band noise: wear, cavitation and leaks add broadband hiss concentrated in a band (a worn
//! bearing's roughness at a few kHz, a gas leak's high hiss, cavitation's crackle). White noise
//! through a 4th-order band-pass, normalised to unit RMS.

use super::filters::{Biquad, BiquadCoefs};
use super::{Rng, Segments, Source};

#[derive(Clone, Copy, Debug)]
pub struct BandNoiseParams {
    /// Centre of the band, Hz.
    pub center_hz: f32,
    /// Bandwidth, octaves.
    pub bandwidth_oct: f32,
}

pub struct BandNoise {
    p: BandNoiseParams,
    seed: u64,
    rng: Rng,
    segments: Segments,
    /// Timeline position of the next sample and the next segment boundary.
    t: i64,
    boundary: i64,
    filters: [Biquad; 2],
    norm: f32,
}

impl BandNoise {
    pub fn new(p: BandNoiseParams, seed: u64) -> Self {
        Self {
            p,
            seed,
            rng: Rng::new(seed),
            segments: Segments::new(48_000.0),
            t: 0,
            boundary: 0,
            filters: [Biquad::default(); 2],
            norm: 1.0,
        }
    }

    /// RBJ band-pass Q for a bandwidth in octaves.
    pub fn q_for_octaves(octaves: f32) -> f64 {
        let n = 2f64.powf(f64::from(octaves.max(0.01)));
        n.sqrt() / (n - 1.0)
    }
}

impl Source for BandNoise {
    fn prepare(&mut self, sample_rate: f32) {
        let c = BiquadCoefs::bandpass(
            f64::from(self.p.center_hz),
            Self::q_for_octaves(self.p.bandwidth_oct),
            f64::from(sample_rate),
        );
        self.filters = [Biquad::new(c); 2];
        // White noise of unit variance through the filters has variance Σh²: measure it on the
        // impulse response once, here rather than per sample.
        let mut probe = self.filters;
        let mut energy = 0.0f64;
        for n in 0..(sample_rate as usize * 2) {
            let x = if n == 0 { 1.0 } else { 0.0 };
            let [a, b] = &mut probe;
            let y = b.tick(a.tick(x)) as f64;
            energy += y * y;
        }
        self.norm = (1.0 / energy.sqrt().max(1e-12)) as f32;
        self.segments = Segments::new(sample_rate);
        self.seek(0);
    }

    /// The noise restarts from the segment's own seed at each boundary; a seek skips the
    /// segment's draws up to `position`. The band filters' memory starts empty.
    fn seek(&mut self, position: i64) {
        let start = self.segments.start_of(position);
        self.rng = Rng::new(self.segments.seed(self.seed, start));
        for _ in start..position {
            self.rng.next_u32();
        }
        self.t = position;
        self.boundary = start + self.segments.len;
        self.filters.iter_mut().for_each(Biquad::reset);
    }

    fn fill(&mut self, out: &mut [f32]) {
        // Uniform noise on [-√3, √3) has unit variance.
        let scale = 3f32.sqrt() * self.norm;
        // One loop through both sections: their feedback chains then overlap in time.
        let [a, b] = &mut self.filters;
        for o in out.iter_mut() {
            if self.t == self.boundary {
                self.rng = Rng::new(self.segments.seed(self.seed, self.t));
                self.boundary += self.segments.len;
            }
            self.t += 1;
            *o = b.tick(a.tick(self.rng.bipolar() * scale));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{band_fraction, rms};

    #[test]
    fn noise_has_unit_rms_and_sits_in_its_band() {
        let sr = 16_000.0;
        for (center, oct) in [(3000.0, 1.0), (500.0, 0.5), (6000.0, 2.0)] {
            let mut b = BandNoise::new(
                BandNoiseParams {
                    center_hz: center,
                    bandwidth_oct: oct,
                },
                1,
            );
            b.prepare(sr);
            let mut out = vec![0.0; sr as usize * 4];
            b.fill(&mut out);
            assert!(
                (rms(&out) - 1.0).abs() < 0.05,
                "{center}: rms {}",
                rms(&out)
            );
            let edge = 2f32.powf(oct / 2.0) * 1.5;
            let frac = band_fraction(&out, sr, center / edge, (center * edge).min(8000.0));
            assert!(frac > 0.9, "{center}/{oct}: {frac} in band");
        }
    }
}
