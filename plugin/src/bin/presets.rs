//! Writes the factory presets (`presets` module): `faultline-presets [DIR]`, or `--install` for
//! the VST3 user preset folder (`~/.vst3/presets/Faultline/Faultline/` on Linux).

use faultline_plugin::Faultline;
use faultline_plugin::presets::write_presets;
use nice_plug::prelude::Vst3Plugin;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let arg = std::env::args().nth(1);
    let dir = match arg.as_deref() {
        Some("--install") => {
            let home = std::env::var_os("HOME")
                .ok_or_else(|| anyhow::anyhow!("--install: HOME is not set"))?;
            PathBuf::from(home).join(".vst3/presets/Faultline/Faultline")
        }
        Some("-h" | "--help") => {
            println!(
                "usage: faultline-presets [DIR | --install]   (default DIR: target/bundled/presets)"
            );
            return Ok(());
        }
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from("target/bundled/presets"),
    };
    for path in write_presets(&dir, Faultline::VST3_CLASS_ID)? {
        println!("{}", path.display());
    }
    Ok(())
}
