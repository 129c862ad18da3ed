//! `list_findings` and `get_finding`.

use std::fmt::Write;

use aether365_actors::query::{
    FindingLookup, FindingQuery, FindingStatus, Framework, GetFinding, ListFindings, Severity,
    service_display,
};
use serde_json::{Value, json};

use super::{ToolDef, outcome};
use crate::mcp::surface::args::Args;
use crate::mcp::surface::{SurfaceContext, SurfaceError, ToolOutcome, render, schema};

/// `list_findings`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const LIST: ToolDef = ToolDef {
    name: "list_findings",
    title: "List findings",
    description: "Check results of a tenant's latest completed scans (or of one scan), most severe first. By default only failing checks (status 'fail'); filter by framework (CIS, CIS-M365-7.0, SCuBA, NIST-800-53, ISO-27001), severity, service (such as 'Exchange Online', 'Entra ID'), status and free text. Paginated: pass next_cursor back as cursor. Use get_finding for evidence and remediation of one result.",
    read_only: true,
    input: list_input,
    output: list_output,
    cacheable: true,
    task_support: false,
    call: |ctx, arguments| Box::pin(list(ctx, arguments)),
};

/// `get_finding`: its definition, beside its code (listed once in `tools::TOOLS`).
pub const GET: ToolDef = ToolDef {
    name: "get_finding",
    title: "Finding details",
    description: "One check's result with its evidence, rationale, remediation steps and link, framework references, and its status across the tenant's recent scans. Name it by finding_id (from list_findings) or by check_id (latest scan of the tenant, or of the given scan).",
    read_only: true,
    input: get_input,
    output: get_output,
    cacheable: true,
    task_support: false,
    call: |ctx, arguments| Box::pin(get(ctx, arguments)),
};

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
const STATUSES: [&str; 6] = ["fail", "pass", "manual", "error", "not_applicable", "any"];
const LIST_ARGS: [&str; 9] = [
    "tenant",
    "scan",
    "framework",
    "severity",
    "service",
    "status",
    "query",
    "limit",
    "cursor",
];

pub fn list_input() -> Value {
    schema::input(
        &[
            ("tenant", schema::tenant_input()),
            (
                "scan",
                schema::scan_input(
                    "A scan id; default: the tenant's latest completed scan of each kind.",
                ),
            ),
            (
                "framework",
                schema::described(
                    schema::string(),
                    "Only checks mapped to this framework: CIS, CIS-M365-<version> (such as CIS-M365-7.0), SCuBA, NIST-800-53 or ISO-27001.",
                ),
            ),
            (
                "severity",
                schema::one_or_many(&SEVERITIES, "One severity or several."),
            ),
            (
                "service",
                json!({
                    "description": "One service or several, such as 'Exchange Online', 'Entra ID', 'SharePoint', 'Teams', 'Defender', 'Purview', 'Power Platform', 'DNS'.",
                    "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
                }),
            ),
            (
                "status",
                schema::one_or_many(
                    &STATUSES,
                    "Result status; default 'fail'. 'any' for every status.",
                ),
            ),
            (
                "query",
                schema::described(
                    schema::string(),
                    "Free text that every result must contain (check id, title, message, references).",
                ),
            ),
            (
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50, "description": "Page size, 1 to 200 (default 50)." }),
            ),
            (
                "cursor",
                schema::described(schema::string(), "The next_cursor of the previous page."),
            ),
        ],
        &[],
    )
}

pub fn list_output() -> Value {
    schema::output(&[
        ("tenant", schema::tenant()),
        ("scans", schema::array(schema::scan())),
        ("total", schema::integer()),
        ("offset", schema::integer()),
        ("findings", schema::array(schema::finding())),
        ("next_offset", schema::nullable("integer")),
        ("next_cursor", schema::nullable("string")),
    ])
}

pub fn get_input() -> Value {
    schema::input(
        &[
            (
                "finding_id",
                schema::scan_input("A finding id from list_findings."),
            ),
            (
                "check_id",
                schema::described(
                    schema::string(),
                    "A check id such as the ones list_findings shows; looked up in the latest scans of the tenant, or in scan.",
                ),
            ),
            ("tenant", schema::tenant_input()),
            (
                "scan",
                schema::scan_input("With check_id: the scan to look in."),
            ),
        ],
        &[],
    )
}

pub fn get_output() -> Value {
    schema::finding_detail()
}

/// `o<offset>`: an opaque cursor.
fn cursor(offset: u64) -> String {
    format!("o{offset}")
}

fn parse_cursor(c: &str) -> Result<u64, SurfaceError> {
    c.strip_prefix('o')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| SurfaceError::InvalidArguments("cursor is not one this server issued: pass next_cursor unchanged, or omit it for the first page".into()))
}

