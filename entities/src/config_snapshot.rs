//! A tenant's collected configuration (ScubaGear `ProviderSettingsExport.json` shape).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "config_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub collected_at: DateTimeUtc,
    /// `import`, `collector` or `sample` (the demo's history).
    pub source: String,
    pub data: Json,
    /// Per-service outcome of a collection (JSON array of the collector's `ServiceOutcome`);
    /// null for imports and samples.
    pub services: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
