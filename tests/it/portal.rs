//! The enterprise portal: access codes issued and revoked with `desk-server admin`, sign-in by
//! credit code and access code, guessing throttled, each enterprise seeing its own appeals
//! only, and the pages served from the binary to a phone-sized Chromium.

use std::process::Command;

use desk_core::model::{Appeal, Category, Site};
use serde_json::{json, Value};

use crate::harness::binary;
use crate::server_harness::{backends, raw, seed, site, Backend, Server, Tablet};

/// `desk-server admin enterprise-code`, as the office runs it; its output.
fn enterprise_code(db_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary("desk-server"))
        .args(["--db", db_url, "admin", "enterprise-code"])
        .args(args)
        .output()
        .expect("run desk-server admin");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The value after "label：" on its line of the letter.
fn letter_line(letter: &str, label: &str) -> String {
    letter
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|l| l.strip_prefix('：'))
        .unwrap_or_else(|| panic!("no {label} in the letter:\n{letter}"))
        .trim()
        .to_owned()
}

async fn sign_in(base: &str, credit: &str, code: &str) -> (u16, Value) {
    raw(
        base,
        reqwest::Method::POST,
        "/v1/portal/sign-in",
        None,
        Some(json!({"credit_code": credit, "access_code": code}).to_string()),
    )
    .await
}

async fn portal_get(base: &str, token: &str) -> (u16, Value) {
    raw(
        base,
        reqwest::Method::GET,
        "/v1/portal/appeals",
        Some(token),
        None,
    )
    .await
}

/// The seeded zone with the demo loaded as an office loads it (`admin demo`): 湖北斯诺新材料,
/// its appeals and their progress.
async fn seeded_with_demo(server: &Server) {
    seed(&server.db.url);
    let url = server.db.url.clone();
    tokio::task::spawn_blocking(move || {
        let db = desk_server::db::Db::open(&url).unwrap();
        desk_server::admin::load_demo(&db).unwrap();
    })
    .await
    .unwrap();
}

