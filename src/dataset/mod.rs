//! Audio files and dataset folders: WAV I/O (hound), the DCASE 2020–2025 layouts, MIMII 2019 and ToyADMOS 2019
//! (`Layout`), and the policy for files that cannot be read (`BadFiles`).

mod bad_files;
pub mod ground_truth;
mod layout;
mod mimii;
mod summary;
mod toyadmos;
mod wav;

pub use summary::{describe, DatasetSummary};

pub use bad_files::BadFiles;

pub use layout::{
    attributes_csv, attributes_csv_with_faults, force_layout, layout_of, machine_dir, machines,
    scan, ClipName, FaultColumns, Layout, Naming, Split, LAYOUTS_EXPECTED,
};
pub use wav::{read_wav, write_wav_atomic, Audio, SampleFormat, WavError};

use std::io::Write;
use std::path::Path;

/// Writes a file through a temporary sibling and a rename, so a reader (or a rerun after
/// Ctrl-C) never sees a half-written file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.flush()?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
