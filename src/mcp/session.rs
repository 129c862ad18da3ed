//! The session actor: one per MCP session (handshake era) or per `subscriptions/listen` stream
//! (stateless era). It owns its SSE sender, negotiated version, client capabilities, resource
//! subscriptions, tasks and in-flight requests, and talks to the backend by messages.
//!
//! It also keeps the server-to-client requests awaiting the client's response (see
//! [`request_client`]). Only the conformance fixture tools send such requests: aether365's own
//! tools are read-only and never ask the client to sample or elicit anything.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message, WrapFuture,
};
use actix_web_lab::sse;
use aether365_actors::Backend;
use aether365_actors::scans::{ScanEvent, Subscribe, Topic, Unsubscribe};
use futures_util::future::AbortHandle;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::context::{Caller, RequestContext};
use super::jsonrpc::{self, RequestId};
use super::logging::LogLevel;
use super::registry::{SessionRegistry, Transport};
use super::tasks;
use super::version::ProtocolVersion;
use aether365_actors::scans::next_subscriber_id;

/// One event of a session's stream. Boxed: the channel allocates its first block of 32
/// slots up front, and an idle stream should not hold 32 unboxed events' worth of memory.
pub type StreamEvent = Box<sse::Event>;

/// Capacity of a stream's channel.
const STREAM_CAPACITY: usize = 64;
/// Events kept for `Last-Event-ID` resumption.
const REPLAY_EVENTS: usize = 64;
/// A session with no open stream and no request for this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long a message waits for room on a stream whose client reads slowly before the
/// stream is closed.
const STREAM_WRITE_WAIT: Duration = Duration::from_secs(5);
/// How long a server-to-client request waits for the client's response.
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The client's answer to a server-to-client request: its `result`, or its `error` object.
pub type ClientReply = Result<Value, Value>;

/// How the session's client is connected.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionKind {
    /// Streamable HTTP, handshake era (`Mcp-Session-Id`).
    Streamable,
    /// Legacy HTTP+SSE: every response travels on the stream.
    LegacySse,
    /// A stateless-era `subscriptions/listen` stream; notifications carry this subscription id.
    Listener { subscription_id: RequestId },
}

impl SessionKind {
    /// The transport whose endpoints accept this session's id.
    pub fn transport(&self) -> Transport {
        match self {
            SessionKind::Streamable => Transport::Streamable,
            SessionKind::LegacySse => Transport::Legacy,
            SessionKind::Listener { .. } => Transport::Listener,
        }
    }
}

/// One MCP session.
pub struct McpSession {
    id: String,
    kind: SessionKind,
    caller: Arc<Caller>,
    backend: Backend,
    registry: SessionRegistry,
    shared: Arc<SessionShared>,
    stream: Option<mpsc::Sender<StreamEvent>>,
    next_event_id: u64,
    replay: VecDeque<(u64, String)>,
    /// Subscribed resource URIs, with the scan they follow.
    resources: HashMap<String, Option<i64>>,
    /// Scans started as tasks (or followed by a listener).
    tasks: Vec<i64>,
    /// Server-to-client requests awaiting the client's response, by request id.
    pending: HashMap<String, oneshot::Sender<ClientReply>>,
    next_client_request: u64,
    subscriber_id: u64,
}

/// What a session's requests read and write without a round trip to its actor: the
/// negotiated version, the client's capabilities, the log level, the requests in flight.
#[derive(Debug)]
pub struct SessionShared {
    state: std::sync::Mutex<SharedState>,
}

#[derive(Debug)]
struct SharedState {
    version: ProtocolVersion,
    client_capabilities: Arc<Value>,
    log_level: Option<LogLevel>,
    last_active: Instant,
    in_flight: HashMap<String, AbortHandle>,
    /// A legacy session learns its version at `initialize`, once.
    initialized: bool,
}

/// What a request handler needs to know about its session.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub version: ProtocolVersion,
    pub client_capabilities: Arc<Value>,
    pub log_level: Option<LogLevel>,
}

