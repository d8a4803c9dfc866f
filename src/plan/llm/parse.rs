//! Reading function calls out of a chat-completions reply, tolerating what real servers send:
//! `tool_calls` with arguments as a JSON string or as an object, ids of any form, `content` ""
//! or null, the legacy `function_call`, and Hermes-style `<tool_call>{…}</tool_call>` text from
//! servers that did not parse the model's output.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct ProposedCall {
    pub name: String,
    pub arguments: Map<String, Value>,
}

fn arguments_of(raw: Option<&Value>, at: &str, notes: &mut Vec<String>) -> Map<String, Value> {
    match raw {
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => m,
            _ => {
                notes.push(format!(
                    "{at}: arguments are not a JSON object ({}); defaults used",
                    truncate(s)
                ));
                Map::new()
            }
        },
        Some(Value::Object(m)) => {
            notes.push(format!(
                "{at}: arguments sent as an object, not a JSON string; accepted"
            ));
            m.clone()
        }
        Some(Value::Null) | None => Map::new(),
        Some(other) => {
            notes.push(format!("{at}: arguments of type {other}; defaults used"));
            Map::new()
        }
    }
}

fn truncate(s: &str) -> String {
    let s: String = s.chars().take(80).collect();
    s.replace('\n', " ")
}

fn from_function(f: &Value, at: &str, notes: &mut Vec<String>) -> Option<ProposedCall> {
    let name = f.get("name").and_then(Value::as_str)?.trim().to_string();
    Some(ProposedCall {
        arguments: arguments_of(
            f.get("arguments").or_else(|| f.get("parameters")),
            at,
            notes,
        ),
        name,
    })
}

/// Calls in the first choice of a reply, in order. `Err` when the reply is not a
/// chat-completions object at all.
pub fn extract_calls(reply: &Value, notes: &mut Vec<String>) -> Result<Vec<ProposedCall>, String> {
    let message = reply
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .ok_or_else(|| "reply has no choices[0].message".to_string())?;
    let mut calls = Vec::new();
    if let Some(list) = message.get("tool_calls").and_then(Value::as_array) {
        for (i, tc) in list.iter().enumerate() {
            let at = format!("tool_calls[{i}]");
            match tc
                .get("function")
                .and_then(|f| from_function(f, &at, notes))
            {
                Some(c) => calls.push(c),
                None => notes.push(format!("{at}: no function name; ignored")),
            }
        }
    }
    if let Some(f) = message.get("function_call") {
        if let Some(c) = from_function(f, "function_call", notes) {
            notes.push("legacy function_call accepted".into());
            calls.push(c);
        }
    }
    if calls.is_empty() {
        if let Some(text) = message.get("content").and_then(Value::as_str) {
            for (i, chunk) in text.split("<tool_call>").skip(1).enumerate() {
                let body = chunk.split("</tool_call>").next().unwrap_or("").trim();
                let at = format!("content <tool_call> {i}");
                match serde_json::from_str::<Value>(body)
                    .ok()
                    .as_ref()
                    .and_then(|v| from_function(v, &at, notes))
                {
                    Some(c) => {
                        notes.push(format!("{at}: call read from message text"));
                        calls.push(c);
                    }
                    None => notes.push(format!("{at}: not a JSON call ({})", truncate(body))),
                }
            }
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(message: Value) -> Value {
        json!({"choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]})
    }

    #[test]
    fn reads_the_common_variants() {
        let mut notes = Vec::new();
        let r = reply(json!({"content": null, "tool_calls": [
            {"id": "abc", "type": "function", "function": {"name": "hum", "arguments": "{\"intensity\": 0.5}"}},
            {"id": "call_2", "type": "function", "function": {"name": "rattle", "arguments": {"intensity": 0.3}}}
        ]}));
        let calls = extract_calls(&r, &mut notes).unwrap();
        assert_eq!(
            calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["hum", "rattle"]
        );
        assert_eq!(calls[1].arguments["intensity"], 0.3);
        assert!(notes[0].contains("as an object"));

        let legacy =
            reply(json!({"content": "", "function_call": {"name": "knock", "arguments": "{}"}}));
        assert_eq!(extract_calls(&legacy, &mut notes).unwrap()[0].name, "knock");

        let text = reply(
            json!({"content": "<tool_call>\n{\"name\": \"squeak\", \"arguments\": {\"intensity\": 1}}\n</tool_call>"}),
        );
        assert_eq!(extract_calls(&text, &mut notes).unwrap()[0].name, "squeak");

        assert!(extract_calls(&json!({"error": "x"}), &mut notes).is_err());
        assert!(
            extract_calls(&reply(json!({"content": "I cannot help"})), &mut notes)
                .unwrap()
                .is_empty()
        );
    }
}
