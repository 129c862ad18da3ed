//! Tenants: `GET /api/v1/tenants` (connection status, last collection and its per-service
//! outcome) and `POST /api/v1/tenants/{id}/imports` (a ScubaGear export, uploaded as its JSON).

use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::directory;
use aether365_actors::scans::{ServiceInput, SnapshotSource};
use aether365_engine::{SnapshotError, check_export};
use aether365_entities::tenant;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::client_addr;
use super::session::DashboardUser;
use crate::http::AppState;

/// The largest export accepted by upload (ScubaGear's own export of a large tenant is a few MiB);
/// each section is bounded too ([`aether365_engine::intake::section_limit`]).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// Imports checked and stored at once in this process (see [`import`]).
static IMPORTS: Semaphore = Semaphore::const_new(1);

/// Reads an import's body into one buffer sized from `Content-Length` (no growth by doubling),
/// refusing more than [`MAX_IMPORT_BYTES`] with 413 before or while reading.
async fn read_body(req: &HttpRequest, mut body: web::Payload) -> Result<Vec<u8>, DashboardError> {
    use futures_util::StreamExt;
    let too_large = || {
        DashboardError::TooLarge(format!(
            "an import may hold at most {MAX_IMPORT_BYTES} bytes"
        ))
    };
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_IMPORT_BYTES) {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(64 * 1024));
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| DashboardError::BadRequest(format!("reading the export: {e}")))?;
        if buf.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// An export that cannot be imported: a section over its limit is 413 (naming the section and
/// the limit), an export of a ScubaGear release the engine does not read is 400 naming the
/// releases accepted, anything else 400.
fn import_refused(e: SnapshotError) -> DashboardError {
    match e {
        SnapshotError::SectionTooLarge { .. } | SnapshotError::TooManySections { .. } => {
            DashboardError::TooLarge(format!("{e}; nothing was imported"))
        }
        SnapshotError::UnsupportedVersion(_) => {
            DashboardError::BadRequest(format!("{e}; nothing was imported"))
        }
        other => DashboardError::BadRequest(format!(
            "not a ScubaGear ProviderSettingsExport.json: {other}"
        )),
    }
}

/// One service of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOutcome {
    /// The service, as the engine names it (`entra_id`, `exchange_online`, ...).
    pub service: String,
    /// `collected`, `partial`, `failed`, `imported` or `not_collected`.
    pub state: String,
    pub detail: Option<String>,
    pub as_of: Option<DateTime<Utc>>,
}

/// The newest configuration snapshot of a tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collection {
    pub snapshot_id: i64,
    /// `collector` (read live), `import` (a ScubaGear export) or `sample` (the demo).
    pub source: String,
    pub collected_at: DateTime<Utc>,
    /// Per service, for live collections; empty for imports and samples (one export).
    pub services: Vec<ServiceOutcome>,
}

/// A tenant with its connection and last collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantRow {
    pub id: i64,
    pub display_name: String,
    pub primary_domain: String,
    pub microsoft_tenant_id: String,
    pub connected_at: DateTime<Utc>,
    pub initial_domain: Option<String>,
    /// True when an administrator granted admin consent: scans read the tenant live.
    pub live_collection: bool,
    pub consented_at: Option<DateTime<Utc>>,
    /// `connected` (live, read-only) or `import_only` (evaluated from uploaded exports).
    pub connection: String,
    pub last_collection: Option<Collection>,
}

/// `GET /api/v1/tenants`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub items: Vec<TenantRow>,
}

/// `POST /api/v1/tenants/{id}/imports`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub snapshot_id: i64,
    pub tenant_id: i64,
    pub collected_at: DateTime<Utc>,
}

fn collection(row: directory::SnapshotSummary) -> Collection {
    let services: Vec<ServiceInput> = row
        .services
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    Collection {
        snapshot_id: row.id,
        source: row.source,
        collected_at: row.collected_at,
        services: services
            .into_iter()
            .map(|s| ServiceOutcome {
                service: s.service,
                state: serde_json::to_value(s.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                detail: s.detail,
                as_of: s.as_of,
            })
            .collect(),
    }
}

/// `GET /api/v1/tenants`: the organisation's tenants, with connection and last collection.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, body = TenantList), super::error::Problems))]
pub async fn list(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    let db = &state.backend.db;
    let tenants = directory::list_tenants(db, current.organisation_id()).await?;
    let mut items = Vec::with_capacity(tenants.len());
    for t in tenants {
        let last = directory::latest_stored_snapshot(db, t.id).await?;
        items.push(TenantRow {
            connection: if t.consented_at.is_some() {
                "connected"
            } else {
                "import_only"
            }
            .into(),
            last_collection: last.map(collection),
            id: t.id,
            display_name: t.display_name,
            primary_domain: t.primary_domain,
            microsoft_tenant_id: t.microsoft_tenant_id,
            connected_at: t.connected_at,
            initial_domain: t.initial_domain,
            live_collection: t.consented_at.is_some(),
            consented_at: t.consented_at,
        });
    }
    Ok(HttpResponse::Ok().json(TenantList { items }))
}

/// `POST /api/v1/tenants/{id}/imports`: stores a ScubaGear `ProviderSettingsExport.json`, sent
/// as the JSON body, as the tenant's newest configuration; its next compliance scan (when the
/// tenant is not read live) evaluates it. Owners and admins.
#[utoipa::path(post, path = "/api/v1/tenants/{id}/imports", tag = "tenants",
    params(("id" = i64, Path, description = "Tenant id")),
    request_body(content = Object, description = "ScubaGear's ProviderSettingsExport.json", content_type = "application/json"),
    responses((status = 201, body = Imported), super::error::Problems))]
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    path: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("import exports")?;
    let raw = path.into_inner();
    let not_found = || DashboardError::NotFound(format!("no tenant {raw:?}"));
    let id: i64 = raw.parse().map_err(|_| not_found())?;
    let db = &state.backend.db;
    let tenant = tenant::Entity::find_by_id(id)
        .filter(tenant::Column::OrganisationId.eq(current.organisation_id()))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    // One import at a time per process, taken before the body is read: reading, checking and
    // storing cost a few times its size, so simultaneous imports wait instead of multiplying
    // the peak.
    let _permit = IMPORTS
        .acquire()
        .await
        .map_err(|_| DashboardError::Unavailable("imports are shutting down".into()))?;
    let body = read_body(&req, body).await?;
    let size = body.len();
    let checked = web::block(move || check_export(body))
        .await
        .map_err(|e| DashboardError::failed("import check", e))?
        .map_err(import_refused)?;
    let stored = directory::store_export(db, &tenant, checked, SnapshotSource::Import).await?;
    audit::write_one(
        db,
        AuditEvent::new(ActorKind::User, "tenant.import")
            .organisation(current.organisation_id())
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(&req)))
            .target(tenant.id)
            .detail(format!(
                "snapshot {} ({} bytes), collected {}",
                stored.id,
                size,
                stored.collected_at.to_rfc3339()
            )),
    )
    .await?;
    Ok(HttpResponse::Created().json(Imported {
        snapshot_id: stored.id,
        tenant_id: tenant.id,
        collected_at: stored.collected_at,
    }))
}
