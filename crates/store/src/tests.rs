//! Store tests: every validation rule refuses bad input and changes nothing; the replay
//! invariant holds for random sequences of domain actions.

use chrono::NaiveDate;
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::{Entity, ValidationError};
use proptest::prelude::*;
use uuid::Uuid;

use crate::{Store, StoreError};

fn store() -> Store {
    let mut s = Store::open_in_memory().unwrap();
    s.set_now(|| "2024-10-26T01:00:00Z".parse().unwrap());
    s
}

pub(crate) fn site(name: &str) -> Site {
    Site::enterprise(name)
}

fn department(name: &str) -> Department {
    Department {
        id: Uuid::now_v7(),
        name: name.into(),
        level: DepartmentLevel::Zone,
        void_reason: None,
    }
}

fn appeal(site_id: Uuid) -> Appeal {
    Appeal::raised(
        site_id,
        "2024-10-26T00:30:00Z".parse().unwrap(),
        Category::Utilities,
        "生产用电价格偏高",
    )
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Runs `bad` and checks it fails with a validation error on `field`, leaving the state and the
/// oplog exactly as they were.
fn refused(
    store: &mut Store,
    field: &str,
    code: &str,
    bad: impl FnOnce(&mut Store) -> crate::Result<()>,
) -> ValidationError {
    let state = store.export().unwrap();
    let ops = store.oplog().unwrap().len();
    let err = bad(store).expect_err("should be refused");
    let v = err
        .validation()
        .cloned()
        .unwrap_or_else(|| panic!("not a validation error: {err}"));
    assert_eq!(v.field(), field, "{v}");
    assert_eq!(v.code(), code, "{v}");
    assert_eq!(
        store.export().unwrap(),
        state,
        "a refused write changed the state"
    );
    assert_eq!(
        store.oplog().unwrap().len(),
        ops,
        "a refused write recorded operations"
    );
    v
}

#[test]
fn a_bad_credit_code_is_refused_with_the_expected_check_character() {
    let mut s = store();
    s.write(|w| w.create(site("已有企业")).map(drop)).unwrap();
    let v = refused(&mut s, "credit_code", "credit_code_check", |s| {
        s.write(|w| {
            w.create(Site {
                credit_code: Some("91110000802100433C".into()),
                ..site("北京某公司")
            })
            .map(drop)
        })
    });
    assert!(v.to_string().contains("“B”"), "{v}");
}

#[test]
fn required_fields_and_lengths() {
    let mut s = store();
    refused(&mut s, "name", "required", |s| {
        s.write(|w| w.create(site("  ")).map(drop))
    });
    refused(&mut s, "name", "too_long", |s| {
        s.write(|w| w.create(site(&"企".repeat(NAME_MAX + 1))).map(drop))
    });
}

#[test]
fn a_reference_to_a_missing_record_is_refused() {
    let mut s = store();
    let ghost = Uuid::now_v7();
    let v = refused(&mut s, "site_id", "not_found", |s| {
        s.write(|w| w.create(appeal(ghost)).map(drop))
    });
    assert!(v.to_string().contains(&ghost.to_string()));
}

#[test]
fn a_deadline_before_the_appeal_was_raised_is_refused() {
    let mut s = store();
    let (site_id, dept) = s
        .write(|w| {
            Ok((
                w.create(site("湖北斯诺新材料"))?.id,
                w.create(department("经济发展局"))?.id,
            ))
        })
        .unwrap();
    refused(&mut s, "deadline", "deadline_before_raised", |s| {
        s.write(|w| {
            w.create(Appeal {
                deadline: Some(date("2024-10-25")),
                ..appeal(site_id)
            })
            .map(drop)
        })
    });
    let appeal_id = s.write(|w| Ok(w.create(appeal(site_id))?.id)).unwrap();
    refused(&mut s, "deadline", "deadline_before_raised", |s| {
        s.write(|w| {
            w.create(Resolution {
                id: Uuid::now_v7(),
                appeal_id,
                action: "供应绿电".into(),
                lead_department_id: dept,
                co_department_ids: vec![],
                deadline: date("2024-10-01"),
                commitment: None,
                void_reason: None,
            })
            .map(drop)
        })
    });
    refused(&mut s, "deadline", "deadline_before_raised", |s| {
        s.write(|w| {
            w.act_on_appeal(
                appeal_id,
                Action::Extend {
                    deadline: date("2024-09-30"),
                    reason: "等待设备".into(),
                },
                "me",
                None,
            )
            .map(drop)
        })
    });
}

#[test]
fn illegal_transitions_are_refused_and_legal_ones_logged() {
    let mut s = store();
    let (site_id, dept) = s
        .write(|w| {
            Ok((
                w.create(site("随创贸易"))?.id,
                w.create(department("经济发展局"))?.id,
            ))
        })
        .unwrap();
    let id = s.write(|w| Ok(w.create(appeal(site_id))?.id)).unwrap();
    refused(&mut s, "status", "illegal_transition", |s| {
        s.write(|w| {
            w.act_on_appeal(
                id,
                Action::Confirm {
                    satisfaction: 5,
                    follow_up: None,
                },
                "me",
                None,
            )
            .map(drop)
        })
    });
    refused(&mut s, "reason", "required", |s| {
        s.write(|w| {
            w.act_on_appeal(
                id,
                Action::Dispatch {
                    department_id: dept,
                },
                "me",
                None,
            )?;
            w.act_on_appeal(id, Action::Return { reason: "".into() }, "me", None)
                .map(drop)
        })
    });
    s.write(|w| {
        w.act_on_appeal(
            id,
            Action::Dispatch {
                department_id: dept,
            },
            "me",
            None,
        )?;
        w.act_on_appeal(id, Action::Resolve, "me", Some("已供应绿电"))?;
        w.act_on_appeal(
            id,
            Action::Confirm {
                satisfaction: 5,
                follow_up: None,
            },
            "企业",
            None,
        )
        .map(drop)
    })
    .unwrap();
    let a: Appeal = s.get(id).unwrap().unwrap();
    assert_eq!(a.status, AppealStatus::Confirmed);
    assert_eq!(a.satisfaction, Some(5));
    let log = s.progress_of(id).unwrap();
    let steps: Vec<_> = log
        .iter()
        .map(|p| p["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["dispatched", "resolved", "confirmed"]);
}

#[test]
fn duplicates_and_voided_references_are_refused() {
    let mut s = store();
    let code = "91110000802100433B";
    let first = s
        .write(|w| {
            Ok(w.create(Site {
                credit_code: Some(code.into()),
                ..site("甲")
            })?
            .id)
        })
        .unwrap();
    refused(&mut s, "credit_code", "duplicate", |s| {
        s.write(|w| {
            w.create(Site {
                credit_code: Some(code.into()),
                ..site("乙")
            })
            .map(drop)
        })
    });
    refused(&mut s, "void_reason", "required", |s| {
        s.write(|w| w.void(Entity::Site, first, " "))
    });
    s.write(|w| w.void(Entity::Site, first, "重复录入"))
        .unwrap();
    refused(&mut s, "site_id", "voided", |s| {
        s.write(|w| w.create(appeal(first)).map(drop))
    });
    // A voided record frees its code.
    s.write(|w| {
        w.create(Site {
            credit_code: Some(code.into()),
            ..site("乙")
        })
        .map(drop)
    })
    .unwrap();
}

#[test]
fn the_search_index_is_given_only_text_that_changed() {
    let mut s = store();
    let site_id = s
        .write(|w| Ok(w.create(site("湖北交投物流园"))?.id))
        .unwrap();
    let id = s.write(|w| Ok(w.create(appeal(site_id))?.id)).unwrap();
    let written = s.texts_indexed();
    assert_eq!(
        written,
        5 + 1,
        "a site's five indexed fields, an appeal's description"
    );
    // A row rewritten as it was (a sync bringing a record back unchanged), and a field the
    // index does not hold: nothing to index.
    s.conn()
        .execute(
            "UPDATE appeals SET description = description, urgency = 'urgent' WHERE id = ?1",
            [id.to_string()],
        )
        .unwrap();
    s.conn()
        .execute("UPDATE sites SET name = name, address = address", [])
        .unwrap();
    assert_eq!(s.texts_indexed(), written);
    s.write(|w| {
        w.update::<Appeal>(id, |a| a.description = "夜间照明不足".into())
            .map(drop)
    })
    .unwrap();
    assert_eq!(s.texts_indexed(), written + 1);
    assert_eq!(s.search("照明", 10).unwrap().appeals.len(), 1);
}

#[test]
fn every_write_records_its_operations_and_only_changed_fields() {
    let mut s = store();
    let id = s
        .write(|w| Ok(w.create(site("湖北交投物流园"))?.id))
        .unwrap();
    assert_eq!(s.oplog().unwrap().len(), 1);
    s.write(|w| {
        w.update::<Site>(id, |x| x.phone = Some("0722-1234567".into()))
            .map(drop)
    })
    .unwrap();
    let ops = s.oplog().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[1].fields.keys().collect::<Vec<_>>(), ["phone"]);
    assert!(ops[1].hlc > ops[0].hlc);
    assert_eq!(s.outbox().unwrap().len(), 2);
    // An update that changes nothing records nothing.
    s.write(|w| w.update::<Site>(id, |_| {}).map(drop)).unwrap();
    assert_eq!(s.oplog().unwrap().len(), 2);
}

#[test]
fn after_a_restore_what_the_server_acknowledged_within_the_retention_goes_back_to_it() {
    let mut s = store();
    let old = s
        .write(|w| Ok(w.create(site("湖北交投物流园"))?.id))
        .unwrap();
    let recent = s
        .write(|w| Ok(w.create(site("湖北斯诺新材料有限公司"))?.id))
        .unwrap();
    let sent = s.outbox().unwrap();
    let results: Vec<_> = sent
        .iter()
        .map(|op| desk_core::protocol::PushResult::accepted(op.id))
        .collect();
    s.settle_push(&sent, &results).unwrap();
    assert_eq!(s.status().unwrap().pending, 0);
    // The first was acknowledged 40 days ago: older than the 30 kept.
    let long_ago = chrono::Utc::now().timestamp_millis() - 40 * 86_400_000;
    s.conn()
        .execute(
            "UPDATE oplog SET acked_at = ?1 WHERE record_id = ?2",
            rusqlite::params![long_ago, old.to_string()],
        )
        .unwrap();
    assert_eq!(s.server_restored().unwrap(), 1);
    let back = s.outbox().unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].record_id, recent);
    assert!(
        s.rescope_pending().unwrap(),
        "and the next sync bootstraps again"
    );
    // A longer retention reaches further back; a nonsense one is refused, naming the setting.
    s.set_retention_days(60).unwrap();
    assert_eq!(s.server_restored().unwrap(), 1);
    assert_eq!(s.outbox().unwrap().len(), 2);
    let err = s.set_retention_days(0).unwrap_err().to_string();
    assert!(err.starts_with("retention_days"), "{err}");
    assert_eq!(s.retention_days().unwrap(), 60);
}

