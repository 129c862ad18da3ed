//! Authorization codes: single use, short-lived, bound to a client, redirect URI, PKCE
//! challenge and resource. Only a keyed digest of the code is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The S256 PKCE challenge.
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub organisation_id: i64,
    /// The dashboard user who consented.
    pub user_id: i64,
    /// `null` for every tenant, else a JSON array of tenant ids.
    pub tenant_scope: Option<Json>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when exchanged; a second exchange revokes the grant.
    pub used_at: Option<DateTimeUtc>,
    /// The grant (`mcp_tokens` row) the exchange created.
    pub grant_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
