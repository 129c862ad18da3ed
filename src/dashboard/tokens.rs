//! `GET/POST /api/v1/tokens` and `DELETE /api/v1/tokens/{id}`: the organisation's MCP tokens.

use actix_web::{HttpResponse, web};
use aether365_actors::TenantScope;
use aether365_actors::tokens::{self, Expiry, TOKEN_PREFIX, TokenRevoked};
use aether365_entities::mcp_token;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::{ClientSettings, client_settings};
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Body of `POST /api/v1/tokens`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub label: String,
    /// `90d` (default), `1y` or `never`.
    #[serde(default)]
    pub expires: Option<String>,
    /// Tenant ids the token may read; absent or null: every tenant, present and future.
    #[serde(default)]
    pub tenants: Option<Vec<i64>>,
}

/// `active`, `expired` or `revoked`.
fn status(token: &mcp_token::Model, now: DateTime<Utc>) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    }
}

/// The tenants a token reads: `"all"` (present and future) or a list of tenant ids.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokenTenants {
    Only(Vec<i64>),
    /// Always `"all"`.
    All(String),
}

/// A token as the API shows it; never its secret or hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    /// The public start of the token, to recognise it.
    pub prefix: String,
    pub tenants: TokenTenants,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
}

impl TokenView {
    /// The view of a token row at `now`.
    pub fn of(token: &mcp_token::Model, now: DateTime<Utc>) -> TokenView {
        TokenView {
            id: token.id,
            label: token.label.clone(),
            prefix: format!("{TOKEN_PREFIX}{}", token.lookup_id),
            tenants: match tokens::scope_of(token) {
                Ok(TenantScope::Only(ids)) => TokenTenants::Only(ids),
                Ok(TenantScope::All) | Err(_) => TokenTenants::All("all".into()),
            },
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            status: status(token, now).to_string(),
        }
    }
}

/// A list of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// `POST /api/v1/tokens`: the new token, shown this once, and configurations using it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub client: ClientSettings,
    /// The plaintext token: shown once, never again.
    pub token: String,
    pub record: TokenView,
    pub warning: String,
}

/// `GET /api/v1/tokens`: every token of the organisation, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = TokenList), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let now = Utc::now();
    let rows = tokens::list_tokens(&state.backend.db, current.organisation_id()).await?;
    let items = rows.iter().map(|t| TokenView::of(t, now)).collect();
    Ok(HttpResponse::Ok().json(TokenList { items }))
}

/// `POST /api/v1/tokens`: 201 with the plaintext token, shown this once, and the client
/// configurations filled in with it. Owners and admins only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = IssuedToken), super::error::Problems))]
pub async fn create(
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change tokens")?;
    let NewToken {
        label,
        expires,
        tenants,
    } = body.into_inner();
    let expiry: Expiry = expires.as_deref().unwrap_or("90d").parse()?;
    let scope = tenants.map_or(TenantScope::All, TenantScope::Only);
    let issued = tokens::create_token(
        &state.backend.db,
        &state.backend.token_key,
        current.organisation_id(),
        &label,
        expiry,
        scope,
        Some(current.user.id),
    )
    .await?;
    Ok(HttpResponse::Created().json(IssuedToken {
        client: client_settings(&state.base_url(), &issued.token),
        record: TokenView::of(&issued.record, Utc::now()),
        token: issued.token,
        warning: "Copy this token now: it is shown once and cannot be shown again.".into(),
    }))
}

/// `DELETE /api/v1/tokens/{id}`: revokes at once; open MCP sessions of the token close.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 200, body = TokenView), super::error::Problems))]
pub async fn revoke(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change tokens")?;
    let raw = path.into_inner();
    let id: i64 = raw
        .parse()
        .map_err(|_| DashboardError::NotFound(format!("no token {raw:?}")))?;
    let token = tokens::revoke_token_as(
        &state.backend.db,
        Some(current.organisation_id()),
        id,
        Some(current.user.id),
    )
    .await?;
    state.backend.tokens.do_send(TokenRevoked(token.id));
    Ok(HttpResponse::Ok().json(TokenView::of(&token, Utc::now())))
}
