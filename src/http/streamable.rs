//! Streamable HTTP at `/mcp`: the handshake era (2025-03-26 to 2025-11-25, sessions) and the
//! stateless era (2026-07-28), chosen per request.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use super::error::HttpError;
use super::guard::{Authenticated, check_origin};
use super::state::AppState;
use super::stream::{run_in_session, sse_response, streamed};
use crate::mcp::context::Notifier;
use crate::mcp::jsonrpc::{self, Body, Incoming, RequestId};
use crate::mcp::logging::LogLevel;
use crate::mcp::registry::Transport;
use crate::mcp::session::{
    ClientResponse, McpSession, OpenStream, SessionHandle, SessionKind, SessionStart,
    new_session_id,
};
use crate::mcp::stateless::{self, MirroredHeaders};
use crate::mcp::{Caller, McpError, ProtocolVersion, RequestContext, dispatch};

/// Header of the session id.
pub const SESSION_HEADER: &str = "Mcp-Session-Id";
const VERSION_HEADER: &str = "MCP-Protocol-Version";

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn accepts_sse(req: &HttpRequest) -> bool {
    header(req, "accept").is_some_and(|a| a.contains("text/event-stream"))
}

/// The version named by `MCP-Protocol-Version` for a handshake-era request (missing: 2025-03-26).
fn handshake_version(req: &HttpRequest) -> Result<ProtocolVersion, HttpError> {
    match header(req, VERSION_HEADER) {
        None => Ok(ProtocolVersion::DEFAULT_HTTP),
        Some(v) => match ProtocolVersion::parse(v) {
            Some(version) => Ok(version),
            None => Err(HttpError::jsonrpc(
                RequestId::Null,
                McpError::UnsupportedVersion {
                    requested: v.to_string(),
                },
                ProtocolVersion::DEFAULT_HTTP,
            )),
        },
    }
}

fn is_stateless_header(req: &HttpRequest) -> bool {
    header(req, VERSION_HEADER)
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_stateless)
}

/// Finds the session the request names: 400 without an id, 404 for an unknown one.
async fn find_session(
    req: &HttpRequest,
    state: &AppState,
    caller: &Arc<Caller>,
) -> Result<(String, SessionHandle), HttpError> {
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

/// Whether the conformance fixtures (whose tools log and ask the client) are served.
fn fixtures(state: &AppState) -> bool {
    cfg!(feature = "conformance") && state.core.conformance_fixtures
}

/// A JSON body already encoded.
fn json_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// POST /mcp.
pub async fn post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let fallback = if is_stateless_header(&req) {
        ProtocolVersion::V2026_07_28
    } else {
        ProtocolVersion::DEFAULT_HTTP
    };
    let parsed =
        jsonrpc::parse_body(&body).map_err(|e| HttpError::jsonrpc(RequestId::Null, e, fallback))?;
    let stateless = match &parsed {
        Body::Single(message) => {
            let method = message.get("method").and_then(Value::as_str);
            let envelope = message
                .get("params")
                .and_then(Value::as_object)
                .is_some_and(stateless::has_envelope);
            method != Some("initialize") && (envelope || is_stateless_header(&req))
        }
        Body::Batch(_) => is_stateless_header(&req),
    };
    let span = tracing::info_span!(
        "mcp_post",
        token_id = caller.principal.token_id,
        session = header(&req, SESSION_HEADER).unwrap_or("-"),
        stateless
    );
    if stateless {
        post_stateless(req, parsed, state, caller)
            .instrument(span)
            .await
    } else {
        post_handshake(req, parsed, state, caller)
            .instrument(span)
            .await
    }
}

fn request_context(
    state: &AppState,
    caller: Arc<Caller>,
    version: ProtocolVersion,
    client_capabilities: Arc<Value>,
) -> RequestContext {
    RequestContext {
        backend: state.backend.clone(),
        caller,
        config: state.core.clone(),
        version,
        client_capabilities,
        progress_token: None,
        log_level: None,
        notifier: None,
        session: None,
    }
}

fn progress_token(params: &Map<String, Value>) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_number())
        .cloned()
}

