//! The MCP protocol core: JSON-RPC, protocol versions, dispatch and the session actor.
//! Transports (in [`crate::http`]) only frame messages.

pub mod cluster;
/// The conformance suite's fixtures: only in builds with the `conformance` feature (the test
/// build enables it); release builds compile the stubs of `conformance_off.rs`.
#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(not(feature = "conformance"))]
#[path = "conformance_off.rs"]
pub mod conformance;
pub mod context;
pub mod dispatch;
pub mod error;
pub mod jsonrpc;
pub mod logging;
pub mod pagination;
pub mod registry;
pub mod request;
pub mod scan_watch;
pub mod session;
pub mod stateless;
pub mod surface;
pub mod tasks;
pub mod version;

pub use context::{Caller, CoreConfig, RequestContext};
pub use error::McpError;
pub use registry::SessionRegistry;
pub use version::ProtocolVersion;
