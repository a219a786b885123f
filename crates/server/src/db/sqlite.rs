//! The embedded default: one SQLite file, one connection. SQLite admits one writer at a time
//! anyway, and a mutex around the connection makes every request's transaction serial, which is
//! also what keeps the sync log's `seq` in commit order.

use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection, TransactionBehavior};

use super::{pending, DbError, Row, Sql, SqlValue};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../../migrations/server-sqlite/0001_init.sql"),
    ),
    (
        "0002_ledger_rules",
        include_str!("../../../../migrations/server-sqlite/0002_ledger_rules.sql"),
    ),
    (
        "0003_calendar_years",
        include_str!("../../../../migrations/server-sqlite/0003_calendar_years.sql"),
    ),
    (
        "0004_policy_issues_and_time_limits",
        include_str!("../../../../migrations/server-sqlite/0004_policy_issues_and_time_limits.sql"),
    ),
    (
        "0005_enterprise_access",
        include_str!("../../../../migrations/server-sqlite/0005_enterprise_access.sql"),
    ),
    (
        "0006_ratings_and_board",
        include_str!("../../../../migrations/server-sqlite/0006_ratings_and_board.sql"),
    ),
    (
        "0007_orders",
        include_str!("../../../../migrations/server-sqlite/0007_orders.sql"),
    ),
    (
        "0008_open311",
        include_str!("../../../../migrations/server-sqlite/0008_open311.sql"),
    ),
    (
        "0009_visit_receipts",
        include_str!("../../../../migrations/server-sqlite/0009_visit_receipts.sql"),
    ),
    (
        "0010_log_id",
        include_str!("../../../../migrations/server-sqlite/0010_log_id.sql"),
    ),
    (
        "0011_accounts_disabled",
        include_str!("../../../../migrations/server-sqlite/0011_accounts_disabled.sql"),
    ),
    (
        "0012_lost_devices",
        include_str!("../../../../migrations/server-sqlite/0012_lost_devices.sql"),
    ),
    (
        "0013_visit_location",
        include_str!("../../../../migrations/server-sqlite/0013_visit_location.sql"),
    ),
    (
        "0014_visit_signature",
        include_str!("../../../../migrations/server-sqlite/0014_visit_signature.sql"),
    ),
];

pub struct SqliteDb {
    conn: Mutex<Connection>,
}

impl SqliteDb {
    pub fn open(path: &str) -> Result<SqliteDb, DbError> {
        let mut conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            let path = std::path::Path::new(path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbError::Other(format!("cannot create {}: {e}", dir.display())))?;
            }
            Connection::open(path)?
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // An acknowledged push must survive a power cut: devices never send it again.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let found: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        for (version, name, sql) in pending(found, MIGRATIONS)? {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                rusqlite::params![version, name, super::now_text()],
            )?;
            tx.commit()?;
        }
        Ok(SqliteDb {
            conn: Mutex::new(conn),
        })
    }

    pub fn tx<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(DbError::from)?;
        let out = f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(DbError::from)?;
        Ok(out)
    }
}

struct SqliteTx<'a>(&'a Connection);

/// `$1` → `?1`: SQLite numbers parameters the same way with another sigil. Byte by byte (both
/// are ASCII): this runs for every statement.
fn dialect(sql: &str) -> String {
    let mut out = sql.as_bytes().to_vec();
    for i in 1..out.len() {
        if out[i - 1] == b'$' && out[i].is_ascii_digit() {
            out[i - 1] = b'?';
        }
    }
    String::from_utf8(out).expect("ASCII replaced by ASCII")
}

fn to_sqlite(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Int(i) => Value::Integer(*i),
        SqlValue::Text(s) => Value::Text(s.clone()),
    }
}

impl Sql for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let mut stmt = self.0.prepare_cached(&dialect(sql))?;
        Ok(stmt.execute(params_from_iter(params.iter().map(to_sqlite)))? as u64)
    }

    fn rows(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.0.prepare_cached(&dialect(sql))?;
        let n = stmt.column_count();
        let columns: std::sync::Arc<[String]> =
            stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query(params_from_iter(params.iter().map(to_sqlite)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(i) => SqlValue::Int(i),
                    ValueRef::Real(f) => SqlValue::Int(f as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row::new(columns.clone(), row));
        }
        Ok(out)
    }

    fn lock_log(&mut self) -> Result<(), DbError> {
        Ok(()) // the connection mutex and BEGIN IMMEDIATE already serialise writers
    }

    /// At once: a statement costs no round trip in the server's own process.
    fn insert(&mut self, table: &str, columns: &str, values: Vec<SqlValue>) -> Result<(), DbError> {
        self.exec(
            &super::insert_statement(table, columns, values.len()),
            &values,
        )
        .map(drop)
    }
}

/// Refuses a database (a backup, say) written by a newer server, before anything is copied from
/// it.
pub(crate) fn check_not_newer(conn: &Connection) -> Result<(), DbError> {
    let found: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    pending(found, MIGRATIONS).map(drop)
}
