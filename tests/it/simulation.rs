//! The deterministic simulation of sync (proptest): a server, three leaders' devices and a
//! department's in one process, random domain actions on random devices (transfers that take
//! appeals away from the department among them), random interleavings of push and pull steps,
//! crashes between any two steps (the device reloads from its file), replies lost or delivered
//! twice, device clocks hours or days wrong that are set right, or wrong, later, restarts that
//! lose the uptime the device counts time by, and forged operations pushed past the device's
//! own checks. After a final quiet round, in which each device settles what the server
//! refused, every device holds exactly what a new device of its account would receive, every
//! operation the server acknowledged is in its log, no forged operation landed, and every
//! appeal's ledger is whole and explains its status.
//!
//! The test command runs 1,000 cases (`PROPTEST_CASES` overrides); a long run:
//! `PROPTEST_CASES=100000 cargo test -p desk-tests --test it simulation -- --nocapture`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use desk_core::appeal::Action;
use desk_core::model::*;
use desk_core::protocol::*;
use desk_core::{Entity, Op};
use desk_server::db::Db;
use desk_server::scope::{Caller, Role};
use desk_server::state::{self, IngestRules};
use desk_store::Store;
use desk_sync::{Engine, Transport, TransportError};
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// The server did the work; the reply never arrived.
    DropReply,
    /// The request reached the server twice (a retry after a timeout); the second reply arrives.
    Duplicate,
}

/// The protocol served in-process, with faults injected on demand.
#[derive(Clone)]
struct LocalTransport {
    db: Db,
    caller: Caller,
    fault: Arc<Mutex<Fault>>,
    /// Every operation whose acknowledgement reached a device.
    acked: Arc<Mutex<HashSet<Uuid>>>,
    /// Every forged operation pushed: none may be in the log.
    forged: Arc<Mutex<HashSet<Uuid>>>,
}

/// Runs blocking database work off the async runtime (the PostgreSQL driver blocks on a
/// runtime of its own, which must not nest in another).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("database thread"))
}

fn server_error(e: desk_server::error::ApiError) -> TransportError {
    TransportError::Refused {
        status: e.status.as_u16(),
        message: e.body.message,
    }
}

impl LocalTransport {
    fn fault(&self) -> Fault {
        *self.fault.lock().unwrap()
    }

    fn deliver<T: Send>(
        &self,
        mut call: impl FnMut() -> Result<T, TransportError> + Send,
    ) -> Result<T, TransportError> {
        let reply = off_runtime(&mut call)?;
        match self.fault() {
            Fault::None => Ok(reply),
            Fault::DropReply => Err(TransportError::Offline("the reply was lost".into())),
            Fault::Duplicate => off_runtime(call),
        }
    }
}

impl Transport for LocalTransport {
    async fn hand_over(&self, _ops: Vec<Op>) -> Result<usize, TransportError> {
        Err(TransportError::Refused {
            status: 409,
            message: "the simulation marks no device lost".into(),
        })
    }

    async fn push(&self, ops: Vec<Op>) -> Result<PushResponse, TransportError> {
        let rules = IngestRules {
            now_ms: Utc::now().timestamp_millis(),
            max_clock_ahead_ms: 600_000,
        };
        let results = self.deliver(|| {
            let (caller, ops) = (self.caller.clone(), ops.clone());
            self.db
                .tx_blocking(move |sql| state::ingest(sql, &caller, &ops, rules))
                .map_err(server_error)
        })?;
        let mut acked = self.acked.lock().unwrap();
        acked.extend(
            results
                .iter()
                .filter(|r| r.status != PushStatus::Rejected)
                .map(|r| r.op_id),
        );
        Ok(PushResponse {
            results,
            server_time: Utc::now().timestamp_millis(),
        })
    }

    async fn pull(&self, q: PullQuery) -> Result<PullResponse, TransportError> {
        let page = self.deliver(|| {
            let (caller, q) = (self.caller.clone(), q.clone());
            let limit = q.limit.unwrap_or(1000);
            self.db
                .tx_blocking(move |sql| {
                    state::pull(sql, &caller, q.cursor, q.log.as_deref(), limit)
                })
                .map_err(server_error)
        })?;
        Ok(PullResponse {
            changes: page.changes,
            cursor: page.cursor,
            has_more: page.has_more,
            server_time: Utc::now().timestamp_millis(),
            scope: self.caller.scope_fingerprint(),
            log: page.log,
        })
    }

