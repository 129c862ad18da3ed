//! The audit trail: one row per MCP access, failed authentication and token change.
//!
//! - [`AuditEvent`]: what happened, built with chainable setters.
//! - [`AuditLog`]: the handle to the supervised [`AuditWriter`] that group-commits events; a
//!   [`AuditLog::record`] answer resolves only once its row is committed.
//! - [`write_one`] (direct insert, for the CLI and token changes) and [`list`] (for
//!   `aether365 audit list`).

mod error;
mod event;
mod metrics;
mod store;
mod writer;

pub use error::AuditError;
pub use event::{ActorKind, AuditEvent, Outcome, UnknownName};
pub use metrics::{AUDIT_METRICS, AuditMetrics};
pub use store::{AuditFilter, AuditPage, AuditRow, insert_batch, list, write_one};
pub use writer::{AuditConfig, AuditLog, AuditWriter};
