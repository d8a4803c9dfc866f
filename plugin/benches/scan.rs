//! Plugin scan time: load the library, get the CLAP plugin factory, read the descriptor — what a
//! DAW does for every plugin on start-up. Goal: under 20 ms. Prints JSON.
//!
//! Run: `cargo bench -p faultline-plugin --bench scan` (or set `FAULTLINE_CLAP` to a bundle).

#[path = "../tests/support/plugin_lib.rs"]
mod plugin_lib;

use clack_host::prelude::PluginEntry;
use std::time::Instant;

fn scan(path: &std::path::Path) -> f64 {
    let t = Instant::now();
    let entry = unsafe { PluginEntry::load(path) }.expect("load the plugin");
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let d = factory.plugin_descriptors().next().expect("a descriptor");
    assert_eq!(d.name().unwrap().to_bytes(), b"Faultline");
    let s = t.elapsed().as_secs_f64();
    drop(entry);
    s
}

fn main() {
    let path = plugin_lib::path(true);
    let first = scan(&path);
    let mut rest: Vec<f64> = (0..50).map(|_| scan(&path)).collect();
    rest.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "plugin": path,
        "first_scan_ms": first * 1e3,
        "median_rescan_ms": rest[rest.len() / 2] * 1e3,
        "max_rescan_ms": rest[rest.len() - 1] * 1e3,
        "goal_ms": 20.0,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
