//! Model files in safetensors. Tensor names follow a PyTorch `nn.Sequential` of
//! `[Linear, BatchNorm1d, ReLU] × 9 + Linear` (Linear i at index 3i, its BatchNorm at 3i+1,
//! weights stored out × in), so `model.load_state_dict` takes them as they are; the Mahalanobis
//! covariance and its inverse sit beside them, feature settings and provenance in the metadata.

use super::mahalanobis::Mahalanobis;
use super::network::{Autoencoder, BatchNorm, Layer};
use super::{Model, Provenance};
use crate::features::FeatureConfig;
use ndarray::{Array1, Array2};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "faultline-autoencoder-1";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a safetensors file (truncated or corrupt?): {message}")]
    Format { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Mismatch { path: PathBuf, message: String },
}

fn f32_bytes(values: impl Iterator<Item = f32>) -> Vec<u8> {
    values.flat_map(f32::to_le_bytes).collect()
}

/// Writes the model atomically.
pub fn save_model(model: &Model, path: &Path) -> Result<(), ModelError> {
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let n = model.network.layers.len();
    for (i, layer) in model.network.layers.iter().enumerate() {
        let lin = 3 * i;
        let (fan_in, fan_out) = layer.w.dim();
        tensors.push((
            format!("{lin}.weight"),
            Dtype::F32,
            vec![fan_out, fan_in],
            f32_bytes(layer.w.t().iter().copied()),
        ));
        tensors.push((
            format!("{lin}.bias"),
            Dtype::F32,
            vec![fan_out],
            f32_bytes(layer.b.iter().copied()),
        ));
        if let Some(bn) = &layer.bn {
            let k = lin + 1;
            for (name, v) in [
                ("weight", &bn.gamma),
                ("bias", &bn.beta),
                ("running_mean", &bn.running_mean),
                ("running_var", &bn.running_var),
            ] {
                tensors.push((
                    format!("{k}.{name}"),
                    Dtype::F32,
                    vec![fan_out],
                    f32_bytes(v.iter().copied()),
                ));
            }
            tensors.push((
                format!("{k}.num_batches_tracked"),
                Dtype::I64,
                vec![],
                model.network.batches_tracked.to_le_bytes().to_vec(),
            ));
        }
        debug_assert!(i < n);
    }
    let k = model.mahalanobis.block_len();
    for (name, m) in [
        ("mahalanobis.cov", &model.mahalanobis.cov),
        ("mahalanobis.inv_cov", &model.mahalanobis.inv_cov),
    ] {
        tensors.push((
            name.into(),
            Dtype::F64,
            vec![k, k],
            m.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ));
    }
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(name, dtype, shape, data)| {
            (
                name.clone(),
                TensorView::new(*dtype, shape.clone(), data).expect("shape matches data"),
            )
        })
        .collect();
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert(
        "dims".to_string(),
        model
            .network
            .dims()
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    meta.insert(
        "features".to_string(),
        serde_json::to_string(&model.features).expect("serialisable"),
    );
    meta.insert(
        "provenance".to_string(),
        serde_json::to_string(&model.provenance).expect("serialisable"),
    );
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| ModelError::Format {
        path: path.into(),
        message: e.to_string(),
    })?;
    crate::dataset::write_atomic(path, |f| std::io::Write::write_all(f, &bytes)).map_err(|source| {
        ModelError::Io {
            path: path.into(),
            source,
        }
    })
}

