//! `GET /api/v1/audit?token=&since=&limit=&before=`: the organisation's audit trail, newest
//! first, a page at a time (`before` is the `next_before` of the previous page).

use actix_web::{HttpResponse, web};
use aether365_actors::audit::{ActorKind, AuditPage, AuditRow};
use std::collections::HashMap;

use aether365_entities::{audit_log, mcp_token, user};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Rows per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page.
pub const MAX_LIMIT: u64 = 200;

/// Query of `GET /api/v1/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only rows of this token.
    pub token: Option<i64>,
    /// Only rows at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Rows per page, 1 to 200.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Only rows with a smaller id (the cursor).
    pub before: Option<i64>,
}

/// `GET /api/v1/audit`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Object, description = "`items` (newest first) and `next_before`"), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let db = &state.backend.db;
    let organisation_id = current.organisation_id();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(DashboardError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let mut select =
        audit_log::Entity::find().filter(audit_log::Column::OrganisationId.eq(organisation_id));
    if let Some(token_id) = query.token {
        let known = mcp_token::Entity::find_by_id(token_id)
            .filter(mcp_token::Column::OrganisationId.eq(organisation_id))
            .one(db)
            .await?;
        if known.is_none() {
            return Err(DashboardError::NotFound(format!("no token {token_id}")));
        }
        select = select
            .filter(audit_log::Column::ActorKind.eq(ActorKind::Token.as_str()))
            .filter(audit_log::Column::ActorId.eq(token_id));
    }
    if let Some(since) = query.since.as_deref().filter(|s| !s.is_empty()) {
        let since = DateTime::parse_from_rfc3339(since)
            .map_err(|_| {
                DashboardError::BadRequest(format!(
                    "since must be an RFC 3339 time such as 2026-11-24T09:00:00Z, not {since:?}"
                ))
            })?
            .with_timezone(&Utc);
        select = select.filter(audit_log::Column::CreatedAt.gte(since));
    }
    if let Some(before) = query.before {
        select = select.filter(audit_log::Column::Id.lt(before));
    }
    let mut rows = select
        .order_by_desc(audit_log::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_before = if more {
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let emails = user_emails(db, organisation_id, &rows).await?;
    let items: Vec<AuditRow> = rows
        .iter()
        .map(|row| {
            let mut item = AuditRow::of(row);
            if item.actor_label.is_none()
                && row.actor_kind == ActorKind::User.as_str()
                && let Some(email) = row.actor_id.and_then(|id| emails.get(&id))
            {
                item.actor_label = Some(email.clone());
            }
            item
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_before }))
}

/// Emails of the organisation's users acting in `rows`, to label rows written without one.
async fn user_emails(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    rows: &[audit_log::Model],
) -> Result<HashMap<i64, String>, DashboardError> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.actor_kind == ActorKind::User.as_str() && r.actor_label.is_none())
        .filter_map(|r| r.actor_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}
