//! People: the organisation's dashboard users and their roles. Owners and admins invite
//! (create with a one-time password), change roles and remove; only an owner grants or takes
//! the owner role; the last owner stays. Every change is audit-logged.

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::directory::{self, ROLES};
use aether365_entities::{dashboard_session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
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

async fn person(
    db: &impl ConnectionTrait,
    current: &DashboardUser,
    raw: &str,
) -> Result<user::Model, DashboardError> {
    let not_found = || DashboardError::NotFound(format!("no person {raw:?}"));
    let id: i64 = raw.parse().map_err(|_| not_found())?;
    user::Entity::find_by_id(id)
        .filter(user::Column::OrganisationId.eq(current.organisation_id()))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

async fn owners(db: &impl ConnectionTrait, organisation_id: i64) -> Result<u64, DashboardError> {
    Ok(user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Role.eq("owner"))
        .count(db)
        .await?)
}

fn event(req: &HttpRequest, current: &DashboardUser, action: &str, target: i64) -> AuditEvent {
    AuditEvent::new(ActorKind::User, action)
        .organisation(current.organisation_id())
        .actor_id(current.user.id)
        .actor_label(current.user.email.clone())
        .client_addr(Some(client_addr(req)))
        .target(target)
}

/// `GET /api/v1/people`: the organisation's users, by email.
#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    responses((status = 200, body = PeopleList), super::openapi::Problems))]
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

/// `POST /api/v1/people`: invites a person with a role; answers a one-time password.
#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = Invitation,
    responses((status = 201, body = Invited), super::openapi::Problems))]
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
    let created =
        directory::create_user(db, current.organisation_id(), &email, &password, &role).await?;
    audit::write_one(
        db,
        event(&req, &current, "person.invite", created.id)
            .detail(format!("{} as {role}", created.email)),
    )
    .await?;
    Ok(HttpResponse::Created().json(Invited {
        user: UserView::of(&created),
        password,
        warning: "Hand this password over now: it is shown once.".into(),
    }))
}

/// `PATCH /api/v1/people/{id}`: changes a person's role.
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", request_body = RoleChange,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), super::openapi::Problems))]
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
    let txn = aether365_actors::db::begin_write(&state.backend.db).await?;
    let target = person(&txn, &current, &path).await?;
    check_owner_rule(&current, &target.role)?;
    check_owner_rule(&current, &role)?;
    if target.role == "owner"
        && role != "owner"
        && owners(&txn, current.organisation_id()).await? <= 1
    {
        return Err(DashboardError::Conflict(
            "the organisation's last owner keeps the owner role: make someone else owner first"
                .into(),
        ));
    }
    let before = target.role.clone();
    let mut row = target.into_active_model();
    row.role = Set(role.clone());
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    audit::write_one(
        &state.backend.db,
        event(&req, &current, "person.role", updated.id)
            .detail(format!("{}: {before} -> {role}", updated.email)),
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::of(&updated)))
}

/// `DELETE /api/v1/people/{id}`: removes a person; their sessions end at once.
#[utoipa::path(delete, path = "/api/v1/people/{id}", tag = "people",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 204, description = "Removed"), super::openapi::Problems))]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("manage people")?;
    let txn = aether365_actors::db::begin_write(&state.backend.db).await?;
    let target = person(&txn, &current, &path).await?;
    if target.id == current.user.id {
        return Err(DashboardError::Conflict(
            "you cannot remove yourself; ask another owner or admin".into(),
        ));
    }
    check_owner_rule(&current, &target.role)?;
    if target.role == "owner" && owners(&txn, current.organisation_id()).await? <= 1 {
        return Err(DashboardError::Conflict(
            "the organisation's last owner cannot be removed".into(),
        ));
    }
    dashboard_session::Entity::delete_many()
        .filter(dashboard_session::Column::UserId.eq(target.id))
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(target.id).exec(&txn).await?;
    txn.commit().await?;
    audit::write_one(
        &state.backend.db,
        event(&req, &current, "person.remove", target.id)
            .detail(format!("{} ({})", target.email, target.role)),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
