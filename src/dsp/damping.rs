//! Damping: clogging (a blocked filter, a choked intake, mud on a housing) muffles the high
//! part of the sound by a finite amount. Two high-shelf sections cut everything above a corner;
//! as intensity grows the corner slides, on a log scale, from 0.45·fs down to `cutoff_hz` and
//! the cut deepens to `depth_db`.
//!
//! The cut is depth_db × `scale_law(intensity)`, the severity scale's law, so the change fades to
//! nothing with intensity (a shelf at 0 dB is the identity). A low-pass whose cutoff slides down from the top of the band cannot
//! fade: its zero at Nyquist takes the top mel bands out at any intensity above 0.

use super::filters::{BiquadCoefs, BlockedCascade};
use super::{Block, Transform};

#[derive(Clone, Copy, Debug)]
pub struct DampingParams {
    /// Corner of the cut at intensity 1, Hz.
    pub cutoff_hz: f32,
    /// Cut above the corner at intensity 1, dB.
    pub depth_db: f32,
}

pub struct Damping {
    p: DampingParams,
    intensity: f32,
    sr: f32,
    filters: Vec<BlockedCascade>,
}

impl Damping {
    pub fn new(p: DampingParams, intensity: f32) -> Self {
        Self {
            p,
            intensity,
            sr: 48_000.0,
            filters: Vec::new(),
        }
    }

    /// The corner in force at the current intensity.
    pub fn effective_cutoff(&self) -> f64 {
        let top = 0.45 * f64::from(self.sr);
        let low = f64::from(self.p.cutoff_hz).min(top);
        (top.ln() + f64::from(self.intensity.clamp(0.0, 1.0)) * (low.ln() - top.ln())).exp()
    }

    /// The treble gain in force (dB, ≤ 0).
    pub fn cut_db(&self) -> f64 {
        -f64::from(self.p.depth_db.max(0.0) * super::scale_law(self.intensity))
    }

    pub fn sections(&self) -> [BiquadCoefs; 2] {
        let (fc, half) = (self.effective_cutoff(), 0.5 * self.cut_db());
        // A second corner half an octave up steepens the slope without moving the half-way point far.
        [
            BiquadCoefs::high_shelf(fc, half, f64::from(self.sr)),
            BiquadCoefs::high_shelf(fc * 1.5, half, f64::from(self.sr)),
        ]
    }
}

impl Transform for Damping {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.sr = sample_rate;
        self.filters = vec![BlockedCascade::new(self.sections()); channels];
    }

    /// Filters only: their memory starts empty, nothing depends on the position.
    fn seek(&mut self, _position: i64) {
        self.filters.iter_mut().for_each(BlockedCascade::reset);
    }

    fn set_intensity(&mut self, intensity: f32) {
        self.intensity = intensity;
        let sections = self.sections();
        let Some((first, rest)) = self.filters.split_first_mut() else {
            return;
        };
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

    fn params() -> DampingParams {
        DampingParams {
            cutoff_hz: 1000.0,
            depth_db: 30.0,
        }
    }

    fn gain_db(freq: f32, intensity: f32, sr: f32) -> f32 {
        let input = sine(freq, 0.3, sr, sr as usize);
        let mut out = input.clone();
        let mut chain = FaultChain::single(Box::new(Damping::new(params(), intensity)), intensity);
        chain.prepare(sr, 333, 1);
        chain.process_mono(&mut out);
        let half = sr as usize / 2;
        20.0 * (rms(&out[half..]) / rms(&input[half..])).log10()
    }

    /// The product of the two sections' analytic magnitudes (RBJ shelf formulas).
    fn designed_db(freq: f64, intensity: f32, sr: f32) -> f64 {
        let mut d = Damping::new(params(), intensity);
        d.prepare(sr, 64, 1);
        d.sections()
            .iter()
            .map(|s| 20.0 * s.magnitude(freq, f64::from(sr)).log10())
            .sum()
    }

    #[test]
    fn cuts_the_treble_by_the_set_depth_and_leaves_the_bass() {
        let sr = 16_000.0;
        for f in [100.0, 500.0, 3000.0, 6000.0, 7500.0] {
            let got = f64::from(gain_db(f, 1.0, sr));
            assert!(
                (got - designed_db(f64::from(f), 1.0, sr)).abs() < 0.1,
                "{f} Hz: {got}"
            );
        }
        assert!(gain_db(100.0, 1.0, sr).abs() < 1.0);
        for f in [4000.0, 7000.0, 7900.0] {
            let g = gain_db(f, 1.0, sr);
            assert!((g + 30.0).abs() < 1.5, "{f} Hz: {g} dB, want −30");
        }
    }

    #[test]
    fn the_cut_follows_the_scale_law_and_the_corner_falls() {
        let (mut last_fc, mut last_cut) = (f64::MAX, 1.0);
        for i in 1..=10 {
            let mut d = Damping::new(params(), i as f32 / 10.0);
            d.prepare(16_000.0, 64, 1);
            let (fc, cut) = (d.effective_cutoff(), d.cut_db());
            assert!(fc < last_fc && cut < last_cut);
            (last_fc, last_cut) = (fc, cut);
            let want = -30.0 * f64::from(crate::dsp::scale_law(i as f32 / 10.0));
            assert!((cut - want).abs() < 1e-4, "{cut} vs {want}");
        }
        assert!((last_fc - 1000.0).abs() < 1e-6 && (last_cut + 30.0).abs() < 1e-9);
        // At intensity 0.02 even the band edge moves by less than 0.1 dB, as designed.
        let g = gain_db(7900.0, 0.02, 16_000.0);
        assert!(
            g.abs() < 0.1 && (f64::from(g) - designed_db(7900.0, 0.02, 16_000.0)).abs() < 0.005,
            "{g}"
        );
    }
}
