//! `generate_report`: a Markdown report for a board, an auditor or an engineer.

use aether365_actors::query::{
    Framework, FrameworkReportQuery, GetFrameworkReport, NewReport, ReportView, SaveReport,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Hints, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{TenantRef, parse, text};
use crate::mcp::surface::framework_report;
use crate::mcp::surface::report::{self, Audience};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome};

/// `generate_report` stores every report it writes: a report is an artefact to hand on (a
/// board pack, an audit file), and storing it is what lets the answer stay short while the
/// whole report stays readable as `aether365://reports/{id}`. So it is not read-only: it adds
/// a report row to aether365 (never anything to the tenant) and each call adds another, so it
/// is not idempotent either; it destroys nothing and reads only aether365's own data.
pub const TOOL: ToolDef = ToolDef {
    name: "generate_report",
    title: "Generate a report",
    description: "Writes and stores a Markdown report from stored scans. board: score, trend, top risks; audit: control status (cis/scuba: every control); technical: failing checks, remediation. Long ones are cut here; in full at aether365://reports/{id}.",
    hints: Hints {
        read_only: false,
        idempotent: false,
        open_world: false,
    },
    cacheable: false,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<Output>,
    view: None,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    audience: Audience,
    /// One framework: CIS, CIS-M365-<version>, SCuBA, NIST-800-53 or ISO-27001.
    framework: Option<String>,
    /// Tenant name, domain or id; default: all in scope.
    tenant: Option<TenantRef>,
}

/// The stored report as the answer gives it: its `markdown` is the part shown in the text (cut
/// before a heading when the report is longer); the whole report is the resource `uri`.
#[derive(Serialize, JsonSchema)]
struct Output {
    #[serde(flatten)]
    report: ReportView,
    /// Characters in the whole report.
    characters: usize,
    /// True when `markdown` is only the start of the report: read `uri` for all of it.
    cut: bool,
}

/// Most characters of the report the answer shows.
const ANSWER_MAX: usize = 4500;

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let framework = text(args.framework)
        .map(|f| f.parse::<Framework>())
        .transpose()?;
    let tenant = TenantRef::name(args.tenant);
    let built = match framework
        .as_ref()
        .filter(|_| args.audience == Audience::Audit)
        .and_then(framework_report::report_framework)
    {
        Some(which) => {
            let report = ctx
                .ask(GetFrameworkReport {
                    principal: ctx.principal.clone(),
                    query: FrameworkReportQuery {
                        framework: which,
                        tenant,
                        scan_id: None,
                    },
                })
                .await?;
            report::Built {
                title: framework_report::title(&report),
                markdown: framework_report::markdown(&report),
                tenant_id: Some(report.subject.tenant_id),
                targets: vec![
                    format!("tenant:{}", report.subject.tenant_id),
                    format!("scan:{}", report.subject.scan_id),
                ],
            }
        }
        None => report::build(ctx, args.audience, framework.clone(), tenant).await?,
    };
    let stored = ctx
        .ask(SaveReport {
            principal: ctx.principal.clone(),
            report: NewReport {
                tenant_id: built.tenant_id,
                audience: args.audience.as_str().to_string(),
                framework: framework.map(|f| f.name()),
                title: built.title,
                markdown: built.markdown,
            },
        })
        .await?;
    let mut targets = built.targets;
    targets.push(format!("report:{}", stored.id));
    let characters = stored.markdown.chars().count();
    let (shown, cut) = head(&stored.markdown, ANSWER_MAX);
    let text = if cut {
        format!(
            "{shown}\n\n---\nThe report continues: read the resource {} for all of it ({characters} characters).\n",
            stored.uri,
        )
    } else {
        format!("{shown}\n\n---\nStored as {}.\n", stored.uri)
    };
    let shown = shown.to_string();
    let output = Output {
        report: ReportView {
            markdown: shown,
            ..stored
        },
        characters,
        cut,
    };
    outcome(&output, text, targets)
}

/// The start of `markdown` up to `max` characters, cut before a heading when it is longer.
fn head(markdown: &str, max: usize) -> (&str, bool) {
    if markdown.chars().count() <= max {
        return (markdown, false);
    }
    let limit = markdown
        .char_indices()
        .nth(max)
        .map_or(markdown.len(), |(i, _)| i);
    let within = &markdown[..limit];
    let end = within
        .rfind("\n#")
        .filter(|i| *i > 0)
        .or_else(|| within.rfind('\n'))
        .unwrap_or(limit);
    (&markdown[..end], true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn long_reports_are_cut_before_a_heading() {
        let md = format!(
            "# T\n\nintro\n\n## A\n{}\n## B\n{}",
            "a".repeat(50),
            "b".repeat(50)
        );
        assert_eq!(head(&md, 1000), (md.as_str(), false));
        let (shown, cut) = head(&md, 80);
        assert!(cut);
        assert!(shown.ends_with(&"a".repeat(50)), "{shown}");
    }
}
