//! The alert outbox: one row per alert to send to one destination, claimed by a dispatcher
//! with a lease, retried with backoff, finally delivered or failed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    /// The rule that raised it; none for a test sent from the dashboard.
    pub rule_id: Option<i64>,
    pub destination_id: i64,
    pub scan_id: Option<i64>,
    pub tenant_id: Option<i64>,
    /// `r{rule}:d{destination}:s{scan}`: one row per change, whoever writes it.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// What happened (JSON of the alert event).
    pub event: Json,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// The instance sending it, until `lease_expires_at`.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
