//! The eight machine recipes. Each builds the machine's own sound at unit RMS from its
//! attributes and, when asked, one of its reference faults modelled in its own physics (a
//! bearing defect rings the housing at the ball-pass frequency; a cracked tooth hits once per
//! revolution). This code shares nothing with the fault catalog, so reference faults are an
//! independent yardstick for the catalog's faults.

use super::parts::*;
use super::Attrs;
use crate::dsp::Rng;
use crate::machine::MachineType;

pub struct Ctx {
    pub n: usize,
    pub sr: f32,
    pub rng: Rng,
}

/// The reference faults each machine type can have.
pub fn reference_faults(m: MachineType) -> &'static [&'static str] {
    match m {
        MachineType::Fan => &["blade_imbalance", "bearing_wear"],
        MachineType::Pump => &["cavitation", "clogging"],
        MachineType::Slider => &["rail_damage", "no_grease"],
        MachineType::Valve => &["seat_leak", "sticking"],
        MachineType::Gearbox => &["cracked_tooth", "gear_wear"],
        MachineType::Bearing => &["outer_race", "inner_race"],
        MachineType::ToyCar => &["shaft_eccentricity", "tire_damage"],
        MachineType::ToyTrain => &["wheel_flat", "gear_chip"],
    }
}

/// One line on what a reference fault is and how it sounds: the clip's fault description, as a
/// dataset's metadata would give it to a planner.
pub fn describe(m: MachineType, fault: &str) -> &'static str {
    match (m, fault) {
        (MachineType::Fan, "blade_imbalance") => "one blade heavier than the others: the sound swells once per revolution",
        (MachineType::Fan, "bearing_wear") => "worn fan bearing: rough broadband noise from the hub and a rise of the shaft harmonics",
        (MachineType::Pump, "cavitation") => "cavitation at the impeller: vapour bubbles collapse as random crackle high in the spectrum",
        (MachineType::Pump, "clogging") => "clogged intake: the flow is choked, the flow noise dulls and the vane-pass tone strains",
        (MachineType::Slider, "rail_damage") => "damaged stretch of rail: the carriage chatters over it on every pass",
        (MachineType::Slider, "no_grease") => "ungreased guide: a dry friction squeal that rises with the carriage speed",
        (MachineType::Valve, "seat_leak") => "leaking seat: a high hiss of escaping fluid while the valve should be shut",
        (MachineType::Valve, "sticking") => "sticking plunger: the valve opens late with a double click",
        (MachineType::Gearbox, "cracked_tooth") => "cracked gear tooth: one knock per shaft revolution and a modulated mesh tone",
        (MachineType::Gearbox, "gear_wear") => "worn gear teeth: stronger mesh harmonics and a grinding noise",
        (MachineType::Bearing, "outer_race") => "outer race spall: impacts at the ball-pass frequency ring the housing",
        (MachineType::Bearing, "inner_race") => "inner race spall: impacts at the inner-race frequency, swelling once per shaft turn",
        (MachineType::ToyCar, "shaft_eccentricity") => "bent wheel shaft: the rolling sound swells once per wheel turn",
        (MachineType::ToyCar, "tire_damage") => "damaged tyre: a thump once per wheel turn",
        (MachineType::ToyTrain, "wheel_flat") => "flat spot on a wheel: a slap on the rail once per wheel turn",
        (MachineType::ToyTrain, "gear_chip") => "chipped motor gear: a click every few motor turns",
        _ => "a fault of the machine",
    }
}

pub fn render(m: MachineType, c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    match m {
        MachineType::Fan => fan(c, a, fault),
        MachineType::Pump => pump(c, a, fault),
        MachineType::Slider => slider(c, a, fault),
        MachineType::Valve => valve(c, a, fault),
        MachineType::Gearbox => gearbox(c, a, fault),
        MachineType::Bearing => bearing(c, a, fault),
        MachineType::ToyCar => toy_car(c, a, fault),
        MachineType::ToyTrain => toy_train(c, a, fault),
    }
}

