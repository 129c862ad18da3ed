//! Running one scan: prepare its input, mark it running, evaluate in groups with progress,
//! store the results. Never blocks the caller's thread: engine work runs on blocking threads.

use std::sync::Arc;

use aether365_collector::Collector;
use aether365_engine::{
    Check, Finding, Service, Snapshot, compliance_checks, evaluate_domain, exposure_checks,
};
use aether365_entities::{scan, tenant};
use chrono::Utc;
use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::domains::{exposure_domains, skipped_text};
use super::env::{Progress, RunEnv, Stop, count};
use super::evaluator::Evaluator;
use super::input::{ScanInput, snapshot_note};
use super::live;
use super::persist::complete_running_scan;
use super::snapshots::latest_head;
use super::store;
use super::types::{ScanError, ScanKind, ScanStatus};
use crate::exposure::DnsProbe;

/// Domains observed at once by an exposure scan.
const DOMAINS_AT_ONCE: usize = 4;

/// The work of a scan, prepared before it is marked running.
enum Work {
    /// Evaluate a stored snapshot (imported, or collected earlier).
    Compliance {
        snapshot: Arc<Snapshot>,
        input: ScanInput,
    },
    /// Collect the tenant live, then evaluate what was collected.
    Collect {
        collector: Arc<Collector>,
        tenant: Box<tenant::Model>,
    },
    Exposure {
        domains: Vec<String>,
        skipped: Vec<String>,
    },
}

/// Runs the queued scan `row` to its end. Every outcome is stored and published here.
pub(crate) async fn run(env: RunEnv, row: scan::Model) {
    let scan_id = row.id;
    match run_inner(&env, &row).await {
        Ok(()) | Err(Stop::Cancelled) => {}
        Err(Stop::Failed(error)) => {
            tracing::warn!(scan = scan_id, %error, "scan failed");
            let now = Utc::now();
            match store::finish_unsuccessfully(
                &env.db,
                Some(env.bus.instance_id()),
                scan_id,
                ScanStatus::Failed,
                Some(&error),
                now,
            )
            .await
            {
                Ok(true) => {
                    let mut event = store::event_of(&row);
                    event.status = ScanStatus::Failed;
                    event.error = Some(error);
                    event.at = Utc::now();
                    env.publish(event);
                }
                Ok(false) => {}
                Err(e) => tracing::error!(scan = scan_id, "cannot mark the scan failed: {e}"),
            }
        }
    }
}

async fn run_inner(env: &RunEnv, queued: &scan::Model) -> Result<(), Stop> {
    let kind: ScanKind = queued.kind.parse()?;
    let (work, total) = prepare(env, queued, kind).await?;
    let Some(row) = store::mark_running(&env.db, &env.lease(), queued.id, total, None).await?
    else {
        return Err(Stop::Cancelled);
    };
    tracing::info!(scan = row.id, tenant = row.tenant_id, kind = %kind, total, "scan running");
    let mut progress = Progress::new(env, &row, total);
    env.publish(progress.event(ScanStatus::Running));
    let findings = match work {
        Work::Compliance { snapshot, input } => {
            if !store::set_input(&env.db, env.bus.instance_id(), row.id, &input).await? {
                return Err(Stop::Cancelled);
            }
            evaluate_compliance(&env.evaluator, snapshot, &mut progress).await?
        }
        Work::Collect { collector, tenant } => {
            let (_, snapshot, input) =
                live::collect(env, collector, &tenant, &mut progress).await?;
            if !store::set_input(&env.db, env.bus.instance_id(), row.id, &input).await? {
                return Err(Stop::Cancelled);
            }
            evaluate_compliance(&env.evaluator, snapshot, &mut progress).await?
        }
        Work::Exposure { domains, skipped } => {
            let input = ScanInput::of_dns(Utc::now(), &skipped);
            if !store::set_input(&env.db, env.bus.instance_id(), row.id, &input).await? {
                return Err(Stop::Cancelled);
            }
            observe_domains(env, domains, &mut progress).await?
        }
    };
    let finished_at = Utc::now();
    let Some(score) = complete_running_scan(&env.db, &row, &findings, finished_at).await? else {
        return Err(Stop::Cancelled);
    };
    let mut event = progress.event(ScanStatus::Completed);
    event.progress_done = i32::try_from(findings.len()).unwrap_or(i32::MAX);
    event.progress_total = event.progress_done;
    event.score = score;
    // The status changed when the transaction committed, just now.
    event.at = Utc::now();
    env.publish(event);
    tracing::info!(
        scan = row.id,
        ?score,
        findings = findings.len(),
        "scan completed"
    );
    Ok(())
}

