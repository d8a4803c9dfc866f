//! Properties every catalog function must have, checked on each entry.

use super::*;
use crate::dsp::testutil::{noise, sine};
use crate::dsp::Rng;
use assert_no_alloc::assert_no_alloc;
use serde_json::Map;

/// A machine-like test signal: harmonics of 120 Hz over broadband noise.
fn machine_signal(sr: f32, seconds: f32) -> Vec<f32> {
    let n = (sr * seconds) as usize;
    let mut x = noise(42, 0.05, n);
    for k in 1..=6 {
        for (v, s) in x
            .iter_mut()
            .zip(sine(120.0 * k as f32, 0.2 / k as f32, sr, n))
        {
            *v += s;
        }
    }
    x
}

fn chain_for(spec: &'static FaultSpec, intensity: f32, seed: u64) -> FaultChain {
    let mut step = ResolvedStep::defaults(spec);
    step.set_intensity(intensity);
    build_chain(&[step], seed)
}

fn render(spec: &'static FaultSpec, intensity: f32, input: &[f32], sr: f32) -> Vec<f32> {
    let mut chain = chain_for(spec, intensity, 7);
    chain.prepare(sr, 1024, 1);
    let mut out = input.to_vec();
    chain.process_mono(&mut out);
    out
}

/// Frame-wise log-spectral distance: insensitive to the small delays of the pitch faults,
/// sensitive to added sounds, level changes and spectral moves.
fn spectral_deviation(a: &[f32], b: &[f32]) -> f64 {
    let frame = 1024;
    let frames = a.len() / frame;
    let mut total = 0.0;
    for f in 1..frames {
        let sa = crate::dsp::testutil::spectrum(&a[f * frame..(f + 1) * frame]);
        let sb = crate::dsp::testutil::spectrum(&b[f * frame..(f + 1) * frame]);
        for (x, y) in sa.iter().zip(&sb) {
            total += ((*x as f64 + 1e-4).ln() - (*y as f64 + 1e-4).ln()).abs();
        }
    }
    total / (frames - 1) as f64
}

#[test]
fn catalog_has_eleven_or_more_distinct_snake_case_functions_with_valid_defaults() {
    assert!(CATALOG.len() >= 11);
    let mut seen = std::collections::HashSet::new();
    for f in CATALOG {
        assert!(seen.insert(f.name), "duplicate {}", f.name);
        assert!(
            f.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{}",
            f.name
        );
        assert!(f.description.len() > 40 && f.fault.len() > 10);
        for p in f.all_params() {
            assert!(
                p.min < p.max && (p.min..=p.max).contains(&p.default),
                "{}.{}",
                f.name,
                p.name
            );
            assert!(!p.description.is_empty());
        }
    }
}

#[test]
fn tool_schema_lists_every_function_with_its_ranges() {
    let tools = tool_schema();
    let tools = tools.as_array().unwrap();
    assert_eq!(tools.len(), CATALOG.len());
    for (tool, spec) in tools.iter().zip(CATALOG) {
        assert_eq!(tool["type"], "function");
        let f = &tool["function"];
        assert_eq!(f["name"], spec.name);
        let props = f["parameters"]["properties"].as_object().unwrap();
        let orders = ORDER_PARAMS.iter().filter(|(f, _)| *f == spec.name).count();
        assert_eq!(props.len(), spec.params.len() + 1 + orders);
        for p in spec.all_params() {
            assert_eq!(props[p.name]["minimum"].as_f64().unwrap() as f32, p.min);
            assert_eq!(props[p.name]["maximum"].as_f64().unwrap() as f32, p.max);
        }
        assert_eq!(
            f["parameters"]["required"].as_array().unwrap().len(),
            spec.params.len() + 1
        );
    }
}

#[test]
fn intensity_zero_is_bit_identical() {
    let sr = 16_000.0;
    let input = machine_signal(sr, 1.0);
    for f in CATALOG {
        let out = render(f, 0.0, &input, sr);
        assert!(
            out.iter()
                .zip(&input)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{} changed the signal at 0",
            f.name
        );
    }
}

#[test]
fn deviation_grows_monotonically_with_intensity() {
    let sr = 16_000.0;
    let input = machine_signal(sr, 3.0);
    for f in CATALOG {
        let devs: Vec<f64> = [0.1, 0.3, 0.5, 0.7, 1.0]
            .iter()
            .map(|&i| spectral_deviation(&render(f, i, &input, sr), &input))
            .collect();
        assert!(devs[0] > 0.0, "{} does nothing at 0.1", f.name);
        for w in devs.windows(2) {
            assert!(
                w[1] > w[0],
                "{}: deviation not increasing: {devs:?}",
                f.name
            );
        }
    }
}

