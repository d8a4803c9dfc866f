//! The catalog table. Ranges are physical: frequencies in what a 16 kHz recording can carry
//! (values above 0.45·fs are clamped by the DSP at low sample rates), levels relative to the
//! machine's running RMS.

use super::{FaultSpec, ParamKind::*, ParamSpec, ResolvedStep};
use crate::dsp::*;

const fn param(
    name: &'static str,
    unit: &'static str,
    min: f32,
    max: f32,
    default: f32,
    description: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        unit,
        min,
        max,
        default,
        kind: Float,
        description,
    }
}

const LEVEL: ParamSpec = param(
    "level_db",
    "dB",
    -40.0,
    24.0,
    -6.0,
    "Level of the added fault sound at intensity 1, relative to the machine's running RMS.",
);

fn additive<S: Source + 'static>(s: &ResolvedStep, source: S) -> Box<dyn Transform> {
    Box::new(Additive::new(source, s.get("level_db"), s.intensity()))
}

pub static CATALOG: &[FaultSpec] = &[
    FaultSpec {
        name: "squeak",
        fault: "dry friction: unlubricated bearing seal, glazed belt, metal-on-metal contact",
        description: "Adds a narrow whistle with two weak harmonics in recurring bursts whose pitch glides up and back as the stick-slip contact loads and releases.",
        params: &[
            param("frequency_hz", "Hz", 300.0, 8000.0, 2200.0, "Fundamental of the whistle."),
            param("burst_rate_hz", "Hz", 0.1, 10.0, 1.5, "Bursts per second."),
            param("burst_ms", "ms", 20.0, 2000.0, 250.0, "Length of one burst."),
            param("glide_cents", "cents", 0.0, 600.0, 80.0, "Pitch rise at the middle of a burst."),
            ParamSpec { default: -1.0, ..LEVEL },
        ],
        build: |s, seed| {
            let p = SqueakParams {
                frequency_hz: s.get("frequency_hz"),
                burst_rate_hz: s.get("burst_rate_hz"),
                burst_ms: s.get("burst_ms"),
                glide_cents: s.get("glide_cents"),
            };
            additive(s, Squeak::new(p, seed))
        },
    },
    FaultSpec {
        name: "rattle",
        fault: "looseness: a loose cover, bolt, guard or part hit at random by vibration",
        description: "Adds random metallic impacts (a Poisson process with random strength), each ringing two detuned resonances of the loose part.",
        params: &[
            param("impact_rate_hz", "Hz", 1.0, 100.0, 20.0, "Mean impacts per second."),
            param("resonance_hz", "Hz", 200.0, 8000.0, 2500.0, "Main resonance of the loose part."),
            param("decay_ms", "ms", 1.0, 50.0, 8.0, "Ring time of each impact (to 1/e)."),
            ParamSpec { default: 15.0, ..LEVEL },
        ],
        build: |s, seed| {
            let p = RattleParams { impact_rate_hz: s.get("impact_rate_hz"), resonance_hz: s.get("resonance_hz"), decay_ms: s.get("decay_ms") };
            additive(s, Rattle::new(p, seed))
        },
    },
    FaultSpec {
        name: "knock",
        fault: "localised defect: bearing race spall, cracked or chipped gear tooth, loose piston",
        description: "Adds periodic impacts at the defect frequency with slight period jitter, each a click that rings the housing's structural resonance.",
        params: &[
            param("rate_hz", "Hz", 0.5, 300.0, 12.0, "Impacts per second (the defect frequency)."),
            param("resonance_hz", "Hz", 100.0, 8000.0, 1800.0, "Structural resonance excited by each impact."),
            param("decay_ms", "ms", 1.0, 100.0, 15.0, "Ring time of each impact (to 1/e)."),
            param("jitter_pct", "%", 0.0, 30.0, 3.0, "Random spread of each impact about its period's grid."),
            ParamSpec { default: 6.5, ..LEVEL },
        ],
        build: |s, seed| {
            let p = KnockParams {
                rate_hz: s.get("rate_hz"),
                resonance_hz: s.get("resonance_hz"),
                decay_ms: s.get("decay_ms"),
                jitter_pct: s.get("jitter_pct"),
            };
            additive(s, Knock::new(p, seed))
        },
    },
    FaultSpec {
        name: "hum",
        fault: "imbalance (1x), misalignment and looseness (2x, 3x), electrical hum",
        description: "Adds a harmonic series on the running speed (or mains) frequency with a chosen roll-off per harmonic.",
        params: &[
            param("fundamental_hz", "Hz", 10.0, 1000.0, 50.0, "Fundamental: rotation frequency or mains."),
            ParamSpec { name: "harmonics", unit: "", min: 1.0, max: 16.0, default: 4.0, kind: Int, description: "Number of harmonics." },
            param("rolloff_db", "dB", 0.0, 24.0, 6.0, "Level drop per harmonic."),
            ParamSpec { default: -2.0, ..LEVEL },
        ],
        build: |s, seed| {
            let p = HumParams { fundamental_hz: s.get("fundamental_hz"), harmonics: s.get("harmonics") as usize, rolloff_db: s.get("rolloff_db") };
            additive(s, Hum::new(p, seed))
        },
    },
    FaultSpec {
        name: "amplitude_modulation",
        fault: "eccentricity, bent shaft, belt slap, blade damage modulating the sound once per turn",
        description: "Makes the whole machine sound swell and fade periodically; gain dips by up to depth_db, scaled by intensity on the severity scale.",
        params: &[
            param("rate_hz", "Hz", 0.2, 100.0, 6.0, "Modulation rate: rotation rate of the eccentric part."),
            param("depth_db", "dB", 0.0, 60.0, 26.5, "Envelope dip at intensity 1."),
        ],
        build: |s, _| {
            let p = AmplitudeModulationParams { rate_hz: s.get("rate_hz"), depth_db: s.get("depth_db") };
            Box::new(Modulated::new(AmplitudeModulation::new(p), s.intensity()))
        },
    },
    FaultSpec {
        name: "pitch_shift",
        fault: "speed change: overload slowing the machine, a slipping drive speeding it up",
        description: "Moves every frequency of the machine sound by one ratio (all rotational components together), without look-ahead.",
        params: &[
            param("semitones", "semitones", -12.0, 12.0, -0.9, "Shift at intensity 1 (it scales as intensity squared); negative is slower."),
            param("grain_ms", "ms", 10.0, 100.0, 40.0, "Grain length of the shifter: longer is smoother for low tones."),
        ],
        build: |s, _| Box::new(PitchShift::new(PitchShiftParams { semitones: s.get("semitones"), grain_ms: s.get("grain_ms") }, s.intensity())),
    },
    FaultSpec {
        name: "speed_wobble",
        fault: "unstable speed: slipping belt, worn coupling, hunting motor controller",
        description: "Makes the speed swing periodically around its set point, so every tone of the machine warbles.",
        params: &[
            param("rate_hz", "Hz", 0.1, 20.0, 2.0, "Speed swings per second."),
            param("depth_cents", "cents", 0.0, 200.0, 90.0, "Peak frequency deviation at intensity 1 (it scales as intensity squared)."),
        ],
        build: |s, _| Box::new(SpeedWobble::new(SpeedWobbleParams { rate_hz: s.get("rate_hz"), depth_cents: s.get("depth_cents") }, s.intensity())),
    },
    FaultSpec {
        name: "band_noise",
        fault: "wear, cavitation, gas or fluid leaks: broadband hiss in a band",
        description: "Adds noise concentrated in a band (4th-order band-pass): bearing roughness at a few kHz, leak hiss high up, cavitation crackle.",
        params: &[
            param("center_hz", "Hz", 50.0, 8000.0, 3000.0, "Centre of the band."),
            param("bandwidth_oct", "octaves", 0.1, 4.0, 1.0, "Width of the band."),
            ParamSpec { default: 1.0, ..LEVEL },
        ],
        build: |s, seed| additive(s, BandNoise::new(BandNoiseParams { center_hz: s.get("center_hz"), bandwidth_oct: s.get("bandwidth_oct") }, seed)),
    },
    FaultSpec {
        name: "resonance",
        fault: "loosened mounting, cracked bracket or foundation: a structural mode losing its damping",
        description: "Makes the machine sound ring at a structural mode: a peaking boost whose gain grows with intensity.",
        params: &[
            param("frequency_hz", "Hz", 50.0, 8000.0, 900.0, "Frequency of the structural mode."),
            param("q", "", 0.5, 30.0, 8.0, "Sharpness of the mode."),
            param("gain_db", "dB", 0.0, 30.0, 13.0, "Boost at intensity 1; the energy it adds scales as intensity squared."),
        ],
        build: |s, _| Box::new(Resonance::new(ResonanceParams { frequency_hz: s.get("frequency_hz"), q: s.get("q"), gain_db: s.get("gain_db") }, s.intensity())),
    },
    FaultSpec {
        name: "damping",
        fault: "clogging: blocked filter or intake, choked flow, debris on the housing",
        description: "Muffles the high part of the sound: a high-shelf cut whose corner slides from the top of the band down to cutoff_hz and whose depth grows to depth_db as intensity goes to 1.",
        params: &[
            param("cutoff_hz", "Hz", 100.0, 8000.0, 1000.0, "Corner of the cut at intensity 1."),
            param("depth_db", "dB", 0.0, 60.0, 12.3, "Cut above the corner at intensity 1."),
        ],
        build: |s, _| Box::new(Damping::new(DampingParams { cutoff_hz: s.get("cutoff_hz"), depth_db: s.get("depth_db") }, s.intensity())),
    },
    FaultSpec {
        name: "dropout",
        fault: "intermittency: sticking valve, slipping clutch, intermittent contact",
        description: "Cuts the sound out for moments at random (Poisson events), with short ramps.",
        params: &[
            param("rate_hz", "Hz", 0.1, 20.0, 1.5, "Mean dropout starts per second (Poisson; overlapping ones merge)."),
            param("duration_ms", "ms", 5.0, 1000.0, 170.0, "Length of one dropout."),
            param("depth_db", "dB", 0.0, 60.0, 60.0, "Attenuation during a dropout at intensity 1."),
        ],
        build: |s, seed| {
            let p = DropoutParams { rate_hz: s.get("rate_hz"), duration_ms: s.get("duration_ms"), depth_db: s.get("depth_db") };
            Box::new(Modulated::new(Dropout::new(p, seed), s.intensity()))
        },
    },
    FaultSpec {
        name: "saturation",
        fault: "rubbing: rotor touching its housing, shaft on a seal, clipping contact",
        description: "Clips the machine sound where the parts meet (level-referenced tanh), adding odd harmonics, and even ones when the contact is one-sided.",
        params: &[
            param("drive_db", "dB", 0.0, 40.0, 20.0, "Drive into the clipping curve at the machine's peaks."),
            param("asymmetry", "", 0.0, 1.0, 0.3, "One-sidedness of the contact (even harmonics)."),
        ],
        build: |s, _| Box::new(Saturation::new(SaturationParams { drive_db: s.get("drive_db"), asymmetry: s.get("asymmetry") }, s.intensity())),
    },
];
