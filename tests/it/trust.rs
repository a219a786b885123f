//! A ledger the server can vouch for: each finding of the review that opened this work, as it
//! was found, against a real server on SQLite and on PostgreSQL (and real `desk` processes
//! with their clocks set wrong by `faketime` where the device's clock is the point).

use std::collections::BTreeSet;
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::protocol::*;
use desk_core::Entity;
use desk_server::admin;
use desk_server::scope::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{binary, with_stdin, Device};
use crate::server_harness::*;

fn one(r: &PushResponse) -> (&str, Option<&str>, &str) {
    let x = &r.results[0];
    (
        x.code.as_deref().unwrap_or(match x.status {
            PushStatus::Accepted => "accepted",
            PushStatus::Duplicate => "duplicate",
            PushStatus::Rejected => "rejected",
        }),
        x.field.as_deref(),
        x.reason.as_deref().unwrap_or_default(),
    )
}

/// The leader registers a site in park 1 and an appeal there, dispatched to department 1.
async fn dispatched_appeal(url: &str, zone: &Zone) -> (Tablet, Uuid, Uuid) {
    let leader = Tablet::sign_in(url, "leader").await;
    leader.sync().await;
    let s = leader.write(|w| w.create(site("湖北斯诺新材料有限公司", Some(zone.park1))));
    let a = leader.write(|w| w.create(appeal_at(s.id, Utc::now())));
    leader.write(|w| {
        w.act_on_appeal(
            a.id,
            Action::Dispatch {
                department_id: zone.dept1,
            },
            "领导",
            None,
        )
    });
    let report = leader.sync().await;
    assert_eq!(report.rejected, 0, "{report:?}");
    (leader, s.id, a.id)
}

/// Finding 1: a department pushed, for its own appeal, `status: confirmed` straight from dispatched,
/// a `resolved_at` before the appeal was raised, and an entry whose author was the zone's
/// party secretary. All were accepted, and the zone's rates moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_outcomes_are_refused_and_authorship_is_the_servers() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let (leader, _, appeal_id) = dispatched_appeal(&s.url, &zone).await;
        let dept = Client::login(&s.url, "dept1").await;
        let figures = |c: Client| async move { c.get("/v1/stats").await.1 };
        let before = figures(leader.client.clone()).await;
        let node = Uuid::now_v7();

        let r = dept
            .push(&[op(
                Entity::Appeal,
                appeal_id,
                json!({"status": "confirmed"}),
                node,
            )])
            .await;
        assert_eq!(one(&r).0, "derived_field", "{backend:?} {r:?}");
        assert!(one(&r).2.contains("办理操作"), "{r:?}");
        let r = dept
            .push(&[op(
                Entity::Appeal,
                appeal_id,
                json!({"resolved_at": "2024-01-01T00:00:00Z", "satisfaction": 5}),
                node,
            )])
            .await;
        assert_eq!(one(&r).0, "derived_field", "{r:?}");

        // Confirming is the office's (with the enterprise's rating), and only once resolved.
        let mut confirm = Progress::note(appeal_id, Utc::now(), "党工委书记、管委会主任", "满意");
        Action::Confirm {
            satisfaction: 5,
            follow_up: None,
        }
        .record_in(&mut confirm);
        confirm.from_status = Some(AppealStatus::Resolved);
        confirm.to_status = Some(AppealStatus::Confirmed);
        let r = dept
            .push(&[op(
                Entity::Progress,
                confirm.id,
                Value::Object(confirm.to_fields()),
                node,
            )])
            .await;
        assert_eq!(one(&r).0, "illegal_transition", "{r:?}");
        assert_eq!(
            figures(leader.client.clone()).await,
            before,
            "nothing moved"
        );

        // A note signed as someone else is written by whoever pushed it, at a time that does
        // not precede the appeal.
        let forged = Progress::note(
            appeal_id,
            "2024-01-01T00:00:00Z".parse().unwrap(),
            "党工委书记、管委会主任",
            "已协调解决",
        );
        let r = dept
            .push(&[op(
                Entity::Progress,
                forged.id,
                Value::Object(forged.to_fields()),
                node,
            )])
            .await;
        assert_eq!(one(&r).0, "accepted", "{r:?}");
        let amended = r.results[0].amended.clone().unwrap();
        assert_eq!(amended["author"], dept.user.display_name);
        assert_eq!(amended["device_id"], dept.device_id.to_string());
        assert_eq!(amended["position"], 2, "after the dispatch");
        let (_, entry) = leader
            .client
            .get(&format!("/v1/records/progress/{}", forged.id))
            .await;
        assert_eq!(entry["fields"]["author"], dept.user.display_name);
        let at: DateTime<Utc> = entry["fields"]["at"].as_str().unwrap().parse().unwrap();
        assert!(at > Utc::now() - Duration::minutes(5), "{at}");
        assert_eq!(figures(leader.client.clone()).await, before);

        // What a department may do, it does, and the server moves the appeal.
        let mut resolve = Progress::note(appeal_id, Utc::now(), "x", "已供应绿电");
        Action::Resolve.record_in(&mut resolve);
        let r = dept
            .push(&[op(
                Entity::Progress,
                resolve.id,
                Value::Object(resolve.to_fields()),
                node,
            )])
            .await;
        assert_eq!(one(&r).0, "accepted", "{r:?}");
        let (_, a) = leader
            .client
            .get(&format!("/v1/records/appeal/{appeal_id}"))
            .await;
        assert_eq!(a["fields"]["status"], "resolved");
        let after = figures(leader.client.clone()).await;
        assert_eq!(after["appeals_resolved"], 1, "{after}");
        s.stop().await;
    }
}

