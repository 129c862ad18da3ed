//! Storing scan results: finding rows, counts, score and summary, in one transaction.

use aether365_engine::{Finding, Framework, Severity, Status, score};
use aether365_entities::{finding, scan};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use super::input::ScanInput;
use super::types::{ScanError, ScanKind, ScanOrigin, ScanStatus};

/// Findings written per INSERT statement (well below the parameter limits of both databases).
const FINDINGS_PER_INSERT: usize = 200;

/// A finished scan to store as it is: history imports and the demo.
#[derive(Clone, Debug)]
pub struct CompletedScan {
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub kind: ScanKind,
    pub origin: ScanOrigin,
    pub snapshot_id: Option<i64>,
    /// What was evaluated (compliance scans).
    pub input: Option<ScanInput>,
    pub findings: Vec<Finding>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// Stores a completed scan with its findings, counts, score and summary in one transaction
/// (a savepoint when `db` is already a transaction). Returns the scan id.
pub async fn persist_completed_scan<C>(db: &C, completed: CompletedScan) -> Result<i64, ScanError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let results = Results::of(&completed.findings)?;
    let total = results.total;
    let mut row = scan::ActiveModel {
        organisation_id: Set(completed.organisation_id),
        tenant_id: Set(completed.tenant_id),
        kind: Set(completed.kind.as_str().to_string()),
        origin: Set(completed.origin.as_str().to_string()),
        requested_by_user_id: Set(None),
        requested_by_token_id: Set(None),
        ai_pilot: Set(false),
        status: Set(ScanStatus::Completed.as_str().to_string()),
        progress_done: Set(total),
        progress_total: Set(total),
        snapshot_id: Set(completed.snapshot_id),
        created_at: Set(completed.started_at),
        started_at: Set(Some(completed.started_at)),
        finished_at: Set(Some(completed.finished_at)),
        error: Set(None),
        input: Set(completed.input.as_ref().map(ScanInput::to_json)),
        ..Default::default()
    };
    results.apply(&mut row);
    let txn = crate::db::begin_write(db).await?;
    let row = row.insert(&txn).await?;
    insert_findings(&txn, &row, &completed.findings).await?;
    super::drift::store_drift(
        &txn,
        &row,
        completed.finished_at,
        &completed.findings,
        &results.card,
    )
    .await?;
    let alerts =
        crate::alerts::enqueue_for_scan(&txn, row.id, crate::alerts::ScanOutcome::Completed)
            .await?;
    txn.commit().await?;
    if alerts > 0 {
        crate::alerts::wake();
    }
    Ok(row.id)
}

