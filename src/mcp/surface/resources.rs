//! Resources: `aether365://tenants`, `aether365://scans/latest`, `aether365://scans/{id}`, a
//! completed scan's findings as `aether365://scans/{id}/findings.sarif` (SARIF 2.1.0),
//! `…/findings.ocsf.json` (OCSF Compliance Findings) and `…/findings.csv`, and
//! `aether365://reports/{id}`, one tenant's posture as `aether365://tenants/{id}/posture`
//! (subscribable: updated when a scan of the tenant completes) and its CIS and SCuBA reports as
//! `aether365://tenants/{id}/reports/cis` and `…/scuba`. Every read goes through the
//! tenant-scoped query layer.

use aether365_actors::query::{
    ExportFindings, FrameworkReportQuery, GetFrameworkReport, GetPosture, GetReport, GetScan,
    LatestScans, ListReports, ListTenants,
};
use aether365_engine::ExportFormat;
use aether365_engine::report::ReportFramework;
use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use super::{SurfaceContext, SurfaceError, framework_report, render, untrusted};

pub const TENANTS: &str = "aether365://tenants";
pub const LATEST_SCANS: &str = "aether365://scans/latest";
pub const SCAN_TEMPLATE: &str = "aether365://scans/{id}";
pub const REPORT_TEMPLATE: &str = "aether365://reports/{id}";
pub const POSTURE_TEMPLATE: &str = "aether365://tenants/{id}/posture";
/// A tenant's CIS v7.0.0 and SCuBA reports (Markdown), from its latest compliance scan.
pub const FRAMEWORK_REPORT_TEMPLATES: [(ReportFramework, &str); 2] = [
    (ReportFramework::Cis, "aether365://tenants/{id}/reports/cis"),
    (
        ReportFramework::Scuba,
        "aether365://tenants/{id}/reports/scuba",
    ),
];
const REPORTS_INFIX: &str = "/reports/";
/// The findings exports' templates, one per format.
pub const FINDINGS_TEMPLATES: [(ExportFormat, &str); 3] = [
    (ExportFormat::Sarif, "aether365://scans/{id}/findings.sarif"),
    (
        ExportFormat::Ocsf,
        "aether365://scans/{id}/findings.ocsf.json",
    ),
    (ExportFormat::Csv, "aether365://scans/{id}/findings.csv"),
];
const FINDINGS_FILE: &str = "/findings.";
const SCAN_PREFIX: &str = "aether365://scans/";
const REPORT_PREFIX: &str = "aether365://reports/";
const TENANT_PREFIX: &str = "aether365://tenants/";
const POSTURE_SUFFIX: &str = "/posture";
const JSON: &str = "application/json";
const MARKDOWN: &str = "text/markdown";

/// The fixed resources and the caller's recent reports.
pub async fn list(ctx: &SurfaceContext) -> Result<Vec<Resource>, SurfaceError> {
    let mut out = vec![
        Resource::new(TENANTS, "tenants")
            .with_title("Tenants")
            .with_description(
                "The Microsoft 365 tenants this token can read: names, domains and ids.",
            )
            .with_mime_type(JSON),
        Resource::new(LATEST_SCANS, "latest-scans")
            .with_title("Latest scans")
            .with_description("The newest scan of each tenant (any status), with score and counts.")
            .with_mime_type(JSON),
    ];
    let reports = ctx
        .ask(ListReports {
            principal: ctx.principal.clone(),
            limit: 20,
        })
        .await?;
    out.extend(reports.into_iter().map(|r| {
        Resource::new(r.uri, format!("report-{}", r.id))
            .with_title(untrusted::clean(&r.title, 200))
            .with_description(format!(
                "{} report generated {}",
                r.audience,
                render::time(Some(r.created_at))
            ))
            .with_mime_type(MARKDOWN)
    }));
    Ok(out)
}

/// A resource template.
fn template(
    uri_template: &str,
    name: &str,
    title: &str,
    description: impl Into<String>,
    mime_type: &str,
) -> ResourceTemplate {
    ResourceTemplate::new(uri_template, name)
        .with_title(title)
        .with_description(description)
        .with_mime_type(mime_type)
}

/// The templates of scans, their findings exports and reports by id.
pub fn templates() -> Vec<ResourceTemplate> {
    let mut out = vec![template(
        SCAN_TEMPLATE,
        "scan",
        "Scan",
        "One scan by id: status, progress, timings, score and breakdown by service and framework.",
        JSON,
    )];
    out.extend(FINDINGS_TEMPLATES.iter().map(|(format, uri_template)| {
        let (name, title, what) = match format {
            ExportFormat::Sarif => (
                "findings-sarif",
                "Findings (SARIF)",
                "SARIF 2.1.0, for code-scanning and SIEM tools",
            ),
            ExportFormat::Ocsf => (
                "findings-ocsf",
                "Findings (OCSF)",
                "OCSF 1.8.0 Compliance Finding events, for security data lakes",
            ),
            ExportFormat::Csv => (
                "findings-csv",
                "Findings (CSV)",
                "CSV, one row per finding, for spreadsheets",
            ),
        };
        template(
            uri_template,
            name,
            title,
            format!("Every finding of one completed scan as {what}."),
            format.media_type(),
        )
    }));
    out.push(template(
        POSTURE_TEMPLATE,
        "tenant-posture",
        "Tenant posture",
        "One tenant's posture from its latest completed scans (score, change, drift, next scheduled scan); subscribe to hear when a scan of it completes.",
        JSON,
    ));
    for (framework, uri_template) in FRAMEWORK_REPORT_TEMPLATES {
        let (name, title) = match framework {
            ReportFramework::Cis => ("tenant-cis-report", "CIS v7.0.0 report"),
            ReportFramework::Scuba => ("tenant-scuba-report", "SCuBA report"),
        };
        out.push(template(
            uri_template,
            name,
            title,
            format!("{}: every item's status, reason and evidence, from the tenant's latest completed compliance scan.", framework.name()),
            MARKDOWN,
        ));
    }
    out.push(template(
        REPORT_TEMPLATE,
        "report",
        "Report",
        "A report written by generate_report, in Markdown.",
        MARKDOWN,
    ));
    out
}

