//! Alerts: `/api/v1/alerts/destinations` (webhook, Teams, Slack, e-mail; a webhook's signing
//! secret is answered once, at creation; listings never show secrets or the credential part
//! of a URL), `/api/v1/alerts/destinations/{id}/test`, `/api/v1/alerts/rules` and
//! `/api/v1/alerts/deliveries`. Everyone reads; owners and admins change. Another
//! organisation's ids answer 404.

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::alerts::{
    self, AlertError, DestinationKind, NewDestination, NewRule, SmtpSecurity, SmtpSettings, Trigger,
};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::client_addr;
use super::session::DashboardUser;
use crate::http::AppState;

impl From<AlertError> for DashboardError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Invalid { field, message } => {
                DashboardError::BadRequest(format!("{field}: {message}"))
            }
            AlertError::NotFound(what) => DashboardError::NotFound(format!("no {what}")),
            AlertError::Database(e) => DashboardError::Database(e),
            e @ AlertError::Encode(_) => DashboardError::failed("alerts", e),
        }
    }
}

/// The SMTP server of an e-mail destination.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpBody {
    pub host: String,
    /// 587 (STARTTLS) or 465 (TLS), usually.
    pub port: u16,
    /// `starttls` or `tls` (`plain` only to loopback with the test setting).
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    /// The sender address.
    pub from: String,
}

/// Body of `POST /api/v1/alerts/destinations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationBody {
    pub name: String,
    /// `webhook`, `teams`, `slack` or `email`.
    pub kind: String,
    /// The https URL (`webhook`, `teams`, `slack`).
    #[serde(default)]
    pub url: Option<String>,
    /// Recipients (`email`).
    #[serde(default)]
    pub to: Vec<String>,
    /// The SMTP server (`email`).
    #[serde(default)]
    pub smtp: Option<SmtpBody>,
    /// The SMTP password (`email`), never shown again.
    #[serde(default)]
    pub smtp_password: Option<String>,
}

impl TryFrom<DestinationBody> for NewDestination {
    type Error = DashboardError;

    fn try_from(b: DestinationBody) -> Result<Self, DashboardError> {
        let kind = match b.kind.as_str() {
            "webhook" => DestinationKind::Webhook,
            "teams" => DestinationKind::Teams,
            "slack" => DestinationKind::Slack,
            "email" => DestinationKind::Email,
            _ => {
                return Err(DashboardError::BadRequest(
                    "kind: webhook, teams, slack or email".into(),
                ));
            }
        };
        let smtp = match b.smtp {
            None => None,
            Some(s) => Some(SmtpSettings {
                host: s.host,
                port: s.port,
                security: match s.security.as_str() {
                    "starttls" => SmtpSecurity::Starttls,
                    "tls" => SmtpSecurity::Tls,
                    "plain" => SmtpSecurity::Plain,
                    _ => {
                        return Err(DashboardError::BadRequest(
                            "smtp.security: starttls or tls".into(),
                        ));
                    }
                },
                username: s.username.filter(|u| !u.is_empty()),
                from: s.from,
            }),
        };
        Ok(NewDestination {
            name: b.name,
            kind,
            url: b.url,
            to: b.to,
            smtp,
            smtp_password: b.smtp_password.filter(|p| !p.is_empty()),
        })
    }
}

/// Body of `POST /api/v1/alerts/rules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub name: String,
    /// `newly_failing`, `score_drop`, `scan_failed` or `consent_withdrawn`.
    pub trigger: String,
    /// `newly_failing`: `critical`, `high` (default), `medium`, `low` or `info`.
    #[serde(default)]
    pub min_severity: Option<String>,
    /// `score_drop`: points.
    #[serde(default)]
    pub score_drop: Option<f64>,
    pub destination_ids: Vec<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

impl TryFrom<RuleBody> for NewRule {
    type Error = DashboardError;

