//! The HTTP server: MCP transports (Streamable HTTP at `/mcp`, legacy HTTP+SSE at `/sse`),
//! bearer authentication, `Origin` checks and body limits.

#[cfg(feature = "bench")]
mod bench;
mod config;
pub mod error;
mod guard;
mod mcp;
mod ops;
pub mod quota;
mod readiness;
mod state;
mod strangers;
mod stream;
mod well_known;

pub use config::{ServerConfig, TrustedProxy};
pub use state::AppState;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use aether365_actors::Backend;

use crate::mcp::{CoreConfig, SessionRegistry};

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
    #[error("--conformance-fixtures needs a build with the `conformance` cargo feature")]
    NoFixtures,
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    registry: SessionRegistry,
}

/// Registers the MCP routes on an actix-web service config.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let guard = || from_fn(guard::authenticate_first);
    cfg.service(
        web::resource("/mcp")
            .wrap(guard())
            .route(web::post().to(mcp::streamable::post))
            .route(web::get().to(mcp::streamable::get))
            .route(web::delete().to(mcp::streamable::delete))
            .default_service(web::to(mcp::streamable::other)),
    )
    .service(
        web::resource("/sse")
            .wrap(guard())
            .route(web::get().to(mcp::legacy::open)),
    )
    .service(
        web::resource("/messages")
            .wrap(guard())
            .route(web::post().to(mcp::legacy::message)),
    )
    .route(
        "/.well-known/oauth-protected-resource",
        web::get().to(well_known::protected_resource),
    )
    .route(
        "/.well-known/oauth-protected-resource/mcp",
        web::get().to(well_known::protected_resource),
    )
    .route(
        "/.well-known/oauth-protected-resource/sse",
        web::get().to(well_known::protected_resource),
    );
    crate::oauth::routes(cfg);
    #[cfg(feature = "bench")]
    cfg.route("/bench/tools/{name}", web::post().to(bench::call));
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds the server. Must run inside
    /// an actix system (it starts the revocation listener).
    pub fn build(mut config: ServerConfig, backend: Backend) -> Result<Application, ServerError> {
        if config.conformance_fixtures && !cfg!(feature = "conformance") {
            return Err(ServerError::NoFixtures);
        }
        let listener = TcpListener::bind(config.bind).map_err(|source| ServerError::Bind {
            addr: config.bind,
            source,
        })?;
        let local = listener.local_addr()?;
        let port = local.port();
        // URLs we hand out come from configuration, never from a request's `Host`.
        if config.public_url.is_none() {
            let reachable = if local.ip().is_unspecified() {
                tracing::warn!(
                    "bound to every interface without --public-url: the URLs handed out name 127.0.0.1"
                );
                std::net::SocketAddr::from(([127, 0, 0, 1], port))
            } else {
                local
            };
            config.public_url = Some(format!("http://{reachable}"));
        }
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let connections_per_worker = config.max_connections.div_ceil(workers).max(1);
        let config_quotas = config.quotas;
        let mut document_policy =
            aether365_actors::oauth::document::policy(config.allow_loopback_destinations);
        document_policy.extra_roots = config.extra_root_certificates.clone();
        let registry = SessionRegistry::new(&backend);
        registry.follow_revocations(backend.clone());
        registry.follow_cluster();
        let core = Arc::new(CoreConfig {
            conformance_fixtures: config.conformance_fixtures,
            ..CoreConfig::default()
        });
        let state = AppState {
            mcp: crate::mcp::Server::new(backend.clone(), registry.clone(), core.clone()),
            backend,
            registry: registry.clone(),
            core,
            config: Arc::new(config),
            strangers: Arc::default(),
            quotas: Arc::new(quota::Quotas::new(config_quotas)),
            readiness: Arc::default(),
            client_documents: Arc::new(crate::oauth::ClientDocuments::new(document_policy)),
        };
        let max_body = state.config.max_body_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .app_data(web::PayloadConfig::new(max_body))
                .configure(configure)
                .configure(ops::routes)
                .configure(crate::dashboard::routes)
        })
        // Answers leave at once: without TCP_NODELAY a response written in several chunks
        // waits for the client's delayed acknowledgement (about 40 ms per call).
        .on_connect(|connection, _extensions| {
            if let Some(socket) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
                && let Err(e) = socket.set_nodelay(true)
            {
                tracing::debug!("cannot set TCP_NODELAY: {e}");
            }
        })
        // SIGINT and SIGTERM are handled by `run_until_stopped`, which ends the SSE streams
        // first so that a stop never waits for idle clients.
        .workers(workers)
        .max_connections(connections_per_worker)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
        tracing::info!(port, "HTTP server listening");
        Ok(Application {
            port,
            server,
            registry,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The live MCP sessions (for diagnostics and tests).
    pub fn sessions(&self) -> SessionRegistry {
        self.registry.clone()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until the server is stopped (signal or handle).
    pub async fn run_until_stopped(self) -> Result<(), ServerError> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        tokio::select! {
            result = &mut server => result?,
            () = shutdown_signal() => {
                tracing::info!("stopping: closing MCP sessions and streams");
                self.registry.leave().await;
                self.registry.close_all();
                // The stop command is sent now; the server future carries it out.
                let stopped = handle.stop(true);
                server.await?;
                stopped.await;
            }
        }
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
