//! Speed of every catalog transform and of a 4-transform chain at 48 kHz mono, 512-sample
//! blocks. Criterion reports throughput in samples/s; divide by 48 000 for × real time (the
//! `transform_speed` example prints that directly).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use faultline::catalog::{build_chain, find, ResolvedStep, CATALOG};
use std::hint::black_box;
use std::time::Duration;

const SR: f32 = 48_000.0;

fn signal() -> Vec<f32> {
    let mut rng = faultline::dsp::Rng::new(1);
    (0..SR as usize)
        .map(|n| 0.2 * faultline::dsp::sin_cycles(120.0 * n as f32 / SR) + 0.05 * rng.bipolar())
        .collect()
}

fn bench_chain(c: &mut Criterion, group_name: &str, name: &str, steps: Vec<ResolvedStep>) {
    let input = signal();
    let mut chain = build_chain(&steps, 1);
    chain.prepare(SR, 512, 1);
    let mut buf = input.clone();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(input.len() as u64));
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            buf.copy_from_slice(&input);
            for block in buf.chunks_mut(512) {
                chain.process_mono(block);
            }
            black_box(&buf);
        })
    });
    group.finish();
}

fn transforms(c: &mut Criterion) {
    for spec in CATALOG {
        let mut step = ResolvedStep::defaults(spec);
        step.set_intensity(0.8);
        bench_chain(c, "transform", spec.name, vec![step]);
    }
    let chain = ["knock", "band_noise", "resonance", "amplitude_modulation"]
        .iter()
        .map(|n| ResolvedStep::defaults(find(n).unwrap()))
        .collect();
    bench_chain(c, "chain", "knock+band_noise+resonance+am", chain);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(20);
    targets = transforms
}
criterion_main!(benches);
