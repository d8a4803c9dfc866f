//! Offline jobs over files: writing synthetic datasets and rendering anomaly clip sets. Both
//! use every core (rayon), show progress, write atomically and skip work already on disk.

mod render;
mod scored;
mod synth_set;
mod test_set;

pub use scored::{Scored, ScoredRender};
pub use test_set::write_machine_test_set;

pub use render::{
    apply_plan, path_hash, render_files, render_plan, render_set, PlanSource, RenderEntry,
    RenderSummary,
};
pub use synth_set::{
    read_fault_record, severity_measured_at, synth_set, FaultRecord, SynthSetConfig, SynthSummary,
    SYNTH_MANIFEST,
};

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr, hidden when `quiet`.
pub fn progress(len: usize, what: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>10} [{bar:32}] {pos}/{len} {elapsed_precise} eta {eta} {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}
