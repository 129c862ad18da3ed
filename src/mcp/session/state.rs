//! A session's negotiated state, shared by its actor and its requests (read without a
//! mailbox round trip), and how it is stored for the cluster.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aether365_actors::cluster::ClusterEvent;
use aether365_actors::cluster::sessions::{SessionChange, StoredSession};
use futures_util::future::AbortHandle;
use serde_json::{Value, json};

use crate::mcp::caller::Caller;
use crate::mcp::cluster::ClusterLink;
use crate::mcp::jsonrpc::RequestId;
use crate::mcp::logging::LogLevel;
use crate::mcp::surface::resources;
use crate::mcp::version::ProtocolVersion;

use super::kind::SessionKind;

/// What a session's requests read and write without a round trip to its actor: the
/// negotiated version, the client's capabilities, the log level, subscriptions and tasks, the
/// requests in flight.
#[derive(Debug)]
pub struct SessionShared {
    pub(super) id: String,
    pub(super) token_id: i64,
    pub(super) kind: SessionKind,
    /// `None` on SQLite and for stateless-era listeners.
    pub(super) link: Option<Arc<ClusterLink>>,
    pub(super) state: std::sync::Mutex<SharedState>,
}

#[derive(Debug)]
pub(super) struct SharedState {
    pub(super) version: ProtocolVersion,
    pub(super) client_info: Option<Value>,
    pub(super) client_capabilities: Arc<Value>,
    pub(super) log_level: Option<LogLevel>,
    pub(super) last_active: Instant,
    pub(super) in_flight: HashMap<String, AbortHandle>,
    /// A legacy session learns its version at `initialize`, once.
    pub(super) initialized: bool,
    /// Subscribed resource URIs, with the scan they follow.
    pub(super) resources: BTreeMap<String, Option<i64>>,
    /// Scans started as tasks (or followed by a listener), oldest first.
    pub(super) tasks: Vec<i64>,
    /// The instance holding the stream (clustered sessions).
    pub(super) holder: String,
    /// The stored revision this state reflects (clustered sessions).
    pub(super) revision: i64,
    /// This copy's own changes being stored, by sequence number: a stored state read back
    /// meanwhile (from an earlier change) does not have them yet, so they are applied again
    /// on top of it.
    pub(super) pending: Vec<(u64, SessionChange)>,
    pub(super) next_change: u64,
}

impl SharedState {
    /// Applies one change to this copy, as the database applies it to the stored row.
    pub(super) fn apply_change(&mut self, change: &SessionChange) {
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
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, SharedState> {
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
    pub(super) fn relay(&self, message: Value) {
        if let Some(link) = &self.link {
            link.bus.publish(ClusterEvent::SessionInbound {
                session_id: self.id.clone(),
                origin: link.instance_id().to_string(),
                message,
            });
        }
    }

    pub(super) fn abort_all(&self) {
        for (_, handle) in self.lock().in_flight.drain() {
            handle.abort();
        }
    }

    pub(super) fn idle_for(&self) -> Option<Duration> {
        let state = self.lock();
        state
            .in_flight
            .is_empty()
            .then(|| state.last_active.elapsed())
    }

    pub(super) fn touch(&self) {
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
    pub(super) fn take_holder(&self) -> Option<String> {
        let link = self.link.as_ref()?;
        let mut state = self.lock();
        if state.holder == link.instance_id() {
            return None;
        }
        state.holder = link.instance_id().to_string();
        Some(state.holder.clone())
    }

    /// Replaces the state with the stored one when it is newer; `true` when it was.
    pub(super) fn apply(&self, stored: &StoredSession) -> bool {
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
    pub(super) fn scans(&self) -> HashSet<i64> {
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
    pub(super) fn tenants(&self) -> HashSet<i64> {
        self.lock()
            .resources
            .keys()
            .filter_map(|uri| resources::tenant_of_posture_uri(uri))
            .collect()
    }
}
