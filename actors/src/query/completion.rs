//! Completion values for arguments: tenants, scans, frameworks, services, severities.

use aether365_entities::scan;
use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::QueryError;
use super::cache::framework_names;
use super::filters::{FindingStatus, Framework, Severity};
use super::scope::Scope;
use super::service::QueryService;
use super::views::CompletionField;
use crate::principal::Principal;

impl QueryService {
    /// Values for `field` that start with `prefix` (or contain it), case-insensitive, at
    /// most `limit` (100 when zero).
    pub async fn complete(
        &self,
        principal: &Principal,
        field: CompletionField,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<String>, QueryError> {
        let scope = Scope::of(principal);
        let limit = if limit == 0 { 100 } else { limit.min(100) };
        let candidates: Vec<String> = match field {
            CompletionField::Tenant => {
                let tenants = scope.tenants(&self.db).await?;
                let mut out: Vec<String> = tenants.iter().map(|t| t.display_name.clone()).collect();
                out.extend(tenants.iter().map(|t| t.primary_domain.clone()));
                out
            }
            CompletionField::Scan => scan::Entity::find()
                .select_only()
                .column(scan::Column::Id)
                .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId))
                .order_by_desc(scan::Column::Id)
                .limit(500)
                .into_tuple::<i64>()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|id| id.to_string())
                .collect(),
            CompletionField::Framework => {
                let mut out: Vec<String> = Framework::NAMES.iter().map(|s| s.to_string()).collect();
                for c in self.latest_in_scope(&scope).await? {
                    for f in &c.findings {
                        out.extend(framework_names(&f.mappings));
                    }
                }
                out
            }
            CompletionField::Service => {
                let mut out: Vec<String> = aether365_engine::Service::ALL
                    .iter()
                    .map(|s| s.as_str().to_string())
                    .collect();
                for c in self.latest_in_scope(&scope).await? {
                    out.extend(c.by_service.iter().map(|b| b.name.clone()));
                }
                out
            }
            CompletionField::Severity => Severity::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            CompletionField::Status => FindingStatus::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            CompletionField::Audience => ["board", "audit", "technical"].map(String::from).to_vec(),
            CompletionField::Kind => ["compliance", "exposure"].map(String::from).to_vec(),
        };
        Ok(filter_prefix(candidates, prefix, limit))
    }

    /// The latest completed scans of every tenant in scope.
    async fn latest_in_scope(
        &self,
        scope: &Scope,
    ) -> Result<Vec<std::sync::Arc<super::cache::CompletedScan>>, QueryError> {
        let ids: Vec<i64> = self
            .tenants_latest(scope)
            .await?
            .iter()
            .flat_map(|t| t.latest_ids())
            .collect();
        self.completed_many(scope, &ids).await
    }
}

/// Distinct values starting with `prefix` first, then containing it; case-insensitive.
fn filter_prefix(candidates: Vec<String>, prefix: &str, limit: usize) -> Vec<String> {
    let p = prefix.trim().to_lowercase();
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = candidates
        .into_iter()
        .filter(|c| seen.insert(c.to_lowercase()))
        .collect();
    let (mut starts, contains): (Vec<String>, Vec<String>) = unique
        .into_iter()
        .filter(|c| c.to_lowercase().contains(&p))
        .partition(|c| c.to_lowercase().starts_with(&p));
    starts.extend(contains);
    starts.truncate(limit);
    starts
}