#[test]
fn search_finds_chinese_text_initials_and_codes() {
    let mut s = store();
    s.load_demo().unwrap();
    let names = |hits: &[serde_json::Map<String, serde_json::Value>], key: &str| -> Vec<String> {
        hits.iter()
            .map(|h| h[key].as_str().unwrap().to_owned())
            .collect()
    };
    let hits = s.search("斯诺新材料", 10).unwrap();
    assert_eq!(names(&hits.sites, "name"), ["湖北斯诺新材料有限公司"]);
    let hits = s.search("hbsn", 10).unwrap();
    assert_eq!(names(&hits.sites, "name"), ["湖北斯诺新材料有限公司"]);
    let code = names(&s.search("斯诺", 10).unwrap().sites, "credit_code").remove(0);
    assert_eq!(
        names(&s.search(&code, 10).unwrap().sites, "name"),
        ["湖北斯诺新材料有限公司"]
    );
    let hits = s.search("电价", 10).unwrap(); // two characters: scanned
    assert_eq!(hits.appeals.len(), 1);
    assert!(s.search("电费", 10).unwrap().appeals.is_empty());
    let hits = s.search("用电价格", 10).unwrap();
    assert_eq!(hits.appeals.len(), 1);
    let hits = s.search("绿化", 10).unwrap();
    assert_eq!(hits.appeals.len(), 1);
    assert!(s.search("100%_", 10).unwrap().appeals.is_empty());
}

