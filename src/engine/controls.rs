//! Continuous controls shared with the audio thread: plain atomics written by any thread, read
//! once per block by the processor, and ramped there so a change never clicks.

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// What a host, a GUI or a schedule sets. Every field is a lone atomic: no field depends on
/// another, so relaxed ordering is enough.
#[derive(Debug)]
pub struct Controls {
    /// The ground-truth label: the fault is applied (and windows are labelled anomalous).
    pub fault_on: AtomicBool,
    /// Scales every step's intensity, 0..1.
    pub intensity: AtomicF32,
    /// Wet/dry mix of the faulted signal, 0..1.
    pub mix: AtomicF32,
    /// Passes the input through untouched (and labels it normal).
    pub bypass: AtomicBool,
    /// Index into `MachineType::ALL` of the machine being played.
    pub machine: AtomicU8,
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            fault_on: AtomicBool::new(false),
            intensity: AtomicF32::new(1.0),
            mix: AtomicF32::new(1.0),
            bypass: AtomicBool::new(false),
            machine: AtomicU8::new(0),
        }
    }
}

impl Controls {
    pub fn set_fault_on(&self, on: bool) {
        self.fault_on.store(on, Ordering::Relaxed);
    }

    pub fn set_intensity(&self, v: f32) {
        self.intensity.store(sanitize_unit(v), Ordering::Relaxed);
    }

    pub fn set_mix(&self, v: f32) {
        self.mix.store(sanitize_unit(v), Ordering::Relaxed);
    }

    pub fn set_bypass(&self, on: bool) {
        self.bypass.store(on, Ordering::Relaxed);
    }

    pub fn set_machine(&self, index: usize) {
        self.machine.store(
            index.min(crate::machine::MachineType::ALL.len() - 1) as u8,
            Ordering::Relaxed,
        );
    }

    /// The values in force now.
    pub fn snapshot(&self) -> ControlValues {
        ControlValues {
            fault_on: self.fault_on.load(Ordering::Relaxed),
            intensity: self.intensity.load(Ordering::Relaxed),
            mix: self.mix.load(Ordering::Relaxed),
            bypass: self.bypass.load(Ordering::Relaxed),
            machine: self.machine.load(Ordering::Relaxed),
        }
    }
}

/// A copy of the controls, read once per block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ControlValues {
    pub fault_on: bool,
    pub intensity: f32,
    pub mix: f32,
    pub bypass: bool,
    pub machine: u8,
}

impl ControlValues {
    /// Gain of the faulted signal against the dry one.
    pub fn wet_gain(&self) -> f32 {
        if self.bypass || !self.fault_on {
            0.0
        } else {
            self.mix
        }
    }
}

fn sanitize_unit(v: f32) -> f32 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// A linear ramp to a target over a fixed time: reaches the target exactly, then holds it (so a
/// steady control gives bit-exact gains of 0 and 1).
#[derive(Clone, Debug)]
pub struct Ramp {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    length: u32,
}

impl Ramp {
    pub fn new(value: f32, length: u32) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            length: length.max(1),
        }
    }

    pub fn set_length(&mut self, length: u32) {
        self.length = length.max(1);
    }

    pub fn set_target(&mut self, target: f32) {
        if target != self.target {
            self.target = target;
            self.remaining = self.length;
            self.step = (target - self.current) / self.length as f32;
        }
    }

    /// Jumps to `value` with no ramp.
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
    }

    pub fn is_ramping(&self) -> bool {
        self.remaining > 0
    }

    pub fn value(&self) -> f32 {
        self.current
    }

    /// Advances `n` samples and returns the value reached.
    pub fn advance(&mut self, n: u32) -> f32 {
        if n >= self.remaining {
            self.remaining = 0;
            self.current = self.target;
        } else {
            self.remaining -= n;
            self.current += self.step * n as f32;
        }
        self.current
    }

    /// Fills `out` with the next values.
    pub fn fill(&mut self, out: &mut [f32]) {
        if !self.is_ramping() {
            out.fill(self.current);
            return;
        }
        for o in out {
            *o = self.advance(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_reaches_the_target_exactly_and_monotonically() {
        let mut r = Ramp::new(0.0, 480);
        r.set_target(1.0);
        let mut v = vec![0.0; 1000];
        r.fill(&mut v);
        assert!(v.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(v[479], 1.0);
        assert!(v[..479].iter().all(|x| *x < 1.0));
        assert!(v[479..].iter().all(|x| *x == 1.0));
        // Largest step is 1/480: no jump that could click.
        assert!(v.windows(2).all(|w| w[1] - w[0] <= 1.0 / 480.0 + 1e-6));
    }

    #[test]
    fn controls_reject_non_finite_values() {
        let c = Controls::default();
        c.set_intensity(f32::NAN);
        c.set_mix(7.0);
        assert_eq!(c.snapshot().intensity, 0.0);
        assert_eq!(c.snapshot().mix, 1.0);
    }
}
