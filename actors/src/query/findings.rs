//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// A page of findings.
    pub async fn list_findings(&self, _principal: &Principal, _query: FindingQuery) -> Result<FindingPage, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// One finding.
    pub async fn get_finding(&self, _principal: &Principal, _lookup: FindingLookup, _history: u64) -> Result<FindingDetail, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