/// Finding 2: a device whose clock ran three days ahead made one appeal; after the clock was set
/// right, every later push from it was refused for days.
#[test]
fn one_skewed_write_does_not_poison_a_device() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        let zone = seed(&db.url);
        let server = start_server(&db.url);
        let _ = zone;
        let d = Device::new();
        // Offline, never signed in (so no park known yet), three days ahead.
        let ahead = |args: &[&str]| {
            let out = Command::new("faketime")
                .args(["-f", "+3d"])
                .arg(binary("desk"))
                .arg("--data-dir")
                .arg(d.dir.path())
                .args(args)
                .output()
                .expect("faketime (Debian's package faketime)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        };
        let site = ahead(&["--json", "site", "add", "--name", "随创贸易"]);
        let site_id = site["id"].as_str().unwrap().to_owned();
        let first = ahead(&[
            "--json",
            "appeal",
            "add",
            "--site",
            &site_id,
            "--description",
            "物流园道路破损",
        ]);
        let raised: DateTime<Utc> = first["raised_at"].as_str().unwrap().parse().unwrap();
        assert!(
            raised > Utc::now() + Duration::days(2),
            "the clock was wrong then"
        );
        // The clock is set right; the device goes on working, then signs in and syncs.
        let second = d
            .run(&[
                "--json",
                "appeal",
                "add",
                "--site",
                &site_id,
                "--description",
                "用工招聘困难",
            ])
            .ok()
            .json();
        login(&d, &server.url, "officer1");
        let out = d.run(&["sync"]).ok();
        assert!(
            out.stdout.contains("本设备时间有误") || out.stderr.contains("本设备时间有误"),
            "the user is told: {} {}",
            out.stdout,
            out.stderr
        );
        let status = d.run(&["status", "--json"]).ok().json();
        assert_eq!(status["pending"], 0, "{status}");
        assert_eq!(status["rejections"], 0, "{status}");
        assert!(
            status["clock_offset_ms"].as_i64().unwrap().abs() < 60_000,
            "{status}"
        );
        let ahead_ms = status["clock_correction"]["ahead_ms"].as_i64().unwrap();
        assert!(ahead_ms > 2 * 86_400_000, "{status}");
        // Both appeals are on the server, the first at the time it was really written.
        let other = Device::new();
        login(&other, &server.url, "leader");
        other.run(&["sync"]).ok();
        let list = other.run(&["appeal", "list", "--json"]).ok().json();
        let raised_of = |id: &Value| -> DateTime<Utc> {
            list.as_array()
                .unwrap()
                .iter()
                .find(|a| a["id"] == *id)
                .unwrap_or_else(|| panic!("{id} not on the server: {list}"))["raised_at"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        let truthful = raised_of(&first["id"]);
        assert!(
            (truthful - Utc::now()).num_minutes().abs() < 10,
            "{backend:?}: {truthful}"
        );
        assert!((raised_of(&second["id"]) - Utc::now()).num_minutes().abs() < 10);
        // The device writes on, stamped right.
        d.run(&[
            "appeal",
            "add",
            "--site",
            &site_id,
            "--description",
            "第三件诉求",
        ])
        .ok();
        d.run(&["sync"]).ok();
        assert_eq!(d.run(&["status", "--json"]).ok().json()["rejections"], 0);
        drop(server);
    }
}

/// The server still refuses one stamp in its future, alone, with its own reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stamp_in_the_future_is_refused_alone() {
    let s = Server::start(&backends()[0]).await;
    let zone = seed(&s.db.url);
    let officer = Client::login(&s.url, "officer1").await;
    let node = Uuid::now_v7();
    let mut future = op(
        Entity::Site,
        Uuid::now_v7(),
        json!({"kind": "enterprise", "name": "未来企业", "credit_code": null, "park_id": zone.park1,
               "address": null, "industry": null, "contact": null, "phone": null, "void_reason": null}),
        node,
    );
    future.hlc.wall_ms += 3 * 86_400_000;
    let mut now = future.clone();
    now.id = Uuid::now_v7();
    now.record_id = Uuid::now_v7();
    now.hlc.wall_ms = Utc::now().timestamp_millis() as u64;
    now.fields.insert("name".into(), json!("现在的企业"));
    let r = officer.push(&[future, now]).await;
    assert_eq!(r.results[0].code.as_deref(), Some("clock_ahead"));
    assert!(r.results[0].reason.as_ref().unwrap().contains("4320 分钟"));
    assert_eq!(r.results[1].status, PushStatus::Accepted, "{r:?}");
    s.stop().await;
}

/// Finding 3: a device that synced while three days ahead learnt an offset of minus three days; once
/// its clock was set right, what it recorded offline was dated three days back.
#[test]
fn records_made_after_a_clock_fix_keep_their_true_time() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        let zone = seed(&db.url);
        let server = start_server(&db.url);
        let d = Device::new();
        let skewed = |args: &[&str]| {
            let mut cmd = Command::new("faketime");
            cmd.args(["-f", "+3d"])
                .arg(binary("desk"))
                .arg("--data-dir")
                .arg(d.dir.path())
                .args(args);
            cmd
        };
        let out = with_stdin(
            skewed(&[
                "login",
                "--server",
                &server.url,
                "--user",
                "officer1",
                "--password-stdin",
            ])
            .env_remove("DESK_DATA_DIR"),
            PASSWORD,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(skewed(&["sync"]).status().unwrap().success());
        // The clock is set right while the device is offline.
        drop(server);
        let park = zone.park1.to_string();
        let site = d
            .run(&[
                "--json",
                "site",
                "add",
                "--name",
                "湖北交投物流园",
                "--park",
                &park,
            ])
            .ok()
            .json();
        let a = d
            .run(&[
                "--json",
                "appeal",
                "add",
                "--site",
                site["id"].as_str().unwrap(),
                "--description",
                "园区道路照明不足",
            ])
            .ok()
            .json();
        let raised: DateTime<Utc> = a["raised_at"].as_str().unwrap().parse().unwrap();
        assert!(
            (raised - Utc::now()).num_minutes().abs() < 2,
            "{backend:?}: raised at {raised}, three days off"
        );
        let _server = start_server(&db.url);
    }
}

