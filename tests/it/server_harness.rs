//! A server on an ephemeral port with its own database, and clients that speak the protocol.

use std::sync::{Arc, Mutex};

use desk_core::model::Record;
use desk_core::protocol::*;
use desk_core::Op;
use desk_server::config::Config;
use desk_server::db::Db;
use desk_server::scope::Role;
use desk_server::{admin, AppState};
use desk_store::Store;
use desk_sync::{Engine, HttpTransport};
use serde_json::Value;
use tokio::sync::oneshot;
use uuid::Uuid;

pub const PASSWORD: &str = "password123";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The URL of a database to create test databases from.
    Postgres(String),
}

/// SQLite always; PostgreSQL when `DESK_TEST_PG` says where.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("DESK_TEST_PG") {
        if !url.trim().is_empty() {
            all.push(Backend::Postgres(url));
        }
    }
    all
}

/// A fresh, empty database for one test; dropped (PostgreSQL) or deleted with its directory.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(backend: &Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.path().join("desk.db").display()),
                pg: None,
                _dir: dir,
            },
            Backend::Postgres(admin_url) => {
                let name = format!("desk_test_{}", Uuid::now_v7().simple());
                let admin_url = admin_url.clone();
                let sql = format!("CREATE DATABASE {name}");
                let url = admin_url.clone();
                std::thread::spawn(move || {
                    let mut c = postgres::Client::connect(&url, postgres::NoTls)
                        .expect("connect to DESK_TEST_PG");
                    c.batch_execute(&sql).expect("create test database");
                })
                .join()
                .expect("create database");
                let base = admin_url
                    .rsplit_once('/')
                    .expect("database URL with a path")
                    .0;
                TestDb {
                    url: format!("{base}/{name}"),
                    pg: Some((admin_url, name)),
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            })
            .join();
        }
    }
}

/// What `seed` made: two parks, two departments, and one account of each role.
pub struct Zone {
    pub park1: Uuid,
    pub park2: Uuid,
    pub dept1: Uuid,
    pub dept2: Uuid,
}

/// Parks, departments and users, made as an office's administrator would.
pub fn seed(db_url: &str) -> Zone {
    let db_url = db_url.to_owned();
    std::thread::spawn(move || {
        let db = Db::open(&db_url).expect("open db");
        let park1 = admin::create_park(&db, "一园").unwrap();
        let park2 = admin::create_park(&db, "二园").unwrap();
        let dept1 =
            admin::create_department(&db, "经济发展局", desk_core::model::DepartmentLevel::Zone)
                .unwrap();
        let dept2 = admin::create_department(
            &db,
            "自然资源和规划中心",
            desk_core::model::DepartmentLevel::Zone,
        )
        .unwrap();
        let user = |name: &str, role, parks: &[String], departments: &[String]| {
            admin::create_user(
                &db,
                &admin::UserSpec {
                    name,
                    display_name: name,
                    role,
                    password: PASSWORD,
                    parks,
                    departments,
                },
            )
            .unwrap();
        };
        user("admin", Role::Admin, &[], &[]);
        user("leader", Role::Leader, &[], &[]);
        user("officer1", Role::Officer, &["一园".into()], &[]);
        user("dept1", Role::Department, &[], &["经济发展局".into()]);
        Zone {
            park1,
            park2,
            dept1,
            dept2,
        }
    })
    .join()
    .expect("seed")
}

