//! The editor (egui): describe a fault, plan it on a background thread, see and edit every
//! argument of the plan, watch the live score against the threshold, the per-machine AUC table,
//! learn normal, load/save the model, export a report. One module per panel; `headless`
//! renders it without a window (layout tests, the README's screenshot).

mod controls;
mod detector;
pub mod headless;
mod meter;
mod plan_view;
mod planner;

use crate::params::FaultlineParams;
use egui::{Color32, RichText};
use faultline::engine::{EngineHandle, LiveDetail};
use faultline::plan::FaultPlan;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{HostMethods, SpawnedEditor};
use nice_plug::prelude::*;
use nice_plug_egui::{
    EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
    create_egui_editor,
};
use std::sync::Arc;
use std::time::Duration;

const ACCENT: Color32 = Color32::from_rgb(0xf0, 0x9a, 0x36);
const ALARM: Color32 = Color32::from_rgb(0xe0, 0x4f, 0x4f);
const CALM: Color32 = Color32::from_rgb(0x5f, 0xb8, 0x7a);
/// The smallest window the layout is made for (the content scrolls below it).
const MIN_SIZE: (f32, f32) = (900.0, 700.0);

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
        LogicalSize::new(
            (w as f64).max(MIN_SIZE.0 as f64),
            (h as f64).max(MIN_SIZE.1 as f64),
        )
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
            resize_hint: self.resize_hint(),
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
        ResizeHint::resizable().with_min_logical_size(LogicalSize::new(MIN_SIZE.0, MIN_SIZE.1))
    }
}

/// Where a message belongs: it is shown next to the control that caused it.
#[derive(Clone, Copy)]
enum Slot {
    Planner,
    Plan,
    Model,
    Report,
}

/// A message: (is it a warning or error, text).
type Message = Option<(bool, String)>;

pub struct EditorApp {
    params: Arc<FaultlineParams>,
    engine: Arc<EngineHandle>,
    gui: Option<nice_plug::context::gui::GuiContext>,
    fault_text: String,
    planner: usize,
    planning: Option<planner::Planning>,
    messages: [Message; 4],
    learn_seconds: f32,
    model_path: String,
    report_dir: String,
    /// Plan arguments being dragged: (step, key, value), applied on release.
    editing: Option<(usize, String, f32)>,
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
            messages: Default::default(),
            learn_seconds: 60.0,
            model_path,
            report_dir: default_dir().join("report").display().to_string(),
            editing: None,
        }
    }

    fn say(&mut self, slot: Slot, error: bool, text: impl Into<String>) {
        self.messages[slot as usize] = Some((error, text.into()));
    }

    fn clear(&mut self, slot: Slot) {
        self.messages[slot as usize] = None;
    }

    /// The message of `slot`, drawn where it is called (next to its control).
    fn show_message(&self, ui: &mut egui::Ui, slot: Slot) {
        if let Some((error, text)) = &self.messages[slot as usize] {
            let color = if *error {
                ALARM
            } else {
                ui.visuals().weak_text_color()
            };
            ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
        }
    }

    fn plan(&self) -> Option<FaultPlan> {
        self.params.plan.lock().clone()
    }

    /// Plays `plan` (click-free: the engine crossfades to its chain) and saves it in state.
    fn apply_plan(&mut self, plan: FaultPlan, slot: Slot) -> bool {
        match self.engine.set_plan(plan.clone()) {
            Ok(()) => {
                self.params
                    .plan
                    .record(Some(plan), crate::params::DEFAULT_NONE);
                true
            }
            Err(e) => {
                self.say(slot, true, format!("{e:#}"));
                false
            }
        }
    }

    /// The whole editor for one frame, given the live record (one copy per frame).
    pub fn draw(&mut self, ui: &mut egui::Ui, detail: &LiveDetail) {
        self.poll_planning();
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Frame::new().inner_margin(12.0).show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
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
                        section(&mut cols[0], "Detector", |ui| self.model_box(ui, detail));
                        section(&mut cols[1], "Fault planner", |ui| self.planner_box(ui));
                        cols[1].add_space(8.0);
                        section(&mut cols[1], "Plan", |ui| self.plan_view(ui));
                    });
                    ui.add_space(8.0);
                    section(ui, "Anomaly score", |ui| self.meter(ui, detail));
                    ui.add_space(8.0);
                    section(
                        ui,
                        "Detection so far: fault-on windows against normal ones",
                        |ui| self.auc_table(ui, detail),
                    );
                });
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
        ui.ctx().request_repaint_after(Duration::from_millis(100));
        let detail = self.engine.live().detail();
        self.draw(ui, &detail);
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

#[cfg(test)]
mod tests;
