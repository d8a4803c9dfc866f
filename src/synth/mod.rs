//! Procedural normal machine sound for the eight MIMII DG / DCASE machine types, with
//! attributes that act as domain shifts and reference faults modelled in each machine's physics.
//!
//! A clip is a pure function of (machine, attributes, fault, seed, sample rate, length).

mod machines;
mod parts;

pub use machines::{describe as describe_fault, reference_faults};

use crate::dsp::{derive_seed, Rng};
pub use crate::features::level::MeasuredAt;
use crate::machine::MachineType;

pub const DEFAULT_SAMPLE_RATE: u32 = 16_000;
pub const DEFAULT_SECONDS: f32 = 10.0;
/// RMS of a rendered clip (about -26 dBFS, with ±1 dB spread per clip).
pub const NOMINAL_RMS: f32 = 0.05;

/// DCASE-style domains: most training clips come from the source domain; the target domain
/// shifts an attribute (speed, flow, cycle…) and the background noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    Source,
    Target,
}

impl Domain {
    pub fn name(self) -> &'static str {
        match self {
            Domain::Source => "source",
            Domain::Target => "target",
        }
    }
}

/// One attribute: its value range in each domain and the grid values are rounded to.
struct AttrSpec {
    key: &'static str,
    source: (f32, f32),
    target: (f32, f32),
    step: f32,
}

const fn attr(key: &'static str, source: (f32, f32), target: (f32, f32), step: f32) -> AttrSpec {
    AttrSpec {
        key,
        source,
        target,
        step,
    }
}

/// Factory ambient at the microphone relative to the machine's own sound, dB (minus the SNR):
/// the datasets mix real factory noise into every clip (MIMII at SNR +6, 0 and −6 dB), and how
/// loud the machine is against the plant decides where it sits. Big rotating machines (fan,
/// pump, gearbox: ~85–95 dBA at 1 m) stand 6–14 dB over a ~75 dBA plant; a bearing test rig and
/// a close-miked toy car 2–8 dB; a linear slider, a toy train heard from the track side, and a
/// solenoid valve (clicks and hiss, ~65–70 dBA) sit at the plant's level or under it. The target
/// domain is another spot in the plant, 6 dB noisier.
const fn noise(snr_lo: f32, snr_hi: f32) -> AttrSpec {
    attr(
        "noise",
        (-snr_hi, -snr_lo),
        (6.0 - snr_hi, 6.0 - snr_lo),
        1.0,
    )
}

fn attr_specs(m: MachineType) -> &'static [AttrSpec] {
    match m {
        MachineType::Fan => {
            const S: &[AttrSpec] = &[
                attr("rpm", (900.0, 1500.0), (1800.0, 2400.0), 60.0),
                attr("blades", (4.0, 6.0), (4.0, 6.0), 1.0),
                noise(8.0, 14.0),
            ];
            S
        }
        MachineType::Pump => {
            const S: &[AttrSpec] = &[
                attr("flow", (40.0, 60.0), (80.0, 100.0), 5.0),
                attr("vanes", (5.0, 7.0), (5.0, 7.0), 1.0),
                noise(6.0, 12.0),
            ];
            S
        }
        MachineType::Slider => {
            const S: &[AttrSpec] = &[
                attr("stroke", (20.0, 40.0), (50.0, 70.0), 5.0),
                attr("load", (1.0, 3.0), (1.0, 3.0), 1.0),
                noise(0.0, 6.0),
            ];
            S
        }
        MachineType::Valve => {
            const S: &[AttrSpec] = &[
                attr("cycle", (0.8, 1.5), (2.0, 3.0), 0.1),
                attr("pressure", (2.0, 4.0), (2.0, 4.0), 1.0),
                noise(-2.0, 4.0),
            ];
            S
        }
        MachineType::Gearbox => {
            const S: &[AttrSpec] = &[
                attr("rpm", (600.0, 1200.0), (1500.0, 2000.0), 50.0),
                attr("teeth", (18.0, 26.0), (18.0, 26.0), 1.0),
                noise(6.0, 12.0),
            ];
            S
        }
        MachineType::Bearing => {
            const S: &[AttrSpec] = &[
                attr("rpm", (900.0, 1800.0), (2400.0, 3000.0), 60.0),
                attr("load", (1.0, 3.0), (1.0, 3.0), 1.0),
                noise(2.0, 8.0),
            ];
            S
        }
        MachineType::ToyCar => {
            const S: &[AttrSpec] = &[
                attr("speed", (1.0, 3.0), (4.0, 5.0), 1.0),
                attr("mic", (1.0, 2.0), (1.0, 2.0), 1.0),
                noise(2.0, 8.0),
            ];
            S
        }
        MachineType::ToyTrain => {
            const S: &[AttrSpec] = &[
                attr("speed", (1.0, 3.0), (4.0, 5.0), 1.0),
                attr("track", (1.0, 2.0), (1.0, 2.0), 1.0),
                noise(0.0, 6.0),
            ];
            S
        }
    }
}

