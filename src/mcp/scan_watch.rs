//! Following one scan: a tiny relay actor turns `ScanManager` events into a channel that a
//! request future can await.

use actix::{Actor, Context, Handler};
use aether365_actors::Backend;
use aether365_actors::scans::{ScanEvent, Subscribe, Topic, Unsubscribe, next_subscriber_id};
use tokio::sync::mpsc;

struct Relay {
    tx: mpsc::UnboundedSender<ScanEvent>,
}

impl Actor for Relay {
    type Context = Context<Self>;
}

impl Handler<ScanEvent> for Relay {
    type Result = ();
    fn handle(&mut self, event: ScanEvent, ctx: &mut Self::Context) {
        if self.tx.send(event).is_err() {
            actix::ActorContext::stop(ctx);
        }
    }
}

/// The events of one scan, until dropped (which unsubscribes).
pub struct ScanWatch {
    rx: mpsc::UnboundedReceiver<ScanEvent>,
    subscriber_id: u64,
    backend: Backend,
}

impl ScanWatch {
    /// Subscribes to `scan_id`; events published after this call are received.
    pub async fn start(backend: &Backend, scan_id: i64) -> Result<ScanWatch, actix::MailboxError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let relay = Relay { tx }.start();
        let subscriber_id = next_subscriber_id();
        backend
            .scans
            .send(Subscribe {
                topic: Topic::Scan(scan_id),
                subscriber_id,
                subscriber: relay.recipient(),
            })
            .await?;
        Ok(ScanWatch {
            rx,
            subscriber_id,
            backend: backend.clone(),
        })
    }

    /// The next event, or `None` when the scan manager went away.
    pub async fn next(&mut self) -> Option<ScanEvent> {
        self.rx.recv().await
    }
}

impl Drop for ScanWatch {
    fn drop(&mut self) {
        self.backend.scans.do_send(Unsubscribe {
            subscriber_id: self.subscriber_id,
        });
    }
}
