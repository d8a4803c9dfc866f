//! Prints each transform's speed as a multiple of real time on 10 s of 48 kHz audio (one core),
//! as JSON, and writes that audio to the path given (so a reference tool can time the same
//! samples). Used by `benches/reference/audiomentations_compare.py`.

use faultline::catalog::{build_chain, find, ResolvedStep, CATALOG};
use faultline::dataset::{write_wav_atomic, Audio, SampleFormat};
use std::time::Instant;

const SR: f32 = 48_000.0;

fn speed(steps: &[ResolvedStep], input: &[f32]) -> f64 {
    let mut chain = build_chain(steps, 1);
    chain.prepare(SR, 512, 1);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut buf = input.to_vec();
        let t = Instant::now();
        for block in buf.chunks_mut(512) {
            chain.process_mono(block);
        }
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&buf);
    }
    (input.len() as f64 / SR as f64) / best
}

fn main() {
    let mut rng = faultline::dsp::Rng::new(1);
    let input: Vec<f32> = (0..(SR * 10.0) as usize)
        .map(|n| 0.2 * faultline::dsp::sin_cycles(120.0 * n as f32 / SR) + 0.05 * rng.bipolar())
        .collect();
    if let Some(path) = std::env::args().nth(1) {
        write_wav_atomic(
            std::path::Path::new(&path),
            &Audio::mono(SR as u32, input.clone()),
            SampleFormat::Float32,
        )
        .expect("write audio");
    }
    let mut out = serde_json::Map::new();
    for spec in CATALOG {
        let mut step = ResolvedStep::defaults(spec);
        step.set_intensity(0.8);
        out.insert(spec.name.into(), speed(&[step], &input).into());
    }
    let chain: Vec<ResolvedStep> = ["knock", "band_noise", "resonance", "amplitude_modulation"]
        .iter()
        .map(|n| ResolvedStep::defaults(find(n).unwrap()))
        .collect();
    out.insert("chain4".into(), speed(&chain, &input).into());
    out.insert("empty_chain".into(), speed(&[], &input).into());
    println!("{}", serde_json::Value::Object(out));
}
