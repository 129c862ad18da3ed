//! The MCP protocol core: JSON-RPC, protocol versions, dispatch and the session actor.
//! Transports (the HTTP layer) only frame messages and call [`Server::handle`].

pub mod caller;
pub mod cluster;
/// The conformance suite's fixtures: only in builds with the `conformance` feature (the test
/// build enables it); a release build has none of them.
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod context;
pub mod error;
pub mod jsonrpc;
pub mod logging;
pub mod methods;
pub mod metrics;
pub mod pagination;
pub mod registry;
pub mod request;
pub mod scan_watch;
pub mod server;
pub mod session;
pub mod stateless;
pub mod streaming;
pub mod surface;
pub mod tasks;
pub mod version;

pub use caller::Caller;
pub use context::{CoreConfig, RequestContext};
pub use error::McpError;
pub use registry::SessionRegistry;
pub use server::Server;
pub use version::ProtocolVersion;
