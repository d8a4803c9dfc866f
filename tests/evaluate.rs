//! The detector commands end to end on a small synthetic dataset: what they write is read back.

use faultline::detect::load_model;
use std::path::{Path, PathBuf};
use std::process::Command;

fn faultline(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ok(args: &[&str]) -> String {
    let (success, stdout, stderr) = faultline(args);
    assert!(success, "{args:?} failed: {stderr}");
    stdout
}

/// Copies every file of `from` into `to` (created).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// (machine, score, AUC) of every reference detection in a report.json, optionally of one score.
fn reference_aucs(r: &serde_json::Value, score: Option<&str>) -> Vec<(String, String, f64)> {
    r["detections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["source"] == "reference" && score.is_none_or(|s| d["score"] == s))
        .map(|d| {
            (
                d["machine"].as_str().unwrap().to_string(),
                d["score"].as_str().unwrap().to_string(),
                d["auc"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.len() > 1000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[test]
fn train_score_evaluate_and_calibrate_on_a_small_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "fan,valve,bearing",
        "--count",
        "10",
        "--seconds",
        "3",
        "--out",
        d,
        "--quiet",
    ]);

    // train → a model file that loads and says what it was trained on.
    let model_path = dir.path().join("model.safetensors");
    ok(&[
        "train",
        "--data",
        d,
        "--out",
        model_path.to_str().unwrap(),
        "--epochs",
        "3",
        "--quiet",
    ]);
    let model = load_model(&model_path).unwrap();
    assert_eq!(model.provenance.trained_on, vec!["bearing", "fan", "valve"]);
    assert_eq!(model.provenance.clips, 30);
    assert_eq!(model.provenance.vectors, 30 * (1 + 3 * 16_000 / 512 - 4));
    assert!(model.provenance.final_loss.is_finite());

    // score → one DCASE CSV per machine with a finite score for every test clip.
    let scores = dir.path().join("scores");
    ok(&[
        "score",
        "--model",
        model_path.to_str().unwrap(),
        "--data",
        d,
        "--out",
        scores.to_str().unwrap(),
        "--score",
        "mahalanobis",
    ]);
    let csv =
        std::fs::read_to_string(scores.join("anomaly_score_fan_section_00_test.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    for line in csv.lines() {
        let (name, score) = line.split_once(',').unwrap();
        assert!(
            name.starts_with("section_00_") && score.parse::<f64>().unwrap().is_finite(),
            "{line}"
        );
    }

    // evaluate with the trained model → the report folder.
    let report = dir.path().join("report");
    let out = ok(&[
        "evaluate",
        "--data",
        d,
        "--out",
        report.to_str().unwrap(),
        "--model",
        model_path.to_str().unwrap(),
        "--planner",
        "keyword,random",
        "--plan-seeds",
        "2",
        "--resamples",
        "200",
        "--quiet",
    ]);
    assert_eq!(out.trim(), report.join("report.md").to_str().unwrap());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let detections = json["detections"].as_array().unwrap();
    // The autoencoder's scores; the selective Mahalanobis one because the training clips hold
    // both domains.
    assert_eq!(
        json["kinds"],
        serde_json::json!(["mse", "mahalanobis", "selective_mahalanobis"])
    );
    assert_eq!(detections.len(), 3 * 3 * 3, "machines × sources × scores");
    for d in detections {
        let auc = d["auc"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&auc), "{d}");
        for key in ["auc_ci", "pauc_ci"] {
            let ci = d[key].as_array().unwrap_or_else(|| panic!("{key}: {d}"));
            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
            assert!(lo <= hi && (0.0..=1.0).contains(&lo) && hi <= 1.0, "{d}");
        }
        if d["source"] == "keyword" {
            assert_eq!(d["plan_seeds"], 2);
            assert_eq!(d["anomalies"], 2 * d["normals"].as_u64().unwrap());
        }
    }
    let rankings = json["rankings"].as_array().unwrap();
    let keyword = rankings
        .iter()
        .find(|r| r["source"] == "keyword" && r["score"] == "mse")
        .unwrap();
    assert!(keyword["spearman_vs_reference"].is_number(), "{keyword}");
    // With two clips a class most resamples tie machines: then ρ has no interval, and says so.
    assert!(
        keyword["spearman_ci"].is_array()
            || keyword["verdict_reason"]
                .as_str()
                .unwrap()
                .contains("undefined"),
        "{keyword}"
    );
    assert!(["agrees", "inconclusive", "disagrees"].contains(&keyword["verdict"].as_str().unwrap()));
    // Two test clips a class cannot resolve a ranking: never `agrees`.
    assert_ne!(keyword["verdict"], "agrees", "{keyword}");
    assert!(keyword["verdict_reason"].as_str().unwrap().len() > 10);
    assert!(keyword["delta_vs_random"]["value"].is_number());
    assert!(
        json["reference_ceiling"]["mse"]["value"].is_number()
            && json["reference_ceiling"]["mahalanobis"]["ci"].is_array()
    );
    assert_eq!(json["seeds"]["plan_seeds"], 2);
    assert_eq!(json["seeds"]["data"], 0);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("| fan |")
            && md.contains("Spearman")
            && md.starts_with("# Faultline relative evaluation\n\n## Summary")
    );
    assert_eq!(
        std::fs::read_to_string(report.join("metrics.csv"))
            .unwrap()
            .lines()
            .count(),
        1 + 27
    );
    for png in [
        "forest_mse.png",
        "forest_mahalanobis.png",
        "auc_bars_mse.png",
        "roc_fan.png",
        "hist_valve.png",
        "spectrogram_bearing.png",
    ] {
        assert!(is_png(&report.join(png)), "{png}");
    }

    // calibrate → plans that load, and a table per machine.
    let cal = dir.path().join("calibrated");
    ok(&[
        "calibrate",
        "--data",
        d,
        "--model",
        model_path.to_str().unwrap(),
        "--out",
        cal.to_str().unwrap(),
        "--machines",
        "fan",
        "--target-auc",
        "0.75",
        "--tolerance",
        "0.1",
    ]);
    let plan = std::fs::read_to_string(cal.join("fan").join("plan_0000.json")).unwrap();
    let plan = faultline::plan::FaultPlan::from_json(&plan).unwrap();
    // Tailored to its clip as evaluate's plans are: the first normal test clip's ambient.
    let (normal, _) = faultline::eval::test_clips(std::path::Path::new(d), "fan").unwrap();
    let noise: f64 = faultline::dataset::ClipName::attributes_of(&normal[0])
        .iter()
        .find(|(k, _)| k == "noise")
        .map(|(_, v)| v.parse().unwrap())
        .expect("synthetic clips state their ambient");
    assert!(
        plan.ambient_db.is_some_and(|a| (a - noise).abs() < 1e-9),
        "ambient {:?} vs the clip's {noise}: {:?}",
        plan.ambient_db,
        plan.provenance.notes
    );
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cal.join("fan").join("calibration.json")).unwrap(),
    )
    .unwrap();
    let scale = result["scale"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&scale));
    if result["reached"].as_bool().unwrap() {
        assert!((result["auc"].as_f64().unwrap() - 0.75).abs() <= 0.1);
    }
}