#[test]
fn output_is_finite_for_nan_inf_huge_and_denormal_input() {
    let sr = 48_000.0;
    let mut input = machine_signal(sr, 1.0);
    for (i, bad) in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -1e30,
        1e-40,
        f32::MAX,
    ]
    .iter()
    .enumerate()
    {
        for k in 0..50 {
            input[1000 * (i + 1) + k * 7] = *bad;
        }
    }
    for f in CATALOG {
        let out = render(f, 1.0, &input, sr);
        assert!(
            out.iter().all(|x| x.is_finite()),
            "{} produced non-finite output",
            f.name
        );
        // After the bad stretch the chain recovers to normal levels.
        let tail = &out[out.len() - 2000..];
        assert!(
            tail.iter().all(|x| x.abs() < 100.0),
            "{} did not recover",
            f.name
        );
    }
}

#[test]
fn random_block_sizes_give_the_same_samples_as_one_block() {
    let sr = 48_000.0;
    let input = machine_signal(sr, 2.0);
    let mut rng = Rng::new(99);
    for f in CATALOG {
        let mut whole = chain_for(f, 0.8, 3);
        whole.prepare(sr, 16_384, 1);
        let mut a = input.clone();
        for chunk in a.chunks_mut(16_384) {
            whole.process_mono(chunk);
        }
        // Prepared for small blocks: calls larger than max_block are split inside the chain.
        let mut pieces = chain_for(f, 0.8, 3);
        pieces.prepare(sr, 700, 1);
        let mut b = input.clone();
        let mut at = 0;
        while at < b.len() {
            let n = (1 + rng.below(4096)).min(b.len() - at);
            pieces.process_mono(&mut b[at..at + n]);
            at += n;
        }
        assert!(
            a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{} depends on block size",
            f.name
        );
    }
}

#[test]
fn reset_replays_the_same_output_and_seeds_differ() {
    let sr = 16_000.0;
    let input = machine_signal(sr, 1.0);
    for f in CATALOG {
        let mut chain = chain_for(f, 1.0, 5);
        chain.prepare(sr, 512, 1);
        let mut first = input.clone();
        chain.process_mono(&mut first);
        chain.reset();
        let mut second = input.clone();
        chain.process_mono(&mut second);
        assert_eq!(first, second, "{} not reproducible after reset", f.name);
    }
    for name in ["rattle", "knock", "band_noise", "dropout", "squeak"] {
        let spec = find(name).unwrap();
        let mut a = chain_for(spec, 1.0, 1);
        let mut b = chain_for(spec, 1.0, 2);
        a.prepare(sr, 512, 1);
        b.prepare(sr, 512, 1);
        let (mut x, mut y) = (input.clone(), input.clone());
        a.process_mono(&mut x);
        b.process_mono(&mut y);
        assert_ne!(x, y, "{name} ignores its seed");
    }
}

/// Timeline lock (`dsp` module doc): a chain sought to any position — inside a segment, on a
/// boundary, just before one — plays what a chain run from 0 plays there, once the memory of
/// the level follower (a 200 ms time constant) and the filters has passed.
#[test]
fn a_seek_lands_where_a_render_from_the_start_is() {
    for sr in [16_000.0f32, 48_000.0] {
        let input = machine_signal(sr, 14.0);
        let settle = (1.5 * sr) as usize;
        for f in CATALOG {
            let mut chain = chain_for(f, 0.8, 3);
            chain.prepare(sr, 512, 1);
            let mut full = input.clone();
            chain.process_mono(&mut full);
            let peak = full.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for start_s in [5.3f32, 8.0, 11.99] {
                let start = (start_s * sr) as usize;
                let mut part = input[start..].to_vec();
                let mut sought = chain_for(f, 0.8, 3);
                sought.prepare(sr, 512, 1);
                sought.seek(start as i64);
                sought.process_mono(&mut part);
                let worst = part[settle..]
                    .iter()
                    .zip(&full[start + settle..])
                    .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                assert!(
                    worst <= 1e-3 * peak,
                    "{} at {sr} Hz from {start_s} s: differs by {worst} (peak {peak})",
                    f.name
                );
            }
        }
    }
}

