//! The Mobile Desk domain, with no I/O.
//!
//! - [`model`]: the records of DOMAIN.md and their validation;
//! - [`appeal`]: the appeal lifecycle: allowed transitions, who may take each action, and what
//!   an action changes;
//! - [`ledger`]: the hash chain of each appeal's ledger entries;
//! - [`role`]: the roles of accounts;
//! - [`calendar`]: working days, with the State Council's holidays and make-up days;
//! - [`cluster`]: appeals about the same problem, grouped by the likeness of their words;
//! - [`deadline`]: what "overdue" and "on time" mean, in Rust and in SQL;
//! - [`receipt`]: the visit receipt's token, kept as its hash;
//! - [`bulletin`]: the week's bulletin for the enterprises' groups (工作通报);
//! - [`credit_code`]: the unified social credit code check (GB 32100-2015);
//! - [`hlc`]: the hybrid logical clock that orders every write;
//! - [`op`]: sync operations, the entity schema they address, and the field-level merge rule.
//!
//! Everything that reads a disk, a socket or the system clock lives in other crates; functions
//! here take the current time as an argument so they stay deterministic and testable.

pub mod admin;
pub mod appeal;
pub mod bulletin;
pub mod calendar;
pub mod cluster;
pub mod credit_code;
pub mod deadline;
mod error;
pub mod hlc;
pub mod ledger;
pub mod merge;
pub mod model;
pub mod op;
pub mod portal;
pub mod protocol;
pub mod receipt;
pub mod role;
pub mod stats;
pub mod time;

pub use error::ValidationError;
pub use hlc::{Clock, Hlc};
pub use merge::{FieldClocks, Snapshot};
pub use op::{Entity, Field, FieldKind, Op};
pub use role::Role;
