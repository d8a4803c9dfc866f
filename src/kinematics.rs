//! How a machine turns, and the fault frequencies that follow: shaft rate, blade / vane pass,
//! gear mesh, and the rolling-bearing defect frequencies — what a condition-monitoring engineer
//! reads a spectrum in (orders of the shaft rate).
//!
//! Bearing defect frequencies (rolling elements n, ball diameter d, pitch diameter D, contact
//! angle φ, shaft rate f, r = d/D·cos φ; outer race fixed):
//! BPFO = n/2·f·(1 − r), BPFI = n/2·f·(1 + r), BSF = D/(2d)·f·(1 − r²), FTF = f/2·(1 − r).
//!
//! Belt pass frequency (pulley pitch diameter D_p, belt length L): f_belt = π·D_p·f / L — the
//! rate at which a belt's damaged spot goes round. Gear mesh faults modulate the mesh at the
//! shaft rate, which puts sidebands at mesh ± 1×.
//!
//! Each machine type has typical defaults (stated below; assumptions, not measurements of the
//! datasets' machines, whose kinematics are not published); a caption's or attribute file's
//! `rpm`, `blades`, `vanes`, `teeth`, `balls`, `ball_mm`, `pitch_mm`, `contact_deg`,
//! `pulley_mm`, `belt_mm` override them.

use crate::machine::MachineType;

/// Rolling-bearing geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bearing {
    pub balls: u32,
    pub ball_mm: f64,
    pub pitch_mm: f64,
    pub contact_deg: f64,
}

impl Bearing {
    /// A 6205 deep-groove ball bearing (9 balls of 7.94 mm on a 39.04 mm pitch circle, 0°),
    /// the bearing of the Case Western bearing data and a common motor bearing.
    pub const TYPICAL: Bearing = Bearing {
        balls: 9,
        ball_mm: 7.94,
        pitch_mm: 39.04,
        contact_deg: 0.0,
    };

    fn r(&self) -> f64 {
        self.ball_mm / self.pitch_mm * self.contact_deg.to_radians().cos()
    }
    pub fn bpfo(&self, shaft_hz: f64) -> f64 {
        f64::from(self.balls) / 2.0 * shaft_hz * (1.0 - self.r())
    }
    pub fn bpfi(&self, shaft_hz: f64) -> f64 {
        f64::from(self.balls) / 2.0 * shaft_hz * (1.0 + self.r())
    }
    pub fn bsf(&self, shaft_hz: f64) -> f64 {
        self.pitch_mm / (2.0 * self.ball_mm) * shaft_hz * (1.0 - self.r() * self.r())
    }
    pub fn ftf(&self, shaft_hz: f64) -> f64 {
        shaft_hz / 2.0 * (1.0 - self.r())
    }
}

/// A machine's kinematics, with where each value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Kinematics {
    /// Rotation rate of the main shaft, Hz (`None`: the machine does not turn, e.g. a valve).
    pub shaft_hz: Option<f64>,
    /// Fan blades, pump impeller vanes, gear teeth on the main shaft.
    pub blades: Option<u32>,
    pub vanes: Option<u32>,
    pub teeth: Option<u32>,
    pub bearing: Bearing,
    /// Driving pulley pitch diameter and belt length, mm (typical: a 100 mm pulley on a
    /// 1000 mm belt).
    pub pulley_mm: f64,
    pub belt_mm: f64,
    /// "shaft 30 Hz from rpm=1800", "6 blades (typical fan)", … for the plan's notes.
    pub sources: Vec<String>,
}

impl Kinematics {
    /// The type's typical kinematics (assumed values, documented in the README).
    pub fn typical(machine: MachineType) -> Self {
        let (rpm, blades, vanes, teeth): (Option<f64>, Option<u32>, Option<u32>, Option<u32>) =
            match machine {
                // A 4-pole induction motor at 50 Hz driving a 6-blade fan.
                MachineType::Fan => (Some(1450.0), Some(6), None, None),
                // A 2-pole motor on a 6-vane centrifugal impeller.
                MachineType::Pump => (Some(2900.0), None, Some(6), None),
                // A ball-screw slide: the screw turns at 600 rpm.
                MachineType::Slider => (Some(600.0), None, None, None),
                // A solenoid valve does not turn.
                MachineType::Valve => (None, None, None, None),
                // Input shaft at 1200 rpm, a 20-tooth pinion.
                MachineType::Gearbox => (Some(1200.0), None, None, Some(20)),
                // A test rig's shaft at 1800 rpm.
                MachineType::Bearing => (Some(1800.0), None, None, None),
                // Toy DC motors: a few thousand rpm, geared.
                MachineType::ToyCar => (Some(3000.0), None, None, Some(12)),
                MachineType::ToyTrain => (Some(2400.0), None, None, Some(10)),
            };
        let mut sources = Vec::new();
        if let Some(r) = rpm {
            sources.push(format!(
                "shaft {:.1} Hz ({r} rpm, typical {})",
                r / 60.0,
                machine.name()
            ));
        }
        Self {
            shaft_hz: rpm.map(|r| r / 60.0),
            blades,
            vanes,
            teeth,
            bearing: Bearing::TYPICAL,
            pulley_mm: 100.0,
            belt_mm: 1000.0,
            sources,
        }
    }

