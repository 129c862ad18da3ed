//! Read-only API routes: who am I, the MCP settings, the organisation's tenants.

use actix_web::{HttpResponse, web};
use aether365_actors::directory;
use aether365_entities::organisation;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use super::error::DashboardError;
use super::login::user_json;
use super::session::DashboardUser;
use crate::http::AppState;

/// What stands for the token in configuration snippets before one is created.
pub const TOKEN_PLACEHOLDER: &str = "YOUR_TOKEN";

/// The server's URLs and the client configurations for `token`.
pub fn settings_json(base_url: &str, token: &str) -> Value {
    let (claude_desktop, cursor) = crate::demo::client_config_values(base_url, token);
    json!({
        "server_url": base_url,
        "mcp_url": format!("{base_url}/mcp"),
        "sse_url": format!("{base_url}/sse"),
        "claude_desktop": claude_desktop,
        "cursor": cursor,
    })
}

/// `GET /api/v1/me`: the signed-in user and their organisation.
pub async fn me(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let organisation = organisation::Entity::find_by_id(current.organisation_id())
        .one(&state.backend.db)
        .await?
        .ok_or(DashboardError::Unauthenticated)?;
    Ok(HttpResponse::Ok().json(json!({
        "user": user_json(&current.user),
        "organisation": {"id": organisation.id, "name": organisation.name},
        "session_expires_at": current.session.expires_at.to_rfc3339(),
    })))
}

/// `GET /api/v1/mcp/settings`: server URLs and configurations with a token placeholder.
pub async fn mcp_settings(state: web::Data<AppState>, _current: DashboardUser) -> HttpResponse {
    HttpResponse::Ok().json(settings_json(&state.base_url(), TOKEN_PLACEHOLDER))
}

/// `GET /api/v1/tenants`: the organisation's connected tenants.
pub async fn tenants(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let tenants = directory::list_tenants(&state.backend.db, current.organisation_id()).await?;
    let items: Vec<Value> = tenants
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "display_name": t.display_name,
                "primary_domain": t.primary_domain,
                "microsoft_tenant_id": t.microsoft_tenant_id,
                "connected_at": t.connected_at.to_rfc3339(),
                "initial_domain": t.initial_domain,
                "live_collection": t.consented_at.is_some(),
                "consented_at": t.consented_at.map(|at| at.to_rfc3339()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
