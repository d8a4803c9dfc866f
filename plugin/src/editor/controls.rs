//! The live controls: the host-visible parameters, drawn with the host's setter so every change
//! is automation the host records.

use super::{ALARM, EditorApp, set_param};
use crate::params::{MachineChoice, ScoreChoice};
use egui::{Color32, RichText};
use faultline::detect::ScoreKind;
use nice_plug::prelude::Enum;

impl EditorApp {
    pub(super) fn controls(&mut self, ui: &mut egui::Ui) {
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
                            ui.selectable_value(
                                &mut machine,
                                MachineChoice::from_index(i),
                                m.name(),
                            );
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
                        ui.radio_value(&mut kind, ScoreChoice::from_index(i), k.name());
                    }
                });
                if kind != p.score_mode.value() {
                    set_param(&setter, &p.score_mode, kind);
                }
                ui.end_row();
            });
    }
}
