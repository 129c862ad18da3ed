//! Where an organisation's alerts go: a signed webhook, a Teams or Slack incoming webhook, or
//! e-mail over SMTP.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_destinations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    /// `webhook`, `teams`, `slack` or `email`.
    pub kind: String,
    /// The webhook URL (its path is a credential for Teams and Slack), or the e-mail recipients.
    pub target: String,
    /// E-mail: the SMTP server settings (JSON).
    pub settings: Option<Json>,
    /// The webhook signing secret or the SMTP password; never shown after creation.
    pub secret: Option<String>,
    pub created_by_user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