/// Finding 4: an appeal transferred from department X to Y, and a site moved from park A to B,
/// stayed on X's (A's) devices, showing X, and never changed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_that_leave_a_scope_leave_its_devices() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let db_url = s.db.url.clone();
        tokio::task::spawn_blocking(move || {
            let db = desk_server::db::Db::open(&db_url).unwrap();
            for (name, role, parks, depts) in [
                (
                    "dept2",
                    Role::Department,
                    vec![],
                    vec!["自然资源和规划中心".to_string()],
                ),
                ("officer2", Role::Officer, vec!["二园".to_string()], vec![]),
            ] {
                admin::create_user(
                    &db,
                    &admin::UserSpec {
                        name,
                        display_name: name,
                        role,
                        password: PASSWORD,
                        parks: &parks,
                        departments: &depts,
                    },
                )
                .unwrap();
            }
        })
        .await
        .unwrap();
        let (leader, site_id, appeal_id) = dispatched_appeal(&s.url, &zone).await;
        let x = Tablet::sign_in(&s.url, "dept1").await;
        let y = Tablet::sign_in(&s.url, "dept2").await;
        let park_a = Tablet::sign_in(&s.url, "officer1").await;
        x.sync().await;
        y.sync().await;
        park_a.sync().await;
        assert!(x.has::<Appeal>(appeal_id).is_some() && y.has::<Appeal>(appeal_id).is_none());
        assert!(park_a.has::<Site>(site_id).is_some());

        leader.write(|w| {
            w.act_on_appeal(
                appeal_id,
                Action::Transfer {
                    department_id: zone.dept2,
                    reason: "职责调整".into(),
                },
                "领导",
                None,
            )
        });
        leader.sync().await;
        x.sync().await;
        y.sync().await;
        assert!(x.has::<Appeal>(appeal_id).is_none(), "{backend:?}: left X");
        assert!(x.has::<Site>(site_id).is_none(), "and its site with it");
        let at_y: Appeal = y.has(appeal_id).expect("reached Y");
        assert_eq!(at_y.department_id, Some(zone.dept2));
        // Later changes reach Y.
        let later = at_y.deadline.unwrap() + Duration::days(10);
        leader.write(|w| {
            w.act_on_appeal(
                appeal_id,
                Action::Extend {
                    deadline: later,
                    reason: "等待供电公司批复".into(),
                },
                "领导",
                None,
            )
        });
        leader.sync().await;
        y.sync().await;
        assert_eq!(y.has::<Appeal>(appeal_id).unwrap().deadline, Some(later));

        // The site moves from park 1 to park 2: park 1's devices let go of it, park 2's take it.
        let park_b = Tablet::sign_in(&s.url, "officer2").await;
        park_b.sync().await;
        assert!(park_b.has::<Site>(site_id).is_none());
        leader.write(|w| w.update::<Site>(site_id, |s| s.park_id = Some(zone.park2)));
        leader.sync().await;
        park_a.sync().await;
        park_b.sync().await;
        assert!(
            park_a.has::<Site>(site_id).is_none(),
            "{backend:?}: left park 1"
        );
        assert!(park_a.has::<Appeal>(appeal_id).is_none());
        assert!(park_b.has::<Site>(site_id).is_some());
        leader.write(|w| w.update::<Site>(site_id, |s| s.phone = Some("0722-3300000".into())));
        leader.sync().await;
        park_b.sync().await;
        assert_eq!(
            park_b.has::<Site>(site_id).unwrap().phone.as_deref(),
            Some("0722-3300000")
        );
        // Every ledger each device holds is whole.
        for t in [&x, &y, &park_a, &park_b, &leader] {
            assert_eq!(t.engine.store().status().unwrap().ledger_broken, None);
        }
        s.stop().await;
    }
}

