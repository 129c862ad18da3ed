//! `scan start|list|cancel` and `findings`.

use std::time::Duration;

use actix::Actor;
use aether365_actors::TenantScope;
use aether365_actors::directory;
use aether365_actors::scans::{
    ScanConfig, ScanKind, ScanManager, ScanOrigin, ScanQuota, ScanRequest, ScanStatus, StartScan,
};
use aether365_engine::Status;
use aether365_entities::scan;
use clap::{Args, Subcommand};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::check::{Format, write_export};
use super::microsoft::{DnsArgs, MicrosoftArgs};
use super::{CliError, print_json};
use crate::dashboard::exports::{ExportLoadError, scan_context, scan_findings};

/// `aether365 scan …`
#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Run a scan of a tenant in this process and print its result.
    Start(Box<StartArgs>),
    /// List a tenant's scans, newest first.
    List {
        /// Tenant id, name or primary domain.
        #[arg(long)]
        tenant: String,
        /// Organisation name or id, when the tenant name is ambiguous.
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `scan start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Tenant id, name or primary domain.
    #[arg(long)]
    tenant: String,
    /// Organisation name or id, when the tenant name is ambiguous.
    #[arg(long)]
    org: Option<String>,
    /// compliance (configuration checks) or exposure (public DNS checks).
    #[arg(long, default_value = "compliance")]
    kind: ScanKind,
    /// Wait for the scan to finish and print its summary (the CLI always runs the scan itself,
    /// so it waits in any case; the flag is kept for scripts that spell it out).
    #[arg(long)]
    wait: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    dns: DnsArgs,
    #[command(flatten)]
    microsoft: MicrosoftArgs,
}

/// `aether365 findings …`
#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// The scan id.
    #[arg(long)]
    scan: i64,
    /// Only findings with this status (pass, fail, manual, error, not_applicable).
    #[arg(long)]
    status: Option<String>,
    /// table, json, or an export: ocsf (OCSF 1.8.0 Compliance Finding), sarif (SARIF 2.1.0), csv.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

/// A scan row as JSON.
pub fn scan_json(s: &scan::Model) -> serde_json::Value {
    serde_json::json!({
        "id": s.id, "tenant_id": s.tenant_id, "kind": s.kind, "origin": s.origin, "status": s.status,
        "progress": {"done": s.progress_done, "total": s.progress_total},
        "created_at": s.created_at, "started_at": s.started_at, "finished_at": s.finished_at,
        "score": s.score,
        "counts": {"pass": s.pass_count, "fail": s.fail_count, "manual": s.manual_count,
                   "error": s.error_count, "not_applicable": s.not_applicable_count},
        "failed_by_severity": {"critical": s.critical_count, "high": s.high_count,
                   "medium": s.medium_count, "low": s.low_count, "info": s.info_count},
        "error": s.error,
    })
}

async fn org_id(db: &DatabaseConnection, org: Option<String>) -> Result<Option<i64>, CliError> {
    Ok(match org {
        Some(org) => Some(directory::find_organisation(db, &org).await?.id),
        None => None,
    })
}

pub async fn run(db: &DatabaseConnection, cmd: ScanCommand) -> Result<(), CliError> {
    match cmd {
        ScanCommand::Start(args) => start(db, *args).await,
        ScanCommand::List {
            tenant,
            org,
            limit,
            json,
        } => {
            let tenant = directory::find_tenant(db, org_id(db, org).await?, &tenant).await?;
            let scans = scan::Entity::find()
                .filter(scan::Column::TenantId.eq(tenant.id))
                .order_by_desc(scan::Column::CreatedAt)
                .order_by_desc(scan::Column::Id)
                .all(db)
                .await?;
            let scans: Vec<_> = scans.into_iter().take(limit as usize).collect();
            if json {
                return print_json(&scans.iter().map(scan_json).collect::<Vec<_>>());
            }
            println!(
                "{:>6}  {:<10} {:<10} {:<9} {:<17} {:>6}  FAILED (C/H/M/L)",
                "ID", "KIND", "ORIGIN", "STATUS", "CREATED", "SCORE"
            );
            for s in scans {
                println!(
                    "{:>6}  {:<10} {:<10} {:<9} {:<17} {:>6}  {}/{}/{}/{}",
                    s.id,
                    s.kind,
                    s.origin,
                    s.status,
                    s.created_at.format("%Y-%m-%d %H:%M"),
                    s.score
                        .map(|v| format!("{v:.1}"))
                        .unwrap_or_else(|| "-".into()),
                    s.critical_count,
                    s.high_count,
                    s.medium_count,
                    s.low_count,
                );
            }
            Ok(())
        }
    }
}

async fn start(db: &DatabaseConnection, args: StartArgs) -> Result<(), CliError> {
    let tenant = directory::find_tenant(db, org_id(db, args.org).await?, &args.tenant).await?;
    // A server may be running scans on this database: this process must not "recover" them.
    let config = ScanConfig {
        recover_on_start: false,
        collector: args.microsoft.collector()?,
        dns: args.dns.config(),
        // The operator's own command: the concurrent-scan quotas are for clients.
        quota: ScanQuota::UNLIMITED,
        ..ScanConfig::default()
    };
    let bus = aether365_actors::cluster::Bus::start(
        db,
        format!("cli-{}", aether365_actors::cluster::default_instance_id()),
    );
    let manager = ScanManager::new(db.clone(), config, bus).start();
    let ticket = manager
        .send(StartScan(ScanRequest {
            organisation_id: tenant.organisation_id,
            tenant_id: tenant.id,
            tenant_scope: TenantScope::All,
            kind: args.kind,
            origin: ScanOrigin::Cli,
            requested_by_user_id: None,
            requested_by_token_id: None,
            ai_pilot: false,
        }))
        .await
        .map_err(|e| CliError::Server(e.to_string()))??;
    if !args.json {
        eprintln!(
            "scan {} of {} {}",
            ticket.scan_id,
            tenant.display_name,
            if ticket.existing {
                "already in progress: waiting for it"
            } else {
                "queued"
            }
        );
    }
    let row = loop {
        let row = scan::Entity::find_by_id(ticket.scan_id)
            .one(db)
            .await?
            .ok_or_else(|| CliError::Invalid(format!("scan {} vanished", ticket.scan_id)))?;
        let status: ScanStatus = row.status.parse().map_err(|_| {
            CliError::Invalid(format!(
                "scan {} has an unknown status {:?}",
                row.id, row.status
            ))
        })?;
        if matches!(
            status,
            ScanStatus::Completed | ScanStatus::Failed | ScanStatus::Cancelled
        ) {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if args.json {
        print_json(&scan_json(&row))?;
    } else {
        println!(
            "scan {} {}: score {}, {} passed, {} failed ({} critical, {} high), {} manual, {} errors{}",
            row.id,
            row.status,
            row.score
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "-".into()),
            row.pass_count,
            row.fail_count,
            row.critical_count,
            row.high_count,
            row.manual_count,
            row.error_count,
            row.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default(),
        );
    }
    if row.status == ScanStatus::Completed.as_str() {
        Ok(())
    } else {
        Err(CliError::Invalid(format!(
            "scan {} {}: {}",
            row.id,
            row.status,
            row.error.unwrap_or_default()
        )))
    }
}

pub async fn findings(db: &DatabaseConnection, args: FindingsArgs) -> Result<(), CliError> {
    let scan_row = scan::Entity::find_by_id(args.scan)
        .one(db)
        .await?
        .ok_or_else(|| CliError::Invalid(format!("no scan {}", args.scan)))?;
    let status = match &args.status {
        Some(s) => Some(
            s.parse::<Status>()
                .map_err(|e| CliError::Invalid(e.to_string()))?,
        ),
        None => None,
    };
    let found = scan_findings(db, &scan_row, status.map(Status::as_str))
        .await
        .map_err(load_error)?;
    let format = if args.json { Format::Json } else { args.format };
    if let Some(export) = format.export() {
        let context = scan_context(db, &scan_row).await.map_err(load_error)?;
        return write_export(export, &context, &found);
    }
    if format == Format::Json {
        let out: Vec<_> = found
            .iter()
            .map(|f| {
                serde_json::json!({
                    "check_id": f.check_id, "title": f.title, "service": f.service,
                    "severity": f.severity, "status": f.status, "message": f.message,
                    "frameworks": f.frameworks, "evidence": f.evidence,
                    "remediation": f.remediation.steps, "remediation_url": f.remediation.url,
                })
            })
            .collect();
        return print_json(&out);
    }
    for f in found {
        println!(
            "{:<14} {:<8} {:<14} {:<16} {}",
            f.check_id,
            f.severity.as_str(),
            f.status.as_str(),
            f.service.as_str(),
            f.title
        );
    }
    Ok(())
}

fn load_error(e: ExportLoadError) -> CliError {
    match e {
        ExportLoadError::Db(e) => CliError::Query(e),
        other => CliError::Invalid(other.to_string()),
    }
}
