//! The CIS v7.0.0 and SCuBA reports in Markdown: `generate_report` with `audience: audit` and
//! `framework: cis` or `scuba`, and the resources `aether365://tenants/{id}/reports/cis` and
//! `…/scuba`. The report itself is the query layer's (one model for the dashboard and MCP).
//!
//! Tenant text (the tenant's name and domain, finding evidence) is fenced and escaped
//! ([`untrusted::quoted_max`]); every other text (titles, messages, reasons) is escaped as
//! Markdown text, so no cell can open a link, break the table or run markup.

use std::fmt::Write;

use aether365_actors::query::Framework;
use aether365_engine::report::{ControlStatus, FrameworkReport, ReportFramework, StatusTotals};

use super::{render, untrusted};

/// Most characters of one finding's evidence the Markdown shows.
const EVIDENCE_SHOWN: usize = 300;

/// The framework report a `generate_report` framework asks for, if any: CIS (v7.0.0, the
/// version the catalogue cites) or SCuBA.
pub fn report_framework(framework: &Framework) -> Option<ReportFramework> {
    match framework {
        Framework::Cis(None) => Some(ReportFramework::Cis),
        Framework::Cis(Some(v)) if v.starts_with('7') => Some(ReportFramework::Cis),
        Framework::Scuba => Some(ReportFramework::Scuba),
        _ => None,
    }
}

fn totals_row(first: &str, t: &StatusTotals) -> String {
    let mut s = format!("| {first} | {} ", t.total);
    for status in ControlStatus::ALL {
        let _ = write!(s, "| {} ", t.get(status));
    }
    s.push_str("|\n");
    s
}

/// The report's title, as plain text (the tenant by id).
pub fn title(report: &FrameworkReport) -> String {
    format!(
        "{} — tenant {} — scan {}",
        report.framework_name, report.subject.tenant_id, report.subject.scan_id
    )
}

/// The report in Markdown.
pub fn markdown(report: &FrameworkReport) -> String {
    let s = &report.subject;
    let cis = report.framework == ReportFramework::Cis;
    let md_text = untrusted::markdown_text;
    let mut md = format!(
        "# {} — {}\n\n",
        md_text(&report.framework_name),
        untrusted::quoted(&s.tenant_name)
    );
    let _ = writeln!(
        md,
        "Tenant {} ({}), compliance scan {}; configuration collected {}{}. Names in «…» were read from the tenant. aether365 changes nothing.\n",
        s.tenant_id,
        untrusted::quoted(&s.primary_domain),
        s.scan_id,
        render::time(Some(s.collected_at)),
        s.scan_finished_at
            .map(|f| format!(", scan finished {}", render::time(Some(f))))
            .unwrap_or_default()
    );
    if let Some(note) = &s.note {
        let _ = writeln!(md, "{}\n", md_text(note));
    }
    md.push_str("## Totals\n\n");
    let _ = write!(
        md,
        "| {} | total ",
        if cis { "profile" } else { "criticality" }
    );
    for status in ControlStatus::ALL {
        let _ = write!(md, "| {} ", status.label());
    }
    md.push_str("|\n| --- | ---");
    md.push_str(&" | ---".repeat(ControlStatus::ALL.len()));
    md.push_str(" |\n");
    md.push_str(&totals_row("all", &report.totals));
    for p in &report.profiles {
        md.push_str(&totals_row(p.profile.as_str(), &p.totals));
    }
    for c in &report.criticalities {
        md.push_str(&totals_row(c.criticality.as_str(), &c.totals));
    }
    md.push('\n');
    for g in &report.groups {
        let _ = writeln!(md, "## {} {}\n", md_text(&g.id), md_text(&g.title));
        let _ = writeln!(
            md,
            "| {} | title | {} | status | reason / what to verify | evidence |\n| --- | --- | --- | --- | --- | --- |",
            if cis { "number" } else { "policy" },
            if cis { "profile" } else { "criticality" }
        );
        for r in &g.rows {
            let class = if cis {
                format!(
                    "{}{}",
                    r.profile.map_or("", |p| p.as_str()),
                    if r.automated == Some(false) {
                        " (manual)"
                    } else {
                        ""
                    }
                )
            } else {
                r.criticality
                    .map_or(String::new(), |c| c.as_str().to_string())
            };
            let evidence = r
                .evidence
                .iter()
                .map(|e| {
                    format!(
                        "{} ({}): {} {}",
                        md_text(&e.check_id),
                        e.status,
                        md_text(&e.message),
                        if e.evidence.is_empty() {
                            String::new()
                        } else {
                            untrusted::quoted_max(&e.evidence, EVIDENCE_SHOWN)
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(
                md,
                "| {} | {} | {} | **{}** | {} | {} |",
                md_text(&r.id),
                md_text(&r.title),
                md_text(&class),
                r.status.label(),
                r.reason.as_deref().map(md_text).unwrap_or_default(),
                evidence
            );
        }
        md.push('\n');
    }
    md
}