/// `initialize` over Streamable HTTP: mints a session (stored for the cluster before it is
/// answered, on PostgreSQL).
async fn initialize(
    state: &AppState,
    caller: Arc<Caller>,
    id: &RequestId,
    params: &Map<String, Value>,
) -> Result<Result<(String, SessionHandle, String), McpError>, HttpError> {
    let agreed = match dispatch::initialize(params) {
        Ok(agreed) => agreed,
        Err(e) => return Ok(Err(e)),
    };
    let session_id = new_session_id();
    let start = SessionStart {
        id: session_id.clone(),
        kind: SessionKind::Streamable,
        caller,
        version: agreed.version,
        client_info: params.get("clientInfo").cloned(),
        client_capabilities: agreed.client_capabilities,
    };
    let session = McpSession::open(start, state.backend.clone(), state.registry.clone())
        .await
        .map_err(|e| {
            tracing::error!("{e}");
            HttpError::SessionStore
        })?;
    let answer = jsonrpc::encode_result(id, &agreed.result);
    Ok(Ok((session_id, session, answer)))
}

async fn post_handshake(
    req: HttpRequest,
    parsed: Body,
    state: web::Data<AppState>,
    caller: Arc<Caller>,
) -> Result<HttpResponse, HttpError> {
    let header_version = handshake_version(&req)?;
    // initialize: a single request, no session yet.
    if let Body::Single(message) = &parsed
        && message.get("method").and_then(Value::as_str) == Some("initialize")
    {
        let id = jsonrpc::id_of(message);
        let incoming = jsonrpc::classify(message.clone())
            .map_err(|e| HttpError::jsonrpc(id.clone(), e, header_version))?;
        let Incoming::Request { id, params, .. } = incoming else {
            return Err(HttpError::jsonrpc(
                RequestId::Null,
                McpError::InvalidRequest("initialize must be a request with an id".into()),
                header_version,
            ));
        };
        // initialize opens a session: one that names a session (live or not) is a client
        // confusing two conversations, and never silently gets a second one.
        if header(&req, SESSION_HEADER).is_some() {
            return Err(HttpError::jsonrpc(
                id,
                McpError::InvalidRequest(format!(
                    "{}: send initialize without {SESSION_HEADER}",
                    super::legacy::ALREADY_INITIALIZED
                )),
                header_version,
            ));
        }
        return match initialize(&state, caller, &id, &params).await? {
            Ok((session_id, _session, answer)) => {
                let mut response = json_response(StatusCode::OK, answer);
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&session_id) {
                    response.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static("mcp-session-id"),
                        value,
                    );
                }
                Ok(response)
            }
            Err(e) => Ok(json_response(
                StatusCode::OK,
                jsonrpc::encode_error(&id, &e, header_version),
            )),
        };
    }
    let (_session_id, session) = find_session(&req, &state, &caller).await?;
    let info = session.shared.describe();
    let version = info.version;
    let messages = match parsed {
        Body::Single(message) => vec![message],
        Body::Batch(_) if !version.allows_batches() => {
            return Err(HttpError::jsonrpc(
                RequestId::Null,
                McpError::InvalidRequest(format!(
                    "JSON-RPC batches are not allowed in protocol version {version}"
                )),
                version,
            ));
        }
        Body::Batch(messages) => messages,
    };
    let batch = messages.len() > 1;
    let mut requests = Vec::new();
    let mut immediate = Vec::new();
    for message in messages {
        let id = jsonrpc::id_of(&message);
        let client_response = ClientResponse::of_message(&message);
        match jsonrpc::classify(message) {
            Err(e) if !batch => return Err(HttpError::jsonrpc(id, e, version)),
            Err(e) => immediate.push(jsonrpc::encode_error(&id, &e, version)),
            Ok(Incoming::Notification { method, params }) => {
                if method == "notifications/cancelled" {
                    session.shared.cancel(&params);
                }
            }
            Ok(Incoming::Response { .. }) => {
                if let Some(response) = client_response {
                    session.addr.do_send(response);
                }
            }
            Ok(Incoming::Request { id, method, .. }) if method == "initialize" => {
                let e = McpError::InvalidRequest(format!(
                    "{}: send initialize without {SESSION_HEADER}",
                    super::legacy::ALREADY_INITIALIZED
                ));
                immediate.push(jsonrpc::encode_error(&id, &e, version));
            }
            Ok(Incoming::Request { id, method, params }) => requests.push((id, method, params)),
        }
    }
    if requests.is_empty() && immediate.is_empty() {
        return Ok(HttpResponse::Accepted().finish());
    }
    let make_ctx = |params: &Map<String, Value>| {
        let mut ctx = request_context(
            &state,
            caller.clone(),
            version,
            info.client_capabilities.clone(),
        );
        ctx.progress_token = progress_token(params);
        // Without logging/setLevel a handshake-era client gets every level.
        ctx.log_level = info.log_level.or(Some(LogLevel::Debug));
        ctx.session = Some(session.clone());
        ctx
    };
    // One request that may send notifications and a client that takes SSE: stream them.
    // Other calls (no progress token, no fixture tool logging) are answered as plain JSON,
    // which costs far less than a stream.
    if !batch
        && accepts_sse(&req)
        && let Some((_, method, params)) = requests.first()
        && (method == "tasks/result"
            || (method == "tools/call" && (progress_token(params).is_some() || fixtures(&state))))
        && let Some((id, method, params)) = requests.pop()
    {
        let ctx = make_ctx(&params);
        let session = session.clone();
        return Ok(streamed(
            move |notifier| {
                let mut ctx = ctx;
                ctx.notifier = Some(notifier);
                run_in_session(ctx, session.shared, id, method, params)
            },
            state.config.keep_alive,
            None,
        ));
    }
    let mut answers: Vec<String> = immediate;
    for (id, method, params) in requests {
        let mut ctx = make_ctx(&params);
        // Only progress (with a token) and the fixture tools' logs are ever sent.
        if ctx.progress_token.is_some() || fixtures(&state) {
            ctx.notifier = Some(Notifier::Session(session.addr.clone()));
        }
        let answer = run_in_session(ctx, session.shared.clone(), id.clone(), method, params).await;
        answers.push(answer.unwrap_or_else(|| {
            let e = McpError::InvalidRequest("the request was cancelled".into());
            jsonrpc::encode_error(&id, &e, version)
        }));
    }
    let body = if batch {
        jsonrpc::encode_batch(&answers)
    } else {
        answers.pop().unwrap_or_else(|| "null".into())
    };
    Ok(json_response(StatusCode::OK, body))
}

