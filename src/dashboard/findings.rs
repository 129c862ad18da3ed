//! `GET /api/v1/findings` (filtered, sorted, paginated) and `GET /api/v1/findings/{id}`,
//! read through the tenant-scoped query layer the MCP tools use.

use std::cmp::Ordering;

use actix_web::{HttpResponse, web};
use aether365_actors::query::{
    FindingLookup, FindingPage, FindingQuery, FindingStatus, FindingSummary, Framework, Severity,
};
use aether365_engine::Status;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::queries;
use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

/// Findings per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest page.
pub const MAX_LIMIT: u64 = 200;
/// How many past scans a finding's history covers.
const HISTORY: u64 = 20;

/// Query of `GET /api/v1/findings`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// Tenant id, display name or domain; optional with one tenant.
    pub tenant: Option<String>,
    /// A scan id; default: the tenant's latest completed scan of each kind.
    pub scan: Option<i64>,
    /// `CIS`, `CIS-M365-<version>`, `SCuBA`, `NIST-800-53` or `ISO-27001`.
    pub framework: Option<String>,
    /// Comma-separated severities (`critical,high`).
    pub severity: Option<String>,
    /// Comma-separated services (`exchange_online,entra_id`).
    pub service: Option<String>,
    /// Comma-separated statuses (`fail,manual`).
    pub status: Option<String>,
    /// Words that must all appear in the check id, title, message or references.
    pub q: Option<String>,
    /// `severity` (default), `check`, `title`, `service` or `status`; `-` first for descending.
    pub sort: Option<String>,
    /// Findings to skip.
    #[param(minimum = 0)]
    pub offset: Option<u64>,
    /// Findings per page, 1 to 200.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// A page of findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingsAnswer {
    /// The tenant, the scans the findings come from (with their input: source and
    /// collection time), the total matching, this page and the next offset.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub page: FindingPage,
    /// The sort applied.
    pub sort: String,
}

/// What findings can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortKey {
    Severity,
    Check,
    Title,
    Service,
    Status,
}

fn parse_sort(raw: Option<&str>) -> Result<(SortKey, bool, String), DashboardError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("severity");
    let (descending, name) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let key = match name {
        "severity" => SortKey::Severity,
        "check" => SortKey::Check,
        "title" => SortKey::Title,
        "service" => SortKey::Service,
        "status" => SortKey::Status,
        other => {
            return Err(DashboardError::BadRequest(format!(
                "sort must be severity, check, title, service or status (with - first for descending), not {other:?}"
            )));
        }
    };
    Ok((key, descending, raw.to_string()))
}

fn compare(key: SortKey, a: &FindingSummary, b: &FindingSummary) -> Ordering {
    let by_severity = || {
        a.severity
            .rank()
            .cmp(&b.severity.rank())
            .then_with(|| (a.status != Status::Fail).cmp(&(b.status != Status::Fail)))
    };
    match key {
        SortKey::Severity => by_severity(),
        SortKey::Check => Ordering::Equal,
        SortKey::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
        SortKey::Service => a.service.cmp(&b.service).then_with(by_severity),
        SortKey::Status => a.status.cmp(&b.status).then_with(by_severity),
    }
    .then_with(|| a.check_id.cmp(&b.check_id))
    .then_with(|| a.id.cmp(&b.id))
}

/// Splits a comma-separated list, dropping empty items.
fn list(raw: Option<&str>) -> Vec<&str> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_all<T: std::str::FromStr>(raw: Option<&str>) -> Result<Vec<T>, DashboardError>
where
    T::Err: std::fmt::Display,
{
    list(raw)
        .into_iter()
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| DashboardError::BadRequest(e.to_string()))
        })
        .collect()
}

/// `GET /api/v1/findings`: a tenant's findings, filtered, sorted and a page at a time.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingsQuery),
    responses((status = 200, body = FindingsAnswer), super::error::Problems))]
pub async fn list_findings(
    state: web::Data<AppState>,
    current: DashboardUser,
    query: web::Query<FindingsQuery>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(DashboardError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = query.offset.unwrap_or(0);
    let (key, descending, sort) = parse_sort(query.sort.as_deref())?;
    let framework = match query.framework.as_deref().map(str::trim) {
        Some(f) if !f.is_empty() => Some(f.parse::<Framework>()?),
        _ => None,
    };
    let base = FindingQuery {
        tenant: query.tenant.clone(),
        scan_id: query.scan,
        framework,
        severities: parse_all::<Severity>(query.severity.as_deref())?,
        services: list(query.service.as_deref())
            .into_iter()
            .map(str::to_string)
            .collect(),
        statuses: parse_all::<FindingStatus>(query.status.as_deref())?,
        text: query.q.clone(),
        offset: 0,
        limit: MAX_LIMIT,
    };
    // The query layer filters and pages most severe first; another order needs every match,
    // so read them all (pages of the cached scan) and sort here.
    let service = queries(&state);
    let principal = current.principal();
    let mut page = service.list_findings(&principal, base.clone()).await?;
    let mut all = std::mem::take(&mut page.findings);
    while let Some(next) = page.next_offset {
        let more = service
            .list_findings(
                &principal,
                FindingQuery {
                    offset: next,
                    ..base.clone()
                },
            )
            .await?;
        all.extend(more.findings);
        page.next_offset = more.next_offset;
    }
    all.sort_by(|a, b| {
        let order = compare(key, a, b);
        if descending { order.reverse() } else { order }
    });
    let total = all.len() as u64;
    page.findings = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let end = offset.saturating_add(page.findings.len() as u64);
    page.total = total;
    page.offset = offset;
    page.next_offset = (end < total).then_some(end);
    Ok(HttpResponse::Ok().json(FindingsAnswer { page, sort }))
}

/// `GET /api/v1/findings/{id}`: one finding with evidence, framework references, rationale,
/// remediation and its status across recent scans.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    responses((status = 200, body = Object, description = "The finding in detail"), super::error::Problems))]
pub async fn get_finding(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let raw = path.into_inner();
    let id: i64 = raw
        .parse()
        .map_err(|_| DashboardError::NotFound(format!("no finding {raw:?}")))?;
    let detail = queries(&state)
        .get_finding(&current.principal(), FindingLookup::Id(id), HISTORY)
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_and_refuse_unknown_keys() {
        assert_eq!(parse_sort(None).unwrap().0, SortKey::Severity);
        let (key, descending, _) = parse_sort(Some("-title")).unwrap();
        assert_eq!((key, descending), (SortKey::Title, true));
        assert!(parse_sort(Some("colour")).is_err());
        assert_eq!(list(Some(" high, ,critical")), vec!["high", "critical"]);
        assert!(parse_all::<Severity>(Some("high,urgent")).is_err());
    }
}
