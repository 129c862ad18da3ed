//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Complete.
    pub async fn complete(&self, _principal: &Principal, _field: CompletionField, _prefix: &str, _limit: usize) -> Result<Vec<String>, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