    fn try_from(b: RuleBody) -> Result<Self, DashboardError> {
        let trigger = match b.trigger.as_str() {
            "newly_failing" => Trigger::NewlyFailing,
            "score_drop" => Trigger::ScoreDrop,
            "scan_failed" => Trigger::ScanFailed,
            "consent_withdrawn" => Trigger::ConsentWithdrawn,
            _ => {
                return Err(DashboardError::BadRequest(
                    "trigger: newly_failing, score_drop, scan_failed or consent_withdrawn".into(),
                ));
            }
        };
        Ok(NewRule {
            name: b.name,
            trigger,
            min_severity: b.min_severity.filter(|s| !s.is_empty()),
            score_drop: b.score_drop,
            destination_ids: b.destination_ids,
            enabled: b.enabled.unwrap_or(true),
        })
    }
}

fn id_of(raw: &str, what: &str) -> Result<i64, DashboardError> {
    raw.parse()
        .map_err(|_| DashboardError::NotFound(format!("no {what} {raw:?}")))
}

async fn audit_change(
    state: &AppState,
    req: &HttpRequest,
    current: &DashboardUser,
    action: &str,
    target: i64,
    detail: String,
) -> Result<(), DashboardError> {
    audit::write_one(
        &state.backend.db,
        AuditEvent::new(ActorKind::User, action)
            .organisation(current.organisation_id())
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(req)))
            .target(target)
            .detail(detail),
    )
    .await?;
    Ok(())
}

/// `GET /api/v1/alerts/destinations`: the organisation's destinations, without secrets.
#[utoipa::path(get, path = "/api/v1/alerts/destinations", tag = "alerts",
    responses((status = 200, body = Object, description = "The destinations"), super::error::Problems))]
pub async fn list_destinations(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let items = alerts::list_destinations(&state.backend.db, current.organisation_id()).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `POST /api/v1/alerts/destinations`: 201 with the destination and, for a webhook, its
/// signing secret, shown this once. Owners and admins. A URL that is not https or resolves to
/// a private or loopback address is a 400.
#[utoipa::path(post, path = "/api/v1/alerts/destinations", tag = "alerts",
    request_body = DestinationBody,
    responses((status = 201, body = Object, description = "The destination, with its signing secret once"), super::error::Problems))]
pub async fn create_destination(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<DestinationBody>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change alert destinations")?;
    let input = NewDestination::try_from(body.into_inner())?;
    let created = alerts::create_destination(
        &state.backend.db,
        current.organisation_id(),
        Some(current.user.id),
        input,
        &state.backend.alert_config.policy,
    )
    .await?;
    let d = &created.destination;
    audit_change(
        &state,
        &req,
        &current,
        "alert.destination.create",
        d.id,
        format!("{} {:?} to {}", d.kind.as_str(), d.name, d.target),
    )
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// `DELETE /api/v1/alerts/destinations/{id}`. Owners and admins.
#[utoipa::path(delete, path = "/api/v1/alerts/destinations/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Destination id")),
    responses((status = 200, body = Object, description = "The destination deleted"), super::error::Problems))]
pub async fn delete_destination(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change alert destinations")?;
    let id = id_of(&path, "destination")?;
    let gone = alerts::delete_destination(&state.backend.db, current.organisation_id(), id).await?;
    audit_change(
        &state,
        &req,
        &current,
        "alert.destination.delete",
        id,
        format!("{} {:?}", gone.kind.as_str(), gone.name),
    )
    .await?;
    Ok(HttpResponse::Ok().json(gone))
}

/// `POST /api/v1/alerts/destinations/{id}/test`: sends a test alert now; answers the
/// delivery (delivered, or failed with its error). Owners and admins.
#[utoipa::path(post, path = "/api/v1/alerts/destinations/{id}/test", tag = "alerts",
    params(("id" = i64, Path, description = "Destination id")),
    responses((status = 200, body = Object, description = "The test delivery"), super::error::Problems))]
