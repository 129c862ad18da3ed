//! Reading and writing `audit_log` rows directly.

use aether365_entities::audit_log;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use serde_json::Value;

use super::error::AuditError;
use super::event::{ActorKind, AuditEvent};

/// Rows per INSERT statement: 14 bind parameters a row stays far below SQLite's and
/// PostgreSQL's limits.
const ROWS_PER_STATEMENT: usize = 512;

/// The most rows [`list`] returns at once.
pub const MAX_LIST_LIMIT: u64 = 10_000;

/// Inserts one event at once, outside the writer (for the CLI and token changes).
/// Pass a transaction to make the row part of a larger change.
pub async fn write_one<C: ConnectionTrait>(db: &C, event: AuditEvent) -> Result<(), AuditError> {
    audit_log::Entity::insert(event.into_active_model())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Inserts `events` in one transaction with multi-row INSERT statements.
/// Returns once the transaction is committed. A batch that fits one statement is that one
/// statement alone, which both databases commit atomically on its own: one round trip
/// instead of three (`BEGIN`, `INSERT`, `COMMIT`).
pub async fn insert_batch<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    events: Vec<AuditEvent>,
) -> Result<(), AuditError> {
    if events.is_empty() {
        return Ok(());
    }
    if events.len() <= ROWS_PER_STATEMENT {
        audit_log::Entity::insert_many(events.into_iter().map(AuditEvent::into_active_model))
            .exec_without_returning(db)
            .await?;
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut rows = events.into_iter().map(AuditEvent::into_active_model);
    loop {
        let chunk: Vec<_> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        if chunk.is_empty() {
            break;
        }
        audit_log::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Which rows [`list`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFilter {
    pub organisation_id: i64,
    /// Only rows whose actor is this token.
    pub token_id: Option<i64>,
    /// Only rows at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// At most this many rows (0: the maximum, [`MAX_LIST_LIMIT`]).
    pub limit: u64,
}

/// The organisation's audit rows matching `filter`, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
) -> Result<Vec<audit_log::Model>, AuditError> {
    let mut query = audit_log::Entity::find()
        .filter(audit_log::Column::OrganisationId.eq(filter.organisation_id));
    if let Some(token_id) = filter.token_id {
        query = query
            .filter(audit_log::Column::ActorKind.eq(ActorKind::Token.as_str()))
            .filter(audit_log::Column::ActorId.eq(token_id));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::Column::CreatedAt.gte(since));
    }
    let limit = match filter.limit {
        0 => MAX_LIST_LIMIT,
        n => n.min(MAX_LIST_LIMIT),
    };
    Ok(query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One audit row as the dashboard and `aether365 audit list --json` show it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditRow {
    pub id: i64,
    pub organisation_id: Option<i64>,
    /// `user`, `token`, `cli`, `system`...
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// Who acted, as shown (a person's e-mail, a token's name).
    pub actor_label: Option<String>,
    pub action: String,
    pub mcp_method: Option<String>,
    pub tool: Option<String>,
    /// Ids of what the act touched, such as `tenant:3` or `scan:12`.
    pub target_ids: Value,
    pub outcome: String,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    /// When, in RFC 3339.
    pub at: String,
}

impl AuditRow {
    /// The row of `row`.
    pub fn of(row: &audit_log::Model) -> Self {
        AuditRow {
            id: row.id,
            organisation_id: row.organisation_id,
            actor_kind: row.actor_kind.clone(),
            actor_id: row.actor_id,
            actor_label: row.actor_label.clone(),
            action: row.action.clone(),
            mcp_method: row.mcp_method.clone(),
            tool: row.tool.clone(),
            target_ids: row.target_ids.clone(),
            outcome: row.outcome.clone(),
            detail: row.detail.clone(),
            client_addr: row.client_addr.clone(),
            user_agent: row.user_agent.clone(),
            at: row.created_at.to_rfc3339(),
        }
    }
}

/// A page of audit rows, newest first.
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    /// Pass as `before` for the next page.
    pub next_before: Option<i64>,
}
