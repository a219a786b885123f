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
        "bindings" => bindings(),
        "package" => package(),
        "package-server" => {
            package_server(std::env::args().nth(2).as_deref() == Some("--debug")).map(drop)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 run       a local server with the demo session, a device synced to it, its figures and ledger\n\
                 test      every test tier: UI (Vitest), rustfmt, clippy -D warnings, unit, store, CLI, server and sync (SQLite and PostgreSQL), app, end-to-end (its window under Xvfb)\n\
                 bench     the benchmark command (figures for docs/BENCHMARKS.md)\n\
                 bindings  regenerate ui/src/bindings (TypeScript) from the Rust types\n\
                 package   the app's Linux package (.deb), with the Tauri CLI\n\
                 package-server [--debug]\n          \
                 desk-server's Debian package with its systemd unit (--debug: of the debug build, for the tests)"
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
    // The enterprise portal's pages, which desk-server embeds.
    ensure_ui_dependencies()?;
    npm(&["run", "build:portal"])?;
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
    let url = format!("http://{listen}");
    // A demo enterprise's access code to the portal, in the letter the office hands over.
    step(
        &server,
        &[
            "--db",
            &db,
            "--public-url",
            &url,
            "admin",
            "enterprise-code",
            "--site",
            "湖北斯诺新材料有限公司",
        ],
    )?;
    let mut serving = Command::new(&server)
        .args(["--db", &db, "serve", "--listen", &listen])
        .spawn()
        .map_err(|e| format!("cannot start desk-server: {e}"))?;
    std::thread::sleep(std::time::Duration::from_millis(700));

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
    open_app(&desk, &url, &dir.join("app"))?;
    eprintln!(
        "\ndesk-server is serving the demo at {url} (user admin, password {DEMO_PASSWORD}).\n\
         The enterprise portal: {url}/portal/ (湖北斯诺新材料有限公司 signs in with the credit code and access code in the letter above).\n\
         Another device: desk --data-dir DIR login --server {url} --user admin\n\
         Stop with Ctrl-C."
    );
    serving.wait().map_err(|e| e.to_string())?;
    Ok(())
}

/// The demo administrator's password; the demo server listens on loopback only by default.
const DEMO_PASSWORD: &str = "desk-demo-2024";

/// Opens the app's window on the demo: its own data directory (`DESK_DATA_DIR`), signed in as
/// the demo administrator by `desk login` (which writes the `credentials.json` the app reads),
/// so it skips the first-run screen and syncs the demo session by itself. Without a display
/// (CI, ssh) it says so and leaves the window out.
fn open_app(desk: &str, url: &str, data_dir: &Path) -> Result {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("(no display: the app's window is not opened; run it with DESK_DATA_DIR=DIR after `desk --data-dir DIR login --server {url} --user admin`)");
        return Ok(());
    }
    ensure_app_packages()?;
    ensure_ui_dependencies()?;
    npm(&["run", "build"])?;
    cargo(&["build", "--release", "-p", "mobile-desk"])?;
    let dir = data_dir.display().to_string();
    pipe(
        desk,
        &[
            "--data-dir",
            &dir,
            "login",
            "--server",
            url,
            "--user",
            "admin",
            "--password-stdin",
            "--device-name",
            "演示平板",
        ],
        DEMO_PASSWORD,
    )?;
    let app = root().join("target/release/mobile-desk");
    eprintln!("==> DESK_DATA_DIR={dir} {}", app.display());
    Command::new(&app)
        .env("DESK_DATA_DIR", data_dir)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", app.display()))?;
    Ok(())
}

/// The UI's dependencies, the Tauri CLI among them; installed when missing (`npm ci` replaces
/// node_modules, so it is not run over a working one).
fn ensure_ui_dependencies() -> Result {
    if root().join("ui/node_modules/.bin/tauri").exists() {
        return Ok(());
    }
    npm(&["ci", "--no-audit", "--no-fund"])
}