/// The demo (湖北斯诺新材料, its appeals and their progress) and another enterprise with an
/// appeal of its own, synced from a tablet; returns the other's credit code.
async fn zone_with_two_enterprises(server: &Server) -> String {
    seeded_with_demo(server).await;
    let first17 = "91421300MA4B7N3Q8";
    let credit = format!(
        "{first17}{}",
        desk_core::credit_code::check_character(first17).unwrap()
    );
    let tablet = Tablet::sign_in(&server.url, "admin").await;
    let credit_code = credit.clone();
    tablet.write(|w| {
        let other = w.create(Site {
            credit_code: Some(credit_code),
            ..site("随州市恒达机械有限公司", None)
        })?;
        let now = w.now();
        w.create(Appeal::raised(
            other.id,
            now,
            Category::Other,
            "恒达机械的厂房消防验收排期太久，影响投产。",
        ))
    });
    tablet.sync().await;
    credit
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_signs_in_with_its_code_and_sees_only_its_own_appeals() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        let other_credit = zone_with_two_enterprises(&server).await;

        // Issued as an office would: a letter with the portal's address, the credit code, the
        // code and a QR code of the address.
        let (ok, letter) = enterprise_code(&server.db.url, &["--site", "湖北斯诺新材料有限公司"]);
        assert!(ok, "{letter}");
        let credit = letter_line(&letter, "统一社会信用代码 (credit code)");
        let code = letter_line(&letter, "访问码 (access code)");
        assert_eq!(credit.len(), 18);
        assert_eq!(code.len(), 14, "{code}");
        assert!(
            letter.contains(&format!("/portal/?credit={credit}")),
            "{letter}"
        );
        assert!(letter.contains('█') || letter.contains('▀'), "a QR code");
        let (ok, other_letter) = enterprise_code(&server.db.url, &["--site", &other_credit]);
        assert!(ok, "{other_letter}");
        let other_code = letter_line(&other_letter, "访问码 (access code)");

        // Refused, naming what is wrong, in both languages.
        let (status, body) = sign_in(&server.url, &credit, "AAAA-BBBB-CCCC").await;
        assert_eq!(status, 401, "{body}");
        assert!(body["message"].as_str().unwrap().contains("访问码不正确"));
        let (status, body) = sign_in(&server.url, &credit, " ").await;
        assert_eq!((status, body["field"].as_str()), (400, Some("access_code")));
        let (status, body) = raw(
            &server.url,
            reqwest::Method::POST,
            "/v1/portal/sign-in",
            None,
            Some(r#"{"credit_code": 5}"#.into()),
        )
        .await;
        assert_eq!(status, 400, "{body}");

        // Typed as people do: lower case, spaces for dashes.
        let typed = code.to_lowercase().replace('-', " ");
        let (status, session) = sign_in(&server.url, &credit.to_lowercase(), &typed).await;
        assert_eq!(status, 200, "{session}");
        assert_eq!(session["site_name"], "湖北斯诺新材料有限公司");
        let token = session["token"].as_str().unwrap().to_owned();

        let (status, mine) = portal_get(&server.url, &token).await;
        assert_eq!(status, 200, "{mine}");
        let appeals = mine["appeals"].as_array().unwrap();
        assert_eq!(appeals.len(), 2, "the demo's two appeals: {mine}");
        let text = mine.to_string();
        assert!(
            !text.contains("恒达"),
            "nothing of another enterprise: {text}"
        );
        let greening = appeals
            .iter()
            .find(|a| a["category"] == "environment")
            .expect("the greening appeal");
        assert_eq!(greening["department"], "自然资源和规划中心");
        assert_eq!(greening["deadline"], "2024-10-28");
        assert!(greening["days_left"].as_i64().unwrap() < 0, "long overdue");
        let steps = greening["steps"].as_array().unwrap();
        assert!(!steps.is_empty(), "{greening}");
        assert!(steps[0]["at"].as_str().unwrap().starts_with("2024-10-26 "));
        let mut said: Vec<&String> = steps[0].as_object().unwrap().keys().collect();
        said.sort();
        assert_eq!(
            said,
            ["at", "note", "status"],
            "never who among the officials wrote it"
        );

        let (status, theirs) = sign_in(&server.url, &other_credit, &other_code).await;
        assert_eq!(status, 200, "{theirs}");
        let (_, theirs) = portal_get(&server.url, theirs["token"].as_str().unwrap()).await;
        assert_eq!(theirs["appeals"].as_array().unwrap().len(), 1);
        assert!(!theirs.to_string().contains("斯诺"));

        // A portal token is no device token, and no device token opens the portal.
        let (status, _) = raw(
            &server.url,
            reqwest::Method::GET,
            "/v1/appeals",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 401);
        let device = crate::server_harness::Client::login(&server.url, "admin").await;
        assert_eq!(portal_get(&server.url, &device.token).await.0, 401);

        // Revoked: the session ends at once and the code opens nothing.
        let (ok, out) = enterprise_code(
            &server.db.url,
            &["--site", "湖北斯诺新材料有限公司", "--revoke"],
        );
        assert!(ok && out.contains("已收回"), "{out}");
        let (status, body) = portal_get(&server.url, &token).await;
        assert_eq!(status, 401, "{body}");
        assert!(body["message"].as_str().unwrap().contains("重新登录"));
        assert_eq!(sign_in(&server.url, &credit, &code).await.0, 401);
        let (ok, out) = enterprise_code(
            &server.db.url,
            &["--site", "湖北斯诺新材料有限公司", "--revoke"],
        );
        assert!(ok && out.contains("没有有效的访问码"), "{out}");

        // A new code works; the office cannot issue one to a site without a credit code, or
        // to one that does not exist.
        let (_, letter) = enterprise_code(&server.db.url, &["--site", &credit]);
        let renewed = letter_line(&letter, "访问码 (access code)");
        assert_ne!(renewed, code);
        assert_eq!(sign_in(&server.url, &credit, &renewed).await.0, 200);
        let (ok, out) = enterprise_code(&server.db.url, &["--site", "污水处理厂二期"]);
        assert!(!ok && out.contains("没有统一社会信用代码"), "{out}");
        let (ok, out) = enterprise_code(&server.db.url, &["--site", "不存在的公司"]);
        assert!(!ok && out.contains("不存在的公司"), "{out}");

        if let Backend::Sqlite = backend {
            phone(&server, &credit, &renewed).await;
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_access_codes_is_throttled_and_tells_nothing() {
    let server = Server::start_with(&Backend::Sqlite, |c| {
        c.login_attempts_per_account = 3;
        c.login_attempts_per_address = 10;
    })
    .await;
    seeded_with_demo(&server).await;
    let (_, letter) = enterprise_code(&server.db.url, &["--site", "湖北斯诺新材料有限公司"]);
    let credit = letter_line(&letter, "统一社会信用代码 (credit code)");
    let code = letter_line(&letter, "访问码 (access code)");

    // An unknown credit code and a wrong access code read the same.
    let (s1, unknown) = sign_in(&server.url, "91421300MA4B7N3Q8X", "AAAA-BBBB-CCCC").await;
    let (s2, wrong) = sign_in(&server.url, &credit, "AAAA-BBBB-CCCC").await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(unknown["message"], wrong["message"]);
    assert_eq!(unknown["code"], wrong["code"]);

    sign_in(&server.url, &credit, "AAAA-BBBB-DDDD").await;
    sign_in(&server.url, &credit, "AAAA-BBBB-EEEE").await;
    // Out of guesses for this credit code: even the right code waits.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/portal/sign-in", server.url))
        .json(&json!({"credit_code": credit, "access_code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 300, "{wait}");
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("秒后再试"));
    server.stop().await;
}

/// The portal's pages from the binary, driven at a phone's size by Chromium (the script in
/// ui/portal/tests), with screenshots of each screen in target/portal-screenshots.
async fn phone(server: &Server, credit: &str, code: &str) {
    let page = reqwest::get(format!("{}/portal/", server.url))
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<div id=\"app\"></div>"),
        "the built portal is embedded (npm run build:portal before building desk-server): {html}"
    );
    // A path the page routes itself gets the page.
    let deep = reqwest::get(format!("{}/portal/appeals/123", server.url))
        .await
        .unwrap();
    assert_eq!(deep.status().as_u16(), 200);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = root.join("target/portal-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::process::Command::new("node")
        .current_dir(root.join("ui"))
        .arg("portal/tests/sign-in.mjs")
        .args([&server.url, credit, code])
        .arg(&shots)
        .output()
        .await
        .expect("run node");
    assert!(
        out.status.success(),
        "the portal in Chromium:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["01-sign-in", "03-appeals", "04-progress"] {
        assert!(shots.join(format!("portal-{name}.png")).exists(), "{name}");
    }
}
