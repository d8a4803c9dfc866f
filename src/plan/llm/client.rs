//! One chat-completions request with retries: 429 and 5xx are retried with exponential backoff
//! (honouring `Retry-After` up to 10 s); timeouts and other failures are reported, not retried
//! more than the same budget.

use super::config::LlmConfig;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("transport: {0}")]
    Transport(String),
    #[error("reply is not JSON: {0}")]
    NotJson(String),
}

/// Base of the exponential backoff (doubled per retry).
pub const BACKOFF: Duration = Duration::from_millis(250);

pub fn post(
    client: &reqwest::blocking::Client,
    cfg: &LlmConfig,
    body: &Value,
    notes: &mut Vec<String>,
) -> Result<Value, CallError> {
    let mut attempt = 0;
    loop {
        let mut request = client.post(cfg.endpoint()).timeout(cfg.timeout).json(body);
        if let Some(key) = cfg.api_key() {
            request = request.bearer_auth(key);
        }
        let result = request.send();
        let retry_after = |r: &reqwest::blocking::Response| {
            r.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<f64>().ok())
                .map(|s| Duration::from_secs_f64(s.min(10.0)))
        };
        let (error, wait) = match result {
            Err(e) if e.is_timeout() => (CallError::Timeout(cfg.timeout), None),
            Err(e) => (CallError::Transport(without_url(&e)), None),
            Ok(r) => {
                let status = r.status().as_u16();
                let wait = retry_after(&r);
                let text = r
                    .text()
                    .map_err(|e| CallError::Transport(without_url(&e)))?;
                if (200..300).contains(&status) {
                    return serde_json::from_str(&text).map_err(|e| {
                        CallError::NotJson(format!(
                            "{e}; starts {:?}",
                            text.chars().take(60).collect::<String>()
                        ))
                    });
                }
                let error = CallError::Status {
                    status,
                    body: text.chars().take(200).collect(),
                };
                if status != 429 && status < 500 {
                    return Err(error);
                }
                (error, wait)
            }
        };
        if attempt >= cfg.retries || matches!(error, CallError::Timeout(_)) {
            return Err(error);
        }
        let wait = wait.unwrap_or(BACKOFF * 2u32.pow(attempt));
        notes.push(format!(
            "attempt {}: {error}; retrying in {:.2} s",
            attempt + 1,
            wait.as_secs_f64()
        ));
        std::thread::sleep(wait);
        attempt += 1;
    }
}

/// reqwest errors name the URL; keep messages short and free of query strings.
fn without_url(e: &reqwest::Error) -> String {
    let mut e_text = e.to_string();
    if let Some(url) = e.url() {
        e_text = e_text.replace(url.as_str(), url.path());
    }
    e_text
}
