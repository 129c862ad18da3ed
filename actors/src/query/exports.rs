//! Findings exports of a stored scan (OCSF, SARIF, CSV), read tenant-scoped like every other
//! read. A scan's findings are read back from the database and rebuilt as engine findings (each
//! row keeps the check's title, rationale, remediation and full framework references), so an
//! export says what the scan found, whatever the catalogue says today. The engine writes the
//! bytes. The dashboard's download and the CLI share the loading.

use aether365_engine::{
    ExportContext, ExportFormat, Finding, FrameworkRef, Remediation, Service, Severity, Status,
};
use aether365_entities::{finding, scan, tenant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::QueryError;
use super::cache::subjects;
use super::scope::Scope;
use super::service::QueryService;
use crate::principal::Principal;

/// Errors of reading a scan's findings back.
#[derive(Debug, thiserror::Error)]
pub enum ExportLoadError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A stored finding names a service, severity or status the engine does not know.
    #[error("finding {id} of scan {scan_id} is unreadable: {reason}")]
    Unreadable {
        /// The finding row.
        id: i64,
        /// Its scan.
        scan_id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// A stored finding as the engine's [`Finding`].
pub fn finding_from_row(row: &finding::Model) -> Result<Finding, ExportLoadError> {
    let unreadable = |reason: String| ExportLoadError::Unreadable {
        id: row.id,
        scan_id: row.scan_id,
        reason,
    };
    let service: Service = row
        .service
        .parse()
        .map_err(|e| unreadable(format!("{e}")))?;
    let severity: Severity = row
        .severity
        .parse()
        .map_err(|e| unreadable(format!("{e}")))?;
    let status: Status = row.status.parse().map_err(|e| unreadable(format!("{e}")))?;
    let frameworks: Vec<FrameworkRef> = serde_json::from_value(row.frameworks.clone())
        .map_err(|e| unreadable(format!("frameworks: {e}")))?;
    Ok(Finding {
        check_id: row.check_id.clone(),
        title: row.title.clone(),
        service,
        severity,
        status,
        message: row.message.clone(),
        evidence: row.evidence.clone(),
        subjects: subjects(row.subjects.as_ref()).unwrap_or_default(),
        rationale: row.rationale.clone(),
        remediation: Remediation {
            steps: row.remediation.clone(),
            url: row.remediation_url.clone(),
        },
        frameworks,
    })
}

/// The export context of a stored scan: its id, its tenant, and when it ended (or started, or
/// was created, for a scan that has not ended).
pub async fn scan_context(
    db: &impl ConnectionTrait,
    scan: &scan::Model,
) -> Result<ExportContext, ExportLoadError> {
    let tenant = tenant::Entity::find_by_id(scan.tenant_id).one(db).await?;
    let (tenant_name, microsoft_tenant_id) = match tenant {
        Some(t) => (
            t.display_name,
            Some(t.microsoft_tenant_id).filter(|id| !id.trim().is_empty()),
        ),
        None => (format!("tenant {}", scan.tenant_id), None),
    };
    Ok(ExportContext {
        scan_id: Some(scan.id),
        tenant_name,
        microsoft_tenant_id,
        time: scan
            .finished_at
            .or(scan.started_at)
            .unwrap_or(scan.created_at),
    })
}

/// A stored scan's findings, most severe first, then by check id; only those with `status`
/// when given.
pub async fn scan_findings(
    db: &impl ConnectionTrait,
    scan: &scan::Model,
    status: Option<&str>,
) -> Result<Vec<Finding>, ExportLoadError> {
    let mut query = finding::Entity::find()
        .filter(finding::Column::ScanId.eq(scan.id))
        .filter(finding::Column::OrganisationId.eq(scan.organisation_id))
        .filter(finding::Column::TenantId.eq(scan.tenant_id));
    if let Some(status) = status {
        query = query.filter(finding::Column::Status.eq(status));
    }
    let rows = query
        .order_by_asc(finding::Column::SeverityRank)
        .order_by_asc(finding::Column::CheckId)
        .order_by_asc(finding::Column::Id)
        .all(db)
        .await?;
    rows.iter().map(finding_from_row).collect()
}

impl From<ExportLoadError> for QueryError {
    fn from(e: ExportLoadError) -> Self {
        match e {
            ExportLoadError::Db(e) => QueryError::Database(e),
            unreadable => QueryError::Unreadable(unreadable.to_string()),
        }
    }
}

/// A completed scan's findings written in one format.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingsExport {
    /// The scan exported.
    pub scan_id: i64,
    /// The format written.
    pub format: ExportFormat,
    /// The file name a download would carry, e.g. `aether365-scan-12-findings.sarif`.
    pub file_name: String,
    /// The document (every format is UTF-8 text).
    pub text: String,
    /// How many findings it holds.
    pub findings: usize,
}

impl QueryService {
    /// A completed scan's findings as OCSF, SARIF or CSV. Another organisation's or tenant's
    /// scan answers like a missing one; a scan that has not completed is refused.
    pub async fn export_findings(
        &self,
        principal: &Principal,
        scan_id: i64,
        format: ExportFormat,
    ) -> Result<FindingsExport, QueryError> {
        let scope = Scope::of(principal);
        let scan = self.completed(&scope, scan_id).await?;
        let context = scan_context(&self.db, &scan.row).await?;
        let findings = scan_findings(&self.db, &scan.row, None).await?;
        let bytes = aether365_engine::export(format, &context, &findings)
            .map_err(|e| QueryError::Unreadable(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            QueryError::Unreadable(format!("the {format:?} export is not UTF-8: {e}"))
        })?;
        Ok(FindingsExport {
            scan_id,
            format,
            file_name: context.file_name(format),
            text,
            findings: findings.len(),
        })
    }
}
