//! Errors of the audit layer.

use std::sync::Arc;

/// Errors of the audit layer. `Clone`, so one failed batch answers each of its callers; the
/// causes are shared ([`Arc`]) and kept as sources.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AuditError {
    /// Too many rows are waiting for a commit: the caller must retry or fail its request.
    #[error("the audit writer is overloaded ({0} rows waiting)")]
    Overloaded(usize),
    /// The writer stopped before the row was committed.
    #[error("the audit writer stopped before the row was committed")]
    Stopped,
    /// The batch holding the row could not be committed.
    #[error("cannot write the audit trail: {0}")]
    Database(#[source] Arc<sea_orm::DbErr>),
    /// The task committing a batch ended without answering (it panicked or was cancelled).
    #[error("the audit commit task failed: {0}")]
    CommitTask(#[source] Arc<tokio::task::JoinError>),
    /// A stored row could not be read back.
    #[error("invalid audit row: {0}")]
    InvalidRow(String),
}

impl From<sea_orm::DbErr> for AuditError {
    fn from(err: sea_orm::DbErr) -> Self {
        AuditError::Database(Arc::new(err))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_database_failure_keeps_its_cause() {
        let err = AuditError::from(sea_orm::DbErr::Custom("disk I/O error".into()));
        let source = err.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("Custom Error: disk I/O error"));
        let copy = err.clone();
        assert!(copy.source().is_some());
    }
}
