//! The session actor: one per MCP session (handshake era) or per `subscriptions/listen` stream
//! (stateless era). It owns its SSE sender, tasks' and resources' scan subscriptions and
//! in-flight requests, and talks to the backend by messages.
//!
//! On PostgreSQL a handshake-era session belongs to the cluster (see [`super::cluster`]): this
//! actor is this instance's copy of it; only the copy on the instance holding the session's
//! stream writes to a stream, the others publish what they must write on the cluster bus.
//!
//! It also keeps the server-to-client requests awaiting the client's response (see
//! [`request_client`]). Only the conformance fixture tools send such requests: aether365's own
//! tools are read-only and never ask the client to sample or elicit anything.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message,
    ResponseActFuture, WrapFuture,
};
use actix_web_lab::sse;
use aether365_actors::Backend;
use aether365_actors::cluster::ClusterEvent;
use aether365_actors::cluster::sessions::{SessionChange, StoredSession, StoredTransport};
use aether365_actors::scans::{ScanEvent, ScanStatus, Subscribe, Topic, Unsubscribe};
use futures_util::future::AbortHandle;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::caller::Caller;
use super::cluster::ClusterLink;
use super::jsonrpc::{self, RequestId};
use super::logging::LogLevel;
use super::surface::resources;
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
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);
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

    fn stored(&self) -> Option<StoredTransport> {
        match self {
            SessionKind::Streamable => Some(StoredTransport::Streamable),
            SessionKind::LegacySse => Some(StoredTransport::Legacy),
            SessionKind::Listener { .. } => None,
        }
    }
}

/// One MCP session (this instance's copy of it, on PostgreSQL).
pub struct McpSession {
    id: String,
    kind: SessionKind,
    caller: Arc<Caller>,
    backend: Backend,
    registry: Arc<dyn Directory>,
    shared: Arc<SessionShared>,
    stream: Option<mpsc::Sender<StreamEvent>>,
    next_event_id: u64,
    replay: VecDeque<(u64, String)>,
    /// The scans this copy follows on the scan manager (the holder's copy only).
    followed: HashSet<i64>,
    /// Tenants whose scans this session follows (posture resource subscriptions).
    followed_tenants: HashSet<i64>,
    /// Server-to-client requests awaiting the client's response, by request id.
    pending: HashMap<String, oneshot::Sender<ClientReply>>,
    next_client_request: u64,
    subscriber_id: u64,
    /// The session ends everywhere when this copy stops (its legacy stream closed).
    end_everywhere: bool,
}

/// What a session's requests read and write without a round trip to its actor: the
/// negotiated version, the client's capabilities, the log level, subscriptions and tasks, the
/// requests in flight.
#[derive(Debug)]
pub struct SessionShared {
    id: String,
    token_id: i64,
    kind: SessionKind,
    /// `None` on SQLite and for stateless-era listeners.
    link: Option<Arc<ClusterLink>>,
    state: std::sync::Mutex<SharedState>,
}

#[derive(Debug)]
struct SharedState {
    version: ProtocolVersion,
    client_info: Option<Value>,
    client_capabilities: Arc<Value>,
    log_level: Option<LogLevel>,
    last_active: Instant,
    in_flight: HashMap<String, AbortHandle>,
    /// A legacy session learns its version at `initialize`, once.
    initialized: bool,
    /// Subscribed resource URIs, with the scan they follow.
    resources: BTreeMap<String, Option<i64>>,
    /// Scans started as tasks (or followed by a listener), oldest first.
    tasks: Vec<i64>,
    /// The instance holding the stream (clustered sessions).
    holder: String,
    /// The stored revision this state reflects (clustered sessions).
    revision: i64,
    /// This copy's own changes being stored, by sequence number: a stored state read back
    /// meanwhile (from an earlier change) does not have them yet, so they are applied again
    /// on top of it.
    pending: Vec<(u64, SessionChange)>,
    next_change: u64,
}

