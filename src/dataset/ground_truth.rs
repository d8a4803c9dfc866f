//! Labels of a DCASE 2021–2025 **evaluation** set, whose test clips are named without them
//! (`section_00_0000.wav`): the ground-truth files the official evaluators ship,
//! `ground_truth_data/ground_truth_<machine>_section_<XX>_test.csv` (`file_name,label`, 1 =
//! anomaly) and, when present, `ground_truth_domain/ground_truth_<machine>_section_<XX>_test.csv`
//! (`file_name,domain`, 0 or `source`, 1 or `target`). `--ground-truth DIR` names the folder
//! that holds `ground_truth_data` (or the CSVs themselves); scanning then reads those clips as
//! labelled test clips. A clip without a domain row gets the domain `unknown` (it counts in the
//! AUC over all clips, not in the per-domain ones).
//!
//! The DCASE 2020 evaluation set (`<machine>/test/id_XX_NNNNNNNN.wav`) is labelled by its
//! evaluator's single `eval_data_list.csv`: a line holding only a machine type starts that
//! machine's block, and each row after it is `file_name,…,label` (the label in the third
//! column, 1 = anomaly). `--ground-truth FILE` with that file reads it; its clips are in one
//! (source) domain, as the 2020 development set's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// (machine, file name) → (anomaly, domain).
pub type Labels = HashMap<(String, String), (bool, String)>;

static GROUND_TRUTH: OnceLock<Labels> = OnceLock::new();

/// The machine type a ground-truth file is for: `ground_truth_<machine>_section_<XX>_test.csv`.
fn machine_of(file: &str) -> Option<String> {
    let rest = file.strip_prefix("ground_truth_")?.strip_suffix(".csv")?;
    let (machine, _) = rest.rsplit_once("_section_")?;
    (!machine.is_empty()).then(|| machine.to_string())
}

fn csv_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(machine_of)
                .is_some()
        })
        .collect();
    out.sort();
    Ok(out)
}

/// `(file, value)` rows of a two-column CSV (a header row whose value is not a label is skipped).
fn rows(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (file, value) = line.split_once(',').ok_or_else(|| {
            anyhow::anyhow!("{}:{}: expected `file_name,value`", path.display(), i + 1)
        })?;
        let file = Path::new(file.trim())
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        out.push((file, value.trim().to_string()));
    }
    Ok(out)
}

/// The DCASE 2020 evaluator's `eval_data_list.csv`.
fn load_2020(path: &Path) -> anyhow::Result<Labels> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut labels = Labels::new();
    let mut machine: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        match cols[..] {
            [""] => {}
            [m] => machine = Some(m.to_string()),
            [file, _, label, ..] => {
                let m = machine.as_ref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: row {}: a clip before any machine-type line",
                        path.display(),
                        i + 1
                    )
                })?;
                let anomaly = match label {
                    "1" => true,
                    "0" => false,
                    other => anyhow::bail!(
                        "{}: row {}: label {other:?} is not 0 or 1",
                        path.display(),
                        i + 1
                    ),
                };
                labels.insert((m.clone(), file.to_string()), (anomaly, "source".into()));
            }
            _ => anyhow::bail!(
                "{}: row {}: expected a machine type, or file_name,…,label",
                path.display(),
                i + 1
            ),
        }
    }
    anyhow::ensure!(!labels.is_empty(), "{}: no labelled clips", path.display());
    Ok(labels)
}

/// Reads every ground-truth file under `dir` (or the 2020 evaluator's list, if `dir` is a file).
pub fn load(dir: &Path) -> anyhow::Result<Labels> {
    if dir.is_file() {
        return load_2020(dir);
    }
    let data = if dir.join("ground_truth_data").is_dir() {
        dir.join("ground_truth_data")
    } else {
        dir.to_path_buf()
    };
    let files = csv_files(&data)?;
    anyhow::ensure!(
        !files.is_empty(),
        "{}: no ground_truth_<machine>_section_<XX>_test.csv files (the DCASE evaluators' ground_truth_data folder)",
        data.display()
    );
    let mut labels = Labels::new();
    for path in &files {
        let machine = machine_of(&path.file_name().unwrap().to_string_lossy()).expect("filtered");
        for (i, (file, value)) in rows(path)?.into_iter().enumerate() {
            let anomaly = match value.as_str() {
                "1" | "anomaly" => true,
                "0" | "normal" => false,
                _ if i == 0 => continue, // a header
                other => anyhow::bail!(
                    "{}: row {}: label {other:?} is not 0/1 or normal/anomaly",
                    path.display(),
                    i + 1
                ),
            };
            labels.insert((machine.clone(), file), (anomaly, "unknown".into()));
        }
    }
    let domains = dir.join("ground_truth_domain");
    if domains.is_dir() {
        for path in csv_files(&domains)? {
            let machine =
                machine_of(&path.file_name().unwrap().to_string_lossy()).expect("filtered");
            for (i, (file, value)) in rows(&path)?.into_iter().enumerate() {
                let domain = match value.as_str() {
                    "0" | "source" => "source",
                    "1" | "target" => "target",
                    _ if i == 0 => continue,
                    other => anyhow::bail!(
                        "{}: row {}: domain {other:?} is not 0/1 or source/target",
                        path.display(),
                        i + 1
                    ),
                };
                if let Some(entry) = labels.get_mut(&(machine.clone(), file)) {
                    entry.1 = domain.into();
                }
            }
        }
    }
    Ok(labels)
}

