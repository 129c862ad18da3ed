//! Dashboard login sessions. Only a hash of the session id (the cookie's value) is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dashboard_sessions")]
pub struct Model {
    /// Hex BLAKE2b-256 of the random session id held in the cookie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    pub user_id: i64,
    pub organisation_id: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set at logout; a revoked session never authenticates again.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
