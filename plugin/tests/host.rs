//! The built `.clap` in a real CLAP host (clack-host): descriptor and ports, parameters through
//! events, equivalence with the offline render, hostile input, state round trips and sample
//! rates. `cargo xtask test` also runs this file against a build with nice-plug's
//! `assert_process_allocs`, which aborts on any allocation inside `process`.

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use faultline::dataset::Audio;
use faultline::dsp::Rng;
use faultline::machine::MachineType;
use faultline::plan::{FaultPlan, PlanRequest, planner_by_name};
use std::collections::HashMap;
use std::path::PathBuf;

struct Shared;
impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct TestHost;
impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

#[path = "support/plugin_lib.rs"]
mod plugin_lib;

fn plugin_path() -> PathBuf {
    plugin_lib::path(false)
}

fn entry() -> PluginEntry {
    unsafe { PluginEntry::load(plugin_path()) }.expect("load the plugin")
}

const ID: &str = "audio.faultline.faultline";

fn instance(entry: &PluginEntry) -> PluginInstance<TestHost> {
    let info = HostInfo::new(
        "faultline-test",
        "faultline",
        "https://example.invalid",
        "1.0",
    )
    .unwrap();
    PluginInstance::<TestHost>::new(
        |_| Shared,
        |_| (),
        entry,
        &std::ffi::CString::new(ID).unwrap(),
        &info,
    )
    .expect("instantiate")
}

fn param_ids(plugin: &mut PluginInstance<TestHost>) -> HashMap<String, ClapId> {
    let handle = plugin.plugin_handle();
    let params: PluginParams = handle.get_extension().expect("params extension");
    let mut buf = ParamInfoBuffer::new();
    (0..params.count(&handle))
        .map(|i| {
            let info = params.get_info(&handle, i, &mut buf).unwrap();
            (String::from_utf8_lossy(info.name).into_owned(), info.id)
        })
        .collect()
}

/// nice-plug's CLAP state: a little-endian u64 length, then the JSON.
fn state_json(bytes: &[u8]) -> serde_json::Value {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + len]).expect("nice-plug state is JSON")
}

fn state_bytes(json: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).unwrap();
    let mut out = (body.len() as u64).to_le_bytes().to_vec();
    out.extend(body);
    out
}

fn save_state(plugin: &mut PluginInstance<TestHost>) -> Vec<u8> {
    let handle = plugin.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    let mut out = Vec::new();
    state.save(&handle, &mut out).expect("save state");
    out
}

fn load_state(plugin: &mut PluginInstance<TestHost>, bytes: &[u8]) {
    let handle = plugin.plugin_handle();
    let state: PluginState = handle.get_extension().expect("state extension");
    state.load(&handle, &mut &bytes[..]).expect("load state");
}

/// The plan in the plugin's saved state, as a host would save it now.
fn saved_plan(plugin: &mut PluginInstance<TestHost>) -> Option<FaultPlan> {
    let text = state_json(&save_state(plugin))["fields"]["plan"]
        .as_str()
        .map(str::to_string)?;
    serde_json::from_str::<Option<FaultPlan>>(&text).unwrap()
}

/// A saved state with a plan and parameter values put in (how a host restores a project).
fn state_with(
    plugin: &mut PluginInstance<TestHost>,
    plan: &FaultPlan,
    params: &[(&str, serde_json::Value)],
) -> Vec<u8> {
    let mut state = state_json(&save_state(plugin));
    state["fields"]["plan"] =
        serde_json::Value::String(serde_json::to_string(&Some(plan)).unwrap());
    for (id, v) in params {
        state["params"][*id] = v.clone();
    }
    state_bytes(&state)
}

/// Processes stereo input in blocks (sizes from `blocks`), with events at given block indices.
fn run(
    plugin: &mut PluginInstance<TestHost>,
    rate: f64,
    max_block: u32,
    input: &[Vec<f32>; 2],
    blocks: &mut dyn FnMut() -> usize,
    events: &[(usize, ClapId, f64)],
) -> [Vec<f32>; 2] {
    run_with(
        plugin,
        rate,
        max_block,
        input,
        blocks,
        events,
        &mut |_, _| {},
    )
}

/// The host's transport for block k: `None` stopped, `Some(seconds)` playing at that position.
type Timeline<'a> = &'a dyn Fn(usize) -> Option<f64>;