    async fn bootstrap(
        &self,
        after: Option<String>,
        limit: i64,
    ) -> Result<BootstrapResponse, TransportError> {
        let caller = self.caller.clone();
        let (records, next, cursor, log) = off_runtime(|| {
            self.db.tx_blocking(move |sql| {
                let (records, next, cursor) =
                    state::bootstrap(sql, &caller, after.as_deref(), limit)?;
                Ok::<_, desk_server::error::ApiError>((records, next, cursor, state::log_id(sql)?))
            })
        })
        .map_err(server_error)?;
        Ok(BootstrapResponse {
            records,
            next,
            cursor,
            server_time: Utc::now().timestamp_millis(),
            scope: self.caller.scope_fingerprint(),
            log,
        })
    }

    async fn record(
        &self,
        entity: Entity,
        id: Uuid,
    ) -> Result<Option<desk_core::Snapshot>, TransportError> {
        let caller = self.caller.clone();
        off_runtime(|| {
            self.db
                .tx_blocking(move |sql| state::record_for(sql, &caller, entity, id))
        })
        .map_err(server_error)
    }

    async fn probe(&self) -> bool {
        true
    }
}

/// A device's clocks: its wall clock's error, which can be changed, and its boot, which a
/// restart moves on (the uptime counts from the start of the simulation).
#[derive(Clone)]
struct SimClock {
    skew_ms: Arc<AtomicI64>,
    boot: Arc<AtomicU64>,
    started: std::time::Instant,
}

struct SimDevice {
    path: PathBuf,
    clock: SimClock,
    transport: LocalTransport,
    engine: Engine<LocalTransport>,
}

fn open_store(path: &std::path::Path, clock: &SimClock) -> Store {
    let mut store = Store::open(path).unwrap();
    let skew = clock.skew_ms.clone();
    store.set_now(move || Utc::now() + Duration::milliseconds(skew.load(Ordering::SeqCst)));
    let c = clock.clone();
    store.set_uptime(Arc::new(move || {
        Some(desk_store::Uptime {
            boot: format!("boot{}", c.boot.load(Ordering::SeqCst)),
            ms: c.started.elapsed().as_millis() as i64,
        })
    }));
    store
}

impl SimDevice {
    /// A new device of `account` (whose device id it gets its own of).
    fn new(
        dir: &tempfile::TempDir,
        n: usize,
        skew: Duration,
        account: &Caller,
        db: &Db,
        acked: &Arc<Mutex<HashSet<Uuid>>>,
    ) -> SimDevice {
        let path = dir.path().join(format!("device{n}.db"));
        let transport = LocalTransport {
            db: db.clone(),
            caller: Caller {
                device_id: Some(Uuid::now_v7()),
                ..account.clone()
            },
            fault: Arc::new(Mutex::new(Fault::None)),
            acked: acked.clone(),
            forged: Arc::new(Mutex::new(HashSet::new())),
        };
        let clock = SimClock {
            skew_ms: Arc::new(AtomicI64::new(skew.num_milliseconds())),
            boot: Arc::new(AtomicU64::new(0)),
            started: std::time::Instant::now(),
        };
        let mut store = open_store(&path, &clock);
        store.set_account_role(account.role).unwrap();
        let engine = Engine::new(Arc::new(Mutex::new(store)), transport.clone());
        SimDevice {
            path,
            clock,
            transport,
            engine,
        }
    }

    /// Power lost: whatever the store holds on disk is all that is left.
    fn crash(&mut self) {
        let fresh = Store::open_in_memory().unwrap();
        drop(std::mem::replace(&mut *self.engine.store(), fresh));
        self.engine = Engine::new(
            Arc::new(Mutex::new(open_store(&self.path, &self.clock))),
            self.transport.clone(),
        );
    }

