//! `/.well-known/oauth-protected-resource` (RFC 9728): where clients learn how to authenticate.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::state::AppState;

/// GET /.well-known/oauth-protected-resource[/mcp].
pub async fn protected_resource(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = state.base_url(&req);
    HttpResponse::Ok().json(json!({
        "resource": format!("{base}/mcp"),
        "resource_name": "aether365",
        "bearer_methods_supported": ["header"],
        "authorization_servers": [],
        "resource_documentation": format!("{base}/"),
    }))
}
