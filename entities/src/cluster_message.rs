//! A cluster message too large for a PostgreSQL `NOTIFY`: the notification carries its id.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The message, as JSON text.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
