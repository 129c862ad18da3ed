//! (in progress)
use super::QueryError;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Score trend.
    pub async fn score_trend(&self, _principal: &Principal, _query: TrendQuery) -> Result<ScoreTrend, QueryError> {
        Err(QueryError::Unavailable("not ready".into()))
    }
}
