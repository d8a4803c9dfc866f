//! Incremental detector features: resampling to the feature rate, centred log-mel frames and
//! 5-frame stacking, computed as the samples arrive with the same code as the offline features
//! (`features::resample`, `LogMel`), so a stream gives the offline vectors sample for sample.

use crate::features::{resampler, FeatureConfig, LogMel, RESAMPLE_CHUNK};
use rubato::{FftFixedIn, Resampler};

pub struct FeatureStream {
    config: FeatureConfig,
    input_rate: u32,
    resampler: Option<FftFixedIn<f32>>,
    /// Input waiting for a whole resampler chunk.
    pending_in: Vec<f32>,
    resampled: Vec<f32>,
    /// Resampler output still to skip (its delay).
    skip: usize,
    /// Feature-rate samples not yet framed, starting at `offset` in the centre-padded stream.
    pending: Vec<f32>,
    offset: u64,
    logmel: LogMel,
    frame: Vec<f32>,
    /// The last `frames` log-mel frames, oldest first.
    stack: Vec<f32>,
    frames_seen: u64,
}

impl FeatureStream {
    pub fn new(config: FeatureConfig, input_rate: u32) -> Self {
        let input_rate = input_rate.max(1);
        let resampler =
            (input_rate != config.sample_rate).then(|| resampler(input_rate, config.sample_rate));
        let skip = resampler.as_ref().map_or(0, |r| r.output_delay());
        let resampled = vec![0.0; resampler.as_ref().map_or(0, |r| r.output_frames_max())];
        Self {
            logmel: LogMel::new(config.clone()),
            frame: vec![0.0; config.n_mels],
            stack: Vec::with_capacity(config.dims()),
            // librosa's center=True: n_fft/2 zeros before the first sample.
            pending: vec![0.0; config.n_fft / 2],
            offset: 0,
            pending_in: Vec::with_capacity(RESAMPLE_CHUNK),
            resampled,
            skip,
            resampler,
            input_rate,
            frames_seen: 0,
            config,
        }
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Feature-rate position of the centre of vector `i` (samples since the stream began).
    pub fn vector_centre(&self, i: u64) -> u64 {
        (i + self.config.frames as u64 / 2) * self.config.hop as u64
    }

    /// Feeds input samples; calls `on_vector(index, vector)` for every completed vector.
    pub fn push(&mut self, samples: &[f32], mut on_vector: impl FnMut(u64, &[f32])) {
        match self.resampler.as_mut() {
            None => self.pending.extend_from_slice(samples),
            Some(r) => {
                let mut rest = samples;
                while !rest.is_empty() {
                    let need = r.input_frames_next() - self.pending_in.len();
                    let take = need.min(rest.len());
                    self.pending_in.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if self.pending_in.len() == r.input_frames_next() {
                        let (_, produced) = r
                            .process_into_buffer(
                                &[&self.pending_in],
                                &mut [&mut self.resampled],
                                None,
                            )
                            .expect("fixed sizes");
                        self.pending_in.clear();
                        let skip = self.skip.min(produced);
                        self.skip -= skip;
                        self.pending
                            .extend_from_slice(&self.resampled[skip..produced]);
                    }
                }
            }
        }
        self.frame_pending(&mut on_vector);
    }

    fn frame_pending(&mut self, on_vector: &mut impl FnMut(u64, &[f32])) {
        let (n_fft, hop, m, k) = (
            self.config.n_fft,
            self.config.hop,
            self.config.n_mels,
            self.config.frames,
        );
        let mut start = 0;
        while start + n_fft <= self.pending.len() {
            self.logmel
                .frame(&self.pending[start..start + n_fft], &mut self.frame);
            if self.stack.len() == k * m {
                self.stack.drain(..m);
            }
            self.stack.extend_from_slice(&self.frame);
            self.frames_seen += 1;
            if self.stack.len() == k * m {
                on_vector(self.frames_seen - k as u64, &self.stack);
            }
            start += hop;
        }
        self.pending.drain(..start);
        self.offset += start as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{resample, stack};

    /// Streaming in uneven pieces gives the offline vectors (resampling included).
    #[test]
    fn streamed_vectors_equal_offline_vectors() {
        for rate in [16_000u32, 48_000, 44_100] {
            let mut rng = crate::dsp::Rng::new(rate as u64);
            let x: Vec<f32> = (0..rate as usize * 3)
                .map(|i| 0.3 * (i as f32 * 0.05).sin() + 0.05 * rng.bipolar())
                .collect();
            let config = FeatureConfig::default();
            let y = if rate == 16_000 {
                x.clone()
            } else {
                resample(&x, rate, 16_000)
            };
            let offline = stack(&LogMel::new(config.clone()).spectrogram(&y), 128, 5);
            let mut stream = FeatureStream::new(config, rate);
            let mut got: Vec<(u64, Vec<f32>)> = Vec::new();
            let mut pos = 0;
            while pos < x.len() {
                let n = (1 + rng.below(3000)).min(x.len() - pos);
                stream.push(&x[pos..pos + n], |i, v| got.push((i, v.to_vec())));
                pos += n;
            }
            assert!(got.len() > 80, "{rate}: {} vectors", got.len());
            for (i, v) in &got {
                let want = &offline[*i as usize * 640..(*i as usize + 1) * 640];
                let worst = v
                    .iter()
                    .zip(want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(worst < 1e-4, "{rate}: vector {i} differs by {worst} dB");
            }
        }
    }
}
