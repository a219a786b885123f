//! Storage. The server's state lives in SQL; every query is written once, in the SQL common to
//! SQLite and PostgreSQL (`$1` placeholders, `ON CONFLICT`, text and 64-bit integer columns),
//! against the [`Sql`] trait. Each backend supplies a connection that implements it and owns
//! its migrations; the backend is picked once, from the database URL.
//!
//! Both drivers are synchronous (rusqlite; `postgres`, the blocking face of tokio-postgres), so
//! a whole request's work runs as one transaction on a blocking thread: the ingest algorithm is
//! shared, and holding a transaction never stalls the async runtime.

mod postgres;
mod sqlite;

pub(crate) use sqlite::check_not_newer;

use std::sync::Arc;

/// A value crossing the SQL boundary.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
}

impl SqlValue {
    pub fn text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            SqlValue::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_owned())
    }
}
impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}
impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Int(i)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// One row of a query's result, read by column name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<SqlValue>,
}

impl Row {
    pub fn new(columns: Arc<[String]>, values: Vec<SqlValue>) -> Row {
        Row { columns, values }
    }

    /// The value of a column the query selects; naming one it does not is a bug in the query.
    pub fn get(&self, column: &str) -> &SqlValue {
        let i = self
            .columns
            .iter()
            .position(|c| c == column)
            .unwrap_or_else(|| panic!("the query selects no column {column:?}"));
        &self.values[i]
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        self.get(column).text()
    }

    pub fn int(&self, column: &str) -> Option<i64> {
        self.get(column).int()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("数据库由较新版本的服务器写入（结构版本 {found}，本程序只支持到 {supported}），请先升级 desk-server；数据未被改动 (the database was written by a newer server, schema {found}, and this build knows up to {supported}: update desk-server; nothing was changed)")]
    TooNew { found: i64, supported: i64 },
    #[error(
        "unsupported database URL {0:?}: use sqlite:///path/desk.db or postgres://user@host/db"
    )]
    Url(String),
    #[error("{0}")]
    Other(String),
}

/// What the database said, not only that it said something (`db error`).
fn postgres_message(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

/// One transaction on either database.
pub trait Sql {
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError>;
    /// Runs a query; returns its rows.
    fn rows(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError>;
    /// Serialises writers of the sync log until the transaction ends, so `seq` follows commit
    /// order.
    fn lock_log(&mut self) -> Result<(), DbError>;
    /// Adds a row to `table` (`columns` as in `INSERT INTO table (columns)`), to land before the
    /// transaction's next statement or its commit, whichever comes first: PostgreSQL sends a
    /// table's waiting rows as one statement, so a push of a thousand records costs a few round
    /// trips instead of thousands. Rows may land grouped by table, so it is for tables with no
    /// foreign keys or triggers among them; an error (a duplicate key) comes from the statement
    /// that lands them, and fails the transaction like any other.
    fn insert(&mut self, table: &str, columns: &str, values: Vec<SqlValue>) -> Result<(), DbError>;

    fn row(&mut self, sql: &str, params: &[SqlValue]) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

/// `$1, $2, …, $n`.
pub fn marks(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids to a statement (`id IN (…)`), within the parameter limits of both backends.
pub const IDS_PER_STATEMENT: usize = 500;

/// `INSERT INTO table (columns) VALUES ($1, …, $n)`: one row, as both backends write it.
fn insert_statement(table: &str, columns: &str, n: usize) -> String {
    format!("INSERT INTO {table} ({columns}) VALUES ({})", marks(n))
}

/// How to reach PostgreSQL (SQLite has one connection and needs none of it).
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections in the pool, at most.
    pub pool_size: u32,
    /// How long a request waits for a free connection before it fails.
    pub checkout_timeout: std::time::Duration,
    /// A CA certificate (PEM) to verify the database server's TLS certificate against;
    /// otherwise the web's roots. Whether TLS is used follows the URL's `sslmode`.
    pub ca_file: Option<String>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            pool_size: 16,
            checkout_timeout: std::time::Duration::from_secs(10),
            ca_file: None,
        }
    }
}

/// Where a database URL points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Location<'a> {
    /// A file's path, or `:memory:`.
    Sqlite(&'a str),
    /// The whole URL, as PostgreSQL's own tools take it too.
    Postgres(&'a str),
}

impl Location<'_> {
    pub fn of(url: &str) -> Result<Location<'_>, DbError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Ok(Location::Sqlite(path))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(url))
        } else {
            Err(DbError::Url(url.to_owned()))
        }
    }
}

/// The database, picked once from its URL.
#[derive(Clone)]
pub enum Db {
    Sqlite(Arc<sqlite::SqliteDb>),
    Postgres(Arc<postgres::PostgresDb>),
}

impl Db {
    /// The PostgreSQL pool's connections and how many of them are idle; none for SQLite's one
    /// connection.
    pub fn pool_state(&self) -> Option<(u32, u32)> {
        match self {
            Db::Sqlite(_) => None,
            Db::Postgres(pg) => Some(pg.pool_state()),
        }
    }

    /// `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite::memory:`, or `postgres://…`.
    pub fn open(url: &str) -> Result<Db, DbError> {
        Self::open_with(url, &DbOptions::default())
    }

    pub fn open_with(url: &str, options: &DbOptions) -> Result<Db, DbError> {
        Ok(match Location::of(url)? {
            Location::Sqlite(path) => Db::Sqlite(Arc::new(sqlite::SqliteDb::open(path)?)),
            Location::Postgres(url) => {
                Db::Postgres(Arc::new(postgres::PostgresDb::open(url, options)?))
            }
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Runs `f` in one transaction on a blocking thread; commits if it returns Ok. Its error
    /// type is the caller's, which says what a database error means to it.
    pub async fn tx<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut dyn Sql) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.tx_blocking(f))
            .await
            .map_err(|e| DbError::Other(format!("worker failed: {e}")))?
    }

    /// [`Db::tx`] for callers already off the async runtime (the admin commands).
    pub fn tx_blocking<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            Db::Sqlite(db) => db.tx(f),
            Db::Postgres(db) => db.tx(f),
        }
    }
}

/// The migrations still to apply to a database at schema `found`, or an error if it is newer
/// than this build.
fn pending<'m>(
    found: i64,
    migrations: &'m [(&'m str, &'m str)],
) -> Result<impl Iterator<Item = (i64, &'m str, &'m str)>, DbError> {
    let supported = migrations.len() as i64;
    if found > supported {
        return Err(DbError::TooNew { found, supported });
    }
    Ok(migrations
        .iter()
        .enumerate()
        .skip(found as usize)
        .map(|(i, (name, sql))| (i as i64 + 1, *name, *sql)))
}

/// The current UTC time as stored: RFC 3339 with milliseconds.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
