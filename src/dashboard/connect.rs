//! Connecting a Microsoft 365 tenant: Microsoft's admin consent, then the administrator's
//! OpenID Connect sign-in as proof (see `aether365_actors::consent` and docs/microsoft365.md).
//!
//! `POST /api/v1/tenants/connect` answers the admin-consent URL (with a single-use `state`) and
//! sets a browser-binding cookie. Microsoft sends the administrator back to
//! `GET /api/v1/tenants/connect/callback` twice: after consenting (`admin_consent=True`; the
//! `tenant` it names is only a claim), from where the browser goes on to the sign-in; and after
//! signing in (`code`), which is redeemed for an ID token. Only a valid ID token of an
//! administrator of the claimed tenant, in the browser that started, connects that token's
//! tenant (`tid`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent, Outcome};
use aether365_actors::consent::{self, ConsentError};
use aether365_actors::directory::{self, ConsentedTenant};
use aether365_collector::{ReadError, SignInError};
use aether365_entities::consent_request;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::error::DashboardError;
use super::login::client_addr;
use super::session::{BindingCookie, DashboardUser};
use crate::http::AppState;

/// Where Microsoft sends the administrator back.
pub const CALLBACK_PATH: &str = "/api/v1/tenants/connect/callback";

/// The browser-binding cookie when the public URL is https (`__Host-`: Secure, Path=/, no
/// Domain, so no other host or path can set or read it).
pub const BINDING_COOKIE_SECURE: &str = "__Host-aether365_consent";
/// The browser-binding cookie over plain http (local use; browsers refuse `__Host-` there).
pub const BINDING_COOKIE_PLAIN: &str = "aether365_consent";

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

/// What Microsoft appends to the redirect URI, after consent or after the sign-in.
#[derive(Debug, Deserialize)]
pub struct ConsentCallback {
    #[serde(default)]
    pub admin_consent: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub session_state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// The cookie binding the flow to the browser that started it.
const BINDING: BindingCookie = BindingCookie {
    secure_name: BINDING_COOKIE_SECURE,
    plain_name: BINDING_COOKIE_PLAIN,
    lifetime: consent::STATE_LIFETIME,
};

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
    responses((status = 200, body = ConsentStart), super::error::Problems))]
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
    let started = consent::begin(
        &state.backend.db,
        current.organisation_id(),
        Some(current.user.id),
        now,
    )
    .await
    .map_err(|e| DashboardError::failed("admin consent", e))?;
    let redirect_uri = format!("{}{CALLBACK_PATH}", state.base_url());
    let url = collector.admin_consent_url(body.tenant.as_deref(), &redirect_uri, &started.state);
    audit::write_one(
        &state.backend.db,
        AuditEvent::new(ActorKind::User, "tenant.connect.start")
            .organisation(current.organisation_id())
            .actor_id(current.user.id)
            .actor_label(current.user.email.clone())
            .client_addr(Some(client_addr(&req))),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::SET_COOKIE,
            BINDING.set(
                state.config.public_url.as_deref(),
                Some(&started.browser_secret),
            ),
        ))
        .json(ConsentStart {
            consent_url: url.to_string(),
            redirect_uri,
            expires_at: now + consent::STATE_LIFETIME,
        }))
}

