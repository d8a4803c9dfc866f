//! Engine tests: no allocation on the audio thread, equivalence with the offline render and the
//! offline scorer, chain swaps under stress, overload, learn-normal mode.

use super::*;
use crate::dataset::Audio;
use crate::detect::Model;
use crate::dsp::Rng;
use crate::features::{resample, stack, FeatureConfig, LogMel};
use crate::machine::MachineType;
use crate::plan::{planner_by_name, FaultPlan, PlanRequest};
use ndarray::Array2;

use crate::synth::normal_clip as machine_clip;

fn plan(fault: &str, seed: u64) -> FaultPlan {
    let request = PlanRequest {
        machine: "fan".into(),
        attributes: vec![],
        fault: fault.into(),
        seed,
    };
    planner_by_name("keyword").unwrap().plan(&request).unwrap()
}

fn untrained_model(seed: u64) -> Model {
    crate::detect::untrained_model(&machine_clip(MachineType::Fan, 3.0, 16_000, seed), seed)
}

/// Processes `x` (mono, copied to `channels`) in random block sizes; returns channel 0.
fn stream(
    processor: &mut Processor,
    x: &[f32],
    channels: usize,
    rng: &mut Rng,
    max_block: usize,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    let mut bufs = vec![vec![0.0f32; max_block]; channels];
    let mut pos = 0;
    while pos < x.len() {
        let n = (1 + rng.below(max_block)).min(x.len() - pos);
        for b in bufs.iter_mut() {
            b[..n].copy_from_slice(&x[pos..pos + n]);
        }
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..n]).collect();
        processor.process(&mut refs);
        out.extend_from_slice(&bufs[0][..n]);
        pos += n;
    }
    out
}

#[test]
fn streaming_equals_the_offline_render_sample_for_sample() {
    for (rate, channels) in [(48_000u32, 2usize), (16_000, 1), (96_000, 2)] {
        let x = machine_clip(MachineType::Pump, 3.0, rate, 5);
        let p = plan("squeak, knock and hum", 11);
        let offline = crate::offline::apply_plan(
            &p,
            Audio {
                sample_rate: rate,
                channels: vec![x.clone(); channels],
            },
        )
        .unwrap();
        let (mut processor, handle, _analyzer) = build(AnalysisConfig::default());
        handle.controls().set_fault_on(true);
        handle.set_plan(p).unwrap();
        handle
            .prepare_processor(&mut processor, rate as f32, 1024, channels)
            .unwrap();
        let got = stream(
            &mut processor,
            &x,
            channels,
            &mut Rng::new(rate as u64),
            1024,
        );
        assert_eq!(got, offline.channels[0], "{rate} Hz");
        assert_ne!(got, x);
    }
}

#[test]
fn audio_thread_never_allocates_across_sizes_rates_and_swaps() {
    let plans = [
        plan("squeak and rattle", 1),
        plan("pitch shift and band noise", 2),
        plan("resonance, saturation, dropout", 3),
    ];
    let mut rng = Rng::new(9);
    for rate in [8_000.0f32, 44_100.0, 48_000.0, 192_000.0] {
        let (mut processor, handle, mut analyzer) = build(AnalysisConfig::default());
        handle.controls().set_fault_on(true);
        handle.set_plan(plans[0].clone()).unwrap();
        handle
            .prepare_processor(&mut processor, rate, 2048, 2)
            .unwrap();
        let mut bufs = vec![vec![0.0f32; 2048]; 2];
        for round in 0..40 {
            if round % 8 == 3 {
                handle.set_plan(plans[round % plans.len()].clone()).unwrap();
            }
            handle.controls().set_intensity(rng.uniform());
            handle.controls().set_fault_on(round % 5 != 0);
            handle.controls().set_bypass(round % 13 == 12);
            let n = 1 + rng.below(2048);
            for b in bufs.iter_mut() {
                for (i, v) in b[..n].iter_mut().enumerate() {
                    *v = match (round + i) % 97 {
                        0 => f32::NAN,
                        1 => f32::INFINITY,
                        2 => -1e30,
                        3 => 1e-40,
                        _ => rng.bipolar() * 0.5,
                    };
                }
            }
            let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..n]).collect();
            let jump = rng.below(1 << 23) as i64;
            assert_no_alloc::assert_no_alloc(|| {
                if round % 11 == 7 {
                    // Hosts may reset on the audio thread too.
                    processor.reset();
                }
                if round % 7 == 2 {
                    // A transport jump: the chains seek on the audio thread.
                    processor.seek(jump);
                }
                processor.process(&mut refs)
            });
            assert!(
                refs.iter().all(|c| c.iter().all(|v| v.is_finite())),
                "{rate}: non-finite output"
            );
            analyzer.pump();
        }
    }
}