/// Reads the ground truth once for the whole run (`--ground-truth DIR`).
pub fn set_ground_truth(dir: &Path) -> anyhow::Result<usize> {
    let labels = load(dir)?;
    let n = labels.len();
    let _ = GROUND_TRUTH.set(labels);
    Ok(n)
}

/// An evaluation-set clip's (section, index), if `file` is named like one
/// (`section_XX_NNNN.wav`, or DCASE 2020's `id_XX_NNNNNNNN.wav`, whose id is the section).
pub fn eval_name(file: &str) -> Option<(String, usize)> {
    let stem = file.strip_suffix(".wav")?;
    let parts: Vec<&str> = stem.split('_').collect();
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    match parts[..] {
        ["section" | "id", section, index] if two_digits(section) => {
            Some((section.to_string(), index.parse().ok()?))
        }
        _ => None,
    }
}

/// Whether an evaluation-set name is DCASE 2020's (`id_XX_…`).
pub fn is_2020_name(file: &str) -> bool {
    file.starts_with("id_")
}

/// The label and domain of an evaluation-set clip, when the ground truth gives them.
pub fn label(machine: &str, file: &str) -> Option<(bool, String)> {
    GROUND_TRUTH
        .get()?
        .get(&(machine.to_string(), file.to_string()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evaluators_files_label_the_clips_and_bad_rows_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ground_truth_data");
        let dom = dir.path().join("ground_truth_domain");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&dom).unwrap();
        std::fs::write(
            data.join("ground_truth_ToyCar_section_00_test.csv"),
            "section_00_0000.wav,1\nsection_00_0001.wav,0\n",
        )
        .unwrap();
        std::fs::write(
            dom.join("ground_truth_ToyCar_section_00_test.csv"),
            "file_name,domain\nsection_00_0000.wav,0\nsection_00_0001.wav,target\n",
        )
        .unwrap();
        let l = load(dir.path()).unwrap();
        assert_eq!(
            l[&("ToyCar".into(), "section_00_0000.wav".into())],
            (true, "source".into())
        );
        assert_eq!(
            l[&("ToyCar".into(), "section_00_0001.wav".into())],
            (false, "target".into())
        );
        assert_eq!(eval_name("section_00_0001.wav"), Some(("00".into(), 1)));
        assert_eq!(eval_name("section_00_source_test_normal_0001.wav"), None);
        std::fs::write(
            data.join("ground_truth_fan_section_00_test.csv"),
            "section_00_0000.wav,1\nsection_00_0001.wav,maybe\n",
        )
        .unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("row 2: label \"maybe\""), "{e}");
        let e = load(&dom.join("nothing")).unwrap_err().to_string();
        assert!(e.contains("nothing"), "{e}");
    }

    #[test]
    fn the_2020_evaluators_list_labels_its_id_clips() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("eval_data_list.csv");
        std::fs::write(
            &list,
            "ToyCar\nid_05_00000000.wav,anomaly_id_05_00000000.wav,1\nid_05_00000001.wav,normal_id_05_00000001.wav,0\nfan\nid_01_00000000.wav,normal_id_01_00000000.wav,0\n",
        )
        .unwrap();
        let l = load(&list).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(
            l[&("ToyCar".into(), "id_05_00000000.wav".into())],
            (true, "source".into())
        );
        assert!(!l[&("fan".into(), "id_01_00000000.wav".into())].0);
        assert_eq!(eval_name("id_05_00000001.wav"), Some(("05".into(), 1)));
        std::fs::write(&list, "id_05_00000000.wav,x,1\n").unwrap();
        assert!(load(&list)
            .unwrap_err()
            .to_string()
            .contains("before any machine-type line"));
    }
}
