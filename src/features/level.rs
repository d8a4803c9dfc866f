//! What a fault does to a clip, measured the way a log-mel detector sees it.
//!
//! The **change** of a processed clip `y` against its unprocessed clip `x` is the larger of
//! - the largest change of any band of the clip-mean log-mel spectrum (the baseline's 1024-point,
//!   128-band features), dB — what an added sound, a filter or a pitch move does; and
//! - the mean over frames of the change of each frame's total log-mel power, dB — what an
//!   envelope fault (modulation, dropouts) does, which a clip mean averages away.
//!
//! The **fault level** is that change as the energy of an equivalent added sound relative to the
//! machine's in that band: `10·log10(10^(change/10) − 1)`. For a sound added to the machine it is
//! exactly the sound's energy relative to the machine's in the band where it stands out most;
//! a cut of the same number of dB gets the same level. Clip-mean powers make it blind to noise
//! realisation, so "nothing changed" is −∞, not a frame-wise distance's noise floor. Only frames
//! wholly inside the clip count: the zero-padded edge frames see the clip's abrupt ends as
//! broadband clicks, which dominate bands the machine leaves empty and move with any sub-sample
//! delay.
//!
//! The severity scale (`severity_db`) puts intensity 1 at `SCALE_TOP_DB` (+12 dB) and falls
//! 20 dB per decade of intensity: 0.5 is +6 dB, 0.25 is 0 dB (the band's energy doubled),
//! 0.02 is −22 dB. Every catalog function is calibrated to it, and the synthetic world's
//! reference faults are drawn on it.

use super::{FeatureConfig, LogMel};

/// Fault level at intensity 1 on the severity scale, dB.
pub const SEVERITY_DB: f64 = crate::dsp::SCALE_TOP_DB as f64;

/// The severities faults are drawn from, dB on the scale, uniformly: the reference faults of
/// the synthetic world and the keyword planner's intensities (0.25 … 1) alike, from a fault that
/// doubles the energy of the band where it shows to one 12 dB over the machine there.
pub const SEVERITY_RANGE_DB: (f64, f64) = (0.0, 12.0);

/// What a severity on the scale is measured against.
///
/// The scale's level takes the band where a change is largest against the sound it is given. A
/// catalog transform acts on a recording, so its level is measured against the recording. A
/// reference fault can be fitted against the machine's own sound (`Machine`: a fault is a sound
/// of the machine; the plant's ambient, mixed in afterwards, may then mask it — in bands the
/// machine leaves nearly empty, by up to 24 dB, `examples/reference_levels.rs`) or against what
/// the microphone records, machine plus ambient (`Recording`: what a condition-monitoring sensor
/// compares with its baseline, and how the catalog is measured).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MeasuredAt {
    #[default]
    Machine,
    Recording,
}

impl MeasuredAt {
    pub fn name(self) -> &'static str {
        match self {
            Self::Machine => "machine",
            Self::Recording => "recording",
        }
    }
}

impl std::str::FromStr for MeasuredAt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "machine" => Ok(Self::Machine),
            "recording" => Ok(Self::Recording),
            other => Err(format!(
                "\"{other}\": a severity is measured against the machine or the recording; allowed: machine, recording"
            )),
        }
    }
}

/// The intensity a severity (dB on the scale) stands for.
pub fn intensity_for(db: f64) -> f64 {
    10f64.powf((db - SEVERITY_DB) / 20.0)
}

/// The level intensity `i` stands for on the severity scale.
pub fn severity_db(intensity: f64) -> f64 {
    SEVERITY_DB + 20.0 * intensity.max(1e-12).log10()
}

/// The gain in `range` at which `level(gain)` stands at `target` dB, by secant steps in dB from
/// `start` = (gain, its level): a level grows 20 dB per decade of gain for an added sound but
/// less where the change correlates with the sound it is added to, so each step re-estimates the
/// slope. Stops within 0.25 dB, after `steps` steps, or at the edge of the range (a level out of
/// reach). Returns the gain and the level reached.
pub fn fit_gain(
    level: impl Fn(f32) -> f64,
    target: f64,
    start: (f32, f64),
    range: (f32, f32),
    steps: usize,
) -> (f32, f64) {
    let (mut g, mut l) = start;
    let mut slope = 1.0; // dB of level per 20·log10 of gain
    for _ in 0..steps {
        if !l.is_finite() || (l - target).abs() < 0.25 {
            break;
        }
        let next = (g * 10f32.powf(((target - l) / (20.0 * slope)) as f32)).clamp(range.0, range.1);
        if next == g {
            break;
        }
        let ln = level(next);
        let step = 20.0 * f64::from((next / g).log10());
        if step.abs() > 1e-6 && ln.is_finite() {
            slope = ((ln - l) / step).clamp(0.3, 3.0);
        }
        (g, l) = (next, ln);
    }
    (g, l)
}

