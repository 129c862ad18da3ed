//! Readable text renderings (Markdown) of query results.

use std::fmt::Write;

use aether365_actors::query::{
    Breakdown, FindingSummary, ScanDetail, ScanView, SeverityCounts, service_display,
};
use aether365_actors::scans::{ScanStatus, SnapshotSource};
use chrono::{DateTime, Utc};

use super::untrusted::{self, quoted};

/// `72.5` or `n/a`.
pub fn score(s: Option<f64>) -> String {
    s.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
}

/// `+3.2`, `-1.0`, `±0.0` or `n/a`.
pub fn change(c: Option<f64>) -> String {
    match c {
        Some(v) if v > 0.0 => format!("+{v:.1}"),
        Some(v) if v < 0.0 => format!("{v:.1}"),
        Some(_) => "±0.0".to_string(),
        None => "n/a".to_string(),
    }
}

/// RFC 3339 to the minute, or `-`.
pub fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// `1 critical, 2 high, 0 medium, 3 low, 0 info`.
pub fn severities(c: &SeverityCounts) -> String {
    format!(
        "{} critical, {} high, {} medium, {} low, {} info",
        c.critical, c.high, c.medium, c.low, c.info
    )
}

/// One line about a scan.
pub fn scan_line(s: &ScanView) -> String {
    let mut line = format!(
        "scan {} ({}, {}) of {}: {}",
        s.id,
        s.kind,
        s.origin,
        quoted(&s.tenant_name),
        s.status
    );
    match s.status {
        ScanStatus::Completed => {
            let _ = write!(
                line,
                ", score {}, {} failing ({}), finished {}",
                score(s.score),
                s.counts.fail,
                severities(&s.failing),
                time(s.finished_at)
            );
        }
        ScanStatus::Queued | ScanStatus::Running => {
            let _ = write!(line, ", progress {}/{}", s.progress_done, s.progress_total);
        }
        _ => {
            if let Some(e) = &s.error {
                let _ = write!(line, ": {e}");
            }
        }
    }
    line
}

/// A Markdown table of findings; with `tenants`, a column names each row's tenant.
pub fn findings_table(findings: &[FindingSummary], tenants: bool) -> String {
    if findings.is_empty() {
        return "(none)\n".to_string();
    }
    let mut out = String::new();
    if tenants {
        out.push_str("| Tenant ");
    }
    out.push_str("| Severity | Status | Check | Service | Title | References |\n");
    if tenants {
        out.push_str("|---");
    }
    out.push_str("|---|---|---|---|---|---|\n");
    for f in findings {
        if tenants {
            let _ = write!(out, "| {} ", quoted(&f.tenant_name));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} (id {}) | {} | {} | {} |",
            f.severity,
            f.status,
            f.check_id,
            f.id,
            service_display(&f.service),
            cell(&f.title),
            cell(&f.references.join(", "))
        );
    }
    out
}

/// A Markdown table of pass/fail by service or framework.
pub fn breakdown_table(label: &str, rows: &[Breakdown], service_names: bool) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "| {label} | Pass | Fail | Other | Pass rate | Failing by severity |\n|---|---|---|---|---|---|\n"
    );
    for b in rows {
        let name = if service_names {
            service_display(&b.name)
        } else {
            b.name.clone()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            name,
            b.pass,
            b.fail,
            b.other,
            b.pass_rate
                .map_or_else(|| "n/a".to_string(), |r| format!("{r:.1}%")),
            severities(&b.failing)
        );
    }
    out
}

