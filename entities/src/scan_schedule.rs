//! A tenant's scan schedule (one per tenant): when scans start on their own, which kinds.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scan_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    #[sea_orm(unique)]
    pub tenant_id: i64,
    /// `daily`, `weekly` or `cron`.
    pub cadence: String,
    /// `HH:MM` in `time_zone` (daily and weekly).
    pub time_of_day: Option<String>,
    /// `mon` … `sun` (weekly).
    pub weekday: Option<String>,
    /// An IANA time zone name, e.g. `Europe/Paris`.
    pub time_zone: String,
    /// A cron expression (cadence `cron`), evaluated in `time_zone`.
    pub cron: Option<String>,
    pub compliance: bool,
    pub exposure: bool,
    /// False while paused.
    pub enabled: bool,
    /// The next occurrence; null while paused. Instances claim it by compare-and-set.
    pub next_run_at: Option<DateTimeUtc>,
    /// The occurrence last claimed.
    pub last_run_at: Option<DateTimeUtc>,
    /// What happened at that occurrence (scans started, or why one was skipped).
    pub last_outcome: Option<String>,
    pub last_scan_id: Option<i64>,
    /// The dashboard user who last created or changed the schedule.
    pub updated_by_user_id: Option<i64>,
    pub updated_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
