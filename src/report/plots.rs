//! PNG plots with plotters (bitmap backend, DejaVu Sans embedded: no system fonts needed).

use crate::detect::ScoreKind;
use crate::eval::EvalResult;
use crate::features::{FeatureConfig, LogMel};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

pub(super) const FONT: &str = "sans-serif";
pub(super) const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

pub(super) fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("plot: {e}")
}

pub(super) fn source_color(r: &EvalResult, source: &str) -> RGBColor {
    COLORS[r.sources.iter().position(|s| s == source).unwrap_or(0) % COLORS.len()]
}

/// Grouped bars: AUC per machine, one bar per anomaly source.
pub fn auc_bars(r: &EvalResult, kind: ScoreKind, path: &Path) -> anyhow::Result<PathBuf> {
    register_font();
    let root = BitMapBackend::new(path, (1000, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let groups = r.machines.len() as f64;
    let width = 0.8 / r.sources.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("AUC by machine and anomaly source ({} score)", kind.name()),
            (FONT, 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..groups, 0.0..1.3)
        .map_err(err)?;
    let machines = r.machines.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(r.machines.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 0.01 && i < machines.len() {
                machines[i].clone()
            } else {
                String::new()
            }
        })
        .y_desc("AUC")
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    for (k, source) in r.sources.iter().enumerate() {
        let color = source_color(r, source);
        let bars = r.machines.iter().enumerate().filter_map(|(i, m)| {
            let d = r
                .detections
                .iter()
                .find(|d| d.machine == *m && d.source == *source && d.score == kind)?;
            let x0 = i as f64 + 0.1 + k as f64 * width;
            Some(Rectangle::new(
                [(x0, 0.0), (x0 + width * 0.9, d.auc)],
                color.filled(),
            ))
        });
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(source.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .draw_series(LineSeries::new([(0.0, 0.5), (groups, 0.5)], BLACK.mix(0.4)))
        .map_err(err)?;
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font((FONT, 14))
        .position(SeriesLabelPosition::UpperMiddle)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(path.to_path_buf())
}

/// ROC curves of each anomaly source on one machine.
pub fn roc_curves(
    r: &EvalResult,
    machine: &str,
    kind: ScoreKind,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    register_font();
    let root = BitMapBackend::new(path, (520, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("ROC: {machine} ({}, plan seed 0)", kind.name()),
            (FONT, 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(45)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate")
        .label_style((FONT, 13))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(err)?;
    let normals: Vec<f64> = r
        .clips
        .iter()
        .filter(|c| c.machine == machine && c.source == "normal")
        .map(|c| c.score(kind))
        .collect();
    for source in &r.sources {
        // Plan seed 0's clips: one ROC, whose AUC is that seed's.
        let anomalies: Vec<f64> = r
            .clips
            .iter()
            .filter(|c| c.machine == machine && c.source == *source && c.plan_seed == 0)
            .map(|c| c.score(kind))
            .collect();
        if anomalies.is_empty() || normals.is_empty() {
            continue;
        }
        let labels: Vec<bool> = normals
            .iter()
            .map(|_| false)
            .chain(anomalies.iter().map(|_| true))
            .collect();
        let scores: Vec<f64> = normals.iter().chain(&anomalies).copied().collect();
        let auc = crate::metrics::auc(&labels, &scores);
        let color = source_color(r, source);
        chart
            .draw_series(LineSeries::new(
                crate::metrics::roc_curve(&labels, &scores),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("{source} (AUC {auc:.2})"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font((FONT, 13))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(path.to_path_buf())
}

/// Histograms of log10 scores: normal against each anomaly source.
pub fn histogram(
    r: &EvalResult,
    machine: &str,
    kind: ScoreKind,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    register_font();
    let of = |s: &str| -> Vec<f64> {
        r.clips
            .iter()
            .filter(|c| c.machine == machine && c.source == s)
            .map(|c| c.score(kind).max(1e-12).log10())
            .collect()
    };
    let mut sets = vec![("normal".to_string(), of("normal"), RGBColor(80, 80, 80))];
    sets.extend(
        r.sources
            .iter()
            .map(|s| (s.clone(), of(s), source_color(r, s))),
    );
    let all: Vec<f64> = sets.iter().flat_map(|s| s.1.iter().copied()).collect();
    let (lo, hi) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    };
    let bins = 24;
    let step = (hi - lo) / bins as f64;
    let counts = |v: &[f64]| -> Vec<f64> {
        let mut c = vec![0.0; bins];
        for x in v {
            c[(((x - lo) / step) as usize).min(bins - 1)] += 1.0 / v.len().max(1) as f64;
        }
        c
    };
    let ymax = sets
        .iter()
        .flat_map(|s| counts(&s.1))
        .fold(0.0, f64::max)
        .max(0.05)
        * 1.1;
    let root = BitMapBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Scores: {machine} ({}, log10)", kind.name()),
            (FONT, 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(lo..hi, 0.0..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("log10 score")
        .y_desc("fraction of clips")
        .label_style((FONT, 13))
        .draw()
        .map_err(err)?;
    for (name, values, color) in &sets {
        if values.is_empty() {
            continue;
        }
        let c = counts(values);
        let color = *color;
        let outline: Vec<(f64, f64)> = c
            .iter()
            .enumerate()
            .flat_map(|(i, v)| [(lo + i as f64 * step, *v), (lo + (i + 1) as f64 * step, *v)])
            .collect();
        chart
            .draw_series(
                AreaSeries::new(outline, 0.0, color.mix(0.25)).border_style(color.stroke_width(2)),
            )
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font((FONT, 13))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(path.to_path_buf())
}

/// Log-mel spectrograms of a normal clip and its anomalous rendering, one above the other.
pub fn spectrogram_pair(
    normal: &Path,
    anomalous: &Path,
    title: &str,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    register_font();
    let mut lm = LogMel::new(FeatureConfig::default());
    let specs: Vec<Vec<f32>> = [normal, anomalous]
        .iter()
        .map(|p| -> anyhow::Result<Vec<f32>> {
            let audio = crate::dataset::read_wav(p)?;
            Ok(lm.spectrogram(&crate::features::prepare_audio(&audio, 16_000)))
        })
        .collect::<anyhow::Result<_>>()?;
    let m = 128;
    let (lo, hi) = specs
        .iter()
        .flatten()
        .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let lo = lo.max(hi - 80.0);
    let root = BitMapBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, (FONT, 20)).map_err(err)?;
    let halves = root.split_evenly((2, 1));
    for ((area, spec), label) in halves.iter().zip(&specs).zip(["normal", "with fault"]) {
        let frames = spec.len() / m;
        let mut chart = ChartBuilder::on(area)
            .margin(6)
            .y_label_area_size(60)
            .x_label_area_size(25)
            .build_cartesian_2d(0..frames, 0..m)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .y_desc(label)
            .x_desc("frame")
            .label_style((FONT, 12))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                (0..frames)
                    .flat_map(|t| (0..m).map(move |b| (t, b)))
                    .map(|(t, b)| {
                        let v = ((spec[t * m + b] - lo) / (hi - lo)).clamp(0.0, 1.0) as f64;
                        Rectangle::new([(t, b), (t + 1, b + 1)], ViridisRGB::get_color(v).filled())
                    }),
            )
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(path.to_path_buf())
}
