//! `get_scan`: one scan, to follow one started with `start_scan`.

use aether365_actors::query::{GetScan, ScanDetail};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Detail, Id, parse};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "get_scan",
    title: "Scan details",
    description: "One scan: status, progress and times; once completed, score and change, pass rates by service and framework, worst failing checks. Follows start_scan.",
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
    let text = format!(
        "{}\n\n{}",
        untrusted::LEGEND,
        render::scan_detail(&detail, Detail::full(args.detail))
    );
    let targets = vec![
        format!("tenant:{}", detail.scan.tenant_id),
        format!("scan:{}", detail.scan.id),
    ];
    outcome(&detail, text, targets)
}
