//! The evaluation's statistics: every AUC, pAUC and ranking correlation with a bootstrap
//! interval, the reference ceiling, and the inputs of the verdict.
//!
//! The resampling unit is the clip, stratified by machine × source × plan seed: in every
//! resample each machine's normal test clips are drawn again with replacement *once* and shared
//! by all its sources (so planner-versus-random and planner-versus-reference differences stay
//! paired), and each source's anomalies are drawn on their own. All machines are resampled
//! jointly, so one resample gives a whole set of rankings, and ρ, τ and Δρ are computed on it.
//!
//! The reference ceiling is the split-half reliability of the reference ranking: the normal and
//! reference test clips of every machine are split into two random halves, machines are ranked
//! by AUC on each half, and ρ between the two rankings, averaged over splits, is stepped up to
//! the full size with the Spearman–Brown formula `2r / (1 + r)`. Its interval repeats that on
//! bootstrap resamples, splitting distinct clips so the two halves never share one; as a
//! resample with repeated clips is noisier than the data, its ρ runs low, so that interval is
//! the resampled spread moved onto the point value (`shifted_interval`).

use crate::detect::ScoreKind;
use crate::dsp::Rng;
use crate::hash::fnv1a;
use crate::metrics::bootstrap::{resample_counts, resample_rng, Estimate};
use crate::metrics::{kendall, spearman_small, RocSample};
use rayon::prelude::*;

/// pAUC's false-positive limit, as DCASE reports it.
pub const MAX_FPR: f64 = 0.1;

/// How the intervals are computed.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct StatsConfig {
    pub resamples: usize,
    /// Confidence level of every interval (0.95 = 95 %).
    pub level: f64,
    pub seed: u64,
    /// Random splits averaged for the reference ceiling's value (its resamples use fewer).
    pub ceiling_splits: usize,
}

impl Default for StatsConfig {
    fn default() -> Self {
        Self {
            resamples: crate::metrics::bootstrap::DEFAULT_RESAMPLES,
            level: crate::metrics::bootstrap::DEFAULT_LEVEL,
            seed: 0,
            ceiling_splits: 200,
        }
    }
}

/// One machine's comparisons: normal clips against every source's anomalies, per plan seed.
struct Cell {
    normals: usize,
    /// [source][plan seed] → one sorted sample per score kind of the design (in `kinds`
    /// order); empty where a source is absent.
    samples: Vec<Vec<Vec<RocSample>>>,
}

/// Scores grouped for the bootstrap: machines × sources × plan seeds × score kinds.
pub struct Design {
    pub machines: Vec<String>,
    /// `sources[0]` is the reference.
    pub sources: Vec<String>,
    /// The score kinds the clips carry (the detectors evaluated).
    pub kinds: Vec<ScoreKind>,
    cells: Vec<Cell>,
}

/// A scored clip as the statistics see it.
pub struct Scored<'a> {
    pub machine: &'a str,
    /// "normal", "reference" or another source.
    pub source: &'a str,
    pub plan_seed: usize,
    /// Indexed by `ScoreKind as usize`; kinds not in the design are not read.
    pub scores: [f64; ScoreKind::COUNT],
}

/// Per (kind, machine, source): AUC and pAUC averaged over plan seeds, for one weighting.
#[derive(Clone, Debug)]
pub struct Table {
    pub auc: Vec<f64>,
    pub pauc: Vec<f64>,
}