/// Finding 5: one hundred wrong passwords for one account, all at once, were all answered (about ten
/// guesses a second), as 401s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_password_guesses_are_counted_as_they_arrive() {
    for backend in backends() {
        let s = Server::start_with(&backend, |c| {
            c.login_attempts_per_account = 5;
            c.login_window_secs = 3;
        })
        .await;
        seed(&s.db.url);
        let mut guesses = tokio::task::JoinSet::new();
        for i in 0..100 {
            let url = s.url.clone();
            guesses.spawn(async move {
                let resp = reqwest::Client::new()
                    .post(format!("{url}/v1/login"))
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                    .json(&json!({"user": "officer1", "password": format!("guess{i}"), "device_name": "?"}))
                    .send()
                    .await
                    .unwrap();
                let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                (resp.status().as_u16(), retry, resp.json::<Value>().await.unwrap())
            });
        }
        let mut checked = 0;
        let mut throttled = 0;
        while let Some(r) = guesses.join_next().await {
            let (status, retry, body) = r.unwrap();
            match status {
                401 => checked += 1,
                429 => {
                    throttled += 1;
                    assert_eq!(body["code"], "too_many_attempts");
                    assert!(body["message"].as_str().unwrap().contains("秒后再试"));
                    let secs: u64 = retry.expect("Retry-After").parse().unwrap();
                    assert!((1..=4).contains(&secs), "{secs}");
                }
                other => panic!("{other} {body}"),
            }
        }
        assert_eq!((checked, throttled), (5, 95), "{backend:?}");
        // Right after, even the right password waits; after the wait it works.
        let early = Client::try_login(&s.url, "officer1", PASSWORD).await;
        assert_eq!(early.err().map(|(s, _)| s), Some(429));
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        Client::login(&s.url, "officer1").await;
        s.stop().await;
    }
}

/// Finding 6: an officer of park B voided a session the admin made, voided a site of no park, and
/// moved a park-less site into park B.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn officers_change_zone_wide_records_only_when_they_made_them() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        let session = leader.write(|w| {
            w.create(Session {
                id: Uuid::now_v7(),
                date: Utc::now().date_naive(),
                leader: "党工委书记".into(),
                participants: vec![],
                desk_types: vec![DeskType::Office],
                origin: Origin::Scheduled,
                status: SessionStatus::Planned,
                summary: None,
                void_reason: None,
            })
        });
        let parkless = leader.write(|w| w.create(site("新注册企业", None)));
        leader.sync().await;

        let officer = Tablet::sign_in(&s.url, "officer1").await;
        officer.sync().await;
        assert!(
            officer.has::<Session>(session.id).is_some(),
            "officers see zone-wide records"
        );
        officer.write(|w| w.void(Entity::Session, session.id, "重复"));
        officer.write(|w| w.void(Entity::Site, parkless.id, "重复"));
        let report = officer.sync().await;
        assert_eq!(report.rejected, 2, "{backend:?} {report:?}");
        let moved = officer
            .engine
            .store()
            .write(|w| w.update::<Site>(parkless.id, |s| s.park_id = Some(zone.park1)));
        assert!(moved.is_err() || officer.sync().await.rejected == 1);
        let refused = officer.engine.store().rejections().unwrap();
        assert!(refused.iter().all(|r| r.code == "forbidden"), "{refused:?}");
        assert!(refused[0].reason.contains("园区工作人员"), "{refused:?}");
        assert!(!refused[0].hint.is_empty());
        // Nothing changed on the server.
        let (_, s_now) = leader
            .client
            .get(&format!("/v1/records/session/{}", session.id))
            .await;
        assert_eq!(s_now["fields"]["void_reason"], Value::Null);
        let (_, site_now) = leader
            .client
            .get(&format!("/v1/records/site/{}", parkless.id))
            .await;
        assert_eq!(site_now["fields"]["park_id"], Value::Null);
        assert_eq!(site_now["fields"]["void_reason"], Value::Null);

        // What an officer made without a park stays theirs to change, and to move into a park.
        let own = officer.write(|w| w.create(site("官员登记的企业", None)));
        officer.write(|w| w.update::<Site>(own.id, |s| s.park_id = Some(zone.park1)));
        let before = officer.engine.store().status().unwrap().rejections;
        officer.sync().await;
        assert_eq!(officer.engine.store().status().unwrap().rejections, before);
        s.stop().await;
    }
}

