//! What every handler shares.

use std::sync::Arc;

use actix_web::HttpRequest;
use aether365_actors::Backend;

use super::config::ServerConfig;
use crate::mcp::{CoreConfig, SessionRegistry};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub backend: Backend,
    pub registry: SessionRegistry,
    pub config: Arc<ServerConfig>,
    pub core: Arc<CoreConfig>,
}

impl AppState {
    /// The base URL clients reach us at: the configured public URL, else this request's host.
    pub fn base_url(&self, req: &HttpRequest) -> String {
        match &self.config.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }

    /// URL of the protected resource metadata of the endpoint `req` was sent to: `/mcp`, or
    /// `/sse` for the legacy transport (`/sse` and `/messages`).
    pub fn resource_metadata_url(&self, req: &HttpRequest) -> String {
        let suffix = match req.path() {
            "/mcp" => "/mcp",
            "/sse" | "/messages" => "/sse",
            _ => "",
        };
        format!(
            "{}/.well-known/oauth-protected-resource{suffix}",
            self.base_url(req)
        )
    }
}
