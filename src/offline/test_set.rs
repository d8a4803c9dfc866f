//! `render --as-test-set`: a planner's anomalies as a test set any detector can score, in the
//! DCASE layout — `OUT/<machine>/test/` holding the dataset's normal test clips (copied, names
//! kept) and one anomaly rendered from each (`…_anomaly_…`, the same section, domain and index),
//! and `OUT/<machine>/ground_truth_<machine>_section_<XX>_test.csv` (`file_name,label`, 1 for an
//! anomaly) as the DCASE evaluators read. Score it with your system, then
//! `evaluate --scores DIR` (see `eval::external`).

use super::{render_files, PlanSource};
use crate::dataset::{scan, write_atomic, BadFiles, ClipName, Split};
use std::collections::BTreeMap;
use std::path::Path;

/// Writes one machine's test set; returns (normal clips, anomalies).
pub fn write_machine_test_set(
    data: &Path,
    machine: &str,
    out: &Path,
    source: &PlanSource,
    quiet: bool,
    bad: &BadFiles,
) -> anyhow::Result<(usize, usize)> {
    let normals: Vec<_> = scan(data, machine, Split::Test)?
        .into_iter()
        .filter(|c| !c.1.anomaly)
        .collect();
    anyhow::ensure!(
        !normals.is_empty(),
        "{}/{machine}/test: no normal test clips",
        data.display()
    );
    let test_in = data.join(machine).join("test");
    let test_out = out.join(machine).join("test");
    let paths: Vec<_> = normals.iter().map(|c| c.0.clone()).collect();
    let rendered = render_files(
        &test_in,
        &paths,
        &test_out,
        source,
        Some(machine),
        quiet,
        bad,
    )?;
    let mut truth: BTreeMap<String, String> = BTreeMap::new();
    let mut copied = 0;
    for entry in &rendered.entries {
        // Only clips that rendered (were readable) go in, with their anomaly.
        let name = entry
            .source
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let to = test_out.join(&name);
        let bytes = std::fs::read(&entry.source)?;
        write_atomic(&to, |f| std::io::Write::write_all(f, &bytes))?;
        copied += 1;
        let section = ClipName::parse(&name).map_or_else(|| "00".to_string(), |c| c.section);
        let anomaly = entry
            .output
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let rows = truth.entry(section).or_default();
        rows.push_str(&format!("{name},0\n{anomaly},1\n"));
    }
    for (section, rows) in truth {
        let file = out
            .join(machine)
            .join(format!("ground_truth_{machine}_section_{section}_test.csv"));
        write_atomic(&file, |f| std::io::Write::write_all(f, rows.as_bytes()))?;
    }
    Ok((copied, rendered.entries.len()))
}