fn transport_at(
    timeline: Option<Timeline<'_>>,
    k: usize,
) -> Option<clack_host::events::event_types::TransportEvent> {
    use clack_host::events::event_types::{TransportEvent, TransportFlags};
    let seconds = timeline?(k);
    let flags = if seconds.is_some() {
        TransportFlags::IS_PLAYING | TransportFlags::HAS_SECONDS_TIMELINE
    } else {
        TransportFlags::empty()
    };
    let mut t = TransportEvent {
        header: clack_host::events::EventHeader::new_core(
            0,
            clack_host::events::EventFlags::empty(),
        ),
        flags,
        song_pos_beats: Default::default(),
        song_pos_seconds: Default::default(),
        tempo: 120.0,
        tempo_inc: 0.0,
        loop_start_beats: Default::default(),
        loop_end_beats: Default::default(),
        loop_start_seconds: Default::default(),
        loop_end_seconds: Default::default(),
        bar_start: Default::default(),
        bar_number: 0,
        time_signature_numerator: 4,
        time_signature_denominator: 4,
    };
    if let Some(s) = seconds {
        t.song_pos_seconds = clack_host::utils::SecondsTime::from_float(s);
    }
    Some(t)
}

/// `run`, calling `between(k, plugin)` on the main thread before block k (a host loading a
/// project state while the plugin is active and processing).
fn run_with(
    plugin: &mut PluginInstance<TestHost>,
    rate: f64,
    max_block: u32,
    input: &[Vec<f32>; 2],
    blocks: &mut dyn FnMut() -> usize,
    events: &[(usize, ClapId, f64)],
    between: &mut dyn FnMut(usize, &mut PluginInstance<TestHost>),
) -> [Vec<f32>; 2] {
    run_timed(
        plugin, rate, max_block, input, blocks, events, between, None,
    )
}

/// `run_with`, giving the plugin the host transport of `timeline` for each block.
#[allow(clippy::too_many_arguments)]
fn run_timed(
    plugin: &mut PluginInstance<TestHost>,
    rate: f64,
    max_block: u32,
    input: &[Vec<f32>; 2],
    blocks: &mut dyn FnMut() -> usize,
    events: &[(usize, ClapId, f64)],
    between: &mut dyn FnMut(usize, &mut PluginInstance<TestHost>),
    timeline: Option<Timeline<'_>>,
) -> [Vec<f32>; 2] {
    let config = PluginAudioConfiguration {
        sample_rate: rate,
        min_frames_count: 1,
        max_frames_count: max_block,
    };
    let processor = plugin.activate(|_, _| (), config).expect("activate");
    let mut processor = processor.start_processing().expect("start processing");
    let len = input[0].len();
    let mut out = [Vec::with_capacity(len), Vec::with_capacity(len)];
    let (mut in_ports, mut out_ports) = (
        AudioPorts::with_capacity(2, 1),
        AudioPorts::with_capacity(2, 1),
    );
    let mut ins = [
        vec![0.0f32; max_block as usize],
        vec![0.0f32; max_block as usize],
    ];
    let mut outs = [
        vec![0.0f32; max_block as usize],
        vec![0.0f32; max_block as usize],
    ];
    let mut out_events = EventBuffer::new();
    let (mut pos, mut k) = (0, 0);
    while pos < len {
        between(k, plugin);
        let n = blocks().clamp(1, max_block as usize).min(len - pos);
        for c in 0..2 {
            ins[c][..n].copy_from_slice(&input[c][pos..pos + n]);
        }
        let evs: Vec<ParamValueEvent> = events
            .iter()
            .filter(|e| e.0 == k)
            .map(|e| ParamValueEvent::new(0, e.1, Pckn::match_all(), e.2))
            .collect();
        let in_events = InputEvents::from_buffer(&evs);
        let mut output_events = OutputEvents::from_buffer(&mut out_events);
        let input_audio = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                ins.iter_mut().map(|b| InputChannel::variable(&mut b[..n])),
            ),
        }]);
        let mut output_audio = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(outs.iter_mut().map(|b| &mut b[..n])),
        }]);
        let transport = transport_at(timeline, k);
        processor
            .process(
                &input_audio,
                &mut output_audio,
                &in_events,
                &mut output_events,
                None,
                transport.as_ref(),
            )
            .expect("process");
        for c in 0..2 {
            out[c].extend_from_slice(&outs[c][..n]);
        }
        pos += n;
        k += 1;
    }
    plugin.deactivate(processor.stop_processing());
    out
}

fn clip(rate: u32, seconds: f32) -> [Vec<f32>; 2] {
    let x = faultline::synth::normal_clip(MachineType::Pump, seconds, rate, 4);
    [x.clone(), x.iter().map(|v| -0.8 * v).collect()]
}

fn plan() -> FaultPlan {
    let request = PlanRequest {
        machine: "pump".into(),
        attributes: vec![],
        fault: "squeak, rattle and hum".into(),
        seed: 42,
    };
    planner_by_name("keyword").unwrap().plan(&request).unwrap()
}

