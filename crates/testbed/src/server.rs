//! `desk-server` as its own process, on a port of its choosing on loopback, as the tests and the
//! benchmark run it.

use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct ServerProcess {
    /// Where it listens: `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
}

impl ServerProcess {
    /// Runs `binary --db db_url serve`, with `serve`'s further flags, and returns once it says
    /// where it listens.
    pub fn start(binary: &Path, db_url: &str, serve: &[&str]) -> ServerProcess {
        let mut child = Command::new(binary)
            .args(["--db", db_url, "serve", "--listen", "127.0.0.1:0"])
            .args(serve)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().expect("piped")),
            &mut line,
        )
        .expect("the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("not the address line: {line:?}"))
            .to_owned();
        ServerProcess { url, child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM: the server stops taking requests and finishes those in flight. Returns its
    /// exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        self.child.wait().expect("wait")
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
