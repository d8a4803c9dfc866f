//! The plugin as a standalone application (nice-plug's JACK / ALSA host).

fn main() {
    nice_plug::prelude::nice_export_standalone::<faultline_plugin::Faultline>();
}
