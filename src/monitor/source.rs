//! Where the monitor's audio comes from: a WAV file played in a loop (in real time, or as fast as
//! analysis keeps up), or a cpal input device. Either way the source owns the engine's processor
//! and runs it block by block, setting the fault label from the schedule as it goes.

use super::schedule::Schedule;
use crate::dataset::Audio;
use crate::engine::{channel_slices, EngineState, Processor};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a source reports and what the monitor tells it.
#[derive(Debug, Default)]
pub struct SourceStatus {
    /// Frames processed so far.
    pub frames: AtomicU64,
    pub sample_rate: AtomicU32,
    /// The source has finished (duration reached, device gone, file done).
    pub ended: AtomicBool,
    pub error: Mutex<Option<String>>,
    /// The user took the fault label in hand: the schedule stops.
    pub manual: AtomicBool,
    pub stop: AtomicBool,
}

impl SourceStatus {
    pub fn seconds(&self) -> f64 {
        self.frames.load(Ordering::Relaxed) as f64
            / self.sample_rate.load(Ordering::Relaxed).max(1) as f64
    }

    pub fn fail(&self, message: String) {
        *self.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        self.ended.store(true, Ordering::Release);
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Runs the processor and applies the schedule: the one piece both sources share.
pub struct Driver {
    processor: Processor,
    schedule: Option<Schedule>,
    /// With no schedule, the label once armed.
    fault_when_armed: bool,
    status: Arc<SourceStatus>,
    armed_at: Option<u64>,
    duration: Option<u64>,
}

impl Driver {
    pub fn new(
        processor: Processor,
        schedule: Option<Schedule>,
        fault_when_armed: bool,
        status: Arc<SourceStatus>,
        duration: Option<Duration>,
    ) -> Self {
        let rate = processor.sample_rate() as f64;
        status.sample_rate.store(rate as u32, Ordering::Relaxed);
        let duration = duration.map(|d| (d.as_secs_f64() * rate) as u64);
        Self {
            processor,
            schedule,
            fault_when_armed,
            status,
            armed_at: None,
            duration,
        }
    }

    /// Frames left before the requested duration (`usize::MAX` without one).
    fn remaining(&self) -> usize {
        self.duration.map_or(usize::MAX, |d| {
            d.saturating_sub(self.status.frames.load(Ordering::Relaxed)) as usize
        })
    }

    /// Processes the first `frames` of each planar buffer in place (at most `MAX_CHANNELS`).
    pub fn process_planar(&mut self, bufs: &mut [Vec<f32>], frames: usize) {
        let n = bufs.len().min(crate::engine::MAX_CHANNELS);
        self.process(&mut channel_slices(&mut bufs[..n], 0..frames)[..n]);
    }

    /// Processes one block in place. Allocation-free: it runs in device callbacks. The schedule
    /// starts with the first block scored by a model (after learning, if any).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let frames = self.status.frames.load(Ordering::Relaxed);
        let armed =
            self.armed_at.is_some() || self.processor.engine_state() == EngineState::Scoring;
        if armed && !self.status.manual.load(Ordering::Relaxed) {
            let start = *self.armed_at.get_or_insert(frames);
            let label = match &self.schedule {
                Some(s) => s.fault_at(Duration::from_secs_f64(
                    (frames - start) as f64 / self.processor.sample_rate() as f64,
                )),
                None => self.fault_when_armed,
            };
            self.processor.controls().set_fault_on(label);
        }
        self.processor.process(channels);
        let n = channels.first().map_or(0, |c| c.len()) as u64;
        self.status.frames.store(frames + n, Ordering::Relaxed);
        if self.remaining() == 0 {
            self.status.ended.store(true, Ordering::Release);
        }
    }
}

/// Plays `audio` in a loop through the driver on its own thread. In real time the blocks are
/// paced by the clock; with `fast` they go as quickly as the analysis queue has room.
pub fn spawn_loop(audio: Audio, mut driver: Driver, fast: bool) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("faultline-loop".into())
        .spawn(move || {
            let rate = audio.sample_rate as usize;
            let block = (rate / 100).max(1);
            let len = audio.frames();
            let mut bufs = vec![vec![0.0f32; block]; audio.channels.len()];
            let status = driver.status.clone();
            let started = Instant::now();
            let mut pos = 0usize;
            while !status.stop.load(Ordering::Relaxed) && !status.ended.load(Ordering::Acquire) {
                let n = block.min(driver.remaining());
                if fast {
                    // Stay within half a second of the analysis (it polls every few ms), and wait
                    // while a learned model trains: simulated time then matches real time closely.
                    while (driver.processor.tap_backlog() > rate / 2
                        || driver.processor.engine_state() == EngineState::Training)
                        && !status.stop.load(Ordering::Relaxed)
                    {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                } else {
                    let due = started
                        + Duration::from_secs_f64(
                            status.frames.load(Ordering::Relaxed) as f64 / rate as f64,
                        );
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
                for (buf, ch) in bufs.iter_mut().zip(&audio.channels) {
                    for (i, v) in buf[..n].iter_mut().enumerate() {
                        *v = ch[(pos + i) % len];
                    }
                }
                pos = (pos + n) % len;
                driver.process_planar(&mut bufs, n);
            }
            status.ended.store(true, Ordering::Release);
        })
        .expect("spawn the loop thread")
}

#[cfg(feature = "device")]
pub use device::*;

#[cfg(feature = "device")]
mod device {
    use super::*;
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
    use ringbuf::traits::{Consumer, Producer, Split};

    /// Largest device buffer handled in one piece (bigger ones are split).
    const MAX_FRAMES: usize = 8192;

    /// Input device names as `--device` accepts them.
    pub fn list_devices() -> anyhow::Result<Vec<String>> {
        let host = cpal::default_host();
        Ok(host.input_devices()?.map(|d| d.to_string()).collect())
    }

    fn find(name: Option<&str>, input: bool) -> anyhow::Result<cpal::Device> {
        let host = cpal::default_host();
        let kind = if input { "input" } else { "output" };
        match name {
            None => {
                let d = if input {
                    host.default_input_device()
                } else {
                    host.default_output_device()
                };
                d.ok_or_else(|| anyhow::anyhow!("no default {kind} device (is there a sound card? list them with --list-devices)"))
            }
            Some(name) => {
                let devices: Vec<cpal::Device> = if input {
                    host.input_devices()?.collect()
                } else {
                    host.output_devices()?.collect()
                };
                let names: Vec<String> = devices.iter().map(|d| d.to_string()).collect();
                devices
                    .into_iter()
                    .find(|d| {
                        d.to_string() == name || d.id().is_ok_and(|id| id.to_string() == name)
                    })
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "no {kind} device \"{name}\"; available: {}",
                            if names.is_empty() {
                                "none".into()
                            } else {
                                names.join(", ")
                            }
                        )
                    })
            }
        }
    }

    /// An open input device and its stream format.
    pub struct InputDevice {
        pub device: cpal::Device,
        pub name: String,
        pub config: cpal::SupportedStreamConfig,
    }

    pub fn open_input(name: Option<&str>) -> anyhow::Result<InputDevice> {
        let device = find(name, true)?;
        let config = device
            .default_input_config()
            .map_err(|e| anyhow::anyhow!("{device}: no usable input format: {e}"))?;
        Ok(InputDevice {
            name: device.to_string(),
            device,
            config,
        })
    }

    /// Running streams; dropping them stops the audio.
    pub struct Streams {
        _input: cpal::Stream,
        _output: Option<cpal::Stream>,
    }

    /// Starts capturing into the driver; with `passthrough`, the processed audio also plays on
    /// that output device (same rate and channel count, or an error naming the mismatch).
    pub fn start_input(
        input: &InputDevice,
        mut driver: Driver,
        passthrough: Option<Option<&str>>,
    ) -> anyhow::Result<Streams> {
        let channels = input.config.channels() as usize;
        let config: cpal::StreamConfig = input.config.config();
        let status = driver.status.clone();
        let mut output = None;
        let mut monitor_tx = None;
        if let Some(out_name) = passthrough {
            let device = find(out_name, false)?;
            let (tx, mut rx) =
                ringbuf::HeapRb::<f32>::new(config.sample_rate as usize * channels / 2).split();
            monitor_tx = Some(tx);
            let status = status.clone();
            let stream = device
                .build_output_stream::<f32, _, _>(
                    config,
                    move |data: &mut [f32], _| {
                        let got = rx.pop_slice(data);
                        data[got..].fill(0.0);
                    },
                    move |e| status.fail(format!("output device: {e}")),
                    None,
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{device}: cannot play {} Hz, {channels} channels: {e}",
                        config.sample_rate
                    )
                })?;
            stream.play()?;
            output = Some(stream);
        }
        let mut planar = vec![vec![0.0f32; MAX_FRAMES]; channels];
        let mut interleaved = vec![0.0f32; MAX_FRAMES * channels];
        let mut run = move |data: &[f32]| {
            for chunk in data.chunks(MAX_FRAMES * channels) {
                let frames = chunk.len() / channels;
                for (i, frame) in chunk.chunks_exact(channels).enumerate() {
                    for (c, v) in frame.iter().enumerate() {
                        planar[c][i] = *v;
                    }
                }
                driver.process_planar(&mut planar, frames);
                if let Some(tx) = monitor_tx.as_mut() {
                    for i in 0..frames {
                        for c in 0..channels {
                            interleaved[i * channels + c] = planar[c][i];
                        }
                    }
                    tx.push_slice(&interleaved[..frames * channels]);
                }
            }
        };
        let err_status = status.clone();
        let on_error = move |e: cpal::Error| err_status.fail(format!("input device: {e}"));
        let stream = match input.config.sample_format() {
            cpal::SampleFormat::F32 => input.device.build_input_stream::<f32, _, _>(
                config,
                move |d: &[f32], _| run(d),
                on_error,
                None,
            ),
            cpal::SampleFormat::I16 => {
                let mut scratch = vec![0.0f32; MAX_FRAMES * channels];
                input.device.build_input_stream::<i16, _, _>(
                    config,
                    move |d: &[i16], _| {
                        for chunk in d.chunks(scratch.len()) {
                            for (s, v) in scratch.iter_mut().zip(chunk) {
                                *s = *v as f32 / 32768.0;
                            }
                            run(&scratch[..chunk.len()]);
                        }
                    },
                    on_error,
                    None,
                )
            }
            other => anyhow::bail!(
                "{}: sample format {other:?} is not supported (f32 or i16)",
                input.name
            ),
        }
        .map_err(|e| anyhow::anyhow!("{}: cannot capture: {e}", input.name))?;
        stream
            .play()
            .map_err(|e| anyhow::anyhow!("{}: cannot start: {e}", input.name))?;
        Ok(Streams {
            _input: stream,
            _output: output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{build, AnalysisConfig};

    /// What device callbacks run — the driver with an armed schedule over the processor — never
    /// allocates, whatever the block size.
    #[test]
    fn the_driver_never_allocates() {
        let (mut processor, handle, mut analyzer) = build(AnalysisConfig::default());
        let request = crate::plan::PlanRequest {
            machine: "fan".into(),
            attributes: vec![],
            fault: "rattle and hum".into(),
            seed: 1,
        };
        handle
            .set_plan(
                crate::plan::planner_by_name("keyword")
                    .unwrap()
                    .plan(&request)
                    .unwrap(),
            )
            .unwrap();
        handle
            .prepare_processor(&mut processor, 48_000.0, 8192, 2)
            .unwrap();
        handle.set_model(crate::detect::untrained_model(&vec![0.01; 16_000], 1));
        analyzer.pump();
        let status = Arc::new(SourceStatus::default());
        let schedule = Schedule {
            off: Duration::from_millis(300),
            on: Duration::from_millis(200),
        };
        let mut driver = Driver::new(processor, Some(schedule), true, status.clone(), None);
        let mut bufs = vec![vec![0.0f32; 8192]; 2];
        let mut rng = crate::dsp::Rng::new(2);
        let mut labels = std::collections::HashSet::new();
        for _ in 0..60 {
            let n = 1 + rng.below(8192);
            bufs.iter_mut()
                .for_each(|b| b[..n].iter_mut().for_each(|v| *v = 0.1 * rng.bipolar()));
            assert_no_alloc::assert_no_alloc(|| driver.process_planar(&mut bufs, n));
            labels.insert(handle.controls().snapshot().fault_on);
            analyzer.pump();
        }
        assert_eq!(
            labels.len(),
            2,
            "the schedule switched the fault on and off"
        );
        assert!(status.frames.load(Ordering::Relaxed) > 48_000);
    }
}
