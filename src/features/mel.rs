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
pub fn mel_filterbank(
    sr: f32,
    n_fft: usize,
    n_mels: usize,
    fmin: f32,
    fmax: f32,
) -> Vec<MelFilter> {
    let bins = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..bins)
        .map(|k| k as f64 * sr as f64 / n_fft as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(fmin as f64), hz_to_mel(fmax as f64));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
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
            MelFilter {
                start,
                weights: w[start..end].iter().map(|&v| v as f32).collect(),
            }
        })
        .collect()
}

/// Filters per group in `MelBank`: one AVX register of f32.
const GROUP: usize = 8;

/// The filterbank laid out for speed: filters in groups of eight, each group a dense
/// `bins × 8` block over the bins any of its filters touches. A bin's power is then one
/// broadcast times one row of eight weights; filter by filter, most of the time went to
/// starting and finishing sums only 3 to 25 bins long.
pub struct MelBank {
    groups: Vec<FilterGroup>,
    n_mels: usize,
}

struct FilterGroup {
    start: usize,
    /// Row r: the weights of the group's filters for bin `start + r` (zero past the last filter).
    rows: Vec<[f32; GROUP]>,
}

impl MelBank {
    pub fn new(filters: &[MelFilter]) -> Self {
        let groups = filters
            .chunks(GROUP)
            .map(|group| {
                // Empty filters (a band narrower than a bin) have no start of their own.
                let used = || group.iter().filter(|f| !f.weights.is_empty());
                let start = used().map(|f| f.start).min().unwrap_or(0);
                let end = used()
                    .map(|f| f.start + f.weights.len())
                    .max()
                    .unwrap_or(start);
                let mut rows = vec![[0.0; GROUP]; end - start];
                for (i, f) in group.iter().enumerate() {
                    for (j, w) in f.weights.iter().enumerate() {
                        rows[f.start + j - start][i] = *w;
                    }
                }
                FilterGroup { start, rows }
            })
            .collect();
        Self {
            groups,
            n_mels: filters.len(),
        }
    }

    /// Mel energies of one power spectrum: `out[m] = Σ_k w_m[k]·power[k]`.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        assert_eq!(out.len(), self.n_mels, "one value per mel band");
        apply_groups(&self.groups, power, out);
    }
}

/// Sums over bins in `LANES` interleaved runs, so consecutive multiply-adds do not wait on each
/// other. One function for the whole bank, so the group loop inlines (the last, partial group's
/// copy was a memmove call per frame).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx+fma", "x86_64+avx"))]
fn apply_groups(groups: &[FilterGroup], power: &[f32], out: &mut [f32]) {
    const LANES: usize = 8;
    // A fused multiply-add where the CPU has one; `mul_add` elsewhere would be a library call.
    let fused = multiversion::target::target_cfg_f!(target_feature = "fma");
    let madd = |acc: f32, w: f32, p: f32| {
        if fused {
            w.mul_add(p, acc)
        } else {
            acc + w * p
        }
    };
    for (group, band) in groups.iter().zip(out.chunks_mut(GROUP)) {
        let rows = &group.rows;
        let power = &power[group.start..group.start + rows.len()];
        let mut acc = [[0.0f32; GROUP]; LANES];
        let (row_blocks, power_blocks) = (rows.chunks_exact(LANES), power.chunks_exact(LANES));
        let (row_tail, power_tail) = (row_blocks.remainder(), power_blocks.remainder());
        for (r, p) in row_blocks.zip(power_blocks) {
            for lane in 0..LANES {
                for i in 0..GROUP {
                    acc[lane][i] = madd(acc[lane][i], r[lane][i], p[lane]);
                }
            }
        }
        for (lane, (r, p)) in row_tail.iter().zip(power_tail).enumerate() {
            for i in 0..GROUP {
                acc[lane][i] = madd(acc[lane][i], r[i], *p);
            }
        }
        let mut sums = [0.0; GROUP];
        for i in 0..GROUP {
            sums[i] = ((acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]))
                + ((acc[4][i] + acc[5][i]) + (acc[6][i] + acc[7][i]));
        }
        if let Ok(band) = <&mut [f32; GROUP]>::try_from(&mut *band) {
            *band = sums;
        } else {
            band.copy_from_slice(&sums[..band.len()]);
        }
    }
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

    #[test]
    fn grouped_bank_sums_as_the_sparse_filters_do() {
        for n_mels in [128, 64, 13] {
            let filters = mel_filterbank(16_000.0, 1024, n_mels, 0.0, 8000.0);
            let bank = MelBank::new(&filters);
            let mut rng = crate::dsp::Rng::new(9);
            let power: Vec<f32> = (0..513).map(|_| rng.bipolar().abs() * 100.0).collect();
            let mut got = vec![0.0; n_mels];
            bank.apply(&power, &mut got);
            for (m, f) in filters.iter().enumerate() {
                let want: f64 = f
                    .weights
                    .iter()
                    .zip(&power[f.start..])
                    .map(|(w, p)| f64::from(*w) * f64::from(*p))
                    .sum();
                assert!(
                    (f64::from(got[m]) - want).abs() <= 1e-6 * want,
                    "{n_mels} mels, band {m}: {} vs {want}",
                    got[m]
                );
            }
        }
    }
}
