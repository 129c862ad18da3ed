//! Connected Microsoft 365 tenants.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub display_name: String,
    /// The Microsoft Entra tenant id (a GUID).
    pub microsoft_tenant_id: String,
    pub primary_domain: String,
    /// JSON array of verified domain names.
    pub verified_domains: Json,
    pub connected_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
