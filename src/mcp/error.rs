//! Protocol errors and the one place that maps them to JSON-RPC error objects.

use std::sync::Arc;

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
    /// The audit row could not be written (an internal error; the cause is logged, never sent).
    #[error("Internal error")]
    Audit(#[source] aether365_actors::audit::AuditError),
    /// A backend actor could not be reached (an internal error).
    #[error("Internal error")]
    Mailbox(#[from] actix::MailboxError),
    /// Another layer failed (an internal error): what was being done, its error the source.
    #[error("Internal error")]
    Failed(#[source] Arc<crate::errors::Failure>),
}

impl McpError {
    /// An internal error from another layer, its error kept as the source.
    pub fn failed(
        context: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> McpError {
        McpError::Failed(Arc::new(crate::errors::Failure::new(context, source)))
    }

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
            McpError::Audit(_) | McpError::Mailbox(_) | McpError::Failed(_) => code::INTERNAL_ERROR,
        }
    }

    /// What the server log says of an internal error, every cause included; `None` for the
    /// errors a client is told about.
    pub fn internal_details(&self) -> Option<String> {
        match self {
            McpError::Audit(e) => Some(format!("audit: {}", crate::errors::chain(e))),
            McpError::Mailbox(e) => Some(format!("mailbox: {}", crate::errors::chain(e))),
            McpError::Failed(failure) => Some(crate::errors::chain(failure.as_ref())),
            _ => None,
        }
    }

    /// The JSON-RPC `error` object.
    pub fn to_error_object(&self, version: ProtocolVersion) -> Value {
        let mut obj = json!({"code": self.code(version), "message": self.to_string()});
        if let Some(details) = self.internal_details() {
            tracing::error!("internal error answered as -32603: {details}");
        }
        let data = match self {
            McpError::ResourceNotFound(uri) => Some(json!({"uri": uri})),
            McpError::MissingCapability(caps) => Some(json!({"requiredCapabilities": caps})),
            McpError::UnsupportedVersion { requested } => Some(json!({
                "supported": ProtocolVersion::supported(),
                "requested": requested,
            })),
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
            SurfaceError::Query(e) => McpError::failed("query", e),
            SurfaceError::Failed(failure) => McpError::Failed(Arc::new(failure)),
        }
    }
}

impl From<aether365_actors::audit::AuditError> for McpError {
    fn from(err: aether365_actors::audit::AuditError) -> Self {
        McpError::Audit(err)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_causes_for_the_log_only() {
        let audit = aether365_actors::audit::AuditError::from(sea_orm::DbErr::Custom(
            "database is locked".into(),
        ));
        let err = McpError::from(audit);
        assert!(std::error::Error::source(&err).is_some());
        let details = err.internal_details().unwrap();
        assert!(details.contains("database is locked"), "{details}");
        let object = err.to_error_object(ProtocolVersion::LATEST_HANDSHAKE);
        assert_eq!(
            object,
            json!({"code": code::INTERNAL_ERROR, "message": "Internal error"})
        );
        assert!(
            McpError::from(actix::MailboxError::Closed)
                .internal_details()
                .is_some()
        );
        assert!(
            McpError::InvalidParams("x".into())
                .internal_details()
                .is_none()
        );
    }

    #[test]
    fn a_surface_failure_reaches_the_log_with_its_cause() {
        let surface = super::super::surface::SurfaceError::failed(
            "scan manager unavailable",
            actix::MailboxError::Closed,
        );
        assert!(surface.is_internal());
        let err = McpError::from(surface);
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(
            err.internal_details().unwrap(),
            "scan manager unavailable: Mailbox has closed"
        );
        assert_eq!(
            err.code(ProtocolVersion::LATEST_HANDSHAKE),
            code::INTERNAL_ERROR
        );
        assert_eq!(err.to_string(), "Internal error");
    }
}
