//! The DCASE folder layouts, `<machine>/<train|test>/<clip>.wav`, with two namings:
//! - DCASE 2021–2025 (MIMII DUE/DG, ToyADMOS2):
//!   `section_00_<source|target>_<train|test>_<normal|anomaly>_<0000>_<k>_<v>….wav`, and
//!   `<machine>/attributes_00.csv` with `file_name,d1p,d1v,d2p,d2v,…`;
//! - DCASE 2020 Task 2 (MIMII and ToyADMOS): `<normal|anomaly>_id_<XX>_<00000000>.wav`; the machine
//!   id acts as the section, every clip is in the one (source) domain, and the split is the
//!   folder's. Evaluation-set files without a label (`id_XX_….wav`) are not read.

use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// Which naming a file name uses (a renamed clip keeps its dataset's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Naming {
    /// `section_XX_<domain>_<split>_<label>_NNNN_…` (DCASE 2021–2025).
    #[default]
    Sections,
    /// `<label>_id_XX_NNNNNNNN` (DCASE 2020).
    Ids,
    /// `id_XX/<normal|abnormal>/NNNNNNNN` (MIMII 2019; also ToyADMOS 2019's `case<N>/…_IND/`
    /// folders): the label and section are in the folders.
    Mimii,
}

/// What a DCASE file name says about a clip.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipName {
    pub section: String,
    pub domain: String,
    /// The split; a DCASE 2020 name does not carry it, so `parse` says `Test` and `scan` sets
    /// the folder's.
    pub split: Split,
    pub anomaly: bool,
    pub index: usize,
    pub attributes: Vec<(String, String)>,
    pub naming: Naming,
}

impl ClipName {
    pub fn file_name(&self) -> String {
        if self.naming == Naming::Mimii {
            return format!("{:08}.wav", self.index);
        }
        if self.naming == Naming::Ids {
            return format!(
                "{}_id_{}_{:08}.wav",
                if self.anomaly { "anomaly" } else { "normal" },
                self.section,
                self.index
            );
        }
        let mut s = format!(
            "section_{}_{}_{}_{}_{:04}",
            self.section,
            self.domain,
            self.split.name(),
            if self.anomaly { "anomaly" } else { "normal" },
            self.index
        );
        for (k, v) in &self.attributes {
            s.push('_');
            s.push_str(k);
            s.push('_');
            s.push_str(v);
        }
        s + ".wav"
    }

    /// The attributes a clip's file name carries (none when it is not a DCASE name): what
    /// plans for that clip are tailored to.
    pub fn attributes_of(path: &std::path::Path) -> Vec<(String, String)> {
        path.file_name()
            .and_then(|n| n.to_str())
            .and_then(Self::parse)
            .map(|c| c.attributes)
            .unwrap_or_default()
    }

    /// Parses a DCASE file name (either naming); `None` if it is not one.
    pub fn parse(file_name: &str) -> Option<Self> {
        let stem = file_name.strip_suffix(".wav")?;
        let parts: Vec<&str> = stem.split('_').collect();
        if let ["normal" | "anomaly", "id", id, index] = parts[..] {
            let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            if !(ok(id, 2) && ok(index, 8)) {
                return None;
            }
            return Some(Self {
                section: id.into(),
                domain: "source".into(),
                split: Split::Test,
                anomaly: parts[0] == "anomaly",
                index: index.parse().ok()?,
                attributes: Vec::new(),
                naming: Naming::Ids,
            });
        }
        if parts.len() < 6 || parts[0] != "section" {
            return None;
        }
        let split = match parts[3] {
            "train" => Split::Train,
            "test" => Split::Test,
            _ => return None,
        };
        let anomaly = match parts[4] {
            "normal" => false,
            "anomaly" => true,
            _ => return None,
        };
        let index = parts[5].parse().ok()?;
        let attributes = parts[6..]
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect();
        Some(Self {
            section: parts[1].into(),
            domain: parts[2].into(),
            split,
            anomaly,
            index,
            attributes,
            naming: Naming::Sections,
        })
    }
}

/// The dataset families `scan` reads, told apart by their folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<machine>/<train|test>/<DCASE 2020 or 2021–2025 names>.wav` (the names tell which).
    Dcase,
    /// MIMII 2019: `[<snr>_dB_<machine>/]<machine>/id_XX/<normal|abnormal>/NNNNNNNN.wav`.
    Mimii,
    /// ToyADMOS 2019: `<ToyCar|ToyConveyor|ToyTrain>/case<N>/<NormalSound_IND|AnomalousSound_IND>/…ch1….wav`.
    Toyadmos,
}

