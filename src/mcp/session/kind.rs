//! What a session is: how its client is connected, and what its stream carries.

use actix_web_lab::sse;
use aether365_actors::cluster::sessions::StoredTransport;
use serde_json::Value;

use crate::mcp::jsonrpc::RequestId;

/// One event of a session's stream. Boxed: the channel allocates its first block of 32
/// slots up front, and an idle stream should not hold 32 unboxed events' worth of memory.
pub type StreamEvent = Box<sse::Event>;

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

    pub(super) fn stored(&self) -> Option<StoredTransport> {
        match self {
            SessionKind::Streamable => Some(StoredTransport::Streamable),
            SessionKind::LegacySse => Some(StoredTransport::Legacy),
            SessionKind::Listener { .. } => None,
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
