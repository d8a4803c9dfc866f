//! The MIMII dataset (2019) as it ships: `[<snr>_dB_<machine>/]<machine>/id_XX/{normal,abnormal}/
//! NNNNNNNN.wav`, 8-channel 16 kHz clips, with no train/test split. The split is the MIMII
//! baseline's (`dataset_generator` in MIMII_baseline): per id, the first as many normal clips (in
//! file order) as the id has anomalies go to test with every anomaly, the rest of the normal
//! clips to train. It is deterministic, so a seed changes nothing. Ids act as sections; every
//! clip is in the one (source) domain.
//!
//! Machine keys: `<machine>` for a tree without SNR folders, else the SNR folder's name
//! (`6_dB_fan`), so the same machine at several SNRs is several machines.

use super::layout::{ClipName, Naming, Split};
use std::path::{Path, PathBuf};

fn is_id(name: &str) -> bool {
    name.strip_prefix("id_")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn dirs(path: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

pub(super) fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// A machine folder: it holds `id_XX` folders.
fn has_ids(path: &Path) -> bool {
    dirs(path).iter().any(|d| is_id(&name(d)))
}

/// Every machine of a MIMII tree: (key, folder holding its `id_XX`), sorted by key.
pub fn machines(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for d in dirs(root) {
        let n = name(&d);
        if has_ids(&d) {
            out.push((n, d));
        } else if let Some(machine) = n.split_once("_dB_").map(|(_, m)| m.to_string()) {
            let inner = d.join(&machine);
            if has_ids(&inner) {
                out.push((n, inner));
            }
        }
    }
    out.sort();
    out
}

/// Whether `root` is a MIMII tree (some machine folder with `id_XX/normal` inside).
pub fn detect(root: &Path) -> bool {
    machines(root).iter().any(|(_, dir)| {
        dirs(dir)
            .iter()
            .any(|id| is_id(&name(id)) && id.join("normal").is_dir())
    })
}

pub(super) fn wavs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")))
        .collect();
    v.sort();
    v
}

fn clip(path: PathBuf, id: &str, split: Split, anomaly: bool) -> (PathBuf, ClipName) {
    // The clip's number: the last run of digits in its name (MIMII's names are only digits).
    let index = path
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| {
            let digits: String = s
                .chars()
                .rev()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.chars().rev().collect::<String>().parse().ok()
        })
        .unwrap_or(0);
    let name = ClipName {
        section: id.into(),
        domain: "source".into(),
        split,
        anomaly,
        index,
        attributes: Vec::new(),
        naming: Naming::Mimii,
    };
    (path, name)
}

/// The clips of one id (section) under the MIMII baseline's split: the first as many normal
/// clips as there are anomalies, with every anomaly, to test; the other normal clips to train.
pub(super) fn split_folders(
    normal: Vec<PathBuf>,
    abnormal: Vec<PathBuf>,
    id: &str,
    split: Split,
) -> Vec<(PathBuf, ClipName)> {
    let n_test = abnormal.len().min(normal.len());
    match split {
        Split::Test => normal
            .into_iter()
            .take(n_test)
            .map(|p| clip(p, id, split, false))
            .chain(abnormal.into_iter().map(|p| clip(p, id, split, true)))
            .collect(),
        Split::Train => normal
            .into_iter()
            .skip(n_test)
            .map(|p| clip(p, id, split, false))
            .collect(),
    }
}

/// The clips of one machine and split, under the baseline's split (module doc), sorted.
pub fn scan(root: &Path, machine: &str, split: Split) -> std::io::Result<Vec<(PathBuf, ClipName)>> {
    let Some(dir) = folder_of(machines(root), machine) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: no MIMII machine folder \"{machine}\"", root.display()),
        ));
    };
    let mut out = Vec::new();
    for id_dir in dirs(&dir).into_iter().filter(|d| is_id(&name(d))) {
        let id = name(&id_dir)["id_".len()..].to_string();
        let normal = wavs(&id_dir.join("normal"));
        let abnormal = wavs(&id_dir.join("abnormal"));
        out.extend(split_folders(normal, abnormal, &id, split));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The folder of a machine (for rendering paths relative to it).
pub fn machine_dir(root: &Path, machine: &str) -> Option<PathBuf> {
    folder_of(machines(root), machine)
}

/// The folder listed under `key` in a (key, folder) list.
pub(super) fn folder_of(list: Vec<(String, PathBuf)>, key: &str) -> Option<PathBuf> {
    list.into_iter().find(|(k, _)| k == key).map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_machines_with_and_without_snr_folders_and_splits_as_the_baseline() {
        let dir = tempfile::tempdir().unwrap();
        let touch = |rel: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"").unwrap();
        };
        for i in 0..5 {
            touch(&format!("6_dB_fan/fan/id_00/normal/{i:08}.wav"));
            touch(&format!("valve/id_02/normal/{i:08}.wav"));
        }
        for i in 0..2 {
            touch(&format!("6_dB_fan/fan/id_00/abnormal/{i:08}.wav"));
        }
        touch("valve/id_02/abnormal/00000000.wav");
        assert!(detect(dir.path()));
        let keys: Vec<String> = machines(dir.path()).into_iter().map(|m| m.0).collect();
        assert_eq!(keys, ["6_dB_fan", "valve"]);
        let test = scan(dir.path(), "6_dB_fan", Split::Test).unwrap();
        let train = scan(dir.path(), "6_dB_fan", Split::Train).unwrap();
        // 2 anomalies: normals 0 and 1 to test, 2–4 to train.
        assert_eq!(
            test.iter()
                .filter(|c| !c.1.anomaly)
                .map(|c| c.1.index)
                .collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(test.iter().filter(|c| c.1.anomaly).count(), 2);
        assert_eq!(
            train.iter().map(|c| c.1.index).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert!(test
            .iter()
            .all(|c| c.1.section == "00" && c.1.domain == "source"));
        assert_eq!(scan(dir.path(), "valve", Split::Train).unwrap().len(), 4);
        assert!(!detect(&dir.path().join("valve/id_02")));
    }
}
