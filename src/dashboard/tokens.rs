//! `GET/POST /api/v1/tokens` and `DELETE /api/v1/tokens/{id}`: the organisation's MCP tokens.

use actix_web::{HttpResponse, web};
use aether365_actors::TenantScope;
use aether365_actors::tokens::{self, Expiry, TOKEN_PREFIX, TokenRevoked};
use aether365_entities::mcp_token;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::settings_json;
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Body of `POST /api/v1/tokens`.
#[derive(Deserialize)]
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

/// A token row as JSON; never its secret or hash.
pub fn token_json(token: &mcp_token::Model, now: DateTime<Utc>) -> Value {
    let rfc3339 = |at: Option<DateTime<Utc>>| at.map(|at| at.to_rfc3339());
    let tenants = match tokens::scope_of(token) {
        Ok(TenantScope::Only(ids)) => json!(ids),
        Ok(TenantScope::All) | Err(_) => json!("all"),
    };
    json!({
        "id": token.id,
        "label": token.label,
        "prefix": format!("{TOKEN_PREFIX}{}", token.lookup_id),
        "tenants": tenants,
        "created_at": token.created_at.to_rfc3339(),
        "last_used_at": rfc3339(token.last_used_at),
        "expires_at": rfc3339(token.expires_at),
        "revoked_at": rfc3339(token.revoked_at),
        "status": status(token, now),
    })
}

/// `GET /api/v1/tokens`: every token of the organisation, newest first.
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let now = Utc::now();
    let rows = tokens::list_tokens(&state.backend.db, current.organisation_id()).await?;
    let items: Vec<Value> = rows.iter().map(|t| token_json(t, now)).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// `POST /api/v1/tokens`: 201 with the plaintext token, shown this once, and the client
/// configurations filled in with it. Owners and admins only.
pub async fn create(
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager()?;
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
    let mut answer = settings_json(&state.base_url(), &issued.token);
    answer["token"] = json!(issued.token);
    answer["record"] = token_json(&issued.record, Utc::now());
    answer["warning"] = json!("Copy this token now: it is shown once and cannot be shown again.");
    Ok(HttpResponse::Created().json(answer))
}

/// `DELETE /api/v1/tokens/{id}`: revokes at once; open MCP sessions of the token close.
pub async fn revoke(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager()?;
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
    Ok(HttpResponse::Ok().json(token_json(&token, Utc::now())))
}
