//! Framework reports (CIS v7.0.0, SCuBA) of a tenant's compliance scan, read tenant-scoped like
//! every other query; the engine derives each recommendation's status from the findings.

use aether365_engine::report::{FrameworkReport, ReportFramework, ReportSubject, build};

use super::QueryError;
use super::exports::scan_findings;
use super::scope::Scope;
use super::service::QueryService;
use crate::principal::Principal;
use crate::scans::ScanKind;

/// Which report: the framework, the tenant and optionally the scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkReportQuery {
    /// CIS or SCuBA.
    pub framework: ReportFramework,
    /// Tenant name, domain or id; the only tenant in scope when `None`.
    pub tenant: Option<String>,
    /// A completed compliance scan of that tenant; its latest when `None`.
    pub scan_id: Option<i64>,
}

impl QueryService {
    /// The framework report of a tenant's latest completed compliance scan (or the scan given).
    /// A tenant or scan outside the caller's scope answers like one that does not exist.
    pub async fn framework_report(
        &self,
        principal: &Principal,
        query: FrameworkReportQuery,
    ) -> Result<FrameworkReport, QueryError> {
        let scope = Scope::of(principal);
        let tenants = self.tenants_latest(&scope).await?;
        let tenant = Self::pick_latest(tenants, query.tenant.as_deref())?;
        let scan_id = match query.scan_id {
            Some(id) => id,
            None => tenant.latest_compliance.ok_or_else(|| {
                QueryError::NotFound(format!("completed compliance scan of tenant {}", tenant.id))
            })?,
        };
        let scan = self.completed(&scope, scan_id).await?;
        if scan.row.tenant_id != tenant.id {
            return Err(QueryError::NotFound(format!(
                "scan {scan_id} of tenant {}",
                tenant.id
            )));
        }
        if scan.view.kind != ScanKind::Compliance {
            return Err(QueryError::InvalidArgument(format!(
                "scan {scan_id} is an exposure scan: a framework report needs a compliance scan"
            )));
        }
        let findings = scan_findings(&self.db, &scan.row, None).await?;
        let row = &scan.row;
        let subject = ReportSubject {
            tenant_id: tenant.id,
            tenant_name: tenant.display_name.clone(),
            primary_domain: tenant.primary_domain.clone(),
            scan_id,
            scan_finished_at: row.finished_at,
            collected_at: scan.view.input.as_ref().map_or_else(
                || row.started_at.unwrap_or(row.created_at),
                |i| i.collected_at,
            ),
            note: scan.view.input.as_ref().and_then(|i| i.note.clone()),
        };
        Ok(build(query.framework, subject, &findings))
    }
}
