//! The one entry of the protocol core: [`Server::handle`] takes the messages a transport
//! framed and gives back what to answer. It owns the lifecycle (`initialize`, notifications,
//! cancellation), builds each request's context (version, capabilities, progress token, log
//! level, where notifications go), counts every call and routes it to its method family
//! ([`super::methods`]). Transports name no MCP method.

use std::sync::Arc;
use std::time::Instant;

use aether365_actors::Backend;
use aether365_actors::cluster::sessions::SessionChange;
use futures_util::future::{AbortHandle, Abortable};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::context::{Caller, CoreConfig, Notifier, RequestContext};
use super::error::McpError;
use super::jsonrpc::{self, Body, Encoded, Incoming, RequestId};
use super::logging::LogLevel;
use super::methods::{self, Reply, lifecycle, subscriptions};
use super::metrics;
use super::registry::{LookupError, SessionRegistry, Transport};
use super::session::{
    ClientResponse, DeliverEncoded, McpSession, OpenError, SessionHandle, SessionKind,
    SessionShared, SessionStart, StreamEvent, new_session_id,
};
use super::stateless::{self, MirroredHeaders};
use super::streaming::streamed;
use super::surface;
use super::version::ProtocolVersion;

/// The header naming a Streamable HTTP session.
pub const SESSION_HEADER: &str = "Mcp-Session-Id";

/// Why a second `initialize` on a session is refused.
pub const ALREADY_INITIALIZED: &str =
    "this session is already initialized; open a new session to initialize again";

const INITIALIZE: &str = "initialize";
const TOOLS_CALL: &str = "tools/call";
const TASKS_RESULT: &str = "tasks/result";
const LISTEN: &str = "subscriptions/listen";
const CANCELLED: &str = "notifications/cancelled";

/// The MCP server: every transport's one way in. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    backend: Backend,
    registry: SessionRegistry,
    core: Arc<CoreConfig>,
}

/// Where a POST's messages come from, as a transport framed it (its body is the `incoming`
/// of [`Server::handle`]).
pub struct Inbound {
    pub caller: Arc<Caller>,
    /// Streamable HTTP (`/mcp`) or legacy HTTP+SSE (`/messages`).
    pub transport: Transport,
    /// The session the request names (header or query), if any.
    pub session_id: Option<String>,
    /// `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` as sent.
    pub headers: MirroredHeaders,
    /// Whether the client takes a stream (SSE) for the answer.
    pub accepts_stream: bool,
}

/// What to answer.
pub enum Outgoing {
    /// Nothing (notifications and responses; legacy requests, answered on the session's stream).
    Accepted,
    /// One encoded JSON-RPC answer (or batch).
    Json {
        body: Encoded,
        /// The JSON-RPC error code of a stateless-era error, for the transport's status.
        error_code: Option<i64>,
        /// A session `initialize` just opened.
        session_id: Option<String>,
    },
    /// The request's notifications then its answer, or a listener's notifications.
    Stream(mpsc::Receiver<StreamEvent>),
}

/// Why a request is refused before (or instead of) a JSON-RPC answer of its own.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    MissingSession(String),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    SessionStore(#[from] OpenError),
    /// A JSON-RPC error answered on its own (the transport gives it a status).
    #[error("{error}")]
    JsonRpc {
        id: RequestId,
        error: McpError,
        version: ProtocolVersion,
    },
}

fn refused(id: RequestId, error: McpError, version: ProtocolVersion) -> Refusal {
    Refusal::JsonRpc { id, error, version }
}

/// The version a handshake-era request names by `MCP-Protocol-Version` (missing: 2025-03-26).
pub fn handshake_version(header: Option<&str>) -> Result<ProtocolVersion, Refusal> {
    match header {
        None => Ok(ProtocolVersion::DEFAULT_HTTP),
        Some(v) => ProtocolVersion::parse(v).ok_or_else(|| {
            refused(
                RequestId::Null,
                McpError::UnsupportedVersion {
                    requested: v.to_string(),
                },
                ProtocolVersion::DEFAULT_HTTP,
            )
        }),
    }
}

/// Whether `MCP-Protocol-Version` names a stateless-era version.
pub fn is_stateless_version(header: Option<&str>) -> bool {
    header
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_stateless)
}

