//! The ToyADMOS dataset (2019) as it ships: `<ToyCar|ToyConveyor|ToyTrain>/case<N>/
//! {NormalSound_IND,AnomalousSound_IND}/…ch<K>….wav`, one mono 48 kHz file per microphone
//! (`ch1`–`ch4` in the name), plus `EnvironmentalNoise_CNT/` recordings. This is the folder
//! layout the authors' scripts read (YumaKoizumi/ToyADMOS-dataset,
//! `C01_create_small_INT_dataset`: `<sub-dataset>/<case>/NormalSound_IND/*ch1*.wav`).
//!
//! What is read, and what is not:
//! - each case is a section (`case1` → section `01`), every clip in the one (source) domain;
//! - microphone `ch1` only, as the authors' car and conveyor scripts use (their train script sums
//!   four microphones; that is not done here);
//! - the individual ("IND") recordings as they are: the authors mix environmental noise in
//!   (+10 dB for car and conveyor) to make their task; the DCASE 2020 ToyADMOS sets ship mixed,
//!   read those with the DCASE layout for noisy clips;
//! - no train/test split ships: per case, the MIMII baseline's rule (as many normal clips to test
//!   as the case has anomalies, in file order, the rest to train), deterministic. The authors'
//!   own scripts instead put 1,000 shuffled normal clips in train.

use super::layout::{ClipName, Split};
use super::mimii::{dirs, folder_of, name, split_folders, wavs};
use std::path::{Path, PathBuf};

/// The microphone read.
pub const CHANNEL: &str = "ch1";

/// `case<N>` → `N` as a two-digit section.
fn case_section(folder: &str) -> Option<String> {
    let n: u32 = folder.strip_prefix("case")?.parse().ok()?;
    Some(format!("{n:02}"))
}

fn cases(machine_dir: &Path) -> Vec<(String, PathBuf)> {
    dirs(machine_dir)
        .into_iter()
        .filter(|d| d.join("NormalSound_IND").is_dir())
        .filter_map(|d| Some((case_section(&name(&d))?, d)))
        .collect()
}

/// Every sub-dataset of a ToyADMOS tree: (folder name, folder), sorted.
pub fn machines(root: &Path) -> Vec<(String, PathBuf)> {
    dirs(root)
        .into_iter()
        .filter(|d| !cases(d).is_empty())
        .map(|d| (name(&d), d))
        .collect()
}

/// Whether `root` is a ToyADMOS tree (a folder with `case<N>/NormalSound_IND` inside).
pub fn detect(root: &Path) -> bool {
    !machines(root).is_empty()
}

/// The microphone's files in `dir`: names with `ch1` as a token (`_ch1_`, `_ch1.`, or at an end).
fn channel_wavs(dir: &Path) -> Vec<PathBuf> {
    wavs(dir)
        .into_iter()
        .filter(|p| {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            stem.split(['_', '-', '.']).any(|t| t == CHANNEL)
        })
        .collect()
}

/// The clips of one sub-dataset and split (module doc), sorted by path.
pub fn scan(root: &Path, machine: &str, split: Split) -> std::io::Result<Vec<(PathBuf, ClipName)>> {
    let Some(dir) = folder_of(machines(root), machine) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{}: no ToyADMOS folder \"{machine}\" with case<N>/NormalSound_IND",
                root.display()
            ),
        ));
    };
    let mut out = Vec::new();
    for (section, case) in cases(&dir) {
        let normal = channel_wavs(&case.join("NormalSound_IND"));
        let anomalous = channel_wavs(&case.join("AnomalousSound_IND"));
        out.extend(split_folders(normal, anomalous, &section, split));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The folder of a sub-dataset.
pub fn machine_dir(root: &Path, machine: &str) -> Option<PathBuf> {
    folder_of(machines(root), machine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cases_as_sections_and_only_the_first_microphone() {
        let dir = tempfile::tempdir().unwrap();
        let touch = |rel: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        };
        for ch in 1..=4 {
            for i in 0..4 {
                touch(&format!(
                    "ToyCar/case1/NormalSound_IND/IND_case1_ch{ch}_{i:04}.wav"
                ));
                touch(&format!(
                    "ToyCar/case2/NormalSound_IND/IND_case2_ch{ch}_{i:04}.wav"
                ));
            }
            touch(&format!(
                "ToyCar/case1/AnomalousSound_IND/ab01_case1_ch{ch}_0000.wav"
            ));
            touch(&format!(
                "ToyCar/EnvironmentalNoise_CNT/noise_ch{ch}_0000.wav"
            ));
        }
        // A ch10 file must not pass for ch1.
        touch("ToyCar/case1/NormalSound_IND/IND_case1_ch10_0000.wav");
        assert!(detect(dir.path()));
        assert_eq!(
            machines(dir.path())
                .into_iter()
                .map(|m| m.0)
                .collect::<Vec<_>>(),
            ["ToyCar"]
        );
        let test = scan(dir.path(), "ToyCar", Split::Test).unwrap();
        let train = scan(dir.path(), "ToyCar", Split::Train).unwrap();
        // case1: one anomaly → one normal to test, three to train; case2 has no anomaly: all train.
        assert_eq!(test.len(), 2);
        assert_eq!(test.iter().filter(|c| c.1.anomaly).count(), 1);
        assert!(test
            .iter()
            .all(|c| c.1.section == "01" && c.1.domain == "source"));
        assert_eq!(train.len(), 7);
        assert_eq!(train.iter().filter(|c| c.1.section == "02").count(), 4);
        assert!(test
            .iter()
            .chain(&train)
            .all(|c| c.0.to_string_lossy().contains("_ch1_")));
        assert_eq!(
            train.iter().map(|c| c.1.index).filter(|&i| i == 3).count(),
            2
        );
        assert!(!detect(&dir.path().join("ToyCar")));
    }
}
