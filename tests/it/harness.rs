use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A built binary of this workspace, next to the test binary's directory.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first (cargo xtask test does)",
        path.display()
    );
    path
}

/// A device: the `desk` CLI on its own temporary data directory.
pub struct Device {
    pub dir: tempfile::TempDir,
    /// The CA certificates this device trusts besides the web's (`SSL_CERT_FILE`), as an office
    /// installs its zone's CA on its machines.
    trust: Option<PathBuf>,
}

/// What a command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "failed: {}\n{}", self.stderr, self.stdout);
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl Device {
    pub fn new() -> Device {
        Device {
            dir: tempfile::tempdir().expect("temp dir"),
            trust: None,
        }
    }

    /// A device that trusts the CA certificate(s) in `ca` (PEM).
    pub fn trusting(ca: &Path) -> Device {
        Device {
            trust: Some(ca.to_owned()),
            ..Device::new()
        }
    }

    fn desk(&self) -> Command {
        let mut cmd = Command::new(binary("desk"));
        cmd.arg("--data-dir")
            .arg(self.dir.path())
            .env_remove("DESK_DATA_DIR");
        if let Some(ca) = &self.trust {
            cmd.env("SSL_CERT_FILE", ca);
        }
        cmd
    }

    /// Signs this device in to the server at `url` as `user` (the test password, typed on
    /// stdin), as an office signs a device in.
    #[track_caller]
    pub fn sign_in(&self, url: &str, user: &str) {
        let out = self.try_sign_in(url, user);
        assert!(
            out.status.success(),
            "desk login: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn try_sign_in(&self, url: &str, user: &str) -> Output {
        with_stdin(
            self.desk()
                .args(["login", "--server", url, "--user", user, "--password-stdin"]),
            crate::server_harness::PASSWORD,
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.desk().args(args).output().expect("run desk"))
    }

    /// The export, as bytes: what two devices compare.
    pub fn export(&self) -> String {
        self.run(&["export"]).ok().stdout
    }

    /// Writes a file into the device's directory, for imports.
    pub fn file(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write file");
        path.display().to_string()
    }
}

/// Runs `cmd` with `input` as the first line of its standard input (a password, say), and
/// captures what it printed. A program may refuse before reading its input: a closed pipe is
/// then no error, and its exit status tells what happened.
pub fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the program");
    let _ = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{input}\n").as_bytes());
    child.wait_with_output().expect("wait for the program")
}

/// `desk-server --db DB admin ARGS…`, as an office runs it.
pub fn server_admin(db: &str, args: &[&str]) -> Output {
    Command::new(binary("desk-server"))
        .args(["--db", db, "admin"])
        .args(args)
        .output()
        .expect("run desk-server admin")
}

/// [`server_admin`], which must succeed: what it printed.
#[track_caller]
pub fn server_admin_ok(db: &str, args: &[&str]) -> String {
    let out = server_admin(db, args);
    assert!(
        out.status.success(),
        "desk-server admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