/// A clip's log-mel power (linear, f64) over the frames wholly inside it: computed once, then
/// compared with any number of processed versions.
pub struct Frames {
    rows: Vec<Vec<f64>>,
    bands: usize,
}

impl Frames {
    pub fn of(x: &[f32], sample_rate: u32) -> Self {
        let config = FeatureConfig {
            sample_rate,
            ..FeatureConfig::default()
        };
        let (bands, hop, half) = (config.n_mels, config.hop, config.n_fft / 2);
        let spec = LogMel::new(config).spectrogram(x);
        // Frame t spans [t·hop − half, t·hop + half).
        let first = half.div_ceil(hop);
        let last = x.len().saturating_sub(half) / hop;
        let rows = spec
            .chunks_exact(bands)
            .enumerate()
            .filter(|(t, _)| (first..=last).contains(t))
            .map(|(_, r)| r.iter().map(|v| 10f64.powf(f64::from(*v) / 10.0)).collect())
            .collect();
        Self { rows, bands }
    }

    /// Clip-mean power per band.
    pub fn mean(&self) -> Vec<f64> {
        let mut mean = vec![0.0f64; self.bands];
        for row in &self.rows {
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut()
            .for_each(|m| *m /= self.rows.len().max(1) as f64);
        mean
    }

    /// Each frame's total power.
    fn totals(&self) -> impl Iterator<Item = f64> + '_ {
        self.rows.iter().map(|r| r.iter().sum::<f64>().max(1e-30))
    }

    /// The largest clip-mean band change of `y` against this clip, dB, over bands within 60 dB of
    /// the loudest (quieter ones carry no machine sound worth measuring against).
    pub fn max_band_change_db(&self, y: &Frames) -> f64 {
        let (px, py) = (self.mean(), y.mean());
        let loudest = px.iter().cloned().fold(0.0, f64::max);
        px.iter()
            .zip(&py)
            .filter(|(a, _)| **a > loudest * 1e-6)
            .map(|(a, b)| (10.0 * (b.max(1e-30) / a).log10()).abs())
            .fold(0.0, f64::max)
    }

    /// Mean over frames of the change of each frame's total power, dB.
    pub fn envelope_change_db(&self, y: &Frames) -> f64 {
        let n = self.rows.len().min(y.rows.len());
        self.totals()
            .zip(y.totals())
            .map(|(a, b)| (10.0 * (b / a).log10()).abs())
            .sum::<f64>()
            / n.max(1) as f64
    }

    /// The change of `y` against this clip, dB: the larger of the band and envelope changes.
    pub fn change_db(&self, y: &Frames) -> f64 {
        self.max_band_change_db(y).max(self.envelope_change_db(y))
    }

    /// Root mean square over every frame and band of the change of `y`'s log-mel against this
    /// clip's, dB: the change as a log-mel detector's squared error spreads it, every cell
    /// alike. The severity scale takes only the band (or the envelope) where a change is
    /// largest, so a tone added in one band and a modulation of all bands can share a level and
    /// differ tenfold here; `premise --cell-change-db` holds this one equal instead.
    pub fn rms_cell_change_db(&self, y: &Frames) -> f64 {
        let (mut sum, mut cells) = (0.0f64, 0usize);
        for (a, b) in self.rows.iter().zip(&y.rows) {
            for (p, q) in a.iter().zip(b) {
                let d = 10.0 * (q / p).log10();
                sum += d * d;
                cells += 1;
            }
        }
        (sum / cells.max(1) as f64).sqrt()
    }
}

/// Clip-mean mel power per band (the baseline's features before the log) over the frames wholly
/// inside the clip, f64.
pub fn mean_mel_power(x: &[f32], sample_rate: u32) -> Vec<f64> {
    Frames::of(x, sample_rate).mean()
}

/// Change of the clip-mean log-mel spectrum per band, dB (`y` against `x`).
pub fn band_change_db(x: &[f32], y: &[f32], sample_rate: u32) -> Vec<f64> {
    let (px, py) = (
        mean_mel_power(x, sample_rate),
        mean_mel_power(y, sample_rate),
    );
    px.iter()
        .zip(&py)
        .map(|(a, b)| 10.0 * (b.max(1e-30) / a.max(1e-30)).log10())
        .collect()
}

/// The largest change of any band of the clip-mean log-mel spectrum, dB (see `Frames`).
pub fn max_band_change_db(x: &[f32], y: &[f32], sample_rate: u32) -> f64 {
    Frames::of(x, sample_rate).max_band_change_db(&Frames::of(y, sample_rate))
}

