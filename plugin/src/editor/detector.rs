//! The detector panel (learn normal, load/save the model, export a report — each with its
//! message beside it) and the per-machine detection table.

use super::{ACCENT, EditorApp, Slot};
use egui::RichText;
use faultline::engine::{EngineState, LiveDetail};
use std::sync::atomic::Ordering;

impl EditorApp {
    pub(super) fn model_box(&mut self, ui: &mut egui::Ui, detail: &LiveDetail) {
        let live = self.engine.live();
        let state = live.state();
        let learning = matches!(state, EngineState::Learning | EngineState::Training);
        ui.horizontal(|ui| {
            if learning {
                if ui.button("Cancel").clicked() {
                    self.engine.cancel_learn();
                }
                ui.add(
                    egui::ProgressBar::new(live.progress.load(Ordering::Relaxed))
                        .desired_width(ui.available_width().min(320.0))
                        .show_percentage(),
                );
            } else {
                if ui
                    .button("Learn normal")
                    .on_hover_text("Collect this many seconds of fault-off audio, then train the detector on it")
                    .clicked()
                {
                    self.engine.learn(
                        self.learn_seconds as f64,
                        faultline::detect::TrainConfig { epochs: 20, ..Default::default() },
                    );
                }
                ui.add(egui::DragValue::new(&mut self.learn_seconds).range(10.0..=600.0).suffix(" s"));
                if state == EngineState::NoModel {
                    ui.colored_label(ACCENT, "no model: learn normal or load one");
                }
            }
        });
        if learning && !detail.status.is_empty() {
            // The engine's status counts the seconds collected, or says learning waits for
            // Fault off (fault-on audio is never learned as normal).
            let waits = detail.status.contains("waits");
            let text = RichText::new(&detail.status);
            ui.add(
                egui::Label::new(if waits {
                    text.color(ACCENT)
                } else {
                    text.weak()
                })
                .wrap(),
            );
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.model_path)
                    .desired_width((ui.available_width() - 190.0).max(120.0)),
            );
            if ui.button("Load model").clicked() {
                let path = std::path::PathBuf::from(self.model_path.trim());
                match self.engine.load_model(&path) {
                    Ok(()) => {
                        self.params.model_path.record(path);
                        self.say(Slot::Model, false, "model loaded");
                    }
                    Err(e) => self.say(Slot::Model, true, format!("{e:#}")),
                }
            }
            if ui.button("Save model").clicked() {
                let path = std::path::PathBuf::from(self.model_path.trim());
                match self.engine.save_model(&path) {
                    Ok(()) => {
                        self.params.model_path.record(path.clone());
                        self.say(Slot::Model, false, format!("saved {}", path.display()));
                    }
                    Err(e) => self.say(Slot::Model, true, format!("{e:#}")),
                }
            }
        });
        self.show_message(ui, Slot::Model);
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.report_dir)
                    .desired_width((ui.available_width() - 190.0).max(120.0)),
            );
            if ui.button("Export report").clicked() {
                let extra = serde_json::json!({ "source": "plugin", "plan": self.plan() });
                let dir = self.report_dir.trim().to_string();
                match self.engine.write_report(std::path::Path::new(&dir), extra) {
                    Ok(files) => self.say(
                        Slot::Report,
                        false,
                        format!("wrote {} files to {dir}", files.len()),
                    ),
                    Err(e) => self.say(Slot::Report, true, format!("{e:#}")),
                }
            }
        });
        self.show_message(ui, Slot::Report);
    }

    pub(super) fn auc_table(&self, ui: &mut egui::Ui, live: &LiveDetail) {
        let fmt = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.3}"));
        let current = self.params.machine().name();
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
                    let name = RichText::new(&m.machine);
                    ui.label(if m.machine == current {
                        name.color(ACCENT).strong()
                    } else {
                        name
                    });
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
        } else {
            ui.weak("AUC: the chance that a fault-on window scores above a normal one (0.5 = the detector cannot tell); pAUC over false-positive rates up to 0.1.");
        }
    }
}
