//! `get_posture`.

use std::fmt::Write;

use aether365_actors::query::GetPosture;
use serde_json::Value;

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, schema};

/// `get_posture`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const TOOL: ToolDef = ToolDef {
    name: "get_posture",
    title: "Security posture",
    description: "Current Microsoft 365 security posture of each tenant this token can read (or of one tenant): the latest completed scan of each kind with its score (0-100) and the change since the previous scan, counts of checks by status, failing checks by severity, pass/fail per service and per framework (CIS, SCuBA, NIST-800-53, ISO-27001), the most severe failing checks and the scan time. Start here to answer 'how secure are we?'.",
    read_only: true,
    input,
    output,
    cacheable: true,
    task_support: false,
    call: |ctx, arguments| Box::pin(call(ctx, arguments)),
};

/// Failing checks listed per scan unless `detail` is `full`.
const SUMMARY_FAILING: usize = 3;

pub fn input() -> Value {
    schema::input(
        &[
            ("tenant", schema::tenant_input()),
            (
                "detail",
                schema::enumeration(
                    &["summary", "full"],
                    "summary (default): the 3 most severe failing checks per scan; full: up to 10.",
                ),
            ),
        ],
        &[],
    )
}

pub fn output() -> Value {
    schema::output(&[(
        "tenants",
        schema::array(schema::output(&[
            ("tenant", schema::tenant()),
            ("latest", schema::array(schema::scan_detail())),
        ])),
    )])
}

pub async fn call(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["tenant", "detail"])?;
    let tenant = args.reference("tenant")?;
    let full = args.choice("detail", &["summary", "full"])? == Some("full");
    let mut posture = ctx
        .ask(GetPosture {
            principal: ctx.principal.clone(),
            tenant,
        })
        .await?;
    // Context is the assistant's scarcest resource: a summary by default.
    let mut more_failing = 0;
    if !full {
        for d in posture.tenants.iter_mut().flat_map(|t| t.latest.iter_mut()) {
            more_failing += d.top_failing.len().saturating_sub(SUMMARY_FAILING);
            d.top_failing.truncate(SUMMARY_FAILING);
        }
    }
    let mut text = String::from("# Security posture\n\n");
    let mut targets = Vec::new();
    if posture.tenants.is_empty() {
        text.push_str("No tenant is connected, or none is in this token's scope.\n");
    }
    for t in &posture.tenants {
        targets.push(format!("tenant:{}", t.tenant.id));
        let _ = writeln!(
            text,
            "## {} ({})\n",
            t.tenant.display_name, t.tenant.primary_domain
        );
        if t.latest.is_empty() {
            text.push_str("No completed scan yet: start one with start_scan.\n\n");
        }
        for d in &t.latest {
            targets.push(format!("scan:{}", d.scan.id));
            text.push_str(&render::scan_detail(d));
            text.push('\n');
        }
    }
    if more_failing > 0 {
        let _ = writeln!(
            text,
            "{more_failing} more failing checks: list_findings lists them all, detail=full shows up to 10 per scan."
        );
    }
    outcome(&posture, text, targets)
}
