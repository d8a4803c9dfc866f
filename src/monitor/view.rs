//! The live terminal view (ratatui): score against threshold, a sparkline of recent windows,
//! alarms with timestamps, AUC/pAUC so far, input level, dropped samples, device and rate.

use crate::detect::ScoreKind;
use crate::engine::{EngineHandle, WindowScore};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;
use std::collections::VecDeque;

/// What the view shows besides the engine's live values.
pub struct ViewState<'a> {
    pub title: &'a str,
    pub machine: &'a str,
    pub kind: ScoreKind,
    pub seconds: f64,
    pub input_level: f32,
    pub alarms: &'a VecDeque<WindowScore>,
    pub fault_on: bool,
    pub hint: &'a str,
}

pub fn draw(frame: &mut Frame, engine: &EngineHandle, v: &ViewState) {
    let live = engine.live();
    let detail = live.detail();
    let summary = detail.book.machine(v.machine).cloned();
    let threshold = summary.as_ref().and_then(|s| s.threshold(v.kind));
    let latest = detail.history.iter().rev().find(|w| w.machine == v.machine);
    let [head, meter, spark, middle, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    let state = live.state();
    let progress = live.progress.load(std::sync::atomic::Ordering::Relaxed);
    let status_text = match state {
        crate::engine::EngineState::Learning | crate::engine::EngineState::Training => format!(
            "{} {:.0} % — {}",
            state.name(),
            progress * 100.0,
            detail.status
        ),
        _ => state.name().to_string(),
    };
    let label = if v.fault_on {
        Span::styled(
            " FAULT ON ",
            Style::new().bg(Color::Red).fg(Color::White).bold(),
        )
    } else {
        Span::styled(" fault off ", Style::new().fg(Color::Green))
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(v.title, Style::new().bold()),
                Span::raw(format!(
                    "   machine {}   t = {:.1} s   ",
                    v.machine, v.seconds
                )),
                label,
            ]),
            Line::from(format!(
                "state: {status_text}   windows: {}   discarded: {}   dropped samples: {}",
                detail.book.windows,
                detail.book.discarded_windows,
                live.dropped()
            )),
        ])
        .block(Block::bordered().title(" Faultline monitor ")),
        head,
    );

    let score = latest.map(|w| w.score(v.kind));
    let (ratio, text, color) = match (score, threshold) {
        (Some(s), Some(t)) => (
            (s / (2.0 * t)).clamp(0.0, 1.0),
            format!("{} {s:.2} / threshold {t:.2}", v.kind.name()),
            if s > t { Color::Red } else { Color::Green },
        ),
        (Some(s), None) => (
            0.0,
            format!(
                "{} {s:.2} (threshold after 10 normal windows)",
                v.kind.name()
            ),
            Color::Gray,
        ),
        _ => (0.0, "no score yet".to_string(), Color::DarkGray),
    };
    let [score_area, level_area] =
        Layout::horizontal([Constraint::Percentage(70), Constraint::Percentage(30)]).areas(meter);
    frame.render_widget(
        Gauge::default()
            .block(Block::bordered().title(" score (gauge full = 2 × threshold) "))
            .gauge_style(Style::new().fg(color))
            .ratio(ratio)
            .label(text),
        score_area,
    );
    let db = 20.0 * v.input_level.max(1e-6).log10();
    frame.render_widget(
        Gauge::default()
            .block(Block::bordered().title(" input "))
            .gauge_style(Style::new().fg(if db > -1.0 { Color::Red } else { Color::Cyan }))
            .ratio(((db + 60.0) / 60.0).clamp(0.0, 1.0) as f64)
            .label(format!("{db:.0} dBFS")),
        level_area,
    );

    let recent: Vec<u64> = {
        let scores: Vec<f64> = detail
            .history
            .iter()
            .filter(|w| w.machine == v.machine)
            .map(|w| w.score(v.kind))
            .collect();
        let lo = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(threshold.unwrap_or(f64::NEG_INFINITY));
        let width = spark.width.saturating_sub(2) as usize;
        scores[scores.len().saturating_sub(width)..]
            .iter()
            .map(|s| (1.0 + 99.0 * (s - lo) / (hi - lo).max(1e-9)) as u64)
            .collect()
    };
    frame.render_widget(
        Sparkline::default()
            .block(Block::bordered().title(" recent windows (height: score) "))
            .data(&recent)
            .style(Style::new().fg(Color::Yellow)),
        spark,
    );

    let [table_area, alarm_area] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    let fmt = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.3}"));
    let rows: Vec<Row> = detail
        .book
        .machines
        .iter()
        .map(|m| {
            Row::new(vec![
                m.machine.clone(),
                m.normal_windows.to_string(),
                m.fault_windows.to_string(),
                fmt(m.auc(v.kind)),
                fmt(m.pauc(v.kind)),
                fmt(m.threshold(v.kind)),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(10),
            ],
        )
        .header(
            Row::new(vec![
                "machine",
                "normal",
                "fault",
                "AUC",
                "pAUC",
                "threshold",
            ])
            .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .block(Block::bordered().title(format!(" detection so far ({}) ", v.kind.name()))),
        table_area,
    );
    let alarm_lines: Vec<Line> = v
        .alarms
        .iter()
        .rev()
        .take(alarm_area.height.saturating_sub(2) as usize)
        .map(|w| {
            Line::from(format!(
                "t={:>7.1}s  {}  {:.2}  ({})",
                w.start_s,
                w.machine,
                w.score(v.kind),
                if w.fault { "fault on" } else { "normal!" }
            ))
            .fg(if w.fault { Color::Yellow } else { Color::Red })
        })
        .collect();
    frame.render_widget(
        Paragraph::new(alarm_lines).block(
            Block::bordered().title(format!(" alarms: {} above threshold ", v.alarms.len())),
        ),
        alarm_area,
    );
    frame.render_widget(Paragraph::new(v.hint).fg(Color::DarkGray), foot);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{build, AnalysisConfig};

    /// Renders the view over a real engine run into ratatui's test backend and reads it back.
    #[test]
    fn shows_scores_threshold_detection_and_alarms() {
        let mut rng = crate::dsp::Rng::new(4);
        let x: Vec<f32> = (0..16_000 * 16)
            .map(|i| {
                0.1 * rng.bipolar()
                    + if (i / 48_000) % 2 == 1 {
                        0.5 * (i as f32 * 0.3).sin()
                    } else {
                        0.0
                    }
            })
            .collect();
        let (mut processor, handle, mut analyzer) = build(AnalysisConfig::default());
        handle
            .prepare_processor(&mut processor, 16_000.0, 1600, 1)
            .unwrap();
        handle.set_model(crate::detect::untrained_model(&x[..48_000], 1));
        analyzer.pump();
        let request = crate::plan::PlanRequest {
            machine: "fan".into(),
            attributes: vec![],
            fault: "hum".into(),
            seed: 1,
        };
        handle
            .set_plan(
                crate::plan::planner_by_name("keyword")
                    .unwrap()
                    .plan(&request)
                    .unwrap(),
            )
            .unwrap();
        for (k, chunk) in x.chunks(1600).enumerate() {
            handle.controls().set_fault_on((k / 30) % 2 == 1);
            let mut b = chunk.to_vec();
            processor.process(&mut [&mut b]);
            analyzer.pump();
        }
        let alarms: VecDeque<WindowScore> = analyzer
            .book()
            .windows()
            .iter()
            .filter(|w| w.above_mse)
            .cloned()
            .collect();
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(110, 32)).unwrap();
        let state = ViewState {
            title: "loop test.wav · 16000 Hz",
            machine: "fan",
            kind: ScoreKind::Mse,
            seconds: 16.0,
            input_level: 0.5,
            alarms: &alarms,
            fault_on: true,
            hint: "q: quit",
        };
        terminal.draw(|f| draw(f, &handle, &state)).unwrap();
        let text: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        for want in [
            "Faultline monitor",
            "loop test.wav",
            "FAULT ON",
            "threshold",
            "detection so far (mse)",
            "AUC",
            "alarms:",
            "dBFS",
        ] {
            assert!(text.contains(want), "missing {want:?} in the view");
        }
        let fan = handle.live().detail().book.machine("fan").cloned().unwrap();
        assert!(
            text.contains(&format!("{:.3}", fan.auc_mse.unwrap())),
            "the AUC is shown"
        );
    }
}
