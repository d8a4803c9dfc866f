//! Times the detector's parts on this machine and prints JSON: log-mel of a 10 s 16 kHz clip (on
//! one thread and on all, spectrogram alone as librosa's melspectrogram + log, and with the
//! stacking into vectors), one training epoch over `clips` clips' worth of vectors (309 a clip),
//! scoring one clip. Arguments: `[clips] [training threads] [clip.f32 spectrogram.f32]`: the
//! optional pair times log-mel on that clip (raw little-endian f32 at 16 kHz) instead of noise and
//! writes its spectrogram there, for comparing values.
//! `benches/reference/logmel_compare.py` runs it beside librosa.

use faultline::detect::{
    train, Autoencoder, Mahalanobis, Model, Provenance, TrainConfig, BASELINE_DIMS,
};
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
    let clips: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let threads: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(faultline::detect::default_threads);
    let mut rng = faultline::dsp::Rng::new(1);
    let args: Vec<String> = std::env::args().collect();
    let x: Vec<f32> = match args.get(3) {
        Some(path) => std::fs::read(path)
            .expect("clip file")
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        None => (0..160_000).map(|_| 0.1 * rng.bipolar()).collect(),
    };
    let mut lm = LogMel::new(FeatureConfig::default());
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a thread pool");
    // Warmed up first (caches, page mappings), inside the one-thread pool: rayon's global workers
    // spin for a while after work, on the cores the timed thread needs.
    let spectrogram_1t = one_thread.install(|| {
        best(50, || lm.spectrogram(&x));
        best(300, || lm.spectrogram(&x))
    });
    let spectrogram_all = best(300, || lm.spectrogram(&x));
    let logmel_s = best(100, || lm.vectors(&x));
    if let Some(path) = args.get(4) {
        let bytes: Vec<u8> = lm
            .spectrogram(&x)
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(path, bytes).expect("write spectrogram");
    }

    let vectors = lm.vectors(&x);
    let per_clip = vectors.len() / 640;
    let data = Array2::from_shape_fn((per_clip * clips, 640), |(i, j)| {
        vectors[(i % per_clip) * 640 + j] + 0.01 * ((i * 7 + j) % 13) as f32
    });
    let mut net = Autoencoder::new(&BASELINE_DIMS, 0);
    let cfg = TrainConfig {
        epochs: 1,
        validation_split: 0.0,
        threads,
        ..TrainConfig::default()
    };
    let t = Instant::now();
    train(&mut net, data.view(), &cfg, |_| {});
    let epoch_s = t.elapsed().as_secs_f64();

    let model = Model {
        mahalanobis: Mahalanobis::fit(data.slice(ndarray::s![..per_clip * 10, ..]).view(), 128),
        selective: Vec::new(),
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
            "spectrogram_ms_1_thread": spectrogram_1t * 1e3,
            "spectrogram_ms_all_threads": spectrogram_all * 1e3,
            "cores": faultline::detect::default_threads(),
            "epoch_s": epoch_s,
            "epoch_clips": clips,
            "vectors": data.nrows(),
            "score_ms_per_clip": score_s * 1e3,
            "threads": threads,
        })
    );
}