#[test]
fn descriptor_ports_and_latency() {
    let entry = entry();
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let d = factory
        .plugin_descriptors()
        .find(|d| d.id().is_some_and(|i| i.to_bytes() == ID.as_bytes()))
        .expect("descriptor");
    assert_eq!(d.name().unwrap().to_bytes(), b"Faultline");
    let features: Vec<String> = d
        .features()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    assert!(features.iter().any(|f| f == "audio-effect"), "{features:?}");
    let mut plugin = instance(&entry);
    let handle = plugin.plugin_handle();
    let ports: PluginAudioPorts = handle.get_extension().expect("audio ports");
    assert_eq!(
        (ports.count(&handle, true), ports.count(&handle, false)),
        (1, 1)
    );
    let mut buf = AudioPortInfoBuffer::new();
    assert_eq!(
        ports
            .get(&handle, 0, false, &mut buf)
            .unwrap()
            .channel_count,
        2
    );
    let ids = param_ids(&mut plugin);
    for name in ["Machine", "Fault on", "Intensity", "Mix", "Bypass", "Score"] {
        assert!(ids.contains_key(name), "parameter {name} missing: {ids:?}");
    }
    let config = PluginAudioConfiguration {
        sample_rate: 48_000.0,
        min_frames_count: 1,
        max_frames_count: 512,
    };
    let p = plugin.activate(|_, _| (), config).unwrap();
    let handle = plugin.plugin_handle();
    if let Some(latency) = handle.get_extension::<PluginLatency>() {
        assert_eq!(latency.get(&handle), 0);
    }
    plugin.deactivate(p);
}

/// What a CLAP host shows for the choices: `Machine` and `Score` give their names as value text
/// for every step, and the names parse back to the same values (a host's text entry).
#[test]
fn choices_have_value_text_that_parses_back() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let ids = param_ids(&mut plugin);
    let handle = plugin.plugin_handle();
    let params: PluginParams = handle.get_extension().expect("params extension");
    let names = |id: ClapId, steps: usize| -> Vec<String> {
        (0..steps)
            .map(|i| {
                let mut buf = [0u8; 256];
                let text = params
                    .value_to_text(&handle, id, i as f64, &mut buf)
                    .expect("value text");
                let text = String::from_utf8_lossy(text).into_owned();
                let c = std::ffi::CString::new(text.clone()).unwrap();
                // nice-plug goes through the f32 normalized value: 1.0000000447 for "pump".
                let back = params.text_to_value(&handle, id, &c).expect("text parses");
                assert!((back - i as f64).abs() < 1e-6, "{text} -> {back}");
                text
            })
            .collect()
    };
    let machines: Vec<String> = MachineType::ALL
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    assert_eq!(names(ids["Machine"], MachineType::ALL.len()), machines);
    assert_eq!(names(ids["Score"], 2), ["mse", "mahalanobis"]);
}

#[test]
fn matches_the_offline_render_and_follows_parameter_events() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let ids = param_ids(&mut plugin);
    let plan = plan();
    let state = state_with(
        &mut plugin,
        &plan,
        &[("fault", serde_json::json!({"bool": true}))],
    );
    load_state(&mut plugin, &state);
    let input = clip(48_000, 4.0);
    let mut rng = Rng::new(7);
    let half = input[0].len() / 2;
    // Fault on from the start; at block 200 (about 2 s in) the host turns it off.
    let mut sizes = Vec::new();
    let mut blocks = || {
        let n = 1 + rng.below(1024);
        sizes.push(n);
        n
    };
    let out = run(
        &mut plugin,
        48_000.0,
        1024,
        &input,
        &mut blocks,
        &[(200, ids["Fault on"], 0.0)],
    );
    let offline = faultline::offline::apply_plan(
        &plan,
        Audio {
            sample_rate: 48_000,
            channels: input.to_vec(),
        },
    )
    .unwrap();
    let switch: usize = sizes[..200].iter().sum();
    assert!(
        switch > half / 4 && switch < input[0].len() - 48_000,
        "switch at {switch}"
    );
    for c in 0..2 {
        assert_eq!(
            out[c][..switch],
            offline.channels[c][..switch],
            "channel {c}: fault on equals the offline render"
        );
        // 10 ms after the event the output is the dry input, exactly.
        assert_eq!(
            out[c][switch + 480..],
            input[c][switch + 480..],
            "channel {c}: fault off is dry"
        );
    }
    assert_ne!(out[0][..switch], input[0][..switch]);
}

