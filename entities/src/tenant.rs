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
    /// When the tenant was added to aether365.
    pub connected_at: DateTimeUtc,
    /// The tenant's initial `*.onmicrosoft.com` domain, once read from Microsoft Graph.
    pub initial_domain: Option<String>,
    /// When an administrator granted admin consent (or the tenant was connected headless):
    /// set means scans collect live; unset means scans evaluate imported configurations.
    pub consented_at: Option<DateTimeUtc>,
    /// JSON array of the tenant's subscribed SKU part numbers, read when it was connected.
    pub licences: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
