//! The collection step of a compliance scan of a connected tenant: read the tenant with the
//! collector, add what DNS says of its mail domains, fill services that cannot be read live from
//! the newest import (saying so), store the snapshot, and describe it as the scan's input.

use std::sync::Arc;

use aether365_collector::{
    CollectEvent, CollectedService, Collection, Collector, ObjectsRead, ServiceOutcome,
    ServiceStatus, TenantTarget,
};
use aether365_engine::{Lookup, Snapshot};
use aether365_entities::{config_snapshot, tenant};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};

use super::env::{Progress, RunEnv, Stop};
use super::input::{ScanInput, ServiceInput, ServiceState, SnapshotSource};
use super::types::ScanError;
use crate::directory;
use crate::exposure::DnsProbe;

/// Progress steps of a collection: one per service, one for DNS.
pub(super) const STEPS: usize = CollectedService::ALL.len() + 1;

/// The export keys that Teams' commands produce (ScubaGear's Teams provider). When no Tenant
/// Configuration Management snapshot job could be read, a collection takes them from the newest
/// import when there is one.
const TEAMS_SECTIONS: &[&str] = &[
    "teams_tenant_info",
    "meeting_policies",
    "federation_configuration",
    "client_configuration",
    "app_policies",
    "broadcast_policies",
    "tenant_app_settings",
];

/// The DNS commands of ScubaGear's Exchange provider that this step replaces.
const DNS_COMMANDS: [&str; 3] = [
    "Get-ScubaSpfRecord",
    "Get-ScubaDkimRecord",
    "Get-ScubaDmarcRecord",
];

/// What the collection task reports to the scan.
enum Reported {
    /// A service finished.
    Service(ServiceOutcome),
    /// A per-object read advanced by a page.
    Objects(ObjectsRead),
}

/// Aborts the collection task when the scan stops early (cancelled, failed).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a tenant is read from: its Entra id and initial domain.
pub fn target_of(tenant: &tenant::Model) -> TenantTarget {
    let initial = tenant.initial_domain.clone().unwrap_or_else(|| {
        super::domains::tenant_domains(tenant)
            .into_iter()
            .find(|d| d.ends_with(".onmicrosoft.com") && !d.ends_with(".mail.onmicrosoft.com"))
            .unwrap_or_else(|| tenant.primary_domain.clone())
    });
    TenantTarget {
        microsoft_tenant_id: tenant.microsoft_tenant_id.clone(),
        initial_domain: initial,
    }
}

