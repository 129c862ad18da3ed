//! People: the organisation's dashboard users and their roles. Owners and admins invite
//! (create with a one-time password), change roles and remove; only an owner grants or takes
//! the owner role; the last owner stays, also under concurrent changes (the people lock of
//! [`aether365_actors::people`]). Removing a person, or lowering them to viewer, revokes the
//! MCP tokens they created. Every change is audit-logged.

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::directory::{self, DirectoryError, ROLES};
use aether365_actors::people::{self, PeopleError, PersonChange};
use aether365_actors::tokens::TokenRevoked;
use aether365_entities::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::{UserView, client_addr};
use super::session::DashboardUser;
use crate::http::AppState;

/// `GET /api/v1/people`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeopleList {
    pub items: Vec<UserView>,
}

/// Body of `POST /api/v1/people`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    pub email: String,
    /// `owner`, `admin` or `viewer`.
    pub role: String,
}

/// `POST /api/v1/people`: the new user and a one-time password to hand over.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub user: UserView,
    /// Shown once; the person signs in with it.
    pub password: String,
    pub warning: String,
}

/// Body of `PATCH /api/v1/people/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `owner`, `admin` or `viewer`.
    pub role: String,
}

fn check_role(role: &str) -> Result<(), DashboardError> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(DashboardError::BadRequest(format!(
            "role must be one of {}",
            ROLES.join(", ")
        )))
    }
}

/// 403 unless `current` may grant or take `role` (only owners handle the owner role).
fn check_owner_rule(current: &DashboardUser, role: &str) -> Result<(), DashboardError> {
    if role == "owner" && current.user.role != "owner" {
        return Err(DashboardError::Forbidden(
            "only an owner may grant or take the owner role".into(),
        ));
    }
    Ok(())
}

/// The audit event of `current`'s action, without a target.
fn actor_event(req: &HttpRequest, current: &DashboardUser, action: &str) -> AuditEvent {
    AuditEvent::new(ActorKind::User, action)
        .organisation(current.organisation_id())
        .actor_id(current.user.id)
        .actor_label(current.user.email.clone())
        .client_addr(Some(client_addr(req)))
}

fn event(req: &HttpRequest, current: &DashboardUser, action: &str, target: i64) -> AuditEvent {
    actor_event(req, current, action).target(target)
}

/// `GET /api/v1/people`: the organisation's users, by email.
#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    responses((status = 200, body = PeopleList), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let rows = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(current.organisation_id()))
        .order_by_asc(user::Column::Email)
        .all(&state.backend.db)
        .await?;
    Ok(HttpResponse::Ok().json(PeopleList {
        items: rows.iter().map(UserView::of).collect(),
    }))
}

/// `PATCH /api/v1/people/{id}`: the person with their new role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChanged {
    #[serde(flatten)]
    pub user: UserView,
    /// MCP tokens the person created that were revoked because their new role (viewer) may not
    /// manage tokens.
    pub tokens_revoked: usize,
}

/// `DELETE /api/v1/people/{id}`: who was removed and how many of their tokens were revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub user: UserView,
    /// MCP tokens the person created, now revoked (every expiry, `never` included).
    pub tokens_revoked: usize,
}

impl From<PeopleError> for DashboardError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::NotFound(_) => DashboardError::NotFound(e.to_string()),
            PeopleError::InvalidRole => DashboardError::BadRequest(e.to_string()),
            PeopleError::Forbidden(text) => DashboardError::Forbidden(text),
            PeopleError::LastOwner => DashboardError::Conflict(e.to_string()),
            PeopleError::Db(e) => DashboardError::Database(e),
            PeopleError::Audit(e) => DashboardError::Audit(e),
        }
    }
}

/// The person id of a path, or 404 naming it.
fn person_id(raw: &str) -> Result<i64, DashboardError> {
    raw.parse()
        .map_err(|_| DashboardError::NotFound(format!("no person {raw:?}")))
}

/// Tells this instance's token validator of each revoked token at once (its cache and open
/// sessions); other instances hear of them through the database (module documentation of
/// [`aether365_actors::people`]).
fn announce_revoked(state: &AppState, change: &PersonChange) {
    for token in &change.revoked_tokens {
        state.backend.tokens.do_send(TokenRevoked(token.id));
    }
}

