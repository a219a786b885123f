//! The app's real window, driven over WebDriver: an X display (Xvfb unless `DISPLAY` is set),
//! `tauri-driver` in front of `WebKitWebDriver`, and the debug build of `mobile-desk` with the
//! built UI embedded. Every launch gets its own `tauri-driver` (in its own process group, so
//! the driver, WebKitWebDriver and the app go away together) and the data directory it is
//! given, so a relaunch on the same directory finds what the last one saved.
//!
//! Every helper waits for what it needs, bounded; when something is not there in time it saves
//! a screenshot, and the failure names the step, the selector and what the window showed.

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::harness::binary;

/// How long a step waits for the window to show what it expects. Generous: the machine is
/// shared, and a sync or a first WebKit paint can be slow; nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(30);

/// An X display for the app's window: the caller's `DISPLAY`, or a fresh Xvfb of the size of a
/// 10-inch landscape tablet, stopped on drop.
pub struct Display {
    pub name: String,
    xvfb: Option<Child>,
}

impl Display {
    pub fn start() -> Display {
        if let Some(name) = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            return Display { name, xvfb: None };
        }
        // -displayfd: Xvfb picks a free display number and writes it once it accepts clients.
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("e2e: cannot start Xvfb ({e}): install the xvfb package (cargo xtask test does)")
            });
        let mut number = String::new();
        std::io::BufReader::new(xvfb.stdout.take().expect("piped stdout"))
            .read_line(&mut number)
            .expect("read Xvfb's display number");
        let number = number.trim();
        assert!(!number.is_empty(), "e2e: Xvfb exited without a display");
        Display {
            name: format!(":{number}"),
            xvfb: Some(xvfb),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(x) = &mut self.xvfb {
            let _ = x.kill();
            let _ = x.wait();
        }
    }
}

