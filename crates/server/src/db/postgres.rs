//! PostgreSQL, for offices that outgrow one machine: several stateless server replicas share
//! one database. Connections are pooled by r2d2 (bounded, with a checkout timeout), each with
//! its own cache of prepared statements, and speak TLS (rustls) when the server offers it or
//! the URL's `sslmode=require` asks for it, verified against the web's roots or a CA file.
//!
//! Sequences hand out numbers in call order, not commit order, so a reader could see seq 8
//! before seq 7 commits and move its cursor past 7 for ever. Writers of the log therefore take a
//! transaction-scoped advisory lock first: log entries commit one transaction at a time and
//! `seq` (MAX + 1 under the lock) follows commit order.

use std::collections::HashMap;

use postgres::types::{ToSql, Type};
use postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{pending, DbError, DbOptions, Row, Sql, SqlValue};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../../migrations/server-postgres/0001_init.sql"),
    ),
    (
        "0002_ledger_rules",
        include_str!("../../../../migrations/server-postgres/0002_ledger_rules.sql"),
    ),
    (
        "0003_calendar_years",
        include_str!("../../../../migrations/server-postgres/0003_calendar_years.sql"),
    ),
    (
        "0004_policy_issues_and_time_limits",
        include_str!(
            "../../../../migrations/server-postgres/0004_policy_issues_and_time_limits.sql"
        ),
    ),
    (
        "0005_enterprise_access",
        include_str!("../../../../migrations/server-postgres/0005_enterprise_access.sql"),
    ),
    (
        "0006_ratings_and_board",
        include_str!("../../../../migrations/server-postgres/0006_ratings_and_board.sql"),
    ),
    (
        "0007_orders",
        include_str!("../../../../migrations/server-postgres/0007_orders.sql"),
    ),
    (
        "0008_open311",
        include_str!("../../../../migrations/server-postgres/0008_open311.sql"),
    ),
    (
        "0009_visit_receipts",
        include_str!("../../../../migrations/server-postgres/0009_visit_receipts.sql"),
    ),
    (
        "0010_log_id",
        include_str!("../../../../migrations/server-postgres/0010_log_id.sql"),
    ),
    (
        "0011_accounts_disabled",
        include_str!("../../../../migrations/server-postgres/0011_accounts_disabled.sql"),
    ),
    (
        "0012_lost_devices",
        include_str!("../../../../migrations/server-postgres/0012_lost_devices.sql"),
    ),
    (
        "0013_visit_location",
        include_str!("../../../../migrations/server-postgres/0013_visit_location.sql"),
    ),
    (
        "0014_visit_signature",
        include_str!("../../../../migrations/server-postgres/0014_visit_signature.sql"),
    ),
];

/// Any fixed number; only this server takes this lock.
const LOG_LOCK: i64 = 0x0064_6573_6b6c_6f67; // "desklog"
const MIGRATION_LOCK: i64 = 0x0064_6573_6b6d_6967; // "deskmig"

