//! The prompt: what the task is, what the functions mean physically, optional worked examples,
//! then the caption and the fault.

use serde_json::{json, Value};

pub const SYSTEM: &str = "You turn a description of a machine and its fault into calls of audio \
transformation functions that make the machine's normal sound sound like that fault. Each \
function stands for a mechanical fault (its description says which). Choose the one to three \
functions that fit the fault best, in order of importance, and give every argument a value \
inside its documented range; intensity (0 to 1) is how developed the fault is. Answer only \
with function calls.";

/// Worked examples as earlier turns: (caption, function, arguments).
const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "a fan running at 1200 rpm, with 4 blades; fault: squeaking bearing",
        "squeak",
        r#"{"intensity": 0.7, "frequency_hz": 2800, "burst_rate_hz": 1.5, "burst_ms": 300, "glide_cents": 80, "level_db": -6}"#,
    ),
    (
        "a water pump pumping 50 l/min; fault: cavitation",
        "band_noise",
        r#"{"intensity": 0.6, "center_hz": 4500, "bandwidth_oct": 2, "level_db": -10}"#,
    ),
];

fn call(id: &str, name: &str, arguments: &str) -> Value {
    json!({"role": "assistant", "content": null, "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]})
}

/// The chat messages for one request.
pub fn messages(caption: &str, few_shot: bool) -> Vec<Value> {
    let mut m = vec![json!({"role": "system", "content": SYSTEM})];
    if few_shot {
        for (i, (c, name, args)) in EXAMPLES.iter().enumerate() {
            let id = format!("call_example_{i}");
            m.push(json!({"role": "user", "content": c}));
            m.push(call(&id, name, args));
            m.push(json!({"role": "tool", "tool_call_id": id, "content": "applied"}));
        }
    }
    m.push(json!({"role": "user", "content": caption}));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_catalog_calls() {
        for (_, name, args) in EXAMPLES {
            let args: serde_json::Map<String, Value> = serde_json::from_str(args).unwrap();
            assert!(
                crate::catalog::resolve_strict("example", name, &args).is_ok(),
                "{name}"
            );
        }
        assert_eq!(messages("x", true).len(), 1 + 3 * EXAMPLES.len() + 1);
        assert_eq!(messages("x", false).len(), 2);
    }
}
