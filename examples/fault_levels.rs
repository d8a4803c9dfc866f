//! Each catalog function alone at its defaults on every built-in machine's normal sound: the
//! fault level (dB, `catalog::levels`) and the largest clip-mean log-mel change at several
//! intensities, median [min, max] over the eight machines. The README's severity table.
//!
//! `cargo run --release --example fault_levels [seconds]`

use faultline::catalog::{levels, CATALOG};

fn main() {
    let seconds: f32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    let intensities = [0.02f32, 0.1, 0.25, 0.5, 1.0];
    println!(
        "fault level dB, median [min, max] over 8 machines ({seconds} s clips); scale: {:?}",
        intensities.map(|i| levels::severity_db(f64::from(i)).round())
    );
    println!(
        "{:<22} {}",
        "function",
        intensities
            .map(|i| format!("{:>22}", format!("i={i}")))
            .join("")
    );
    for spec in CATALOG {
        let mut row = format!("{:<22}", spec.name);
        let mut change = format!("{:<22}", "  max |Δ| dB");
        for &i in &intensities {
            let r = levels::on_machines(spec, i, seconds, 1);
            let lv: Vec<f64> = r.iter().map(|x| x.1).collect();
            let ch: Vec<f64> = r.iter().map(|x| x.2).collect();
            let (lo, hi) = (
                lv.iter().cloned().fold(f64::INFINITY, f64::min),
                lv.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            );
            row += &format!(
                "{:>22}",
                format!("{:.1} [{:.1}, {:.1}]", levels::median(lv.clone()), lo, hi)
            );
            change += &format!(
                "{:>22}",
                format!(
                    "{:.2} (max {:.2})",
                    levels::median(ch.clone()),
                    ch.iter().cloned().fold(0.0, f64::max)
                )
            );
        }
        println!("{row}\n{change}");
    }
}
