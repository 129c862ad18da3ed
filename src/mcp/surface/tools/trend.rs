//! `get_score_trend`.

use std::fmt::Write;

use aether365_actors::query::{
    Framework, GetScoreTrend, TrendDimension, TrendQuery, service_display,
};
use chrono::{Duration, Utc};
use serde_json::Value;

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, schema};

/// `get_score_trend`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const TOOL: ToolDef = ToolDef {
    name: "get_score_trend",
    title: "Score trend",
    description: "The score of each completed scan of a tenant since a date (default: the last 30 days), oldest first, with the overall change. Overall by default; with framework or service, the pass rate of the checks of that framework or service. Answers 'how did our score change this month?'.",
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
                "since",
                schema::described(
                    schema::string(),
                    "Start of the window: RFC 3339 time, a date (2026-10-01) or a span back from now (30d, 4w, 3m). Default 30d.",
                ),
            ),
            (
                "kind",
                schema::enumeration(
                    &["compliance", "exposure"],
                    "Scan kind; default compliance.",
                ),
            ),
            (
                "framework",
                schema::described(
                    schema::string(),
                    "Trend of the pass rate of one framework's checks (CIS, CIS-M365-7.0, SCuBA, NIST-800-53, ISO-27001).",
                ),
            ),
            (
                "service",
                schema::described(
                    schema::string(),
                    "Trend of the pass rate of one service's checks (such as Exchange Online).",
                ),
            ),
        ],
        &[],
    )
}

pub fn output() -> Value {
    schema::output(&[
        ("tenant", schema::tenant()),
        ("kind", schema::string()),
        ("dimension", schema::string()),
        ("since", schema::time()),
        (
            "points",
            schema::array(schema::output(&[
                ("scan_id", schema::integer()),
                ("finished_at", schema::time()),
                ("score", schema::nullable("number")),
                ("fail", schema::integer()),
            ])),
        ),
        ("change", schema::nullable("number")),
    ])
}

pub async fn call(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(
        arguments,
        &["tenant", "since", "kind", "framework", "service"],
    )?;
    let now = Utc::now();
    let since = args
        .since("since", now)?
        .unwrap_or(now - Duration::days(30));
    let dimension = match (args.string("framework")?, args.string("service")?) {
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
                tenant: args.reference("tenant")?,
                since,
                kind: args
                    .choice("kind", &["compliance", "exposure"])?
                    .unwrap_or("compliance")
                    .to_string(),
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
        "# {} trend of {} since {}\n\n{} completed {} scans; change {}.\n\n",
        label,
        trend.tenant.display_name,
        render::time(Some(trend.since)),
        trend.points.len(),
        trend.kind,
        render::change(trend.change)
    );
    if !trend.points.is_empty() {
        text.push_str("| Scan | Finished | Score | Failing |\n|---|---|---|---|\n");
        for p in &trend.points {
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
    let targets = vec![format!("tenant:{}", trend.tenant.id)];
    outcome(&trend, text, targets)
}
