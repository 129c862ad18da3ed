//! Stored reports: `GET /api/v1/reports`, `GET /api/v1/reports/{id}` (Markdown and its HTML
//! rendering) and `GET /api/v1/reports/{id}/download` (the Markdown file).

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use aether365_actors::query::ReportView;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::queries;
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Query of `GET /api/v1/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// Reports to list, 1 to 100 (default 20), newest first.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `GET /api/v1/reports`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// Without their Markdown.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<ReportView>,
}

/// `GET /api/v1/reports/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPage {
    /// The report with its Markdown.
    #[schema(value_type = Object)]
    pub report: ReportView,
    /// The Markdown rendered as HTML; raw HTML in the Markdown is shown as text, never run.
    pub html: String,
    pub download_url: String,
}

/// Whether a link target is one the report itself writes: a relative link within the
/// dashboard, or a Microsoft Learn page (remediation guidance).
fn our_link(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://learn.microsoft.com") {
        return rest.is_empty() || rest.starts_with('/');
    }
    // Relative: no scheme, not protocol-relative (`//host`), no backslash tricks.
    (url.starts_with('/') || url.starts_with('#'))
        && !url.starts_with("//")
        && !url.contains('\\')
        && !lower.contains(':')
}

/// Markdown as HTML. Raw HTML in the source is escaped (it becomes text). Only links the report
/// writes are rendered as links ([`our_link`]): any other link keeps its text, as text, and any
/// other image becomes its alt text, so text a tenant chose can neither inject markup or script
/// nor become a link to another site.
pub fn render_markdown(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events = Vec::new();
    // Links and images do not nest, so one flag per kind says which end to drop.
    let (mut dropped_link, mut dropped_image) = (false, false);
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::Link { ref dest_url, .. }) if !our_link(dest_url) => {
                dropped_link = true;
            }
            Event::End(TagEnd::Link) if dropped_link => dropped_link = false,
            Event::Start(Tag::Image { ref dest_url, .. }) if !our_link(dest_url) => {
                dropped_image = true;
            }
            Event::End(TagEnd::Image) if dropped_image => dropped_image = false,
            other => events.push(other),
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    out
}

fn report_id(raw: &str) -> Result<i64, DashboardError> {
    raw.parse()
        .map_err(|_| DashboardError::NotFound(format!("no report {raw:?}")))
}

/// `GET /api/v1/reports`: the stored reports, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportsQuery),
    responses((status = 200, body = ReportList), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<ReportsQuery>,
) -> Result<HttpResponse, DashboardError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(DashboardError::BadRequest(
            "limit must be between 1 and 100".into(),
        ));
    }
    let items = queries(&state)
        .list_reports(&current.principal(), limit)
        .await?;
    Ok(HttpResponse::Ok().json(ReportList { items }))
}

/// `GET /api/v1/reports/{id}`: one report, its Markdown and its HTML rendering.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, body = ReportPage), super::error::Problems))]
pub async fn get(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = report_id(&path)?;
    let report = queries(&state).get_report(&current.principal(), id).await?;
    Ok(HttpResponse::Ok().json(ReportPage {
        html: render_markdown(&report.markdown),
        download_url: format!("/api/v1/reports/{}/download", report.id),
        report,
    }))
}

/// `GET /api/v1/reports/{id}/download`: the report as a Markdown file.
#[utoipa::path(get, path = "/api/v1/reports/{id}/download", tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    responses((status = 200, content_type = "text/markdown", body = String,
        description = "The report's Markdown, as an attachment"), super::error::Problems))]
pub async fn download(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = report_id(&path)?;
    let report = queries(&state).get_report(&current.principal(), id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "aether365-report-{}.md",
                report.id
            ))],
        })
        .body(report.markdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_stays_text() {
        let html = render_markdown(
            "# Board summary\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>\n\nSee <b>this</b>.",
        );
        assert!(html.contains("<h1>Board summary</h1>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        let links = render_markdown(
            "[a](javascript:alert(1)) [b](https://learn.microsoft.com/) [c](/findings/1)",
        );
        assert!(!links.contains("javascript:"), "{links}");
        assert!(
            links.contains("<a href=\"https://learn.microsoft.com/\">b</a>"),
            "{links}"
        );
        assert!(links.contains("<a href=\"/findings/1\">c</a>"), "{links}");
    }

    /// Issue 20 item 4: a link or image written into the Markdown by anyone but the report is
    /// text, not a link, whether the tenant's name reached the Markdown escaped or (in a report
    /// stored by an earlier version) raw.
    #[test]
    fn only_the_reports_own_links_are_links() {
        let name = "[URGENT: re-authenticate your tenant here](https://evil.example/login)";
        for markdown in [
            format!("## {name}\n\nSee {name}."),
            "- ![x](https://evil.example/p.png) [y](//evil.example) [z](/\\evil.example) <https://evil.example/a> [w](https://learn.microsoft.com.evil.example/)"
                .to_string(),
        ] {
            let html = render_markdown(&markdown);
            assert!(!html.contains("<a "), "{html}");
            assert!(!html.contains("<img"), "{html}");
        }
        let html = render_markdown(&format!("See {name}."));
        assert!(
            html.contains("URGENT: re-authenticate your tenant here"),
            "{html}"
        );
    }
}