/// Collects `tenant`, stores the snapshot and returns it with its id and the scan's input.
pub(super) async fn collect(
    env: &RunEnv,
    collector: Arc<Collector>,
    tenant: &tenant::Model,
    progress: &mut Progress<'_>,
) -> Result<(i64, Arc<Snapshot>, ScanInput), Stop> {
    let target = target_of(tenant);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Reported>();
    let task = AbortOnDrop(tokio::spawn(async move {
        collector
            .collect_with_progress(&target, move |event| {
                // The receiver lives until the task ends; a send fails only after a cancel.
                let _ = tx.send(match event {
                    CollectEvent::Service(outcome) => Reported::Service(outcome.clone()),
                    CollectEvent::Objects(read) => Reported::Objects(read),
                });
            })
            .await
    }));
    while let Some(reported) = rx.recv().await {
        match reported {
            Reported::Service(outcome) => {
                progress.set_stage(format!(
                    "{}: {}",
                    outcome.service.label(),
                    state_text(&outcome)
                ));
                progress.advance(1).await?;
            }
            Reported::Objects(read) => {
                // A page of a per-object read: the scan's events say how far it is.
                progress.set_stage(format!(
                    "{}: {} {} read",
                    read.service.label(),
                    read.read,
                    read.what
                ));
                progress.report();
            }
        }
    }
    let mut task = task;
    let collection: Collection = (&mut task.0)
        .await
        .map_err(|e| Stop::Failed(format!("the collection stopped unexpectedly: {e}")))?;
    let mut data = collection.snapshot;
    progress.set_stage("DNS: SPF, DKIM and DMARC records of the mail domains".to_string());
    add_dns_records(env, &mut data).await;
    progress.advance(1).await?;

    let mut services: Vec<ServiceInput> = collection
        .services
        .iter()
        .map(|o| ServiceInput {
            service: service_name(o.service).to_string(),
            state: match o.status {
                ServiceStatus::Collected => ServiceState::Collected,
                ServiceStatus::Partial => ServiceState::Partial,
                ServiceStatus::Failed => ServiceState::Failed,
                ServiceStatus::NotCollected => ServiceState::NotCollected,
            },
            detail: o.reason.clone(),
            as_of: Some(collection.collected_at),
        })
        .collect();
    let teams_not_collected = collection
        .services
        .iter()
        .any(|o| o.service == CollectedService::Teams && o.status == ServiceStatus::NotCollected);
    if teams_not_collected
        && let Some((imported_at, import_id)) = fill_from_import(&env.db, tenant, &mut data).await?
        && let Some(teams) = services
            .iter_mut()
            .find(|s| s.service == service_name(CollectedService::Teams))
    {
        teams.state = ServiceState::Imported;
        teams.as_of = Some(imported_at);
        teams.detail = Some(format!(
            "{}; taken from the ScubaGear export imported as snapshot {import_id}, collected {}",
            teams.detail.as_deref().unwrap_or("not read live"),
            imported_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }

    // Teams read from a Tenant Configuration Management snapshot: its data is as old as the
    // snapshot job an administrator ran, not this collection.
    if let Some((job, completed)) = tcm_snapshot(&data)
        && let Some(teams) = services
            .iter_mut()
            .find(|s| s.service == service_name(CollectedService::Teams))
    {
        teams.as_of = Some(completed);
        let read = format!(
            "read from the Tenant Configuration Management snapshot job {job}, completed {}",
            completed.format("%Y-%m-%d %H:%M UTC")
        );
        teams.detail = Some(match teams.detail.take() {
            Some(why) => format!("{read}; {why}"),
            None => read,
        });
    }

    let outcomes = serde_json::to_value(&collection.services).unwrap_or(Value::Null);
    let stored = directory::store_snapshot(
        &env.db,
        tenant,
        data,
        SnapshotSource::Collector,
        Some(collection.collected_at),
        Some(outcomes),
    )
    .await
    .map_err(|e| Stop::Failed(format!("storing the collected configuration failed: {e}")))?;
    let snapshot_id = stored.id;
    let snapshot = env
        .evaluator
        .run(move || Snapshot::from_value(stored.data))
        .await
        .map_err(|e| Stop::Failed(format!("reading the collected snapshot failed: {e}")))?
        .map_err(|e| Stop::Failed(format!("the collected snapshot is unusable: {e}")))?;
    let note = note_of(&services);
    Ok((
        snapshot_id,
        Arc::new(snapshot),
        ScanInput {
            snapshot_id: Some(snapshot_id),
            source: SnapshotSource::Collector,
            collected_at: collection.collected_at,
            services,
            note,
        },
    ))
}

/// The name a service has in a scan's input.
pub fn service_name(service: CollectedService) -> &'static str {
    match service {
        CollectedService::Entra => "entra_id",
        CollectedService::Exchange => "exchange_online",
        CollectedService::Defender => "defender_and_purview",
        CollectedService::SharePoint => "sharepoint",
        CollectedService::PowerPlatform => "power_platform",
        CollectedService::Teams => "teams",
        CollectedService::PowerBi => "power_bi",
    }
}

fn state_text(outcome: &ServiceOutcome) -> String {
    match (&outcome.status, &outcome.reason) {
        (ServiceStatus::Collected, _) => "collected".to_string(),
        (ServiceStatus::Partial, Some(r)) => format!("partly collected ({r})"),
        (ServiceStatus::Failed, Some(r)) => format!("failed ({r})"),
        (ServiceStatus::NotCollected, Some(r)) => format!("not collected ({r})"),
        (status, None) => format!("{status:?}").to_lowercase(),
    }
}

/// A sentence when some services are not fresh and complete.
fn note_of(services: &[ServiceInput]) -> Option<String> {
    let mut parts = Vec::new();
    for s in services {
        let what = match s.state {
            ServiceState::Collected => continue,
            ServiceState::Partial => "partly collected",
            ServiceState::Failed => "failed",
            ServiceState::Imported => "from an earlier import",
            ServiceState::NotCollected => "not collected",
        };
        parts.push(format!("{} {what}", s.service));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "collected live, except: {}; their checks say why",
            parts.join(", ")
        )
    })
}

/// The Tenant Configuration Management snapshot job the collection read Teams from, and when
/// it completed (`aether365.teams_tcm_snapshot`).
fn tcm_snapshot(data: &Value) -> Option<(String, DateTime<Utc>)> {
    let src = data
        .get("aether365")?
        .get(aether365_collector::TCM_SNAPSHOT_KEY)?;
    let job = src.get("job_id")?.as_str()?.to_string();
    let completed = DateTime::parse_from_rfc3339(src.get("completed_date_time")?.as_str()?)
        .ok()?
        .with_timezone(&Utc);
    Some((job, completed))
}

/// Copies the Teams sections and command lists of the tenant's newest import into `data`.
/// Returns the import's collection time and id, or `None` when the tenant has no import.
async fn fill_from_import(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    data: &mut Value,
) -> Result<Option<(DateTime<Utc>, i64)>, Stop> {
    let import = config_snapshot::Entity::find()
        .filter(config_snapshot::Column::TenantId.eq(tenant.id))
        .filter(config_snapshot::Column::OrganisationId.eq(tenant.organisation_id))
        .filter(config_snapshot::Column::Source.eq(SnapshotSource::Import.as_str()))
        .order_by_desc(config_snapshot::Column::CollectedAt)
        .order_by_desc(config_snapshot::Column::Id)
        .one(db)
        .await
        .map_err(ScanError::from)?;
    let Some(import) = import else {
        return Ok(None);
    };
    let (Some(from), Some(into)) = (import.data.as_object(), data.as_object_mut()) else {
        return Ok(None);
    };
    let keys = TEAMS_SECTIONS
        .iter()
        .copied()
        .chain(["teams_successful_commands", "teams_unsuccessful_commands"]);
    for key in keys {
        match from.get(key) {
            Some(v) => into.insert(key.to_string(), v.clone()),
            None => into.remove(key),
        };
    }
    // The collector's reasons for the Teams commands no longer apply.
    if let Some(errors) = into
        .get_mut("aether365_collection")
        .and_then(|c| c.get_mut("command_errors"))
        .and_then(Value::as_object_mut)
    {
        errors.retain(|command, _| !command.starts_with("Get-Cs"));
    }
    Ok(Some((import.collected_at, import.id)))
}

