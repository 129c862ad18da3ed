//! Read-only API routes: who am I, the MCP settings (with the onboarding state), the
//! organisation's tenants with their connection and last collection.

use actix_web::{HttpResponse, web};
use aether365_actors::directory;
use aether365_actors::query::QueryService;
use aether365_entities::{organisation, scan};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::UserView;
use super::session::DashboardUser;
use crate::http::AppState;

/// What stands for the token in configuration snippets before one is created.
pub const TOKEN_PLACEHOLDER: &str = "YOUR_TOKEN";

/// The tenant-scoped query layer (the one the MCP tools use), sharing the server's scan cache.
pub fn queries(state: &AppState) -> QueryService {
    QueryService::with_cache(
        state.backend.db.clone(),
        std::sync::Arc::clone(&state.backend.scan_cache),
    )
}

/// The server's URLs and the client configurations for a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSettings {
    pub server_url: String,
    pub mcp_url: String,
    pub sse_url: String,
    /// `claude_desktop_config.json` content.
    #[schema(value_type = Object)]
    pub claude_desktop: Value,
    /// `~/.cursor/mcp.json` content.
    #[schema(value_type = Object)]
    pub cursor: Value,
}

/// The server's URLs and the client configurations for `token`.
pub fn client_settings(base_url: &str, token: &str) -> ClientSettings {
    let (claude_desktop, cursor) = crate::demo::client_config_values(base_url, token);
    ClientSettings {
        server_url: base_url.to_string(),
        mcp_url: format!("{base_url}/mcp"),
        sse_url: format!("{base_url}/sse"),
        claude_desktop,
        cursor,
    }
}

/// A link to the next step.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    pub label: String,
    /// A dashboard path.
    pub href: String,
}

/// Whether assistants have anything to read yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Onboarding {
    /// True once a tenant is connected and a scan of it has completed.
    pub available: bool,
    /// Why MCP is not available yet.
    pub reason: Option<String>,
    pub next_step: Option<NextStep>,
}

/// `GET /api/v1/mcp/settings`.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpSettings {
    #[serde(flatten)]
    pub client: ClientSettings,
    pub onboarding: Onboarding,
}

/// The organisation of the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    pub name: String,
}

/// `GET /api/v1/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    pub organisation: OrganisationView,
    pub session_expires_at: DateTime<Utc>,
}

/// `GET /api/v1/me`: the signed-in user and their organisation.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), super::error::Problems))]
pub async fn me(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let organisation = organisation::Entity::find_by_id(current.organisation_id())
        .one(&state.backend.db)
        .await?
        .ok_or(DashboardError::Unauthenticated)?;
    Ok(HttpResponse::Ok().json(Me {
        user: UserView::of(&current.user),
        organisation: OrganisationView {
            id: organisation.id,
            name: organisation.name,
        },
        session_expires_at: current.session.expires_at,
    }))
}

/// The onboarding state of an organisation: a tenant, then a completed scan.
pub async fn onboarding(
    state: &AppState,
    organisation_id: i64,
) -> Result<Onboarding, DashboardError> {
    let db = &state.backend.db;
    let tenants = directory::list_tenants(db, organisation_id).await?;
    if tenants.is_empty() {
        return Ok(Onboarding {
            available: false,
            reason: Some(
                "No Microsoft 365 tenant is connected yet, so an assistant would have nothing to read."
                    .into(),
            ),
            next_step: Some(NextStep {
                label: "Connect a tenant".into(),
                href: "/tenants".into(),
            }),
        });
    }
    let completed = scan::Entity::find()
        .filter(scan::Column::OrganisationId.eq(organisation_id))
        .filter(scan::Column::Status.eq("completed"))
        .count(db)
        .await?;
    if completed == 0 {
        return Ok(Onboarding {
            available: false,
            reason: Some(
                "No scan has completed yet, so an assistant would have no posture to read.".into(),
            ),
            next_step: Some(NextStep {
                label: "Start a scan".into(),
                href: "/scans".into(),
            }),
        });
    }
    Ok(Onboarding {
        available: true,
        reason: None,
        next_step: None,
    })
}

/// `GET /api/v1/mcp/settings`: server URLs and configurations with a token placeholder, and
/// whether MCP is available yet.
#[utoipa::path(get, path = "/api/v1/mcp/settings", tag = "mcp",
    responses((status = 200, body = McpSettings), super::error::Problems))]
pub async fn mcp_settings(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    Ok(HttpResponse::Ok().json(McpSettings {
        client: client_settings(&state.base_url(), TOKEN_PLACEHOLDER),
        onboarding: onboarding(&state, current.organisation_id()).await?,
    }))
}
