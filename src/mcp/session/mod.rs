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
//!
//! One owner of a session's state: the actor. What requests read on every call (version,
//! capabilities, log level, in-flight requests) sits beside it in [`SessionShared`], behind a
//! mutex the actor and the requests share; the stored row is its durable copy on PostgreSQL.
//!
//! - `kind`: how the client is connected, what its stream carries;
//! - `state`: the shared negotiated state and its stored form;
//! - `actor`: the actor's life (start, open its stream, follow scans, close) and the directory
//!   it lists itself in;
//! - `delivery`: writing to the stream, from this instance or another, and replay;
//! - `subscriptions`: resource subscriptions, tasks, scan events;
//! - `client_requests`: server-to-client requests awaiting the client's response.

mod actor;
mod client_requests;
mod delivery;
mod kind;
mod state;
mod subscriptions;

pub use actor::{
    Close, Directory, IDLE_TIMEOUT, McpSession, OpenError, OpenStream, SessionHandle,
    new_session_id,
};
pub use client_requests::{
    CLIENT_REQUEST_TIMEOUT, ClientAsker, ClientRequestError, ClientResponse, request_client,
};
pub use delivery::{
    Deliver, DeliverEncoded, DeliverEvent, DeliverRemote, Notifier, Reload, ReplayElsewhere,
    StreamClosed,
};
pub use kind::{ClientReply, SessionKind, StreamEvent, Transport};
pub use state::{SessionInfo, SessionShared, SessionStart};
pub use subscriptions::{ListTasks, SubscribeResource, TrackTask, UnsubscribeResource};
