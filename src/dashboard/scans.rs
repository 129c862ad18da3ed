//! Scans: history (`GET /api/v1/scans`), one scan, starting one (origin `dashboard`), its live
//! progress over SSE (`GET /api/v1/scans/{id}/events`) and comparing two
//! (`GET /api/v1/scans/compare`).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_lab::sse::{self, Sse};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::query::{CompareQuery, ScanListQuery, ScanView};
use aether365_actors::scans::{
    DescribePlan, ScanError, ScanEvent, ScanKind, ScanOrigin, ScanRequest, ScanStatus, StartScan,
};
use aether365_actors::{Principal, TenantScope};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::queries;
use super::error::DashboardError;
use super::login::client_addr;
use super::session::DashboardUser;
use crate::http::AppState;
use crate::mcp::scan_watch::ScanWatch;

/// Keep-alive comments on the progress stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Query of `GET /api/v1/scans`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScansQuery {
    /// Tenant id, display name or domain; default: every tenant.
    pub tenant: Option<String>,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`.
    pub status: Option<String>,
    /// `compliance` or `exposure`.
    pub kind: Option<String>,
    /// Only scans with a smaller id (the `next_before_id` of the previous page).
    pub before: Option<i64>,
    /// Scans per page, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Query of `GET /api/v1/scans/compare`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// Tenant id, display name or domain; optional with one tenant or with scan ids.
    pub tenant: Option<String>,
    /// The older scan; default: the completed scan before `head`.
    pub base: Option<i64>,
    /// The newer scan; default: the tenant's latest completed scan.
    pub head: Option<i64>,
}

/// Body of `POST /api/v1/scans`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScan {
    /// The tenant to scan.
    pub tenant_id: i64,
    /// `compliance` (default) or `exposure`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// `POST /api/v1/scans`: the scan started (or the one already under way).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanStarted {
    pub scan_id: i64,
    /// `queued` or `running` (or final, when it ended already).
    pub status: String,
    /// True when a queued or running scan of that tenant and kind was returned instead.
    pub existing: bool,
    pub kind: String,
    /// What the scan will evaluate, in a sentence.
    pub plan: String,
    /// Where its live progress streams.
    pub events_url: String,
}

/// One frame of a scan's progress stream (the `progress` event's data).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanProgress {
    pub scan_id: i64,
    pub tenant_id: i64,
    pub kind: String,
    /// `queued`, `running`, `completed`, `failed` or `cancelled`; the stream ends after a
    /// final one.
    pub status: String,
    pub progress_done: i32,
    pub progress_total: i32,
    pub score: Option<f64>,
    pub error: Option<String>,
    /// What the scan is doing now.
    pub stage: Option<String>,
    pub at: DateTime<Utc>,
}

impl ScanProgress {
    fn of_view(v: &ScanView) -> ScanProgress {
        ScanProgress {
            scan_id: v.id,
            tenant_id: v.tenant_id,
            kind: v.kind.to_string(),
            status: v.status.to_string(),
            progress_done: v.progress_done,
            progress_total: v.progress_total,
            score: v.score,
            error: v.error.clone(),
            stage: None,
            at: v.finished_at.or(v.started_at).unwrap_or(v.created_at),
        }
    }

    fn of_event(e: &ScanEvent) -> ScanProgress {
        ScanProgress {
            scan_id: e.scan_id,
            tenant_id: e.tenant_id,
            kind: e.kind.as_str().to_string(),
            status: e.status.as_str().to_string(),
            progress_done: e.progress_done,
            progress_total: e.progress_total,
            score: e.score,
            error: e.error.clone(),
            stage: e.stage.clone(),
            at: e.at,
        }
    }

    fn is_final(&self) -> bool {
        self.status
            .parse::<ScanStatus>()
            .is_ok_and(|s| s.is_final())
    }

    fn event(&self) -> sse::Event {
        sse::Data::new(serde_json::to_string(self).unwrap_or_default())
            .event("progress")
            .into()
    }
}

fn scan_id(raw: &str) -> Result<i64, DashboardError> {
    raw.parse()
        .map_err(|_| DashboardError::NotFound(format!("no scan {raw:?}")))
}

/// `GET /api/v1/scans`: scan history, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/scans", tag = "scans", params(ScansQuery),
    responses((status = 200, body = Object, description = "`scans` and `next_before_id`"), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<ScansQuery>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(DashboardError::BadRequest(
            "limit must be between 1 and 100".into(),
        ));
    }
    let status = query
        .status
        .as_deref()
        .map(str::parse::<ScanStatus>)
        .transpose()
        .map_err(|e| DashboardError::BadRequest(e.to_string()))?;
    let kind = query
        .kind
        .as_deref()
        .map(str::parse::<ScanKind>)
        .transpose()
        .map_err(|e| DashboardError::BadRequest(e.to_string()))?;
    let page = queries(&state)
        .list_scans(
            &current.principal(),
            ScanListQuery {
                tenant: query.tenant,
                status,
                kind,
                before_id: query.before,
                limit,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET /api/v1/scans/{id}`: one scan; completed scans with their breakdown.
