//! The vocabulary of scans: kinds, origins, statuses, requests, tickets, events and errors.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use actix::Message;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::principal::TenantScope;

/// What a scan evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// The tenant's latest configuration snapshot against the compliance checks.
    Compliance,
    /// Externally observable DNS posture of the tenant's domains.
    Exposure,
}

/// Who started a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanOrigin {
    Dashboard,
    Mcp,
    Cli,
    Schedule,
    /// The demo's generated history.
    Sample,
}

/// Where a scan is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

macro_rules! string_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The value stored in the database and sent on the wire.
            pub fn as_str(&self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl FromStr for $ty {
            type Err = ScanError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok($ty::$variant),)+ other => Err(ScanError::Unknown { what: $what, value: other.to_string() }) }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum!(ScanKind, "scan kind", { Compliance => "compliance", Exposure => "exposure" });
string_enum!(ScanOrigin, "scan origin", {
    Dashboard => "dashboard", Mcp => "mcp", Cli => "cli", Schedule => "schedule", Sample => "sample",
});
string_enum!(ScanStatus, "scan status", {
    Queued => "queued", Running => "running", Completed => "completed",
    Failed => "failed", Cancelled => "cancelled",
});

impl ScanStatus {
    /// Whether the scan has finished (completed, failed or cancelled).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ScanStatus::Completed | ScanStatus::Failed | ScanStatus::Cancelled
        )
    }
}

/// The reason given when AI Pilot is asked for outside the dashboard.
pub const AI_PILOT_REFUSAL: &str = "AI Pilot can only be attached by a person from the dashboard; scans started over MCP are read-only";

/// The error stored on scans found running at start-up.
pub const INTERRUPTED: &str = "interrupted";

/// Errors of the scan layer. `Clone`, so the starts that shared one answer each get it; a
/// database error's cause is shared ([`Arc`]) and kept as the source.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ScanError {
    /// The tenant does not exist, belongs to another organisation or is outside the scope.
    #[error("tenant not found")]
    TenantNotFound,
    /// The scan does not exist, belongs to another organisation or is outside the scope.
    #[error("scan not found")]
    ScanNotFound,
    /// AI Pilot was asked for by something other than a person on the dashboard.
    #[error("{AI_PILOT_REFUSAL}")]
    AiPilotRefused,
    /// A kind, origin or status string that is not one of ours.
    #[error("unknown {what}: {value:?}")]
    Unknown { what: &'static str, value: String },
    /// The scan cannot run (e.g. no configuration snapshot); stored as the scan's error.
    #[error("{0}")]
    Failed(String),
    #[error("database error: {0}")]
    Database(#[source] Arc<sea_orm::DbErr>),
    /// The scan manager is not reachable (stopped or restarting).
    #[error("the scan manager is unavailable: {0}")]
    Unavailable(String),
    /// The token or the organisation already has as many scans queued or running as its
    /// concurrent-scan quota allows.
    #[error(
        "too many scans under way for this {scope}: its concurrent-scan quota is {limit} queued or running at once; retry in about {} s, once one has finished (get_scan or list_scans shows them)",
        retry_after.as_secs()
    )]
    TooManyScans {
        scope: QuotaScope,
        limit: u32,
        retry_after: Duration,
    },
}

impl From<sea_orm::DbErr> for ScanError {
    fn from(err: sea_orm::DbErr) -> Self {
        ScanError::Database(Arc::new(err))
    }
}

/// Whose concurrent scans a quota counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaScope {
    /// The scans an MCP token started.
    Token,
    /// Every scan of the organisation, whoever started it.
    Organisation,
}

impl fmt::Display for QuotaScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QuotaScope::Token => "token",
            QuotaScope::Organisation => "organisation",
        })
    }
}

/// Concurrent scans allowed, counted from the database (queued or running, so the quota holds
/// across instances sharing it). A start that returns the tenant's scan already under way is
/// never refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanQuota {
    /// Scans one MCP token may have queued or running. Default 4.
    pub per_token: u32,
    /// Scans one organisation may have queued or running, all origins together. Default 16.
    pub per_organisation: u32,
}

