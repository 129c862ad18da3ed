//! The one place that maps errors to HTTP statuses. Never a 500 with internals.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use aether365_actors::tokens::AuthError;
use serde_json::{Value, json};

use super::quota::QuotaExceeded;
use crate::mcp::error::code;

/// The JSON-RPC code of a request over its rate quota (answered with HTTP 429 and
/// `Retry-After`; implementation-defined server error range).
pub const QUOTA_EXCEEDED: i64 = -32029;
use crate::mcp::jsonrpc::{self, RequestId};
use crate::mcp::{McpError, ProtocolVersion};

/// Errors answered by the HTTP layer before (or instead of) a JSON-RPC answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("authentication failed: {error}")]
    Unauthorized {
        error: AuthError,
        /// URL of the protected resource metadata, for `WWW-Authenticate`.
        resource_metadata: String,
    },
    #[error("origin {0:?} is not allowed")]
    ForbiddenOrigin(String),
    #[error("host {0:?} is not served here")]
    ForbiddenHost(String),
    #[error("{0}")]
    MissingSession(String),
    #[error("unknown or expired session; initialize a new one")]
    UnknownSession,
    /// The session's stream was on an instance that is gone (answered 404: open a new one).
    #[error("{0}")]
    SessionGone(String),
    /// The cluster's session store could not be read or written.
    #[error("the session store is unavailable; retry shortly")]
    SessionStore,
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("too many unauthenticated requests from this address; retry shortly")]
    TooManyUnauthenticated,
    #[error(transparent)]
    Quota(#[from] QuotaExceeded),
    /// A JSON-RPC error answered with an HTTP status (parse errors, stateless-era errors).
    #[error("{error}")]
    JsonRpc {
        status: StatusCode,
        id: RequestId,
        error: McpError,
        version: ProtocolVersion,
    },
}

impl From<crate::mcp::registry::LookupError> for HttpError {
    fn from(e: crate::mcp::registry::LookupError) -> HttpError {
        use crate::mcp::registry::LookupError;
        match e {
            LookupError::Unknown => HttpError::UnknownSession,
            LookupError::HolderGone(_) => HttpError::SessionGone(e.to_string()),
            LookupError::Store(e) => {
                tracing::error!("session store: {e}");
                HttpError::SessionStore
            }
        }
    }
}

impl From<crate::mcp::server::Refusal> for HttpError {
    fn from(refusal: crate::mcp::server::Refusal) -> HttpError {
        use crate::mcp::server::Refusal;
        match refusal {
            Refusal::MissingSession(message) => HttpError::MissingSession(message),
            Refusal::Lookup(e) => e.into(),
            Refusal::SessionStore(e) => {
                tracing::error!("{e}");
                HttpError::SessionStore
            }
            Refusal::JsonRpc { id, error, version } => HttpError::jsonrpc(id, error, version),
        }
    }
}

impl HttpError {
    /// A JSON-RPC error with the status the stateless era gives its code (400 by default
    /// for errors raised before dispatch).
    pub fn jsonrpc(id: RequestId, error: McpError, version: ProtocolVersion) -> HttpError {
        let status = jsonrpc_status(error.code(version)).unwrap_or(StatusCode::BAD_REQUEST);
        HttpError::JsonRpc {
            status,
            id,
            error,
            version,
        }
    }
}

/// The HTTP status of a JSON-RPC error code in the stateless era (`None`: 200 with the error).
pub fn jsonrpc_status(code: i64) -> Option<StatusCode> {
    match code {
        code::PARSE_ERROR
        | code::INVALID_REQUEST
        | code::INVALID_PARAMS
        | code::HEADER_MISMATCH
        | code::MISSING_CLIENT_CAPABILITY
        | code::UNSUPPORTED_PROTOCOL_VERSION => Some(StatusCode::BAD_REQUEST),
        code::METHOD_NOT_FOUND => Some(StatusCode::NOT_FOUND),
        _ => None,
    }
}

fn auth_error_code(error: &AuthError) -> &'static str {
    match error {
        AuthError::Missing => "invalid_request",
        AuthError::Unavailable(_) => "temporarily_unavailable",
        AuthError::RateLimited { .. } => "too_many_requests",
        _ => "invalid_token",
    }
}

