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
                 run    a local server with the demo session, a device synced to it, its figures and ledger\n\
                 test   every test tier: UI (Vitest), rustfmt, clippy -D warnings, unit, store, CLI, server and sync (SQLite and PostgreSQL), app\n\
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

/// The main job: a local `desk-server` (embedded SQLite) holding the demo session, and a
/// `desk` device signed in to it that syncs and shows the zone's figures and the ledger. The
/// server then keeps running until Ctrl-C.
fn run() -> Result {
    cargo(&[
        "build",
        "--release",
        "--bin",
        "desk",
        "--bin",
        "desk-server",
    ])?;
    let dir = root().join("target/demo");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let bin = |name: &str| {
        root()
            .join("target/release")
            .join(name)
            .display()
            .to_string()
    };
    let (desk, server) = (bin("desk"), bin("desk-server"));
    let db = format!("sqlite://{}", dir.join("server.db").display());
    let device = dir.join("device").display().to_string();
    let listen = std::env::var("DESK_LISTEN").unwrap_or_else(|_| "127.0.0.1:8700".into());

    // An administrator (made once), the demo session, then the server.
    let made = dir.join("admin-created");
    if !made.exists() {
        pipe(
            &server,
            &[
                "--db",
                &db,
                "admin",
                "create-admin",
                "--name",
                "admin",
                "--password-stdin",
            ],
            DEMO_PASSWORD,
        )?;
        std::fs::write(&made, "admin\n").map_err(|e| e.to_string())?;
    }
    step(&server, &["--db", &db, "admin", "demo"])?;
    let mut serving = Command::new(&server)
        .args(["--db", &db, "serve", "--listen", &listen])
        .spawn()
        .map_err(|e| format!("cannot start desk-server: {e}"))?;
    std::thread::sleep(std::time::Duration::from_millis(700));

    let url = format!("http://{listen}");
    pipe(
        &desk,
        &[
            "--data-dir",
            &device,
            "login",
            "--server",
            &url,
            "--user",
            "admin",
            "--password-stdin",
            "--device-name",
            "演示设备",
        ],
        DEMO_PASSWORD,
    )?;
    step(&desk, &["--data-dir", &device, "sync"])?;
    step(&desk, &["--data-dir", &device, "stats"])?;
    step(&desk, &["--data-dir", &device, "appeal", "list"])?;
    eprintln!(
        "\ndesk-server is serving the demo at {url} (user admin, password {DEMO_PASSWORD}).\n\
         Another device: desk --data-dir DIR login --server {url} --user admin\n\
         Stop with Ctrl-C."
    );
    serving.wait().map_err(|e| e.to_string())?;
    Ok(())
}

/// The demo administrator's password; the demo server listens on loopback only by default.
const DEMO_PASSWORD: &str = "desk-demo-2024";

fn pipe(program: &str, args: &[&str], input: &str) -> Result {
    use std::io::Write;
    eprintln!("==> {program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(format!("{input}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Every test tier. Formatting and lints first: they are the cheapest to fail.
fn test() -> Result {
    ensure_component("rustfmt")?;
    ensure_component("clippy")?;
    // The app's web UI: its own tests, then the build the app embeds.
    ensure_app_packages()?;
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["test"])?;
    npm(&["run", "build"])?;
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The server suite runs on SQLite, and on PostgreSQL too.
    let pg = match std::env::var("DESK_TEST_PG") {
        Ok(url) if !url.is_empty() => url,
        _ => LOCAL_PG.to_owned(),
    };
    ensure_postgres(&pg)?;
    // The integration tests drive the built binaries.
    cargo(&["build", "--workspace", "--bins"])?;
    eprintln!("==> cargo test --workspace   (DESK_TEST_PG={pg})");
    let status = Command::new("cargo")
        .args(["test", "--workspace"])
        .env("DESK_TEST_PG", &pg)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("tests failed ({status})"))
    }
}

fn npm(args: &[&str]) -> Result {
    eprintln!("==> npm {} (ui/)", args.join(" "));
    let status = Command::new("npm")
        .args(args)
        .current_dir(root().join("ui"))
        .status()
        .map_err(|e| format!("cannot start npm (Node.js is needed for the UI): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm {}` failed ({status})", args.join(" ")))
    }
}

/// The Debian packages the app (Tauri, WebKitGTK) builds against, and the CJK fonts its
/// screenshots need; installed when missing.
const APP_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "libssl-dev",
    "build-essential",
    "file",
    "pkg-config",
    "fonts-noto-cjk",
];

fn ensure_app_packages() -> Result {
    let present = Command::new("pkg-config")
        .args([
            "--exists",
            "webkit2gtk-4.1",
            "ayatana-appindicator3-0.1",
            "librsvg-2.0",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    step("apt-get", &["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q"];
    args.extend_from_slice(APP_PACKAGES);
    step("apt-get", &args)
}

/// The project's machines run PostgreSQL here, with trust authentication.
const LOCAL_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Makes sure the PostgreSQL of `url` answers: installs it (Debian) if missing, starts the local
/// cluster if stopped, trusting local TCP connections and with a `test` database, as on the
/// project's machines.
fn ensure_postgres(url: &str) -> Result {
    let ready = || {
        Command::new("psql")
            .args([url, "-qtAc", "SELECT 1"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready() {
        return Ok(());
    }
    if url != LOCAL_PG {
        return Err(format!("PostgreSQL at DESK_TEST_PG={url} does not answer"));
    }
    if !Path::new("/etc/postgresql").exists() {
        step("apt-get", &["update", "-q"])?;
        step("apt-get", &["install", "-y", "-q", "postgresql"])?;
    }
    let clusters =
        std::fs::read_dir("/etc/postgresql").map_err(|e| format!("no PostgreSQL cluster: {e}"))?;
    for version in clusters.flatten() {
        let v = version.file_name().to_string_lossy().into_owned();
        let hba = version.path().join("main/pg_hba.conf");
        let trust = "host all all 127.0.0.1/32 trust\n";
        if let Ok(conf) = std::fs::read_to_string(&hba) {
            if !conf.starts_with(trust) {
                std::fs::write(&hba, format!("{trust}{conf}"))
                    .map_err(|e| format!("cannot write {}: {e}", hba.display()))?;
            }
        }
        let _ = step(
            "pg_ctlcluster",
            &["--skip-systemctl-redirect", &v, "main", "restart"],
        );
    }
    for _ in 0..30 {
        let _ = Command::new("su")
            .args(["postgres", "-c", "createdb test"])
            .output();
        if ready() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    Err("PostgreSQL did not come up on 127.0.0.1:5432".into())
}

/// Every benchmark; the server's runs on PostgreSQL too.
fn bench() -> Result {
    cargo(&[
        "run",
        "--release",
        "-p",
        "desk-store",
        "--example",
        "store_bench",
    ])?;
    ensure_postgres(LOCAL_PG)?;
    eprintln!(
        "==> cargo run --release -p desk-server --example server_bench   (DESK_BENCH_PG={LOCAL_PG})"
    );
    let status = Command::new("cargo")
        .args([
            "run",
            "--release",
            "-p",
            "desk-server",
            "--example",
            "server_bench",
        ])
        .env("DESK_BENCH_PG", LOCAL_PG)
        .current_dir(root())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("server benchmark failed".into());
    }
    cargo(&[
        "run",
        "--release",
        "-p",
        "desk-sync",
        "--example",
        "sync_bench",
    ])
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