pub async fn list(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &LIST_ARGS)?;
    let severities = args
        .strings("severity")?
        .iter()
        .map(|s| s.parse::<Severity>())
        .collect::<Result<Vec<_>, _>>()?;
    let statuses_raw = args.strings("status")?;
    let statuses = if statuses_raw.is_empty() {
        vec![FindingStatus::Fail]
    } else if statuses_raw
        .iter()
        .any(|s| s.eq_ignore_ascii_case("any") || s.eq_ignore_ascii_case("all"))
    {
        Vec::new()
    } else {
        statuses_raw
            .iter()
            .map(|s| s.parse::<FindingStatus>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                SurfaceError::InvalidArguments(
                    "status must be one of fail, pass, manual, error, not_applicable, any".into(),
                )
            })?
    };
    let framework = args
        .string("framework")?
        .map(|f| f.parse::<Framework>())
        .transpose()?;
    let services = args.strings("service")?;
    for s in &services {
        aether365_actors::query::parse_service(s)?;
    }
    let query = FindingQuery {
        tenant: args.reference("tenant")?,
        scan_id: args.id("scan")?,
        framework,
        severities,
        services,
        statuses,
        text: args.string("query")?,
        offset: args
            .string("cursor")?
            .map(|c| parse_cursor(&c))
            .transpose()?
            .unwrap_or(0),
        limit: args.integer("limit", 1, 200)?.unwrap_or(50),
    };
    let page = ctx
        .ask(ListFindings {
            principal: ctx.principal.clone(),
            query,
        })
        .await?;
    let mut text = format!(
        "# Findings of {} ({})\n\n{} matching, showing {}-{}.\n",
        page.tenant.display_name,
        page.tenant.primary_domain,
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
    text.push('\n');
    text.push_str(&render::findings_table(&page.findings));
    if let Some(next) = page.next_offset {
        let _ = writeln!(
            text,
            "\nMore results: call again with cursor \"{}\".",
            cursor(next)
        );
    }
    let mut targets = vec![format!("tenant:{}", page.tenant.id)];
    targets.extend(page.scans.iter().map(|s| format!("scan:{}", s.id)));
    let mut structured =
        serde_json::to_value(&page).map_err(|e| SurfaceError::Internal(e.to_string()))?;
    structured["next_cursor"] = page
        .next_offset
        .map_or(Value::Null, |n| Value::String(cursor(n)));
    Ok(ToolOutcome {
        text,
        structured,
        targets,
        started_scan: None,
    })
}

pub async fn get(ctx: &SurfaceContext, arguments: Value) -> Result<ToolOutcome, SurfaceError> {
    let args = Args::parse(arguments, &["finding_id", "check_id", "tenant", "scan"])?;
    let lookup = match (args.id("finding_id")?, args.string("check_id")?) {
        (Some(id), None) => FindingLookup::Id(id),
        (None, Some(check_id)) => FindingLookup::Check {
            tenant: args.reference("tenant")?,
            check_id,
            scan_id: args.id("scan")?,
        },
        (Some(_), Some(_)) => {
            return Err(SurfaceError::InvalidArguments(
                "give finding_id or check_id, not both".into(),
            ));
        }
        (None, None) => {
            return Err(SurfaceError::InvalidArguments(
                "finding_id or check_id is required (see list_findings)".into(),
            ));
        }
    };
    let d = ctx
        .ask(GetFinding {
            principal: ctx.principal.clone(),
            lookup,
            history: 10,
        })
        .await?;
    let s = &d.summary;
    let mut text = format!(
        "# {} {}: {}\n\nTenant {} — scan {} ({}). Service {}. Severity {}. Status **{}**.\n\n{}\n\n",
        s.check_id,
        s.status.to_uppercase(),
        s.title,
        d.tenant_name,
        s.scan_id,
        render::time(d.scan_finished_at),
        service_display(&s.service),
        s.severity,
        s.status,
        s.message
    );
    if !s.references.is_empty() {
        let _ = writeln!(text, "Frameworks: {}\n", s.references.join(", "));
    }
    let _ = writeln!(text, "## Why it matters\n{}\n", d.rationale);
    let _ = writeln!(
        text,
        "## Remediation\n{}\n{}\n",
        d.remediation, d.remediation_url
    );
    let _ = writeln!(
        text,
        "Remediation is applied by a person in the Microsoft 365 admin centre or the aether365 dashboard; this assistant cannot change the tenant.\n"
    );
    let _ = writeln!(
        text,
        "## Evidence\n```json\n{}\n```\n",
        serde_json::to_string_pretty(&d.evidence).unwrap_or_default()
    );
    text.push_str("## Recent scans\n");
    for h in &d.history {
        let _ = writeln!(
            text,
            "- scan {} ({}): {}",
            h.scan_id,
            render::time(h.finished_at),
            h.status
        );
    }
    let targets = vec![
        format!("tenant:{}", s.tenant_id),
        format!("scan:{}", s.scan_id),
        format!("finding:{}", s.id),
    ];
    outcome(&d, text, targets)
}
