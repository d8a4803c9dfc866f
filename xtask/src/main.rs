//! `cargo xtask`: set-up and the project's entry points.
//!
//! - `cargo xtask demo [ARGS]`  checks the system, then runs `faultline demo` (release build)
//! - `cargo xtask test [ARGS]`  checks the system, then runs the whole workspace test suite
//! - `cargo xtask setup`        only the system check and installs
//! - `cargo xtask bench-reference`  our transforms against audiomentations, same audio, one run
//! - anything else              nice-plug's xtask (`bundle faultline-plugin --release`, …)
//!
//! The check reads Cargo.lock, so it asks only for what the workspace really links: ALSA
//! headers when cpal is in, JACK headers when nice-plug's standalone is, Xvfb when there is an
//! editor to screenshot, and a Python venv when a requirements file for tests exists.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Requirement {
    /// What needs it, for the message.
    why: &'static str,
    /// Needed when Cargo.lock names this package.
    lock_package: &'static str,
    /// Present when this succeeds.
    present: fn() -> bool,
    apt: &'static [&'static str],
}

fn pkg_config(name: &str) -> bool {
    Command::new("pkg-config")
        .args(["--exists", name])
        .status()
        .is_ok_and(|s| s.success())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        why: "cpal (audio devices)",
        lock_package: "alsa-sys",
        present: || pkg_config("alsa"),
        apt: &["libasound2-dev"],
    },
    Requirement {
        why: "nice-plug standalone (JACK)",
        lock_package: "jack-sys",
        present: || pkg_config("jack"),
        apt: &["libjack-jackd2-dev"],
    },
    Requirement {
        why: "editor screenshots",
        lock_package: "baseview",
        present: || on_path("Xvfb"),
        apt: &["xvfb"],
    },
    Requirement {
        why: "crates with C code",
        lock_package: "cc",
        present: || on_path("cc"),
        apt: &["build-essential"],
    },
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn locked_packages(root: &Path) -> String {
    std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default()
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let command = format!(
        "apt-get update && apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !on_path("apt-get") || !is_root {
        bail!("missing system packages; install them with:\n    sudo sh -c '{command}'");
    }
    eprintln!("xtask: installing {}", packages.join(" "));
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "DEBIAN_FRONTEND=noninteractive {command} >/tmp/xtask-apt.log 2>&1"
        ))
        .status()?
        .success();
    if !ok {
        bail!("`{command}` failed; see /tmp/xtask-apt.log");
    }
    Ok(())
}

/// Installs what the workspace needs and the machine lacks.
fn setup(root: &Path) -> Result<()> {
    let lock = locked_packages(root);
    let needs = |pkg: &str| lock.contains(&format!("name = \"{pkg}\"\n"));
    let mut missing: Vec<&str> = Vec::new();
    if !on_path("pkg-config") {
        missing.push("pkg-config");
    }
    for r in REQUIREMENTS {
        if needs(r.lock_package) && !(r.present)() {
            eprintln!("xtask: {} needs {}", r.why, r.apt.join(" "));
            missing.extend(r.apt);
        }
    }
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    python_env(root)
}

/// A venv in target/pyenv with the test requirements, when the project has any.
fn python_env(root: &Path) -> Result<()> {
    let req = root.join("tests").join("requirements.txt");
    if !req.exists() {
        return Ok(());
    }
    let python = venv(&root.join("target").join("pyenv"), &req)?;
    let no_deps = root.join("tests").join("requirements-nodeps.txt");
    if no_deps.exists() {
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "-r",
            ])
            .arg(&no_deps))?;
    }
    Ok(())
}

/// Creates (once) a venv and installs a requirements file into it; returns its python.
fn venv(venv: &Path, req: &Path) -> Result<PathBuf> {
    let python = venv.join("bin").join("python");
    if !python.exists() {
        if !on_path("python3") {
            bail!("python3 is missing; install it with: apt-get install -y python3 python3-venv");
        }
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()?
            .success();
        if !ok {
            apt_install(&["python3-venv"])?;
            run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
        }
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(req))?;
    Ok(python)
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str], extra: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(cargo).current_dir(root).args(args).args(extra))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("setup") => setup(&root),
        Some("demo") => {
            setup(&root)?;
            cargo(
                &root,
                &[
                    "run",
                    "--release",
                    "--quiet",
                    "--bin",
                    "faultline",
                    "--",
                    "demo",
                ],
                rest,
            )
        }
        Some("bench-reference") => {
            setup(&root)?;
            let reference = root.join("benches").join("reference");
            let python = venv(
                &root.join("target").join("benchvenv"),
                &reference.join("requirements.txt"),
            )?;
            for script in ["audiomentations_compare.py", "logmel_compare.py"] {
                run(Command::new(&python)
                    .current_dir(&root)
                    .arg(reference.join(script)))?;
            }
            Ok(())
        }
        Some("test") => {
            setup(&root)?;
            // The plugin in a real DAW session (plugin/tests/ardour.rs): Debian's Ardour, test
            // only (the demo does not need it). The test fails rather than skips once asked for.
            if !on_path("ardour7-lua") && !on_path("ardour8-lua") {
                eprintln!("xtask: the Ardour session test needs ardour");
                apt_install(&["ardour"])?;
            }
            std::env::set_var("FAULTLINE_REQUIRE_ARDOUR", "1");
            cargo(&root, &["test", "--workspace"], rest)?;
            // The plugin host tests again, against a build that aborts on any allocation in
            // `process` (nice-plug's assert_process_allocs, debug builds only): the clack-host
            // tests and the Ardour session.
            cargo(
                &root,
                &[
                    "test",
                    "-p",
                    "faultline-plugin",
                    "--features",
                    "assert_process_allocs",
                    "--test",
                    "host",
                    "--test",
                    "ardour",
                ],
                rest,
            )
        }
        _ => nice_plug_xtask::main(),
    }
}
