//! Schema migrations, embedded at build time and applied in order when a store opens. The
//! version is kept in `PRAGMA user_version` and each step in `schema_migrations`.

use rusqlite::Connection;

use crate::{Result, StoreError};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/client/0001_init.sql"),
    ),
    (
        "0002_sync",
        include_str!("../../../migrations/client/0002_sync.sql"),
    ),
    (
        "0003_deferred_search_index",
        include_str!("../../../migrations/client/0003_deferred_search_index.sql"),
    ),
    (
        "0004_drafts",
        include_str!("../../../migrations/client/0004_drafts.sql"),
    ),
    (
        "0005_ledger_and_clock",
        include_str!("../../../migrations/client/0005_ledger_and_clock.sql"),
    ),
    (
        "0006_calendar_years",
        include_str!("../../../migrations/client/0006_calendar_years.sql"),
    ),
    (
        "0007_ledger_pages",
        include_str!("../../../migrations/client/0007_ledger_pages.sql"),
    ),
    (
        "0008_policy_issues_and_time_limits",
        include_str!("../../../migrations/client/0008_policy_issues_and_time_limits.sql"),
    ),
    (
        "0009_index_only_changed_text",
        include_str!("../../../migrations/client/0009_index_only_changed_text.sql"),
    ),
    (
        "0010_ratings",
        include_str!("../../../migrations/client/0010_ratings.sql"),
    ),
    (
        "0011_orders",
        include_str!("../../../migrations/client/0011_orders.sql"),
    ),
    (
        "0012_visit_receipts",
        include_str!("../../../migrations/client/0012_visit_receipts.sql"),
    ),
    (
        "0013_acknowledged_ops_kept",
        include_str!("../../../migrations/client/0013_acknowledged_ops_kept.sql"),
    ),
    (
        "0014_search_index_built_in_steps",
        include_str!("../../../migrations/client/0014_search_index_built_in_steps.sql"),
    ),
    (
        "0015_visit_location",
        include_str!("../../../migrations/client/0015_visit_location.sql"),
    ),
    (
        "0016_visit_signature",
        include_str!("../../../migrations/client/0016_visit_signature.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn run(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        // A newer app wrote this store; writing to it could corrupt what it added.
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL
         ) STRICT;",
    )?;
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)
             VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            rusqlite::params![version, name],
        )?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}
