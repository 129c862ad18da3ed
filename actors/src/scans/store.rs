//! Scan rows and their state transitions. Every transition is a conditional update, so that
//! the database decides races between completion and cancellation, across processes too.

use aether365_entities::{scan, tenant};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::input::ScanInput;
use super::types::{INTERRUPTED, ScanError, ScanEvent, ScanKind, ScanRequest, ScanStatus};
use crate::principal::TenantScope;

const ACTIVE: [&str; 2] = ["queued", "running"];

/// The tenant, if it exists, belongs to the organisation and is inside the scope.
pub(crate) async fn tenant_in_scope<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    scope: &TenantScope,
    tenant_id: i64,
) -> Result<tenant::Model, ScanError> {
    match tenant::Entity::find_by_id(tenant_id).one(db).await? {
        Some(t) if t.organisation_id == organisation_id && scope.allows(t.id) => Ok(t),
        _ => Err(ScanError::TenantNotFound),
    }
}

/// The scan, if it belongs to the organisation and its tenant is inside the scope.
pub(crate) async fn scan_in_scope<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    scope: &TenantScope,
    scan_id: i64,
) -> Result<scan::Model, ScanError> {
    match scan::Entity::find_by_id(scan_id).one(db).await? {
        Some(s) if s.organisation_id == organisation_id && scope.allows(s.tenant_id) => Ok(s),
        _ => Err(ScanError::ScanNotFound),
    }
}

/// The tenant's oldest queued or running scan of `kind`.
pub(crate) async fn find_active<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
    kind: ScanKind,
) -> Result<Option<scan::Model>, ScanError> {
    Ok(scan::Entity::find()
        .filter(scan::Column::TenantId.eq(tenant_id))
        .filter(scan::Column::Kind.eq(kind.as_str()))
        .filter(scan::Column::Status.is_in(ACTIVE))
        .order_by_asc(scan::Column::Id)
        .one(db)
        .await?)
}

/// Stores a new queued scan.
pub(crate) async fn insert_queued<C: ConnectionTrait>(
    db: &C,
    request: &ScanRequest,
) -> Result<scan::Model, ScanError> {
    let row = scan::ActiveModel {
        organisation_id: Set(request.organisation_id),
        tenant_id: Set(request.tenant_id),
        kind: Set(request.kind.as_str().to_string()),
        origin: Set(request.origin.as_str().to_string()),
        requested_by_user_id: Set(request.requested_by_user_id),
        requested_by_token_id: Set(request.requested_by_token_id),
        ai_pilot: Set(request.ai_pilot),
        status: Set(ScanStatus::Queued.as_str().to_string()),
        progress_done: Set(0),
        progress_total: Set(0),
        snapshot_id: Set(None),
        created_at: Set(Utc::now()),
        started_at: Set(None),
        finished_at: Set(None),
        score: Set(None),
        summary: Set(None),
        error: Set(None),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// Queued → running, with the number of checks to run. `None` when the scan is no longer queued.
pub(crate) async fn mark_running<C: ConnectionTrait>(
    db: &C,
    scan_id: i64,
    progress_total: i32,
    snapshot_id: Option<i64>,
) -> Result<Option<scan::Model>, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(
            scan::Column::Status,
            Expr::value(ScanStatus::Running.as_str()),
        )
        .col_expr(scan::Column::StartedAt, Expr::value(Utc::now()))
        .col_expr(scan::Column::ProgressDone, Expr::value(0))
        .col_expr(scan::Column::ProgressTotal, Expr::value(progress_total))
        .col_expr(scan::Column::SnapshotId, Expr::value(snapshot_id))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    Ok(scan::Entity::find_by_id(scan_id).one(db).await?)
}

/// Records what a running scan evaluates. `false` when the scan is no longer running.
pub(crate) async fn set_input<C: ConnectionTrait>(
    db: &C,
    scan_id: i64,
    input: &ScanInput,
) -> Result<bool, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(scan::Column::SnapshotId, Expr::value(input.snapshot_id))
        .col_expr(scan::Column::Input, Expr::value(Some(input.to_json())))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Stores progress. `false` when the scan is no longer running (cancelled meanwhile).
pub(crate) async fn set_progress<C: ConnectionTrait>(
    db: &C,
    scan_id: i64,
    done: i32,
) -> Result<bool, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(scan::Column::ProgressDone, Expr::value(done))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Queued or running → `status` (failed or cancelled) with `error`. `false` when the scan
/// had already finished.
pub(crate) async fn finish_unsuccessfully<C: ConnectionTrait>(
    db: &C,
    scan_id: i64,
    status: ScanStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(scan::Column::Status, Expr::value(status.as_str()))
        .col_expr(scan::Column::Error, Expr::value(error.map(str::to_string)))
        .col_expr(scan::Column::FinishedAt, Expr::value(at))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.is_in(ACTIVE))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Scans left behind by a previous run: running ones are marked failed (`interrupted`) and
/// returned first; queued ones are returned second, to be queued again.
pub(crate) async fn recover<C: ConnectionTrait>(
    db: &C,
) -> Result<(Vec<scan::Model>, Vec<scan::Model>), ScanError> {
    let running = scan::Entity::find()
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .order_by_asc(scan::Column::Id)
        .all(db)
        .await?;
    let now = Utc::now();
    let mut interrupted = Vec::with_capacity(running.len());
    for row in running {
        let marked =
            finish_unsuccessfully(db, row.id, ScanStatus::Failed, Some(INTERRUPTED), now).await?;
        let reread = if marked {
            scan::Entity::find_by_id(row.id).one(db).await?
        } else {
            None
        };
        interrupted.extend(reread);
    }
    let queued = scan::Entity::find()
        .filter(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
        .order_by_asc(scan::Column::Id)
        .all(db)
        .await?;
    Ok((interrupted, queued))
}

/// A row's parsed status (unknown text counts as failed).
pub(crate) fn status_of(row: &scan::Model) -> ScanStatus {
    row.status.parse().unwrap_or(ScanStatus::Failed)
}

/// The event describing a row as it is.
pub(crate) fn event_of(row: &scan::Model) -> ScanEvent {
    ScanEvent {
        scan_id: row.id,
        organisation_id: row.organisation_id,
        tenant_id: row.tenant_id,
        kind: row.kind.parse().unwrap_or(ScanKind::Compliance),
        status: status_of(row),
        progress_done: row.progress_done,
        progress_total: row.progress_total,
        score: row.score,
        error: row.error.clone(),
        stage: None,
        at: row.finished_at.or(row.started_at).unwrap_or(row.created_at),
    }
}