/// Fan: blade-pass tone and harmonics over turbulent broadband noise that the blades chop.
fn fan(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let fr = a.num("rpm") / 60.0;
    let blades = a.num("blades") as f64;
    let shaft = shaft_phase(n, sr, fr, 0.004, &mut c.rng);
    let mut x = band(n, sr, 80.0, 2500.0, &mut c.rng);
    modulate(&mut x, order_sine(&shaft, blades), 0.15);
    let mut tones = vec![0.0; n];
    add_harmonics(
        &mut tones,
        &shaft,
        blades,
        &[0.6, 0.3, 0.15, 0.08],
        sr,
        &mut c.rng,
    );
    add_harmonics(&mut tones, &shaft, 1.0, &[0.05, 0.03], sr, &mut c.rng);
    mix(&mut x, &tones, 1.0);
    match fault {
        Some("blade_imbalance") => {
            add_harmonics(&mut x, &shaft, 1.0, &[0.9, 0.3], sr, &mut c.rng);
            modulate(&mut x, order_sine(&shaft, 1.0), 0.35);
        }
        Some("bearing_wear") => {
            let rough = band(n, sr, 2500.0, 6000.0, &mut c.rng);
            mix(&mut x, &rough, 0.35);
        }
        _ => {}
    }
    x
}

/// Pump: impeller vane-pass tones over fluid flow noise that swells with the flow.
fn pump(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let flow = a.num("flow");
    let fr = 20.0 + 0.25 * flow;
    let shaft = shaft_phase(n, sr, fr, 0.003, &mut c.rng);
    let mut x = band(n, sr, 40.0, 1200.0, &mut c.rng);
    let swell: Vec<f32> = wander(n, sr, 1.5, &mut c.rng);
    modulate(&mut x, swell.iter().copied(), 0.2);
    let mut tones = vec![0.0; n];
    add_harmonics(
        &mut tones,
        &shaft,
        a.num("vanes") as f64,
        &[0.5, 0.25, 0.1],
        sr,
        &mut c.rng,
    );
    add_harmonics(&mut tones, &shaft, 1.0, &[0.2, 0.1, 0.05], sr, &mut c.rng);
    mix(&mut x, &tones, 1.0);
    match fault {
        Some("cavitation") => {
            // Collapsing bubbles: bursts of crackle in the upper band, at random.
            let crackle = band(n, sr, 2500.0, 7000.0, &mut c.rng);
            let mut gate = vec![0.0f32; n];
            for t in poisson(n, sr, 30.0, &mut c.rng) {
                let len = (0.004 * sr) as usize;
                for g in gate.iter_mut().skip(t).take(len) {
                    *g = 1.0;
                }
            }
            let burst: Vec<f32> = crackle.iter().zip(&gate).map(|(v, g)| v * g).collect();
            mix(&mut x, &burst, 0.9);
        }
        Some("clogging") => {
            // Choked flow: the vane-pass tone strains upward, the flow noise thins out.
            let mut strain = vec![0.0; n];
            add_harmonics(
                &mut strain,
                &shaft,
                a.num("vanes") as f64,
                &[0.0, 0.5, 0.35],
                sr,
                &mut c.rng,
            );
            x.iter_mut().for_each(|v| *v *= 0.7);
            mix(&mut x, &strain, 1.0);
        }
        _ => {}
    }
    x
}