    /// The belt pass frequency, Hz: π·D_p·f / L.
    pub fn belt_hz(&self) -> Option<f64> {
        self.shaft_hz
            .map(|f| std::f64::consts::PI * self.pulley_mm * f / self.belt_mm)
    }

    /// The type's kinematics with a caption's or attribute file's values over the defaults
    /// (unparseable values are ignored and said so).
    pub fn for_machine(machine: MachineType, attributes: &[(String, String)]) -> Self {
        let mut k = Self::typical(machine);
        for (key, value) in attributes {
            let key = key.to_ascii_lowercase();
            let num = value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0);
            let Some(v) = num else {
                if matches!(
                    key.as_str(),
                    "rpm"
                        | "blades"
                        | "vanes"
                        | "teeth"
                        | "balls"
                        | "ball_mm"
                        | "pitch_mm"
                        | "contact_deg"
                        | "pulley_mm"
                        | "belt_mm"
                ) {
                    k.sources.push(format!(
                        "{key}={value} is not a positive number; kept the default"
                    ));
                }
                continue;
            };
            let count = v.round() as u32;
            match key.as_str() {
                "rpm" => {
                    k.shaft_hz = Some(v / 60.0);
                    k.sources.retain(|s| !s.starts_with("shaft"));
                    k.sources
                        .insert(0, format!("shaft {:.1} Hz from rpm={value}", v / 60.0));
                }
                "blades" => k.blades = Some(count),
                "vanes" => k.vanes = Some(count),
                "teeth" => k.teeth = Some(count),
                "balls" => k.bearing.balls = count,
                "ball_mm" => k.bearing.ball_mm = v,
                "pitch_mm" => k.bearing.pitch_mm = v,
                "contact_deg" => k.bearing.contact_deg = v.min(89.0),
                "pulley_mm" => k.pulley_mm = v,
                "belt_mm" => k.belt_mm = v,
                _ => continue,
            }
            if key != "rpm" {
                k.sources.push(format!("{key}={value}"));
            }
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearing_frequencies_match_the_textbook_formulas_for_a_6205() {
        // 6205 at 1800 rpm (30 Hz): r = 7.94/39.04 = 0.20338.
        let b = Bearing::TYPICAL;
        let r: f64 = 7.94 / 39.04;
        assert!((b.bpfo(30.0) - 4.5 * 30.0 * (1.0 - r)).abs() < 1e-9);
        assert!(
            (b.bpfo(30.0) - 3.5848 * 30.0).abs() < 0.01,
            "{}",
            b.bpfo(30.0)
        );
        assert!(
            (b.bpfi(30.0) - 5.4152 * 30.0).abs() < 0.01,
            "{}",
            b.bpfi(30.0)
        );
        // The published 6205 multiples: BPFO 3.5848, BPFI 5.4152, BSF 2.3568, FTF 0.39828 × shaft.
        assert!(
            (b.bsf(30.0) - 2.3568 * 30.0).abs() < 0.01,
            "{}",
            b.bsf(30.0)
        );
        assert!(
            (b.ftf(30.0) - 0.39828 * 30.0).abs() < 0.01,
            "{}",
            b.ftf(30.0)
        );
        // A contact angle shortens the effective ratio by cos φ.
        let angled = Bearing {
            contact_deg: 40.0,
            ..b
        };
        assert!(angled.bpfo(30.0) > b.bpfo(30.0));
    }

    #[test]
    fn attributes_override_the_typical_values_and_bad_ones_are_named() {
        let attrs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let k = Kinematics::for_machine(
            MachineType::Gearbox,
            &attrs(&[("rpm", "900"), ("teeth", "31"), ("load", "high")]),
        );
        assert_eq!((k.shaft_hz, k.teeth), (Some(15.0), Some(31)));
        assert!(k.sources[0].contains("from rpm=900"), "{:?}", k.sources);
        let bad = Kinematics::for_machine(MachineType::Fan, &attrs(&[("rpm", "fast")]));
        assert_eq!(bad.shaft_hz, Some(1450.0 / 60.0));
        assert!(bad
            .sources
            .iter()
            .any(|s| s.contains("rpm=fast is not a positive number")));
        assert_eq!(Kinematics::typical(MachineType::Valve).shaft_hz, None);
    }

    #[test]
    fn belt_pass_is_pi_times_pulley_over_belt_length_times_shaft() {
        // A 125 mm pulley at 1500 rpm on a 1250 mm belt: π·125·25/1250 = 7.854 Hz.
        let attrs = [("pulley_mm", "125"), ("belt_mm", "1250"), ("rpm", "1500")]
            .map(|(a, b)| (a.to_string(), b.to_string()));
        let k = Kinematics::for_machine(MachineType::Fan, &attrs);
        assert!((k.belt_hz().unwrap() - std::f64::consts::PI * 2.5).abs() < 1e-9);
        assert_eq!(Kinematics::typical(MachineType::Valve).belt_hz(), None);
    }
}
