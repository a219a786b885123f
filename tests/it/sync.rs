//! Devices that sync by themselves: real `desk` processes against a real `desk-server`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{binary, server_admin, server_admin_ok, with_stdin, Device};
use crate::server_harness::{backends, seed, Backend, TestDb, PASSWORD};

/// A free loopback port: devices are told the server's address before it starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Server {
    fn start(db: &str, port: u16) -> Server {
        let child = Command::new(binary("desk-server"))
            .args([
                "--db",
                db,
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A background `desk sync --watch`.
struct Watcher(Child);

impl Watcher {
    fn start(d: &Device) -> Watcher {
        Watcher(
            Command::new(binary("desk"))
                .arg("--data-dir")
                .arg(d.dir.path())
                .args(["sync", "--watch", "--interval", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn login(d: &Device, port: u16, user: &str) {
    d.sign_in(&format!("http://127.0.0.1:{port}"), user);
}

fn add_site(d: &Device, name: &str, park: &str) -> String {
    let v = d
        .run(&["--json", "site", "add", "--name", name, "--park", park])
        .ok()
        .json();
    v["id"].as_str().unwrap().to_owned()
}

fn names(d: &Device) -> Vec<String> {
    let v: Value = serde_json::from_str(&d.export()).unwrap();
    let mut names: Vec<String> = v["records"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Waits until `check` holds, or fails after `secs`.
fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_devices_recording_offline_converge_by_themselves_when_the_server_returns() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let port = free_port();
        let (a, b) = (Device::new(), Device::new());
        {
            let _server = Server::start(&db.url, port);
            login(&a, port, "leader");
            login(&b, port, "officer1");
            a.run(&["sync"]).ok();
            b.run(&["sync"]).ok();
        } // the server goes down
        add_site(&a, "离线企业甲", "一园");
        add_site(&b, "离线企业乙", "一园");
        add_site(&b, "离线企业丙", "一园");
        let _wa = Watcher::start(&a);
        let _wb = Watcher::start(&b);
        std::thread::sleep(Duration::from_millis(1500)); // they find the server down
        let status = b.run(&["status", "--json"]).ok().json();
        assert_eq!(status["pending"], 2, "{backend:?}: {status}");

        let _server = Server::start(&db.url, port);
        let want = vec![
            "离线企业丙".to_owned(),
            "离线企业乙".to_owned(),
            "离线企业甲".to_owned(),
        ];
        eventually(40, "both devices hold every site", || {
            names(&a) == want && names(&b) == want
        });
        eventually(20, "identical exports", || a.export() == b.export());
        for d in [&a, &b] {
            let s = d.run(&["status", "--json"]).ok().json();
            assert_eq!(
                (s["pending"].as_i64(), s["rejections"].as_i64()),
                (Some(0), Some(0)),
                "{s}"
            );
        }
        // A write while watching arrives on the other device without any command.
        add_site(&a, "在线企业丁", "一园");
        eventually(20, "the new site reaches b", || {
            names(&b).contains(&"在线企业丁".to_owned())
        });
    }
}

#[test]
fn a_device_killed_mid_push_loses_nothing_and_doubles_nothing() {
    for backend in backends() {
        killed_mid_push(&backend);
    }
}

fn killed_mid_push(backend: &Backend) {
    let db = TestDb::new(backend);
    seed(&db.url);
    let port = free_port();
    let _server = Server::start(&db.url, port);
    let (a, b) = (Device::new(), Device::new());
    login(&a, port, "admin");
    login(&b, port, "admin");
    a.run(&["sync"]).ok();
    // Many records, so the push takes a while.
    let csv: String = std::iter::once("name,park\n".to_owned())
        .chain((0..3000).map(|i| format!("批量企业{i},一园\n")))
        .collect();
    let file = a.file("sites.csv", &csv);
    a.run(&["import", "sites", &file]).ok();
    let mut sync = Command::new(binary("desk"))
        .arg("--data-dir")
        .arg(a.dir.path())
        .arg("sync")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(120));
    sync.kill().unwrap(); // SIGKILL
    sync.wait().unwrap();
    let r = a.run(&["sync"]).ok();
    assert!(
        r.stderr.contains("同步中 (syncing)"),
        "progress while it works: {}",
        r.stderr
    );
    assert_eq!(a.run(&["status", "--json"]).ok().json()["pending"], 0);
    b.run(&["sync"]).ok();
    let sites = names(&b);
    assert_eq!(sites.len(), 3000);
    let unique: std::collections::BTreeSet<_> = sites.iter().collect();
    assert_eq!(unique.len(), 3000);
    assert_eq!(a.export(), b.export());
}

#[test]
fn a_concurrent_edit_of_one_field_has_one_winner_and_the_loser_is_listed() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    let port = free_port();
    let _server = Server::start(&db.url, port);
    let (a, b) = (Device::new(), Device::new());
    login(&a, port, "leader");
    login(&b, port, "leader");
    a.run(&["sync"]).ok();
    let site = add_site(&a, "共同企业", "一园");
    a.run(&["sync"]).ok();
    b.run(&["sync"]).ok();
    // Both edit the same site offline: the phone on both (a conflict), the address on one.
    let edit = |d: &Device, field: &str, value: &str| {
        d.run(&["site", "edit", &site, &format!("--{field}"), value])
            .ok();
    };
    edit(&a, "phone", "0722-1111111");
    edit(&b, "phone", "0722-2222222");
    edit(&b, "address", "高新区一路 1 号");
    for _ in 0..2 {
        a.run(&["sync"]).ok();
        b.run(&["sync"]).ok();
    }
    assert_eq!(a.export(), b.export(), "one winner everywhere");
    let v: Value = serde_json::from_str(&a.export()).unwrap();
    let row = v["records"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == site.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        row["address"], "高新区一路 1 号",
        "edits of different fields both survive"
    );
    let winner = row["phone"].as_str().unwrap().to_owned();
    let loser = if winner == "0722-1111111" {
        "0722-2222222"
    } else {
        "0722-1111111"
    };
    for d in [&a, &b] {
        let conflicts = d.run(&["conflicts", "--json"]).ok().json();
        let list = conflicts.as_array().unwrap();
        assert_eq!(list.len(), 1, "{conflicts}");
        assert_eq!(
            (list[0]["field"].as_str(), list[0]["lost_value"].as_str()),
            (Some("phone"), Some(loser))
        );
        assert_eq!(list[0]["kept_value"], winner.as_str());
    }
    // The loser's device keeps its own value after all; that is a change like any other.
    let (loser_dev, other) = if loser == "0722-1111111" {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let id = loser_dev.run(&["conflicts", "--json"]).ok().json()[0]["id"]
        .as_i64()
        .unwrap();
    loser_dev
        .run(&["conflicts", "resolve", &id.to_string(), "--keep", "mine"])
        .ok();
    loser_dev.run(&["sync"]).ok();
    other.run(&["sync"]).ok();
    assert_eq!(a.export(), b.export());
    let v: Value = serde_json::from_str(&a.export()).unwrap();
    let row = v["records"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == site.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["phone"], loser);
    assert!(loser_dev
        .run(&["conflicts", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    let r = loser_dev.run(&["conflicts", "resolve", "999", "--keep", "mine"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("999"), "{}", r.stderr);
}

#[test]
fn sync_without_signing_in_says_what_to_do() {
    let d = Device::new();
    let r = d.run(&["sync"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("desk login"), "{}", r.stderr);
    let s = d.run(&["status"]).ok();
    assert!(s.stdout.contains("未登录"), "{}", s.stdout);
}

#[test]
fn a_device_signing_in_to_a_server_with_the_demo_gets_the_whole_session() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let demo = |expect: &str| {
            let out = Command::new(binary("desk-server"))
                .args(["--db", &db.url, "admin", "demo"])
                .output()
                .unwrap();
            assert!(out.status.success());
            assert!(String::from_utf8_lossy(&out.stdout).contains(expect));
        };
        demo("loaded");
        demo("already");
        let port = free_port();
        let _server = Server::start(&db.url, port);
        let d = Device::new();
        login(&d, port, "leader");
        d.run(&["sync"]).ok();
        let stats = d.run(&["stats", "--json"]).ok().json();
        assert_eq!(
            (
                stats["sessions"].as_i64(),
                stats["visits"].as_i64(),
                stats["appeals"].as_i64()
            ),
            (Some(1), Some(5), Some(2)),
            "{backend:?}"
        );
        let ledger = d
            .run(&["appeal", "list", "--status", "dispatched", "--json"])
            .ok()
            .json();
        assert_eq!(ledger.as_array().unwrap().len(), 2);
        // The same records as a device that loaded the demo itself.
        let local = Device::new();
        local.run(&["demo"]).ok();
        let theirs: Value = serde_json::from_str(&d.export()).unwrap();
        let mine: Value = serde_json::from_str(&local.export()).unwrap();
        for table in ["sessions", "stops", "visits", "appeals", "resolutions"] {
            // Only the server seals ledgers: the head is its own.
            let without_head = |v: &Value| {
                let mut v = v.clone();
                for r in v.as_array_mut().into_iter().flatten() {
                    r.as_object_mut().map(|o| o.shift_remove("ledger_head"));
                }
                v
            };
            assert_eq!(
                without_head(&theirs["records"][table]),
                without_head(&mine["records"][table]),
                "{table}"
            );
        }
    }
}

#[test]
fn when_an_account_changes_parks_its_device_follows() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let port = free_port();
        let _server = Server::start(&db.url, port);
        let (leader, officer) = (Device::new(), Device::new());
        login(&leader, port, "leader");
        login(&officer, port, "officer1");
        leader.run(&["sync"]).ok();
        add_site(&leader, "一园企业", "一园");
        add_site(&leader, "二园企业", "二园");
        leader.run(&["sync"]).ok();
        officer.run(&["sync"]).ok();
        assert_eq!(names(&officer), ["一园企业"]);
        let search = officer.run(&["search", "一园", "--json"]).ok().json();
        assert_eq!(search["sites"].as_array().unwrap().len(), 1);

        // The office moves the officer from park 1 to park 2.
        let out = Command::new(binary("desk-server"))
            .args([
                "--db",
                &db.url,
                "admin",
                "set-scope",
                "--user",
                "officer1",
                "--park",
                "二园",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = officer.run(&["sync", "--json"]).ok().json();
        assert_eq!(r["report"]["left_scope"], 1, "{r}");
        assert_eq!(names(&officer), ["二园企业"], "{backend:?}");
        assert!(
            officer.run(&["search", "一园企业", "--json"]).ok().json()["sites"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        // Later changes in the new park keep arriving.
        add_site(&leader, "二园新企业", "二园");
        leader.run(&["sync"]).ok();
        officer.run(&["sync"]).ok();
        assert_eq!(names(&officer), ["二园企业", "二园新企业"]);
    }
}

#[test]
fn a_rejected_change_is_listed_with_its_reason_and_can_be_settled() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    let port = free_port();
    let _server = Server::start(&db.url, port);
    let (officer, second) = (Device::new(), Device::new());
    login(&officer, port, "officer1");
    login(&second, port, "officer1");
    officer.run(&["sync"]).ok();
    add_site(&officer, "本园企业", "一园");
    add_site(&officer, "越权企业", "二园"); // park 2 is not this officer's
    let r = officer.run(&["sync", "--json"]).ok().json();
    assert_eq!(r["report"]["rejected"], 1, "{r}");
    assert_eq!(r["status"]["state"], "needs_attention");
    let list = officer.run(&["rejections", "--json"]).ok().json();
    let rejection = &list.as_array().unwrap()[0];
    assert_eq!(rejection["code"], "forbidden");
    assert!(
        rejection["reason"].as_str().unwrap().contains("officer"),
        "{rejection}"
    );
    assert_eq!(
        officer.run(&["status", "--json"]).ok().json()["rejections"],
        1
    );

    // Insisting sends it again; the server refuses again, with the same reason.
    let op = rejection["op_id"].as_str().unwrap().to_owned();
    officer
        .run(&["rejections", "resolve", &op, "--keep", "mine"])
        .ok();
    assert_eq!(officer.run(&["status", "--json"]).ok().json()["pending"], 1);
    officer.run(&["sync"]).ok();
    let list = officer.run(&["rejections", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let again = list[0]["op_id"].as_str().unwrap().to_owned();
    assert_ne!(again, op);

    let r = officer.run(&["rejections", "resolve", &again, "--keep", "both"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("keep"), "{}", r.stderr);

    // Giving up: the record goes back to what the server has, which is nothing.
    officer
        .run(&["rejections", "resolve", &again, "--keep", "theirs"])
        .ok();
    assert_eq!(names(&officer), ["本园企业"]);
    assert!(officer
        .run(&["rejections", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    officer.run(&["sync"]).ok();
    second.run(&["sync"]).ok();
    assert_eq!(
        officer.export(),
        second.export(),
        "back in step with the server"
    );
}

#[test]
fn a_server_restored_from_a_backup_gets_back_every_write_its_devices_hold() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("desk.backup").display().to_string();
        let port = free_port();
        let (office, field) = (Device::new(), Device::new());
        let server = Server::start(&db.url, port);
        login(&office, port, "leader");
        login(&field, port, "officer1");
        office.run(&["sync"]).ok();
        add_site(&office, "备份前企业", "一园");
        office.run(&["sync"]).ok();
        field.run(&["sync"]).ok();
        // Last night's backup, taken while the server serves.
        let said = server_admin_ok(&db.url, &["backup", &file]);
        assert!(said.contains("已备份"), "{said}");
        // A day's work after it, all acknowledged: an appeal raised and dispatched (its ledger
        // sealed by the server) on one device, a new enterprise and an edit of an old one on
        // the other.
        let appeal = office
            .run(&[
                "--json",
                "appeal",
                "add",
                "--site",
                "备份前企业",
                "--category",
                "utilities",
                "--description",
                "厂区二期用电增容申请已提交三个月，供电公司尚未答复，影响新生产线调试。",
            ])
            .ok()
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        office
            .run(&["appeal", "dispatch", &appeal, "--department", "经济发展局"])
            .ok();
        add_site(&field, "备份后企业", "一园");
        field
            .run(&["site", "edit", "备份前企业", "--contact", "王经理"])
            .ok();
        for d in [&office, &field, &office] {
            d.run(&["sync"]).ok();
        }
        let before = (office.export(), field.export());
        assert!(before.0.contains("备份后企业") && before.0.contains("王经理"));
        // The server's disk dies; the backup comes back.
        drop(server);
        let said = server_admin_ok(&db.url, &["restore", &file]);
        assert!(said.contains("已从"), "{said}");
        let fresh = Device::new();
        {
            let _server = Server::start(&db.url, port);
            login(&fresh, port, "leader");
            fresh.run(&["sync"]).ok();
            assert!(
                !fresh.export().contains("备份后企业"),
                "{backend:?}: the restored server lacks the day's work"
            );
            // Each device hands back what it holds, then bootstraps again.
            for d in [&field, &office, &field, &fresh] {
                d.run(&["sync"]).ok();
            }
            assert_eq!(office.export(), before.0, "{backend:?}: the office device");
            assert_eq!(field.export(), before.1, "{backend:?}: the field device");
            assert_eq!(fresh.export(), before.0, "{backend:?}: a new device");
        }
        // Restoring twice from one backup is as good as once, whichever device syncs first
        // (the office's bootstrap lets go of the other's site, which comes back when handed
        // back).
        server_admin_ok(&db.url, &["restore", &file]);
        let _server = Server::start(&db.url, port);
        for d in [&office, &field, &office] {
            d.run(&["sync"]).ok();
        }
        assert_eq!(
            office.export(),
            before.0,
            "{backend:?}: after a second restore"
        );
    }
}

#[test]
fn backup_and_restore_errors_name_the_problem() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| server_admin(&db.url, args);
    let missing = dir.path().join("none.backup").display().to_string();
    let out = run(&["restore", &missing]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("找不到备份文件"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a backup at all: refused, and the database is as it was.
    let junk = dir.path().join("junk.backup");
    std::fs::write(&junk, "not a database").unwrap();
    let out = run(&["restore", &junk.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("FILE"), "{err}");
    let said = server_admin_ok(&db.url, &["list-devices"]);
    assert!(said.contains("无设备"), "{said}");
    // A backup into a folder that does not exist: refused, naming it.
    let out = run(&["backup", "/nonexistent/dir/desk.backup"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sign_in_and_settling_errors_say_what_is_wrong() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    let port = free_port();
    let d = Device::new();
    // The server is not there yet.
    let attempt = |password: &str| {
        with_stdin(
            Command::new(binary("desk"))
                .arg("--data-dir")
                .arg(d.dir.path())
                .args([
                    "login",
                    "--server",
                    &format!("http://127.0.0.1:{port}"),
                    "--user",
                    "leader",
                    "--password-stdin",
                ]),
            password,
        )
    };
    let out = attempt(PASSWORD);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("无法连接服务器"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _server = Server::start(&db.url, port);
    let out = attempt("wrong password");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("用户名或密码错误"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !d.dir.path().join("credentials.json").exists(),
        "nothing saved on a failed sign-in"
    );

    login(&d, port, "leader");
    let r = d.run(&["conflicts", "resolve", "1", "--value", "{not json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("value"), "{}", r.stderr);
    let r = d.run(&["conflicts", "resolve", "1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("keep"), "{}", r.stderr);
    let r = d.run(&[
        "rejections",
        "dismiss",
        "01a21d55-d211-7055-b9e6-22263664e77f",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("op_id"), "{}", r.stderr);
    let r = d.run(&["rejections", "resolve", "not-an-id", "--keep", "mine"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("op_id"), "{}", r.stderr);
}

/// A year's holidays published on the server after the devices were built reach them at the
/// next sync: a deadline counted into that year is no longer provisional.
#[test]
fn a_calendar_year_published_by_the_office_reaches_every_device() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let d = Device::new();
        let guess = d
            .run(&["--json", "calendar", "add-working-days", "2026-12-28", "5"])
            .ok()
            .json();
        assert_eq!(guess["provisional"], true);
        // The next year's list, as holiday-cn publishes it: 1–3 January off, 4 January (a
        // Monday) too, and Saturday 9 January a make-up working day.
        let file = d.file(
            "2027.json",
            r#"{"year": 2027, "papers": [], "days": [
                {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
                {"name": "元旦", "date": "2027-01-04", "isOffDay": true},
                {"name": "元旦", "date": "2027-01-09", "isOffDay": false}]}"#,
        );
        let import = Command::new(binary("desk-server"))
            .args(["--db", &db.url, "admin", "calendar", "import", &file])
            .output()
            .unwrap();
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
        assert!(String::from_utf8_lossy(&import.stdout).contains("2027"));
        // A file that is not a year's list is refused, naming what is wrong.
        let bad = d.file("bad.json", r#"{"year": 2027, "holidays": []}"#);
        let refused = Command::new(binary("desk-server"))
            .args(["--db", &db.url, "admin", "calendar", "import", &bad])
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("calendar"));

        let port = free_port();
        let _server = Server::start(&db.url, port);
        login(&d, port, "officer1");
        d.run(&["sync"]).ok();
        let firm = d
            .run(&["--json", "calendar", "add-working-days", "2026-12-28", "5"])
            .ok()
            .json();
        // 29, 30, 31 December; then 1 January off, 2–3 the weekend, 4 off, 5 and 6 working.
        assert_eq!(firm["provisional"], false, "{backend:?}: {firm}");
        assert_eq!(firm["date"], "2027-01-06", "{backend:?}");
    }
}

/// A tablet left in a taxi: the administrator marks it lost. Its token opens nothing from then
/// on; at its next contact it hands over the change it had not pushed (kept for the office to
/// review, never applied as it came), and erases its store, its key and its sign-in.
#[test]
fn a_device_marked_lost_hands_over_what_it_had_not_pushed_and_erases_itself() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        seed(&db.url);
        let port = free_port();
        let _server = Server::start(&db.url, port);
        let (lost, office) = (Device::new(), Device::new());
        login(&lost, port, "officer1");
        login(&office, port, "leader");
        lost.run(&["sync"]).ok();
        add_site(&lost, "已同步的企业", "一园");
        lost.run(&["sync"]).ok();
        add_site(&lost, "丢失前未上传的企业", "一园");
        let creds: Value = serde_json::from_str(
            &std::fs::read_to_string(lost.dir.path().join("credentials.json")).unwrap(),
        )
        .unwrap();
        let id = creds["device_id"].as_str().unwrap().to_owned();

        let refused = server_admin(&db.url, &["mark-device-lost", "not-an-id"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("不是设备编号"));
        server_admin_ok(&db.url, &["mark-device-lost", &id]);
        let again = server_admin(&db.url, &["mark-device-lost", &id]);
        assert!(!again.status.success(), "marked once");
        assert!(server_admin_ok(&db.url, &["list-devices"]).contains("待其下次联网时清除"));
        // Nothing was handed over yet.
        assert!(server_admin_ok(&db.url, &["handed-over", &id]).contains("没有交出"));

        let r = lost.run(&["sync"]);
        assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("已被管理员标记为丢失"), "{}", r.stderr);
        assert!(r.stderr.contains("1 条未上传的修改"), "{}", r.stderr);
        for gone in ["desk.db", "desk.db-wal", "desk.key", "credentials.json"] {
            assert!(!lost.dir.path().join(gone).exists(), "{gone} erased");
        }

        let listed = server_admin_ok(&db.url, &["handed-over", &id]);
        assert!(listed.contains("丢失前未上传的企业"), "{listed}");
        assert!(listed.contains("1 条"), "{listed}");
        assert!(server_admin_ok(&db.url, &["list-devices"]).contains("交出未上传的修改并已清除"));
        office.run(&["sync"]).ok();
        assert_eq!(
            names(&office),
            ["已同步的企业"],
            "what was handed over is not applied"
        );
        // The old token opens nothing: it is told the device is lost.
        let status = tokio::runtime::Runtime::new().unwrap().block_on(async {
            reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/v1/pull?cursor=0"))
                .bearer_auth(creds["token"].as_str().unwrap())
                .header(
                    "x-desk-protocol",
                    desk_core::protocol::PROTOCOL_VERSION.to_string(),
                )
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status.as_u16(), 410);
    }
}