/// What a dataset root must hold, for messages that find none of it.
pub const LAYOUTS_EXPECTED: &str = "<machine>/train and <machine>/test (or source_test and target_test) folders as DCASE 2020–2025 ship them, MIMII's [<snr>_dB_<machine>/]<machine>/id_XX/normal, or ToyADMOS's <ToyCar|ToyConveyor|ToyTrain>/case<N>/NormalSound_IND (a ToyADMOS2 download is source material: make a DCASE-layout set with its mixer first)";

static FORCED: std::sync::OnceLock<Layout> = std::sync::OnceLock::new();

/// Makes every later `scan`, `machines` and `layout_of` use `layout` instead of detecting it
/// (the command line's `--layout`). The first call wins.
pub fn force_layout(layout: Layout) {
    let _ = FORCED.set(layout);
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Dcase => "dcase",
            Layout::Mimii => "mimii",
            Layout::Toyadmos => "toyadmos",
        }
    }
}

/// The layout of the dataset at `root`: forced, or MIMII if its folders are MIMII's, else DCASE.
pub fn layout_of(root: &Path) -> Layout {
    if let Some(l) = FORCED.get() {
        return *l;
    }
    if super::mimii::detect(root) {
        Layout::Mimii
    } else if super::toyadmos::detect(root) {
        Layout::Toyadmos
    } else {
        Layout::Dcase
    }
}

/// Machine folders of the dataset at `root`, sorted: DCASE folders with a `train` folder, or
/// MIMII machine keys.
pub fn machines(root: &Path) -> std::io::Result<Vec<String>> {
    match layout_of(root) {
        Layout::Mimii => Ok(super::mimii::machines(root)
            .into_iter()
            .map(|m| m.0)
            .collect()),
        Layout::Toyadmos => Ok(super::toyadmos::machines(root)
            .into_iter()
            .map(|m| m.0)
            .collect()),
        Layout::Dcase => {
            let mut out = Vec::new();
            for e in std::fs::read_dir(root)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", root.display())))?
            {
                let p = e?.path();
                if p.join("train").is_dir() {
                    out.push(
                        p.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .to_string(),
                    );
                }
            }
            out.sort();
            Ok(out)
        }
    }
}

/// The folder a machine's clips live under (render outputs keep their paths relative to it).
pub fn machine_dir(root: &Path, machine: &str) -> PathBuf {
    match layout_of(root) {
        Layout::Mimii => {
            super::mimii::machine_dir(root, machine).unwrap_or_else(|| root.join(machine))
        }
        Layout::Toyadmos => {
            super::toyadmos::machine_dir(root, machine).unwrap_or_else(|| root.join(machine))
        }
        Layout::Dcase => root.join(machine),
    }
}

/// Every clip of one machine and split, sorted, with what its name (and, for MIMII, its folders)
/// say about it.
pub fn scan(root: &Path, machine: &str, split: Split) -> std::io::Result<Vec<(PathBuf, ClipName)>> {
    match layout_of(root) {
        Layout::Mimii => super::mimii::scan(root, machine, split),
        Layout::Toyadmos => super::toyadmos::scan(root, machine, split),
        Layout::Dcase => scan_dcase(root, machine, split),
    }
}