#[test]
fn bad_detector_inputs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (success, _, err) = faultline(&[
        "evaluate",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        "x",
    ]);
    assert!(
        !success && err.contains("no machines found (expected <machine>/train and <machine>/test"),
        "{err}"
    );
    let bogus = dir.path().join("m.safetensors");
    std::fs::write(&bogus, b"not a model").unwrap();
    let (success, _, err) =
        faultline(&["score", "--model", bogus.to_str().unwrap(), "--data", "."]);
    assert!(
        !success && err.contains("m.safetensors") && err.contains("truncated or corrupt"),
        "{err}"
    );
    let (success, _, err) = faultline(&[
        "evaluate",
        "--data",
        ".",
        "--out",
        "x",
        "--planner",
        "oracle",
    ]);
    assert!(
        !success && err.contains("unknown planner \"oracle\""),
        "{err}"
    );
}

/// The demo prints the `evaluate` command that reproduces it; run on the demo's data, that
/// command gives the same numbers, bit for bit.
#[test]
fn the_demo_is_reproduced_by_its_printed_evaluate_command() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let small = [
        "--count",
        "8",
        "--test-count",
        "6",
        "--seconds",
        "2",
        "--epochs",
        "2",
        "--machines",
        "fan,pump,valve",
        "--plan-seeds",
        "2",
        "--resamples",
        "200",
        "--plan-seed",
        "7",
        "--sweep",
        "--sweep-scales",
        "0.2:1:2",
    ];
    let mut args = vec!["demo", "--out", demo.to_str().unwrap(), "--quiet"];
    args.extend(small);
    let (success, _, stderr) = faultline(&args);
    assert!(success, "{stderr}");
    assert!(
        stderr.contains("summary: reference ceiling") && stderr.contains("keyword (mse): ρ"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("demo: reproduce: faultline "))
        .expect("a reproduce line");
    let again = dir.path().join("again");
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| {
            if w == "REPORT_DIR" {
                again.to_str().unwrap()
            } else {
                w
            }
        })
        .collect();
    assert!(
        words.contains(&"--plan-seed") && words.contains(&"7") && words.contains(&"--sweep"),
        "{line}"
    );
    let mut words = words;
    words.extend(["--quiet", "--keep-sweep-renders"]);
    ok(&words);
    // Without --sweep the demo does not sweep (its time goes to the test set).
    let plain = dir.path().join("plain");
    let mut args = vec!["demo", "--out", plain.to_str().unwrap(), "--quiet"];
    args.extend(
        small
            .iter()
            .filter(|a| !a.starts_with("--sweep") && **a != "0.2:1:2"),
    );
    ok(&args);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plain.join("report/report.json")).unwrap())
            .unwrap();
    assert!(report["sweep"].is_null(), "{}", report["sweep"]);
    assert!(!plain.join("report/anomalies/keyword@0.200").exists());
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p.join("report.json")).unwrap()).unwrap()
    };
    let (a, b) = (read(&demo.join("report")), read(&again));
    for key in [
        "detections",
        "rankings",
        "reference_ceiling",
        "sweep",
        "seeds",
    ] {
        assert!(!a[key].is_null(), "{key} missing");
        assert_eq!(
            a[key], b[key],
            "{key} differs between the demo and its reproduction"
        );
    }
    let scores = |v: &serde_json::Value| -> Vec<(f64, f64)> {
        v["clips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["scores"][0].as_f64().unwrap(),
                    c["scores"][1].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(scores(&a), scores(&b));

    // A sweep step is scored in memory and not written unless asked; what is written is what
    // was scored: each kept clip, read back and scored by the saved model, gives the score the
    // run reported for it (float WAVs hold the samples exactly).
    let sweep_dir = |root: &Path| root.join("anomalies/keyword@0.200/seed_0/fan");
    assert!(!sweep_dir(&demo.join("report")).exists());
    let kept: Vec<PathBuf> = std::fs::read_dir(sweep_dir(&again))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    assert!(kept.len() >= 2, "{kept:?}");
    let detectors = faultline::detect::Detectors {
        ae: Some(faultline::detect::load_model(&again.join("model.safetensors")).unwrap()),
        knn: None,
    };
    let bad = faultline::dataset::BadFiles::new(true);
    let rescored = faultline::eval::detector_scores(&detectors, &kept, &bad).unwrap();
    for (path, scores) in kept.iter().zip(rescored) {
        let clip = b["clips"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"].as_str() == path.to_str())
            .unwrap_or_else(|| panic!("{} is not among the scored clips", path.display()));
        assert_eq!(clip["source"], "keyword@0.200");
        let scores = scores.unwrap();
        // The same to a few units in the last place: the run scores each render in memory in
        // one batch with others, this re-scores the files in another, and a batched matrix
        // product may round the last bit differently. A changed sample moves a score by far
        // more than 1e-12 of it.
        for k in 0..2 {
            let reported = clip["scores"][k].as_f64().unwrap();
            assert!(
                (reported - scores[k]).abs() <= 1e-12 * scores[k].abs(),
                "{}: score {k} reported {reported}, re-scored {}",
                path.display(),
                scores[k]
            );
        }
    }
    // Not written, a sweep clip is named by the normal clip it was rendered from.
    let unwritten = a["clips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"] == "keyword@0.200")
        .unwrap();
    let from = Path::new(unwritten["path"].as_str().unwrap());
    assert!(
        from.is_file() && from.to_str().unwrap().contains("_normal_"),
        "{from:?}"
    );

    // The ladder's scale 1 is the planner's own run: not rendered again, and its AUC on every
    // curve is the unscaled planner's.
    let anomalies = demo.join("report").join("anomalies");
    assert!(anomalies.join("keyword").is_dir());
    assert!(!anomalies.join("keyword@1.000").exists());
    let top = a["sweep"]["scales"].as_array().unwrap().len() - 1;
    assert_eq!(a["sweep"]["scales"][top].as_f64(), Some(1.0));
    let curves = a["sweep"]["curves"].as_array().unwrap();
    assert!(!curves.is_empty());
    for c in curves {
        let auc = a["detections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["machine"] == c["machine"]
                    && d["source"] == c["planner"]
                    && d["score"] == c["score"]
            })
            .expect("the unscaled planner's detection")["auc"]
            .clone();
        assert_eq!(c["aucs"][top], auc, "{c}");
    }
}

