//! `list_scans`, `get_scan` and `start_scan`.

use std::fmt::Write;

use aether365_actors::query::{GetScan, ListScans, ResolveTenant, ScanListQuery};
use aether365_actors::scans::{
    DescribePlan, ScanError, ScanKind, ScanOrigin, ScanRequest, StartScan,
};
use serde_json::{Value, json};

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, schema};

/// `list_scans`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const LIST: ToolDef = ToolDef {
    name: "list_scans",
    title: "List scans",
    description: "Scans of the tenants this token can read (or of one tenant), newest first: kind, origin, status, progress, timings, score and counts. Filter by status and kind; page with before (the next_before value).",
    read_only: true,
    input: list_input,
    output: list_output,
    cacheable: false,
    task_support: false,
    call: |ctx, arguments| Box::pin(list(ctx, arguments)),
};

/// `get_scan`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const GET: ToolDef = ToolDef {
    name: "get_scan",
    title: "Scan details",
    description: "One scan: status, progress, timings and, once completed, its score, change since the previous scan, pass/fail per service and framework, and its most severe failing checks. Use it to follow a scan started with start_scan.",
    read_only: true,
    input: get_input,
    output: get_output,
    cacheable: false,
    task_support: false,
    call: |ctx, arguments| Box::pin(get(ctx, arguments)),
};

/// `start_scan`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const START: ToolDef = ToolDef {
    name: "start_scan",
    title: "Start a scan",
    description: "Starts a read-only scan of one tenant and answers at once with the scan id (an already queued or running scan of the same tenant and kind is returned instead). kind 'compliance' reads a connected tenant live (Microsoft Graph and the admin APIs, read-only) and evaluates what it read; a tenant that is not connected has its newest imported ScubaGear export evaluated instead, and the answer says which ('plan'). 'exposure' checks the public DNS of the tenant's own domains. Follow it with get_scan, then compare_scans to see what newly fails. Scans never change the tenant, and remediation or AI Pilot can only be applied by a person in the dashboard.",
    read_only: false,
    input: start_input,
    output: start_output,
    cacheable: false,
    task_support: true,
    call: |ctx, arguments| Box::pin(start(ctx, arguments)),
};

const STATUSES: [&str; 5] = ["queued", "running", "completed", "failed", "cancelled"];
const KINDS: [&str; 2] = ["compliance", "exposure"];

pub fn list_input() -> Value {
    schema::input(
        &[
            ("tenant", schema::tenant_input()),
            (
                "status",
                schema::enumeration(&STATUSES, "Only scans with this status."),
            ),
            (
                "kind",
                schema::enumeration(&KINDS, "Only scans of this kind."),
            ),
            (
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 20, "description": "Page size, 1 to 100 (default 20)." }),
            ),
            (
                "before",
                schema::scan_input(
                    "Only scans older than this scan id (the next_before_id of the previous page).",
                ),
            ),
        ],
        &[],
    )
}

pub fn list_output() -> Value {
    schema::output(&[
        ("scans", schema::array(schema::scan())),
        ("next_before_id", schema::nullable("integer")),
    ])
}

pub fn get_input() -> Value {
    schema::input(&[("scan", schema::scan_input("The scan id."))], &["scan"])
}

pub fn get_output() -> Value {
    schema::scan_detail()
}

pub fn start_input() -> Value {
    schema::input(
        &[
            (
                "kind",
                schema::enumeration(
                    &KINDS,
                    "compliance (configuration checks, default) or exposure (public DNS of the tenant's domains).",
                ),
            ),
            ("tenant", schema::tenant_input()),
        ],
        &[],
    )
}

pub fn start_output() -> Value {
    schema::output(&[
        ("scan_id", schema::integer()),
        ("status", schema::string()),
        ("existing", schema::boolean()),
        ("kind", schema::string()),
        ("tenant", schema::tenant()),
        ("plan", schema::string()),
    ])
}