    fn ids(&self, entity: Entity) -> Vec<Uuid> {
        self.engine
            .store()
            .list(entity)
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Write {
    Site {
        park: usize,
    },
    Phone {
        site: usize,
        phone: u16,
    },
    Appeal {
        site: usize,
    },
    Act {
        appeal: usize,
        action: u8,
        dept: usize,
    },
    Note {
        appeal: usize,
    },
    Void {
        appeal: usize,
    },
}

/// Operations pushed past the device's own checks, as a client that does not play by the
/// rules would: each must be refused.
#[derive(Debug, Clone, Copy)]
enum Forgery {
    /// An appeal's status set directly.
    Status,
    /// An outcome set directly, before the appeal was raised.
    ResolvedAt,
    /// A new appeal that starts confirmed.
    BornConfirmed,
    /// A confirmation from wherever the appeal stands (illegal unless resolved, and never a
    /// department's).
    Confirm,
}

#[derive(Debug, Clone)]
enum Step {
    Write {
        device: usize,
        write: Write,
    },
    Push {
        device: usize,
        fault: Fault,
    },
    Pull {
        device: usize,
        fault: Fault,
    },
    Crash {
        device: usize,
    },
    /// The device's wall clock is set to be this wrong (0: right).
    SetClock {
        device: usize,
        skew_hours: i64,
    },
    /// The device restarts: it keeps its files, and can no longer count time by its uptime.
    Restart {
        device: usize,
    },
    Forge {
        device: usize,
        appeal: usize,
        forgery: Forgery,
    },
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![6 => Just(Fault::None), 1 => Just(Fault::DropReply), 1 => Just(Fault::Duplicate)]
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        (0usize..2).prop_map(|park| Write::Site { park }),
        (0usize..8, any::<u16>()).prop_map(|(site, phone)| Write::Phone { site, phone }),
        (0usize..8).prop_map(|site| Write::Appeal { site }),
        (0usize..8, 0u8..10, 0usize..2).prop_map(|(appeal, action, dept)| Write::Act {
            appeal,
            action,
            dept
        }),
        (0usize..8).prop_map(|appeal| Write::Note { appeal }),
        (0usize..8).prop_map(|appeal| Write::Void { appeal }),
    ]
}

const DEVICES: usize = 4;
/// The department's device.
const DEPARTMENT: usize = 3;

fn step() -> impl Strategy<Value = Step> {
    let forgery = prop_oneof![
        Just(Forgery::Status),
        Just(Forgery::ResolvedAt),
        Just(Forgery::BornConfirmed),
        Just(Forgery::Confirm),
    ];
    prop_oneof![
        8 => (0..DEVICES, write()).prop_map(|(device, write)| Step::Write { device, write }),
        4 => (0..DEVICES, fault()).prop_map(|(device, fault)| Step::Push { device, fault }),
        4 => (0..DEVICES, fault()).prop_map(|(device, fault)| Step::Pull { device, fault }),
        2 => (0..DEVICES).prop_map(|device| Step::Crash { device }),
        1 => (0..DEVICES, prop_oneof![Just(0i64), Just(72), Just(-3)])
            .prop_map(|(device, skew_hours)| Step::SetClock { device, skew_hours }),
        1 => (0..DEVICES).prop_map(|device| Step::Restart { device }),
        1 => (0..DEVICES, 0usize..8, forgery)
            .prop_map(|(device, appeal, forgery)| Step::Forge { device, appeal, forgery }),
    ]
}

/// Pushes one forged operation as `d`'s account; the server must refuse it.
fn forge(
    d: &SimDevice,
    appeal: usize,
    forgery: Forgery,
    rt: &tokio::runtime::Runtime,
) -> Result<(), TestCaseError> {
    let appeals = d.ids(Entity::Appeal);
    let sites = d.ids(Entity::Site);
    let node = d.engine.store().device_id();
    let (entity, record_id, fields) = match forgery {
        Forgery::BornConfirmed => {
            let Some(site_id) = pick(&sites, appeal) else {
                return Ok(());
            };
            let mut a = Appeal {
                id: Uuid::now_v7(),
                site_id,
                visit_id: None,
                raised_at: Utc::now(),
                channel: Channel::OnSite,
                category: Category::Utilities,
                description: "伪造的诉求".into(),
                urgency: Urgency::Normal,
                status: AppealStatus::Confirmed,
                department_id: None,
                deadline: None,
                resolved_at: Some(Utc::now()),
                satisfaction: Some(5),
                ledger_head: None,
                policy_issue_id: None,
                void_reason: None,
            };
            a.validate().unwrap();
            (Entity::Appeal, a.id, a.to_fields())
        }
        Forgery::Status | Forgery::ResolvedAt => {
            let Some(id) = pick(&appeals, appeal) else {
                return Ok(());
            };
            let fields = match forgery {
                Forgery::Status => serde_json::json!({"status": "confirmed", "satisfaction": 5}),
                _ => serde_json::json!({"resolved_at": "2000-01-01T00:00:00Z"}),
            };
            (Entity::Appeal, id, fields.as_object().unwrap().clone())
        }
        Forgery::Confirm => {
            let Some(id) = pick(&appeals, appeal) else {
                return Ok(());
            };
            let status = d
                .engine
                .store()
                .get::<Appeal>(id)
                .unwrap()
                .map(|a| a.status);
            if status == Some(AppealStatus::Resolved) && d.transport.caller.role != Role::Department
            {
                return Ok(()); // a legal confirmation: not a forgery
            }
            let mut entry = Progress::note(id, Utc::now(), "党工委书记", "满意");
            Action::Confirm {
                satisfaction: 5,
                follow_up: None,
            }
            .record_in(&mut entry);
            entry.to_status = Some(AppealStatus::Confirmed);
            (Entity::Progress, entry.id, entry.to_fields())
        }
    };
    let op = Op {
        id: Uuid::now_v7(),
        entity,
        record_id,
        fields,
        hlc: desk_core::Hlc {
            wall_ms: Utc::now().timestamp_millis() as u64,
            counter: 0,
            node,
        },
        prev: Default::default(),
    };
    let reply = rt.block_on(d.transport.push(vec![op.clone()]));
    let reply = reply.map_err(|e| TestCaseError::fail(format!("{forgery:?}: {e}")))?;
    prop_assert_eq!(
        reply.results[0].status,
        PushStatus::Rejected,
        "{:?} landed: {:?}",
        forgery,
        reply.results[0]
    );
    d.transport.forged.lock().unwrap().insert(op.id);
    Ok(())
}

fn pick(ids: &[Uuid], i: usize) -> Option<Uuid> {
    (!ids.is_empty()).then(|| ids[i % ids.len()])
}

fn perform(d: &SimDevice, w: &Write, parks: &[Uuid], depts: &[Uuid]) {
    let sites = d.ids(Entity::Site);
    let appeals = d.ids(Entity::Appeal);
    let mut store = d.engine.store();
    let result = store.write(|x| {
        match w {
            Write::Site { park } => {
                x.create(Site {
                    id: Uuid::now_v7(),
                    kind: SiteKind::Enterprise,
                    name: format!("企业{}", Uuid::now_v7().simple()),
                    credit_code: None,
                    park_id: Some(parks[park % parks.len()]),
                    address: None,
                    industry: None,
                    contact: None,
                    phone: None,
                    void_reason: None,
                })?;
            }
            Write::Phone { site, phone } => {
                let Some(id) = pick(&sites, *site) else {
                    return Ok(());
                };
                x.update::<Site>(id, |s| s.phone = Some(format!("0722-{phone}")))?;
            }
            Write::Appeal { site } => {
                let Some(site_id) = pick(&sites, *site) else {
                    return Ok(());
                };
                let raised_at = x.now();
                x.create(Appeal {
                    id: Uuid::now_v7(),
                    site_id,
                    visit_id: None,
                    raised_at,
                    channel: Channel::OnSite,
                    category: Category::Utilities,
                    description: "用电价格偏高".into(),
                    urgency: Urgency::Normal,
                    status: AppealStatus::Received,
                    department_id: None,
                    deadline: None,
                    resolved_at: None,
                    satisfaction: None,
                    ledger_head: None,
                    policy_issue_id: None,
                    void_reason: None,
                })?;
            }
            Write::Act {
                appeal,
                action,
                dept,
            } => {
                let Some(id) = pick(&appeals, *appeal) else {
                    return Ok(());
                };
                let department_id = depts[dept % depts.len()];
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
                        deadline: Utc::now().date_naive() + Duration::days(30),
                        reason,
                    },
                    // 不满意: followed up by the department, then put right.
                    7 => Action::Confirm {
                        satisfaction: 2,
                        follow_up: Some(Utc::now().date_naive() + Duration::days(7)),
                    },
                    8 => Action::Rectify,
                    _ => Action::Reopen { reason },
                };
                x.act_on_appeal(id, action, "官员", None)?;
            }
            Write::Note { appeal } => {
                let Some(appeal_id) = pick(&appeals, *appeal) else {
                    return Ok(());
                };
                let at = x.now();
                x.create(Progress::note(appeal_id, at, "官员", "电话回访"))?;
            }
            Write::Void { appeal } => {
                let Some(id) = pick(&appeals, *appeal) else {
                    return Ok(());
                };
                x.void(Entity::Appeal, id, "重复登记")?;
            }
        }
        Ok(())
    });
    match result {
        Ok(()) | Err(desk_store::StoreError::Invalid(_)) => {}
        Err(e) => panic!("{w:?}: {e}"),
    }
}