/// Finding 7: a push to another park's appeal was validated before scope was checked, so the error
/// told the hidden `raised_at`; the error code told whether an id existed at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_out_of_scope_probe_learns_nothing() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        let hidden_site = leader.write(|w| w.create(site("二园企业", Some(zone.park2))));
        let raised: DateTime<Utc> = "2024-10-26T00:30:00Z".parse().unwrap();
        let hidden = leader.write(|w| w.create(appeal_at(hidden_site.id, raised)));
        leader.sync().await;

        let officer = Client::login(&s.url, "officer1").await;
        let node = Uuid::now_v7();
        let probe = |id| op(Entity::Appeal, id, json!({"deadline": "2020-01-01"}), node);
        let r = officer
            .push(&[probe(hidden.id), probe(Uuid::now_v7())])
            .await;
        let (a, b) = (&r.results[0], &r.results[1]);
        assert_eq!(
            a.code.as_deref(),
            Some("unknown_record"),
            "{backend:?} {r:?}"
        );
        assert_eq!(
            (&a.code, &a.field, &a.reason),
            (&b.code, &b.field, &b.reason)
        );
        assert!(!a.reason.as_ref().unwrap().contains("2024-10-26"));
        let (status_hidden, body_hidden) = officer
            .get(&format!("/v1/records/appeal/{}", hidden.id))
            .await;
        let (status_none, body_none) = officer
            .get(&format!("/v1/records/appeal/{}", Uuid::now_v7()))
            .await;
        assert_eq!((status_hidden, &body_hidden), (status_none, &body_none));
        assert_eq!(status_hidden, 404);
        // A reference to a hidden record is answered as one to a missing record.
        let mut note = Progress::note(hidden.id, Utc::now(), "x", "打听");
        note.id = Uuid::now_v7();
        let mut missing = Progress::note(Uuid::now_v7(), Utc::now(), "x", "打听");
        missing.id = Uuid::now_v7();
        let r = officer
            .push(&[
                op(
                    Entity::Progress,
                    note.id,
                    Value::Object(note.to_fields()),
                    node,
                ),
                op(
                    Entity::Progress,
                    missing.id,
                    Value::Object(missing.to_fields()),
                    node,
                ),
            ])
            .await;
        let strip = |x: &PushResult| {
            x.reason
                .as_ref()
                .unwrap()
                .replace(&hidden.id.to_string(), "ID")
                .replace(&missing.appeal_id.to_string(), "ID")
        };
        assert_eq!(r.results[0].code, r.results[1].code, "{r:?}");
        assert_eq!(strip(&r.results[0]), strip(&r.results[1]));
        s.stop().await;
    }
}

/// Finding 8: the API description did not match the API: undocumented 400s, and query parameters of
/// the wrong type accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_description_is_the_api() {
    let s = Server::start(&backends()[0]).await;
    seed(&s.db.url);
    let leader = Client::login(&s.url, "leader").await;
    let (_, doc) = leader.get("/v1/openapi.json").await;
    let documented = |path: &str, method: &str| -> BTreeSet<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
            .keys()
            .cloned()
            .collect()
    };
    // Every route that reads parameters or a body documents its 400.
    for (path, method) in [
        ("/v1/login", "post"),
        ("/v1/push", "post"),
        ("/v1/pull", "get"),
        ("/v1/bootstrap", "get"),
        ("/v1/appeals", "get"),
        ("/v1/records/{entity}/{id}", "get"),
        ("/v1/devices/{id}/revoke", "post"),
        ("/v1/bulletin", "get"),
        ("/v1/portal/orders", "post"),
        ("/v1/portal/appeals", "post"),
        ("/v1/portal/appeals/{id}/rating", "post"),
        ("/open311/v2/requests.json", "post"),
        ("/open311/v2/requests.json", "get"),
    ] {
        assert!(documented(path, method).contains("400"), "{method} {path}");
    }
    assert!(documented("/v1/login", "post").contains("429"));
    // Parameters of the wrong type or range are refused, naming the parameter.
    for (query, field) in [
        ("/v1/pull?cursor=abc", "cursor"),
        ("/v1/pull?cursor=1.5", "cursor"),
        ("/v1/pull?cursor=-1", "cursor"),
        ("/v1/pull?limit=abc", "limit"),
        ("/v1/pull?limit=0", "limit"),
        ("/v1/pull?limit=", "limit"),
        ("/v1/bootstrap?limit=99999", "limit"),
        ("/v1/appeals?overdue=maybe", "overdue"),
        ("/v1/appeals?overdue=", "overdue"),
        ("/v1/appeals?park=somewhere", "park"),
        ("/v1/appeals?status=lost", "status"),
    ] {
        let (status, body) = leader.get(query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let (status, body) = leader
        .post("/v1/devices/not-an-id/revoke", String::new())
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("id")),
        "{body}"
    );
    let (status, body) = leader.get("/v1/records/weather/x").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("entity")),
        "{body}"
    );
    s.stop().await;
}

