//! Everything a request is handled with: who asks, in which protocol version, and where its
//! notifications go.

use std::sync::Arc;

use aether365_actors::Backend;
use serde_json::Value;

pub use super::caller::Caller;
use super::jsonrpc;
use super::logging::LogLevel;
pub use super::session::{Notifier, SessionHandle, StreamClosed};
use super::surface::AnswerCache;
use super::version::ProtocolVersion;

/// Server-wide settings and shared state the protocol core needs.
#[derive(Clone, Debug, Default)]
pub struct CoreConfig {
    /// Serve the conformance suite's fixture tools, resources and prompts.
    pub conformance_fixtures: bool,
    /// Tool answers that depend only on completed scans, shared by every request.
    pub answers: Arc<AnswerCache>,
}

/// The context one request is dispatched with.
#[derive(Clone)]
pub struct RequestContext {
    pub backend: Backend,
    pub caller: Arc<Caller>,
    pub config: Arc<CoreConfig>,
    pub version: ProtocolVersion,
    pub client_capabilities: Arc<Value>,
    /// `_meta.progressToken` of the request.
    pub progress_token: Option<Value>,
    /// Minimum level of `notifications/message`; `None` sends none.
    pub log_level: Option<LogLevel>,
    pub notifier: Option<Notifier>,
    /// The session (handshake era); `None` in the stateless era.
    pub session: Option<SessionHandle>,
}

impl RequestContext {
    /// Sends a request-related notification, if the transport has somewhere to put it.
    pub async fn notify(&self, method: &str, params: Value) {
        if let Some(tx) = &self.notifier {
            // A closed stream means the client went away: nothing to do.
            let _ = tx.send(jsonrpc::notification(method, params)).await;
        }
    }

    /// Sends `notifications/progress` when the request carries a progress token.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.progress_token else {
            return;
        };
        let mut params = serde_json::json!({"progressToken": token, "progress": progress});
        if let Some(map) = params.as_object_mut() {
            if let Some(total) = total {
                map.insert("total".into(), total.into());
            }
            if let Some(message) = message {
                map.insert("message".into(), message.into());
            }
        }
        self.notify("notifications/progress", params).await;
    }

    /// Sends `notifications/message` when `level` is at or above the requested level.
    pub async fn log(&self, level: LogLevel, logger: &str, data: Value) {
        if self.log_level.is_some_and(|min| level >= min) {
            self.notify(
                "notifications/message",
                serde_json::json!({"level": level.as_str(), "logger": logger, "data": data}),
            )
            .await;
        }
    }

    /// Whether the client declared the tasks extension (stateless era).
    pub fn has_tasks_extension(&self) -> bool {
        self.client_capabilities
            .pointer("/extensions/io.modelcontextprotocol~1tasks")
            .is_some()
    }
}