impl SessionShared {
    fn new(version: ProtocolVersion, client_capabilities: Value) -> SessionShared {
        SessionShared {
            state: std::sync::Mutex::new(SharedState {
                version,
                client_capabilities: Arc::new(client_capabilities),
                log_level: None,
                last_active: Instant::now(),
                in_flight: HashMap::new(),
                initialized: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SharedState> {
        // Poisoning only means a panic mid-update of plain fields.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The negotiated state; marks the session active.
    pub fn describe(&self) -> SessionInfo {
        let mut state = self.lock();
        state.last_active = Instant::now();
        SessionInfo {
            version: state.version,
            client_capabilities: Arc::clone(&state.client_capabilities),
            log_level: state.log_level,
        }
    }

    /// The negotiated version.
    pub fn version(&self) -> ProtocolVersion {
        self.lock().version
    }

    /// Sets the negotiated version and client capabilities (legacy SSE sessions learn them at
    /// `initialize`, after the stream is open). `false`, changing nothing, when the session was
    /// already initialized.
    pub fn negotiated(&self, version: ProtocolVersion, client_capabilities: Value) -> bool {
        let mut state = self.lock();
        if state.initialized {
            return false;
        }
        state.initialized = true;
        state.version = version;
        state.client_capabilities = Arc::new(client_capabilities);
        true
    }

    /// `logging/setLevel`.
    pub fn set_log_level(&self, level: LogLevel) {
        self.lock().log_level = Some(level);
    }

    /// Registers an in-flight request so `notifications/cancelled` can abort it.
    pub fn begin_request(&self, key: String, abort: AbortHandle) {
        let mut state = self.lock();
        state.last_active = Instant::now();
        state.in_flight.insert(key, abort);
    }

    /// Forgets a finished request.
    pub fn end_request(&self, key: &str) {
        let mut state = self.lock();
        state.last_active = Instant::now();
        state.in_flight.remove(key);
    }

    /// `notifications/cancelled`: aborts the request with this id, if still running.
    pub fn cancel_request(&self, key: &str) {
        if let Some(handle) = self.lock().in_flight.remove(key) {
            tracing::debug!(request = %key, "request cancelled");
            handle.abort();
        }
    }

    fn abort_all(&self) {
        for (_, handle) in self.lock().in_flight.drain() {
            handle.abort();
        }
    }

    fn idle_for(&self) -> Option<Duration> {
        let state = self.lock();
        state
            .in_flight
            .is_empty()
            .then(|| state.last_active.elapsed())
    }

    fn touch(&self) {
        self.lock().last_active = Instant::now();
    }
}

/// A live session: its actor (stream, subscriptions) and its shared state.
#[derive(Clone)]
pub struct SessionHandle {
    pub addr: Addr<McpSession>,
    pub shared: Arc<SessionShared>,
}
/// A fresh random session id (128 bits, hex).
pub fn new_session_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl McpSession {
    /// Starts a session for `caller`, registered under `id`.
    pub fn start_new(
        id: String,
        kind: SessionKind,
        caller: Arc<Caller>,
        backend: Backend,
        registry: SessionRegistry,
        version: ProtocolVersion,
        client_capabilities: Value,
    ) -> SessionHandle {
        let shared = Arc::new(SessionShared::new(version, client_capabilities));
        let session = McpSession {
            id,
            kind,
            caller,
            backend,
            registry,
            shared: Arc::clone(&shared),
            stream: None,
            next_event_id: 0,
            replay: VecDeque::new(),
            resources: HashMap::new(),
            tasks: Vec::new(),
            pending: HashMap::new(),
            next_client_request: 0,
            subscriber_id: next_subscriber_id(),
        };
        SessionHandle {
            addr: session.start(),
            shared,
        }
    }

    /// Sends one JSON-RPC message on the stream (kept for replay on the Streamable GET stream).
    fn deliver(&mut self, ctx: &mut Context<Self>, message: Value) {
        let encoded = match &self.kind {
            SessionKind::Listener { subscription_id } => {
                jsonrpc::encode_with_subscription(&message, subscription_id)
            }
            _ => message.to_string(),
        };
        self.deliver_encoded(ctx, encoded);
    }

    /// Sends one encoded JSON-RPC message on the stream.
    fn deliver_encoded(&mut self, ctx: &mut Context<Self>, data: String) {
        self.next_event_id += 1;
        let event_id = self.next_event_id;
        if self.kind == SessionKind::Streamable {
            if self.replay.len() == REPLAY_EVENTS {
                self.replay.pop_front();
            }
            self.replay.push_back((event_id, data.clone()));
        }
        let Some(tx) = &self.stream else {
            return;
        };
        let event = sse::Data::new(data)
            .event("message")
            .id(event_id.to_string());
        match tx.try_send(Box::new(event.into())) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(event)) => {
                // The client reads slowly: wait for room, handling nothing else meanwhile so
                // that messages keep their order; a client that stops reading loses its stream
                // (with the reason logged), never a message in the middle of it.
                let tx = tx.clone();
                ctx.wait(
                    async move { tokio::time::timeout(STREAM_WRITE_WAIT, tx.send(event)).await }
                        .into_actor(self)
                        .map(|sent, act, ctx| match sent {
                            Ok(Ok(())) => {}
                            Ok(Err(_closed)) => act.stream_gone(ctx),
                            Err(_elapsed) => {
                                tracing::warn!(
                                    session = %act.id,
                                    waited_s = STREAM_WRITE_WAIT.as_secs(),
                                    "SSE stream closed: the client stopped reading (its buffer stayed full)"
                                );
                                act.stream_gone(ctx);
                            }
                        }),
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.stream_gone(ctx),
        }
    }

    /// The stream ended (closed by the client, or by us): a legacy or listener session ends
    /// with it; a Streamable HTTP session keeps its replay buffer for a reconnection.
    fn stream_gone(&mut self, ctx: &mut Context<Self>) {
        self.stream = None;
        if matches!(
            self.kind,
            SessionKind::LegacySse | SessionKind::Listener { .. }
        ) {
            ctx.stop();
        }
    }

    /// Opens the stream; stops the session when a legacy or listener stream closes.
    fn open_stream(&mut self, ctx: &mut Context<Self>) -> mpsc::Receiver<StreamEvent> {
        let (tx, rx) = mpsc::channel(STREAM_CAPACITY);
        if matches!(
            self.kind,
            SessionKind::LegacySse | SessionKind::Listener { .. }
        ) {
            let watched = tx.clone();
            ctx.spawn(
                async move { watched.closed().await }
                    .into_actor(self)
                    .map(|_, _act, ctx| ctx.stop()),
            );
        }
        self.stream = Some(tx);
        self.shared.touch();
        rx
    }

    fn subscribe_scan(&self, ctx: &mut Context<Self>, scan_id: i64) {
        self.backend.scans.do_send(Subscribe {
            topic: Topic::Scan(scan_id),
            subscriber_id: self.subscriber_id,
            subscriber: ctx.address().recipient(),
        });
    }
}

impl Actor for McpSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.registry.insert(
            &self.id,
            self.caller.principal.token_id,
            self.kind.transport(),
            SessionHandle {
                addr: ctx.address(),
                shared: Arc::clone(&self.shared),
            },
        );
        ctx.run_interval(Duration::from_secs(60), |act, ctx| {
            let streaming = act.stream.as_ref().is_some_and(|tx| !tx.is_closed());
            let idle = act.shared.idle_for().is_some_and(|d| d > IDLE_TIMEOUT);
            if !streaming && idle {
                tracing::debug!(session = %act.id, "idle session expired");
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.registry.remove(&self.id);
        self.shared.abort_all();
        if !self.resources.is_empty() || !self.tasks.is_empty() {
            self.backend.scans.do_send(Unsubscribe {
                subscriber_id: self.subscriber_id,
            });
        }
    }
}

/// Opens (or reopens) the session's SSE stream; replays events after `last_event_id`.
#[derive(Message)]
#[rtype(result = "mpsc::Receiver<StreamEvent>")]
pub struct OpenStream {
    pub last_event_id: Option<u64>,
}

impl Handler<OpenStream> for McpSession {
    type Result = actix::MessageResult<OpenStream>;
    fn handle(&mut self, msg: OpenStream, ctx: &mut Self::Context) -> Self::Result {
        let rx = self.open_stream(ctx);
        if let (Some(after), Some(tx)) = (msg.last_event_id, &self.stream) {
            for (id, data) in self.replay.iter().filter(|(id, _)| *id > after) {
                let event = sse::Data::new(data.clone())
                    .event("message")
                    .id(id.to_string());
                if tx.try_send(Box::new(event.into())).is_err() {
                    break;
                }
            }
        }
        actix::MessageResult(rx)
    }
}

/// Sends a JSON-RPC message (response or notification) on the session's stream.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver(pub Value);

impl Handler<Deliver> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: Deliver, ctx: &mut Self::Context) {
        self.deliver(ctx, msg.0);
    }
}

/// Sends an encoded JSON-RPC response on the session's stream (legacy HTTP+SSE).
#[derive(Message)]
#[rtype(result = "()")]
pub struct DeliverEncoded(pub String);

impl Handler<DeliverEncoded> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: DeliverEncoded, ctx: &mut Self::Context) {
        self.deliver_encoded(ctx, msg.0);
    }
}

/// Sends a raw SSE event (the legacy `endpoint` event).
#[derive(Message)]
#[rtype(result = "()")]
pub struct DeliverEvent(pub sse::Event);

impl Handler<DeliverEvent> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: DeliverEvent, _: &mut Self::Context) {
        if let Some(tx) = &self.stream {
            let _ = tx.try_send(Box::new(msg.0));
        }
    }
}