#[test]
fn hostile_input_gives_finite_output() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let state = state_with(
        &mut plugin,
        &plan(),
        &[("fault", serde_json::json!({"bool": true}))],
    );
    load_state(&mut plugin, &state);
    let mut rng = Rng::new(3);
    let n = 48_000;
    let hostile: Vec<f32> = (0..n)
        .map(|i| match i % 50 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => 1e-42,
            4 => f32::MAX,
            _ => 0.5 * rng.bipolar(),
        })
        .collect();
    let input = [hostile.clone(), hostile];
    let mut blocks = || 1 + rng.below(512);
    let out = run(&mut plugin, 48_000.0, 512, &input, &mut blocks, &[]);
    for c in &out {
        assert!(c.iter().all(|v| v.is_finite()), "non-finite output");
        assert!(c.iter().any(|v| *v != 0.0));
    }
}

#[test]
fn state_round_trip_restores_the_same_sound() {
    let entry = entry();
    let input = clip(44_100, 2.0);
    let mut first = instance(&entry);
    let ids = param_ids(&mut first);
    let state = state_with(
        &mut first,
        &plan(),
        &[
            ("fault", serde_json::json!({"bool": true})),
            ("intens", serde_json::json!({"f32": 0.6})),
            ("mix", serde_json::json!({"f32": 0.8})),
        ],
    );
    load_state(&mut first, &state);
    let a = run(&mut first, 44_100.0, 256, &input, &mut || 256, &[]);
    let saved = save_state(&mut first);
    let json = state_json(&saved);
    assert!(
        json["fields"]["plan"]
            .as_str()
            .is_some_and(|p| p.contains("squeak")),
        "plan in the saved state"
    );
    assert_eq!(json["params"]["intens"], serde_json::json!({"f32": 0.6}));

    let mut second = instance(&entry);
    load_state(&mut second, &saved);
    let b = run(&mut second, 44_100.0, 256, &input, &mut || 256, &[]);
    assert_eq!(a, b, "same state, same input, same output");
    // The mix and intensity came back too: the output is neither dry nor the full fault.
    assert_ne!(a[0], input[0]);
    let _ = ids;
}

#[test]
fn runs_at_every_sample_rate() {
    let entry = entry();
    for rate in [
        22_050u32, 32_000, 44_100, 48_000, 88_200, 96_000, 176_400, 192_000,
    ] {
        let mut plugin = instance(&entry);
        let state = state_with(
            &mut plugin,
            &plan(),
            &[("fault", serde_json::json!({"bool": true}))],
        );
        load_state(&mut plugin, &state);
        let input = clip(rate, 1.0);
        let mut rng = Rng::new(rate as u64);
        let mut blocks = || 1 + rng.below(2048);
        let out = run(&mut plugin, rate as f64, 2048, &input, &mut blocks, &[]);
        let offline = faultline::offline::apply_plan(
            &plan(),
            Audio {
                sample_rate: rate,
                channels: input.to_vec(),
            },
        )
        .unwrap();
        assert_eq!(out[0], offline.channels[0], "{rate} Hz");
    }
}

#[test]
fn a_saved_plan_that_no_longer_builds_passes_audio_through() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let mut broken = plan();
    broken.steps[0].function = "explode".into();
    let state = state_with(
        &mut plugin,
        &broken,
        &[("fault", serde_json::json!({"bool": true}))],
    );
    load_state(&mut plugin, &state);
    let input = clip(48_000, 1.0);
    let out = run(&mut plugin, 48_000.0, 512, &input, &mut || 512, &[]);
    assert_eq!(out, input, "activation succeeds and the audio is untouched");
}

/// Random block sizes 1..=max (seeded) adding up to at least `len` samples.
fn random_blocks(seed: u64, max: usize, len: usize) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    let mut sizes = Vec::new();
    while sizes.iter().sum::<usize>() < len {
        sizes.push(1 + rng.below(max));
    }
    sizes
}

/// Samples the engine takes to crossfade to a new chain (`CROSSFADE_SECONDS` at 48 kHz).
const FADE: usize = 960;