fn mirrored_headers(req: &HttpRequest) -> MirroredHeaders {
    MirroredHeaders {
        protocol_version: header(req, VERSION_HEADER).map(str::to_string),
        method: header(req, "Mcp-Method").map(str::to_string),
        name: header(req, "Mcp-Name").map(str::to_string),
    }
}

async fn post_stateless(
    req: HttpRequest,
    parsed: Body,
    state: web::Data<AppState>,
    caller: Arc<Caller>,
) -> Result<HttpResponse, HttpError> {
    let modern = ProtocolVersion::V2026_07_28;
    let Body::Single(message) = parsed else {
        return Err(HttpError::jsonrpc(
            RequestId::Null,
            McpError::InvalidRequest(
                "JSON-RPC batches are not allowed in protocol version 2026-07-28".into(),
            ),
            modern,
        ));
    };
    let id = jsonrpc::id_of(&message);
    let (id, method, params) = match jsonrpc::classify(message) {
        Err(e) => return Err(HttpError::jsonrpc(id, e, modern)),
        Ok(Incoming::Request { id, method, params }) => (id, method, params),
        Ok(_) => return Ok(HttpResponse::Accepted().finish()),
    };
    let envelope =
        stateless::envelope(&params).map_err(|e| HttpError::jsonrpc(id.clone(), e, modern))?;
    stateless::check_headers(&mirrored_headers(&req), &envelope, &method, &params)
        .map_err(|e| HttpError::jsonrpc(id.clone(), e, modern))?;
    let mut ctx = request_context(
        &state,
        caller.clone(),
        envelope.version,
        Arc::new(envelope.client_capabilities.clone()),
    );
    ctx.progress_token = envelope.progress_token.clone();
    ctx.log_level = envelope.log_level;
    if method == "subscriptions/listen" {
        return listen(&state, caller, id, &params, ctx).await;
    }
    let streaming = accepts_sse(&req)
        && (ctx.progress_token.is_some() || ctx.log_level.is_some())
        && method == "tools/call";
    if streaming {
        let guard = state.registry.register_stream(caller.principal.token_id);
        return Ok(streamed(
            move |notifier| {
                let mut ctx = ctx;
                ctx.notifier = Some(notifier);
                async move {
                    let answer = super::ops::dispatch_observed(&ctx, &method, params).await;
                    Some(match answer {
                        Ok(result) => jsonrpc::encode_result(&id, &result),
                        Err(e) => jsonrpc::encode_error(&id, &e, ctx.version),
                    })
                }
            },
            state.config.keep_alive,
            Some(guard),
        ));
    }
    match super::ops::dispatch_observed(&ctx, &method, params).await {
        Ok(result) => Ok(json_response(
            StatusCode::OK,
            jsonrpc::encode_result(&id, &result),
        )),
        Err(e) => {
            let status = super::error::jsonrpc_status(e.code(modern)).unwrap_or(StatusCode::OK);
            Ok(json_response(
                status,
                jsonrpc::encode_error(&id, &e, modern),
            ))
        }
    }
}