/// The app's Linux package: the Tauri CLI (a devDependency of ui/) builds the UI, the release
/// binary and the .deb that src-tauri/tauri.linux.conf.json asks for; then its control data is
/// shown and its path printed.
fn package() -> Result {
    ensure_app_packages()?;
    ensure_ui_dependencies()?;
    let tauri = root().join("ui/node_modules/.bin/tauri");
    eprintln!("==> tauri build");
    let status = Command::new(&tauri)
        .args(["build", "--ci"])
        .env("TAURI_APP_PATH", root().join("src-tauri"))
        .env("TAURI_FRONTEND_PATH", root().join("ui"))
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {}: {e}", tauri.display()))?;
    if !status.success() {
        return Err(format!("`tauri build` failed ({status})"));
    }
    let bundles = root().join("target/release/bundle/deb");
    let newest = std::fs::read_dir(&bundles)
        .map_err(|e| format!("no packages in {}: {e}", bundles.display()))?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max();
    let Some((_, deb)) = newest else {
        return Err(format!(
            "`tauri build` left no .deb in {}",
            bundles.display()
        ));
    };
    let shown = deb.display().to_string();
    step("dpkg-deb", &["--info", &shown])?;
    let size = std::fs::metadata(&deb).map_or(0, |m| m.len());
    eprintln!(
        "\nThe package: {shown} ({:.1} MB)\nInstall it with: sudo apt install {shown}",
        size as f64 / 1e6
    );
    Ok(())
}

/// desk-server's Debian package, made with Debian's own dpkg-deb: the binary (the portal's pages
/// embedded), the systemd unit, the config under /etc (a conffile, kept across upgrades) and the
/// maintainer scripts that make its user (packaging/desk-server). `debug` packs the debug build
/// the test tier has already made: the packaging is what its test checks. Returns the .deb.
fn package_server(debug: bool) -> std::result::Result<PathBuf, String> {
    let profile = if debug {
        // As the test tier built it (naming one package would resolve other features and
        // build it again).
        cargo(&["build", "--workspace", "--bins"])?;
        "debug"
    } else {
        ensure_ui_dependencies()?;
        npm(&["run", "build:portal"])?;
        cargo(&["build", "--release", "-p", "desk-server", "--bins"])?;
        "release"
    };
    let version = env!("CARGO_PKG_VERSION");
    let arch = output("dpkg", &["--print-architecture"])?;
    let out = root().join("target/package-server");
    let stage = out.join(format!("desk-server_{version}_{arch}"));
    let _ = std::fs::remove_dir_all(&stage);
    let files = root().join("packaging/desk-server");
    let place = |from: &Path, to: &str, mode: u32| -> Result {
        use std::os::unix::fs::PermissionsExt;
        let to = stage.join(to);
        std::fs::create_dir_all(to.parent().expect("a folder"))
            .and_then(|()| std::fs::copy(from, &to))
            .and_then(|_| std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)))
            .map_err(|e| format!("cannot place {}: {e}", to.display()))
    };
    place(
        &root().join(format!("target/{profile}/desk-server")),
        "usr/bin/desk-server",
        0o755,
    )?;
    place(
        &files.join("desk-server.service"),
        "lib/systemd/system/desk-server.service",
        0o644,
    )?;
    place(
        &files.join("config.toml"),
        "etc/desk-server/config.toml",
        0o644,
    )?;
    place(
        &root().join("README.md"),
        "usr/share/doc/desk-server/README.md",
        0o644,
    )?;
    for script in ["postinst", "prerm", "postrm"] {
        place(&files.join(script), &format!("DEBIAN/{script}"), 0o755)?;
    }
    let control = [
        "Package: desk-server".to_owned(),
        format!("Version: {version}"),
        format!("Architecture: {arch}"),
        "Maintainer: Mobile Desk developers <desk@localhost>".into(),
        "Section: net".into(),
        "Priority: optional".into(),
        "Depends: libc6, passwd".into(),
        "Recommends: postgresql-client".into(),
        "Description: 流动办公桌 Mobile Desk sync server".into(),
        " The office's central server for Mobile Desk: accounts and devices, the sync".into(),
        " protocol, the appeals ledger, the enterprise portal and the Open311 intake.".into(),
        " Embedded SQLite by default, PostgreSQL at scale; runs as the desk-server user".into(),
        " under systemd, its data in /var/lib/desk-server, its settings in".into(),
        " /etc/desk-server/config.toml.".into(),
        String::new(),
    ]
    .join("\n");
    let write = |name: &str, text: &str| -> Result {
        std::fs::write(stage.join("DEBIAN").join(name), text)
            .map_err(|e| format!("cannot write DEBIAN/{name}: {e}"))
    };
    write("control", &control)?;
    write(
        "conffiles",
        "/etc/desk-server/config.toml
",
    )?;
    let deb = out.join(format!("desk-server_{version}_{arch}.deb"));
    step(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "--build",
            &stage.display().to_string(),
            &deb.display().to_string(),
        ],
    )?;
    eprintln!(
        "\nThe package: {}\nInstall it with: sudo apt install {}",
        deb.display(),
        deb.display()
    );
    Ok(deb)
}

