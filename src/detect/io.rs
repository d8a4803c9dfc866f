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
/// The kNN detector's files (`knn.rs`): `knn.mean`, `knn.std` and one `knn.bank.<domain>` of
/// unit-length standardized training embeddings per domain; k, features and provenance in the
/// metadata.
pub const KNN_FORMAT: &str = "faultline-knn-1";

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
    // Selective Mahalanobis: `mahalanobis.<domain>.cov` / `.inv_cov` per domain.
    for (domain, stats) in &model.selective {
        for (what, m) in [("cov", &stats.cov), ("inv_cov", &stats.inv_cov)] {
            tensors.push((
                format!("mahalanobis.{domain}.{what}"),
                Dtype::F64,
                vec![k, k],
                m.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ));
        }
    }
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
    write_tensors(path, &tensors, meta)
}

/// Feature settings a model file may hold.
fn check_features(f: &FeatureConfig) -> Result<(), String> {
    if !(1000..=192_000).contains(&f.sample_rate)
        || f.n_fft < 2
        || !f.n_fft.is_multiple_of(2)
        || f.hop == 0
        || f.n_mels == 0
        || f.frames == 0
        || f.n_mels > f.n_fft / 2 + 1
    {
        return Err(format!("metadata features {f:?} are not usable (rate 1–192 kHz, even n_fft, hop, mels ≤ n_fft/2+1, frames ≥ 1)"));
    }
    Ok(())
}

/// Serialises tensors (name, dtype, shape, little-endian bytes) with metadata, atomically.
fn write_tensors(
    path: &Path,
    tensors: &[(String, Dtype, Vec<usize>, Vec<u8>)],
    meta: HashMap<String, String>,
) -> Result<(), ModelError> {
    let views: Vec<(String, TensorView)> = tensors
        .iter()
        .map(|(name, dtype, shape, data)| {
            (
                name.clone(),
                TensorView::new(*dtype, shape.clone(), data).expect("shape matches data"),
            )
        })
        .collect();
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

/// Writes a kNN detector atomically.
pub fn save_knn(knn: &super::knn::Knn, path: &Path) -> Result<(), ModelError> {
    let dims = knn.mean.len();
    let mut tensors = vec![
        (
            "knn.mean".to_string(),
            Dtype::F32,
            vec![dims],
            f32_bytes(knn.mean.iter().copied()),
        ),
        (
            "knn.std".to_string(),
            Dtype::F32,
            vec![dims],
            f32_bytes(knn.std.iter().copied()),
        ),
    ];
    for (domain, bank) in &knn.banks {
        tensors.push((
            format!("knn.bank.{domain}"),
            Dtype::F32,
            vec![bank.nrows(), bank.ncols()],
            f32_bytes(bank.iter().copied()),
        ));
    }
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), KNN_FORMAT.to_string());
    meta.insert("k".to_string(), knn.k.to_string());
    meta.insert(
        "features".to_string(),
        serde_json::to_string(&knn.features).expect("serialisable"),
    );
    meta.insert(
        "provenance".to_string(),
        serde_json::to_string(&knn.provenance).expect("serialisable"),
    );
    write_tensors(path, &tensors, meta)
}

/// Reads a kNN detector written by `save_knn`.
pub fn load_knn(path: &Path) -> Result<super::knn::Knn, ModelError> {
    knn_from(&read_file(path)?, path)
}

fn read_file(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.into(),
        source,
    })
}

/// A model file as the detector it holds, read once: a kNN file (its `format` metadata) or an
/// autoencoder (ours, or a bare PyTorch state dict).
pub fn load_detectors(path: &Path) -> Result<super::Detectors, ModelError> {
    let bytes = read_file(path)?;
    let (_, metadata) = SafeTensors::read_metadata(&bytes).map_err(|e| ModelError::Format {
        path: path.into(),
        message: e.to_string(),
    })?;
    let is_knn = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get("format"))
        .is_some_and(|f| f == KNN_FORMAT);
    Ok(if is_knn {
        super::Detectors {
            ae: None,
            knn: Some(knn_from(&bytes, path)?),
        }
    } else {
        super::Detectors {
            ae: Some(model_from(&bytes, path)?),
            knn: None,
        }
    })
}

