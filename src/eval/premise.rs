//! The paper's premise, measured: does the *machine* decide how hard a fault is to detect?
//!
//! Each catalog function alone, at its defaults and one intensity, is applied to every normal
//! test clip of every machine; each (machine, function) cell gets the AUC of those clips against
//! the normal ones. A two-way decomposition of that table (no replication: machine, function,
//! and the rest, which is their interaction) says how much of the detectability is the machine's;
//! the Spearman ρ between the machines' mean AUC over the functions and their reference-fault
//! AUC says whether it is the same machine effect the real faults show. Both get a percentile
//! bootstrap interval from resampling test clips within each machine (a clip with all its
//! rendered faults together; the reference clips on their own).
//!
//! A function that every machine catches (mean AUC ≥ 0.95) or none does (≤ 0.6) at the chosen
//! severity cannot show a machine effect: its cells sit at the ceiling or the floor, and all it
//! adds to the table is its distance from the grand mean, to the function term. So the same
//! decomposition and ρ are also given over the *informative* functions alone (`INFORMATIVE`),
//! chosen once on the full table by their mean over machines — a choice on the function effect,
//! which is orthogonal to the machine effect — and kept fixed in the bootstrap (the intervals are
//! conditional on that choice).

use super::{score_paths, test_clips};
use crate::catalog::{levels, CATALOG};
use crate::dataset::read_wav;
use crate::detect::{Model, ScoreKind};
use crate::features::LogMel;
use crate::metrics::{self, bootstrap};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// Shares of the AUC table's variance (sum of squares), 0..1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Shares {
    pub machine: f64,
    pub function: f64,
    pub interaction: f64,
}

/// Two-way decomposition of a machines × functions table without replication.
pub fn shares(table: &[Vec<f64>]) -> Shares {
    let (m, f) = (table.len(), table.first().map_or(0, Vec::len));
    if m < 2 || f < 2 {
        return Shares::default();
    }
    let grand = table.iter().flatten().sum::<f64>() / (m * f) as f64;
    let row: Vec<f64> = table
        .iter()
        .map(|r| r.iter().sum::<f64>() / f as f64)
        .collect();
    let col: Vec<f64> = (0..f)
        .map(|j| table.iter().map(|r| r[j]).sum::<f64>() / m as f64)
        .collect();
    let total: f64 = table.iter().flatten().map(|a| (a - grand).powi(2)).sum();
    if total <= 0.0 {
        return Shares::default();
    }
    let ss_m = f as f64 * row.iter().map(|r| (r - grand).powi(2)).sum::<f64>();
    let ss_f = m as f64 * col.iter().map(|c| (c - grand).powi(2)).sum::<f64>();
    Shares {
        machine: ss_m / total,
        function: ss_f / total,
        interaction: ((total - ss_m - ss_f) / total).max(0.0),
    }
}

/// Mean AUC over the machines (exclusive bounds) for a function to count as informative: above
/// the floor where nothing is caught, under the ceiling where everything is.
pub const INFORMATIVE: (f64, f64) = (0.6, 0.95);

/// The functions (column indices) whose mean AUC over the machines lies inside `INFORMATIVE`.
pub fn informative_columns(table: &[Vec<f64>]) -> Vec<usize> {
    let m = table.len().max(1) as f64;
    (0..table.first().map_or(0, Vec::len))
        .filter(|&j| {
            let mean = table.iter().map(|r| r[j]).sum::<f64>() / m;
            mean > INFORMATIVE.0 && mean < INFORMATIVE.1
        })
        .collect()
}

/// The table's columns `cols`, in order.
fn columns(table: &[Vec<f64>], cols: &[usize]) -> Vec<Vec<f64>> {
    table
        .iter()
        .map(|r| cols.iter().map(|&j| r[j]).collect())
        .collect()
}

/// The decomposition and ρ over the informative functions only.
#[derive(Clone, Debug, Serialize)]
pub struct Informative {
    /// Names of the functions kept.
    pub functions: Vec<String>,
    pub shares: Shares,
    pub machine_share_ci: Option<[f64; 2]>,
    pub rho: f64,
    pub rho_ci: Option<[f64; 2]>,
}

