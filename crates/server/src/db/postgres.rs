//! PostgreSQL, for offices that outgrow one machine: several stateless server replicas share
//! one database. Connections are pooled, each with its own cache of prepared statements.
//!
//! Sequences hand out numbers in call order, not commit order, so a reader could see seq 8
//! before seq 7 commits and move its cursor past 7 for ever. Writers of the log therefore take a
//! transaction-scoped advisory lock first: log entries commit one transaction at a time and
//! `seq` (MAX + 1 under the lock) follows commit order.

use std::collections::HashMap;
use std::sync::Mutex;

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::{pending, DbError, Row, Sql, SqlValue};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../../migrations/server-postgres/0001_init.sql"),
    ),
    (
        "0002_ledger_rules",
        include_str!("../../../../migrations/server-postgres/0002_ledger_rules.sql"),
    ),
];

/// Any fixed number; only this server takes this lock.
const LOG_LOCK: i64 = 0x0064_6573_6b6c_6f67; // "desklog"
const MIGRATION_LOCK: i64 = 0x0064_6573_6b6d_6967; // "deskmig"

struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

pub struct PostgresDb {
    url: String,
    idle: Mutex<Vec<Conn>>,
}

impl PostgresDb {
    pub fn open(url: &str) -> Result<PostgresDb, DbError> {
        let db = PostgresDb {
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        let mut conn = db.connect()?;
        let mut tx = conn.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        let found: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )?
            .get(0);
        for (version, name, sql) in pending(found, MIGRATIONS)? {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[&version, &name, &super::now_text()],
            )?;
        }
        tx.commit()?;
        db.idle.lock().expect("pool").push(conn);
        Ok(db)
    }

    fn connect(&self) -> Result<Conn, DbError> {
        Ok(Conn {
            client: Client::connect(&self.url, NoTls)?,
            statements: HashMap::new(),
        })
    }

    pub fn tx<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match idle {
            Some(c) if !c.client.is_closed() => c,
            _ => self.connect()?,
        };
        let result = (|| {
            let mut tx = PgTx {
                tx: conn.client.transaction().map_err(DbError::from)?,
                statements: &mut conn.statements,
            };
            let out = f(&mut tx)?;
            tx.tx.commit().map_err(DbError::from)?;
            Ok(out)
        })();
        if !conn.client.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
        result
    }
}

impl Drop for PostgresDb {
    /// A `postgres::Client` closes its connection by blocking on its own runtime, which panics
    /// on an async thread; the last handle to the database may well be dropped on one.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        let _ = std::thread::spawn(move || drop(idle)).join();
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_> {
    fn prepare(&mut self, sql: &str) -> Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

/// A parameter as the statement expects it: PostgreSQL types parameters when it prepares.
fn param(v: &SqlValue, ty: &Type) -> Box<dyn ToSql + Sync> {
    let int = matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2);
    match (v, int) {
        (SqlValue::Null, true) => Box::new(None::<i64>),
        (SqlValue::Null, false) => Box::new(None::<String>),
        (SqlValue::Int(i), true) if *ty == Type::INT4 => Box::new(*i as i32),
        (SqlValue::Int(i), true) => Box::new(*i),
        (SqlValue::Int(i), false) => Box::new(i.to_string()),
        (SqlValue::Text(s), true) => Box::new(s.parse::<i64>().unwrap_or_default()),
        (SqlValue::Text(s), false) => Box::new(s.clone()),
    }
}

impl Sql for PgTx<'_> {
    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        let stmt = self.prepare(sql)?;
        let boxed: Vec<_> = params
            .iter()
            .zip(stmt.params())
            .map(|(v, t)| param(v, t))
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        Ok(self.tx.execute(&stmt, &refs)?)
    }

    fn rows(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        let stmt = self.prepare(sql)?;
        let boxed: Vec<_> = params
            .iter()
            .zip(stmt.params())
            .map(|(v, t)| param(v, t))
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
        let rows = self.tx.query(&stmt, &refs)?;
        let columns: std::sync::Arc<[String]> =
            stmt.columns().iter().map(|c| c.name().to_owned()).collect();
        rows.iter()
            .map(|r| {
                let values = (0..r.len())
                    .map(|i| {
                        let ty = r.columns()[i].type_();
                        Ok(match *ty {
                            Type::INT8 => r.get::<_, Option<i64>>(i).into(),
                            Type::INT4 => r.get::<_, Option<i32>>(i).map(i64::from).into(),
                            Type::INT2 => r.get::<_, Option<i16>>(i).map(i64::from).into(),
                            Type::BOOL => r.get::<_, Option<bool>>(i).map(i64::from).into(),
                            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                                r.get::<_, Option<String>>(i).into()
                            }
                            _ => {
                                return Err(DbError::Other(format!("unexpected column type {ty}")))
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, DbError>>()?;
                Ok(Row::new(columns.clone(), values))
            })
            .collect()
    }

    fn lock_log(&mut self) -> Result<(), DbError> {
        self.tx
            .execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])?;
        Ok(())
    }
}
