//! `desk-server admin` and the server's settings, as an office's IT staff use them.

use std::process::Command;

use crate::harness::{binary, with_stdin};
use crate::server_harness::{seed, Backend, TestDb, PASSWORD};

#[test]
fn the_server_admin_refuses_bad_accounts_and_settings_with_reasons() {
    let db = TestDb::new(&Backend::Sqlite);
    seed(&db.url);
    let admin = |args: &[&str], stdin: &str| {
        let mut all = vec!["--db", db.url.as_str(), "admin"];
        all.extend_from_slice(args);
        with_stdin(Command::new(binary("desk-server")).args(&all), stdin)
    };
    for (args, stdin, needle) in [
        (
            vec![
                "create-user",
                "--name",
                "wang",
                "--role",
                "officer",
                "--park",
                "一园",
                "--password-stdin",
            ],
            "short",
            "password",
        ),
        (
            vec![
                "create-user",
                "--name",
                "wang",
                "--role",
                "officer",
                "--password-stdin",
            ],
            PASSWORD,
            "parks",
        ),
        (
            vec![
                "create-user",
                "--name",
                "wang",
                "--role",
                "boss",
                "--password-stdin",
            ],
            PASSWORD,
            "role",
        ),
        (
            vec![
                "create-user",
                "--name",
                "wang",
                "--role",
                "officer",
                "--park",
                "火星园",
                "--password-stdin",
            ],
            PASSWORD,
            "火星园",
        ),
        (
            vec![
                "create-user",
                "--name",
                "leader",
                "--role",
                "leader",
                "--password-stdin",
            ],
            PASSWORD,
            "leader",
        ),
        (vec!["create-park", "一园"], "", "一园"),
        (
            vec!["create-department", "某局", "--level", "galaxy"],
            "",
            "level",
        ),
        (vec!["revoke-device", "nope"], "", "id"),
        (
            vec!["set-scope", "--user", "nobody", "--park", "一园"],
            "",
            "nobody",
        ),
    ] {
        let out = admin(&args, stdin);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // Settings that cannot work are named before anything starts.
    let out = Command::new(binary("desk-server"))
        .args(["--db", "mysql://x", "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sqlite:///"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("desk.toml");
    std::fs::write(&bad, "listen = 8700\nbogus = true\n").unwrap();
    let out = Command::new(binary("desk-server"))
        .args(["--config", bad.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("desk.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An older build pointed at a database a newer one has migrated refuses to start, says why
/// in both languages, and leaves the database as it found it.
#[test]
fn a_server_refuses_a_database_newer_than_itself() {
    for backend in crate::server_harness::backends() {
        let db = TestDb::new(&backend);
        let opened = desk_server::db::Db::open(&db.url).expect("migrated");
        opened
            .tx_blocking(|sql| {
                sql.exec(
                    "INSERT INTO schema_migrations (version, name, applied_at)
                     VALUES (999, 'from_a_later_release', '2027-01-01T00:00:00Z')",
                    &[],
                )
                .map(drop)
            })
            .unwrap();
        drop(opened);
        let out = Command::new(binary("desk-server"))
            .args(["--db", &db.url, "serve", "--listen", "127.0.0.1:0"])
            .output()
            .expect("run desk-server");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{backend:?} started: {said}");
        assert!(
            said.contains("较新版本") && said.contains("update desk-server"),
            "{said}"
        );
        let again = desk_server::db::Db::open(&db.url)
            .err()
            .map(|e| e.to_string());
        assert!(
            again.is_some_and(|e| e.contains("999")),
            "the database is still the newer one"
        );
    }
}
