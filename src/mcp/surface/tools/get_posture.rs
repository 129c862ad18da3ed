//! `get_posture`: how secure is each tenant, from its latest completed scans.

use std::fmt::Write;

use aether365_actors::query::{GetPosture, Posture};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::apps;
use crate::mcp::surface::args::{Detail, TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "get_posture",
    title: "Security posture",
    description: "Start here ('how secure are we?'): per tenant and scan kind, latest score (0-100) and change, counts by status and severity, weakest services, framework pass rates, worst failures.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<Posture>,
    view: Some(apps::POSTURE),
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default: all in scope.
    tenant: Option<TenantRef>,
    /// summary (default): key figures, 3 worst failing checks per scan; full: service and framework tables.
    detail: Option<Detail>,
}

/// Failing checks listed per scan unless `detail` is `full`.
const SUMMARY_FAILING: usize = 3;

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let full = Detail::full(args.detail);
    let mut posture = ctx
        .ask(GetPosture {
            principal: ctx.principal.clone(),
            tenant: TenantRef::name(args.tenant),
        })
        .await?;
    // Context is the assistant's scarcest resource: a summary by default.
    let mut more_failing = 0;
    if !full {
        for d in posture.tenants.iter_mut().flat_map(|t| t.latest.iter_mut()) {
            more_failing += d.top_failing.len().saturating_sub(SUMMARY_FAILING);
            d.top_failing.truncate(SUMMARY_FAILING);
            // "Since the last scan" in counts; get_scan lists the checks.
            d.drift = d.drift.take().map(|drift| drift.shortened(0));
        }
    }
    let mut text = format!("# Security posture\n\n{}\n\n", untrusted::LEGEND);
    let mut targets = Vec::new();
    if posture.tenants.is_empty() {
        text.push_str("No tenant is connected, or none is in this token's scope.\n");
    }
    for t in &posture.tenants {
        targets.push(format!("tenant:{}", t.tenant.id));
        let _ = writeln!(
            text,
            "## {}\n",
            render::tenant_heading(&t.tenant.display_name, &t.tenant.primary_domain)
        );
        if t.latest.is_empty() {
            text.push_str("No completed scan yet: start one with start_scan.\n\n");
        }
        for d in &t.latest {
            targets.push(format!("scan:{}", d.scan.id));
            text.push_str(&render::scan_detail(d, full));
            if let Some(drift) = &d.drift {
                text.push_str(&super::get_scan::drift_text(drift));
            }
            text.push('\n');
        }
        if let Some(next) = &t.next_scheduled_scan {
            let _ = writeln!(text, "{}\n", next_scheduled_text(next));
        }
    }
    if more_failing > 0 {
        let _ = writeln!(
            text,
            "{more_failing} more failing checks: list_findings lists them all; detail=full shows tables and up to 10 per scan."
        );
    }
    outcome(&posture, text, targets)
}

/// When a tenant's next scheduled scan runs, in a sentence (read-only: schedules are set in
/// the dashboard).
pub(super) fn next_scheduled_text(next: &aether365_actors::schedule::NextScheduledScan) -> String {
    let kinds: Vec<&str> = next.kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "Next scheduled scan: {} ({}); schedules are set in the dashboard.",
        render::time(Some(next.at)),
        kinds.join(" and ")
    )
}