/// Looks up the mail records of every accepted domain as ScubaGear's Exchange provider does:
/// every TXT record at each domain (SPF); TXT at `selector1`, `selector2`,
/// `selector1-<domain-with-dashes>` and `selector2-…` under `_domainkey` (DKIM); TXT at
/// `_dmarc.<domain>`, else at `_dmarc.` of its organisational domain (DMARC). Coexistence
/// domains (`*.mail.onmicrosoft.com`) are skipped for DKIM and DMARC. A failed lookup marks the
/// DNS commands failed with its reason.
async fn add_dns_records(env: &RunEnv, data: &mut Value) {
    let domains: Vec<(String, bool)> = data
        .get("accepted_domains")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|d| {
                    let name = d.get("DomainName").and_then(Value::as_str)?;
                    let coexistence =
                        d.get("IsCoexistenceDomain").and_then(Value::as_bool) == Some(true);
                    Some((
                        name.trim().trim_end_matches('.').to_ascii_lowercase(),
                        coexistence,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let probe = match DnsProbe::new(&env.config.dns) {
        Ok(probe) => probe,
        Err(e) => {
            record_dns_failure(data, &e.to_string());
            return;
        }
    };
    let mut failures: Vec<String> = Vec::new();
    let mut found = |lookup: Lookup<Vec<String>>, what: &str| -> Vec<String> {
        match lookup {
            Lookup::Found(records) => records,
            Lookup::NotFound => Vec::new(),
            Lookup::Failed(reason) => {
                failures.push(format!("{what}: {reason}"));
                Vec::new()
            }
        }
    };
    let (mut spf, mut dkim, mut dmarc) = (Vec::new(), Vec::new(), Vec::new());
    for (domain, coexistence) in &domains {
        let apex = found(probe.txt_at(domain).await, &format!("SPF of {domain}"));
        spf.push(json!({ "domain": domain, "rdata": apex }));
        if *coexistence {
            continue;
        }
        let dashed = domain.replace('.', "-");
        let mut keys = Vec::new();
        for selector in [
            "selector1".to_string(),
            "selector2".to_string(),
            format!("selector1-{dashed}"),
            format!("selector2-{dashed}"),
        ] {
            let name = format!("{selector}._domainkey.{domain}");
            let records = found(probe.txt_at(&name).await, &format!("DKIM {name}"));
            if !records.is_empty() {
                keys = records;
                break;
            }
        }
        dkim.push(json!({ "domain": domain, "rdata": keys }));
        let mut policy = found(
            probe.txt_at(&format!("_dmarc.{domain}")).await,
            &format!("DMARC of {domain}"),
        );
        let labels: Vec<&str> = domain.split('.').collect();
        if policy.is_empty() && labels.len() > 2 {
            let organisational = labels[labels.len() - 2..].join(".");
            policy = found(
                probe.txt_at(&format!("_dmarc.{organisational}")).await,
                &format!("DMARC of {organisational}"),
            );
        }
        dmarc.push(json!({ "domain": domain, "rdata": policy }));
    }
    if let Some(obj) = data.as_object_mut() {
        obj.insert("spf_records".into(), Value::Array(spf));
        obj.insert("dkim_records".into(), Value::Array(dkim));
        obj.insert("dmarc_records".into(), Value::Array(dmarc));
    }
    if failures.is_empty() {
        push_commands(data, "exo_successful_commands", &DNS_COMMANDS);
    } else {
        record_dns_failure(data, &failures.join("; "));
    }
}

/// Marks the DNS commands unsuccessful with `reason`.
fn record_dns_failure(data: &mut Value, reason: &str) {
    push_commands(data, "exo_unsuccessful_commands", &DNS_COMMANDS);
    let Some(obj) = data.as_object_mut() else {
        return;
    };
    let collection = obj
        .entry("aether365_collection")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(c) = collection.as_object_mut() {
        let errors = c
            .entry("command_errors")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(errors) = errors.as_object_mut() {
            for command in DNS_COMMANDS {
                errors.insert(
                    command.to_string(),
                    Value::String(format!("DNS lookup failed: {reason}")),
                );
            }
        }
    }
}

fn push_commands(data: &mut Value, key: &str, commands: &[&str]) {
    let Some(obj) = data.as_object_mut() else {
        return;
    };
    let list = obj
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = list.as_array_mut() {
        for c in commands {
            if !list.iter().any(|v| v.as_str() == Some(c)) {
                list.push(Value::String((*c).to_string()));
            }
        }
    }
}
