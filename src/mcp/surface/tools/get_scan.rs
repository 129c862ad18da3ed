//! `get_scan`: one scan, to follow one started with `start_scan`.

use aether365_actors::query::{GetScan, ScanDetail};
use aether365_actors::scans::Drift;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Detail, Id, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "get_scan",
    title: "Scan details",
    description: "One scan (after start_scan): status, progress, times; once completed, score and change, pass rates by service and framework, worst failures.",
    hints: super::READS,
    cacheable: false,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<ScanDetail>,
    view: None,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The scan id.
    scan: Id,
    /// summary (default) or full: service and framework tables.
    detail: Option<Detail>,
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let detail = ctx
        .ask(GetScan {
            principal: ctx.principal.clone(),
            scan_id: args.scan.0,
        })
        .await?;
    let mut text = format!(
        "{}\n\n{}",
        untrusted::LEGEND,
        render::scan_detail(&detail, Detail::full(args.detail))
    );
    if let Some(drift) = &detail.drift {
        text.push('\n');
        text.push_str(&drift_text(drift));
    }
    let targets = vec![
        format!("tenant:{}", detail.scan.tenant_id),
        format!("scan:{}", detail.scan.id),
    ];
    outcome(&detail, text, targets)
}

/// A drift in a few lines: counts, score change, the check ids listed (engine ids, no tenant
/// text).
pub(super) fn drift_text(d: &Drift) -> String {
    let ids = |list: &[aether365_actors::scans::DriftCheck]| {
        list.iter()
            .map(|c| c.check_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "Since scan {}: {} newly failing, {} fixed, {} with changed evidence (same verdict); score {}.\n",
        d.previous_scan_id,
        d.newly_failing_count,
        d.fixed_count,
        d.evidence_changed_count,
        render::change(d.score_change)
    );
    for (label, list) in [
        ("Newly failing", &d.newly_failing),
        ("Fixed", &d.fixed),
        ("Evidence changed", &d.evidence_changed),
    ] {
        if !list.is_empty() {
            text.push_str(&format!("- {label}: {}\n", ids(list)));
        }
    }
    text
}
