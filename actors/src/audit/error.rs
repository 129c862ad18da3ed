//! Errors of the audit layer.

/// Errors of the audit layer.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Too many rows are waiting for a commit: the caller must retry or fail its request.
    #[error("the audit writer is overloaded ({0} rows waiting)")]
    Overloaded(usize),
    /// The writer stopped before the row was committed.
    #[error("the audit writer stopped before the row was committed")]
    Stopped,
    /// The batch holding the row could not be committed.
    #[error("cannot write the audit trail: {0}")]
    Database(String),
    /// A stored row could not be read back.
    #[error("invalid audit row: {0}")]
    InvalidRow(String),
}

impl From<sea_orm::DbErr> for AuditError {
    fn from(err: sea_orm::DbErr) -> Self {
        AuditError::Database(err.to_string())
    }
}
