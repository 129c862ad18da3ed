//! Legacy HTTP+SSE (2024-11-05): `GET /sse` opens the stream, whose first event `endpoint`
//! names `/messages?sessionId=…`; each POST there answers 202 and its response travels on
//! the stream.

use actix_web::{HttpResponse, web};
use actix_web_lab::sse;
use serde::Deserialize;
use serde_json::json;

use super::error::HttpError;
use super::guard::Authenticated;
use super::state::AppState;
use super::stream::{run_in_session, sse_response};
use crate::mcp::context::Notifier;
use crate::mcp::jsonrpc::{self, Body, Incoming, RequestId};
use crate::mcp::logging::LogLevel;
use crate::mcp::registry::Transport;
use crate::mcp::session::{
    ClientResponse, DeliverEncoded, DeliverEvent, McpSession, OpenStream, SessionKind,
    SessionStart, new_session_id,
};
use crate::mcp::{McpError, ProtocolVersion, RequestContext, dispatch};
use aether365_actors::cluster::sessions::SessionChange;

/// Why a second `initialize` on a session is refused.
pub const ALREADY_INITIALIZED: &str =
    "this session is already initialized; open a new session to initialize again";

/// GET /sse.
pub async fn open(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let session_id = new_session_id();
    let start = SessionStart {
        id: session_id.clone(),
        kind: SessionKind::LegacySse,
        caller,
        version: ProtocolVersion::V2024_11_05,
        client_info: None,
        client_capabilities: json!({}),
    };
    let session = McpSession::open(start, state.backend.clone(), state.registry.clone())
        .await
        .map_err(|e| {
            tracing::error!("{e}");
            HttpError::SessionStore
        })?;
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
    let session_id = query.session_id.as_deref().ok_or_else(|| {
        HttpError::MissingSession(
            "the sessionId query parameter is required: open /sse first".into(),
        )
    })?;
    let session = state
        .registry
        .find(session_id, &caller, Transport::Legacy, &state.backend)
        .await?;
    let info = session.shared.describe();
    let version = info.version;
    let message = match jsonrpc::parse_body(&body) {
        Ok(Body::Single(message)) => message,
        Ok(Body::Batch(_)) => {
            let e = McpError::InvalidRequest("JSON-RPC batches are not allowed here".into());
            return Err(HttpError::jsonrpc(RequestId::Null, e, version));
        }
        Err(e) => return Err(HttpError::jsonrpc(RequestId::Null, e, version)),
    };
    let id = jsonrpc::id_of(&message);
    let client_response = ClientResponse::of_message(&message);
    let incoming = jsonrpc::classify(message).map_err(|e| HttpError::jsonrpc(id, e, version))?;
    match incoming {
        Incoming::Response { .. } => {
            if let Some(response) = client_response {
                session.addr.do_send(response);
            }
        }
        Incoming::Notification { method, params } => {
            if method == "notifications/cancelled" {
                session.shared.cancel(&params);
            }
        }
        Incoming::Request { id, method, params } if method == "initialize" => {
            let answer = match dispatch::initialize(&params) {
                Ok(agreed) => {
                    let client_info = params.get("clientInfo").cloned();
                    if session.shared.negotiated(
                        agreed.version,
                        client_info.clone(),
                        agreed.client_capabilities.clone(),
                    ) {
                        // Stored before it is answered: the next POST may reach another
                        // instance.
                        let change = SessionChange::Negotiated {
                            version: agreed.version.as_str().to_string(),
                            client_info,
                            capabilities: agreed.client_capabilities,
                        };
                        session.shared.persist(change).await;
                        jsonrpc::encode_result(&id, &agreed.result)
                    } else {
                        let e = McpError::InvalidRequest(ALREADY_INITIALIZED.into());
                        jsonrpc::encode_error(&id, &e, version)
                    }
                }
                Err(e) => jsonrpc::encode_error(&id, &e, version),
            };
            session.addr.do_send(DeliverEncoded(answer));
        }
        Incoming::Request { id, method, params } => {
            let ctx = RequestContext {
                backend: state.backend.clone(),
                caller,
                config: state.core.clone(),
                version,
                client_capabilities: info.client_capabilities,
                progress_token: params
                    .get("_meta")
                    .and_then(|m| m.get("progressToken"))
                    .cloned(),
                log_level: info.log_level.or(Some(LogLevel::Debug)),
                notifier: Some(Notifier::Session(session.addr.clone())),
                session: Some(session.clone()),
            };
            actix::spawn(async move {
                let shared = session.shared.clone();
                if let Some(answer) = run_in_session(ctx, shared, id, method, params).await {
                    session.addr.do_send(DeliverEncoded(answer));
                }
            });
        }
    }
    Ok(HttpResponse::Accepted().finish())
}
