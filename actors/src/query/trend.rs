//! Score trend: the score per completed scan over a window.

use std::collections::HashMap;

use aether365_entities::{finding, scan, tenant};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::QueryError;
use super::cache::pass_rate;
use super::filters::Mappings;
use super::findings::parse_service;
use super::scope::Scope;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;
use crate::scans::ScanStatus;

/// Most points a trend returns (the newest ones).
pub const TREND_MAX_POINTS: u64 = 400;

/// A trend point's scan columns: id, finished at, score, failing checks.
type PointCols = (i64, Option<chrono::DateTime<chrono::Utc>>, Option<f64>, i32);

type FindingCols = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl QueryService {
    /// The score (or a framework's or service's pass rate) per completed scan since a date, of
    /// one tenant or of every tenant in scope.
    pub async fn score_trend(
        &self,
        principal: &Principal,
        query: TrendQuery,
    ) -> Result<ScoreTrend, QueryError> {
        let scope = Scope::of(principal);
        let tenants = match query.tenant.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(reference) => vec![scope.resolve_tenant(&self.db, Some(reference)).await?],
            None => scope.tenants(&self.db).await?,
        };
        let dimension = match &query.dimension {
            TrendDimension::Overall => "overall".to_string(),
            TrendDimension::Framework(fw) => fw.name(),
            TrendDimension::Service(s) => parse_service(s)?.to_string(),
        };
        let mut points = Vec::new();
        let mut changes = Vec::with_capacity(tenants.len());
        for tenant in &tenants {
            let tenant_points = self.tenant_trend(&scope, tenant, &query).await?;
            let change = match (
                tenant_points.first().and_then(|p| p.score),
                tenant_points.last().and_then(|p| p.score),
            ) {
                (Some(first), Some(last)) if tenant_points.len() > 1 => {
                    Some(((last - first) * 10.0).round() / 10.0)
                }
                _ => None,
            };
            changes.push(TenantChange {
                tenant_id: tenant.id,
                tenant_name: tenant.display_name.clone(),
                change,
            });
            points.extend(tenant_points);
        }
        Ok(ScoreTrend {
            kind: query.kind,
            dimension,
            since: query.since,
            points,
            change: match changes.as_slice() {
                [one] => one.change,
                _ => None,
            },
            changes,
        })
    }

    /// One tenant's points of a trend, oldest first.
    async fn tenant_trend(
        &self,
        scope: &Scope,
        tenant: &tenant::Model,
        query: &TrendQuery,
    ) -> Result<Vec<TrendPoint>, QueryError> {
        // Only the columns a point shows: a whole scan row carries its score card and input
        // as JSON, and a trend reads up to 400 of them.
        let mut rows: Vec<PointCols> = scan::Entity::find()
            .select_only()
            .columns([
                scan::Column::Id,
                scan::Column::FinishedAt,
                scan::Column::Score,
                scan::Column::FailCount,
            ])
            .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId))
            .filter(scan::Column::TenantId.eq(tenant.id))
            .filter(scan::Column::Status.eq(ScanStatus::Completed.as_str()))
            .filter(scan::Column::Kind.eq(query.kind.as_str()))
            .filter(scan::Column::FinishedAt.gte(query.since))
            .order_by_desc(scan::Column::FinishedAt)
            .order_by_desc(scan::Column::Id)
            .limit(TREND_MAX_POINTS)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.reverse();
        let mut points: Vec<TrendPoint> = rows
            .into_iter()
            .filter_map(|(scan_id, finished_at, score, fail)| {
                finished_at.map(|at| TrendPoint {
                    tenant_id: tenant.id,
                    tenant_name: tenant.display_name.clone(),
                    scan_id,
                    finished_at: at,
                    score,
                    fail: i64::from(fail),
                })
            })
            .collect();
        if query.dimension != TrendDimension::Overall && !points.is_empty() {
            let cols: Vec<FindingCols> = finding::Entity::find()
                .select_only()
                .columns([
                    finding::Column::ScanId,
                    finding::Column::Status,
                    finding::Column::Service,
                    finding::Column::CisSection,
                    finding::Column::CisVersion,
                    finding::Column::ScubaIds,
                    finding::Column::NistControls,
                    finding::Column::IsoControls,
                ])
                .filter(scope.condition(finding::Column::OrganisationId, finding::Column::TenantId))
                .filter(finding::Column::TenantId.eq(tenant.id))
                .filter(finding::Column::ScanId.is_in(points.iter().map(|p| p.scan_id)))
                .into_tuple()
                .all(&self.db)
                .await?;
            let service = match &query.dimension {
                TrendDimension::Service(s) => Some(parse_service(s)?),
                _ => None,
            };
            let mut tallies: HashMap<i64, (i64, i64)> = HashMap::new();
            for (
                scan_id,
                status,
                svc,
                cis_section,
                cis_version,
                scuba_ids,
                nist_controls,
                iso_controls,
            ) in cols
            {
                let counted = match (&query.dimension, &service) {
                    (TrendDimension::Framework(fw), _) => fw.matches(&Mappings {
                        cis_section,
                        cis_version,
                        scuba_ids,
                        nist_controls,
                        iso_controls,
                    }),
                    (_, Some(wanted)) => svc == *wanted,
                    _ => false,
                };
                if counted {
                    let t = tallies.entry(scan_id).or_default();
                    match status.as_str() {
                        "pass" => t.0 += 1,
                        "fail" => t.1 += 1,
                        _ => {}
                    }
                }
            }
            for p in &mut points {
                let (pass, fail) = tallies.get(&p.scan_id).copied().unwrap_or_default();
                p.score = pass_rate(pass, fail);
                p.fail = fail;
            }
        }
        Ok(points)
    }
}
