//! The editor's layout, drawn headless: what is on screen at which size, and that drawing
//! changes nothing.

use super::headless::{DrawnText, Headless};
use crate::params::FaultlineParams;
use faultline::engine::{
    self, AnalysisConfig, BookSummary, LiveDetail, MachineSummary, WindowScore,
};
use faultline::machine::MachineType;
use std::sync::Arc;

/// A live record with all eight machines in the book and a score history.
fn eight_machines() -> LiveDetail {
    let machines = MachineType::ALL
        .iter()
        .enumerate()
        .map(|(i, m)| MachineSummary {
            machine: m.name().into(),
            normal_windows: 40 + i,
            fault_windows: 20 + i,
            auc_mse: Some(0.6 + 0.04 * i as f64),
            pauc_mse: Some(0.5 + 0.02 * i as f64),
            auc_mahalanobis: Some(0.7),
            pauc_mahalanobis: Some(0.55),
            threshold_mse: Some(10.0),
            threshold_mahalanobis: Some(200.0),
            gamma_mse: None,
            gamma_mahalanobis: None,
        })
        .collect();
    let history = (0..60)
        .map(|i| WindowScore {
            index: i,
            start_s: i as f64 * 0.5,
            machine: MachineType::ALL[0].name(),
            fault: (i / 10) % 2 == 1,
            mse: 8.0 + (i % 7) as f64 + if (i / 10) % 2 == 1 { 4.0 } else { 0.0 },
            mahalanobis: 150.0 + i as f64,
            above_mse: false,
            above_mahalanobis: false,
        })
        .collect();
    LiveDetail {
        history,
        book: BookSummary {
            machines,
            windows: 400,
            ..Default::default()
        },
        last_error: None,
        status: String::new(),
    }
}

fn editor(size: (f32, f32)) -> Headless {
    editor_with_params(size).0
}

fn editor_with_params(size: (f32, f32)) -> (Headless, Arc<FaultlineParams>) {
    let (_processor, engine) = engine::start(AnalysisConfig::default());
    let engine = Arc::new(engine);
    let params = Arc::new(FaultlineParams::new(engine.clone()));
    (Headless::new(params.clone(), engine, size), params)
}

/// Showing a plan does not change it: its sliders and drag values round and clamp what
/// they show, and none of that may count as an edit (it would rebuild the chain each frame).
#[test]
fn drawing_a_plan_leaves_it_unchanged() {
    let (mut ed, params) = editor_with_params((980.0, 760.0));
    for m in MachineType::ALL {
        let request = faultline::plan::PlanRequest {
            machine: m.name().into(),
            attributes: vec![],
            fault: m.typical_fault().into(),
            seed: 5,
        };
        let plan = faultline::plan::planner_by_name("keyword")
            .unwrap()
            .plan(&request)
            .unwrap();
        params
            .plan
            .record(Some(plan.clone()), crate::params::DEFAULT_NONE);
        let texts = ed.texts(&LiveDetail::default(), 4);
        assert_eq!(params.plan.lock().as_ref(), Some(&plan), "{}", m.name());
        // Every step is listed with its arguments.
        for s in &plan.steps {
            assert!(
                texts.iter().any(|t| t.text == s.function),
                "{} not shown",
                s.function
            );
        }
    }
}

fn visible<'a>(texts: &'a [DrawnText], window: egui::Rect, what: &str) -> Vec<&'a DrawnText> {
    texts
        .iter()
        .filter(|t| t.text == what && t.visible_in(window))
        .collect()
}

/// At the default size the eight rows do not all fit: the content scrolls, so after
/// scrolling down every machine's row is on screen; nothing is wider than the window.
#[test]
fn default_size_scrolls_to_every_machine_row() {
    let detail = eight_machines();
    let (w, h) = crate::EDITOR_SIZE;
    let (mut ed, params) = editor_with_params((w as f32, h as f32));
    // The first machine's typical plan: three steps with long argument lists.
    let request = faultline::plan::PlanRequest {
        machine: MachineType::ALL[0].name().into(),
        attributes: vec![],
        fault: MachineType::ALL[0].typical_fault().into(),
        seed: 2,
    };
    let plan = faultline::plan::planner_by_name("keyword")
        .unwrap()
        .plan(&request)
        .unwrap();
    params.plan.record(Some(plan), crate::params::DEFAULT_NONE);
    let window = ed.window();
    let texts = ed.texts(&detail, 3);
    assert!(
        !visible(&texts, window, "Live controls").is_empty(),
        "the top is shown first"
    );
    // Nothing is cut off at the right edge (long lines wrap; there is no sideways scroll).
    for t in texts
        .iter()
        .filter(|t| t.rect.top() < window.bottom() && t.rect.bottom() > 0.0)
    {
        assert!(
            t.rect.right() <= window.right() + 0.5,
            "{t:?} reaches past the window's right edge"
        );
    }
    ed.scroll(&detail, 3000.0);
    let texts = ed.texts(&detail, 2);
    for m in MachineType::ALL {
        assert!(
            !visible(&texts, window, m.name()).is_empty(),
            "{} row not reachable at {w}×{h}",
            m.name()
        );
    }
    assert!(!visible(&texts, window, "pAUC maha").is_empty());
}

/// A window tall enough shows everything at once, without scrolling.
#[test]
fn a_larger_window_shows_everything_without_scrolling() {
    let detail = eight_machines();
    let mut ed = editor((1400.0, 1300.0));
    let window = ed.window();
    let texts = ed.texts(&detail, 3);
    for what in ["Live controls", "Anomaly score", "threshold 10.0"]
        .into_iter()
        .chain(MachineType::ALL.iter().map(|m| m.name()))
    {
        assert!(
            !visible(&texts, window, what).is_empty(),
            "{what} not shown at 1400×1300"
        );
    }
    // The score axis is labelled with the score's name and the time span.
    assert!(texts.iter().any(|t| t.text == "0.0 s") && texts.iter().any(|t| t.text == "29.5 s"));
}
