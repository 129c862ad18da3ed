//! The protocol core: one request in, one result (or error) out, for every transport and
//! version. Transports only frame what this returns.

use aether365_actors::audit::{AuditEvent, Outcome, Record};
use aether365_actors::scans::{CancelScan, ScanStatus};
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::context::RequestContext;
use super::error::McpError;
use super::logging::LogLevel;
use super::request::{self, McpRequest};
use super::session::{ListTasks, SessionHandle, SubscribeResource, TrackTask, UnsubscribeResource};
use super::surface::args::value_kind;
use super::surface::{self, Shape, SurfaceContext, SurfaceError, ToolOutcome};
use super::version::ProtocolVersion;
use super::{conformance, pagination, stateless, tasks};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientRequest, ContentBlock};

/// The server's name and version, as sent in `serverInfo`.
pub fn server_info() -> Value {
    json!({"name": "aether365", "title": "aether365", "version": env!("CARGO_PKG_VERSION")})
}

const INSTRUCTIONS: &str = "aether365 reads the Microsoft 365 security posture of the tenants \
this token may see: findings, scores, scans and reports. It is read-only: it can start a scan but \
never change a tenant or apply a fix.";

/// The server capabilities in `version`.
pub fn capabilities(version: ProtocolVersion) -> Value {
    let mut caps = json!({
        "tools": {"listChanged": false},
        "resources": {"subscribe": !version.is_stateless(), "listChanged": false},
        "prompts": {"listChanged": false},
        "completions": {},
    });
    if let Some(map) = caps.as_object_mut() {
        if !version.is_stateless() {
            map.insert("logging".into(), json!({}));
        }
        if version.has_legacy_tasks() {
            map.insert(
                "tasks".into(),
                json!({"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}),
            );
        }
        if version.is_stateless() {
            map.insert(
                "extensions".into(),
                json!({"io.modelcontextprotocol/tasks": {}}),
            );
        }
    }
    caps
}

/// What `initialize` agreed: the version, the client's capabilities, and the result to send.
pub struct Initialized {
    pub version: ProtocolVersion,
    pub client_capabilities: Value,
    pub result: Reply,
}

/// `initialize`, for every handshake transport (Streamable HTTP and legacy HTTP+SSE): the one
/// place that negotiates a version.
pub fn initialize(params: &Map<String, Value>) -> Result<Initialized, McpError> {
    let requested = str_param(params, "protocolVersion")?;
    let client_capabilities = match params.get("capabilities") {
        Some(caps @ Value::Object(_)) => caps.clone(),
        None | Some(Value::Null) => json!({}),
        Some(_) => {
            return Err(McpError::InvalidParams(
                "\"capabilities\" must be an object".into(),
            ));
        }
    };
    let version = ProtocolVersion::negotiate(requested);
    let result = serde_json::value::to_raw_value(&initialize_result(version))
        .map(Arc::from)
        .map_err(|e| McpError::failed("serialising a result", e))?;
    Ok(Initialized {
        version,
        client_capabilities,
        result,
    })
}

/// The `initialize` result for a negotiated version.
fn initialize_result(version: ProtocolVersion) -> Value {
    json!({
        "protocolVersion": version.as_str(),
        "capabilities": capabilities(version),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}

fn surface_ctx(ctx: &RequestContext) -> SurfaceContext {
    SurfaceContext {
        principal: ctx.caller.principal.clone(),
        backend: ctx.backend.clone(),
    }
}

/// A string parameter, required.
pub fn str_param<'a>(params: &'a Map<String, Value>, key: &str) -> Result<&'a str, McpError> {
    match params.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(McpError::InvalidParams(format!(
            "\"{key}\" must be a string, not {}",
            value_kind(other)
        ))),
        None => Err(McpError::InvalidParams(format!("\"{key}\" is required"))),
    }
}

/// Writes the audit row of a request and waits until it is committed.
async fn audit(
    ctx: &RequestContext,
    method: &str,
    tool: Option<&str>,
    targets: &[String],
    outcome: Outcome,
    detail: Option<String>,
) -> Result<(), McpError> {
    let mut event = AuditEvent::for_principal(&ctx.caller.principal, &format!("mcp.{method}"))
        .mcp_method(method)
        .targets(targets.iter())
        .outcome(outcome)
        .client_addr(ctx.caller.client_addr.clone())
        .user_agent(ctx.caller.user_agent.clone());
    if let Some(tool) = tool {
        event = event.tool(tool);
    }
    if let Some(detail) = detail {
        event = event.detail(detail);
    }
    ctx.backend.audit.send(Record(event)).await??;
    Ok(())
}

/// Audits `answer` (ok or error) before it is returned.
async fn audited<T>(
    ctx: &RequestContext,
    method: &str,
    tool: Option<&str>,
    targets: &[String],
    answer: Result<T, McpError>,
) -> Result<T, McpError> {
    let (outcome, detail) = match &answer {
        Ok(_) => (Outcome::Ok, None),
        Err(e) => (Outcome::Error, Some(e.to_string())),
    };
    audit(ctx, method, tool, targets, outcome, detail).await?;
    answer
}

/// A result, serialised once: transports frame it and never look inside.
pub type Reply = Arc<RawValue>;

/// Serialises a result, with the fields the stateless era adds to every result.
fn finish(ctx: &RequestContext, method: &str, result: Value) -> Result<Reply, McpError> {
    let result = if ctx.version.is_stateless() {
        stateless::decorate(method, result)
    } else {
        result
    };
    serde_json::value::to_raw_value(&result)
        .map(Arc::from)
        .map_err(|e| McpError::failed("serialising a result", e))
}

/// Handles one request. `method` is never `initialize` here (sessions answer it).
///
/// The one typed dispatch: the request is decoded into rmcp's `ClientRequest` (or a local type
/// beside it), after the version says whether it has the method at all.
pub async fn handle(
    ctx: &RequestContext,
    method: &str,
    params: Map<String, Value>,
) -> Result<Reply, McpError> {
    if !ctx.version.has_method(method) {
        return Err(McpError::MethodNotFound(format!(
            "{method:?} is not a method of protocol version {}",
            ctx.version
        )));
    }
    let request = request::decode(method, params)?;
    let result = match request {
        McpRequest::Client(request) => match *request {
            ClientRequest::CallToolRequest(r) => return call_tool(ctx, r.params, false).await,
            other => handle_client(ctx, other).await?,
        },
        McpRequest::CallToolAsTask(params) => return call_tool(ctx, *params, true).await,
        McpRequest::ListTasks(params) => {
            let ids = match &ctx.session {
                Some(session) => session.addr.send(ListTasks).await?,
                None => Vec::new(),
            };
            let mut list = Vec::new();
            for id in ids {
                if let Ok(scan) = tasks::load_scan(ctx, id).await {
                    list.push(tasks::task_object(&scan, false));
                }
            }
            pagination::page(list, params.cursor.as_deref(), "tasks")?
        }
        McpRequest::TaskResult(params) => task_method(ctx, method, &params.task_id).await?,
    };
    finish(ctx, method, result)
}

async fn handle_client(ctx: &RequestContext, request: ClientRequest) -> Result<Value, McpError> {
    let method = request.method().to_string();
    let method = method.as_str();
    match request {
        ClientRequest::PingRequest(_) => Ok(json!({})),
        ClientRequest::DiscoverRequest(_) => Ok(json!({
            "supportedVersions": ProtocolVersion::supported(),
            "capabilities": capabilities(ctx.version),
            "instructions": INSTRUCTIONS,
        })),
        ClientRequest::ListToolsRequest(r) => {
            let cursor = r.params.and_then(|p| p.cursor);
            pagination::page(all_tools(ctx)?, cursor.as_deref(), "tools")
        }
        ClientRequest::ListResourcesRequest(r) => {
            let mut resources = surface::resources(&surface_ctx(ctx)).await?;
            if ctx.config.conformance_fixtures {
                resources.extend(conformance::resources());
            }
            let cursor = r.params.and_then(|p| p.cursor);
            pagination::page(resources, cursor.as_deref(), "resources")
        }
        ClientRequest::ListResourceTemplatesRequest(r) => {
            let mut templates = surface::resource_templates();
            if ctx.config.conformance_fixtures {
                templates.extend(conformance::resource_templates());
            }
            let cursor = r.params.and_then(|p| p.cursor);
            pagination::page(templates, cursor.as_deref(), "resourceTemplates")
        }
        ClientRequest::ReadResourceRequest(r) => {
            let uri = r.params.uri;
            let answer = match conformance::read_resource(ctx, &uri) {
                Some(contents) => Ok(contents),
                None => surface::read_resource(&surface_ctx(ctx), &uri)
                    .await
                    .map_err(McpError::from),
            };
            let contents = audited(ctx, method, None, &[uri], answer).await?;
            Ok(json!({"contents": contents}))
        }
        ClientRequest::SubscribeRequest(r) => {
            let uri = r.params.uri;
            let session = session_of(ctx)?;
            let scan_id = scan_id_of_uri(&uri);
            // Only scans can change; anything else must at least exist.
            let check = match scan_id {
                Some(id) => tasks::load_scan(ctx, id)
                    .await
                    .map(|_| ())
                    .map_err(|_| McpError::ResourceNotFound(uri.clone())),
                None => match conformance::read_resource(ctx, &uri) {
                    Some(_) => Ok(()),
                    None => surface::read_resource(&surface_ctx(ctx), &uri)
                        .await
                        .map(|_| ())
                        .map_err(McpError::from),
                },
            };
            let answer = match check {
                Ok(()) => session
                    .addr
                    .send(SubscribeResource {
                        uri: uri.clone(),
                        scan_id,
                    })
                    .await
                    .map_err(McpError::from),
                Err(e) => Err(e),
            };
            audited(ctx, method, None, &[uri], answer).await?;
            Ok(json!({}))
        }
        ClientRequest::UnsubscribeRequest(r) => {
            let uri = r.params.uri;
            let session = session_of(ctx)?;
            let answer = session
                .addr
                .send(UnsubscribeResource { uri: uri.clone() })
                .await
                .map_err(McpError::from);
            audited(ctx, method, None, &[uri], answer).await?;
            Ok(json!({}))
        }
        ClientRequest::ListPromptsRequest(r) => {
            let mut prompts = surface::prompts();
            if ctx.config.conformance_fixtures {
                prompts.extend(conformance::prompts());
            }
            let cursor = r.params.and_then(|p| p.cursor);
            pagination::page(prompts, cursor.as_deref(), "prompts")
        }
        ClientRequest::GetPromptRequest(r) => {
            let name = r.params.name;
            let arguments = r.params.arguments.unwrap_or_default();
            let answer = match conformance::get_prompt(ctx, &name, &arguments) {
                Some(answer) => answer,
                None => surface::get_prompt(&surface_ctx(ctx), &name, &arguments)
                    .await
                    .map_err(|e| match e {
                        SurfaceError::NotFound(what) | SurfaceError::UnknownTool(what) => {
                            McpError::InvalidParams(format!("unknown prompt {what:?}"))
                        }
                        other => McpError::from(other),
                    }),
            };
            audited(ctx, method, None, &[format!("prompt:{name}")], answer).await
        }
        ClientRequest::CompleteRequest(r) => {
            let reference = serde_json::to_value(&r.params.r#ref)
                .map_err(|e| McpError::failed("serialising JSON", e))?;
            let (name, value) = (&r.params.argument.name, &r.params.argument.value);
            let mut values = match conformance::complete(ctx, &reference, name, value) {
                Some(values) => values,
                None => surface::complete(&surface_ctx(ctx), &reference, name, value).await?,
            };
            let total = values.len();
            values.truncate(100);
            Ok(json!({"completion": {"values": values, "total": total, "hasMore": total > 100}}))
        }
        ClientRequest::SetLevelRequest(r) => {
            let level = request::log_level(&r.params).ok_or_else(|| {
                McpError::InvalidParams(format!("use one of {}", LogLevel::names()))
            })?;
            if let Some(session) = &ctx.session {
                session.shared.set_log_level(level);
                let change = aether365_actors::cluster::sessions::SessionChange::LogLevel(
                    level.as_str().to_string(),
                );
                session.shared.persist(change).await;
            }
            Ok(json!({}))
        }
        ClientRequest::GetTaskRequest(r) => task_method(ctx, method, &r.params.task_id).await,
        ClientRequest::CancelTaskRequest(r) => task_method(ctx, method, &r.params.task_id).await,
        ClientRequest::UpdateTaskRequest(r) => task_method(ctx, method, &r.params.task_id).await,
        _ => Err(McpError::MethodNotFound(format!(
            "{method:?} is not a method of protocol version {}",
            ctx.version
        ))),
    }
}

fn session_of(ctx: &RequestContext) -> Result<&SessionHandle, McpError> {
    ctx.session
        .as_ref()
        .ok_or_else(|| McpError::InvalidRequest("subscriptions need a session".into()))
}

/// The scan id a resource URI names, for `aether365://scans/{id}`.
pub fn scan_id_of_uri(uri: &str) -> Option<i64> {
    uri.strip_prefix("aether365://scans/")?.parse().ok()
}

/// Tools in the shape of `ctx.version`.
fn all_tools(ctx: &RequestContext) -> Result<Vec<Value>, McpError> {
    let mut tools = Vec::new();
    for mut listed in surface::tools() {
        if !ctx.version.has_structured_content() {
            listed.tool.output_schema = None;
            listed.tool.title = None;
        }
        if !ctx.version.has_legacy_tasks() {
            listed.execution = None;
        }
        tools.push(
            serde_json::to_value(&listed).map_err(|e| McpError::failed("serialising JSON", e))?,
        );
    }
    if ctx.config.conformance_fixtures {
        tools.extend(conformance::tools());
    }
    Ok(tools)
}

/// An `isError` tool result carrying `message`.
fn tool_error_result(message: &str) -> Result<Value, McpError> {
    let mut result = CallToolResult::error(vec![ContentBlock::text(message)]);
    result.result_type = None;
    serde_json::to_value(&result).map_err(|e| McpError::failed("serialising JSON", e))
}

/// `tools/call`: a cached answer is framed from its bytes, with the one awaited round trip of
/// the audit row.
async fn call_tool(
    ctx: &RequestContext,
    params: CallToolRequestParams,
    as_task: bool,
) -> Result<Reply, McpError> {
    let method = "tools/call";
    let name = params.name.into_owned();
    let arguments = Value::Object(params.arguments.unwrap_or_default());
    if let Some(answer) = conformance::call_tool(ctx, &name, &arguments).await {
        let result = audited(ctx, method, Some(&name), &[], answer).await?;
        return finish(ctx, method, result);
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
            return audited(ctx, method, Some(&name), &[], Err(err)).await;
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
                method,
                Some(&name),
                &[],
                Outcome::Error,
                Some(text.clone()),
            )
            .await?;
            return finish(ctx, method, tool_error_result(&text)?);
        }
        Err(e @ (SurfaceError::Internal(_) | SurfaceError::Query(_) | SurfaceError::Failed(_))) => {
            let err = McpError::from(e);
            return audited(ctx, method, Some(&name), &[], Err(err)).await;
        }
    };
    audit(
        ctx,
        method,
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
            let scan = tasks::load_scan(ctx, scan_id).await?;
            return finish(
                ctx,
                method,
                json!({"task": tasks::task_object(&scan, false)}),
            );
        }
        if ctx.version.is_stateless() && ctx.has_tasks_extension() {
            let scan = tasks::load_scan(ctx, scan_id).await?;
            let mut task = tasks::task_object(&scan, true);
            if let Some(map) = task.as_object_mut() {
                map.insert("resultType".into(), "task".into());
            }
            return finish(ctx, method, task);
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
        finish(ctx, method, tool_result(outcome, shape != Shape::TextOnly)?)
    })
}