fn knn_from(bytes: &[u8], path: &Path) -> Result<super::knn::Knn, ModelError> {
    let mismatch = |message: String| ModelError::Mismatch {
        path: path.into(),
        message,
    };
    let format_err = |e: safetensors::SafeTensorError| ModelError::Format {
        path: path.into(),
        message: e.to_string(),
    };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(format_err)?;
    let st = SafeTensors::deserialize(bytes).map_err(format_err)?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(KNN_FORMAT) {
        return Err(mismatch(format!(
            "not a kNN detector's file (format {:?}; an autoencoder's is used with --detector ae)",
            meta.get("format")
        )));
    }
    let k: usize = meta
        .get("k")
        .and_then(|k| k.parse().ok())
        .filter(|k| *k >= 1)
        .ok_or_else(|| mismatch("metadata k is missing or not a positive integer".into()))?;
    let features: FeatureConfig = serde_json::from_str(
        meta.get("features")
            .ok_or_else(|| mismatch("metadata features missing".into()))?,
    )
    .map_err(|e| mismatch(format!("metadata features: {e}")))?;
    check_features(&features).map_err(mismatch)?;
    let provenance = meta
        .get("provenance")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let floats = |name: &str| -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let t = st
            .tensor(name)
            .map_err(|_| mismatch(format!("tensor {name} is missing")))?;
        if t.dtype() != Dtype::F32 {
            return Err(mismatch(format!(
                "tensor {name} is {:?}, expected F32",
                t.dtype()
            )));
        }
        let v: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if v.iter().any(|x| !x.is_finite()) {
            return Err(mismatch(format!("tensor {name} holds a non-finite value")));
        }
        Ok((t.shape().to_vec(), v))
    };
    let (_, mean) = floats("knn.mean")?;
    let (_, std) = floats("knn.std")?;
    if mean.len() != 2 * features.n_mels || std.len() != mean.len() || std.iter().any(|s| *s <= 0.0)
    {
        return Err(mismatch(format!(
            "knn.mean / knn.std: expected {} positive-std dimensions (2 × {} bands)",
            2 * features.n_mels,
            features.n_mels
        )));
    }
    let mut names: Vec<String> = st
        .names()
        .into_iter()
        .filter(|n| n.starts_with("knn.bank."))
        .map(str::to_string)
        .collect();
    names.sort();
    let mut banks = Vec::new();
    for name in names {
        let (shape, v) = floats(&name)?;
        if shape.len() != 2 || shape[1] != mean.len() || shape[0] == 0 {
            return Err(mismatch(format!(
                "tensor {name} has shape {shape:?}, expected [clips, {}]",
                mean.len()
            )));
        }
        banks.push((
            name.trim_start_matches("knn.bank.").to_string(),
            Array2::from_shape_vec((shape[0], shape[1]), v).expect("shape checked"),
        ));
    }
    if banks.is_empty() {
        return Err(mismatch("no knn.bank.<domain> tensor".into()));
    }
    Ok(super::knn::Knn {
        features,
        k,
        mean,
        std,
        banks,
        provenance,
    })
}

pub fn load_model(path: &Path) -> Result<Model, ModelError> {
    model_from(&read_file(path)?, path)
}

fn model_from(bytes: &[u8], path: &Path) -> Result<Model, ModelError> {
    let format_err = |message: String| ModelError::Format {
        path: path.into(),
        message,
    };
    let mismatch = |message: String| ModelError::Mismatch {
        path: path.into(),
        message,
    };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| format_err(e.to_string()))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| format_err(e.to_string()))?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) == Some(KNN_FORMAT) {
        return Err(mismatch(
            "a kNN detector's file, not an autoencoder's (use it with --detector knn)".into(),
        ));
    }
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
    check_features(&features).map_err(mismatch)?;
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
    let mut domains: Vec<String> = st
        .names()
        .into_iter()
        .filter_map(|n| {
            n.strip_prefix("mahalanobis.")?
                .strip_suffix(".inv_cov")
                .map(str::to_string)
        })
        .filter(|d| !d.is_empty())
        .collect();
    domains.sort();
    let selective = domains
        .into_iter()
        .map(|d| {
            Ok((
                d.clone(),
                Mahalanobis {
                    cov: square(&format!("mahalanobis.{d}.cov"))?,
                    inv_cov: square(&format!("mahalanobis.{d}.inv_cov"))?,
                },
            ))
        })
        .collect::<Result<Vec<_>, ModelError>>()?;
    Ok(Model {
        network: Autoencoder {
            layers,
            batches_tracked,
        },
        mahalanobis,
        selective,
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
        let selective = vec![
            ("source".to_string(), Mahalanobis::fit(residuals.view(), 4)),
            (
                "target".to_string(),
                Mahalanobis::fit((&residuals * 2.0).view(), 4),
            ),
        ];
        Model {
            network,
            mahalanobis: Mahalanobis::fit(residuals.view(), 4),
            selective,
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

    #[test]
    fn a_knn_file_round_trips_and_bad_ones_are_named() {
        let mut rng = Rng::new(9);
        let emb: Vec<(String, Vec<f32>)> = (0..12)
            .map(|i| {
                let d = if i % 3 == 0 { "target" } else { "source" };
                (d.to_string(), (0..256).map(|_| rng.gaussian()).collect())
            })
            .collect();
        let knn = crate::detect::knn::Knn::fit(
            &emb,
            2,
            FeatureConfig::default(),
            Provenance {
                clips: 12,
                ..Default::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("knn.safetensors");
        save_knn(&knn, &path).unwrap();
        assert_eq!(load_knn(&path).unwrap(), knn);
        // The other loader refuses it by name, and a truncated file is a format error.
        assert!(load_model(&path)
            .unwrap_err()
            .to_string()
            .contains("a kNN detector's file"));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(load_knn(&path), Err(ModelError::Format { .. })));
        save_model(&small_model(), &path).unwrap();
        assert!(load_knn(&path)
            .unwrap_err()
            .to_string()
            .contains("not a kNN detector's file"));
    }
}