/// One score kind's premise result.
#[derive(Clone, Debug, Serialize)]
pub struct PremiseScore {
    pub score: String,
    /// AUC[machine][function].
    pub auc: Vec<Vec<f64>>,
    pub reference_auc: Vec<f64>,
    /// Each machine's mean AUC over the functions.
    pub machine_mean: Vec<f64>,
    pub shares: Shares,
    pub machine_share_ci: Option<[f64; 2]>,
    /// ρ(machine mean, reference AUC).
    pub rho: f64,
    pub rho_ci: Option<[f64; 2]>,
    /// The same over the informative functions; none when fewer than two are.
    pub informative: Option<Informative>,
}

/// What each catalog function is set to on every clip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Severity {
    /// One intensity on every clip (the catalog's nominal scale; against the machine, lowered by
    /// each clip's recorded ambient as every plan's is).
    Intensity(f32),
    /// On each clip, the intensity that puts the function's level on that clip — the recording,
    /// as the detector hears it — at this many dB (`levels::fit_intensity`): one severity on
    /// every machine, so what differs between machines is how they hide a change of that size.
    LevelDb(f64),
    /// On each clip, the intensity that puts the RMS change of the clip's log-mel cells at this
    /// many dB (`levels::Measure::CellChange`): one size of change as a log-mel detector's squared
    /// error spreads it, whichever bands or frames a function works in. The severity scale takes
    /// only the band where a change is largest, so at one level the function decides most of the
    /// AUC; this asks whether the machines differ once that is held equal.
    CellChangeDb(f64),
}

