//! Draws the editor headless (`target/editor_headless.png`) from a real run: the engine learns
//! normal sound of three machines, then plays each machine's typical-fault plan on and off, and
//! the editor is rendered headless (`faultline_plugin::headless`) with what the engine scored.
//!
//! `cargo run --release -p faultline-plugin --example editor_snapshot [OUT.png]`

use faultline::engine::{self, AnalysisConfig, EngineState};
use faultline::machine::MachineType;
use faultline::plan::{PlanRequest, planner_by_name};
use faultline_plugin::headless::Headless;
use faultline_plugin::{DEFAULT_NONE, EDITOR_SIZE, FaultlineParams};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RATE: u32 = 16_000;

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/editor_headless.png".into());
    let (mut processor, engine) = engine::start(AnalysisConfig::default());
    let engine = Arc::new(engine);
    let params = Arc::new(FaultlineParams::new(engine.clone()));
    engine.prepare_processor(&mut processor, RATE as f32, 512, 1)?;
    // The editor shows the Machine parameter's default, the first machine: played last.
    let machines = [
        MachineType::ALL[2],
        MachineType::ALL[1],
        MachineType::ALL[0],
    ];
    let index = |m: MachineType| MachineType::ALL.iter().position(|x| *x == m).unwrap_or(0);
    let mut feed = |machine: MachineType, x: &[f32]| {
        engine.controls().set_machine(index(machine));
        for chunk in x.chunks(512) {
            let mut b = chunk.to_vec();
            processor.process(&mut [&mut b]);
        }
        engine.sync();
    };
    engine.learn(
        60.0,
        faultline::detect::TrainConfig {
            epochs: 20,
            ..Default::default()
        },
    );
    for (k, m) in machines.iter().enumerate() {
        feed(*m, &faultline::synth::normal_clip(*m, 21.0, RATE, k as u64));
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while engine.live().state() != EngineState::Scoring {
        anyhow::ensure!(Instant::now() < deadline, "training did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    for (k, m) in machines.iter().enumerate() {
        let request = PlanRequest {
            machine: m.name().into(),
            attributes: vec![],
            fault: m.typical_fault().into(),
            seed: k as u64,
        };
        let plan = planner_by_name("keyword")?.plan(&request)?;
        engine.set_plan(plan.clone())?;
        params.plan.record(Some(plan), DEFAULT_NONE);
        let clip = faultline::synth::normal_clip(*m, 40.0, RATE, 100 + k as u64);
        for (j, part) in clip.chunks(RATE as usize * 4).enumerate() {
            engine.controls().set_fault_on(j % 2 == 1);
            feed(*m, part);
        }
    }
    engine.controls().set_fault_on(false);
    let detail = engine.live().detail();
    let mut editor = Headless::new(params, engine.clone(), (EDITOR_SIZE.0 as f32, 1020.0));
    let image = editor.render(&detail);
    let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    let mut png = png::Encoder::new(file, image.width as u32, image.height as u32);
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()?.write_image_data(&image.rgba)?;
    for m in &detail.book.machines {
        println!(
            "{}: {} normal, {} fault windows, AUC mse {:?}",
            m.machine, m.normal_windows, m.fault_windows, m.auc_mse
        );
    }
    println!("wrote {out} ({}×{})", image.width, image.height);
    Ok(())
}
