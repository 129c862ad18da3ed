//! Scans of a tenant and their summary.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    /// `compliance` or `exposure`.
    pub kind: String,
    /// `dashboard`, `mcp`, `cli`, `schedule` or `sample` (the demo's history).
    pub origin: String,
    pub requested_by_user_id: Option<i64>,
    pub requested_by_token_id: Option<i64>,
    pub ai_pilot: bool,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub progress_done: i32,
    pub progress_total: i32,
    pub snapshot_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// Overall score, 0 to 100, once completed.
    pub score: Option<f64>,
    pub pass_count: i32,
    pub fail_count: i32,
    pub manual_count: i32,
    pub error_count: i32,
    pub not_applicable_count: i32,
    pub critical_count: i32,
    pub high_count: i32,
    pub medium_count: i32,
    pub low_count: i32,
    pub info_count: i32,
    /// Scores per service and per framework (an engine `ScoreCard`).
    pub summary: Option<Json>,
    pub error: Option<String>,
    /// What the scan evaluated (a `ScanInput` of the actors crate: snapshot source, when it
    /// was collected, per-service outcome, a note); null for exposure scans and old rows.
    pub input: Option<Json>,
    /// The instance running (or about to run) the scan; null when no instance holds it.
    pub lease_owner: Option<String>,
    /// When the lease ends unless its owner renews it; another instance may then claim the scan.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// What changed since the tenant's previous completed scan of the same kind (a `Drift` of
    /// the actors crate); null before the first comparable scan and for old rows.
    pub drift: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