impl Severity {
    /// The fitted target and its tolerance, for the fitted severities.
    fn fitted(self) -> Option<(f64, f64)> {
        match self {
            Self::Intensity(_) => None,
            Self::LevelDb(db) => Some((db, 1.0)),
            Self::CellChangeDb(db) => Some((db, 0.1 * db)),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PremiseResult {
    /// The one intensity (`Severity::Intensity`), or none.
    pub intensity: Option<f32>,
    /// The one level on every clip, dB (`Severity::LevelDb`), or none.
    pub level_db: Option<f64>,
    /// The one RMS log-mel cell change on every clip, dB (`Severity::CellChangeDb`), or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell_change_db: Option<f64>,
    /// With a fitted severity: the median fitted intensity per [machine][function].
    pub fitted_intensity: Option<Vec<Vec<f64>>>,
    /// With a fitted severity: renders that stand off it (a level by more than 1 dB, a cell
    /// change by more than a tenth: out of reach at intensity 1, or a fit that did not
    /// converge), and all renders.
    pub off_level: Option<[usize; 2]>,
    pub machines: Vec<String>,
    pub functions: Vec<String>,
    pub normals: Vec<usize>,
    pub references: Vec<usize>,
    pub resamples: usize,
    pub seed: u64,
    pub scores: Vec<PremiseScore>,
}

/// Scores of one machine: normal clips, each function's renders of them, the reference clips.
struct MachineScores {
    normal: Vec<[f64; 2]>,
    /// faulty[function][clip]
    faulty: Vec<Vec<[f64; 2]>>,
    reference: Vec<[f64; 2]>,
    /// (intensity, level reached) of each render with a fitted level: [function][clip].
    fitted: Vec<Vec<(f32, f64)>>,
}

/// The premise measures the autoencoder's two scores (`ScoreKind::LIVE` order).
fn kind_index(kind: ScoreKind) -> usize {
    match kind {
        ScoreKind::Mse | ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => {
            0
        }
        ScoreKind::Mahalanobis => 1,
    }
}

fn score_machine(
    model: &Model,
    data: &Path,
    machine: &str,
    severity: Severity,
    seed: u64,
) -> anyhow::Result<MachineScores> {
    let (normal_paths, reference_paths) = test_clips(data, machine)?;
    anyhow::ensure!(
        !normal_paths.is_empty() && !reference_paths.is_empty(),
        "{machine}: needs normal and anomalous test clips"
    );
    let pair = |s: (f64, f64)| [s.0, s.1];
    // The premise runs on built-in data: an unreadable clip is an error, not a skip.
    let reference = score_paths(
        model,
        &reference_paths,
        &crate::dataset::BadFiles::new(true),
    )?
    .into_iter()
    .flatten()
    .map(pair)
    .collect();
    // Each normal clip read and brought to the model's rate and one channel once; its score and
    // every function's render of it come from that.
    let sr = model.features.sample_rate;
    let clips: Vec<Vec<f32>> = normal_paths
        .par_iter()
        .map(|p| Ok(crate::features::prepare_audio(&read_wav(p)?, sr)))
        .collect::<anyhow::Result<_>>()?;
    let score = |lm: &mut LogMel, x: Vec<f32>| -> anyhow::Result<[f64; 2]> {
        let audio = crate::dataset::Audio {
            sample_rate: sr,
            channels: vec![x],
        };
        Ok(pair(model.score(super::audio_vectors(&audio, lm)?.view())))
    };
    // Severities against the machine's own sound: each clip's recorded ambient lowers the
    // intensity as every plan's is (`FaultPlan::on_ambient`); against the recording, nothing.
    let against_machine =
        crate::offline::severity_measured_at(data) == crate::features::level::MeasuredAt::Machine;
    let on_ambient: Vec<f32> = normal_paths
        .iter()
        .map(|p| {
            let attributes = crate::dataset::ClipName::attributes_of(p);
            let ambient = crate::plan::ambient_db(machine, &attributes).filter(|_| against_machine);
            crate::plan::intensity_on_ambient(ambient)
        })
        .collect();
    let normal = clips
        .par_iter()
        .map_init(
            || LogMel::new(model.features.clone()),
            |lm, x| score(lm, x.clone()),
        )
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Per function, per clip: the render's scores and its (intensity, level reached).
    type Render = ([f64; 2], (f32, f64));
    let rendered: Vec<Vec<Render>> = CATALOG
        .iter()
        .map(|spec| {
            clips
                .par_iter()
                .enumerate()
                .map_init(
                    || LogMel::new(model.features.clone()),
                    |lm, (k, x)| {
                        let clip_seed = crate::dsp::derive_seed(seed, k as u64);
                        let (intensity, level, y) = match severity {
                            Severity::Intensity(i) => {
                                let i = i * on_ambient[k];
                                (i, f64::NAN, levels::apply(spec, i, x, sr, clip_seed))
                            }
                            Severity::LevelDb(db) => {
                                levels::fit_intensity(spec, db, x, sr, clip_seed)
                            }
                            Severity::CellChangeDb(db) => levels::fit_intensity_by(
                                levels::Measure::CellChange,
                                spec,
                                db,
                                x,
                                sr,
                                clip_seed,
                            ),
                        };
                        Ok((score(lm, y)?, (intensity, level)))
                    },
                )
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(MachineScores {
        normal,
        faulty: rendered
            .iter()
            .map(|f| f.iter().map(|r| r.0).collect())
            .collect(),
        reference,
        fitted: rendered
            .iter()
            .map(|f| f.iter().map(|r| r.1).collect())
            .collect(),
    })
}

fn auc(normal: &[[f64; 2]], anomalous: &[[f64; 2]], k: usize) -> f64 {
    let n: Vec<f64> = normal.iter().map(|s| s[k]).collect();
    let a: Vec<f64> = anomalous.iter().map(|s| s[k]).collect();
    metrics::RocSample::new(&n, &a).areas(1.0).0
}

/// (table, reference AUCs) for one score kind, optionally on resampled clip indices.
fn tables(
    all: &[MachineScores],
    k: usize,
    picks: Option<&[(Vec<usize>, Vec<usize>)]>,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let take = |v: &[[f64; 2]], idx: Option<&Vec<usize>>| -> Vec<[f64; 2]> {
        idx.map_or_else(|| v.to_vec(), |i| i.iter().map(|&j| v[j]).collect())
    };
    let mut table = Vec::new();
    let mut reference = Vec::new();
    for (m, s) in all.iter().enumerate() {
        let (clips, refs) = match picks {
            Some(p) => (Some(&p[m].0), Some(&p[m].1)),
            None => (None, None),
        };
        let normal = take(&s.normal, clips);
        table.push(
            s.faulty
                .iter()
                .map(|f| auc(&normal, &take(f, clips), k))
                .collect(),
        );
        reference.push(auc(&normal, &take(&s.reference, refs), k));
    }
    (table, reference)
}

fn summary(table: &[Vec<f64>], reference: &[f64]) -> (Shares, f64, Vec<f64>) {
    let means: Vec<f64> = table
        .iter()
        .map(|r| r.iter().sum::<f64>() / r.len() as f64)
        .collect();
    (shares(table), metrics::spearman(&means, reference), means)
}

/// Runs the premise measurement on a DCASE-layout dataset with a trained model.
pub fn premise(
    model: &Model,
    data: &Path,
    machines: &[String],
    severity: Severity,
    resamples: usize,
    seed: u64,
) -> anyhow::Result<PremiseResult> {
    let all: Vec<MachineScores> = machines
        .iter()
        .map(|m| score_machine(model, data, m, severity, seed))
        .collect::<anyhow::Result<_>>()?;
    let mut rng = bootstrap::resample_rng(seed, 0);
    let picks: Vec<Vec<(Vec<usize>, Vec<usize>)>> = (0..resamples)
        .map(|_| {
            all.iter()
                .map(|s| {
                    (
                        (0..s.normal.len())
                            .map(|_| rng.below(s.normal.len()))
                            .collect(),
                        (0..s.reference.len())
                            .map(|_| rng.below(s.reference.len()))
                            .collect(),
                    )
                })
                .collect()
        })
        .collect();
    let scores = [ScoreKind::Mse, ScoreKind::Mahalanobis]
        .into_iter()
        .map(|kind| {
            let k = kind_index(kind);
            let (table, reference) = tables(&all, k, None);
            let (sh, rho, means) = summary(&table, &reference);
            let keep = informative_columns(&table);
            // Per resample: (machine share, ρ) over all functions, then over the kept ones.
            let boot: Vec<[f64; 4]> = picks
                .par_iter()
                .map(|p| {
                    let (t, r) = tables(&all, k, Some(p));
                    let (s, rho, _) = summary(&t, &r);
                    let (si, rhoi, _) = summary(&columns(&t, &keep), &r);
                    [s.machine, rho, si.machine, rhoi]
                })
                .collect();
            let interval = |i: usize| {
                let v: Vec<f64> = boot.iter().map(|b| b[i]).collect();
                bootstrap::percentile_interval(&v, bootstrap::DEFAULT_LEVEL)
            };
            let informative = (keep.len() >= 2).then(|| {
                let (shares, rho, _) = summary(&columns(&table, &keep), &reference);
                Informative {
                    functions: keep.iter().map(|&j| CATALOG[j].name.to_string()).collect(),
                    shares,
                    machine_share_ci: interval(2),
                    rho,
                    rho_ci: interval(3),
                }
            });
            PremiseScore {
                score: kind.name().to_string(),
                auc: table,
                reference_auc: reference,
                machine_mean: means,
                shares: sh,
                machine_share_ci: interval(0),
                rho,
                rho_ci: interval(1),
                informative,
            }
        })
        .collect();
    let (intensity, level_db, cell_change_db) = match severity {
        Severity::Intensity(i) => (Some(i), None, None),
        Severity::LevelDb(db) => (None, Some(db), None),
        Severity::CellChangeDb(db) => (None, None, Some(db)),
    };
    let fitted_intensity = severity.fitted().map(|_| {
        all.iter()
            .map(|m| {
                m.fitted
                    .iter()
                    .map(|f| levels::median(f.iter().map(|r| f64::from(r.0)).collect()))
                    .collect()
            })
            .collect()
    });
    let off_level = severity.fitted().map(|(target, tolerance)| {
        let renders = all.iter().flat_map(|m| m.fitted.iter().flatten());
        [
            renders
                .clone()
                .filter(|r| r.1.is_nan() || (r.1 - target).abs() > tolerance)
                .count(),
            renders.count(),
        ]
    });
    Ok(PremiseResult {
        intensity,
        level_db,
        cell_change_db,
        fitted_intensity,
        off_level,
        machines: machines.to_vec(),
        functions: CATALOG.iter().map(|f| f.name.to_string()).collect(),
        normals: all.iter().map(|s| s.normal.len()).collect(),
        references: all.iter().map(|s| s.reference.len()).collect(),
        resamples,
        seed,
        scores,
    })
}

/// The result as a text table: AUC per machine and function, then the shares and ρ.
/// The table header: a blank machine column, then each function's first six letters.
fn function_header(functions: &[String]) -> String {
    let mut s = format!("{:<10}", "");
    for f in functions {
        s += &format!(" {:>6}", &f[..f.len().min(6)]);
    }
    s
}

pub fn text(r: &PremiseResult) -> String {
    let mut s = String::new();
    for p in &r.scores {
        let at = match (r.intensity, r.level_db, r.cell_change_db) {
            (Some(i), _, _) => format!("intensity {i}"),
            (None, Some(db), _) => format!("level {db:+} dB on every clip"),
            (None, None, Some(db)) => format!("log-mel cell change {db} dB RMS on every clip"),
            (None, None, None) => String::new(),
        };
        s += &format!(
            "premise ({}, {at}, {} resamples, seed {}): AUC per machine × function\n",
            p.score, r.resamples, r.seed
        );
        s += &function_header(&r.functions);
        s += "   mean    ref\n";
        for (m, name) in r.machines.iter().enumerate() {
            s += &format!("{name:<10}");
            for a in &p.auc[m] {
                s += &format!(" {a:>6.2}");
            }
            s += &format!(" {:>6.3} {:>6.3}\n", p.machine_mean[m], p.reference_auc[m]);
        }
        let ci = |c: Option<[f64; 2]>| {
            c.map_or("[n/a]".to_string(), |[a, b]| format!("[{a:.2}, {b:.2}]"))
        };
        s += &format!(
            "variance share: machine {:.2} {}, function {:.2}, interaction {:.2}; ρ(machine mean, reference) {:.2} {}\n",
            p.shares.machine,
            ci(p.machine_share_ci),
            p.shares.function,
            p.shares.interaction,
            p.rho,
            ci(p.rho_ci)
        );
        s += &format!(
            "informative functions (mean AUC over machines in ({}, {})): ",
            INFORMATIVE.0, INFORMATIVE.1
        );
        s += &match &p.informative {
            Some(i) => format!(
                "{}\n  variance share: machine {:.2} {}, function {:.2}, interaction {:.2}; ρ(machine mean, reference) {:.2} {}\n\n",
                i.functions.join(", "),
                i.shares.machine,
                ci(i.machine_share_ci),
                i.shares.function,
                i.shares.interaction,
                i.rho,
                ci(i.rho_ci)
            ),
            None => "fewer than two\n\n".to_string(),
        };
    }
    if let (Some(fitted), Some([off, all])) = (&r.fitted_intensity, r.off_level) {
        s += "fitted intensity (median over clips) per machine × function\n";
        s += &function_header(&r.functions);
        s += "\n";
        for (name, row) in r.machines.iter().zip(fitted) {
            s += &format!("{name:<10}");
            for i in row {
                s += &format!(" {i:>6.3}");
            }
            s += "\n";
        }
        let off_by = if r.cell_change_db.is_some() {
            "a tenth off the cell change"
        } else {
            "1 dB off the level"
        };
        s += &format!("renders more than {off_by}: {off} of {all}\n\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_split_an_additive_table_and_sum_to_one() {
        // a_mf = row_m + col_f exactly: no interaction.
        let rows = [0.1, 0.3, 0.2];
        let cols = [0.0, 0.4];
        let t: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| cols.iter().map(|c| r + c).collect())
            .collect();
        let s = shares(&t);
        // SS_m = 2 × Σ (r − 0.2)² = 2 × 0.02 = 0.04; SS_f = 3 × 2 × 0.2² = 0.24.
        assert!(
            (s.machine - 0.04 / 0.28).abs() < 1e-12
                && (s.function - 0.24 / 0.28).abs() < 1e-12
                && s.interaction < 1e-12
        );
        let t = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let s = shares(&t);
        assert!(s.machine < 1e-12 && s.function < 1e-12 && (s.interaction - 1.0).abs() < 1e-12);
    }

    #[test]
    fn informative_functions_leave_out_the_ceiling_and_the_floor() {
        // Every machine catches function 0 and none catches function 1; functions 2 and 3 show
        // the machines in one order at one mean. Over all four, the machine is a small share; over the two
        // informative ones, all of it.
        let r = [-0.05, 0.0, 0.05, 0.1];
        let t: Vec<Vec<f64>> = r
            .iter()
            .map(|r| vec![1.0, 0.5, 0.75 + r, 0.75 + r])
            .collect();
        assert_eq!(informative_columns(&t), vec![2, 3]);
        let all = shares(&t);
        let kept = shares(&columns(&t, &informative_columns(&t)));
        assert!(all.machine < 0.1, "{all:?}");
        assert!((kept.machine - 1.0).abs() < 1e-12, "{kept:?}");
        // The bounds are exclusive: a mean of exactly 0.95 is at the ceiling.
        let t = vec![vec![0.95, 0.7, 0.6], vec![0.95, 0.8, 0.6]];
        assert_eq!(informative_columns(&t), vec![1]);
    }
}
