//! Scheduled scans: one schedule per tenant (daily or weekly at a local time, or a cron
//! expression, in a named time zone), and the [`Scheduler`] actor that starts them.
//!
//! Every instance ticks; an occurrence is claimed in the database by compare-and-set on
//! `next_run_at` (the claim moves it to the next occurrence strictly after now), so exactly
//! one instance starts it, and occurrences missed while every instance was down run once.
//! Scans start through the [`ScanManager`](crate::scans::ScanManager) like a dashboard start
//! (quota, origin `schedule`) and are audited with the schedule as the actor.

mod scheduler;
mod spec;
mod store;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

/// Named time zones (IANA), as schedules use them.
pub use chrono_tz::Tz;
pub use scheduler::{Occurrence, RunDue, Scheduler, SchedulerConfig, run_due};
pub use spec::{Cadence, ScheduleInput, ScheduleSpec, weekday_name};
pub use store::{ensure_default, get_schedule, next_runs, save_schedule};

/// Errors of schedules.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// A field of the schedule is not valid; the message says what is expected.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The tenant does not exist or belongs to another organisation.
    #[error("tenant not found")]
    TenantNotFound,
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// A tenant's schedule as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScheduleView {
    pub tenant_id: i64,
    /// False when nothing is stored yet: the fields are the proposed default, not running.
    pub saved: bool,
    /// `daily`, `weekly` or `cron`.
    pub cadence: String,
    /// `HH:MM` in `time_zone` (daily, weekly).
    pub time: Option<String>,
    /// `mon` … `sun` (weekly).
    pub weekday: Option<String>,
    pub time_zone: String,
    pub cron: Option<String>,
    pub compliance: bool,
    pub exposure: bool,
    /// On, or paused.
    pub enabled: bool,
    /// When it next runs; none while paused.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The last occurrence and what happened then (scans started, or why not).
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub last_scan_id: Option<i64>,
    /// Who last changed it (an e-mail address), if a person did.
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// When a tenant's next scheduled scan runs (for `get_posture` and `list_scans`).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct NextScheduledScan {
    pub tenant_id: i64,
    pub at: DateTime<Utc>,
    /// `compliance` and/or `exposure`.
    pub kinds: Vec<crate::scans::ScanKind>,
}