#[utoipa::path(get, path = "/api/v1/scans/{id}", tag = "scans",
    params(("id" = i64, Path, description = "Scan id")),
    responses((status = 200, body = Object, description = "The scan in detail"), super::error::Problems))]
pub async fn get(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = scan_id(&path)?;
    let detail = queries(&state).get_scan(&current.principal(), id).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// `POST /api/v1/scans`: starts a scan of a tenant (origin `dashboard`). Owners and admins.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans", request_body = NewScan,
    responses((status = 202, body = ScanStarted), super::error::Problems))]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    body: web::Json<NewScan>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("start scans")?;
    let body = body.into_inner();
    let kind = match body.kind.as_deref() {
        None => ScanKind::Compliance,
        Some(k) => k
            .parse::<ScanKind>()
            .map_err(|e| DashboardError::BadRequest(e.to_string()))?,
    };
    let organisation_id = current.organisation_id();
    let refuse = |e: ScanError| match e {
        ScanError::TenantNotFound => {
            DashboardError::NotFound(format!("no tenant {}", body.tenant_id))
        }
        ScanError::ScanNotFound => DashboardError::NotFound("no scan".into()),
        ScanError::Unknown { .. } | ScanError::AiPilotRefused => {
            DashboardError::BadRequest(e.to_string())
        }
        ScanError::Failed(msg) => {
            DashboardError::BadRequest(format!("the scan cannot start: {msg}"))
        }
        ScanError::Unavailable(msg) => DashboardError::Unavailable(msg),
        ScanError::Database(e) => DashboardError::failed("scans", ScanError::Database(e)),
        ScanError::TooManyScans { retry_after, .. } => DashboardError::OverQuota {
            message: e.to_string(),
            retry_after,
        },
    };
    let unavailable =
        |e: actix::MailboxError| DashboardError::Unavailable(format!("scan manager: {e}"));
    let ticket = state
        .backend
        .scans
        .send(StartScan(ScanRequest {
            organisation_id,
            tenant_id: body.tenant_id,
            tenant_scope: TenantScope::All,
            kind,
            origin: ScanOrigin::Dashboard,
            requested_by_user_id: Some(current.user.id),
            requested_by_token_id: None,
            ai_pilot: false,
        }))
        .await
        .map_err(unavailable)?
        .map_err(refuse)?;
    let plan = state
        .backend
        .scans
        .send(DescribePlan {
            organisation_id,
            tenant_id: body.tenant_id,
            kind,
        })
        .await
        .map_err(unavailable)?
        .map_err(refuse)?;
    audit::write_one(
        &state.backend.db,
        AuditEvent::new(ActorKind::User, "scan.start")
            .organisation(organisation_id)
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(&req)))
            .target(ticket.scan_id)
            .detail(format!(
                "{} scan of tenant {}",
                kind.as_str(),
                body.tenant_id
            )),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(ScanStarted {
        scan_id: ticket.scan_id,
        status: ticket.status.as_str().to_string(),
        existing: ticket.existing,
        kind: kind.as_str().to_string(),
        plan,
        events_url: format!("/api/v1/scans/{}/events", ticket.scan_id),
    }))
}

/// `GET /api/v1/scans/{id}/events`: the scan's progress as server-sent events (`progress`),
/// its current state first; the stream ends after the final status.
#[utoipa::path(get, path = "/api/v1/scans/{id}/events", tag = "scans",
    params(("id" = i64, Path, description = "Scan id")),
    responses((status = 200, content_type = "text/event-stream", body = ScanProgress,
        description = "`progress` events, each a ScanProgress"), super::error::Problems))]
pub async fn events(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = scan_id(&path)?;
    let principal: Principal = current.principal();
    // Subscribe first, then read: an event published in between is not lost.
    let watch = ScanWatch::start(&state.backend, id);
    let detail = queries(&state).get_scan(&principal, id).await?;
    let first = ScanProgress::of_view(&detail.scan);
    let done = first.is_final();
    let stream = futures_util::stream::unfold(
        (Some(first), watch, done),
        |(first, mut watch, done)| async move {
            if let Some(first) = first {
                let event = first.event();
                return Some((event, (None, watch, done)));
            }
            if done {
                return None;
            }
            let progress = ScanProgress::of_event(&watch.next().await?);
            let done = progress.is_final();
            Some((progress.event(), (None, watch, done)))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .body(Sse::from_infallible_stream(stream).with_keep_alive(KEEP_ALIVE)))
}

/// `GET /api/v1/scans/compare`: what changed between two completed scans of one tenant.
#[utoipa::path(get, path = "/api/v1/scans/compare", tag = "scans", params(CompareParams),
    responses((status = 200, body = Object, description = "Newly failing, resolved and still failing checks"), super::error::Problems))]
pub async fn compare(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<CompareParams>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let comparison = queries(&state)
        .compare_scans(
            &current.principal(),
            CompareQuery {
                tenant: query.tenant,
                base_scan_id: query.base,
                head_scan_id: query.head,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(comparison))
}
