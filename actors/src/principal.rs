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
    /// Whether `tenant_id` is inside the scope. Organisation membership is checked separately.
    pub fn allows(&self, tenant_id: i64) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::Only(ids) => ids.contains(&tenant_id),
        }
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
