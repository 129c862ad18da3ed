//! Writing the outbox rows of a finished scan: one per matching rule and destination, keyed
//! by rule, destination and scan so a second write of the same change adds nothing.

use std::collections::HashSet;

use aether365_engine::Severity;
use aether365_entities::{alert_delivery, alert_destination, alert_rule, finding, scan, tenant};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{AlertCheck, AlertError, AlertEvent, Trigger, status};
use crate::scans::{Drift, ScanInput, ServiceState, SnapshotSource};

/// Checks listed in one alert, at most.
const CHECKS_PER_ALERT: usize = 20;

/// How a scan ended, for the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Completed: its drift (stored on the row) and input decide.
    Completed,
    /// Failed, with the error stored on the row.
    Failed,
}

/// A token refusal as the collector words it ("no token for {resource}: …").
fn is_token_refusal(text: &str) -> bool {
    text.contains("no token for") || text.contains("AADSTS")
}

/// Whether a live collection got no token for any service: consent is gone.
fn consent_withdrawn(input: &ScanInput) -> bool {
    input.source == SnapshotSource::Collector
        && !input.services.is_empty()
        && !input
            .services
            .iter()
            .any(|s| matches!(s.state, ServiceState::Collected | ServiceState::Partial))
        && input
            .services
            .iter()
            .any(|s| s.detail.as_deref().is_some_and(is_token_refusal))
}

