//! `list_scans`: scans of every tenant in scope, newest first.

use std::fmt::Write;

use aether365_actors::query::{ListScans, ScanListQuery, ScanPage};
use aether365_actors::scans::{ScanKind, ScanStatus};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Id, Limit, TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "list_scans",
    title: "List scans",
    description: "Scans, newest first, per tenant: kind, origin, status, progress, times, score, counts. Next page: before=next_before_id.",
    hints: super::READS,
    cacheable: false,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<ScanPage>,
    view: None,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default: all in scope.
    tenant: Option<TenantRef>,
    status: Option<ScanStatus>,
    kind: Option<ScanKind>,
    /// Page size (default 10).
    limit: Option<Limit<100>>,
    /// Only scans older than this id.
    before: Option<Id>,
}

/// Scans per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 10;

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let page = ctx
        .ask(ListScans {
            principal: ctx.principal.clone(),
            query: ScanListQuery {
                tenant: TenantRef::name(args.tenant),
                status: args.status,
                kind: args.kind,
                before_id: Id::of(args.before),
                limit: Limit::or(args.limit, DEFAULT_LIMIT),
            },
        })
        .await?;
    let mut text = format!("# Scans\n\n{}\n\n", untrusted::LEGEND);
    if page.scans.is_empty() {
        text.push_str("No scan found.\n");
    }
    for s in &page.scans {
        let _ = writeln!(text, "- {}", render::scan_line(s));
    }
    for next in &page.next_scheduled_scans {
        let _ = writeln!(
            text,
            "\nTenant {}: {}",
            next.tenant_id,
            super::get_posture::next_scheduled_text(next)
        );
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
