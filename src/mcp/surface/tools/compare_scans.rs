//! `compare_scans`: what changed between two completed scans of a tenant.

use std::fmt::Write;

use aether365_actors::query::{CompareQuery, CompareScans, ScanComparison};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Detail, Id, TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "compare_scans",
    title: "Compare scans",
    description: "What changed between two completed scans of a tenant (default: latest vs the one before): score change; newly failing, resolved and still failing checks by severity.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<ScanComparison>,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; needed if several are in scope and no scan is given.
    tenant: Option<TenantRef>,
    /// The older completed scan; default: the one before head_scan.
    base_scan: Option<Id>,
    /// The newer completed scan; default: the latest.
    head_scan: Option<Id>,
    /// summary (default): still failing checks counted only; full: listed too.
    detail: Option<Detail>,
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let full = Detail::full(args.detail);
    let cmp = ctx
        .ask(CompareScans {
            principal: ctx.principal.clone(),
            query: CompareQuery {
                tenant: TenantRef::name(args.tenant),
                base_scan_id: Id::of(args.base_scan),
                head_scan_id: Id::of(args.head_scan),
            },
        })
        .await?;
    let mut text = format!(
        "# Changes in {} between scan {} ({}) and scan {} ({})\n\n{}\n\nScore {} → {} ({}).\n\n",
        untrusted::quoted(&cmp.tenant.display_name),
        cmp.base.id,
        render::time(cmp.base.finished_at),
        cmp.head.id,
        render::time(cmp.head.finished_at),
        untrusted::LEGEND,
        render::score(cmp.base.score),
        render::score(cmp.head.score),
        render::change(cmp.score_change)
    );
    for (label, list, counts, listed) in [
        (
            "Newly failing",
            &cmp.newly_failing,
            &cmp.newly_failing_by_severity,
            true,
        ),
        ("Resolved", &cmp.resolved, &cmp.resolved_by_severity, true),
        (
            "Still failing",
            &cmp.still_failing,
            &cmp.still_failing_by_severity,
            full,
        ),
    ] {
        let _ = writeln!(
            text,
            "## {label}: {} ({})\n",
            list.len(),
            render::severities(counts)
        );
        if listed {
            text.push_str(&render::findings_table(list, false));
        } else if !list.is_empty() {
            text.push_str("Listed with detail=full (or list_findings).\n");
        }
        text.push('\n');
    }
    let targets = vec![
        format!("tenant:{}", cmp.tenant.id),
        format!("scan:{}", cmp.base.id),
        format!("scan:{}", cmp.head.id),
    ];
    outcome(&cmp, text, targets)
}
