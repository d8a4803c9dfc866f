//! Captions from metadata, in the paper's style: "a fan with 4 blades running at 1200 rpm;
//! fault: worn bearing". A template stands in for the paper's Flan-T5 step: it is exact about
//! the attributes, and reruns identically.

use crate::machine::MachineType;

/// How a caption words a known DCASE / synthesizer attribute.
fn phrase(key: &str, value: &str) -> String {
    match key {
        "rpm" => format!("running at {value} rpm"),
        "blades" => format!("with {value} blades"),
        "teeth" => format!("with {value}-tooth gears"),
        "load" => format!("under {value} % load"),
        "vel" | "speed" => format!("at speed {value}"),
        "stroke" => format!("with {value} strokes per minute"),
        "cycle" => format!("switching every {value} s"),
        "noise" => format!("in {value} dB background noise"),
        "flow" => format!("pumping {value} l/min"),
        "gain" => format!("recorded at gain {value}"),
        _ => format!("with {key} {value}"),
    }
}

/// "a <machine> <attribute phrases>; fault: <fault>". An empty fault leaves the clause out.
pub fn caption(machine: &str, attributes: &[(String, String)], fault: &str) -> String {
    let noun = machine
        .parse::<MachineType>()
        .map(|m| m.noun())
        .unwrap_or(machine);
    let mut text = format!("a {noun}");
    let phrases: Vec<String> = attributes.iter().map(|(k, v)| phrase(k, v)).collect();
    if !phrases.is_empty() {
        text.push(' ');
        text.push_str(&phrases.join(", "));
    }
    if !fault.trim().is_empty() {
        text.push_str("; fault: ");
        text.push_str(fault.trim());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_papers_captions() {
        let attrs = vec![
            ("blades".to_string(), "4".to_string()),
            ("rpm".to_string(), "1200".to_string()),
        ];
        assert_eq!(
            caption("fan", &attrs, "worn bearing"),
            "a fan with 4 blades, running at 1200 rpm; fault: worn bearing"
        );
        assert_eq!(
            caption("drill", &[("m".into(), "n".into())], ""),
            "a drill with m n"
        );
    }
}
