//! Discovery: `/.well-known/oauth-protected-resource` (RFC 9728), where clients learn how to
//! authenticate (the authorization server's own metadata is in [`crate::oauth`]).

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::oauth::SCOPE;
use serde_json::json;

use super::state::AppState;

/// GET /.well-known/oauth-protected-resource[/mcp|/sse]: the metadata of the origin, of the
/// Streamable HTTP endpoint or of the legacy SSE endpoint (RFC 9728 path-suffixed form), so a
/// client validating `resource` against the URL it was given finds its own URL.
pub async fn protected_resource(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = state.base_url();
    let suffix = req
        .path()
        .strip_prefix("/.well-known/oauth-protected-resource")
        .unwrap_or("");
    HttpResponse::Ok().json(json!({
        "resource": format!("{base}{suffix}"),
        "resource_name": "aether365",
        "bearer_methods_supported": ["header"],
        "authorization_servers": [base],
        "scopes_supported": [SCOPE],
        "resource_documentation": format!("{base}/"),
    }))
}