/// A fault faded to nothing (the chain skips it) and back comes back on the timeline, where an
/// uninterrupted chain is.
#[test]
fn a_step_skipped_at_intensity_zero_resumes_on_the_timeline() {
    let sr = 16_000.0f32;
    let input = machine_signal(sr, 12.0);
    let second = sr as usize;
    for f in CATALOG {
        let mut steady = chain_for(f, 0.8, 3);
        steady.prepare(sr, 512, 1);
        let mut want = input.clone();
        steady.process_mono(&mut want);
        let mut faded = chain_for(f, 0.8, 3);
        faded.prepare(sr, 512, 1);
        let mut got = input.clone();
        faded.process_mono(&mut got[..3 * second]);
        faded.set_intensity_scale(0.0);
        faded.process_mono(&mut got[3 * second..6 * second + 77]);
        faded.set_intensity_scale(1.0);
        faded.process_mono(&mut got[6 * second + 77..]);
        let peak = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let from = 6 * second + 77 + 3 * second / 2;
        let worst = got[from..]
            .iter()
            .zip(&want[from..])
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-3 * peak, "{}: {worst} (peak {peak})", f.name);
        assert_eq!(faded.position(), input.len() as i64);
    }
}

#[test]
fn channels_share_timing() {
    let sr = 44_100.0;
    let input = machine_signal(sr, 1.0);
    for f in CATALOG {
        let mut chain = chain_for(f, 1.0, 8);
        chain.prepare(sr, 256, 2);
        let (mut l, mut r) = (input.clone(), input.clone());
        chain.process(&mut [&mut l[..], &mut r[..]]);
        assert_eq!(l, r, "{}: identical channels diverged", f.name);
        assert_ne!(l, input, "{} did nothing in stereo", f.name);
    }
}

#[test]
fn every_sample_rate_from_8k_to_192k_works() {
    for sr in [
        8_000.0, 16_000.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0,
    ] {
        let input = machine_signal(sr, 3.0);
        for f in CATALOG {
            let out = render(f, 1.0, &input, sr);
            assert!(
                out.iter().all(|x| x.is_finite() && x.abs() < 50.0),
                "{} at {sr}",
                f.name
            );
            assert!(out != input, "{} inert at {sr}", f.name);
        }
    }
}

#[test]
fn process_never_allocates() {
    let sr = 48_000.0;
    let input = machine_signal(sr, 0.5);
    let steps: Vec<ResolvedStep> = CATALOG.iter().map(ResolvedStep::defaults).collect();
    let mut chain = build_chain(&steps, 1);
    chain.prepare(sr, 512, 2);
    let (mut l, mut r) = (input.clone(), input.clone());
    let mut rng = Rng::new(4);
    assert_no_alloc(|| {
        let mut at = 0;
        while at < l.len() {
            let n = (1 + rng.below(2048)).min(l.len() - at);
            chain.process(&mut [&mut l[at..at + n], &mut r[at..at + n]]);
            // Transport jumps (seeks anywhere on the timeline, before the song start too) and a
            // fault faded to 0 and back (the resumed steps seek) run on the audio thread too.
            match rng.below(4) {
                0 => chain.seek(rng.below(1 << 24) as i64 - (1 << 20)),
                1 => chain.set_intensity_scale(0.0),
                _ => chain.set_intensity_scale(rng.uniform()),
            }
            at += n;
        }
    });
}

#[test]
fn strict_resolution_names_the_field_and_the_allowed_values() {
    let args = |pairs: &[(&str, serde_json::Value)]| -> Map<String, serde_json::Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let good = ResolvedStep::defaults(find("hum").unwrap()).arguments();
    assert!(resolve_strict("steps[0]", "hum", &good).is_ok());

    let e = resolve_strict("steps[0]", "humm", &good)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("steps[0].function") && e.contains("\"humm\"") && e.contains("squeak, rattle"),
        "{e}"
    );

    let mut bad = good.clone();
    bad.insert("fundamental_hz".into(), 5000.into());
    let e = resolve_strict("steps[2]", "hum", &bad)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("steps[2].arguments.fundamental_hz") && e.contains("from 10 to 1000 Hz"),
        "{e}"
    );

    let mut bad = good.clone();
    bad.insert("harmonics".into(), 2.5.into());
    let e = resolve_strict("s", "hum", &bad).unwrap_err().to_string();
    assert!(e.contains("harmonics") && e.contains("integer"), "{e}");

    let mut bad = good.clone();
    bad.remove("intensity");
    let e = resolve_strict("s", "hum", &bad).unwrap_err().to_string();
    assert!(e.contains("intensity: missing"), "{e}");

    let e = resolve_strict("s", "hum", &args(&[("volume", 1.into())]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("volume") && e.contains("allowed: intensity, fundamental_hz"),
        "{e}"
    );
}