fn rpc_error_body(message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": null, "error": {"code": code::INVALID_REQUEST, "message": message}})
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Unauthorized { error, .. } => match error {
                AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            },
            HttpError::ForbiddenOrigin(_) | HttpError::ForbiddenHost(_) => StatusCode::FORBIDDEN,
            HttpError::MissingSession(_) => StatusCode::BAD_REQUEST,
            HttpError::UnknownSession | HttpError::SessionGone(_) => StatusCode::NOT_FOUND,
            HttpError::SessionStore => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            HttpError::TooManyUnauthenticated => StatusCode::TOO_MANY_REQUESTS,
            HttpError::Quota(QuotaExceeded::Rate { .. }) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::Quota(QuotaExceeded::Batch { .. }) => StatusCode::BAD_REQUEST,
            HttpError::JsonRpc { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            HttpError::Unauthorized {
                error,
                resource_metadata,
            } => {
                let code = auth_error_code(error);
                if let AuthError::RateLimited { retry_after } = error {
                    response.insert_header((
                        header::RETRY_AFTER,
                        retry_after.as_secs().max(1).to_string(),
                    ));
                }
                if let AuthError::Unavailable(details) = error {
                    tracing::error!("token validation unavailable: {details}");
                    return response.json(json!({
                        "error": code,
                        "error_description": "authentication is temporarily unavailable",
                    }));
                }
                let metadata = quoted(resource_metadata);
                let scope = quoted(aether365_actors::oauth::SCOPE);
                let challenge = match error {
                    AuthError::Missing => {
                        format!("Bearer resource_metadata={metadata}, scope={scope}")
                    }
                    _ => format!(
                        "Bearer error={}, error_description={}, resource_metadata={metadata}, scope={scope}",
                        quoted(code),
                        quoted(&error.to_string())
                    ),
                };
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response.insert_header((header::WWW_AUTHENTICATE, value));
                }
                response.json(json!({"error": code, "error_description": error.to_string()}))
            }
            HttpError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, *allow));
                response.json(rpc_error_body("Method not allowed"))
            }
            HttpError::JsonRpc {
                id, error, version, ..
            } => response
                .content_type(header::ContentType::json())
                .body(jsonrpc::encode_error(id, error, *version)),
            HttpError::TooManyUnauthenticated => {
                response.insert_header((header::RETRY_AFTER, "1"));
                response.json(rpc_error_body(&self.to_string()))
            }
            HttpError::Quota(exceeded) => {
                let (code, data) = match exceeded {
                    QuotaExceeded::Rate { retry_after, .. } => {
                        let seconds = retry_after.as_secs().max(1);
                        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
                        (QUOTA_EXCEEDED, json!({"retryAfterSeconds": seconds}))
                    }
                    QuotaExceeded::Batch { max, .. } => {
                        (code::INVALID_REQUEST, json!({"maxBatch": max}))
                    }
                };
                response.json(json!({"jsonrpc": "2.0", "id": null, "error": {
                    "code": code, "message": exceeded.to_string(), "data": data}}))
            }
            other => response.json(rpc_error_body(&other.to_string())),
        }
    }
}

/// An RFC 9110 quoted-string: `"` and `\\` escaped, control characters dropped, so a value
/// cannot end the header parameter it sits in.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Answers errors raised outside our handlers (actix's extractors: a bad query string, a body
/// the handler could not read) as JSON-RPC errors with their HTTP status, like every other error
/// of the MCP endpoints. A body left unread closes its connection.
pub fn protocol_errors<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let Some(foreign) = response
        .response()
        .error()
        .filter(|e| e.as_error::<HttpError>().is_none())
    else {
        return response.map_into_left_body();
    };
    let status = foreign.as_response_error().status_code();
    let message = foreign.to_string();
    let error = if status.is_server_error() {
        // Logged with its context when answered. actix's error is not `Send`: its text is kept.
        McpError::Failed(std::sync::Arc::new(crate::errors::Failure::new(
            "request", message,
        )))
    } else {
        McpError::InvalidRequest(message)
    };
    let version = response
        .request()
        .headers()
        .get("MCP-Protocol-Version")
        .and_then(|v| v.to_str().ok())
        .and_then(ProtocolVersion::parse)
        .unwrap_or(ProtocolVersion::DEFAULT_HTTP);
    let mut answer = HttpError::JsonRpc {
        status,
        id: RequestId::Null,
        error,
        version,
    }
    .error_response();
    if foreign.as_error::<PayloadError>().is_some() {
        answer.head_mut().set_connection_type(ConnectionType::Close);
    }
    response.into_response(answer).map_into_right_body()
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quoted_strings_cannot_break_out() {
        assert_eq!(quoted("plain"), "\"plain\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("x\r\ny"), "\"xy\"");
    }
}
