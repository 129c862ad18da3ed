//! `aether365-load`: a load generator for the aether365 MCP server.

fn main() {}
