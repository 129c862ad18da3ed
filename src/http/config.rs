//! Settings of the HTTP server.

use std::net::SocketAddr;
use std::time::Duration;

use super::quota::QuotaConfig;

/// Settings of the HTTP server; the CLI maps its flags onto it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The URL clients use to reach the server (resource metadata, client configurations);
    /// unset: `http://` and the bound address. Never taken from a request.
    pub public_url: Option<String>,
    /// Extra allowed `Origin` values (localhost origins are always allowed).
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Time an authenticated client has to send a whole request body (408 after it).
    pub body_timeout: Duration,
    /// Open connections served at once, across every worker; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Requests from one address whose authentication is not finished, at once; more are
    /// answered 429. No body is read before authentication.
    pub max_unauthenticated_per_addr: usize,
    /// Calls per second and batch size, per token and organisation.
    pub quotas: QuotaConfig,
    /// Period of keep-alive comments on idle SSE streams.
    pub keep_alive: Duration,
    /// Serve the fixture tools, resources and prompts of the MCP conformance suite.
    pub conformance_fixtures: bool,
    /// `bench` builds only: every request is this principal, without a bearer (audit rows
    /// and tenant scope still apply). Loopback binds only.
    #[cfg(feature = "bench")]
    pub bench_principal: Option<aether365_actors::Principal>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8365)),
            public_url: None,
            allowed_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_unauthenticated_per_addr: 256,
            quotas: QuotaConfig::default(),
            keep_alive: Duration::from_secs(15),
            conformance_fixtures: false,
            #[cfg(feature = "bench")]
            bench_principal: None,
        }
    }
}
