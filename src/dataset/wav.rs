//! WAV read and write: 8/16/24/32-bit integer and 32-bit float, any channel count and rate.

use super::write_atomic;
use std::path::{Path, PathBuf};

/// Deinterleaved audio.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    pub fn mono(sample_rate: u32, samples: Vec<f32>) -> Self {
        Self {
            sample_rate,
            channels: vec![samples],
        }
    }

    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Mean of the channels (the detector's input).
    pub fn downmix(&self) -> Vec<f32> {
        let n = self.channels.len().max(1) as f32;
        (0..self.frames())
            .map(|i| self.channels.iter().map(|c| c[i]).sum::<f32>() / n)
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    Int16,
    Int24,
    Float32,
}

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{path}: cannot read WAV: {source}")]
    Read { path: PathBuf, source: hound::Error },
    #[error("{path}: WAV has no channels or no samples")]
    Empty { path: PathBuf },
    #[error("{path}: cannot write WAV: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: sample rate {rate} Hz is outside {} to {} Hz", SAMPLE_RATES.start(), SAMPLE_RATES.end())]
    SampleRate { path: PathBuf, rate: u32 },
}

/// Sample rates a clip may declare: the fault DSP is built for 8–192 kHz, and a header outside
/// that is a damaged file, not audio.
pub const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;

/// Reads a whole WAV file; a corrupt or truncated file is an error naming it.
pub fn read_wav(path: &Path) -> Result<Audio, WavError> {
    let err = |source| WavError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = hound::WavReader::open(path).map_err(err)?;
    let spec = reader.spec();
    let ch = spec.channels as usize;
    if ch == 0 {
        return Err(WavError::Empty {
            path: path.to_path_buf(),
        });
    }
    if !SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(WavError::SampleRate {
            path: path.to_path_buf(),
            rate: spec.sample_rate,
        });
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(err)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(err)?
        }
    };
    // hound yields whole samples only; a data chunk cut mid-frame is a truncated file.
    if !interleaved.len().is_multiple_of(ch) {
        return Err(err(hound::Error::FormatError(
            "data ends in the middle of a frame (truncated file)",
        )));
    }
    let mut channels = vec![Vec::with_capacity(interleaved.len() / ch); ch];
    for frame in interleaved.chunks_exact(ch) {
        for (c, v) in channels.iter_mut().zip(frame) {
            c.push(*v);
        }
    }
    Ok(Audio {
        sample_rate: spec.sample_rate,
        channels,
    })
}

/// Writes a WAV atomically (temporary file, then rename). Integer formats clip to [-1, 1).
pub fn write_wav_atomic(path: &Path, audio: &Audio, format: SampleFormat) -> Result<(), WavError> {
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate,
        bits_per_sample: match format {
            SampleFormat::Int16 => 16,
            SampleFormat::Int24 => 24,
            SampleFormat::Float32 => 32,
        },
        sample_format: if format == SampleFormat::Float32 {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let to_io = |e: hound::Error| match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    };
    write_atomic(path, |file| {
        let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), spec).map_err(to_io)?;
        // Same scale as reading (2^(bits-1)), so a round trip is off by half a step at most.
        let full = (1i64 << (spec.bits_per_sample - 1)) as f32;
        let (lo, hi) = (-full, full - 1.0);
        for i in 0..audio.frames() {
            for c in &audio.channels {
                let v = if c[i].is_finite() { c[i] } else { 0.0 };
                match format {
                    SampleFormat::Float32 => w.write_sample(v),
                    SampleFormat::Int16 => w.write_sample((v * full).round().clamp(lo, hi) as i16),
                    SampleFormat::Int24 => w.write_sample((v * full).round().clamp(lo, hi) as i32),
                }
                .map_err(to_io)?;
            }
        }
        w.finalize().map_err(to_io)
    })
    .map_err(|source| WavError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_with_an_absurd_sample_rate_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        for rate in [1u32, 7_999, 192_001] {
            let path = dir.path().join(format!("r{rate}.wav"));
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::create(&path, spec).unwrap();
            for _ in 0..100 {
                w.write_sample(0i16).unwrap();
            }
            w.finalize().unwrap();
            let e = read_wav(&path).unwrap_err().to_string();
            assert!(
                e.contains(&format!("sample rate {rate} Hz"))
                    && e.contains(&path.display().to_string()),
                "{e}"
            );
        }
    }

    fn tone(ch: usize) -> Audio {
        Audio {
            sample_rate: 22_050,
            channels: (0..ch)
                .map(|c| {
                    (0..1000)
                        .map(|i| ((i * (c + 1)) as f32 * 0.01).sin() * 0.9)
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn every_format_round_trips_within_its_resolution() {
        let dir = tempfile::tempdir().unwrap();
        for (format, tol) in [
            (SampleFormat::Int16, 0.5 / 32_768.0),
            (SampleFormat::Int24, 0.5 / 8_388_608.0 + 1e-7),
            (SampleFormat::Float32, 0.0),
        ] {
            for ch in [1, 2, 6] {
                let a = tone(ch);
                let p = dir.path().join(format!("{format:?}_{ch}.wav"));
                write_wav_atomic(&p, &a, format).unwrap();
                let b = read_wav(&p).unwrap();
                assert_eq!(
                    (b.sample_rate, b.channels.len(), b.frames()),
                    (22_050, ch, 1000)
                );
                let err = a
                    .channels
                    .iter()
                    .flatten()
                    .zip(b.channels.iter().flatten())
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max);
                assert!(err <= tol, "{format:?}: {err}");
            }
        }
    }

    #[test]
    fn reads_8_and_32_bit_integer_files() {
        let dir = tempfile::tempdir().unwrap();
        for bits in [8u16, 32] {
            let p = dir.path().join(format!("i{bits}.wav"));
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: 8000,
                bits_per_sample: bits,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::create(&p, spec).unwrap();
            let half = 1i32 << (bits - 2);
            for v in [0, half, -half] {
                if bits == 8 {
                    w.write_sample(v as i8).unwrap()
                } else {
                    w.write_sample(v).unwrap()
                }
            }
            w.finalize().unwrap();
            let a = read_wav(&p).unwrap();
            assert_eq!(a.channels[0], vec![0.0, 0.5, -0.5], "{bits}-bit");
        }
    }

    #[test]
    fn corrupt_and_truncated_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.wav");
        std::fs::write(&junk, b"RIFF1234WAVEnope").unwrap();
        let e = read_wav(&junk).unwrap_err().to_string();
        assert!(e.contains("junk.wav"), "{e}");

        let good = dir.path().join("good.wav");
        write_wav_atomic(&good, &tone(2), SampleFormat::Int16).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() - 1001]).unwrap();
        let e = read_wav(&cut).unwrap_err().to_string();
        assert!(e.contains("cut.wav"), "{e}");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        write_wav_atomic(&p, &tone(1), SampleFormat::Int16).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.wav")]);
    }
}