/// Slider: a carriage stroking back and forth; rolling noise and servo whine follow the speed,
/// the end stops click.
fn slider(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let stroke_hz = a.num("stroke") / 60.0;
    let load = a.num("load");
    let start = c.rng.uniform();
    let pos: Vec<f32> = (0..n)
        .map(|i| (start + stroke_hz * i as f32 / sr) % 1.0)
        .collect();
    // Speed is |sin| over each half stroke: zero at the end stops.
    let speed: Vec<f32> = pos
        .iter()
        .map(|p| (std::f32::consts::TAU * p).sin().abs())
        .collect();
    let mut x = band(n, sr, 300.0, 5000.0, &mut c.rng);
    x.iter_mut().zip(&speed).for_each(|(v, s)| *v *= 0.3 + s);
    let mut whine_phase = 0.0f32;
    let base = 400.0 + 60.0 * load;
    for (v, s) in x.iter_mut().zip(&speed) {
        whine_phase = (whine_phase + base * (0.5 + s) / sr).fract();
        *v += 0.3 * s * crate::dsp::sin_cycles(whine_phase);
    }
    let stops: Vec<(usize, f32)> = (1..n)
        .filter(|&i| (pos[i] * 2.0).floor() != (pos[i - 1] * 2.0).floor())
        .map(|i| (i, 2.0))
        .collect();
    add_impacts(&mut x, &stops, 2500.0, 0.004, sr);
    match fault {
        Some("rail_damage") => {
            // A damaged stretch of rail: the rollers chatter over it on every pass.
            let from = 0.1 + 0.25 * c.rng.uniform();
            let hits: Vec<(usize, f32)> = poisson(n, sr, 250.0, &mut c.rng)
                .into_iter()
                .filter(|&i| ((pos[i] % 0.5) * 2.0 - from).abs() < 0.12)
                .map(|i| (i, 1.5 + speed[i]))
                .collect();
            add_impacts(&mut x, &hits, 1500.0, 0.004, sr);
        }
        Some("no_grease") => {
            let mut ph = 0.0f32;
            for (v, s) in x.iter_mut().zip(&speed) {
                ph = (ph + (1800.0 + 900.0 * s) / sr).fract();
                *v += 2.0 * s * s * crate::dsp::sin_cycles(ph);
            }
        }
        _ => {}
    }
    x
}

/// Valve: a solenoid clicks open and shut; flow hisses while it is open. A process controller
/// switches it on demand, not on a metronome: each cycle's period varies ±40 % about the mean
/// `cycle` and it stays open 30–70 % of it (MIMII's valves run in operation patterns, not a
/// fixed rhythm), so how many clicks and how much hiss a clip holds varies clip to clip.
fn valve(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let cycle = a.num("cycle");
    let pressure = a.num("pressure");
    // The schedule and the plunger's hesitations draw from streams of their own, so a clip
    // with a fault keeps its normal twin's schedule.
    let mut schedule = Rng::new(c.rng.next_u64());
    let mut plunger = Rng::new(c.rng.next_u64());
    let hiss = band(n, sr, 800.0, 4000.0, &mut c.rng);
    let mut x = band(n, sr, 30.0, 300.0, &mut c.rng); // the line's low rumble
    x.iter_mut().for_each(|v| *v *= 0.3);
    let sticking = fault == Some("sticking");
    let mut hits = Vec::new();
    let mut open = vec![false; n];
    let mut t = schedule.uniform() * cycle * sr;
    while (t as usize) < n {
        let period = cycle * schedule.range(0.6, 1.4) * sr;
        let open_for = schedule.range(0.3, 0.7) * period;
        // Sticking: the fouled plunger hesitates on every actuation, by a varying amount,
        // opening late and with a double hit. (Hesitating only on some actuations left clips
        // with two or three actuations and no hesitation at all: an "anomalous" clip that is
        // its normal twin.)
        let delay = if sticking {
            plunger.range(0.03, 0.2) * sr
        } else {
            0.0
        };
        let on = (t + delay) as usize;
        let off = (t + open_for.max(delay + 0.02 * sr)) as usize;
        hits.push((on.min(n - 1), 2.5));
        if sticking && delay > 0.0 {
            hits.push(((on + (0.015 * sr) as usize).min(n - 1), 1.5));
        }
        hits.push((off.min(n - 1), 2.0));
        for o in open.iter_mut().take(off.min(n)).skip(on.min(n)) {
            *o = true;
        }
        t += period;
    }
    hits.sort_by_key(|h| h.0);
    add_impacts(&mut x, &hits, 3500.0, 0.006, sr);
    let flow = 0.25 + 0.1 * pressure;
    for ((v, h), o) in x.iter_mut().zip(&hiss).zip(&open) {
        if *o {
            *v += flow * h;
        }
    }
    if fault == Some("seat_leak") {
        let leak = band(n, sr, 4000.0, 7500.0, &mut c.rng);
        for ((v, l), o) in x.iter_mut().zip(&leak).zip(&open) {
            if !*o {
                *v += 0.25 * l;
            }
        }
    }
    x
}