/// A bootstrap leaves the index to be built after the records are usable; search meanwhile
/// answers in full, by scanning.
#[test]
fn search_answers_in_full_while_a_bootstrap_s_index_is_still_to_be_built() {
    let mut s = store();
    s.load_demo().unwrap();
    let page = crate::snapshots_after(s.conn(), None, 10_000).unwrap();
    let mut fresh = store();
    fresh.apply_bootstrap_page(&page, None, 0, "").unwrap();
    assert!(fresh.search_index_deferred().unwrap());
    let found = |store: &Store, q: &str| {
        let hits = store.search(q, 10).unwrap();
        (hits.sites.len(), hits.appeals.len())
    };
    for q in ["斯诺新材料", "hbsn", "用电价格", "绿化"] {
        let expected = found(&s, q);
        assert_ne!(expected, (0, 0), "{q}");
        assert_eq!(found(&fresh, q), expected, "{q} before the index is built");
    }
    fresh.rebuild_search_index().unwrap();
    assert_eq!(found(&fresh, "斯诺新材料"), found(&s, "斯诺新材料"));
}

/// The index a bootstrap deferred is built in steps; a record renamed between two steps is
/// found by its new name only, whether its row was built already or not yet.
#[test]
fn the_index_built_in_steps_keeps_what_changes_between_them() {
    let mut s = store();
    let ids: Vec<Uuid> = s
        .write(|w| {
            (0..30)
                .map(|i| {
                    Ok(w.create(Site::enterprise(format!("随州步进企业{i:02}")))?
                        .id)
                })
                .collect()
        })
        .unwrap();
    let page = crate::snapshots_after(s.conn(), None, 10_000).unwrap();
    let mut fresh = store();
    fresh.apply_bootstrap_page(&page, None, 0, "").unwrap();
    assert!(
        !fresh.build_search_index_step(10).unwrap(),
        "ten of thirty built"
    );
    fresh
        .write(|w| {
            w.update::<Site>(ids[0], |s| s.name = "随州甲改名企业".into())?;
            w.update::<Site>(ids[29], |s| s.name = "随州乙改名企业".into())
        })
        .unwrap();
    let sites = |store: &Store, q: &str| store.search(q, 100).unwrap().sites.len();
    assert_eq!(
        sites(&fresh, "步进企业"),
        28,
        "scanned while the index is built"
    );
    let mut steps = 1;
    while !fresh.build_search_index_step(10).unwrap() {
        steps += 1;
    }
    assert_eq!(steps, 3, "ten rows a step");
    assert!(!fresh.search_index_deferred().unwrap());
    assert_eq!(sites(&fresh, "步进企业"), 28);
    assert_eq!(sites(&fresh, "甲改名"), 1);
    assert_eq!(sites(&fresh, "乙改名"), 1);
    assert_eq!(
        fresh.texts_indexed(),
        s.texts_indexed() + 5,
        "each row given once, and the one renamed after it was built once more"
    );
}

