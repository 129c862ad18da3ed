//! `tools/list` and `tools/call`.

#[cfg(feature = "bench")]
use std::sync::Arc;

use aether365_actors::audit::Outcome;
use aether365_actors::scans::CancelScan;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::common::{Reply, audit, audited, finish, surface_ctx, to_json};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::pagination::{self, JsonPage};
use crate::mcp::session::TrackTask;
use crate::mcp::surface::{self, Shape, SurfaceError, ToolOutcome};
use crate::mcp::tasks;

const CALL: &str = "tools/call";

/// `tools/list`: the tools in the shape of `ctx.version`.
pub fn list(ctx: &RequestContext, cursor: Option<&str>) -> Result<JsonPage, McpError> {
    let mut tools = Vec::new();
    let listed_tools = if surface::apps::client_supports(&ctx.client_capabilities) {
        surface::tools_with_views()
    } else {
        surface::tools()
    };
    for mut listed in listed_tools {
        if !ctx.version.has_structured_content() {
            listed.tool.output_schema = None;
            listed.tool.title = None;
        }
        if !ctx.version.has_legacy_tasks() {
            listed.execution = None;
        }
        tools.push(to_json(&listed)?);
    }
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        tools.extend(crate::mcp::conformance::tools());
    }
    Ok(pagination::page(tools, cursor)?.keyed("tools"))
}

/// An `isError` tool result carrying `message`.
fn tool_error_result(message: &str) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(message)]);
    result.result_type = None;
    result
}

/// `tools/call`: a cached answer is framed from its bytes, with the one awaited round trip of
/// the audit row.
pub async fn call(
    ctx: &RequestContext,
    params: CallToolRequestParams,
    as_task: bool,
) -> Result<Reply, McpError> {
    let name = params.name.into_owned();
    let arguments = Value::Object(params.arguments.unwrap_or_default());
    #[cfg(feature = "conformance")]
    if let Some(answer) = crate::mcp::conformance::call_tool(ctx, &name, &arguments).await {
        let result = audited(ctx, CALL, Some(&name), &[], answer).await?;
        return finish(ctx, CALL, &result);
    }
    let as_legacy_task = ctx.version.has_legacy_tasks() && as_task;
    if as_legacy_task && !surface::supports_tasks(&name) {
        return Err(McpError::MethodNotFound(format!(
            "tool {name:?} cannot run as a task"
        )));
    }
    let answer =
        surface::call_tool_cached(&surface_ctx(ctx), &ctx.config.answers, &name, arguments).await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(SurfaceError::UnknownTool(tool)) => {
            let err = McpError::UnknownTool(tool);
            return audited(ctx, CALL, Some(&name), &[], Err(err)).await;
        }
        // Argument errors are results the model can read and correct, in every version.
        Err(
            e @ (SurfaceError::InvalidArguments(_)
            | SurfaceError::NotFound(_)
            | SurfaceError::OverQuota(_)),
        ) => {
            let text = e.to_string();
            audit(
                ctx,
                CALL,
                Some(&name),
                &[],
                Outcome::Error,
                Some(text.clone()),
            )
            .await?;
            return finish(ctx, CALL, &tool_error_result(&text));
        }
        Err(e @ (SurfaceError::Query(_) | SurfaceError::Failed(_))) => {
            let err = McpError::from(e);
            return audited(ctx, CALL, Some(&name), &[], Err(err)).await;
        }
    };
    audit(
        ctx,
        CALL,
        Some(&name),
        &answer.outcome.targets,
        Outcome::Ok,
        None,
    )
    .await?;
    if let Some(scan_id) = answer.outcome.started_scan {
        if let Some(session) = &ctx.session {
            session.addr.do_send(TrackTask { scan_id });
        }
        if as_legacy_task {
            let scan = super::tasks::load_scan(ctx, scan_id).await?;
            return finish(
                ctx,
                CALL,
                &json!({"task": tasks::task_object(&scan, false)}),
            );
        }
        if ctx.version.is_stateless() && ctx.has_tasks_extension() {
            let scan = super::tasks::load_scan(ctx, scan_id).await?;
            let mut task = tasks::task_object(&scan, true);
            if let Some(map) = task.as_object_mut() {
                map.insert("resultType".into(), "task".into());
            }
            return finish(ctx, CALL, &task);
        }
        if ctx.progress_token.is_some() {
            follow_scan(ctx, scan_id).await?;
        }
    }
    let shape = if ctx.version.is_stateless() {
        Shape::Stateless
    } else if ctx.version.has_structured_content() {
        Shape::Structured
    } else {
        Shape::TextOnly
    };
    answer.rendered(shape, |outcome| {
        finish(ctx, CALL, &tool_result(outcome, shape != Shape::TextOnly))
    })
}

/// The `tools/call` result of a tool's answer.
fn tool_result(outcome: &ToolOutcome, structured: bool) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(outcome.text.clone())]);
    // `finish` adds `resultType` where the version has it.
    result.result_type = None;
    if structured && !outcome.structured.is_null() {
        result.structured_content = Some(outcome.structured.clone());
    }
    result
}

/// A tool's answer without MCP framing (the `bench` build's plain endpoint), audited like
/// `tools/call`.
#[cfg(feature = "bench")]
pub async fn plain_call(
    ctx: &RequestContext,
    name: &str,
    arguments: Value,
) -> Result<Arc<surface::Answer>, McpError> {
    let outcome =
        surface::call_tool_cached(&surface_ctx(ctx), &ctx.config.answers, name, arguments)
            .await
            .map_err(McpError::from);
    let targets = outcome
        .as_ref()
        .map(|o| o.outcome.targets.clone())
        .unwrap_or_default();
    audited(ctx, CALL, Some(name), &targets, outcome).await
}

/// Cancels the scan if the request following it is dropped (cancelled) before it ends.
struct CancelOnDrop<'a> {
    ctx: &'a RequestContext,
    scan_id: i64,
    armed: bool,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.ctx.backend.scans.do_send(CancelScan {
                organisation_id: self.ctx.caller.principal.organisation_id,
                tenant_scope: self.ctx.caller.principal.tenant_scope.clone(),
                scan_id: self.scan_id,
            });
        }
    }
}

/// Reports a started scan's progress until it ends; cancelling the request cancels the scan.
async fn follow_scan(ctx: &RequestContext, scan_id: i64) -> Result<(), McpError> {
    let mut guard = CancelOnDrop {
        ctx,
        scan_id,
        armed: true,
    };
    let answer = super::tasks::wait_for_scan(ctx, scan_id).await;
    guard.armed = false;
    answer.map(|_| ())
}