fn run_case(steps: Vec<Step>, database: &str) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(database).unwrap();
    let parks = vec![
        desk_server::admin::create_park(&db, "一园").unwrap(),
        desk_server::admin::create_park(&db, "二园").unwrap(),
    ];
    let depts = vec![
        desk_server::admin::create_department(&db, "经济发展局", DepartmentLevel::Zone).unwrap(),
        desk_server::admin::create_department(&db, "自然资源和规划中心", DepartmentLevel::Zone)
            .unwrap(),
    ];
    let acked = Arc::new(Mutex::new(HashSet::new()));
    let leader = |n: usize| Caller {
        user_id: Uuid::from_u128(n as u128 + 1),
        user_name: format!("leader{n}"),
        display_name: format!("领导{n}"),
        role: Role::Leader,
        parks: vec![],
        departments: vec![],
        device_id: None,
    };
    let department = Caller {
        user_id: desk_server::admin::create_user(
            &db,
            &desk_server::admin::UserSpec {
                name: "dept0",
                display_name: "经济发展局",
                role: Role::Department,
                password: "password123",
                parks: &[],
                departments: &[depts[0].to_string()],
            },
        )
        .unwrap(),
        user_name: "dept0".into(),
        display_name: "经济发展局".into(),
        role: Role::Department,
        parks: vec![],
        departments: vec![depts[0]],
        device_id: None,
    };
    // One leader's device keeps time, one runs three hours slow, one two hours fast; the
    // department's keeps time.
    let skews = [Duration::zero(), Duration::hours(-3), Duration::hours(2)];
    let mut devices: Vec<SimDevice> = skews
        .iter()
        .enumerate()
        .map(|(n, s)| SimDevice::new(&dir, n, *s, &leader(n), &db, &acked))
        .collect();
    devices.push(SimDevice::new(
        &dir,
        DEPARTMENT,
        Duration::zero(),
        &department,
        &db,
        &acked,
    ));
    // First contact: each device bootstraps, and learns how wrong its clock is.
    for d in &devices {
        rt.block_on(d.engine.sync()).unwrap();
    }

    for step in &steps {
        match step {
            Step::Write { device, write } => perform(&devices[*device], write, &parks, &depts),
            Step::Push { device, fault } | Step::Pull { device, fault } => {
                let d = &devices[*device];
                *d.transport.fault.lock().unwrap() = *fault;
                let outcome = if matches!(step, Step::Push { .. }) {
                    rt.block_on(d.engine.push_step(0, 0)).map(drop)
                } else {
                    rt.block_on(d.engine.pull_step()).map(drop)
                };
                *d.transport.fault.lock().unwrap() = Fault::None;
                if let Err(e) = outcome {
                    prop_assert!(e.is_transient(), "{step:?}: {e}");
                }
            }
            Step::Crash { device } => devices[*device].crash(),
            Step::SetClock { device, skew_hours } => devices[*device]
                .clock
                .skew_ms
                .store(skew_hours * 3_600_000, Ordering::SeqCst),
            Step::Restart { device } => {
                devices[*device].clock.boot.fetch_add(1, Ordering::SeqCst);
                devices[*device].crash();
            }
            Step::Forge {
                device,
                appeal,
                forgery,
            } => forge(&devices[*device], *appeal, *forgery, &rt)?,
        }
    }

    // A quiet round: everyone syncs and settles what the server refused (going back to its
    // version), then syncs again, with nothing new written.
    for _ in 0..2 {
        for d in &devices {
            rt.block_on(d.engine.sync()).unwrap();
            let refused = d.engine.store().rejections().unwrap();
            for r in refused {
                rt.block_on(d.engine.resolve_rejection(r.op_id, false))
                    .unwrap();
            }
        }
    }
    for _ in 0..2 {
        for d in &devices {
            rt.block_on(d.engine.sync()).unwrap();
        }
    }
    // Each device holds what a new device of its account receives.
    let fresh_leader = SimDevice::new(&dir, 9, Duration::zero(), &leader(0), &db, &acked);
    let fresh_department = SimDevice::new(&dir, 10, Duration::zero(), &department, &db, &acked);
    rt.block_on(fresh_leader.engine.sync()).unwrap();
    rt.block_on(fresh_department.engine.sync()).unwrap();
    let server_state = fresh_leader.engine.store().export().unwrap();
    let department_state = fresh_department.engine.store().export().unwrap();
    for (n, d) in devices.iter().enumerate() {
        let store = d.engine.store();
        let status = store.status().unwrap();
        prop_assert_eq!(status.pending, 0, "device {} has unpushed operations", n);
        prop_assert_eq!(
            status.rejections,
            0,
            "device {}: {:?}",
            n,
            store.rejections().unwrap()
        );
        prop_assert_eq!(status.ledger_broken, None, "device {}", n);
        let expected = if n == DEPARTMENT {
            &department_state
        } else {
            &server_state
        };
        prop_assert!(
            store.export().unwrap() == *expected,
            "device {} differs from a new device of its account",
            n
        );
    }
    // No acknowledged operation is missing from the server's log, and no forged one is in it.
    let logged: HashSet<Uuid> = db
        .tx_blocking(|sql| {
            sql.rows("SELECT op_id FROM log WHERE op_id IS NOT NULL", &[])
                .map_err(desk_server::error::ApiError::from)
        })
        .unwrap()
        .iter()
        .map(|r| r.text("op_id").unwrap().parse().unwrap())
        .collect();
    let acked = acked.lock().unwrap();
    prop_assert!(
        acked.is_subset(&logged),
        "{} acknowledged operations are not in the log",
        acked.difference(&logged).count()
    );
    for d in &devices {
        let forged = d.transport.forged.lock().unwrap();
        prop_assert!(forged.is_disjoint(&logged), "a forged operation landed");
    }
    // Every appeal's ledger is whole and explains its status.
    let report = db.tx_blocking(desk_server::state::verify_ledger).unwrap();
    prop_assert_eq!(report.broken, None);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_and_lose_nothing(steps in proptest::collection::vec(step(), 1..40)) {
        run_case(steps, "sqlite::memory:")?;
    }
}

/// The same simulation with the server on PostgreSQL (when `DESK_TEST_PG` is set): fewer
/// cases, each in a database of its own (`PROPTEST_CASES_PG`, default 40).
#[test]
fn devices_converge_and_lose_nothing_on_postgres() {
    let Some(pg) = crate::server_harness::backends()
        .into_iter()
        .find(|b| matches!(b, crate::server_harness::Backend::Postgres(_)))
    else {
        return;
    };
    let cases = std::env::var("PROPTEST_CASES_PG")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(40);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 50,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            let db = crate::server_harness::TestDb::new(&pg);
            run_case(steps, &db.url)
        })
        .unwrap();
}
