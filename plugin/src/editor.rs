//! The editor (egui): describe a fault, plan it on a background thread, see and edit the plan,
//! watch the live score against the threshold, the per-machine AUC table, learn normal,
//! load/save the model, export a report.

use crate::params::FaultlineParams;
use egui::{Color32, RichText, Sense, Stroke};
use faultline::detect::ScoreKind;
use faultline::engine::{EngineHandle, EngineState, LiveDetail, WindowScore};
use faultline::plan::{FaultPlan, PlanRequest, planner_by_name};
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{HostMethods, SpawnedEditor};
use nice_plug::prelude::*;
use nice_plug_egui::{
    EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub const PLANNERS: [&str; 3] = ["keyword", "llm", "random"];
const ACCENT: Color32 = Color32::from_rgb(0xf0, 0x9a, 0x36);
const ALARM: Color32 = Color32::from_rgb(0xe0, 0x4f, 0x4f);
const CALM: Color32 = Color32::from_rgb(0x5f, 0xb8, 0x7a);

/// Builds the egui editor at each open with the saved size (egui's own state is not saved).
pub struct FaultlineEditor {
    params: Arc<FaultlineParams>,
    engine: Arc<EngineHandle>,
    repaint: RepaintNotifier,
}

impl FaultlineEditor {
    pub fn new(params: Arc<FaultlineParams>, engine: Arc<EngineHandle>) -> Self {
        Self {
            params,
            engine,
            repaint: RepaintNotifier::new(),
        }
    }

    fn logical_size(&self) -> LogicalSize<f64> {
        let (w, h) = *self
            .params
            .editor_size
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        LogicalSize::new(w.max(900) as f64, h.max(700) as f64)
    }
}

impl Editor for FaultlineEditor {
    type Handle = EguiEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: nice_plug::context::gui::GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn std::error::Error>> {
        let state = EguiEditorState::from_size(self.logical_size(), 1.0);
        let settings = EguiNiceSettings {
            title: "Faultline".into(),
            resize_hint: ResizeHint::resizable()
                .with_min_logical_size(LogicalSize::new(900.0, 700.0)),
            repaint_poll_interval: Duration::from_millis(50),
            ..Default::default()
        };
        let app = EditorApp::new(self.params.clone(), self.engine.clone());
        let editor = create_egui_editor(state, self.repaint.clone(), settings, app)
            .expect("the egui editor is always built");
        editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )
    }

    fn size(&self) -> NativeSize<u32> {
        NativeSize::from_size(Size::Logical(self.logical_size()), 1.0)
    }

    fn resize_hint(&self) -> ResizeHint {
        ResizeHint::resizable().with_min_logical_size(LogicalSize::new(900.0, 700.0))
    }
}

/// A plan request in flight on a background thread.
struct Planning {
    rx: crossbeam_channel::Receiver<Result<FaultPlan, String>>,
    planner: &'static str,
}

pub struct EditorApp {
    params: Arc<FaultlineParams>,
    engine: Arc<EngineHandle>,
    gui: Option<nice_plug::context::gui::GuiContext>,
    fault_text: String,
    planner: usize,
    planning: Option<Planning>,
    message: Option<(bool, String)>,
    learn_seconds: f32,
    model_path: String,
    report_dir: String,
    /// Step intensities being edited (applied on release).
    edits: Vec<f32>,
}

