//! The registry of live sessions and streams, by session id and by token id, so that a token's
//! revocation closes everything it opened. One broadcast receiver per server feeds it.
//!
//! On PostgreSQL it holds this instance's copies of the cluster's sessions: a session unknown
//! here is loaded from `mcp_sessions` (once; later requests read no table), and the cluster bus
//! tells it what to write to the streams it holds, which sessions ended and which changed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix::Addr;
use aether365_actors::Backend;
use aether365_actors::cluster::ClusterEvent;
use aether365_actors::cluster::sessions;
use aether365_actors::tokens::SubscribeRevocations;
use tokio::sync::{Notify, broadcast};

use super::cluster::{ClusterLink, HEARTBEAT, SWEEP};
use super::context::Caller;
use super::jsonrpc::{self, RequestId};
use super::session::{
    ClientResponse, Close, DeliverRemote, IDLE_TIMEOUT, McpSession, Reload, ReplayElsewhere,
    SessionHandle,
};

pub use super::session::{Directory, Transport};

/// Why a request's session cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No such session for this token on this transport (or it ended).
    #[error("unknown or expired session")]
    Unknown,
    /// The session's stream was held by an instance that is gone: nothing could reach it.
    #[error("the instance holding this session's stream ({0}) is gone; open a new session")]
    HolderGone(String),
    /// The session store could not be read.
    #[error("cannot read the session: {0}")]
    Store(#[from] aether365_actors::cluster::BusError),
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, (i64, Transport, SessionHandle)>,
    by_token: HashMap<i64, HashSet<String>>,
    streams: HashMap<u64, (i64, Arc<Notify>)>,
    next_stream: u64,
}

/// Live sessions and request streams. Cheap to clone.
#[derive(Clone, Default)]
pub struct SessionRegistry {
    inner: Arc<Mutex<Inner>>,
    /// `None` on SQLite.
    link: Option<Arc<ClusterLink>>,
}

/// A registered request stream; unregisters itself when dropped.
pub struct StreamGuard {
    registry: SessionRegistry,
    key: u64,
    /// Notified when the stream's token is revoked.
    pub closed: Arc<Notify>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.registry.lock().streams.remove(&self.key);
    }
}

impl Directory for SessionRegistry {
    fn insert(&self, id: &str, token_id: i64, transport: Transport, session: SessionHandle) {
        SessionRegistry::insert(self, id, token_id, transport, session);
    }

    fn remove(&self, id: &str, addr: &Addr<McpSession>) {
        SessionRegistry::remove(self, id, addr);
    }

    fn link(&self) -> Option<Arc<ClusterLink>> {
        SessionRegistry::link(self)
    }
}

impl SessionRegistry {
    /// This registry as the sessions see it.
    pub fn directory(&self) -> Arc<dyn Directory> {
        Arc::new(self.clone())
    }

