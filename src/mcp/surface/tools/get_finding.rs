//! `get_finding`: one check's result with its evidence and remediation.

use std::fmt::Write;

use aether365_actors::query::{FindingDetail, FindingLookup, GetFinding, service_display};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::apps;
use crate::mcp::surface::args::{Id, TenantRef, parse, text};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "get_finding",
    title: "Finding details",
    description: "One check's result: evidence, rationale, remediation, framework references, status in recent scans; by finding_id or check_id.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<FindingDetail>,
    view: Some(apps::FINDINGS),
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// From list_findings.
    finding_id: Option<Id>,
    /// Instead of finding_id: a check id (latest scan, or scan).
    check_id: Option<String>,
    /// With check_id: tenant name, domain or id.
    tenant: Option<TenantRef>,
    /// With check_id: the scan to look in.
    scan: Option<Id>,
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let lookup = match (Id::of(args.finding_id), text(args.check_id)) {
        (Some(id), None) => FindingLookup::Id(id),
        (None, Some(check_id)) => FindingLookup::Check {
            tenant: TenantRef::name(args.tenant),
            check_id,
            scan_id: Id::of(args.scan),
        },
        (Some(_), Some(_)) => {
            return Err(SurfaceError::InvalidArguments(
                "give finding_id or check_id, not both".into(),
            ));
        }
        (None, None) => {
            return Err(SurfaceError::InvalidArguments(
                "finding_id or check_id is required (see list_findings)".into(),
            ));
        }
    };
    let d = ctx
        .ask(GetFinding {
            principal: ctx.principal.clone(),
            lookup,
            history: 10,
        })
        .await?;
    let s = &d.summary;
    let mut text = format!(
        "# {} {}: {}\n\n{}\n\nTenant {}, scan {} ({}). Service {}. Severity {}. Status **{}**.\n\n{}\n\n",
        s.check_id,
        s.status.as_str().to_uppercase(),
        s.title,
        untrusted::LEGEND,
        untrusted::quoted(&s.tenant_name),
        s.scan_id,
        render::time(d.scan_finished_at),
        service_display(&s.service),
        s.severity,
        s.status,
        render::message(s)
    );
    if !s.references.is_empty() {
        let _ = writeln!(text, "Frameworks: {}\n", s.references.join(", "));
    }
    let _ = writeln!(text, "## Why it matters\n{}\n", d.rationale);
    let _ = writeln!(
        text,
        "## Remediation\n{}\n{}\n\nThese steps are for a person to apply in Microsoft 365 (its admin centres or PowerShell); this assistant cannot change the tenant.\n",
        d.remediation, d.remediation_url
    );
    text.push_str("## Evidence\n");
    text.push_str(&untrusted::block("Evidence", &d.evidence));
    text.push_str("\n## Recent scans\n");
    for h in &d.history {
        let _ = writeln!(
            text,
            "- scan {} ({}): {}",
            h.scan_id,
            render::time(h.finished_at),
            h.status
        );
    }
    let targets = vec![
        format!("tenant:{}", s.tenant_id),
        format!("scan:{}", s.scan_id),
        format!("finding:{}", s.id),
    ];
    outcome(&d, text, targets)
}
