//! Server-to-client requests awaiting the client's response (see [`request_client`]).

use std::time::Duration;

use actix::{Handler, Message};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::mcp::jsonrpc::{self, RequestId};
use crate::mcp::version::ProtocolVersion;

use super::actor::{McpSession, SessionHandle};
use super::delivery::Notifier;
use super::kind::ClientReply;

/// How long a server-to-client request waits for the client's response.
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Registers a server-to-client request; answers its id and where its response will arrive.
#[derive(Message)]
#[rtype(result = "(Value, oneshot::Receiver<ClientReply>)")]
pub struct OpenClientRequest;

impl Handler<OpenClientRequest> for McpSession {
    type Result = actix::MessageResult<OpenClientRequest>;
    fn handle(&mut self, _: OpenClientRequest, _: &mut Self::Context) -> Self::Result {
        self.next_client_request += 1;
        let id = Value::String(format!("aether365-{}", self.next_client_request));
        let (tx, rx) = oneshot::channel();
        self.pending.insert(id.to_string(), tx);
        actix::MessageResult((id, rx))
    }
}

/// A JSON-RPC response the client POSTed: completes the server-to-client request `id`.
#[derive(Message, Clone, Debug, PartialEq)]
#[rtype(result = "()")]
pub struct ClientResponse {
    pub id: RequestId,
    pub reply: ClientReply,
    /// It came from another instance (which found no request of its own waiting for it).
    pub relayed: bool,
}

impl ClientResponse {
    /// The client response `message` carries, if it is one (an id, no method, and a `result`
    /// or an `error`).
    pub fn of_message(message: &jsonrpc::Message) -> Option<ClientResponse> {
        let obj = message.value.as_object()?;
        if obj.contains_key("method") {
            return None;
        }
        let id = RequestId::of_raw(message.id.clone()?)?;
        let reply = match (obj.get("result"), obj.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            _ => return None,
        };
        Some(ClientResponse {
            id,
            reply,
            relayed: false,
        })
    }
}

impl Handler<ClientResponse> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: ClientResponse, _: &mut Self::Context) {
        self.shared.touch();
        match self.pending.remove(&msg.id.key()) {
            // The waiting request may have given up meanwhile: nothing to do then.
            Some(tx) => {
                let _ = tx.send(msg.reply);
            }
            None if !msg.relayed && self.shared.link.is_some() => {
                // The request may be waiting on another instance.
                let message = match msg.reply {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": msg.id, "result": result}),
                    Err(error) => json!({"jsonrpc": "2.0", "id": msg.id, "error": error}),
                };
                self.shared.relay(message);
            }
            None => {
                tracing::debug!(session = %self.id, id = %msg.id, "response to no pending request ignored");
            }
        }
    }
}

/// Forgets a server-to-client request that timed out or whose caller went away.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ForgetClientRequest {
    pub id: Value,
}

impl Handler<ForgetClientRequest> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: ForgetClientRequest, _: &mut Self::Context) {
        self.pending.remove(&msg.id.to_string());
    }
}

/// Why a server-to-client request got no result.
#[derive(Debug, thiserror::Error)]
pub enum ClientRequestError {
    #[error(
        "the server can only send requests to a client in a session (protocol versions 2024-11-05 to 2025-11-25)"
    )]
    NoSession,
    #[error("{method} does not exist in protocol version {version}")]
    NotInVersion {
        method: String,
        version: ProtocolVersion,
    },
    #[error("the client did not declare the {0:?} capability")]
    Unsupported(&'static str),
    #[error("the session ended before the client answered")]
    SessionGone,
    #[error("the client did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("the client answered with error {code}: {message}")]
    Rejected { code: i64, message: String },
}

/// The client capability a server-to-client method needs, and the first version that has it.
fn client_method_requirements(method: &str) -> Option<(&'static str, ProtocolVersion)> {
    match method {
        "sampling/createMessage" => Some(("sampling", ProtocolVersion::V2024_11_05)),
        "roots/list" => Some(("roots", ProtocolVersion::V2024_11_05)),
        "elicitation/create" => Some(("elicitation", ProtocolVersion::V2025_06_18)),
        _ => None,
    }
}

/// Forgets the pending request when the waiting call ends without a response (timeout, or the
/// calling request was cancelled).
struct PendingGuard {
    session: actix::Addr<McpSession>,
    id: Value,
    armed: bool,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if self.armed {
            self.session.do_send(ForgetClientRequest {
                id: self.id.clone(),
            });
        }
    }
}

/// What a request that asks the client something runs with (from its request context).
pub struct ClientAsker<'a> {
    pub session: Option<&'a SessionHandle>,
    pub notifier: Option<&'a Notifier>,
    pub version: ProtocolVersion,
    pub client_capabilities: &'a Value,
}

/// Sends the request `method` to the client while `ctx`'s request runs, and waits (at most
/// [`CLIENT_REQUEST_TIMEOUT`]) for the client to POST its response. The request travels where
/// the request's notifications go: the POST's SSE response (Streamable HTTP), else the
/// session's stream (legacy HTTP+SSE, or a POST answered with JSON).
///
/// Only the conformance fixture tools call this: aether365's own tools are read-only and never
/// send requests to the client.
pub async fn request_client(
    asker: ClientAsker<'_>,
    method: &str,
    params: Value,
) -> Result<Value, ClientRequestError> {
    let (Some(session), Some(notifier)) = (asker.session, asker.notifier) else {
        return Err(ClientRequestError::NoSession);
    };
    if let Some((capability, since)) = client_method_requirements(method) {
        if asker.version < since {
            return Err(ClientRequestError::NotInVersion {
                method: method.to_string(),
                version: asker.version,
            });
        }
        if asker.client_capabilities.get(capability).is_none() {
            return Err(ClientRequestError::Unsupported(capability));
        }
    }
    let (id, reply) = session
        .addr
        .send(OpenClientRequest)
        .await
        .map_err(|_| ClientRequestError::SessionGone)?;
    let mut guard = PendingGuard {
        session: session.addr.clone(),
        id: id.clone(),
        armed: true,
    };
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    if notifier.send(request).await.is_err() {
        return Err(ClientRequestError::SessionGone);
    }
    tracing::debug!(id = %id, method, "request sent to the client");
    match tokio::time::timeout(CLIENT_REQUEST_TIMEOUT, reply).await {
        Ok(Ok(answer)) => {
            guard.armed = false;
            answer.map_err(|error| ClientRequestError::Rejected {
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
        }
        Ok(Err(_closed)) => Err(ClientRequestError::SessionGone),
        Err(_elapsed) => {
            let cancel = jsonrpc::notification(
                "notifications/cancelled",
                json!({"requestId": id, "reason": "timed out"}),
            );
            let _ = notifier.send(cancel).await;
            Err(ClientRequestError::Timeout(CLIENT_REQUEST_TIMEOUT))
        }
    }
}