/// Attributes of one clip, in a fixed order, as (key, value) text pairs (as in file names).
#[derive(Clone, Debug, PartialEq)]
pub struct Attrs(pub Vec<(String, String)>);

impl Attrs {
    /// A numeric attribute; a missing or unparsable one takes the middle of its source range.
    pub fn num(&self, key: &str) -> f32 {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f32::NAN)
    }

    /// Fills keys the machine needs but the list lacks (real datasets name other attributes).
    pub fn completed(mut self, m: MachineType) -> Self {
        for spec in attr_specs(m) {
            if !self.num(spec.key).is_finite() {
                let mid = 0.5 * (spec.source.0 + spec.source.1);
                self.0.push((
                    spec.key.to_string(),
                    format_value((mid / spec.step).round() * spec.step),
                ));
            }
        }
        self
    }
}

fn format_value(v: f32) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Draws a clip's attributes in a domain.
pub fn sample_attributes(m: MachineType, domain: Domain, rng: &mut Rng) -> Attrs {
    Attrs(
        attr_specs(m)
            .iter()
            .map(|s| {
                let (lo, hi) = if domain == Domain::Source {
                    s.source
                } else {
                    s.target
                };
                let v = (rng.range(lo, hi + s.step * 0.999) / s.step).floor() * s.step;
                (s.key.to_string(), format_value(v.min(hi)))
            })
            .collect(),
    )
}

/// Everything that determines a clip.
#[derive(Clone, Debug)]
pub struct ClipSpec {
    pub machine: MachineType,
    pub attrs: Attrs,
    /// A name from `reference_faults(machine)`, or `None` for normal sound.
    pub fault: Option<&'static str>,
    /// The fault's level on the severity scale (`features::level`), dB: the difference the fault
    /// makes to the machine's own sound (before the factory ambient) is scaled until its level
    /// against that sound is this. Real anomalies vary in severity; drawing every machine's on
    /// one scale keeps the reference from ranking machines by hand-set fault amplitudes.
    pub severity_db: f32,
    /// What the severity is measured against: the machine's own sound (the default) or the
    /// recording, machine plus the plant's ambient (`MeasuredAt`).
    pub measured_at: MeasuredAt,
    pub seed: u64,
    pub sample_rate: u32,
    pub seconds: f32,
}

/// Renders a mono clip.
/// Normal sound of a machine at its middle attributes: the quick clip tests and examples want.
pub fn normal_clip(machine: MachineType, seconds: f32, sample_rate: u32, seed: u64) -> Vec<f32> {
    render(&ClipSpec {
        machine,
        attrs: Attrs(vec![]).completed(machine),
        fault: None,
        severity_db: 0.0,
        measured_at: MeasuredAt::Machine,
        seed,
        sample_rate,
        seconds,
    })
}

/// A rendered clip and, for a fault clip, the fault's measured level on the severity scale.
pub struct Rendered {
    pub samples: Vec<f32>,
    pub fault_level_db: Option<f64>,
}

pub fn render(spec: &ClipSpec) -> Vec<f32> {
    render_clip(spec).samples
}

