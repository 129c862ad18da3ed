//! `logging/setLevel` (handshake era).

#![allow(deprecated)] // rmcp marks logging deprecated (SEP-2577); 2025-11-25 and older still have it.

use aether365_actors::cluster::sessions::SessionChange;
use rmcp::model::{EmptyResult, SetLevelRequestParams};

use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::logging::LogLevel;
use crate::mcp::request;

/// `logging/setLevel`: kept by the session (and stored for the cluster).
pub async fn set_level(
    ctx: &RequestContext,
    params: &SetLevelRequestParams,
) -> Result<EmptyResult, McpError> {
    let level = request::log_level(params)
        .ok_or_else(|| McpError::InvalidParams(format!("use one of {}", LogLevel::names())))?;
    if let Some(session) = &ctx.session {
        session.shared.set_log_level(level);
        session
            .shared
            .persist(SessionChange::LogLevel(level.as_str().to_string()))
            .await;
    }
    Ok(EmptyResult {})
}