/// Running → completed with `findings` and its drift, in one transaction. `None` (nothing written) when the
/// scan is no longer running, e.g. it was cancelled meanwhile; else the score.
pub(crate) async fn complete_running_scan<C>(
    db: &C,
    scan_row: &scan::Model,
    findings: &[Finding],
    finished_at: DateTime<Utc>,
) -> Result<Option<Option<f64>>, ScanError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let results = Results::of(findings)?;
    let mut update = scan::ActiveModel {
        status: Set(ScanStatus::Completed.as_str().to_string()),
        progress_done: Set(results.total),
        progress_total: Set(results.total),
        finished_at: Set(Some(finished_at)),
        error: Set(None),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        ..Default::default()
    };
    results.apply(&mut update);
    let txn = crate::db::begin_write(db).await?;
    let updated = scan::Entity::update_many()
        .set(update)
        .filter(scan::Column::Id.eq(scan_row.id))
        .filter(scan::Column::Status.eq(ScanStatus::Running.as_str()))
        // Only the instance holding the lease completes it (not one whose lease was lost).
        .filter(scan::Column::LeaseOwner.eq(scan_row.lease_owner.clone()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    insert_findings(&txn, scan_row, findings).await?;
    super::drift::store_drift(&txn, scan_row, finished_at, findings, &results.card).await?;
    // The alerts of this change, written once: by the instance whose completion committed.
    let alerts =
        crate::alerts::enqueue_for_scan(&txn, scan_row.id, crate::alerts::ScanOutcome::Completed)
            .await?;
    txn.commit().await?;
    if alerts > 0 {
        crate::alerts::wake();
    }
    Ok(Some(results.score))
}

/// The scan columns derived from its findings.
struct Results {
    total: i32,
    score: Option<f64>,
    summary: serde_json::Value,
    card: aether365_engine::ScoreCard,
    by_status: [i32; 5],
    failed_by_severity: [i32; 5],
}

impl Results {
    fn of(findings: &[Finding]) -> Result<Results, ScanError> {
        let card = score(findings);
        let summary = serde_json::to_value(&card)
            .map_err(|e| ScanError::Failed(format!("cannot serialise the score card: {e}")))?;
        let mut by_status = [0; 5];
        let mut failed_by_severity = [0; 5];
        for f in findings {
            by_status[status_index(f.status)] += 1;
            if f.status == Status::Fail {
                failed_by_severity[severity_index(f.severity)] += 1;
            }
        }
        Ok(Results {
            total: i32::try_from(findings.len()).unwrap_or(i32::MAX),
            score: card.overall,
            summary,
            card,
            by_status,
            failed_by_severity,
        })
    }

    fn apply(&self, row: &mut scan::ActiveModel) {
        let [pass, fail, manual, error, not_applicable] = self.by_status;
        let [critical, high, medium, low, info] = self.failed_by_severity;
        row.score = Set(self.score);
        row.summary = Set(Some(self.summary.clone()));
        row.pass_count = Set(pass);
        row.fail_count = Set(fail);
        row.manual_count = Set(manual);
        row.error_count = Set(error);
        row.not_applicable_count = Set(not_applicable);
        row.critical_count = Set(critical);
        row.high_count = Set(high);
        row.medium_count = Set(medium);
        row.low_count = Set(low);
        row.info_count = Set(info);
    }
}

fn status_index(status: Status) -> usize {
    match status {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::Manual => 2,
        Status::Error => 3,
        Status::NotApplicable => 4,
    }
}

fn severity_index(severity: Severity) -> usize {
    usize::try_from(severity.rank()).unwrap_or(4).min(4)
}

async fn insert_findings<C: ConnectionTrait>(
    db: &C,
    scan_row: &scan::Model,
    findings: &[Finding],
) -> Result<(), ScanError> {
    for chunk in findings.chunks(FINDINGS_PER_INSERT) {
        let rows: Vec<finding::ActiveModel> = chunk
            .iter()
            .map(|f| finding_row(scan_row.organisation_id, scan_row.tenant_id, scan_row.id, f))
            .collect();
        finding::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// One finding as a row: framework ids flattened into their columns, the full list kept as JSON.
fn finding_row(
    organisation_id: i64,
    tenant_id: i64,
    scan_id: i64,
    f: &Finding,
) -> finding::ActiveModel {
    let ids = |framework: Framework| -> Option<String> {
        let ids: Vec<&str> = f
            .frameworks
            .iter()
            .filter(|r| r.framework == framework)
            .map(|r| r.id.as_str())
            .collect();
        (!ids.is_empty()).then(|| ids.join(","))
    };
    let cis = f.frameworks.iter().find(|r| r.framework == Framework::Cis);
    finding::ActiveModel {
        organisation_id: Set(organisation_id),
        tenant_id: Set(tenant_id),
        scan_id: Set(scan_id),
        check_id: Set(f.check_id.clone()),
        title: Set(f.title.clone()),
        service: Set(f.service.as_str().to_string()),
        severity: Set(f.severity.as_str().to_string()),
        severity_rank: Set(f.severity.rank()),
        status: Set(f.status.as_str().to_string()),
        cis_section: Set(cis.map(|r| r.id.clone())),
        cis_version: Set(cis.map(|r| r.version.clone())),
        scuba_ids: Set(ids(Framework::Scuba)),
        nist_controls: Set(ids(Framework::Nist80053)),
        iso_controls: Set(ids(Framework::Iso27001)),
        frameworks: Set(
            serde_json::to_value(&f.frameworks).unwrap_or(serde_json::Value::Array(vec![]))
        ),
        message: Set(f.message.clone()),
        evidence: Set(f.evidence.clone()),
        subjects: Set(Some(serde_json::Value::from(f.subjects.clone()))),
        rationale: Set(f.rationale.clone()),
        remediation: Set(f.remediation.steps.clone()),
        remediation_url: Set(f.remediation.url.clone()),
        ..Default::default()
    }
}
