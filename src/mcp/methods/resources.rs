//! `resources/list`, `resources/templates/list` and `resources/read`.

use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceRequestParams,
    ReadResourceResult, ResourceContents,
};

use super::common::{audited, surface_ctx};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::pagination::{self, paginated};
use crate::mcp::surface;

/// `resources/list`.
pub async fn list(
    ctx: &RequestContext,
    cursor: Option<&str>,
) -> Result<ListResourcesResult, McpError> {
    let mut resources = surface::resources(&surface_ctx(ctx)).await?;
    if surface::apps::client_supports(&ctx.client_capabilities) {
        resources.extend(surface::apps::resources());
    }
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        resources.extend(crate::mcp::conformance::resources());
    }
    Ok(paginated!(
        ListResourcesResult,
        pagination::page(resources, cursor)?
    ))
}

/// `resources/templates/list`.
pub fn templates(
    ctx: &RequestContext,
    cursor: Option<&str>,
) -> Result<ListResourceTemplatesResult, McpError> {
    #[allow(unused_mut)]
    let mut templates = surface::resource_templates();
    #[cfg(feature = "conformance")]
    if ctx.config.conformance_fixtures {
        templates.extend(crate::mcp::conformance::resource_templates());
    }
    #[cfg(not(feature = "conformance"))]
    let _ = ctx;
    Ok(paginated!(
        ListResourceTemplatesResult,
        pagination::page(templates, cursor)?
    ))
}

/// The contents of a resource, unaudited (`resources/subscribe` checks it exists).
pub async fn contents(ctx: &RequestContext, uri: &str) -> Result<Vec<ResourceContents>, McpError> {
    #[cfg(feature = "conformance")]
    if let Some(contents) = crate::mcp::conformance::read_resource(ctx, uri) {
        return Ok(contents);
    }
    if surface::apps::client_supports(&ctx.client_capabilities)
        && let Some(contents) = surface::apps::read(uri)
    {
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
) -> Result<ReadResourceResult, McpError> {
    let uri = params.uri;
    let answer = contents(ctx, &uri).await;
    let contents = audited(ctx, method, None, &[uri], answer).await?;
    let mut result = ReadResourceResult::new(contents);
    // The stateless era's fields are added where every result gets them (`finish`).
    result.result_type = None;
    Ok(result)
}