#[test]
fn a_state_loaded_while_active_plays_after_the_crossfade() {
    let entry = entry();
    let mut plugin = instance(&entry);
    // The session starts with Fault off and no plan: dry.
    let plan = plan();
    let with_plan = state_with(
        &mut plugin,
        &plan,
        &[("fault", serde_json::json!({"bool": true}))],
    );
    let input = clip(48_000, 3.0);
    let sizes = random_blocks(9, 700, input[0].len());
    let mut next = sizes.iter().copied();
    let mut blocks = || next.next().expect("enough block sizes");
    // The host reopens the project's state while the plugin runs, before block 120.
    let out = run_with(
        &mut plugin,
        48_000.0,
        1024,
        &input,
        &mut blocks,
        &[],
        &mut |k, p| {
            if k == 120 {
                load_state(p, &with_plan)
            }
        },
    );
    let t0: usize = sizes[..120].iter().sum();
    for c in 0..2 {
        assert_eq!(
            out[c][..t0],
            input[c][..t0],
            "channel {c}: dry before the load"
        );
    }
    // From the block after the load the new chain runs on the input from there, joining the
    // (free-running) timeline at sample t0: after the crossfade (and Fault on's ramp, shorter)
    // the output is the plan's chain sought to t0 run over that stretch, sample for sample.
    let mut tail: Vec<Vec<f32>> = input.iter().map(|c| c[t0..].to_vec()).collect();
    let mut chain = plan.chain().unwrap();
    chain.prepare(48_000.0, 4096, 2);
    chain.seek(t0 as i64);
    chain.process(
        &mut tail
            .iter_mut()
            .map(|c| c.as_mut_slice())
            .collect::<Vec<_>>(),
    );
    for (c, (got, want)) in out.iter().zip(&tail).enumerate() {
        assert_eq!(
            got[t0 + FADE..],
            want[FADE..],
            "channel {c}: the loaded plan plays"
        );
    }
    // And the plugin says so when asked for its state.
    assert!(
        state_json(&save_state(&mut plugin))["fields"]["plan"]
            .as_str()
            .is_some_and(|p| p.contains("squeak"))
    );
}

#[test]
fn a_state_without_a_plan_loaded_while_a_plan_plays_returns_to_dry() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let plan = plan();
    let with_plan = state_with(
        &mut plugin,
        &plan,
        &[("fault", serde_json::json!({"bool": true}))],
    );
    load_state(&mut plugin, &with_plan);
    let mut without = state_json(&with_plan);
    without["fields"]["plan"] = serde_json::Value::String("null".into());
    let without = state_bytes(&without);
    let input = clip(48_000, 3.0);
    let sizes = random_blocks(10, 700, input[0].len());
    let mut next = sizes.iter().copied();
    let mut blocks = || next.next().expect("enough block sizes");
    let out = run_with(
        &mut plugin,
        48_000.0,
        1024,
        &input,
        &mut blocks,
        &[],
        &mut |k, p| {
            if k == 150 {
                load_state(p, &without)
            }
        },
    );
    let t0: usize = sizes[..150].iter().sum();
    let offline = faultline::offline::apply_plan(
        &plan,
        Audio {
            sample_rate: 48_000,
            channels: input.to_vec(),
        },
    )
    .unwrap();
    for c in 0..2 {
        assert_eq!(
            out[c][..t0],
            offline.channels[c][..t0],
            "channel {c}: the plan plays before the load"
        );
        assert_eq!(
            out[c][t0 + FADE..],
            input[c][t0 + FADE..],
            "channel {c}: exactly dry after the crossfade"
        );
    }
    assert_ne!(
        out[0][t0..t0 + FADE],
        input[0][t0..t0 + FADE],
        "a crossfade, not a cut"
    );
    assert_eq!(
        state_json(&save_state(&mut plugin))["fields"]["plan"],
        "null"
    );
}

#[test]
fn fault_on_without_a_plan_plays_the_machines_default_plan_and_it_follows_the_machine() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let ids = param_ids(&mut plugin);
    let index = |m: MachineType| MachineType::ALL.iter().position(|x| *x == m).unwrap() as i64;
    let mut s = state_json(&save_state(&mut plugin));
    s["params"]["machine"] = serde_json::json!({"i32": index(MachineType::Valve)});
    load_state(&mut plugin, &state_bytes(&s));
    let input = clip(48_000, 3.0);
    let mut sizes = Vec::new();
    let mut blocks = || {
        sizes.push(512);
        512
    };
    let mut seen = Vec::new();
    // The host turns Fault on at block 10 with no plan; the plan is made on nice-plug's background
    // thread: give it time before blocks 20 and 200. At block 150 the host switches Machine.
    let events = [
        (10, ids["Fault on"], 1.0),
        (150, ids["Machine"], index(MachineType::Fan) as f64),
    ];
    let out = run_with(
        &mut plugin,
        48_000.0,
        512,
        &input,
        &mut blocks,
        &events,
        &mut |k, p| {
            if k == 20 || k == 200 {
                std::thread::sleep(std::time::Duration::from_millis(400));
                seen.push(saved_plan(p).expect("a plan"));
            }
        },
    );
    let (a, b) = (seen[0].clone(), seen[1].clone());
    assert_eq!(a.machine, "valve");
    assert_eq!(a.provenance.planner, "keyword");
    assert!(
        a.provenance.notes[0].starts_with("default plan"),
        "{:?}",
        a.provenance.notes
    );
    assert!(
        a.caption.contains(MachineType::Valve.typical_fault()),
        "{}",
        a.caption
    );
    assert_eq!(b.machine, "fan", "a default plan follows Machine");
    // Sound: dry until Fault on and the plan (before block 20), the fault after it.
    let t20 = 20 * 512;
    assert_eq!(out[0][..10 * 512], input[0][..10 * 512]);
    assert_ne!(
        out[0][t20 + FADE..t20 + FADE + 48_000],
        input[0][t20 + FADE..t20 + FADE + 48_000]
    );
}

