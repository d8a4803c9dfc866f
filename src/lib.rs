//! Faultline: plausible machine faults from normal sound, and how hard they are to detect.
//!
//! See the README's architecture section for the map of modules.

pub mod catalog;
pub mod cli;
pub mod dataset;
pub mod detect;
pub mod dsp;
pub mod engine;
pub mod eval;
pub mod features;
pub mod hash;
pub mod kinematics;
pub mod machine;
pub mod metrics;
pub mod monitor;
pub mod offline;
pub mod plan;
pub mod report;
pub mod synth;

// assert_no_alloc checks in debug builds only (its default `disable_release`): `cargo test
// --release` still builds, with those checks as no-ops.
#[cfg(all(test, debug_assertions))]
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;
