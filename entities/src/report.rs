//! Generated Markdown reports, readable as `aether365://reports/{id}`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    /// `None` for a report over every tenant in scope.
    pub tenant_id: Option<i64>,
    /// `board`, `audit` or `technical`.
    pub audience: String,
    pub framework: Option<String>,
    pub title: String,
    pub markdown: String,
    pub requested_by_token_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
