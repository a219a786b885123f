//! The central server as tablets and the office use it, on every backend the environment
//! offers: accounts and tokens, the scope matrix, idempotent and per-operation push, paging,
//! bootstrap, a gapless log under concurrent writers, hard edges, and a SIGKILL mid-push.

use std::collections::{BTreeSet, HashSet};

use chrono::Utc;
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::protocol::*;
use desk_core::{Entity, Op};
use desk_store::Store;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::server_harness::*;

/// An appeal raised now at a site.
fn appeal(site_id: Uuid, description: &str) -> Appeal {
    Appeal {
        description: description.into(),
        deadline: None,
        ..appeal_at(site_id, Utc::now())
    }
}

/// A device store and what of its outbox was already pushed.
struct Device {
    store: Store,
    sent: usize,
}

impl Device {
    fn new() -> Device {
        Device {
            store: Store::open_in_memory().unwrap(),
            sent: 0,
        }
    }

    fn create<R: Record>(&mut self, record: R) -> Uuid {
        self.store.write(|w| Ok(w.create(record)?.id())).unwrap()
    }

    /// Operations written since the last call.
    fn unsent(&mut self) -> Vec<Op> {
        let ops = self.store.outbox().unwrap();
        let new = ops[self.sent..].to_vec();
        self.sent = ops.len();
        new
    }

    /// Pulls everything the account may see, so local writes can refer to it.
    async fn catch_up(&mut self, client: &Client) {
        client.pull_into(&mut self.store).await;
    }
}

fn statuses(r: &PushResponse) -> Vec<(PushStatus, Option<String>, Option<String>)> {
    r.results
        .iter()
        .map(|x| (x.status, x.code.clone(), x.field.clone()))
        .collect()
}

