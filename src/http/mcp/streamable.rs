//! Streamable HTTP at `/mcp`: the handshake era (2025-03-26 to 2025-11-25, sessions) and the
//! stateless era (2026-07-28). Framing only: the body to JSON-RPC messages and headers for
//! [`Server::handle`](crate::mcp::Server::handle), its answer to JSON or SSE.

use actix_web::{HttpRequest, HttpResponse, web};

use super::respond;
use crate::http::error::HttpError;
use crate::http::guard::{Authenticated, check_origin};
use crate::http::state::AppState;
use crate::http::stream::sse_response;
use crate::mcp::jsonrpc;
use crate::mcp::registry::Transport;
use crate::mcp::server::{self, Inbound, is_stateless_version};
use crate::mcp::session::OpenStream;
use crate::mcp::stateless::MirroredHeaders;

/// Header of the session id.
pub const SESSION_HEADER: &str = server::SESSION_HEADER;
const VERSION_HEADER: &str = "MCP-Protocol-Version";

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn accepts_sse(req: &HttpRequest) -> bool {
    header(req, "accept").is_some_and(|a| a.contains("text/event-stream"))
}

fn is_stateless_header(req: &HttpRequest) -> bool {
    is_stateless_version(header(req, VERSION_HEADER))
}

fn mirrored_headers(req: &HttpRequest) -> MirroredHeaders {
    MirroredHeaders {
        protocol_version: header(req, VERSION_HEADER).map(str::to_string),
        method: header(req, "Mcp-Method").map(str::to_string),
        name: header(req, "Mcp-Name").map(str::to_string),
    }
}

/// Finds the session the request names: 400 without an id, 404 for an unknown one.
async fn find_session(
    req: &HttpRequest,
    state: &AppState,
    caller: &std::sync::Arc<crate::mcp::Caller>,
) -> Result<(String, crate::mcp::session::SessionHandle), HttpError> {
    let id = header(req, SESSION_HEADER).ok_or_else(|| {
        HttpError::MissingSession(
            "the Mcp-Session-Id header is required: send initialize first".into(),
        )
    })?;
    let session = state
        .registry
        .find(id, caller, Transport::Streamable, &state.backend)
        .await?;
    Ok((id.to_string(), session))
}

/// POST /mcp.
pub async fn post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let inbound = Inbound {
        caller,
        transport: Transport::Streamable,
        session_id: header(&req, SESSION_HEADER).map(str::to_string),
        headers: mirrored_headers(&req),
        accepts_stream: accepts_sse(&req),
    };
    let outgoing = state
        .mcp
        .handle(inbound, jsonrpc::parse_body(&body))
        .await?;
    Ok(respond(outgoing, &state))
}

/// GET /mcp: the session's server-to-client stream (handshake era); 405 in the stateless era.
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    if is_stateless_header(&req) {
        return Err(HttpError::MethodNotAllowed("POST"));
    }
    server::handshake_version(header(&req, VERSION_HEADER))?;
    if !accepts_sse(&req) {
        return Err(HttpError::NotAcceptable(
            "GET /mcp opens an SSE stream: send Accept: text/event-stream".into(),
        ));
    }
    let (_, session) = find_session(&req, &state, &caller).await?;
    let last_event_id = header(&req, "Last-Event-ID").and_then(|v| v.parse::<u64>().ok());
    let rx = session
        .addr
        .send(OpenStream { last_event_id })
        .await
        .map_err(|_| HttpError::UnknownSession)?;
    Ok(sse_response(rx, state.config.keep_alive))
}

/// DELETE /mcp: ends the session (handshake era); 405 in the stateless era.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    if is_stateless_header(&req) {
        return Err(HttpError::MethodNotAllowed("POST"));
    }
    let (id, session) = find_session(&req, &state, &caller).await?;
    state.registry.end(&id, &session).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Any other method on /mcp.
pub async fn other(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    check_origin(&req, &state)?;
    Err(HttpError::MethodNotAllowed("GET, POST, DELETE"))
}
