//! The anomaly score: the latest window's score against the machine's threshold, and the score
//! history as a graph with a labelled score axis, the threshold line and fault-on windows shaded.

use super::{ACCENT, ALARM, CALM, EditorApp};
use egui::{Color32, RichText, Sense, Stroke};
use faultline::detect::ScoreKind;
use faultline::engine::{LiveDetail, WindowScore};

/// Width of the score axis's labels, points.
const AXIS_W: f32 = 56.0;

impl EditorApp {
    pub(super) fn meter(&self, ui: &mut egui::Ui, detail: &LiveDetail) {
        let kind = self.params.score_kind();
        let live = self.engine.live();
        let machine = self.params.machine().name();
        let summary = detail.book.machine(machine).cloned();
        let threshold = summary.as_ref().and_then(|s| s.threshold(kind));
        let history: Vec<&WindowScore> = detail
            .history
            .iter()
            .filter(|w| w.machine == machine)
            .collect();
        // The latest of this machine's windows (the atomics hold the latest of any machine).
        let latest = history.last().map_or(f64::NAN, |w| w.score(kind));
        let above = threshold.is_some_and(|t| latest > t);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(if latest.is_finite() {
                    format!("{latest:.2}")
                } else {
                    "–".into()
                })
                .size(22.0)
                .color(if above { ALARM } else { CALM })
                .strong(),
            );
            ui.label(format!(
                "{} score of the {machine}'s latest window",
                kind.name()
            ));
            match threshold {
                Some(t) => ui.label(format!("· threshold {t:.2}")),
                None => ui.weak("· threshold after 10 normal windows"),
            };
            if above {
                ui.label(
                    RichText::new("ABOVE THRESHOLD")
                        .color(Color32::WHITE)
                        .background_color(ALARM)
                        .strong(),
                );
            }
        });
        graph(ui, &history, kind, threshold);
        ui.horizontal_wrapped(|ui| {
            ui.weak(format!("state: {}", live.state().name()));
            ui.weak(format!("windows: {}", detail.book.windows));
            ui.weak(format!("discarded: {}", detail.book.discarded_windows));
            let dropped = live.dropped();
            if dropped > 0 {
                ui.colored_label(ALARM, format!("dropped samples: {dropped}"));
            } else {
                ui.weak("dropped samples: 0");
            }
        });
    }
}

/// The score history graph: score axis (three ticks and the threshold) on the left, time axis
/// (stream seconds of the first and last window) below.
fn graph(ui: &mut egui::Ui, history: &[&WindowScore], kind: ScoreKind, threshold: Option<f64>) {
    let (outer, _) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), 140.0), Sense::hover());
    let plot = egui::Rect::from_min_max(
        egui::pos2(outer.left() + AXIS_W, outer.top()),
        egui::pos2(outer.right(), outer.bottom() - 16.0),
    );
    let painter = ui.painter_at(outer);
    let weak = ui.visuals().weak_text_color();
    let font = egui::FontId::proportional(11.0);
    painter.rect_filled(plot, 4.0, ui.visuals().extreme_bg_color);
    let values: Vec<f64> = history
        .iter()
        .map(|w| w.score(kind))
        .filter(|v| v.is_finite())
        .collect();
    if values.len() < 2 {
        painter.text(
            plot.center(),
            egui::Align2::CENTER_CENTER,
            "score history appears once windows of this machine are scored",
            egui::FontId::proportional(13.0),
            weak,
        );
        return;
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = threshold {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    let pad = ((hi - lo) * 0.08).max(1e-6);
    (lo, hi) = (lo - pad, hi + pad);
    let y = |v: f64| plot.bottom() - ((v - lo) / (hi - lo)) as f32 * plot.height();
    let n = history.len();
    let x = |i: usize| plot.left() + 4.0 + i as f32 * (plot.width() - 8.0) / (n - 1).max(1) as f32;
    let axis = Stroke::new(1.0, weak.gamma_multiply(0.5));
    for v in [lo + pad, (lo + hi) / 2.0, hi - pad] {
        painter.line_segment(
            [
                egui::pos2(plot.left() - 4.0, y(v)),
                egui::pos2(plot.left(), y(v)),
            ],
            axis,
        );
        painter.text(
            egui::pos2(plot.left() - 6.0, y(v)),
            egui::Align2::RIGHT_CENTER,
            tick(v),
            font.clone(),
            weak,
        );
    }
    for (i, w) in history.iter().enumerate() {
        if w.fault {
            painter.rect_filled(
                egui::Rect::from_x_y_ranges(x(i) - 1.5..=x(i) + 1.5, plot.y_range()),
                0.0,
                ALARM.gamma_multiply(0.15),
            );
        }
    }
    if let Some(t) = threshold {
        painter.line_segment(
            [
                egui::pos2(plot.left(), y(t)),
                egui::pos2(plot.right(), y(t)),
            ],
            Stroke::new(1.0, ALARM),
        );
        painter.text(
            egui::pos2(plot.right() - 4.0, y(t) - 2.0),
            egui::Align2::RIGHT_BOTTOM,
            format!("threshold {}", tick(t)),
            font.clone(),
            ALARM,
        );
    }
    let points: Vec<egui::Pos2> = history
        .iter()
        .enumerate()
        .filter(|(_, w)| w.score(kind).is_finite())
        .map(|(i, w)| egui::pos2(x(i), y(w.score(kind))))
        .collect();
    painter.add(egui::Shape::line(points, Stroke::new(1.5, ACCENT)));
    painter.text(
        egui::pos2(plot.left() + 2.0, plot.top() + 2.0),
        egui::Align2::LEFT_TOP,
        kind.name(),
        font.clone(),
        weak,
    );
    let (first, last) = (history[0].start_s, history[n - 1].start_s);
    let below = outer.bottom() - 1.0;
    painter.text(
        egui::pos2(plot.left(), below),
        egui::Align2::LEFT_BOTTOM,
        format!("{first:.1} s"),
        font.clone(),
        weak,
    );
    painter.text(
        egui::pos2(plot.center().x, below),
        egui::Align2::CENTER_BOTTOM,
        format!("window start, stream time · {n} windows · shaded: fault on"),
        font.clone(),
        weak,
    );
    painter.text(
        egui::pos2(plot.right(), below),
        egui::Align2::RIGHT_BOTTOM,
        format!("{last:.1} s"),
        font,
        weak,
    );
}

/// A score tick: three significant figures, whatever the scale (MSE ~10, Mahalanobis ~100s).
fn tick(v: f64) -> String {
    let digits = (2 - v.abs().max(1e-9).log10().floor() as i32).clamp(0, 4) as usize;
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticks_keep_three_significant_figures() {
        assert_eq!(super::tick(12.3456), "12.3");
        assert_eq!(super::tick(231.9), "232");
        assert_eq!(super::tick(0.04567), "0.0457");
        assert_eq!(super::tick(1500.0), "1500");
    }
}
