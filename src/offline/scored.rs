//! Renders scored as they are made: what an evaluation does with each planner's plans. The
//! clips are rendered from normal clips the caller holds (read once per machine, not once per
//! render) and handed to a scorer in memory instead of being written and read back; the ones a
//! user listens to are written too, with their sidecars, as `render_files` writes them.

use super::render::{render_plan, Job};
use super::PlanSource;
use crate::dataset::{write_atomic, Audio, BadFiles};
use crate::features::level::MeasuredAt;
use crate::plan::FaultPlan;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::RenderEntry;

/// Where one set of renders goes.
pub struct ScoredRender<'a> {
    /// The folder the normal clips' relative paths (kept by the outputs) are taken below.
    pub input: &'a Path,
    pub out: &'a Path,
    pub machine: &'a str,
    /// Write each clip (float WAV + sidecar) and a manifest; else nothing reaches the disk.
    pub write: bool,
}

/// One rendered clip: its sidecar entry, whether it is on disk, and its score (`None`: the
/// scorer failed on it and `bad` skipped it).
pub struct Scored<T> {
    pub entry: RenderEntry,
    pub written: bool,
    pub score: Option<T>,
}

impl ScoredRender<'_> {
    /// Renders each clip of `plans` (keyed by normal clip path) from `audio` of that path, and
    /// scores it with `score` (`init` makes each worker's scratch, e.g. a log-mel analyser).
    /// A normal clip `audio` cannot give is skipped by `bad` as `render_files` skips an
    /// unreadable one; a plan that does not build stops the run. Clips come back in path order.
    /// A rerun does not rewrite a clip already on disk from the same plan (it renders it again
    /// to score it: the same plan gives the same samples).
    pub fn run<S, T: Send>(
        &self,
        plans: HashMap<PathBuf, FaultPlan>,
        audio: impl Fn(&Path) -> anyhow::Result<Audio> + Sync,
        bad: &BadFiles,
        init: impl Fn() -> S + Sync + Send,
        score: impl Fn(&mut S, &Audio) -> anyhow::Result<T> + Sync + Send,
    ) -> anyhow::Result<Vec<Scored<T>>> {
        let mut files: Vec<PathBuf> = plans.keys().cloned().collect();
        files.sort();
        // `PerClip` plans are used as made: where severities are measured does not enter.
        let source = PlanSource::PerClip(plans);
        let results: Vec<anyhow::Result<Option<Scored<T>>>> = files
            .par_iter()
            .map_init(init, |scratch, src| {
                let job = Job::new(
                    self.input,
                    self.out,
                    src,
                    &source,
                    Some(self.machine),
                    MeasuredAt::Machine,
                )?;
                let normal = match bad.check(src, audio(src))? {
                    Some(a) => a,
                    None => return Ok(None),
                };
                let rendered = render_plan(&job.plan, normal)?;
                let entry = job.entry(src, &rendered);
                let written = self.write && {
                    if job.earlier(src)?.is_none() {
                        job.write(&entry, &rendered)?;
                    }
                    true
                };
                let score = bad.check(&job.output, score(scratch, &rendered))?;
                Ok(Some(Scored {
                    entry,
                    written,
                    score,
                }))
            })
            .collect();
        let done: Vec<Scored<T>> = results
            .into_iter()
            .filter_map(|r| r.transpose())
            .collect::<anyhow::Result<_>>()?;
        anyhow::ensure!(
            !done.is_empty(),
            "{}: none of the {} clips could be read (each is named above)",
            self.input.display(),
            files.len()
        );
        if self.write {
            let entries: Vec<&RenderEntry> = done.iter().map(|s| &s.entry).collect();
            let manifest = serde_json::to_string_pretty(&entries)?;
            write_atomic(&self.out.join("manifest.json"), |f| {
                std::io::Write::write_all(f, manifest.as_bytes())
            })?;
        }
        Ok(done)
    }
}