/// A server in this process on an ephemeral port.
pub struct Server {
    pub url: String,
    pub db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(backend: &Backend) -> Server {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: &Backend, configure: impl FnOnce(&mut Config)) -> Server {
        let db = TestDb::new(backend);
        let mut config = Config {
            db: db.url.clone(),
            ..Config::default()
        };
        configure(&mut config);
        let url = db.url.clone();
        let database = tokio::task::spawn_blocking(move || Db::open(&url))
            .await
            .unwrap()
            .expect("open db");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(database, config);
        let task = tokio::spawn(async move {
            desk_server::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Server {
            url: format!("http://{addr}"),
            db,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

/// A `desk-server serve` process, to be killed.
pub use desk_testbed::server::ServerProcess;

/// `desk-server` of this build on `db_url`.
pub fn start_server(db_url: &str) -> ServerProcess {
    start_server_with(db_url, &[])
}

/// [`start_server`], with more flags for `serve`.
pub fn start_server_with(db_url: &str, serve: &[&str]) -> ServerProcess {
    ServerProcess::start(&crate::harness::binary("desk-server"), db_url, serve)
}

/// A device speaking the protocol.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub device_id: Uuid,
    pub user: UserInfo,
}

pub async fn raw(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    assert!(
        resp.headers().contains_key(SERVER_TIME_HEADER),
        "every reply states the server time"
    );
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

impl Client {
    pub async fn login(base: &str, user: &str) -> Client {
        Self::try_login(base, user, PASSWORD)
            .await
            .unwrap_or_else(|(s, v)| panic!("login {user}: {s} {v}"))
    }

    pub async fn try_login(base: &str, user: &str, password: &str) -> Result<Client, (u16, Value)> {
        let body = serde_json::json!({"user": user, "password": password, "device_name": format!("{user}的平板")});
        let (status, v) = raw(
            base,
            reqwest::Method::POST,
            "/v1/login",
            None,
            Some(body.to_string()),
        )
        .await;
        if status != 200 {
            return Err((status, v));
        }
        let r: LoginResponse = serde_json::from_value(v).unwrap();
        Ok(Client {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: r.token,
            device_id: r.device_id,
            user: r.user,
        })
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        raw(
            &self.base,
            reqwest::Method::GET,
            path,
            Some(&self.token),
            None,
        )
        .await
    }

    pub async fn post(&self, path: &str, body: String) -> (u16, Value) {
        raw(
            &self.base,
            reqwest::Method::POST,
            path,
            Some(&self.token),
            Some(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: String) -> (u16, Value) {
        raw(
            &self.base,
            reqwest::Method::PATCH,
            path,
            Some(&self.token),
            Some(body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        raw(
            &self.base,
            reqwest::Method::DELETE,
            path,
            Some(&self.token),
            None,
        )
        .await
    }

    pub async fn push(&self, ops: &[Op]) -> PushResponse {
        let (status, v) = self
            .post(
                "/v1/push",
                serde_json::to_string(&PushRequest { ops: ops.to_vec() }).unwrap(),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }

    pub async fn pull(&self, cursor: i64, limit: i64) -> PullResponse {
        let (status, v) = self
            .get(&format!("/v1/pull?cursor={cursor}&limit={limit}"))
            .await;
        assert_eq!(status, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }

    /// Every change after `cursor`, page by page.
    pub async fn pull_all(&self, mut cursor: i64) -> (Vec<Change>, i64) {
        let mut all = Vec::new();
        loop {
            let page = self.pull(cursor, 100).await;
            all.extend(page.changes);
            cursor = page.cursor;
            if !page.has_more {
                return (all, cursor);
            }
        }
    }

    /// Pulls everything into a device store.
    pub async fn pull_into(&self, store: &mut desk_store::Store) -> i64 {
        let (changes, cursor) = self.pull_all(0).await;
        apply(store, &changes);
        cursor
    }
}

pub fn apply(store: &mut desk_store::Store, changes: &[Change]) {
    for c in changes {
        if let Some(op) = &c.op {
            store.apply_remote(std::slice::from_ref(op)).unwrap();
        }
        if let Some(s) = &c.snapshot {
            store.apply_snapshots(std::slice::from_ref(s)).unwrap();
        }
    }
}

pub fn accepted(r: &PushResponse) -> usize {
    r.results
        .iter()
        .filter(|x| x.status == PushStatus::Accepted)
        .count()
}

/// An enterprise, in a park or in none.
pub fn site(name: &str, park: Option<Uuid>) -> desk_core::model::Site {
    desk_core::model::Site {
        park_id: park,
        ..desk_core::model::Site::enterprise(name)
    }
}

/// An appeal about the price of electricity, raised at `raised_at`, due a month later.
pub fn appeal_at(
    site_id: Uuid,
    raised_at: chrono::DateTime<chrono::Utc>,
) -> desk_core::model::Appeal {
    use desk_core::model::*;
    Appeal {
        deadline: Some(raised_at.date_naive() + chrono::Duration::days(30)),
        ..Appeal::raised(
            site_id,
            raised_at,
            Category::Utilities,
            "生产用电价格偏高，希望降低用电成本。",
        )
    }
}

/// A raw operation, as a client that does not play by the rules would push it.
pub fn op(entity: desk_core::Entity, record_id: Uuid, fields: Value, node: Uuid) -> Op {
    Op {
        id: Uuid::now_v7(),
        entity,
        record_id,
        fields: fields.as_object().unwrap().clone(),
        hlc: desk_core::Hlc {
            wall_ms: chrono::Utc::now().timestamp_millis() as u64,
            counter: 0,
            node,
        },
        prev: Default::default(),
    }
}

/// The seeded zone with the demo loaded as an office loads it (`admin demo`): 湖北斯诺新材料,
/// its appeals and their progress, and an order waiting for dispatch.
pub async fn seed_with_demo(server: &Server) {
    seed(&server.db.url);
    let url = server.db.url.clone();
    tokio::task::spawn_blocking(move || {
        let db = desk_server::db::Db::open(&url).unwrap();
        desk_server::admin::load_demo(&db).unwrap();
    })
    .await
    .unwrap();
}

/// A device as the app runs one: a store and the sync engine, signed in as `user`.
pub struct Tablet {
    pub engine: Engine<HttpTransport>,
    pub client: Client,
}

impl Tablet {
    pub async fn sign_in(url: &str, user: &str) -> Tablet {
        Tablet::sign_in_through(url, url, user).await
    }

    /// Signed in at `url`, syncing through `through` (a [`Proxy`] in front of it).
    pub async fn sign_in_through(url: &str, through: &str, user: &str) -> Tablet {
        let client = Client::login(url, user).await;
        let mut store = Store::open_in_memory().unwrap();
        store.set_account_role(client.user.role).unwrap();
        let engine = Engine::new(
            Arc::new(Mutex::new(store)),
            HttpTransport::new(through, &client.token),
        );
        Tablet { engine, client }
    }

    pub async fn sync(&self) -> desk_sync::SyncReport {
        self.engine.sync().await.expect("sync")
    }

    pub fn write<T>(&self, f: impl FnOnce(&mut desk_store::Writer) -> desk_store::Result<T>) -> T {
        self.engine.store().write(f).expect("local write")
    }

    pub fn has<R: Record>(&self, id: Uuid) -> Option<R> {
        self.engine.store().get::<R>(id).unwrap()
    }
}
