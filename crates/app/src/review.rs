//! What sync leaves for a person to look at: values that lost a concurrent edit (conflicts) and
//! changes the server refused (rejections), each described in words the user knows — which
//! record, which field, what each side wrote, why the server said no — and settled here.
//! Every settlement returns the app's state, so the counts on screen follow at once.

use desk_core::model::{AppealStatus, Category, SessionStatus, SiteKind, Urgency};
use desk_core::{time, Entity};
use desk_store::{Keep, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use uuid::Uuid;

use super::{AppError, AppState, Desk, Result};

/// Record labels longer than this are cut: a row shows which record, not all of it.
const LABEL_MAX: usize = 40;

#[derive(Debug, Clone, Serialize, TS)]
pub struct ConflictItem {
    pub id: i64,
    pub entity: Entity,
    pub record_id: Uuid,
    /// The record as people know it: a site's name, an appeal's description.
    pub record_label: String,
    pub field: String,
    /// The value the record holds (the later write), as text.
    pub kept_text: String,
    pub kept_by_this_device: bool,
    /// The value that lost, as text.
    pub lost_text: String,
    pub lost_by_this_device: bool,
    pub at: String,
}

/// Which of a conflict's two values stays.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeepValue {
    /// The value the record holds now: nothing is written.
    Kept,
    /// The value that lost: written again, as a new change that syncs like any other.
    Lost,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RejectionItem {
    pub op_id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    pub record_label: String,
    /// The fields the refused change wrote.
    pub fields: Vec<String>,
    /// The server's code (`validation`, `illegal_transition`, `not_permitted`,
    /// `derived_field`, `forbidden`, `clock_ahead`, `unknown_record`, `unknown_reference`,
    /// `immutable`), the field it names and its reason in both languages.
    pub code: String,
    pub field: Option<String>,
    pub reason: String,
    pub at: String,
}

/// What to do with a refused change.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SettleRejection {
    /// Give it up: the record goes back to the server's version (asks the server).
    Revert,
    /// Send it again at the next sync (once what made it fail is put right).
    Retry,
    /// Seen and dealt with otherwise; the record stays as it is here.
    Dismiss,
}

/// The record as people know it, or "" when this device does not hold it.
fn record_label(store: &Store, entity: Entity, id: Uuid) -> String {
    let Ok(Some(r)) = store.get_json(entity, id) else {
        return String::new();
    };
    let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let site = || {
        text("site_id")
            .and_then(|s| Uuid::parse_str(&s).ok())
            .map(|s| record_label(store, Entity::Site, s))
    };
    let label = match entity {
        Entity::Visit => {
            let at = text("started_at")
                .and_then(|t| t.parse().ok())
                .map(time::display);
            [site(), at]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        }
        Entity::Stop => site().unwrap_or_default(),
        Entity::Session => [text("date"), text("leader")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        _ => [
            "name",
            "description",
            "action",
            "note",
            "question",
            "content",
        ]
        .into_iter()
        .find_map(text)
        .unwrap_or_default(),
    };
    if label.chars().count() > LABEL_MAX {
        label.chars().take(LABEL_MAX).chain(['…']).collect()
    } else {
        label
    }
}

/// A stored word (a status, a category) in Chinese, when the field holds one.
fn choice_label(entity: Entity, field: &str, token: &str) -> Option<&'static str> {
    match (entity, field) {
        (Entity::Appeal, "status") => AppealStatus::parse("status", token)
            .ok()
            .map(|s| s.label_zh()),
        (Entity::Session, "status") => SessionStatus::parse("status", token)
            .ok()
            .map(|s| s.label_zh()),
        (_, "category") => Category::parse("category", token)
            .ok()
            .map(|c| c.label_zh()),
        (_, "urgency") => Urgency::parse("urgency", token).ok().map(|u| u.label_zh()),
        (_, "kind") => SiteKind::parse("kind", token).ok().map(|k| k.label_zh()),
        _ => None,
    }
}

