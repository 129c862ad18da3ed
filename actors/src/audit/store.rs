//! Reading and writing `audit_log` rows directly.

use aether365_entities::audit_log;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};

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

/// One row as JSON (for `aether365 audit list --json`), times in RFC 3339.
pub fn row_json(row: &audit_log::Model) -> Value {
    json!({
        "id": row.id,
        "organisation_id": row.organisation_id,
        "actor_kind": row.actor_kind,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "mcp_method": row.mcp_method,
        "tool": row.tool,
        "target_ids": row.target_ids,
        "outcome": row.outcome,
        "detail": row.detail,
        "client_addr": row.client_addr,
        "user_agent": row.user_agent,
        "at": row.created_at.to_rfc3339(),
    })
}