#[test]
fn reference_faults_carry_their_metadata_and_per_clip_descriptions_reach_the_planner() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "fan,valve",
        "--count",
        "8",
        "--test-count",
        "4",
        "--seconds",
        "2",
        "--out",
        d,
        "--quiet",
    ]);

    // Both reference faults in both domains, each with a sidecar and a CSV row that say which
    // fault, how it sounds and how severe (on the scale's 0 … 12 dB, measured within 1 dB).
    let csv = std::fs::read_to_string(data.join("fan").join("attributes_00.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",fault,severity_db,description"),
        "{csv}"
    );
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(data.join("fan").join("test")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.ends_with(".wav") && name.contains("_anomaly_")) {
            continue;
        }
        let r = faultline::offline::read_fault_record(&p)
            .unwrap_or_else(|| panic!("{name}: no fault sidecar"));
        assert!(
            ["blade_imbalance", "bearing_wear"].contains(&r.fault.as_str()),
            "{r:?}"
        );
        assert!(
            (0.0..=12.0).contains(&r.severity_db)
                && (r.measured_db - f64::from(r.severity_db)).abs() < 1.0,
            "{r:?}"
        );
        assert!(
            csv.lines()
                .any(|l| l.contains(&name) && l.contains(&r.fault) && l.contains(&r.description)),
            "{name}"
        );
        seen.insert((name.contains("_source_"), r.fault));
    }
    assert_eq!(seen.len(), 4, "both faults in both domains: {seen:?}");

    let model = dir.path().join("model.safetensors");
    ok(&[
        "train",
        "--data",
        d,
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
    ]);

    // premise → a table per score whose shares add up and whose intervals hold the point.
    let json_path = dir.path().join("premise.json");
    let text = ok(&[
        "premise",
        "--data",
        d,
        "--model",
        model.to_str().unwrap(),
        "--resamples",
        "100",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert!(text.contains("variance share: machine"), "{text}");
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(
        p["functions"].as_array().unwrap().len(),
        faultline::catalog::CATALOG.len()
    );
    for s in p["scores"].as_array().unwrap() {
        let sh = &s["shares"];
        let total = sh["machine"].as_f64().unwrap()
            + sh["function"].as_f64().unwrap()
            + sh["interaction"].as_f64().unwrap();
        assert!((total - 1.0).abs() < 1e-9, "{s}");
        assert_eq!(s["auc"].as_array().unwrap().len(), 2);
        assert!(s["auc"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .all(|a| (0.0..=1.0).contains(&a.as_f64().unwrap())));
        // The informative functions are those whose mean AUC over the machines is inside
        // (0.6, 0.95), recomputed here from the table; their shares add up too.
        let names = p["functions"].as_array().unwrap();
        let rows = s["auc"].as_array().unwrap();
        let want: Vec<&serde_json::Value> = (0..names.len())
            .filter(|&j| {
                let mean =
                    rows.iter().map(|r| r[j].as_f64().unwrap()).sum::<f64>() / rows.len() as f64;
                mean > 0.6 && mean < 0.95
            })
            .map(|j| &names[j])
            .collect();
        let inf = &s["informative"];
        if want.len() < 2 {
            assert!(inf.is_null(), "{s}");
        } else {
            let got: Vec<&serde_json::Value> =
                inf["functions"].as_array().unwrap().iter().collect();
            assert_eq!(got, want);
            let sh = &inf["shares"];
            let total = sh["machine"].as_f64().unwrap()
                + sh["function"].as_f64().unwrap()
                + sh["interaction"].as_f64().unwrap();
            assert!((total - 1.0).abs() < 1e-9, "{inf}");
        }
    }
    assert!(text.contains("informative functions"), "{text}");

    // premise at one level on every clip: each render's intensity fitted on its clip, the
    // fitted intensities reported per machine × function, and the renders off the level counted.
    let level_path = dir.path().join("premise_level.json");
    let text = ok(&[
        "premise",
        "--data",
        d,
        "--model",
        model.to_str().unwrap(),
        "--level-db",
        "-3",
        "--resamples",
        "50",
        "--json",
        level_path.to_str().unwrap(),
    ]);
    assert!(
        text.contains("level -3 dB on every clip") && text.contains("fitted intensity"),
        "{text}"
    );
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&level_path).unwrap()).unwrap();
    assert_eq!(p["level_db"].as_f64(), Some(-3.0));
    assert!(p["intensity"].is_null());
    let fitted = p["fitted_intensity"].as_array().unwrap();
    assert_eq!(fitted.len(), 2);
    assert!(fitted
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .all(|i| (0.0..=1.0).contains(&i.as_f64().unwrap())));
    let [off, all] = [0, 1].map(|k| p["off_level"][k].as_u64().unwrap());
    assert_eq!(
        all as usize,
        2 * faultline::catalog::CATALOG.len() * normals_per_machine(&p)
    );
    assert!(off * 10 <= all, "{off} of {all} renders off the level");

    // premise at one log-mel cell change on every clip: fitted the same way, reported as such;
    // an out-of-range target is refused before any work.
    let cell_path = dir.path().join("premise_cell.json");
    let text = ok(&[
        "premise",
        "--data",
        d,
        "--model",
        model.to_str().unwrap(),
        "--cell-change-db",
        "0.5",
        "--resamples",
        "50",
        "--json",
        cell_path.to_str().unwrap(),
    ]);
    assert!(
        text.contains("log-mel cell change 0.5 dB RMS on every clip")
            && text.contains("a tenth off the cell change"),
        "{text}"
    );
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cell_path).unwrap()).unwrap();
    assert_eq!(p["cell_change_db"].as_f64(), Some(0.5));
    assert!(p["intensity"].is_null() && p["level_db"].is_null());
    let [off, all] = [0, 1].map(|k| p["off_level"][k].as_u64().unwrap());
    assert!(
        off * 10 <= all,
        "{off} of {all} renders off the cell change"
    );
    let out = faultline(&[
        "premise",
        "--data",
        d,
        "--model",
        model.to_str().unwrap(),
        "--cell-change-db",
        "0",
    ]);
    assert!(!out.0, "{}", out.1);
    assert!(
        out.2.contains("--cell-change-db must be above 0"),
        "{}",
        out.2
    );

    // evaluate --describe per-clip → each normal clip is planned from the description of the
    // reference clip with its index and domain, and the report says so.
    let report = dir.path().join("report");
    ok(&[
        "evaluate",
        "--data",
        d,
        "--out",
        report.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "100",
        "--describe",
        "per-clip",
        "--machines",
        "valve",
        "--quiet",
    ]);
    let rendered = report
        .join("anomalies")
        .join("keyword")
        .join("seed_0")
        .join("valve");
    let mut checked = 0;
    for entry in std::fs::read_dir(&rendered).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") && p.file_name().unwrap() != "manifest.json" {
            let side: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let source = std::path::PathBuf::from(side["source"].as_str().unwrap());
            let normal =
                faultline::dataset::ClipName::parse(source.file_name().unwrap().to_str().unwrap())
                    .unwrap();
            let reference = std::fs::read_dir(data.join("valve").join("test"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|r| {
                    faultline::dataset::ClipName::parse(r.file_name().unwrap().to_str().unwrap())
                        .is_some_and(|c| {
                            c.anomaly && c.index == normal.index && c.domain == normal.domain
                        })
                })
                .unwrap();
            let description = faultline::offline::read_fault_record(&reference)
                .unwrap()
                .description;
            assert!(
                side["plan"]["caption"]
                    .as_str()
                    .unwrap()
                    .contains(&description),
                "{side}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["describe"], "per-clip");
    assert!(std::fs::read_to_string(report.join("report.md"))
        .unwrap()
        .contains("fault descriptions per reference clip"));
}

/// DCASE 2021 (MIMII DUE, ToyADMOS2's mixer) ships the test split in `source_test/` and
/// `target_test/` folders; both are read, renders keep the folders, and nothing is written into
/// the dataset.
#[test]
fn a_dcase_2021_tree_with_source_test_and_target_test_folders_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dcase2021");
    synth_small(&data, "fan,valve");
    let mut per_domain = std::collections::BTreeMap::new();
    for machine in ["fan", "valve"] {
        let test = data.join(machine).join("test");
        for e in std::fs::read_dir(&test).unwrap() {
            let p = e.unwrap().path();
            let Some(c) =
                faultline::dataset::ClipName::parse(p.file_name().unwrap().to_str().unwrap())
            else {
                continue;
            };
            let to = data.join(machine).join(format!("{}_test", c.domain));
            std::fs::create_dir_all(&to).unwrap();
            std::fs::rename(&p, to.join(p.file_name().unwrap())).unwrap();
            *per_domain.entry(c.domain.clone()).or_insert(0) += 1;
        }
        std::fs::remove_dir_all(&test).unwrap();
    }
    assert!(
        per_domain.len() == 2,
        "both domains in the test split: {per_domain:?}"
    );
    let files_before = walk(&data).len();
    let d = data.to_str().unwrap();
    let listing = ok(&["dataset", d]);
    assert!(
        listing.contains("fan: test anomaly 4, test normal 4, train normal 6"),
        "{listing}"
    );
    let report = dir.path().join("report");
    let json = evaluate_keyword(d, &report);
    every_detection_has(&json, 4, 4);
    let rendered = walk(&report.join("anomalies/keyword/seed_0/fan"));
    let wavs: Vec<_> = rendered
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    assert_eq!(wavs.len(), 4, "{rendered:?}");
    assert!(
        wavs.iter().all(|p| {
            let folder = p.parent().unwrap().file_name().unwrap();
            folder == "source_test" || folder == "target_test"
        }),
        "{wavs:?}"
    );
    // A DCASE test set from it: the clips of both folders in one `test/`, with the ground truth.
    let set = dir.path().join("set");
    ok(&[
        "render",
        "--in",
        d,
        "--out",
        set.to_str().unwrap(),
        "--planner",
        "keyword",
        "--as-test-set",
        "--quiet",
    ]);
    let truth =
        std::fs::read_to_string(set.join("fan/ground_truth_fan_section_00_test.csv")).unwrap();
    assert_eq!(
        truth.lines().filter(|l| l.ends_with(",1")).count(),
        4,
        "{truth}"
    );
    let wavs = walk(&set.join("fan/test"));
    assert_eq!(
        wavs.iter()
            .filter(|p| p.extension().is_some_and(|x| x == "wav"))
            .count(),
        8
    );
    assert_eq!(
        walk(&data).len(),
        files_before,
        "nothing written into the dataset"
    );
}

