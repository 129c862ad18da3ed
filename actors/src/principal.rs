//! Who is asking: the authenticated token and the tenants it may read.

use serde::Serialize;

/// The tenants a token may read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantScope {
    /// Every tenant of the organisation, present and future.
    All,
    /// Only these tenant ids (all of the token's organisation).
    Only(Vec<i64>),
}

impl TenantScope {
    /// Whether `tenant_id` is inside the scope. Organisation membership is checked separately
    /// (see [`TenantScope::admits`]).
    pub fn allows(&self, tenant_id: i64) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::Only(ids) => ids.contains(&tenant_id),
        }
    }

    /// The tenant-scope rule, written once: a row of `row_organisation_id` and `row_tenant_id`
    /// is visible to a caller of `organisation_id` with this scope when it is of that
    /// organisation and its tenant is inside the scope. [`crate::query::Scope`] and the scan
    /// store (starting and cancelling scans) both decide with it.
    pub fn admits(
        &self,
        organisation_id: i64,
        row_organisation_id: i64,
        row_tenant_id: i64,
    ) -> bool {
        row_organisation_id == organisation_id && self.allows(row_tenant_id)
    }
}

/// An authenticated MCP caller. Built only by the token validator; every query is scoped by it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub organisation_id: i64,
    pub token_id: i64,
    pub token_label: String,
    pub tenant_scope: TenantScope,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_organisation_or_a_tenant_outside_the_scope_is_not_admitted() {
        let all = TenantScope::All;
        let some = TenantScope::Only(vec![7]);
        let none = TenantScope::Only(vec![]);
        assert!(all.admits(1, 1, 99));
        assert!(!all.admits(1, 2, 99));
        assert!(some.admits(1, 1, 7));
        assert!(!some.admits(1, 1, 8));
        assert!(!some.admits(1, 2, 7));
        assert!(!none.admits(1, 1, 7));
    }
}
