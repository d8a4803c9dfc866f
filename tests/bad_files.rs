//! Unreadable files in a dataset: `render`, `train`, `score` and `evaluate` skip each with a
//! line naming it and why, count them at the end, write nothing half; `--strict` makes the first
//! one the error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A WAV header declaring a 1 Hz sample rate, and a real clip cut off inside its data chunk.
fn spoil(data: &Path) -> (PathBuf, PathBuf) {
    let test = data.join("fan/test");
    let good = files(&test)
        .into_iter()
        .find(|p| p.to_string_lossy().contains("_normal_"))
        .unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let truncated = test.join("section_00_source_test_normal_0900_truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3 + 7]).unwrap();
    let mut one_hz = bytes.clone();
    // The fmt chunk's rate, and its byte rate to match (1 Hz × block align), so only the rate
    // is absurd.
    one_hz[24..28].copy_from_slice(&1u32.to_le_bytes());
    let block_align = u32::from(u16::from_le_bytes([one_hz[32], one_hz[33]]));
    one_hz[28..32].copy_from_slice(&block_align.to_le_bytes());
    let absurd = data.join("fan/train/section_00_source_train_normal_0900_one_hz.wav");
    std::fs::write(&absurd, &one_hz).unwrap();
    (truncated, absurd)
}

#[test]
fn unreadable_clips_are_skipped_named_and_counted_and_strict_stops_at_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = faultline(&[
        "synth",
        "--machine",
        "fan",
        "--count",
        "6",
        "--test-count",
        "3",
        "--seconds",
        "2",
        "--out",
        d,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (truncated, absurd) = spoil(&data);

    // render: the truncated test clip is named and skipped; the others render; nothing half.
    let out = dir.path().join("render");
    let args = [
        "render",
        "--in",
        &format!("{d}/fan/test"),
        "--out",
        out.to_str().unwrap(),
        "--planner",
        "keyword",
        "--fault",
        "squeak",
        "--machine",
        "fan",
        "--quiet",
    ];
    let o = faultline(&args);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        e.contains(&format!("skipped {}", truncated.display())),
        "{e}"
    );
    assert!(e.contains("1 unreadable file skipped"), "{e}");
    let written = files(&out);
    assert_eq!(
        written
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "wav"))
            .count(),
        3,
        "{written:?}"
    );
    assert!(
        !written
            .iter()
            .any(|p| p.to_string_lossy().contains("truncated")
                || p.to_string_lossy().ends_with(".tmp")),
        "{written:?}"
    );
    let strict_out = dir.path().join("render-strict");
    let mut strict: Vec<&str> = args.to_vec();
    strict[4] = strict_out.to_str().unwrap();
    strict.push("--strict");
    let o = faultline(&strict);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(&format!("{}: unreadable (--strict)", truncated.display())),
        "{}",
        stderr(&o)
    );

    // train: the 1 Hz file is named with its reason; the model is trained on the other clips.
    let model = dir.path().join("model.safetensors");
    let o = faultline(&[
        "train",
        "--data",
        d,
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
    ]);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(
        e.contains(&format!("skipped {}", absurd.display())) && e.contains("sample rate"),
        "{e}"
    );
    assert!(
        e.contains("train: 6 clips") && e.contains("1 unreadable file skipped"),
        "{e}"
    );
    let o = faultline(&[
        "train",
        "--data",
        d,
        "--out",
        dir.path().join("m2.safetensors").to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
        "--strict",
    ]);
    assert!(
        !o.status.success() && stderr(&o).contains("unreadable (--strict)"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("m2.safetensors").exists());

    // score: both bad files skipped (one in test, one in train); score and decision files.
    let scores = dir.path().join("scores");
    let o = faultline(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        d,
        "--out",
        scores.to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert!(o.status.success(), "{e}");
    assert!(e.contains("2 unreadable files skipped"), "{e}");
    let csv =
        std::fs::read_to_string(scores.join("anomaly_score_fan_section_00_test.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(!csv.contains("truncated"));
    let decisions =
        std::fs::read_to_string(scores.join("decision_result_fan_section_00_test.csv")).unwrap();
    assert_eq!(decisions.lines().count(), 6);
    assert!(
        decisions
            .lines()
            .all(|l| l.ends_with(",0") || l.ends_with(",1")),
        "{decisions}"
    );

    // evaluate: the report lists what it left out.
    let report = dir.path().join("report");
    let o = faultline(&[
        "evaluate",
        "--data",
        d,
        "--out",
        report.to_str().unwrap(),
        "--epochs",
        "2",
        "--plan-seeds",
        "1",
        "--resamples",
        "200",
        "--planner",
        "keyword",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let left_out = json["unreadable"].as_array().unwrap();
    assert_eq!(left_out.len(), 2, "{left_out:?}");
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("truncated") && md.contains("one_hz"),
        "the report names the unreadable files"
    );
}
