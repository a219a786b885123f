//! The enterprise portal: access codes issued and revoked with `desk-server admin`, sign-in by
//! credit code and access code, guessing throttled, each enterprise seeing its own appeals
//! only, and the pages served from the binary to a phone-sized Chromium.

use desk_core::appeal::Action;
use desk_core::model::{Appeal, AppealStatus, Category, Progress, Rater, Record, Site};
use desk_core::Entity;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{server_admin, Device};
use crate::server_harness::{backends, op, raw, seed_with_demo, site, Backend, Server, Tablet};

/// `desk-server admin enterprise-code`, as the office runs it; its output.
pub(crate) fn enterprise_code(db_url: &str, args: &[&str]) -> (bool, String) {
    let out = server_admin(db_url, &[&["enterprise-code"], args].concat());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// The value after "label：" on its line of the letter.
pub(crate) fn letter_line(letter: &str, label: &str) -> String {
    letter
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|l| l.strip_prefix('：'))
        .unwrap_or_else(|| panic!("no {label} in the letter:\n{letter}"))
        .trim()
        .to_owned()
}

/// The demo enterprise's credit code and a new access code for it, from its letter.
fn demo_enterprise_code(server: &Server) -> (String, String) {
    let (ok, letter) = enterprise_code(&server.db.url, &["--site", "湖北斯诺新材料有限公司"]);
    assert!(ok, "{letter}");
    (
        letter_line(&letter, "统一社会信用代码 (credit code)"),
        letter_line(&letter, "访问码 (access code)"),
    )
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

/// The demo (湖北斯诺新材料, its appeals and their progress) and another enterprise with an
/// appeal of its own, synced from a tablet; returns the other's credit code.
async fn zone_with_two_enterprises(server: &Server) -> String {
    seed_with_demo(server).await;
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
            // Resolved, so the phone can rate it.
            let office = Tablet::sign_in(&server.url, "admin").await;
            office.sync().await;
            let greening: Uuid = greening["id"].as_str().unwrap().parse().unwrap();
            office.write(|w| w.act_on_appeal(greening, Action::Resolve, "x", Some("绿化已补种")));
            office.sync().await;
            phone(&server, &credit, &renewed).await;
        }
        server.stop().await;
    }
}

