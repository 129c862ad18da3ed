//! `compare_scans`: what changed between two completed scans of a tenant; with nothing named,
//! for every tenant in scope.

use std::fmt::Write;

use aether365_actors::query::{
    CompareLatestScans, CompareQuery, CompareScans, ScanComparison, ScanComparisons,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Detail, Id, TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "compare_scans",
    title: "Compare scans",
    description: "What changed between two completed scans of a tenant (default: latest vs the one before; with no arguments, for every tenant in scope): score change; newly failing, resolved and still failing checks by severity.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<Output>,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default (no scan given): every tenant in scope.
    tenant: Option<TenantRef>,
    /// The older completed scan; default: the one before head_scan.
    base_scan: Option<Id>,
    /// The newer completed scan; default: the latest.
    head_scan: Option<Id>,
    /// summary (default): still failing checks counted only; full: listed too.
    detail: Option<Detail>,
}

/// One comparison (its fields at the top level, as when a tenant or scan is named), or, with
/// nothing named and several tenants in scope, one per tenant.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    one: Option<ScanComparison>,
    #[serde(flatten)]
    several: Option<ScanComparisons>,
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let full = Detail::full(args.detail);
    if args.tenant.is_none() && args.base_scan.is_none() && args.head_scan.is_none() {
        let all = ctx
            .ask(CompareLatestScans {
                principal: ctx.principal.clone(),
            })
            .await?;
        // One tenant in scope answers as before; none falls through to the named path's error.
        match (all.comparisons.len(), all.not_compared.len()) {
            (0, 0) | (1, 0) | (0, 1) => {}
            _ => return several(all, full),
        }
    }
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
    let text = render_one(&cmp, full);
    let targets = vec![
        format!("tenant:{}", cmp.tenant.id),
        format!("scan:{}", cmp.base.id),
        format!("scan:{}", cmp.head.id),
    ];
    let output = Output {
        one: Some(cmp),
        several: None,
    };
    outcome(&output, text, targets)
}

/// Every tenant in scope: one section per comparison, then the tenants not compared.
fn several(all: ScanComparisons, full: bool) -> Result<ToolOutcome, SurfaceError> {
    let mut text = String::new();
    let mut targets = Vec::new();
    for cmp in &all.comparisons {
        text.push_str(&render_one(cmp, full));
        targets.push(format!("tenant:{}", cmp.tenant.id));
        targets.push(format!("scan:{}", cmp.base.id));
        targets.push(format!("scan:{}", cmp.head.id));
    }
    if !all.not_compared.is_empty() {
        text.push_str("# Not compared\n\n");
        for n in &all.not_compared {
            let _ = writeln!(
                text,
                "- {}: {}",
                untrusted::quoted(&n.tenant.display_name),
                untrusted::quoted(&n.reason)
            );
            targets.push(format!("tenant:{}", n.tenant.id));
        }
    }
    let output = Output {
        one: None,
        several: Some(all),
    };
    outcome(&output, text, targets)
}

/// One comparison in Markdown.
fn render_one(cmp: &ScanComparison, full: bool) -> String {
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
    if let Some(drift) = &cmp.drift {
        text.push_str(&super::get_scan::drift_text(drift));
    }
    text
}
