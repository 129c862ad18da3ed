//! Discovery: `/.well-known/oauth-protected-resource` (RFC 9728), where clients learn how to
//! authenticate, and `/.well-known/oauth-authorization-server` (RFC 8414, also served as
//! `/.well-known/openid-configuration`), the authorization server's endpoints.

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

/// GET /.well-known/oauth-authorization-server (and /.well-known/openid-configuration): the
/// authorization server metadata (RFC 8414). The issuer is the public URL.
pub async fn authorization_server_metadata(state: web::Data<AppState>) -> HttpResponse {
    let base = state.base_url();
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "scopes_supported": [SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": crate::oauth::CLIENT_ID_METADATA_DOCUMENTS,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{base}/"),
    }))
}
