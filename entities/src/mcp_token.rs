//! Headless MCP tokens. Only the argon2id hash of the secret is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub label: String,
    /// Public part of the token, used to find the row.
    #[sea_orm(unique)]
    pub lookup_id: String,
    /// argon2id PHC string of the secret part.
    pub secret_hash: String,
    /// `null` for every tenant of the organisation, else a JSON array of tenant ids.
    pub tenant_scope: Option<Json>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