/// `_meta.progressToken` of a request's params: a string or a number. Legacy HTTP+SSE has
/// always taken any JSON value (`any_type`), and keeps doing so.
fn progress_token(params: &Map<String, Value>, any_type: bool) -> Option<Value> {
    params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| any_type || t.is_string() || t.is_number())
        .cloned()
}

impl Server {
    /// A server over `backend` with the sessions of `registry`.
    pub fn new(backend: Backend, registry: SessionRegistry, core: Arc<CoreConfig>) -> Server {
        Server {
            backend,
            registry,
            core,
        }
    }

    /// Whether the conformance fixtures (whose tools log and ask the client) are served.
    fn fixtures(&self) -> bool {
        cfg!(feature = "conformance") && self.core.conformance_fixtures
    }

    fn context(
        &self,
        caller: Arc<Caller>,
        version: ProtocolVersion,
        client_capabilities: Arc<Value>,
    ) -> RequestContext {
        RequestContext {
            backend: self.backend.clone(),
            caller,
            config: self.core.clone(),
            version,
            client_capabilities,
            progress_token: None,
            log_level: None,
            notifier: None,
            session: None,
        }
    }

    /// Handles one POST: `incoming`, the JSON-RPC messages of its body (or why the body is not
    /// JSON-RPC), in the session `inbound` names (if any).
    pub async fn handle(
        &self,
        inbound: Inbound,
        incoming: Result<Body, McpError>,
    ) -> Result<Outgoing, Refusal> {
        if inbound.transport == Transport::Legacy {
            return self.legacy(inbound, incoming).await;
        }
        let stateless_header = is_stateless_version(inbound.headers.protocol_version.as_deref());
        let fallback = if stateless_header {
            ProtocolVersion::V2026_07_28
        } else {
            ProtocolVersion::DEFAULT_HTTP
        };
        let body = match incoming {
            Ok(body) => body,
            Err(e) => return Err(refused(RequestId::Null, e, fallback)),
        };
        let stateless = match &body {
            Body::Single(message) => {
                let method = message.get("method").and_then(Value::as_str);
                let envelope = message
                    .get("params")
                    .and_then(Value::as_object)
                    .is_some_and(stateless::has_envelope);
                method != Some(INITIALIZE) && (envelope || stateless_header)
            }
            Body::Batch(_) => stateless_header,
        };
        // A debug span: at the default `info` level it costs nothing per call (an enabled span
        // is formatted and stored for every request).
        let span = tracing::debug_span!(
            "mcp_post",
            token_id = inbound.caller.principal.token_id,
            session = inbound.session_id.as_deref().unwrap_or("-"),
            stateless
        );
        if stateless {
            self.stateless(inbound, body).instrument(span).await
        } else {
            self.handshake(inbound, body).instrument(span).await
        }
    }

    /// Opens a legacy HTTP+SSE session (2024-11-05; `initialize` comes later, on it).
    pub async fn open_legacy(
        &self,
        caller: Arc<Caller>,
    ) -> Result<(String, SessionHandle), Refusal> {
        let session_id = new_session_id();
        let start = SessionStart {
            id: session_id.clone(),
            kind: SessionKind::LegacySse,
            caller,
            version: ProtocolVersion::V2024_11_05,
            client_info: None,
            client_capabilities: Value::Object(Map::new()),
        };
        let session =
            McpSession::open(start, self.backend.clone(), self.registry.directory()).await?;
        Ok((session_id, session))
    }

    async fn find(
        &self,
        id: &str,
        caller: &Arc<Caller>,
        transport: Transport,
    ) -> Result<SessionHandle, Refusal> {
        Ok(self
            .registry
            .find(id, caller, transport, &self.backend)
            .await?)
    }