#[test]
fn a_user_plans_orders_follow_the_machine_parameter_and_its_hz_stay_put_otherwise() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let ids = param_ids(&mut plugin);
    let index = |m: MachineType| MachineType::ALL.iter().position(|x| *x == m).unwrap() as i64;
    // A user's plan for a bearing at 1800 rpm: an outer-race knock at BPFO (an order).
    let plan = faultline::plan::planner_by_name("keyword")
        .unwrap()
        .plan(&faultline::plan::PlanRequest {
            machine: "bearing".into(),
            attributes: vec![("rpm".into(), "1800".into())],
            fault: "outer race defect".into(),
            seed: 4,
        })
        .unwrap();
    let order = plan.steps[0].arguments["rate_order"].as_f64().unwrap();
    assert_eq!(plan.shaft_hz, Some(30.0));
    let bytes = state_with(
        &mut plugin,
        &plan,
        &[
            (
                "machine",
                serde_json::json!({"i32": index(MachineType::Bearing)}),
            ),
            ("fault", serde_json::json!({"bool": true})),
        ],
    );
    load_state(&mut plugin, &bytes);
    let input = clip(48_000, 2.0);
    let mut blocks = || 512;
    let mut seen = Vec::new();
    // Block 40: the host sets Machine to pump; the plan thread moves the plan.
    let events = [(40, ids["Machine"], index(MachineType::Pump) as f64)];
    run_with(
        &mut plugin,
        48_000.0,
        512,
        &input,
        &mut blocks,
        &events,
        &mut |k, p| {
            if k == 30 || k == 120 {
                std::thread::sleep(std::time::Duration::from_millis(400));
                seen.push(saved_plan(p).expect("a plan"));
            }
        },
    );
    let knock_hz = |p: &FaultPlan| p.steps[0].arguments["rate_hz"].as_f64().unwrap();
    // Before the change the user's plan is untouched (its 1800 rpm, not the type's typical).
    assert_eq!(seen[0], plan);
    assert!((knock_hz(&seen[0]) - order * 30.0).abs() < 0.01);
    // After it: the same order at the pump's typical 2900 rpm, saved, and said in the notes.
    let pump = faultline::kinematics::Kinematics::typical(MachineType::Pump)
        .shaft_hz
        .unwrap();
    let moved = &seen[1];
    assert_eq!(moved.shaft_hz, Some(pump));
    assert_eq!(moved.machine, "pump");
    assert!(
        (knock_hz(moved) - (order * pump).min(300.0)).abs() < 0.01,
        "{} vs {}",
        knock_hz(moved),
        order * pump
    );
    assert_eq!(
        moved.steps[0].arguments["rate_order"],
        plan.steps[0].arguments["rate_order"]
    );
    assert!(
        moved
            .provenance
            .notes
            .iter()
            .any(|n| n.contains("followed Machine = pump")),
        "{:?}",
        moved.provenance.notes
    );
    assert_eq!(moved.seed, plan.seed);
}

