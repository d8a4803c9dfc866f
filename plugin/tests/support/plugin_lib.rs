//! Finds (building if needed) the plugin's cdylib for the host tests and the scan bench.

use std::path::PathBuf;

/// The plugin library, built fresh with this test's features (cargo builds only the rlib for
/// integration tests): `$CARGO build --lib`, the cdylib's path read from cargo's JSON messages.
/// `FAULTLINE_CLAP` points at a prebuilt one instead (a bundle, say).
pub fn path(release: bool) -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        if let Some(p) = std::env::var_os("FAULTLINE_CLAP") {
            // Relative to the workspace root, where `cargo xtask bundle` puts `target/bundled`.
            return std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(p);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--lib",
            "--message-format=json-render-diagnostics",
            "-p",
            "faultline-plugin",
        ]);
        if release {
            cmd.arg("--release");
        }
        if cfg!(feature = "assert_process_allocs") {
            cmd.args(["--features", "assert_process_allocs"]);
        }
        let out = cmd
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("run cargo build");
        assert!(out.status.success(), "building the plugin failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| {
                m["reason"] == "compiler-artifact" && m["target"]["name"] == "faultline_plugin"
            })
            .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
            .filter_map(|f| f.as_str().map(PathBuf::from))
            .find(|f| {
                f.extension()
                    .is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
            })
            .expect("cargo reported the plugin's cdylib")
    })
    .clone()
}