    /// A handshake-era POST to `/mcp`.
    async fn handshake(&self, inbound: Inbound, body: Body) -> Result<Outgoing, Refusal> {
        let header_version = handshake_version(inbound.headers.protocol_version.as_deref())?;
        let caller = inbound.caller;
        // initialize: a single request, no session yet.
        if let Body::Single(message) = &body
            && message.get("method").and_then(Value::as_str) == Some(INITIALIZE)
        {
            let id = jsonrpc::id_of(message);
            let incoming = jsonrpc::classify(message.clone())
                .map_err(|e| refused(id.clone(), e, header_version))?;
            let Incoming::Request { id, params, .. } = incoming else {
                return Err(refused(
                    RequestId::Null,
                    McpError::InvalidRequest("initialize must be a request with an id".into()),
                    header_version,
                ));
            };
            // initialize opens a session: one that names a session (live or not) is a client
            // confusing two conversations, and never silently gets a second one.
            if inbound.session_id.is_some() {
                return Err(refused(id, already_initialized(), header_version));
            }
            return self
                .initialize_streamable(caller, &id, &params, header_version)
                .await;
        }
        let session_id = inbound.session_id.as_deref().ok_or_else(|| {
            Refusal::MissingSession(format!(
                "the {SESSION_HEADER} header is required: send initialize first"
            ))
        })?;
        let session = self
            .find(session_id, &caller, Transport::Streamable)
            .await?;
        let info = session.shared.describe();
        let version = info.version;
        let messages = match body {
            Body::Single(message) => vec![message],
            Body::Batch(_) if !version.allows_batches() => {
                return Err(refused(
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
                Err(e) if !batch => return Err(refused(id, e, version)),
                Err(e) => immediate.push(jsonrpc::encode_error(&id, &e, version)),
                Ok(Incoming::Notification { method, params }) => {
                    notification(&session.shared, &method, &params);
                }
                Ok(Incoming::Response { .. }) => {
                    if let Some(response) = client_response {
                        session.addr.do_send(response);
                    }
                }
                Ok(Incoming::Request { id, method, .. }) if method == INITIALIZE => {
                    immediate.push(jsonrpc::encode_error(&id, &already_initialized(), version));
                }
                Ok(Incoming::Request { id, method, params }) => {
                    requests.push((id, method, params));
                }
            }
        }
        if requests.is_empty() && immediate.is_empty() {
            return Ok(Outgoing::Accepted);
        }
        let make_ctx = |params: &Map<String, Value>| {
            let mut ctx = self.context(caller.clone(), version, info.client_capabilities.clone());
            ctx.progress_token = progress_token(params, false);
            // Without logging/setLevel a handshake-era client gets every level.
            ctx.log_level = info.log_level.or(Some(LogLevel::Debug));
            ctx.session = Some(session.clone());
            ctx
        };
        // One request that may send notifications and a client that takes SSE: stream them.
        // Other calls (no progress token, no fixture tool logging) are answered as plain JSON,
        // which costs far less than a stream.
        if !batch
            && inbound.accepts_stream
            && let Some((_, method, params)) = requests.first()
            && (method == TASKS_RESULT
                || (method == TOOLS_CALL
                    && (progress_token(params, false).is_some() || self.fixtures())))
            && let Some((id, method, params)) = requests.pop()
        {
            let ctx = make_ctx(&params);
            let shared = session.shared.clone();
            return Ok(Outgoing::Stream(streamed(
                move |notifier| {
                    let mut ctx = ctx;
                    ctx.notifier = Some(notifier);
                    run_in_session(ctx, shared, id, method, params)
                },
                None,
            )));
        }
        let mut answers: Vec<String> = immediate;
        for (id, method, params) in requests {
            let mut ctx = make_ctx(&params);
            // Only progress (with a token) and the fixture tools' logs are ever sent.
            if ctx.progress_token.is_some() || self.fixtures() {
                ctx.notifier = Some(Notifier::Session(session.addr.clone()));
            }
            let answer =
                run_in_session(ctx, session.shared.clone(), id.clone(), method, params).await;
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
        Ok(Outgoing::Json {
            body: Encoded::Text(body),
            error_code: None,
            session_id: None,
        })
    }

    /// `initialize` over Streamable HTTP: mints a session (stored for the cluster before it is
    /// answered, on PostgreSQL).
    async fn initialize_streamable(
        &self,
        caller: Arc<Caller>,
        id: &RequestId,
        params: &Map<String, Value>,
        header_version: ProtocolVersion,
    ) -> Result<Outgoing, Refusal> {
        let answer = |body| Outgoing::Json {
            body: Encoded::Text(body),
            error_code: None,
            session_id: None,
        };
        let agreed = match lifecycle::initialize(params) {
            Ok(agreed) => agreed,
            Err(e) => return Ok(answer(jsonrpc::encode_error(id, &e, header_version))),
        };
        let result = match serialise(&agreed.result) {
            Ok(result) => result,
            Err(e) => return Ok(answer(jsonrpc::encode_error(id, &e, header_version))),
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
        McpSession::open(start, self.backend.clone(), self.registry.directory()).await?;
        Ok(Outgoing::Json {
            body: Encoded::result(id, result),
            error_code: None,
            session_id: Some(session_id),
        })
    }

    /// A stateless-era POST (2026-07-28): no session; the `_meta` envelope says everything.
    async fn stateless(&self, inbound: Inbound, body: Body) -> Result<Outgoing, Refusal> {
        let modern = ProtocolVersion::V2026_07_28;
        let Body::Single(message) = body else {
            return Err(refused(
                RequestId::Null,
                McpError::InvalidRequest(
                    "JSON-RPC batches are not allowed in protocol version 2026-07-28".into(),
                ),
                modern,
            ));
        };
        let id = jsonrpc::id_of(&message);
        let (id, method, params) = match jsonrpc::classify(message) {
            Err(e) => return Err(refused(id, e, modern)),
            Ok(Incoming::Request { id, method, params }) => (id, method, params),
            Ok(_) => return Ok(Outgoing::Accepted),
        };
        let envelope = stateless::envelope(&params).map_err(|e| refused(id.clone(), e, modern))?;
        stateless::check_headers(&inbound.headers, &envelope, &method, &params)
            .map_err(|e| refused(id.clone(), e, modern))?;
        let caller = inbound.caller;
        let mut ctx = self.context(
            caller.clone(),
            envelope.version,
            Arc::new(envelope.client_capabilities.clone()),
        );
        ctx.progress_token = envelope.progress_token.clone();
        ctx.log_level = envelope.log_level;
        if method == LISTEN {
            return subscriptions::listen(&ctx, &self.registry, id.clone(), &params)
                .await
                .map(Outgoing::Stream)
                .map_err(|e| refused(id, e, modern));
        }
        let streaming = inbound.accepts_stream
            && (ctx.progress_token.is_some() || ctx.log_level.is_some())
            && method == TOOLS_CALL;
        if streaming {
            let guard = self.registry.register_stream(caller.principal.token_id);
            return Ok(Outgoing::Stream(streamed(
                move |notifier| {
                    let mut ctx = ctx;
                    ctx.notifier = Some(notifier);
                    async move {
                        let answer = dispatch_observed(&ctx, &method, params).await;
                        Some(match answer {
                            Ok(result) => jsonrpc::encode_result(&id, &result),
                            Err(e) => jsonrpc::encode_error(&id, &e, ctx.version),
                        })
                    }
                },
                Some(guard),
            )));
        }
        Ok(match dispatch_observed(&ctx, &method, params).await {
            Ok(result) => Outgoing::Json {
                body: Encoded::result(&id, result),
                error_code: None,
                session_id: None,
            },
            Err(e) => Outgoing::Json {
                body: Encoded::Text(jsonrpc::encode_error(&id, &e, modern)),
                error_code: Some(e.code(modern)),
                session_id: None,
            },
        })
    }

    /// A POST to a legacy HTTP+SSE session: answered 202, its response sent on the stream.
    async fn legacy(
        &self,
        inbound: Inbound,
        incoming: Result<Body, McpError>,
    ) -> Result<Outgoing, Refusal> {
        let caller = inbound.caller;
        let session_id = inbound
            .session_id
            .as_deref()
            .ok_or_else(|| Refusal::MissingSession("a legacy message needs its session".into()))?;
        let session = self.find(session_id, &caller, Transport::Legacy).await?;
        let info = session.shared.describe();
        let version = info.version;
        let message = match incoming {
            Ok(Body::Single(message)) => message,
            Ok(Body::Batch(_)) => {
                let e = McpError::InvalidRequest("JSON-RPC batches are not allowed here".into());
                return Err(refused(RequestId::Null, e, version));
            }
            Err(e) => return Err(refused(RequestId::Null, e, version)),
        };
        let id = jsonrpc::id_of(&message);
        let client_response = ClientResponse::of_message(&message);
        let incoming = jsonrpc::classify(message).map_err(|e| refused(id, e, version))?;
        match incoming {
            Incoming::Response { .. } => {
                if let Some(response) = client_response {
                    session.addr.do_send(response);
                }
            }
            Incoming::Notification { method, params } => {
                notification(&session.shared, &method, &params);
            }
            Incoming::Request { id, method, params } if method == INITIALIZE => {
                let answer = initialize_legacy(&session, &id, &params, version).await;
                session.addr.do_send(DeliverEncoded(answer));
            }
            Incoming::Request { id, method, params } => {
                let mut ctx = self.context(caller, version, info.client_capabilities);
                ctx.progress_token = progress_token(&params, true);
                ctx.log_level = info.log_level.or(Some(LogLevel::Debug));
                ctx.notifier = Some(Notifier::Session(session.addr.clone()));
                ctx.session = Some(session.clone());
                actix::spawn(async move {
                    let shared = session.shared.clone();
                    if let Some(answer) = run_in_session(ctx, shared, id, method, params).await {
                        session.addr.do_send(DeliverEncoded(answer));
                    }
                });
            }
        }
        Ok(Outgoing::Accepted)
    }
}

fn already_initialized() -> McpError {
    McpError::InvalidRequest(format!(
        "{ALREADY_INITIALIZED}: send initialize without {SESSION_HEADER}"
    ))
}

fn serialise<T: serde::Serialize>(result: &T) -> Result<Reply, McpError> {
    serde_json::value::to_raw_value(result)
        .map(Arc::from)
        .map_err(|e| McpError::failed("serialising a result", e))
}

/// A notification from the client: only `notifications/cancelled` does anything.
fn notification(session: &SessionShared, method: &str, params: &Map<String, Value>) {
    if method == CANCELLED {
        session.cancel(params);
    }
}

/// `initialize` on a legacy session (opened by `GET /sse` beforehand): once only.
async fn initialize_legacy(
    session: &SessionHandle,
    id: &RequestId,
    params: &Map<String, Value>,
    version: ProtocolVersion,
) -> String {
    let agreed = match lifecycle::initialize(params) {
        Ok(agreed) => agreed,
        Err(e) => return jsonrpc::encode_error(id, &e, version),
    };
    let client_info = params.get("clientInfo").cloned();
    if !session.shared.negotiated(
        agreed.version,
        client_info.clone(),
        agreed.client_capabilities.clone(),
    ) {
        let e = McpError::InvalidRequest(ALREADY_INITIALIZED.into());
        return jsonrpc::encode_error(id, &e, version);
    }
    let result = match serialise(&agreed.result) {
        Ok(result) => result,
        Err(e) => return jsonrpc::encode_error(id, &e, version),
    };
    // Stored before it is answered: the next POST may reach another instance.
    let change = SessionChange::Negotiated {
        version: agreed.version.as_str().to_string(),
        client_info,
        capabilities: agreed.client_capabilities,
    };
    session.shared.persist(change).await;
    jsonrpc::encode_result(id, &result)
}

/// Dispatches a request of a session, cancellable by `notifications/cancelled`.
/// `None` when it was cancelled (nothing is answered then).
async fn run_in_session(
    ctx: RequestContext,
    session: Arc<SessionShared>,
    id: RequestId,
    method: String,
    params: Map<String, Value>,
) -> Option<String> {
    let key = id.key();
    let (abort, registration) = AbortHandle::new_pair();
    session.begin_request(key.clone(), abort);
    let version = ctx.version;
    let work = Abortable::new(
        async move { dispatch_observed(&ctx, &method, params).await },
        registration,
    );
    let answer = work.await;
    session.end_request(&key);
    match answer {
        Ok(Ok(result)) => Some(jsonrpc::encode_result(&id, &result)),
        Ok(Err(error)) => Some(jsonrpc::encode_error(&id, &error, version)),
        Err(_aborted) => None,
    }
}

/// Dispatches an MCP request and records its count and latency. Names a client invents
/// (unknown methods and tools) are counted as `unknown`, so they cannot grow the label set.
async fn dispatch_observed(
    ctx: &RequestContext,
    method: &str,
    params: Map<String, Value>,
) -> Result<Reply, McpError> {
    // Tools are counted by their own (static) names; a name no tool has is `unknown`.
    let tool = (method == TOOLS_CALL).then(|| {
        params
            .get("name")
            .and_then(Value::as_str)
            .and_then(surface::tool_name)
            .unwrap_or("unknown")
    });
    let started = Instant::now();
    let result = methods::handle(ctx, method, params).await;
    let (method, tool) = match &result {
        Err(McpError::MethodNotFound(_)) => ("unknown", ""),
        _ => (metrics::method_label(method), tool.unwrap_or_default()),
    };
    metrics::observe(method, tool, result.is_ok(), started.elapsed());
    result
}
