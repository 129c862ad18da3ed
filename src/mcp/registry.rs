//! The registry of live sessions and streams, by session id and by token id, so that a token's
//! revocation closes everything it opened. One broadcast receiver per server feeds it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aether365_actors::Backend;
use aether365_actors::tokens::SubscribeRevocations;
use tokio::sync::{Notify, broadcast};

use super::session::{Close, SessionHandle};

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

impl SessionRegistry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-update of plain maps.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Forgets a session.
    pub fn remove(&self, id: &str) {
        let mut inner = self.lock();
        if let Some((token_id, _, _)) = inner.sessions.remove(id)
            && let Some(ids) = inner.by_token.get_mut(&token_id)
        {
            ids.remove(id);
            if ids.is_empty() {
                inner.by_token.remove(&token_id);
            }
        }
    }

    /// The session `id` if it exists, belongs to `token_id` and was opened on `transport`
    /// (a legacy session id names no Streamable HTTP session, and the reverse).
    pub fn get(&self, id: &str, token_id: i64, transport: Transport) -> Option<SessionHandle> {
        match self.lock().sessions.get(id) {
            Some((owner, opened_on, session))
                if *owner == token_id && *opened_on == transport && session.addr.connected() =>
            {
                Some(session.clone())
            }
            _ => None,
        }
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
}