async fn rate(base: &str, token: &str, appeal: &str, body: Value) -> (u16, Value) {
    raw(
        base,
        reqwest::Method::POST,
        &format!("/v1/portal/appeals/{appeal}/rating"),
        Some(token),
        Some(body.to_string()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_rates_once_and_a_dissatisfied_rating_is_followed_up() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        let other_credit = zone_with_two_enterprises(&server).await;
        let (credit, code) = demo_enterprise_code(&server);
        let (_, session) = sign_in(&server.url, &credit, &code).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let (_, mine) = portal_get(&server.url, &token).await;
        let id_of = |category: &str| -> Uuid {
            mine["appeals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["category"] == category)
                .and_then(|a| a["id"].as_str()?.parse().ok())
                .expect("the demo's appeal")
        };
        let (greening, power) = (id_of("environment"), id_of("utilities"));

        // Not before it is resolved; not another enterprise's; not outside the five levels.
        let (status, body) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 4}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("not_resolved")),
            "{body}"
        );

        // The office resolves the greening appeal on a tablet and syncs.
        let office = Tablet::sign_in(&server.url, "admin").await;
        office.sync().await;
        let theirs = office
            .engine
            .store()
            .appeals(&Default::default())
            .unwrap()
            .into_iter()
            .find(|a| {
                a["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("恒达"))
            })
            .expect("the other enterprise's appeal");
        assert_eq!(other_credit.len(), 18);
        for missing in [
            theirs["id"].as_str().unwrap().to_owned(),
            Uuid::now_v7().to_string(),
            "not-an-id".into(),
        ] {
            let (status, body) =
                rate(&server.url, &token, &missing, json!({"satisfaction": 4})).await;
            assert_eq!(status, 404, "answered as a missing one: {body}");
        }
        office.write(|w| w.act_on_appeal(greening, Action::Resolve, "x", Some("绿化已补种")));
        office.sync().await;

        // The week's bulletin for the enterprise groups, counted by the server: the demo's
        // week, and this one (the other enterprise's appeal raised, the greening resolved).
        let (status, demo_week) = office.client.get("/v1/bulletin?week=2024-10-26").await;
        assert_eq!(status, 200, "{demo_week}");
        assert_eq!(
            (demo_week["from"].as_str(), demo_week["to"].as_str()),
            (Some("2024-10-21"), Some("2024-10-27"))
        );
        assert_eq!(demo_week["figures"]["collected"], 2, "{demo_week}");
        assert!(
            demo_week["text"]
                .as_str()
                .unwrap()
                .contains("2024年10月21日至27日，流动办公桌收集企业诉求 2 件，办结 0 件"),
            "{demo_week}"
        );
        let (_, this_week) = office.client.get("/v1/bulletin").await;
        assert_eq!(
            this_week["figures"],
            json!({"collected": 1, "resolved": 1, "open": 2, "overdue": 1, "follow_ups": 0}),
            "{this_week}"
        );
        let (status, body) = office.client.get("/v1/bulletin?week=26/10/2024").await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("week")),
            "{body}"
        );

        let (status, body) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 7}),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("satisfaction")),
            "{body}"
        );
        let (status, body) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 2, "stars": 2}),
        )
        .await;
        assert_eq!(status, 400, "unknown fields are refused: {body}");
        let (status, body) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 2, "comment": "x".repeat(5000)}),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("comment")),
            "{body}"
        );

        // 不满意, with a comment: not closed, followed up by the department within five
        // working days, which the enterprise sees.
        let (status, rated) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 2, "comment": "补种的苗木已经枯死"}),
        )
        .await;
        assert_eq!(status, 200, "{rated}");
        assert_eq!(rated["status"], "rectifying");
        assert_eq!(
            (rated["satisfaction"].as_i64(), rated["rated_by"].as_str()),
            (Some(2), Some("enterprise"))
        );
        let today = desk_core::time::local_date(chrono::Utc::now());
        let due = desk_core::deadline::follow_up_deadline(
            today,
            &desk_core::calendar::Calendar::built_in(),
        )
        .0;
        assert_eq!(rated["deadline"], due.to_string());
        assert_eq!(rated["department"], "自然资源和规划中心");
        let last = rated["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["status"], "rectifying");
        assert!(
            last["note"]
                .as_str()
                .unwrap()
                .contains("不满意。补种的苗木已经枯死"),
            "{last}"
        );

        // 一事一评.
        let (status, body) = rate(
            &server.url,
            &token,
            &greening.to_string(),
            json!({"satisfaction": 5}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("already_rated")),
            "{body}"
        );

        // The office's devices get it as the ledger's: an entry in the enterprise's name,
        // marked as its own rating, sealed into the chain the device verifies.
        office.sync().await;
        let held: Appeal = office.has(greening).unwrap();
        assert_eq!(
            (held.status, held.deadline),
            (AppealStatus::Rectifying, Some(due))
        );
        let entries = office.engine.store().progress_of(greening).unwrap();
        let rating = entries
            .iter()
            .find(|e| e["action"] == "confirm")
            .expect("the rating's entry");
        assert_eq!(rating["rated_by"], "enterprise");
        assert_eq!(rating["author"], "湖北斯诺新材料有限公司");
        let (_, figures) = office.client.get("/v1/stats").await;
        assert_eq!(
            (
                figures["dissatisfied"].as_i64(),
                figures["follow_ups"].as_i64()
            ),
            (Some(1), Some(1)),
            "{figures}"
        );
        assert_eq!(figures["satisfaction_rate"].as_f64(), Some(0.0));

        // Put right on the tablet: confirmed, the enterprise's rating standing.
        office.write(|w| w.act_on_appeal(greening, Action::Rectify, "x", Some("重新补种并养护")));
        office.sync().await;
        let (_, mine) = portal_get(&server.url, &token).await;
        let now = mine["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == greening.to_string())
            .unwrap()
            .clone();
        assert_eq!(
            (now["status"].as_str(), now["satisfaction"].as_i64()),
            (Some("confirmed"), Some(2))
        );

        // A rating an official types on the tablet is marked as such, whatever the device says.
        office.write(|w| w.act_on_appeal(power, Action::Resolve, "x", None));
        office.sync().await;
        // ... and a dissatisfied one's follow-up is due by the zone's rule, not the device's.
        let mut typed = Progress::note(power, chrono::Utc::now(), "x", "电话回访：不满意");
        Action::Confirm {
            satisfaction: 1,
            follow_up: chrono::NaiveDate::from_ymd_opt(2099, 12, 31),
        }
        .record_in(&mut typed);
        typed.rated_by = Some(Rater::Enterprise);
        (typed.from_status, typed.to_status) =
            (Some(AppealStatus::Resolved), Some(AppealStatus::Rectifying));
        let r = office
            .client
            .push(&[op(
                Entity::Progress,
                typed.id,
                Value::Object(typed.to_fields()),
                Uuid::now_v7(),
            )])
            .await;
        let amended = r.results[0].amended.clone().unwrap_or_default();
        assert_eq!(
            (&amended["rated_by"], &amended["deadline"]),
            (&json!("official"), &json!(due.to_string())),
            "{r:?}"
        );
        let (_, entry) = office
            .client
            .get(&format!("/v1/records/progress/{}", typed.id))
            .await;
        assert_eq!(entry["fields"]["rated_by"], "official", "{entry}");
        let (_, mine) = portal_get(&server.url, &token).await;
        let power_now = mine["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == power.to_string())
            .unwrap()
            .clone();
        assert_eq!(power_now["rated_by"], "official", "{power_now}");
        let (status, body) = rate(
            &server.url,
            &token,
            &power.to_string(),
            json!({"satisfaction": 5}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("already_rated")),
            "{body}"
        );

        // The public board, open without signing in: enterprises unnamed, and their
        // descriptions unshown, until they agree on the portal.
        let (status, parks) = raw(&server.url, reqwest::Method::GET, "/v1/board", None, None).await;
        assert_eq!(status, 200, "{parks}");
        let park = parks
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "新材料产业园")
            .expect("the demo's park")
            .clone();
        assert_eq!(park["appeals"], 2, "{parks}");
        let board_path = format!("/v1/board/{}", park["id"].as_str().unwrap());
        let (status, board) = raw(&server.url, reqwest::Method::GET, &board_path, None, None).await;
        assert_eq!(status, 200, "{board}");
        assert_eq!(board["appeals"].as_array().unwrap().len(), 2);
        assert!(
            !board.to_string().contains("斯诺") && !board.to_string().contains("绿化"),
            "{board}"
        );
        let power_row = board["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["category"] == "utilities")
            .unwrap();
        assert_eq!(
            (power_row["overdue"].as_bool(), power_row["status"].as_str()),
            (Some(false), Some("rectifying"))
        );
        assert!(power_row["days_taken"].as_i64().unwrap() > 0, "{power_row}");
        let consent = |public: bool| {
            raw(
                &server.url,
                reqwest::Method::POST,
                "/v1/portal/board-consent",
                Some(&token),
                Some(json!({ "public": public }).to_string()),
            )
        };
        assert_eq!(consent(true).await.0, 204);
        let (_, board) = raw(&server.url, reqwest::Method::GET, &board_path, None, None).await;
        let named = board["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["enterprise"] == "湖北斯诺新材料有限公司" && a["description"].is_string())
            .count();
        assert_eq!(named, 2, "{board}");
        assert_eq!(
            portal_get(&server.url, &token).await.1["public_on_board"],
            true
        );
        assert_eq!(consent(false).await.0, 204);
        let (_, board) = raw(&server.url, reqwest::Method::GET, &board_path, None, None).await;
        assert!(!board.to_string().contains("斯诺"), "withdrawn: {board}");
        for missing in [
            format!("/v1/board/{}", Uuid::now_v7()),
            "/v1/board/新材料".into(),
        ] {
            let (status, body) = raw(&server.url, reqwest::Method::GET, &missing, None, None).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (404, Some("not_found")),
                "{body}"
            );
        }
        let (status, _) = raw(
            &server.url,
            reqwest::Method::POST,
            "/v1/portal/board-consent",
            None,
            Some(json!({ "public": true }).to_string()),
        )
        .await;
        assert_eq!(status, 401, "consent is the signed-in enterprise's");

        // Every chain still holds, the server's own entries included.
        let out = server_admin(&server.db.url, &["verify-ledger"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        server.stop().await;
    }
}

async fn portal_post(base: &str, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
    raw(
        base,
        reqwest::Method::POST,
        path,
        token,
        Some(body.to_string()),
    )
    .await
}

/// The office's `desk`, signed in to `server` as `user`, as an office runs it.
fn office_desk(server: &Server, user: &str) -> Device {
    let desk = Device::new();
    desk.sign_in(&server.url, user);
    desk.run(&["sync"]).ok();
    desk
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enterprise_orders_a_visit_the_office_dispatches_it_and_the_enterprise_sees_when() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        seed_with_demo(&server).await;
        let (credit, code) = demo_enterprise_code(&server);
        let (_, session) = sign_in(&server.url, &credit, &code).await;
        let token = session["token"].as_str().unwrap().to_owned();

        // The demo's order waits for dispatch.
        let (_, mine) = portal_get(&server.url, &token).await;
        let orders = mine["orders"].as_array().unwrap();
        assert_eq!(orders.len(), 1, "{mine}");
        assert_eq!(
            (orders[0]["topic"].as_str(), &orders[0]["visit"]),
            (Some("二期厂房消防验收"), &Value::Null)
        );

        // Refused, naming the field; nothing placed.
        let today = desk_core::time::local_date(chrono::Utc::now());
        let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
        let window =
            |d: String, start: &str, end: &str| json!({"date": d, "start": start, "end": end});
        for (body, field) in [
            (
                json!({"topic": " ", "windows": [window(day(3), "14:00", "16:00")]}),
                "topic",
            ),
            (json!({"topic": "用地咨询", "windows": []}), "windows"),
            (
                json!({"topic": "用地咨询", "windows": [window(day(3), "16:00", "14:00")]}),
                "windows",
            ),
            (
                json!({"topic": "用地咨询", "windows": [window(day(-1), "14:00", "16:00")]}),
                "windows",
            ),
            (
                json!({"topic": "用地咨询", "windows": [window(day(1), "9点", "16:00")]}),
                "windows",
            ),
            (
                json!({"topic": "用地咨询", "windows": (1..=4).map(|n| window(day(n), "14:00", "16:00")).collect::<Vec<_>>()}),
                "windows",
            ),
        ] {
            let (status, body) =
                portal_post(&server.url, Some(&token), "/v1/portal/orders", body).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (400, Some(field)),
                "{body}"
            );
        }
        let (status, _) = portal_post(
            &server.url,
            Some(&token),
            "/v1/portal/orders",
            json!({"topic": "x", "windows": [], "when": 1}),
        )
        .await;
        assert_eq!(status, 400, "unknown fields");
        let (status, _) = portal_post(
            &server.url,
            None,
            "/v1/portal/orders",
            json!({"topic": "x", "windows": []}),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(
            portal_get(&server.url, &token).await.1["orders"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Ordered: a visit at idle hours, two windows.
        let (status, placed) = portal_post(
            &server.url,
            Some(&token),
            "/v1/portal/orders",
            json!({
                "topic": "新增用地规划咨询",
                "wishes": "三期扩建需要新增 30 亩工业用地，想了解规划条件和报批流程。",
                "windows": [window(day(2), "14:00", "16:00"), window(day(4), "09:00", "11:00")],
            }),
        )
        .await;
        assert_eq!(status, 200, "{placed}");
        assert!(placed["visit"].is_null());

        // And an appeal raised online, received with the zone's handling limit.
        for (body, field) in [
            (json!({"category": "天气", "description": "x"}), "category"),
            (
                json!({"category": "用工", "description": "  "}),
                "description",
            ),
        ] {
            let (status, body) =
                portal_post(&server.url, Some(&token), "/v1/portal/appeals", body).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (400, Some(field)),
                "{body}"
            );
        }
        let (status, raised) = portal_post(
            &server.url,
            Some(&token),
            "/v1/portal/appeals",
            json!({"category": "用工", "description": "三期投产后需招工 200 人，希望人社部门组织专场招聘会。"}),
        )
        .await;
        assert_eq!(status, 200, "{raised}");
        assert_eq!(raised["status"], "received");
        assert!(raised["deadline"].is_string(), "{raised}");

        // The office's desk receives both through sync and dispatches the order to its second
        // window: a new session that day, ordered by the enterprise.
        let office = office_desk(&server, "admin");
        let waiting = office.run(&["--json", "order", "list"]).ok().json();
        let topics: Vec<&str> = waiting
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["topic"].as_str())
            .collect();
        assert_eq!(
            topics,
            ["二期厂房消防验收", "新增用地规划咨询"],
            "{waiting}"
        );
        let online = office
            .run(&["--json", "appeal", "list", "--status", "received"])
            .ok()
            .json();
        let online = online.as_array().unwrap();
        assert!(
            online
                .iter()
                .any(|a| a["channel"] == "online" && a["category"] == "labour"),
            "{online:?}"
        );
        let id = placed["id"].as_str().unwrap();
        let refused = office.run(&["order", "dispatch", id, "--window", "3"]);
        assert_ne!(refused.code, 0);
        assert!(refused.stderr.contains("window"), "{}", refused.stderr);
        office
            .run(&[
                "order",
                "dispatch",
                id,
                "--window",
                "2",
                "--leader",
                "管委会副主任",
            ])
            .ok();
        let again = office.run(&["order", "dispatch", id, "--window", "1"]);
        assert_ne!(again.code, 0, "dispatched once");
        office.run(&["sync"]).ok();
        let waiting = office.run(&["--json", "order", "list"]).ok().json();
        assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");

        // The enterprise sees when the desk comes.
        let (_, mine) = portal_get(&server.url, &token).await;
        let order = mine["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(
            order["visit"],
            json!({"date": day(4), "start": "09:00", "end": "11:00", "desk": "流动办公桌"}),
            "{order}"
        );
        assert!(mine["appeals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["category"] == "labour"));

        // What the enterprise ordered is not a device's to change, and an order is dispatched
        // only to a stop at its own site.
        let device = Tablet::sign_in(&server.url, "admin").await;
        device.sync().await;
        let order_id: Uuid = id.parse().unwrap();
        let node = Uuid::now_v7();
        let r = device
            .client
            .push(&[op(
                Entity::Order,
                order_id,
                json!({"topic": "改了的主题"}),
                node,
            )])
            .await;
        assert_eq!(
            (r.results[0].code.as_deref(), r.results[0].field.as_deref()),
            (Some("immutable"), Some("topic")),
            "{r:?}"
        );
        let ordering: desk_core::model::Order = device.has(order_id).expect("the order");
        let elsewhere = device
            .engine
            .store()
            .list(Entity::Stop)
            .unwrap()
            .into_iter()
            .find(|s| s["site_id"] != ordering.site_id.to_string())
            .and_then(|s| s["id"].as_str().map(str::to_owned))
            .expect("a demo stop at another site");
        let r = device
            .client
            .push(&[op(
                Entity::Order,
                order_id,
                json!({"stop_id": elsewhere}),
                node,
            )])
            .await;
        assert_eq!(r.results[0].field.as_deref(), Some("stop_id"), "{r:?}");
        server.stop().await;
    }
}

/// Where the portal's scripts leave their screenshots.
fn screenshot_dir() -> std::path::PathBuf {
    let shots =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/portal-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// `node portal/tests/<script> LEAD… SCREENSHOT_DIR TAIL…`, its screenshots in
/// target/portal-screenshots; what it printed.
pub(crate) async fn on_phone(script: &str, lead: &[&str], tail: &[&str]) -> String {
    on_phone_with(script, lead, tail, &[]).await
}

/// As [`on_phone`], with more environment for the script.
pub(crate) async fn on_phone_with(
    script: &str,
    lead: &[&str],
    tail: &[&str],
    env: &[(&str, &str)],
) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = screenshot_dir();
    let out = tokio::process::Command::new("node")
        .current_dir(root.join("ui"))
        .arg(format!("portal/tests/{script}"))
        .args(lead)
        .arg(&shots)
        .args(tail)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run node");
    assert!(
        out.status.success(),
        "the portal in Chromium ({script} {tail:?}):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_an_enterprise_orders_a_visit_and_sees_the_dispatch() {
    let server = Server::start(&Backend::Sqlite).await;
    seed_with_demo(&server).await;
    let (credit, code) = demo_enterprise_code(&server);
    let topic = on_phone("order.mjs", &[&server.url, &credit, &code], &["place"]).await;

    // The office's desk: the order is waiting; dispatched to its second window.
    let office = office_desk(&server, "admin");
    let waiting = office.run(&["--json", "order", "list"]).ok().json();
    let order = waiting
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["topic"] == topic.as_str())
        .unwrap_or_else(|| panic!("{topic} among {waiting}"))
        .clone();
    assert_eq!(order["windows"].as_array().unwrap().len(), 2, "{order}");
    office
        .run(&[
            "order",
            "dispatch",
            order["id"].as_str().unwrap(),
            "--window",
            "2",
        ])
        .ok();
    office.run(&["sync"]).ok();

    let day = desk_core::time::local_date(chrono::Utc::now()) + chrono::Duration::days(4);
    on_phone(
        "order.mjs",
        &[&server.url, &credit, &code],
        &["see", &day.to_string()],
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_receipt_opens_that_visits_appeals_once_uploaded_and_can_be_revoked() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        seed_with_demo(&server).await;
        let tablet = Tablet::sign_in(&server.url, "admin").await;
        tablet.sync().await;
        let site = tablet
            .engine
            .store()
            .list(Entity::Site)
            .unwrap()
            .into_iter()
            .find(|s| s["name"] == "湖北斯诺新材料有限公司")
            .and_then(|s| s["id"].as_str()?.parse::<Uuid>().ok())
            .unwrap();

        // Finished offline: the receipt's token stays on the tablet, its hash on the visit.
        let visit_id = Uuid::now_v7();
        let (token, appeal) = tablet.write(|w| {
            let (token, hash) = w.new_receipt(visit_id)?;
            let now = w.now();
            w.create(desk_core::model::Visit {
                id: visit_id,
                session_id: None,
                site_id: site,
                started_at: now,
                ended_at: None,
                officials: vec!["走访干部".into()],
                enterprise_attendees: vec![],
                production_status: None,
                monthly_output_yuan: None,
                notes: None,
                receipt_hash: Some(hash),
                receipt_revoked: false,
                location: Some(desk_core::model::Location {
                    latitude: 31.69021,
                    longitude: 113.38245,
                    accuracy_m: 18.0,
                }),
                signature: None,
                void_reason: None,
            })?;
            let appeal = w.create(Appeal {
                visit_id: Some(visit_id),
                ..Appeal::raised(site, now, Category::Land, "三期用地指标尚未落实。")
            })?;
            Ok((token, appeal))
        });
        assert_eq!(
            tablet.engine.store().receipt(visit_id).unwrap().as_deref(),
            Some(token.as_str())
        );
        let base = server.url.clone();
        let open = |token: String| {
            let base = base.clone();
            async move {
                raw(
                    &base,
                    reqwest::Method::GET,
                    &format!("/v1/receipt/{token}"),
                    None,
                    None,
                )
                .await
            }
        };
        let (status, before) = open(token.clone()).await;
        assert_eq!(status, 200, "{before}");
        assert_eq!(
            (
                before["uploaded"].as_bool(),
                before["appeals"].as_array().map(Vec::len)
            ),
            (Some(false), Some(0))
        );
        if let Backend::Sqlite = backend {
            on_phone("receipt.mjs", &[&server.url, &token], &["before"]).await;
        }

        // Uploaded: the visit's appeals only, in the zone's time.
        tablet.sync().await;
        let (_, after) = open(token.clone()).await;
        assert_eq!(after["uploaded"], true, "{after}");
        assert_eq!(after["site_name"], "湖北斯诺新材料有限公司");
        let appeals = after["appeals"].as_array().unwrap();
        assert_eq!(appeals.len(), 1, "this visit's, not the demo's: {after}");
        // Where the visit was made reached the office's ledger, and no one through the link.
        let url = server.db.url.clone();
        let stored = std::thread::spawn(move || {
            let db = desk_server::db::Db::open(&url).unwrap();
            db.tx_blocking(|sql| {
                desk_server::state::read_record(sql, desk_core::Entity::Visit, visit_id)
            })
            .unwrap()
            .expect("the visit on the server")
        })
        .join()
        .unwrap();
        assert_eq!(
            stored.fields["location"],
            serde_json::json!({"latitude": 31.69021, "longitude": 113.38245, "accuracy_m": 18.0})
        );
        assert!(!after.to_string().contains("31.69"), "{after}");
        assert_eq!(appeals[0]["status"], "received");

        // Rated through the receipt once resolved, and only that visit's appeals.
        let rate_by = |token: String, appeal: String, body: Value| {
            let base = base.clone();
            async move {
                let path = format!("/v1/receipt/{token}/appeals/{appeal}/rating");
                raw(
                    &base,
                    reqwest::Method::POST,
                    &path,
                    None,
                    Some(body.to_string()),
                )
                .await
            }
        };
        let (status, _) = rate_by(
            token.clone(),
            appeal.id.to_string(),
            json!({"satisfaction": 5}),
        )
        .await;
        assert_eq!(status, 409, "not resolved yet");
        tablet.write(|w| w.act_on_appeal(appeal.id, Action::Resolve, "x", Some("用地指标已落实")));
        tablet.sync().await;
        let demo_appeal = tablet
            .engine
            .store()
            .appeals(&Default::default())
            .unwrap()
            .into_iter()
            .find(|a| a["visit_id"] != Value::String(visit_id.to_string()))
            .and_then(|a| a["id"].as_str().map(str::to_owned))
            .unwrap();
        let (status, _) = rate_by(token.clone(), demo_appeal, json!({"satisfaction": 5})).await;
        assert_eq!(status, 404, "another visit's appeal");
        if let Backend::Sqlite = backend {
            // On a phone: the appeal shown resolved, and rated 满意 there.
            on_phone("receipt.mjs", &[&server.url, &token], &["after"]).await;
            let (_, now) = open(token.clone()).await;
            assert_eq!(
                (
                    now["appeals"][0]["status"].as_str(),
                    now["appeals"][0]["satisfaction"].as_i64()
                ),
                (Some("confirmed"), Some(4)),
                "{now}"
            );
        } else {
            let (status, rated) = rate_by(
                token.clone(),
                appeal.id.to_string(),
                json!({"satisfaction": 4, "comment": "很快"}),
            )
            .await;
            assert_eq!(
                (status, rated["status"].as_str(), rated["rated_by"].as_str()),
                (200, Some("confirmed"), Some("enterprise")),
                "{rated}"
            );
        }

        // Revoked on the tablet: from the next sync the link opens nothing.
        tablet
            .write(|w| w.update::<desk_core::model::Visit>(visit_id, |v| v.receipt_revoked = true));
        tablet.sync().await;
        let (_, revoked) = open(token.clone()).await;
        assert_eq!(
            (
                revoked["revoked"].as_bool(),
                revoked["appeals"].as_array().map(Vec::len)
            ),
            (Some(true), Some(0)),
            "{revoked}"
        );
        let (status, _) = rate_by(
            token.clone(),
            appeal.id.to_string(),
            json!({"satisfaction": 1}),
        )
        .await;
        assert_eq!(status, 404);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_receipt_links_is_throttled_and_tells_nothing() {
    let server = Server::start_with(&Backend::Sqlite, |c| {
        c.login_attempts_per_account = 100;
        c.login_attempts_per_address = 3;
    })
    .await;
    seed_with_demo(&server).await;
    for guess in ["0".repeat(64), "not-a-token".into(), "f".repeat(64)] {
        let (status, body) = raw(
            &server.url,
            reqwest::Method::GET,
            &format!("/v1/receipt/{guess}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (status, body["uploaded"].as_bool()),
            (200, Some(false)),
            "a wrong link reads as one not uploaded yet: {body}"
        );
    }
    let (status, body) = raw(
        &server.url,
        reqwest::Method::GET,
        &format!("/v1/receipt/{}", "1".repeat(64)),
        None,
        None,
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert!(body["message"].as_str().unwrap().contains("秒后再试"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_access_codes_is_throttled_and_tells_nothing() {
    let server = Server::start_with(&Backend::Sqlite, |c| {
        c.login_attempts_per_account = 3;
        c.login_attempts_per_address = 10;
    })
    .await;
    seed_with_demo(&server).await;
    let (credit, code) = demo_enterprise_code(&server);

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
    on_phone("sign-in.mjs", &[&server.url, credit, code], &[]).await;
    let shots = screenshot_dir();
    for name in [
        "01-sign-in",
        "03-appeals",
        "04-progress",
        "05-rate",
        "06-follow-up",
        "07-board",
    ] {
        assert!(shots.join(format!("portal-{name}.png")).exists(), "{name}");
    }
}
