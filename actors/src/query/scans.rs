//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Scans.
    pub async fn list_scans(&self, _principal: &Principal, _query: ScanListQuery) -> Result<ScanPage, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// One scan.
    pub async fn get_scan(&self, _principal: &Principal, _scan_id: i64) -> Result<ScanDetail, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// Latest scans.
    pub async fn latest_scans(&self, _principal: &Principal) -> Result<Vec<ScanView>, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
