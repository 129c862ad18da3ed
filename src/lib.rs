//! aether365: a read-only Model Context Protocol server over Microsoft 365 security posture.
//!
//! - [`http`]: actix-web server, REST routes and MCP transports.
//! - [`mcp`]: the protocol core (JSON-RPC dispatch, versions, session actor) and its surface
//!   (tools, resources, prompts).
//! - [`cli`]: the `aether365` command line.
//! - [`dashboard`]: the REST API under `/api/v1` and the "Settings > MCP" pages.
//! - [`demo`]: the Contoso demo organisation with a real scan history.
//! - [`oauth`]: the OAuth 2.1 authorization server of the MCP endpoint.

pub mod cli;
pub mod dashboard;
pub mod demo;
pub mod errors;
pub mod http;
pub mod mcp;
pub mod oauth;
