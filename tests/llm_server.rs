//! The LLM planner against a real llama.cpp server on 127.0.0.1 (xllamacpp + SmolLM2-135M, set
//! up by `cargo xtask test` in target/pyenv). Asserts structure — valid plans that went through
//! validation, with the changes recorded — not the tiny model's taste.

use faultline::plan::llm::{LlmConfig, LlmPlanner};
use faultline::plan::{FaultPlan, PlanRequest, Planner};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FAULTLINE_TEST_PYTHON") {
        return Some(p.into());
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python");
    venv.exists().then_some(venv)
}

fn notes_of(p: &FaultPlan) -> String {
    p.provenance.notes.join("\n")
}

#[test]
fn plans_for_several_machines_through_a_real_server() {
    let Some(python) = python() else {
        eprintln!(
            "skipped: no Python environment (run `cargo xtask test`, or set FAULTLINE_TEST_PYTHON)"
        );
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/llm/serve.py");
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("python starts");
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    if !line.starts_with("ready") {
        let err = std::fs::read_to_string(log.path()).unwrap_or_default();
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        panic!(
            "server did not start: {line:?}\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    let cfg = LlmConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        model: "smollm2-135m".into(),
        timeout: Duration::from_secs(300),
        retries: 1,
        max_tokens: 160,
        cache_dir: None,
        ..LlmConfig::default()
    };
    let planner = LlmPlanner::new(cfg).unwrap();
    let mut from_llm = 0;
    let mut changed = 0;
    for (machine, fault) in [
        ("fan", "squeaking bearing"),
        ("pump", "cavitation"),
        ("valve", "loose cover rattling"),
        ("gearbox", "cracked tooth"),
    ] {
        let req = PlanRequest {
            machine: machine.into(),
            attributes: vec![],
            fault: fault.into(),
            seed: 1,
        };
        let plan = planner.plan(&req).unwrap();
        let reparsed =
            FaultPlan::from_json(&plan.to_json()).expect("every plan validates strictly");
        // Honest provenance: the LLM's own plans say llm, fallbacks say keyword (asked: llm).
        assert_eq!(reparsed.provenance.requested.as_deref(), Some("llm"));
        assert_eq!(
            reparsed.provenance.planner,
            if notes_of(&plan).contains("fallback:") {
                "keyword"
            } else {
                "llm"
            }
        );
        assert!(!plan.steps.is_empty() && plan.steps.len() <= 3);
        let notes = plan.provenance.notes.join("\n");
        eprintln!(
            "{machine} / {fault}: {:?}\n{notes}\n",
            plan.steps.iter().map(|s| &s.function).collect::<Vec<_>>()
        );
        if !plan.provenance.is_fallback() {
            from_llm += 1;
        }
        if notes.contains("clamped") || notes.contains("default") || notes.contains("dropped") {
            changed += 1;
        }
    }
    assert!(
        from_llm >= 2,
        "the server's tool calls were used for only {from_llm} of 4 plans"
    );
    assert!(
        changed >= 1,
        "no validation change recorded: the tiny model's values all in range?"
    );

    // `planner-check` on a subset of the development set, both prompts, through the CLI
    // against the same server (one server: it has one slot, and CI two cores).
    let json = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "planner-check",
            "--planner",
            "llm-plain,llm-physics",
            "--limit",
            "3",
            "--no-cache",
            "--llm-model",
            "smollm2-135m",
            "--llm-timeout",
            "300",
        ])
        .arg("--llm-base-url")
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--json")
        .arg(json.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{stdout}");
    assert!(
        stdout.contains("| llm-physics | smollm2-135m, physics |"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap()).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2);
    for (r, prompt) in results.iter().zip(["plain", "physics"]) {
        assert_eq!(r["prompt"], prompt);
        assert_eq!(r["hit"]["n"], 3);
        let outcomes = r["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), 3);
        // Every case of every machine type in the subset was really asked of the server …
        assert!(outcomes
            .iter()
            .all(|o| o["seconds"].as_f64().unwrap() > 0.0));
        // … a fallback is never counted as the LLM's hit, and says why.
        for o in outcomes {
            if o["fallback"] == true {
                assert_eq!(o["hit"], false);
                assert!(o["fallback_reason"].as_str().is_some_and(|w| !w.is_empty()));
            }
        }
        let fallbacks = outcomes.iter().filter(|o| o["fallback"] == true).count();
        assert_eq!(r["fallback"]["hits"], fallbacks);
        let (lo, hi) = (
            r["hit"]["ci"][0].as_f64().unwrap(),
            r["hit"]["ci"][1].as_f64().unwrap(),
        );
        assert!(0.0 <= lo && lo <= r["hit"]["value"].as_f64().unwrap() && hi <= 1.0);
    }
}