    /// The registry of a server over `backend`: linked to the cluster on PostgreSQL.
    pub fn new(backend: &Backend) -> SessionRegistry {
        SessionRegistry {
            inner: Arc::default(),
            link: ClusterLink::new(backend.db.clone(), backend.bus.clone()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-update of plain maps.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The link to the cluster (`None` on SQLite).
    pub fn link(&self) -> Option<Arc<ClusterLink>> {
        self.link.clone()
    }

    /// Registers a session.
    pub fn insert(&self, id: &str, token_id: i64, transport: Transport, session: SessionHandle) {
        let mut inner = self.lock();
        inner
            .sessions
            .insert(id.to_string(), (token_id, transport, session));
        inner
            .by_token
            .entry(token_id)
            .or_default()
            .insert(id.to_string());
    }

    /// Forgets the session `id` if `addr` is its registered actor.
    pub fn remove(&self, id: &str, addr: &Addr<McpSession>) {
        let mut inner = self.lock();
        let Some((token_id, _, session)) = inner.sessions.get(id) else {
            return;
        };
        if session.addr != *addr {
            return;
        }
        let token_id = *token_id;
        inner.sessions.remove(id);
        if let Some(ids) = inner.by_token.get_mut(&token_id) {
            ids.remove(id);
            if ids.is_empty() {
                inner.by_token.remove(&token_id);
            }
        }
    }

    /// The session `id` known here, if it belongs to `token_id` and was opened on `transport`.
    fn local(&self, id: &str, token_id: i64, transport: Transport) -> Option<SessionHandle> {
        match self.lock().sessions.get(id) {
            Some((owner, opened_on, session))
                if *owner == token_id && *opened_on == transport && session.addr.connected() =>
            {
                Some(session.clone())
            }
            _ => None,
        }
    }

    /// The session `id` if it exists, belongs to the caller's token and was opened on
    /// `transport` (a legacy session id names no Streamable HTTP session, and the reverse).
    /// On PostgreSQL a session another instance opened is loaded once; a legacy session whose
    /// stream's instance is gone is refused (its answers could reach nobody).
    pub async fn find(
        &self,
        id: &str,
        caller: &Arc<Caller>,
        transport: Transport,
        backend: &Backend,
    ) -> Result<SessionHandle, LookupError> {
        let token_id = caller.principal.token_id;
        let session = match self.local(id, token_id, transport) {
            Some(session) => session,
            None => {
                let (Some(link), Some(wanted)) = (&self.link, transport.stored()) else {
                    return Err(LookupError::Unknown);
                };
                let stored = sessions::load(&link.db, id)
                    .await?
                    .filter(|s| s.token_id == token_id && s.transport == wanted)
                    .ok_or(LookupError::Unknown)?;
                // Another request may have loaded it meanwhile.
                match self.local(id, token_id, transport) {
                    Some(session) => session,
                    None => McpSession::copy_of(
                        &stored,
                        caller.clone(),
                        backend.clone(),
                        self.directory(),
                    ),
                }
            }
        };
        if transport == Transport::Legacy && !session.shared.holder_alive() {
            let holder = session.shared.holder().unwrap_or_default();
            return Err(LookupError::HolderGone(holder));
        }
        Ok(session)
    }

    /// Ends the session `id` everywhere (DELETE): deleted from the store, closed on every
    /// instance.
    pub async fn end(&self, id: &str, session: &SessionHandle) -> Result<(), LookupError> {
        if let Some(link) = &self.link {
            link.end(id).await?;
        }
        self.remove(id, &session.addr);
        session.addr.do_send(Close);
        Ok(())
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers a request stream of `token_id`.
    pub fn register_stream(&self, token_id: i64) -> StreamGuard {
        let closed = Arc::new(Notify::new());
        let mut inner = self.lock();
        inner.next_stream += 1;
        let key = inner.next_stream;
        inner.streams.insert(key, (token_id, closed.clone()));
        StreamGuard {
            registry: self.clone(),
            key,
            closed,
        }
    }

    /// Closes every session and stream of a revoked token.
    pub fn revoke(&self, token_id: i64) {
        let mut inner = self.lock();
        let ids = inner.by_token.remove(&token_id).unwrap_or_default();
        for id in ids {
            if let Some((_, _, session)) = inner.sessions.remove(&id) {
                session.addr.do_send(Close);
            }
        }
        for (owner, notify) in inner.streams.values() {
            if *owner == token_id {
                notify.notify_one();
            }
        }
        tracing::info!(token_id, "token revoked: its MCP sessions are closed");
    }

    /// Closes this instance's copy of the session `id` (it ended elsewhere).
    fn close_local(&self, id: &str) {
        let mut inner = self.lock();
        if let Some((token_id, _, session)) = inner.sessions.remove(id) {
            if let Some(ids) = inner.by_token.get_mut(&token_id) {
                ids.remove(id);
            }
            session.addr.do_send(Close);
        }
    }

    /// Closes every session and request stream (the server is stopping).
    pub fn close_all(&self) {
        let mut inner = self.lock();
        inner.by_token.clear();
        for (_, (_, _, session)) in inner.sessions.drain() {
            session.addr.do_send(Close);
        }
        for (_, notify) in inner.streams.values() {
            notify.notify_one();
        }
    }

    /// Marks this instance gone from the cluster (it is stopping): legacy sessions whose
    /// stream it held are refused everywhere at once.
    pub async fn leave(&self) {
        if let Some(link) = &self.link
            && let Err(e) = link.leave().await
        {
            tracing::warn!("cannot mark this instance gone: {e}");
        }
    }

    /// Listens to the token validator's revocations for as long as the system runs.
    pub fn follow_revocations(&self, backend: Backend) {
        let registry = self.clone();
        actix::spawn(async move {
            loop {
                let mut rx = match backend.tokens.send(SubscribeRevocations).await {
                    Ok(rx) => rx,
                    Err(e) => {
                        tracing::warn!("cannot subscribe to revocations: {e}; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                loop {
                    match rx.recv().await {
                        Ok(token_id) => registry.revoke(token_id),
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!("missed {n} revocations");
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    /// On PostgreSQL: follows the cluster's session events (messages for the streams held
    /// here, sessions ended or changed elsewhere), and runs the heartbeat (this instance's,
    /// the activity of the sessions served here, the sweep of idle sessions).
    pub fn follow_cluster(&self) {
        let Some(link) = self.link.clone() else {
            return;
        };
        let registry = self.clone();
        let mut events = link.bus.subscribe();
        actix::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => registry.on_event(&event),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "session events missed; reconciling");
                        registry.resync();
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let registry = self.clone();
        actix::spawn(async move {
            let mut flushed = Instant::now();
            let mut swept = Instant::now();
            let mut ticks = tokio::time::interval(HEARTBEAT);
            loop {
                ticks.tick().await;
                if let Err(e) = link.heartbeat().await {
                    tracing::warn!("cluster heartbeat failed: {e}");
                }
                let now = Instant::now();
                let active: Vec<String> = registry
                    .lock()
                    .sessions
                    .iter()
                    .filter(|(_, (_, transport, s))| {
                        *transport != Transport::Listener && s.shared.last_active() >= flushed
                    })
                    .map(|(id, _)| id.clone())
                    .collect();
                match sessions::touch(&link.db, &active).await {
                    Ok(()) => flushed = now,
                    Err(e) => tracing::warn!("cannot record session activity: {e}"),
                }
                if swept.elapsed() >= SWEEP {
                    swept = Instant::now();
                    let cutoff = chrono::Utc::now()
                        - chrono::Duration::from_std(IDLE_TIMEOUT).unwrap_or_default();
                    match sessions::expire(&link.db, cutoff).await {
                        Ok(expired) => {
                            for session_id in expired {
                                tracing::debug!(session = %session_id, "idle session expired");
                                link.bus.publish(ClusterEvent::SessionClosed { session_id });
                            }
                        }
                        Err(e) => tracing::warn!("cannot sweep idle sessions: {e}"),
                    }
                }
            }
        });
    }

    /// Events may have been missed (the listener reconnected): every copy here reloads its
    /// session, and those that ended meanwhile close.
    fn resync(&self) {
        let Some(link) = self.link.clone() else {
            return;
        };
        let copies: HashMap<String, Addr<McpSession>> = self
            .lock()
            .sessions
            .iter()
            .filter(|(_, (_, transport, _))| *transport != Transport::Listener)
            .map(|(id, (_, _, s))| (id.clone(), s.addr.clone()))
            .collect();
        actix::spawn(async move {
            let ids: Vec<String> = copies.keys().cloned().collect();
            match sessions::load_many(&link.db, &ids).await {
                Ok(stored) => {
                    let mut copies = copies;
                    for session in stored {
                        if let Some(addr) = copies.remove(&session.id) {
                            addr.do_send(Reload(session));
                        }
                    }
                    for (_, addr) in copies {
                        addr.do_send(Close);
                    }
                }
                Err(e) => tracing::warn!("cannot reconcile the sessions after a gap: {e}"),
            }
        });
    }

    fn on_event(&self, event: &ClusterEvent) {
        match event {
            ClusterEvent::SessionMessage { session_id, data } => {
                if let Some((_, _, session)) = self.lock().sessions.get(session_id) {
                    session.addr.do_send(DeliverRemote(data.clone()));
                }
            }
            ClusterEvent::SessionClosed { session_id } => self.close_local(session_id),
            ClusterEvent::SessionReplay {
                session_id,
                previous,
                after,
            } => {
                let Some(link) = &self.link else { return };
                if previous != link.instance_id() {
                    return;
                }
                if let Some((_, _, session)) = self.lock().sessions.get(session_id) {
                    session.addr.do_send(ReplayElsewhere { after: *after });
                }
            }
            ClusterEvent::SessionInbound {
                session_id,
                origin,
                message,
            } => {
                let Some(link) = &self.link else { return };
                if origin == link.instance_id() {
                    return;
                }
                let Some(session) = self
                    .lock()
                    .sessions
                    .get(session_id)
                    .map(|(_, _, s)| s.clone())
                else {
                    return;
                };
                // Read back as a message (its id kept as written).
                let parsed = serde_json::to_vec(message).ok().and_then(|bytes| {
                    match jsonrpc::parse_body(&bytes) {
                        Ok(jsonrpc::Body::Single(message)) => Some(message),
                        _ => None,
                    }
                });
                if let Some(response) = parsed.as_ref().and_then(ClientResponse::of_message) {
                    session.addr.do_send(ClientResponse {
                        relayed: true,
                        ..response
                    });
                } else if let Some(request_id) = message
                    .get("params")
                    .and_then(|p| p.get("requestId"))
                    .and_then(RequestId::of_value)
                {
                    session.shared.cancel_request(&request_id.key());
                }
            }
            ClusterEvent::Resync { .. } => self.resync(),
            ClusterEvent::SessionChanged { session_id, origin } => {
                let Some(link) = &self.link else { return };
                if origin == link.instance_id() {
                    return;
                }
                let Some(addr) = self
                    .lock()
                    .sessions
                    .get(session_id)
                    .map(|(_, _, s)| s.addr.clone())
                else {
                    return;
                };
                let (link, session_id) = (link.clone(), session_id.clone());
                actix::spawn(async move {
                    match sessions::load(&link.db, &session_id).await {
                        Ok(Some(stored)) => addr.do_send(Reload(stored)),
                        Ok(None) => addr.do_send(Close),
                        Err(e) => {
                            tracing::warn!(session = %session_id, "cannot reload a session: {e}")
                        }
                    }
                });
            }
            _ => {}
        }
    }
}
