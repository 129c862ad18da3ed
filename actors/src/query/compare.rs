//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Compare.
    pub async fn compare_scans(&self, _principal: &Principal, _query: CompareQuery) -> Result<ScanComparison, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