impl Design {
    pub fn new<'a>(
        machines: &[String],
        sources: &[String],
        kinds: &[ScoreKind],
        clips: impl IntoIterator<Item = Scored<'a>> + Clone,
    ) -> Self {
        let cells = machines
            .iter()
            .map(|m| {
                let normal: Vec<[f64; ScoreKind::COUNT]> = clips
                    .clone()
                    .into_iter()
                    .filter(|c| c.machine == m && c.source == "normal")
                    .map(|c| c.scores)
                    .collect();
                let samples = sources
                    .iter()
                    .map(|s| {
                        let seeds = clips
                            .clone()
                            .into_iter()
                            .filter(|c| c.machine == m && c.source == s)
                            .map(|c| c.plan_seed + 1)
                            .max()
                            .unwrap_or(0);
                        (0..seeds)
                            .map(|k| {
                                let anomalous: Vec<[f64; ScoreKind::COUNT]> = clips
                                    .clone()
                                    .into_iter()
                                    .filter(|c| c.machine == m && c.source == s && c.plan_seed == k)
                                    .map(|c| c.scores)
                                    .collect();
                                let pick = |v: &[[f64; ScoreKind::COUNT]], kind: ScoreKind| {
                                    v.iter().map(|x| x[kind as usize]).collect::<Vec<f64>>()
                                };
                                kinds
                                    .iter()
                                    .map(|&kind| {
                                        RocSample::new(
                                            &pick(&normal, kind),
                                            &pick(&anomalous, kind),
                                        )
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect();
                Cell {
                    normals: normal.len(),
                    samples,
                }
            })
            .collect();
        Self {
            machines: machines.to_vec(),
            sources: sources.to_vec(),
            kinds: kinds.to_vec(),
            cells,
        }
    }

    fn index(&self, kind: usize, machine: usize, source: usize) -> usize {
        (kind * self.machines.len() + machine) * self.sources.len() + source
    }

    /// The position of `kind` among the design's kinds. Panics on a kind the design lacks: a
    /// caller bug (results only ask for the kinds they were made with).
    pub fn kind_index(&self, kind: ScoreKind) -> usize {
        self.kinds
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_else(|| panic!("score {} is not in this design", kind.name()))
    }

    /// Value of (kind, machine, source) in a table.
    pub fn at(&self, t: &Table, kind: ScoreKind, machine: usize, source: usize) -> (f64, f64) {
        let i = self.index(self.kind_index(kind), machine, source);
        (t.auc[i], t.pauc[i])
    }

    pub fn source_index(&self, name: &str) -> Option<usize> {
        self.sources.iter().position(|s| s == name)
    }

    /// Plan seeds of a source on a machine.
    pub fn seeds(&self, machine: usize, source: usize) -> usize {
        self.cells[machine].samples[source].len()
    }

    pub fn normals(&self, machine: usize) -> usize {
        self.cells[machine].normals
    }

    pub fn anomalies(&self, machine: usize, source: usize) -> usize {
        self.cells[machine].samples[source]
            .iter()
            .map(|s| s[0].anomalies())
            .sum()
    }

    fn empty_table(&self) -> Table {
        let n = self.kinds.len() * self.machines.len() * self.sources.len();
        Table {
            auc: vec![f64::NAN; n],
            pauc: vec![f64::NAN; n],
        }
    }

    /// AUC of one plan seed (point estimate).
    pub fn seed_auc(&self, kind: ScoreKind, machine: usize, source: usize, seed: usize) -> f64 {
        self.cells[machine].samples[source][seed][self.kind_index(kind)]
            .areas(MAX_FPR)
            .0
    }

    /// The point estimates: every clip once.
    pub fn point(&self) -> Table {
        let mut t = self.empty_table();
        for (m, cell) in self.cells.iter().enumerate() {
            for (s, seeds) in cell.samples.iter().enumerate() {
                for kind in 0..self.kinds.len() {
                    let areas: Vec<(f64, f64)> =
                        seeds.iter().map(|x| x[kind].areas(MAX_FPR)).collect();
                    let i = self.index(kind, m, s);
                    (t.auc[i], t.pauc[i]) = mean_areas(&areas);
                }
            }
        }
        t
    }

    /// One bootstrap resample: normals drawn once per machine, each source × seed's anomalies
    /// on their own. `w_neg` and `w_pos` are scratch buffers.
    fn resample_into(
        &self,
        b: usize,
        seed: u64,
        t: &mut Table,
        w_neg: &mut Vec<u32>,
        w_pos: &mut Vec<u32>,
    ) {
        // A stream per machine (its normals) and per machine × source × plan seed (that cell's
        // anomalies), keyed by name: a source's or machine's resamples do not change when
        // another source or machine joins the run, so its interval does not either.
        let resample = derive(seed, b as u64);
        for (m, cell) in self.cells.iter().enumerate() {
            let machine = derive(resample, fnv1a(self.machines[m].as_bytes()));
            w_neg.resize(cell.normals, 0);
            resample_counts(&mut Rng::new(machine), w_neg);
            for (s, seeds) in cell.samples.iter().enumerate() {
                let (mut sum, mut n) = ([(0.0, 0.0); ScoreKind::COUNT], 0usize);
                let sum = &mut sum[..self.kinds.len()];
                let source = derive(machine, fnv1a(self.sources[s].as_bytes()));
                for (k, sample) in seeds.iter().enumerate() {
                    w_pos.resize(sample[0].anomalies(), 0);
                    resample_counts(&mut Rng::new(derive(source, k as u64)), w_pos);
                    for (kind, acc) in sum.iter_mut().enumerate() {
                        let (a, p) = sample[kind].weighted_areas(w_neg, w_pos, MAX_FPR);
                        acc.0 += a;
                        acc.1 += p;
                    }
                    n += 1;
                }
                for (kind, acc) in sum.iter().enumerate() {
                    let i = self.index(kind, m, s);
                    (t.auc[i], t.pauc[i]) = if n == 0 {
                        (f64::NAN, f64::NAN)
                    } else {
                        (acc.0 / n as f64, acc.1 / n as f64)
                    };
                }
            }
        }
    }

    /// `resamples` bootstrap tables, on all cores; the same for any thread count.
    pub fn resample(&self, cfg: &StatsConfig) -> Vec<Table> {
        (0..cfg.resamples)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(w_neg, w_pos), b| {
                    let mut t = self.empty_table();
                    self.resample_into(b, cfg.seed, &mut t, w_neg, w_pos);
                    t
                },
            )
            .collect()
    }

    /// Machines' AUCs of one source in a table.
    pub fn aucs(&self, t: &Table, kind: ScoreKind, source: usize) -> Vec<f64> {
        (0..self.machines.len())
            .map(|m| self.at(t, kind, m, source).0)
            .collect()
    }

    /// The reference ceiling for one score kind (see the module doc).
    pub fn ceiling(&self, kind: ScoreKind, cfg: &StatsConfig) -> Estimate {
        let k = self.kind_index(kind);
        let ones: Vec<Vec<u32>> = self.cells.iter().map(|c| vec![1; c.normals]).collect();
        let ones_pos: Vec<Vec<u32>> = self
            .cells
            .iter()
            .map(|c| vec![1; c.samples[0].first().map_or(0, |s| s[0].anomalies())])
            .collect();
        let value = self.split_half(k, &ones, &ones_pos, derive(cfg.seed, 1), cfg.ceiling_splits);
        // Fewer splits per resample: the resampling, not the split, dominates the spread.
        let splits = (cfg.ceiling_splits / 20).max(4);
        let resampled: Vec<f64> = (0..cfg.resamples)
            .into_par_iter()
            .map(|b| {
                let mut rng = resample_rng(derive(cfg.seed, 2), b);
                let mut neg = ones.clone();
                let mut pos = ones_pos.clone();
                for (n, p) in neg.iter_mut().zip(pos.iter_mut()) {
                    resample_counts(&mut rng, n);
                    resample_counts(&mut rng, p);
                }
                self.split_half(k, &neg, &pos, derive(cfg.seed, 3 + b as u64), splits)
            })
            .collect();
        Estimate {
            value,
            ci: crate::metrics::bootstrap::shifted_interval(
                &resampled,
                value,
                cfg.level,
                [-1.0, 1.0],
            ),
        }
    }

    /// Spearman–Brown-corrected mean split-half ρ of the reference ranking, for clip
    /// multiplicities `neg` / `pos` per machine (a clip drawn twice stays on one side).
    fn split_half(
        &self,
        kind: usize,
        neg: &[Vec<u32>],
        pos: &[Vec<u32>],
        seed: u64,
        splits: usize,
    ) -> f64 {
        let mut rng = crate::dsp::Rng::new(seed);
        let (mut sum, mut n) = (0.0, 0usize);
        let half = |w: &[u32], rng: &mut crate::dsp::Rng| -> (Vec<u32>, Vec<u32>) {
            let mut idx: Vec<usize> = (0..w.len()).collect();
            shuffle(&mut idx, rng);
            let (mut a, mut b) = (vec![0; w.len()], vec![0; w.len()]);
            for (j, &i) in idx.iter().enumerate() {
                if j < w.len() / 2 {
                    a[i] = w[i];
                } else {
                    b[i] = w[i];
                }
            }
            (a, b)
        };
        for _ in 0..splits {
            let (mut ra, mut rb) = (Vec::new(), Vec::new());
            for (m, cell) in self.cells.iter().enumerate() {
                let Some(sample) = cell.samples[0].first() else {
                    return f64::NAN;
                };
                let (na, nb) = half(&neg[m], &mut rng);
                let (pa, pb) = half(&pos[m], &mut rng);
                ra.push(sample[kind].weighted_areas(&na, &pa, MAX_FPR).0);
                rb.push(sample[kind].weighted_areas(&nb, &pb, MAX_FPR).0);
            }
            let r = spearman_small(&ra, &rb);
            if r.is_finite() {
                sum += r;
                n += 1;
            }
        }
        if n == 0 {
            return f64::NAN;
        }
        spearman_brown(sum / n as f64)
    }
}

fn derive(seed: u64, salt: u64) -> u64 {
    crate::dsp::derive_seed(seed, salt)
}

fn shuffle(v: &mut [usize], rng: &mut crate::dsp::Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

fn mean_areas(areas: &[(f64, f64)]) -> (f64, f64) {
    if areas.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = areas.len() as f64;
    (
        areas.iter().map(|a| a.0).sum::<f64>() / n,
        areas.iter().map(|a| a.1).sum::<f64>() / n,
    )
}

/// Reliability of the whole from the correlation of two halves.
pub fn spearman_brown(r: f64) -> f64 {
    if r <= -1.0 {
        return -1.0;
    }
    2.0 * r / (1.0 + r)
}

/// Clips per class that would bring a ranking of reliability `ceiling` (at `n` clips per
/// class) to `target`, by the Spearman–Brown prophecy `k = target(1 − c) / (c(1 − target))`;
/// `None` when the ceiling is not positive (no growth to extrapolate from).
pub fn clips_needed(ceiling: f64, n: usize, target: f64) -> Option<usize> {
    if ceiling.is_nan() || ceiling <= 0.0 {
        return None;
    }
    if ceiling >= target {
        return Some(n);
    }
    let k = target * (1.0 - ceiling) / (ceiling * (1.0 - target));
    Some((k * n as f64).ceil() as usize)
}

/// ρ and τ of each resampled table's ranking of `source` against the reference's.
pub fn correlations(
    design: &Design,
    tables: &[Table],
    kind: ScoreKind,
    source: usize,
) -> (Vec<f64>, Vec<f64>) {
    tables
        .iter()
        .map(|t| {
            let (a, r) = (design.aucs(t, kind, source), design.aucs(t, kind, 0));
            (spearman_small(&a, &r), kendall(&a, &r))
        })
        .unzip()
}

#[cfg(test)]
mod tests;
