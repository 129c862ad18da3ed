//! `prompts/list` and `prompts/get`.

use rmcp::model::{GetPromptRequestParams, GetPromptResult, ListPromptsResult};
use serde_json::Value;

use super::common::{audited, surface_ctx};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::pagination::{self, paginated};
use crate::mcp::surface::{self, SurfaceError};

/// `prompts/list`.
pub fn list(ctx: &RequestContext, cursor: Option<&str>) -> Result<ListPromptsResult, McpError> {
    #[allow(unused_mut)]
    let mut prompts = surface::prompts();
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        prompts.extend(crate::mcp::conformance::prompts());
    }
    #[cfg(not(feature = "conformance"))]
    let _ = ctx;
    Ok(paginated!(
        ListPromptsResult,
        pagination::page(prompts, cursor)?
    ))
}

/// `prompts/get`.
pub async fn get(
    ctx: &RequestContext,
    method: &str,
    params: GetPromptRequestParams,
) -> Result<GetPromptResult, McpError> {
    let name = params.name;
    let arguments = params.arguments.unwrap_or_default();
    let answer = fetch(ctx, &name, &arguments).await;
    audited(ctx, method, None, &[format!("prompt:{name}")], answer).await
}

async fn fetch(
    ctx: &RequestContext,
    name: &str,
    arguments: &serde_json::Map<String, Value>,
) -> Result<GetPromptResult, McpError> {
    #[cfg(feature = "conformance")]
    if let Some(answer) = crate::mcp::conformance::get_prompt(ctx, name, arguments) {
        return answer;
    }
    surface::get_prompt(&surface_ctx(ctx), name, arguments)
        .await
        .map_err(|e| match e {
            SurfaceError::NotFound(what) | SurfaceError::UnknownTool(what) => {
                McpError::InvalidParams(format!("unknown prompt {what:?}"))
            }
            other => McpError::from(other),
        })
}
