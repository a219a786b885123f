//! End-to-end: the real app window, acted on as an official would, with a screenshot of every
//! screen it passes through in target/e2e-screenshots. These need an X display (Xvfb),
//! `tauri-driver` and `WebKitWebDriver`, so the ordinary `cargo test` skips them; `cargo xtask
//! test` installs what they need and runs them after the other tiers:
//!
//! ```sh
//! cargo test -p desk-tests --test it e2e -- --ignored --test-threads=1
//! ```

mod app;

use std::process::Command;

use app::{nth, within, App, Display};
use desk_server::admin;
use desk_server::db::Db;
use desk_server::scope::Role;
use serde_json::Value;

use crate::harness::Device;
use crate::server_harness::{start_server, Backend, ServerProcess, TestDb, PASSWORD};

const SITE: &str = "湖北斯诺新材料有限公司";
const GREENING: &str = "厂区围墙外公共绿化亟待提升";
const GREENING_ACTION: &str = "自然资源和规划中心出具绿化方案，提升厂区形象";
const PLANNING_CENTRE: &str = "自然资源和规划中心";
const POWER: &str = "生产用电价格偏高，企业负担重";
const POWER_ACTION: &str = "利用微风发电提供绿电，电价降低不少于20%";
const POWER_SUPPLY: &str = "区供电服务中心";
const PRODUCTION: &str = "除高温碳化车间正在安装调试外，其余车间满负荷生产，边建设边生产";

/// The site's unified social credit code, with its check character (GB 32100-2015).
fn credit_code() -> String {
    let first17 = "91421300MA49KQ7D3";
    let check = desk_core::credit_code::check_character(first17).expect("a valid code body");
    format!("{first17}{check}")
}

/// When the desk reached the gate, and the resolutions' deadlines (DOMAIN.md; the power
/// deadline is the demo data's).
const VISITED_AT: &str = "2024-10-26 08:30";
const GREENING_DEADLINE: &str = "2024-10-28";
const POWER_DEADLINE: &str = "2024-12-31";

/// A server with nothing in it but its administrator, as an office on its first day.
fn empty_server() -> (TestDb, ServerProcess) {
    let db = TestDb::new(&Backend::Sqlite);
    let url = db.url.clone();
    std::thread::spawn(move || {
        let db = Db::open(&url).expect("open db");
        admin::create_user(
            &db,
            &admin::UserSpec {
                name: "admin",
                display_name: "管理员",
                role: Role::Admin,
                password: PASSWORD,
                parks: &[],
                departments: &[],
            },
        )
        .expect("create the administrator");
    })
    .join()
    .expect("seed the administrator");
    let server = start_server(&db.url);
    (db, server)
}

/// First run, offline: the app opens on Today.
async fn start_offline(app: &mut App) {
    app.step("first run: work offline");
    app.find("[data-test=first-run]").await;
    app.shot("first-run").await;
    app.click("[data-test=offline]").await;
    app.find("[data-test=today]").await;
}

/// Signs the app in to the server at `url` from the sync screen, as the admin on a tablet,
/// and waits until it is up to date.
async fn sign_in_to(app: &mut App, url: &str) {
    sign_in_as(app, url, "admin", PASSWORD, "斯诺走访平板").await
}

async fn sign_in_as(app: &mut App, url: &str, user: &str, password: &str, device: &str) {
    app.click("[data-test=tab-sync]").await;
    app.fill("server", url).await;
    app.fill("user", user).await;
    app.fill("password", password).await;
    app.fill("device-name", device).await;
    app.click("[data-test=sign-in]").await;
    app.wait_text("[data-test=sync-badge]", "已是最新", |t| {
        t.contains("已是最新")
    })
    .await;
}

/// Picks the site, creating it when the device does not know it yet.
async fn pick_new_site(app: &mut App) {
    app.step("visit: look the site up, then create it");
    app.fill("site-search", "斯诺").await;
    app.click("[data-test=site-new]").await;
    app.fill("site-name", SITE).await;
    app.fill("site-credit-code", &credit_code()).await;
    app.click("[data-test=site-create]").await;
    app.wait_text("[data-test=site-picked]", "the site's name", |t| {
        t.contains(SITE)
    })
    .await;
}

