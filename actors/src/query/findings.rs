//! Findings: filtered pages over completed scans, and one finding in detail.

use std::sync::Arc;

use aether365_entities::{finding, scan};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::QueryError;
use super::cache::{CachedFinding, CompletedScan, LightFindingRow, stored};
use super::scans::clamp;
use super::scope::Scope;
use super::service::{QueryService, ScanData};
use super::views::*;
use crate::principal::Principal;

/// Default and maximum page sizes of `list_findings`.
pub const FINDING_PAGE_DEFAULT: u64 = 50;
pub const FINDING_PAGE_MAX: u64 = 200;
/// Most scans `get_finding` reports a check's history over.
pub const HISTORY_MAX: u64 = 50;

impl QueryService {
    /// A page of findings of the latest completed scans of one tenant or of every tenant in
    /// scope (or of one scan), filtered and most severe first; each row names its tenant.
    pub async fn list_findings(
        &self,
        principal: &Principal,
        query: FindingQuery,
    ) -> Result<FindingPage, QueryError> {
        let scope = Scope::of(principal);
        let tenants = self.tenants_latest(&scope).await?;
        let named = query.tenant.as_deref().filter(|t| !t.trim().is_empty());
        let scans: Vec<ScanData> = match query.scan_id {
            Some(id) => {
                let data = self.scan(&scope, id).await?;
                if let Some(reference) = named {
                    let named = QueryService::pick_latest(tenants, Some(reference))?;
                    if named.id != data.view().tenant_id {
                        return Err(QueryError::InvalidArgument(format!(
                            "scan {id} belongs to tenant {:?}, not {:?}: omit tenant or pick a scan of that tenant",
                            data.view().tenant_name,
                            named.display_name
                        )));
                    }
                }
                vec![data]
            }
            None => {
                let chosen = match named {
                    Some(reference) => vec![QueryService::pick_latest(tenants, Some(reference))?],
                    None => tenants,
                };
                let ids: Vec<i64> = chosen.iter().flat_map(|t| t.latest_ids()).collect();
                let scans = self.completed_many(&scope, &ids).await?;
                scans.into_iter().map(ScanData::Completed).collect()
            }
        };
        let completed: Vec<&Arc<CompletedScan>> = scans
            .iter()
            .filter_map(|s| match s {
                ScanData::Completed(c) => Some(c),
                ScanData::Open(_) => None,
            })
            .collect();
        let words: Vec<String> = query
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let services: Vec<&str> = query
            .services
            .iter()
            .map(|s| parse_service(s))
            .collect::<Result<_, _>>()?;
        let keep = |f: &CachedFinding| {
            (query.statuses.is_empty() || query.statuses.contains(&f.summary.status))
                && (query.severities.is_empty()
                    || query.severities.iter().any(|s| s.rank() == f.severity_rank))
                && (services.is_empty() || services.contains(&f.summary.service.as_str()))
                && query
                    .framework
                    .as_ref()
                    .is_none_or(|fw| fw.matches(&f.mappings))
                && words.iter().all(|w| f.search_text.contains(w.as_str()))
        };
        let mut matching: Vec<&CachedFinding> = completed
            .iter()
            .flat_map(|c| c.findings.iter())
            .filter(|f| keep(f))
            .collect();
        if completed.len() > 1 {
            matching.sort_by(|a, b| {
                (
                    a.severity_rank,
                    !a.fails(),
                    &a.summary.check_id,
                    &a.summary.tenant_name,
                )
                    .cmp(&(
                        b.severity_rank,
                        !b.fails(),
                        &b.summary.check_id,
                        &b.summary.tenant_name,
                    ))
            });
        }
        let total = matching.len() as u64;
        let limit = clamp(query.limit, FINDING_PAGE_DEFAULT, FINDING_PAGE_MAX);
        let findings: Vec<FindingSummary> = matching
            .iter()
            .skip(query.offset as usize)
            .take(limit as usize)
            .map(|f| f.summary.clone())
            .collect();
        let end = query.offset + findings.len() as u64;
        Ok(FindingPage {
            scans: scans.iter().map(|s| s.view().clone()).collect(),
            total,
            offset: query.offset,
            findings,
            next_offset: (end < total).then_some(end),
        })
    }

