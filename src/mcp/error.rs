//! Protocol errors and the one place that maps them to JSON-RPC error objects.

use serde_json::{Value, json};

use super::version::ProtocolVersion;

/// JSON-RPC and MCP error codes.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Resource not found, up to 2025-11-25 (later: -32602).
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
    pub const HEADER_MISMATCH: i64 = -32020;
    pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
}

/// An error answered to a JSON-RPC request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum McpError {
    #[error("Parse error: {0}")]
    Parse(String),
    #[error("Invalid request: {0}")]
    InvalidRequest(String),
    #[error("Method not found: {0}")]
    MethodNotFound(String),
    #[error("Invalid params: {0}")]
    InvalidParams(String),
    #[error("Unknown tool: {0}")]
    UnknownTool(String),
    #[error("Resource not found: {0}")]
    ResourceNotFound(String),
    #[error("Header mismatch: {0}")]
    HeaderMismatch(String),
    #[error("Missing required client capability")]
    MissingCapability(Value),
    #[error("Unsupported protocol version")]
    UnsupportedVersion { requested: String },
    /// Details are logged, never sent.
    #[error("Internal error")]
    Internal(String),
}

impl McpError {
    /// The JSON-RPC code in `version` (resource not found changed in 2026-07-28).
    pub fn code(&self, version: ProtocolVersion) -> i64 {
        match self {
            McpError::Parse(_) => code::PARSE_ERROR,
            McpError::InvalidRequest(_) => code::INVALID_REQUEST,
            McpError::MethodNotFound(_) => code::METHOD_NOT_FOUND,
            McpError::InvalidParams(_) | McpError::UnknownTool(_) => code::INVALID_PARAMS,
            McpError::ResourceNotFound(_) if version.is_stateless() => code::INVALID_PARAMS,
            McpError::ResourceNotFound(_) => code::RESOURCE_NOT_FOUND,
            McpError::HeaderMismatch(_) => code::HEADER_MISMATCH,
            McpError::MissingCapability(_) => code::MISSING_CLIENT_CAPABILITY,
            McpError::UnsupportedVersion { .. } => code::UNSUPPORTED_PROTOCOL_VERSION,
            McpError::Internal(_) => code::INTERNAL_ERROR,
        }
    }

    /// The JSON-RPC `error` object.
    pub fn to_error_object(&self, version: ProtocolVersion) -> Value {
        let mut obj = json!({"code": self.code(version), "message": self.to_string()});
        let data = match self {
            McpError::ResourceNotFound(uri) => Some(json!({"uri": uri})),
            McpError::MissingCapability(caps) => Some(json!({"requiredCapabilities": caps})),
            McpError::UnsupportedVersion { requested } => Some(json!({
                "supported": ProtocolVersion::supported(),
                "requested": requested,
            })),
            McpError::Internal(details) => {
                tracing::error!("internal error answered as -32603: {details}");
                None
            }
            _ => None,
        };
        if let (Some(data), Some(map)) = (data, obj.as_object_mut()) {
            map.insert("data".into(), data);
        }
        obj
    }
}

impl From<super::surface::SurfaceError> for McpError {
    fn from(err: super::surface::SurfaceError) -> Self {
        use super::surface::SurfaceError;
        match err {
            SurfaceError::UnknownTool(name) => McpError::UnknownTool(name),
            SurfaceError::InvalidArguments(msg) | SurfaceError::OverQuota(msg) => {
                McpError::InvalidParams(msg)
            }
            SurfaceError::NotFound(what) => McpError::ResourceNotFound(what),
            SurfaceError::Internal(details) => McpError::Internal(details),
        }
    }
}

impl From<aether365_actors::audit::AuditError> for McpError {
    fn from(err: aether365_actors::audit::AuditError) -> Self {
        McpError::Internal(format!("audit: {err}"))
    }
}

impl From<actix::MailboxError> for McpError {
    fn from(err: actix::MailboxError) -> Self {
        McpError::Internal(format!("mailbox: {err}"))
    }
}
