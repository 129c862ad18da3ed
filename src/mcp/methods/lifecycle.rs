//! `initialize`, `ping` and `server/discover`: who the server is and what it can do.

use rmcp::model::{
    CacheScope, DiscoverResult, EmptyResult, Implementation, JsonObject, PromptsCapability,
    ResourcesCapability, ServerCapabilities, ToolsCapability,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::request::str_param;
use crate::mcp::version::ProtocolVersion;

/// The server's name and version, as sent in `serverInfo`.
pub fn server_info() -> Implementation {
    Implementation::new("aether365", env!("CARGO_PKG_VERSION")).with_title("aether365")
}

const INSTRUCTIONS: &str = "aether365 reads the Microsoft 365 security posture of the tenants \
this token may see: findings, scores, scans and reports. It is read-only: it can start a scan but \
never change a tenant or apply a fix.";

/// How long `server/discover` may be cached, in milliseconds.
const DISCOVER_TTL_MS: u64 = 300_000;

/// The server capabilities in `version`, as rmcp models them.
fn server_capabilities(version: ProtocolVersion) -> ServerCapabilities {
    let mut tools = ToolsCapability::default();
    tools.list_changed = Some(false);
    let mut resources = ResourcesCapability::default();
    resources.subscribe = Some(!version.is_stateless());
    resources.list_changed = Some(false);
    let mut prompts = PromptsCapability::default();
    prompts.list_changed = Some(false);
    let mut caps = ServerCapabilities::default();
    caps.tools = Some(tools);
    caps.resources = Some(resources);
    caps.prompts = Some(prompts);
    caps.completions = Some(JsonObject::new());
    if version.is_stateless() {
        caps.extensions = Some(
            [(
                "io.modelcontextprotocol/tasks".to_string(),
                JsonObject::new(),
            )]
            .into_iter()
            .collect(),
        );
    } else {
        caps.logging = Some(JsonObject::new());
    }
    caps
}

/// The `tasks` capability of 2025-11-25's experimental tasks. Local: rmcp models the tasks
/// extension of 2026-07-28 only.
#[derive(Clone, Debug, Serialize)]
pub struct LegacyTasksCapability {
    list: JsonObject,
    cancel: JsonObject,
    requests: Value,
}

/// The capabilities of a handshake-era `initialize`: rmcp's, and the legacy `tasks` beside them.
#[derive(Clone, Debug, Serialize)]
pub struct Capabilities {
    #[serde(flatten)]
    pub server: ServerCapabilities,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<LegacyTasksCapability>,
}

/// The server capabilities in `version`.
pub fn capabilities(version: ProtocolVersion) -> Capabilities {
    Capabilities {
        server: server_capabilities(version),
        tasks: version.has_legacy_tasks().then(|| LegacyTasksCapability {
            list: JsonObject::new(),
            cancel: JsonObject::new(),
            requests: serde_json::json!({"tools": {"call": {}}}),
        }),
    }
}

/// The `initialize` result. Local: rmcp's `InitializeResult` has no room for the legacy
/// `tasks` capability.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    pub protocol_version: &'static str,
    pub capabilities: Capabilities,
    pub server_info: Implementation,
    pub instructions: &'static str,
}

/// What `initialize` agreed: the version, the client's capabilities, and the result to send.
pub struct Initialized {
    pub version: ProtocolVersion,
    pub client_capabilities: Value,
    pub result: InitializeResult,
}

/// `initialize`, for every handshake transport (Streamable HTTP and legacy HTTP+SSE): the one
/// place that negotiates a version.
pub fn initialize(params: &Map<String, Value>) -> Result<Initialized, McpError> {
    let requested = str_param(params, "protocolVersion")?;
    let client_capabilities = match params.get("capabilities") {
        Some(caps @ Value::Object(_)) => caps.clone(),
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(_) => {
            return Err(McpError::InvalidParams(
                "\"capabilities\" must be an object".into(),
            ));
        }
    };
    let version = ProtocolVersion::negotiate(requested);
    Ok(Initialized {
        version,
        client_capabilities,
        result: InitializeResult {
            protocol_version: version.as_str(),
            capabilities: capabilities(version),
            server_info: server_info(),
            instructions: INSTRUCTIONS,
        },
    })
}

/// `ping`.
pub fn ping() -> EmptyResult {
    EmptyResult {}
}

/// `server/discover` (stateless era): cacheable by anyone for five minutes.
pub fn discover(ctx: &RequestContext) -> Result<DiscoverResult, McpError> {
    let versions = serde_json::to_value(ProtocolVersion::supported())
        .and_then(serde_json::from_value)
        .map_err(|e| McpError::failed("listing protocol versions", e))?;
    let mut result = DiscoverResult::new(versions, server_capabilities(ctx.version));
    result.instructions = Some(INSTRUCTIONS.to_string());
    result.ttl_ms = DISCOVER_TTL_MS;
    result.cache_scope = CacheScope::Public;
    Ok(result)
}
