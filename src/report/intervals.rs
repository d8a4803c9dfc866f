//! Plots of the statistics: a forest plot of AUCs with their intervals, and the severity
//! sweep's AUC-versus-intensity curves.

use super::plots::{err, register_font, source_color, COLORS, FONT};
use crate::detect::ScoreKind;
use crate::eval::EvalResult;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One row per machine × source: the AUC and its bootstrap interval.
pub fn forest(r: &EvalResult, kind: ScoreKind, path: &Path) -> anyhow::Result<PathBuf> {
    register_font();
    let rows: Vec<&crate::eval::Detection> = r
        .machines
        .iter()
        .flat_map(|m| {
            r.sources.iter().filter_map(move |s| {
                r.detections
                    .iter()
                    .find(|d| d.machine == *m && d.source == *s && d.score == kind)
            })
        })
        .collect();
    let n = rows.len().max(1);
    let root = BitMapBackend::new(path, (760, (90 + 20 * n) as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let lo = rows
        .iter()
        .filter_map(|d| d.auc_ci.map(|c| c[0]))
        .fold(0.5f64, f64::min)
        .max(0.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "AUC with {:.0} % intervals ({} score)",
                100.0 * r.seeds.level,
                kind.name()
            ),
            (FONT, 20),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(170)
        .build_cartesian_2d(lo..1.0, 0.0..n as f64)
        .map_err(err)?;
    let labels: Vec<String> = rows
        .iter()
        .map(|d| format!("{} · {}", d.machine, d.source))
        .collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|y| {
            let i = y.floor() as usize;
            if (y - y.floor() - 0.5).abs() < 0.01 && i < labels.len() {
                labels[labels.len() - 1 - i].clone()
            } else {
                String::new()
            }
        })
        .x_desc("AUC")
        .label_style((FONT, 12))
        .draw()
        .map_err(err)?;
    for (i, d) in rows.iter().enumerate() {
        let y = (n - 1 - i) as f64 + 0.5;
        let color = source_color(r, &d.source);
        if let Some([a, b]) = d.auc_ci {
            chart
                .draw_series(LineSeries::new([(a, y), (b, y)], color.stroke_width(2)))
                .map_err(err)?;
        }
        chart
            .draw_series([Circle::new((d.auc, y), 4, color.filled())])
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(
            [(0.5, 0.0), (0.5, n as f64)],
            BLACK.mix(0.3),
        ))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(path.to_path_buf())
}

/// AUC against intensity scale (log axis), one line per machine, one panel per planner.
pub fn sweep_curves(
    r: &EvalResult,
    kind: ScoreKind,
    path: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    let Some(sweep) = &r.sweep else {
        return Ok(None);
    };
    register_font();
    let planners: Vec<&String> = r.sources.iter().filter(|s| *s != "reference").collect();
    let root =
        BitMapBackend::new(path, (460 * planners.len().max(1) as u32, 440)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let panels = root.split_evenly((1, planners.len().max(1)));
    let (x0, x1) = (
        sweep.scales[0] as f64,
        sweep.scales[sweep.scales.len() - 1] as f64,
    );
    for (panel, planner) in panels.iter().zip(&planners) {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{planner}: AUC vs intensity ({})", kind.name()),
                (FONT, 18),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d((x0..x1).log_scale(), 0.3..1.02)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|x| format!("{x:.2}"))
            .max_light_lines(1)
            .x_desc("intensity scale")
            .y_desc("AUC")
            .label_style((FONT, 12))
            .draw()
            .map_err(err)?;
        for (m, machine) in r.machines.iter().enumerate() {
            let Some(c) = sweep
                .curves
                .iter()
                .find(|c| c.planner == **planner && c.score == kind && c.machine == *machine)
            else {
                continue;
            };
            let color = COLORS[m % COLORS.len()];
            let points: Vec<(f64, f64)> = sweep
                .scales
                .iter()
                .zip(&c.aucs)
                .map(|(&x, &a)| (x as f64, a))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(machine.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2))
                });
        }
        chart
            .draw_series(LineSeries::new(
                [(x0, sweep.threshold_auc), (x1, sweep.threshold_auc)],
                BLACK.mix(0.35),
            ))
            .map_err(err)?;
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .label_font((FONT, 11))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(Some(path.to_path_buf()))
}
