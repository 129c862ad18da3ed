//! `list_findings`: check results of the latest scans, filtered, most severe first.

use std::fmt::Write;

use aether365_actors::query::{
    FindingPage, FindingQuery, FindingStatus, FindingSummary, Framework, ListFindings, ScanView,
    Severity, parse_service,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{READS, ToolDef, input_schema, outcome, output_schema};
use crate::mcp::surface::apps;
use crate::mcp::surface::args::{Id, Limit, OneOrMany, TenantRef, parse, text};
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, untrusted};

pub const TOOL: ToolDef = ToolDef {
    name: "list_findings",
    title: "List findings",
    description: "Check results of the latest completed scans (all tenants in scope, a tenant or a scan), most severe first; default failing only; details: get_finding.",
    hints: READS,
    cacheable: true,
    task_support: false,
    input: input_schema::<Args>,
    output: output_schema::<Page>,
    view: Some(apps::FINDINGS),
    call: |ctx, arguments| Box::pin(async move { call(ctx, parse(arguments)?).await }),
};

/// A status to list, or `any` for every status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum StatusFilter {
    Fail,
    Pass,
    Manual,
    Error,
    NotApplicable,
    Any,
}

impl StatusFilter {
    /// The status it names; `None` for `any`.
    fn status(self) -> Option<FindingStatus> {
        match self {
            StatusFilter::Fail => Some(FindingStatus::Fail),
            StatusFilter::Pass => Some(FindingStatus::Pass),
            StatusFilter::Manual => Some(FindingStatus::Manual),
            StatusFilter::Error => Some(FindingStatus::Error),
            StatusFilter::NotApplicable => Some(FindingStatus::NotApplicable),
            StatusFilter::Any => None,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// Tenant name, domain or id; default: all in scope.
    tenant: Option<TenantRef>,
    /// Default: the latest completed scans.
    scan: Option<Id>,
    /// CIS, CIS-M365-<version> (e.g. 7.0), SCuBA, NIST-800-53 or ISO-27001.
    framework: Option<String>,
    severity: Option<OneOrMany<Severity>>,
    /// E.g. Exchange Online, Entra ID, SharePoint, Teams, Defender, Purview, Power Platform, Power BI, DNS.
    service: Option<OneOrMany<String>>,
    /// Default fail; any for every status.
    status: Option<OneOrMany<StatusFilter>>,
    /// Words each result contains (id, title, message, references).
    query: Option<String>,
    /// Page size (default 20).
    limit: Option<Limit<200>>,
    /// next_cursor of the previous page.
    cursor: Option<String>,
}

/// A page of findings, and the cursor of the next one.
#[derive(Serialize, JsonSchema)]
struct Page {
    /// The scans the findings come from (each names its tenant).
    scans: Vec<ScanView>,
    total: u64,
    offset: u64,
    findings: Vec<FindingSummary>,
    next_cursor: Option<String>,
}

impl From<FindingPage> for Page {
    fn from(page: FindingPage) -> Self {
        Page {
            next_cursor: page.next_offset.map(cursor),
            scans: page.scans,
            total: page.total,
            offset: page.offset,
            findings: page.findings,
        }
    }
}

/// Rows per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 20;

/// `o<offset>`: an opaque cursor.
fn cursor(offset: u64) -> String {
    format!("o{offset}")
}

fn parse_cursor(c: &str) -> Result<u64, SurfaceError> {
    c.trim()
        .strip_prefix('o')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| SurfaceError::InvalidArguments("cursor: not one this server issued: pass next_cursor unchanged, or omit it for the first page".into()))
}

async fn call(ctx: &SurfaceContext, args: Args) -> Result<ToolOutcome, SurfaceError> {
    let statuses = OneOrMany::list(args.status);
    let statuses = if statuses.is_empty() {
        vec![FindingStatus::Fail]
    } else if statuses.contains(&StatusFilter::Any) {
        Vec::new()
    } else {
        statuses.iter().filter_map(|s| s.status()).collect()
    };
    let services = OneOrMany::list(args.service);
    for s in &services {
        parse_service(s)?;
    }
    let query = FindingQuery {
        tenant: TenantRef::name(args.tenant),
        scan_id: Id::of(args.scan),
        framework: text(args.framework)
            .map(|f| f.parse::<Framework>())
            .transpose()?,
        severities: OneOrMany::list(args.severity),
        services,
        statuses,
        text: text(args.query),
        offset: text(args.cursor)
            .map(|c| parse_cursor(&c))
            .transpose()?
            .unwrap_or(0),
        limit: Limit::or(args.limit, DEFAULT_LIMIT),
    };
    let page = ctx
        .ask(ListFindings {
            principal: ctx.principal.clone(),
            query,
        })
        .await?;
    let mut text = format!(
        "# Findings\n\n{} matching, showing {}-{}.\n",
        page.total,
        if page.findings.is_empty() {
            0
        } else {
            page.offset + 1
        },
        page.offset + page.findings.len() as u64
    );
    for s in &page.scans {
        let _ = writeln!(text, "- {}", render::scan_line(s));
    }
    if page.scans.is_empty() {
        text.push_str("No completed scan yet: start one with start_scan.\n");
    }
    let _ = writeln!(text, "\n{}\n", untrusted::LEGEND);
    let several = page.scans.iter().any(|s| {
        page.scans
            .first()
            .is_some_and(|f| f.tenant_id != s.tenant_id)
    });
    text.push_str(&render::findings_table(&page.findings, several));
    if let Some(next) = page.next_offset {
        let _ = writeln!(
            text,
            "\nMore results: call again with cursor \"{}\".",
            cursor(next)
        );
    }
    let mut targets: Vec<String> = Vec::new();
    for s in &page.scans {
        let tenant = format!("tenant:{}", s.tenant_id);
        if !targets.contains(&tenant) {
            targets.push(tenant);
        }
    }
    targets.extend(page.scans.iter().map(|s| format!("scan:{}", s.id)));
    outcome(&Page::from(page), text, targets)
}
