//! The session actor's life: start, follow scans, open its stream, close.

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
use aether365_actors::scans::{Subscribe, Topic, Unsubscribe, next_subscriber_id};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::mcp::caller::Caller;
use crate::mcp::cluster::ClusterLink;
use crate::mcp::jsonrpc::{self};
use crate::mcp::version::ProtocolVersion;

use super::kind::{ClientReply, SessionKind, StreamEvent, Transport};
use super::state::{SessionShared, SessionStart, SharedState};

/// Capacity of a stream's channel.
const STREAM_CAPACITY: usize = 64;
/// Events kept for `Last-Event-ID` resumption.
const REPLAY_EVENTS: usize = 64;
/// A session with no open stream and no request for this long is dropped.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long a message waits for room on a stream whose client reads slowly before the
/// stream is closed.
const STREAM_WRITE_WAIT: Duration = Duration::from_secs(5);

/// One MCP session (this instance's copy of it, on PostgreSQL).
pub struct McpSession {
    pub(super) id: String,
    pub(super) kind: SessionKind,
    pub(super) caller: Arc<Caller>,
    pub(super) backend: Backend,
    pub(super) registry: Arc<dyn Directory>,
    pub(super) shared: Arc<SessionShared>,
    pub(super) stream: Option<mpsc::Sender<StreamEvent>>,
    pub(super) next_event_id: u64,
    pub(super) replay: VecDeque<(u64, String)>,
    /// The scans this copy follows on the scan manager (the holder's copy only).
    pub(super) followed: HashSet<i64>,
    /// Tenants whose scans this session follows (posture resource subscriptions).
    pub(super) followed_tenants: HashSet<i64>,
    /// Server-to-client requests awaiting the client's response, by request id.
    pub(super) pending: HashMap<String, oneshot::Sender<ClientReply>>,
    pub(super) next_client_request: u64,
    pub(super) subscriber_id: u64,
    /// The session ends everywhere when this copy stops (its legacy stream closed).
    pub(super) end_everywhere: bool,
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

impl McpSession {
    pub(super) fn start_with(
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
    pub(super) fn deliver(&mut self, ctx: &mut Context<Self>, message: Value) {
        let encoded = match &self.kind {
            SessionKind::Listener { subscription_id } => {
                jsonrpc::encode_with_subscription(&message, subscription_id)
            }
            _ => message.to_string(),
        };
        self.deliver_encoded(ctx, encoded);
    }

    /// Sends one encoded JSON-RPC message on the stream, wherever the cluster holds it.
    pub(super) fn deliver_encoded(&mut self, ctx: &mut Context<Self>, data: String) {
        if let Some(link) = &self.shared.link
            && !self.shared.is_holder()
        {
            self.to_holder(link, data);
            return;
        }
        self.write(ctx, data);
    }

    /// Hands one encoded JSON-RPC message to the instance holding the stream, by the bus.
    pub(super) fn to_holder(&self, link: &ClusterLink, data: String) {
        link.bus.publish(ClusterEvent::SessionMessage {
            session_id: self.id.clone(),
            data,
        });
    }

    /// Writes one encoded JSON-RPC message on this instance's stream.
    pub(super) fn write(&mut self, ctx: &mut Context<Self>, data: String) {
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
    pub(super) fn stream_gone(&mut self, ctx: &mut Context<Self>) {
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
    pub(super) fn open_stream(&mut self, ctx: &mut Context<Self>) -> mpsc::Receiver<StreamEvent> {
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
    pub(super) fn follow_scans(&mut self, ctx: &mut Context<Self>) {
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
