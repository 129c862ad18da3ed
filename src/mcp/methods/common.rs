//! What every method family shares: the audit row, the surface's context and the one place a
//! result is serialised.

use std::sync::Arc;

use aether365_actors::audit::{AuditEvent, Outcome};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::session::SessionHandle;
use crate::mcp::stateless;
use crate::mcp::surface::SurfaceContext;

/// A result, serialised once: transports frame it and never look inside.
pub type Reply = Arc<RawValue>;

/// The surface's view of a request: who asks, and the backend.
pub fn surface_ctx(ctx: &RequestContext) -> SurfaceContext {
    SurfaceContext {
        principal: ctx.caller.principal.clone(),
        backend: ctx.backend.clone(),
    }
}

/// Writes the audit row of a request and waits until it is committed.
pub async fn audit(
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
    ctx.backend.audit.record(event).await?;
    Ok(())
}

/// Audits `answer` (ok or error) before it is returned.
pub async fn audited<T>(
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

/// Serialises a result (an rmcp type, or a local one beside it), with the fields the
/// stateless era adds to every result.
pub fn finish<T: Serialize>(
    ctx: &RequestContext,
    method: &str,
    result: &T,
) -> Result<Reply, McpError> {
    let serialised = if ctx.version.is_stateless() {
        let value = serde_json::to_value(result)
            .map_err(|e| McpError::failed("serialising a result", e))?;
        serde_json::value::to_raw_value(&stateless::decorate(method, value))
    } else {
        serde_json::value::to_raw_value(result)
    };
    serialised
        .map(Arc::from)
        .map_err(|e| McpError::failed("serialising a result", e))
}

/// Serialises a value into JSON (for results built from typed parts).
pub fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, McpError> {
    serde_json::to_value(value).map_err(|e| McpError::failed("serialising JSON", e))
}

/// The session of a request that needs one (subscriptions).
pub fn session_of(ctx: &RequestContext) -> Result<&SessionHandle, McpError> {
    ctx.session
        .as_ref()
        .ok_or_else(|| McpError::InvalidRequest("subscriptions need a session".into()))
}
