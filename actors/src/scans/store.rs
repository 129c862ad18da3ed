//! Scan rows and their state transitions. Every transition is a conditional update, so that
//! the database decides races between completion and cancellation, across processes too.

use aether365_entities::{scan, tenant};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::{Condition, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionSession, TransactionTrait,
};

use super::input::ScanInput;
use super::types::{
    INTERRUPTED, QuotaScope, ScanError, ScanEvent, ScanKind, ScanQuota, ScanRequest, ScanStatus,
};
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
        Some(t) if scope.admits(organisation_id, t.organisation_id, t.id) => Ok(t),
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
        Some(s) if scope.admits(organisation_id, s.organisation_id, s.tenant_id) => Ok(s),
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

/// Starts of this instance between their quota check and their answer, besides the one being
/// checked: added to the database's count, so simultaneous starts here cannot all pass.
#[derive(Clone, Debug, Default)]
pub(crate) struct StartsInFlight {
    /// The tenants and kinds other starts of the same token are starting.
    pub token: Vec<(i64, ScanKind)>,
    /// The tenants and kinds other starts of the same organisation are starting.
    pub organisation: Vec<(i64, ScanKind)>,
}

/// Queues a scan for `request`, or answers the tenant's scan of that kind already queued or
/// running (`true`: whatever the quota, a start joins it). A new scan must fit the quota.
/// One write transaction, which on PostgreSQL first takes the organisation's advisory lock: the
/// starts of one organisation on every instance are counted one after the other, so the quota
/// holds across the cluster (on SQLite, `BEGIN IMMEDIATE` serialises them the same way).
pub(crate) async fn queue_within_quota(
    db: &DatabaseConnection,
    request: &ScanRequest,
    quota: ScanQuota,
    in_flight: StartsInFlight,
) -> Result<(scan::Model, bool), ScanError> {
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [(START_LOCK ^ request.organisation_id).into()],
        ))
        .await?;
    }
    if let Some(existing) = find_active(&txn, request.tenant_id, request.kind).await? {
        txn.commit().await?;
        return Ok((existing, true));
    }
    check_quota(&txn, request, quota, in_flight).await?;
    let row = insert_queued(&txn, request).await?;
    txn.commit().await?;
    Ok((row, false))
}

/// The advisory lock class of scan starts, combined with the organisation id.
const START_LOCK: i64 = 0x6165_3336_0000_0000;

/// Refuses a new scan when the requesting token or the organisation already has as many
/// scans queued or running (plus `in_flight` starts of this instance) as `quota` allows.
/// Counted from the database, so every instance sees the same rows.
async fn check_quota<C: ConnectionTrait>(
    db: &C,
    request: &ScanRequest,
    quota: ScanQuota,
    in_flight: StartsInFlight,
) -> Result<(), ScanError> {
    // A literal predicate, so the partial indexes `ix_scans_active_*` apply. The scan of this
    // tenant and kind, if one is queued or running, is not counted: a start answers it rather
    // than adding one (and it may have been queued by a simultaneous start just now).
    let active = || {
        scan::Entity::find()
            .filter(Expr::cust("status IN ('queued', 'running')"))
            .filter(
                Condition::any()
                    .add(scan::Column::TenantId.ne(request.tenant_id))
                    .add(scan::Column::Kind.ne(request.kind.as_str())),
            )
    };
    let refused = |scope, limit| ScanError::TooManyScans {
        scope,
        limit,
        retry_after: ScanQuota::RETRY_AFTER,
    };
    if let Some(token_id) = request.requested_by_token_id
        && quota.per_token < u32::MAX
    {
        let scans = scans_counted(
            active().filter(scan::Column::RequestedByTokenId.eq(token_id)),
            &in_flight.token,
            db,
        )
        .await?;
        if scans >= quota.per_token as usize {
            return Err(refused(QuotaScope::Token, quota.per_token));
        }
    }
    if quota.per_organisation < u32::MAX {
        let scans = scans_counted(
            active().filter(scan::Column::OrganisationId.eq(request.organisation_id)),
            &in_flight.organisation,
            db,
        )
        .await?;
        if scans >= quota.per_organisation as usize {
            return Err(refused(QuotaScope::Organisation, quota.per_organisation));
        }
    }
    Ok(())
}