impl ScanQuota {
    /// No limit (the operator's own `scan` command).
    pub const UNLIMITED: ScanQuota = ScanQuota {
        per_token: u32::MAX,
        per_organisation: u32::MAX,
    };

    /// The wait suggested to a start refused by the quota.
    pub const RETRY_AFTER: Duration = Duration::from_secs(30);
}

impl Default for ScanQuota {
    fn default() -> Self {
        ScanQuota {
            per_token: 4,
            per_organisation: 16,
        }
    }
}

impl From<actix::MailboxError> for ScanError {
    fn from(e: actix::MailboxError) -> Self {
        ScanError::Unavailable(e.to_string())
    }
}

/// A request to scan one tenant.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    pub organisation_id: i64,
    pub tenant_id: i64,
    /// The tenants the requester may see; a tenant outside it answers `TenantNotFound`.
    pub tenant_scope: TenantScope,
    pub kind: ScanKind,
    pub origin: ScanOrigin,
    pub requested_by_user_id: Option<i64>,
    pub requested_by_token_id: Option<i64>,
    /// Attach AI Pilot (automatic remediation): dashboard only.
    pub ai_pilot: bool,
}

/// The answer to a start: the scan's id and status, and whether it was already queued or running.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanTicket {
    pub scan_id: i64,
    pub status: ScanStatus,
    /// True when an existing queued or running scan of that tenant and kind was returned.
    pub existing: bool,
}

/// A scan's state change, published to subscribers of the scan and of its tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Message)]
#[rtype(result = "()")]
pub struct ScanEvent {
    pub scan_id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub kind: ScanKind,
    pub status: ScanStatus,
    pub progress_done: i32,
    pub progress_total: i32,
    pub score: Option<f64>,
    pub error: Option<String>,
    /// What a running scan is doing now (e.g. "Exchange Online: collected"), for progress text.
    pub stage: Option<String>,
    pub at: DateTime<Utc>,
}

/// What a subscriber listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Topic {
    /// One scan.
    Scan(i64),
    /// Every scan of one tenant.
    Tenant(i64),
    /// Every scan (for caches that must forget results when a scan finishes).
    All,
}

/// A fresh subscriber id for [`Subscribe`](super::Subscribe): unique within the process.
pub fn next_subscriber_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for kind in [ScanKind::Compliance, ScanKind::Exposure] {
            assert_eq!(kind.as_str().parse::<ScanKind>().unwrap(), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for origin in [
            ScanOrigin::Dashboard,
            ScanOrigin::Mcp,
            ScanOrigin::Cli,
            ScanOrigin::Schedule,
            ScanOrigin::Sample,
        ] {
            assert_eq!(origin.as_str().parse::<ScanOrigin>().unwrap(), origin);
        }
        for status in [
            ScanStatus::Queued,
            ScanStatus::Running,
            ScanStatus::Completed,
            ScanStatus::Failed,
            ScanStatus::Cancelled,
        ] {
            assert_eq!(status.as_str().parse::<ScanStatus>().unwrap(), status);
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!(ScanStatus::Cancelled.is_final() && !ScanStatus::Running.is_final());
        let err = "posture".parse::<ScanKind>().unwrap_err();
        assert_eq!(err.to_string(), "unknown scan kind: \"posture\"");
        assert_eq!(ScanError::AiPilotRefused.to_string(), AI_PILOT_REFUSAL);
    }

    #[test]
    fn each_waiter_gets_the_database_error_itself() {
        use std::error::Error as _;
        let err = ScanError::from(sea_orm::DbErr::RecordNotInserted);
        let copy = err.clone();
        let source = copy.source().unwrap();
        let db = source.downcast_ref::<Arc<sea_orm::DbErr>>().unwrap();
        assert!(matches!(db.as_ref(), sea_orm::DbErr::RecordNotInserted));
        assert_eq!(copy.to_string(), err.to_string());
    }
}