/// `desk-server admin verify-ledger` reports the demo's ledger whole, and names the appeal and
/// the entry after a row is changed, or removed, behind the server's back.
#[test]
fn verify_ledger_names_the_first_broken_link() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        let server = |args: &[&str]| {
            Command::new(binary("desk-server"))
                .args(["--db", &db.url, "admin"])
                .args(args)
                .output()
                .unwrap()
        };
        assert!(server(&["demo"]).status.success());
        let ok = server(&["verify-ledger"]);
        let text = String::from_utf8_lossy(&ok.stdout).into_owned();
        assert!(ok.status.success(), "{backend:?}: {text}");
        assert!(text.contains("台账完整：2 件诉求，2 条"), "{text}");

        let tamper = |statement: &str| sql(&db.url, statement);
        let rows = sql(
            &db.url,
            "SELECT appeal_id || ' ' || id FROM progress_updates ORDER BY appeal_id LIMIT 1",
        );
        let (appeal, entry) = rows[0].split_once(' ').unwrap();
        tamper(&format!(
            "UPDATE progress_updates SET note = '已办结，企业满意' WHERE id = '{entry}'"
        ));
        let broken = server(&["verify-ledger"]);
        let text = String::from_utf8_lossy(&broken.stderr).into_owned();
        assert_eq!(broken.status.code(), Some(2), "{text}");
        assert!(text.contains(appeal) && text.contains(entry), "{text}");
        assert!(
            text.contains("第 1 条") && text.contains("内容被改动"),
            "{text}"
        );

        tamper(&format!(
            "DELETE FROM progress_updates WHERE id = '{entry}'"
        ));
        let text = String::from_utf8_lossy(&server(&["verify-ledger"]).stderr).into_owned();
        assert!(text.contains(appeal) && text.contains("被删除"), "{text}");

        // A status set behind the ledger's back is found too.
        let fresh = TestDb::new(&backend);
        let server = |args: &[&str]| {
            Command::new(binary("desk-server"))
                .args(["--db", &fresh.url, "admin"])
                .args(args)
                .output()
                .unwrap()
        };
        assert!(server(&["demo"]).status.success());
        sql(&fresh.url, "UPDATE appeals SET status = 'confirmed'");
        let text = String::from_utf8_lossy(&server(&["verify-ledger"]).stderr).into_owned();
        assert!(text.contains("状态"), "{text}");
    }
}

/// Runs SQL on a test database directly, as someone with access to it could.
fn sql(url: &str, statement: &str) -> Vec<String> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let c = rusqlite::Connection::open(path).unwrap();
        let mut stmt = c.prepare(statement).unwrap();
        if stmt.column_count() == 0 {
            stmt.execute([]).unwrap();
            return vec![];
        }
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    } else {
        let (url, statement) = (url.to_owned(), statement.to_owned());
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.query(&statement, &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        })
        .join()
        .unwrap()
    }
}

