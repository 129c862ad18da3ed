//! Comparing two completed scans of a tenant, of one kind: a finding is keyed by its check and
//! the resource it is about (the domain of an exposure finding; none for a compliance finding,
//! which is about the whole tenant), so two domains' results never stand for each other.

use std::collections::HashMap;

use aether365_entities::finding;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::QueryError;
use super::cache::{CachedFinding, CompletedScan};
use super::scope::Scope;
use super::service::{QueryService, tenant_view};
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// `compare_scans` with nothing named: for each tenant in scope, the default comparison of
    /// [`QueryService::compare_scans`] (its latest completed scan and the one before); a tenant
    /// that has nothing to compare yet is listed with the reason.
    pub async fn compare_latest_scans(
        &self,
        principal: &Principal,
    ) -> Result<ScanComparisons, QueryError> {
        let tenants = self.tenants_latest(&Scope::of(principal)).await?;
        let mut out = ScanComparisons::default();
        for t in tenants {
            let query = CompareQuery {
                tenant: Some(t.id.to_string()),
                ..CompareQuery::default()
            };
            match self.compare_scans(principal, query).await {
                Ok(comparison) => out.comparisons.push(comparison),
                Err(QueryError::InvalidArgument(reason)) => out.not_compared.push(NotCompared {
                    tenant: tenant_view(&t.model()),
                    reason,
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

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
        if base.row.kind != head.row.kind {
            return Err(QueryError::InvalidArgument(format!(
                "scan {} ({}) and scan {} ({}) are of different kinds and share no check: compare two compliance scans or two exposure scans",
                base.row.id, base.row.kind, head.row.id, head.row.kind
            )));
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
        let resources = self.resources(&[&base, &head]).await?;
        let key = |f: &CachedFinding| -> Key {
            (
                f.summary.check_id.clone(),
                resources.get(&f.summary.id).cloned(),
            )
        };
        let before: HashMap<Key, &CachedFinding> =
            base.findings.iter().map(|f| (key(f), f)).collect();
        let after: HashMap<Key, &CachedFinding> =
            head.findings.iter().map(|f| (key(f), f)).collect();
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
            if before.get(&key(f)).is_some_and(failing) {
                still_sev.add_rank(f.severity_rank);
                still_failing.push(f.summary.clone());
            } else {
                newly_sev.add_rank(f.severity_rank);
                newly_failing.push(f.summary.clone());
            }
        }
        for f in base.findings.iter().filter(failing) {
            if !after.get(&key(f)).is_some_and(failing) {
                resolved_sev.add_rank(f.severity_rank);
                let mut summary = f.summary.clone();
                if let Some(now) = after.get(&key(f)) {
                    summary.status = now.summary.status;
                    summary.id = now.summary.id;
                    summary.scan_id = now.summary.scan_id;
                    summary.message = now.summary.message.clone();
                    summary.subjects = now.summary.subjects.clone();
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
            drift: crate::scans::Drift::of_row(&head.row)
                .filter(|d| d.previous_scan_id == base.row.id)
                .map(|d| d.shortened(10).without_verdict_lists()),
        })
    }

    /// The resource of each finding of `scans` that is about one: the domain of a DNS
    /// finding, from its evidence. Only exposure scans have such findings.
    async fn resources(
        &self,
        scans: &[&CompletedScan],
    ) -> Result<HashMap<i64, String>, QueryError> {
        let ids: Vec<i64> = scans
            .iter()
            .filter(|s| s.row.kind == "exposure")
            .map(|s| s.row.id)
            .collect();
        let Some(first) = scans.first().filter(|_| !ids.is_empty()) else {
            return Ok(HashMap::new());
        };
        let rows: Vec<(i64, serde_json::Value)> = finding::Entity::find()
            .select_only()
            .columns([finding::Column::Id, finding::Column::Evidence])
            .filter(finding::Column::ScanId.is_in(ids))
            .filter(finding::Column::OrganisationId.eq(first.row.organisation_id))
            .filter(finding::Column::TenantId.eq(first.row.tenant_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, evidence)| {
                let domain = evidence.get("domain")?.as_str()?.to_string();
                Some((id, domain))
            })
            .collect())
    }
}

/// A finding's identity across scans: its check and, for a DNS finding, its domain.
type Key = (String, Option<String>);
