//! Findings exports of a stored scan: `GET /api/v1/scans/{id}/findings?format=ocsf|sarif|csv`,
//! and the loading the CLI's `findings --scan N --format …` shares.
//!
//! A scan's findings are read back from the database and rebuilt as engine findings (each row
//! keeps the check's title, rationale, remediation and full framework references), so an export
//! says what the scan found, whatever the catalogue says today. The engine writes the bytes.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use aether365_engine::{
    ExportContext, ExportFormat, Finding, FrameworkRef, Remediation, Service, Severity, Status,
};
use aether365_entities::{finding, scan, tenant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

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

impl From<ExportLoadError> for DashboardError {
    fn from(e: ExportLoadError) -> Self {
        DashboardError::Internal(e.to_string())
    }
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
    scan_id: i64,
    status: Option<&str>,
) -> Result<Vec<Finding>, ExportLoadError> {
    let mut query = finding::Entity::find().filter(finding::Column::ScanId.eq(scan_id));
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

/// Query of `GET /api/v1/scans/{id}/findings`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// "ocsf", "sarif" or "csv".
    pub format: String,
}

/// `GET /api/v1/scans/{id}/findings?format=ocsf|sarif|csv`: the scan's findings as a download.
/// A scan of another organisation answers exactly like one that does not exist (404).
#[utoipa::path(get, path = "/api/v1/scans/{id}/findings", tag = "scans",
    params(("id" = i64, Path, description = "Scan id"), ExportQuery),
    responses((status = 200, description = "The findings file, as an attachment",
        content((Object = "application/json"), (Object = "application/sarif+json"), (String = "text/csv"))),
        super::openapi::Problems))]
pub async fn download(
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<i64>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, DashboardError> {
    let scan_id = path.into_inner();
    let format: ExportFormat = query
        .format
        .parse()
        .map_err(|e: aether365_engine::ParseEnumError| DashboardError::BadRequest(e.to_string()))?;
    let db = &state.backend.db;
    let scan = scan::Entity::find_by_id(scan_id)
        .filter(scan::Column::OrganisationId.eq(current.organisation_id()))
        .one(db)
        .await?
        .ok_or_else(|| DashboardError::NotFound(format!("no scan {scan_id}")))?;
    let context = scan_context(db, &scan).await?;
    let findings = scan_findings(db, scan.id, None).await?;
    let bytes = aether365_engine::export(format, &context, &findings)
        .map_err(|e| DashboardError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(context.file_name(format))],
        })
        .body(bytes))
}
