//! Factory presets: each machine type's typical faults as a plugin state, and that state in the
//! VST3 preset container (`.vstpreset`) that VST3 hosts list from their preset folders.
//!
//! nice-plug offers no CLAP preset-discovery factory, so CLAP hosts get no preset list; there
//! the Machine parameter does the same job (with no plan of the user's, the plan follows the
//! machine: see `params::PlanState`). The state is nice-plug's own JSON (`PluginState`): what its
//! VST3 wrapper saves and loads as it is, and its CLAP wrapper after an 8-byte little-endian length.

use crate::params::EDITOR_SIZE;
use faultline::machine::MachineType;
use faultline::plan::{FaultPlan, PlanRequest, planner_by_name};
use nice_plug::plugin::{ParamValue, PluginState};
use std::collections::BTreeMap;

/// The provenance note of a factory preset's plan.
pub fn preset_note(machine: MachineType) -> String {
    format!(
        "factory preset \"{}\": the machine's typical faults by the keyword planner",
        preset_name(machine)
    )
}

/// The preset's display name (and file stem).
pub fn preset_name(machine: MachineType) -> String {
    let name = machine.name();
    let mut c = name.chars();
    let title: String = c
        .next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default();
    format!("{title} - typical faults")
}

/// The plan a machine's preset holds: its typical faults, keyword planner, seeded by the machine.
pub fn preset_plan(machine: MachineType) -> anyhow::Result<FaultPlan> {
    let index = MachineType::ALL
        .iter()
        .position(|m| *m == machine)
        .unwrap_or(0);
    let request = PlanRequest {
        machine: machine.name().into(),
        attributes: vec![],
        fault: machine.typical_fault().into(),
        seed: index as u64,
    };
    let mut plan = planner_by_name("keyword")?.plan(&request)?;
    plan.provenance.notes.insert(0, preset_note(machine));
    Ok(plan)
}

/// The whole plugin state of a machine's preset: Machine set, Fault on, the other parameters at
/// their defaults, the preset's plan, no model.
pub fn preset_state(machine: MachineType) -> anyhow::Result<PluginState> {
    let index = MachineType::ALL
        .iter()
        .position(|m| *m == machine)
        .unwrap_or(0) as i32;
    let params: BTreeMap<String, ParamValue> = [
        ("machine", ParamValue::I32(index)),
        ("fault", ParamValue::Bool(true)),
        ("intens", ParamValue::F32(1.0)),
        ("mix", ParamValue::F32(1.0)),
        ("bypass", ParamValue::Bool(false)),
        ("score", ParamValue::I32(0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let fields: BTreeMap<String, String> = [
        ("plan", serde_json::to_string(&Some(preset_plan(machine)?))?),
        ("model", "null".to_string()),
        ("book", "null".to_string()),
        ("editor", serde_json::to_string(&EDITOR_SIZE)?),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Ok(PluginState {
        version: env!("CARGO_PKG_VERSION").to_string(),
        params,
        fields,
    })
}

/// The state as the bytes the plugin's wrappers load (JSON, as nice-plug writes it).
pub fn preset_bytes(machine: MachineType) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec(&preset_state(machine)?)?)
}

/// A VST3 preset file (the SDK's `PresetFile` layout, little-endian): the header — `VST3`, format
/// version 1, the processor's class id as 32 hex digits, the offset of the chunk list — then the
/// component state, then the chunk list (`List`, entry count, and per entry its id, offset and
/// size). nice-plug's VST3 plugin is a single component, so there is no controller chunk.
pub fn vstpreset(class_id: [u8; 16], component_state: &[u8]) -> Vec<u8> {
    const HEADER: usize = 4 + 4 + 32 + 8;
    let mut out = Vec::with_capacity(HEADER + component_state.len() + 32);
    out.extend_from_slice(b"VST3");
    out.extend_from_slice(&1i32.to_le_bytes());
    let hex: String = class_id.iter().map(|b| format!("{b:02X}")).collect();
    out.extend_from_slice(hex.as_bytes());
    let list_at = (HEADER + component_state.len()) as i64;
    out.extend_from_slice(&list_at.to_le_bytes());
    out.extend_from_slice(component_state);
    out.extend_from_slice(b"List");
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(b"Comp");
    out.extend_from_slice(&(HEADER as i64).to_le_bytes());
    out.extend_from_slice(&(component_state.len() as i64).to_le_bytes());
    out
}

/// Writes every machine's preset into `dir`: `<name>.vstpreset` for VST3 hosts and
/// `<name>.json` (the raw state) for anything else. Each file is written whole or not at all.
pub fn write_presets(
    dir: &std::path::Path,
    class_id: [u8; 16],
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for machine in MachineType::ALL {
        let state = preset_bytes(machine)?;
        let name = preset_name(machine);
        for (ext, bytes) in [
            ("vstpreset", vstpreset(class_id, &state)),
            ("json", state.clone()),
        ] {
            let path = dir.join(format!("{name}.{ext}"));
            let tmp = dir.join(format!(".{name}.{ext}.part"));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
            written.push(path);
        }
    }
    Ok(written)
}