#[test]
fn switching_chains_and_toggling_the_fault_do_not_click() {
    let rate = 48_000.0;
    let x: Vec<f32> = (0..48_000 * 3)
        .map(|i| 0.3 * (i as f32 * 220.0 * std::f32::consts::TAU / rate).sin())
        .collect();
    let (mut processor, handle, _analyzer) = build(AnalysisConfig::default());
    handle.controls().set_fault_on(true);
    handle.set_plan(plan("hum", 1)).unwrap();
    handle
        .prepare_processor(&mut processor, rate, 256, 1)
        .unwrap();
    let mut out = Vec::new();
    for (k, chunk) in x.chunks(256).enumerate() {
        if k == 150 {
            handle.set_plan(plan("saturation", 2)).unwrap();
        }
        if k == 300 {
            handle.controls().set_fault_on(false);
        }
        if k == 400 {
            handle.controls().set_intensity(0.2);
            handle.controls().set_fault_on(true);
        }
        let mut b = chunk.to_vec();
        processor.process(&mut [&mut b]);
        out.extend_from_slice(&b);
    }
    let jump = |a: usize, b: usize| {
        out[a..b]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    };
    let steady = jump(256 * 20, 256 * 140).max(jump(256 * 200, 256 * 290));
    for (name, at) in [("chain swap", 150), ("fault off", 300), ("fault on", 400)] {
        let around = jump(256 * at, 256 * (at + 20));
        assert!(
            around <= steady * 1.5 + 1e-3,
            "{name}: step {around} vs steady {steady}"
        );
    }
    // The swap happened: after it the output is the saturated sine, not the hum.
    assert_eq!(handle.live().chains_installed(), 1);
}

/// Each 1 s window's scores equal the offline scorer's on the same vectors of `x` (at `rate`),
/// the stream having begun `t0` seconds before `x` did; every window is fault-off fan audio.
fn assert_windows_match_offline(
    windows: &[WindowScore],
    x: &[f32],
    rate: u32,
    t0: f64,
    model: &Model,
) {
    let y = resample(x, rate, 16_000);
    let v = stack(
        &LogMel::new(FeatureConfig::default()).spectrogram(&y),
        128,
        5,
    );
    let vectors = Array2::from_shape_vec((v.len() / 640, 640), v).unwrap();
    for w in windows {
        let start = ((w.start_s - t0) * 16_000.0).round() as u64;
        let rows: Vec<usize> = (0..vectors.nrows())
            .filter(|&i| (start..start + 16_000).contains(&((i as u64 + 2) * 512)))
            .collect();
        let (mse, maha) = model.score(vectors.select(ndarray::Axis(0), &rows).view());
        assert!(
            (w.mse - mse).abs() <= 1e-4 * mse.abs().max(1.0),
            "window {}: mse {} vs {mse}",
            w.index,
            w.mse
        );
        assert!(
            (w.mahalanobis - maha).abs() <= 1e-4 * maha.abs().max(1.0),
            "window {}: maha {} vs {maha}",
            w.index,
            w.mahalanobis
        );
        assert!(!w.fault);
        assert_eq!(w.machine, "fan");
    }
}

/// An engine with 1 s windows every 0.5 s, Machine fan, prepared for mono at `rate`.
fn fan_engine(rate: u32) -> (Processor, EngineHandle, Analyzer) {
    let (mut processor, handle, analyzer) = build(AnalysisConfig {
        window_s: 1.0,
        hop_s: 0.5,
    });
    handle.controls().set_machine(0);
    handle
        .prepare_processor(&mut processor, rate as f32, 512, 1)
        .unwrap();
    (processor, handle, analyzer)
}