impl SharedState {
    /// Applies one change to this copy, as the database applies it to the stored row.
    fn apply_change(&mut self, change: &SessionChange) {
        match change {
            SessionChange::Subscribe { uri, scan_id } => {
                self.resources.insert(uri.clone(), *scan_id);
            }
            SessionChange::Unsubscribe { uri } => {
                self.resources.remove(uri);
            }
            SessionChange::TrackTask { scan_id } => {
                if !self.tasks.contains(scan_id) {
                    self.tasks.push(*scan_id);
                }
            }
            SessionChange::LogLevel(level) => self.log_level = LogLevel::parse(level),
            SessionChange::Negotiated {
                version,
                client_info,
                capabilities,
            } => {
                if let Some(version) = ProtocolVersion::parse(version) {
                    self.version = version;
                }
                self.client_info = client_info.clone();
                self.client_capabilities = Arc::new(capabilities.clone());
                self.initialized = true;
            }
            SessionChange::Holder(holder) => self.holder = holder.clone(),
        }
    }
}

/// What a request handler needs to know about its session.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub version: ProtocolVersion,
    pub client_capabilities: Arc<Value>,
    pub log_level: Option<LogLevel>,
}

/// How a new session starts.
pub struct SessionStart {
    pub id: String,
    pub kind: SessionKind,
    pub caller: Arc<Caller>,
    pub version: ProtocolVersion,
    pub client_info: Option<Value>,
    pub client_capabilities: Value,
}