/// What a bulk write (an import) adds is indexed once, in one pass after it; what was indexed
/// before stays; a bulk write that fails leaves nothing behind, the index whole.
#[test]
fn a_bulk_write_indexes_its_rows_once_after_and_keeps_what_was_indexed() {
    let mut s = store();
    s.load_demo().unwrap();
    let before = s.texts_indexed();
    let sites = |store: &Store, q: &str| store.search(q, 100).unwrap().sites.len();
    s.write_bulk(|w| {
        (0..50).try_for_each(|i| {
            w.create(Site::enterprise(format!("批量导入企业{i:02}")))
                .map(drop)
        })
    })
    .unwrap();
    assert!(!s.search_index_deferred().unwrap());
    assert_eq!(
        s.texts_indexed(),
        before + 50 * 5,
        "five texts a site, once"
    );
    assert_eq!(sites(&s, "批量导入"), 50);
    assert_eq!(sites(&s, "斯诺新材料"), 1);

    let indexed = s.texts_indexed();
    let failed = s.write_bulk(|w| {
        w.create(Site::enterprise("失败导入企业"))?;
        w.create(Site::enterprise(""))
    });
    assert!(matches!(failed, Err(StoreError::Invalid(_))), "{failed:?}");
    assert!(!s.search_index_deferred().unwrap());
    assert_eq!(s.texts_indexed(), indexed);
    assert_eq!(sites(&s, "失败导入"), 0);
    assert_eq!(sites(&s, "批量导入"), 50);
}