/// Window scores from the live stream equal the offline scorer's on the same windows.
#[test]
fn window_scores_equal_the_offline_scorer() {
    let rate = 48_000u32;
    let x = machine_clip(MachineType::Fan, 6.0, rate, 3);
    let model = untrained_model(4);
    let (mut processor, handle, mut analyzer) = fan_engine(rate);
    handle.set_model(model.clone());
    analyzer.pump();
    let mut rng = Rng::new(1);
    let out = stream(&mut processor, &x, 1, &mut rng, 512);
    assert_eq!(out, x, "no plan: the audio passes through");
    analyzer.pump();
    let windows = analyzer.book().windows().to_vec();
    assert!(windows.len() >= 8, "{} windows", windows.len());
    assert_windows_match_offline(&windows, &x, rate, 0.0, &model);
}

#[test]
fn a_slow_analyzer_drops_samples_and_leaves_the_audio_alone() {
    let rate = 48_000u32;
    let x = machine_clip(MachineType::Valve, 25.0, rate, 8);
    let p = plan("knock", 3);
    let run = |pump: bool| {
        let (mut processor, handle, mut analyzer) = build(AnalysisConfig::default());
        handle.controls().set_fault_on(true);
        handle.set_plan(p.clone()).unwrap();
        handle
            .prepare_processor(&mut processor, rate as f32, 480, 1)
            .unwrap();
        let mut out = Vec::new();
        for chunk in x.chunks(480) {
            let mut b = chunk.to_vec();
            processor.process(&mut [&mut b]);
            out.extend_from_slice(&b);
            if pump {
                analyzer.pump();
            }
        }
        analyzer.pump();
        (out, handle.live().dropped())
    };
    let (fast_out, fast_dropped) = run(true);
    let (slow_out, slow_dropped) = run(false);
    assert_eq!(fast_dropped, 0);
    // 25 s into a queue of 4 s at 192 kHz (16 s at 48 kHz): 9 s dropped.
    assert_eq!(slow_dropped, (x.len() - TAP_SECONDS * 192_000) as u64);
    assert_eq!(fast_out, slow_out);
}

