//! Access and refresh tokens of OAuth grants. Only a keyed digest of the secret is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `access` or `refresh`.
    pub kind: String,
    /// Public part of the token, used to find the row.
    #[sea_orm(unique)]
    pub lookup_id: String,
    /// Keyed digest (`hmac-sha256$…`) of the secret part.
    pub secret_hash: String,
    /// The grant: the `mcp_tokens` row holding organisation, tenant scope and revocation.
    pub grant_id: i64,
    pub client_id: String,
    /// The protected resource (RFC 8707) the token is bound to.
    pub resource: String,
    pub scope: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Refresh tokens: set when rotated; a second use revokes the grant.
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
