//! librosa's mel scale (Slaney: linear below 1 kHz, logarithmic above) and its filterbank with
//! Slaney area normalisation, stored sparsely.

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;
fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
    } else {
        hz / F_SP
    }
}

pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// One triangular filter: weights for FFT bins `start..start + weights.len()`.
#[derive(Clone, Debug)]
pub struct MelFilter {
    pub start: usize,
    /// f32, as librosa builds the bank (its default dtype).
    pub weights: Vec<f32>,
}

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')`.
pub fn mel_filterbank(sr: f32, n_fft: usize, n_mels: usize, fmin: f32, fmax: f32) -> Vec<MelFilter> {
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins).map(|k| k as f64 * sr as f64 / n_fft as f64).collect();
    let (lo, hi) = (hz_to_mel(fmin as f64), hz_to_mel(fmax as f64));
    let mel_f: Vec<f64> = (0..n_mels + 2).map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64)).collect();
    (0..n_mels)
        .map(|m| {
            let (f0, f1, f2) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
            let enorm = 2.0 / (f2 - f0);
            let w: Vec<f64> = fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - f0) / (f1 - f0);
                    let upper = (f2 - f) / (f2 - f1);
                    lower.min(upper).max(0.0) * enorm
                })
                .collect();
            let start = w.iter().position(|&v| v > 0.0).unwrap_or(0);
            let end = w.iter().rposition(|&v| v > 0.0).map_or(start, |e| e + 1);
            MelFilter { start, weights: w[start..end].iter().map(|&v| v as f32).collect() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_matches_librosa_values() {
        // librosa.hz_to_mel: 1000 Hz → 15, 440 Hz → 6.6, 4000 Hz → 15 + ln 4 / (ln 6.4 / 27)
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(440.0) - 6.6).abs() < 1e-12);
        assert!((hz_to_mel(4000.0) - 35.163760314616646).abs() < 1e-9);
        for hz in [0.0, 300.0, 999.0, 1000.0, 5000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn slaney_norm_gives_each_filter_unit_area_in_hz() {
        let fb = mel_filterbank(16_000.0, 1024, 128, 0.0, 8000.0);
        assert_eq!(fb.len(), 128);
        // Area of a triangle of height 2/(f2-f0) over base (f2-f0) is 1; sampled at 15.6 Hz bins.
        let df = 16_000.0 / 1024.0;
        // Wide (upper) filters only: narrow ones span too few bins for a sampled area.
        for f in fb.iter().skip(100) {
            let area = f.weights.iter().map(|&w| f64::from(w)).sum::<f64>() * df;
            assert!((area - 1.0).abs() < 0.02, "area {area}");
        }
    }
}
