//! Window scores per machine, split by label; AUC and pAUC on demand; the baseline's decision
//! threshold (gamma fit of the normal scores, 0.9 quantile); JSON and CSV reports.

use super::gamma::Gamma;
use crate::detect::ScoreKind;
use crate::metrics;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Thresholds are fitted once a machine has this many normal windows.
pub const MIN_NORMAL_FOR_THRESHOLD: usize = 10;

/// One scored window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowScore {
    pub index: u64,
    /// Stream time at the window's start, seconds.
    pub start_s: f64,
    pub machine: &'static str,
    pub fault: bool,
    pub mse: f64,
    pub mahalanobis: f64,
    /// Above the machine's threshold at the time it was scored (per score kind).
    pub above_mse: bool,
    pub above_mahalanobis: bool,
}

impl WindowScore {
    pub fn score(&self, kind: ScoreKind) -> f64 {
        match kind {
            ScoreKind::Mse => self.mse,
            ScoreKind::Mahalanobis => self.mahalanobis,
            // The live engine runs the autoencoder only (`ScoreKind::LIVE`).
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => f64::NAN,
        }
    }

    pub fn above(&self, kind: ScoreKind) -> bool {
        match kind {
            ScoreKind::Mse => self.above_mse,
            ScoreKind::Mahalanobis => self.above_mahalanobis,
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => false,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct MachineBook {
    normal: [Vec<f64>; 2],
    fault: [Vec<f64>; 2],
    gamma: [Option<Gamma>; 2],
    /// The gammas' 0.9 quantiles, computed once per fit.
    thresholds: [Option<f64>; 2],
    normal_at_fit: usize,
}

impl MachineBook {
    fn refit(&mut self) {
        let n = self.normal[0].len();
        // Refit as the normal set grows by a tenth (the fit is O(n) per step of its search).
        if n >= MIN_NORMAL_FOR_THRESHOLD
            && (self.normal_at_fit == 0 || n * 10 >= self.normal_at_fit * 11)
        {
            for k in 0..2 {
                self.gamma[k] = Gamma::fit(&self.normal[k]);
                self.thresholds[k] = self.gamma[k].map(|g| g.threshold());
            }
            self.normal_at_fit = n;
        }
    }

    fn threshold(&self, kind: ScoreKind) -> Option<f64> {
        self.thresholds[kind as usize]
    }

    fn auc(&self, kind: ScoreKind, pauc: bool) -> Option<f64> {
        let k = kind as usize;
        if self.normal[k].is_empty() || self.fault[k].is_empty() {
            return None;
        }
        let labels: Vec<bool> = self.normal[k]
            .iter()
            .map(|_| false)
            .chain(self.fault[k].iter().map(|_| true))
            .collect();
        let scores: Vec<f64> = self.normal[k]
            .iter()
            .chain(&self.fault[k])
            .copied()
            .collect();
        Some(if pauc {
            metrics::pauc(&labels, &scores, 0.1)
        } else {
            metrics::auc(&labels, &scores)
        })
    }
}

/// Per-machine detection so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineSummary {
    pub machine: String,
    pub normal_windows: usize,
    pub fault_windows: usize,
    pub auc_mse: Option<f64>,
    pub pauc_mse: Option<f64>,
    pub auc_mahalanobis: Option<f64>,
    pub pauc_mahalanobis: Option<f64>,
    pub threshold_mse: Option<f64>,
    pub threshold_mahalanobis: Option<f64>,
    pub gamma_mse: Option<Gamma>,
    pub gamma_mahalanobis: Option<Gamma>,
}

impl MachineSummary {
    pub fn auc(&self, kind: ScoreKind) -> Option<f64> {
        match kind {
            ScoreKind::Mse => self.auc_mse,
            ScoreKind::Mahalanobis => self.auc_mahalanobis,
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => None,
        }
    }

    pub fn pauc(&self, kind: ScoreKind) -> Option<f64> {
        match kind {
            ScoreKind::Mse => self.pauc_mse,
            ScoreKind::Mahalanobis => self.pauc_mahalanobis,
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => None,
        }
    }

    pub fn threshold(&self, kind: ScoreKind) -> Option<f64> {
        match kind {
            ScoreKind::Mse => self.threshold_mse,
            ScoreKind::Mahalanobis => self.threshold_mahalanobis,
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => None,
        }
    }
}

/// Everything a report needs, at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BookSummary {
    pub machines: Vec<MachineSummary>,
    pub windows: u64,
    /// Windows not scored into the book: their samples mixed labels or machines, or a gap.
    pub discarded_windows: u64,
    /// Samples the audio thread dropped because analysis fell behind.
    pub dropped_samples: u64,
    /// Increments with each model swap; the book restarts then.
    pub model_generation: u64,
}

impl BookSummary {
    pub fn machine(&self, name: &str) -> Option<&MachineSummary> {
        self.machines.iter().find(|m| m.machine == name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ScoreBook {
    machines: BTreeMap<&'static str, MachineBook>,
    windows: Vec<WindowScore>,
    discarded: u64,
    generation: u64,
    /// Counts every change, so readers can tell whether a summary is stale.
    version: u64,
}

impl ScoreBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a window; fills in its above-threshold flags from the thresholds so far.
    pub fn add(&mut self, mut w: WindowScore) -> WindowScore {
        let book = self.machines.entry(w.machine).or_default();
        w.above_mse = book.threshold(ScoreKind::Mse).is_some_and(|t| w.mse > t);
        w.above_mahalanobis = book
            .threshold(ScoreKind::Mahalanobis)
            .is_some_and(|t| w.mahalanobis > t);
        let side = if w.fault {
            &mut book.fault
        } else {
            &mut book.normal
        };
        side[0].push(w.mse);
        side[1].push(w.mahalanobis);
        if !w.fault {
            book.refit();
        }
        self.windows.push(w.clone());
        self.version += 1;
        w
    }

    pub fn discard(&mut self) {
        self.discarded += 1;
        self.version += 1;
    }

    /// Forgets every score (scores of different models do not compare).
    pub fn restart(&mut self) {
        self.machines.clear();
        self.windows.clear();
        self.discarded = 0;
        self.generation += 1;
        self.version += 1;
    }

    pub fn windows(&self) -> &[WindowScore] {
        &self.windows
    }

    /// Changes with every window, discard and restart.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn summary(&self, dropped_samples: u64) -> BookSummary {
        let machines = self
            .machines
            .iter()
            .map(|(name, b)| MachineSummary {
                machine: name.to_string(),
                normal_windows: b.normal[0].len(),
                fault_windows: b.fault[0].len(),
                auc_mse: b.auc(ScoreKind::Mse, false),
                pauc_mse: b.auc(ScoreKind::Mse, true),
                auc_mahalanobis: b.auc(ScoreKind::Mahalanobis, false),
                pauc_mahalanobis: b.auc(ScoreKind::Mahalanobis, true),
                threshold_mse: b.threshold(ScoreKind::Mse),
                threshold_mahalanobis: b.threshold(ScoreKind::Mahalanobis),
                gamma_mse: b.gamma[0],
                gamma_mahalanobis: b.gamma[1],
            })
            .collect();
        BookSummary {
            machines,
            windows: self.windows.len() as u64,
            discarded_windows: self.discarded,
            dropped_samples,
            model_generation: self.generation,
        }
    }

    /// Window scores as CSV (one row per window).
    pub fn windows_csv(&self) -> String {
        windows_csv(self.windows.iter())
    }

    /// Writes `summary.json`, `windows.csv` and `alarms.csv` (windows above a threshold) into
    /// `dir`, each atomically.
    pub fn write_report(
        &self,
        dir: &Path,
        extra: &serde_json::Value,
        dropped_samples: u64,
    ) -> std::io::Result<Vec<PathBuf>> {
        let summary = self.summary(dropped_samples);
        let json = serde_json::json!({ "summary": summary, "run": extra });
        let alarms = windows_csv(
            self.windows
                .iter()
                .filter(|w| w.above_mse || w.above_mahalanobis),
        );
        let files = [
            (
                dir.join("summary.json"),
                serde_json::to_string_pretty(&json).expect("plain data"),
            ),
            (dir.join("windows.csv"), self.windows_csv()),
            (dir.join("alarms.csv"), alarms),
        ];
        for (path, text) in &files {
            crate::dataset::write_atomic(path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
        }
        Ok(files.into_iter().map(|(p, _)| p).collect())
    }
}

fn windows_csv<'a>(windows: impl Iterator<Item = &'a WindowScore>) -> String {
    let mut s =
        String::from("index,start_s,machine,label,mse,mahalanobis,above_mse,above_mahalanobis\n");
    for w in windows {
        let label = if w.fault { "fault" } else { "normal" };
        s += &format!(
            "{},{:.3},{},{label},{},{},{},{}\n",
            w.index, w.start_s, w.machine, w.mse, w.mahalanobis, w.above_mse, w.above_mahalanobis
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(i: u64, fault: bool, score: f64) -> WindowScore {
        WindowScore {
            index: i,
            start_s: i as f64 * 0.5,
            machine: "fan",
            fault,
            mse: score,
            mahalanobis: 2.0 * score,
            above_mse: false,
            above_mahalanobis: false,
        }
    }

    #[test]
    fn auc_and_threshold_follow_the_scores() {
        let mut book = ScoreBook::new();
        let mut rng = crate::dsp::Rng::new(3);
        for i in 0..200 {
            book.add(window(i, false, 10.0 + rng.uniform() as f64));
        }
        for i in 200..260 {
            book.add(window(i, true, 10.8 + rng.uniform() as f64));
        }
        let s = book.summary(0);
        let fan = s.machine("fan").unwrap();
        assert_eq!((fan.normal_windows, fan.fault_windows), (200, 60));
        // Uniform(10,11) vs Uniform(10.8,11.8): P(fault > normal) = 1 − 0.2²/2 = 0.98.
        let auc = fan.auc_mse.unwrap();
        assert!((auc - 0.98).abs() < 0.02, "{auc}");
        assert_eq!(fan.auc_mahalanobis, fan.auc_mse);
        // The 0.9 quantile of the normal scores lies near 10.9.
        let t = fan.threshold_mse.unwrap();
        assert!((t - 10.9).abs() < 0.1, "{t}");
        let flagged = book
            .windows()
            .iter()
            .filter(|w| w.index >= 200 && w.above_mse)
            .count();
        assert!(flagged > 40, "{flagged}");
    }

    #[test]
    fn report_files_are_written_and_parse() {
        let mut book = ScoreBook::new();
        for i in 0..30 {
            book.add(window(i, i % 3 == 0, i as f64));
        }
        let dir = tempfile::tempdir().unwrap();
        let files = book
            .write_report(dir.path(), &serde_json::json!({"source": "test"}), 7)
            .unwrap();
        assert_eq!(files.len(), 3);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
        assert_eq!(v["summary"]["dropped_samples"], 7);
        assert_eq!(v["summary"]["machines"][0]["fault_windows"], 10);
        let csv = std::fs::read_to_string(&files[1]).unwrap();
        assert_eq!(csv.lines().count(), 31);
    }
}