pub async fn list(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["tenant", "status", "kind", "limit", "before"])?;
    let page = ctx
        .ask(ListScans {
            principal: ctx.principal.clone(),
            query: ScanListQuery {
                tenant: args.reference("tenant")?,
                status: args.choice("status", &STATUSES)?.map(str::to_string),
                kind: args.choice("kind", &KINDS)?.map(str::to_string),
                before_id: args.id("before")?,
                limit: args.integer("limit", 1, 100)?.unwrap_or(20),
            },
        })
        .await?;
    let mut text = String::from("# Scans\n\n");
    if page.scans.is_empty() {
        text.push_str("No scan found.\n");
    }
    for s in &page.scans {
        let _ = writeln!(text, "- {}", render::scan_line(s));
    }
    if let Some(before) = page.next_before_id {
        let _ = writeln!(text, "\nOlder scans: call again with before {before}.");
    }
    let targets = page
        .scans
        .iter()
        .map(|s| format!("scan:{}", s.id))
        .collect();
    outcome(&page, text, targets)
}

pub async fn get(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["scan"])?;
    let scan_id = args.id("scan")?.ok_or_else(|| {
        SurfaceError::InvalidArguments("scan is required: a scan id (see list_scans)".into())
    })?;
    let detail = ctx
        .ask(GetScan {
            principal: ctx.principal.clone(),
            scan_id,
        })
        .await?;
    let text = render::scan_detail(&detail);
    let targets = vec![
        format!("tenant:{}", detail.scan.tenant_id),
        format!("scan:{}", detail.scan.id),
    ];
    outcome(&detail, text, targets)
}

pub async fn start(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    if arguments.get("ai_pilot").is_some() {
        return Err(SurfaceError::InvalidArguments(
            aether365_actors::scans::AI_PILOT_REFUSAL.to_string(),
        ));
    }
    let args = Args::parse(arguments, &["kind", "tenant"])?;
    let kind = match args.choice("kind", &KINDS)?.unwrap_or("compliance") {
        "exposure" => ScanKind::Exposure,
        _ => ScanKind::Compliance,
    };
    let tenant = ctx
        .ask(ResolveTenant {
            principal: ctx.principal.clone(),
            tenant: args.reference("tenant")?,
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
        .map_err(|e| SurfaceError::Internal(format!("scan manager unavailable: {e}")))?
        .map_err(|e| match e {
            ScanError::TenantNotFound => SurfaceError::NotFound("tenant".into()),
            ScanError::ScanNotFound => SurfaceError::NotFound("scan".into()),
            ScanError::Unknown { .. } | ScanError::AiPilotRefused => {
                SurfaceError::InvalidArguments(e.to_string())
            }
            ScanError::Failed(msg) => {
                SurfaceError::InvalidArguments(format!("the scan cannot start: {msg}"))
            }
            other => SurfaceError::Internal(other.to_string()),
        })?;
    let text = format!(
        "{} {} scan {} of {} ({}): {}. Follow it with get_scan {{\"scan\": {}}}; once completed, compare_scans shows what newly fails.",
        if ticket.existing {
            "Already under way:"
        } else {
            "Started"
        },
        kind.as_str(),
        ticket.scan_id,
        tenant.display_name,
        tenant.primary_domain,
        ticket.status.as_str(),
        ticket.scan_id
    );
    let plan = ctx
        .backend
        .scans
        .send(DescribePlan {
            organisation_id: ctx.principal.organisation_id,
            tenant_id: tenant.id,
            kind,
        })
        .await
        .map_err(|e| SurfaceError::Internal(format!("scan manager unavailable: {e}")))?
        .map_err(|e| SurfaceError::Internal(e.to_string()))?;
    let text = format!("{text} This scan {plan}.");
    let structured = json!({
        "scan_id": ticket.scan_id,
        "status": ticket.status.as_str(),
        "existing": ticket.existing,
        "kind": kind.as_str(),
        "tenant": tenant,
        "plan": plan,
    });
    Ok(ToolOutcome {
        text,
        structured,
        targets: vec![
            format!("tenant:{}", tenant.id),
            format!("scan:{}", ticket.scan_id),
        ],
        started_scan: Some(ticket.scan_id),
    })
}
