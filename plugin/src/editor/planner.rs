//! The fault planner panel: the fault in words, a planner, and the request on its own thread
//! (an LLM may take seconds; the editor keeps drawing).

use super::{EditorApp, Slot};
use egui::RichText;
use faultline::plan::{FaultPlan, PlanRequest, planner_by_name};

pub const PLANNERS: [&str; 3] = ["keyword", "llm", "random"];

/// A plan request in flight on a background thread.
pub(super) struct Planning {
    rx: crossbeam_channel::Receiver<Result<FaultPlan, String>>,
    planner: &'static str,
}

impl EditorApp {
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
        let spawned = std::thread::Builder::new()
            .name("faultline-plan".into())
            .spawn(move || {
                let result = planner_by_name(planner)
                    .and_then(|p| p.plan(&request))
                    .map_err(|e| format!("{e:#}"));
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => {
                self.planning = Some(Planning { rx, planner });
                self.clear(Slot::Planner);
            }
            Err(e) => self.say(Slot::Planner, true, format!("cannot start planning: {e}")),
        }
    }

    pub(super) fn poll_planning(&mut self) {
        let Some(p) = &self.planning else { return };
        let planner = p.planner;
        match p.rx.try_recv() {
            Ok(Ok(plan)) => {
                self.planning = None;
                let pv = &plan.provenance;
                // egui's bundled fonts have no arrows. A fallback is a warning (the plan view
                // repeats it with its reason for as long as the plan plays).
                let (warn, text) = match pv.fallback_warning() {
                    Some(w) => (true, w),
                    None => {
                        let notes = pv.notes.join("; ");
                        (
                            false,
                            if notes.is_empty() {
                                format!("planned by {}", pv.planner)
                            } else {
                                format!("planned by {}: {notes}", pv.planner)
                            },
                        )
                    }
                };
                self.say(Slot::Planner, warn, text.replace('→', "->"));
                self.editing = None;
                self.apply_plan(plan, Slot::Planner);
            }
            Ok(Err(e)) => {
                self.planning = None;
                self.say(Slot::Planner, true, format!("{planner} planner: {e}"));
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.planning = None;
                self.say(Slot::Planner, true, "the planner stopped unexpectedly");
            }
        }
    }

    pub(super) fn planner_box(&mut self, ui: &mut egui::Ui) {
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
                .on_hover_text(format!(
                    "Plan this fault for the {} with the chosen planner",
                    self.params.machine().name()
                ))
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
        self.show_message(ui, Slot::Planner);
    }
}
