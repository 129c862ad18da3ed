//! The audit trail: one row per MCP access, failed authentication and token change.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None` only for failed authentications that named no known token.
    pub organisation_id: Option<i64>,
    /// `token`, `user`, `cli` or `anonymous`.
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: Option<String>,
    /// For example `mcp.tools/call`, `auth.failed`, `token.create`, `token.revoke`.
    pub action: String,
    pub mcp_method: Option<String>,
    pub tool: Option<String>,
    /// JSON array of the ids the request named (tenants, scans, findings, reports).
    pub target_ids: Json,
    /// `ok`, `error`, `denied`.
    pub outcome: String,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
