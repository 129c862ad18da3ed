//! The tools: definitions (schemas, annotations) and dispatch.

mod compare;
mod findings;
mod posture;
mod report;
mod scans;
mod trend;

use serde_json::{Value, json};

use super::{SurfaceContext, SurfaceError, ToolOutcome};

/// One tool's definition.
struct ToolDef {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    /// `false` only for `start_scan`.
    read_only: bool,
    input: fn() -> Value,
    output: fn() -> Value,
}

const TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "get_posture",
        title: "Security posture",
        description: "Current Microsoft 365 security posture of each tenant this token can read (or of one tenant): the latest completed scan of each kind with its score (0-100) and the change since the previous scan, counts of checks by status, failing checks by severity, pass/fail per service and per framework (CIS, SCuBA, NIST-800-53, ISO-27001), the most severe failing checks and the scan time. Start here to answer 'how secure are we?'.",
        read_only: true,
        input: posture::input,
        output: posture::output,
    },
    ToolDef {
        name: "list_findings",
        title: "List findings",
        description: "Check results of a tenant's latest completed scans (or of one scan), most severe first. By default only failing checks (status 'fail'); filter by framework (CIS, CIS-M365-4.0, SCuBA, NIST-800-53, ISO-27001), severity, service (such as 'Exchange Online', 'Entra ID'), status and free text. Paginated: pass next_cursor back as cursor. Use get_finding for evidence and remediation of one result.",
        read_only: true,
        input: findings::list_input,
        output: findings::list_output,
    },
    ToolDef {
        name: "get_finding",
        title: "Finding details",
        description: "One check's result with its evidence, rationale, remediation steps and link, framework references, and its status across the tenant's recent scans. Name it by finding_id (from list_findings) or by check_id (latest scan of the tenant, or of the given scan).",
        read_only: true,
        input: findings::get_input,
        output: findings::get_output,
    },
    ToolDef {
        name: "get_score_trend",
        title: "Score trend",
        description: "The score of each completed scan of a tenant since a date (default: the last 30 days), oldest first, with the overall change. Overall by default; with framework or service, the pass rate of the checks of that framework or service. Answers 'how did our score change this month?'.",
        read_only: true,
        input: trend::input,
        output: trend::output,
    },
    ToolDef {
        name: "list_scans",
        title: "List scans",
        description: "Scans of the tenants this token can read (or of one tenant), newest first: kind, origin, status, progress, timings, score and counts. Filter by status and kind; page with before (the next_before value).",
        read_only: true,
        input: scans::list_input,
        output: scans::list_output,
    },
    ToolDef {
        name: "get_scan",
        title: "Scan details",
        description: "One scan: status, progress, timings and, once completed, its score, change since the previous scan, pass/fail per service and framework, and its most severe failing checks. Use it to follow a scan started with start_scan.",
        read_only: true,
        input: scans::get_input,
        output: scans::get_output,
    },
    ToolDef {
        name: "start_scan",
        title: "Start a scan",
        description: "Starts a read-only scan of one tenant and answers at once with the scan id (an already queued or running scan of the same tenant and kind is returned instead). kind 'compliance' evaluates the latest configuration snapshot against the checks; 'exposure' checks the public DNS of the tenant's domains. Follow it with get_scan, then compare_scans to see what newly fails. Scans never change the tenant, and remediation or AI Pilot can only be applied by a person in the dashboard.",
        read_only: false,
        input: scans::start_input,
        output: scans::start_output,
    },
    ToolDef {
        name: "compare_scans",
        title: "Compare scans",
        description: "What changed between two completed scans of a tenant (by default its latest completed scan and the one before): score change, newly failing checks, resolved checks and checks still failing, each counted by severity. Answers 'what changed since last week?'.",
        read_only: true,
        input: compare::input,
        output: compare::output,
    },
    ToolDef {
        name: "generate_report",
        title: "Generate a report",
        description: "Writes a Markdown report from the stored scan data for an audience: 'board' (plain-language summary, score and trend, top risks), 'audit' (framework coverage and control status) or 'technical' (every failing check with remediation). Optionally for one framework and one tenant. The report is stored and readable later as the resource aether365://reports/{id}.",
        read_only: true,
        input: report::input,
        output: report::output,
    },
];

/// Every tool, as MCP Tool objects.
pub fn definitions() -> Vec<Value> {
    TOOLS
        .iter()
        .map(|t| {
            let mut tool = json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": (t.input)(),
                "outputSchema": (t.output)(),
                "annotations": {
                    "title": t.title,
                    "readOnlyHint": t.read_only,
                    "destructiveHint": false,
                    "idempotentHint": t.read_only && t.name != "generate_report",
                    "openWorldHint": false,
                },
            });
            if t.name == "start_scan" {
                tool["execution"] = json!({ "taskSupport": "optional" });
            }
            tool
        })
        .collect()
}

/// Runs tool `name`.
pub async fn call(
    ctx: &SurfaceContext,
    name: &str,
    arguments: Value,
) -> Result<ToolOutcome, SurfaceError> {
    match name {
        "get_posture" => posture::call(ctx, arguments).await,
        "list_findings" => findings::list(ctx, arguments).await,
        "get_finding" => findings::get(ctx, arguments).await,
        "get_score_trend" => trend::call(ctx, arguments).await,
        "list_scans" => scans::list(ctx, arguments).await,
        "get_scan" => scans::get(ctx, arguments).await,
        "start_scan" => scans::start(ctx, arguments).await,
        "compare_scans" => compare::call(ctx, arguments).await,
        "generate_report" => report::call(ctx, arguments).await,
        other => Err(SurfaceError::UnknownTool(other.to_string())),
    }
}

/// A tool result from a serialisable value and its text.
fn outcome<T: serde::Serialize>(
    value: &T,
    text: String,
    targets: Vec<String>,
) -> Result<ToolOutcome, SurfaceError> {
    Ok(ToolOutcome {
        text,
        structured: serde_json::to_value(value)
            .map_err(|e| SurfaceError::Internal(e.to_string()))?,
        targets,
        started_scan: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_complete_and_only_start_scan_acts() {
        let tools = definitions();
        assert_eq!(tools.len(), TOOLS.len());
        for t in &tools {
            let name = t["name"].as_str().unwrap();
            for field in ["title", "description"] {
                assert!(
                    t[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: {field}"
                );
            }
            assert_eq!(t["inputSchema"]["type"], "object", "{name}");
            assert_eq!(t["inputSchema"]["additionalProperties"], false, "{name}");
            assert!(
                t["inputSchema"]["properties"].get("ai_pilot").is_none(),
                "{name}"
            );
            assert_eq!(t["outputSchema"]["type"], "object", "{name}");
            assert_eq!(
                t["annotations"]["readOnlyHint"],
                name != "start_scan",
                "{name}"
            );
            assert_eq!(t["annotations"]["destructiveHint"], false, "{name}");
            assert_eq!(t["annotations"]["openWorldHint"], false, "{name}");
            assert_eq!(t.get("execution").is_some(), name == "start_scan", "{name}");
        }
        let start = tools.iter().find(|t| t["name"] == "start_scan").unwrap();
        assert_eq!(start["execution"]["taskSupport"], "optional");
    }
}
