//! `faultline dataset DIR`: what a dataset folder holds, read from its folders, names and WAV
//! headers (no audio is decoded): layout, machines, sections, domains, clips per split and class,
//! sample rates, channel counts, durations, and the files that cannot be read.

use super::layout::{layout_of, machines, scan, Layout, Split};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Serialize)]
pub struct MachineSummary {
    pub machine: String,
    /// (split, class) → clips, e.g. ("test", "anomaly") → 100.
    pub clips: BTreeMap<String, usize>,
    pub sections: Vec<String>,
    pub domains: Vec<String>,
    /// Sample rate → clips.
    pub sample_rates: BTreeMap<u32, usize>,
    /// Channel count → clips.
    pub channels: BTreeMap<u16, usize>,
    /// Shortest and longest clip, s.
    pub seconds: Option<(f64, f64)>,
    /// (file, reason) for headers that cannot be read.
    pub unreadable: Vec<(String, String)>,
    /// Test clips named as an evaluation set's (`section_XX_NNNN.wav`) that no ground truth
    /// labels (`--ground-truth DIR` does).
    pub unlabelled: usize,
}

#[derive(Debug, Serialize)]
pub struct DatasetSummary {
    pub root: String,
    pub layout: Layout,
    pub machines: Vec<MachineSummary>,
}

/// A WAV's rate, channels and length in seconds from its header.
fn header(path: &Path) -> Result<(u32, u16, f64), String> {
    let r = hound::WavReader::open(path).map_err(|e| e.to_string())?;
    let spec = r.spec();
    if !super::wav::SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(format!(
            "sample rate {} Hz is outside {} to {} Hz",
            spec.sample_rate,
            super::wav::SAMPLE_RATES.start(),
            super::wav::SAMPLE_RATES.end()
        ));
    }
    if spec.channels == 0 {
        return Err("0 channels".into());
    }
    let frames = r.duration();
    if frames == 0 {
        return Err("no audio data".into());
    }
    Ok((
        spec.sample_rate,
        spec.channels,
        f64::from(frames) / f64::from(spec.sample_rate),
    ))
}

pub fn describe(root: &Path) -> anyhow::Result<DatasetSummary> {
    let layout = layout_of(root);
    let mut out = Vec::new();
    for machine in machines(root)? {
        let mut m = MachineSummary {
            machine: machine.clone(),
            ..Default::default()
        };
        let mut labelled_test = std::collections::HashSet::new();
        for split in [Split::Train, Split::Test] {
            let clips = match scan(root, &machine, split) {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            for (path, name) in clips {
                if split == Split::Test {
                    if let Some(f) = path.file_name().and_then(|f| f.to_str()) {
                        labelled_test.insert(f.to_string());
                    }
                }
                let class = if name.anomaly { "anomaly" } else { "normal" };
                *m.clips
                    .entry(format!("{} {class}", split.name()))
                    .or_default() += 1;
                if !m.sections.contains(&name.section) {
                    m.sections.push(name.section.clone());
                }
                if !m.domains.contains(&name.domain) {
                    m.domains.push(name.domain.clone());
                }
                match header(&path) {
                    Ok((rate, channels, secs)) => {
                        *m.sample_rates.entry(rate).or_default() += 1;
                        *m.channels.entry(channels).or_default() += 1;
                        m.seconds = Some(
                            m.seconds
                                .map_or((secs, secs), |(lo, hi)| (lo.min(secs), hi.max(secs))),
                        );
                    }
                    Err(why) => m.unreadable.push((path.display().to_string(), why)),
                }
            }
        }
        if layout == Layout::Dcase {
            let labelled = &labelled_test;
            m.unlabelled = std::fs::read_dir(root.join(&machine).join("test"))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|f| super::ground_truth::eval_name(f).is_some() && !labelled.contains(f))
                .count();
        }
        m.sections.sort();
        m.domains.sort();
        out.push(m);
    }
    Ok(DatasetSummary {
        root: root.display().to_string(),
        layout,
        machines: out,
    })
}

impl DatasetSummary {
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let split_note = match self.layout {
            Layout::Mimii => " (no split ships with MIMII: per id, as many normal clips to test as there are anomalies, in file order, the rest to train — its baseline's split)",
            Layout::Toyadmos => " (ToyADMOS 2019: cases as sections, microphone ch1, the individual recordings without the environmental noise the authors mix in; no split ships: per case, as many normal clips to test as there are anomalies, in file order, the rest to train — the MIMII baseline's rule)",
            Layout::Dcase => "",
        };
        let mut t = format!(
            "{}: layout {}{split_note}; {} machine(s)\n",
            self.root,
            self.layout.name(),
            self.machines.len()
        );
        if self.machines.is_empty() {
            let _ = writeln!(
                t,
                "  no machine found: expected {}",
                super::LAYOUTS_EXPECTED
            );
        }
        for m in &self.machines {
            let counts: Vec<String> = m.clips.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let rates: Vec<String> = m
                .sample_rates
                .iter()
                .map(|(r, n)| format!("{r} Hz ×{n}"))
                .collect();
            let chans: Vec<String> = m
                .channels
                .iter()
                .map(|(c, n)| format!("{c} ch ×{n}"))
                .collect();
            let secs = m.seconds.map_or("–".into(), |(lo, hi)| {
                if (hi - lo).abs() < 1e-3 {
                    format!("{lo:.2} s")
                } else {
                    format!("{lo:.2}–{hi:.2} s")
                }
            });
            let _ = writeln!(
                t,
                "{}: {}",
                m.machine,
                if counts.is_empty() {
                    "no clips".into()
                } else {
                    counts.join(", ")
                }
            );
            let _ = writeln!(
                t,
                "  sections {} · domains {} · {} · {} · {secs}",
                m.sections.join(","),
                m.domains.join(","),
                rates.join(", "),
                chans.join(", ")
            );
            for (f, why) in &m.unreadable {
                let _ = writeln!(t, "  unreadable: {f}: {why}");
            }
            if m.unlabelled > 0 {
                let _ = writeln!(
                    t,
                    "  {} unlabelled test clips (an evaluation set's section_XX_NNNN.wav names): --ground-truth DIR labels them",
                    m.unlabelled
                );
            }
        }
        t
    }
}