/// Gearbox: mesh frequency (teeth × shaft) and harmonics with sidebands at the shaft rate.
fn gearbox(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let fr = a.num("rpm") / 60.0;
    let teeth = a.num("teeth") as f64;
    let shaft = shaft_phase(n, sr, fr, 0.002, &mut c.rng);
    let mut mesh = vec![0.0; n];
    add_harmonics(&mut mesh, &shaft, teeth, &[0.7, 0.35, 0.2], sr, &mut c.rng);
    // Transmission error varies once per turn: sidebands at mesh ± shaft.
    modulate(&mut mesh, order_sine(&shaft, 1.0), 0.12);
    let mut x = band(n, sr, 100.0, 6000.0, &mut c.rng);
    x.iter_mut().for_each(|v| *v *= 0.35);
    mix(&mut x, &mesh, 1.0);
    add_harmonics(&mut x, &shaft, 1.0, &[0.15, 0.08], sr, &mut c.rng);
    match fault {
        Some("cracked_tooth") => {
            let per_turn: Vec<(usize, f32)> = (1..n)
                .filter(|&i| shaft[i].floor() != shaft[i - 1].floor())
                .map(|i| (i, 2.0))
                .collect();
            add_impacts(&mut x, &per_turn, 2200.0, 0.01, sr);
            let mut extra = vec![0.0; n];
            add_harmonics(&mut extra, &shaft, teeth, &[0.4], sr, &mut c.rng);
            modulate(&mut extra, order_sine(&shaft, 1.0), 0.9);
            mix(&mut x, &extra, 1.0);
        }
        Some("gear_wear") => {
            add_harmonics(
                &mut x,
                &shaft,
                teeth,
                &[0.0, 0.3, 0.35, 0.3],
                sr,
                &mut c.rng,
            );
            let grind = band(n, sr, 1500.0, 5000.0, &mut c.rng);
            mix(&mut x, &grind, 0.3);
        }
        _ => {}
    }
    x
}

/// Rolling bearing: smooth rolling noise, shaft harmonics and the housing resonance.
fn bearing(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let fr = a.num("rpm") / 60.0;
    let load = a.num("load");
    let shaft = shaft_phase(n, sr, fr, 0.002, &mut c.rng);
    let mut x = band(n, sr, 200.0, 6000.0, &mut c.rng);
    // The cage turns at about 0.4× shaft speed and modulates the rolling noise.
    modulate(&mut x, order_sine(&shaft, 0.4), 0.1);
    add_harmonics(
        &mut x,
        &shaft,
        1.0,
        &[0.25 * load, 0.12, 0.06],
        sr,
        &mut c.rng,
    );
    let resonance = 3400.0 + 150.0 * load;
    match fault {
        Some("outer_race") => {
            // Ball-pass frequency outer race ≈ 3.6× shaft for a typical 9-ball bearing.
            let hits: Vec<(usize, f32)> = periodic(n, sr, 3.58 * fr, 0.01, &mut c.rng)
                .into_iter()
                .map(|t| (t, 2.2))
                .collect();
            add_impacts(&mut x, &hits, resonance, 0.002, sr);
        }
        Some("inner_race") => {
            // BPFI ≈ 5.4× shaft; the defect turns with the shaft, so hits swell once per turn.
            let hits: Vec<(usize, f32)> = periodic(n, sr, 5.42 * fr, 0.01, &mut c.rng)
                .into_iter()
                .map(|t| {
                    (
                        t,
                        1.6 + 1.0 * crate::dsp::sin_cycles(shaft[t].fract() as f32),
                    )
                })
                .collect();
            add_impacts(&mut x, &hits, resonance, 0.002, sr);
        }
        _ => {}
    }
    x
}

