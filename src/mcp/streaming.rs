//! A request answered as a stream: its notifications, then its answer, as SSE events the
//! transport sends as they come (the transport adds the HTTP framing and keep-alives).

use std::future::Future;

use actix_web_lab::sse;
use serde_json::Value;
use tokio::sync::mpsc;

use super::context::Notifier;
use super::registry::StreamGuard;
use super::session::StreamEvent;

/// An SSE `message` event carrying one JSON-RPC message.
pub fn message_event(message: &Value) -> sse::Event {
    encoded_event(message.to_string())
}

/// An SSE `message` event carrying one encoded JSON-RPC message.
pub fn encoded_event(message: String) -> sse::Event {
    sse::Data::new(message).event("message").into()
}

/// The events of `run`: the notifications it sends, then its answer. Closing the stream (or
/// revoking its token, through `guard`) drops the work: that cancels it.
pub fn streamed<F, Fut>(run: F, guard: Option<StreamGuard>) -> mpsc::Receiver<StreamEvent>
where
    F: FnOnce(Notifier) -> Fut,
    Fut: Future<Output = Option<String>> + 'static,
{
    let (events, rx) = mpsc::channel::<StreamEvent>(32);
    let (notifier, mut notes) = mpsc::channel::<Value>(32);
    let work = run(Notifier::Channel(notifier));
    actix::spawn(async move {
        tokio::pin!(work);
        let revoked = async {
            match &guard {
                Some(guard) => guard.closed.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(revoked);
        loop {
            tokio::select! {
                answer = &mut work => {
                    while let Ok(note) = notes.try_recv() {
                        let _ = events.send(Box::new(message_event(&note))).await;
                    }
                    if let Some(answer) = answer {
                        let _ = events.send(Box::new(encoded_event(answer))).await;
                    }
                    break;
                }
                Some(note) = notes.recv() => {
                    if events.send(Box::new(message_event(&note))).await.is_err() {
                        break;
                    }
                }
                _ = events.closed() => break,
                _ = &mut revoked => break,
            }
        }
    });
    rx
}