/// Mean over frames of the change of each frame's total log-mel power, dB.
pub fn envelope_change_db(x: &[f32], y: &[f32], sample_rate: u32) -> f64 {
    Frames::of(x, sample_rate).envelope_change_db(&Frames::of(y, sample_rate))
}

/// The change of `y` against `x`, dB: the larger of the band and envelope changes.
pub fn change_db(x: &[f32], y: &[f32], sample_rate: u32) -> f64 {
    Frames::of(x, sample_rate).change_db(&Frames::of(y, sample_rate))
}

/// A change in dB as the level of an equivalent added sound, dB (−∞ for no change).
pub fn level_of_change(change_db: f64) -> f64 {
    10.0 * (10f64.powf(change_db / 10.0) - 1.0).log10()
}

/// The fault level of `y` against `x`, dB (see the module notes).
pub fn fault_level_db(x: &[f32], y: &[f32], sample_rate: u32) -> f64 {
    level_of_change(change_db(x, y, sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::testutil::{noise, sine};

    #[test]
    fn an_added_tone_measures_its_energy_relative_to_the_band_it_lands_in() {
        let sr = 16_000;
        let x = noise(3, 0.1, 160_000);
        let px = mean_mel_power(&x, sr);
        // A 2 kHz tone at an amplitude chosen to sit 3 dB under the noise in the band that holds
        // most of it (loud enough that the tone × noise cross term, which averages out only as
        // 1/√(frames × bins), stays under 0.2 dB).
        let tone = sine(2000.0, 1.0, sr as f32, x.len());
        let pt = mean_mel_power(&tone, sr);
        let band = (0..pt.len())
            .max_by(|&a, &b| pt[a].total_cmp(&pt[b]))
            .unwrap();
        let amp = (px[band] / pt[band] * 0.5).sqrt() as f32;
        let y: Vec<f32> = x.iter().zip(&tone).map(|(a, t)| a + amp * t).collect();
        let level = fault_level_db(&x, &y, sr);
        // Uncorrelated powers add: the reference is the tone's own spectrum over the noise's.
        let want = (0..px.len())
            .map(|b| 10.0 * (f64::from(amp * amp) * pt[b] / px[b]).log10())
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(want > -3.02 - 1e-6 && want < -1.0, "{want}");
        assert!(
            (level - want).abs() < 0.3,
            "level {level} dB, want {want} dB"
        );
    }

    #[test]
    fn a_cut_measures_as_the_added_sound_of_the_same_change_and_an_envelope_counts() {
        let sr = 16_000;
        let x = noise(4, 0.1, 64_000);
        // Halving the amplitude is a 6.02 dB change everywhere: level 10·log10(10^0.602 − 1).
        let y: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
        let level = fault_level_db(&x, &y, sr);
        assert!((level - 10.0 * 3f64.log10()).abs() < 1e-3, "{level}");
        assert!((max_band_change_db(&x, &y, sr) - 6.0206).abs() < 1e-3);
        assert_eq!(fault_level_db(&x, &x, sr), f64::NEG_INFINITY);
        // Half a second at −20 dB, half at 0 dB, in 0.5 s blocks: the clip mean moves by
        // 10·log10((1 + 0.01)/2) = −2.97 dB, the envelope by 20 dB on half the frames (≈ 10 dB,
        // less the frames that straddle a switch).
        let y: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(n, v)| if (n / 8000) % 2 == 0 { *v } else { 0.1 * v })
            .collect();
        let envelope = envelope_change_db(&x, &y, sr);
        assert!(envelope > 9.0 && envelope < 10.5, "{envelope}");
        assert!((change_db(&x, &y, sr) - envelope).abs() < 1e-12);
    }

    #[test]
    fn the_cell_change_is_the_rms_over_frames_and_bands() {
        let sr = 16_000;
        let x = noise(5, 0.1, 64_000);
        let (fx, of) = (Frames::of(&x, sr), |y: &[f32]| Frames::of(y, sr));
        assert_eq!(fx.rms_cell_change_db(&fx), 0.0);
        // Halving the amplitude: 6.02 dB in every cell.
        let half: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
        assert!((fx.rms_cell_change_db(&of(&half)) - 6.0206).abs() < 1e-3);
        // −20 dB on alternate 0.5-s blocks: 20 dB in half the cells, 0 in the rest, so
        // 20/√2 = 14.1 dB (a little less for the frames that straddle a switch) — where the
        // severity scale's envelope change is the mean, about 10 dB.
        let blocks: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(n, v)| if (n / 8000) % 2 == 0 { *v } else { 0.1 * v })
            .collect();
        let rms = fx.rms_cell_change_db(&of(&blocks));
        assert!(rms > 13.0 && rms < 14.2, "{rms}");
    }
}
