//! Connecting a Microsoft 365 tenant by Microsoft's admin-consent flow:
//! `POST /api/v1/tenants/connect` answers the consent URL (with a single-use `state`), and
//! Microsoft sends the administrator back to `GET /api/v1/tenants/connect/callback`, which
//! checks the state, reads the tenant's name, domains and licences app-only, and records it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent, Outcome};
use aether365_actors::consent::{self, ConsentError};
use aether365_actors::directory::{self, ConsentedTenant};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::client_addr;
use super::session::DashboardUser;
use crate::http::AppState;

/// Where Microsoft sends the administrator back.
pub const CALLBACK_PATH: &str = "/api/v1/tenants/connect/callback";

/// `POST /api/v1/tenants/connect`: where to send the tenant's administrator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentStart {
    /// Microsoft's admin-consent page.
    pub consent_url: String,
    /// Where Microsoft sends the administrator back.
    pub redirect_uri: String,
    /// When the single-use `state` in the URL expires.
    pub expires_at: chrono::DateTime<Utc>,
}

/// Body of `POST /api/v1/tenants/connect`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// The tenant's id or a verified domain, to send the administrator to that tenant's
    /// sign-in; absent: `organizations` (Microsoft asks which account).
    #[serde(default)]
    pub tenant: Option<String>,
}

/// What Microsoft appends to the redirect URI.
#[derive(Debug, Deserialize)]
pub struct ConsentCallback {
    #[serde(default)]
    pub admin_consent: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

fn collector(state: &AppState) -> Result<&aether365_collector::Collector, DashboardError> {
    state.backend.collector.as_deref().ok_or_else(|| {
        DashboardError::NotConfigured(
            "live collection is not configured on this server: set AETHER365_ENTRA_CLIENT_ID \
             and a certificate (docs/microsoft365.md), or import a ScubaGear export"
                .into(),
        )
    })
}

/// `POST /api/v1/tenants/connect`: the URL to send an administrator of the tenant to.
#[utoipa::path(post, path = "/api/v1/tenants/connect", tag = "tenants", request_body = ConnectRequest,
    responses((status = 200, body = ConsentStart), super::openapi::Problems))]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: DashboardUser,
    body: Option<web::Json<ConnectRequest>>,
) -> Result<HttpResponse, DashboardError> {
    current.require_manager("connect tenants")?;
    let collector = collector(&state)?;
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let now = Utc::now();
    let token = consent::begin(
        &state.backend.db,
        current.organisation_id(),
        Some(current.user.id),
        now,
    )
    .await
    .map_err(|e| DashboardError::Internal(e.to_string()))?;
    let redirect_uri = format!("{}{CALLBACK_PATH}", state.base_url());
    let url = collector.admin_consent_url(body.tenant.as_deref(), &redirect_uri, &token);
    audit::write_one(
        &state.backend.db,
        AuditEvent::new(ActorKind::User, "tenant.connect.start")
            .organisation(current.organisation_id())
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(&req))),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ConsentStart {
        consent_url: url.to_string(),
        redirect_uri,
        expires_at: now + consent::STATE_LIFETIME,
    }))
}

/// `GET /api/v1/tenants/connect/callback`: Microsoft's redirect after consent.
///
/// The browser arrives cross-site, so without the session cookie: the single-use `state` says
/// which organisation (and user) the consent is for. A browser is sent on to the dashboard's
/// MCP settings page with the outcome; an API client (`Accept: application/json`) gets JSON.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ConsentCallback>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let request = consent::finish(
        &state.backend.db,
        query.state.as_deref().unwrap_or_default(),
        Utc::now(),
    )
    .await
    .map_err(|e| match e {
        ConsentError::Db(e) => DashboardError::Internal(e.to_string()),
        other => DashboardError::Forbidden(other.to_string()),
    });
    let mut event = AuditEvent::new(ActorKind::User, "tenant.connect.callback")
        .client_addr(Some(client_addr(&req)));
    let outcome = match request {
        Ok(request) => {
            event = event.organisation(request.organisation_id);
            if let Some(user) = request.user_id {
                event = event.actor_id(user);
            }
            connect(&state, request.organisation_id, query).await
        }
        Err(e) => {
            event = event.actor_kind(ActorKind::Anonymous);
            Err(e)
        }
    };
    let event = match &outcome {
        Ok(t) => event.target(t.id).outcome(Outcome::Ok),
        Err(e) => event.outcome(Outcome::Denied).detail(e.to_string()),
    };
    audit::write_one(&state.backend.db, event).await?;
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    match (outcome, wants_json) {
        (Ok(tenant), true) => Ok(HttpResponse::Ok().json(json!({
            "tenant": {
                "id": tenant.id,
                "display_name": tenant.display_name,
                "microsoft_tenant_id": tenant.microsoft_tenant_id,
                "primary_domain": tenant.primary_domain,
                "initial_domain": tenant.initial_domain,
                "consented_at": tenant.consented_at.map(|t| t.to_rfc3339()),
            }
        }))),
        (Err(e), true) => Err(e),
        (outcome, false) => {
            let query = match outcome {
                Ok(t) => format!("connected={}", t.id),
                Err(e) => format!(
                    "connect_error={}",
                    url::form_urlencoded::byte_serialize(e.to_string().as_bytes())
                        .collect::<String>()
                ),
            };
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/settings/mcp?{query}")))
                .finish())
        }
    }
}

/// Checks Microsoft's answer, reads the tenant app-only and records it.
async fn connect(
    state: &AppState,
    organisation_id: i64,
    query: ConsentCallback,
) -> Result<aether365_entities::tenant::Model, DashboardError> {
    let collector = collector(state)?;
    if let Some(error) = query.error {
        return Err(DashboardError::BadRequest(format!(
            "Microsoft did not grant consent ({error}): {}",
            query.error_description.unwrap_or_default()
        )));
    }
    if !query
        .admin_consent
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(DashboardError::BadRequest(
            "Microsoft's answer does not say consent was granted".into(),
        ));
    }
    let tenant_id = query
        .tenant
        .filter(|t| directory::is_guid(t))
        .ok_or_else(|| {
            DashboardError::BadRequest("Microsoft's answer names no tenant id".into())
        })?;
    let info = collector.tenant_info(&tenant_id).await.map_err(|e| {
        DashboardError::BadGateway(format!(
            "consent was granted, but reading the tenant failed: {}",
            e.reason()
        ))
    })?;
    let tenant = directory::connect_tenant(
        &state.backend.db,
        organisation_id,
        ConsentedTenant::from_info(tenant_id, info),
        Utc::now(),
    )
    .await?;
    Ok(tenant)
}
