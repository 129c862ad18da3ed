//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Latest completed scans per tenant in scope.
    pub async fn posture(&self, _principal: &Principal, _tenant: Option<&str>) -> Result<Posture, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// Every tenant in scope.
    pub async fn list_tenants(&self, _principal: &Principal) -> Result<Vec<TenantView>, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// The tenant a reference designates.
    pub async fn resolve_tenant(&self, _principal: &Principal, _tenant: Option<&str>) -> Result<TenantView, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