pub fn load_model(path: &Path) -> Result<Model, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.into(),
        source,
    })?;
    let format_err = |message: String| ModelError::Format {
        path: path.into(),
        message,
    };
    let mismatch = |message: String| ModelError::Mismatch {
        path: path.into(),
        message,
    };
    let (_, metadata) =
        SafeTensors::read_metadata(&bytes).map_err(|e| format_err(e.to_string()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| format_err(e.to_string()))?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    let dims: Vec<usize> = match meta.get("dims") {
        Some(d) => d
            .split(',')
            .map(|v| {
                v.parse()
                    .map_err(|_| mismatch(format!("metadata dims \"{d}\" is not a list of sizes")))
            })
            .collect::<Result<_, _>>()?,
        // A state dict saved from PyTorch without our metadata: the baseline's shape.
        None => super::BASELINE_DIMS.to_vec(),
    };
    let features: FeatureConfig = match meta.get("features") {
        Some(f) => {
            serde_json::from_str(f).map_err(|e| mismatch(format!("metadata features: {e}")))?
        }
        None => FeatureConfig::default(),
    };
    if features.dims() != dims[0] {
        return Err(mismatch(format!(
            "features give {}-dim vectors but the network takes {}",
            features.dims(),
            dims[0]
        )));
    }
    let f = &features;
    if !(1000..=192_000).contains(&f.sample_rate)
        || f.n_fft < 2
        || !f.n_fft.is_multiple_of(2)
        || f.hop == 0
        || f.n_mels == 0
        || f.frames == 0
        || f.n_mels > f.n_fft / 2 + 1
    {
        return Err(mismatch(format!("metadata features {f:?} are not usable (rate 1–192 kHz, even n_fft, hop, mels ≤ n_fft/2+1, frames ≥ 1)")));
    }
    let provenance: Provenance = meta
        .get("provenance")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();

    let read = |name: &str, shape: &[usize]| -> Result<Vec<f64>, ModelError> {
        let t = st
            .tensor(name)
            .map_err(|_| mismatch(format!("tensor {name} is missing")))?;
        if t.shape() != shape {
            return Err(mismatch(format!(
                "tensor {name} has shape {:?}, expected {shape:?}",
                t.shape()
            )));
        }
        Ok(match t.dtype() {
            Dtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
                .collect(),
            Dtype::F64 => t
                .data()
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            Dtype::I64 => t
                .data()
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
                .collect(),
            other => {
                return Err(mismatch(format!(
                    "tensor {name} has dtype {other:?}; expected F32"
                )))
            }
        })
    };
    let vec1 = |name: &str, n: usize| -> Result<Array1<f32>, ModelError> {
        Ok(Array1::from(
            read(name, &[n])?
                .into_iter()
                .map(|v| v as f32)
                .collect::<Vec<_>>(),
        ))
    };
    let n = dims.len() - 1;
    let mut layers = Vec::new();
    let mut batches_tracked = 0;
    for i in 0..n {
        let lin = 3 * i;
        let (fan_in, fan_out) = (dims[i], dims[i + 1]);
        let w_out_in = read(&format!("{lin}.weight"), &[fan_out, fan_in])?;
        let w = Array2::from_shape_fn((fan_in, fan_out), |(r, c)| w_out_in[c * fan_in + r] as f32);
        let b = vec1(&format!("{lin}.bias"), fan_out)?;
        let bn = if i + 1 < n {
            let k = lin + 1;
            batches_tracked = read(&format!("{k}.num_batches_tracked"), &[])
                .map(|v| v[0] as i64)
                .unwrap_or(0);
            Some(BatchNorm {
                gamma: vec1(&format!("{k}.weight"), fan_out)?,
                beta: vec1(&format!("{k}.bias"), fan_out)?,
                running_mean: vec1(&format!("{k}.running_mean"), fan_out)?,
                running_var: vec1(&format!("{k}.running_var"), fan_out)?,
            })
        } else {
            None
        };
        layers.push(Layer { w, b, bn });
    }
    let k = features.n_mels;
    let square = |name: &str| -> Result<Array2<f64>, ModelError> {
        Ok(Array2::from_shape_vec((k, k), read(name, &[k, k])?).expect("checked shape"))
    };
    // A PyTorch state dict has no residual statistics: identity covariance (the Mahalanobis
    // score is then the squared residual per block) until `train` refits them.
    let mahalanobis = if st.names().iter().any(|n| n.starts_with("mahalanobis.")) {
        Mahalanobis {
            cov: square("mahalanobis.cov")?,
            inv_cov: square("mahalanobis.inv_cov")?,
        }
    } else {
        Mahalanobis {
            cov: Array2::eye(k),
            inv_cov: Array2::eye(k),
        }
    };
    Ok(Model {
        network: Autoencoder {
            layers,
            batches_tracked,
        },
        mahalanobis,
        features,
        provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::Rng;

    fn small_model() -> Model {
        let features = FeatureConfig {
            n_mels: 4,
            frames: 2,
            ..FeatureConfig::default()
        };
        let network = Autoencoder::new(&[8, 6, 3, 6, 8], 4);
        let mut rng = Rng::new(1);
        let residuals = Array2::from_shape_fn((50, 8), |_| rng.gaussian());
        Model {
            network,
            mahalanobis: Mahalanobis::fit(residuals.view(), 4),
            features,
            provenance: Provenance {
                clips: 3,
                ..Default::default()
            },
        }
    }

    #[test]
    fn save_then_load_gives_the_same_model() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        let m = small_model();
        save_model(&m, &p).unwrap();
        assert_eq!(load_model(&p).unwrap(), m);
    }

    #[test]
    fn truncated_and_mismatched_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        save_model(&small_model(), &p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let cut = dir.path().join("cut.safetensors");
        std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
        let e = load_model(&cut).unwrap_err().to_string();
        assert!(
            e.contains("cut.safetensors") && e.contains("truncated or corrupt"),
            "{e}"
        );

        // Same file with a wrong feature size in the metadata.
        let mut m = small_model();
        m.features.frames = 3;
        let bad = dir.path().join("bad.safetensors");
        save_model(&m, &bad).unwrap();
        let e = load_model(&bad).unwrap_err().to_string();
        assert!(e.contains("12-dim vectors but the network takes 8"), "{e}");

        let e = load_model(&dir.path().join("none.safetensors"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.safetensors"), "{e}");
    }
}