impl EditorApp {
    pub fn new(params: Arc<FaultlineParams>, engine: Arc<EngineHandle>) -> Self {
        let model_path = params
            .model_path
            .lock()
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| {
                default_dir()
                    .join("model.safetensors")
                    .display()
                    .to_string()
            });
        let fault_text = params
            .plan
            .lock()
            .as_ref()
            .map(|p| {
                p.caption
                    .split("fault: ")
                    .nth(1)
                    .unwrap_or(&p.caption)
                    .to_string()
            })
            .unwrap_or_else(|| "a worn bearing that squeaks".into());
        Self {
            params,
            engine,
            gui: None,
            fault_text,
            planner: 0,
            planning: None,
            message: None,
            learn_seconds: 60.0,
            model_path,
            report_dir: default_dir().join("report").display().to_string(),
            edits: Vec::new(),
        }
    }

    fn plan(&self) -> Option<FaultPlan> {
        self.params.plan.lock().clone()
    }

    fn apply_plan(&mut self, plan: FaultPlan) {
        match self.engine.set_plan(plan.clone()) {
            Ok(()) => {
                self.params
                    .plan
                    .record(Some(plan), crate::params::DEFAULT_NONE);
                self.edits.clear();
            }
            Err(e) => self.message = Some((true, format!("{e:#}"))),
        }
    }

    fn start_planning(&mut self) {
        let planner = PLANNERS[self.planner];
        let request = PlanRequest {
            machine: self.params.machine().name().to_string(),
            attributes: vec![],
            fault: self.fault_text.clone(),
            seed: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        std::thread::Builder::new()
            .name("faultline-plan".into())
            .spawn(move || {
                let result = planner_by_name(planner)
                    .and_then(|p| p.plan(&request))
                    .map_err(|e| format!("{e:#}"));
                let _ = tx.send(result);
            })
            .expect("spawn the planning thread");
        self.planning = Some(Planning { rx, planner });
        self.message = None;
    }

    fn poll_planning(&mut self) {
        let Some(p) = &self.planning else { return };
        match p.rx.try_recv() {
            Ok(Ok(plan)) => {
                // egui's bundled fonts have no arrows.
                let notes = plan.provenance.notes.join("; ").replace('→', "->");
                let pv = &plan.provenance;
                self.message = Some(if pv.is_fallback() {
                    // A fallback is a warning with its reason, not a note.
                    (
                        true,
                        format!(
                            "warning: the {} planner gave no usable plan ({}); these steps are the {} planner's",
                            pv.requested.as_deref().unwrap_or("requested"),
                            pv.fallback
                                .as_deref()
                                .unwrap_or("no reason given")
                                .replace('→', "->"),
                            pv.planner
                        ),
                    )
                } else {
                    (
                        false,
                        format!(
                            "planned by {}{}",
                            plan.provenance.planner,
                            if notes.is_empty() {
                                String::new()
                            } else {
                                format!(": {notes}")
                            }
                        ),
                    )
                });
                self.planning = None;
                self.apply_plan(plan);
            }
            Ok(Err(e)) => {
                self.message = Some((true, format!("{} planner: {e}", p.planner)));
                self.planning = None;
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.message = Some((true, "the planner stopped unexpectedly".into()));
                self.planning = None;
            }
        }
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        let Some(gui) = self.gui.clone() else { return };
        let setter = gui.param_setter();
        let p = &self.params;
        egui::Grid::new("controls")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label("Machine");
                let mut machine = p.machine.value();
                egui::ComboBox::from_id_salt("machine")
                    .selected_text(p.machine().name())
                    .show_ui(ui, |ui| {
                        for (i, m) in faultline::machine::MachineType::ALL.iter().enumerate() {
                            ui.selectable_value(&mut machine, i as i32, m.name());
                        }
                    });
                if machine != p.machine.value() {
                    set_param(&setter, &p.machine, machine);
                }
                ui.end_row();
                ui.label("Fault");
                let mut on = p.fault_on.value();
                let (text, fill) = if on {
                    (
                        RichText::new("FAULT ON").color(Color32::WHITE).strong(),
                        ALARM,
                    )
                } else {
                    (
                        RichText::new("fault off"),
                        ui.visuals().widgets.inactive.bg_fill,
                    )
                };
                if ui
                    .add(
                        egui::Button::new(text)
                            .fill(fill)
                            .min_size(egui::vec2(110.0, 0.0)),
                    )
                    .on_hover_text(
                        "The ground-truth label: windows played while on count as anomalous",
                    )
                    .clicked()
                {
                    on = !on;
                    set_param(&setter, &p.fault_on, on);
                }
                ui.end_row();
                ui.label("Intensity");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                    &p.intensity,
                    &setter,
                ));
                ui.end_row();
                ui.label("Mix");
                ui.add(nice_plug_egui::widgets::ParamSlider::for_param(
                    &p.mix, &setter,
                ));
                ui.end_row();
                ui.label("Bypass");
                let mut bypass = p.bypass.value();
                if ui.checkbox(&mut bypass, "").changed() {
                    set_param(&setter, &p.bypass, bypass);
                }
                ui.end_row();
                ui.label("Score");
                let mut kind = p.score_mode.value();
                ui.horizontal(|ui| {
                    for (i, k) in ScoreKind::LIVE.iter().enumerate() {
                        ui.radio_value(&mut kind, i as i32, k.name());
                    }
                });
                if kind != p.score_mode.value() {
                    set_param(&setter, &p.score_mode, kind);
                }
                ui.end_row();
            });
    }

    fn planner_box(&mut self, ui: &mut egui::Ui) {
        ui.label("Describe the fault in words");
        ui.add(
            egui::TextEdit::multiline(&mut self.fault_text)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        );
        ui.horizontal(|ui| {
            ui.label("Planner");
            egui::ComboBox::from_id_salt("planner")
                .selected_text(PLANNERS[self.planner])
                .show_ui(ui, |ui| {
                    for (i, name) in PLANNERS.iter().enumerate() {
                        ui.selectable_value(&mut self.planner, i, *name);
                    }
                });
            let busy = self.planning.is_some();
            if ui
                .add_enabled(
                    !busy && !self.fault_text.trim().is_empty(),
                    egui::Button::new(RichText::new("Plan").strong()),
                )
                .clicked()
            {
                self.start_planning();
            }
            if busy {
                ui.spinner();
                ui.label(format!(
                    "asking the {} planner…",
                    self.planning.as_ref().map_or("", |p| p.planner)
                ));
            }
        });
        if let Some((error, text)) = &self.message {
            ui.colored_label(
                if *error {
                    ALARM
                } else {
                    ui.visuals().weak_text_color()
                },
                text,
            );
        }
    }

    fn plan_view(&mut self, ui: &mut egui::Ui) {
        let Some(plan) = self.plan() else {
            ui.weak("No plan yet: the audio passes through. Describe a fault and press Plan.");
            return;
        };
        ui.label(
            RichText::new(format!(
                "Plan for {} · seed {} · {}{}",
                plan.machine,
                plan.seed,
                plan.provenance.planner,
                plan.provenance
                    .requested
                    .as_deref()
                    .filter(|_| plan.provenance.is_fallback())
                    .map_or(String::new(), |r| format!(" (asked: {r}; fell back)"))
            ))
            .strong(),
        );
        if self.edits.len() != plan.steps.len() {
            self.edits = plan
                .steps
                .iter()
                .map(|s| {
                    s.arguments
                        .get("intensity")
                        .and_then(|v| v.as_f64())
                        .unwrap_or(1.0) as f32
                })
                .collect();
        }
        let mut commit = false;
        for (i, step) in plan.steps.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.add_sized(
                    [130.0, 18.0],
                    egui::Label::new(RichText::new(&step.function).color(ACCENT).strong()),
                );
                let r = ui.add(
                    egui::Slider::new(&mut self.edits[i], 0.0..=1.0)
                        .text("intensity")
                        .fixed_decimals(2),
                );
                commit |= r.drag_stopped() || (r.changed() && !r.dragged());
            });
            let args: Vec<String> = step
                .arguments
                .iter()
                .filter(|(k, _)| *k != "intensity")
                .map(|(k, v)| format!("{k}={}", fmt_value(v)))
                .collect();
            ui.add(
                egui::Label::new(RichText::new(args.join("   ")).small().monospace().weak()).wrap(),
            );
            ui.add_space(2.0);
        }
        if commit {
            let mut edited = plan.clone();
            for (step, v) in edited.steps.iter_mut().zip(&self.edits) {
                step.arguments
                    .insert("intensity".into(), serde_json::json!(*v));
            }
            self.apply_plan(edited);
        }
    }

    fn meter(&self, ui: &mut egui::Ui, detail: &LiveDetail) {
        let kind = self.params.score_kind();
        let live = self.engine.live();
        let machine = self.params.machine().name();
        let summary = detail.book.machine(machine).cloned();
        let threshold = summary.as_ref().and_then(|s| s.threshold(kind));
        let latest = match kind {
            ScoreKind::Mse => live.latest_mse.load(Ordering::Relaxed),
            ScoreKind::Mahalanobis => live.latest_mahalanobis.load(Ordering::Relaxed),
            // The Score parameter lists the live scores only (`ScoreKind::LIVE`).
            ScoreKind::Knn | ScoreKind::SelectiveMahalanobis | ScoreKind::External => f64::NAN,
        };
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
            match threshold {
                Some(t) => ui.label(format!("threshold {t:.2} ({})", kind.name())),
                None => ui.weak("threshold after 10 normal windows"),
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
        let history: Vec<&WindowScore> = detail
            .history
            .iter()
            .filter(|w| w.machine == machine)
            .collect();
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), 120.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
        let values: Vec<f64> = history
            .iter()
            .map(|w| w.score(kind))
            .filter(|v| v.is_finite())
            .collect();
        if values.len() >= 2 {
            let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if let Some(t) = threshold {
                lo = lo.min(t);
                hi = hi.max(t);
            }
            let span = (hi - lo).max(1e-9);
            let y =
                |v: f64| rect.bottom() - 8.0 - ((v - lo) / span) as f32 * (rect.height() - 16.0);
            let n = history.len();
            let x = |i: usize| {
                rect.left() + 4.0 + i as f32 * (rect.width() - 8.0) / (n - 1).max(1) as f32
            };
            for (i, w) in history.iter().enumerate() {
                if w.fault {
                    painter.rect_filled(
                        egui::Rect::from_x_y_ranges(x(i) - 1.5..=x(i) + 1.5, rect.y_range()),
                        0.0,
                        ALARM.gamma_multiply(0.15),
                    );
                }
            }
            if let Some(t) = threshold {
                painter.line_segment(
                    [
                        egui::pos2(rect.left(), y(t)),
                        egui::pos2(rect.right(), y(t)),
                    ],
                    Stroke::new(1.0, ALARM),
                );
            }
            let points: Vec<egui::Pos2> = history
                .iter()
                .enumerate()
                .map(|(i, w)| egui::pos2(x(i), y(w.score(kind))))
                .collect();
            painter.add(egui::Shape::line(points, Stroke::new(1.5, ACCENT)));
        } else {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "score history appears once windows are scored",
                egui::FontId::proportional(13.0),
                ui.visuals().weak_text_color(),
            );
        }
        ui.horizontal(|ui| {
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

    fn auc_table(&self, ui: &mut egui::Ui, live: &LiveDetail) {
        let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
        egui::Grid::new("auc")
            .striped(true)
            .num_columns(7)
            .spacing([14.0, 4.0])
            .show(ui, |ui| {
                for h in [
                    "machine",
                    "normal",
                    "fault",
                    "AUC mse",
                    "pAUC mse",
                    "AUC maha",
                    "pAUC maha",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for m in &live.book.machines {
                    ui.label(&m.machine);
                    ui.label(m.normal_windows.to_string());
                    ui.label(m.fault_windows.to_string());
                    ui.label(fmt(m.auc_mse));
                    ui.label(fmt(m.pauc_mse));
                    ui.label(fmt(m.auc_mahalanobis));
                    ui.label(fmt(m.pauc_mahalanobis));
                    ui.end_row();
                }
            });
        if live.book.machines.is_empty() {
            let restored = self
                .params
                .book
                .restored
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            match restored {
                Some(b) if b.windows > 0 => ui.weak(format!(
                    "saved session: {} windows over {} machines",
                    b.windows,
                    b.machines.len()
                )),
                _ => ui
                    .weak("Toggle Fault on and off while audio plays to collect labelled windows."),
            };
        }
    }

    fn model_box(&mut self, ui: &mut egui::Ui, detail: &LiveDetail) {
        let live = self.engine.live();
        let state = live.state();
        ui.horizontal(|ui| {
            let learning = matches!(state, EngineState::Learning | EngineState::Training);
            if learning {
                if ui.button("Cancel").clicked() {
                    self.engine.cancel_learn();
                }
                ui.add(egui::ProgressBar::new(live.progress.load(Ordering::Relaxed)).desired_width(220.0).text(detail.status.as_str()));
            } else {
                if ui.button("Learn normal").on_hover_text("Collect this many seconds of fault-off audio, then train the detector on it").clicked() {
                    self.engine.learn(self.learn_seconds as f64, faultline::detect::TrainConfig { epochs: 20, ..Default::default() });
                }
                ui.add(egui::DragValue::new(&mut self.learn_seconds).range(10.0..=600.0).suffix(" s"));
                if state == EngineState::NoModel {
                    ui.colored_label(ACCENT, "no model: learn normal or load one");
                }
            }
        });
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.model_path)
                    .desired_width((ui.available_width() - 190.0).max(120.0)),
            );
            if ui.button("Load model").clicked() {
                let path = std::path::PathBuf::from(self.model_path.trim());
                self.message = Some(match self.engine.load_model(&path) {
                    Ok(()) => {
                        self.params.model_path.record(path);
                        (false, "model loaded".into())
                    }
                    Err(e) => (true, format!("{e:#}")),
                });
            }
            if ui.button("Save model").clicked() {
                let path = std::path::PathBuf::from(self.model_path.trim());
                self.message = Some(match self.engine.save_model(&path) {
                    Ok(()) => {
                        self.params.model_path.record(path.clone());
                        (false, format!("saved {}", path.display()))
                    }
                    Err(e) => (true, format!("{e:#}")),
                });
            }
        });
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.report_dir)
                    .desired_width((ui.available_width() - 190.0).max(120.0)),
            );
            if ui.button("Export report").clicked() {
                let extra = serde_json::json!({ "source": "plugin", "plan": self.plan() });
                self.message = Some(
                    match self
                        .engine
                        .write_report(std::path::Path::new(self.report_dir.trim()), extra)
                    {
                        Ok(files) => (
                            false,
                            format!("wrote {} files to {}", files.len(), self.report_dir.trim()),
                        ),
                        Err(e) => (true, format!("{e:#}")),
                    },
                );
            }
        });
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: nice_plug::context::gui::GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        self.poll_planning();
        ui.ctx().request_repaint_after(Duration::from_millis(100));
        // One copy of the live record per frame, shared by every section.
        let detail = self.engine.live().detail();
        {
            egui::Frame::new().inner_margin(12.0).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.heading(RichText::new("Faultline").color(ACCENT).strong());
                    ui.weak("machine faults, live — and how hard they are for a detector that learned only normal sound");
                });
                if let Some(e) = &detail.last_error {
                    ui.colored_label(ALARM, e);
                }
                ui.add_space(6.0);
                ui.columns(2, |cols| {
                    section(&mut cols[0], "Live controls", |ui| self.controls(ui));
                    cols[0].add_space(8.0);
                    section(&mut cols[0], "Detector", |ui| self.model_box(ui, &detail));
                    section(&mut cols[1], "Fault planner", |ui| self.planner_box(ui));
                    cols[1].add_space(8.0);
                    section(&mut cols[1], "Plan", |ui| self.plan_view(ui));
                });
                ui.add_space(8.0);
                section(ui, "Anomaly score", |ui| self.meter(ui, &detail));
                ui.add_space(8.0);
                section(ui, "Detection so far: fault-on windows against normal ones", |ui| self.auc_table(ui, &detail));
            });
        }
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        *self
            .params
            .editor_size
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = (
            size.logical.width.round() as u32,
            size.logical.height.round() as u32,
        );
    }
}

/// A titled, full-width group.
fn section(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::group(ui.style())
        .inner_margin(10.0)
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(title).color(ACCENT).strong());
            ui.add_space(4.0);
            add(ui);
        });
}

fn set_param<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

fn fmt_value(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
        _ => v.to_string(),
    }
}

/// Where models and reports go by default: `$XDG_DATA_HOME/faultline` (or `~/.local/share`).
pub fn default_dir() -> std::path::PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })
        .unwrap_or_else(std::env::temp_dir)
        .join("faultline")
}
