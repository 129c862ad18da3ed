//! When an organisation is alerted, and to which destinations.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    /// `newly_failing`, `score_drop`, `scan_failed` or `consent_withdrawn`.
    pub trigger: String,
    /// `newly_failing`: the lowest severity alerted (`critical` … `info`).
    pub min_severity: Option<String>,
    /// `score_drop`: the drop, in points, that alerts.
    pub score_drop: Option<f64>,
    /// The destinations' ids (a JSON array).
    pub destination_ids: Json,
    pub enabled: bool,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