/// A small synthetic DCASE tree of `machines`: 6 training, 4 + 4 test clips of 2 s each.
fn synth_small(out: &std::path::Path, machines: &str) {
    ok(&[
        "synth",
        "--machine",
        machines,
        "--count",
        "6",
        "--test-count",
        "4",
        "--seconds",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
}

/// `evaluate` with the keyword planner, one plan seed, 2 epochs and 100 resamples (the fixture
/// trees' end-to-end run); returns report.json.
fn evaluate_keyword(data: &str, report: &std::path::Path) -> serde_json::Value {
    ok(&[
        "evaluate",
        "--data",
        data,
        "--out",
        report.to_str().unwrap(),
        "--epochs",
        "2",
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "100",
        "--quiet",
    ]);
    serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap()
}

/// Every detection row of a report counts `normals` normal and `anomalies` anomalous clips.
fn every_detection_has(json: &serde_json::Value, normals: u64, anomalies: u64) {
    for d in json["detections"].as_array().unwrap() {
        assert_eq!(
            (d["normals"].as_u64(), d["anomalies"].as_u64()),
            (Some(normals), Some(anomalies)),
            "{d}"
        );
    }
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_dcase_2020_layout_is_read_as_it_ships() {
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("synth");
    synth_small(&synth, "fan,valve");
    // The same clips under DCASE 2020 Task 2 names: <machine>/<split>/<label>_id_00_<8 digits>.wav.
    let data = dir.path().join("dcase2020");
    for machine in ["fan", "valve"] {
        for split in ["train", "test"] {
            let to = data.join(machine).join(split);
            std::fs::create_dir_all(&to).unwrap();
            for e in std::fs::read_dir(synth.join(machine).join(split)).unwrap() {
                let p = e.unwrap().path();
                let Some(c) =
                    faultline::dataset::ClipName::parse(p.file_name().unwrap().to_str().unwrap())
                else {
                    continue;
                };
                let name = format!(
                    "{}_id_00_{:08}.wav",
                    if c.anomaly { "anomaly" } else { "normal" },
                    c.index
                );
                std::fs::copy(&p, to.join(name)).unwrap();
            }
        }
    }
    let d = data.to_str().unwrap();
    let report = dir.path().join("report");
    let json = evaluate_keyword(d, &report);
    assert_eq!(json["model"]["clips"], 12, "6 training clips a machine");
    every_detection_has(&json, 4, 4);
    let rendered: Vec<String> = std::fs::read_dir(
        report
            .join("anomalies")
            .join("keyword")
            .join("seed_0")
            .join("fan"),
    )
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
    .filter(|n| n.ends_with(".wav"))
    .collect();
    assert_eq!(rendered.len(), 4);
    assert!(
        rendered
            .iter()
            .all(|n| n.starts_with("anomaly_id_00_")
                && n.len() == "anomaly_id_00_00000000.wav".len()),
        "{rendered:?}"
    );

    // The 2020 evaluation set's form: test clips `id_00_NNNNNNNN.wav` (renumbered), labels only
    // in the evaluator's eval_data_list.csv. With --ground-truth it evaluates as the dev names do.
    let eval = dir.path().join("eval2020");
    let mut list = String::new();
    for machine in ["fan", "valve"] {
        copy_dir(
            &data.join(machine).join("train"),
            &eval.join(machine).join("train"),
        );
        let test = eval.join(machine).join("test");
        std::fs::create_dir_all(&test).unwrap();
        list.push_str(&format!("{machine}\n"));
        let mut clips: Vec<PathBuf> = std::fs::read_dir(data.join(machine).join("test"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        clips.sort();
        for (i, p) in clips.iter().enumerate() {
            let old = p.file_name().unwrap().to_str().unwrap();
            let new = format!("id_00_{i:08}.wav");
            std::fs::copy(p, test.join(&new)).unwrap();
            list.push_str(&format!(
                "{new},{old},{}\n",
                u8::from(old.starts_with("anomaly"))
            ));
        }
    }
    let list_path = dir.path().join("eval_data_list.csv");
    std::fs::write(&list_path, list).unwrap();
    let again = dir.path().join("report_eval");
    ok(&[
        "evaluate",
        "--data",
        eval.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--model",
        report.join("model.safetensors").to_str().unwrap(),
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "100",
        "--quiet",
        "--ground-truth",
        list_path.to_str().unwrap(),
    ]);
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(again.join("report.json")).unwrap()).unwrap();
    assert_eq!(reference_aucs(&json, None), reference_aucs(&b, None));
}

#[test]
fn a_toyadmos_tree_is_read_as_it_ships_cases_as_sections_microphone_ch1() {
    use faultline::dataset::{read_wav, write_wav_atomic, Audio, ClipName, SampleFormat};
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("synth");
    synth_small(&synth, "ToyCar,ToyTrain");
    // ToyADMOS's folders: <sub-dataset>/case1/{NormalSound_IND,AnomalousSound_IND}/, one mono
    // file per microphone (ch1 and a quieter ch2 copy here), environmental noise beside them.
    let tree = dir.path().join("ToyADMOS");
    for machine in ["ToyCar", "ToyTrain"] {
        let mut files: Vec<_> = ["train", "test"]
            .iter()
            .flat_map(|s| std::fs::read_dir(synth.join(machine).join(s)).unwrap())
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let (mut normal, mut anomalous) = (0, 0);
        for p in files {
            let Some(c) = ClipName::parse(p.file_name().unwrap().to_str().unwrap()) else {
                continue;
            };
            let (folder, prefix, k) = if c.anomaly {
                ("AnomalousSound_IND", "ab01", &mut anomalous)
            } else {
                ("NormalSound_IND", "IND", &mut normal)
            };
            let mono = read_wav(&p).unwrap();
            for ch in 1..=2 {
                let gain = if ch == 1 { 1.0 } else { 0.5 };
                let audio = Audio {
                    sample_rate: mono.sample_rate,
                    channels: vec![mono.channels[0].iter().map(|v| v * gain).collect()],
                };
                let to = tree
                    .join(machine)
                    .join("case1")
                    .join(folder)
                    .join(format!("{prefix}_case1_ch{ch}_{:04}.wav", *k));
                write_wav_atomic(&to, &audio, SampleFormat::Int16).unwrap();
            }
            *k += 1;
        }
        assert_eq!((normal, anomalous), (10, 4));
        let noise = tree
            .join(machine)
            .join("EnvironmentalNoise_CNT/noise_ch1_0000.wav");
        write_wav_atomic(
            &noise,
            &Audio {
                sample_rate: 16000,
                channels: vec![vec![0.0; 1600]],
            },
            SampleFormat::Int16,
        )
        .unwrap();
    }
    let d = tree.to_str().unwrap();
    let listing = ok(&["dataset", d]);
    assert!(
        listing.contains("layout toyadmos") && listing.contains("microphone ch1"),
        "{listing}"
    );
    assert!(
        listing.contains("ToyCar: test anomaly 4, test normal 4, train normal 6"),
        "{listing}"
    );
    let report = dir.path().join("report");
    let json = evaluate_keyword(d, &report);
    assert_eq!(json["machines"], serde_json::json!(["ToyCar", "ToyTrain"]));
    assert_eq!(
        json["model"]["clips"], 12,
        "6 training clips a machine, ch1 only"
    );
    every_detection_has(&json, 4, 4);
    // Renders keep ToyADMOS's folders, ch1 files only; the car's plan is a toy car's.
    let rendered = report.join("anomalies/keyword/seed_0/ToyCar/case1/NormalSound_IND");
    let wavs: Vec<_> = std::fs::read_dir(&rendered)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    assert_eq!(wavs.len(), 4);
    assert!(wavs.iter().all(|p| p.to_string_lossy().contains("_ch1_")));
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wavs[0].with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["plan"]["machine"], "ToyCar");
}

#[test]
fn a_mimii_tree_is_read_as_it_ships_with_channel_0_and_the_baselines_split() {
    use faultline::dataset::{read_wav, write_wav_atomic, Audio, ClipName, SampleFormat};
    let dir = tempfile::tempdir().unwrap();
    let synth = dir.path().join("synth");
    synth_small(&synth, "fan,valve");
    // MIMII's own folders and names, 8 channels (each a scaled copy, as a circular array's mics
    // hear the same machine), one machine under an SNR folder and one without: 10 normal and 4
    // abnormal clips an id, so the baseline's split gives 6 to train and 4 + 4 to test.
    let tree = dir.path().join("mimii");
    for (machine, folder) in [("fan", "6_dB_fan/fan"), ("valve", "valve")] {
        let mut normal = 0;
        let mut abnormal = 0;
        for split in ["train", "test"] {
            let mut files: Vec<_> = std::fs::read_dir(synth.join(machine).join(split))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for p in files {
                let Some(c) = ClipName::parse(p.file_name().unwrap().to_str().unwrap()) else {
                    continue;
                };
                let (label, k) = if c.anomaly {
                    ("abnormal", &mut abnormal)
                } else {
                    ("normal", &mut normal)
                };
                let mono = read_wav(&p).unwrap();
                let channels = (0..8)
                    .map(|ch| {
                        mono.channels[0]
                            .iter()
                            .map(|v| v * (1.0 - 0.05 * ch as f32))
                            .collect()
                    })
                    .collect();
                let to = tree
                    .join(folder)
                    .join("id_00")
                    .join(label)
                    .join(format!("{:08}.wav", *k));
                write_wav_atomic(
                    &to,
                    &Audio {
                        sample_rate: mono.sample_rate,
                        channels,
                    },
                    SampleFormat::Int16,
                )
                .unwrap();
                *k += 1;
            }
        }
        assert_eq!((normal, abnormal), (10, 4));
    }
    let d = tree.to_str().unwrap();
    let listing = ok(&["dataset", d]);
    assert!(listing.contains("layout mimii"), "{listing}");
    assert!(
        listing.contains("6_dB_fan: test anomaly 4, test normal 4, train normal 6"),
        "{listing}"
    );
    assert!(
        listing.contains("8 ch ×14")
            && listing.contains("16000 Hz ×14")
            && listing.contains("2.00 s"),
        "{listing}"
    );
    let report = dir.path().join("report");
    let json = evaluate_keyword(d, &report);
    assert_eq!(json["machines"], serde_json::json!(["6_dB_fan", "valve"]));
    assert_eq!(json["model"]["clips"], 12, "6 training clips a machine");
    every_detection_has(&json, 4, 4);
    let model = load_model(&report.join("model.safetensors")).unwrap();
    assert_eq!(
        model.features.channel,
        faultline::features::Channel::Index(0),
        "channel 0 as MIMII's baselines"
    );
    // Renders keep MIMII's folders and the clip's 8 channels; the fan's plan is a fan's.
    let rendered = report.join("anomalies/keyword/seed_0/6_dB_fan/id_00/normal");
    let wavs: Vec<_> = std::fs::read_dir(&rendered)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    assert_eq!(wavs.len(), 4);
    assert_eq!(read_wav(&wavs[0]).unwrap().channels.len(), 8);
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wavs[0].with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["plan"]["machine"], "fan");
    // --layout dcase (which finds no <machine>/train here) is honoured.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["dataset", d, "--layout", "dcase"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("layout dcase; 0 machine(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn llm_plans_that_fell_back_are_counted_and_make_the_verdict_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&[
        "synth",
        "--machine",
        "fan,valve,pump",
        "--count",
        "4",
        "--test-count",
        "3",
        "--seconds",
        "2",
        "--out",
        data.to_str().unwrap(),
        "--quiet",
    ]);
    let report = dir.path().join("report");
    // Nothing listens on port 9: every LLM request fails and the keyword planner steps in.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            "--out",
            report.to_str().unwrap(),
            "--epochs",
            "2",
            "--planner",
            "llm,keyword",
            "--plan-seeds",
            "1",
            "--resamples",
            "100",
            "--llm-base-url",
            "http://127.0.0.1:9/v1",
            "--llm-timeout",
            "2",
            "--no-cache",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("summary: llm: 9 of 9 plans came from a fallback planner"),
        "{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    for o in json["plan_origins"].as_array().unwrap() {
        let fallbacks = if o["source"] == "llm" { 3 } else { 0 };
        assert_eq!(
            (o["plans"].as_u64(), o["fallbacks"].as_u64()),
            (Some(3), Some(fallbacks)),
            "{o}"
        );
    }
    for rk in json["rankings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "llm")
    {
        assert_eq!(rk["verdict"], "inconclusive", "{rk}");
        assert!(
            rk["verdict_reason"]
                .as_str()
                .unwrap()
                .starts_with("9 of 9 plans came from a fallback planner"),
            "{rk}"
        );
    }
    // Each rendered plan says who made it.
    let sidecar = std::fs::read_dir(report.join("anomalies/llm/seed_0/fan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("manifest.json"))
        .unwrap();
    let entry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sidecar).unwrap()).unwrap();
    let pv = &entry["plan"]["provenance"];
    assert_eq!(
        (pv["planner"].as_str(), pv["requested"].as_str()),
        (Some("keyword"), Some("llm")),
        "{pv}"
    );
    assert!(
        pv["fallback"].as_str().is_some_and(|w| !w.is_empty()),
        "{pv}"
    );
}