/// How many scans count: the tenants and kinds queued or running (`active`), together with
/// those being started, each once (a start whose row is already stored is not counted twice).
async fn scans_counted<C: ConnectionTrait>(
    active: sea_orm::Select<scan::Entity>,
    starting: &[(i64, ScanKind)],
    db: &C,
) -> Result<usize, ScanError> {
    let stored: Vec<(i64, String)> = active
        .select_only()
        .column(scan::Column::TenantId)
        .column(scan::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut scans: std::collections::HashSet<(i64, String)> = stored.into_iter().collect();
    scans.extend(starting.iter().map(|(t, k)| (*t, k.as_str().to_string())));
    Ok(scans.len())
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
    lease: &Lease<'_>,
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
        .col_expr(scan::Column::LeaseExpiresAt, Expr::value(lease.expiry()))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
        .filter(scan::Column::LeaseOwner.eq(lease.owner))
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
    owner: &str,
    scan_id: i64,
    input: &ScanInput,
) -> Result<bool, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(scan::Column::SnapshotId, Expr::value(input.snapshot_id))
        .col_expr(scan::Column::Input, Expr::value(Some(input.to_json())))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .filter(scan::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Stores progress. `false` when the scan is no longer running (cancelled meanwhile).
pub(crate) async fn set_progress<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    scan_id: i64,
    done: i32,
) -> Result<bool, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(scan::Column::ProgressDone, Expr::value(done))
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .filter(scan::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Queued or running → `status` (failed or cancelled) with `error`, lease released. With
/// `owner`, only while that instance holds the scan. `false` when the scan had already
/// finished (or another instance holds it).
pub(crate) async fn finish_unsuccessfully<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: Option<&str>,
    scan_id: i64,
    status: ScanStatus,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, ScanError> {
    let mut update = scan::Entity::update_many()
        .col_expr(scan::Column::Status, Expr::value(status.as_str()))
        .col_expr(scan::Column::Error, Expr::value(error.map(str::to_string)))
        .col_expr(scan::Column::FinishedAt, Expr::value(at))
        .col_expr(scan::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(
            scan::Column::LeaseExpiresAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(scan::Column::Id.eq(scan_id))
        .filter(scan::Column::Status.is_in(ACTIVE));
    if let Some(owner) = owner {
        update = update.filter(scan::Column::LeaseOwner.eq(owner));
    }
    if status != ScanStatus::Failed {
        return Ok(update.exec(db).await?.rows_affected > 0);
    }
    // A failure and its alerts in one transaction, written once: by whoever's update moved the
    // scan to failed.
    let txn = crate::db::begin_write(db).await?;
    let finished = update.exec(&txn).await?.rows_affected > 0;
    let mut alerts = 0;
    if finished {
        alerts = crate::alerts::enqueue_for_scan(&txn, scan_id, crate::alerts::ScanOutcome::Failed)
            .await?;
    }
    txn.commit().await?;
    if alerts > 0 {
        crate::alerts::wake();
    }
    Ok(finished)
}

/// A lease an instance takes on the scans it runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lease<'a> {
    /// The instance id.
    pub owner: &'a str,
    /// How long a lease lasts unless renewed.
    pub ttl: std::time::Duration,
}

impl Lease<'_> {
    /// When a lease taken or renewed now ends.
    pub fn expiry(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX)
    }
}

/// The condition of a scan nobody holds: queued without a live lease, or running with an
/// expired one (its instance died: it runs again from the start).
fn claimable(now: DateTime<Utc>) -> Condition {
    let unheld = Condition::any()
        .add(scan::Column::LeaseOwner.is_null())
        .add(scan::Column::LeaseExpiresAt.is_null())
        .add(scan::Column::LeaseExpiresAt.lt(now));
    Condition::any()
        .add(
            Condition::all()
                .add(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
                .add(unheld),
        )
        .add(
            Condition::all()
                .add(scan::Column::Status.eq(ScanStatus::Running.as_str()))
                .add(scan::Column::LeaseExpiresAt.lt(now)),
        )
}

/// Claims the oldest scan nobody holds (among `only`, when given) for `lease`: it becomes
/// queued again, from the start, held by this instance. PostgreSQL skips rows another
/// transaction is claiming (`FOR UPDATE SKIP LOCKED`); the conditional update decides races
/// on any database.
pub(crate) async fn claim_next(
    db: &sea_orm::DatabaseConnection,
    lease: &Lease<'_>,
    only: Option<&[i64]>,
) -> Result<Option<scan::Model>, ScanError> {
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let mut candidate = scan::Entity::find().filter(claimable(now));
    if let Some(ids) = only {
        candidate = candidate.filter(scan::Column::Id.is_in(ids.iter().copied()));
    }
    let Some(row) = candidate
        .order_by_asc(scan::Column::Id)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(&txn)
        .await?
    else {
        txn.rollback().await?;
        return Ok(None);
    };
    let claimed = scan::Entity::update_many()
        .col_expr(
            scan::Column::Status,
            Expr::value(ScanStatus::Queued.as_str()),
        )
        .col_expr(scan::Column::LeaseOwner, Expr::value(lease.owner))
        .col_expr(scan::Column::LeaseExpiresAt, Expr::value(lease.expiry()))
        .col_expr(scan::Column::ProgressDone, Expr::value(0))
        .col_expr(scan::Column::StartedAt, Expr::value(None::<DateTime<Utc>>))
        .filter(scan::Column::Id.eq(row.id))
        .filter(claimable(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let row = scan::Entity::find_by_id(row.id).one(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Renews the leases of `lease.owner`. Of `running` (scans whose runs here began before this
/// call), answers those whose runs must stop: taken over by another instance, given back, or
/// cancelled. A scan its own run has just finished is not among them: that run may still be
/// waiting for its commit to be acknowledged before it publishes the end, and stopping it
/// there would lose the completion event.
pub(crate) async fn renew<C: ConnectionTrait>(
    db: &C,
    lease: &Lease<'_>,
    running: &[i64],
) -> Result<Vec<i64>, ScanError> {
    scan::Entity::update_many()
        .col_expr(scan::Column::LeaseExpiresAt, Expr::value(lease.expiry()))
        .filter(scan::Column::LeaseOwner.eq(lease.owner))
        .filter(scan::Column::Status.is_in(ACTIVE))
        .exec(db)
        .await?;
    if running.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, Option<String>)> = scan::Entity::find()
        .select_only()
        .columns([
            scan::Column::Id,
            scan::Column::Status,
            scan::Column::LeaseOwner,
        ])
        .filter(scan::Column::Id.is_in(running.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let stop = |id: &i64| match rows.iter().find(|(row_id, _, _)| row_id == id) {
        None => true,
        Some((_, status, owner)) => run_must_stop(status, owner.as_deref(), lease.owner),
    };
    Ok(running.iter().copied().filter(stop).collect())
}

/// Whether a local run of a scan stored with `status` and `owner` must stop (see [`renew`]).
fn run_must_stop(status: &str, owner: Option<&str>, us: &str) -> bool {
    status == ScanStatus::Cancelled.as_str() || (ACTIVE.contains(&status) && owner != Some(us))
}

/// Gives back every scan `owner` holds (graceful stop): they are queued again, from the
/// start, for another instance to claim at once. Returns how many.
pub(crate) async fn release<C: ConnectionTrait>(db: &C, owner: &str) -> Result<u64, ScanError> {
    let result = scan::Entity::update_many()
        .col_expr(
            scan::Column::Status,
            Expr::value(ScanStatus::Queued.as_str()),
        )
        .col_expr(scan::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(
            scan::Column::LeaseExpiresAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(scan::Column::ProgressDone, Expr::value(0))
        .col_expr(scan::Column::StartedAt, Expr::value(None::<DateTime<Utc>>))
        .filter(scan::Column::LeaseOwner.eq(owner))
        .filter(scan::Column::Status.is_in(ACTIVE))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Scans by status across the cluster, for metrics: (status, count).
pub async fn scans_by_status<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, i64)>, ScanError> {
    Ok(scan::Entity::find()
        .select_only()
        .column(scan::Column::Status)
        .column_as(scan::Column::Id.count(), "n")
        .group_by(scan::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?)
}

/// Queued scans nobody is running yet, across the cluster.
pub(crate) async fn count_waiting<C: ConnectionTrait>(db: &C) -> Result<u64, ScanError> {
    Ok(scan::Entity::find()
        .filter(scan::Column::Status.eq(ScanStatus::Queued.as_str()))
        .count(db)
        .await?)
}

/// Scans that finished since `since` (to reconcile events a listener may have missed).
pub(crate) async fn finished_since<C: ConnectionTrait>(
    db: &C,
    since: DateTime<Utc>,
) -> Result<Vec<scan::Model>, ScanError> {
    Ok(scan::Entity::find()
        .filter(scan::Column::FinishedAt.gte(since))
        .order_by_asc(scan::Column::Id)
        .all(db)
        .await?)
}

/// Start-up: scans left `running` without a lease (written before leases existed) are marked
/// failed (`interrupted`) and returned; leases held under `expire_owner` (this instance's id,
/// so a predecessor of this process) end now, so they are claimed again at once. Scans another
/// live instance holds are not touched.
pub(crate) async fn recover<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    expire_owner: Option<&str>,
) -> Result<Vec<scan::Model>, ScanError> {
    let running = scan::Entity::find()
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        .filter(scan::Column::LeaseOwner.is_null())
        .order_by_asc(scan::Column::Id)
        .all(db)
        .await?;
    let now = Utc::now();
    let mut interrupted = Vec::with_capacity(running.len());
    for row in running {
        let marked =
            finish_unsuccessfully(db, None, row.id, ScanStatus::Failed, Some(INTERRUPTED), now)
                .await?;
        let reread = if marked {
            scan::Entity::find_by_id(row.id).one(db).await?
        } else {
            None
        };
        interrupted.extend(reread);
    }
    if let Some(owner) = expire_owner {
        scan::Entity::update_many()
            .col_expr(scan::Column::LeaseExpiresAt, Expr::value(now))
            .filter(scan::Column::LeaseOwner.eq(owner))
            .filter(scan::Column::Status.is_in(ACTIVE))
            .exec(db)
            .await?;
    }
    Ok(interrupted)
}

/// A row's parsed status (unknown text counts as failed).
pub(crate) fn status_of(row: &scan::Model) -> ScanStatus {
    row.status.parse().unwrap_or(ScanStatus::Failed)
}

/// The event describing a scan row as it is.
pub fn event_of(row: &scan::Model) -> ScanEvent {
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

#[cfg(test)]
mod tests {
    use super::run_must_stop;

    #[test]
    fn a_heartbeat_stops_runs_taken_or_cancelled_never_one_that_just_finished() {
        // Held here: keep running.
        assert!(!run_must_stop("running", Some("a"), "a"));
        assert!(!run_must_stop("queued", Some("a"), "a"));
        // Finished by its own run (lease cleared), which may still be publishing the end.
        assert!(!run_must_stop("completed", None, "a"));
        assert!(!run_must_stop("failed", None, "a"));
        // Taken over, given back, or cancelled: stop.
        assert!(run_must_stop("running", Some("b"), "a"));
        assert!(run_must_stop("queued", None, "a"));
        assert!(run_must_stop("cancelled", None, "a"));
    }
}
