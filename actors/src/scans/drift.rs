//! Drift: what changed between a completed scan and the tenant's previous completed scan of
//! the same kind. Computed when the scan is stored, in its transaction, and kept on the scan
//! row (`scans.drift`).
//!
//! A finding is keyed by its check and, for a DNS finding, its domain (as in
//! `compare_scans`). Newly failing: failing now, not failing (or absent) before. Fixed:
//! failing before, passing now. Evidence changed: the same verdict, other evidence.

use std::collections::{BTreeMap, HashMap};

use aether365_engine::{Finding, ScoreCard, Status};
use aether365_entities::{finding, scan};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::types::{ScanError, ScanStatus};

/// Checks listed per category, at most (the counts stay exact).
pub const DRIFT_LIST_MAX: usize = 50;

/// What changed since the previous comparable scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Drift {
    /// The previous completed scan of the same tenant and kind.
    pub previous_scan_id: i64,
    pub previous_finished_at: Option<DateTime<Utc>>,
    /// Overall score change, in points (one decimal).
    pub score_change: Option<f64>,
    /// Score change per service scored in both scans, in points.
    pub score_change_by_service: BTreeMap<String, f64>,
    pub newly_failing_count: usize,
    pub fixed_count: usize,
    pub evidence_changed_count: usize,
    /// Failing now, not failing (or absent) before; most severe first.
    pub newly_failing: Vec<DriftCheck>,
    /// Failing before, passing now.
    pub fixed: Vec<DriftCheck>,
    /// Same verdict, different evidence.
    pub evidence_changed: Vec<DriftCheck>,
}

impl Drift {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.newly_failing_count == 0
            && self.fixed_count == 0
            && self.evidence_changed_count == 0
            && self.score_change.is_none_or(|c| c == 0.0)
    }

    /// The same drift listing at most `max` checks per category (counts unchanged).
    pub fn shortened(mut self, max: usize) -> Drift {
        self.newly_failing.truncate(max);
        self.fixed.truncate(max);
        self.evidence_changed.truncate(max);
        self
    }

    /// Without the lists of newly failing and fixed checks (where an answer lists them
    /// already, or must stay short); counts unchanged.
    pub fn without_verdict_lists(mut self) -> Drift {
        self.newly_failing.clear();
        self.fixed.clear();
        self
    }

    /// The stored drift of a scan row, if any (an unreadable one counts as none).
    pub fn of_row(row: &scan::Model) -> Option<Drift> {
        serde_json::from_value(row.drift.clone()?).ok()
    }
}

/// One check in a drift list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DriftCheck {
    pub check_id: String,
    /// The domain of a DNS finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub service: String,
    pub severity: String,
    /// Its status now.
    pub status: String,
    #[serde(skip)]
    rank: i32,
}

/// A finding of the previous scan, as much as drift needs.
struct Before {
    status: String,
    evidence: serde_json::Value,
}

type Key = (String, Option<String>);

fn resource_of(evidence: &serde_json::Value) -> Option<String> {
    evidence.get("domain")?.as_str().map(str::to_string)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Computes and stores the drift of `current` (just written, in `db`'s transaction) against
/// the tenant's previous completed scan of its kind, if there is one.
pub(crate) async fn store_drift<C: ConnectionTrait>(
    db: &C,
    current: &scan::Model,
    finished_at: DateTime<Utc>,
    findings: &[Finding],
    card: &ScoreCard,
) -> Result<(), ScanError> {
    let Some(previous) = scan::Entity::find()
        .filter(scan::Column::TenantId.eq(current.tenant_id))
        .filter(scan::Column::Kind.eq(current.kind.as_str()))
        .filter(scan::Column::Status.eq(ScanStatus::Completed.as_str()))
        .filter(scan::Column::Id.ne(current.id))
        .filter(scan::Column::FinishedAt.lte(finished_at))
        .order_by_desc(scan::Column::FinishedAt)
        .order_by_desc(scan::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let rows: Vec<(String, String, serde_json::Value)> = finding::Entity::find()
        .select_only()
        .columns([
            finding::Column::CheckId,
            finding::Column::Status,
            finding::Column::Evidence,
        ])
        .filter(finding::Column::ScanId.eq(previous.id))
        .filter(finding::Column::TenantId.eq(current.tenant_id))
        .into_tuple()
        .all(db)
        .await?;
    let before: HashMap<Key, Before> = rows
        .into_iter()
        .map(|(check_id, status, evidence)| {
            (
                (check_id, resource_of(&evidence)),
                Before { status, evidence },
            )
        })
        .collect();
    let previous_card: Option<ScoreCard> = previous
        .summary
        .clone()
        .and_then(|s| serde_json::from_value(s).ok());
    let drift = compute(&previous, previous_card.as_ref(), &before, findings, card);
    let json = serde_json::to_value(&drift)
        .map_err(|e| ScanError::Failed(format!("cannot serialise the drift: {e}")))?;
    scan::Entity::update_many()
        .col_expr(scan::Column::Drift, Expr::value(Some(json)))
        .filter(scan::Column::Id.eq(current.id))
        .exec(db)
        .await?;
    Ok(())
}

fn compute(
    previous: &scan::Model,
    previous_card: Option<&ScoreCard>,
    before: &HashMap<Key, Before>,
    findings: &[Finding],
    card: &ScoreCard,
) -> Drift {
    let fail = Status::Fail.as_str();
    let mut drift = Drift {
        previous_scan_id: previous.id,
        previous_finished_at: previous.finished_at,
        score_change: match (card.overall, previous.score) {
            (Some(now), Some(then)) => Some(round1(now - then)),
            _ => None,
        },
        ..Drift::default()
    };
    if let Some(then) = previous_card {
        for (service, now) in &card.by_service {
            if let Some(old) = then.by_service.get(service) {
                drift
                    .score_change_by_service
                    .insert(service.clone(), round1(now - old));
            }
        }
    }
    for f in findings {
        let key = (f.check_id.clone(), resource_of(&f.evidence));
        let entry = || DriftCheck {
            check_id: f.check_id.clone(),
            resource: key.1.clone(),
            service: f.service.as_str().to_string(),
            severity: f.severity.as_str().to_string(),
            status: f.status.as_str().to_string(),
            rank: f.severity.rank(),
        };
        let was = before.get(&key);
        let now = f.status.as_str();
        match was {
            _ if now == fail && was.is_none_or(|b| b.status != fail) => {
                drift.newly_failing.push(entry())
            }
            Some(b) if b.status == fail && f.status == Status::Pass => drift.fixed.push(entry()),
            Some(b) if b.status == now && b.evidence != f.evidence => {
                drift.evidence_changed.push(entry())
            }
            _ => {}
        }
    }
    for list in [
        &mut drift.newly_failing,
        &mut drift.fixed,
        &mut drift.evidence_changed,
    ] {
        list.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.check_id.cmp(&b.check_id)));
    }
    drift.newly_failing_count = drift.newly_failing.len();
    drift.fixed_count = drift.fixed.len();
    drift.evidence_changed_count = drift.evidence_changed.len();
    drift.newly_failing.truncate(DRIFT_LIST_MAX);
    drift.fixed.truncate(DRIFT_LIST_MAX);
    drift.evidence_changed.truncate(DRIFT_LIST_MAX);
    drift
}
