//! The MCP methods, one file per family (as mini-redis has one file per command), and the
//! router that sends a typed request to its family. [`crate::mcp::server`] owns what comes
//! before (lifecycle, context, cancellation) and around (metrics).

mod common;
pub mod completion;
pub mod lifecycle;
pub mod logging;
pub mod prompts;
pub mod resources;
pub mod subscriptions;
pub mod tasks;
pub mod tools;

#[cfg(feature = "bench")]
pub use tools::plain_call;

pub use common::Reply;

use rmcp::model::ClientRequest;
use serde_json::{Map, Value};

use super::context::RequestContext;
use super::error::McpError;
use super::request::{self, McpRequest};
use common::finish;

/// Handles one request. `method` is never `initialize` here (the server answers it).
///
/// The one typed dispatch: the request is decoded into rmcp's `ClientRequest` (or a local type
/// beside it), after the version says whether it has the method at all.
pub async fn handle(
    ctx: &RequestContext,
    method: &str,
    params: Map<String, Value>,
) -> Result<Reply, McpError> {
    if !ctx.version.has_method(method) {
        return Err(not_in_version(ctx, method));
    }
    match request::decode(method, params)? {
        McpRequest::Client(request) => route(ctx, method, *request).await,
        McpRequest::CallToolAsTask(params) => tools::call(ctx, *params, true).await,
        McpRequest::CallTool(params) => tools::call(ctx, *params, false).await,
        McpRequest::ListTasks(params) => finish(ctx, method, &tasks::list(ctx, &params).await?),
        McpRequest::TaskResult(params) => finish(
            ctx,
            method,
            &tasks::method(ctx, method, &params.task_id).await?,
        ),
    }
}

fn not_in_version(ctx: &RequestContext, method: &str) -> McpError {
    McpError::MethodNotFound(format!(
        "{method:?} is not a method of protocol version {}",
        ctx.version
    ))
}

#[allow(deprecated)] // rmcp marks logging deprecated (SEP-2577); 2025-11-25 and older have it.
async fn route(
    ctx: &RequestContext,
    method: &str,
    request: ClientRequest,
) -> Result<Reply, McpError> {
    let cursor =
        |params: Option<rmcp::model::PaginatedRequestParams>| params.and_then(|p| p.cursor);
    match request {
        ClientRequest::CallToolRequest(r) => tools::call(ctx, r.params, false).await,
        ClientRequest::PingRequest(_) => finish(ctx, method, &lifecycle::ping()),
        ClientRequest::DiscoverRequest(_) => finish(ctx, method, &lifecycle::discover(ctx)?),
        ClientRequest::ListToolsRequest(r) => {
            finish(ctx, method, &tools::list(ctx, cursor(r.params).as_deref())?)
        }
        ClientRequest::ListResourcesRequest(r) => finish(
            ctx,
            method,
            &resources::list(ctx, cursor(r.params).as_deref()).await?,
        ),
        ClientRequest::ListResourceTemplatesRequest(r) => finish(
            ctx,
            method,
            &resources::templates(ctx, cursor(r.params).as_deref())?,
        ),
        ClientRequest::ReadResourceRequest(r) => {
            finish(ctx, method, &resources::read(ctx, method, r.params).await?)
        }
        ClientRequest::SubscribeRequest(r) => finish(
            ctx,
            method,
            &subscriptions::subscribe(ctx, method, r.params).await?,
        ),
        ClientRequest::UnsubscribeRequest(r) => finish(
            ctx,
            method,
            &subscriptions::unsubscribe(ctx, method, r.params).await?,
        ),
        ClientRequest::ListPromptsRequest(r) => finish(
            ctx,
            method,
            &prompts::list(ctx, cursor(r.params).as_deref())?,
        ),
        ClientRequest::GetPromptRequest(r) => {
            finish(ctx, method, &prompts::get(ctx, method, r.params).await?)
        }
        ClientRequest::CompleteRequest(r) => {
            finish(ctx, method, &completion::complete(ctx, r.params).await?)
        }
        ClientRequest::SetLevelRequest(r) => {
            finish(ctx, method, &logging::set_level(ctx, &r.params).await?)
        }
        ClientRequest::GetTaskRequest(r) => finish(
            ctx,
            method,
            &tasks::method(ctx, method, &r.params.task_id).await?,
        ),
        ClientRequest::CancelTaskRequest(r) => finish(
            ctx,
            method,
            &tasks::method(ctx, method, &r.params.task_id).await?,
        ),
        ClientRequest::UpdateTaskRequest(r) => finish(
            ctx,
            method,
            &tasks::method(ctx, method, &r.params.task_id).await?,
        ),
        _ => Err(not_in_version(ctx, method)),
    }
}
