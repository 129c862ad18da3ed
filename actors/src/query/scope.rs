//! The one place where a caller's organisation and tenant scope become query conditions.

use aether365_entities::{report, tenant};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::QueryError;
use crate::principal::{Principal, TenantScope};

/// What a caller may read: one organisation, and all or some of its tenants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    organisation_id: i64,
    token_id: i64,
    tenants: TenantScope,
}

impl Scope {
    /// The scope of an authenticated caller.
    pub fn of(principal: &Principal) -> Self {
        Scope {
            organisation_id: principal.organisation_id,
            token_id: principal.token_id,
            tenants: principal.tenant_scope.clone(),
        }
    }

    /// A hashable identity of this scope (organisation, tenant ids or `None` for all).
    pub fn key(&self) -> (i64, Option<Vec<i64>>) {
        match &self.tenants {
            TenantScope::All => (self.organisation_id, None),
            TenantScope::Only(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                (self.organisation_id, Some(ids))
            }
        }
    }

    /// The caller's organisation.
    pub fn organisation_id(&self) -> i64 {
        self.organisation_id
    }

    /// Whether a row of `organisation_id` and `tenant_id` is visible.
    pub fn allows(&self, organisation_id: i64, tenant_id: i64) -> bool {
        self.tenants
            .admits(self.organisation_id, organisation_id, tenant_id)
    }

    /// `organisation_id = ? AND tenant_id IN (…)` over the given columns.
    pub fn condition(&self, organisation: impl ColumnTrait, tenant: impl ColumnTrait) -> Condition {
        let base = Condition::all().add(organisation.eq(self.organisation_id));
        match &self.tenants {
            TenantScope::All => base,
            TenantScope::Only(ids) if ids.is_empty() => base.add(Expr::val(1).eq(0)),
            TenantScope::Only(ids) => base.add(tenant.is_in(ids.iter().copied())),
        }
    }

    /// Reports visible to the caller: of its tenants, or over several tenants when the token
    /// sees every tenant or generated the report itself.
    pub fn report_condition(&self) -> Condition {
        let own_org = report::Column::OrganisationId.eq(self.organisation_id);
        match &self.tenants {
            TenantScope::All => own_org.into_condition(),
            TenantScope::Only(ids) => Condition::all().add(own_org).add(
                Condition::any()
                    .add(report::Column::TenantId.is_in(ids.iter().copied()))
                    .add(
                        Condition::all()
                            .add(report::Column::TenantId.is_null())
                            .add(report::Column::RequestedByTokenId.eq(self.token_id)),
                    ),
            ),
        }
    }

    /// Whether a report row is visible (same rule as [`Scope::report_condition`]).
    pub fn allows_report(&self, row: &report::Model) -> bool {
        match row.tenant_id {
            Some(t) => self.allows(row.organisation_id, t),
            None => {
                row.organisation_id == self.organisation_id
                    && (self.tenants == TenantScope::All
                        || row.requested_by_token_id == Some(self.token_id))
            }
        }
    }

    /// The token id, recorded on what the caller creates.
    pub fn token_id(&self) -> i64 {
        self.token_id
    }

    /// Every tenant in scope, by display name.
    pub async fn tenants(&self, db: &DatabaseConnection) -> Result<Vec<tenant::Model>, QueryError> {
        Ok(tenant::Entity::find()
            .filter(self.condition(tenant::Column::OrganisationId, tenant::Column::Id))
            .order_by_asc(tenant::Column::DisplayName)
            .order_by_asc(tenant::Column::Id)
            .all(db)
            .await?)
    }

    /// One tenant in scope by id.
    pub async fn tenant(
        &self,
        db: &DatabaseConnection,
        id: i64,
    ) -> Result<tenant::Model, QueryError> {
        tenant::Entity::find_by_id(id)
            .filter(self.condition(tenant::Column::OrganisationId, tenant::Column::Id))
            .one(db)
            .await?
            .ok_or_else(|| QueryError::NotFound(format!("tenant {id}")))
    }

    /// Resolves a tenant named by display name, primary domain, verified domain or numeric
    /// id (case-insensitive) among the tenants in scope. With no name, the only tenant in
    /// scope; with several, an error listing them.
    pub async fn resolve_tenant(
        &self,
        db: &DatabaseConnection,
        reference: Option<&str>,
    ) -> Result<tenant::Model, QueryError> {
        let tenants = self.tenants(db).await?;
        pick_tenant(tenants, reference)
    }
}

/// Picks the tenant `reference` names among `tenants` (all in scope).
pub(super) fn pick_tenant(
    mut tenants: Vec<tenant::Model>,
    reference: Option<&str>,
) -> Result<tenant::Model, QueryError> {
    let reference = reference.map(str::trim).filter(|r| !r.is_empty());
    let Some(reference) = reference else {
        return match tenants.len() {
            1 => Ok(tenants.remove(0)),
            0 => Err(QueryError::NotFound(
                "tenant (no tenant is connected or in this token's scope)".into(),
            )),
            _ => Err(QueryError::InvalidArgument(format!(
                "tenant is required: this token can read several tenants; name one of {}",
                choices(&tenants)
            ))),
        };
    };
    if let Ok(id) = reference.parse::<i64>() {
        return tenants
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| QueryError::NotFound(format!("tenant {reference:?}")));
    }
    let lower = reference.to_lowercase();
    let by = |f: &dyn Fn(&tenant::Model) -> bool| -> Vec<usize> {
        tenants
            .iter()
            .enumerate()
            .filter(|(_, t)| f(t))
            .map(|(i, _)| i)
            .collect()
    };
    let mut hits = by(&|t| t.display_name.to_lowercase() == lower);
    if hits.is_empty() {
        hits = by(&|t| t.primary_domain.to_lowercase() == lower);
    }
    if hits.is_empty() {
        hits = by(&|t| {
            t.microsoft_tenant_id.to_lowercase() == lower
                || domains(t).iter().any(|d| d.to_lowercase() == lower)
        });
    }
    match hits.as_slice() {
        [one] => Ok(tenants.swap_remove(*one)),
        [] => Err(QueryError::NotFound(format!("tenant {reference:?}"))),
        several => {
            let matching: Vec<tenant::Model> =
                several.iter().map(|i| tenants[*i].clone()).collect();
            Err(QueryError::InvalidArgument(format!(
                "tenant {reference:?} is ambiguous: name one of {}",
                choices(&matching)
            )))
        }
    }
}

/// The verified domains of a tenant.
pub(super) fn domains(t: &tenant::Model) -> Vec<String> {
    t.verified_domains
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn choices(tenants: &[tenant::Model]) -> String {
    tenants
        .iter()
        .map(|t| format!("{:?} ({}, id {})", t.display_name, t.primary_domain, t.id))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_only_its_organisation_and_tenants() {
        let scope = Scope {
            organisation_id: 1,
            token_id: 3,
            tenants: TenantScope::Only(vec![7]),
        };
        assert!(scope.allows(1, 7));
        assert!(!scope.allows(2, 7));
        assert!(!scope.allows(1, 8));
    }
}