/// What a command printed, trimmed.
fn output(program: &str, args: &[&str]) -> std::result::Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed ({})",
            args.join(" "),
            out.status
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

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
    // The enterprise portal's pages, embedded in desk-server (built below).
    npm(&["run", "build:portal"])?;
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
    if !status.success() {
        return Err(format!("tests failed ({status})"));
    }
    // The server's Debian package, installed on this machine and run as its unit says.
    let deb = package_server(true)?;
    eprintln!("==> cargo test --workspace --tests server_package -- --ignored");
    let status = Command::new("cargo")
        .args(["test", "--workspace", "--tests", "server_package"])
        .args(["--", "--ignored", "--test-threads=1"])
        .env("DESK_TEST_DEB", &deb)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if !status.success() {
        return Err(format!("the server package's test failed ({status})"));
    }
    // The app's window, end to end: last, as the slowest tier and the one that needs the most.
    // Every package's test targets, like the run above: naming one target (`--test it`) would
    // leave the other packages' dev-dependencies out of feature resolution, and rebuild half
    // the workspace with other features. The e2e tests are the only ignored ones.
    ensure_tauri_driver()?;
    eprintln!("==> cargo test --workspace --tests e2e -- --ignored --test-threads=1");
    let status = Command::new("cargo")
        .args(["test", "--workspace", "--tests", "e2e"])
        .args(["--", "--ignored", "--test-threads=1"])
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if status.success() {
        eprintln!(
            "==> e2e screenshots: {}",
            root().join("target/e2e-screenshots").display()
        );
        Ok(())
    } else {
        Err(format!(
            "end-to-end tests failed ({status}); screenshots (the failing step last) and the app's logs: {}",
            root().join("target/e2e-screenshots").display()
        ))
    }
}

/// The WebDriver server in front of WebKitWebDriver, for the end-to-end tests; built from
/// crates.io when missing.
fn ensure_tauri_driver() -> Result {
    if on_path("tauri-driver") || cargo_bin("tauri-driver").exists() {
        return Ok(());
    }
    cargo(&["install", "tauri-driver", "--locked"])
}

/// Where `cargo install` puts binaries (the e2e harness looks there too).
fn cargo_bin(name: &str) -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
        .join(name)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(program).is_file()))
}

fn npm(args: &[&str]) -> Result {
    npm_in("ui", args)
}

/// npm in a folder of the repository.
fn npm_in(dir: &str, args: &[&str]) -> Result {
    eprintln!("==> npm {} ({dir}/)", args.join(" "));
    let status = Command::new("npm")
        .args(args)
        .current_dir(root().join(dir))
        .status()
        .map_err(|e| format!("cannot start npm (Node.js is needed for the UI): {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm {}` failed ({status})", args.join(" ")))
    }
}