impl SessionShared {
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
    pub fn negotiated(
        &self,
        version: ProtocolVersion,
        client_info: Option<Value>,
        client_capabilities: Value,
    ) -> bool {
        let mut state = self.lock();
        if state.initialized {
            return false;
        }
        state.initialized = true;
        state.version = version;
        state.client_info = client_info;
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

    /// `notifications/cancelled`: aborts the request with this id, if still running here;
    /// `false` when it is not running here.
    pub fn cancel_request(&self, key: &str) -> bool {
        let Some(handle) = self.lock().in_flight.remove(key) else {
            return false;
        };
        tracing::debug!(request = %key, "request cancelled");
        handle.abort();
        true
    }

    /// `notifications/cancelled` with these params: the request is aborted here, or on the
    /// instance running it.
    pub fn cancel(&self, params: &serde_json::Map<String, Value>) {
        let Some(request_id) = params.get("requestId").and_then(RequestId::of_value) else {
            return;
        };
        if !self.cancel_request(&request_id.key()) {
            self.relay(json!({
                "jsonrpc": "2.0", "method": "notifications/cancelled", "params": params,
            }));
        }
    }

    /// Hands a client's message to the other instances (one of them runs the request it
    /// concerns); nothing on SQLite.
    fn relay(&self, message: Value) {
        if let Some(link) = &self.link {
            link.bus.publish(ClusterEvent::SessionInbound {
                session_id: self.id.clone(),
                origin: link.instance_id().to_string(),
                message,
            });
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

    /// When the session was last active here.
    pub fn last_active(&self) -> Instant {
        self.lock().last_active
    }

    /// The instance holding the session's stream (this one on SQLite).
    pub fn holder(&self) -> Option<String> {
        self.link.as_ref().map(|_| self.lock().holder.clone())
    }

    /// Whether this instance holds the session's stream (always on SQLite).
    pub fn is_holder(&self) -> bool {
        match &self.link {
            None => true,
            Some(link) => self.lock().holder == link.instance_id(),
        }
    }

    /// Whether the instance holding the session's stream is alive (always on SQLite).
    pub fn holder_alive(&self) -> bool {
        match &self.link {
            None => true,
            Some(link) => link.is_alive(&self.lock().holder),
        }
    }

    /// The stored form of the session (clustered sessions only).
    pub fn stored(&self) -> Option<StoredSession> {
        let transport = self.kind.stored()?;
        self.link.as_ref()?;
        let state = self.lock();
        Some(StoredSession {
            id: self.id.clone(),
            token_id: self.token_id,
            transport,
            protocol_version: state.version.as_str().to_string(),
            client_info: state.client_info.clone(),
            client_capabilities: (*state.client_capabilities).clone(),
            log_level: state.log_level.map(|l| l.as_str().to_string()),
            subscriptions: state.resources.clone(),
            tasks: state.tasks.clone(),
            initialized: state.initialized,
            holder: state.holder.clone(),
            revision: state.revision,
        })
    }

    /// Stores a change this instance made to the session, for the other instances (nothing on
    /// SQLite). A failure is logged: the change holds on this instance.
    pub async fn persist(&self, change: SessionChange) {
        let Some(link) = &self.link else {
            return;
        };
        if self.kind.stored().is_none() {
            return;
        }
        let seq = {
            let mut state = self.lock();
            state.next_change += 1;
            let seq = state.next_change;
            state.pending.push((seq, change.clone()));
            seq
        };
        let stored = link.change(&self.id, &change).await;
        self.lock().pending.retain(|(s, _)| *s != seq);
        match stored {
            Ok(Some(stored)) => {
                self.apply(&stored);
            }
            Ok(None) => {
                tracing::debug!(session = %self.id, "session ended before its change was stored")
            }
            Err(e) => tracing::error!(session = %self.id, "cannot store the session's change: {e}"),
        }
    }

    /// Makes this instance the holder of the session's stream; its id when it was not.
    fn take_holder(&self) -> Option<String> {
        let link = self.link.as_ref()?;
        let mut state = self.lock();
        if state.holder == link.instance_id() {
            return None;
        }
        state.holder = link.instance_id().to_string();
        Some(state.holder.clone())
    }

    /// Replaces the state with the stored one when it is newer; `true` when it was.
    fn apply(&self, stored: &StoredSession) -> bool {
        let mut state = self.lock();
        if stored.revision <= state.revision {
            return false;
        }
        state.revision = stored.revision;
        if let Some(version) = ProtocolVersion::parse(&stored.protocol_version) {
            state.version = version;
        }
        state.client_info = stored.client_info.clone();
        state.client_capabilities = Arc::new(stored.client_capabilities.clone());
        state.log_level = stored.log_level.as_deref().and_then(LogLevel::parse);
        state.initialized = stored.initialized;
        state.resources = stored.subscriptions.clone();
        state.tasks = stored.tasks.clone();
        state.holder = stored.holder.clone();
        // This copy's changes still being stored are not in `stored` yet.
        let pending = std::mem::take(&mut state.pending);
        for (_, change) in &pending {
            state.apply_change(change);
        }
        state.pending = pending;
        true
    }

    /// The scans the session follows (resources and tasks).
    fn scans(&self) -> HashSet<i64> {
        let state = self.lock();
        state
            .resources
            .values()
            .flatten()
            .copied()
            .chain(state.tasks.iter().copied())
            .collect()
    }

    /// The tenants whose posture resource the session subscribed to.
    fn tenants(&self) -> HashSet<i64> {
        self.lock()
            .resources
            .keys()
            .filter_map(|uri| resources::tenant_of_posture_uri(uri))
            .collect()
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

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot store the session: {0}")]
    Store(#[from] aether365_actors::cluster::BusError),
}

impl McpSession {
    fn start_with(
        start: SessionStart,
        backend: Backend,
        registry: Arc<dyn Directory>,
        link: Option<Arc<ClusterLink>>,
        stored: Option<&StoredSession>,
    ) -> SessionHandle {
        let link = link.filter(|_| start.kind.stored().is_some());
        let holder = link
            .as_ref()
            .map(|l| l.instance_id().to_string())
            .unwrap_or_default();
        let shared = Arc::new(SessionShared {
            id: start.id.clone(),
            token_id: start.caller.principal.token_id,
            kind: start.kind.clone(),
            link,
            state: std::sync::Mutex::new(SharedState {
                version: start.version,
                client_info: start.client_info,
                client_capabilities: Arc::new(start.client_capabilities),
                log_level: None,
                last_active: Instant::now(),
                in_flight: HashMap::new(),
                initialized: false,
                resources: BTreeMap::new(),
                tasks: Vec::new(),
                holder,
                // A copy takes the stored state whatever its revision; a new session is at 0.
                revision: if stored.is_some() { -1 } else { 0 },
                pending: Vec::new(),
                next_change: 0,
            }),
        });
        if let Some(stored) = stored {
            shared.apply(stored);
        }
        let session = McpSession {
            id: start.id,
            kind: start.kind,
            caller: start.caller,
            backend,
            registry: registry.clone(),
            shared: Arc::clone(&shared),
            stream: None,
            next_event_id: 0,
            replay: VecDeque::new(),
            followed: HashSet::new(),
            followed_tenants: HashSet::new(),
            pending: HashMap::new(),
            next_client_request: 0,
            subscriber_id: next_subscriber_id(),
            end_everywhere: false,
        };
        let transport = session.kind.transport();
        let token_id = session.caller.principal.token_id;
        let id = session.id.clone();
        let handle = SessionHandle {
            addr: session.start(),
            shared,
        };
        registry.insert(&id, token_id, transport, handle.clone());
        handle
    }

    /// Starts a session for `caller`, registered under `id` (not stored: a stateless-era
    /// listener, or any session on SQLite).
    pub fn start_new(
        id: String,
        kind: SessionKind,
        caller: Arc<Caller>,
        backend: Backend,
        registry: Arc<dyn Directory>,
        version: ProtocolVersion,
        client_capabilities: Value,
    ) -> SessionHandle {
        let start = SessionStart {
            id,
            kind,
            caller,
            version,
            client_info: None,
            client_capabilities,
        };
        McpSession::start_with(start, backend, registry, None, None)
    }

    /// Opens a handshake-era session: stored for the whole cluster (held by this instance)
    /// before it is answered, on PostgreSQL.
    pub async fn open(
        start: SessionStart,
        backend: Backend,
        registry: Arc<dyn Directory>,
    ) -> Result<SessionHandle, OpenError> {
        let link = registry.link();
        let handle = McpSession::start_with(start, backend, registry.clone(), link.clone(), None);
        if let (Some(link), Some(stored)) = (&link, handle.shared.stored())
            && let Err(e) = aether365_actors::cluster::sessions::insert(&link.db, &stored).await
        {
            registry.remove(&stored.id, &handle.addr);
            handle.addr.do_send(Close);
            return Err(e.into());
        }
        Ok(handle)
    }

    /// This instance's copy of a session stored by the cluster.
    pub fn copy_of(
        stored: &StoredSession,
        caller: Arc<Caller>,
        backend: Backend,
        registry: Arc<dyn Directory>,
    ) -> SessionHandle {
        let kind = match stored.transport {
            StoredTransport::Streamable => SessionKind::Streamable,
            StoredTransport::Legacy => SessionKind::LegacySse,
        };
        let start = SessionStart {
            id: stored.id.clone(),
            kind,
            caller,
            version: ProtocolVersion::parse(&stored.protocol_version)
                .unwrap_or(ProtocolVersion::DEFAULT_HTTP),
            client_info: stored.client_info.clone(),
            client_capabilities: stored.client_capabilities.clone(),
        };
        let link = registry.link();
        McpSession::start_with(start, backend, registry, link, Some(stored))
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

    /// Sends one encoded JSON-RPC message on the stream, wherever the cluster holds it.
    fn deliver_encoded(&mut self, ctx: &mut Context<Self>, data: String) {
        if let Some(link) = &self.shared.link
            && !self.shared.is_holder()
        {
            self.to_holder(link, data);
            return;
        }
        self.write(ctx, data);
    }

    /// Hands one encoded JSON-RPC message to the instance holding the stream, by the bus.
    fn to_holder(&self, link: &ClusterLink, data: String) {
        link.bus.publish(ClusterEvent::SessionMessage {
            session_id: self.id.clone(),
            data,
        });
    }

    /// Writes one encoded JSON-RPC message on this instance's stream.
    fn write(&mut self, ctx: &mut Context<Self>, data: String) {
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
    /// with it (everywhere); a Streamable HTTP session keeps its replay buffer for a
    /// reconnection.
    fn stream_gone(&mut self, ctx: &mut Context<Self>) {
        self.stream = None;
        if matches!(
            self.kind,
            SessionKind::LegacySse | SessionKind::Listener { .. }
        ) {
            self.end_everywhere = true;
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
                    .map(|_, act, ctx| {
                        act.end_everywhere = true;
                        ctx.stop();
                    }),
            );
        }
        self.stream = Some(tx);
        self.shared.touch();
        self.follow_scans(ctx);
        rx
    }

    /// Follows, on this instance's scan manager, every scan the session subscribed to, when
    /// this instance holds its stream; forgets them all otherwise.
    fn follow_scans(&mut self, ctx: &mut Context<Self>) {
        if !self.shared.is_holder() {
            if !self.followed.is_empty() || !self.followed_tenants.is_empty() {
                self.followed.clear();
                self.followed_tenants.clear();
                self.backend.scans.do_send(Unsubscribe {
                    subscriber_id: self.subscriber_id,
                });
            }
            return;
        }
        for scan_id in self.shared.scans() {
            if self.followed.insert(scan_id) {
                self.backend.scans.do_send(Subscribe {
                    topic: Topic::Scan(scan_id),
                    subscriber_id: self.subscriber_id,
                    subscriber: ctx.address().recipient(),
                });
            }
        }
        for tenant_id in self.shared.tenants() {
            if self.followed_tenants.insert(tenant_id) {
                self.backend.scans.do_send(Subscribe {
                    topic: Topic::Tenant(tenant_id),
                    subscriber_id: self.subscriber_id,
                    subscriber: ctx.address().recipient(),
                });
            }
        }
    }
}

impl Actor for McpSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.follow_scans(ctx);
        ctx.run_interval(Duration::from_secs(60), |act, ctx| {
            let streaming = act.stream.as_ref().is_some_and(|tx| !tx.is_closed());
            if streaming {
                // An open stream keeps the session alive cluster-wide.
                act.shared.touch();
            }
            let idle = act.shared.idle_for().is_some_and(|d| d > IDLE_TIMEOUT);
            if !streaming && idle {
                tracing::debug!(session = %act.id, "idle session expired");
                ctx.stop();
            }
        });
    }

    fn stopped(&mut self, ctx: &mut Self::Context) {
        self.registry.remove(&self.id, &ctx.address());
        self.shared.abort_all();
        if !self.followed.is_empty() || !self.followed_tenants.is_empty() {
            self.backend.scans.do_send(Unsubscribe {
                subscriber_id: self.subscriber_id,
            });
        }
        if self.end_everywhere
            && let Some(link) = self.shared.link.clone()
            && self.shared.is_holder()
        {
            let id = self.id.clone();
            actix::spawn(async move {
                if let Err(e) = link.end(&id).await {
                    tracing::warn!(session = %id, "cannot end the session cluster-wide: {e}");
                }
            });
        }
    }
}

/// Opens (or reopens) the session's SSE stream; replays events after `last_event_id`. On
/// PostgreSQL this instance becomes the holder of the session's stream (stored before the
/// stream opens).
#[derive(Message)]
#[rtype(result = "mpsc::Receiver<StreamEvent>")]
pub struct OpenStream {
    pub last_event_id: Option<u64>,
}

impl Handler<OpenStream> for McpSession {
    type Result = ResponseActFuture<Self, mpsc::Receiver<StreamEvent>>;
    fn handle(&mut self, msg: OpenStream, _ctx: &mut Self::Context) -> Self::Result {
        let shared = Arc::clone(&self.shared);
        let previous = shared.holder();
        let taken = shared.take_holder();
        if let Some(after) = msg.last_event_id {
            // The events written here from now on follow the ones the client has seen, wherever
            // those were written.
            self.next_event_id = self.next_event_id.max(after);
        }
        // The stream comes from another instance: what that one wrote after `after` is there.
        let replay_from = previous
            .filter(|p| taken.is_some() && !p.is_empty())
            .zip(msg.last_event_id);
        Box::pin(
            async move {
                if let Some(holder) = taken {
                    shared.persist(SessionChange::Holder(holder)).await;
                }
            }
            .into_actor(self)
            .map(move |(), act, ctx| {
                let rx = act.open_stream(ctx);
                if let (Some((previous, after)), Some(link)) = (replay_from, &act.shared.link) {
                    link.bus.publish(ClusterEvent::SessionReplay {
                        session_id: act.id.clone(),
                        previous,
                        after,
                    });
                }
                if let (Some(after), Some(tx)) = (msg.last_event_id, &act.stream) {
                    for (id, data) in act.replay.iter().filter(|(id, _)| *id > after) {
                        let event = sse::Data::new(data.clone())
                            .event("message")
                            .id(id.to_string());
                        if tx.try_send(Box::new(event.into())).is_err() {
                            break;
                        }
                    }
                }
                rx
            }),
        )
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

/// A message another instance published for this session's stream: written when this
/// instance holds it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DeliverRemote(pub String);

impl Handler<DeliverRemote> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: DeliverRemote, ctx: &mut Self::Context) {
        if self.shared.is_holder() {
            self.write(ctx, msg.0);
        }
    }
}

/// The session's stream, held here before, was reopened on another instance with
/// `Last-Event-ID: after`: the events this copy wrote after it go there (by the bus, whatever
/// this copy believes about the holder, which it may not have reloaded yet), and this copy
/// forgets them.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReplayElsewhere {
    pub after: u64,
}

impl Handler<ReplayElsewhere> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: ReplayElsewhere, _: &mut Self::Context) {
        let Some(link) = self.shared.link.clone() else {
            return;
        };
        let replay = std::mem::take(&mut self.replay);
        for (_, data) in replay.into_iter().filter(|(id, _)| *id > msg.after) {
            self.to_holder(&link, data);
        }
    }
}

/// Another instance changed the session's stored state: this copy takes it (and, when it
/// no longer holds the stream, closes its own).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload(pub StoredSession);

impl Handler<Reload> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: Reload, ctx: &mut Self::Context) {
        let was_holder = self.shared.is_holder();
        if !self.shared.apply(&msg.0) {
            return;
        }
        if was_holder && !self.shared.is_holder() && self.stream.take().is_some() {
            tracing::debug!(session = %self.id, holder = %msg.0.holder, "the session's stream moved to another instance");
        }
        self.follow_scans(ctx);
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

/// `resources/subscribe` (the resource was checked to exist and be visible); answered once
/// the subscription is stored.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeResource {
    pub uri: String,
    pub scan_id: Option<i64>,
}