/// The scan id and format of a findings export URI (`aether365://scans/12/findings.sarif`);
/// `None` for any other URI.
fn findings_export(uri: &str) -> Option<Result<(i64, ExportFormat), SurfaceError>> {
    let rest = uri.strip_prefix(SCAN_PREFIX)?;
    let (id, file) = rest.split_once(FINDINGS_FILE)?;
    let format = FINDINGS_TEMPLATES
        .iter()
        .find(|(f, _)| f.file_extension() == file)
        .map(|(f, _)| *f);
    Some(
        match (id.parse::<i64>().ok().filter(|id| *id > 0), format) {
            (Some(id), Some(format)) => Ok((id, format)),
            _ => Err(SurfaceError::NotFound(format!("resource {uri}"))),
        },
    )
}

/// Text contents of `uri` in `mime_type`.
pub fn text_contents(uri: &str, mime_type: &str, text: impl Into<String>) -> ResourceContents {
    ResourceContents::text(text, uri).with_mime_type(mime_type)
}

/// JSON contents, the tenant's text in its own fields, cleaned ([`untrusted::clean_fields`]).
fn json_contents(
    uri: &str,
    value: &impl serde::Serialize,
) -> Result<Vec<ResourceContents>, SurfaceError> {
    let mut value = serde_json::to_value(value)
        .map_err(|e| SurfaceError::failed("serialising a resource", e))?;
    untrusted::clean_fields(&mut value);
    let text = serde_json::to_string_pretty(&value)
        .map_err(|e| SurfaceError::failed("serialising a resource", e))?;
    Ok(vec![text_contents(uri, JSON, text)])
}

/// The tenant a posture URI (`aether365://tenants/7/posture`) names; `None` for any other URI.
pub fn tenant_of_posture_uri(uri: &str) -> Option<i64> {
    uri.strip_prefix(TENANT_PREFIX)?
        .strip_suffix(POSTURE_SUFFIX)?
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
}

/// The tenant and framework of a framework report URI (`aether365://tenants/7/reports/cis`).
fn framework_report_uri(uri: &str) -> Option<(i64, ReportFramework)> {
    let (id, name) = uri.strip_prefix(TENANT_PREFIX)?.split_once(REPORTS_INFIX)?;
    let id = id.parse::<i64>().ok().filter(|id| *id > 0)?;
    let framework = FRAMEWORK_REPORT_TEMPLATES
        .iter()
        .find(|(f, _)| f.as_str() == name)
        .map(|(f, _)| *f)?;
    Some((id, framework))
}

/// The posture URI of a tenant.
pub fn posture_uri(tenant_id: i64) -> String {
    format!("{TENANT_PREFIX}{tenant_id}{POSTURE_SUFFIX}")
}

/// Parses the id after `prefix`; anything else is not a resource of ours.
fn id_after(uri: &str, prefix: &str) -> Result<i64, SurfaceError> {
    uri.strip_prefix(prefix)
        .and_then(|rest| rest.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| SurfaceError::NotFound(format!("resource {uri}")))
}

/// Reads one resource: its contents.
pub async fn read(ctx: &SurfaceContext, uri: &str) -> Result<Vec<ResourceContents>, SurfaceError> {
    let principal = ctx.principal.clone();
    if uri == TENANTS {
        let tenants = ctx.ask(ListTenants { principal }).await?;
        return json_contents(uri, &json!({ "tenants": tenants }));
    }
    if uri == LATEST_SCANS {
        let scans = ctx.ask(LatestScans { principal }).await?;
        return json_contents(uri, &json!({ "scans": scans }));
    }
    if let Some(tenant_id) = tenant_of_posture_uri(uri) {
        let posture = ctx
            .ask(GetPosture {
                principal,
                tenant: Some(tenant_id.to_string()),
            })
            .await
            .map_err(|e| not_found_as(e, uri))?;
        return json_contents(uri, &posture);
    }
    if let Some((tenant_id, framework)) = framework_report_uri(uri) {
        let report = ctx
            .ask(GetFrameworkReport {
                principal,
                query: FrameworkReportQuery {
                    framework,
                    tenant: Some(tenant_id.to_string()),
                    scan_id: None,
                },
            })
            .await
            .map_err(|e| not_found_as(e, uri))?;
        return Ok(vec![text_contents(
            uri,
            MARKDOWN,
            framework_report::markdown(&report),
        )]);
    }
    if let Some(export) = findings_export(uri) {
        let (scan_id, format) = export?;
        let export = ctx
            .ask(ExportFindings {
                principal,
                scan_id,
                format,
            })
            .await
            .map_err(|e| not_found_as(e, uri))?;
        return Ok(vec![text_contents(uri, format.media_type(), export.text)]);
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
        return Ok(vec![text_contents(uri, MARKDOWN, report.markdown)]);
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