/// A device that captured offline before its first sync keeps its index; the bootstrap's
/// build indexes only what the bootstrap brought.
#[test]
fn a_first_sync_after_capturing_offline_indexes_only_what_it_brought() {
    let mut s = store();
    s.load_demo().unwrap();
    let before = s.texts_indexed();
    let mut office = store();
    office
        .write(|w| {
            (0..3).try_for_each(|i| {
                w.create(Site::enterprise(format!("办公室企业{i}")))
                    .map(drop)
            })
        })
        .unwrap();
    let page = crate::snapshots_after(office.conn(), None, 10_000).unwrap();
    s.apply_bootstrap_page(&page, None, 0, "").unwrap();
    s.rebuild_search_index().unwrap();
    assert_eq!(s.texts_indexed(), before + 3 * 5);
    let sites = |q: &str| s.search(q, 100).unwrap().sites.len();
    assert_eq!((sites("斯诺新材料"), sites("办公室企业")), (1, 3));
}

/// A large pull defers the index and it is built after, each text once; a short one keeps
/// the index row by row, searchable at once.
#[test]
fn a_large_pull_defers_the_index_and_a_short_one_keeps_it() {
    let mut office = store();
    let ops_of = |office: &mut Store, n: usize, name: &str| {
        office
            .write(|w| {
                (0..n).try_for_each(|i| {
                    w.create(Site::enterprise(format!("{name}{i:03}")))
                        .map(drop)
                })
            })
            .unwrap();
        let ops = office.outbox_batch(10_000).unwrap();
        office
            .settle_push(
                &ops,
                &ops.iter()
                    .map(|op| desk_core::protocol::PushResult::accepted(op.id))
                    .collect::<Vec<_>>(),
            )
            .unwrap();
        ops.into_iter()
            .enumerate()
            .map(|(i, op)| desk_core::protocol::Change {
                seq: i as i64 + 1,
                op: Some(op),
                snapshot: None,
                left: None,
            })
            .collect::<Vec<_>>()
    };
    let mut s = store();
    let short = ops_of(&mut office, 10, "短拉取企业");
    s.apply_pull(&short, 10, "").unwrap();
    assert!(!s.search_index_deferred().unwrap());
    assert_eq!(s.texts_indexed(), 10 * 5);

    let large = ops_of(&mut office, crate::sync::LARGE_PULL, "长拉取企业");
    s.apply_pull(&large, 10 + crate::sync::LARGE_PULL as i64, "")
        .unwrap();
    assert!(s.search_index_deferred().unwrap());
    assert_eq!(s.texts_indexed(), 10 * 5, "nothing indexed row by row");
    let sites = |s: &Store, q: &str| s.search(q, 1000).unwrap().sites.len();
    assert_eq!(
        sites(&s, "长拉取企业"),
        crate::sync::LARGE_PULL,
        "found by scanning meanwhile"
    );
    s.rebuild_search_index().unwrap();
    assert_eq!(s.texts_indexed(), (10 + crate::sync::LARGE_PULL as u64) * 5);
    assert_eq!(sites(&s, "长拉取企业"), crate::sync::LARGE_PULL);
    assert_eq!(sites(&s, "短拉取企业"), 10);
}

#[test]
fn the_demo_is_the_26_october_2024_session() {
    let mut s = store();
    s.set_now(|| "2026-01-01T00:00:00Z".parse().unwrap());
    assert!(s.load_demo().unwrap().loaded);
    let before = s.export().unwrap();
    assert!(!s.load_demo().unwrap().loaded, "loading twice adds nothing");
    assert_eq!(s.export().unwrap(), before);
    let stats = s.stats().unwrap();
    assert_eq!(
        (
            stats.sessions,
            stats.visits,
            stats.appeals,
            stats.appeals_resolved
        ),
        (1, 5, 2, 0)
    );
    assert_eq!(stats.resolution_rate, Some(0.0));
    assert_eq!(
        stats.overdue_appeals, 2,
        "both deadlines are past on 2026-01-01"
    );
    assert_eq!(s.list(Entity::Park).unwrap().len(), 3);
    assert_eq!(s.list(Entity::Stop).unwrap().len(), 5);
    assert_eq!(s.list(Entity::Resolution).unwrap().len(), 2);
    let dispatched = s
        .appeals(&crate::AppealFilter {
            status: Some(AppealStatus::Dispatched),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dispatched.len(), 2);

    // The demo's week in the bulletin: both raised, none resolved, both open and overdue now.
    let week = s
        .bulletin(desk_core::bulletin::Week::of("2024-10-26".parse().unwrap()))
        .unwrap();
    assert_eq!(
        week.figures,
        desk_core::bulletin::WeekFigures {
            collected: 2,
            resolved: 0,
            open: 2,
            overdue: 2,
            follow_ups: 0
        }
    );
    let later = s
        .bulletin(desk_core::bulletin::Week::of("2024-11-01".parse().unwrap()))
        .unwrap();
    assert_eq!(later.figures.collected, 0);
}

#[test]
fn a_store_from_a_newer_version_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    Store::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", crate::SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    match Store::open(&path) {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!(
                (found, supported),
                (crate::SCHEMA_VERSION + 1, crate::SCHEMA_VERSION)
            );
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a store from a newer version"),
    }
}

