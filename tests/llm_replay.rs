//! The LLM planner against an in-process HTTP server that replays recorded replies: every error
//! path ends in a valid plan whose provenance says what happened, and the key stays secret.

use faultline::plan::llm::{LlmConfig, LlmPlanner};
use faultline::plan::{FaultPlan, PlanRequest, Planner};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One scripted reply: status, body, delay before answering.
#[derive(Clone)]
struct Reply(u16, String, u64);

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

/// Serves the scripted replies in order (the last one repeats), recording each request.
fn serve(replies: Vec<Reply>) -> Server {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let log = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let mut n = 0;
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let reply = replies[n.min(replies.len() - 1)].clone();
                n += 1;
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    loop {
                        let k = sock.read(&mut chunk).await.unwrap_or(0);
                        if k == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..k]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())).unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    log.lock().unwrap().push(String::from_utf8_lossy(&buf).to_string());
                    tokio::time::sleep(Duration::from_millis(reply.2)).await;
                    let head = format!("HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 0\r\nConnection: close\r\n\r\n", reply.0, reply.1.len());
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(reply.1.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
    });
    let addr = rx.recv().unwrap();
    Server {
        url: format!("http://{addr}"),
        seen,
    }
}

fn tool_reply(calls: Value) -> String {
    json!({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": calls}, "finish_reason": "tool_calls"}]}).to_string()
}

fn call(name: &str, args: Value) -> Value {
    json!({"id": "call_1", "type": "function", "function": {"name": name, "arguments": args.to_string()}})
}

fn plan(server: &Server, cache: Option<std::path::PathBuf>) -> FaultPlan {
    let cfg = LlmConfig {
        base_url: server.url.clone(),
        model: "replay".into(),
        api_key_env: "FAULTLINE_TEST_KEY".into(),
        timeout: Duration::from_millis(800),
        retries: 2,
        cache_dir: cache,
        ..LlmConfig::default()
    };
    let req = PlanRequest {
        machine: "fan".into(),
        attributes: vec![("rpm".into(), "1200".into())],
        fault: "squeaking bearing".into(),
        seed: 4,
    };
    let plan = LlmPlanner::new(cfg).unwrap().plan(&req).unwrap();
    // Whatever happened, the plan is valid.
    FaultPlan::from_json(&plan.to_json()).unwrap()
}

fn notes(p: &FaultPlan) -> String {
    p.provenance.notes.join("\n")
}

fn functions(p: &FaultPlan) -> Vec<&str> {
    p.steps.iter().map(|s| s.function.as_str()).collect()
}

#[test]
fn a_good_reply_becomes_the_plan_and_out_of_range_values_are_clamped() {
    let s = serve(vec![Reply(
        200,
        tool_reply(json!([
            call("squeak", json!({"intensity": 3, "frequency_hz": 2500})),
            call("knock", json!({"intensity": 0.4}))
        ])),
        0,
    )]);
    let p = plan(&s, None);
    assert_eq!(functions(&p), ["squeak", "knock"]);
    assert_eq!(
        (p.provenance.planner.as_str(), p.provenance.model.as_deref()),
        ("llm", Some("replay"))
    );
    let n = notes(&p);
    assert!(
        n.contains("call[0].arguments.intensity: 3 clamped to 1"),
        "{n}"
    );
    assert!(
        n.contains("call[1].arguments.rate_hz: missing, default"),
        "{n}"
    );
    // The request carried the catalog as tools and the caption.
    let request = &s.seen.lock().unwrap()[0];
    assert!(request.starts_with("POST /v1/chat/completions"));
    assert!(
        request.contains("\"tools\"")
            && request.contains("amplitude_modulation")
            && request.contains("fault: squeaking bearing")
    );
}

#[test]
fn server_errors_retry_then_fall_back_to_keywords() {
    let s = serve(vec![Reply(500, "{\"error\": \"boom\"}".into(), 0)]);
    let p = plan(&s, None);
    assert_eq!(s.seen.lock().unwrap().len(), 3, "one try and two retries");
    assert_eq!(
        functions(&p),
        ["squeak", "knock"],
        "keyword plan for 'squeaking bearing'"
    );
    let n = notes(&p);
    assert!(
        n.contains("fallback: keyword planner") && n.contains("HTTP 500"),
        "{n}"
    );
    // The provenance says who made the steps, what was asked, and why.
    let pv = &p.provenance;
    assert_eq!(
        (pv.planner.as_str(), pv.requested.as_deref()),
        ("keyword", Some("llm"))
    );
    assert!(
        pv.is_fallback()
            && pv
                .fallback
                .as_deref()
                .is_some_and(|w| w.contains("HTTP 500")),
        "{pv:?}"
    );
}

#[test]
fn a_429_is_retried_and_the_next_reply_used() {
    let s = serve(vec![
        Reply(429, "{\"error\": \"rate\"}".into(), 0),
        Reply(
            200,
            tool_reply(json!([call("hum", json!({"intensity": 0.5}))])),
            0,
        ),
    ]);
    let p = plan(&s, None);
    assert_eq!(functions(&p), ["hum"]);
    assert!(notes(&p).contains("attempt 1: HTTP 429"), "{}", notes(&p));
    assert_eq!(
        (p.provenance.planner.as_str(), p.provenance.is_fallback()),
        ("llm", false)
    );
}

#[test]
fn timeouts_garbage_and_empty_replies_fall_back_with_the_reason() {
    for (reply, reason) in [
        (
            Reply(200, tool_reply(json!([call("hum", json!({}))])), 3000),
            "timed out",
        ),
        (Reply(200, "this is not json {".into(), 0), "not JSON"),
        (
            Reply(200, tool_reply(json!([])), 0),
            "no function call in the reply",
        ),
        (
            Reply(
                200,
                tool_reply(json!([call("explode", json!({"intensity": 1}))])),
                0,
            ),
            "no usable function call",
        ),
        (
            Reply(200, json!({"unexpected": true}).to_string(), 0),
            "no choices[0].message",
        ),
    ] {
        let s = serve(vec![reply]);
        let p = plan(&s, None);
        let n = notes(&p);
        assert!(
            n.contains("fallback: keyword planner") && n.contains(reason),
            "{reason}: {n}"
        );
        assert_eq!(
            p.provenance.planner, "keyword",
            "{reason}: the steps are the keyword planner's"
        );
        assert!(
            p.provenance
                .fallback
                .as_deref()
                .is_some_and(|w| w.contains(reason)),
            "{reason}"
        );
        assert!(!p.steps.is_empty());
    }
}

#[test]
fn unknown_functions_are_dropped_and_object_arguments_accepted() {
    let calls = json!([
        {"id": "7", "type": "function", "function": {"name": "explode", "arguments": "{}"}},
        {"id": "8", "type": "function", "function": {"name": "rattle", "arguments": {"intensity": 0.6, "impact_rate_hz": 12}}}
    ]);
    let p = plan(&serve(vec![Reply(200, tool_reply(calls), 0)]), None);
    assert_eq!(functions(&p), ["rattle"]);
    let n = notes(&p);
    assert!(
        n.contains("dropped: call[0].function: unknown function \"explode\"")
            && n.contains("as an object"),
        "{n}"
    );
}

#[test]
fn replies_are_cached_and_the_key_is_sent_but_never_written() {
    std::env::set_var("FAULTLINE_TEST_KEY", "sk-test-secret-123");
    let dir = tempfile::tempdir().unwrap();
    let s = serve(vec![Reply(
        200,
        tool_reply(json!([call("squeak", json!({"intensity": 0.5}))])),
        0,
    )]);
    let first = plan(&s, Some(dir.path().to_path_buf()));
    let second = plan(&s, Some(dir.path().to_path_buf()));
    assert_eq!(
        s.seen.lock().unwrap().len(),
        1,
        "second plan came from the cache"
    );
    assert_eq!(first.steps, second.steps);
    assert!(notes(&second).contains("reply from the on-disk cache"));
    assert!(s.seen.lock().unwrap()[0]
        .to_ascii_lowercase()
        .contains("authorization: bearer sk-test-secret-123"));
    for text in [first.to_json(), second.to_json()] {
        assert!(!text.contains("sk-test-secret"));
    }
    for e in std::fs::read_dir(dir.path()).unwrap() {
        assert!(!std::fs::read_to_string(e.unwrap().path())
            .unwrap()
            .contains("sk-test-secret"));
    }
}
