//! `compare_scans`.

use std::fmt::Write;

use aether365_actors::query::{CompareQuery, CompareScans};
use serde_json::Value;

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, schema};

/// `compare_scans`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const TOOL: ToolDef = ToolDef {
    name: "compare_scans",
    title: "Compare scans",
    description: "What changed between two completed scans of a tenant (by default its latest completed scan and the one before): score change, newly failing checks, resolved checks and checks still failing, each counted by severity. Answers 'what changed since last week?'.",
    read_only: true,
    input,
    output,
    cacheable: true,
    task_support: false,
    call: |ctx, arguments| Box::pin(call(ctx, arguments)),
};

pub fn input() -> Value {
    schema::input(
        &[
            ("tenant", schema::tenant_input()),
            (
                "base_scan",
                schema::scan_input(
                    "The older completed scan; default: the completed scan before head_scan.",
                ),
            ),
            (
                "head_scan",
                schema::scan_input(
                    "The newer completed scan; default: the tenant's latest completed scan.",
                ),
            ),
        ],
        &[],
    )
}

pub fn output() -> Value {
    schema::output(&[
        ("tenant", schema::tenant()),
        ("base", schema::scan()),
        ("head", schema::scan()),
        ("score_change", schema::nullable("number")),
        ("newly_failing", schema::array(schema::finding())),
        ("resolved", schema::array(schema::finding())),
        ("still_failing", schema::array(schema::finding())),
        ("newly_failing_by_severity", schema::severity_counts()),
        ("resolved_by_severity", schema::severity_counts()),
        ("still_failing_by_severity", schema::severity_counts()),
    ])
}

pub async fn call(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["tenant", "base_scan", "head_scan"])?;
    let cmp = ctx
        .ask(CompareScans {
            principal: ctx.principal.clone(),
            query: CompareQuery {
                tenant: args.reference("tenant")?,
                base_scan_id: args.id("base_scan")?,
                head_scan_id: args.id("head_scan")?,
            },
        })
        .await?;
    let mut text = format!(
        "# Changes in {} between scan {} ({}) and scan {} ({})\n\nScore {} → {} ({}).\n\n",
        cmp.tenant.display_name,
        cmp.base.id,
        render::time(cmp.base.finished_at),
        cmp.head.id,
        render::time(cmp.head.finished_at),
        render::score(cmp.base.score),
        render::score(cmp.head.score),
        render::change(cmp.score_change)
    );
    for (label, list, counts) in [
        (
            "Newly failing",
            &cmp.newly_failing,
            &cmp.newly_failing_by_severity,
        ),
        ("Resolved", &cmp.resolved, &cmp.resolved_by_severity),
        (
            "Still failing",
            &cmp.still_failing,
            &cmp.still_failing_by_severity,
        ),
    ] {
        let _ = writeln!(
            text,
            "## {label}: {} ({})\n",
            list.len(),
            render::severities(counts)
        );
        text.push_str(&render::findings_table(list));
        text.push('\n');
    }
    let targets = vec![
        format!("tenant:{}", cmp.tenant.id),
        format!("scan:{}", cmp.base.id),
        format!("scan:{}", cmp.head.id),
    ];
    outcome(&cmp, text, targets)
}