#[test]
fn reopening_keeps_the_device_and_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let (device, stamp) = {
        let mut s = Store::open(&path).unwrap();
        s.write(|w| w.create(site("甲")).map(drop)).unwrap();
        (s.device_id(), s.oplog().unwrap()[0].hlc)
    };
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.device_id(), device);
    s.set_now(|| "2000-01-01T00:00:00Z".parse().unwrap()); // the tablet's clock was reset
    s.write(|w| w.create(site("乙")).map(drop)).unwrap();
    assert!(s.oplog().unwrap()[1].hlc > stamp);
}

#[test]
fn two_processes_on_one_store_never_stamp_backwards_or_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    let mut app = Store::open(&path).unwrap();
    let mut cli = Store::open(&path).unwrap();
    let id = app.write(|w| Ok(w.create(site("甲"))?.id)).unwrap();
    // The CLI receives a change stamped ten minutes ahead, then the app edits.
    let ahead = desk_core::Op {
        id: Uuid::now_v7(),
        entity: Entity::Site,
        record_id: id,
        fields: serde_json::json!({"address": "远方"})
            .as_object()
            .unwrap()
            .clone(),
        hlc: desk_core::Hlc {
            wall_ms: (chrono::Utc::now().timestamp_millis() + 600_000) as u64,
            counter: 0,
            node: Uuid::now_v7(),
        },
        prev: Default::default(),
    };
    cli.apply_remote(std::slice::from_ref(&ahead)).unwrap();
    app.write(|w| {
        w.update::<Site>(id, |s| s.phone = Some("0722-1".into()))
            .map(drop)
    })
    .unwrap();
    let mine = app.oplog().unwrap().last().unwrap().clone();
    assert!(
        mine.hlc > ahead.hlc,
        "the app's edit follows what the CLI saw"
    );
    cli.write(|w| {
        w.update::<Site>(id, |s| s.phone = Some("0722-2".into()))
            .map(drop)
    })
    .unwrap();
    let theirs = cli.oplog().unwrap().last().unwrap().clone();
    assert!(theirs.hlc > mine.hlc);
}

/// A domain action on whatever records exist, picked by index.
#[derive(Debug, Clone)]
enum Step {
    Site(u8),
    Department,
    Appeal {
        site: usize,
        deadline_days: Option<i64>,
    },
    Act {
        appeal: usize,
        action: u8,
        dept: usize,
    },
    Note {
        appeal: usize,
    },
    EditSite {
        site: usize,
        phone: u16,
    },
    Resolution {
        appeal: usize,
        dept: usize,
        days: i64,
    },
    Void {
        appeal: usize,
    },
    /// An enterprise's order for a visit, dispatched to its `window`-th window when that is
    /// not 0.
    Order {
        site: usize,
        window: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..4).prop_map(Step::Site),
        Just(Step::Department),
        (0usize..8, proptest::option::of(-3i64..30)).prop_map(|(site, deadline_days)| {
            Step::Appeal {
                site,
                deadline_days,
            }
        }),
        (0usize..8, 0usize..3).prop_map(|(site, window)| Step::Order { site, window }),
        (0usize..8, 0u8..10, 0usize..4).prop_map(|(appeal, action, dept)| Step::Act {
            appeal,
            action,
            dept
        }),
        (0usize..8).prop_map(|appeal| Step::Note { appeal }),
        (0usize..8, any::<u16>()).prop_map(|(site, phone)| Step::EditSite { site, phone }),
        (0usize..8, 0usize..4, -3i64..30).prop_map(|(appeal, dept, days)| Step::Resolution {
            appeal,
            dept,
            days
        }),
        (0usize..8).prop_map(|appeal| Step::Void { appeal }),
    ]
}

