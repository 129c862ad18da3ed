//! Findings exports of a stored scan: `GET /api/v1/scans/{id}/findings?format=ocsf|sarif|csv`.
//! The loading (shared with the CLI and the MCP resources) is the query layer's
//! (`aether365_actors::query::exports`).

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
pub use aether365_actors::query::{ExportLoadError, finding_from_row, scan_context, scan_findings};
use aether365_engine::ExportFormat;
use aether365_entities::scan;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::error::DashboardError;
use super::session::DashboardUser;
use crate::http::AppState;

impl From<ExportLoadError> for DashboardError {
    fn from(e: ExportLoadError) -> Self {
        match e {
            ExportLoadError::Db(e) => DashboardError::Database(e),
            other => DashboardError::failed("findings export", other),
        }
    }
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
    responses((status = 200, description = "The findings file, as an attachment: OCSF 1.8.0 Compliance Finding events (a JSON array), a SARIF 2.1.0 log, or CSV",
        content((Vec<Object> = "application/json"), (Object = "application/sarif+json"), (String = "text/csv"))),
        super::error::Problems))]
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
    let findings = scan_findings(db, &scan, None).await?;
    let bytes = aether365_engine::export(format, &context, &findings)
        .map_err(|e| DashboardError::failed("findings export", e))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.media_type()))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(context.file_name(format))],
        })
        .body(bytes))
}