impl Handler<SubscribeResource> for McpSession {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: SubscribeResource, ctx: &mut Self::Context) -> Self::Result {
        let change = SessionChange::Subscribe {
            uri: msg.uri,
            scan_id: msg.scan_id,
        };
        self.shared.lock().apply_change(&change);
        if let Some(scan_id) = msg.scan_id {
            // Asked again even when followed already (a scan this session started): the
            // manager answers a scan that has finished with its final event, which the
            // subscription must see even though the task saw it before.
            self.followed.remove(&scan_id);
        }
        self.follow_scans(ctx);
        let shared = Arc::clone(&self.shared);
        Box::pin(
            async move { shared.persist(change).await }
                .into_actor(self)
                .map(|(), act, ctx| act.follow_scans(ctx)),
        )
    }
}

/// `resources/unsubscribe`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UnsubscribeResource {
    pub uri: String,
}

impl Handler<UnsubscribeResource> for McpSession {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: UnsubscribeResource, _: &mut Self::Context) -> Self::Result {
        let change = SessionChange::Unsubscribe { uri: msg.uri };
        self.shared.lock().apply_change(&change);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move { shared.persist(change).await }.into_actor(self))
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
        let change = SessionChange::TrackTask {
            scan_id: msg.scan_id,
        };
        let added = {
            let mut state = self.shared.lock();
            let added = !state.tasks.contains(&msg.scan_id);
            state.apply_change(&change);
            added
        };
        if added {
            self.follow_scans(ctx);
            let shared = Arc::clone(&self.shared);
            ctx.spawn(
                async move { shared.persist(change).await }
                    .into_actor(self)
                    .map(|(), act, ctx| act.follow_scans(ctx)),
            );
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
        actix::MessageResult(self.shared.lock().tasks.clone())
    }
}

