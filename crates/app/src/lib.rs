//! What the app does, over the store and the sync engine; nothing here knows Tauri.
//!
//! One file per screen family: [`ledger`] (appeals, progress, figures), [`sessions`], [`visit`]
//! (visit capture), [`sites`], [`review`] (conflicts and rejected changes), [`policy`] (the
//! deliberation desk: appeals grouped into policy issues), [`admin`] (accounts and devices,
//! through the server).

mod admin;
#[cfg(test)]
mod bindings;
mod figures;
mod ledger;
mod orders;
mod policy;
mod print;
mod review;
mod sessions;
mod sites;
pub mod visit;

pub use admin::Place;
pub use figures::FigureBreakdown;
pub use ledger::{
    Alerts, AppealAction, AppealDetail, Exported, LedgerFilter, LedgerPage, LedgerRow,
};
pub use orders::OrderView;
pub use policy::{
    NewPolicyIssue, PolicyAppeal, PolicyIssueChange, PolicyIssueView, SuggestedGroup,
};
pub use review::{ConflictItem, KeepValue, RejectionItem, SettleRejection};
pub use sessions::{SessionDetail, SessionPlan, SessionView, StopPlan};
pub use sites::{SiteHistory, SiteInput, SiteRow};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use desk_core::ValidationError;
use desk_store::{LocalStatus, Store, StoreError};
use desk_sync::credentials::{self, Credentials};
use desk_sync::{Engine, HttpTransport, Status, SyncReport};
use serde::Serialize;
use ts_rs::TS;

/// An error as the UI shows it: next to `field` when there is one. `message` is in both
/// languages; the window words the errors it knows by `code` and `params` in the language
/// chosen (`ui/src/lib/errors.ts`), and shows `message` for the others.
#[derive(Debug, Clone, Serialize, PartialEq, TS)]
pub struct AppError {
    pub code: String,
    pub field: Option<String>,
    /// The values the message is made of, by name (a length, the most allowed, …).
    pub params: std::collections::BTreeMap<String, String>,
    pub message: String,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Invalid(v) => AppError {
                code: v.code().into(),
                params: v
                    .params()
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                field: Some(v.field().into()),
                message: v.to_string(),
            },
            _ => AppError {
                code: "failed".into(),
                params: Default::default(),
                field: None,
                message: e.to_string(),
            },
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        StoreError::Invalid(e).into()
    }
}