#[test]
fn bounces_of_the_same_range_are_identical_and_a_jump_restarts_the_fault() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let state = state_with(
        &mut plugin,
        &plan(),
        &[("fault", serde_json::json!({"bool": true}))],
    );
    load_state(&mut plugin, &state);
    const BLOCK: usize = 480;
    // Blocks: 50 stopped (the plugin runs free), 100 playing from 0 s, 100 after a jump back to
    // 0 s, 30 stopped, 100 playing from 0 s again — the same stretch of music three times.
    let take = faultline::synth::normal_clip(MachineType::Pump, 1.0, 48_000, 4);
    let before = faultline::synth::normal_clip(MachineType::Fan, 0.5, 48_000, 5);
    let gap = vec![0.0f32; 30 * BLOCK];
    let mono: Vec<f32> = [&before[..], &take, &take, &gap, &take].concat();
    let input = [mono.clone(), mono.iter().map(|v| 0.5 * v).collect()];
    let timeline = |k: usize| -> Option<f64> {
        let seconds = |j: usize| (j * BLOCK) as f64 / 48_000.0;
        match k {
            0..50 => None,
            50..150 => Some(seconds(k - 50)),
            150..250 => Some(seconds(k - 150)),
            250..280 => None,
            _ => Some(seconds(k - 280)),
        }
    };
    let out = run_timed(
        &mut plugin,
        48_000.0,
        BLOCK as u32,
        &input,
        &mut || BLOCK,
        &[],
        &mut |_, _| {},
        Some(&timeline),
    );
    let section = |from_block: usize| &out[0][from_block * BLOCK..from_block * BLOCK + take.len()];
    assert_ne!(section(50), &take[..], "the fault plays");
    assert_eq!(
        section(50),
        section(280),
        "two bounces of the same range, sample for sample"
    );
    assert_eq!(
        section(50),
        section(150),
        "a jump back restarts the fault from the same state"
    );
}

#[test]
fn a_render_started_at_bar_5_matches_the_same_range_of_one_from_bar_1() {
    let entry = entry();
    let mut plugin = instance(&entry);
    // Every kind of random stream and phase: Poisson impacts and dropouts, a periodic knock,
    // squeak bursts, hum, a swing, and noise.
    let mut plan = plan();
    let more = PlanRequest {
        machine: "pump".into(),
        attributes: vec![],
        fault: "knocking, hum and a wobble".into(),
        seed: 8,
    };
    plan.steps.extend(
        planner_by_name("keyword")
            .unwrap()
            .plan(&more)
            .unwrap()
            .steps,
    );
    let more = PlanRequest {
        machine: "pump".into(),
        attributes: vec![],
        fault: "dropouts and hiss".into(),
        seed: 9,
    };
    plan.steps.extend(
        planner_by_name("keyword")
            .unwrap()
            .plan(&more)
            .unwrap()
            .steps,
    );
    let functions: Vec<&str> = plan.steps.iter().map(|s| s.function.as_str()).collect();
    assert!(functions.len() >= 7, "{functions:?}");
    let state = state_with(
        &mut plugin,
        &plan,
        &[("fault", serde_json::json!({"bool": true}))],
    );
    const BLOCK: usize = 512;
    let rate = 48_000.0;
    // Bar 5 at 120 BPM in 4/4 is 8 s in; 11 s of music (3 s after bar 5: 1.5 s to settle,
    // 1.5 s compared).
    let music = clip(48_000, 11.0);
    let bar5 = 8 * 48_000;
    let mut from = |start: usize| -> [Vec<f32>; 2] {
        load_state(&mut plugin, &state);
        let input = [music[0][start..].to_vec(), music[1][start..].to_vec()];
        let timeline = move |k: usize| Some((start + k * BLOCK) as f64 / rate);
        run_timed(
            &mut plugin,
            rate,
            BLOCK as u32,
            &input,
            &mut || BLOCK,
            &[],
            &mut |_, _| {},
            Some(&timeline),
        )
    };
    let bar1 = from(0);
    let late = from(bar5);
    assert_ne!(&bar1[0][bar5..], &music[0][bar5..], "the fault plays");
    // The chain's memory — the additive faults' level follower (200 ms) and the filters — is
    // the only difference; after 1.5 s the renders agree to −60 dB of the peak.
    let settle = 72_000;
    let peak = bar1[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for c in 0..2 {
        let worst = late[c][settle..]
            .iter()
            .zip(&bar1[c][bar5 + settle..])
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-3 * peak, "channel {c}: {worst} (peak {peak})");
    }
    // Right after the start they differ (the level follower starts empty), as documented.
    let early = late[0][..4800]
        .iter()
        .zip(&bar1[0][bar5..])
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(early > 1e-3 * peak, "{early}");
}

/// The Comp chunk of a `.vstpreset`, read by the VST3 SDK's layout (header, chunk list).
fn vstpreset_component(file: &[u8], class_id: &str) -> Vec<u8> {
    let i64_at = |at: usize| i64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
    assert_eq!(&file[..4], b"VST3");
    assert_eq!(
        i32::from_le_bytes(file[4..8].try_into().unwrap()),
        1,
        "format version"
    );
    assert_eq!(std::str::from_utf8(&file[8..40]).unwrap(), class_id);
    let list = i64_at(40);
    assert_eq!(&file[list..list + 4], b"List");
    let entries = i32::from_le_bytes(file[list + 4..list + 8].try_into().unwrap()) as usize;
    (0..entries)
        .map(|e| list + 8 + e * 20)
        .find(|&at| &file[at..at + 4] == b"Comp")
        .map(|at| file[i64_at(at + 4)..i64_at(at + 4) + i64_at(at + 12)].to_vec())
        .expect("a Comp chunk")
}

