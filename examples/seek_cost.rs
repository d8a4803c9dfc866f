//! What a transport jump costs on the audio thread: `FaultChain::seek` of a chain holding every
//! catalog function at its defaults (48 kHz, stereo, 512-sample blocks) to positions inside,
//! at the end of and far into the timeline; median and worst of 50 seeks each, against one
//! 512-sample block's processing and its real-time budget (10.7 ms).
//! `cargo run --release --example seek_cost`

use faultline::catalog::{build_chain, ResolvedStep, CATALOG};
use std::time::Instant;

fn main() {
    let steps: Vec<ResolvedStep> = CATALOG.iter().map(ResolvedStep::defaults).collect();
    let mut chain = build_chain(&steps, 7);
    chain.prepare(48_000.0, 512, 2);
    let mut rng = faultline::dsp::Rng::new(1);
    let mut l: Vec<f32> = (0..512).map(|_| 0.2 * rng.bipolar()).collect();
    let mut r = l.clone();
    let block = {
        let t = Instant::now();
        for _ in 0..200 {
            chain.process(&mut [&mut l[..], &mut r[..]]);
        }
        t.elapsed().as_secs_f64() / 200.0
    };
    println!("every catalog function ({}), 48 kHz stereo: one 512-sample block {:.1} µs (budget 10667 µs)", CATALOG.len(), block * 1e6);
    for (label, seconds) in [
        ("1 s", 1.0),
        ("3.99 s (segment end)", 3.99),
        ("1 min", 60.0),
        ("1 h", 3600.0),
    ] {
        let pos = (seconds * 48_000.0) as i64;
        let mut times: Vec<f64> = (0..50)
            .map(|k| {
                let t = Instant::now();
                chain.seek(pos + k);
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "seek to {label:<22} median {:>7.1} µs, worst {:>7.1} µs",
            times[25] * 1e6,
            times[49] * 1e6
        );
    }
}
