//! The MCP surface: tools, resources, prompts and completions over the query layer.
//!
//! Read-only by construction: nothing here can change a tenant, apply a fix or attach
//! AI Pilot. `start_scan` is the only tool that does something, and it only starts a
//! read-only scan marked as coming from MCP.

mod answers;
pub mod apps;
pub(crate) mod args;
mod completion;
mod framework_report;
mod prompts;
mod render;
mod report;
pub mod resources;
mod tools;
pub mod untrusted;

use std::sync::Arc;

use actix::{Handler, Message};
use aether365_actors::query::{QueryError, QueryExecutor};
use aether365_actors::{Backend, Principal};
use serde_json::Value;

/// Who asks, and the backend to ask.
#[derive(Clone)]
pub struct SurfaceContext {
    pub principal: Principal,
    pub backend: Backend,
}

/// The result of a tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutcome {
    /// Readable rendering (Markdown-ish), sent as the `text` content.
    pub text: String,
    /// Matches the tool's `outputSchema`; sent as `structuredContent`.
    pub structured: Value,
    /// Ids the call named or returned (for the audit row), such as `tenant:3`, `scan:12`.
    pub targets: Vec<String>,
    /// Set by `start_scan`: the scan whose progress the core may report.
    pub started_scan: Option<i64>,
}

/// Errors of the surface; the MCP core maps them to JSON-RPC.
#[derive(Debug, thiserror::Error)]
pub enum SurfaceError {
    #[error("Unknown tool: {0}")]
    UnknownTool(String),
    #[error("{0}")]
    InvalidArguments(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A quota is used up (concurrent scans); the text names it and when to retry.
    #[error("{0}")]
    OverQuota(String),
    /// The query layer failed (database, unreadable rows); the cause is kept for the log.
    #[error("internal error: query")]
    Query(#[source] QueryError),
    /// Another part failed (an actor unreachable, serialisation); the cause is kept for the log.
    #[error("internal error: {0}")]
    Failed(#[source] crate::errors::Failure),
}

impl SurfaceError {
    /// Whether this is a server-side failure, answered as a JSON-RPC internal error.
    pub fn is_internal(&self) -> bool {
        matches!(self, SurfaceError::Query(_) | SurfaceError::Failed(_))
    }

    /// A failure of another part, its error kept as the source.
    pub fn failed(
        context: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> SurfaceError {
        SurfaceError::Failed(crate::errors::Failure::new(context, source))
    }
}

impl From<aether365_engine::ParseEnumError> for SurfaceError {
    fn from(err: aether365_engine::ParseEnumError) -> Self {
        SurfaceError::InvalidArguments(err.to_string())
    }
}

impl From<QueryError> for SurfaceError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::NotFound(what) => SurfaceError::NotFound(what),
            QueryError::InvalidArgument(msg) => SurfaceError::InvalidArguments(msg),
            other => SurfaceError::Query(other),
        }
    }
}

impl SurfaceContext {
    /// Sends a query message to the executor and unwraps both layers of errors.
    pub(crate) async fn ask<M, T>(&self, msg: M) -> Result<T, SurfaceError>
    where
        M: Message<Result = Result<T, QueryError>> + Send + 'static,
        T: Send + 'static,
        QueryExecutor: Handler<M>,
    {
        let answer = self
            .backend
            .queries
            .send(msg)
            .await
            .map_err(|e| SurfaceError::failed("query executor unavailable", e))?;
        Ok(answer?)
    }
}

pub use tools::{ListedTool, ToolExecution};

/// Every tool, as complete MCP Tool objects.
pub fn tools() -> Vec<ListedTool> {
    tools::definitions()
}

/// Every tool, each with a view declaring it in `_meta` (for clients with MCP Apps).
pub fn tools_with_views() -> Vec<ListedTool> {
    tools::TOOLS
        .iter()
        .map(|t| {
            let mut listed = t.listed();
            if let Some(view) = t.view {
                listed.tool.meta = Some(rmcp::model::MetaObject(apps::tool_meta(view)));
            }
            listed
        })
        .collect()
}

/// The static name of tool `name`, if there is such a tool (metrics count by it).
pub fn tool_name(name: &str) -> Option<&'static str> {
    tools::find(name).map(|t| t.name)
}

/// Whether tool `name` may run as a task.
pub fn supports_tasks(name: &str) -> bool {
    tools::find(name).is_some_and(|t| t.task_support)
}

/// Calls tool `name` with `arguments` for the caller in `ctx`.
pub async fn call_tool(
    ctx: &SurfaceContext,
    name: &str,
    arguments: Value,
) -> Result<ToolOutcome, SurfaceError> {
    tools::call(ctx, name, arguments).await
}

pub use answers::{Answer, AnswerCache, Shape};

/// Calls tool `name`, answering from `cache` when the same caller scope asked the same
/// question since the latest scans last changed (see [`AnswerCache`]).
pub async fn call_tool_cached(
    ctx: &SurfaceContext,
    cache: &AnswerCache,
    name: &str,
    arguments: Value,
) -> Result<Arc<Answer>, SurfaceError> {
    let scans = &ctx.backend.scan_cache;
    let ttl = scans.latest_ttl();
    let slot = (!ttl.is_zero())
        .then(|| AnswerCache::slot(&ctx.principal, name, &arguments, scans.epoch()))
        .flatten();
    let compute = || async { tools::call(ctx, name, arguments).await.map(Answer::new) };
    match slot {
        Some(slot) => cache.get_or_compute(slot, ttl, compute).await,
        None => compute().await.map(Arc::new),
    }
}

/// The concrete resources visible to the caller.
pub async fn resources(ctx: &SurfaceContext) -> Result<Vec<rmcp::model::Resource>, SurfaceError> {
    resources::list(ctx).await
}

/// The resource templates.
pub fn resource_templates() -> Vec<rmcp::model::ResourceTemplate> {
    resources::templates()
}

/// Reads a resource: its contents.
pub async fn read_resource(
    ctx: &SurfaceContext,
    uri: &str,
) -> Result<Vec<rmcp::model::ResourceContents>, SurfaceError> {
    resources::read(ctx, uri).await
}

/// Every prompt.
pub fn prompts() -> Vec<rmcp::model::Prompt> {
    prompts::list()
}

/// A prompt's description and messages for the given arguments.
pub async fn get_prompt(
    ctx: &SurfaceContext,
    name: &str,
    arguments: &serde_json::Map<String, Value>,
) -> Result<rmcp::model::GetPromptResult, SurfaceError> {
    prompts::get(ctx, name, arguments).await
}

/// Completion values for `argument_name` of the prompt or resource template `reference`.
pub async fn complete(
    ctx: &SurfaceContext,
    reference: &Value,
    argument_name: &str,
    value: &str,
) -> Result<Vec<String>, SurfaceError> {
    completion::complete(ctx, reference, argument_name, value).await
}