/// The `tools/call` result of a tool's answer.
fn tool_result(outcome: &ToolOutcome, structured: bool) -> Result<Value, McpError> {
    let mut result = CallToolResult::success(vec![ContentBlock::text(outcome.text.clone())]);
    // `finish` adds `resultType` where the version has it.
    result.result_type = None;
    if structured && !outcome.structured.is_null() {
        result.structured_content = Some(outcome.structured.clone());
    }
    serde_json::to_value(&result).map_err(|e| McpError::failed("serialising JSON", e))
}

/// A tool's answer without MCP framing (the `bench` build's plain endpoint), audited like
/// `tools/call`.
#[cfg(feature = "bench")]
pub async fn plain_tool_call(
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
    audited(ctx, "tools/call", Some(name), &targets, outcome).await
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
    let answer = tasks::wait_for_scan(ctx, scan_id).await;
    guard.armed = false;
    answer.map(|_| ())
}

async fn task_method(ctx: &RequestContext, method: &str, task_id: &str) -> Result<Value, McpError> {
    let task_id = task_id.to_string();
    let scan_id = tasks::parse_task_id(&task_id)?;
    let modern = ctx.version.is_stateless();
    let targets = [format!("scan:{scan_id}")];
    let answer = async {
        match method {
            "tasks/get" => {
                let scan = tasks::load_scan(ctx, scan_id).await?;
                let mut task = tasks::task_object(&scan, modern);
                if modern
                    && scan.status.is_final()
                    && let Some(map) = task.as_object_mut()
                {
                    let result = tasks::scan_tool_result(&scan, true);
                    if scan.status == ScanStatus::Failed {
                        map.insert(
                            "error".into(),
                            json!({"code": -32603, "message": scan.error.clone().unwrap_or_default()}),
                        );
                    } else {
                        map.insert("result".into(), result);
                    }
                }
                Ok(task)
            }
            "tasks/result" if !modern => {
                let scan = tasks::wait_for_scan(ctx, scan_id).await?;
                let mut result = tasks::scan_tool_result(&scan, true);
                if let Some(map) = result.as_object_mut() {
                    map.insert(
                        "_meta".into(),
                        json!({"io.modelcontextprotocol/related-task": {"taskId": task_id}}),
                    );
                }
                Ok(result)
            }
            "tasks/cancel" => {
                let principal = &ctx.caller.principal;
                ctx.backend
                    .scans
                    .send(CancelScan {
                        organisation_id: principal.organisation_id,
                        tenant_scope: principal.tenant_scope.clone(),
                        scan_id,
                    })
                    .await?
                    .map_err(|_| McpError::InvalidParams(format!("unknown task {task_id:?}")))?;
                if modern {
                    Ok(json!({}))
                } else {
                    let scan = tasks::load_scan(ctx, scan_id).await?;
                    Ok(tasks::task_object(&scan, false))
                }
            }
            "tasks/update" if modern => {
                tasks::load_scan(ctx, scan_id).await?;
                Ok(json!({}))
            }
            _ => Err(McpError::MethodNotFound(format!(
                "{method:?} is not a method of protocol version {}",
                ctx.version
            ))),
        }
    }
    .await;
    audited(ctx, method, None, &targets, answer).await
}
