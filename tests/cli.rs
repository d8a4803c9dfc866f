//! The `faultline` command end to end: what it writes is read back by hound and serde_json.

use faultline::dataset::read_wav;
use faultline::offline::RenderEntry;
use faultline::plan::FaultPlan;
use std::path::Path;
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = faultline(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn files_with(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_with(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

#[test]
fn catalog_json_is_an_openai_tool_list() {
    let v: serde_json::Value = serde_json::from_str(&ok(&["catalog", "--json"])).unwrap();
    let tools = v.as_array().unwrap();
    assert!(tools.len() >= 11);
    assert!(tools.iter().all(|t| t["type"] == "function"
        && t["function"]["parameters"]["properties"]["intensity"].is_object()));
}

#[test]
fn plan_prints_a_valid_plan_and_bad_input_is_named() {
    let text = ok(&[
        "plan",
        "--machine",
        "fan",
        "--attrs",
        "rpm=1200,blades=4",
        "--fault",
        "squeaking bearing",
    ]);
    let plan = FaultPlan::from_json(&text).unwrap();
    assert_eq!(
        plan.caption,
        "a fan running at 1200 rpm, with 4 blades; fault: squeaking bearing"
    );
    let out = faultline(&[
        "plan",
        "--machine",
        "fan",
        "--fault",
        "x",
        "--planner",
        "oracle",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("unknown planner \"oracle\"; allowed: keyword, random"));
}

#[test]
fn synth_then_render_writes_readable_clips_sidecars_and_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    ok(&[
        "synth",
        "--machine",
        "fan,valve",
        "--count",
        "5",
        "--seconds",
        "2",
        "--out",
        d,
        "--quiet",
    ]);
    for m in ["fan", "valve"] {
        assert_eq!(files_with(&data.join(m).join("train"), ".wav").len(), 5);
        let test = files_with(&data.join(m).join("test"), ".wav");
        assert_eq!(test.len(), 4);
        assert_eq!(
            test.iter()
                .filter(|p| p.to_string_lossy().contains("_anomaly_"))
                .count(),
            2
        );
        let csv = std::fs::read_to_string(data.join(m).join("attributes_00.csv")).unwrap();
        assert_eq!(csv.lines().count(), 1 + 9);
        let a = read_wav(&test[0]).unwrap();
        assert_eq!(
            (a.sample_rate, a.channels.len(), a.frames()),
            (16_000, 1, 32_000)
        );
    }

    let out = dir.path().join("anomalies");
    let o = out.to_str().unwrap();
    let render = [
        "render",
        "--in",
        d,
        "--out",
        o,
        "--planner",
        "keyword",
        "--fault",
        "loose rattling cover",
        "--quiet",
    ];
    let first = faultline(&render);
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stderr)
        .contains("render: 14 clips written, 0 already there"));
    let manifest: Vec<RenderEntry> =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.len(), 14);
    assert!(files_with(&out, ".tmp").is_empty());

    // Each output is exactly the plan in its sidecar applied to its source.
    for entry in manifest.iter().take(3) {
        let sidecar: RenderEntry = serde_json::from_str(
            &std::fs::read_to_string(entry.output.with_extension("json")).unwrap(),
        )
        .unwrap();
        assert_eq!(&sidecar, entry);
        assert!(entry.output.to_string_lossy().contains("_anomaly_"));
        assert_eq!(entry.plan.steps[0].function, "rattle");
        let mut x = read_wav(&entry.source).unwrap().channels.remove(0);
        let mut chain = entry.plan.chain().unwrap();
        chain.prepare(16_000.0, 4096, 1);
        chain.process_mono(&mut x);
        assert_eq!(read_wav(&entry.output).unwrap().channels[0], x);
    }

    // A rerun skips what is done; a clip whose sidecar is missing is rendered again.
    std::fs::remove_file(manifest[0].output.with_extension("json")).unwrap();
    let again = faultline(&render);
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("render: 1 clips written, 13 already there"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn render_with_a_plan_file_and_bad_plans_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&[
        "synth",
        "--machine",
        "pump",
        "--count",
        "2",
        "--seconds",
        "1",
        "--out",
        data.to_str().unwrap(),
        "--quiet",
    ]);
    let plan_text = ok(&["plan", "--machine", "pump", "--fault", "cavitation"]);
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, &plan_text).unwrap();
    let out = dir.path().join("out");
    ok(&[
        "render",
        "--in",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--plan",
        plan_path.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(files_with(&out, ".wav").len(), 4);

    let bad = plan_text.replace("\"band_noise\"", "\"bandnoise\"");
    std::fs::write(&plan_path, bad).unwrap();
    let r = faultline(&[
        "render",
        "--in",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--plan",
        plan_path.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success());
    assert!(
        err.contains("plan.json: invalid plan")
            && err.contains("steps[0].function: unknown function \"bandnoise\""),
        "{err}"
    );

    let junk = dir.path().join("junk");
    std::fs::create_dir_all(junk.join("fan")).unwrap();
    std::fs::write(junk.join("fan").join("broken.wav"), b"RIFF").unwrap();
    let r = faultline(&[
        "render",
        "--in",
        junk.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--planner",
        "random",
        "--fault",
        "x",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("broken.wav"), "{err}");
}

#[test]
fn severity_measured_at_the_recording_changes_only_the_fault_clips_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let synth = |out: &Path, at: &str| {
        faultline(&[
            "synth",
            "--machine",
            "pump",
            "--count",
            "2",
            "--test-count",
            "2",
            "--seconds",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--severity-at",
            at,
            "--quiet",
        ])
    };
    let (a, b) = (dir.path().join("machine"), dir.path().join("recording"));
    assert!(synth(&a, "machine").status.success());
    assert!(synth(&b, "recording").status.success());
    let manifest = |d: &Path| std::fs::read_to_string(d.join("synth.json")).unwrap();
    assert!(manifest(&a).contains("\"severity_measured_at\": \"machine\""));
    assert!(manifest(&b).contains("\"severity_measured_at\": \"recording\""));
    // The same clip names; normal clips identical, fault clips not.
    let mut names: Vec<_> = files_with(&a, ".wav")
        .into_iter()
        .map(|p| p.strip_prefix(&a).unwrap().to_path_buf())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        6,
        "2 training, 2 normal and 2 fault test clips"
    );
    for n in &names {
        let same = std::fs::read(a.join(n)).unwrap() == std::fs::read(b.join(n)).unwrap();
        let fault = n.to_string_lossy().contains("anomaly");
        assert_eq!(same, !fault, "{}", n.display());
    }
    // A rerun into the folder with the other setting is refused, naming it.
    let again = synth(&a, "recording");
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("severity_measured_at"), "{err}");
    // A bad value names the allowed ones.
    let bad = synth(&dir.path().join("x"), "mic");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("allowed: machine, recording"));
}

