//! The LLM planner: the caption goes to an OpenAI-compatible chat-completions server with the
//! catalog as `tools`; the calls that come back are validated leniently (unknown functions
//! dropped, arguments clamped or defaulted, each change noted); when nothing usable comes back —
//! timeout, HTTP error, malformed reply, no calls — the keyword planner takes over and the plan's
//! provenance says why. Replies are cached on disk by a hash of (model, messages, tools).

mod client;
mod config;
mod parse;
mod prompt;

pub use client::CallError;
pub use config::{LlmConfig, LlmFile};
pub use parse::{extract_calls, ProposedCall};
pub use prompt::{machine_facts, PromptStyle};

use super::{now_rfc3339, FaultPlan, KeywordPlanner, PlanRequest, Planner, Provenance};
use crate::catalog::{resolve_lenient, tool_schema, ResolvedStep};
use serde_json::{json, Value};
use std::path::PathBuf;

pub struct LlmPlanner {
    cfg: LlmConfig,
    client: reqwest::blocking::Client,
    /// Held during a request unless `parallel_requests`.
    one_at_a_time: std::sync::Mutex<()>,
}

impl LlmPlanner {
    pub fn new(cfg: LlmConfig) -> anyhow::Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(cfg.timeout)
            .build()?;
        Ok(Self {
            cfg,
            client,
            one_at_a_time: std::sync::Mutex::new(()),
        })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.cfg
    }

    fn cache_path(&self, body: &Value) -> Option<PathBuf> {
        let dir = self.cfg.cache_dir.as_ref()?;
        let key = json!([
            self.cfg.model,
            body["messages"],
            body["tools"],
            body["tool_choice"]
        ])
        .to_string();
        Some(dir.join(format!("{:016x}.json", crate::hash::fnv1a(key.as_bytes()))))
    }

    /// One request, through the cache.
    fn complete(&self, body: &Value, notes: &mut Vec<String>) -> Result<Value, String> {
        let cache = self.cache_path(body);
        if let Some(hit) = cache
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            notes.push("reply from the on-disk cache".into());
            return Ok(hit);
        }
        let _turn = (!self.cfg.parallel_requests)
            .then(|| self.one_at_a_time.lock().unwrap_or_else(|e| e.into_inner()));
        let reply =
            client::post(&self.client, &self.cfg, body, notes).map_err(|e| e.to_string())?;
        if let Some(path) = cache {
            // Only well-formed replies are cached, so a transient error is asked again next time.
            if reply.get("choices").is_some() {
                let text = reply.to_string();
                if let Err(e) = crate::dataset::write_atomic(&path, |f| {
                    std::io::Write::write_all(f, text.as_bytes())
                }) {
                    notes.push(format!("cache not written: {e}"));
                }
            }
        }
        Ok(reply)
    }

    fn body(&self, messages: &[Value]) -> Value {
        json!({
            "model": self.cfg.model,
            "messages": messages,
            "tools": tool_schema(),
            "tool_choice": "required",
            "temperature": 0,
            "max_tokens": self.cfg.max_tokens,
        })
    }

    /// Calls proposed for a request, validated against the machine's shaft rate (for orders);
    /// with notes on everything changed.
    fn propose(
        &self,
        caption: &str,
        shaft_hz: Option<f64>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<ResolvedStep>, String> {
        let mut messages = prompt::messages(caption, self.cfg.few_shot, self.cfg.prompt);
        let reply = self.complete(&self.body(&messages), notes)?;
        let mut calls = extract_calls(&reply, notes)?;
        if self.cfg.second_turn && !calls.is_empty() && calls.len() < self.cfg.max_calls {
            let assistant = reply["choices"][0]["message"].clone();
            messages.push(assistant);
            for (i, _) in calls.iter().enumerate() {
                let id = reply["choices"][0]["message"]["tool_calls"][i]["id"]
                    .as_str()
                    .unwrap_or("call")
                    .to_string();
                messages.push(json!({"role": "tool", "tool_call_id": id, "content": "applied"}));
            }
            messages.push(json!({"role": "user", "content": "If the fault needs another function, call it now; otherwise call nothing."}));
            match self
                .complete(&self.body(&messages), notes)
                .and_then(|r| extract_calls(&r, notes))
            {
                Ok(more) => calls.extend(more),
                Err(e) => notes.push(format!("second turn failed: {e}")),
            }
        }
        let mut steps: Vec<ResolvedStep> = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            if let Some(step) = resolve_lenient(
                &format!("call[{i}]"),
                &call.name,
                &call.arguments,
                shaft_hz,
                notes,
            ) {
                if steps.iter().any(|s| s.spec.name == step.spec.name) {
                    notes.push(format!("call[{i}]: {} repeated; dropped", call.name));
                } else if steps.len() == self.cfg.max_calls {
                    notes.push(format!(
                        "call[{i}]: over the limit of {} functions; dropped",
                        self.cfg.max_calls
                    ));
                } else {
                    steps.push(step);
                }
            }
        }
        if steps.is_empty() {
            return Err(if calls.is_empty() {
                "no function call in the reply".into()
            } else {
                "no usable function call".into()
            });
        }
        Ok(steps)
    }
}

impl Planner for LlmPlanner {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn plan(&self, request: &PlanRequest) -> anyhow::Result<FaultPlan> {
        let caption = request.caption();
        // The machine's shaft rate resolves orders ("2× shaft") the model answers with.
        let kinematics = request
            .machine
            .parse::<crate::machine::MachineType>()
            .ok()
            .map(|m| crate::kinematics::Kinematics::for_machine(m, &request.attributes));
        let shaft_hz = kinematics.as_ref().and_then(|k| k.shaft_hz);
        // The physics prompt also gets the machine's kinematics in the user turn. The plain
        // prompt is the caption alone, as in the paper (and SmolLM2-135M stops calling tools
        // when the line is added: BENCHMARKS.md, "Planner check").
        let asked = match (&kinematics, self.cfg.prompt) {
            (Some(k), PromptStyle::Physics) => format!("{caption}\n{}", machine_facts(k)),
            _ => caption.clone(),
        };
        let mut notes = vec![format!(
            "model {} at {}, {} prompt",
            self.cfg.model,
            self.cfg.endpoint(),
            self.cfg.prompt.name()
        )];
        match self.propose(&asked, shaft_hz, &mut notes) {
            Ok(steps) => {
                let provenance = Provenance {
                    planner: "llm".into(),
                    requested: Some("llm".into()),
                    fallback: None,
                    model: Some(self.cfg.model.clone()),
                    prompt: Some(self.cfg.prompt.name().into()),
                    created: now_rfc3339(),
                    notes,
                };
                Ok(
                    FaultPlan::new(&request.machine, &caption, &steps, request.seed, provenance)
                        .with_shaft_hz(shaft_hz),
                )
            }
            Err(why) => {
                let mut plan = KeywordPlanner.plan(request)?;
                notes.push(format!(
                    "fallback: keyword planner used because the LLM gave no usable plan ({why})"
                ));
                notes.append(&mut plan.provenance.notes);
                // The steps are the keyword planner's: the provenance says so, and what was asked.
                plan.provenance = Provenance {
                    planner: "keyword".into(),
                    requested: Some("llm".into()),
                    fallback: Some(why.to_string()),
                    model: Some(self.cfg.model.clone()),
                    prompt: Some(self.cfg.prompt.name().into()),
                    created: plan.provenance.created,
                    notes,
                };
                Ok(plan)
            }
        }
    }
}
