//! Scans: lists, one scan, the newest scan of each tenant.

use aether365_entities::scan;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::QueryError;
use super::cache::scan_view;
use super::posture::detail;
use super::scope::Scope;
use super::service::{QueryService, ScanData};
use super::views::*;
use crate::principal::Principal;

/// Default and maximum page sizes of `list_scans`.
pub const SCAN_PAGE_DEFAULT: u64 = 20;
pub const SCAN_PAGE_MAX: u64 = 100;

impl QueryService {
    /// Scans of one tenant (or of every tenant in scope when none is named), newest first.
    pub async fn list_scans(
        &self,
        principal: &Principal,
        query: ScanListQuery,
    ) -> Result<ScanPage, QueryError> {
        let scope = Scope::of(principal);
        let tenants = scope.tenants(&self.db).await?;
        let names: std::collections::HashMap<i64, String> = tenants
            .iter()
            .map(|t| (t.id, t.display_name.clone()))
            .collect();
        let mut select = scan::Entity::find()
            .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId));
        let mut listed: Vec<i64> = tenants.iter().map(|t| t.id).collect();
        if query
            .tenant
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
        {
            let t = super::scope::pick_tenant(tenants, query.tenant.as_deref())?;
            select = select.filter(scan::Column::TenantId.eq(t.id));
            listed = vec![t.id];
        }
        if let Some(status) = query.status {
            select = select.filter(scan::Column::Status.eq(status.as_str()));
        }
        if let Some(kind) = query.kind {
            select = select.filter(scan::Column::Kind.eq(kind.as_str()));
        }
        if let Some(before) = query.before_id {
            select = select.filter(scan::Column::Id.lt(before));
        }
        let limit = clamp(query.limit, SCAN_PAGE_DEFAULT, SCAN_PAGE_MAX);
        let rows = select
            .order_by_desc(scan::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        let scans: Vec<ScanView> = rows
            .iter()
            .take(limit as usize)
            .map(|r| scan_view(r, names.get(&r.tenant_id).cloned().unwrap_or_default()))
            .collect::<Result<_, _>>()?;
        let next_before_id = if more {
            scans.last().map(|s| s.id)
        } else {
            None
        };
        let mut next_scheduled_scans: Vec<_> = self
            .next_scheduled(principal.organisation_id, &listed)
            .await?
            .into_values()
            .collect();
        next_scheduled_scans.sort_by_key(|n| (n.at, n.tenant_id));
        Ok(ScanPage {
            scans,
            next_before_id,
            next_scheduled_scans,
        })
    }

    /// One scan in scope; completed scans come with their breakdown.
    pub async fn get_scan(
        &self,
        principal: &Principal,
        scan_id: i64,
    ) -> Result<ScanDetail, QueryError> {
        let scope = Scope::of(principal);
        Ok(match self.scan(&scope, scan_id).await? {
            ScanData::Completed(c) => detail(&c),
            ScanData::Open(view) => ScanDetail {
                scan: *view,
                previous_scan_id: None,
                previous_score: None,
                score_change: None,
                by_service: Vec::new(),
                by_framework: Vec::new(),
                top_failing: Vec::new(),
                drift: None,
            },
        })
    }

    /// The newest scan (any status) of each tenant in scope.
    pub async fn latest_scans(&self, principal: &Principal) -> Result<Vec<ScanView>, QueryError> {
        let scope = Scope::of(principal);
        let tenants = scope.tenants(&self.db).await?;
        let rows = scan::Entity::find()
            .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId))
            .filter(
                scan::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .expr(sea_orm::sea_query::Func::max(
                            sea_orm::sea_query::Expr::col(scan::Column::Id),
                        ))
                        .from(scan::Entity)
                        .and_where(scan::Column::OrganisationId.eq(scope.organisation_id()))
                        .group_by_col(scan::Column::TenantId)
                        .to_owned(),
                ),
            )
            .all(&self.db)
            .await?;
        tenants
            .iter()
            .filter_map(|t| {
                rows.iter()
                    .find(|r| r.tenant_id == t.id)
                    .map(|r| scan_view(r, t.display_name.clone()))
            })
            .collect()
    }
}

/// `requested` or `default` when zero, at most `max`.
pub(super) fn clamp(requested: u64, default: u64, max: u64) -> u64 {
    if requested == 0 {
        default
    } else {
        requested.min(max)
    }
}
