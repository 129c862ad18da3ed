//! The tools: definitions (schemas, annotations) and dispatch.

mod compare;
mod findings;
mod posture;
mod report;
mod scans;
mod trend;

use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use super::{SurfaceContext, SurfaceError, ToolOutcome, schema};

/// What `tools/call` runs: the tool's code over the caller's context and its arguments.
pub type Call =
    for<'a> fn(&'a SurfaceContext, Value) -> LocalBoxFuture<'a, Result<ToolOutcome, SurfaceError>>;

/// One tool: its definition, schemas, hints and code. Each tool declares its own beside its
/// code; [`TOOLS`] lists them, the only registration.
pub struct ToolDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `false` only for `start_scan`.
    pub read_only: bool,
    pub input: fn() -> Value,
    pub output: fn() -> Value,
    /// A pure function of completed scans, the scope and the arguments: answers may be cached.
    pub cacheable: bool,
    /// May run as a task (`execution.taskSupport: optional`).
    pub task_support: bool,
    pub call: Call,
}

/// Every tool, in `tools/list` order.
pub const TOOLS: &[ToolDef] = &[
    posture::TOOL,
    findings::LIST,
    findings::GET,
    trend::TOOL,
    scans::LIST,
    scans::GET,
    scans::START,
    compare::TOOL,
    report::TOOL,
];

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Every tool, as MCP Tool objects.
pub fn definitions() -> Vec<Value> {
    TOOLS
        .iter()
        .map(|t| {
            let mut tool = json!({
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "inputSchema": schema::share_definitions((t.input)()),
                "outputSchema": schema::share_definitions((t.output)()),
                "annotations": {
                    "title": t.title,
                    "readOnlyHint": t.read_only,
                    "destructiveHint": false,
                    "idempotentHint": t.read_only && t.name != "generate_report",
                    "openWorldHint": false,
                },
            });
            if t.task_support {
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
    match find(name) {
        Some(tool) => (tool.call)(ctx, arguments).await,
        None => Err(SurfaceError::UnknownTool(name.to_string())),
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