fn login(d: &Device, url: &str, user: &str) {
    let out = with_stdin(
        Command::new(binary("desk"))
            .arg("--data-dir")
            .arg(d.dir.path())
            .args(["login", "--server", url, "--user", user, "--password-stdin"])
            .env_remove("DESK_DATA_DIR"),
        PASSWORD,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The PostgreSQL pool speaks TLS when the URL asks for it, and checks the database server's
/// certificate: one no trusted authority signed is refused, with a message that says so.
#[test]
fn postgres_over_tls_checks_the_certificate() {
    let Some(Backend::Postgres(url)) = backends().into_iter().nth(1) else {
        return;
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let err = std::thread::spawn(move || {
        desk_server::db::Db::open_with(
            &format!("{url}{sep}sslmode=require"),
            &desk_server::db::DbOptions {
                checkout_timeout: std::time::Duration::from_secs(3),
                ..Default::default()
            },
        )
        .err()
    })
    .join()
    .unwrap()
    .expect("a certificate from no trusted authority is refused");
    let text = err.to_string();
    assert!(
        text.contains("certificate")
            || text.contains("Certificate")
            || text.contains("ssl")
            || text.contains("TLS"),
        "{text}"
    );
}

/// What needs attention (需要关注), per department: overdue appeals, and those due within a few
/// working days of the State Council's calendar.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alerts_list_what_is_overdue_and_due_soon() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        let today = desk_core::time::local_date(Utc::now());
        let soon = desk_core::calendar::Calendar::built_in()
            .add_working_days(today, 1)
            .date;
        let site_id = leader
            .write(|w| w.create(site("随创贸易", Some(zone.park1))))
            .id;
        let make = |deadline: chrono::NaiveDate, dept: Uuid| {
            let mut a = appeal_at(site_id, Utc::now() - Duration::days(30));
            a.deadline = Some(deadline);
            let id = leader.write(|w| w.create(a)).id;
            leader.write(|w| {
                w.act_on_appeal(
                    id,
                    Action::Dispatch {
                        department_id: dept,
                    },
                    "领导",
                    None,
                )
            });
            id
        };
        let late = make(today - Duration::days(5), zone.dept1);
        let due = make(soon, zone.dept1);
        let far = make(today + Duration::days(60), zone.dept1);
        let other = make(today - Duration::days(1), zone.dept2);
        leader.sync().await;

        let ids = |v: &Value, key: &str| -> Vec<Uuid> {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().parse().unwrap())
                .collect()
        };
        let dept = Client::login(&s.url, "dept1").await;
        let (status, v) = dept.get("/v1/alerts").await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(ids(&v, "overdue"), [late], "{backend:?} {v}");
        assert_eq!(ids(&v, "due_soon"), [due]);
        let (_, v) = leader
            .client
            .get(&format!("/v1/alerts?department={}", zone.dept2))
            .await;
        assert_eq!(
            (ids(&v, "overdue"), ids(&v, "due_soon")),
            (vec![other], vec![])
        );
        let (_, v) = leader.client.get("/v1/alerts?within=30").await;
        assert!(ids(&v, "due_soon").contains(&due) && !ids(&v, "due_soon").contains(&far));
        let (status, v) = leader.client.get("/v1/alerts?within=99").await;
        assert_eq!((status, v["field"].as_str()), (400, Some("within")), "{v}");
        s.stop().await;
    }
}

/// The ledger as a workbook from the server: the caller's scope and filters, opened with a
/// real XLSX reader; a bad filter names its field.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_exports_the_ledger_within_scope() {
    use calamine::{Reader, Xlsx};
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        let site_id = leader
            .write(|w| w.create(site("随创贸易", Some(zone.park1))))
            .id;
        for (text, dept) in [("电价偏高", zone.dept1), ("停车难", zone.dept2)] {
            let mut a = appeal_at(site_id, Utc::now() - Duration::days(3));
            a.description = text.into();
            let id = leader.write(|w| w.create(a)).id;
            leader.write(|w| {
                w.act_on_appeal(
                    id,
                    Action::Dispatch {
                        department_id: dept,
                    },
                    "领导",
                    None,
                )
            });
        }
        leader.sync().await;

        let fetch = |token: String, path: &'static str| {
            let url = format!("{}{path}", s.url);
            async move {
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .header(
                        desk_core::protocol::PROTOCOL_HEADER,
                        desk_core::protocol::PROTOCOL_VERSION.to_string(),
                    )
                    .send()
                    .await
                    .unwrap()
            }
        };
        let dept = Client::login(&s.url, "dept1").await;
        let response = fetch(dept.token.clone(), "/v1/appeals.xlsx").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        assert!(response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ledger.xlsx"));
        let bytes = response.bytes().await.unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range("台账").unwrap();
        assert_eq!(sheet.height(), 2, "only the department's own appeal");
        assert_eq!(sheet.get_value((1, 4)).unwrap().to_string(), "电价偏高");
        assert_eq!(sheet.get_value((1, 7)).unwrap().to_string(), "经济发展局");

        let csv = fetch(
            leader.client.token.clone(),
            "/v1/appeals.csv?status=dispatched",
        )
        .await;
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");

        let bad = fetch(leader.client.token.clone(), "/v1/appeals.xlsx?status=lost").await;
        assert_eq!(bad.status(), 400);
        let v: Value = bad.json().await.unwrap();
        assert_eq!(v["field"], "status", "{v}");
        s.stop().await;
    }
}

