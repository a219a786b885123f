//! Everything the server knows how to do, written once over [`Sql`] in the SQL both databases
//! speak. Each concern has its module:
//!
//! - [`accounts`]: users, devices, the audit trail;
//! - [`records`]: domain rows read and written as snapshots (fields with their stamps);
//! - [`scopes`]: who may see each record, kept per record and followed as records change;
//! - [`log`]: the sync log, numbered gaplessly, and the server's own clock;
//! - [`ingest`]: pushed operations, each checked against the record as it stands and the
//!   caller's rights, in a fixed order ([`ingest::ingest`] says which);
//! - [`actions`]: the appeal ledger on the server: actions checked with `desk-core`'s rules,
//!   entries sealed into each appeal's hash chain, appeals moved by the server alone;
//! - [`pull`]: pull, bootstrap and single records, within the caller's scope;
//! - [`ledger`]: the ledger as a query, the zone's figures, and the chain's verification;
//! - [`portal`]: enterprises' access codes and portal sessions, and their appeals as shown.

pub mod accounts;
pub mod actions;
pub mod ingest;
pub mod ledger;
pub mod log;
pub mod open311;
pub mod portal;
pub mod pull;
pub mod records;
pub mod scopes;

pub use accounts::*;
pub use ingest::{ingest, IngestRules};
pub use ledger::{
    alerts, bulletin, export_ledger, ledger, page_limit, stats, verify_ledger, Alerts, AlertsQuery,
    LedgerQuery,
};
pub use log::{begin_new_log, head, log_id};
pub use pull::{bootstrap, pull, record_for};
pub use records::read_record;

use uuid::Uuid;

use crate::db::SqlValue;
use crate::error::ApiError;

pub(crate) type Result<T, E = ApiError> = std::result::Result<T, E>;

pub(crate) fn text(v: &SqlValue) -> &str {
    v.text().unwrap_or_default()
}

pub(crate) fn uuid(v: &SqlValue) -> Result<Uuid> {
    v.text()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::internal("a stored id is not a UUID"))
}
