//! A tenant's scan schedule: `GET` and `PUT /api/v1/tenants/{id}/schedule` (daily or weekly at
//! a time of day in a named time zone, or a cron expression; compliance and/or exposure; on or
//! paused). A tenant with no schedule stored answers the proposed default, unsaved.

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::schedule::{self, ScheduleError, ScheduleInput};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::client_addr;
use super::session::DashboardUser;
use crate::http::AppState;

/// Body of `PUT /api/v1/tenants/{id}/schedule`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// `daily`, `weekly` or `cron`.
    pub cadence: String,
    /// `HH:MM` (24 h) in `time_zone`: daily and weekly.
    #[serde(default)]
    pub time: Option<String>,
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`: weekly.
    #[serde(default)]
    pub weekday: Option<String>,
    /// An IANA time zone name, such as `Europe/Paris` or `UTC`.
    pub time_zone: String,
    /// Five fields, `minute hour day-of-month month day-of-week` (such as `0 3 * * 1-5`),
    /// in `time_zone`: cadence `cron`.
    #[serde(default)]
    pub cron: Option<String>,
    /// Run compliance scans.
    pub compliance: bool,
    /// Run exposure (DNS) scans.
    pub exposure: bool,
    /// On (true) or paused (false).
    pub enabled: bool,
}

impl From<ScheduleBody> for ScheduleInput {
    fn from(b: ScheduleBody) -> Self {
        ScheduleInput {
            cadence: b.cadence,
            time: b.time.filter(|t| !t.trim().is_empty()),
            weekday: b.weekday.filter(|t| !t.trim().is_empty()),
            time_zone: b.time_zone,
            cron: b.cron.filter(|t| !t.trim().is_empty()),
            compliance: b.compliance,
            exposure: b.exposure,
            enabled: b.enabled,
        }
    }
}

impl From<ScheduleError> for DashboardError {
    fn from(e: ScheduleError) -> Self {
        match e {
            ScheduleError::Invalid { field, message } => {
                DashboardError::BadRequest(format!("{field}: {message}"))
            }
            ScheduleError::TenantNotFound => DashboardError::NotFound("no tenant".into()),
            ScheduleError::Database(e) => DashboardError::Database(e),
        }
    }
}

fn tenant_id(raw: &str) -> Result<i64, DashboardError> {
    raw.parse()
        .map_err(|_| DashboardError::NotFound(format!("no tenant {raw:?}")))
}

/// `GET /api/v1/tenants/{id}/schedule`: the tenant's schedule and when it next runs.
#[utoipa::path(get, path = "/api/v1/tenants/{id}/schedule", tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    responses((status = 200, body = Object, description = "The schedule"), super::error::Problems))]
pub async fn get(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = tenant_id(&path)?;
    let view = schedule::get_schedule(&state.backend.db, current.organisation_id(), id).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PUT /api/v1/tenants/{id}/schedule`: creates, changes, pauses or resumes the tenant's
/// schedule. Owners and admins. A bad zone, time, weekday or cron expression is a 400 naming
/// the field.
#[utoipa::path(put, path = "/api/v1/tenants/{id}/schedule", tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    request_body = ScheduleBody,
    responses((status = 200, body = Object, description = "The schedule as stored, with its next run"), super::error::Problems))]
pub async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
    body: web::Json<ScheduleBody>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change schedules")?;
    let id = tenant_id(&path)?;
    let input = ScheduleInput::from(body.into_inner());
    let organisation_id = current.organisation_id();
    let view = schedule::save_schedule(
        &state.backend.db,
        organisation_id,
        id,
        Some(current.user.id),
        &input,
    )
    .await?;
    let what = match (&view.cadence[..], &view.cron) {
        ("cron", Some(cron)) => format!("cron {cron:?}"),
        (cadence, _) => format!(
            "{cadence} {}{}",
            view.weekday.clone().map(|d| d + " ").unwrap_or_default(),
            view.time.clone().unwrap_or_default()
        ),
    };
    audit::write_one(
        &state.backend.db,
        AuditEvent::new(ActorKind::User, "schedule.update")
            .organisation(organisation_id)
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(&req)))
            .target(id)
            .detail(format!(
                "{} {what} {}, compliance {}, exposure {}",
                if view.enabled { "on" } else { "paused" },
                view.time_zone,
                view.compliance,
                view.exposure
            )),
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