/// A scan with its breakdown: in full (tables of every service and framework), or as a
/// summary (the weakest services and each framework's pass rate, in two lines).
pub fn scan_detail(d: &ScanDetail, full: bool) -> String {
    let s = &d.scan;
    let mut out = format!("### {}\n", scan_line(s));
    if let Some(data) = input_line(s) {
        let _ = writeln!(out, "{data}\n");
    }
    if s.status == ScanStatus::Completed && !full {
        let _ = writeln!(
            out,
            "Score {} ({} since scan {}). Checks: {} pass, {} fail, {} manual, {} error, {} not applicable.",
            score(s.score),
            change(d.score_change),
            d.previous_scan_id
                .map_or_else(|| "none".to_string(), |id| id.to_string()),
            s.counts.pass,
            s.counts.fail,
            s.counts.manual,
            s.counts.error,
            s.counts.not_applicable
        );
        let mut weakest: Vec<&Breakdown> = d.by_service.iter().filter(|b| b.fail > 0).collect();
        weakest.sort_by(|a, b| {
            a.pass_rate
                .unwrap_or(100.0)
                .total_cmp(&b.pass_rate.unwrap_or(100.0))
        });
        if !weakest.is_empty() {
            let list: Vec<String> = weakest
                .iter()
                .take(4)
                .map(|b| {
                    format!(
                        "{} {} ({} failing)",
                        service_display(&b.name),
                        rate(b.pass_rate),
                        b.fail
                    )
                })
                .collect();
            let _ = writeln!(out, "Weakest services: {}.", list.join(", "));
        }
        if !d.by_framework.is_empty() {
            let list: Vec<String> = d
                .by_framework
                .iter()
                .map(|b| format!("{} {}", b.name, rate(b.pass_rate)))
                .collect();
            let _ = writeln!(out, "Framework pass rates: {}.", list.join(", "));
        }
        if !d.top_failing.is_empty() {
            out.push_str("\nMost severe failing checks:\n\n");
            out.push_str(&findings_table(&d.top_failing, false));
        }
        return out;
    }
    if s.status == ScanStatus::Completed {
        let _ = writeln!(
            out,
            "Score {} ({} since scan {}). Checks: {} pass, {} fail, {} manual, {} error, {} not applicable.\n",
            score(s.score),
            change(d.score_change),
            d.previous_scan_id
                .map_or_else(|| "none".to_string(), |id| id.to_string()),
            s.counts.pass,
            s.counts.fail,
            s.counts.manual,
            s.counts.error,
            s.counts.not_applicable
        );
        out.push_str(&breakdown_table("Service", &d.by_service, true));
        out.push('\n');
        out.push_str(&breakdown_table("Framework", &d.by_framework, false));
        if !d.top_failing.is_empty() {
            out.push_str("\nMost severe failing checks:\n\n");
            out.push_str(&findings_table(&d.top_failing, false));
        }
    }
    out
}

/// `72.5%` or `n/a`.
fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.1}%"))
}

/// A tenant as a heading: `«Contoso» («contoso.com»)`.
pub fn tenant_heading(display_name: &str, primary_domain: &str) -> String {
    format!("{} ({})", quoted(display_name), quoted(primary_domain))
}

/// Escapes a table cell (our own text; tenant text goes through [`untrusted`] first).
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Most subjects named inline after a finding's message.
const SUBJECTS_SHOWN: usize = 5;

/// A finding's message for text: the server's sentence, then the tenant objects it is about,
/// fenced (`Named in the tenant: «A», «B» and 3 more.`). A finding stored before subjects were
/// kept apart (`subjects` is `None`) may quote tenant names in its message: the whole message is
/// then shown fenced, as tenant data.
pub fn message(f: &FindingSummary) -> String {
    match &f.subjects {
        Some(subjects) => {
            let mut out = untrusted::clean(&f.message, 600);
            if !subjects.is_empty() {
                let _ = write!(out, " Named in the tenant: {}.", subjects_list(subjects));
            }
            out
        }
        None => format!(
            "Message stored by an earlier version, which may quote the tenant: {}",
            untrusted::quoted_max(&f.message, 600)
        ),
    }
}

/// Up to [`SUBJECTS_SHOWN`] tenant names, each fenced, and how many more.
pub fn subjects_list(subjects: &[String]) -> String {
    let shown: Vec<String> = subjects
        .iter()
        .take(SUBJECTS_SHOWN)
        .map(|s| quoted(s))
        .collect();
    let mut out = shown.join(", ");
    if subjects.len() > SUBJECTS_SHOWN {
        let _ = write!(out, " and {} more", subjects.len() - SUBJECTS_SHOWN);
    }
    out
}

/// What a scan evaluated, in one line: the data's source and date, and any service that was
/// not freshly collected, with why. `None` for scans from before inputs were recorded.
pub fn input_line(s: &ScanView) -> Option<String> {
    let input = s.input.as_ref()?;
    let when = input.collected_at.format("%Y-%m-%d %H:%M UTC");
    let mut line = match input.source {
        SnapshotSource::Collector => format!("Data: collected live from the tenant at {when}"),
        SnapshotSource::Import => format!("Data: an imported ScubaGear export collected at {when}"),
        SnapshotSource::Sample => format!("Data: sample data dated {when}, not a real tenant"),
        SnapshotSource::PublicDns => format!("Data: public DNS observed from {when}"),
    };
    if let Some(snapshot) = input.snapshot_id {
        let _ = write!(line, " (snapshot {snapshot})");
    }
    if let Some(note) = &input.note {
        let _ = write!(line, "; {note}");
    }
    line.push('.');
    Some(line)
}
