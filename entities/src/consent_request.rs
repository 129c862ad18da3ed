//! Pending admin-consent requests: the hash of each single-use `state` sent to Microsoft.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_requests")]
pub struct Model {
    /// Hex SHA-256 of the random part of the `state` value; the value itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub organisation_id: i64,
    /// The dashboard user who started the flow.
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when the callback consumed the state; a second use is refused.
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
