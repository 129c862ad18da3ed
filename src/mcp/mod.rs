//! The MCP protocol core: JSON-RPC, protocol versions, dispatch and the session actor.
//! Transports (in [`crate::http`]) only frame messages.
