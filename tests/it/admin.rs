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

/// An administrator's screens, through the admin routes: accounts made, changed, disabled and
/// given a new password; parks, departments and integration keys; all refused to anyone else,
/// with reasons that name the field, and written to the audit trail.
#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_manages_accounts_parks_departments_and_keys_through_the_api() {
    use crate::server_harness::{raw, Client, Server};
    use serde_json::json;
    for backend in crate::server_harness::backends() {
        let server = Server::start(&backend).await;
        let zone = seed(&server.db.url);
        let admin = Client::login(&server.url, "admin").await;
        let leader = Client::login(&server.url, "leader").await;
        // Only an administrator.
        let (status, v) = leader.get("/v1/admin/accounts").await;
        assert_eq!(status, 403, "{v}");
        let (status, _) = leader
            .post("/v1/admin/parks", json!({"name": "三园"}).to_string())
            .await;
        assert_eq!(status, 403);
        let (status, _) = raw(
            &server.url,
            reqwest::Method::GET,
            "/v1/admin/accounts",
            None,
            None,
        )
        .await;
        assert_eq!(status, 401);

        // A park, a department, an officer serving the new park.
        let (status, park) = admin
            .post("/v1/admin/parks", json!({"name": "三园"}).to_string())
            .await;
        assert_eq!(status, 201, "{park}");
        let park = park["id"].as_str().unwrap().to_owned();
        let (status, v) = admin
            .post("/v1/admin/parks", json!({"name": "三园"}).to_string())
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("name")), "{v}");
        let (status, v) = admin
            .post(
                "/v1/admin/parks",
                json!({"name": "四园", "level": "city"}).to_string(),
            )
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("level")), "{v}");
        let (status, v) = admin
            .post(
                "/v1/admin/departments",
                json!({"name": "应急管理局", "level": "district"}).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        let (status, v) = admin
            .post(
                "/v1/admin/departments",
                json!({"name": "税务局", "level": "galaxy"}).to_string(),
            )
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("level")), "{v}");
        for (body, field) in [
            (
                json!({"name": "li", "role": "officer", "password": "short"}),
                "password",
            ),
            (
                json!({"name": "li", "role": "officer", "password": "long enough"}),
                "parks",
            ),
            (
                json!({"name": "li", "role": "department", "password": "long enough"}),
                "departments",
            ),
            (
                json!({"name": "leader", "role": "leader", "password": "long enough"}),
                "name",
            ),
            (
                json!({"name": "li", "role": "officer", "password": "long enough", "parks": [zone.dept1]}),
                "parks",
            ),
        ] {
            let (status, v) = admin.post("/v1/admin/accounts", body.to_string()).await;
            assert_eq!(
                (status, v["field"].as_str()),
                (400, Some(field)),
                "{body}: {v}"
            );
        }
        let (status, v) = admin
            .post(
                "/v1/admin/accounts",
                json!({"name": "li", "role": "chief", "password": "long enough"}).to_string(),
            )
            .await;
        assert_eq!(status, 400, "an unknown role: {v}");
        let (status, li) = admin
            .post(
                "/v1/admin/accounts",
                json!({"name": "li", "display_name": "李干部", "role": "officer", "password": "long enough", "parks": [park]}).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{li}");
        assert_eq!(li["display_name"], "李干部");
        let li_id = li["id"].as_str().unwrap().to_owned();
        let officer = Client::try_login(&server.url, "li", "long enough")
            .await
            .unwrap();
        assert_eq!(officer.user.parks.len(), 1);

        // A new scope, a new password, then disabled: the device stops at once.
        let (status, v) = admin
            .patch(
                &format!("/v1/admin/accounts/{li_id}"),
                json!({"parks": [zone.park1, park]}).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["parks"].as_array().unwrap().len(), 2);
        let (status, v) = admin
            .patch(
                &format!("/v1/admin/accounts/{li_id}"),
                json!({"parks": []}).to_string(),
            )
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("parks")), "{v}");
        let (status, v) = admin
            .post(
                &format!("/v1/admin/accounts/{li_id}/password"),
                json!({"password": "x"}).to_string(),
            )
            .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some("password")),
            "{v}"
        );
        let (status, _) = admin
            .post(
                &format!("/v1/admin/accounts/{li_id}/password"),
                json!({"password": "新密码 2026"}).to_string(),
            )
            .await;
        assert_eq!(status, 204);
        assert!(Client::try_login(&server.url, "li", "long enough")
            .await
            .is_err());
        Client::try_login(&server.url, "li", "新密码 2026")
            .await
            .unwrap();
        let (status, v) = admin
            .patch(
                &format!("/v1/admin/accounts/{li_id}"),
                json!({"disabled": true}).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert!(v["disabled_at"].is_string());
        let (status, _) = officer.get("/v1/devices").await;
        assert_eq!(status, 401, "a disabled account's devices stop");
        let (status, v) = Client::try_login(&server.url, "li", "新密码 2026")
            .await
            .err()
            .unwrap();
        assert_eq!((status, v["code"].as_str()), (403, Some("disabled")), "{v}");
        let (status, _) = admin
            .patch(
                &format!("/v1/admin/accounts/{li_id}"),
                json!({"disabled": false}).to_string(),
            )
            .await;
        assert_eq!(status, 200);
        let (status, _) = officer.get("/v1/devices").await;
        assert_eq!(status, 200, "enabled again");
        // An administrator cannot lock themself out.
        let me = admin.user.id;
        let (status, v) = admin
            .patch(
                &format!("/v1/admin/accounts/{me}"),
                json!({"disabled": true}).to_string(),
            )
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("id")), "{v}");
        let (status, v) = admin
            .patch("/v1/admin/accounts/not-an-id", json!({}).to_string())
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("id")), "{v}");
        let (status, v) = admin
            .patch(
                &format!("/v1/admin/accounts/{li_id}"),
                json!({"colour": "red"}).to_string(),
            )
            .await;
        assert_eq!(status, 400, "an unknown field: {v}");

        // The list.
        let (status, v) = admin.get("/v1/admin/accounts").await;
        assert_eq!(status, 200);
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"li") && names.contains(&"admin"),
            "{names:?}"
        );

        // Integration keys: issued once, listed without the key, withdrawn.
        let (status, v) = admin
            .post(
                "/v1/admin/api-keys",
                json!({"name": "12345热线"}).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        let key = v["key"].as_str().unwrap().to_owned();
        let (status, v) = admin.get("/v1/admin/api-keys").await;
        assert_eq!(status, 200);
        assert_eq!(v[0]["name"], "12345热线");
        assert!(!v.to_string().contains(&key), "the key is shown once");
        let (status, v) = admin
            .post("/v1/admin/api-keys", json!({"name": " "}).to_string())
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("name")), "{v}");
        let (status, _) = admin.delete("/v1/admin/api-keys/12345热线").await;
        assert_eq!(status, 204);
        let (status, _) = admin.delete("/v1/admin/api-keys/12345热线").await;
        assert_eq!(status, 404);

        // Each change is in the audit trail under the administrator's account.
        let db = server.db.url.clone();
        let by = admin.user.id.to_string();
        let audited: Vec<String> = tokio::task::spawn_blocking(move || {
            let db = desk_server::db::Db::open(&db).unwrap();
            db.tx_blocking(|sql| {
                sql.rows(
                    "SELECT action FROM audit WHERE user_id = $1 ORDER BY id",
                    &[by.into()],
                )
            })
            .unwrap()
            .iter()
            .map(|r| r.text("action").unwrap().to_owned())
            .collect()
        })
        .await
        .unwrap();
        for action in [
            "create_park",
            "create_department",
            "create_user",
            "change_account",
            "reset_password",
            "api_key_issued",
            "api_key_revoked",
        ] {
            assert!(
                audited.iter().any(|a| a == action),
                "{action} in {audited:?}"
            );
        }
        server.stop().await;
    }
}
