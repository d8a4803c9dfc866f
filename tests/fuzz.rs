//! Random bytes and mutated valid files into the WAV and plan parsers: every input gives a value
//! or an error, never a panic or a hang, and what parses is usable (a finite render).
//! Seeded (`faultline::dsp::Rng`), so a failure names a case that reproduces.

use faultline::dataset::{read_wav, write_wav_atomic, Audio, SampleFormat};
use faultline::dsp::Rng;
use faultline::plan::{planner_by_name, FaultPlan, PlanRequest};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// One of a few mutations of `valid`: flipped bytes, a cut, an insertion, a header field set to
/// 0 / huge, or pure noise.
fn mutate(rng: &mut Rng, valid: &[u8]) -> Vec<u8> {
    let mut b = valid.to_vec();
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(rng.below(b.len())),
        2 => {
            let at = rng.below(b.len());
            let extra: Vec<u8> = (0..1 + rng.below(64))
                .map(|_| rng.next_u32() as u8)
                .collect();
            b.splice(at..at, extra);
        }
        3 => {
            // A 4-byte field in the first 64 bytes (sizes, rate, byte rate, …).
            let at = 4 * rng.below(16).min(b.len() / 4 - 1);
            let v: u32 = [0, 1, 7, u32::MAX, 0x7fff_ffff, 192_001, rng.next_u32()][rng.below(7)];
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        4 => {
            let at = 20 + 2 * rng.below(8);
            let v: u16 = [0, 1, 3, 9, 64, 65_535, rng.next_u32() as u16][rng.below(7)];
            if at + 2 <= b.len() {
                b[at..at + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
        _ => b = (0..rng.below(300)).map(|_| rng.next_u32() as u8).collect(),
    }
    b
}

#[test]
fn the_wav_reader_never_panics_and_what_it_reads_renders_finite() {
    let dir = tempfile::tempdir().unwrap();
    let plan = planner_by_name("keyword")
        .unwrap()
        .plan(&PlanRequest {
            machine: "fan".into(),
            attributes: vec![],
            fault: "rattle and hum".into(),
            seed: 1,
        })
        .unwrap();
    let mut valid = Vec::new();
    for (k, format) in [
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Float32,
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.path().join(format!("valid{k}.wav"));
        let channels = (0..1 + k)
            .map(|c| {
                (0..2000)
                    .map(|i| ((i * (c + 3)) as f32 * 0.01).sin() * 0.5)
                    .collect()
            })
            .collect();
        write_wav_atomic(
            &path,
            &Audio {
                sample_rate: 16_000,
                channels,
            },
            format,
        )
        .unwrap();
        valid.push(std::fs::read(&path).unwrap());
    }
    let mut rng = Rng::new(16);
    let started = std::time::Instant::now();
    let (mut read, mut refused) = (0, 0);
    for case in 0..600 {
        let bytes = mutate(&mut rng, &valid[case % valid.len()]);
        let path = dir.path().join("case.wav");
        std::fs::write(&path, &bytes).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| read_wav(&path)));
        let Ok(result) = outcome else {
            panic!("case {case}: read_wav panicked on {} bytes", bytes.len())
        };
        match result {
            Ok(audio) => {
                read += 1;
                assert!(
                    (8_000..=192_000).contains(&audio.sample_rate),
                    "case {case}: rate {}",
                    audio.sample_rate
                );
                let rendered = catch_unwind(AssertUnwindSafe(|| {
                    faultline::offline::render_plan(&plan, audio)
                }));
                let Ok(Ok(out)) = rendered else {
                    panic!("case {case}: rendering what was read failed or panicked")
                };
                assert!(
                    out.channels.iter().flatten().all(|v| v.is_finite()),
                    "case {case}: non-finite render"
                );
            }
            Err(e) => {
                refused += 1;
                assert!(
                    e.to_string().contains("case.wav"),
                    "case {case}: the error names the file: {e}"
                );
            }
        }
    }
    assert!(
        read > 20 && refused > 100,
        "{read} read, {refused} refused: the mutations reach both sides"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "no case hangs"
    );
}

#[test]
fn the_plan_parser_never_panics_and_what_it_accepts_builds_a_finite_chain() {
    let plan = planner_by_name("keyword")
        .unwrap()
        .plan(&PlanRequest {
            machine: "pump".into(),
            attributes: vec![],
            fault: "squeak, knocking and dropouts".into(),
            seed: 3,
        })
        .unwrap();
    let valid = plan.to_json();
    let tokens = [
        "1e309",
        "-1e309",
        "NaN",
        "-0",
        "0",
        "1e-45",
        "99999999999",
        "\"\"",
        "null",
        "[]",
        "{}",
        "true",
        "\"hum\"",
        "\"x\"",
    ];
    let mut rng = Rng::new(17);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..1500 {
        let text = match rng.below(3) {
            // Replace a number or a string with an odd token.
            0 => {
                let mut t = valid.clone();
                let spans: Vec<(usize, usize)> = {
                    let b = t.as_bytes();
                    let mut v = Vec::new();
                    let mut i = 0;
                    while i < b.len() {
                        if b[i].is_ascii_digit() || b[i] == b'"' {
                            let quote = b[i] == b'"';
                            let mut j = i + 1;
                            while j < b.len()
                                && if quote {
                                    b[j] != b'"'
                                } else {
                                    b[j].is_ascii_digit() || b[j] == b'.'
                                }
                            {
                                j += 1;
                            }
                            let end = if quote { (j + 1).min(b.len()) } else { j };
                            v.push((i, end));
                            i = end;
                        } else {
                            i += 1;
                        }
                    }
                    v
                };
                let (a, b) = spans[rng.below(spans.len())];
                t.replace_range(a..b, tokens[rng.below(tokens.len())]);
                t
            }
            1 => String::from_utf8_lossy(&mutate(&mut rng, valid.as_bytes())).into_owned(),
            _ => {
                let mut t = valid.clone();
                let mut at = rng.below(t.len());
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                t.truncate(at);
                t
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| FaultPlan::from_json(&text)));
        let Ok(parsed) = outcome else {
            panic!("case {case}: from_json panicked on {text}")
        };
        let Ok(p) = parsed else {
            refused += 1;
            continue;
        };
        accepted += 1;
        let built = catch_unwind(AssertUnwindSafe(|| p.chain()));
        let Ok(built) = built else {
            panic!("case {case}: chain() panicked on {text}")
        };
        if let Ok(mut chain) = built {
            chain.prepare(16_000.0, 256, 1);
            let mut x: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
            chain.process_mono(&mut x);
            assert!(
                x.iter().all(|v| v.is_finite()),
                "case {case}: non-finite output for {text}"
            );
        }
    }
    assert!(
        accepted > 20 && refused > 200,
        "{accepted} accepted, {refused} refused: the mutations reach both sides"
    );
}