#[test]
fn stress_swapping_chains_and_controls_loses_nothing() {
    let (mut processor, handle, mut analyzer) = build(AnalysisConfig::default());
    handle
        .prepare_processor(&mut processor, 48_000.0, 256, 2)
        .unwrap();
    let handle = std::sync::Arc::new(handle);
    let plans: Vec<FaultPlan> = ["squeak", "rattle", "knock", "hum", "pitch shift", "dropout"]
        .iter()
        .enumerate()
        .map(|(i, f)| plan(f, i as u64))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (handle, stop) = (handle.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut rng = Rng::new(5);
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if handle
                    .set_plan(plans[rng.below(plans.len())].clone())
                    .is_ok()
                {
                    sent += 1;
                }
                handle.controls().set_intensity(rng.uniform());
                handle.controls().set_mix(rng.uniform());
                handle.controls().set_fault_on(rng.uniform() > 0.5);
                handle.controls().set_bypass(rng.uniform() > 0.9);
            }
            sent
        })
    };
    let mut rng = Rng::new(6);
    let mut bufs = vec![vec![0.0f32; 256]; 2];
    let started = std::time::Instant::now();
    // At least 2 s; longer (up to 20 s) while the writer has installed few chains, so a loaded
    // machine (CI beside other builds) still exercises enough swaps.
    let secs = |n| std::time::Duration::from_secs(n);
    while started.elapsed() < secs(2)
        || (handle.live().chains_installed() < 25 && started.elapsed() < secs(20))
    {
        let n = 1 + rng.below(256);
        for b in bufs.iter_mut() {
            b[..n].iter_mut().for_each(|v| *v = rng.bipolar());
        }
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..n]).collect();
        processor.process(&mut refs);
        assert!(refs.iter().all(|c| c.iter().all(|v| v.is_finite())));
        analyzer.pump();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = writer.join().unwrap();
    // Drain what is still queued: each chain needs one crossfade (20 ms).
    for _ in 0..(8 * 48_000 / 256) {
        let mut refs: Vec<&mut [f32]> = bufs.iter_mut().map(|b| &mut b[..256]).collect();
        processor.process(&mut refs);
    }
    assert!(sent > 20, "only {sent} swaps");
    assert_eq!(
        handle.live().chains_installed(),
        sent,
        "every chain sent was installed"
    );
    assert_eq!(
        handle
            .live()
            .rejected_chains
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

/// Audio tapped with no model and no learning is only counted, not analysed: the stream begins
/// again where the model arrives, its window times continuing the stream's clock and its scores
/// the offline scorer's on the audio from there on.
#[test]
fn audio_before_a_model_is_skipped_and_the_clock_runs_on() {
    let rate = 48_000u32;
    let x = machine_clip(MachineType::Fan, 6.0, rate, 3);
    let model = untrained_model(4);
    let (mut processor, handle, mut analyzer) = fan_engine(rate);
    let mut rng = Rng::new(1);
    let skip = 2 * rate as usize + 123;
    stream(&mut processor, &x[..skip], 1, &mut rng, 512);
    analyzer.pump();
    assert!(analyzer.book().windows().is_empty());
    handle.set_model(model.clone());
    analyzer.pump();
    stream(&mut processor, &x[skip..], 1, &mut rng, 512);
    analyzer.pump();
    let windows = analyzer.book().windows().to_vec();
    assert!(windows.len() >= 4, "{} windows", windows.len());
    let t0 = skip as f64 / rate as f64;
    assert!(
        (windows[0].start_s - t0).abs() < 1e-9,
        "{} s",
        windows[0].start_s
    );

    assert_windows_match_offline(&windows, &x[skip..], rate, t0, &model);
}

#[test]
fn learn_normal_then_detect_a_fault() {
    let rate = 16_000u32;
    let normal = machine_clip(MachineType::Fan, 45.0, rate, 21);
    let (mut processor, mut handle, analyzer) = build(AnalysisConfig {
        window_s: 1.0,
        hop_s: 0.5,
    });
    handle.controls().set_machine(0);
    handle.set_plan(plan("strong electrical hum", 7)).unwrap();
    handle
        .prepare_processor(&mut processor, rate as f32, 512, 1)
        .unwrap();
    handle.spawn_analysis(analyzer);
    handle.learn(
        20.0,
        crate::detect::TrainConfig {
            epochs: 100,
            ..Default::default()
        },
    );
    let mut feed = |x: &[f32]| {
        for chunk in x.chunks(512) {
            let mut b = chunk.to_vec();
            processor.process(&mut [&mut b]);
        }
        handle.sync();
    };
    // Fault-on audio is not learned: the status says learning waits, and nothing is collected.
    handle.controls().set_fault_on(true);
    feed(&normal[..rate as usize * 3]);
    let status = handle.live().detail().status;
    assert!(status.contains("waits for Fault off"), "{status}");
    assert_eq!(handle.live().progress.load(Ordering::Relaxed), 0.0);
    handle.controls().set_fault_on(false);
    feed(&normal[rate as usize * 3..rate as usize * 13]);
    // The status counts the seconds collected (10 s fed, less the crossfade and window edges).
    let status = handle.live().detail().status;
    let got: f64 = status
        .strip_prefix("learning normal: ")
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{status}"));
    assert!((8.0..=10.0).contains(&got), "{status}");
    assert!(status.ends_with("of 20 s of fault-off audio"), "{status}");
    feed(&normal[rate as usize * 13..rate as usize * 25]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while handle.model().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "training did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(handle.live().state(), EngineState::Scoring);
    // Alternate normal and fault-on periods over the rest of the clip.
    let rest = &normal[rate as usize * 25..];
    for (k, part) in rest.chunks(rate as usize * 3).enumerate() {
        handle.controls().set_fault_on(k % 2 == 1);
        feed(part);
    }
    let summary = handle.live().detail().book;
    let fan = summary.machine("fan").expect("fan windows");
    assert!(
        fan.normal_windows >= 10 && fan.fault_windows >= 8,
        "{fan:?}"
    );
    // Chance is 0.5; this clip's normal part holds a transient (24.5–25.5 s) that scores as
    // high as the hum, so the bar is 0.8, not near 1.
    assert!(fan.auc_mse.unwrap() > 0.8, "{fan:?}");
    assert!(
        summary.discarded_windows > 0,
        "windows across a switch are discarded"
    );
    handle.stop();
}