    /// One finding in scope, by id or by check id, with its status across recent scans.
    pub async fn get_finding(
        &self,
        principal: &Principal,
        lookup: FindingLookup,
        history: u64,
    ) -> Result<FindingDetail, QueryError> {
        let scope = Scope::of(principal);
        let scoped = || {
            finding::Entity::find()
                .filter(scope.condition(finding::Column::OrganisationId, finding::Column::TenantId))
        };
        let row = match &lookup {
            FindingLookup::Id(id) => scoped()
                .filter(finding::Column::Id.eq(*id))
                .one(&self.db)
                .await?
                .ok_or_else(|| QueryError::NotFound(format!("finding {id}")))?,
            FindingLookup::Check {
                tenant,
                check_id,
                scan_id,
            } => {
                let scans: Vec<Arc<CompletedScan>> = match scan_id {
                    Some(id) => vec![self.completed(&scope, *id).await?],
                    None => {
                        let tenants = self.tenants_latest(&scope).await?;
                        let t = QueryService::pick_latest(tenants, tenant.as_deref())?;
                        self.completed_many(&scope, &t.latest_ids()).await?
                    }
                };
                let wanted = check_id.trim().to_lowercase();
                let id = scans
                    .iter()
                    .flat_map(|c| c.findings.iter())
                    .find(|f| f.summary.check_id.to_lowercase() == wanted)
                    .map(|f| f.summary.id)
                    .ok_or_else(|| {
                        QueryError::NotFound(format!("check {check_id:?} in the latest scans"))
                    })?;
                scoped()
                    .filter(finding::Column::Id.eq(id))
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| QueryError::NotFound(format!("check {check_id:?}")))?
            }
        };
        let tenant = scope.tenant(&self.db, row.tenant_id).await?;
        let history = self
            .check_history(&scope, &row, history.clamp(1, HISTORY_MAX))
            .await?;
        let scan_finished_at = history
            .iter()
            .find(|h| h.scan_id == row.scan_id)
            .and_then(|h| h.finished_at);
        let summary =
            CachedFinding::new(LightFindingRow::from(&row), &tenant.display_name)?.summary;
        Ok(FindingDetail {
            summary,
            scan_finished_at,
            evidence: row.evidence,
            rationale: row.rationale,
            remediation: row.remediation,
            remediation_url: row.remediation_url,
            frameworks: row.frameworks,
            history,
        })
    }

    /// The check's status in the tenant's recent completed scans, newest first.
    async fn check_history(
        &self,
        scope: &Scope,
        row: &finding::Model,
        limit: u64,
    ) -> Result<Vec<CheckHistoryEntry>, QueryError> {
        let rows: Vec<(i64, i64, String)> = finding::Entity::find()
            .select_only()
            .columns([
                finding::Column::Id,
                finding::Column::ScanId,
                finding::Column::Status,
            ])
            .filter(scope.condition(finding::Column::OrganisationId, finding::Column::TenantId))
            .filter(finding::Column::TenantId.eq(row.tenant_id))
            .filter(finding::Column::CheckId.eq(row.check_id.clone()))
            .order_by_desc(finding::Column::ScanId)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        let scans: Vec<(i64, Option<chrono::DateTime<chrono::Utc>>)> = scan::Entity::find()
            .select_only()
            .columns([scan::Column::Id, scan::Column::FinishedAt])
            .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId))
            .filter(scan::Column::Status.eq("completed"))
            .filter(scan::Column::Id.is_in(rows.iter().map(|r| r.1)))
            .order_by_desc(scan::Column::FinishedAt)
            .order_by_desc(scan::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        scans
            .iter()
            .filter_map(|(scan_id, finished_at)| {
                rows.iter().find(|r| r.1 == *scan_id).map(|r| {
                    Ok(CheckHistoryEntry {
                        scan_id: *scan_id,
                        finding_id: r.0,
                        finished_at: *finished_at,
                        status: stored(&r.2, "finding status")?,
                    })
                })
            })
            .collect()
    }
}

/// Parses a service filter leniently (`exchange`, `EXO`, `Entra ID`, `entra_id`) into its
/// stored name.
pub fn parse_service(name: &str) -> Result<&'static str, QueryError> {
    name.parse::<aether365_engine::Service>()
        .map(|s| s.as_str())
        .map_err(|_| {
            QueryError::InvalidArgument(format!(
                "service must be one of {} (got {name:?})",
                aether365_engine::Service::ALL
                    .map(|s| s.as_str())
                    .join(", ")
            ))
        })
}

/// The human-readable name of a stored service (`exchange_online` → `Exchange Online`).
pub fn service_display(stored: &str) -> String {
    stored
        .parse::<aether365_engine::Service>()
        .map(|s| s.display_name().to_string())
        .unwrap_or_else(|_| stored.to_string())
}