/// The zone's time limits, set by the admin on the server, reach every device; an appeal left
/// unanswered past the response limit is listed; an officer may not change the limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn time_limits_are_the_admins_and_reach_every_device() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let set = |args: &[&str]| {
            Command::new(binary("desk-server"))
                .args(["--db", &s.db.url, "admin", "time-limits"])
                .args(args)
                .output()
                .unwrap()
        };
        let shown = set(&[]);
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains("1 个工作日内响应，15 个工作日内办结")
        );
        let changed = set(&["--response", "2", "--handling", "10"]);
        assert!(
            changed.status.success(),
            "{}",
            String::from_utf8_lossy(&changed.stderr)
        );
        // A response limit longer than the handling limit is refused, naming the field.
        let refused = set(&["--response", "12"]);
        assert_eq!(refused.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("response_days"));

        let officer = Tablet::sign_in(&s.url, "officer1").await;
        officer.sync().await;
        let limits = officer.engine.store().time_limits().unwrap();
        assert_eq!(
            (limits.response_days, limits.handling_days),
            (2, 10),
            "{backend:?}"
        );

        // Raised a week ago (five working days at least) and never answered; and one just now.
        let site_id = officer
            .write(|w| w.create(site("随创贸易", Some(zone.park1))))
            .id;
        let old = officer
            .write(|w| w.create(appeal_at(site_id, Utc::now() - Duration::days(7))))
            .id;
        officer.write(|w| w.create(appeal_at(site_id, Utc::now())));
        // An officer's device trying the admin's limits: refused by the server.
        officer.write(|w| w.update::<TimeLimits>(TimeLimits::ID, |l| l.handling_days = 30));
        officer.sync().await;
        assert_eq!(officer.engine.store().rejections().unwrap().len(), 1);

        let leader = Client::login(&s.url, "leader").await;
        let (status, v) = leader.get("/v1/alerts").await;
        assert_eq!(status, 200, "{v}");
        let unanswered: Vec<&str> = v["unanswered"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(unanswered, [old.to_string()], "{backend:?} {v}");
        assert_eq!(v["response_days"], 2);
        s.stop().await;
    }
}

/// Policy issues (议题) are zone-wide records: an officer takes up appeals of two enterprises
/// in their park as one issue; the leader's figures count the issue and the enterprises; a
/// department, which sees the appeals dispatched to it, is not sent the issue.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policy_issues_sync_and_are_counted_within_scope() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let officer = Tablet::sign_in(&s.url, "officer1").await;
        officer.sync().await;
        let mut appeals = Vec::new();
        for name in ["随创贸易", "楚风食品"] {
            let site_id = officer.write(|w| w.create(site(name, Some(zone.park1)))).id;
            let mut a = appeal_at(site_id, Utc::now() - Duration::days(2));
            a.description = format!("{name}反映工业电价偏高，用电成本压力大");
            let id = officer.write(|w| w.create(a)).id;
            officer.write(|w| {
                w.act_on_appeal(
                    id,
                    Action::Dispatch {
                        department_id: zone.dept1,
                    },
                    "officer1",
                    None,
                )
            });
            appeals.push(id);
        }
        let issue = Uuid::now_v7();
        officer.write(|w| {
            w.create(PolicyIssue {
                id: issue,
                title: "工业电价偏高".into(),
                description: None,
                category: Some(Category::Utilities),
                status: PolicyIssueStatus::Open,
                conclusion: None,
                void_reason: None,
            })?;
            for a in &appeals {
                w.update::<Appeal>(*a, |x| x.policy_issue_id = Some(issue))?;
            }
            Ok(())
        });
        officer.sync().await;
        assert!(
            officer.engine.store().rejections().unwrap().is_empty(),
            "{backend:?}"
        );

        let leader = Tablet::sign_in(&s.url, "leader").await;
        leader.sync().await;
        assert!(leader.has::<PolicyIssue>(issue).is_some());
        assert_eq!(
            leader.has::<Appeal>(appeals[0]).unwrap().policy_issue_id,
            Some(issue)
        );
        let (_, figures) = leader.client.get("/v1/stats").await;
        assert_eq!(
            (
                figures["policy_issues"].as_i64(),
                figures["policy_enterprises"].as_i64()
            ),
            (Some(1), Some(2)),
            "{backend:?} {figures}"
        );

        let dept = Tablet::sign_in(&s.url, "dept1").await;
        dept.sync().await;
        assert!(dept.has::<Appeal>(appeals[0]).is_some());
        assert!(dept.has::<PolicyIssue>(issue).is_none(), "{backend:?}");
        // Nor may a department write one.
        dept.write(|w| {
            w.create(PolicyIssue {
                id: Uuid::now_v7(),
                title: "停车难".into(),
                description: None,
                category: None,
                status: PolicyIssueStatus::Open,
                conclusion: None,
                void_reason: None,
            })
        });
        dept.sync().await;
        assert_eq!(
            dept.engine.store().rejections().unwrap().len(),
            1,
            "{backend:?}"
        );
        s.stop().await;
    }
}