#[test]
fn clips_on_disk_are_reused_only_when_the_same_code_would_write_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let synth = || {
        faultline(&[
            "synth",
            "--machine",
            "valve",
            "--count",
            "2",
            "--test-count",
            "2",
            "--seconds",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    assert!(synth().status.success());
    let manifest_path = out.join("synth.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let fingerprint = v["world_fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16, "{manifest}");
    // A rerun of the same code keeps every clip and the same fingerprint.
    let clip = files_with(&out, ".wav").into_iter().next().unwrap();
    let before = std::fs::metadata(&clip).unwrap().modified().unwrap();
    let again = synth();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        std::fs::metadata(&clip).unwrap().modified().unwrap(),
        before
    );
    assert!(std::fs::read_to_string(&manifest_path)
        .unwrap()
        .contains(&fingerprint));
    // Clips written by other world code under the same version and settings (the manifest's
    // fingerprint says so) are refused, naming both fingerprints; nothing is overwritten.
    std::fs::write(
        &manifest_path,
        manifest.replace(&fingerprint, "0123456789abcdef"),
    )
    .unwrap();
    let other = synth();
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success(), "{err}");
    assert!(
        err.contains("0123456789abcdef") && err.contains(&fingerprint),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(&clip).unwrap().modified().unwrap(),
        before
    );
    // A manifest from before fingerprints keeps the version check only: reused as before.
    let mut old = v.clone();
    old.as_object_mut().unwrap().remove("world_fingerprint");
    std::fs::write(&manifest_path, serde_json::to_string(&old).unwrap()).unwrap();
    assert!(synth().status.success());
}
