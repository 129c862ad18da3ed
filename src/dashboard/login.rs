//! `POST /api/v1/session` (sign in) and `DELETE /api/v1/session` (sign out).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent, Outcome};
use aether365_actors::hashing;
use aether365_entities::user;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DashboardError;
use super::session::{self, DashboardUser};
use super::throttle;
use crate::http::AppState;

/// The sign-in form.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A hash to verify against when the email is unknown, so that costs what a wrong password costs.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hashing::hash_secret("aether365 dummy password").unwrap_or_default())
}

/// The client's address, the rate-limit key.
pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect())
}

/// A dashboard user as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    /// `owner`, `admin` or `viewer`.
    pub role: String,
    pub organisation_id: i64,
    pub created_at: DateTime<Utc>,
    /// Owners and admins change things (tokens, scans, tenants, people); viewers read.
    pub can_manage: bool,
    /// Same as `can_manage` (kept for existing clients).
    pub can_manage_tokens: bool,
}

impl UserView {
    /// The view of a user row.
    pub fn of(user: &user::Model) -> UserView {
        let can_manage = session::is_manager(&user.role);
        UserView {
            id: user.id,
            email: user.email.clone(),
            role: user.role.clone(),
            organisation_id: user.organisation_id,
            created_at: user.created_at,
            can_manage,
            can_manage_tokens: can_manage,
        }
    }
}

/// `POST /api/v1/session`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    pub user: UserView,
}

/// Signs in: 200 with the user and a session cookie, 401 on bad credentials, 429 when the
/// address has failed too often.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials,
    responses((status = 200, body = SignedIn), super::error::Problems))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<Credentials>,
) -> Result<HttpResponse, DashboardError> {
    let db = &state.backend.db;
    let addr = client_addr(&req);
    let _attempt = throttle::begin(db, &addr).await?;
    let slot = throttle::verification_slot().await?;
    let Credentials { email, password } = body.into_inner();
    let email = email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let phc = found.as_ref().map(|u| u.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || match phc {
        Some(phc) => hashing::verify_secret(&phc, &password),
        None => {
            hashing::verify_secret(dummy_hash(), &password);
            false
        }
    })
    .await
    .map_err(|e| DashboardError::failed("password verification", e))?;
    drop(slot);

    let event = |action: &str| {
        let mut event = AuditEvent::new(ActorKind::Anonymous, action)
            .client_addr(Some(addr.clone()))
            .user_agent(user_agent(&req));
        if let Some(user) = &found {
            event = event
                .organisation(user.organisation_id)
                .actor_kind(ActorKind::User)
                .actor_id(user.id)
                .actor_label(user.email.clone());
        }
        event
    };
    let user = match found {
        Some(ref user) if verified => user.clone(),
        _ => {
            let detail = if found.is_some() {
                "wrong password"
            } else {
                "unknown email"
            };
            audit::write_one(
                db,
                event(throttle::LOGIN_FAILED)
                    .outcome(Outcome::Denied)
                    .detail(detail),
            )
            .await?;
            tracing::warn!(client_addr = %addr, "dashboard sign-in failed");
            return Err(DashboardError::InvalidCredentials);
        }
    };
    let (id, _) = session::open(db, &user).await?;
    audit::write_one(db, event("dashboard.login")).await?;
    tracing::info!(user_id = user.id, "dashboard sign-in");
    Ok(HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            session::set_cookie(
                Some(&id),
                session::secure_cookies(state.config.public_url.as_deref()),
            ),
        ))
        .json(SignedIn {
            user: UserView::of(&user),
        }))
}

/// Signs out: revokes the session and deletes the cookie. 204 even without a session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out"), super::error::Problems))]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashboardError> {
    if let Some(current) = DashboardUser::of(&req).await? {
        if let Some(id) = session::cookie_value(&req) {
            session::revoke(&state.backend.db, &id).await?;
        }
        audit::write_one(
            &state.backend.db,
            AuditEvent::new(ActorKind::User, "dashboard.logout")
                .organisation(current.organisation_id())
                .actor_id(current.user.id)
                .actor_label(current.user.email.clone())
                .client_addr(Some(client_addr(&req))),
        )
        .await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            session::set_cookie(
                None,
                session::secure_cookies(state.config.public_url.as_deref()),
            ),
        ))
        .finish())
}