/// `POST /api/v1/people`: invites a person with a role; answers a one-time password.
///
/// An address already registered in another organisation is answered exactly like a new one
/// (201, same body, the password hashed the same way) and nothing is linked: the other
/// organisation's account is untouched and the password opens nothing. Only an address of this
/// organisation answers 409 (its managers see it in the list anyway).
#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = Invitation,
    responses((status = 201, body = Invited), super::error::Problems))]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<Invitation>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("manage people")?;
    let Invitation { email, role } = body.into_inner();
    check_role(&role)?;
    check_owner_rule(&current, &role)?;
    let password = crate::demo::random_password();
    let db = &state.backend.db;
    let organisation_id = current.organisation_id();
    let elsewhere =
        |row: Option<user::Model>| row.is_some_and(|u| u.organisation_id != organisation_id);
    let invited = if elsewhere(registered(db, &email).await?) {
        unlinked_invitation(db, organisation_id, &email, &password, &role).await?
    } else {
        match directory::create_user(db, organisation_id, &email, &password, &role).await {
            Ok(created) => created,
            Err(DirectoryError::UserExists(taken)) => {
                // Registered elsewhere between the look-up and the insert: the same answer.
                if !elsewhere(registered(db, &email).await?) {
                    return Err(DirectoryError::UserExists(taken).into());
                }
                unlinked_invitation(db, organisation_id, &email, &password, &role).await?
            }
            Err(e) => return Err(e.into()),
        }
    };
    audit::write_one(
        db,
        event(&req, &current, "person.invite", invited.id)
            .detail(format!("{} as {role}", invited.email)),
    )
    .await?;
    Ok(HttpResponse::Created().json(Invited {
        user: UserView::of(&invited),
        password,
        warning: "Hand this password over now: it is shown once.".into(),
    }))
}

/// The user row registered under `email` (normalised as stored), in any organisation.
async fn registered(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> Result<Option<user::Model>, DashboardError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

/// What an invitation of an address registered in another organisation does: the same work
/// as a real one (the password hashed with argon2id; an id taken from the users' sequence by a
/// placeholder row inserted and deleted in one transaction, so ids advance as for a real
/// invitation) and nothing else. Answers the view the inviter sees; no row holds it.
async fn unlinked_invitation(
    db: &sea_orm::DatabaseConnection,
    organisation_id: i64,
    email: &str,
    password: &str,
    role: &str,
) -> Result<user::Model, DashboardError> {
    let secret = password.to_string();
    let password_hash =
        tokio::task::spawn_blocking(move || aether365_actors::hashing::hash_secret(&secret))
            .await
            .map_err(|e| DashboardError::failed("password hashing", e))?
            .map_err(|e| DashboardError::failed("password hashing", e))?;
    let created_at = chrono::Utc::now();
    let txn = db.begin().await?;
    let placeholder = user::ActiveModel {
        organisation_id: Set(organisation_id),
        email: Set(format!(
            "unlinked-{}@invitation.invalid",
            hex::encode(rand::random::<[u8; 16]>())
        )),
        password_hash: Set(password_hash),
        role: Set(role.to_string()),
        created_at: Set(created_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user::Entity::delete_by_id(placeholder.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(
        organisation_id,
        "invitation of an address registered in another organisation: answered, nothing created"
    );
    Ok(user::Model {
        id: placeholder.id,
        organisation_id,
        email: email.trim().to_lowercase(),
        password_hash: String::new(),
        role: role.to_string(),
        created_at,
    })
}

/// `PATCH /api/v1/people/{id}`: changes a person's role. Lowering an owner or admin to viewer
/// revokes the MCP tokens they created (`tokens_revoked`); the last owner stays owner (409).
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", request_body = RoleChange,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = RoleChanged), super::error::Problems))]
pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
    body: web::Json<RoleChange>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("manage people")?;
    let role = body.into_inner().role;
    check_role(&role)?;
    check_owner_rule(&current, &role)?;
    let id = person_id(&path)?;
    let change = people::set_role(
        &state.backend.db,
        current.organisation_id(),
        id,
        &role,
        Some(current.user.id),
        &actor_event(&req, &current, "person.role"),
    )
    .await?;
    announce_revoked(&state, &change);
    let updated = change.after.as_ref().unwrap_or(&change.before);
    Ok(HttpResponse::Ok().json(RoleChanged {
        user: UserView::of(updated),
        tokens_revoked: change.revoked_tokens.len(),
    }))
}

/// `DELETE /api/v1/people/{id}`: removes a person; their sessions end and the MCP tokens they
/// created are revoked at once (every expiry, `never` included).
#[utoipa::path(delete, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = Removed), super::error::Problems))]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("manage people")?;
    let id = person_id(&path)?;
    if id == current.user.id {
        return Err(DashboardError::Conflict(
            "you cannot remove yourself; ask another owner or admin".into(),
        ));
    }
    let change = people::remove(
        &state.backend.db,
        current.organisation_id(),
        id,
        Some(current.user.id),
        &actor_event(&req, &current, "person.remove"),
    )
    .await?;
    announce_revoked(&state, &change);
    Ok(HttpResponse::Ok().json(Removed {
        user: UserView::of(&change.before),
        tokens_revoked: change.revoked_tokens.len(),
    }))
}