#[test]
fn lenient_resolution_clamps_defaults_and_drops_with_warnings() {
    let mut w = Vec::new();
    let mut a = Map::new();
    a.insert("intensity".into(), 7.into());
    a.insert("frequency_hz".into(), "1200".into());
    a.insert("glide_cents".into(), "lots".into());
    a.insert("colour".into(), "red".into());
    let s = resolve_lenient("call[0]", "squeak", &a, None, &mut w).unwrap();
    assert_eq!(s.intensity(), 1.0);
    assert_eq!(s.get("frequency_hz"), 1200.0);
    assert_eq!(s.get("glide_cents"), 80.0);
    assert_eq!(s.get("burst_ms"), 250.0);
    let text = w.join("\n");
    assert!(text.contains("intensity: 7 clamped to 1"), "{text}");
    assert!(
        text.contains("glide_cents")
            && text.contains("colour")
            && text.contains("burst_ms: missing"),
        "{text}"
    );
    let mut w = Vec::new();
    assert!(resolve_lenient("call[1]", "explode", &a, None, &mut w).is_none());
    assert!(w[0].contains("unknown function"));
}

/// Machine sounds the fade and scale tests run on: tonal (fan, gearbox), cyclic and impulsive
/// (valve), broadband high (toy car).
const FADE_MACHINES: [crate::machine::MachineType; 4] = {
    use crate::machine::MachineType::*;
    [Fan, Gearbox, Valve, ToyCar]
};

