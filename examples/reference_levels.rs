//! Where the synthetic world's reference faults stand at the microphone. Each reference fault is
//! fitted to its severity against the machine's own sound (`synth::render_clip`); the plant's
//! ambient is mixed in afterwards. This prints, per machine type and fault, the level fitted
//! against the machine and the level of the same change against what the microphone records
//! (the clip with the fault against its twin without, same seed: same machine, same ambient),
//! median [min, max] over clips of both domains. A catalog transform's level is measured the
//! second way, so the gap is how much quieter a reference fault is than a planner's fault of the
//! same nominal severity.
//!
//! `cargo run --release --example reference_levels [severity_db] [clips]`

use faultline::dsp::Rng;
use faultline::features::level::fault_level_db;
use faultline::machine::MachineType;
use faultline::synth::{self, ClipSpec, Domain};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let severity: f32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(6.0);
    let clips: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(8);
    println!(
        "reference faults at {severity} dB on the severity scale, {clips} clips each (half source, half target), 4 s at 16 kHz"
    );
    println!(
        "{:<10} {:<20} {:>8} {:>26} {:>8}",
        "machine", "fault", "ambient", "level at the mic, dB", "vs fit"
    );
    for m in MachineType::ALL {
        for fault in synth::reference_faults(m) {
            let mut at_mic = Vec::new();
            let mut ambient = Vec::new();
            let mut fitted = Vec::new();
            for k in 0..clips {
                let domain = if k % 2 == 0 {
                    Domain::Source
                } else {
                    Domain::Target
                };
                let attrs = synth::sample_attributes(m, domain, &mut Rng::new(100 + k));
                ambient.push(f64::from(attrs.num("noise")));
                let spec = |fault| ClipSpec {
                    machine: m,
                    attrs: attrs.clone(),
                    fault,
                    severity_db: severity,
                    measured_at: synth::MeasuredAt::Machine,
                    seed: 1000 + k,
                    sample_rate: 16_000,
                    seconds: 4.0,
                };
                let normal = synth::render(&spec(None));
                let faulty = synth::render_clip(&spec(Some(fault)));
                fitted.push(faulty.fault_level_db.unwrap_or(f64::NAN));
                at_mic.push(fault_level_db(&normal, &faulty.samples, 16_000));
            }
            let (lo, hi) = (
                at_mic.iter().cloned().fold(f64::INFINITY, f64::min),
                at_mic.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            let mic = median(at_mic);
            println!(
                "{:<10} {:<20} {:>+8.1} {:>26} {:>+8.1}",
                m.name(),
                fault,
                median(ambient),
                format!("{mic:+.1} [{lo:+.1}, {hi:+.1}]"),
                mic - median(fitted)
            );
        }
    }
}
