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

pub fn input() -> Value {
    schema::input(&[("tenant", schema::tenant_input())], &[])
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
    let args = Args::parse(arguments, &["tenant"])?;
    let tenant = args.reference("tenant")?;
    let posture = ctx
        .ask(GetPosture {
            principal: ctx.principal.clone(),
            tenant,
        })
        .await?;
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
    outcome(&posture, text, targets)
}