/// Every DCASE-named WAV under `root/<machine>/<split>/`, sorted, with its parsed name.
fn scan_dcase(
    root: &Path,
    machine: &str,
    split: Split,
) -> std::io::Result<Vec<(PathBuf, ClipName)>> {
    let mut out = Vec::new();
    for dir in split_dirs(&root.join(machine), split) {
        scan_dcase_dir(&dir, machine, split, &mut out)?;
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The folders a DCASE split ships in: `train`; `test`, or DCASE 2021's (MIMII DUE, ToyADMOS2)
/// `source_test` and `target_test` — each that exists, `test` alone if none does (so the error
/// names the usual folder).
pub fn split_dirs(machine_dir: &Path, split: Split) -> Vec<PathBuf> {
    match split {
        Split::Train => vec![machine_dir.join("train")],
        Split::Test => {
            let found: Vec<PathBuf> = ["test", "source_test", "target_test"]
                .iter()
                .map(|d| machine_dir.join(d))
                .filter(|d| d.is_dir())
                .collect();
            if found.is_empty() {
                vec![machine_dir.join("test")]
            } else {
                found
            }
        }
    }
}

fn scan_dcase_dir(
    dir: &Path,
    machine: &str,
    split: Split,
    out: &mut Vec<(PathBuf, ClipName)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
    {
        let path = entry?.path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(mut name) = ClipName::parse(file) {
            if name.naming == Naming::Ids {
                name.split = split;
            }
            out.push((path, name));
        } else if let (Split::Test, Some((section, index)), Some((anomaly, domain))) = (
            split,
            super::ground_truth::eval_name(file),
            super::ground_truth::label(machine, file),
        ) {
            // An evaluation set's unlabelled clip, labelled by the evaluators' ground truth.
            let name = ClipName {
                section,
                domain,
                split,
                anomaly,
                index,
                attributes: Vec::new(),
                naming: if super::ground_truth::is_2020_name(file) {
                    Naming::Ids
                } else {
                    Naming::Sections
                },
            };
            out.push((path, name));
        }
    }
    Ok(())
}

/// `attributes_00.csv` text for clips of one machine, as the DCASE 2023+ datasets ship it.
pub fn attributes_csv(machine: &str, clips: &[ClipName]) -> String {
    attributes_csv_with_faults(machine, clips, None)
}

/// A reference fault's columns in a synthetic dataset's attributes CSV.
pub struct FaultColumns<'a> {
    pub fault: &'a str,
    pub severity_db: f32,
    pub description: &'a str,
}

/// `attributes_csv`, with `fault,severity_db,description` columns after the attribute pairs when
/// `faults` is given (one entry per clip; empty fields for normal clips, the description quoted).
/// DCASE readers take the `dNp,dNv` pairs by position and skip these.
pub fn attributes_csv_with_faults(
    machine: &str,
    clips: &[ClipName],
    faults: Option<&[Option<FaultColumns<'_>>]>,
) -> String {
    let width = clips.iter().map(|c| c.attributes.len()).max().unwrap_or(0);
    let mut s = String::from("file_name");
    for i in 1..=width {
        s.push_str(&format!(",d{i}p,d{i}v"));
    }
    if faults.is_some() {
        s.push_str(",fault,severity_db,description");
    }
    s.push('\n');
    for (i, c) in clips.iter().enumerate() {
        s.push_str(&format!("{machine}/{}/{}", c.split.name(), c.file_name()));
        for (k, v) in &c.attributes {
            s.push_str(&format!(",{k},{v}"));
        }
        if let Some(faults) = faults {
            // Short rows are padded so the fault columns line up.
            s.push_str(&",,".repeat(width - c.attributes.len()));
            match faults.get(i).and_then(Option::as_ref) {
                Some(f) => s.push_str(&format!(
                    ",{},{:.2},\"{}\"",
                    f.fault,
                    f.severity_db,
                    f.description.replace('"', "'")
                )),
                None => s.push_str(",,,"),
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcase_2020_names_parse_round_trip_and_take_the_folder_split() {
        let c = ClipName::parse("anomaly_id_02_00000117.wav").unwrap();
        assert_eq!(
            (
                c.section.as_str(),
                c.domain.as_str(),
                c.anomaly,
                c.index,
                c.naming
            ),
            ("02", "source", true, 117, Naming::Ids)
        );
        assert_eq!(c.file_name(), "anomaly_id_02_00000117.wav");
        let n = ClipName {
            anomaly: false,
            ..c
        };
        assert_eq!(n.file_name(), "normal_id_02_00000117.wav");
        // The eval set's unlabeled names and near misses are not clips of a labeled set.
        for bad in [
            "id_02_00000117.wav",
            "normal_id_2_00000117.wav",
            "normal_id_02_117.wav",
            "normal_id_02_0000011x.wav",
        ] {
            assert!(ClipName::parse(bad).is_none(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("fan").join("train");
        std::fs::create_dir_all(&train).unwrap();
        std::fs::write(train.join("normal_id_00_00000000.wav"), b"").unwrap();
        let found = scan(dir.path(), "fan", Split::Train).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.split, Split::Train);
    }

    #[test]
    fn dcase_names_round_trip() {
        let real = "section_00_source_train_normal_0042_rpm_1200_blades_4.wav";
        let c = ClipName::parse(real).unwrap();
        assert_eq!(
            (c.split, c.anomaly, c.index, c.domain.as_str()),
            (Split::Train, false, 42, "source")
        );
        assert_eq!(
            c.attributes,
            vec![("rpm".into(), "1200".into()), ("blades".into(), "4".into())]
        );
        assert_eq!(c.file_name(), real);
        // DCASE 2023 names with attributes such as "m-n_W" and no attributes at all.
        assert!(
            ClipName::parse("section_00_target_test_anomaly_0003_m-n_W.wav")
                .unwrap()
                .anomaly
        );
        assert!(ClipName::parse("section_00_source_test_normal_0001.wav")
            .unwrap()
            .attributes
            .is_empty());
        assert!(ClipName::parse("notes.wav").is_none());
    }

    #[test]
    fn attributes_csv_has_dcase_columns() {
        let c =
            ClipName::parse("section_00_source_train_normal_0000_rpm_900_blades_5.wav").unwrap();
        let csv = attributes_csv("fan", &[c]);
        assert_eq!(csv, "file_name,d1p,d1v,d2p,d2v\nfan/train/section_00_source_train_normal_0000_rpm_900_blades_5.wav,rpm,900,blades,5\n");
    }
}
