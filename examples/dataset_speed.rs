//! Issue 16's speed goals on this machine, printed as JSON:
//! - scanning a DCASE tree of `files` clips (default 10,000: 8 machine types, train and test,
//!   DCASE 2022+ names; the files are WAV headers with 10 ms of audio, so the time is the
//!   directory walk and the name parsing) with `dataset::scan` over every machine and split;
//! - features of `clips` ten-second 16 kHz clips (default 1,000, 16-bit WAVs written first, as
//!   DCASE ships them) on all cores: WAV read, resampling check, log-mel, stacking
//!   (`eval::vectors_of`);
//! - on those clips as one DCASE dev machine type (990 source + 10 target training clips), the
//!   kNN detector's fit and the autoencoder's fit (one epoch timed, the baseline's 100 epochs
//!   extrapolated), and scoring 200 test clips' features with each.
//!
//! `cargo run --release --example dataset_speed [files] [clips]`; needs ~320 MB in the temp dir.

use faultline::dataset::{scan, write_wav_atomic, Audio, BadFiles, SampleFormat, Split};
use faultline::detect::{knn, Detectors, TrainConfig};
use faultline::features::FeatureConfig;
use ndarray::{Array2, Axis};
use std::path::PathBuf;
use std::time::Instant;

const MACHINES: [&str; 8] = [
    "fan", "pump", "slider", "valve", "gearbox", "bearing", "ToyCar", "ToyTrain",
];

fn wav(path: &std::path::Path, seconds: f32, seed: u64) {
    let mut rng = faultline::dsp::Rng::new(seed);
    let n = (16_000.0 * seconds) as usize;
    let audio = Audio {
        sample_rate: 16_000,
        channels: vec![(0..n).map(|_| 0.1 * rng.bipolar()).collect()],
    };
    write_wav_atomic(path, &audio, SampleFormat::Int16).expect("write a clip");
}

fn name(split: &str, domain: &str, anomaly: bool, i: usize) -> String {
    let label = if anomaly { "anomaly" } else { "normal" };
    format!(
        "section_00_{domain}_{split}_{label}_{i:04}_vel_{}.wav",
        10 + i % 5
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let clips: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let dir = tempfile::tempdir().expect("temp dir");

    // 1. A 10,000-file tree: per machine, 80 % train normals, the rest test (half anomalies).
    let tree = dir.path().join("tree");
    let per_machine = files / MACHINES.len();
    for (m, machine) in MACHINES.iter().enumerate() {
        for split in ["train", "test"] {
            std::fs::create_dir_all(tree.join(machine).join(split)).unwrap();
        }
        for i in 0..per_machine {
            let train = i < per_machine * 8 / 10;
            let (split, anomaly) = if train {
                ("train", false)
            } else {
                ("test", i % 2 == 0)
            };
            let domain = if i % 10 == 0 { "target" } else { "source" };
            wav(
                &tree
                    .join(machine)
                    .join(split)
                    .join(name(split, domain, anomaly, i)),
                0.01,
                (m * per_machine + i) as u64,
            );
        }
    }
    let started = Instant::now();
    let mut found = 0;
    for machine in MACHINES {
        for split in [Split::Train, Split::Test] {
            found += scan(&tree, machine, split).expect("scan").len();
        }
    }
    let scan_s = started.elapsed().as_secs_f64();
    assert_eq!(found, per_machine * MACHINES.len());

    // 2. Features of `clips` ten-second clips (one machine type's training set).
    let fan = dir.path().join("dev/fan/train");
    std::fs::create_dir_all(&fan).unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut domains = Vec::new();
    for i in 0..clips {
        let domain = if i < clips * 99 / 100 {
            "source"
        } else {
            "target"
        };
        let p = fan.join(name("train", domain, false, i));
        wav(&p, 10.0, i as u64);
        paths.push(p);
        domains.push(domain.to_string());
    }
    let features = FeatureConfig::default();
    let bad = BadFiles::new(true);
    let started = Instant::now();
    let vectors: Vec<Array2<f32>> = faultline::eval::vectors_of(&paths, &features, &bad)
        .expect("features")
        .into_iter()
        .map(|v| v.expect("readable"))
        .collect();
    let features_s = started.elapsed().as_secs_f64();

    // 3. kNN fit vs one autoencoder epoch on the same clips; scoring 200 clips with each.
    let started = Instant::now();
    let embeddings: Vec<(String, Vec<f32>)> = vectors
        .iter()
        .zip(&domains)
        .map(|(v, d)| (d.clone(), knn::embedding(v.view(), features.n_mels)))
        .collect();
    let k = knn::Knn::fit(
        &embeddings,
        knn::DEFAULT_K,
        features.clone(),
        Default::default(),
    )
    .expect("fit");
    let knn_fit_s = started.elapsed().as_secs_f64();
    let views: Vec<_> = vectors.iter().map(|v| v.view()).collect();
    let data = ndarray::concatenate(Axis(0), &views).unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        validation_split: 0.0,
        ..TrainConfig::default()
    };
    let started = Instant::now();
    let model = faultline::detect::fit_model(data.view(), features, &cfg, vec![], clips, |_| {});
    let ae_epoch_s = started.elapsed().as_secs_f64();
    let test = &vectors[..200.min(vectors.len())];
    let knn_only = Detectors {
        ae: None,
        knn: Some(k),
    };
    let ae_only = Detectors {
        ae: Some(model),
        knn: None,
    };
    let time_scores = |d: &Detectors| {
        let started = Instant::now();
        for v in test {
            std::hint::black_box(d.score(v.view()));
        }
        started.elapsed().as_secs_f64()
    };
    let knn_score_s = time_scores(&knn_only);
    let ae_score_s = time_scores(&ae_only);
    println!(
        "{}",
        serde_json::json!({
            "threads": rayon::current_num_threads(),
            "scan_files": found,
            "scan_s": scan_s,
            "feature_clips": clips,
            "features_s": features_s,
            "knn_fit_s": knn_fit_s,
            "ae_one_epoch_s": ae_epoch_s,
            "ae_100_epochs_s_extrapolated": 100.0 * ae_epoch_s,
            "scored_clips": test.len(),
            "knn_score_s": knn_score_s,
            "ae_score_s": ae_score_s,
        })
    );
}