/// Writes the alerts of scan `scan_id`, just finished with `outcome`, for every enabled rule
/// of its organisation that matches, to each of the rule's destinations. Call it where the
/// scan's final state is written (in that transaction when there is one): only the instance
/// that finished the scan gets there, and the unique key makes a repeat write a no-op.
pub async fn enqueue_for_scan<C: ConnectionTrait>(
    db: &C,
    scan_id: i64,
    outcome: ScanOutcome,
) -> Result<usize, AlertError> {
    let Some(row) = scan::Entity::find_by_id(scan_id).one(db).await? else {
        return Ok(0);
    };
    let rules = alert_rule::Entity::find()
        .filter(alert_rule::Column::OrganisationId.eq(row.organisation_id))
        .filter(alert_rule::Column::Enabled.eq(true))
        .all(db)
        .await?;
    if rules.is_empty() {
        return Ok(0);
    }
    let destinations: HashSet<i64> = alert_destination::Entity::find()
        .filter(alert_destination::Column::OrganisationId.eq(row.organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let tenant_name = tenant::Entity::find_by_id(row.tenant_id)
        .one(db)
        .await?
        .filter(|t| t.organisation_id == row.organisation_id)
        .map(|t| t.display_name);
    let drift = Drift::of_row(&row);
    let input = ScanInput::from_json(row.input.as_ref());
    let mut written = 0;
    for rule in rules {
        let Some(trigger) = Trigger::parse(&rule.trigger) else {
            continue;
        };
        let Some(event) = event_for(
            db,
            &row,
            tenant_name.as_deref(),
            &rule,
            trigger,
            outcome,
            drift.as_ref(),
            input.as_ref(),
        )
        .await?
        else {
            continue;
        };
        let json = serde_json::to_value(&event)?;
        let ids: Vec<i64> =
            serde_json::from_value(rule.destination_ids.clone()).unwrap_or_default();
        for destination_id in ids.into_iter().filter(|d| destinations.contains(d)) {
            let now = Utc::now();
            let delivery = alert_delivery::ActiveModel {
                organisation_id: Set(row.organisation_id),
                rule_id: Set(Some(rule.id)),
                destination_id: Set(destination_id),
                scan_id: Set(Some(row.id)),
                tenant_id: Set(Some(row.tenant_id)),
                dedupe_key: Set(format!("r{}:d{destination_id}:s{}", rule.id, row.id)),
                event: Set(json.clone()),
                status: Set(status::PENDING.to_string()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                lease_owner: Set(None),
                lease_expires_at: Set(None),
                last_error: Set(None),
                created_at: Set(now),
                delivered_at: Set(None),
                ..Default::default()
            };
            let inserted = alert_delivery::Entity::insert(delivery)
                .on_conflict(
                    OnConflict::column(alert_delivery::Column::DedupeKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
            written += usize::try_from(inserted).unwrap_or(0);
        }
    }
    if written > 0 {
        tracing::info!(scan = row.id, alerts = written, "alerts queued");
    }
    Ok(written)
}

/// The event `rule` raises for the scan, if it matches.
#[allow(clippy::too_many_arguments)]
async fn event_for<C: ConnectionTrait>(
    db: &C,
    row: &scan::Model,
    tenant_name: Option<&str>,
    rule: &alert_rule::Model,
    trigger: Trigger,
    outcome: ScanOutcome,
    drift: Option<&Drift>,
    input: Option<&ScanInput>,
) -> Result<Option<AlertEvent>, AlertError> {
    let who = tenant_name.unwrap_or("A tenant");
    let mut event = AlertEvent {
        trigger,
        title: String::new(),
        organisation_id: row.organisation_id,
        tenant_id: Some(row.tenant_id),
        tenant_name: tenant_name.map(str::to_string),
        scan_id: Some(row.id),
        scan_kind: Some(row.kind.clone()),
        score: row.score,
        score_change: drift.and_then(|d| d.score_change),
        checks: Vec::new(),
        error: row.error.clone(),
        at: row.finished_at.unwrap_or_else(Utc::now),
    };
    match (trigger, outcome) {
        (Trigger::NewlyFailing, ScanOutcome::Completed) => {
            let Some(drift) = drift else { return Ok(None) };
            let floor = rule
                .min_severity
                .as_deref()
                .and_then(|s| s.parse::<Severity>().ok())
                .unwrap_or(Severity::High)
                .rank();
            let matching: Vec<_> = drift
                .newly_failing
                .iter()
                .filter(|c| {
                    c.severity
                        .parse::<Severity>()
                        .is_ok_and(|s| s.rank() <= floor)
                })
                .collect();
            if matching.is_empty() {
                return Ok(None);
            }
            let ids: Vec<String> = matching.iter().map(|c| c.check_id.clone()).collect();
            let found = finding::Entity::find()
                .filter(finding::Column::ScanId.eq(row.id))
                .filter(finding::Column::TenantId.eq(row.tenant_id))
                .filter(finding::Column::CheckId.is_in(ids))
                .all(db)
                .await?;
            for c in matching.iter().take(CHECKS_PER_ALERT) {
                let f = found.iter().find(|f| {
                    f.check_id == c.check_id
                        && (c.resource.is_none()
                            || f.evidence.get("domain").and_then(|d| d.as_str())
                                == c.resource.as_deref())
                });
                event.checks.push(AlertCheck {
                    check_id: c.check_id.clone(),
                    title: f
                        .map(|f| f.title.clone())
                        .unwrap_or_else(|| c.check_id.clone()),
                    severity: c.severity.clone(),
                    service: c.service.clone(),
                    resource: c.resource.clone(),
                    finding_id: f.map(|f| f.id),
                });
            }
            event.title = format!(
                "{who}: {} check{} newly failing",
                matching.len(),
                if matching.len() == 1 { "" } else { "s" }
            );
        }
        (Trigger::ScoreDrop, ScanOutcome::Completed) => {
            let threshold = rule.score_drop.unwrap_or(5.0);
            let Some(change) = drift.and_then(|d| d.score_change) else {
                return Ok(None);
            };
            if change > -threshold {
                return Ok(None);
            }
            event.title = format!("{who}: score dropped by {:.1} points", -change);
        }
        (Trigger::ScanFailed, ScanOutcome::Failed) => {
            event.title = format!("{who}: {} scan {} failed", row.kind, row.id);
        }
        (Trigger::ConsentWithdrawn, ScanOutcome::Failed)
            if row.error.as_deref().is_some_and(is_token_refusal) =>
        {
            event.title = format!("{who}: consent withdrawn (no token)");
        }
        (Trigger::ConsentWithdrawn, ScanOutcome::Completed)
            if input.is_some_and(consent_withdrawn) =>
        {
            event.error = input.and_then(|i| {
                i.services
                    .iter()
                    .find_map(|s| s.detail.clone().filter(|d| is_token_refusal(d)))
            });
            event.title = format!("{who}: consent withdrawn (no token for any service)");
        }
        _ => return Ok(None),
    }
    Ok(Some(event))
}
