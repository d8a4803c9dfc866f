//! Live values for readers (editor, terminal): atomics for the numbers that change every window,
//! and a mutex-guarded detail record that only non-audio threads touch.

use super::score_book::{BookSummary, WindowScore};
use atomic_float::{AtomicF32, AtomicF64};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// Window scores kept for a scrolling history.
pub const HISTORY: usize = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    /// No model yet: features run, nothing is scored.
    NoModel,
    Scoring,
    /// Collecting normal audio for learn-normal mode.
    Learning,
    /// Training on the collected audio in the background.
    Training,
    Stopped,
}

impl EngineState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::NoModel,
            1 => Self::Scoring,
            2 => Self::Learning,
            3 => Self::Training,
            _ => Self::Stopped,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::NoModel => "no model",
            Self::Scoring => "scoring",
            Self::Learning => "learning normal",
            Self::Training => "training",
            Self::Stopped => "stopped",
        }
    }
}

#[derive(Debug)]
pub struct Live {
    // Written by the audio thread.
    pub dropped_samples: AtomicU64,
    pub tapped_samples: AtomicU64,
    pub rejected_chains: AtomicU64,
    /// Chains switched in by a crossfade (not counting the one installed by `prepare`).
    pub installed_chains: AtomicU64,
    /// Largest input magnitude since a reader last took it.
    pub input_peak: AtomicF32,
    // Written by the analysis thread.
    pub latest_mse: AtomicF64,
    pub latest_mahalanobis: AtomicF64,
    pub windows: AtomicU64,
    state: AtomicU8,
    /// Learn or training progress, 0..1.
    pub progress: AtomicF32,
    pub detail: Mutex<LiveDetail>,
}

/// What does not fit in an atomic.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LiveDetail {
    pub history: VecDeque<WindowScore>,
    pub book: BookSummary,
    pub last_error: Option<String>,
    /// Human-readable progress ("epoch 3/20, loss 41.2").
    pub status: String,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            dropped_samples: AtomicU64::new(0),
            tapped_samples: AtomicU64::new(0),
            rejected_chains: AtomicU64::new(0),
            installed_chains: AtomicU64::new(0),
            input_peak: AtomicF32::new(0.0),
            latest_mse: AtomicF64::new(f64::NAN),
            latest_mahalanobis: AtomicF64::new(f64::NAN),
            windows: AtomicU64::new(0),
            state: AtomicU8::new(0),
            progress: AtomicF32::new(0.0),
            detail: Mutex::new(LiveDetail::default()),
        }
    }
}

impl Live {
    pub fn state(&self) -> EngineState {
        EngineState::from_u8(self.state.load(Ordering::Relaxed))
    }

    pub(super) fn set_state(&self, s: EngineState) {
        self.state.store(s as u8, Ordering::Relaxed);
    }

    pub fn chains_installed(&self) -> u64 {
        self.installed_chains.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped_samples.load(Ordering::Relaxed)
    }

    /// The input peak since the last call (and resets it).
    pub fn take_input_peak(&self) -> f32 {
        self.input_peak.swap(0.0, Ordering::Relaxed)
    }

    /// A copy of the detail record.
    pub fn detail(&self) -> LiveDetail {
        self.detail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(super) fn with_detail(&self, f: impl FnOnce(&mut LiveDetail)) {
        f(&mut self.detail.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Appends to a bounded history.
pub(super) fn push_history(history: &mut VecDeque<WindowScore>, w: WindowScore) {
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(w);
}
