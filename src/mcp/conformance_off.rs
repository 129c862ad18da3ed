//! Without the `conformance` cargo feature (release builds): no fixture tools, resources or
//! prompts, and nothing consulted per call. `serve --conformance-fixtures` is refused at
//! start-up (see `http::Application::build`).

use serde_json::{Map, Value};

use super::context::RequestContext;
use super::error::McpError;

/// No fixture tools.
pub fn tools() -> Vec<Value> {
    Vec::new()
}

/// No fixture resources.
pub fn resources() -> Vec<Value> {
    Vec::new()
}

/// No fixture resource templates.
pub fn resource_templates() -> Vec<Value> {
    Vec::new()
}

/// No fixture prompts.
pub fn prompts() -> Vec<Value> {
    Vec::new()
}

/// Never a fixture tool.
#[inline(always)]
pub async fn call_tool(
    _ctx: &RequestContext,
    _name: &str,
    _arguments: &Value,
) -> Option<Result<Value, McpError>> {
    None
}

/// Never a fixture resource.
#[inline(always)]
pub fn read_resource(_ctx: &RequestContext, _uri: &str) -> Option<Vec<Value>> {
    None
}

/// Never a fixture prompt.
#[inline(always)]
pub fn get_prompt(
    _ctx: &RequestContext,
    _name: &str,
    _arguments: &Map<String, Value>,
) -> Option<Result<Value, McpError>> {
    None
}

/// Never a fixture completion.
#[inline(always)]
pub fn complete(
    _ctx: &RequestContext,
    _reference: &Value,
    _argument: &str,
    _value: &str,
) -> Option<Vec<String>> {
    None
}
