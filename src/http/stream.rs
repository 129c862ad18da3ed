//! SSE framing: responses that stream a request's notifications then its answer, and the
//! headers every stream carries.

use std::future::Future;
use std::time::Duration;

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web_lab::sse::{self, Sse};
use futures_util::future::{AbortHandle, Abortable};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::mcp::RequestContext;
use crate::mcp::context::Notifier;
use crate::mcp::jsonrpc::{self, RequestId};
use crate::mcp::registry::StreamGuard;
use crate::mcp::session::{SessionShared, StreamEvent};

/// An SSE response over `rx`, never buffered by proxies, with keep-alive comments.
pub fn sse_response(rx: mpsc::Receiver<StreamEvent>, keep_alive: Duration) -> HttpResponse {
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (*event, rx))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .body(Sse::from_infallible_stream(events).with_keep_alive(keep_alive))
}

/// An SSE `message` event carrying one JSON-RPC message.
pub fn message_event(message: &Value) -> sse::Event {
    encoded_event(message.to_string())
}

/// An SSE `message` event carrying one encoded JSON-RPC message.
pub fn encoded_event(message: String) -> sse::Event {
    sse::Data::new(message).event("message").into()
}

/// Dispatches a request of a session, cancellable by `notifications/cancelled`.
/// `None` when it was cancelled (nothing is answered then).
pub async fn run_in_session(
    ctx: RequestContext,
    session: Arc<SessionShared>,
    id: RequestId,
    method: String,
    params: Map<String, Value>,
) -> Option<String> {
    let key = id.key();
    let (abort, registration) = AbortHandle::new_pair();
    session.begin_request(key.clone(), abort);
    let version = ctx.version;
    let work = Abortable::new(
        async move { super::ops::dispatch_observed(&ctx, &method, params).await },
        registration,
    );
    let answer = work.await;
    session.end_request(&key);
    match answer {
        Ok(Ok(result)) => Some(jsonrpc::encode_result(&id, &result)),
        Ok(Err(error)) => Some(jsonrpc::encode_error(&id, &error, version)),
        Err(_aborted) => None,
    }
}

/// An SSE response carrying the notifications `run` sends, then its answer. Closing the
/// stream (or revoking its token, through `guard`) drops the work: that cancels it.
pub fn streamed<F, Fut>(run: F, keep_alive: Duration, guard: Option<StreamGuard>) -> HttpResponse
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
    sse_response(rx, keep_alive)
}
