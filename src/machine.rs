//! The machine types of MIMII DG / DCASE task 2: the one list the synthesizer, captions and
//! planners share.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MachineType {
    Fan,
    Pump,
    Slider,
    Valve,
    Gearbox,
    Bearing,
    ToyCar,
    ToyTrain,
}

impl MachineType {
    pub const ALL: [MachineType; 8] = [
        Self::Fan,
        Self::Pump,
        Self::Slider,
        Self::Valve,
        Self::Gearbox,
        Self::Bearing,
        Self::ToyCar,
        Self::ToyTrain,
    ];

    /// Folder name, as in the DCASE datasets.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fan => "fan",
            Self::Pump => "pump",
            Self::Slider => "slider",
            Self::Valve => "valve",
            Self::Gearbox => "gearbox",
            Self::Bearing => "bearing",
            Self::ToyCar => "ToyCar",
            Self::ToyTrain => "ToyTrain",
        }
    }

    /// What a caption calls it.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Fan => "fan",
            Self::Pump => "water pump",
            Self::Slider => "slide rail",
            Self::Valve => "solenoid valve",
            Self::Gearbox => "gearbox",
            Self::Bearing => "rolling bearing",
            Self::ToyCar => "toy car",
            Self::ToyTrain => "toy train",
        }
    }

    /// The machine type's common faults in words (its two modelled reference faults): what
    /// `evaluate --describe typical` asks planners for, and what the keyword planner assumes
    /// when a description names no fault it knows.
    pub fn typical_fault(self) -> &'static str {
        match self {
            Self::Fan => "blade imbalance or a worn bearing",
            Self::Pump => "cavitation or a clogged intake",
            Self::Slider => "a damaged rail or a dry, ungreased guide",
            Self::Valve => "a leaking seat or a sticking plunger",
            Self::Gearbox => "a cracked tooth or worn gears",
            Self::Bearing => "an outer or inner race spall",
            Self::ToyCar => "a bent wheel shaft or a damaged tyre",
            Self::ToyTrain => "a flat spot on a wheel or a chipped motor gear",
        }
    }
}

impl fmt::Display for MachineType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown machine type \"{0}\"; allowed: fan, pump, slider, valve, gearbox, bearing, ToyCar, ToyTrain")]
pub struct UnknownMachine(pub String);

impl FromStr for MachineType {
    type Err = UnknownMachine;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded = s.to_ascii_lowercase().replace(['-', '_', ' '], "");
        Self::ALL
            .into_iter()
            .find(|m| {
                m.name().to_ascii_lowercase() == folded
                    || (folded == "sliderail" && *m == Self::Slider)
            })
            .ok_or_else(|| UnknownMachine(s.to_string()))
    }
}

/// The machine type a dataset's machine key names: `fan`, or MIMII's `6_dB_fan`.
pub fn machine_type_of(key: &str) -> Option<MachineType> {
    key.parse()
        .ok()
        .or_else(|| key.split_once("_dB_").and_then(|(_, m)| m.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_lists_the_allowed() {
        for m in MachineType::ALL {
            assert_eq!(m.name().parse::<MachineType>().unwrap(), m);
        }
        assert_eq!(
            "toy-car".parse::<MachineType>().unwrap(),
            MachineType::ToyCar
        );
        let e = "drill".parse::<MachineType>().unwrap_err().to_string();
        let listed: Vec<&str> = MachineType::ALL.iter().map(|m| m.name()).collect();
        assert!(e.ends_with(&listed.join(", ")), "{e}");
    }
}
