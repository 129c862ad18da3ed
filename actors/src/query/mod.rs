//! Tenant-scoped reads: the only path from MCP to data.
//!
//! Every query starts from a [`Principal`](crate::Principal) and goes through [`scope::Scope`],
//! the single place that turns the caller's organisation and tenant scope into SQL conditions
//! and in-memory checks. Ids of another organisation, or of tenants outside the token's scope,
//! answer exactly like ids that do not exist: [`QueryError::NotFound`].
//!
//! [`QueryService`] holds the queries as plain async methods (cheap to clone); the
//! [`QueryExecutor`] actor wraps it for the MCP sessions. Completed scans are immutable, so
//! their rows and findings are kept in a small shared [`ScanCache`].

mod cache;
mod compare;
mod completion;
mod executor;
mod exports;
mod filters;
mod findings;
mod framework_report;
mod posture;
mod reports;
mod scans;
mod scope;
mod service;
mod trend;
mod views;

pub use cache::ScanCache;
pub use executor::*;
pub use exports::{ExportLoadError, FindingsExport, finding_from_row, scan_context, scan_findings};
pub use filters::{FindingStatus, Framework, Severity};
pub use findings::{parse_service, service_display};
pub use framework_report::FrameworkReportQuery;
pub use scope::Scope;
pub use service::{QueryConfig, QueryService};
pub use views::*;

/// Errors of the query layer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The object does not exist, or is not visible to the caller (never distinguished).
    #[error("{0} not found")]
    NotFound(String),
    /// An argument cannot be used as given; the text says what to fix.
    #[error("{0}")]
    InvalidArgument(String),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Stored data the engine cannot read back (e.g. a finding with an unknown status).
    #[error("stored data is unreadable: {0}")]
    Unreadable(String),
    /// The executor could not be reached (mailbox closed or full).
    #[error("query executor unavailable: {0}")]
    Unavailable(String),
}

impl From<actix::MailboxError> for QueryError {
    fn from(err: actix::MailboxError) -> Self {
        QueryError::Unavailable(err.to_string())
    }
}
