//! Real-time engine timings, printed as JSON:
//! - per-callback time of the audio-side processor (48 kHz stereo, a 4-transform chain, the
//!   analysis thread running beside it) for 64- and 512-sample blocks: p50, p99, p99.9 and max as
//!   a fraction of the block period;
//! - the analysis side (resampling 48 kHz → 16 kHz, log-mel, autoencoder, both scores, windows)
//!   as a multiple of real time: in bulk (10 s tapped, then analysed) and in the live pattern
//!   (polled after every 10 ms callback).
//!
//! Run: `cargo run --release --example engine_speed`

use faultline::catalog::{find, ResolvedStep};
use faultline::detect::Model;
use faultline::engine::{self, AnalysisConfig};
use faultline::plan::{FaultPlan, Provenance};
use std::time::Instant;

fn model() -> Model {
    let mut rng = faultline::dsp::Rng::new(2);
    let x: Vec<f32> = (0..48_000).map(|_| 0.1 * rng.bipolar()).collect();
    faultline::detect::untrained_model(&x, 1)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(60.0);
    let rate = 48_000.0f32;
    // The same 4-transform chain as `transform_speed`'s chain4.
    let steps: Vec<ResolvedStep> = ["knock", "band_noise", "resonance", "amplitude_modulation"]
        .iter()
        .map(|n| ResolvedStep::defaults(find(n).unwrap()))
        .collect();
    let provenance = Provenance {
        planner: "bench".into(),
        model: None,
        created: String::new(),
        notes: vec![],
        ..Provenance::default()
    };
    let plan = FaultPlan::new("pump", "benchmark chain", &steps, 1, provenance);
    let mut rng = faultline::dsp::Rng::new(3);
    let input: Vec<f32> = (0..rate as usize).map(|_| 0.2 * rng.bipolar()).collect();

    let mut callbacks = serde_json::Map::new();
    let blocks: &[usize] = if matches!(
        std::env::args().nth(2).as_deref(),
        Some("analysis" | "live")
    ) {
        &[]
    } else {
        &[64, 512]
    };
    for &block in blocks {
        let (mut processor, handle) = engine::start(AnalysisConfig::default());
        handle.set_model(model());
        handle.controls().set_fault_on(true);
        handle.set_plan(plan.clone()).unwrap();
        handle
            .prepare_processor(&mut processor, rate, block, 2)
            .unwrap();
        let calls = (seconds * rate as f64 / block as f64) as usize;
        let mut times = Vec::with_capacity(calls);
        let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
        let period = block as f64 / rate as f64;
        let started = Instant::now();
        for k in 0..calls {
            let at = (k * block) % (input.len() - block);
            l.copy_from_slice(&input[at..at + block]);
            r.copy_from_slice(&input[at..at + block]);
            // Paced at 4× real time so the analysis thread keeps up, as it would live.
            while started.elapsed().as_secs_f64() < k as f64 * period / 4.0 {
                std::hint::spin_loop();
            }
            let t = Instant::now();
            processor.process(&mut [&mut l, &mut r]);
            times.push(t.elapsed().as_secs_f64() / period);
        }
        times.sort_by(f64::total_cmp);
        callbacks.insert(
            block.to_string(),
            serde_json::json!({
                "calls": calls,
                "p50": quantile(&times, 0.5),
                "p99": quantile(&times, 0.99),
                "p99_9": quantile(&times, 0.999),
                "max": times[times.len() - 1],
                "dropped_samples": handle.live().dropped(),
            }),
        );
    }

    let live_only = std::env::args().nth(2).as_deref() == Some("live");
    // Analysis: tap 10 s at a time (the queue holds 16 s at 48 kHz), then time the analyzer.
    let (mut processor, handle, mut analyzer) = engine::build(AnalysisConfig::default());
    handle.set_model(model());
    handle
        .prepare_processor(&mut processor, rate, 4800, 1)
        .unwrap();
    analyzer.pump();
    let mut busy = 0.0;
    let mut fed = 0.0;
    let mut buf = vec![0.0f32; 4800];
    while fed < seconds && !live_only {
        for _ in 0..100 {
            buf.copy_from_slice(&input[..4800]);
            processor.process(&mut [&mut buf]);
        }
        fed += 10.0;
        let t = Instant::now();
        analyzer.pump();
        busy += t.elapsed().as_secs_f64();
    }
    let bulk = fed / busy.max(1e-9);

    // The live pattern: 10 ms callbacks, the analyzer polled after each one.
    let (mut processor, handle, mut analyzer) = engine::build(AnalysisConfig::default());
    handle.set_model(model());
    handle
        .prepare_processor(&mut processor, rate, 480, 1)
        .unwrap();
    analyzer.pump();
    let mut live_busy = 0.0;
    let mut buf = vec![0.0f32; 480];
    let calls = (seconds * 100.0) as usize;
    for k in 0..calls {
        let at = (k * 480) % (input.len() - 480);
        buf.copy_from_slice(&input[at..at + 480]);
        processor.process(&mut [&mut buf]);
        let t = Instant::now();
        analyzer.pump();
        live_busy += t.elapsed().as_secs_f64();
    }
    let out = serde_json::json!({
        "analysis_live_x_realtime": seconds / live_busy,
        "callback_fraction_of_period": callbacks,
        "analysis_bulk_x_realtime": bulk,
        "windows": analyzer.book().windows().len(),
        "audio_seconds": seconds,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