/// `resources/subscribe` (the resource was checked to exist and be visible).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeResource {
    pub uri: String,
    pub scan_id: Option<i64>,
}

impl Handler<SubscribeResource> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: SubscribeResource, ctx: &mut Self::Context) {
        if let Some(scan_id) = msg.scan_id {
            self.subscribe_scan(ctx, scan_id);
        }
        self.resources.insert(msg.uri, msg.scan_id);
    }
}

/// `resources/unsubscribe`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UnsubscribeResource {
    pub uri: String,
}

impl Handler<UnsubscribeResource> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: UnsubscribeResource, _: &mut Self::Context) {
        self.resources.remove(&msg.uri);
    }
}

/// Follows a scan started by this session (task status notifications, `tasks/list`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TrackTask {
    pub scan_id: i64,
}

impl Handler<TrackTask> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: TrackTask, ctx: &mut Self::Context) {
        if !self.tasks.contains(&msg.scan_id) {
            self.tasks.push(msg.scan_id);
            self.subscribe_scan(ctx, msg.scan_id);
        }
    }
}

/// The scans this session started, oldest first.
#[derive(Message)]
#[rtype(result = "Vec<i64>")]
pub struct ListTasks;

impl Handler<ListTasks> for McpSession {
    type Result = actix::MessageResult<ListTasks>;
    fn handle(&mut self, _: ListTasks, _: &mut Self::Context) -> Self::Result {
        actix::MessageResult(self.tasks.clone())
    }
}