/// Toy car: a small DC motor (commutator whine, brush noise) driving plastic gears and wheels.
fn toy_car(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let speed = a.num("speed");
    let motor_hz = 120.0 + 40.0 * speed;
    let motor = shaft_phase(n, sr, motor_hz, 0.01, &mut c.rng);
    let mut x = band(n, sr, 2000.0, 7500.0, &mut c.rng);
    x.iter_mut().for_each(|v| *v *= 0.4);
    modulate(&mut x, order_sine(&motor, 3.0), 0.5);
    add_harmonics(&mut x, &motor, 3.0, &[0.5, 0.25, 0.12], sr, &mut c.rng);
    // Gears reduce ~ 1:8; the wheels roll on the floor mat.
    let wheel_hz = motor_hz / 24.0;
    let wheel = shaft_phase(n, sr, wheel_hz, 0.01, &mut c.rng);
    let mut roll = band(n, sr, 100.0, 1000.0, &mut c.rng);
    modulate(&mut roll, order_sine(&wheel, 1.0), 0.2);
    mix(&mut x, &roll, 0.5);
    add_harmonics(
        &mut x,
        &motor,
        1.0 / 8.0 * 12.0,
        &[0.2, 0.1],
        sr,
        &mut c.rng,
    );
    match fault {
        Some("shaft_eccentricity") => modulate(&mut x, order_sine(&wheel, 1.0), 0.45),
        Some("tire_damage") => {
            let hits: Vec<(usize, f32)> = (1..n)
                .filter(|&i| wheel[i].floor() != wheel[i - 1].floor())
                .map(|i| (i, 4.0))
                .collect();
            add_impacts(&mut x, &hits, 400.0, 0.02, sr);
            add_impacts(&mut x, &hits, 2400.0, 0.004, sr);
        }
        _ => {}
    }
    // The microphone (ToyADMOS records the car with several): mic 1 close beside the car,
    // mic 2 farther off, both 10 cm over a hard floor, the car's sound about 3 cm up. The floor
    // reflection combs the spectrum — first notch near 4 kHz close by, above the band farther
    // off — so the two positions hear the same car with different colour.
    let across = if a.num("mic") > 1.5 { 0.3 } else { 0.1 };
    floor_reflection(&mut x, sr, across, 0.03, 0.1, 0.9);
    x
}

/// Toy train: a motor whine, wheels rumbling on rails and clicking over rail joints, heard
/// from beside the track as the train goes round.
fn toy_train(c: &mut Ctx, a: &Attrs, fault: Option<&str>) -> Vec<f32> {
    let (n, sr) = (c.n, c.sr);
    let speed = a.num("speed");
    // Where on the loop the train is when the clip starts.
    let start = c.rng.uniform();
    let motor = shaft_phase(n, sr, 80.0 + 30.0 * speed, 0.008, &mut c.rng);
    let mut x = band(n, sr, 60.0, 1500.0, &mut c.rng);
    add_harmonics(&mut x, &motor, 2.0, &[0.3, 0.2, 0.1, 0.05], sr, &mut c.rng);
    let joints: Vec<(usize, f32)> = periodic(n, sr, 0.8 + 0.6 * speed, 0.05, &mut c.rng)
        .into_iter()
        .flat_map(|t| [(t, 1.5), (t + (0.06 * sr / speed) as usize, 1.2)])
        .filter(|(t, _)| *t < n)
        .collect();
    let track_res = if a.num("track") > 1.5 { 1800.0 } else { 2600.0 };
    add_impacts(&mut x, &joints, track_res, 0.01, sr);
    let wheel_hz = 2.0 + 1.5 * speed;
    match fault {
        Some("wheel_flat") => {
            let hits: Vec<(usize, f32)> = periodic(n, sr, wheel_hz, 0.0, &mut c.rng)
                .into_iter()
                .map(|t| (t, 3.0))
                .collect();
            // The flat slaps the rail: a thump in the wheel and a bright ring in the rail.
            add_impacts(&mut x, &hits, 900.0, 0.01, sr);
            add_impacts(&mut x, &hits, 4200.0, 0.003, sr);
        }
        Some("gear_chip") => {
            let hits: Vec<(usize, f32)> = (1..n)
                .filter(|&i| (motor[i] / 4.0).floor() != (motor[i - 1] / 4.0).floor())
                .map(|i| (i, 1.5))
                .collect();
            add_impacts(&mut x, &hits, 3000.0, 0.004, sr);
        }
        _ => {}
    }
    // The microphone stands 30 cm outside a loop track (layout 1: 2.4 m, layout 2: 3.6 m) and
    // hears the train, faults and all, approach and recede once a lap: 11–14 dB of swing,
    // a lap every 4–14 s at 0.25–0.65 m/s (speed setting 1–5). The plant's ambient does not move.
    let track_m = if a.num("track") > 1.5 { 3.6 } else { 2.4 };
    let g = pass_by_gain(n, sr, track_m, 0.15 + 0.1 * speed, 0.3, start);
    x.iter_mut().zip(&g).for_each(|(v, g)| *v *= g);
    x
}