/// Picks the department named `name` for the resolution of the appeal card `card` (1-based),
/// creating it: the device starts with no departments.
async fn pick_new_department(app: &mut App, card: usize, name: &str) {
    app.step(&format!(
        "appeal {card}: create and pick the department {name}"
    ));
    let card_xpath = nth("appeal-card", card);
    app.click(&within(&card_xpath, "resolution-department"))
        .await;
    app.find("[data-test=department-picker]").await;
    app.fill("department-new-name", name).await;
    if card == 1 {
        app.shot("department-picker").await;
    }
    app.click("[data-test=department-create]").await;
    app.wait_gone("[data-test=department-picker]").await;
    app.wait_value(&card_xpath, "resolution-department", |v| v == name)
        .await;
}

/// Fills the appeal card `card` (1-based), appeal and on-site resolution.
async fn fill_appeal(
    app: &mut App,
    card: usize,
    category: &str,
    description: &str,
    action: &str,
    department: &str,
    deadline: &str,
) {
    app.step(&format!("appeal {card}: {description}"));
    app.click("[data-test=add-appeal]").await;
    app.wait_count("[data-test=appeal-card]", card).await;
    let card_xpath = nth("appeal-card", card);
    app.click(&within(&card_xpath, &format!("category-{category}")))
        .await;
    app.fill_in(&card_xpath, "appeal-description", description)
        .await;
    app.fill_in(&card_xpath, "resolution-action", action).await;
    pick_new_department(app, card, department).await;
    app.fill_in(&card_xpath, "resolution-deadline", deadline)
        .await;
    app.fill_in(&card_xpath, "resolution-commitment", "按期办结并回访企业")
        .await;
}

/// The figure `[data-test=figure-name]` as the figures screen shows it.
async fn figure(app: &mut App, name: &str) -> String {
    app.click("[data-test=tab-figures]").await;
    app.find("[data-test=figures]").await;
    app.text(&format!("[data-test=figure-{name}] .value"))
        .await
        .trim()
        .to_owned()
}

/// Where the sync screen shows how many changes wait to be sent.
const PENDING: &str = "[data-test=detail-pending] .van-cell__value";

/// Prints the page the print preview shows as a browser prints it (Chromium, headless, to PDF),
/// renders its first page to `<name>.png` beside the screenshots (poppler's `pdftoppm`), and
/// returns the PDF's text (`pdftotext`, the layout kept).
async fn print_page(app: &App, name: &str) -> String {
    let html = app
        .script("return document.querySelector('[data-test=print-page]').srcdoc")
        .await;
    let dir = app::screenshot_dir();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html.as_str().expect("the page's HTML")).expect("write the page");
    let pdf = dir.join(format!("{name}.pdf"));
    let printed = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    app.ensure(
        printed.status.success() && pdf.exists(),
        format!(
            "chromium printed the page: {}",
            String::from_utf8_lossy(&printed.stderr)
        ),
    )
    .await;
    let png = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile", "-f", "1"])
        .arg(&pdf)
        .arg(dir.join(name))
        .status()
        .expect("run pdftoppm");
    app.ensure(png.success(), "pdftoppm rendered the first page")
        .await;
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    String::from_utf8_lossy(&text.stdout).into_owned()
}