#[test]
fn every_factory_preset_loads_and_plays_its_machines_typical_faults() {
    use faultline_plugin::presets::{preset_plan, write_presets};
    use nice_plug::prelude::Vst3Plugin;
    let dir = std::env::temp_dir().join(format!("faultline-presets-{}", std::process::id()));
    let files = write_presets(&dir, faultline_plugin::Faultline::VST3_CLASS_ID).unwrap();
    assert_eq!(files.len(), 2 * MachineType::ALL.len());
    let class_id: String = faultline_plugin::Faultline::VST3_CLASS_ID
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let entry = entry();
    let input = clip(48_000, 1.0);
    for (k, machine) in MachineType::ALL.into_iter().enumerate() {
        let name = faultline_plugin::presets::preset_name(machine);
        let file = std::fs::read(dir.join(format!("{name}.vstpreset"))).unwrap();
        let component = vstpreset_component(&file, &class_id);
        assert_eq!(
            component,
            std::fs::read(dir.join(format!("{name}.json"))).unwrap(),
            "{name}: the same state in both files"
        );
        // VST3 streams carry nice-plug's JSON as it is, CLAP streams with its length before it.
        let mut plugin = instance(&entry);
        let mut clap_stream = (component.len() as u64).to_le_bytes().to_vec();
        clap_stream.extend(&component);
        load_state(&mut plugin, &clap_stream);
        let saved = state_json(&save_state(&mut plugin));
        assert_eq!(saved["params"]["machine"]["i32"], k as i64, "{name}");
        assert_eq!(saved["params"]["fault"]["bool"], true, "{name}");
        let plan: FaultPlan =
            serde_json::from_str::<Option<FaultPlan>>(saved["fields"]["plan"].as_str().unwrap())
                .unwrap()
                .unwrap();
        let want_plan = preset_plan(machine).unwrap();
        assert_eq!(
            (&plan.steps, plan.seed, &plan.provenance.notes),
            (
                &want_plan.steps,
                want_plan.seed,
                &want_plan.provenance.notes
            ),
            "{name}"
        );
        assert!(
            plan.caption.contains(machine.typical_fault()),
            "{name}: {}",
            plan.caption
        );
        // It plays: past Fault on's ramp, the output is the plan's chain over the input.
        let out = run(&mut plugin, 48_000.0, 512, &input, &mut || 512, &[]);
        let mut want: Vec<Vec<f32>> = input.to_vec();
        let mut chain = plan.chain().unwrap();
        chain.prepare(48_000.0, 512, 2);
        chain.process(
            &mut want
                .iter_mut()
                .map(|c| c.as_mut_slice())
                .collect::<Vec<_>>(),
        );
        assert_eq!(out[0][FADE..], want[0][FADE..], "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn random_and_mutated_states_never_crash_the_plugin_or_its_output() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let valid = state_with(
        &mut plugin,
        &plan(),
        &[("fault", serde_json::json!({"bool": true}))],
    );
    let input = clip(48_000, 0.05);
    let mut rng = Rng::new(23);
    let (mut loaded, mut refused) = (0, 0);
    for case in 0..200 {
        let mut bytes = valid.clone();
        match rng.below(4) {
            0 => {
                for _ in 0..1 + rng.below(6) {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            2 => {
                // Keep the length prefix right, break the JSON inside.
                let mut json = bytes[8..].to_vec();
                let i = 8 + rng.below(json.len().saturating_sub(8).max(1));
                json.splice(
                    i.min(json.len())..i.min(json.len()),
                    b"\"}]{,1e999".iter().copied().take(1 + rng.below(10)),
                );
                bytes = (json.len() as u64).to_le_bytes().to_vec();
                bytes.extend(json);
            }
            _ => bytes = (0..rng.below(64)).map(|_| rng.next_u32() as u8).collect(),
        }
        let handle = plugin.plugin_handle();
        let state: PluginState = handle.get_extension().expect("state extension");
        match state.load(&handle, &mut &bytes[..]) {
            Ok(()) => loaded += 1,
            Err(_) => refused += 1,
        }
        if case % 40 == 0 {
            let out = run(&mut plugin, 48_000.0, 256, &input, &mut || 256, &[]);
            assert!(
                out.iter().flatten().all(|v| v.is_finite()),
                "case {case}: non-finite output"
            );
        }
    }
    assert!(
        loaded > 0 && refused > 50,
        "{loaded} loaded, {refused} refused"
    );
}
