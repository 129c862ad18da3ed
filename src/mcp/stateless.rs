//! The stateless era (2026-07-28): the `_meta` envelope, request headers checked against the
//! body, and the fields every result carries.

use serde_json::{Map, Value, json};

use super::error::McpError;
use super::logging::LogLevel;
use super::methods::lifecycle::server_info;
use super::version::ProtocolVersion;

/// `_meta` key of the protocol version.
pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key of the client capabilities.
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key of the log level.
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

/// Whether a request's params carry the stateless `_meta` envelope.
pub fn has_envelope(params: &Map<String, Value>) -> bool {
    params
        .get("_meta")
        .and_then(|m| m.get(META_VERSION))
        .is_some()
}

/// What the `_meta` envelope of one request says.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub version: ProtocolVersion,
    pub client_capabilities: Value,
    pub log_level: Option<LogLevel>,
    pub progress_token: Option<Value>,
}

/// Validates the envelope of a stateless request.
pub fn envelope(params: &Map<String, Value>) -> Result<Envelope, McpError> {
    let meta = params
        .get("_meta")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            McpError::InvalidParams(format!(
                "params._meta is required, with \"{META_VERSION}\" and \"{META_CAPABILITIES}\""
            ))
        })?;
    let requested = meta
        .get(META_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            McpError::InvalidParams(format!("params._meta.\"{META_VERSION}\" must be a string"))
        })?;
    let version = match ProtocolVersion::parse(requested) {
        Some(v) if v.is_stateless() => v,
        _ => {
            return Err(McpError::UnsupportedVersion {
                requested: requested.to_string(),
            });
        }
    };
    let client_capabilities = match meta.get(META_CAPABILITIES) {
        Some(caps @ Value::Object(_)) => caps.clone(),
        _ => {
            return Err(McpError::InvalidParams(format!(
                "params._meta.\"{META_CAPABILITIES}\" must be an object (use {{}} for none)"
            )));
        }
    };
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) => Some(LogLevel::parse(l).ok_or_else(|| {
            McpError::InvalidParams(format!(
                "unknown log level {l:?}: use one of {}",
                LogLevel::names()
            ))
        })?),
        Some(_) => {
            return Err(McpError::InvalidParams(format!(
                "params._meta.\"{META_LOG_LEVEL}\" must be a string"
            )));
        }
    };
    Ok(Envelope {
        version,
        client_capabilities,
        log_level,
        progress_token: meta.get("progressToken").cloned(),
    })
}

/// The request headers mirrored from the body.
#[derive(Clone, Debug, Default)]
pub struct MirroredHeaders {
    pub protocol_version: Option<String>,
    pub method: Option<String>,
    pub name: Option<String>,
}

/// Decodes `=?base64?…?=` header values.
fn decode_header_value(value: &str) -> Result<String, McpError> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(encoded) => base64_decode(encoded)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| McpError::HeaderMismatch("Mcp-Name is not valid base64 UTF-8".into())),
        None => Ok(value.to_string()),
    }
}

fn base64_decode(input: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    // Padding optional, as clients differ; the URL-safe alphabet is accepted too.
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(input)
        .or_else(|_| GeneralPurpose::new(&base64::alphabet::URL_SAFE, config).decode(input))
        .ok()
}

/// Checks `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` against the body (-32020).
pub fn check_headers(
    headers: &MirroredHeaders,
    envelope: &Envelope,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), McpError> {
    match headers.protocol_version.as_deref() {
        Some(v) if v == envelope.version.as_str() => {}
        Some(v) => {
            return Err(McpError::HeaderMismatch(format!(
                "MCP-Protocol-Version header value '{v}' does not match body value '{}'",
                envelope.version
            )));
        }
        None => {
            return Err(McpError::HeaderMismatch(
                "the MCP-Protocol-Version header is required".into(),
            ));
        }
    }
    match headers.method.as_deref() {
        Some(m) if m == method => {}
        Some(m) => {
            return Err(McpError::HeaderMismatch(format!(
                "Mcp-Method header value '{m}' does not match body value '{method}'"
            )));
        }
        None => {
            return Err(McpError::HeaderMismatch(
                "the Mcp-Method header is required".into(),
            ));
        }
    }
    let body_name = match method {
        "tools/call" | "prompts/get" => params.get("name").and_then(Value::as_str),
        "resources/read" => params.get("uri").and_then(Value::as_str),
        _ => return Ok(()),
    };
    let header_name = headers
        .name
        .as_deref()
        .map(decode_header_value)
        .transpose()?;
    match (header_name, body_name) {
        (Some(h), Some(b)) if h == b => Ok(()),
        (Some(h), Some(b)) => Err(McpError::HeaderMismatch(format!(
            "Mcp-Name header value '{h}' does not match body value '{b}'"
        ))),
        (None, _) => Err(McpError::HeaderMismatch(format!(
            "the Mcp-Name header is required for {method}"
        ))),
        (Some(_), None) => Ok(()), // the body error is reported by the method itself
    }
}

/// Caching hints of cacheable methods: `(ttlMs, cacheScope)`.
fn cache_hints(method: &str) -> Option<(u64, &'static str)> {
    match method {
        "server/discover" | "tools/list" | "prompts/list" | "resources/templates/list" => {
            Some((300_000, "public"))
        }
        "resources/list" => Some((30_000, "private")),
        "resources/read" => Some((0, "private")),
        _ => None,
    }
}

/// Adds `resultType`, caching hints and `serverInfo` to a stateless result.
pub fn decorate(method: &str, mut result: Value) -> Value {
    if let Some(map) = result.as_object_mut() {
        map.entry("resultType").or_insert_with(|| "complete".into());
        if map.get("resultType").and_then(Value::as_str) == Some("complete")
            && let Some((ttl, scope)) = cache_hints(method)
        {
            map.insert("ttlMs".into(), ttl.into());
            map.insert("cacheScope".into(), scope.into());
        }
        let meta = map.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(
                "io.modelcontextprotocol/serverInfo".into(),
                serde_json::to_value(server_info()).unwrap_or_default(),
            );
        }
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_sentinels_decode() {
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert_eq!(decode_header_value("plain").unwrap(), "plain");
    }

    #[test]
    fn envelope_requires_version_and_capabilities() {
        let params = json!({"_meta": {META_VERSION: "2026-07-28"}});
        assert!(matches!(
            envelope(params.as_object().unwrap()),
            Err(McpError::InvalidParams(_))
        ));
        let params = json!({"_meta": {META_VERSION: "2030-01-01", META_CAPABILITIES: {}}});
        assert!(matches!(
            envelope(params.as_object().unwrap()),
            Err(McpError::UnsupportedVersion { .. })
        ));
    }
}