/// A pooled connection and the statements prepared on it.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Opens connections for the pool: over TLS when the URL asks for it (`sslmode=require`) or a
/// CA file is configured, in plain text otherwise (a database on the same machine).
struct Manager {
    url: String,
    tls: Option<MakeRustlsConnect>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        let client = match &self.tls {
            Some(tls) => Client::connect(&self.url, tls.clone())?,
            None => Client::connect(&self.url, postgres::NoTls)?,
        };
        Ok(Conn {
            client,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

pub struct PostgresDb {
    /// Always there but while being dropped.
    pool: Option<r2d2::Pool<Manager>>,
}

/// Verifies the database server against a CA file (PEM) when given, the web's roots otherwise.
fn tls(options: &DbOptions) -> Result<MakeRustlsConnect, DbError> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match &options.ca_file {
        Some(path) => {
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| DbError::Other(format!("db_ca_file {path}: {e}")))?;
            for cert in certs {
                let cert = cert.map_err(|e| DbError::Other(format!("db_ca_file {path}: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| DbError::Other(format!("db_ca_file {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Other(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

impl PostgresDb {
    pub fn open(url: &str, options: &DbOptions) -> Result<PostgresDb, DbError> {
        let wants_tls = options.ca_file.is_some()
            || [
                "sslmode=require",
                "sslmode=verify-ca",
                "sslmode=verify-full",
            ]
            .iter()
            .any(|m| url.contains(m));
        let manager = Manager {
            url: url.to_owned(),
            tls: wants_tls.then(|| tls(options)).transpose()?,
        };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.checkout_timeout)
            .build(manager)
            .map_err(|e| DbError::Other(format!("PostgreSQL at {}: {e}", redact(url))))?;
        let db = PostgresDb { pool: Some(pool) };
        let mut conn = db.checkout()?;
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
        Ok(db)
    }

    fn pool(&self) -> &r2d2::Pool<Manager> {
        self.pool
            .as_ref()
            .expect("the pool lives as long as the database")
    }

    fn checkout(&self) -> Result<r2d2::PooledConnection<Manager>, DbError> {
        self.pool().get().map_err(|e| {
            DbError::Other(format!(
                "no database connection within the checkout timeout: {e}"
            ))
        })
    }

    pub fn tx<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.checkout()?;
        let conn = &mut *conn;
        let mut tx = PgTx {
            tx: conn.client.transaction().map_err(DbError::from)?,
            statements: &mut conn.statements,
            waiting: Vec::new(),
        };
        let out = f(&mut tx)?;
        tx.land()?;
        tx.tx.commit().map_err(DbError::from)?;
        Ok(out)
    }

    /// Connections open and idle, for the operator.
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool().state();
        (s.connections, s.idle_connections)
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Drop for PostgresDb {
    /// A `postgres::Client` closes its connection by blocking on its own runtime, which panics
    /// on an async thread; the last handle to the database may well be dropped on one.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
    /// Rows inserted and not landed yet ([`Sql::insert`]), by table and columns, in the order
    /// each was first written to.
    waiting: Vec<Waiting>,
}

struct Waiting {
    table: String,
    columns: String,
    rows: Vec<Vec<SqlValue>>,
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

    /// Lands the waiting rows: one row as it is, more as one statement that takes each column
    /// as an array (`unnest`), so the statement is the same whatever the number of rows.
    fn land(&mut self) -> Result<(), DbError> {
        for Waiting {
            table,
            columns,
            rows,
        } in std::mem::take(&mut self.waiting)
        {
            let one = super::insert_statement(&table, &columns, rows[0].len());
            if let [row] = rows.as_slice() {
                self.exec(&one, row)?;
                continue;
            }
            let types = self.prepare(&one)?.params().to_vec();
            let arrays: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("${}::{}[]", i + 1, ty.name()))
                .collect();
            let many = self.prepare(&format!(
                "INSERT INTO {table} ({columns}) SELECT * FROM unnest({})",
                arrays.join(", ")
            ))?;
            let boxed = types
                .iter()
                .enumerate()
                .map(|(i, ty)| array(&rows, i, ty))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
            self.tx.execute(&many, &refs)?;
        }
        Ok(())
    }
}

/// Column `i` of `rows`, as the array of `ty` that `unnest` takes.
fn array(rows: &[Vec<SqlValue>], i: usize, ty: &Type) -> Result<Box<dyn ToSql + Sync>, DbError> {
    let int = |v: &SqlValue| match v {
        SqlValue::Null => None,
        SqlValue::Int(i) => Some(*i),
        SqlValue::Text(s) => s.parse::<i64>().ok(),
    };
    let column = rows.iter().map(|r| &r[i]);
    Ok(match *ty {
        Type::INT8 => Box::new(column.map(int).collect::<Vec<_>>()),
        Type::INT4 => Box::new(column.map(|v| int(v).map(|i| i as i32)).collect::<Vec<_>>()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => Box::new(
            column
                .map(|v| match v {
                    SqlValue::Null => None,
                    SqlValue::Int(i) => Some(i.to_string()),
                    SqlValue::Text(s) => Some(s.clone()),
                })
                .collect::<Vec<_>>(),
        ),
        _ => {
            return Err(DbError::Other(format!(
                "rows of type {ty} cannot be inserted together"
            )))
        }
    })
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
        self.land()?;
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
        self.land()?;
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
        self.land()?;
        self.tx
            .execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])?;
        Ok(())
    }

    fn insert(&mut self, table: &str, columns: &str, values: Vec<SqlValue>) -> Result<(), DbError> {
        let at = self
            .waiting
            .iter()
            .position(|w| w.table == table && w.columns == columns);
        let at = at.unwrap_or_else(|| {
            self.waiting.push(Waiting {
                table: table.to_owned(),
                columns: columns.to_owned(),
                rows: Vec::new(),
            });
            self.waiting.len() - 1
        });
        self.waiting[at].rows.push(values);
        Ok(())
    }
}