/// Ends the session (DELETE, revocation): its stream closes.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Close;

impl Handler<Close> for McpSession {
    type Result = ();
    fn handle(&mut self, _: Close, ctx: &mut Self::Context) {
        self.stream = None;
        ctx.stop();
    }
}

impl Handler<ScanEvent> for McpSession {
    type Result = ();
    fn handle(&mut self, event: ScanEvent, ctx: &mut Self::Context) {
        let status = event.status;
        let final_status = status.is_final();
        let uri = format!("aether365://scans/{}", event.scan_id);
        if final_status && self.resources.contains_key(&uri) {
            self.deliver(
                ctx,
                jsonrpc::notification("notifications/resources/updated", json!({"uri": uri})),
            );
        }
        if self.tasks.contains(&event.scan_id) {
            let modern = matches!(self.kind, SessionKind::Listener { .. });
            let method = if modern {
                "notifications/tasks"
            } else {
                "notifications/tasks/status"
            };
            if modern || self.shared.version().has_legacy_tasks() {
                let (ttl_key, poll_key) = if modern {
                    ("ttlMs", "pollIntervalMs")
                } else {
                    ("ttl", "pollInterval")
                };
                let params = json!({
                    "taskId": tasks::task_id(event.scan_id),
                    "status": tasks::task_status(status),
                    "statusMessage": format!("scan {} is {status} ({}/{})", event.scan_id, event.progress_done, event.progress_total),
                    "createdAt": event.at.to_rfc3339(),
                    "lastUpdatedAt": event.at.to_rfc3339(),
                    ttl_key: tasks::TASK_TTL_MS,
                    poll_key: tasks::POLL_INTERVAL_MS,
                });
                self.deliver(ctx, jsonrpc::notification(method, params));
            }
        }
    }
}

/// Registers a server-to-client request; answers its id and where its response will arrive.
#[derive(Message)]
#[rtype(result = "(Value, oneshot::Receiver<ClientReply>)")]
pub struct OpenClientRequest;

impl Handler<OpenClientRequest> for McpSession {
    type Result = actix::MessageResult<OpenClientRequest>;
    fn handle(&mut self, _: OpenClientRequest, _: &mut Self::Context) -> Self::Result {
        self.next_client_request += 1;
        let id = Value::String(format!("aether365-{}", self.next_client_request));
        let (tx, rx) = oneshot::channel();
        self.pending.insert(id.to_string(), tx);
        actix::MessageResult((id, rx))
    }
}

/// A JSON-RPC response the client POSTed: completes the server-to-client request `id`.
#[derive(Message, Clone, Debug, PartialEq)]
#[rtype(result = "()")]
pub struct ClientResponse {
    pub id: RequestId,
    pub reply: ClientReply,
}

impl ClientResponse {
    /// The client response `message` carries, if it is one (an id, no method, and a `result`
    /// or an `error`).
    pub fn of_message(message: &jsonrpc::Message) -> Option<ClientResponse> {
        let obj = message.value.as_object()?;
        if obj.contains_key("method") {
            return None;
        }
        let id = RequestId::of_raw(message.id.clone()?)?;
        let reply = match (obj.get("result"), obj.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            _ => return None,
        };
        Some(ClientResponse { id, reply })
    }
}