pub async fn test_destination(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("send test alerts")?;
    let id = id_of(&path, "destination")?;
    let delivery = alerts::send_test(
        &state.backend.db,
        current.organisation_id(),
        id,
        &state.backend.alert_config.public_url,
        &state.backend.alert_config.policy,
    )
    .await?;
    audit_change(
        &state,
        &req,
        &current,
        "alert.destination.test",
        id,
        format!("test alert {}", delivery.status),
    )
    .await?;
    Ok(HttpResponse::Ok().json(delivery))
}

/// `GET /api/v1/alerts/rules`.
#[utoipa::path(get, path = "/api/v1/alerts/rules", tag = "alerts",
    responses((status = 200, body = Object, description = "The rules"), super::error::Problems))]
pub async fn list_rules(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let items = alerts::list_rules(&state.backend.db, current.organisation_id()).await?;
    Ok(HttpResponse::Ok().json(items))
}

/// `POST /api/v1/alerts/rules`: 201 with the rule. Owners and admins. Destinations must be
/// the organisation's own.
#[utoipa::path(post, path = "/api/v1/alerts/rules", tag = "alerts", request_body = RuleBody,
    responses((status = 201, body = Object, description = "The rule"), super::error::Problems))]
pub async fn create_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<RuleBody>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change alert rules")?;
    let input = NewRule::try_from(body.into_inner())?;
    let rule = alerts::create_rule(
        &state.backend.db,
        current.organisation_id(),
        Some(current.user.id),
        input,
    )
    .await?;
    audit_change(
        &state,
        &req,
        &current,
        "alert.rule.create",
        rule.id,
        format!(
            "{:?}: {} to destinations {:?}",
            rule.name,
            rule.trigger.as_str(),
            rule.destination_ids
        ),
    )
    .await?;
    Ok(HttpResponse::Created().json(rule))
}

/// `PUT /api/v1/alerts/rules/{id}`: replaces the rule (pause it with `enabled: false`, resume
/// with `true`); 200 with the rule. Owners and admins. Destinations must be the organisation's own.
#[utoipa::path(put, path = "/api/v1/alerts/rules/{id}", tag = "alerts", request_body = RuleBody,
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = Object, description = "The rule as it is now"), super::error::Problems))]
pub async fn update_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
    body: web::Json<RuleBody>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change alert rules")?;
    let id = id_of(&path, "rule")?;
    let input = NewRule::try_from(body.into_inner())?;
    let (before, rule) =
        alerts::update_rule(&state.backend.db, current.organisation_id(), id, input).await?;
    let on = |enabled: bool| if enabled { "on" } else { "paused" };
    audit_change(
        &state,
        &req,
        &current,
        "alert.rule.update",
        rule.id,
        format!(
            "{:?}: {} to destinations {:?}, {} (was {:?}: {} to destinations {:?}, {})",
            rule.name,
            rule.trigger.as_str(),
            rule.destination_ids,
            on(rule.enabled),
            before.name,
            before.trigger.as_str(),
            before.destination_ids,
            on(before.enabled)
        ),
    )
    .await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// `DELETE /api/v1/alerts/rules/{id}`. Owners and admins.
#[utoipa::path(delete, path = "/api/v1/alerts/rules/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = Object, description = "The rule deleted"), super::error::Problems))]
pub async fn delete_rule(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("change alert rules")?;
    let id = id_of(&path, "rule")?;
    let gone = alerts::delete_rule(&state.backend.db, current.organisation_id(), id).await?;
    audit_change(
        &state,
        &req,
        &current,
        "alert.rule.delete",
        id,
        format!("{:?}: {}", gone.name, gone.trigger.as_str()),
    )
    .await?;
    Ok(HttpResponse::Ok().json(gone))
}

/// `GET /api/v1/alerts/deliveries`: the latest deliveries (200 at most), newest first, with
/// their status, attempts and last error.
#[utoipa::path(get, path = "/api/v1/alerts/deliveries", tag = "alerts",
    responses((status = 200, body = Object, description = "The deliveries"), super::error::Problems))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let page = alerts::list_deliveries(&state.backend.db, current.organisation_id()).await?;
    Ok(HttpResponse::Ok().json(page))
}
