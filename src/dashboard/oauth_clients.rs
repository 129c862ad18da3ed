//! `GET/POST /api/v1/oauth/clients` and `DELETE /api/v1/oauth/clients/{client_id}`: OAuth
//! clients the organisation pre-registered (Settings > MCP). A pre-registered client is a
//! public client (no secret) with exact redirect URIs (`https`, or `http` on loopback); only
//! the people of its organisation see it, delete it, or authorize it. Deleting it revokes
//! every grant given to it.

use actix_web::{HttpResponse, web};
use aether365_actors::oauth::{self, NewOrganisationClient, OAuthError};
use aether365_actors::tokens::TokenRevoked;
use aether365_entities::oauth_client;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Body of `POST /api/v1/oauth/clients`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOAuthClient {
    /// Shown on the consent page (at most 80 characters).
    pub client_name: String,
    /// 1 to 10 redirect URIs, `https` or `http` on a loopback address, compared exactly.
    pub redirect_uris: Vec<String>,
}

/// A pre-registered OAuth client as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthClientView {
    /// The `client_id` the application is configured with (not a secret).
    pub client_id: String,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The person who registered it.
    pub created_by: Option<i64>,
    /// Always `none`: a public client, authenticated by PKCE.
    pub token_endpoint_auth_method: String,
}

impl OAuthClientView {
    fn of(client: &oauth_client::Model) -> OAuthClientView {
        OAuthClientView {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            redirect_uris: oauth::redirect_uris_of(client),
            created_at: client.created_at,
            created_by: client.created_by,
            token_endpoint_auth_method: "none".into(),
        }
    }
}

/// The organisation's pre-registered clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthClientList {
    pub items: Vec<OAuthClientView>,
}

/// `DELETE /api/v1/oauth/clients/{client_id}`: the deleted client and the grants revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedOAuthClient {
    pub client: OAuthClientView,
    /// Connections (grants) given to it, now revoked: their tokens stopped at once.
    pub revoked_grants: usize,
}

fn problem(e: OAuthError) -> DashboardError {
    match e {
        OAuthError::InvalidRedirectUri(m) => DashboardError::BadRequest(m),
        OAuthError::InvalidClientName => {
            DashboardError::BadRequest("the client name is empty".into())
        }
        OAuthError::TooManyClients(_) => DashboardError::Conflict(e.to_string()),
        OAuthError::InvalidClient => DashboardError::NotFound("no such OAuth client".into()),
        OAuthError::Db(e) => DashboardError::Database(e),
        OAuthError::Audit(e) => DashboardError::Audit(e),
        other => DashboardError::failed("OAuth clients", other),
    }
}

/// `GET /api/v1/oauth/clients`: the clients the organisation pre-registered, oldest first.
#[utoipa::path(get, path = "/api/v1/oauth/clients", tag = "oauth",
    responses((status = 200, body = OAuthClientList), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let rows = oauth::organisation_clients(&state.backend.db, current.organisation_id())
        .await
        .map_err(problem)?;
    Ok(HttpResponse::Ok().json(OAuthClientList {
        items: rows.iter().map(OAuthClientView::of).collect(),
    }))
}

/// `POST /api/v1/oauth/clients`: registers a public client of the organisation; 201 with its
/// `client_id`. Owners and admins only; audited.
#[utoipa::path(post, path = "/api/v1/oauth/clients", tag = "oauth", request_body = NewOAuthClient,
    responses((status = 201, body = OAuthClientView), super::error::Problems))]
pub async fn create(
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<NewOAuthClient>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("register OAuth clients")?;
    let NewOAuthClient {
        client_name,
        redirect_uris,
    } = body.into_inner();
    let client = oauth::register_organisation_client(
        &state.backend.db,
        NewOrganisationClient {
            organisation_id: current.organisation_id(),
            created_by: current.user.id,
            created_by_email: current.user.email.clone(),
            client_name,
            redirect_uris,
        },
    )
    .await
    .map_err(problem)?;
    tracing::info!(client_id = %client.client_id, "OAuth client pre-registered");
    Ok(HttpResponse::Created().json(OAuthClientView::of(&client)))
}

/// `DELETE /api/v1/oauth/clients/{client_id}`: deletes the client and revokes every grant
/// given to it (open sessions close). Another organisation's client is a 404, as an unknown
/// one. Owners and admins only; audited.
#[utoipa::path(delete, path = "/api/v1/oauth/clients/{client_id}", tag = "oauth",
    params(("client_id" = String, Path, description = "The client's client_id")),
    responses((status = 200, body = DeletedOAuthClient), super::error::Problems))]
pub async fn delete(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("delete OAuth clients")?;
    let client_id = path.into_inner();
    let (client, grants) = oauth::delete_organisation_client(
        &state.backend.db,
        current.organisation_id(),
        (current.user.id, &current.user.email),
        &client_id,
    )
    .await
    .map_err(problem)?;
    for grant in &grants {
        if let Err(e) = state.backend.tokens.send(TokenRevoked(*grant)).await {
            tracing::warn!(
                grant_id = grant,
                "cannot tell the validator of a revoked grant: {e}"
            );
        }
    }
    Ok(HttpResponse::Ok().json(DeletedOAuthClient {
        client: OAuthClientView::of(&client),
        revoked_grants: grants.len(),
    }))
}