/// A second device: the `desk` CLI signed in to `server` as the administrator.
fn cli_device(server: &str) -> Device {
    let device = Device::new();
    device.sign_in(server, "admin");
    device
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs Xvfb, tauri-driver and WebKitWebDriver; `cargo xtask test` runs it"]
async fn an_official_records_a_visit_offline_and_the_office_receives_it() {
    let display = Display::start();
    let data = tempfile::tempdir().expect("temp dir");
    let mut app = App::launch(&display, data.path()).await;
    start_offline(&mut app).await;
    app.shot("today-empty").await;

    app.step("figures before the visit");
    let appeals_empty = figure(&mut app, "appeals").await;
    app.ensure(
        appeals_empty == "0",
        format!("a new device has no appeals, not {appeals_empty}"),
    )
    .await;
    app.shot("figures-empty").await;

    app.step("Today: start a visit");
    app.click("[data-test=tab-today]").await;
    app.click("[data-test=new-visit]").await;
    app.find("[data-test=visit]").await;
    app.shot("visit-new").await;
    pick_new_site(&mut app).await;
    app.shot("visit-site-created").await;

    app.step("visit: when, who was there, production, output");
    app.fill("visit-date", VISITED_AT).await;
    app.fill("attendees", "公司总经理、生产副总").await;
    app.fill("production-status", PRODUCTION).await;
    app.fill("monthly-output", "1200").await;

    fill_appeal(
        &mut app,
        1,
        "environment",
        GREENING,
        GREENING_ACTION,
        PLANNING_CENTRE,
        GREENING_DEADLINE,
    )
    .await;
    fill_appeal(
        &mut app,
        2,
        "utilities",
        POWER,
        POWER_ACTION,
        POWER_SUPPLY,
        POWER_DEADLINE,
    )
    .await;
    app.shot("visit-two-appeals").await;

    app.step("visit: finish and read the summary back");
    app.click("[data-test=finish-visit]").await;
    let summary = app
        .wait_text("[data-test=visit-summary]", "the site", |t| {
            t.contains(SITE)
        })
        .await;
    for appeal in [GREENING, POWER] {
        app.ensure(
            summary.contains(appeal),
            format!("the summary names {appeal}"),
        )
        .await;
    }
    app.shot("visit-summary").await;

    app.step("visit: the enterprise's representative signs the minutes with a finger");
    app.draw(
        "[data-test=signature-canvas]",
        &[
            (-180.0, 10.0),
            (-120.0, -30.0),
            (-60.0, 20.0),
            (0.0, -25.0),
            (70.0, 15.0),
            (150.0, -10.0),
        ],
    )
    .await;
    app.draw(
        "[data-test=signature-canvas]",
        &[(-100.0, 30.0), (120.0, 30.0)],
    )
    .await;
    // Counted by script: a stroke drawn straight across is a line no one calls "displayed".
    let strokes = app
        .script("return document.querySelectorAll('[data-test=signature-canvas] polyline').length")
        .await;
    app.ensure(
        strokes == 2,
        format!("two strokes on the pad, not {strokes}"),
    )
    .await;
    app.fill("signer", "王总").await;
    app.click("[data-test=signature-confirm]").await;
    app.wait_text("[data-test=signature-signed]", "the signature kept", |t| {
        t.contains("王总 已签字")
    })
    .await;
    app.shot("visit-signed").await;

    app.step("visit: the minutes, previewed as they will print");
    app.click("[data-test=print-minutes]").await;
    app.find("[data-test=print-preview]").await;
    app.shot("minutes-preview").await;
    let text = print_page(&app, "minutes").await;
    for want in [
        "走访纪要",
        SITE,
        GREENING,
        PLANNING_CENTRE,
        "企业代表（签字）王总",
    ] {
        app.ensure(
            text.contains(want),
            format!("the printed minutes say {want}; they say: {text}"),
        )
        .await;
    }
    app.click("[data-test=print-close]").await;
    app.click("[data-test=summary-close]").await;
    app.find("[data-test=today]").await;
    app.shot("today-after-visit").await;

    app.step("Today: the page for planning a session");
    app.click("[data-test=plan-session]").await;
    app.find("[data-test=session]").await;
    app.shot("session").await;

    app.step("ledger: both appeals are there");
    app.click("[data-test=tab-ledger]").await;
    app.find("[data-test=ledger]").await;
    app.with_text("[data-test=appeal]", GREENING).await;
    app.with_text("[data-test=appeal]", POWER).await;
    app.shot("ledger").await;

    app.step("figures after the visit");
    let appeals = figure(&mut app, "appeals").await;
    let resolved_before = figure(&mut app, "resolved").await;
    app.ensure(
        appeals == "2" && resolved_before == "0",
        format!("2 appeals, 0 resolved; shown: {appeals}, {resolved_before}"),
    )
    .await;

    app.step("ledger: a progress note, then resolve the greening appeal");
    app.click("[data-test=tab-ledger]").await;
    app.click_text("[data-test=appeal]", GREENING).await;
    app.find("[data-test=appeal-detail]").await;
    app.click("[data-test=act-start]").await;
    app.wait_text("[data-test=appeal-detail]", "办理中", |t| {
        t.contains("办理中")
    })
    .await;
    app.fill("note", "绿化方案初稿已完成，正在征求企业意见")
        .await;
    app.click("[data-test=save-note]").await;
    app.wait_text(
        "[data-test=appeal-detail]",
        "the note in the timeline",
        |t| t.contains("绿化方案初稿已完成"),
    )
    .await;
    app.shot("appeal-progress").await;
    app.click("[data-test=act-resolve]").await;
    app.wait_text("[data-test=appeal-detail]", "已办结", |t| {
        t.contains("已办结")
    })
    .await;
    app.shot("appeal-resolved").await;

    app.step("figures after the resolve");
    app.click(".van-popup__close-icon").await;
    let resolved = figure(&mut app, "resolved").await;
    app.ensure(
        resolved == "1",
        format!("1 appeal resolved; shown: {resolved}"),
    )
    .await;
    app.shot("figures-after-resolve").await;

    app.step("figures: the month's report, previewed and printed");
    app.click("[data-test=print-report]").await;
    app.find("[data-test=print-preview]").await;
    app.shot("report-preview").await;
    let text = print_page(&app, "month-report").await;
    for want in [
        "工作月报",
        "诉求总数",
        "按诉求类别",
        "逾期未办结",
        PLANNING_CENTRE,
    ] {
        app.ensure(
            text.contains(want),
            format!("the printed report says {want}; it says: {text}"),
        )
        .await;
    }
    app.click("[data-test=print-close]").await;

    app.step("sites: the new enterprise, found by its pinyin initials, with its history");
    app.click("[data-test=tab-sites]").await;
    app.find("[data-test=sites]").await;
    app.with_text("[data-test=site-row]", SITE).await;
    app.shot("sites").await;
    app.fill("sites-search", "hbsn").await;
    app.click_text("[data-test=site-row]", SITE).await;
    app.wait_text("[data-test=site-history]", "both appeals", |t| {
        t.contains(GREENING) && t.contains(POWER)
    })
    .await;
    app.shot("site-history").await;
    app.click(".van-popup__close-icon").await;

    app.step("sync: records are waiting to be sent");
    app.click("[data-test=tab-sync]").await;
    app.find("[data-test=sync]").await;
    let waiting = app.text(PENDING).await;
    app.ensure(
        waiting.trim().parse::<u32>().is_ok_and(|n| n > 0),
        format!("the visit waits to be sent; pending shown: {waiting:?}"),
    )
    .await;
    let badge = app.text("[data-test=sync-badge]").await;
    app.ensure(
        badge.contains(&format!("{} 条待上传", waiting.trim())),
        format!("the badge shows what waits ({waiting}), but says {badge:?}"),
    )
    .await;
    app.shot("sync-offline").await;

    app.step("sync: sign in to a local office server");
    let (_db, server) = empty_server();
    sign_in_to(&mut app, &server.url).await;
    app.wait_text(PENDING, "nothing left to send", |t| t.trim() == "0")
        .await;
    app.shot("sync-up-to-date").await;

    app.step("a second device (the desk CLI) receives both appeals");
    let office = cli_device(&server.url);
    office.run(&["sync"]).ok();
    let list: Value = office.run(&["appeal", "list", "--json"]).ok().json();
    let status_of = |description: &str| {
        let appeals = list.as_array().expect("a list of appeals");
        let found = appeals.iter().find(|a| a["description"] == description);
        found.unwrap_or_else(|| panic!("the office holds {description}: {list}"))["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status_of(GREENING), "resolved", "the resolve travelled too");
    assert_eq!(status_of(POWER), "dispatched", "dispatched at the visit");
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    app.quit().await;
    let left = visit_drafts(data.path());
    assert!(
        left.is_empty(),
        "a finished visit leaves no draft: {left:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs Xvfb, tauri-driver and WebKitWebDriver; `cargo xtask test` runs it"]
async fn a_visit_receipt_finished_offline_opens_on_the_enterprises_phone() {
    let display = Display::start();
    let data = tempfile::tempdir().expect("temp dir");
    let (_db, server) = empty_server();
    // The tablet reaches the office through a link the test takes down and brings back.
    let link = desk_testbed::link::Proxy::start(&server.url).await;
    let mut app = App::launch(&display, data.path()).await;
    start_offline(&mut app).await;

    app.step("sync: sign in to the office server");
    sign_in_to(&mut app, &link.url).await;

    app.step("offline at the gate: a visit with one appeal, finished");
    link.set_down(true);
    app.click("[data-test=tab-today]").await;
    app.click("[data-test=new-visit]").await;
    app.find("[data-test=visit]").await;
    pick_new_site(&mut app).await;
    app.fill("visit-date", VISITED_AT).await;
    fill_appeal(
        &mut app,
        1,
        "environment",
        GREENING,
        GREENING_ACTION,
        PLANNING_CENTRE,
        GREENING_DEADLINE,
    )
    .await;
    app.click("[data-test=finish-visit]").await;
    app.find("[data-test=receipt-qr] svg").await;
    let shot = app.shot("visit-receipt").await;

    app.step("the receipt's QR code, read from the screen as a phone reads it");
    let zbar = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&shot)
        .output()
        .expect("zbarimg (zbar-tools) reads the screenshot");
    let decoded = String::from_utf8_lossy(&zbar.stdout).trim().to_owned();
    let token = decoded
        .strip_prefix(&format!("{}/portal/r/", link.url))
        .unwrap_or_else(|| panic!("a receipt link to the tablet's server, decoded: {decoded:?}"))
        .to_owned();
    app.ensure(
        desk_core::receipt::well_formed(&token),
        format!("a 256-bit token: {token}"),
    )
    .await;
    // The phone is on the office's network; the tablet's link is what is down.
    crate::portal::on_phone("receipt.mjs", &[&server.url, &token], &["before"]).await;

    app.step("back online: the tablet syncs; the office resolves the appeal");
    link.set_down(false);
    app.click("[data-test=summary-close]").await;
    app.click("[data-test=tab-sync]").await;
    app.click("[data-test=sync-now]").await;
    app.wait_text(PENDING, "nothing left to send", |t| t.trim() == "0")
        .await;
    let office = cli_device(&server.url);
    office.run(&["sync"]).ok();
    let list: Value = office.run(&["appeal", "list", "--json"]).ok().json();
    let greening = list
        .as_array()
        .and_then(|l| l.iter().find(|a| a["description"] == GREENING))
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("the office holds the appeal: {list}"))
        .to_owned();
    office
        .run(&["appeal", "resolve", &greening, "--note", "绿化方案已交付"])
        .ok();
    office.run(&["sync"]).ok();

    app.step("the enterprise's phone: the appeal resolved, rated there");
    crate::portal::on_phone("receipt.mjs", &[&server.url, &token], &["after"]).await;
    office.run(&["sync"]).ok();
    let list: Value = office.run(&["appeal", "list", "--json"]).ok().json();
    let rated = list
        .as_array()
        .and_then(|l| l.iter().find(|a| a["id"] == greening.as_str()))
        .map(|a| (a["status"].clone(), a["satisfaction"].clone()));
    assert_eq!(
        rated,
        Some((Value::from("confirmed"), Value::from(4))),
        "the enterprise's rating reaches the office"
    );
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs Xvfb, tauri-driver and WebKitWebDriver; `cargo xtask test` runs it"]
async fn an_administrator_adds_an_officer_who_signs_in_and_whose_tablet_is_then_revoked() {
    let display = Display::start();
    let (office_dir, field_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_db, server) = empty_server();

    app_step_admin_creates_officer(&display, office_dir.path(), &server.url).await;

    // The officer's first launch, on their own tablet.
    let mut tablet = App::launch(&display, field_dir.path()).await;
    start_offline(&mut tablet).await;
    tablet.step("the new officer signs in on their tablet");
    sign_in_as(
        &mut tablet,
        &server.url,
        "li",
        "园区巡查 2026",
        "李干部的平板",
    )
    .await;
    tablet.shot("admin-officer-signed-in").await;
    tablet.quit().await;

    // Back at the office: the tablet is lost; the administrator revokes it.
    let mut office = App::launch(&display, office_dir.path()).await;
    office.step("admin: the officer's tablet revoked");
    office.click("[data-test=tab-sync]").await;
    office.click("[data-test=open-admin]").await;
    office.with_text("[data-test=device]", "李干部的平板").await;
    office
        .click(
            "//*[@data-test='device'][contains(., '李干部的平板')]//*[@data-test='device-revoke']",
        )
        .await;
    office
        .find(
            "//*[@data-test='device'][contains(., '李干部的平板')]//*[@data-test='device-revoked']",
        )
        .await;
    office.shot("admin-device-revoked").await;
    office.quit().await;

    // The revoked tablet's token no longer opens anything.
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(field_dir.path().join("credentials.json")).unwrap(),
    )
    .unwrap();
    let (status, _) = crate::server_harness::raw(
        &server.url,
        reqwest::Method::GET,
        "/v1/pull?cursor=0",
        creds["token"].as_str(),
        None,
    )
    .await;
    assert_eq!(status, 401, "a revoked tablet is refused");
}

/// The administrator, signed in on the office's desktop, adds an officer for a park.
async fn app_step_admin_creates_officer(display: &Display, dir: &std::path::Path, url: &str) {
    let mut office = App::launch(display, dir).await;
    start_offline(&mut office).await;
    office.step("sync: the administrator signs in");
    sign_in_to(&mut office, url).await;
    office.step("admin: accounts and devices");
    office.click("[data-test=open-admin]").await;
    office.wait_count("[data-test=account]", 1).await;
    office.shot("admin-accounts").await;
    office.step("admin: a park, and a key for the hotline");
    office.fill("place-park", "新材料产业园").await;
    office.click("[data-test=place-park-add]").await;
    office
        .wait_text("[data-test=park-list]", "the new park, synced", |t| {
            t.contains("新材料产业园")
        })
        .await;
    office.fill("api-key-name", "12345热线").await;
    office.click("[data-test=api-key-issue]").await;
    let key = office.text("[data-test=api-key-value]").await;
    office
        .ensure(key.trim().len() >= 32, format!("a key shown once: {key:?}"))
        .await;
    office.shot("admin-key-issued").await;
    office
        .click("[data-test=api-key-issued] .van-dialog__confirm")
        .await;
    office.wait_gone("[data-test=api-key-issued]").await;
    office.step("admin: a new officer for the park");
    office.click("[data-test=account-new]").await;
    office.fill("account-name", "li").await;
    office.fill("account-display-name", "李干部").await;
    office.fill("account-password", "园区巡查 2026").await;
    // Saved without a park first: the sheet says an officer needs one.
    office.click("[data-test=account-save]").await;
    office
        .wait_text("[data-test=account-sheet]", "the park is asked for", |t| {
            t.contains("园区干部须至少负责一个园区")
        })
        .await;
    office.shot("admin-officer-needs-park").await;
    office.click("[data-test='park-新材料产业园']").await;
    office.click("[data-test=account-save]").await;
    office.wait_count("[data-test=account]", 2).await;
    office
        .wait_text("[data-test=admin]", "the officer listed", |t| {
            t.contains("李干部（li）") && t.contains("园区干部 · 新材料产业园")
        })
        .await;
    office.shot("admin-officer-created").await;
    office.quit().await;
}

/// The visit drafts saved in the app's store, read beside the running app (read-only).
fn visit_drafts(data_dir: &std::path::Path) -> Vec<String> {
    let Ok(db) = desk_store::Store::peek(data_dir) else {
        return Vec::new();
    };
    db.prepare("SELECT body FROM drafts WHERE kind = 'visit'")
        .and_then(|mut q| {
            q.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .unwrap_or_default()
}

/// Whether a visit draft on disk holds every text: the app saves as the official types, and
/// the kill must come after the save, not race it.
fn draft_holds(data_dir: &std::path::Path, texts: &[&str]) -> bool {
    visit_drafts(data_dir)
        .iter()
        .any(|b| texts.iter().all(|t| b.contains(t)))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs Xvfb, tauri-driver and WebKitWebDriver; `cargo xtask test` runs it"]
async fn a_visit_being_typed_survives_the_app_being_killed() {
    let display = Display::start();
    let data = tempfile::tempdir().expect("temp dir");
    let mut app = App::launch(&display, data.path()).await;
    start_offline(&mut app).await;

    app.step("capture a visit, part of the way");
    app.click("[data-test=new-visit]").await;
    app.find("[data-test=visit]").await;
    pick_new_site(&mut app).await;
    app.fill("attendees", "公司总经理").await;
    app.fill("production-status", PRODUCTION).await;
    app.click("[data-test=add-appeal]").await;
    let card = &nth("appeal-card", 1);
    app.click(&within(card, "category-environment")).await;
    app.fill_in(card, "appeal-description", GREENING).await;
    app.fill_in(card, "resolution-action", GREENING_ACTION)
        .await;
    app.shot("crash-before-kill").await;

    app.step("wait until the draft is saved, then kill the app");
    let typed = ["公司总经理", PRODUCTION, GREENING, GREENING_ACTION];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !draft_holds(data.path(), &typed) {
        assert!(
            std::time::Instant::now() < deadline,
            "the visit draft never held everything typed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.kill_app();

    let mut app = App::launch(&display, data.path()).await;
    app.step("relaunched on the same data: everything typed is there");
    // The app may reopen the unfinished visit by itself; else Today offers to resume it.
    app.find("[data-test=today], [data-test=visit]").await;
    if !app.exists("[data-test=visit]").await {
        app.click("[data-test=resume-visit]").await;
    }
    app.find("[data-test=visit]").await;
    app.wait_text("[data-test=site-picked]", "the site", |t| t.contains(SITE))
        .await;
    for (scope, field, typed) in [
        ("", "attendees", "公司总经理"),
        ("", "production-status", PRODUCTION),
        (card.as_str(), "appeal-description", GREENING),
        (card.as_str(), "resolution-action", GREENING_ACTION),
    ] {
        let shown = app.value_in(scope, field).await;
        app.ensure(
            shown == typed,
            format!("`{field}` holds {typed:?} again, not {shown:?}"),
        )
        .await;
    }
    let chip = app.find(&within(card, "category-environment")).await;
    let chosen = chip.attr("class").await.ok().flatten().unwrap_or_default();
    app.ensure(
        chosen.contains("van-button--primary"),
        "the category chosen before the kill is still chosen",
    )
    .await;
    app.shot("crash-after-relaunch").await;
    app.quit().await;
}

/// The appeal the office looks for in a long ledger: raised first (June 2024, before the demo
/// session), so last when the newest come first, and due first.
const SEWAGE: &str = "排污许可证延续办理进度慢，影响二期投产";

/// A device that has worked a while: the demo session, then `n` appeals more over 60 days,
/// dispatched with deadlines around today (so some are late and some due soon), and the one
/// the office will look for.
fn long_ledger(dir: &std::path::Path, n: usize) {
    use chrono::{Duration, Utc};
    use desk_core::appeal::Action;
    use desk_core::model::*;
    let mut store = desk_store::Store::open_dir(dir).expect("open the store");
    store.load_demo().expect("load the demo");
    let site_id = store
        .resolve(desk_core::Entity::Site, SITE)
        .unwrap()
        .expect("the demo site");
    let department_id = store
        .resolve(desk_core::Entity::Department, PLANNING_CENTRE)
        .unwrap()
        .expect("the demo department");
    let today = desk_core::time::local_date(Utc::now());
    store
        .write(|w| {
            for i in 0..=n {
                let (description, raised, deadline) = if i == 0 {
                    let raised = "2024-06-03T02:00:00Z".parse().unwrap();
                    (SEWAGE.to_owned(), raised, "2024-07-01".parse().unwrap())
                } else {
                    let raised =
                        Utc::now() - Duration::days(60) + Duration::minutes(i as i64 * 600);
                    let due = today + Duration::days((i % 40) as i64 - 10);
                    (
                        format!("第{i}件：园区道路照明不足，夜间通行存在安全隐患，请予协调解决"),
                        raised,
                        due.max(raised.date_naive()),
                    )
                };
                let appeal = w.create(Appeal {
                    urgency: if i % 7 == 0 {
                        Urgency::Urgent
                    } else {
                        Urgency::Normal
                    },
                    ..Appeal::raised(site_id, raised, Category::Infrastructure, description)
                })?;
                w.act_on_appeal(
                    appeal.id,
                    Action::Dispatch { department_id },
                    "办公室",
                    None,
                )?;
                w.act_on_appeal(
                    appeal.id,
                    Action::Extend {
                        deadline,
                        reason: "按承诺时限".into(),
                    },
                    "办公室",
                    None,
                )?;
            }
            // Three enterprises, one problem in their own words: the deliberation desk's.
            for (name, text) in POWER_PRICE {
                let site = w.create(Site::enterprise(name))?;
                w.create(Appeal {
                    deadline: Some(today + Duration::days(30)),
                    ..Appeal::raised(
                        site.id,
                        Utc::now() - Duration::days(90),
                        Category::Utilities,
                        text,
                    )
                })?;
            }
            Ok(())
        })
        .expect("write the ledger");
}

const POWER_PRICE: [(&str, &str); 3] = [
    (
        "随州恒达机械有限公司",
        "园区工业用电价格偏高，每度电比周边园区贵一毛多，生产成本压力大，希望协调降低电价。",
    ),
    (
        "湖北楚风食品有限公司",
        "我们企业用电成本高，电价比周边园区高，希望管委会协调降低工业电价。",
    ),
    (
        "随州宏泰包装有限公司",
        "工业电价偏高，企业用电成本压力很大，每月电费占成本近两成。",
    ),
];

#[tokio::test(flavor = "multi_thread")]
#[ignore = "end-to-end: needs Xvfb, tauri-driver and WebKitWebDriver; `cargo xtask test` runs it"]
async fn the_office_works_a_long_ledger_at_its_desk() {
    use calamine::{Reader, Xlsx};
    let display = Display::start();
    let data = tempfile::tempdir().expect("temp dir");
    long_ledger(data.path(), 120);
    let mut app = App::launch(&display, data.path()).await;
    start_offline(&mut app).await;

    app.step("Today: what needs attention");
    let counts = app.text("[data-test=attention-counts]").await;
    app.ensure(
        counts.contains("逾期未办结") && !counts.contains("逾期未办结 0 件"),
        format!("late appeals are counted on Today: {counts:?}"),
    )
    .await;
    app.shot("today-attention").await;
    let badge = app.text("[data-test=tab-ledger] .van-badge").await;
    app.ensure(
        badge.trim().parse::<u32>().is_ok_and(|n| n > 0),
        format!("the ledger's tab counts what needs attention: {badge:?}"),
    )
    .await;

    app.step("Today: an enterprise's order (点单), dispatched to its first window (派单)");
    app.with_text("[data-test=order]", "二期厂房消防验收").await;
    app.shot("today-orders").await;
    app.click("[data-test=dispatch-1]").await;
    app.with_text("[data-test=session-card]", "2024-11-05")
        .await;
    app.wait_gone("[data-test=order]").await;
    app.shot("today-order-dispatched").await;

    app.step("ledger: the desk's table, newest first, paged to the appeal raised first");
    app.click("[data-test=tab-ledger]").await;
    app.find("[data-test=ledger-table]").await;
    let total = app.text("[data-test=ledger-total]").await;
    app.ensure(
        total.contains("共 126 件"),
        format!("126 appeals: {total:?}"),
    )
    .await;
    app.shot("ledger-table").await;
    for page in 2..=3 {
        app.click("[data-test=page-next]").await;
        app.wait_text("[data-test=page-number]", "the next page", |t| {
            t.contains(&format!("第 {page} 页"))
        })
        .await;
    }
    app.with_text("[data-test=appeal]", SEWAGE).await;
    app.shot("ledger-last-page").await;

    app.step("ledger: sorted by deadline, the appeal due first leads the table");
    app.click("[data-test=sort-deadline]").await;
    app.wait_text("[data-test=appeal]", "the earliest deadline first", |t| {
        t.contains(SEWAGE)
    })
    .await;
    app.shot("ledger-by-deadline").await;

    app.step("ledger: extend its deadline by 5 working days");
    app.click_text("[data-test=appeal]", SEWAGE).await;
    app.find("[data-test=appeal-detail]").await;
    app.click("[data-test=act-extend]").await;
    app.click("[data-test=extend-5]").await;
    let zone_today = desk_core::time::local_date(chrono::Utc::now());
    let due = desk_core::calendar::Calendar::built_in().add_working_days(zone_today, 5);
    app.wait_value("", "deadline", |v| v == due.date.to_string())
        .await;
    app.fill("reason", "企业补充材料，按5个工作日办结").await;
    app.shot("ledger-extend").await;
    app.click("[data-test=act-submit]").await;
    app.wait_text("[data-test=appeal-detail]", "the new deadline", |t| {
        t.contains(&due.date.to_string())
    })
    .await;
    app.click(".van-popup__close-icon").await;

    app.step("ledger: export what is shown as XLSX");
    app.click("[data-test=export-open]").await;
    app.find("[data-test=export-dialog]").await;
    app.shot("export-dialog").await;
    app.click("[data-test=export-save]").await;
    let done = app
        .wait_text("[data-test=export-done]", "the export written", |t| {
            t.contains("已导出 126 件")
        })
        .await;
    app.shot("export-done").await;
    let path = done
        .split("件到 ")
        .nth(1)
        .map(str::trim)
        .expect("the path")
        .to_owned();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).expect("open the export");
    let sheet = book.worksheet_range("台账").expect("the ledger sheet");
    app.ensure(
        sheet.height() == 127,
        format!("a header and 126 rows, not {}", sheet.height()),
    )
    .await;
    // Sorted by deadline as shown: the extended appeal has moved down; the first row is late.
    let first_days = sheet
        .get_value((1, 9))
        .map(|v| v.to_string())
        .unwrap_or_default();
    app.ensure(
        first_days.starts_with("逾期"),
        format!("the first row is overdue: {first_days:?}"),
    )
    .await;

    // With the demo's own "生产用电价格偏高", four enterprises raised it.
    app.step("the deliberation desk: four enterprises' appeals about the price of power");
    app.click("[data-test=export-close]").await;
    app.click("[data-test=policy-open]").await;
    app.wait_text(
        "[data-test=policy-suggestion]",
        "the suggested group",
        |t| t.contains("4 家企业反映同类问题"),
    )
    .await;
    app.shot("policy-suggestions").await;
    app.click("[data-test=policy-take-up-0]").await;
    app.find("[data-test=policy-title]").await;
    app.click("[data-test=policy-take-up-dialog] .van-dialog__confirm")
        .await;
    app.wait_text(
        "[data-test=policy-issue]",
        "the policy issue taken up",
        |t| t.contains("4 件诉求 · 4 家企业"),
    )
    .await;
    app.shot("policy-issue").await;
    app.quit().await;
}