/// The user's detector: a Python script scoring clips by level (tests/fixtures/energy_detector.py).
fn their_detector(train: &Path, test: &Path, out: &Path, machine: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/energy_detector.py");
    let o = Command::new("python3")
        .arg(script)
        .args([train, test, out])
        .arg(machine)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn another_detectors_scores_go_through_as_test_set_and_evaluate_scores() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let machines = ["fan", "valve", "pump"];
    ok(&[
        "synth",
        "--machine",
        "fan,valve,pump",
        "--count",
        "4",
        "--test-count",
        "5",
        "--seconds",
        "2",
        "--out",
        data.to_str().unwrap(),
        "--quiet",
    ]);
    // A DCASE test set of keyword anomalies, with its ground truth.
    let sets = dir.path().join("sets");
    ok(&[
        "render",
        "--in",
        data.to_str().unwrap(),
        "--out",
        sets.join("keyword").to_str().unwrap(),
        "--planner",
        "keyword",
        "--as-test-set",
        "--quiet",
    ]);
    for m in machines {
        let truth = std::fs::read_to_string(
            sets.join("keyword")
                .join(m)
                .join(format!("ground_truth_{m}_section_00_test.csv")),
        )
        .unwrap();
        assert_eq!(
            truth.lines().filter(|l| l.ends_with(",0")).count(),
            5,
            "{truth}"
        );
        assert_eq!(
            truth.lines().filter(|l| l.ends_with(",1")).count(),
            5,
            "{truth}"
        );
        for line in truth.lines() {
            let file = line.split(',').next().unwrap();
            assert!(
                sets.join("keyword")
                    .join(m)
                    .join("test")
                    .join(file)
                    .exists(),
                "{file} listed but missing"
            );
        }
    }
    // Their system scores the real test set and the planner's set.
    let scores = dir.path().join("scores");
    for m in machines {
        let train = data.join(m).join("train");
        their_detector(
            &train,
            &data.join(m).join("test"),
            &scores.join("reference"),
            m,
        );
        their_detector(
            &train,
            &sets.join("keyword").join(m).join("test"),
            &scores.join("keyword"),
            m,
        );
    }
    let report = dir.path().join("report");
    ok(&[
        "evaluate",
        "--data",
        data.to_str().unwrap(),
        "--scores",
        scores.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "200",
        "--quiet",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["scores_from"], scores.to_str().unwrap());
    // Every AUC is the one their scores give (recomputed here from the CSVs and the names).
    let read = |path: &Path| -> Vec<(String, f64)> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let (f, s) = l.split_once(',').unwrap();
                (f.to_string(), s.parse().unwrap())
            })
            .collect()
    };
    for m in machines {
        let real = read(
            &scores
                .join("reference")
                .join(format!("anomaly_score_{m}_section_00_test.csv")),
        );
        let planner = read(
            &scores
                .join("keyword")
                .join(format!("anomaly_score_{m}_section_00_test.csv")),
        );
        let normals: Vec<f64> = real
            .iter()
            .filter(|(f, _)| f.contains("_normal_"))
            .map(|r| r.1)
            .collect();
        for (source, anomalies) in [
            (
                "reference",
                real.iter()
                    .filter(|(f, _)| f.contains("_anomaly_"))
                    .map(|r| r.1)
                    .collect::<Vec<_>>(),
            ),
            (
                "keyword",
                planner
                    .iter()
                    .filter(|(f, _)| f.contains("_anomaly_"))
                    .map(|r| r.1)
                    .collect(),
            ),
        ] {
            let want = faultline::metrics::RocSample::new(&normals, &anomalies)
                .areas(0.1)
                .0;
            let d = json["detections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["machine"] == m && d["source"] == source && d["score"] == "external")
                .unwrap();
            assert!(
                (d["auc"].as_f64().unwrap() - want).abs() < 1e-12,
                "{m} {source}: {d} vs {want}"
            );
            assert_eq!(
                (d["normals"].as_u64(), d["anomalies"].as_u64()),
                (Some(5), Some(5))
            );
        }
    }
    assert!(json["rankings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["source"] == "keyword" && r["verdict"].is_string()));
    // One system, one score: reported as `external`, not under our detector's names.
    assert_eq!(json["kinds"], serde_json::json!(["external"]));
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("Scores from another detector"),
        "the report says whose scores these are"
    );
    // A score file that misses a test clip is a named error.
    let f = scores.join("reference/anomaly_score_fan_section_00_test.csv");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        text.lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "evaluate",
            "--data",
            data.to_str().unwrap(),
            "--scores",
            scores.to_str().unwrap(),
            "--out",
            dir.path().join("r2").to_str().unwrap(),
            "--planner",
            "keyword",
            "--plan-seeds",
            "1",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("no score for"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_knn_detector_trains_scores_and_is_evaluated_beside_the_autoencoder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "fan,valve,bearing",
        "--count",
        "8",
        "--test-count",
        "8",
        "--seconds",
        "2",
        "--out",
        d,
        "--quiet",
    ]);
    // train --detector knn → a kNN file: banks per domain, read back by the library.
    let knn_path = dir.path().join("knn.safetensors");
    let (success, _, stderr) = faultline(&[
        "train",
        "--data",
        d,
        "--out",
        knn_path.to_str().unwrap(),
        "--detector",
        "knn",
    ]);
    assert!(success, "{stderr}");
    assert!(
        stderr.contains("kNN detector") && stderr.contains("source"),
        "{stderr}"
    );
    let knn = faultline::detect::load_knn(&knn_path).unwrap();
    assert_eq!(knn.provenance.trained_on, vec!["bearing", "fan", "valve"]);
    assert_eq!(knn.mean.len(), 256);
    // A kNN file given where the detector list has no knn is a named error, not ignored.
    let (success, _, stderr) = faultline(&[
        "evaluate",
        "--data",
        d,
        "--out",
        dir.path().join("x").to_str().unwrap(),
        "--knn-model",
        knn_path.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        !success && stderr.contains("add knn to --detector"),
        "{stderr}"
    );
    // The autoencoder's loader names the kNN file instead of misreading it.
    let e = load_model(&knn_path).unwrap_err().to_string();
    assert!(e.contains("a kNN detector's file"), "{e}");

    // score with it → DCASE score files whose numbers are the library's kNN scores.
    let scores = dir.path().join("scores");
    ok(&[
        "score",
        "--model",
        knn_path.to_str().unwrap(),
        "--data",
        d,
        "--machines",
        "fan",
        "--out",
        scores.to_str().unwrap(),
    ]);
    let file = scores.join("anomaly_score_fan_section_00_test.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let (name, value) = text.lines().next().unwrap().split_once(',').unwrap();
    let clip = data.join("fan/test").join(name);
    let mut lm = faultline::features::LogMel::new(knn.features.clone());
    let v = faultline::eval::clip_vectors(&clip, &mut lm).unwrap();
    let want = knn.score(v.view());
    assert!((value.parse::<f64>().unwrap() - want).abs() < 1e-9 * want.abs().max(1.0));

    // evaluate --detector ae,knn → rankings per detector and whether they agree.
    let out = dir.path().join("report");
    ok(&[
        "evaluate",
        "--data",
        d,
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "2",
        "--detector",
        "ae,knn",
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "200",
        "--quiet",
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["kinds"],
        serde_json::json!(["mse", "mahalanobis", "knn"])
    );
    let rankings = report["rankings"].as_array().unwrap();
    assert!(rankings
        .iter()
        .any(|r| r["score"] == "knn" && r["source"] == "keyword"));
    let agreement = report["detector_agreement"].as_array().unwrap();
    // mse–knn and mahalanobis–knn, for the reference and the keyword planner.
    assert_eq!(agreement.len(), 4, "{agreement:?}");
    for a in agreement {
        let rho = a["spearman"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&rho));
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("## Do the detectors agree?") && md.contains("## AUC / pAUC (knn score)"),
        "{md}"
    );
    assert!(faultline::detect::load_knn(&out.join("knn.safetensors")).is_ok());
    let csv = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    assert!(
        csv.starts_with("machine,source,plan_seed,path,mse,mahalanobis,knn\n"),
        "{}",
        &csv[..80]
    );

    // The same kNN file reused gives the same kNN AUCs (the detector is deterministic).
    let again = dir.path().join("again");
    ok(&[
        "evaluate",
        "--data",
        d,
        "--out",
        again.to_str().unwrap(),
        "--detector",
        "knn",
        "--knn-model",
        knn_path.to_str().unwrap(),
        "--planner",
        "keyword",
        "--plan-seeds",
        "1",
        "--resamples",
        "200",
        "--quiet",
    ]);
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(again.join("report.json")).unwrap()).unwrap();
    assert_eq!(r2["kinds"], serde_json::json!(["knn"]));
    assert_eq!(
        reference_aucs(&report, Some("knn")),
        reference_aucs(&r2, Some("knn"))
    );
}

#[test]
fn a_fixed_plans_orders_follow_each_clips_own_shaft_rate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "bearing",
        "--count",
        "2",
        "--test-count",
        "4",
        "--seconds",
        "1",
        "--out",
        d,
        "--quiet",
    ]);
    // A plan made for a bearing at 1800 rpm: an outer-race knock at BPFO, as an order.
    let plan = ok(&[
        "plan",
        "--machine",
        "bearing",
        "--attrs",
        "rpm=1800",
        "--fault",
        "outer race defect",
    ]);
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, &plan).unwrap();
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let order = plan["steps"][0]["arguments"]["rate_order"]
        .as_f64()
        .unwrap();
    assert_eq!(plan["shaft_hz"], 30.0);
    let out = dir.path().join("rendered");
    ok(&[
        "render",
        "--in",
        data.join("bearing/test").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--plan",
        plan_path.to_str().unwrap(),
        "--machine",
        "bearing",
    ]);
    let mut checked = 0;
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") || p.ends_with("manifest.json") {
            continue;
        }
        let sidecar: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let clip = p.file_name().unwrap().to_str().unwrap();
        // The clip's own speed, from its DCASE name (…_rpm_NNNN_…).
        let rpm: f64 = clip
            .split('_')
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[0] == "rpm")
            .map(|w| w[1].trim_end_matches(".json").parse().unwrap())
            .unwrap_or_else(|| panic!("{clip} has no rpm"));
        let rendered = &sidecar["plan"];
        let hz = rendered["steps"][0]["arguments"]["rate_hz"]
            .as_f64()
            .unwrap();
        assert!(
            (hz - (order * rpm / 60.0).min(300.0)).abs() < 0.01,
            "{clip}: {hz} Hz, order {order} at {rpm} rpm"
        );
        assert_eq!(rendered["shaft_hz"].as_f64().unwrap(), rpm / 60.0);
        checked += 1;
    }
    assert!(checked >= 4, "{checked}");
}

