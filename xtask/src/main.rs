//! `cargo xtask <task>`: the project's commands, so the README, CI and a developer run the same
//! steps. Each task installs or starts what it needs on a fresh Debian machine.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "run" => run(),
        "test" => test(),
        "bench" => bench(),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 run    load the demo session into target/demo-data and show the zone's figures\n\
                 test   every test tier: rustfmt, clippy -D warnings, unit, store, CLI\n\
                 bench  the benchmark command (figures for docs/BENCHMARKS.md)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result = std::result::Result<(), String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo(args: &[&str]) -> Result {
    step("cargo", args)
}

fn step(program: &str, args: &[&str]) -> Result {
    eprintln!("==> {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// The main job: the demo data in a local store, and its figures.
fn run() -> Result {
    cargo(&["build", "--release", "--bin", "desk"])?;
    let data = root().join("target/demo-data");
    let desk = root().join("target/release/desk");
    let desk = desk.to_str().expect("utf-8 path");
    let data = data.to_str().expect("utf-8 path");
    step(desk, &["--data-dir", data, "demo"])?;
    step(desk, &["--data-dir", data, "stats"])?;
    step(desk, &["--data-dir", data, "appeal", "list"])
}

/// Every test tier. Formatting and lints first: they are the cheapest to fail.
fn test() -> Result {
    ensure_component("rustfmt")?;
    ensure_component("clippy")?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The integration tests drive the built binaries.
    cargo(&["build", "--workspace", "--bins"])?;
    cargo(&["test", "--workspace"])
}

fn bench() -> Result {
    cargo(&["run", "--release", "-p", "desk-store", "--example", "bench"])
}

/// rustup is the machine's one toolchain manager; a fresh machine may lack a component.
fn ensure_component(name: &str) -> Result {
    let probe = if name == "clippy" {
        "clippy-driver"
    } else {
        name
    };
    let present = Command::new(probe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        Ok(())
    } else {
        step("rustup", &["component", "add", name])
    }
}