impl Handler<ClientResponse> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: ClientResponse, _: &mut Self::Context) {
        self.shared.touch();
        match self.pending.remove(&msg.id.key()) {
            // The waiting request may have given up meanwhile: nothing to do then.
            Some(tx) => {
                let _ = tx.send(msg.reply);
            }
            None => {
                tracing::debug!(session = %self.id, id = %msg.id, "response to no pending request ignored");
            }
        }
    }
}

/// Forgets a server-to-client request that timed out or whose caller went away.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ForgetClientRequest {
    pub id: Value,
}

impl Handler<ForgetClientRequest> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: ForgetClientRequest, _: &mut Self::Context) {
        self.pending.remove(&msg.id.to_string());
    }
}

/// Why a server-to-client request got no result.
#[derive(Debug, thiserror::Error)]
pub enum ClientRequestError {
    #[error(
        "the server can only send requests to a client in a session (protocol versions 2024-11-05 to 2025-11-25)"
    )]
    NoSession,
    #[error("{method} does not exist in protocol version {version}")]
    NotInVersion {
        method: String,
        version: ProtocolVersion,
    },
    #[error("the client did not declare the {0:?} capability")]
    Unsupported(&'static str),
    #[error("the session ended before the client answered")]
    SessionGone,
    #[error("the client did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("the client answered with error {code}: {message}")]
    Rejected { code: i64, message: String },
}

/// The client capability a server-to-client method needs, and the first version that has it.
fn client_method_requirements(method: &str) -> Option<(&'static str, ProtocolVersion)> {
    match method {
        "sampling/createMessage" => Some(("sampling", ProtocolVersion::V2024_11_05)),
        "roots/list" => Some(("roots", ProtocolVersion::V2024_11_05)),
        "elicitation/create" => Some(("elicitation", ProtocolVersion::V2025_06_18)),
        _ => None,
    }
}

/// Forgets the pending request when the waiting call ends without a response (timeout, or the
/// calling request was cancelled).
struct PendingGuard {
    session: actix::Addr<McpSession>,
    id: Value,
    armed: bool,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if self.armed {
            self.session.do_send(ForgetClientRequest {
                id: self.id.clone(),
            });
        }
    }
}

/// Sends the request `method` to the client while `ctx`'s request runs, and waits (at most
/// [`CLIENT_REQUEST_TIMEOUT`]) for the client to POST its response. The request travels where
/// the request's notifications go: the POST's SSE response (Streamable HTTP), else the
/// session's stream (legacy HTTP+SSE, or a POST answered with JSON).
///
/// Only the conformance fixture tools call this: aether365's own tools are read-only and never
/// send requests to the client.
pub async fn request_client(
    ctx: &RequestContext,
    method: &str,
    params: Value,
) -> Result<Value, ClientRequestError> {
    let (Some(session), Some(notifier)) = (&ctx.session, &ctx.notifier) else {
        return Err(ClientRequestError::NoSession);
    };
    if let Some((capability, since)) = client_method_requirements(method) {
        if ctx.version < since {
            return Err(ClientRequestError::NotInVersion {
                method: method.to_string(),
                version: ctx.version,
            });
        }
        if ctx.client_capabilities.get(capability).is_none() {
            return Err(ClientRequestError::Unsupported(capability));
        }
    }
    let (id, reply) = session
        .addr
        .send(OpenClientRequest)
        .await
        .map_err(|_| ClientRequestError::SessionGone)?;
    let mut guard = PendingGuard {
        session: session.addr.clone(),
        id: id.clone(),
        armed: true,
    };
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    if notifier.send(request).await.is_err() {
        return Err(ClientRequestError::SessionGone);
    }
    tracing::debug!(id = %id, method, "request sent to the client");
    match tokio::time::timeout(CLIENT_REQUEST_TIMEOUT, reply).await {
        Ok(Ok(answer)) => {
            guard.armed = false;
            answer.map_err(|error| ClientRequestError::Rejected {
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        Ok(Err(_closed)) => Err(ClientRequestError::SessionGone),
        Err(_elapsed) => {
            let cancel = jsonrpc::notification(
                "notifications/cancelled",
                json!({"requestId": id, "reason": "timed out"}),
            );
            let _ = notifier.send(cancel).await;
            Err(ClientRequestError::Timeout(CLIENT_REQUEST_TIMEOUT))
        }
    }
}