/// Decides what the scan does: collect a connected tenant live, evaluate its newest stored
/// snapshot (saying why it is not live), or observe its domains. Returns the work and the
/// number of progress steps.
async fn prepare(env: &RunEnv, row: &scan::Model, kind: ScanKind) -> Result<(Work, i32), Stop> {
    let db = &env.db;
    let tenant = tenant::Entity::find_by_id(row.tenant_id)
        .one(db)
        .await
        .map_err(ScanError::from)?
        .ok_or(ScanError::TenantNotFound)?;
    match kind {
        ScanKind::Compliance => {
            let checks = compliance_checks().len();
            let why_not_live = match (&env.config.collector, why_not_live(env, &tenant)) {
                (Some(collector), None) => {
                    let work = Work::Collect {
                        collector: Arc::clone(collector),
                        tenant: Box::new(tenant),
                    };
                    return Ok((work, count(live::STEPS + checks)));
                }
                (_, Some(why)) => why,
                (None, None) => NO_COLLECTOR,
            };
            let latest = latest_head(db, &tenant).await?.ok_or_else(|| {
                Stop::Failed(format!(
                    "{why_not_live}, and the tenant has no imported configuration: connect it (admin consent) or import a ScubaGear export, then scan again"
                ))
            })?;
            let input = ScanInput::of_snapshot(
                latest.id,
                latest.source,
                latest.collected_at,
                Some(why_not_live),
            );
            let snapshot = env.snapshots.get(db, &env.evaluator, latest.id).await?;
            Ok((Work::Compliance { snapshot, input }, count(checks)))
        }
        ScanKind::Exposure => {
            let (domains, skipped) = exposure_domains(&tenant);
            if domains.is_empty() {
                return Err(Stop::Failed(format!(
                    "the tenant has no domains of its own to observe{}",
                    skipped_text(&skipped)
                )));
            }
            if !skipped.is_empty() {
                tracing::info!(
                    scan = row.id,
                    ?skipped,
                    "Microsoft-owned domains not observed"
                );
            }
            let total = count(domains.len() * exposure_checks().len());
            Ok((Work::Exposure { domains, skipped }, total))
        }
    }
}

const NO_COLLECTOR: &str =
    "live collection is not configured on this server (no Entra application)";

/// Why a compliance scan of `tenant` cannot collect live; `None` when it collects.
fn why_not_live(env: &RunEnv, tenant: &tenant::Model) -> Option<&'static str> {
    why_not_live_with(env.config.collector.is_some(), tenant)
}

fn why_not_live_with(collector: bool, tenant: &tenant::Model) -> Option<&'static str> {
    match (collector, tenant.consented_at.is_some()) {
        (true, true) => None,
        (_, false) => Some("not connected"),
        (false, true) => Some(NO_COLLECTOR),
    }
}

/// What a scan of `kind` of `tenant` will evaluate, in one sentence, for the one who starts it.
pub async fn plan(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    kind: ScanKind,
    collector: bool,
) -> Result<String, ScanError> {
    if kind == ScanKind::Exposure {
        let (domains, skipped) = exposure_domains(tenant);
        return Ok(format!(
            "observes the public DNS of {}{}",
            domains.join(", "),
            skipped_text(&skipped)
        ));
    }
    let Some(why) = why_not_live_with(collector, tenant) else {
        return Ok(
            "collects the tenant's configuration live, read-only (Microsoft Graph, Exchange \
                   Online, SharePoint, Power Platform, Power BI; Teams from the newest Tenant \
                   Configuration Management snapshot, else the newest import), then \
                   evaluates it"
                .to_string(),
        );
    };
    Ok(match latest_head(db, tenant).await? {
        Some(s) => {
            snapshot_note(s.source, s.collected_at, Some(why), "will evaluate").unwrap_or_default()
        }
        None => format!(
            "{why}, and no configuration was imported: the scan will fail; connect the tenant (admin consent) or import a ScubaGear export"
        ),
    })
}

fn group_by_service(checks: &'static [Check]) -> Vec<(Service, Vec<&'static Check>)> {
    let mut groups: Vec<(Service, Vec<&'static Check>)> = Vec::new();
    for check in checks {
        match groups
            .iter_mut()
            .find(|(service, _)| *service == check.service)
        {
            Some((_, group)) => group.push(check),
            None => groups.push((check.service, vec![check])),
        }
    }
    groups
}

/// Evaluates the checks service by service on the evaluator's threads, with progress in between.
async fn evaluate_compliance(
    evaluator: &Evaluator,
    snapshot: Arc<Snapshot>,
    progress: &mut Progress<'_>,
) -> Result<Vec<Finding>, Stop> {
    let mut findings = Vec::new();
    for (service, checks) in group_by_service(compliance_checks()) {
        progress.set_stage(format!("evaluating the {} checks", service.as_str()));
        let snapshot = Arc::clone(&snapshot);
        let group: Vec<Finding> = evaluator
            .run(move || {
                checks
                    .iter()
                    .map(|check| check.evaluate(&snapshot))
                    .collect()
            })
            .await
            .map_err(|e| {
                Stop::Failed(format!(
                    "evaluating the {} checks failed: {e}",
                    service.as_str()
                ))
            })?;
        progress.advance(group.len()).await?;
        findings.extend(group);
    }
    Ok(findings)
}

/// Observes the domains over DNS, a few at once, and evaluates the exposure checks.
async fn observe_domains(
    env: &RunEnv,
    domains: Vec<String>,
    progress: &mut Progress<'_>,
) -> Result<Vec<Finding>, Stop> {
    let probe = DnsProbe::new(&env.config.dns).map_err(|e| Stop::Failed(e.to_string()))?;
    let probe = &probe;
    let mut observations = futures_util::stream::iter(domains)
        .map(|domain| async move { probe.observe(&domain).await })
        .buffered(DOMAINS_AT_ONCE);
    let mut findings = Vec::new();
    while let Some(observation) = observations.next().await {
        let found = evaluate_domain(&observation);
        progress.advance(found.len()).await?;
        findings.extend(found);
    }
    Ok(findings)
}
