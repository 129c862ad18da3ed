//! SSE framing: the headers every stream carries, and keep-alives.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web_lab::sse::Sse;
use tokio::sync::mpsc;

use crate::mcp::session::StreamEvent;

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
