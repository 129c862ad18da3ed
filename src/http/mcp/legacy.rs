//! Legacy HTTP+SSE (2024-11-05): `GET /sse` opens the stream, whose first event `endpoint`
//! names `/messages?sessionId=…`; each POST there answers 202 and its response travels on
//! the stream. Framing only: the messages go to [`Server::handle`](crate::mcp::Server::handle).

use actix_web::{HttpResponse, web};
use actix_web_lab::sse;
use serde::Deserialize;

use super::respond;
use crate::http::error::HttpError;
use crate::http::guard::Authenticated;
use crate::http::state::AppState;
use crate::http::stream::sse_response;
use crate::mcp::jsonrpc;
use crate::mcp::registry::Transport;
use crate::mcp::server::Inbound;
use crate::mcp::session::{DeliverEvent, OpenStream};
use crate::mcp::stateless::MirroredHeaders;

/// GET /sse.
pub async fn open(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let (session_id, session) = state.mcp.open_legacy(caller).await?;
    let rx = session
        .addr
        .send(OpenStream {
            last_event_id: None,
        })
        .await
        .map_err(|_| HttpError::UnknownSession)?;
    let endpoint = sse::Data::new(format!("/messages?sessionId={session_id}")).event("endpoint");
    session.addr.do_send(DeliverEvent(endpoint.into()));
    Ok(sse_response(rx, state.config.keep_alive))
}

/// Query of POST /messages.
#[derive(Deserialize)]
pub struct MessagesQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// POST /messages?sessionId=….
pub async fn message(
    query: web::Query<MessagesQuery>,
    body: web::Bytes,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let session_id = query.into_inner().session_id.ok_or_else(|| {
        HttpError::MissingSession(
            "the sessionId query parameter is required: open /sse first".into(),
        )
    })?;
    let inbound = Inbound {
        caller,
        transport: Transport::Legacy,
        session_id: Some(session_id),
        headers: MirroredHeaders::default(),
        accepts_stream: false,
    };
    let outgoing = state
        .mcp
        .handle(inbound, jsonrpc::parse_body(&body))
        .await?;
    Ok(respond(outgoing, &state))
}