#[test]
fn an_evaluation_set_is_labelled_by_the_evaluators_ground_truth_files() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev");
    let d = dev.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "fan,valve,bearing",
        "--count",
        "8",
        "--test-count",
        "6",
        "--seconds",
        "2",
        "--out",
        d,
        "--quiet",
    ]);
    // The same clips as an evaluation set ships: test clips renamed section_00_NNNN.wav (in a
    // shuffled order), labels and domains only in the evaluators' ground-truth files.
    let eval = dir.path().join("eval");
    let gt = dir.path().join("gt");
    std::fs::create_dir_all(gt.join("ground_truth_data")).unwrap();
    std::fs::create_dir_all(gt.join("ground_truth_domain")).unwrap();
    for m in ["fan", "valve", "bearing"] {
        copy_dir(&dev.join(m).join("train"), &eval.join(m).join("train"));
        let mut names: Vec<PathBuf> = std::fs::read_dir(dev.join(m).join("test"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "wav"))
            .collect();
        names.sort();
        names.reverse();
        std::fs::create_dir_all(eval.join(m).join("test")).unwrap();
        let (mut labels, mut domains) = (String::new(), String::from("file_name,domain\n"));
        for (i, p) in names.iter().enumerate() {
            let name = p.file_name().unwrap().to_str().unwrap();
            let new = format!("section_00_{i:04}.wav");
            std::fs::copy(p, eval.join(m).join("test").join(&new)).unwrap();
            labels.push_str(&format!("{new},{}\n", u8::from(name.contains("_anomaly_"))));
            domains.push_str(&format!(
                "{new},{}\n",
                if name.contains("_target_") { 1 } else { 0 }
            ));
        }
        let file = format!("ground_truth_{m}_section_00_test.csv");
        std::fs::write(gt.join("ground_truth_data").join(&file), labels).unwrap();
        std::fs::write(gt.join("ground_truth_domain").join(&file), domains).unwrap();
    }
    let e = eval.to_str().unwrap();
    // Without the ground truth the tree says what is missing …
    let summary = ok(&["dataset", e]);
    assert!(
        summary.contains("unlabelled test clips") && summary.contains("--ground-truth"),
        "{summary}"
    );
    // … with it, the evaluation equals the one on the labelled names (same clips, labels, domains).
    let model = dir.path().join("model.safetensors");
    ok(&[
        "train",
        "--data",
        d,
        "--out",
        model.to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
    ]);
    let run = |data: &str, out: &Path, gt: Option<&Path>| -> serde_json::Value {
        let mut args = vec![
            "evaluate",
            "--data",
            data,
            "--out",
            out.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--planner",
            "keyword",
            "--plan-seeds",
            "1",
            "--resamples",
            "200",
            "--quiet",
        ];
        if let Some(g) = gt {
            args.extend(["--ground-truth", g.to_str().unwrap()]);
        }
        ok(&args);
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
    };
    let a = run(d, &dir.path().join("ra"), None);
    let b = run(e, &dir.path().join("rb"), Some(&gt));
    assert_eq!(reference_aucs(&a, None), reference_aucs(&b, None));
    let summary = ok(&["dataset", e, "--ground-truth", gt.to_str().unwrap()]);
    assert!(
        !summary.contains("unlabelled") && summary.contains("domains source,target"),
        "{summary}"
    );
}

/// Normal test clips per machine in a premise result (the same for every machine here).
fn normals_per_machine(p: &serde_json::Value) -> usize {
    p["normals"][0].as_u64().unwrap() as usize
}
