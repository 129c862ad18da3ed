//! Resources: `aether365://tenants`, `aether365://scans/latest`, `aether365://scans/{id}`,
//! `aether365://reports/{id}`.

use aether365_actors::query::{GetReport, GetScan, LatestScans, ListReports, ListTenants};
use serde_json::{Value, json};

use super::{SurfaceContext, SurfaceError, render};

pub const TENANTS: &str = "aether365://tenants";
pub const LATEST_SCANS: &str = "aether365://scans/latest";
pub const SCAN_TEMPLATE: &str = "aether365://scans/{id}";
pub const REPORT_TEMPLATE: &str = "aether365://reports/{id}";
const SCAN_PREFIX: &str = "aether365://scans/";
const REPORT_PREFIX: &str = "aether365://reports/";
const JSON: &str = "application/json";
const MARKDOWN: &str = "text/markdown";

/// The fixed resources and the caller's recent reports.
pub async fn list(ctx: &SurfaceContext) -> Result<Vec<Value>, SurfaceError> {
    let mut out = vec![
        json!({
            "uri": TENANTS,
            "name": "tenants",
            "title": "Tenants",
            "description": "The Microsoft 365 tenants this token can read: names, domains and ids.",
            "mimeType": JSON,
        }),
        json!({
            "uri": LATEST_SCANS,
            "name": "latest-scans",
            "title": "Latest scans",
            "description": "The newest scan of each tenant (any status), with score and counts.",
            "mimeType": JSON,
        }),
    ];
    let reports = ctx
        .ask(ListReports {
            principal: ctx.principal.clone(),
            limit: 20,
        })
        .await?;
    out.extend(reports.into_iter().map(|r| {
        json!({
            "uri": r.uri,
            "name": format!("report-{}", r.id),
            "title": r.title,
            "description": format!("{} report generated {}", r.audience, render::time(Some(r.created_at))),
            "mimeType": MARKDOWN,
        })
    }));
    Ok(out)
}

/// The templates of scans and reports by id.
pub fn templates() -> Vec<Value> {
    vec![
        json!({
            "uriTemplate": SCAN_TEMPLATE,
            "name": "scan",
            "title": "Scan",
            "description": "One scan by id: status, progress, timings, score and breakdown by service and framework.",
            "mimeType": JSON,
        }),
        json!({
            "uriTemplate": REPORT_TEMPLATE,
            "name": "report",
            "title": "Report",
            "description": "A report written by generate_report, in Markdown.",
            "mimeType": MARKDOWN,
        }),
    ]
}

fn json_contents(uri: &str, value: &impl serde::Serialize) -> Result<Vec<Value>, SurfaceError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| SurfaceError::Internal(e.to_string()))?;
    Ok(vec![json!({ "uri": uri, "mimeType": JSON, "text": text })])
}

/// Parses the id after `prefix`; anything else is not a resource of ours.
fn id_after(uri: &str, prefix: &str) -> Result<i64, SurfaceError> {
    uri.strip_prefix(prefix)
        .and_then(|rest| rest.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| SurfaceError::NotFound(format!("resource {uri}")))
}

/// Reads one resource: its contents.
pub async fn read(ctx: &SurfaceContext, uri: &str) -> Result<Vec<Value>, SurfaceError> {
    let principal = ctx.principal.clone();
    if uri == TENANTS {
        let tenants = ctx.ask(ListTenants { principal }).await?;
        return json_contents(uri, &json!({ "tenants": tenants }));
    }
    if uri == LATEST_SCANS {
        let scans = ctx.ask(LatestScans { principal }).await?;
        return json_contents(uri, &json!({ "scans": scans }));
    }
    if uri.starts_with(SCAN_PREFIX) {
        let scan_id = id_after(uri, SCAN_PREFIX)?;
        let detail = ctx
            .ask(GetScan { principal, scan_id })
            .await
            .map_err(|e| not_found_as(e, uri))?;
        return json_contents(uri, &detail);
    }
    if uri.starts_with(REPORT_PREFIX) {
        let report_id = id_after(uri, REPORT_PREFIX)?;
        let report = ctx
            .ask(GetReport {
                principal,
                report_id,
            })
            .await
            .map_err(|e| not_found_as(e, uri))?;
        return Ok(vec![
            json!({ "uri": uri, "mimeType": MARKDOWN, "text": report.markdown }),
        ]);
    }
    Err(SurfaceError::NotFound(format!("resource {uri}")))
}

/// Not-found answers name the resource, whatever the reason.
fn not_found_as(e: SurfaceError, uri: &str) -> SurfaceError {
    match e {
        SurfaceError::NotFound(_) => SurfaceError::NotFound(format!("resource {uri}")),
        other => other,
    }
}
