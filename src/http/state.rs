//! What every handler shares.

use std::sync::Arc;

use actix_web::HttpRequest;
use aether365_actors::Backend;

use super::config::ServerConfig;
use super::quota::Quotas;
use super::readiness::Readiness;
use super::strangers::Strangers;
use crate::mcp::{CoreConfig, SessionRegistry};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub backend: Backend,
    pub registry: SessionRegistry,
    pub config: Arc<ServerConfig>,
    pub core: Arc<CoreConfig>,
    /// Requests per address whose authentication is under way.
    pub strangers: Arc<Strangers>,
    /// Calls per second and batch sizes per token and organisation.
    pub quotas: Arc<Quotas>,
    /// `/readyz`'s last verdict, shared by every caller for a second.
    pub readiness: Arc<Readiness>,
    /// The MCP core every transport hands its messages to.
    pub mcp: crate::mcp::Server,
    /// OAuth clients' metadata documents, fetched and cached.
    pub client_documents: Arc<crate::oauth::ClientDocuments>,
}

impl AppState {
    /// The base URL clients reach us at: configuration only (`--public-url`, else the bound
    /// address), never a request's `Host` or `X-Forwarded-Host`.
    pub fn base_url(&self) -> String {
        self.config
            .public_url
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    }

    /// The resources OAuth access tokens are minted for and accepted with (RFC 8707): this
    /// server's MCP endpoints under its public URL.
    pub fn own_resources(&self) -> [String; 2] {
        let base = self.base_url();
        [format!("{base}/mcp"), format!("{base}/sse")]
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
            self.base_url()
        )
    }
}