/// A field's value as a person reads it: references by the name of what they point at,
/// stored words in Chinese, lists joined, nothing as "".
fn value_text(store: &Store, entity: Entity, field: &str, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "是 (yes)".into(),
        Value::Bool(false) => "否 (no)".into(),
        Value::String(s) => {
            if let Ok(id) = Uuid::parse_str(s) {
                let named = [Entity::Department, Entity::Park, Entity::Site]
                    .into_iter()
                    .map(|e| record_label(store, e, id))
                    .find(|l| !l.is_empty());
                if let Some(name) = named {
                    return name;
                }
            }
            choice_label(entity, field, s).map_or_else(|| s.clone(), str::to_owned)
        }
        Value::Array(items) => items
            .iter()
            .map(|v| value_text(store, entity, field, v))
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

impl Desk {
    /// Conflicts not yet looked at, oldest first.
    pub fn conflicts(&self) -> Result<Vec<ConflictItem>> {
        let store = self.store();
        Ok(store
            .conflicts()?
            .into_iter()
            .map(|c| ConflictItem {
                id: c.id,
                entity: c.entity,
                record_id: c.record_id,
                record_label: record_label(&store, c.entity, c.record_id),
                kept_text: value_text(&store, c.entity, &c.field, &c.kept_value),
                lost_text: value_text(&store, c.entity, &c.field, &c.lost_value),
                field: c.field,
                kept_by_this_device: c.kept_by_this_device,
                lost_by_this_device: c.lost_by_this_device,
                at: c.at,
            })
            .collect())
    }

    /// Settles a conflict by choosing the value that stays.
    pub fn resolve_conflict(&self, id: i64, keep: KeepValue) -> Result<AppState> {
        {
            let mut store = self.store();
            let lost_by_me = store
                .conflicts()?
                .into_iter()
                .find(|c| c.id == id)
                .map(|c| c.lost_by_this_device);
            // In the store's terms: "mine" is this device's value, "theirs" the other's; a
            // conflict it does not know is refused by the store with the field named.
            let keep = match (keep, lost_by_me) {
                (KeepValue::Lost, Some(true)) | (KeepValue::Kept, Some(false) | None) => Keep::Mine,
                (KeepValue::Lost, Some(false) | None) | (KeepValue::Kept, Some(true)) => {
                    Keep::Theirs
                }
            };
            store.resolve_conflict(id, keep)?;
        }
        self.state()
    }

    /// Changes the server refused and nobody has settled yet, oldest first.
    pub fn rejections(&self) -> Result<Vec<RejectionItem>> {
        let store = self.store();
        Ok(store
            .rejections()?
            .into_iter()
            .map(|r| RejectionItem {
                op_id: r.op_id,
                entity: r.entity,
                record_id: r.record_id,
                record_label: record_label(&store, r.entity, r.record_id),
                fields: r.fields.keys().cloned().collect(),
                code: r.code,
                field: r.field,
                reason: r.reason,
                at: r.at,
            })
            .collect())
    }

    pub async fn settle_rejection(&self, op_id: Uuid, how: SettleRejection) -> Result<AppState> {
        // Each store call ends its statement, so no lock is held across the await below.
        match how {
            SettleRejection::Retry => {
                self.store().retry_rejected(op_id)?;
            }
            SettleRejection::Dismiss => {
                self.store().dismiss_rejection(op_id)?;
            }
            SettleRejection::Revert => {
                // The server's version of the record is fetched, so this needs the server.
                let engine = self.engine().ok_or_else(|| AppError {
                    code: "not_signed_in".into(),
                    params: Default::default(),
                    field: None,
                    message: "尚未登录服务器，无法取回服务器上的版本 (not signed in: the server's version cannot be fetched)".into(),
                })?;
                engine.resolve_rejection(op_id, false).await?;
            }
        }
        self.state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_desk;
    use desk_core::protocol::PushResult;
    use desk_core::{Hlc, Op};
    use serde_json::json;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// The demo's first enterprise and the stamp its fields were created with.
    fn snow(desk: &Desk) -> (Uuid, Hlc) {
        let store = desk.store();
        let create = store
            .oplog()
            .unwrap()
            .into_iter()
            .find(|o| o.entity == Entity::Site && o.fields["name"] == "湖北斯诺新材料有限公司")
            .unwrap();
        (create.record_id, create.hlc)
    }

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    /// This device sets the site's contact; another device, unaware, set it too, `stamp_ms`.
    fn concurrent_contact(desk: &Desk, stamp_ms: u64) -> Uuid {
        let (id, created) = snow(desk);
        let other = Op {
            id: Uuid::now_v7(),
            entity: Entity::Site,
            record_id: id,
            fields: json!({"contact": "王经理"}).as_object().unwrap().clone(),
            hlc: Hlc {
                wall_ms: stamp_ms,
                counter: 0,
                node: Uuid::now_v7(),
            },
            prev: [("contact".to_owned(), created)].into(),
        };
        let mut store = desk.store();
        store
            .write(|w| {
                w.update::<desk_core::model::Site>(id, |s| s.contact = Some("李厂长".into()))
                    .map(drop)
            })
            .unwrap();
        store.apply_remote(&[other]).unwrap();
        id
    }

    fn contact(desk: &Desk, id: Uuid) -> Value {
        desk.store().get_json(Entity::Site, id).unwrap().unwrap()["contact"].clone()
    }

    #[test]
    fn a_lost_value_of_mine_can_be_kept_after_all() {
        let (_dir, desk) = demo_desk(None);
        // The other device wrote a minute later: its value won.
        let id = concurrent_contact(&desk, now_ms() + 60_000);
        assert_eq!(contact(&desk, id), "王经理");
        let list = desk.conflicts().unwrap();
        assert_eq!(list.len(), 1);
        let c = &list[0];
        assert_eq!(c.record_label, "湖北斯诺新材料有限公司");
        assert_eq!(
            (c.field.as_str(), c.kept_text.as_str()),
            ("contact", "王经理")
        );
        assert_eq!(c.lost_text, "李厂长");
        assert!(c.lost_by_this_device && !c.kept_by_this_device);
        let before = desk.state().unwrap().local;
        assert_eq!(before.conflicts, 1);

        let state = desk.resolve_conflict(c.id, KeepValue::Lost).unwrap();
        assert_eq!(state.local.conflicts, 0, "the counts follow");
        assert_eq!(
            state.local.pending,
            before.pending + 1,
            "written again, to push"
        );
        assert_eq!(contact(&desk, id), "李厂长");
        let err = desk.resolve_conflict(c.id, KeepValue::Kept).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("not_found", Some("id"))
        );
    }

    #[test]
    fn keeping_the_value_that_won_writes_nothing() {
        let (_dir, desk) = demo_desk(None);
        // The other device's write is older than this device's: this device's value won.
        let (_, created) = snow(&desk);
        let id = concurrent_contact(&desk, created.wall_ms + 1);
        assert_eq!(contact(&desk, id), "李厂长");
        let c = desk.conflicts().unwrap().remove(0);
        assert!(c.kept_by_this_device && !c.lost_by_this_device);
        let pending = desk.state().unwrap().local.pending;
        let state = desk.resolve_conflict(c.id, KeepValue::Kept).unwrap();
        assert_eq!((state.local.conflicts, state.local.pending), (0, pending));
        assert_eq!(contact(&desk, id), "李厂长");
    }

    #[test]
    fn values_read_as_people_know_them() {
        let (_dir, desk) = demo_desk(None);
        let store = desk.store();
        let planning = store
            .resolve(Entity::Department, "自然资源和规划中心")
            .unwrap()
            .unwrap();
        let text = |e, f, v: Value| value_text(&store, e, f, &v);
        assert_eq!(
            text(Entity::Appeal, "department_id", json!(planning.to_string())),
            "自然资源和规划中心"
        );
        assert_eq!(
            text(Entity::Appeal, "status", json!("dispatched")),
            "已派单"
        );
        assert_eq!(
            text(Entity::Appeal, "deadline", json!("2024-10-28")),
            "2024-10-28"
        );
        assert_eq!(
            text(Entity::Visit, "officials", json!(["甲", "乙"])),
            "甲、乙"
        );
        assert_eq!(text(Entity::Visit, "notes", Value::Null), "");
        let visit = store
            .list(Entity::Visit)
            .unwrap()
            .into_iter()
            .find(|v| v["monthly_output_yuan"].is_number())
            .unwrap();
        let id = visit["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            record_label(&store, Entity::Visit, id),
            "湖北斯诺新材料有限公司 2024-10-26 08:30"
        );
        assert_eq!(record_label(&store, Entity::Appeal, Uuid::now_v7()), "");
    }

    /// The server refused this device's latest change to the demo enterprise.
    fn refused(desk: &Desk, code: &str, reason: &str) -> Uuid {
        let (id, _) = snow(desk);
        let mut store = desk.store();
        store
            .write(|w| {
                w.update::<desk_core::model::Site>(id, |s| s.phone = Some("0722-3300000".into()))
                    .map(drop)
            })
            .unwrap();
        let op = store.outbox().unwrap().pop().unwrap();
        let result = PushResult::rejected(op.id, code, Some("hlc"), reason.into());
        store
            .settle_push(std::slice::from_ref(&op), &[result])
            .unwrap();
        op.id
    }

    #[test]
    fn a_refused_change_says_why_and_can_be_sent_again_or_dismissed() {
        let (_dir, desk) = demo_desk(None);
        let op = refused(
            &desk,
            "clock_ahead",
            "设备时钟比服务器快 90 分钟 (the device clock is 90 minutes ahead)",
        );
        let list = desk.rejections().unwrap();
        assert_eq!(list.len(), 1);
        let r = &list[0];
        assert_eq!(r.record_label, "湖北斯诺新材料有限公司");
        assert_eq!(r.fields, ["phone"]);
        assert_eq!(
            (r.code.as_str(), r.field.as_deref()),
            ("clock_ahead", Some("hlc"))
        );
        assert!(r.reason.contains("时钟"));
        let before = desk.state().unwrap().local;
        assert_eq!(before.rejections, 1);

        let state = block_on(desk.settle_rejection(op, SettleRejection::Retry)).unwrap();
        assert_eq!(
            (state.local.rejections, state.local.pending),
            (0, before.pending + 1),
            "queued again"
        );
        let err = block_on(desk.settle_rejection(op, SettleRejection::Dismiss)).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("not_found", Some("op_id"))
        );

        let op = refused(
            &desk,
            "forbidden",
            "此账号不能修改 (this account may not change it)",
        );
        let state = block_on(desk.settle_rejection(op, SettleRejection::Dismiss)).unwrap();
        assert_eq!(state.local.rejections, 0);
        assert!(desk.rejections().unwrap().is_empty());
    }

    #[test]
    fn going_back_to_the_servers_version_needs_the_server() {
        let (_dir, desk) = demo_desk(None);
        let op = refused(&desk, "forbidden", "不能修改 (may not change)");
        let err = block_on(desk.settle_rejection(op, SettleRejection::Revert)).unwrap_err();
        assert_eq!(err.code, "not_signed_in");
        assert_eq!(desk.rejections().unwrap().len(), 1, "still there to settle");
    }
}
