//! Times the detector's parts on this machine and prints JSON: log-mel of a 10 s 16 kHz clip,
//! one training epoch over 1,000 clips' worth of vectors (309,000 × 640), scoring one clip.
//! `benches/reference/logmel_compare.py` runs it beside librosa.

use faultline::detect::{train, Autoencoder, Mahalanobis, Model, Provenance, TrainConfig, BASELINE_DIMS};
use faultline::features::{FeatureConfig, LogMel};
use ndarray::Array2;
use std::time::Instant;

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let clips: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mut rng = faultline::dsp::Rng::new(1);
    let x: Vec<f32> = (0..160_000).map(|_| 0.1 * rng.bipolar()).collect();
    let mut lm = LogMel::new(FeatureConfig::default());
    let logmel_s = best(50, || lm.vectors(&x));

    let vectors = lm.vectors(&x);
    let per_clip = vectors.len() / 640;
    let data = Array2::from_shape_fn((per_clip * clips, 640), |(i, j)| vectors[(i % per_clip) * 640 + j] + 0.01 * ((i * 7 + j) % 13) as f32);
    let mut net = Autoencoder::new(&BASELINE_DIMS, 0);
    let cfg = TrainConfig { epochs: 1, validation_split: 0.0, ..TrainConfig::default() };
    let t = Instant::now();
    train(&mut net, data.view(), &cfg, |_| {});
    let epoch_s = t.elapsed().as_secs_f64();

    let model = Model {
        mahalanobis: Mahalanobis::fit(data.slice(ndarray::s![..per_clip * 10, ..]).view(), 128),
        network: net,
        features: FeatureConfig::default(),
        provenance: Provenance::default(),
    };
    let clip = Array2::from_shape_vec((per_clip, 640), vectors.clone()).unwrap();
    let score_s = best(20, || model.score(clip.view()));
    println!(
        "{}",
        serde_json::json!({
            "logmel_ms_per_10s_clip": logmel_s * 1e3,
            "epoch_s": epoch_s,
            "epoch_clips": clips,
            "vectors": data.nrows(),
            "score_ms_per_clip": score_s * 1e3,
            "threads": std::env::var("MATMUL_NUM_THREADS").unwrap_or_else(|_| "default".into()),
        })
    );
}