/// The Debian packages the app (Tauri, WebKitGTK) builds against, the CJK fonts its
/// screenshots need, and what its end-to-end tests drive it with (a virtual X display and
/// WebKitGTK's WebDriver); installed when missing.
const APP_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    // libcrypto, which SQLCipher (the device's encrypted store) is linked to.
    "libssl-dev",
    "build-essential",
    "file",
    "pkg-config",
    "fonts-noto-cjk",
    "xvfb",
    "webkit2gtk-driver",
    // Printable pages printed to PDF as a browser prints them, and the PDF seen as images.
    "chromium",
    "poppler-utils",
    // Devices with their clocks set wrong, in the clock tests.
    "faketime",
    // The visit receipt's QR code, read from the app's screenshot as a phone would.
    "zbar-tools",
    // The load balancer in front of two server replicas, in the replicas test.
    "nginx",
    // SQLite's own shell, which must find no database in a device's encrypted store.
    "sqlite3",
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
        .is_ok_and(|s| s.success())
        && on_path("Xvfb")
        && on_path("WebKitWebDriver")
        && on_path("faketime")
        && on_path("zbarimg")
        && on_path("chromium")
        && on_path("pdftoppm")
        && on_path("sqlite3")
        && Path::new("/usr/sbin/nginx").exists();
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

/// Rewrites ui/src/bindings from the Rust types; the same test, without the variable, checks
/// that the committed files are current.
fn bindings() -> Result {
    let args = ["test", "-p", "desk-app", "--lib", "bindings"];
    eprintln!("==> UPDATE_BINDINGS=1 cargo {}", args.join(" "));
    let status = Command::new("cargo")
        .args(args)
        .env("UPDATE_BINDINGS", "1")
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("generating the bindings failed ({status})"))
    }
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
    bench_on_postgres("desk-server", "server_bench")?;
    // The sync benchmark runs the release `desk` and `desk-server` as their own processes,
    // PouchDB beside them, and nginx in front of two server replicas.
    ensure_app_packages()?;
    npm_in(PEER, &["ci", "--no-audit", "--no-fund"])?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "desk-server",
        "-p",
        "desk-cli",
        "--bins",
    ])?;
    bench_on_postgres("desk-sync", "sync_bench")?;
    app_bench()
}

/// A benchmark example of `package`, given the local PostgreSQL to create its databases from.
fn bench_on_postgres(package: &str, example: &str) -> Result {
    let args = ["run", "--release", "-p", package, "--example", example];
    eprintln!("==> cargo {}   (DESK_BENCH_PG={LOCAL_PG})", args.join(" "));
    let status = Command::new("cargo")
        .args(args)
        .env("DESK_BENCH_PG", LOCAL_PG)
        .current_dir(root())
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{example} failed ({status})"))
    }
}

/// The sync benchmark's peer: PouchDB replicating the same records.
const PEER: &str = "crates/sync/examples/pouchdb";

/// The app: capture in the store, then the real window's cold start and idle memory (under
/// Xvfb when there is no display).
fn app_bench() -> Result {
    ensure_app_packages()?;
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["run", "build"])?;
    cargo(&[
        "build",
        "--release",
        "-p",
        "mobile-desk",
        "-p",
        "desk-app",
        "-p",
        "desk-cli",
        "--bins",
        "--example",
        "app_bench",
        "--example",
        "ledger_bench",
    ])?;
    let target = root().join("target/release");
    // The desk's ledger at 10,000 and 100,000 appeals: pages, and the `desk` binary's export.
    step(
        &target.join("examples/ledger_bench").display().to_string(),
        &[],
    )?;
    let bench = target.join("examples/app_bench").display().to_string();
    let app = target.join("mobile-desk").display().to_string();
    if std::env::var_os("DISPLAY").is_some() {
        step(&bench, &["--app", &app])
    } else {
        step(
            "xvfb-run",
            &["-a", "-s", "-screen 0 1280x800x24", &bench, "--app", &app],
        )
    }
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
