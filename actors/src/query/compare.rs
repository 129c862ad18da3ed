//! Comparing two completed scans of a tenant.

use std::collections::HashMap;

use super::QueryError;
use super::cache::CachedFinding;
use super::scope::Scope;
use super::service::{QueryService, tenant_view};
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// What changed between two completed scans of one tenant: by default its latest
    /// completed compliance scan and the one before.
    pub async fn compare_scans(
        &self,
        principal: &Principal,
        query: CompareQuery,
    ) -> Result<ScanComparison, QueryError> {
        let scope = Scope::of(principal);
        let head = match query.head_scan_id {
            Some(id) => self.completed(&scope, id).await?,
            None => {
                let tenants = self.tenants_latest(&scope).await?;
                let t = match (query.tenant.as_deref(), query.base_scan_id) {
                    (None, Some(base)) => {
                        let base = self.completed(&scope, base).await?;
                        QueryService::pick_latest(tenants, Some(&base.row.tenant_id.to_string()))?
                    }
                    (reference, _) => QueryService::pick_latest(tenants, reference)?,
                };
                let latest = t.latest_compliance.or(t.latest_exposure).ok_or_else(|| {
                    QueryError::InvalidArgument(format!(
                        "tenant {:?} has no completed scan yet: start one with start_scan",
                        t.display_name
                    ))
                })?;
                self.completed(&scope, latest).await?
            }
        };
        let base = match query.base_scan_id {
            Some(id) => self.completed(&scope, id).await?,
            None => {
                let prev = head.previous_scan_id.ok_or_else(|| {
                    QueryError::InvalidArgument(format!(
                        "scan {} is the first completed {} scan of {:?}: there is nothing to compare it with yet",
                        head.row.id, head.row.kind, head.view.tenant_name
                    ))
                })?;
                self.completed(&scope, prev).await?
            }
        };
        if base.row.tenant_id != head.row.tenant_id {
            return Err(QueryError::InvalidArgument(
                "the two scans belong to different tenants: compare scans of one tenant".into(),
            ));
        }
        if let Some(reference) = query.tenant.as_deref().filter(|t| !t.trim().is_empty()) {
            let named = scope.resolve_tenant(&self.db, Some(reference)).await?;
            if named.id != head.row.tenant_id {
                return Err(QueryError::InvalidArgument(format!(
                    "the scans belong to tenant {:?}, not {:?}",
                    head.view.tenant_name, named.display_name
                )));
            }
        }
        let (base, head) = if base.view.finished_at > head.view.finished_at {
            (head, base)
        } else {
            (base, head)
        };
        let tenant = scope.tenant(&self.db, head.row.tenant_id).await?;
        let before: HashMap<&str, &CachedFinding> = base
            .findings
            .iter()
            .map(|f| (f.summary.check_id.as_str(), f))
            .collect();
        let after: HashMap<&str, &CachedFinding> = head
            .findings
            .iter()
            .map(|f| (f.summary.check_id.as_str(), f))
            .collect();
        let failing = |f: &&CachedFinding| f.fails();
        let mut newly_failing = Vec::new();
        let mut still_failing = Vec::new();
        let mut resolved = Vec::new();
        let (mut newly_sev, mut still_sev, mut resolved_sev) = (
            SeverityCounts::default(),
            SeverityCounts::default(),
            SeverityCounts::default(),
        );
        for f in head.findings.iter().filter(failing) {
            if before.get(f.summary.check_id.as_str()).is_some_and(failing) {
                still_sev.add_rank(f.severity_rank);
                still_failing.push(f.summary.clone());
            } else {
                newly_sev.add_rank(f.severity_rank);
                newly_failing.push(f.summary.clone());
            }
        }
        for f in base.findings.iter().filter(failing) {
            if !after.get(f.summary.check_id.as_str()).is_some_and(failing) {
                resolved_sev.add_rank(f.severity_rank);
                let mut summary = f.summary.clone();
                if let Some(now) = after.get(f.summary.check_id.as_str()) {
                    summary.status = now.summary.status;
                    summary.id = now.summary.id;
                    summary.scan_id = now.summary.scan_id;
                    summary.message = now.summary.message.clone();
                }
                resolved.push(summary);
            }
        }
        Ok(ScanComparison {
            tenant: tenant_view(&tenant),
            score_change: match (head.view.score, base.view.score) {
                (Some(h), Some(b)) => Some(((h - b) * 10.0).round() / 10.0),
                _ => None,
            },
            base: base.view.clone(),
            head: head.view.clone(),
            newly_failing,
            resolved,
            still_failing,
            newly_failing_by_severity: newly_sev,
            resolved_by_severity: resolved_sev,
            still_failing_by_severity: still_sev,
        })
    }
}
