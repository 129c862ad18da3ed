//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Save.
    pub async fn save_report(&self, _principal: &Principal, _report: NewReport) -> Result<ReportView, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// Get.
    pub async fn get_report(&self, _principal: &Principal, _report_id: i64) -> Result<ReportView, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
    /// List.
    pub async fn list_reports(&self, _principal: &Principal, _limit: u64) -> Result<Vec<ReportView>, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
