//! The MCP transports: Streamable HTTP (`/mcp`) and legacy HTTP+SSE (`/sse`, `/messages`).
//! They frame only: the body to JSON-RPC messages, a session header (or query) to the session
//! it names, and [`crate::mcp::Server::handle`]'s answer to JSON or SSE. They name no MCP method.

pub mod legacy;
pub mod streamable;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::HttpResponse;
use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use serde_json::value::RawValue;

use super::error::jsonrpc_status;
use super::state::AppState;
use super::stream::sse_response;
use crate::mcp::jsonrpc::Encoded;
use crate::mcp::server::Outgoing;

/// What the core answered, as HTTP.
pub(crate) fn respond(outgoing: Outgoing, state: &AppState) -> HttpResponse {
    match outgoing {
        Outgoing::Accepted => HttpResponse::Accepted().finish(),
        Outgoing::Json {
            body,
            error_code,
            session_id,
        } => {
            let status = error_code
                .and_then(jsonrpc_status)
                .unwrap_or(StatusCode::OK);
            let mut builder = HttpResponse::build(status);
            builder.content_type(ContentType::json());
            let mut response = match body {
                Encoded::Text(text) => builder.body(text),
                Encoded::Result { head, result } => builder.body(Framed::new(head, result)),
            };
            if let Some(id) = session_id
                && let Ok(value) = HeaderValue::from_str(&id)
            {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static("mcp-session-id"), value);
            }
            response
        }
        Outgoing::Stream(rx) => sse_response(rx, state.config.keep_alive),
    }
}

/// A framed JSON-RPC result as an HTTP body: its head, the result's own bytes (shared with the
/// answer cache, not copied) and its tail, with the length known up front.
struct Framed {
    parts: std::array::IntoIter<Bytes, 3>,
    len: u64,
}

/// The serialised result, as the bytes of a body.
struct ResultBytes(Arc<RawValue>);

impl AsRef<[u8]> for ResultBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.get().as_bytes()
    }
}

impl Framed {
    fn new(head: String, result: Arc<RawValue>) -> Framed {
        let parts = [
            Bytes::from(head),
            Bytes::from_owner(ResultBytes(result)),
            Bytes::from_static(Encoded::RESULT_TAIL.as_bytes()),
        ];
        let len = parts.iter().map(|p| p.len() as u64).sum();
        Framed {
            parts: parts.into_iter(),
            len,
        }
    }
}

impl MessageBody for Framed {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.len)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(self.get_mut().parts.next().map(Ok))
    }
}
