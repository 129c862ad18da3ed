//! Tenants and posture: the latest completed scans per tenant in scope.

use super::QueryError;
use super::cache::CompletedScan;
use super::scope::Scope;
use super::service::{QueryService, tenant_view};
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Every tenant in scope, by display name.
    pub async fn list_tenants(&self, principal: &Principal) -> Result<Vec<TenantView>, QueryError> {
        let scope = Scope::of(principal);
        Ok(scope
            .tenants(&self.db)
            .await?
            .iter()
            .map(tenant_view)
            .collect())
    }

    /// The tenant `tenant` names (display name, domain or id), or the only one in scope.
    pub async fn resolve_tenant(
        &self,
        principal: &Principal,
        tenant: Option<&str>,
    ) -> Result<TenantView, QueryError> {
        let scope = Scope::of(principal);
        Ok(tenant_view(&scope.resolve_tenant(&self.db, tenant).await?))
    }

    /// Per tenant in scope (or the one named), its latest completed scan of each kind with
    /// the score change since the previous one and counts by status, severity, service and
    /// framework.
    pub async fn posture(
        &self,
        principal: &Principal,
        tenant: Option<&str>,
    ) -> Result<Posture, QueryError> {
        let scope = Scope::of(principal);
        let mut tenants = self.tenants_latest(&scope).await?;
        if tenant.is_some_and(|t| !t.trim().is_empty()) {
            tenants = vec![QueryService::pick_latest(tenants, tenant)?];
        }
        let mut out = Vec::with_capacity(tenants.len());
        let ids: Vec<i64> = tenants.iter().map(|t| t.id).collect();
        let mut next = self.next_scheduled(principal.organisation_id, &ids).await?;
        for t in tenants {
            let latest = self.completed_many(&scope, &t.latest_ids()).await?;
            out.push(TenantPosture {
                tenant: tenant_view(&t.model()),
                next_scheduled_scan: next.remove(&t.id),
                latest: latest.iter().map(|c| detail(c.as_ref())).collect(),
            });
        }
        Ok(Posture { tenants: out })
    }
}

impl QueryService {
    /// When each of `tenant_ids` (already in scope) next runs a scheduled scan.
    pub(super) async fn next_scheduled(
        &self,
        organisation_id: i64,
        tenant_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, crate::schedule::NextScheduledScan>, QueryError>
    {
        use crate::schedule::ScheduleError;
        crate::schedule::next_runs(&self.db, organisation_id, tenant_ids)
            .await
            .map_err(|e| match e {
                ScheduleError::Database(e) => QueryError::Database(e),
                other => QueryError::Unreadable(other.to_string()),
            })
    }
}

/// The detail of a completed scan (computed once, when cached).
pub(super) fn detail(c: &CompletedScan) -> ScanDetail {
    c.detail.clone()
}
