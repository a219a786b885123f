//! Backups and restores (`desk-server admin backup FILE`, `admin restore FILE`).
//!
//! SQLite: SQLite's online backup copies the database in one read transaction while the server
//! keeps serving (in WAL mode a reader does not hold writers up); a restore copies a backup back
//! the same way, with the server stopped. PostgreSQL: `pg_dump`'s custom format and
//! `pg_restore`, the client tools of the server's major version.
//!
//! A restore gives the log a new id ([`state::begin_new_log`]). Devices that pulled past what
//! the backup holds see the new id at their next sync, hand back the operations the server
//! acknowledged them since (they keep those for a retention period), and bootstrap again: every
//! write a device still holds comes back. What no device holds (ratings enterprises gave on the
//! portal, accounts made after the backup) is only as recent as the backup.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::db::{Db, DbOptions, Location};
use crate::state;

/// What a backup or a restore left.
#[derive(Debug)]
pub struct Summary {
    /// The log's last position in the copy (SQLite), or in the restored database.
    pub log_head: Option<i64>,
    pub bytes: u64,
}

/// Writes a consistent copy of the database to `file`, through a temporary file beside it so a
/// failed backup never spoils the previous one.
pub fn backup(url: &str, file: &Path) -> Result<Summary, String> {
    let partial = partial(file);
    let result = match Location::of(url).map_err(|e| e.to_string())? {
        Location::Sqlite(path) => sqlite_backup(path, &partial),
        Location::Postgres(url) => run(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                &format!("--file={}", partial.display()),
                &format!("--dbname={url}"),
            ],
        )
        .map(|()| None),
    };
    let head = match result {
        Ok(head) => head,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, file)
        .map_err(|e| format!("无法写入 (cannot write) {}: {e}", file.display()))?;
    Ok(Summary {
        log_head: head,
        bytes: size(file),
    })
}

/// Puts a backup back in place of the database (stop the server first), then starts a new log
/// so that devices hand back what the backup lacks.
pub fn restore(url: &str, file: &Path, options: &DbOptions) -> Result<Summary, String> {
    if !file.is_file() {
        return Err(format!(
            "FILE：找不到备份文件 {} (no such backup file)",
            file.display()
        ));
    }
    match Location::of(url).map_err(|e| e.to_string())? {
        Location::Sqlite(path) => sqlite_restore(path, file)?,
        Location::Postgres(url) => run(
            "pg_restore",
            &[
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                &format!("--dbname={url}"),
                &file.display().to_string(),
            ],
        )?,
    }
    // A backup from an older server is brought up to this one's schema by opening it.
    let db = Db::open_with(url, options).map_err(|e| e.to_string())?;
    let head = db
        .tx_blocking(|sql| {
            state::begin_new_log(sql)?;
            state::accounts::audit(
                sql,
                None,
                None,
                "restore",
                &format!("restored from {}", file.display()),
            )?;
            state::head(sql)
        })
        .map_err(|e| e.body.message)?;
    Ok(Summary {
        log_head: Some(head),
        bytes: size(file),
    })
}

fn partial(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map(|m| m.len()).unwrap_or_default()
}

fn sqlite_backup(path: &str, to: &Path) -> Result<Option<i64>, String> {
    let source = open_existing(Path::new(path), "db")?;
    let _ = std::fs::remove_file(to);
    let mut copy = Connection::open(to)
        .map_err(|e| format!("无法写入 (cannot write) {}: {e}", to.display()))?;
    copy_all(&source, &mut copy)?;
    drop(source);
    desk_server_head(&copy, to)
}

fn sqlite_restore(path: &str, file: &Path) -> Result<(), String> {
    let backup = open_existing(file, "FILE")?;
    desk_server_head(&backup, file)?;
    crate::db::check_not_newer(&backup).map_err(|e| e.to_string())?;
    let mut db = Connection::open(path).map_err(|e| format!("db：{path}: {e}"))?;
    db.busy_timeout(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    copy_all(&backup, &mut db)
}

/// Copies every page in one step: one read transaction, so the copy is of one moment even while
/// the server writes (a stepwise copy would start over at each of its commits).
fn copy_all(from: &Connection, to: &mut Connection) -> Result<(), String> {
    let backup = Backup::new(from, to).map_err(|e| format!("备份失败 (backup failed): {e}"))?;
    backup
        .step(-1)
        .map_err(|e| format!("备份失败 (backup failed): {e}"))?;
    Ok(())
}

fn open_existing(path: &Path, field: &str) -> Result<Connection, String> {
    if !path.is_file() {
        return Err(format!(
            "{field}：找不到数据库文件 {} (no such database file)",
            path.display()
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{field}：{}: {e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The log's head in a desk-server database; an error naming the file if it is not one.
fn desk_server_head(conn: &Connection, path: &Path) -> Result<Option<i64>, String> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM log", [], |r| r.get(0))
        .map(Some)
        .map_err(|_| {
            format!(
                "FILE：{} 不是 desk-server 的数据库或备份 (not a desk-server database or backup)",
                path.display()
            )
        })
}

/// Runs one of PostgreSQL's client tools.
fn run(tool: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(tool).args(args).output().map_err(|e| {
        format!(
            "无法运行 {tool}：{e}；请安装 PostgreSQL 客户端工具，与服务器的主版本一致 (cannot run {tool}: install PostgreSQL's client tools of the server's major version, e.g. apt-get install postgresql-client)"
        )
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} 失败 (failed, {}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