/// Ends this copy of the session (DELETE, revocation, the session ended elsewhere): its
/// stream closes.
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
        if !self.shared.is_holder() {
            return;
        }
        let status = event.status;
        let final_status = status.is_final();
        let uri = format!("aether365://scans/{}", event.scan_id);
        let posture = resources::posture_uri(event.tenant_id);
        let (subscribed, posture_subscribed, tracked) = {
            let state = self.shared.lock();
            (
                state.resources.contains_key(&uri),
                state.resources.contains_key(&posture),
                state.tasks.contains(&event.scan_id),
            )
        };
        // A tenant's posture is computed from its completed scans only.
        if status == ScanStatus::Completed && posture_subscribed {
            self.deliver(
                ctx,
                jsonrpc::notification("notifications/resources/updated", json!({"uri": posture})),
            );
        }
        if final_status && subscribed {
            self.deliver(
                ctx,
                jsonrpc::notification("notifications/resources/updated", json!({"uri": uri})),
            );
        }
        if tracked {
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
    /// It came from another instance (which found no request of its own waiting for it).
    pub relayed: bool,
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
        Some(ClientResponse {
            id,
            reply,
            relayed: false,
        })
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
            None if !msg.relayed && self.shared.link.is_some() => {
                // The request may be waiting on another instance.
                let message = match msg.reply {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": msg.id, "result": result}),
                    Err(error) => json!({"jsonrpc": "2.0", "id": msg.id, "error": error}),
                };
                self.shared.relay(message);
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

/// What a request that asks the client something runs with (from its request context).
pub struct ClientAsker<'a> {
    pub session: Option<&'a SessionHandle>,
    pub notifier: Option<&'a Notifier>,
    pub version: ProtocolVersion,
    pub client_capabilities: &'a Value,
}

/// Sends the request `method` to the client while `ctx`'s request runs, and waits (at most
/// [`CLIENT_REQUEST_TIMEOUT`]) for the client to POST its response. The request travels where
/// the request's notifications go: the POST's SSE response (Streamable HTTP), else the
/// session's stream (legacy HTTP+SSE, or a POST answered with JSON).
///
/// Only the conformance fixture tools call this: aether365's own tools are read-only and never
/// send requests to the client.
pub async fn request_client(
    asker: ClientAsker<'_>,
    method: &str,
    params: Value,
) -> Result<Value, ClientRequestError> {
    let (Some(session), Some(notifier)) = (asker.session, asker.notifier) else {
        return Err(ClientRequestError::NoSession);
    };
    if let Some((capability, since)) = client_method_requirements(method) {
        if asker.version < since {
            return Err(ClientRequestError::NotInVersion {
                method: method.to_string(),
                version: asker.version,
            });
        }
        if asker.client_capabilities.get(capability).is_none() {
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

/// Where a request's notifications (progress, log messages) go: JSON-RPC messages framed by
/// the transport (the POST's SSE response), or the session's own stream.
#[derive(Clone)]
pub enum Notifier {
    /// The request's own SSE response.
    Channel(mpsc::Sender<Value>),
    /// The session's stream (legacy HTTP+SSE, or a POST answered with JSON).
    Session(Addr<McpSession>),
}

/// The notification's stream is gone.
#[derive(Debug)]
pub struct StreamClosed;

impl Notifier {
    /// Sends one JSON-RPC message.
    pub async fn send(&self, message: Value) -> Result<(), StreamClosed> {
        match self {
            Notifier::Channel(tx) => tx.send(message).await.map_err(|_| StreamClosed),
            Notifier::Session(addr) if addr.connected() => {
                addr.do_send(Deliver(message));
                Ok(())
            }
            Notifier::Session(_) => Err(StreamClosed),
        }
    }
}

/// The transport a session was opened on: its id works on that transport's endpoints only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Streamable HTTP (`/mcp` with `Mcp-Session-Id`).
    Streamable,
    /// Legacy HTTP+SSE (`/sse` and `/messages?sessionId=`).
    Legacy,
    /// A stateless-era `subscriptions/listen` stream (never looked up by id).
    Listener,
}

impl Transport {
    /// How the cluster stores it (a listener is not stored).
    pub fn stored(self) -> Option<StoredTransport> {
        match self {
            Transport::Streamable => Some(StoredTransport::Streamable),
            Transport::Legacy => Some(StoredTransport::Legacy),
            Transport::Listener => None,
        }
    }
}

/// Where sessions are listed (the session registry), as a session sees it: it lists itself
/// when it starts and leaves when it stops.
pub trait Directory: Send + Sync {
    /// Lists a live session.
    fn insert(&self, id: &str, token_id: i64, transport: Transport, session: SessionHandle);
    /// Removes the session `addr` (if it is still the one listed under `id`).
    fn remove(&self, id: &str, addr: &Addr<McpSession>);
    /// The cluster link, on PostgreSQL.
    fn link(&self) -> Option<Arc<ClusterLink>>;
}
