//! The dashboard: the REST API under `/api/v1` (session login, MCP settings, tokens, tenants,
//! audit trail) and the "Settings > MCP" pages, static HTML/CSS/JS embedded in the binary.
//!
//! Browser sessions are an HttpOnly, SameSite=Strict cookie holding a random 256-bit id of
//! which only a hash is stored. State-changing requests must be JSON and same-origin.

pub mod error;

use actix_web::web;

pub use error::DashboardError;

/// Registers the dashboard's API and pages on an actix-web service config.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}
