//! Framework reports of a tenant: `GET /api/v1/tenants/{id}/reports/{framework}` with
//! `format=json` (default), `csv` or `html`. The report (CIS v7.0.0: all recommendations;
//! SCuBA: every policy) is the query layer's; this module encodes it.
//!
//! The HTML file is self-contained: one inline stylesheet allowed by its hash in the file's own
//! Content-Security-Policy (and the response's), no script, nothing loaded from anywhere. Every
//! string read from the tenant (its name, finding messages, evidence) is escaped.
//!
//! No PDF: the crates that write PDF without a browser (printpdf, genpdf, lopdf) either lay out
//! nothing (text placed by coordinates, no tables, no line breaking) or are thinly maintained;
//! the HTML file has a print stylesheet, so a browser's "Save as PDF" gives the PDF.

use std::fmt::Write;
use std::sync::LazyLock;

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use aether365_actors::alerts::escape_html as esc;
use aether365_actors::query::FrameworkReportQuery;
use aether365_engine::report::{
    CisProfile, ControlStatus, FrameworkReport, ReportFramework, StatusTotals, to_csv,
};
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::api::queries;
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Query of `GET /api/v1/tenants/{id}/reports/{framework}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FrameworkReportParams {
    /// "json" (default), "csv" or "html" (a self-contained file).
    pub format: Option<String>,
    /// A completed compliance scan of the tenant; default: its latest.
    pub scan_id: Option<i64>,
}

/// The three encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Html,
}

fn framework(raw: &str) -> Result<ReportFramework, DashboardError> {
    match raw.to_ascii_lowercase().as_str() {
        "cis" => Ok(ReportFramework::Cis),
        "scuba" => Ok(ReportFramework::Scuba),
        _ => Err(DashboardError::NotFound(format!(
            "no framework report {raw:?} (cis or scuba)"
        ))),
    }
}

/// `GET /api/v1/tenants/{id}/reports/{framework}`: the CIS v7.0.0 or SCuBA report of the
/// tenant's latest completed compliance scan (or `scan_id`), as JSON, CSV or a self-contained
/// HTML file. A tenant of another organisation answers exactly like one that does not exist.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/reports/{framework}", tag = "reports",
    params(("id" = i64, Path, description = "Tenant id"),
        ("framework" = String, Path, description = "cis or scuba"), FrameworkReportParams),
    responses((status = 200, description = "The report; CSV and HTML as attachments",
        content((Object = "application/json"), (String = "text/csv"), (String = "text/html"))),
        super::error::Problems))]
pub async fn get(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<(i64, String)>,
    params: web::Query<FrameworkReportParams>,
) -> Result<HttpResponse, DashboardError> {
    let (tenant_id, raw) = path.into_inner();
    let framework = framework(&raw)?;
    let format = match params
        .format
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("html") => Format::Html,
        Some(other) => {
            return Err(DashboardError::BadRequest(format!(
                "format {other:?}: use json, csv or html"
            )));
        }
    };
    let report = queries(&state)
        .framework_report(
            &current.principal(),
            FrameworkReportQuery {
                framework,
                tenant: Some(tenant_id.to_string()),
                scan_id: params.scan_id,
            },
        )
        .await?;
    let stem = format!(
        "aether365-{}-tenant-{}-scan-{}",
        framework.as_str(),
        report.subject.tenant_id,
        report.subject.scan_id
    );
    let attachment = |ext: &str| ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(format!("{stem}.{ext}"))],
    };
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(&report),
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment("csv"))
            .body(to_csv(&report)),
        Format::Html => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, HTML_RESPONSE_CSP.as_str()))
            .insert_header(attachment("html"))
            .body(to_html(&report)),
    })
}

/// The stylesheet of the HTML file (screen and print).
const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;margin:2rem;}\
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #ccd}\
p.meta{color:#555;margin:.2rem 0}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}\
th,td{border:1px solid #ccd;padding:.3rem .45rem;text-align:left;vertical-align:top}\
th{background:#f2f4f8}td.n{text-align:right}.s{font-weight:600;white-space:nowrap}\
.pass{color:#11652b}.fail{color:#a11}.manual{color:#7a4d00}.not_decidable{color:#444}.not_applicable{color:#666}\
.ev{font-size:12px;color:#333;word-break:break-word}.ev code{font-size:11px;color:#555}\
@media print{body{margin:0;font-size:11px}h2{break-after:avoid}tr{break-inside:avoid}}";

/// The file's CSP (in its `<meta>`): no source but the one stylesheet, by its hash.
static HTML_CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'")
});

/// The download response's CSP: the file's, and no framing (`frame-ancestors` is a header-only
/// directive: browsers ignore it, and say so, in a `<meta>`).
static HTML_RESPONSE_CSP: LazyLock<String> =
    LazyLock::new(|| format!("{}; frame-ancestors 'none'", HTML_CSP.as_str()));

fn totals_cells(t: &StatusTotals) -> String {
    let mut s = format!("<td class=\"n\">{}</td>", t.total);
    for status in ControlStatus::ALL {
        let _ = write!(s, "<td class=\"n\">{}</td>", t.get(status));
    }
    s
}

fn totals_head(first: &str) -> String {
    let mut s = format!("<tr><th>{first}</th><th>total</th>");
    for status in ControlStatus::ALL {
        let _ = write!(s, "<th>{}</th>", status.label());
    }
    s.push_str("</tr>");
    s
}

/// The report as one self-contained HTML document (see the module documentation).
pub fn to_html(report: &FrameworkReport) -> String {
    let s = &report.subject;
    let cis = report.framework == ReportFramework::Cis;
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{fw} — {tenant}</title><style>{STYLE}</style></head><body>\
         <h1>{fw}</h1>\
         <p class=\"meta\">Tenant: <strong>{tenant}</strong> ({domain}, id {tid})</p>\
         <p class=\"meta\">Compliance scan {scan}, configuration collected <time datetime=\"{collected}\">{collected}</time>{finished}</p>",
        csp = esc(&HTML_CSP),
        fw = esc(&report.framework_name),
        tenant = esc(&s.tenant_name),
        domain = esc(&s.primary_domain),
        tid = s.tenant_id,
        scan = s.scan_id,
        collected = s.collected_at.to_rfc3339(),
        finished = s
            .scan_finished_at
            .map(|f| format!(", scan finished {}", f.to_rfc3339()))
            .unwrap_or_default(),
    );
    if let Some(note) = &s.note {
        let _ = write!(h, "<p class=\"meta\">{}</p>", esc(note));
    }
    h.push_str(
        "<p class=\"meta\">Generated by aether365, which reads the tenant and changes nothing. \
         Pass: every check citing it passes on evidence; not decidable: the data needed was missing \
         or unreadable, or no check reads it (the reason says which).</p>",
    );
    h.push_str("<h2>Totals</h2><table>");
    h.push_str(&totals_head(if cis { "profile" } else { "criticality" }));
    let _ = write!(h, "<tr><th>all</th>{}</tr>", totals_cells(&report.totals));
    for p in &report.profiles {
        let _ = write!(
            h,
            "<tr><th>{}</th>{}</tr>",
            p.profile.as_str(),
            totals_cells(&p.totals)
        );
    }
    for c in &report.criticalities {
        let _ = write!(
            h,
            "<tr><th>{}</th>{}</tr>",
            c.criticality.as_str(),
            totals_cells(&c.totals)
        );
    }
    h.push_str("</table>");
    for g in &report.groups {
        let _ = write!(
            h,
            "<h2>{} {}</h2><table><tr><th>{}</th><th>title</th><th>{}</th><th>status</th><th>reason / what to verify</th><th>evidence</th></tr>",
            esc(&g.id),
            esc(&g.title),
            if cis { "number" } else { "policy" },
            if cis { "profile" } else { "criticality" },
        );
        for r in &g.rows {
            let class = if cis {
                r.profile.map_or("", CisProfile::as_str)
            } else {
                r.criticality.map_or("", |c| c.as_str())
            };
            let mut evidence = String::new();
            for e in &r.evidence {
                let _ = write!(
                    evidence,
                    "<div>{} ({}): {} <code>{}</code></div>",
                    esc(&e.check_id),
                    e.status,
                    esc(&e.message),
                    esc(&e.evidence)
                );
            }
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td class=\"s {}\">{}</td><td>{}</td><td class=\"ev\">{}</td></tr>",
                esc(&r.id),
                esc(&r.title),
                class,
                match r.automated {
                    Some(false) => " (manual)",
                    _ => "",
                },
                r.status.as_str(),
                r.status.label(),
                esc(r.reason.as_deref().unwrap_or("")),
                evidence
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aether365_engine::report::{ReportSubject, build};
    use aether365_engine::{Finding, Status, compliance_checks};
    use chrono::Utc;

    #[test]
    fn html_escapes_tenant_text_and_loads_nothing() {
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
        let findings: Vec<Finding> = compliance_checks()
            .iter()
            .map(|c| Finding {
                check_id: c.id.into(),
                title: c.title.into(),
                service: c.service,
                severity: c.severity,
                status: Status::Fail,
                message: hostile.into(),
                evidence: serde_json::json!({ "name": hostile }),
                subjects: vec![hostile.into()],
                rationale: String::new(),
                remediation: aether365_engine::Remediation {
                    steps: String::new(),
                    url: String::new(),
                },
                frameworks: Vec::new(),
            })
            .collect();
        let report = build(
            ReportFramework::Cis,
            ReportSubject {
                tenant_id: 3,
                tenant_name: hostile.into(),
                primary_domain: hostile.into(),
                scan_id: 9,
                scan_finished_at: Some(Utc::now()),
                collected_at: Utc::now(),
                note: Some(hostile.into()),
            },
            &findings,
        );
        let html = to_html(&report);
        assert!(!html.contains("<script"), "a script tag");
        assert!(!html.contains("<img"), "an img tag");
        assert!(html.contains("&lt;img src=x"), "markup stays text");
        assert!(!html.contains("href="), "a link");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("Content-Security-Policy"));
        assert!(HTML_CSP.contains("default-src 'none'"));
        assert!(!HTML_CSP.contains("unsafe"));
        assert!(!HTML_CSP.contains("frame-ancestors"), "ignored in a <meta>");
        assert!(HTML_RESPONSE_CSP.ends_with("frame-ancestors 'none'"));
        assert_eq!(html.matches("<style>").count(), 1);
    }
}
