//! `compare_scans`: what changed between two completed scans of a tenant; with nothing named,
//! for every tenant in scope.

use std::fmt::Write;

use aether365_actors::query::{
    CompareLatestScans, CompareQuery, CompareScans, FindingSummary, NotCompared, ScanComparison,
    ScanComparisons,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::apps;
use crate::mcp::surface::args::{Detail, Id, TenantRef, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "compare_scans",
    title: "Compare scans",
    description: "Changes between two completed scans (default: per tenant in scope, latest vs previous): score, newly failing, resolved, still failing checks.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<Output>,
    view: Some(apps::COMPARISON),
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default (no scan given): all in scope.
    tenant: Option<TenantRef>,
    /// Older completed scan; default: the one before head_scan.
    base_scan: Option<Id>,
    /// Newer completed scan; default: the latest.
    head_scan: Option<Id>,
    /// summary (default): most severe changes, still failing counted; full: every row.
    detail: Option<Detail>,
}

/// Rows of each changed list a summary shows for one comparison.
const LIST_MAX: usize = 10;
/// Rows of each changed list a summary shows per comparison when several tenants are compared.
const LIST_MAX_SEVERAL: usize = 4;

/// One comparison as the answer gives it: in a summary each list keeps its most severe rows and
/// `omitted` counts the rows left out (the `*_by_severity` counts are always whole).
#[derive(Serialize, JsonSchema)]
struct Shown {
    #[serde(flatten)]
    comparison: ScanComparison,
    omitted: Omitted,
}

/// Rows left out of each list of a summary; `detail: full` lists them all.
#[derive(Default, Serialize, JsonSchema)]
struct Omitted {
    newly_failing: usize,
    resolved: usize,
    still_failing: usize,
}

impl Shown {
    /// The comparison whole (`full`), or cut to `max` rows per changed list and no still-failing row.
    fn new(mut comparison: ScanComparison, full: bool, max: usize) -> Self {
        let mut omitted = Omitted::default();
        if !full {
            omitted.newly_failing = cut(&mut comparison.newly_failing, max);
            omitted.resolved = cut(&mut comparison.resolved, max);
            omitted.still_failing = cut(&mut comparison.still_failing, 0);
        }
        Shown {
            comparison,
            omitted,
        }
    }
}

/// Keeps the first `max` rows (lists come most severe first); returns how many were dropped.
fn cut(rows: &mut Vec<FindingSummary>, max: usize) -> usize {
    let dropped = rows.len().saturating_sub(max);
    rows.truncate(max);
    dropped
}

/// Every tenant's comparison, shown as [`Shown`].
#[derive(Serialize, JsonSchema)]
struct Several {
    comparisons: Vec<Shown>,
    /// Tenants with fewer than two completed scans of a kind, and why.
    not_compared: Vec<NotCompared>,
}

/// One comparison (its fields at the top level, as when a tenant or scan is named), or, with
/// nothing named and several tenants in scope, one per tenant.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    one: Option<Shown>,
    #[serde(flatten)]
    several: Option<Several>,
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
    let shown = Shown::new(cmp, full, LIST_MAX);
    let text = render_one(&shown);
    let cmp = &shown.comparison;
    let targets = vec![
        format!("tenant:{}", cmp.tenant.id),
        format!("scan:{}", cmp.base.id),
        format!("scan:{}", cmp.head.id),
    ];
    let output = Output {
        one: Some(shown),
        several: None,
    };
    outcome(&output, text, targets)
}

/// Every tenant in scope: one section per comparison, then the tenants not compared.
fn several(all: ScanComparisons, full: bool) -> Result<ToolOutcome, SurfaceError> {
    let all = Several {
        comparisons: all
            .comparisons
            .into_iter()
            .map(|c| Shown::new(c, full, LIST_MAX_SEVERAL))
            .collect(),
        not_compared: all.not_compared,
    };
    let mut text = String::new();
    let mut targets = Vec::new();
    for shown in &all.comparisons {
        text.push_str(&render_one(shown));
        let cmp = &shown.comparison;
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

/// One comparison in Markdown, with the rows the answer shows.
fn render_one(shown: &Shown) -> String {
    let cmp = &shown.comparison;
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
    for (label, list, counts, omitted) in [
        (
            "Newly failing",
            &cmp.newly_failing,
            &cmp.newly_failing_by_severity,
            shown.omitted.newly_failing,
        ),
        (
            "Resolved",
            &cmp.resolved,
            &cmp.resolved_by_severity,
            shown.omitted.resolved,
        ),
        (
            "Still failing",
            &cmp.still_failing,
            &cmp.still_failing_by_severity,
            shown.omitted.still_failing,
        ),
    ] {
        let _ = writeln!(
            text,
            "## {label}: {} ({})\n",
            list.len() + omitted,
            render::severities(counts)
        );
        if !list.is_empty() {
            text.push_str(&render::findings_table(list, false));
        }
        if omitted > 0 {
            let _ = writeln!(
                text,
                "{omitted} more listed with detail=full (or list_findings)."
            );
        }
        text.push('\n');
    }
    if let Some(drift) = &cmp.drift {
        text.push_str(&super::get_scan::drift_text(drift));
    }
    text
}
