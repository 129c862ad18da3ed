//! The MCP transports: Streamable HTTP (`/mcp`) and legacy HTTP+SSE (`/sse`, `/messages`).
//! They frame only: the body to JSON-RPC messages, a session header (or query) to the session
//! it names, and [`crate::mcp::Server::handle`]'s answer to JSON or SSE. They name no MCP method.

pub mod legacy;
pub mod streamable;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue};

use super::error::jsonrpc_status;
use super::state::AppState;
use super::stream::sse_response;
use crate::mcp::server::Outgoing;

/// What the core answered, as HTTP.
pub(crate) fn respond(outgoing: Outgoing, state: &AppState) -> HttpResponse {
    match outgoing {
        Outgoing::Accepted => HttpResponse::Accepted().finish(),
        Outgoing::Json {
            body,
            error_code,
            session_id,
        } => {
            let status = error_code
                .and_then(jsonrpc_status)
                .unwrap_or(StatusCode::OK);
            let mut response = HttpResponse::build(status)
                .content_type(ContentType::json())
                .body(body);
            if let Some(id) = session_id
                && let Ok(value) = HeaderValue::from_str(&id)
            {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("mcp-session-id"), value);
            }
            response
        }
        Outgoing::Stream(rx) => sse_response(rx, state.config.keep_alive),
    }
}
