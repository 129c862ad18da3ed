//! An instance of the cluster and its last heartbeat (PostgreSQL only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_instances")]
pub struct Model {
    /// `serve --instance-id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub seen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