#[test]
fn every_function_fades_to_nothing_smoothly_and_monotonically_at_every_rate() {
    use super::levels;
    let ladder = [0.02f32, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0];
    let mut failures = Vec::new();
    for sr in [16_000u32, 48_000] {
        for m in FADE_MACHINES {
            let x = crate::synth::normal_clip(m, 3.0, sr, 11);
            let fx = levels::Frames::of(&x, sr);
            for spec in CATALOG {
                let change: Vec<f64> = ladder
                    .iter()
                    .map(|&i| {
                        fx.max_band_change_db(&levels::Frames::of(
                            &levels::apply(spec, i, &x, sr, 5),
                            sr,
                        ))
                    })
                    .collect();
                // At intensity 0.02 no band of the clip-mean log-mel spectrum moves 0.5 dB.
                if change[0] >= 0.5 {
                    failures.push(format!(
                        "{} on {m} @ {sr}: {:.2} dB at intensity 0.02",
                        spec.name, change[0]
                    ));
                }
                // The change grows with intensity (slack of 0.05 dB + 10 % for seeded noise and
                // for a deep wobble spreading a tone over more bands), and from 0.02 to 1 by more
                // than a factor 5: no floor that stays as intensity → 0⁺.
                for (k, w) in change.windows(2).enumerate() {
                    if w[1] + 0.05 + 0.1 * w[0] < w[0] {
                        failures.push(format!(
                            "{} on {m} @ {sr}: {:.3} dB at {} > {:.3} dB at {}",
                            spec.name,
                            w[0],
                            ladder[k],
                            w[1],
                            ladder[k + 1]
                        ));
                    }
                }
                if change[6] < 5.0 * change[0] {
                    failures.push(format!(
                        "{} on {m} @ {sr}: {:.3} dB at 0.02 vs {:.3} dB at 1",
                        spec.name, change[0], change[6]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// How far a function's median level may sit from the severity scale, dB, at 0.25, 0.5 and 1.
/// The exceptions are measured and documented in the README's severity table: a pitch move or a
/// wobble saturates once the machine's tones have left their bands (pitch 9.0 dB at 1); the
/// wobble lower still since world version 4, whose plant adds tones and rumble that do not
/// wobble and mask it (−2.2 / +2.7 / +4.9 dB at 0.25 / 0.5 / 1, median over four seeds' 3-s
/// clips of the eight machines, world version 5); and a few Poisson dropouts in a short clip
/// make the dropout's level jumpy.
fn scale_tolerance(name: &str) -> [f64; 3] {
    match name {
        "pitch_shift" => [3.0, 3.0, 4.5],
        "speed_wobble" => [3.0, 4.5, 8.0],
        "dropout" => [6.0, 3.0, 3.5],
        _ => [3.0, 3.0, 3.0],
    }
}

#[test]
fn every_function_sits_on_the_one_severity_scale() {
    use super::levels;
    let mut failures = Vec::new();
    for spec in CATALOG {
        // A Poisson fault's level is a random variable: a 3 s clip holds ~6 dropouts, too few
        // for a stable measure, so dropouts are measured on 10 s (as in a DCASE clip).
        let seconds = if spec.name == "dropout" { 10.0 } else { 3.0 };
        // A wobble's or a pitch move's level depends on where the machine's tones sit against
        // the mel bands, which moves from seed to seed by several dB (speed_wobble at 0.25:
        // −5.1 … +1.8 dB over seeds 1–4): those two are measured over four seeds' clips.
        let seeds = if ["speed_wobble", "pitch_shift"].contains(&spec.name) {
            1..=4
        } else {
            1..=1
        };
        for (k, i) in [0.25f32, 0.5, 1.0].into_iter().enumerate() {
            let level = levels::median(
                seeds
                    .clone()
                    .flat_map(|seed| levels::on_machines(spec, i, seconds, seed))
                    .map(|r| r.1)
                    .collect(),
            );
            let want = levels::severity_db(f64::from(i));
            if (level - want).abs() > scale_tolerance(spec.name)[k] {
                failures.push(format!(
                    "{} at {i}: {level:.1} dB, scale {want:.1} dB",
                    spec.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn orders_resolve_against_the_shaft_rate_and_appear_in_the_tool_schema() {
    let mut w = Vec::new();
    let args = |v: serde_json::Value| v.as_object().unwrap().clone();
    // An order sets the Hz (over a Hz value also given), and is noted.
    let s = resolve_lenient(
        "call[0]",
        "hum",
        &args(serde_json::json!({"intensity": 0.5, "fundamental_hz": 300, "fundamental_order": 2})),
        Some(24.0),
        &mut w,
    )
    .unwrap();
    assert_eq!(s.get("fundamental_hz"), 48.0);
    assert!(
        w.iter()
            .any(|n| n.contains("fundamental_order 2 × shaft 24.00 Hz = 48 Hz")),
        "{w:?}"
    );
    // Beyond the range: clamped and said so; no shaft rate: ignored and said so.
    w.clear();
    let s = resolve_lenient(
        "c",
        "knock",
        &args(serde_json::json!({"rate_order": 50})),
        Some(30.0),
        &mut w,
    )
    .unwrap();
    assert_eq!(s.get("rate_hz"), 300.0);
    assert!(w.iter().any(|n| n.contains("clamped to 300 Hz")), "{w:?}");
    w.clear();
    let s = resolve_lenient(
        "c",
        "knock",
        &args(serde_json::json!({"rate_order": 3})),
        None,
        &mut w,
    )
    .unwrap();
    assert_eq!(s.get("rate_hz"), find("knock").unwrap().params[0].default);
    assert!(s.orders.iter().all(Option::is_none));
    assert!(
        w.iter()
            .any(|n| n.contains("rate_order: ignored, the machine's shaft rate is unknown")),
        "{w:?}"
    );
    // The arguments carry both; strict resolution reads the order back.
    let mut k = resolve_lenient(
        "c",
        "knock",
        &args(serde_json::json!({"rate_order": 3.5})),
        Some(20.0),
        &mut w,
    )
    .unwrap();
    let a = k.arguments();
    assert_eq!(
        (a["rate_hz"].as_f64(), a["rate_order"].as_f64()),
        (Some(70.0), Some(3.5))
    );
    let back = resolve_strict("s", "knock", &a).unwrap();
    assert_eq!(back.orders, k.orders);
    assert!(k.rebase(10.0)[0].contains("= 35 Hz"));
    // Only rotation-locked rates are orders.
    let schema = tool_schema();
    let props = |name: &str| {
        schema
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["function"]["name"] == name)
            .unwrap()["function"]["parameters"]["properties"]
            .clone()
    };
    assert!(props("knock").get("rate_order").is_some());
    assert!(props("knock").get("resonance_order").is_none());
    assert!(props("hum").get("fundamental_order").is_some());
    assert!(props("band_noise")
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.ends_with("_order")));
    for (f, p) in super::ORDER_PARAMS {
        assert!(
            find(f)
                .unwrap()
                .all_params()
                .any(|x| x.name == *p && x.unit == "Hz"),
            "{f}.{p}"
        );
    }
}
