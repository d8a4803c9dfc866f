//! The prompt: what the task is, what the functions mean physically, optional worked examples,
//! then the caption. Two system prompts: `plain` (the task; the caption alone, as in the paper)
//! and `physics` (the task plus how faults show as orders of the shaft rate, what each function
//! sounds like and which intensity is how severe; the user turn adds the machine's kinematics —
//! shaft rate and characteristic frequencies in Hz and as orders) — the paper's open question
//! 3, compared by `planner-check` and by `evaluate` with the `llm-plain` and `llm-physics`
//! sources. Both send the same tools, whose rotation-locked rates accept orders.

use crate::kinematics::Kinematics;
use serde_json::{json, Value};

/// Which system prompt the LLM planner sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptStyle {
    /// The task and the rules only.
    #[default]
    Plain,
    /// The task plus kinematics, what each function sounds like, and typical severities.
    Physics,
}

impl PromptStyle {
    pub fn name(self) -> &'static str {
        match self {
            PromptStyle::Plain => "plain",
            PromptStyle::Physics => "physics",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "plain" => Some(Self::Plain),
            "physics" => Some(Self::Physics),
            _ => None,
        }
    }
}

pub const SYSTEM: &str = "You turn a description of a machine and its fault into calls of audio \
transformation functions that make the machine's normal sound sound like that fault. Each \
function stands for a mechanical fault (its description says which). Choose the one to three \
functions that fit the fault best, in order of importance, and give every argument a value \
inside its documented range; intensity (0 to 1) is how developed the fault is. Answer only \
with function calls.";

/// The physics-aware system prompt: the plain one, then what an engineer knows.
pub const PHYSICS: &str = "You turn a description of a machine and its fault into calls of audio \
transformation functions that make the machine's normal sound sound like that fault. Answer only \
with function calls: the one to three functions that fit the fault best, in order of importance, \
every argument inside its documented range.

How faults sound, and which function makes each:
- Impacts repeating at a defect frequency (bearing race or ball defects, a cracked or chipped \
tooth, a loose part striking once per turn): knock. Irregular impacts of loose parts, bolts, \
panels: rattle.
- Tones locked to rotation: hum. Imbalance is 1x the shaft rate, misalignment 2x, gear mesh is \
teeth x shaft rate, electrical hum is mains (50 or 60 Hz and harmonics).
- Dry friction, a dry or worn bearing, belt slip: squeak (a high whistle in bursts).
- Flow turbulence, cavitation, leaks, blockages, worn surfaces: band_noise (hiss in a band).
- A swell once per revolution (eccentricity, bent shaft) or at blade or vane pass: \
amplitude_modulation. Unsteady speed (belt slip, load surges): speed_wobble. A motor running \
too fast or slow: pitch_shift.
- A loosened mount that rings: resonance. Lost stiffness or clogging that dulls the sound: \
damping. Intermittent contact, sticking: dropout. Overload, clipping, rubbing contact: saturation.

Rates that follow rotation should be given as orders of the shaft rate (the argument ending in \
_order, e.g. rate_order 2 for twice per revolution, or the bearing order from the caption), not \
guessed in Hz; the caption lists the machine's shaft rate and its characteristic orders.

Severity: intensity 0.25 is an early fault, just audible (its sound about as strong as the \
machine's in its band); 0.5 a developed fault (4x the machine's energy in its band); 1 a severe \
one (16x). Leave level arguments (level_db, gain_db, depth_db, drive_db, semitones, depth_cents) \
at their defaults unless the description asks for an unusual level.";

