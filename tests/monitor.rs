//! `faultline monitor` end to end: the loop mode with learn-normal and a fault schedule, a real
//! ALSA capture device (a `file` PCM playing a known recording, no sound card needed), and
//! SIGINT writing the final report.

use faultline::dataset::{write_wav_atomic, Audio, SampleFormat};
use faultline::machine::MachineType;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fan_clip(seconds: f32, rate: u32) -> Vec<f32> {
    faultline::synth::normal_clip(MachineType::Fan, seconds, rate, 12)
}

fn write_clip(dir: &Path, seconds: f32, rate: u32, format: SampleFormat) -> PathBuf {
    let path = dir.join("fan.wav");
    write_wav_atomic(&path, &Audio::mono(rate, fan_clip(seconds, rate)), format).unwrap();
    path
}

fn monitor(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("monitor")
        .args(args)
        .output()
        .expect("binary runs")
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json")).expect("summary.json written"),
    )
    .unwrap()
}

/// Learns normal from a looped clip (faster than real time), saves the model; returns its path.
fn learn_model(dir: &Path, clip: &Path) -> PathBuf {
    let model = dir.join("fan.safetensors");
    let report = dir.join("learn-report");
    let out = monitor(&[
        "--loop",
        clip.to_str().unwrap(),
        "--fast",
        "--learn",
        "15s",
        "--save-model",
        model.to_str().unwrap(),
        "--duration",
        "17s",
        "--quiet",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(model.exists(), "learned model saved");
    model
}

#[test]
fn loop_mode_learns_normal_and_detects_a_scheduled_fault() {
    let dir = tempfile::tempdir().unwrap();
    let clip = write_clip(dir.path(), 12.0, 16_000, SampleFormat::Float32);
    let report = dir.path().join("report");
    let out = monitor(&[
        "--loop",
        clip.to_str().unwrap(),
        "--fast",
        "--learn",
        "15s",
        "--machine",
        "fan",
        "--fault",
        "strong electrical hum",
        "--planner",
        "keyword",
        "--schedule",
        "off=3s,on=3s",
        "--duration",
        "40s",
        "--quiet",
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One JSON line per scored window, and the same windows in the CSV.
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(lines.len() >= 20, "{} windows", lines.len());
    let csv = std::fs::read_to_string(report.join("windows.csv")).unwrap();
    assert_eq!(csv.lines().count(), lines.len() + 1);
    let s = summary(&report);
    let fan = &s["summary"]["machines"][0];
    assert_eq!(fan["machine"], "fan");
    assert!(
        fan["normal_windows"].as_u64().unwrap() >= 8 && fan["fault_windows"].as_u64().unwrap() >= 8,
        "{fan}"
    );
    let auc = fan["auc_mse"].as_f64().unwrap();
    assert!(auc > 0.8, "an obvious fault: AUC {auc}");
    assert_eq!(
        s["summary"]["dropped_samples"], 0,
        "fast mode waits instead of dropping"
    );
    assert!(
        std::fs::read_to_string(report.join("alarms.csv"))
            .unwrap()
            .lines()
            .count()
            > 1,
        "alarms recorded"
    );
}

#[test]
fn a_real_alsa_capture_device_is_scored_and_the_schedule_moves_the_scores() {
    if !cfg!(target_os = "linux")
        || Command::new("sh")
            .args(["-c", "ldconfig -p | grep -q libasound.so.2"])
            .status()
            .map_or(true, |s| !s.success())
    {
        eprintln!("skipped: no ALSA library");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The device plays a 16-bit recording; the model learns normal from the same recording, as
    // a WAV file: the quantisation floor is part of "normal" (a model learned from float audio
    // scores 16-bit normal audio as anomalous).
    let x = fan_clip(40.0, 48_000);
    let clip = dir.path().join("fan16.wav");
    write_wav_atomic(&clip, &Audio::mono(48_000, x.clone()), SampleFormat::Int16).unwrap();
    let model = learn_model(dir.path(), &clip);
    // The capture device: ALSA's `file` plugin on a `null` slave (no sound card; ALSA delivers
    // the recording faster than real time). The file is read raw in the format the stream opens
    // with, which cpal picks as f32, stereo, 48 kHz here; the report's input line checks it.
    let raw = dir.path().join("capture.raw");
    let pcm = faultline::dataset::read_wav(&clip)
        .unwrap()
        .channels
        .remove(0);
    std::fs::write(
        &raw,
        pcm.iter()
            .flat_map(|v| [v.to_le_bytes(), v.to_le_bytes()].concat())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let conf = dir.path().join("asound.conf");
    std::fs::write(
        &conf,
        format!(
            r#"pcm.!default {{
    type plug
    slave.pcm "faultline_file"
    hint.description "Faultline test capture"
}}
pcm.faultline_file {{
    type file
    slave.pcm {{ type null }}
    file "/dev/null"
    infile "{}"
    format "raw"
}}
"#,
            raw.display()
        ),
    )
    .unwrap();
    let list = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["monitor", "--list-devices"])
        .env("ALSA_CONFIG_PATH", &conf)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("Faultline test capture"),
        "the ALSA device is listed: {}",
        String::from_utf8_lossy(&list.stdout)
    );

    // A device that is not there: a clear error naming the ones that are, no hang, no report.
    let missing = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "monitor",
            "--device",
            "no such mic",
            "--learn",
            "10s",
            "--quiet",
            "--report",
            dir.path().join("none").to_str().unwrap(),
        ])
        .env("ALSA_CONFIG_PATH", &conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success()
            && err.contains("no input device \"no such mic\"")
            && err.contains("Faultline test capture"),
        "{err}"
    );

    let report = dir.path().join("device-report");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "monitor",
            "--device",
            "Faultline test capture",
            "--model",
            model.to_str().unwrap(),
            "--fault",
            "strong electrical hum",
        ])
        .args([
            "--schedule",
            "off=3s,on=3s",
            "--duration",
            "30s",
            "--quiet",
            "--report",
            report.to_str().unwrap(),
        ])
        // Pass-through to the default output: the same PCM, whose playback goes to /dev/null.
        .args(["--passthrough", "default"])
        .env("ALSA_CONFIG_PATH", &conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&report);
    assert!(
        s["run"]["input"]
            .as_str()
            .unwrap()
            .contains("device Faultline test capture · 48000 Hz · 2 ch"),
        "{}",
        s["run"]["input"]
    );
    let fan = &s["summary"]["machines"][0];
    let (normal, fault) = (
        fan["normal_windows"].as_u64().unwrap(),
        fan["fault_windows"].as_u64().unwrap(),
    );
    assert!(normal >= 5 && fault >= 5, "{fan}");
    let auc = fan["auc_mse"].as_f64().unwrap();
    let windows = std::fs::read_to_string(report.join("windows.csv")).unwrap();
    assert!(
        auc > 0.8,
        "scores rise while the fault is on: AUC {auc}\n{windows}"
    );
}

#[test]
fn sigint_writes_the_final_report() {
    let dir = tempfile::tempdir().unwrap();
    let clip = write_clip(dir.path(), 12.0, 16_000, SampleFormat::Float32);
    let model = learn_model(dir.path(), &clip);
    let report = dir.path().join("report");
    // Real time this time: the run would go on for a minute.
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "monitor",
            "--loop",
            clip.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--duration",
            "60s",
            "--quiet",
            "--report-every",
            "600",
        ])
        .args(["--report", report.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !report.join("summary.json").exists(),
        "no report before the signal"
    );
    // The shell's built-in kill: no procps needed.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "monitor did not stop after SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit after SIGINT");
    let s = summary(&report);
    let seconds = s["run"]["seconds"].as_f64().unwrap();
    assert!(
        (3.0..10.0).contains(&seconds),
        "stopped early, at {seconds} s"
    );
    assert!(
        s["summary"]["windows"].as_u64().unwrap() >= 4,
        "{}",
        s["summary"]
    );
}
