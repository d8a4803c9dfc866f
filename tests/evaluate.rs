//! The detector commands end to end on a small synthetic dataset: what they write is read back.

use faultline::detect::load_model;
use std::path::Path;
use std::process::Command;

fn faultline(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("binary runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn ok(args: &[&str]) -> String {
    let (success, stdout, stderr) = faultline(args);
    assert!(success, "{args:?} failed: {stderr}");
    stdout
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.len() > 1000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn train_score_evaluate_and_calibrate_on_a_small_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&["synth", "--machine", "fan,valve,bearing", "--count", "10", "--seconds", "3", "--out", d, "--quiet"]);

    // train → a model file that loads and says what it was trained on.
    let model_path = dir.path().join("model.safetensors");
    ok(&["train", "--data", d, "--out", model_path.to_str().unwrap(), "--epochs", "3", "--quiet"]);
    let model = load_model(&model_path).unwrap();
    assert_eq!(model.provenance.trained_on, vec!["bearing", "fan", "valve"]);
    assert_eq!(model.provenance.clips, 30);
    assert_eq!(model.provenance.vectors, 30 * (1 + 3 * 16_000 / 512 - 4));
    assert!(model.provenance.final_loss.is_finite());

    // score → one DCASE CSV per machine with a finite score for every test clip.
    let scores = dir.path().join("scores");
    ok(&["score", "--model", model_path.to_str().unwrap(), "--data", d, "--out", scores.to_str().unwrap(), "--score", "mahalanobis"]);
    let csv = std::fs::read_to_string(scores.join("anomaly_score_fan_section_00_test.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    for line in csv.lines() {
        let (name, score) = line.split_once(',').unwrap();
        assert!(name.starts_with("section_00_") && score.parse::<f64>().unwrap().is_finite(), "{line}");
    }

    // evaluate with the trained model → the report folder.
    let report = dir.path().join("report");
    let out = ok(&["evaluate", "--data", d, "--out", report.to_str().unwrap(), "--model", model_path.to_str().unwrap(), "--planner", "keyword,random", "--quiet"]);
    assert_eq!(out.trim(), report.join("report.md").to_str().unwrap());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    let detections = json["detections"].as_array().unwrap();
    assert_eq!(detections.len(), 3 * 3 * 2, "machines × sources × scores");
    for d in detections {
        let auc = d["auc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&auc), "{d}");
    }
    let rankings = json["rankings"].as_array().unwrap();
    assert!(rankings.iter().any(|r| r["source"] == "keyword" && r["spearman_vs_reference"].is_number()));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("| fan |") && md.contains("Spearman"));
    assert_eq!(std::fs::read_to_string(report.join("metrics.csv")).unwrap().lines().count(), 1 + 18);
    for png in ["auc_bars_mse.png", "roc_fan.png", "hist_valve.png", "spectrogram_bearing.png"] {
        assert!(is_png(&report.join(png)), "{png}");
    }

    // calibrate → plans that load, and a table per machine.
    let cal = dir.path().join("calibrated");
    ok(&["calibrate", "--data", d, "--model", model_path.to_str().unwrap(), "--out", cal.to_str().unwrap(), "--machines", "fan", "--target-auc", "0.75", "--tolerance", "0.1"]);
    let plan = std::fs::read_to_string(cal.join("fan").join("plan_0000.json")).unwrap();
    assert!(faultline::plan::FaultPlan::from_json(&plan).is_ok());
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cal.join("fan").join("calibration.json")).unwrap()).unwrap();
    let scale = result["scale"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&scale));
    if result["reached"].as_bool().unwrap() {
        assert!((result["auc"].as_f64().unwrap() - 0.75).abs() <= 0.1);
    }
}

#[test]
fn bad_detector_inputs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (success, _, err) = faultline(&["evaluate", "--data", dir.path().to_str().unwrap(), "--out", "x"]);
    assert!(!success && err.contains("no <machine>/train folders"), "{err}");
    let bogus = dir.path().join("m.safetensors");
    std::fs::write(&bogus, b"not a model").unwrap();
    let (success, _, err) = faultline(&["score", "--model", bogus.to_str().unwrap(), "--data", "."]);
    assert!(!success && err.contains("m.safetensors") && err.contains("truncated or corrupt"), "{err}");
    let (success, _, err) = faultline(&["evaluate", "--data", ".", "--out", "x", "--planner", "oracle"]);
    assert!(!success && err.contains("unknown planner \"oracle\""), "{err}");
}
