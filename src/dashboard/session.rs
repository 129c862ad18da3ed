//! Browser sessions: a random 256-bit id in an HttpOnly, SameSite=Strict cookie; only its
//! BLAKE2b-256 hash is stored (`dashboard_sessions`), so a database leak opens no session.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use aether365_actors::{Principal, TenantScope};
use aether365_entities::{dashboard_session, user};
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::LocalBoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

use super::error::DashboardError;
use crate::http::AppState;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "aether365_session";

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// Roles that may change things: create and revoke tokens, start scans, connect tenants,
/// import exports, manage people. Viewers only read.
const MANAGER_ROLES: [&str; 2] = ["owner", "admin"];

/// Whether `role` may change things (owner or admin).
pub fn is_manager(role: &str) -> bool {
    MANAGER_ROLES.contains(&role)
}

/// Hex BLAKE2b-256 of a session id: what the database stores.
pub fn hash_session_id(id: &str) -> String {
    hex::encode(Blake2b::<U32>::digest(id.as_bytes()))
}

/// A fresh random session id (256 bits, hex).
fn new_session_id() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Opens a session for `user` (forgetting the user's ended ones); answers the cookie value
/// (the plaintext id) and the row.
pub async fn open(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> Result<(String, dashboard_session::Model), DashboardError> {
    let id = new_session_id();
    let now = Utc::now();
    dashboard_session::Entity::delete_many()
        .filter(dashboard_session::Column::UserId.eq(user.id))
        .filter(
            Condition::any()
                .add(dashboard_session::Column::ExpiresAt.lte(now))
                .add(dashboard_session::Column::RevokedAt.is_not_null()),
        )
        .exec(db)
        .await?;
    let row = dashboard_session::ActiveModel {
        id_hash: Set(hash_session_id(&id)),
        user_id: Set(user.id),
        organisation_id: Set(user.organisation_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(SESSION_HOURS)),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((id, row))
}

/// Revokes the session whose cookie value is `id` (nothing when unknown).
pub async fn revoke(db: &impl ConnectionTrait, id: &str) -> Result<(), DashboardError> {
    dashboard_session::Entity::update_many()
        .col_expr(
            dashboard_session::Column::RevokedAt,
            Expr::value(Utc::now()),
        )
        .filter(dashboard_session::Column::IdHash.eq(hash_session_id(id)))
        .filter(dashboard_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The live session with cookie value `id`, and its user.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(dashboard_session::Model, user::Model)>, DashboardError> {
    let Some(session) = dashboard_session::Entity::find_by_id(hash_session_id(id))
        .filter(dashboard_session::Column::RevokedAt.is_null())
        .filter(dashboard_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(session.user_id)
        .filter(user::Column::OrganisationId.eq(session.organisation_id))
        .one(db)
        .await?;
    Ok(user.map(|user| (session, user)))
}

/// The session cookie's value in the request, if any.
pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    named_cookie(req, COOKIE_NAME)
}

/// The value of the cookie `name` in the request, if any and not empty.
pub fn named_cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim_matches('"').to_string())
        .filter(|value| !value.is_empty())
}

/// A cookie binding a flow through Microsoft's site (tenant connection, sign-in) to the
/// browser that started it. `SameSite=Lax`, not Strict: the callback is a top-level
/// navigation from Microsoft's site.
pub struct BindingCookie {
    /// Its name over https (`__Host-` prefixed).
    pub secure_name: &'static str,
    /// Its name over plain http (loopback, tests).
    pub plain_name: &'static str,
    /// How long the flow it binds lives.
    pub lifetime: Duration,
}

impl BindingCookie {
    fn name(&self, public_url: Option<&str>) -> &'static str {
        if secure_cookies(public_url) {
            self.secure_name
        } else {
            self.plain_name
        }
    }

    /// The `Set-Cookie` value carrying `value` (`None`: delete the cookie).
    pub fn set(&self, public_url: Option<&str>, value: Option<&str>) -> String {
        let (value, max_age) = match value {
            Some(v) => (v, self.lifetime.num_seconds()),
            None => ("", 0),
        };
        let secure = if secure_cookies(public_url) {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
            self.name(public_url)
        )
    }

    /// The binding secret the browser presented, if any.
    pub fn presented(&self, req: &HttpRequest, public_url: Option<&str>) -> Option<String> {
        named_cookie(req, self.name(public_url))
    }
}

/// Whether cookies must be `Secure`: the public URL is https.
pub fn secure_cookies(public_url: Option<&str>) -> bool {
    public_url.is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
}

/// The `Set-Cookie` value carrying session id `value` (`None`: delete the cookie).
pub fn set_cookie(value: Option<&str>, secure: bool) -> String {
    let (value, max_age) = match value {
        Some(value) => (value, SESSION_HOURS * 3600),
        None => ("", 0),
    };
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// The signed-in dashboard user of a request; extracting it answers 401 without a live session.
#[derive(Clone, Debug)]
pub struct DashboardUser {
    pub user: user::Model,
    pub session: dashboard_session::Model,
}

impl DashboardUser {
    /// The user's organisation: every dashboard read and write is scoped to it.
    pub fn organisation_id(&self) -> i64 {
        self.user.organisation_id
    }

    /// Whether the user may change things (owner or admin).
    pub fn can_manage(&self) -> bool {
        is_manager(&self.user.role)
    }

    /// 403 unless the user may change things; `what` says what was refused ("change tokens").
    pub fn require_manager(&self, what: &str) -> Result<(), DashboardError> {
        if self.can_manage() {
            Ok(())
        } else {
            Err(DashboardError::Forbidden(format!(
                "the {} role may read but not {what}; ask an owner or admin",
                self.user.role
            )))
        }
    }

    /// The caller the query layer scopes this user's reads by: the user's organisation and
    /// every tenant of it. Dashboard users hold no token, so the token id is 0 (no token has it).
    pub fn principal(&self) -> Principal {
        Principal {
            organisation_id: self.user.organisation_id,
            token_id: 0,
            token_label: format!("dashboard user {}", self.user.email),
            tenant_scope: TenantScope::All,
        }
    }

    /// The signed-in user of `req`, or `None`.
    pub async fn of(req: &HttpRequest) -> Result<Option<DashboardUser>, DashboardError> {
        let Some(id) = cookie_value(req) else {
            return Ok(None);
        };
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(DashboardError::MissingState);
        };
        Ok(find(&state.backend.db, &id, Utc::now())
            .await?
            .map(|(session, user)| DashboardUser { user, session }))
    }
}

impl FromRequest for DashboardUser {
    type Error = DashboardError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            DashboardUser::of(&req)
                .await?
                .ok_or(DashboardError::Unauthenticated)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_and_hashed() {
        let (a, b) = (new_session_id(), new_session_id());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_session_id(&a).len(), 64);
        assert_ne!(hash_session_id(&a), a);
        assert_eq!(hash_session_id(&a), hash_session_id(&a));
    }

    #[test]
    fn cookies_carry_the_flags() {
        let cookie = set_cookie(Some("abc"), true);
        assert!(cookie.starts_with("aether365_session=abc;"));
        for flag in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(!set_cookie(Some("abc"), false).contains("Secure"));
        assert!(set_cookie(None, false).contains("Max-Age=0"));
        assert!(secure_cookies(Some("HTTPS://a365.example.com")));
        assert!(!secure_cookies(Some("http://127.0.0.1:8365")));
        assert!(!secure_cookies(None));
    }
}
