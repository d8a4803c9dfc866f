//! The plan: its header (machine, seed, who made it, whether it follows Machine), a fallback
//! warning with its reason, and every argument of every step editable with the catalog's unit
//! and range. An edit is applied on release through the engine's crossfade, saved in state, and
//! recorded in the plan's notes (`FaultPlan::with_argument`).

use super::{ACCENT, ALARM, EditorApp, Slot};
use egui::RichText;
use faultline::plan::{EDIT_NOTE, Editable, FaultPlan};

impl EditorApp {
    pub(super) fn plan_view(&mut self, ui: &mut egui::Ui) {
        let Some(plan) = self.plan() else {
            ui.weak("No plan yet: the audio passes through. Describe a fault and press Plan, or turn Fault on for the machine's typical faults.");
            return;
        };
        self.plan_header(ui, &plan);
        let mut commit: Option<(usize, String, f32)> = None;
        // The plan resolved once per frame; a plan that does not resolve says why, once.
        let steps = plan.editable_steps().unwrap_or_else(|e| {
            ui.colored_label(ALARM, format!("{e}"));
            Vec::new()
        });
        for ((i, step), args) in plan.steps.iter().enumerate().zip(steps) {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&step.function).color(ACCENT).strong());
                if let Some(a) = args.first() {
                    // Intensity, the one argument most edits touch, stays in the step's row.
                    if let Some(c) = self.argument(ui, i, a, true) {
                        commit = Some(c);
                    }
                }
            });
            ui.add(
                egui::Label::new(
                    RichText::new(summary(&args[1.min(args.len())..]))
                        .small()
                        .monospace()
                        .weak(),
                )
                .wrap(),
            );
            egui::CollapsingHeader::new(RichText::new("edit arguments").small())
                .id_salt(("step", i, &step.function))
                .show(ui, |ui| {
                    egui::Grid::new(("args", i))
                        .num_columns(2)
                        .spacing([10.0, 3.0])
                        .show(ui, |ui| {
                            for a in args.iter().skip(1) {
                                ui.label(RichText::new(&a.key).monospace())
                                    .on_hover_text(a.description);
                                if let Some(c) = self.argument(ui, i, a, false) {
                                    commit = Some(c);
                                }
                                ui.end_row();
                            }
                        });
                });
            ui.add_space(2.0);
        }
        if let Some((step, key, value)) = commit {
            self.editing = None;
            match plan.with_argument(step, &key, value) {
                Ok(edited) => {
                    if self.apply_plan(edited, Slot::Plan) {
                        self.clear(Slot::Plan);
                    }
                }
                Err(e) => self.say(Slot::Plan, true, format!("{e}")),
            }
        }
        self.show_message(ui, Slot::Plan);
    }

    fn plan_header(&self, ui: &mut egui::Ui, plan: &FaultPlan) {
        let pv = &plan.provenance;
        let mut who = pv.planner.clone();
        if self.params.plan.is_default() {
            who.push_str(", the machine's typical faults (default plan)");
        }
        if pv.notes.iter().any(|n| n.starts_with(EDIT_NOTE)) {
            who.push_str(", edited by hand");
        }
        ui.label(
            RichText::new(format!(
                "Plan for {} · seed {} · {who}",
                plan.machine, plan.seed
            ))
            .strong(),
        );
        if let Some(w) = pv.fallback_warning() {
            ui.add(egui::Label::new(RichText::new(w.replace('→', "->")).color(ALARM)).wrap());
        }
        let machine = self.params.machine();
        if plan.machine != machine.name() {
            let text = if self.params.plan.is_default()
                || self
                    .params
                    .plan
                    .requested
                    .load(std::sync::atomic::Ordering::Acquire)
            {
                format!(
                    "Machine is now {}: its typical-fault plan follows.",
                    machine.name()
                )
            } else if self.params.plan.follows_machine() {
                format!(
                    "Machine is now {}: the rates given as orders follow its shaft rate.",
                    machine.name()
                )
            } else {
                format!(
                    "Machine is now {}, but this plan was made for the {} and plays unchanged (its frequencies are in Hz). Press Plan to plan for the {}.",
                    machine.name(),
                    plan.machine,
                    machine.name()
                )
            };
            ui.add(egui::Label::new(RichText::new(text).color(ACCENT)).wrap());
        } else if let Some(shaft) = plan.shaft_hz {
            ui.weak(format!(
                "rates given as orders of the {shaft:.1} Hz shaft rate follow Machine"
            ));
        }
    }

    /// One argument's editor; returns the edit to apply once the user lets go.
    fn argument(
        &mut self,
        ui: &mut egui::Ui,
        step: usize,
        a: &Editable,
        slider: bool,
    ) -> Option<(usize, String, f32)> {
        let mut value = match &self.editing {
            Some((s, k, v)) if *s == step && *k == a.key => *v,
            _ => a.value,
        };
        let suffix = if a.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", a.unit)
        };
        let response = if slider {
            ui.add(
                egui::Slider::new(&mut value, a.min..=a.max)
                    .text(&a.key)
                    .fixed_decimals(2),
            )
        } else {
            let speed = ((a.max - a.min) / 300.0).max(if a.integer { 0.05 } else { 1e-3 });
            let mut drag = egui::DragValue::new(&mut value)
                .range(a.min..=a.max)
                .speed(speed)
                .suffix(suffix);
            drag = if a.integer {
                drag.fixed_decimals(0)
            } else {
                drag.max_decimals(3)
            };
            ui.add(drag)
        }
        .on_hover_text(format!(
            "{} ({} to {}{})",
            a.description,
            a.min,
            a.max,
            if a.unit.is_empty() {
                String::new()
            } else {
                format!(" {}", a.unit)
            }
        ));
        // Only what the user does counts: a widget may report a change when it merely rounds
        // or clamps a value it is shown, and that must not rebuild the plan every frame.
        let touched = response.dragged()
            || response.drag_stopped()
            || response.clicked()
            || response.has_focus()
            || response.lost_focus();
        if response.changed() && touched {
            self.editing = Some((step, a.key.clone(), value));
        }
        let released = response.drag_stopped()
            || response.lost_focus()
            || (response.clicked() && !response.dragged());
        match &self.editing {
            Some((s, k, v)) if released && *s == step && *k == a.key && *v != a.value => {
                Some((step, a.key.clone(), *v))
            }
            _ => None,
        }
    }
}

/// A step's arguments after intensity, in one short line (the collapsed view).
fn summary(args: &[Editable]) -> String {
    args.iter()
        .map(|a| {
            let v = if a.integer {
                format!("{:.0}", a.value)
            } else {
                format!("{:.2}", a.value)
            };
            let unit = match a.unit.as_str() {
                "× shaft" => "×".to_string(),
                "" => String::new(),
                u => format!(" {u}"),
            };
            format!("{}={v}{unit}", a.key)
        })
        .collect::<Vec<_>>()
        .join("  ")
}
