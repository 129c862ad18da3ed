//! The HTTP server: MCP transports (Streamable HTTP at `/mcp`, legacy HTTP+SSE at `/sse`),
//! bearer authentication, `Origin` checks and body limits.

mod config;

pub use config::ServerConfig;

use std::net::TcpListener;

use actix_web::dev::Server;
use aether365_actors::Backend;

/// Errors raised while starting or running the HTTP server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("HTTP server error: {0}")]
    Io(#[from] std::io::Error),
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds the server.
    pub fn build(config: ServerConfig, backend: Backend) -> Result<Application, ServerError> {
        let listener = TcpListener::bind(config.bind).map_err(|source| ServerError::Bind {
            addr: config.bind,
            source,
        })?;
        let port = listener.local_addr()?.port();
        let _ = backend;
        let server = actix_web::HttpServer::new(actix_web::App::new)
            .listen(listener)?
            .run();
        Ok(Application { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until the server is stopped (signal or handle).
    pub async fn run_until_stopped(self) -> Result<(), ServerError> {
        self.server.await?;
        Ok(())
    }
}
