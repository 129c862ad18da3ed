//! `GET /api/v1/overview`: per tenant, the latest score and its change, failing findings by
//! severity and service, the score trend, and where the data came from and how old it is.

use actix_web::{HttpResponse, web};
use aether365_actors::query::{
    Breakdown, ScanDetail, SeverityCounts, TenantView, TrendDimension, TrendPoint, TrendQuery,
};
use aether365_actors::scans::{Drift, ScanKind};
use aether365_actors::schedule::NextScheduledScan;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::{Onboarding, onboarding, queries};
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// The trend's default window, in days.
const DEFAULT_DAYS: i64 = 180;

/// Query of `GET /api/v1/overview`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// Days of score trend, 1 to 730 (default 180).
    #[param(minimum = 1, maximum = 730)]
    pub days: Option<i64>,
}

/// Where a tenant's latest compliance result came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataSource {
    /// The scan that evaluated it.
    pub scan_id: i64,
    /// `collector` (read live), `import` (a ScubaGear export), `sample` (the demo) or
    /// `public_dns` (exposure scans).
    pub source: String,
    /// When the configuration was collected.
    pub collected_at: DateTime<Utc>,
    /// Its age now, in seconds.
    pub age_seconds: i64,
    /// A sentence when the input was not a fresh, complete collection.
    pub note: Option<String>,
}

/// The latest result of one scan kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestScore {
    pub scan_id: i64,
    /// `compliance` or `exposure`.
    pub kind: String,
    pub finished_at: Option<DateTime<Utc>>,
    pub score: Option<f64>,
    pub previous_score: Option<f64>,
    pub score_change: Option<f64>,
    /// Failing findings by severity.
    #[schema(value_type = Object)]
    pub failing: SeverityCounts,
    /// Pass and fail per service.
    #[schema(value_type = Vec<Object>)]
    pub by_service: Vec<Breakdown>,
    /// Since the previous scan of the kind: newly failing, fixed, evidence changed, score
    /// change per service. None for a first scan.
    #[schema(value_type = Option<Object>)]
    pub drift: Option<Drift>,
}

/// One tenant's posture.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantOverview {
    #[schema(value_type = Object)]
    pub tenant: TenantView,
    /// Compliance first; empty before the first completed scan.
    pub latest: Vec<LatestScore>,
    /// Compliance scores, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub trend: Vec<TrendPoint>,
    /// Where the latest compliance result came from; none before the first completed scan.
    pub data: Option<DataSource>,
    /// When its schedule next starts a scan; none without a schedule or while paused.
    #[schema(value_type = Option<Object>)]
    pub next_scheduled_scan: Option<NextScheduledScan>,
}

/// `GET /api/v1/overview`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub generated_at: DateTime<Utc>,
    pub trend_since: DateTime<Utc>,
    pub onboarding: Onboarding,
    pub tenants: Vec<TenantOverview>,
}

fn latest_score(detail: &ScanDetail) -> LatestScore {
    LatestScore {
        scan_id: detail.scan.id,
        kind: detail.scan.kind.to_string(),
        finished_at: detail.scan.finished_at,
        score: detail.scan.score,
        previous_score: detail.previous_score,
        score_change: detail.score_change,
        failing: detail.scan.failing,
        by_service: detail.by_service.clone(),
        drift: detail.drift.clone(),
    }
}

fn data_source(detail: &ScanDetail, now: DateTime<Utc>) -> Option<DataSource> {
    let input = detail.scan.input.as_ref()?;
    Some(DataSource {
        scan_id: detail.scan.id,
        source: input.source.as_str().to_string(),
        collected_at: input.collected_at,
        age_seconds: (now - input.collected_at).num_seconds().max(0),
        note: input.note.clone(),
    })
}

/// `GET /api/v1/overview`: every tenant's posture, trend and data age.
#[utoipa::path(get, path = "/api/v1/overview", tag = "overview", params(OverviewQuery),
    responses((status = 200, body = Overview), super::error::Problems))]
pub async fn overview(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, DashboardError> {
    let days = query.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=730).contains(&days) {
        return Err(DashboardError::BadRequest(
            "days must be between 1 and 730".into(),
        ));
    }
    let now = Utc::now();
    let since = now - Duration::days(days);
    let service = queries(&state);
    let principal = current.principal();
    let posture = service.posture(&principal, None).await?;
    let mut tenants = Vec::with_capacity(posture.tenants.len());
    for t in posture.tenants {
        let trend = service
            .score_trend(
                &principal,
                TrendQuery {
                    tenant: Some(t.tenant.id.to_string()),
                    since,
                    kind: ScanKind::Compliance,
                    dimension: TrendDimension::Overall,
                },
            )
            .await?;
        let data = t
            .latest
            .iter()
            .find(|d| d.scan.input.is_some())
            .and_then(|d| data_source(d, now));
        tenants.push(TenantOverview {
            latest: t.latest.iter().map(latest_score).collect(),
            trend: trend.points,
            data,
            next_scheduled_scan: t.next_scheduled_scan,
            tenant: t.tenant,
        });
    }
    Ok(HttpResponse::Ok().json(Overview {
        generated_at: now,
        trend_since: since,
        onboarding: onboarding(&state, current.organisation_id()).await?,
        tenants,
    }))
}