/// `tauri-driver` from PATH, or where `cargo install` puts it.
fn tauri_driver() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("tauri-driver"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    on_path.chain(cargo_home).find(|p| p.exists()).unwrap_or_else(|| {
        panic!("e2e: tauri-driver is not installed: `cargo install tauri-driver --locked` (cargo xtask test does)")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Where screenshots go: target/e2e-screenshots, emptied once per test run so it holds only
/// this run's pictures, numbered in the order they were taken.
pub fn screenshot_dir() -> PathBuf {
    static CLEAN: Once = Once::new();
    let app = binary("mobile-desk");
    let dir = app
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/mobile-desk")
        .join("e2e-screenshots");
    CLEAN.call_once(|| {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create target/e2e-screenshots");
    });
    dir
}

/// Selectors are CSS, or XPath when they start with `/` or `(`: XPath can pick the n-th of
/// several cards and look inside it.
fn locator(selector: &str) -> Locator<'_> {
    if selector.starts_with('/') || selector.starts_with('(') {
        Locator::XPath(selector)
    } else {
        Locator::Css(selector)
    }
}

/// The `n`-th (from 1) element marked `data-test=name`, as an XPath scope.
pub fn nth(name: &str, n: usize) -> String {
    format!("(//*[@data-test='{name}'])[{n}]")
}

/// The element marked `data-test=name` inside `scope` (an XPath; empty for the whole window).
pub fn within(scope: &str, name: &str) -> String {
    format!("{scope}//*[@data-test='{name}']")
}

/// The input or textarea of the Vant field `data-test=name` inside `scope`.
pub fn field(scope: &str, name: &str) -> String {
    format!("{}//*[self::input or self::textarea]", within(scope, name))
}

static SHOTS: AtomicUsize = AtomicUsize::new(0);

/// One launch of the app, on `data_dir`.
pub struct App {
    client: Option<Client>,
    driver: Child,
    /// The output of tauri-driver, WebKitWebDriver and the app.
    log: PathBuf,
    step: String,
}

impl App {
    pub async fn launch(display: &Display, data_dir: &Path) -> App {
        let app = binary("mobile-desk");
        let (port, native_port) = (free_port(), free_port());
        // What the driver and the app print, kept for when a step fails.
        static LAUNCHES: AtomicUsize = AtomicUsize::new(0);
        let launch = LAUNCHES.fetch_add(1, Ordering::SeqCst) + 1;
        let log = screenshot_dir().join(format!("launch-{launch}.log"));
        let out = std::fs::File::create(&log).expect("create the launch log");
        let err = out.try_clone().expect("clone the launch log");
        let driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("DISPLAY", &display.name)
            // Inherited by WebKitWebDriver and so by the app it starts.
            .env("DESK_DATA_DIR", data_dir)
            // The save dialog's answer: exports land here (a native dialog is out of reach).
            .env("DESK_SAVE_DIR", data_dir)
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("e2e: cannot start tauri-driver: {e}"));
        let mut launched = App {
            client: None,
            driver,
            log,
            step: "launch the app".into(),
        };
        // tauri-driver listens at once but starts WebKitWebDriver behind it: a session asked
        // for before both listen is refused.
        let deadline = Instant::now() + PATIENCE;
        for (who, p) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "e2e: {who} did not listen on port {p}; see {}",
                    launched.log.display()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app.display().to_string() }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "e2e: no WebDriver session with {} ({e}); see {}",
                    app.display(),
                    launched.log.display()
                )
            });
        launched.client = Some(client);
        launched
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a WebDriver session")
    }

    /// Runs `js` in the window and returns what it returns.
    pub async fn script(&self, js: &str) -> Value {
        match self.client().execute(js, vec![]).await {
            Ok(v) => v,
            Err(e) => panic!("{}", self.failure(format!("script {js:?}: {e}")).await),
        }
    }

    /// Names what the test is doing now, for the failure message.
    pub fn step(&mut self, what: &str) {
        eprintln!("e2e: {what}");
        self.step = what.to_owned();
    }

    /// Saves the window as target/e2e-screenshots/NN-name.png and returns the path.
    pub async fn shot(&self, name: &str) -> PathBuf {
        self.transitions_done().await;
        let n = SHOTS.fetch_add(1, Ordering::SeqCst) + 1;
        let path = screenshot_dir().join(format!("{n:02}-{name}.png"));
        match self.client().screenshot().await {
            Ok(png) => std::fs::write(&path, png).expect("write screenshot"),
            Err(e) => eprintln!("e2e: no screenshot {name}: {e}"),
        }
        path
    }

    /// Fails the step, with a screenshot and what the window shows, unless `ok`.
    pub async fn ensure(&self, ok: bool, what: impl std::fmt::Display) {
        if !ok {
            panic!("{}", self.failure(what.to_string()).await);
        }
    }

    /// Waits (a little, at most) for popups to finish sliding in or out, so a screenshot
    /// shows where things came to rest: Vue marks an element in transition with
    /// `*-enter-active` / `*-leave-active` classes.
    async fn transitions_done(&self) {
        let moving = Locator::Css("[class*='-enter-active'], [class*='-leave-active']");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline
            && self
                .client()
                .find_all(moving)
                .await
                .is_ok_and(|m| !m.is_empty())
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Why the test stops: the step, what went wrong, a screenshot and the window's text.
    async fn failure(&self, what: String) -> String {
        let slug: String = self
            .step
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let shot = self.shot(&format!("FAILED-{slug}")).await;
        let shown = self.body_text().await;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        format!(
            "e2e step `{}`: {what}\nlast screenshot: {}\nthe window shows:\n{shown}\n\
             the end of {}:\n{}",
            self.step,
            shot.display(),
            self.log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }

    async fn body_text(&self) -> String {
        match self.client().find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no page: {e})"),
        }
    }

    /// The first displayed element matching `css`, once there is one.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(all) = self.client().find_all(locator(css)).await {
                for el in all {
                    if el.is_displayed().await.unwrap_or(false) {
                        return el;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(format!("no visible `{css}` within {PATIENCE:?}"))
                        .await
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// All displayed elements matching `css`, now.
    pub async fn all(&self, css: &str) -> Vec<Element> {
        let mut shown = Vec::new();
        for el in self
            .client()
            .find_all(locator(css))
            .await
            .unwrap_or_default()
        {
            if el.is_displayed().await.unwrap_or(false) {
                shown.push(el);
            }
        }
        shown
    }

    /// Scrolls `el` to the middle of the window, as a person would before tapping it: scrolled
    /// only as far as needed, it would sit under the fixed tab bar.
    async fn reveal(&self, el: &Element) {
        let arg = serde_json::to_value(el).expect("an element reference");
        let _ = self
            .client()
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![arg.clone()],
            )
            .await;
        // A click lands where the element was when it was measured: wait until a sliding
        // popup or a page transition has brought it to rest.
        let rect =
            "const r = arguments[0].getBoundingClientRect(); return [r.x, r.y, r.width, r.height]";
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut last = None;
        while Instant::now() < deadline {
            let now = self.client().execute(rect, vec![arg.clone()]).await.ok();
            if now.is_some() && now == last {
                return;
            }
            last = now;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css` once it is there and clickable (a popup may still be sliding in).
    /// Draws on the element `css` with the mouse, as a finger would: presses at the first
    /// point, moves through the others, lifts. Points are offsets from the element's centre.
    pub async fn draw(&self, css: &str, points: &[(f64, f64)]) {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
        let element = self.find(css).await;
        self.reveal(&element).await;
        let to = |&(x, y): &(f64, f64), ms: u64| PointerAction::MoveToElement {
            element: element.clone(),
            duration: Some(std::time::Duration::from_millis(ms)),
            x,
            y,
        };
        let mut stroke = MouseActions::new("finger".into())
            .then(to(&points[0], 0))
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
        for p in &points[1..] {
            stroke = stroke.then(to(p, 60));
        }
        stroke = stroke.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
        if let Err(e) = self.client().perform_actions(stroke).await {
            panic!(
                "{}",
                self.failure(format!("cannot draw on `{css}`: {e}")).await
            )
        }
    }

    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let el = self.find(css).await;
            self.reveal(&el).await;
            match el.click().await {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!(
                        "{}",
                        self.failure(format!("cannot click `{css}`: {e}")).await
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Clicks the first displayed `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        let el = self.with_text(css, text).await;
        self.reveal(&el).await;
        if let Err(e) = el.click().await {
            panic!(
                "{}",
                self.failure(format!("cannot click `{css}` showing {text:?}: {e}"))
                    .await
            );
        }
    }

    /// All of an element's text, clipped or not (WebDriver's visible text leaves out a line cut
    /// short with an ellipsis, as the desk's table cuts long descriptions).
    async fn content(&self, el: &Element) -> String {
        let arg = serde_json::to_value(el).expect("an element reference");
        match self
            .client()
            .execute("return arguments[0].textContent", vec![arg])
            .await
        {
            Ok(Value::String(s)) => s,
            _ => el.text().await.unwrap_or_default(),
        }
    }

    /// The first displayed `css` whose text contains `text`, once there is one.
    pub async fn with_text(&self, css: &str, text: &str) -> Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            for el in self.all(css).await {
                if self.content(&el).await.contains(text) {
                    return el;
                }
            }
            if Instant::now() > deadline {
                let all = self
                    .client()
                    .find_all(locator(css))
                    .await
                    .unwrap_or_default();
                let mut seen = Vec::new();
                for el in all.iter().take(3) {
                    seen.push(self.content(el).await);
                }
                panic!(
                    "{}",
                    self.failure(format!(
                        "no visible `{css}` showing {text:?} ({} in the page, {} displayed; first: {seen:?})",
                        all.len(),
                        self.all(css).await.len()
                    ))
                    .await
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Types into the input or textarea of the Vant field `[data-test=name]`, replacing what
    /// it held, then leaves the field (which saves it).
    pub async fn fill(&self, name: &str, text: &str) {
        self.fill_in("", name, text).await
    }

    /// [`App::fill`] for the field inside `scope` (an XPath, e.g. [`nth`]).
    pub async fn fill_in(&self, scope: &str, name: &str, text: &str) {
        let input = field(scope, name);
        let el = self.find(&input).await;
        self.reveal(&el).await;
        let typed = async {
            // Select all and delete, as a person would: unlike WebDriver's clear, these are key
            // presses, so the screen sees the field emptied.
            el.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
            el.send_keys(text).await?;
            el.send_keys("\u{E004}").await // Tab: blur, so the field is saved now
        };
        if let Err(e) = typed.await {
            panic!(
                "{}",
                self.failure(format!("cannot type into `{input}`: {e}"))
                    .await
            );
        }
    }

    /// The value the field `[data-test=name]` inside `scope` holds.
    pub async fn value_in(&self, scope: &str, name: &str) -> String {
        let el = self.find(&field(scope, name)).await;
        el.prop("value").await.ok().flatten().unwrap_or_default()
    }

    /// Waits until the field `[data-test=name]` inside `scope` holds a value for which `want`
    /// holds (a read-only field shows its choice as its input's value, not as text).
    pub async fn wait_value(&self, scope: &str, name: &str, want: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.value_in(scope, name).await;
            if want(&value) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(format!("field `{name}` still holds {value:?}"))
                        .await
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The text of the first displayed `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Waits until the first displayed `css` holds text for which `want` holds; returns it.
    pub async fn wait_text(&self, css: &str, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Some(el) = self.all(css).await.into_iter().next() {
                last = self.content(&el).await;
                if want(&last) {
                    return last;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(format!("`{css}` never showed {what}; last: {last:?}"))
                        .await
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `css` matches exactly `n` displayed elements; returns them.
    pub async fn wait_count(&self, css: &str, n: usize) -> Vec<Element> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let shown = self.all(css).await;
            if shown.len() == n {
                return shown;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(format!(
                        "expected {n} visible `{css}`, found {}",
                        shown.len()
                    ))
                    .await
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until nothing matching `css` is displayed.
    pub async fn wait_gone(&self, css: &str) {
        self.wait_count(css, 0).await;
    }

    /// Whether `css` is in the page now (a screen that may not exist in this build).
    pub async fn exists(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    /// SIGKILL to the app's process: no unload, no flush, as when a tablet's battery dies.
    pub fn kill_app(mut self) {
        let pid = self.app_pid().expect("the app's process is running");
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {pid}");
        self.client = None; // its session died with it
    }

    /// The app: the process under this launch's tauri-driver running the app's binary.
    fn app_pid(&self) -> Option<u32> {
        let app = binary("mobile-desk");
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        std::fs::read_dir("/proc")
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
            })
            .find(|&pid| {
                let mut p = pid;
                while let Some(parent) = parent_of(p) {
                    if parent == self.driver.id() {
                        return true;
                    }
                    if parent <= 1 {
                        break;
                    }
                    p = parent;
                }
                false
            })
    }

    /// Ends the session (the app closes) and the driver.
    pub async fn quit(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // The driver's process group: tauri-driver, WebKitWebDriver and the app it launched.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}
