//! Files a command cannot read: by default each is skipped with one line naming it and why, and
//! counted for the command's last line; with `--strict` the first one is the command's error.
//! Nothing a command writes depends on a skipped file being half-read.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct BadFiles {
    strict: bool,
    skipped: Mutex<Vec<(PathBuf, String)>>,
}

impl BadFiles {
    /// `strict`: the first unreadable file is an error. The line per skipped file is printed
    /// even by quiet commands: it is a warning, not progress.
    pub fn new(strict: bool) -> Self {
        Self {
            strict,
            skipped: Mutex::new(Vec::new()),
        }
    }

    /// The result of reading `path`: its value, `None` if skipped, or the error under `strict`.
    pub fn check<T>(&self, path: &Path, result: anyhow::Result<T>) -> anyhow::Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e) if self.strict => {
                Err(e.context(format!("{}: unreadable (--strict)", path.display())))
            }
            Err(e) => {
                let reason = format!("{e:#}");
                // Errors often start with the path already.
                let reason = reason
                    .strip_prefix(&format!("{}: ", path.display()))
                    .map(str::to_string)
                    .unwrap_or(reason);
                eprintln!("skipped {}: {reason}", path.display());
                self.skipped
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((path.to_path_buf(), reason));
                Ok(None)
            }
        }
    }

    /// The files skipped so far, in the order they were met, with the reason.
    pub fn skipped(&self) -> Vec<(PathBuf, String)> {
        let mut v = self
            .skipped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        v.sort();
        v
    }

    /// `", N unreadable files skipped"` for a command's last line, or nothing.
    pub fn summary(&self) -> String {
        match self.skipped.lock().unwrap_or_else(|p| p.into_inner()).len() {
            0 => String::new(),
            1 => ", 1 unreadable file skipped (--strict makes it an error)".into(),
            n => format!(", {n} unreadable files skipped (--strict makes them errors)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_skips_and_counts_strict_fails_on_the_first() {
        let lenient = BadFiles::new(false);
        let bad: anyhow::Result<u8> = Err(anyhow::anyhow!("truncated data chunk"));
        assert_eq!(lenient.check(Path::new("a.wav"), bad).unwrap(), None);
        assert_eq!(lenient.check(Path::new("b.wav"), Ok(3u8)).unwrap(), Some(3));
        assert_eq!(
            lenient.skipped(),
            vec![(PathBuf::from("a.wav"), "truncated data chunk".to_string())]
        );
        assert!(lenient.summary().contains("1 unreadable file skipped"));
        let strict = BadFiles::new(true);
        let err = strict
            .check(
                Path::new("a.wav"),
                Err::<u8, _>(anyhow::anyhow!("truncated")),
            )
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("a.wav: unreadable (--strict): truncated"),
            "{err:#}"
        );
        assert!(strict.summary().is_empty());
    }
}