fn pick(ids: &[Uuid], i: usize) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[i % ids.len()])
}

fn run(
    s: &mut Store,
    step: &Step,
    sites: &mut Vec<Uuid>,
    depts: &mut Vec<Uuid>,
    appeals: &mut Vec<Uuid>,
) {
    let raised = date("2024-10-26");
    let result = s.write(|w| {
        match step {
            Step::Site(n) => {
                let mut x = site(&format!("企业{}", sites.len()));
                // Some sites get a valid credit code, some a broken one.
                if *n == 1 {
                    x.credit_code = Some("91110000802100433B".into());
                } else if *n == 2 {
                    x.credit_code = Some("91110000802100433C".into());
                }
                sites.push(w.create(x)?.id);
            }
            Step::Department => {
                depts.push(w.create(department(&format!("部门{}", depts.len())))?.id)
            }
            Step::Appeal {
                site,
                deadline_days,
            } => {
                let Some(site_id) = pick(sites, *site) else {
                    return Ok(());
                };
                let a = Appeal {
                    deadline: deadline_days.map(|d| raised + chrono::Duration::days(d)),
                    ..appeal(site_id)
                };
                appeals.push(w.create(a)?.id);
            }
            Step::Act {
                appeal,
                action,
                dept,
            } => {
                let Some(id) = pick(appeals, *appeal) else {
                    return Ok(());
                };
                let department_id = pick(depts, *dept).unwrap_or_else(Uuid::now_v7);
                let reason = "原因".to_owned();
                let action = match action {
                    0 => Action::Dispatch { department_id },
                    1 => Action::Start,
                    2 => Action::Resolve,
                    3 => Action::Confirm {
                        satisfaction: 4,
                        follow_up: None,
                    },
                    4 => Action::Return { reason },
                    5 => Action::Transfer {
                        department_id,
                        reason,
                    },
                    6 => Action::Extend {
                        deadline: raised + chrono::Duration::days(40),
                        reason,
                    },
                    7 => Action::Confirm {
                        satisfaction: 2,
                        follow_up: Some(raised + chrono::Duration::days(45)),
                    },
                    8 => Action::Rectify,
                    _ => Action::Reopen { reason },
                };
                w.act_on_appeal(id, action, "官员", None)?;
            }
            Step::Note { appeal } => {
                let Some(appeal_id) = pick(appeals, *appeal) else {
                    return Ok(());
                };
                let at = w.now();
                w.create(Progress::note(appeal_id, at, "官员", "电话回访"))?;
            }
            Step::EditSite { site, phone } => {
                let Some(id) = pick(sites, *site) else {
                    return Ok(());
                };
                w.update::<Site>(id, |x| x.phone = Some(format!("0722-{phone}")))?;
            }
            Step::Resolution { appeal, dept, days } => {
                let (Some(appeal_id), Some(lead)) = (pick(appeals, *appeal), pick(depts, *dept))
                else {
                    return Ok(());
                };
                w.create(Resolution {
                    id: Uuid::now_v7(),
                    appeal_id,
                    action: "现场决议".into(),
                    lead_department_id: lead,
                    co_department_ids: vec![],
                    deadline: raised + chrono::Duration::days(*days),
                    commitment: None,
                    void_reason: None,
                })?;
            }
            Step::Order { site, window } => {
                let Some(site_id) = pick(sites, *site) else {
                    return Ok(());
                };
                let order = w.create(Order {
                    id: Uuid::now_v7(),
                    site_id,
                    placed_at: w.now(),
                    topic: "用地咨询".into(),
                    wishes: None,
                    windows: vec![
                        TimeWindow {
                            date: raised + chrono::Duration::days(7),
                            start: "14:00".into(),
                            end: "16:00".into(),
                        },
                        TimeWindow {
                            date: raised + chrono::Duration::days(9),
                            start: "09:00".into(),
                            end: "11:00".into(),
                        },
                    ],
                    stop_id: None,
                    void_reason: None,
                })?;
                if *window > 0 {
                    w.dispatch_order(order.id, *window, "官员")?;
                }
            }
            Step::Void { appeal } => {
                let Some(id) = pick(appeals, *appeal) else {
                    return Ok(());
                };
                w.void(Entity::Appeal, id, "重复登记")?;
            }
        }
        Ok(())
    });
    match result {
        Ok(()) | Err(StoreError::Invalid(_)) => {}
        Err(e) => panic!("{step:?}: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The foundation of sync: the recorded operations, applied in order to an empty store,
    /// rebuild exactly the same state. Applied twice, they change nothing more.
    #[test]
    fn replaying_the_oplog_rebuilds_the_state(steps in proptest::collection::vec(step(), 1..60), chunk in 1usize..20) {
        let mut s = store();
        let (mut sites, mut depts, mut appeals) = (vec![], vec![], vec![]);
        for step in &steps {
            let ops_before = s.oplog().unwrap().len();
            let state_before = s.export().unwrap();
            run(&mut s, step, &mut sites, &mut depts, &mut appeals);
            let ops_after = s.oplog().unwrap().len();
            // No write without operations, no operations without a write.
            prop_assert_eq!(ops_before == ops_after, state_before == s.export().unwrap(), "{:?}", step);
        }
        let ops = s.oplog().unwrap();
        let mut replica = Store::open_in_memory().unwrap();
        for batch in ops.chunks(chunk) {
            replica.apply_remote(batch).unwrap();
        }
        prop_assert_eq!(replica.export().unwrap(), s.export().unwrap());
        prop_assert_eq!(replica.apply_remote(&ops).unwrap(), 0);
        prop_assert_eq!(replica.export().unwrap(), s.export().unwrap());

        // A bootstrap: the records as they stand, in pages, instead of their history.
        let mut fresh = Store::open_in_memory().unwrap();
        let mut after = None;
        loop {
            let page = crate::snapshots_after(s.conn(), after, chunk).unwrap();
            let Some(last) = page.last() else {
                fresh.apply_bootstrap_page(&[], None, 0, "").unwrap();
                break;
            };
            after = Some((last.entity, last.record_id));
            let next = format!("{}:{}", last.entity.table(), last.record_id);
            fresh.apply_bootstrap_page(&page, Some(&next), 0, "").unwrap();
        }
        prop_assert_eq!(fresh.export().unwrap(), s.export().unwrap());
        // The search index, built at the end, finds what the trigger-kept one finds.
        prop_assert!(fresh.search_index_deferred().unwrap(), "a bootstrap defers the index");
        fresh.rebuild_search_index().unwrap();
        prop_assert!(!fresh.search_index_deferred().unwrap());
        prop_assert_eq!(fresh.search("企业", 100).unwrap().sites.len(), s.search("企业", 100).unwrap().sites.len());
        prop_assert_eq!(fresh.search("电价", 100).unwrap().appeals.len(), s.search("电价", 100).unwrap().appeals.len());
        // Operations that arrive after the snapshot already reflected them change nothing.
        fresh.apply_remote(&ops).unwrap();
        prop_assert_eq!(fresh.export().unwrap(), s.export().unwrap());
    }
}

#[test]
fn an_order_is_dispatched_once_to_a_stop_in_a_window_it_asked_for() {
    let mut s = store();
    s.load_demo().unwrap();
    let waiting = s.waiting_orders().unwrap();
    assert_eq!(waiting.len(), 1, "the demo's order");
    let order = waiting[0].id;
    for (window, field) in [(0, "window"), (3, "window")] {
        let err = s
            .write(|w| w.dispatch_order(order, window, "主任"))
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field() == field),
            "{err}"
        );
    }
    let stop = s.write(|w| w.dispatch_order(order, 2, "主任")).unwrap();
    assert_eq!(
        (
            stop.slot_start.as_deref(),
            stop.slot_end.as_deref(),
            stop.position
        ),
        (Some("09:00"), Some("11:30"), 1)
    );
    let session: Session = s.get(stop.session_id).unwrap().unwrap();
    assert_eq!(
        (session.date.to_string(), session.origin),
        ("2024-11-07".to_owned(), Origin::Ordered),
        "a new session on the day, ordered by the enterprise"
    );
    assert!(s.waiting_orders().unwrap().is_empty());
    let err = s.write(|w| w.dispatch_order(order, 1, "主任")).unwrap_err();
    assert!(err.to_string().contains("not yet dispatched"), "{err}");
}
