//! `generate_report`.

use aether365_actors::query::{Framework, NewReport, SaveReport};
use serde_json::Value;

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::report::{self, Audience};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, schema};

/// `generate_report`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const TOOL: ToolDef = ToolDef {
    name: "generate_report",
    title: "Generate a report",
    description: "Writes a Markdown report from the stored scan data for an audience: 'board' (plain-language summary, score and trend, top risks), 'audit' (framework coverage and control status) or 'technical' (every failing check with remediation). Optionally for one framework and one tenant. The report is stored and readable later as the resource aether365://reports/{id}.",
    read_only: true,
    input,
    output,
    cacheable: false,
    task_support: false,
    call: |ctx, arguments| Box::pin(call(ctx, arguments)),
};

pub fn input() -> Value {
    schema::input(
        &[
            (
                "audience",
                schema::enumeration(&Audience::NAMES, "board, audit or technical."),
            ),
            (
                "framework",
                schema::described(
                    schema::string(),
                    "Focus on one framework: CIS, CIS-M365-7.0, SCuBA, NIST-800-53 or ISO-27001.",
                ),
            ),
            ("tenant", schema::tenant_input()),
        ],
        &["audience"],
    )
}

pub fn output() -> Value {
    schema::report()
}

pub async fn call(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["audience", "framework", "tenant"])?;
    let audience = args
        .choice("audience", &Audience::NAMES)?
        .and_then(Audience::parse)
        .ok_or_else(|| {
            SurfaceError::InvalidArguments("audience is required: board, audit or technical".into())
        })?;
    let framework = args
        .string("framework")?
        .map(|f| f.parse::<Framework>())
        .transpose()?;
    let built = report::build(ctx, audience, framework.clone(), args.reference("tenant")?).await?;
    let stored = ctx
        .ask(SaveReport {
            principal: ctx.principal.clone(),
            report: NewReport {
                tenant_id: built.tenant_id,
                audience: audience.as_str().to_string(),
                framework: framework.map(|f| f.name()),
                title: built.title,
                markdown: built.markdown,
            },
        })
        .await?;
    let mut targets = built.targets;
    targets.push(format!("report:{}", stored.id));
    let text = format!("{}\n\n---\nStored as {}.\n", stored.markdown, stored.uri);
    outcome(&stored, text, targets)
}
