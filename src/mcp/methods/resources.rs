//! `resources/list`, `resources/templates/list` and `resources/read`.

use rmcp::model::ReadResourceRequestParams;
use serde_json::{Value, json};

use super::common::{audited, surface_ctx};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::pagination;
use crate::mcp::surface;

/// `resources/list`.
pub async fn list(ctx: &RequestContext, cursor: Option<&str>) -> Result<Value, McpError> {
    #[allow(unused_mut)]
    let mut resources = surface::resources(&surface_ctx(ctx)).await?;
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        resources.extend(crate::mcp::conformance::resources());
    }
    pagination::page(resources, cursor, "resources")
}

/// `resources/templates/list`.
pub fn templates(ctx: &RequestContext, cursor: Option<&str>) -> Result<Value, McpError> {
    #[allow(unused_mut)]
    let mut templates = surface::resource_templates();
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        templates.extend(crate::mcp::conformance::resource_templates());
    }
    #[cfg(not(feature = "conformance"))]
    let _ = ctx;
    pagination::page(templates, cursor, "resourceTemplates")
}

/// The contents of a resource, unaudited (`resources/subscribe` checks it exists).
pub async fn contents(ctx: &RequestContext, uri: &str) -> Result<Vec<Value>, McpError> {
    #[cfg(feature = "conformance")]
    if let Some(contents) = crate::mcp::conformance::read_resource(ctx, uri) {
        return Ok(contents);
    }
    surface::read_resource(&surface_ctx(ctx), uri)
        .await
        .map_err(McpError::from)
}

/// `resources/read`.
pub async fn read(
    ctx: &RequestContext,
    method: &str,
    params: ReadResourceRequestParams,
) -> Result<Value, McpError> {
    let uri = params.uri;
    let answer = contents(ctx, &uri).await;
    let contents = audited(ctx, method, None, &[uri], answer).await?;
    Ok(json!({"contents": contents}))
}