fn ids_of(changes: &[Change], entity: Entity) -> BTreeSet<Uuid> {
    changes
        .iter()
        .filter_map(|c| match (&c.op, &c.snapshot) {
            (Some(o), _) if o.entity == entity => Some(o.record_id),
            (_, Some(s)) if s.entity == entity => Some(s.record_id),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fresh_server_answers_health_describes_itself_and_says_how_to_begin() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let (status, health) = raw(&s.url, Method::GET, "/healthz", None, None).await;
        assert_eq!(status, 200, "{backend:?}");
        assert_eq!(health["status"], "ok");
        let (status, doc) = raw(&s.url, Method::GET, "/v1/openapi.json", None, None).await;
        assert_eq!(status, 200);
        let paths: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for p in [
            "/healthz",
            "/v1/openapi.json",
            "/v1/login",
            "/v1/push",
            "/v1/pull",
            "/v1/bootstrap",
            "/v1/appeals",
            "/v1/stats",
            "/v1/devices",
            "/v1/devices/{id}/revoke",
            "/v1/records/{entity}/{id}",
        ] {
            assert!(paths.contains(p), "{p} missing from {paths:?}");
        }
        assert!(
            doc["components"]["schemas"]["Op"].is_object(),
            "wire types are described"
        );
        let Err((status, body)) = Client::try_login(&s.url, "admin", PASSWORD).await else {
            panic!("logged in to an empty server")
        };
        assert_eq!(status, 401);
        assert!(
            body["message"].as_str().unwrap().contains("create-admin"),
            "{body}"
        );
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_tokens_versions_and_device_revocation() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        seed(&s.db.url);
        let Err((status, body)) = Client::try_login(&s.url, "officer1", "wrong password").await
        else {
            panic!()
        };
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        assert!(Client::try_login(&s.url, "nobody", PASSWORD).await.is_err());

        // The protocol version is checked before anything else.
        // An outdated app is told to update; a request without the header, which one is missing.
        for (header, status, code) in [
            (Some("0"), 426, "upgrade_required"),
            (Some("1"), 426, "upgrade_required"),
            (None, 400, "bad_request"),
            (Some("two"), 400, "bad_request"),
        ] {
            let mut req = reqwest::Client::new()
                .post(format!("{}/v1/login", s.url))
                .json(&json!({"user": "officer1", "password": PASSWORD, "device_name": "旧平板"}));
            if let Some(h) = header {
                req = req.header(PROTOCOL_HEADER, h);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status().as_u16(), status, "{header:?}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["code"], code, "{body}");
            assert_eq!(body["field"], PROTOCOL_HEADER, "{body}");
            if status == 426 {
                assert!(
                    body["message"].as_str().unwrap().contains("update"),
                    "{body}"
                );
            }
        }

        let tablet = Client::login(&s.url, "officer1").await;
        let desktop = Client::login(&s.url, "officer1").await;
        assert_eq!(tablet.token.len(), 5 + 64);
        assert_eq!(
            (tablet.user.role.as_str(), tablet.user.parks.len()),
            ("officer", 1)
        );
        assert_ne!(tablet.token, desktop.token);
        assert_eq!(tablet.get("/v1/stats").await.0, 200);
        let (status, body) = raw(&s.url, Method::GET, "/v1/stats", Some("desk_0000"), None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        assert_eq!(
            raw(&s.url, Method::GET, "/v1/stats", None, None).await.0,
            401
        );

        let (_, mine) = tablet.get("/v1/devices").await;
        assert_eq!(mine.as_array().unwrap().len(), 2);
        let admin = Client::login(&s.url, "admin").await;
        let (_, all) = admin.get("/v1/devices").await;
        assert_eq!(all.as_array().unwrap().len(), 3);

        // An officer cannot revoke someone else's device; their own stops working at once.
        let (status, _) = tablet
            .post(
                &format!("/v1/devices/{}/revoke", admin.device_id),
                String::new(),
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = desktop
            .post(
                &format!("/v1/devices/{}/revoke", tablet.device_id),
                String::new(),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(tablet.get("/v1/stats").await.0, 401);
        assert_eq!(desktop.get("/v1/stats").await.0, 200);
        // An admin revokes any device.
        let (status, _) = admin
            .post(
                &format!("/v1/devices/{}/revoke", desktop.device_id),
                String::new(),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(desktop.get("/v1/pull").await.0, 401);
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_role_sees_and_changes_only_its_scope() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let (admin, leader, officer, dept) = (
            Client::login(&s.url, "admin").await,
            Client::login(&s.url, "leader").await,
            Client::login(&s.url, "officer1").await,
            Client::login(&s.url, "dept1").await,
        );
        let (mut l, mut o, mut d) = (Device::new(), Device::new(), Device::new());
        for (dev, c) in [(&mut l, &leader), (&mut o, &officer), (&mut d, &dept)] {
            dev.catch_up(c).await;
        }

        // Officer of park 1: a site in park 1 lands; one in park 2 and a new park do not.
        let site_a = o.create(site("一园企业", Some(zone.park1)));
        let site_x = o.create(site("二园企业（越权）", Some(zone.park2)));
        let park = o.create(Park {
            id: Uuid::now_v7(),
            name: "私建园区".into(),
            void_reason: None,
        });
        let r = officer.push(&o.unsent()).await;
        assert_eq!(
            r.results[0].status,
            PushStatus::Accepted,
            "{backend:?} {r:?}"
        );
        assert_eq!(r.results[1].code.as_deref(), Some("forbidden"), "{r:?}");
        assert_eq!(r.results[2].code.as_deref(), Some("forbidden"), "{r:?}");
        assert!(r.results[1].reason.as_ref().unwrap().contains("officer"));
        let _ = (site_x, park);
        let appeal_a = o.create(appeal(site_a, "一园企业用电价格偏高"));
        assert_eq!(accepted(&officer.push(&o.unsent()).await), 1);

        // The leader works zone-wide and dispatches an appeal of park 2 to department 1.
        let site_b = l.create(site("二园企业", Some(zone.park2)));
        let appeal_b = l.create(appeal(site_b, "二园企业厂区绿化"));
        l.store
            .write(|w| {
                w.act_on_appeal(
                    appeal_b,
                    Action::Dispatch {
                        department_id: zone.dept1,
                    },
                    "leader",
                    None,
                )
                .map(drop)
            })
            .unwrap();
        // The site, the appeal, and the ledger entry that dispatches it (the server moves the
        // appeal itself).
        assert_eq!(accepted(&leader.push(&l.unsent()).await), 3);

        // What each account receives (on another device: a device is not sent its own writes).
        let (seen_by_officer, _) = Client::login(&s.url, "officer1").await.pull_all(0).await;
        assert_eq!(ids_of(&seen_by_officer, Entity::Site), [site_a].into());
        assert_eq!(ids_of(&seen_by_officer, Entity::Appeal), [appeal_a].into());
        let (seen_by_dept, _) = dept.pull_all(0).await;
        assert_eq!(ids_of(&seen_by_dept, Entity::Appeal), [appeal_b].into());
        assert_eq!(
            ids_of(&seen_by_dept, Entity::Site),
            [site_b].into(),
            "the sites their appeals concern"
        );
        assert_eq!(ids_of(&seen_by_dept, Entity::Progress).len(), 1);
        assert_eq!(
            ids_of(&seen_by_dept, Entity::Department).len(),
            2,
            "reference data is public"
        );
        // What the department received is a usable store: the appeal with its site.
        apply(&mut d.store, &seen_by_dept);
        let got: Appeal = d.store.get(appeal_b).unwrap().unwrap();
        assert_eq!(got.status, AppealStatus::Dispatched);
        assert!(d.store.get::<Site>(site_b).unwrap().is_some());

        // The department records progress on its appeal, and nothing else.
        d.store
            .write(|w| {
                w.act_on_appeal(
                    appeal_b,
                    Action::Start,
                    "经济发展局",
                    Some("已联系供电公司"),
                )
                .map(drop)
            })
            .unwrap();
        let r = dept.push(&d.unsent()).await;
        assert_eq!(accepted(&r), 1, "{r:?}");
        let node = Uuid::now_v7();
        let foreign_progress = op(
            Entity::Progress,
            Uuid::now_v7(),
            Value::Object(Progress::note(appeal_a, Utc::now(), "dept1", "越权").to_fields()),
            node,
        );
        let new_site = op(
            Entity::Site,
            Uuid::now_v7(),
            serde_json::to_value(site("部门建企业", None))
                .unwrap()
                .as_object()
                .map(|m| {
                    let mut m = m.clone();
                    m.shift_remove("id");
                    Value::Object(m)
                })
                .unwrap(),
            node,
        );
        let site_edit = op(Entity::Site, site_b, json!({"phone": "0722-1"}), node);
        let r = dept.push(&[foreign_progress, new_site, site_edit]).await;
        let codes: Vec<_> = r.results.iter().map(|x| x.code.as_deref()).collect();
        assert_eq!(
            codes,
            [
                Some("unknown_reference"), // an appeal it cannot see is one that is not there
                Some("forbidden"),
                Some("forbidden")
            ],
            "{r:?}"
        );
        // It moves the appeal along through the ledger; it changes no field of the appeal.
        for (field, value, code) in [
            ("satisfaction", json!(5), "derived_field"),
            ("description", json!("改写"), "forbidden"),
            ("void_reason", json!("撤销"), "forbidden"),
        ] {
            let r = dept
                .push(&[op(Entity::Appeal, appeal_b, json!({ field: value }), node)])
                .await;
            assert_eq!(r.results[0].code.as_deref(), Some(code), "{field}: {r:?}");
        }
        // An appeal outside park 1 is, to the officer, one that is not there.
        let r = officer
            .push(&[op(
                Entity::Appeal,
                appeal_b,
                json!({"urgency": "urgent"}),
                node,
            )])
            .await;
        assert_eq!(r.results[0].code.as_deref(), Some("unknown_record"));

        // The ledger and the figures follow the scope.
        let ledger = |c: Client, q: &'static str| async move {
            let (status, v) = c.get(&format!("/v1/appeals{q}")).await;
            assert_eq!(status, 200, "{v}");
            v["appeals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().parse::<Uuid>().unwrap())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(ledger(officer.clone(), "").await, [appeal_a].into());
        assert_eq!(ledger(dept.clone(), "").await, [appeal_b].into());
        assert_eq!(
            ledger(leader.clone(), "").await,
            [appeal_a, appeal_b].into()
        );
        assert_eq!(
            ledger(leader.clone(), "?status=in_progress").await,
            [appeal_b].into()
        );
        assert_eq!(
            ledger(leader.clone(), "?status=受理").await,
            [appeal_a].into()
        );
        let (_, by_dept) = leader
            .get(&format!("/v1/appeals?department={}", zone.dept1))
            .await;
        assert_eq!(by_dept["appeals"].as_array().unwrap().len(), 1);
        let (_, by_park) = admin.get(&format!("/v1/appeals?park={}", zone.park1)).await;
        assert_eq!(by_park["appeals"][0]["id"], appeal_a.to_string());
        let (status, bad) = leader.get("/v1/appeals?status=lost").await;
        assert_eq!((status, bad["field"].as_str()), (400, Some("status")));
        let (_, o_stats) = officer.get("/v1/stats").await;
        let (_, l_stats) = leader.get("/v1/stats").await;
        assert_eq!(
            (o_stats["appeals"].as_i64(), l_stats["appeals"].as_i64()),
            (Some(1), Some(2))
        );
        let _ = zone.dept2;
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_retried_changes_nothing_more() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let officer = Client::login(&s.url, "officer1").await;
        let mut dev = Device::new();
        dev.catch_up(&officer).await;
        for i in 0..5 {
            dev.create(site(&format!("企业{i}"), Some(zone.park1)));
        }
        let mut ops = dev.unsent();
        // The same operation twice in one batch lands once; the second is already in.
        ops.push(ops[4].clone());
        let first = officer.push(&ops).await;
        assert_eq!(accepted(&first), 5);
        assert_eq!(first.results[5].status, PushStatus::Duplicate, "{first:?}");
        ops.pop();
        for _ in 0..2 {
            let again = officer.push(&ops).await;
            assert!(
                again
                    .results
                    .iter()
                    .all(|r| r.status == PushStatus::Duplicate),
                "{again:?}"
            );
        }
        let reader = Client::login(&s.url, "leader").await;
        let (changes, _) = reader.pull_all(0).await;
        let site_ops: Vec<_> = changes
            .iter()
            .filter_map(|c| c.op.as_ref())
            .filter(|o| o.entity == Entity::Site)
            .collect();
        assert_eq!(site_ops.len(), 5);
        // Pulling again from the start gives the same, from the end nothing.
        let (again, cursor) = reader.pull_all(0).await;
        assert_eq!(again, changes);
        assert!(reader.pull(cursor, 100).await.changes.is_empty());
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_bad_operation_does_not_sink_the_batch() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Client::login(&s.url, "leader").await;
        let mut dev = Device::new();
        dev.catch_up(&leader).await;
        let good1 = dev.create(site("好企业一", Some(zone.park1)));
        let good2 = dev.create(site("好企业二", Some(zone.park2)));
        let mut ops = dev.unsent();
        let node = dev.store.device_id();
        let mut unknown_field = op(Entity::Site, good1, json!({"phone": "1"}), node);
        unknown_field.fields.insert("password".into(), json!("x"));
        let mut ahead = op(Entity::Site, good1, json!({"phone": "0722-2"}), node);
        ahead.hlc.wall_ms += 3_600_000;
        let unknown_record = op(
            Entity::Site,
            Uuid::now_v7(),
            json!({"phone": "0722-3"}),
            node,
        );
        let mut bad_code = site("错码企业", None);
        bad_code.credit_code = Some("91110000802100433C".into());
        let bad_code = op(
            Entity::Site,
            bad_code.id,
            Value::Object(bad_code.to_fields()),
            node,
        );
        let orphan = appeal(Uuid::now_v7(), "没有企业的诉求");
        let orphan = op(
            Entity::Appeal,
            orphan.id,
            Value::Object(orphan.to_fields()),
            node,
        );
        ops.splice(
            1..1,
            [unknown_field, ahead, unknown_record, bad_code, orphan],
        );
        let r = leader.push(&ops).await;
        let s_ = |st, code: Option<&str>, field: Option<&str>| {
            (st, code.map(str::to_owned), field.map(str::to_owned))
        };
        assert_eq!(
            statuses(&r),
            vec![
                s_(PushStatus::Accepted, None, None),
                s_(PushStatus::Rejected, Some("validation"), Some("fields")),
                s_(PushStatus::Rejected, Some("clock_ahead"), Some("hlc")),
                s_(
                    PushStatus::Rejected,
                    Some("unknown_record"),
                    Some("record_id")
                ),
                s_(
                    PushStatus::Rejected,
                    Some("validation"),
                    Some("credit_code")
                ),
                s_(
                    PushStatus::Rejected,
                    Some("unknown_reference"),
                    Some("site_id")
                ),
                s_(PushStatus::Accepted, None, None),
            ],
            "{backend:?}"
        );
        assert!(
            r.results[2].reason.as_ref().unwrap().contains("60 分钟"),
            "{:?}",
            r.results[2]
        );
        assert!(r.results[4].reason.as_ref().unwrap().contains("校验位"));
        let (changes, _) = Client::login(&s.url, "admin").await.pull_all(0).await;
        assert_eq!(ids_of(&changes, Entity::Site), [good1, good2].into());
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pull_pages_and_bootstrap_rebuild_the_same_state() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Client::login(&s.url, "leader").await;
        let mut writer = Device::new();
        writer.catch_up(&leader).await;
        for i in 0..6 {
            let site_id = writer.create(site(
                &format!("企业{i}"),
                Some(if i % 2 == 0 { zone.park1 } else { zone.park2 }),
            ));
            for j in 0..3 {
                let a = writer.create(appeal(site_id, &format!("诉求{i}-{j}")));
                writer.create(Resolution {
                    id: Uuid::now_v7(),
                    appeal_id: a,
                    action: "现场决议".into(),
                    lead_department_id: if j == 0 { zone.dept1 } else { zone.dept2 },
                    co_department_ids: vec![],
                    deadline: Utc::now().date_naive() + chrono::Duration::days(7),
                    commitment: None,
                    void_reason: None,
                });
            }
        }
        let ops = writer.unsent();
        assert_eq!(accepted(&leader.push(&ops).await), ops.len());

        // Pages of 10: in order, no gaps, no repeats, has_more until the last.
        let reader = Client::login(&s.url, "admin").await;
        let (mut cursor, mut seqs, mut pages) = (0, Vec::new(), 0);
        loop {
            let page = reader.pull(cursor, 10).await;
            assert!(page.changes.len() <= 10);
            seqs.extend(page.changes.iter().map(|c| c.seq));
            cursor = page.cursor;
            pages += 1;
            if !page.has_more {
                break;
            }
            assert_eq!(page.changes.len(), 10);
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        let (all, _) = reader.pull_all(0).await;
        assert_eq!(seqs, all.iter().map(|c| c.seq).collect::<Vec<_>>());
        assert!(pages >= 6, "{pages} pages");

        // A new device's bootstrap, in pages of 7, rebuilds what the writer holds.
        let newcomer = Client::login(&s.url, "leader").await;
        let mut fresh = Store::open_in_memory().unwrap();
        let (mut after, mut first_cursor, mut records) = (None::<String>, None, 0);
        loop {
            let q = match &after {
                Some(a) => format!("/v1/bootstrap?limit=7&after={a}"),
                None => "/v1/bootstrap?limit=7".into(),
            };
            let (status, v) = newcomer.get(&q).await;
            assert_eq!(status, 200, "{v}");
            let page: BootstrapResponse = serde_json::from_value(v).unwrap();
            assert!(page.records.len() <= 7);
            records += page.records.len();
            first_cursor.get_or_insert(page.cursor);
            fresh.apply_snapshots(&page.records).unwrap();
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let writer_state = writer.store.export().unwrap();
        assert_eq!(fresh.export().unwrap(), writer_state, "{backend:?}");
        assert_eq!(records, 2 + 2 + 6 + 18 + 18);
        // Then pulling from the bootstrap's cursor brings nothing that changes it.
        let (rest, _) = newcomer.pull_all(first_cursor.unwrap()).await;
        apply(&mut fresh, &rest);
        assert_eq!(fresh.export().unwrap(), writer_state);
        let (status, bad) = newcomer.get("/v1/bootstrap?after=nonsense").await;
        assert_eq!((status, bad["field"].as_str()), (400, Some("after")));
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pull_skips_nothing_while_many_devices_push_at_once() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let reader = Client::login(&s.url, "admin").await;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reading = {
            let (reader, done) = (reader.clone(), done.clone());
            tokio::spawn(async move {
                let (mut cursor, mut seen, mut last_seq) = (0, Vec::new(), 0);
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let page = reader.pull(cursor, 50).await;
                    for c in &page.changes {
                        assert!(c.seq > last_seq, "the log went backwards");
                        last_seq = c.seq;
                        if let Some(op) = &c.op {
                            seen.push(op.id);
                        }
                    }
                    cursor = page.cursor;
                    if finished && !page.has_more {
                        return seen;
                    }
                }
            })
        };
        let mut writers = Vec::new();
        for w in 0..4 {
            let url = s.url.clone();
            let park = if w % 2 == 0 { zone.park1 } else { zone.park2 };
            writers.push(tokio::spawn(async move {
                let client = Client::login(&url, "leader").await;
                let mut dev = Device::new();
                dev.catch_up(&client).await;
                let mut pushed = Vec::new();
                for b in 0..15 {
                    for i in 0..8 {
                        dev.create(site(&format!("并发企业{w}-{b}-{i}"), Some(park)));
                    }
                    let ops = dev.unsent();
                    assert_eq!(accepted(&client.push(&ops).await), ops.len());
                    pushed.extend(ops.iter().map(|o| o.id));
                }
                pushed
            }));
        }
        let mut pushed = HashSet::new();
        for w in writers {
            pushed.extend(w.await.unwrap());
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reading.await.unwrap();
        let seen_set: HashSet<Uuid> = seen.iter().copied().collect();
        assert_eq!(
            seen.len(),
            seen_set.len(),
            "an operation was delivered twice"
        );
        let missing = pushed.difference(&seen_set).count();
        assert_eq!(
            missing,
            0,
            "{backend:?}: {missing} of {} operations skipped",
            pushed.len()
        );
        assert_eq!(pushed.len(), 4 * 15 * 8);
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_a_json_error_never_a_500() {
    for backend in backends() {
        let s = Server::start_with(&backend, |c| {
            c.max_batch_ops = 10;
            c.max_body_bytes = 64 * 1024;
        })
        .await;
        let zone = seed(&s.db.url);
        let c = Client::login(&s.url, "leader").await;
        let mut dev = Device::new();
        dev.catch_up(&c).await;
        for i in 0..11 {
            dev.create(site(&format!("企业{i}"), Some(zone.park1)));
        }
        let eleven = serde_json::to_string(&PushRequest { ops: dev.unsent() }).unwrap();
        let huge = json!({"ops": [{"id": Uuid::now_v7(), "entity": "site", "record_id": Uuid::now_v7(),
            "fields": {"name": "大".repeat(40_000)}, "hlc": "0000000000001-00000000-00000000000000000000000000000001"}]})
        .to_string();
        let cases: Vec<(&str, String, u16, &str, Option<&str>)> = vec![
            ("/v1/push", eleven, 413, "payload_too_large", Some("ops")),
            ("/v1/push", huge, 413, "payload_too_large", None),
            ("/v1/push", "{".into(), 400, "bad_request", None),
            (
                "/v1/push",
                "{\"ops\": 5}".into(),
                400,
                "bad_request",
                Some("ops"),
            ),
            (
                "/v1/push",
                "{\"ops\": [], \"extra\": 1}".into(),
                400,
                "bad_request",
                Some("extra"),
            ),
            (
                "/v1/push",
                "{\"ops\": [{\"id\": \"x\"}]}".into(),
                400,
                "bad_request",
                Some("ops[0].id"),
            ),
            (
                "/v1/login",
                "{\"user\": 1}".into(),
                400,
                "bad_request",
                Some("user"),
            ),
        ];
        for (path, body, status, code, field) in cases {
            let (got, v) = c.post(path, body).await;
            assert_eq!(
                (got, v["code"].as_str()),
                (status, Some(code)),
                "{backend:?} {path}: {v}"
            );
            if let Some(f) = field {
                assert_eq!(v["field"].as_str(), Some(f), "{v}");
            }
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        for (path, field) in [
            ("/v1/pull?cursor=abc", Some("cursor")),
            ("/v1/pull?limit=0", Some("limit")),
            ("/v1/pull?cursor=-1", Some("cursor")),
            ("/v1/pull?cursor=999999", Some("cursor")),
            ("/v1/pull?what=1", None),
            ("/v1/appeals?overdue=maybe", Some("overdue")),
            ("/v1/nowhere", None),
        ] {
            let (got, v) = c.get(path).await;
            assert!((400..500).contains(&got), "{path}: {got} {v}");
            assert!(v["code"].is_string(), "{path}: {v}");
            if let Some(f) = field {
                assert_eq!(v["field"].as_str(), Some(f), "{path}: {v}");
            }
        }
        let (got, _) = c.post("/v1/devices/not-a-uuid/revoke", String::new()).await;
        assert_eq!(got, 400);
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_push_loses_nothing_and_doubles_nothing() {
    for backend in backends() {
        let db = TestDb::new(&backend);
        let zone = seed(&db.url);
        let first = start_server(&db.url);
        let client = Client::login(&first.url, "leader").await;
        let mut dev = Device::new();
        dev.catch_up(&client).await;
        for i in 0..3000 {
            dev.create(site(
                &format!("批量企业{i}"),
                Some(if i % 2 == 0 { zone.park1 } else { zone.park2 }),
            ));
        }
        let ops = dev.unsent();
        let pushing = {
            let (client, ops) = (client.clone(), ops.clone());
            tokio::spawn(async move {
                let body = serde_json::to_string(&PushRequest { ops }).unwrap();
                client
                    .http
                    .post(format!("{}/v1/push", client.base))
                    .bearer_auth(&client.token)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        first.kill();
        let _ = pushing.await.unwrap(); // cut off, or finished just before: either way, retry

        let second = start_server(&db.url);
        let mut retry = Client {
            base: second.url.clone(),
            ..client
        };
        retry.http = reqwest::Client::new();
        let r = retry.push(&ops).await;
        assert!(
            r.results
                .iter()
                .all(|x| matches!(x.status, PushStatus::Accepted | PushStatus::Duplicate)),
            "{backend:?}"
        );
        let reader = Client::login(&second.url, "admin").await;
        let (changes, _) = reader.pull_all(0).await;
        let landed: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| c.op.as_ref())
            .filter(|o| o.entity == Entity::Site)
            .map(|o| o.id)
            .collect();
        let unique: HashSet<Uuid> = landed.iter().copied().collect();
        assert_eq!(
            landed.len(),
            3000,
            "{backend:?}: every operation exactly once"
        );
        assert_eq!(unique, ops.iter().map(|o| o.id).collect());
        second.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_the_push_in_flight() {
    let backend = Backend::Sqlite;
    let db = TestDb::new(&backend);
    let zone = seed(&db.url);
    let server = start_server(&db.url);
    let client = Client::login(&server.url, "leader").await;
    let mut dev = Device::new();
    dev.catch_up(&client).await;
    for i in 0..3000 {
        dev.create(site(&format!("停机企业{i}"), Some(zone.park1)));
    }
    let ops = dev.unsent();
    let pushing = {
        let client = client.clone();
        let ops = ops.clone();
        tokio::spawn(async move { client.push(&ops).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{status}");
    // The push that was in flight got its full answer.
    let r = pushing.await.unwrap();
    assert_eq!(accepted(&r), 3000);
    let again = start_server(&db.url);
    let (changes, _) = Client::login(&again.url, "admin").await.pull_all(0).await;
    assert_eq!(
        changes
            .iter()
            .filter(|c| c.op.as_ref().is_some_and(|o| o.entity == Entity::Site))
            .count(),
        3000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn voids_stay_and_nul_characters_are_refused_not_fatal() {
    for backend in backends() {
        let s = Server::start(&backend).await;
        let zone = seed(&s.db.url);
        let leader = Client::login(&s.url, "leader").await;
        let mut dev = Device::new();
        dev.catch_up(&leader).await;
        let site_id = dev.create(site("作废企业", Some(zone.park1)));
        dev.store
            .write(|w| w.void(Entity::Site, site_id, "重复录入"))
            .unwrap();
        assert_eq!(accepted(&leader.push(&dev.unsent()).await), 2);
        let node = dev.store.device_id();
        let unvoid = op(Entity::Site, site_id, json!({"void_reason": null}), node);
        let nul = op(
            Entity::Site,
            site_id,
            json!({"address": "一路\u{0}号"}),
            node,
        );
        let fine = op(Entity::Site, site_id, json!({"phone": "0722-1"}), node);
        let r = leader.push(&[unvoid, nul, fine]).await;
        let got: Vec<_> = r
            .results
            .iter()
            .map(|x| (x.status, x.code.clone(), x.field.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    PushStatus::Rejected,
                    Some("immutable".into()),
                    Some("void_reason".into())
                ),
                (
                    PushStatus::Rejected,
                    Some("validation".into()),
                    Some("address".into())
                ),
                (PushStatus::Accepted, None, None),
            ],
            "{backend:?}"
        );
        let body = json!({"user": "leader\u{0}", "password": "x", "device_name": "t"}).to_string();
        let (status, v) = raw(&s.url, Method::POST, "/v1/login", None, Some(body)).await;
        assert_eq!((status, v["field"].as_str()), (400, Some("user")));
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_see_readiness_metrics_and_a_request_id_on_every_request() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        seed(&server.db.url);
        let tablet = crate::server_harness::Tablet::sign_in(&server.url, "admin").await;
        tablet.write(|w| w.create(crate::server_harness::site("随州市恒达机械有限公司", None)));
        tablet.sync().await;
        let http = reqwest::Client::new();

        let ready = http
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status().as_u16(), 200);
        assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

        // Each request gets an id, or keeps the one a proxy gave it.
        let made = http
            .get(format!("{}/healthz", server.url))
            .send()
            .await
            .unwrap();
        let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let kept = http
            .get(format!("{}/healthz", server.url))
            .header("x-request-id", "nginx-4f1c")
            .send()
            .await
            .unwrap();
        assert_eq!(kept.headers()["x-request-id"], "nginx-4f1c");

        let text = http
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for want in [
            "desk_http_requests_total{route=\"/v1/push\",method=\"POST\",status=\"200\"}",
            "desk_http_request_duration_seconds_bucket{route=\"/v1/push\",le=\"0.005\"}",
            "desk_sync_ops_pushed_total",
            "desk_sync_ops_accepted_total",
            "desk_log_head",
            "desk_live_streams",
        ] {
            assert!(text.contains(want), "{want} in:\n{text}");
        }
        if let Backend::Postgres(_) = backend {
            assert!(text.contains("desk_db_pool_connections"), "{text}");
        }
        server.stop().await;
    }
}

/// Sync bodies travel compressed both ways when the client says so: a device's large push in
/// zstd, the pull's reply in zstd or gzip as asked, the live stream never (it must flow).
#[tokio::test(flavor = "multi_thread")]
async fn sync_bodies_travel_compressed_both_ways_and_a_bad_encoding_is_refused() {
    let server = Server::start(&Backend::Sqlite).await;
    let zone = seed(&server.db.url);
    let c = Client::login(&server.url, "officer1").await;
    let node = Uuid::now_v7();
    let description =
        "厂区二期用电增容申请已提交三个月，供电公司尚未答复，影响新生产线调试，希望协调加快办理。"
            .repeat(3);
    let mut ops = Vec::new();
    for i in 0..40 {
        let s = site(&format!("压缩测试企业{i:02}"), Some(zone.park1));
        ops.push(op(Entity::Site, s.id, json!(s.to_fields()), node));
        let a = Appeal {
            description: description.clone(),
            ..appeal_at(s.id, Utc::now())
        };
        ops.push(op(Entity::Appeal, a.id, json!(a.to_fields()), node));
    }
    let json = serde_json::to_vec(&PushRequest { ops: ops.clone() }).unwrap();
    let small = zstd::encode_all(&json[..], 3).unwrap();
    assert!(
        small.len() * 3 < json.len(),
        "{} → {}",
        json.len(),
        small.len()
    );
    // A client that decompresses nothing by itself, to see what travels.
    let http = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .unwrap();
    let send = |body: Vec<u8>, encoding: &str| {
        http.post(format!("{}/v1/push", server.url))
            .bearer_auth(&c.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body)
            .send()
    };
    let resp = send(small, "zstd").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let reply: PushResponse = resp.json().await.unwrap();
    assert_eq!(accepted(&reply), 80, "{reply:?}");

    // Another device's pull, in the encoding it asks for, and plain when it asks for none.
    let reader = Client::login(&server.url, "leader").await;
    for encoding in ["zstd", "gzip"] {
        let resp = http
            .get(format!("{}/v1/pull?cursor=0&limit=1000", server.url))
            .bearer_auth(&reader.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["content-encoding"], encoding);
        let bytes = resp.bytes().await.unwrap();
        let plain = if encoding == "zstd" {
            zstd::decode_all(&bytes[..]).unwrap()
        } else {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
                .unwrap();
            out
        };
        assert!(
            plain.len() > bytes.len() * 3,
            "{encoding}: {} → {}",
            plain.len(),
            bytes.len()
        );
        let page: PullResponse = serde_json::from_slice(&plain).unwrap();
        let pulled: HashSet<Uuid> = page
            .changes
            .iter()
            .filter_map(|c| c.op.as_ref().map(|o| o.id))
            .collect();
        assert!(
            ops.iter().all(|o| pulled.contains(&o.id)),
            "{encoding}: every pushed operation"
        );
    }
    let (status, page) = reader.get("/v1/pull?cursor=0").await;
    assert_eq!(status, 200, "{page}");
    assert!(page["changes"]
        .as_array()
        .is_some_and(|c| c.len() >= ops.len()));

    // Garbage that says it is zstd, and an encoding the server does not speak: refused, saying
    // why, and nothing lands.
    let resp = send(b"not zstd at all".to_vec(), "zstd").await.unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or_default();
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let resp = send(json.clone(), "br").await.unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or_default();
    assert_eq!(status, 415, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Content-Encoding")),
        "{body}"
    );
    server.stop().await;
}