/// `subscriptions/listen`: a long-lived stream of the notifications the client opted in to.
async fn listen(
    state: &AppState,
    caller: Arc<Caller>,
    id: RequestId,
    params: &Map<String, Value>,
    ctx: RequestContext,
) -> Result<HttpResponse, HttpError> {
    let modern = ProtocolVersion::V2026_07_28;
    let filter = params
        .get("notifications")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let bad =
        |msg: &str| HttpError::jsonrpc(id.clone(), McpError::InvalidParams(msg.into()), modern);
    let strings = |key: &str| -> Result<Vec<String>, HttpError> {
        match filter.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(&format!("notifications.{key} must be an array of strings"))),
            Some(_) => Err(bad(&format!(
                "notifications.{key} must be an array of strings"
            ))),
        }
    };
    let uris = strings("resourceSubscriptions")?;
    let task_ids = strings("taskIds")?;
    // Check every subscribed scan is visible before acknowledging.
    let mut scans = Vec::new();
    for uri in &uris {
        if let Some(scan_id) = dispatch::scan_id_of_uri(uri) {
            crate::mcp::tasks::load_scan(&ctx, scan_id)
                .await
                .map_err(|_| {
                    HttpError::jsonrpc(id.clone(), McpError::ResourceNotFound(uri.clone()), modern)
                })?;
            scans.push((uri.clone(), scan_id));
        }
    }
    let mut tasks = Vec::new();
    for task_id in &task_ids {
        let scan_id = crate::mcp::tasks::parse_task_id(task_id)
            .map_err(|e| HttpError::jsonrpc(id.clone(), e, modern))?;
        crate::mcp::tasks::load_scan(&ctx, scan_id)
            .await
            .map_err(|e| HttpError::jsonrpc(id.clone(), e, modern))?;
        tasks.push(scan_id);
    }
    let mut agreed = Map::new();
    for key in [
        "toolsListChanged",
        "promptsListChanged",
        "resourcesListChanged",
    ] {
        if filter.get(key).and_then(Value::as_bool) == Some(true) {
            agreed.insert(key.into(), true.into());
        }
    }
    if !uris.is_empty() {
        agreed.insert("resourceSubscriptions".into(), json!(uris));
    }
    if !task_ids.is_empty() && ctx.has_tasks_extension() {
        agreed.insert("taskIds".into(), json!(task_ids));
    }
    let session = McpSession::start_new(
        format!("listen-{}", new_session_id()),
        SessionKind::Listener {
            subscription_id: id.clone(),
        },
        caller,
        state.backend.clone(),
        state.registry.clone(),
        modern,
        (*ctx.client_capabilities).clone(),
    );
    let session = session.addr;
    let rx = session
        .send(OpenStream {
            last_event_id: None,
        })
        .await
        .map_err(|e| HttpError::jsonrpc(id.clone(), McpError::from(e), modern))?;
    session.do_send(crate::mcp::session::Deliver(jsonrpc::notification(
        "notifications/subscriptions/acknowledged",
        json!({"notifications": agreed}),
    )));
    for (uri, scan_id) in scans {
        session.do_send(crate::mcp::session::SubscribeResource {
            uri,
            scan_id: Some(scan_id),
        });
    }
    if ctx.has_tasks_extension() {
        for scan_id in tasks {
            session.do_send(crate::mcp::session::TrackTask { scan_id });
        }
    }
    Ok(sse_response(rx, state.config.keep_alive))
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
    handshake_version(&req)?;
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