/// `GET /api/v1/tenants/connect/callback`: Microsoft's redirects, after consent and after the
/// administrator's sign-in.
///
/// The browser arrives cross-site, so without the (SameSite=Strict) session cookie: the
/// single-use `state` says which organisation the flow is for, and the (SameSite=Lax) binding
/// cookie that it comes from the browser that started it. After consent the browser is sent on
/// to the sign-in; after the sign-in a browser is sent to the dashboard's MCP settings page with
/// the outcome, and an API client (`Accept: application/json`) gets JSON.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ConsentCallback>,
) -> Result<HttpResponse, DashboardError> {
    let query = query.into_inner();
    let binding = BINDING.presented(&req, state.config.public_url.as_deref());
    let now = Utc::now();
    let state_value = query.state.clone().unwrap_or_default();
    let consented = query.code.is_none()
        && query.error.is_none()
        && query
            .admin_consent
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if consented {
        return after_consent(&req, &state, &query, binding.as_deref()).await;
    }

    let request = consent::finish(&state.backend.db, &state_value, binding.as_deref(), now)
        .await
        .map_err(consent_error);
    let mut event = AuditEvent::new(ActorKind::User, "tenant.connect.callback")
        .client_addr(Some(client_addr(&req)));
    let outcome = match request {
        Ok(request) => {
            event = event.organisation(request.organisation_id);
            if let Some(user) = request.user_id {
                event = event.actor_id(user);
            }
            prove_and_connect(&state, &request, query).await
        }
        Err(e) => {
            event = event.actor_kind(ActorKind::Anonymous);
            Err(e)
        }
    };
    let event = match &outcome {
        Ok((t, proof)) => event
            .target(t.id)
            .outcome(Outcome::Ok)
            .detail(proof.clone()),
        Err(e) => event.outcome(Outcome::Denied).detail(e.to_string()),
    };
    audit::write_one(&state.backend.db, event).await?;
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let clear = (
        header::SET_COOKIE,
        BINDING.set(state.config.public_url.as_deref(), None),
    );
    match (outcome, wants_json) {
        (Ok((tenant, _)), true) => Ok(HttpResponse::Ok().insert_header(clear).json(json!({
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
                Ok((t, _)) => format!("connected={}", t.id),
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

fn consent_error(e: ConsentError) -> DashboardError {
    match e {
        ConsentError::Db(e) => DashboardError::Database(e),
        ConsentError::Audit(e) => DashboardError::Audit(e),
        other => DashboardError::Forbidden(other.to_string()),
    }
}

fn sign_in_error(e: SignInError) -> DashboardError {
    match &e {
        SignInError::Authority(
            ReadError::Network { .. } | ReadError::Unavailable { .. } | ReadError::Throttled { .. },
        ) => DashboardError::BadGateway(e.to_string()),
        _ => DashboardError::Forbidden(e.to_string()),
    }
}

/// The first leg: Microsoft says consent was granted and names a tenant. Nothing is connected:
/// the claim is recorded and the browser is sent to the administrator's sign-in.
async fn after_consent(
    req: &HttpRequest,
    state: &AppState,
    query: &ConsentCallback,
    binding: Option<&str>,
) -> Result<HttpResponse, DashboardError> {
    let collector = collector(state)?;
    let claimed = query
        .tenant
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| aether365_collector::host::is_guid(t));
    let outcome = match claimed {
        None => Err(DashboardError::BadRequest(
            "Microsoft's answer names no tenant id".into(),
        )),
        Some(claimed) => consent::admin_consented(
            &state.backend.db,
            query.state.as_deref().unwrap_or_default(),
            binding,
            &claimed,
            Utc::now(),
        )
        .await
        .map_err(consent_error),
    };
    let mut event = AuditEvent::new(ActorKind::User, "tenant.connect.consent")
        .client_addr(Some(client_addr(req)));
    let event = match &outcome {
        Ok(r) => {
            event = event.organisation(r.organisation_id);
            if let Some(user) = r.user_id {
                event = event.actor_id(user);
            }
            event.detail(format!(
                "Microsoft's consent redirect names tenant {}; the administrator's sign-in \
                 must prove it",
                r.claimed_tenant.as_deref().unwrap_or_default()
            ))
        }
        Err(e) => event
            .actor_kind(ActorKind::Anonymous)
            .outcome(Outcome::Denied)
            .detail(e.to_string()),
    };
    audit::write_one(&state.backend.db, event).await?;
    let request = outcome?;
    let (Some(nonce), Some(verifier)) = (&request.nonce, &request.pkce_verifier) else {
        return Err(DashboardError::Forbidden(
            ConsentError::OtherBrowser.to_string(),
        ));
    };
    let redirect_uri = format!("{}{CALLBACK_PATH}", state.base_url());
    let url = collector.sign_in_url(
        request.claimed_tenant.as_deref(),
        &redirect_uri,
        query.state.as_deref().unwrap_or_default(),
        nonce,
        verifier,
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .finish())
}

/// The second leg: redeems the sign-in code, checks the ID token's proof, reads the tenant
/// app-only and records it; tells the other organisations that have it. Answers the tenant
/// and a sentence describing the proof (for the audit trail).
async fn prove_and_connect(
    state: &AppState,
    request: &consent_request::Model,
    query: ConsentCallback,
) -> Result<(aether365_entities::tenant::Model, String), DashboardError> {
    let collector = collector(state)?;
    if let Some(error) = query.error {
        return Err(DashboardError::BadRequest(format!(
            "Microsoft did not grant consent ({error}): {}",
            query.error_description.unwrap_or_default()
        )));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Err(DashboardError::BadRequest(
            "Microsoft's answer does not say consent was granted".into(),
        ));
    };
    let (Some(verifier), Some(nonce)) = (&request.pkce_verifier, &request.nonce) else {
        return Err(DashboardError::Forbidden(
            ConsentError::OtherBrowser.to_string(),
        ));
    };
    let redirect_uri = format!("{}{CALLBACK_PATH}", state.base_url());
    let now = Utc::now();
    let token = collector
        .redeem_sign_in(
            request.claimed_tenant.as_deref(),
            &code,
            &redirect_uri,
            verifier,
            nonce,
            now,
        )
        .await
        .map_err(sign_in_error)?;
    let role = consent::check_proof(request, &token).map_err(consent_error)?;
    let who = token
        .username
        .clone()
        .or_else(|| token.object_id.clone())
        .unwrap_or_else(|| "an administrator".into());
    let proof = format!(
        "{who} ({role} of tenant {}) signed in at Microsoft and consented",
        token.tenant_id
    );
    let tenant_id = token.tenant_id.clone();
    let info = collector.tenant_info(&tenant_id).await.map_err(|e| {
        DashboardError::BadGateway(format!(
            "consent was proven, but reading the tenant failed: {}",
            e.reason()
        ))
    })?;
    let tenant = directory::connect_tenant(
        &state.backend.db,
        request.organisation_id,
        ConsentedTenant::from_info(tenant_id, info),
        now,
    )
    .await?;
    consent::tell_other_organisations(
        &state.backend.db,
        &tenant,
        &format!("{who}, {role} of the tenant at Microsoft"),
        now,
    )
    .await
    .map_err(consent_error)?;
    Ok((tenant, proof))
}

/// How far back `GET /api/v1/tenants/notices` looks.
const NOTICE_DAYS: i64 = 90;

/// One notice: a tenant of this organisation was connected to another organisation too.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantNotice {
    /// The audit row that records it.
    pub audit_id: i64,
    /// This organisation's tenant.
    pub tenant_id: Option<i64>,
    /// Who connected it elsewhere (the administrator's name at Microsoft, or the operator).
    pub by: Option<String>,
    /// The sentence to show.
    pub message: String,
    pub at: chrono::DateTime<Utc>,
}

/// `GET /api/v1/tenants/notices`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantNotices {
    /// Newest first, from the last 90 days.
    pub items: Vec<TenantNotice>,
}

/// `GET /api/v1/tenants/notices`: the organisation's tenants that were connected to another
/// organisation too (from the `tenant.connect.elsewhere` audit rows of the last 90 days).
#[utoipa::path(get, path = "/api/v1/tenants/notices", tag = "tenants",
    responses((status = 200, body = TenantNotices), super::error::Problems))]
pub async fn notices(
    state: web::Data<AppState>,
    current: DashboardUser,
) -> Result<HttpResponse, DashboardError> {
    use aether365_entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let since = Utc::now() - chrono::Duration::days(NOTICE_DAYS);
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::OrganisationId.eq(current.organisation_id()))
        .filter(audit_log::Column::Action.eq(consent::CONNECTED_ELSEWHERE))
        .filter(audit_log::Column::CreatedAt.gte(since))
        .order_by_desc(audit_log::Column::Id)
        .limit(50)
        .all(&state.backend.db)
        .await?;
    let items = rows
        .into_iter()
        .map(|r| TenantNotice {
            audit_id: r.id,
            tenant_id: r
                .target_ids
                .as_array()
                .and_then(|a| a.first())
                .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_i64())),
            by: r.actor_label,
            message: r.detail.unwrap_or_default(),
            at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TenantNotices { items }))
}
