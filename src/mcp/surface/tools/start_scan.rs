//! `start_scan`: the one tool that starts something, a read-only scan.

use aether365_actors::query::{ResolveTenant, TenantView};
use aether365_actors::scans::{
    AI_PILOT_REFUSAL, DescribePlan, ScanError, ScanKind, ScanOrigin, ScanRequest, ScanStatus,
    StartScan,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Hints, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::apps;
use crate::mcp::surface::args::{TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "start_scan",
    title: "Start a scan",
    description: "Starts a read-only scan of a tenant; answers at once with its id (or of a same-kind one under way). compliance: live Microsoft 365 if connected, else the latest ScubaGear import; exposure: public DNS. Then get_scan. Never changes the tenant.",
    // It reads Microsoft 365 and public DNS, and records a scan in aether365.
    hints: Hints {
        read_only: false,
        idempotent: false,
        open_world: true,
    },
    cacheable: false,
    task_support: true,
    input: input_schema::<Args>,
    output: output_schema::<Started>,
    // The comparison view follows the scan and, once it completed, compares it (read-only).
    view: Some(apps::COMPARISON),
    call: |ctx, arguments| Box::pin(start(ctx, arguments)),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Default compliance.
    kind: Option<ScanKind>,
    /// Tenant name, domain or id; needed if several are in scope.
    tenant: Option<TenantRef>,
}

/// What `start_scan` answers.
#[derive(Serialize, JsonSchema)]
struct Started {
    scan_id: i64,
    status: ScanStatus,
    /// True when a queued or running scan was returned instead of a new one.
    existing: bool,
    kind: ScanKind,
    tenant: TenantView,
    /// What the scan will evaluate.
    plan: String,
}

async fn start(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    if arguments.get("ai_pilot").is_some() {
        return Err(SurfaceError::InvalidArguments(AI_PILOT_REFUSAL.to_string()));
    }
    let args: Args = parse(arguments)?;
    let kind = args.kind.unwrap_or(ScanKind::Compliance);
    let tenant = ctx
        .ask(ResolveTenant {
            principal: ctx.principal.clone(),
            tenant: TenantRef::name(args.tenant),
        })
        .await?;
    let request = ScanRequest {
        organisation_id: ctx.principal.organisation_id,
        tenant_id: tenant.id,
        tenant_scope: ctx.principal.tenant_scope.clone(),
        kind,
        origin: ScanOrigin::Mcp,
        requested_by_user_id: None,
        requested_by_token_id: Some(ctx.principal.token_id),
        ai_pilot: false,
    };
    let ticket = ctx
        .backend
        .scans
        .send(StartScan(request))
        .await
        .map_err(|e| SurfaceError::failed("scan manager unavailable", e))?
        .map_err(|e| match e {
            ScanError::TenantNotFound => SurfaceError::NotFound("tenant".into()),
            ScanError::ScanNotFound => SurfaceError::NotFound("scan".into()),
            ScanError::Unknown { .. } | ScanError::AiPilotRefused => {
                SurfaceError::InvalidArguments(e.to_string())
            }
            ScanError::Failed(msg) => {
                SurfaceError::InvalidArguments(format!("the scan cannot start: {msg}"))
            }
            ScanError::TooManyScans { .. } => SurfaceError::OverQuota(e.to_string()),
            other => SurfaceError::failed("starting a scan", other),
        })?;
    let plan = ctx
        .backend
        .scans
        .send(DescribePlan {
            organisation_id: ctx.principal.organisation_id,
            tenant_id: tenant.id,
            kind,
        })
        .await
        .map_err(|e| SurfaceError::failed("scan manager unavailable", e))?
        .map_err(|e| SurfaceError::failed("describing the scan plan", e))?;
    let text = format!(
        "{} {} scan {} of {}: {}. Follow it with get_scan {{\"scan\": {}}}; once completed, compare_scans shows what newly fails. This scan {plan}.",
        if ticket.existing {
            "Already under way:"
        } else {
            "Started"
        },
        kind,
        ticket.scan_id,
        crate::mcp::surface::render::tenant_heading(&tenant.display_name, &tenant.primary_domain),
        ticket.status,
        ticket.scan_id
    );
    let targets = vec![
        format!("tenant:{}", tenant.id),
        format!("scan:{}", ticket.scan_id),
    ];
    let started = Started {
        scan_id: ticket.scan_id,
        status: ticket.status,
        existing: ticket.existing,
        kind,
        tenant,
        plan,
    };
    let mut out = outcome(
        &started,
        format!("{}\n\n{text}", untrusted::LEGEND),
        targets,
    )?;
    out.started_scan = Some(ticket.scan_id);
    Ok(out)
}
