//! `completion/complete`.

use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo};
use serde_json::Value;

use super::common::{surface_ctx, to_json};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::surface;

/// `completion/complete`: at most [`CompletionInfo::MAX_VALUES`] values, with how many there
/// were.
pub async fn complete(
    ctx: &RequestContext,
    params: CompleteRequestParams,
) -> Result<CompleteResult, McpError> {
    let reference = to_json(&params.r#ref)?;
    let (name, value) = (&params.argument.name, &params.argument.value);
    let mut values = match fixture_values(ctx, &reference, name, value) {
        Some(values) => values,
        None => surface::complete(&surface_ctx(ctx), &reference, name, value).await?,
    };
    let total = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    let mut completion = CompletionInfo::default();
    completion.values = values;
    completion.total = Some(u32::try_from(total).unwrap_or(u32::MAX));
    completion.has_more = Some(total > CompletionInfo::MAX_VALUES);
    let mut result = CompleteResult::new(completion);
    // `finish` adds `resultType` where the version has it.
    result.result_type = None;
    Ok(result)
}

#[cfg(feature = "conformance")]
fn fixture_values(
    ctx: &RequestContext,
    reference: &Value,
    name: &str,
    value: &str,
) -> Option<Vec<String>> {
    crate::mcp::conformance::complete(ctx, reference, name, value)
}

#[cfg(not(feature = "conformance"))]
fn fixture_values(_: &RequestContext, _: &Value, _: &str, _: &str) -> Option<Vec<String>> {
    None
}
