//! `get_score_trend`: the score of each completed scan since a date.

use std::fmt::Write;

use aether365_actors::query::{
    Framework, GetScoreTrend, ScoreTrend, TrendDimension, TrendQuery, service_display,
};
use aether365_actors::scans::ScanKind;
use chrono::{Duration, Utc};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::args::{Since, TenantRef, parse, text};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "get_score_trend",
    title: "Score trend",
    description: "Score of each completed scan since a date (default 30 days), oldest first, per tenant; with framework or service, those checks' pass rate.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<ScoreTrend>,
    view: None,
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default: all in scope.
    tenant: Option<TenantRef>,
    /// Time, date (2026-10-01) or span back (30d, 4w, 3m); default 30d.
    since: Option<Since>,
    /// Default compliance.
    kind: Option<ScanKind>,
    /// Pass rate of one framework: CIS, CIS-M365-<version>, SCuBA, NIST-800-53, ISO-27001.
    framework: Option<String>,
    /// Pass rate of one service, e.g. Exchange Online.
    service: Option<String>,
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let since = args
        .since
        .map_or_else(|| Utc::now() - Duration::days(30), |s| s.0);
    let dimension = match (text(args.framework), text(args.service)) {
        (Some(_), Some(_)) => {
            return Err(SurfaceError::InvalidArguments(
                "give framework or service, not both".into(),
            ));
        }
        (Some(f), None) => TrendDimension::Framework(f.parse::<Framework>()?),
        (None, Some(s)) => TrendDimension::Service(s),
        (None, None) => TrendDimension::Overall,
    };
    let trend = ctx
        .ask(GetScoreTrend {
            principal: ctx.principal.clone(),
            query: TrendQuery {
                tenant: TenantRef::name(args.tenant),
                since,
                kind: args.kind.unwrap_or(ScanKind::Compliance),
                dimension,
            },
        })
        .await?;
    let label = match trend.dimension.as_str() {
        "overall" => "Overall score".to_string(),
        d if d.contains('_') || !d.chars().any(|c| c.is_ascii_uppercase()) => {
            format!("{} pass rate", service_display(d))
        }
        d => format!("{d} pass rate"),
    };
    let mut text = format!(
        "# {} trend since {}\n\n{} completed {} scans.\n",
        label,
        render::time(Some(trend.since)),
        trend.points.len(),
        trend.kind,
    );
    for c in &trend.changes {
        let _ = writeln!(
            text,
            "- {}: change {}",
            untrusted::quoted(&c.tenant_name),
            render::change(c.change)
        );
    }
    let several = trend.changes.len() > 1;
    if !trend.points.is_empty() {
        let _ = writeln!(text, "\n{}\n", untrusted::LEGEND);
        if several {
            text.push_str(
                "| Tenant | Scan | Finished | Score | Failing |\n|---|---|---|---|---|\n",
            );
        } else {
            text.push_str("| Scan | Finished | Score | Failing |\n|---|---|---|---|\n");
        }
        for p in &trend.points {
            if several {
                let _ = write!(text, "| {} ", untrusted::quoted(&p.tenant_name));
            }
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} |",
                p.scan_id,
                render::time(Some(p.finished_at)),
                render::score(p.score),
                p.fail
            );
        }
    }
    let targets = trend
        .changes
        .iter()
        .map(|c| format!("tenant:{}", c.tenant_id))
        .collect();
    outcome(&trend, text, targets)
}