/// The gain on a fault's difference signal `d` that puts its level against `normal` at
/// `target` dB, and the level reached: a few secant steps in dB (`level::fit_gain`).
fn fit_fault_gain(normal: &[f32], d: &[f32], target: f64, sample_rate: u32) -> (f32, f64) {
    use crate::features::level::{level_of_change, Frames};
    // The normal clip's frames once; each trial gain computes only the faulty clip's.
    let base = Frames::of(normal, sample_rate);
    let level = |g: f32| {
        let y: Vec<f32> = normal.iter().zip(d).map(|(n, d)| n + g * d).collect();
        level_of_change(base.change_db(&Frames::of(&y, sample_rate)))
    };
    let l = level(1.0);
    if !l.is_finite() {
        return (0.0, l);
    }
    crate::features::level::fit_gain(level, target, (1.0, l), (1e-4, 1e4), 4)
}

/// Renders a clip: the machine, its fault at the spec's severity, then the factory ambient.
pub fn render_clip(spec: &ClipSpec) -> Rendered {
    let sr = spec.sample_rate as f32;
    let n = (spec.seconds * sr).round() as usize;
    let attrs = spec.attrs.clone().completed(spec.machine);
    let machine_sound = |fault: Option<&str>| {
        let mut ctx = machines::Ctx {
            n,
            sr,
            rng: Rng::new(derive_seed(spec.seed, 1)),
        };
        machines::render(spec.machine, &mut ctx, &attrs, fault)
    };
    // The normal machine sets the scale; a fault that adds energy makes the clip louder, as
    // it would in a recording, and the same seed gives the same machine under the fault.
    let mut x = machine_sound(None);
    let scale = 1.0 / parts::rms(&x).max(1e-12);
    x.iter_mut().for_each(|v| *v *= scale);
    let mut rng = Rng::new(derive_seed(spec.seed, 2));
    let ambient = parts::ambient(n, sr, &mut rng);
    let ambient_gain = 10f32.powf(attrs.num("noise") / 20.0);
    let mut fault_level_db = None;
    if let Some(fault) = spec.fault {
        let d: Vec<f32> = machine_sound(Some(fault))
            .iter()
            .zip(&x)
            .map(|(f, n)| f * scale - n)
            .collect();
        let target = f64::from(spec.severity_db);
        let (g, level) = match spec.measured_at {
            MeasuredAt::Machine => fit_fault_gain(&x, &d, target, spec.sample_rate),
            MeasuredAt::Recording => {
                let mut heard = x.clone();
                parts::mix(&mut heard, &ambient, ambient_gain);
                fit_fault_gain(&heard, &d, target, spec.sample_rate)
            }
        };
        x.iter_mut().zip(&d).for_each(|(v, d)| *v += g * d);
        fault_level_db = Some(level);
    }
    parts::mix(&mut x, &ambient, ambient_gain);
    let gain = NOMINAL_RMS * 10f32.powf(rng.range(-1.0, 1.0) / 20.0);
    x.iter_mut().for_each(|v| *v *= gain);
    Rendered {
        samples: x,
        fault_level_db,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FeatureConfig, LogMel};

    fn clip(
        m: MachineType,
        domain: Domain,
        fault: Option<&'static str>,
        seed: u64,
        seconds: f32,
    ) -> Vec<f32> {
        let attrs = sample_attributes(m, domain, &mut Rng::new(seed));
        render(&ClipSpec {
            machine: m,
            attrs,
            fault,
            severity_db: 0.0,
            measured_at: MeasuredAt::Machine,
            seed,
            sample_rate: 16_000,
            seconds,
        })
    }

    fn mean_logmel(x: &[f32]) -> Vec<f32> {
        let mut lm = LogMel::new(FeatureConfig::default());
        let spec = lm.spectrogram(x);
        let frames = spec.len() / 128;
        (0..128)
            .map(|b| (0..frames).map(|t| spec[t * 128 + b]).sum::<f32>() / frames as f32)
            .collect()
    }

    fn dist(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f32>()
            .sqrt()
    }

    #[test]
    fn clips_are_deterministic_finite_and_at_nominal_level() {
        for m in MachineType::ALL {
            let a = clip(m, Domain::Source, None, 3, 2.0);
            assert_eq!(a, clip(m, Domain::Source, None, 3, 2.0), "{m}");
            assert_ne!(a, clip(m, Domain::Source, None, 4, 2.0), "{m}");
            assert!(a.iter().all(|v| v.is_finite() && v.abs() < 1.0), "{m}");
        }
        // At nominal level: the machine at `NOMINAL_RMS` with the plant's ambient `noise` dB
        // against it (uncorrelated, so their powers add), times the recording gain of ±1 dB.
        for m in MachineType::ALL {
            for seed in 0..6 {
                let attrs = sample_attributes(m, Domain::Source, &mut Rng::new(seed)).completed(m);
                let want = NOMINAL_RMS * (1.0 + 10f32.powf(attrs.num("noise") / 10.0)).sqrt();
                let got = parts::rms(&clip(m, Domain::Source, None, seed, 2.0));
                let db = 20.0 * (got / want).log10();
                assert!(db.abs() < 1.2, "{m} seed {seed}: {db:.2} dB off {want}");
            }
        }
    }

    #[test]
    fn nearest_centroid_on_mean_logmel_separates_the_eight_types() {
        let feats = |seed: u64, m: MachineType| {
            let domain = if seed.is_multiple_of(3) {
                Domain::Target
            } else {
                Domain::Source
            };
            mean_logmel(&clip(m, domain, None, seed * 31 + m as u64, 3.0))
        };
        let centroids: Vec<Vec<f32>> = MachineType::ALL
            .iter()
            .map(|&m| {
                let train: Vec<Vec<f32>> = (0..6).map(|s| feats(s, m)).collect();
                (0..128)
                    .map(|b| train.iter().map(|f| f[b]).sum::<f32>() / train.len() as f32)
                    .collect()
            })
            .collect();
        let mut wrong = Vec::new();
        for (truth, &m) in MachineType::ALL.iter().enumerate() {
            for s in 100..112 {
                let f = feats(s, m);
                let guess = (0..8)
                    .min_by(|&a, &b| dist(&f, &centroids[a]).total_cmp(&dist(&f, &centroids[b])))
                    .unwrap();
                if guess != truth {
                    wrong.push(format!("{m} seed {s} → {}", MachineType::ALL[guess]));
                }
            }
        }
        // At MIMII-like SNRs (down to −8 dB in the target domain) a mean spectrum cannot tell
        // every quiet machine from the plant: about one clip in eight goes to another type
        // (30 and 33 of 240 held-out clips in world versions 4 and 5), against seven in eight
        // by chance. Four in five must separate.
        assert!(wrong.len() <= 19, "misclassified held-out clips: {wrong:?}");
    }

    #[test]
    fn outer_race_defect_shows_in_the_envelope_at_the_ball_pass_frequency() {
        let attrs = Attrs(vec![
            ("rpm".into(), "1200".into()),
            ("load".into(), "2".into()),
            ("noise".into(), "-30".into()),
        ]);
        let x = render(&ClipSpec {
            machine: MachineType::Bearing,
            attrs,
            fault: Some("outer_race"),
            severity_db: 12.0,
            measured_at: MeasuredAt::Machine,
            seed: 5,
            sample_rate: 16_000,
            seconds: 8.0,
        });
        // Envelope: band-pass around the resonance, rectify, then look for the strongest
        // modulation between 20 and 200 Hz. BPFO = 3.58 × 20 Hz = 71.6 Hz.
        let mut bp =
            crate::dsp::Biquad::new(crate::dsp::BiquadCoefs::bandpass(3700.0, 2.0, 16_000.0));
        let env: Vec<f32> = x.iter().map(|v| bp.tick(*v).abs()).collect();
        let mean = env.iter().sum::<f32>() / env.len() as f32;
        let centred: Vec<f32> = env.iter().map(|v| v - mean).collect();
        let peak = crate::dsp::testutil::peak_hz(&centred, 16_000.0, 20.0, 200.0);
        assert!((peak - 71.6).abs() < 1.5, "envelope peak at {peak} Hz");
    }

    #[test]
    fn every_reference_fault_is_rendered_at_its_level_on_the_severity_scale() {
        for m in MachineType::ALL {
            let attrs = sample_attributes(m, Domain::Source, &mut Rng::new(3));
            for fault in reference_faults(m) {
                for target in [-12.0f32, -6.0, 0.0] {
                    let spec = ClipSpec {
                        machine: m,
                        attrs: attrs.clone(),
                        fault: Some(fault),
                        severity_db: target,
                        measured_at: MeasuredAt::Machine,
                        seed: 8,
                        sample_rate: 16_000,
                        seconds: 3.0,
                    };
                    let r = render_clip(&spec);
                    let level = r.fault_level_db.unwrap();
                    assert!(
                        (level - f64::from(target)).abs() < 1.0,
                        "{m}/{fault} at {target} dB: {level:.2} dB"
                    );
                }
            }
        }
    }

    #[test]
    fn a_severity_measured_at_the_recording_is_the_level_the_microphone_hears() {
        use crate::features::level::fault_level_db;
        // Pump cavitation crackles at 2.5–7 kHz, where the pump's own sound is nearly empty:
        // fitted against the machine it reaches +6 dB with so little energy that the plant's
        // ambient hides it at the microphone; fitted against the recording it stands at +6 dB
        // there. The level at the mic is the fault clip against its same-seed twin.
        let attrs = sample_attributes(MachineType::Pump, Domain::Source, &mut Rng::new(3));
        let at_mic = |measured_at| {
            let spec = |fault| ClipSpec {
                machine: MachineType::Pump,
                attrs: attrs.clone(),
                fault,
                severity_db: 6.0,
                measured_at,
                seed: 8,
                sample_rate: 16_000,
                seconds: 3.0,
            };
            let r = render_clip(&spec(Some("cavitation")));
            let level = fault_level_db(&render(&spec(None)), &r.samples, 16_000);
            (level, r.fault_level_db.unwrap())
        };
        let (mic, fitted) = at_mic(MeasuredAt::Recording);
        assert!((fitted - 6.0).abs() < 1.0, "fitted {fitted}");
        assert!((mic - 6.0).abs() < 1.0, "at the mic {mic}");
        let (mic, fitted) = at_mic(MeasuredAt::Machine);
        assert!((fitted - 6.0).abs() < 1.0, "fitted {fitted}");
        assert!(mic < -6.0, "against the machine, at the mic {mic} dB");
    }

    #[test]
    fn a_fault_clip_is_its_normal_clip_plus_the_fault() {
        // Same seed: the same machine and the same ambient, so the difference is the fault.
        let attrs = sample_attributes(MachineType::Fan, Domain::Source, &mut Rng::new(3));
        let spec = |fault, severity_db| ClipSpec {
            machine: MachineType::Fan,
            attrs: attrs.clone(),
            fault,
            severity_db,
            measured_at: MeasuredAt::Machine,
            seed: 8,
            sample_rate: 16_000,
            seconds: 2.0,
        };
        let normal = render(&spec(None, 0.0));
        let dev = |db: f32| {
            let r = render_clip(&spec(Some("bearing_wear"), db));
            let d: Vec<f32> = r.samples.iter().zip(&normal).map(|(a, b)| a - b).collect();
            (d, r.fault_level_db.unwrap())
        };
        // Two severities differ only in the gain on one difference signal: the differences are
        // scaled copies of each other, the larger at the higher level. 6 dB more is about
        // twice the difference (20 dB per decade for an added sound; the level is read in the
        // band where the change is largest, so not exactly).
        let ((d1, l1), (d2, l2)) = (dev(-12.0), dev(-6.0));
        let dot =
            |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum::<f64>();
        let corr = dot(&d1, &d2) / (dot(&d1, &d1) * dot(&d2, &d2)).sqrt();
        let ratio = parts::rms(&d2) / parts::rms(&d1);
        assert!(
            corr > 0.9999 && (1.6..3.0).contains(&ratio) && l2 > l1,
            "correlation {corr}, ratio {ratio} at {l1:.2} → {l2:.2} dB"
        );
    }

    #[test]
    fn target_domain_shifts_the_attributes() {
        for m in MachineType::ALL {
            let s = sample_attributes(m, Domain::Source, &mut Rng::new(2));
            let t = sample_attributes(m, Domain::Target, &mut Rng::new(2));
            assert_eq!(s.0.len(), t.0.len());
            assert!(t.num("noise") > s.num("noise"), "{m}");
            assert_ne!(s.0[0].1, t.0[0].1, "{m}: first attribute did not shift");
        }
    }
}
