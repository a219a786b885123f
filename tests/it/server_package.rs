//! desk-server's Debian package (`cargo xtask package-server`), installed on this machine as an
//! office's IT team would, the service started with its unit's own command line, user and data
//! directory (no systemd runs here), and a device synced against it. Ignored by a plain
//! `cargo test`: it installs a package and makes a system user, so it needs root, and
//! `cargo xtask test` runs it with DESK_TEST_DEB naming the package it built.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::harness::{with_stdin, Device};
use crate::server_harness::PASSWORD;

fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `Key=value` line of the unit's [Service] section.
fn unit_value<'a>(unit: &'a str, key: &str) -> &'a str {
    unit.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("the unit has no {key}"))
}

/// Removes the package, its user and its data, whatever the test left.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "desk-server"])
            .output();
        let _ = Command::new("userdel").arg("desk-server").output();
        let _ = std::fs::remove_dir_all("/var/lib/desk-server");
        let _ = std::fs::remove_dir_all("/var/backups/desk-server");
    }
}

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "installs a package and a system user: cargo xtask test runs it"]
fn the_server_package_installs_runs_as_its_unit_says_and_syncs_a_device() {
    let deb = std::env::var("DESK_TEST_DEB").expect("DESK_TEST_DEB: the .deb to install");
    let before = Command::new("dpkg")
        .args(["-s", "desk-server"])
        .output()
        .unwrap();
    assert!(
        !before.status.success(),
        "desk-server is already installed on this machine: the test would replace it"
    );
    let _installed = Installed;
    sh("dpkg", &["--install", &deb]);

    // What the package put in place.
    for path in [
        "/usr/bin/desk-server",
        "/lib/systemd/system/desk-server.service",
        "/etc/desk-server/config.toml",
    ] {
        assert!(Path::new(path).exists(), "{path}");
    }
    let conffiles = sh(
        "dpkg-query",
        &["--showformat=${Conffiles}", "--show", "desk-server"],
    );
    assert!(
        conffiles.contains("/etc/desk-server/config.toml"),
        "{conffiles}"
    );
    let user = sh("getent", &["passwd", "desk-server"]);
    assert!(
        user.contains("/var/lib/desk-server") && user.contains("nologin"),
        "{user}"
    );
    let owner = sh("stat", &["--format=%U %a", "/var/lib/desk-server"]);
    assert_eq!(owner.trim(), "desk-server 750");

    let unit = std::fs::read_to_string("/lib/systemd/system/desk-server.service").unwrap();
    assert_eq!(unit_value(&unit, "User"), "desk-server");
    assert_eq!(unit_value(&unit, "Restart"), "on-failure");
    assert_eq!(unit_value(&unit, "KillSignal"), "SIGTERM");
    let exec: Vec<&str> = unit_value(&unit, "ExecStart").split_whitespace().collect();
    let workdir = unit_value(&unit, "WorkingDirectory");

    // The first administrator, made as the service's user so the database is its own.
    let as_service = |args: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=desk-server",
            "--regid=desk-server",
            "--init-groups",
            "--",
        ])
        .args(&exec[..exec.len() - 1])
        .args(args)
        .current_dir(workdir);
        cmd
    };
    let out = with_stdin(
        as_service(&[
            "admin",
            "create-admin",
            "--name",
            "admin",
            "--password-stdin",
        ])
        .arg("--display-name")
        .arg("管理员"),
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The service, by the unit's command line (on a free port here, as DESK_LISTEN in
    // /etc/default/desk-server would set it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = as_service(&[exec[exec.len() - 1]])
        .env("DESK_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect(&line)
        .to_owned();
    let service = Service(child);
    let db = Path::new("/var/lib/desk-server/desk.db");
    assert_eq!(
        sh("stat", &["--format=%U", &db.display().to_string()]).trim(),
        "desk-server"
    );

    // Two devices: one records, the other sees it.
    let (tablet, desk) = (Device::new(), Device::new());
    tablet.sign_in(&url, "admin");
    desk.sign_in(&url, "admin");
    tablet
        .run(&["site", "add", "--name", "装包企业", "--kind", "enterprise"])
        .ok();
    tablet.run(&["sync"]).ok();
    desk.run(&["sync"]).ok();
    assert!(desk.export().contains("装包企业"));

    // systemctl stop: SIGTERM, and it exits cleanly.
    let mut service = service;
    sh("kill", &["-TERM", &service.0.id().to_string()]);
    let status = service.0.wait().unwrap();
    assert!(status.success(), "{status}");
}