/// A line of what the machine's kinematics give, for the user turn: the shaft rate and each
/// characteristic frequency in Hz and as an order.
pub fn machine_facts(k: &Kinematics) -> String {
    let Some(shaft) = k.shaft_hz else {
        return "Kinematics: the machine does not rotate (no shaft orders).".into();
    };
    let mut parts = vec![format!(
        "shaft rate {shaft:.2} Hz ({:.0} rpm) = order 1",
        shaft * 60.0
    )];
    let mut order = |what: String, hz: f64| {
        parts.push(format!("{what} {hz:.1} Hz = order {:.3}", hz / shaft));
    };
    if let Some(n) = k.blades {
        order(format!("blade pass ({n} blades)"), f64::from(n) * shaft);
    }
    if let Some(n) = k.vanes {
        order(format!("vane pass ({n} vanes)"), f64::from(n) * shaft);
    }
    if let Some(n) = k.teeth {
        order(format!("gear mesh ({n} teeth)"), f64::from(n) * shaft);
    }
    let b = &k.bearing;
    order("bearing outer race BPFO".into(), b.bpfo(shaft));
    order("inner race BPFI".into(), b.bpfi(shaft));
    order("ball spin BSF".into(), b.bsf(shaft));
    order("cage FTF".into(), b.ftf(shaft));
    order("misalignment 2x".into(), 2.0 * shaft);
    format!("Kinematics: {}.", parts.join("; "))
}

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

/// The physics prompt's extra worked example: a fault at a kinematic order.
const PHYSICS_EXAMPLES: &[(&str, &str, &str)] = &[(
    "a bearing test rig at 1800 rpm; Kinematics: shaft rate 30.00 Hz (1800 rpm) = order 1; bearing outer race BPFO 107.5 Hz = order 3.585; inner race BPFI 162.5 Hz = order 5.415; ball spin BSF 70.7 Hz = order 2.357; cage FTF 11.9 Hz = order 0.398; misalignment 2x 60.0 Hz = order 2.000.; fault: outer race spall",
    "knock",
    r#"{"intensity": 0.5, "rate_hz": 107.5, "rate_order": 3.585, "resonance_hz": 3000, "decay_ms": 8, "jitter_pct": 5, "level_db": 6.5}"#,
)];

fn call(id: &str, name: &str, arguments: &str) -> Value {
    json!({"role": "assistant", "content": null, "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]})
}

/// The chat messages for one request.
pub fn messages(caption: &str, few_shot: bool, style: PromptStyle) -> Vec<Value> {
    let system = match style {
        PromptStyle::Plain => SYSTEM,
        PromptStyle::Physics => PHYSICS,
    };
    let mut m = vec![json!({"role": "system", "content": system})];
    if few_shot {
        let extra: &[_] = match style {
            PromptStyle::Plain => &[],
            PromptStyle::Physics => PHYSICS_EXAMPLES,
        };
        for (i, (c, name, args)) in EXAMPLES.iter().chain(extra).enumerate() {
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
        for (_, name, args) in EXAMPLES.iter().chain(PHYSICS_EXAMPLES) {
            let args: serde_json::Map<String, Value> = serde_json::from_str(args).unwrap();
            assert!(
                crate::catalog::resolve_strict("example", name, &args).is_ok(),
                "{name}: {:?}",
                crate::catalog::resolve_strict("example", name, &args).err()
            );
        }
        let n = |style| messages("x", true, style).len();
        assert_eq!(n(PromptStyle::Plain), 1 + 3 * EXAMPLES.len() + 1);
        assert_eq!(
            n(PromptStyle::Physics),
            1 + 3 * (EXAMPLES.len() + PHYSICS_EXAMPLES.len()) + 1
        );
        assert_eq!(messages("x", false, PromptStyle::Plain).len(), 2);
        assert_ne!(
            messages("x", false, PromptStyle::Plain)[0],
            messages("x", false, PromptStyle::Physics)[0]
        );
    }

    #[test]
    fn the_physics_example_is_the_bearing_formula() {
        // The worked example's numbers are the 6205 at 30 Hz, as the kinematics module gives.
        let k = Kinematics::for_machine(
            crate::machine::MachineType::Bearing,
            &[("rpm".into(), "1800".into())],
        );
        let facts = machine_facts(&k);
        assert!(PHYSICS_EXAMPLES[0].0.contains(&facts), "{facts}");
        assert!(facts.contains("BPFO 107.5 Hz = order 3.585"), "{facts}");
        let valve = Kinematics::typical(crate::machine::MachineType::Valve);
        assert!(machine_facts(&valve).contains("does not rotate"));
    }
}
