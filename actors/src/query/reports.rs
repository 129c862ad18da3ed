//! Stored reports, readable as `aether365://reports/{id}`.

use aether365_entities::report;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::QueryError;
use super::scans::clamp;
use super::scope::Scope;
use super::service::QueryService;
use super::views::*;
use crate::principal::Principal;

impl QueryService {
    /// Stores a report generated for the caller. Its tenant, if any, must be in scope.
    pub async fn save_report(
        &self,
        principal: &Principal,
        new: NewReport,
    ) -> Result<ReportView, QueryError> {
        let scope = Scope::of(principal);
        if let Some(tenant_id) = new.tenant_id {
            scope.tenant(&self.db, tenant_id).await?;
        }
        let row = report::ActiveModel {
            organisation_id: Set(scope.organisation_id()),
            tenant_id: Set(new.tenant_id),
            audience: Set(new.audience),
            framework: Set(new.framework),
            title: Set(new.title),
            markdown: Set(new.markdown),
            requested_by_token_id: Set(Some(scope.token_id())),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(report_view(row, true))
    }

    /// One report in scope, with its Markdown.
    pub async fn get_report(
        &self,
        principal: &Principal,
        report_id: i64,
    ) -> Result<ReportView, QueryError> {
        let scope = Scope::of(principal);
        let row = report::Entity::find_by_id(report_id)
            .filter(scope.report_condition())
            .one(&self.db)
            .await?
            .filter(|r| scope.allows_report(r))
            .ok_or_else(|| QueryError::NotFound(format!("report {report_id}")))?;
        Ok(report_view(row, true))
    }

    /// Reports in scope, newest first, without Markdown.
    pub async fn list_reports(
        &self,
        principal: &Principal,
        limit: u64,
    ) -> Result<Vec<ReportView>, QueryError> {
        let scope = Scope::of(principal);
        let rows = report::Entity::find()
            .filter(scope.report_condition())
            .order_by_desc(report::Column::Id)
            .limit(clamp(limit, 20, 100))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| scope.allows_report(r))
            .map(|r| report_view(r, false))
            .collect())
    }
}

fn report_view(row: report::Model, with_markdown: bool) -> ReportView {
    ReportView {
        id: row.id,
        tenant_id: row.tenant_id,
        audience: row.audience,
        framework: row.framework,
        title: row.title,
        created_at: row.created_at,
        uri: format!("aether365://reports/{}", row.id),
        markdown: if with_markdown {
            row.markdown
        } else {
            String::new()
        },
    }
}