impl From<desk_sync::SyncError> for AppError {
    fn from(e: desk_sync::SyncError) -> Self {
        match e {
            desk_sync::SyncError::Store(s) => s.into(),
            other => AppError {
                code: "sync".into(),
                params: Default::default(),
                field: None,
                message: other.to_string(),
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// What the first screen needs to know.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppState {
    /// Signed in to a server, or chose to work offline: the first-run screen is done.
    pub ready: bool,
    pub server: Option<String>,
    pub user: Option<String>,
    /// The signed-in account is an administrator: the administration screens are shown.
    pub admin: bool,
    pub local: LocalStatus,
    pub sync: Status,
}

pub struct Desk {
    dir: PathBuf,
    store: Arc<Mutex<Store>>,
    engine: Mutex<Option<Arc<Engine<HttpTransport>>>>,
}

impl Desk {
    pub fn open(dir: &Path) -> std::result::Result<Desk, Box<dyn std::error::Error>> {
        let store = Arc::new(Mutex::new(Store::open_dir(dir)?));
        let desk = Desk {
            dir: dir.to_owned(),
            store,
            engine: Mutex::new(None),
        };
        if let Some(c) = credentials::load(dir)? {
            desk.connect(&c);
        }
        Ok(desk)
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connect(&self, c: &Credentials) {
        let engine = Engine::new(self.store.clone(), HttpTransport::new(&c.server, &c.token));
        *self.engine.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(engine));
    }

    /// The sync engine, once signed in.
    pub fn engine(&self) -> Option<Arc<Engine<HttpTransport>>> {
        self.engine
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn state(&self) -> Result<AppState> {
        let creds = credentials::load(&self.dir).map_err(|m| AppError {
            code: "failed".into(),
            params: Default::default(),
            field: None,
            message: m,
        })?;
        let offline = self.dir.join("offline").exists();
        let sync = self
            .engine()
            .map_or(Status::Idle, |e| e.status().borrow().clone());
        // One lock for both: a guard held in the struct below would still be held at the next.
        let (admin, local) = {
            let store = self.store();
            (
                store.account_role()? == Some(desk_core::Role::Admin),
                store.status()?,
            )
        };
        Ok(AppState {
            ready: creds.is_some() || offline,
            server: creds.as_ref().map(|c| c.server.clone()),
            user: creds.map(|c| c.user),
            admin,
            local,
            sync,
        })
    }

    /// "Work offline for now": records stay on this device until an account is added.
    pub fn work_offline(&self) -> Result<AppState> {
        std::fs::write(self.dir.join("offline"), b"").map_err(|e| AppError {
            code: "failed".into(),
            params: Default::default(),
            field: None,
            message: e.to_string(),
        })?;
        self.state()
    }

    pub async fn login(
        &self,
        server: &str,
        user: &str,
        password: &str,
        device_name: &str,
    ) -> Result<AppState> {
        for (field, value) in [
            ("server", server),
            ("user", user),
            ("password", password),
            ("device_name", device_name),
        ] {
            if value.trim().is_empty() {
                return Err(ValidationError::Required { field }.into());
            }
        }
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ValidationError::Invalid {
                field: "server",
                value: server.into(),
                expected: "http://… or https://…".into(),
            }
            .into());
        }
        let reply =
            desk_sync::transport::login(server.trim(), user.trim(), password, device_name.trim())
                .await
                .map_err(|e| AppError {
                    code: "login".into(),
                    params: Default::default(),
                    field: Some("password".into()),
                    message: e.to_string(),
                })?;
        // Local actions are checked as the server will check them, for this account's role.
        self.store().set_account_role(reply.user.role)?;
        let c = Credentials {
            server: server.trim().trim_end_matches('/').into(),
            token: reply.token,
            device_id: reply.device_id,
            user: reply.user.display_name,
        };
        credentials::save(&self.dir, &c).map_err(|e| AppError {
            code: "failed".into(),
            params: Default::default(),
            field: None,
            message: e.to_string(),
        })?;
        self.connect(&c);
        self.state()
    }

    pub async fn sync_now(&self) -> Result<SyncReport> {
        let engine = self.engine().ok_or_else(|| AppError {
            code: "not_signed_in".into(),
            params: Default::default(),
            field: None,
            message:
                "尚未登录服务器，记录保存在本设备 (not signed in: records stay on this device)"
                    .into(),
        })?;
        match engine.sync().await {
            Err(lost @ desk_sync::SyncError::Lost { .. }) => Err(self.erase_lost(&lost)),
            other => Ok(other?),
        }
    }

    /// The device was marked lost and has handed over: its store, the store's key and its
    /// sign-in are erased, and the desk goes on with an empty store in memory, at its first
    /// screen. What is returned says what happened, for the window to show.
    pub fn erase_lost(&self, lost: &desk_sync::SyncError) -> AppError {
        *self.engine.lock().unwrap_or_else(|p| p.into_inner()) = None;
        // The file's store is closed before its files go.
        let erased = Store::open_in_memory()
            .map(|empty| *self.store() = empty)
            .map_err(|e| e.to_string())
            .and_then(|()| desk_sync::erase(&self.dir).map_err(|e| e.to_string()));
        let _ = std::fs::remove_file(self.dir.join("offline"));
        AppError {
            code: "device_lost".into(),
            params: Default::default(),
            field: None,
            message: match erased {
                Ok(()) => lost.to_string(),
                Err(e) => format!(
                    "此设备已被标记为丢失，但清除本机数据失败 (this device was marked lost, but erasing its data failed): {e}"
                ),
            },
        }
    }

    /// The address of the server this device signed in to, if it did.
    fn server(&self) -> Option<String> {
        credentials::load(&self.dir)
            .ok()
            .flatten()
            .map(|c| c.server)
    }

    fn author(&self) -> String {
        credentials::load(&self.dir)
            .ok()
            .flatten()
            .map_or_else(|| "本机用户".into(), |c| c.user)
    }
}

/// Desks for tests.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::Desk;

    /// A desk on a fresh store in a temporary directory, with the demo (26 October 2024)
    /// loaded; when `today` (YYYY-MM-DD) is given, its clock stands at 10:00 that day in the zone.
    pub fn demo_desk(today: Option<&str>) -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::open(dir.path()).unwrap();
        let mut store = desk.store();
        if let Some(today) = today {
            let day: NaiveDate = today.parse().unwrap();
            let at = Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap());
            store.set_now(move || at);
        }
        store.load_demo().unwrap();
        drop(store);
        (dir, desk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use desk_core::model::AppealStatus;

    #[test]
    fn first_run_is_done_once_offline_is_chosen() {
        let (_dir, desk) = testing::demo_desk(None);
        assert!(!desk.state().unwrap().ready);
        assert!(desk.work_offline().unwrap().ready);
    }

    #[test]
    fn a_refusal_reaches_the_window_with_the_values_its_message_is_made_of() {
        let e = AppError::from(StoreError::Invalid(ValidationError::TooLong {
            field: "name",
            max: 100,
            len: 120,
        }));
        assert_eq!(
            (e.code.as_str(), e.field.as_deref()),
            ("too_long", Some("name"))
        );
        assert_eq!(e.params["max"], "100");
        assert_eq!(e.params["len"], "120");
        assert!(e.message.contains("最多 100 个字"), "{}", e.message);
        let e = AppError::from(StoreError::Invalid(ValidationError::IllegalTransition {
            from: "dispatched",
            action_zh: "办结",
            action_en: "resolved",
        }));
        assert_eq!(e.params["action_zh"], "办结");
        assert_eq!(e.params["action_en"], "resolved");
    }

    #[test]
    fn a_device_marked_lost_erases_its_store_key_and_sign_in_and_starts_over() {
        let (dir, desk) = testing::demo_desk(None);
        desk.work_offline().unwrap();
        credentials::save(
            dir.path(),
            &Credentials {
                server: "http://office:8700".into(),
                token: "t".into(),
                device_id: uuid::Uuid::now_v7(),
                user: "li".into(),
            },
        )
        .unwrap();
        let said = desk.erase_lost(&desk_sync::SyncError::Lost { kept: 2 });
        assert_eq!(said.code, "device_lost");
        assert!(
            said.message.contains("2 条未上传的修改"),
            "{}",
            said.message
        );
        for gone in ["desk.db", "desk.key", "credentials.json", "offline"] {
            assert!(!dir.path().join(gone).exists(), "{gone} erased");
        }
        let state = desk.state().unwrap();
        assert!(!state.ready, "the first screen again");
        assert_eq!(desk.sessions().unwrap().len(), 0, "nothing left to show");
    }

    #[test]
    fn the_demo_session_lists_its_stops_in_order() {
        let (_dir, desk) = testing::demo_desk(None);
        let sessions = desk.sessions().unwrap();
        assert_eq!(sessions.len(), 1);
        let stops = &sessions[0].stops;
        let names: Vec<_> = stops
            .iter()
            .map(|s| s.site_name.as_deref().unwrap())
            .collect();
        assert_eq!(names[0], "湖北斯诺新材料有限公司");
        assert_eq!(stops[0].stop.slot_start.as_deref(), Some("08:30"));
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn the_ledger_moves_an_appeal_and_says_what_is_wrong() {
        let (_dir, desk) = testing::demo_desk(None);
        let dispatched = LedgerFilter {
            status: Some(AppealStatus::Dispatched),
            ..LedgerFilter::default()
        };
        let appeals = desk
            .ledger(&dispatched, desk_store::LedgerOrder::default(), None)
            .unwrap()
            .rows;
        assert_eq!(appeals.len(), 2);
        assert_eq!(
            appeals[0].context.site_name.as_deref(),
            Some("湖北斯诺新材料有限公司")
        );
        let id = appeals[0].appeal.id;
        let err = desk
            .act_on_appeal(id, AppealAction::Confirm { satisfaction: 5 }, None)
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("illegal_transition", Some("status"))
        );
        desk.act_on_appeal(id, AppealAction::Resolve, Some("方案已交付"))
            .unwrap();
        let detail = desk.add_progress(id, "企业表示满意").unwrap();
        assert_eq!(detail.appeal.status, AppealStatus::Resolved);
        assert_eq!(detail.progress.len(), 3);
        let err = desk.add_progress(id, "  ").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("note"));
        assert_eq!(desk.stats().unwrap().appeals_resolved, 1);
    }

    #[test]
    fn sign_in_checks_its_fields_before_calling_the_server() {
        let (_dir, desk) = testing::demo_desk(None);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(desk.login("", "zhang", "pw", "平板"))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("server"));
        let err = rt
            .block_on(desk.login("office:8700", "zhang", "pw", "平板"))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("server"));
        let err = rt
            .block_on(desk.login("http://127.0.0.1:9", "zhang", "pw", "平板"))
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert!(err.message.contains("无法连接服务器"), "{}", err.message);
        let err = rt.block_on(desk.sync_now()).unwrap_err();
        assert_eq!(err.code, "not_signed_in");
    }
}
