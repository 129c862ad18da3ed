//! Writing to the session's stream: messages of this instance, of other instances (cluster
//! delivery), and the replay of missed events.

use actix::{Addr, Handler, Message};
use actix_web_lab::sse;
use aether365_actors::cluster::sessions::StoredSession;
use serde_json::Value;
use tokio::sync::mpsc;

use super::actor::McpSession;

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
