//! aether365 as the OAuth 2.1 authorization server of its own MCP endpoint (issue 23):
//! authorization server metadata (RFC 8414), Dynamic Client Registration (RFC 7591), the
//! authorization endpoint with PKCE S256 and consent in the dashboard, the token endpoint
//! (authorization code, rotating refresh tokens) and revocation (RFC 7009). The store lives
//! in [`aether365_actors::oauth`]; see docs/oauth.md.

mod documents;
mod error;

pub use documents::ClientDocuments;
pub use error::OAuthHttpError;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::TenantScope;
use aether365_actors::oauth::document::is_document_client_id;
use aether365_actors::oauth::{
    self, Approval, CodeExchange, IssuedTokens, NewClient, OAuthError, RefreshExchange,
};
use aether365_actors::tokens::TokenRevoked;
use aether365_entities::{oauth_client, organisation, tenant};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::dashboard::oauth_consent::{self, ConsentView, TenantChoice};
use crate::dashboard::session::{self, DashboardUser};
use crate::http::AppState;

/// The refusal page of an unknown client (or another organisation's pre-registered one).
const UNKNOWN_CLIENT: &str = "This application is not registered with aether365.";

/// Client registrations allowed per address and hour.
pub const REGISTRATIONS_PER_HOUR: u64 = 20;
/// Whether `client_id` may be an https URL naming a Client ID Metadata Document (fetched
/// SSRF-guarded and cached, see [`ClientDocuments`]).
pub const CLIENT_ID_METADATA_DOCUMENTS: bool = true;

/// Registers the authorization server's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/oauth-authorization-server",
        web::get().to(authorization_server_metadata),
    )
    .route(
        "/.well-known/openid-configuration",
        web::get().to(authorization_server_metadata),
    )
    .service(
        web::resource("/oauth/register")
            .app_data(
                web::JsonConfig::default()
                    .limit(16 * 1024)
                    .error_handler(|e, _| {
                        OAuthHttpError::request("invalid_client_metadata", e.to_string()).into()
                    }),
            )
            .route(web::post().to(register)),
    )
    .service(
        web::resource("/oauth/authorize")
            .route(web::get().to(authorize))
            .route(web::post().to(consent)),
    )
    .service(web::resource("/oauth/token").route(web::post().to(token)))
    .service(web::resource("/oauth/revoke").route(web::post().to(revoke)))
    .app_data(
        web::FormConfig::default()
            .limit(16 * 1024)
            .error_handler(|e, _| OAuthHttpError::request("invalid_request", e.to_string()).into()),
    );
}

/// GET /.well-known/oauth-authorization-server (and /.well-known/openid-configuration): the
/// authorization server metadata (RFC 8414). The issuer is the public URL.
pub async fn authorization_server_metadata(state: web::Data<AppState>) -> HttpResponse {
    let base = state.base_url();
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "scopes_supported": [oauth::SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": CLIENT_ID_METADATA_DOCUMENTS,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{base}/"),
    }))
}

/// The resources tokens may be bound to: the MCP endpoints of this server.
fn own_resources(state: &AppState) -> [String; 2] {
    state.own_resources()
}

/// A registration request (RFC 7591 §2); other metadata is ignored.
#[derive(Debug, Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
}

/// The registered client (RFC 7591 §3.2.1).
#[derive(Debug, Serialize)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_id_issued_at: i64,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: [&'static str; 2],
    pub response_types: [&'static str; 1],
    pub token_endpoint_auth_method: &'static str,
    pub scope: &'static str,
}

/// `POST /oauth/register`: registers a public client.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegistrationRequest>,
) -> Result<HttpResponse, OAuthHttpError> {
    let body = body.into_inner();
    if body
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|m| m != "none")
    {
        return Err(OAuthHttpError::request(
            "invalid_client_metadata",
            "only public clients (token_endpoint_auth_method \"none\") are supported",
        ));
    }
    let unsupported = |given: &Option<Vec<String>>, allowed: &[&str]| {
        given
            .as_ref()
            .is_some_and(|g| g.iter().any(|v| !allowed.contains(&v.as_str())))
    };
    if unsupported(&body.grant_types, &["authorization_code", "refresh_token"])
        || unsupported(&body.response_types, &["code"])
    {
        return Err(OAuthHttpError::request(
            "invalid_client_metadata",
            "only the authorization_code and refresh_token grants and the code response are supported",
        ));
    }
    let client = oauth::register_client(
        &state.backend.db,
        NewClient {
            client_name: body.client_name,
            redirect_uris: body.redirect_uris,
            registered_from: Some(crate::dashboard::login::client_addr(&req)),
        },
        REGISTRATIONS_PER_HOUR,
    )
    .await?;
    tracing::info!(client_id = %client.client_id, "OAuth client registered");
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RegisteredClient {
            client_id_issued_at: client.created_at.timestamp(),
            redirect_uris: oauth::redirect_uris_of(&client),
            client_id: client.client_id,
            client_name: client.client_name,
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
            token_endpoint_auth_method: "none",
            scope: oauth::SCOPE,
        }))
}

/// The parameters of an authorization request (query of the GET, fields of the consent form).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub state: Option<String>,
    pub resource: Option<String>,
    pub scope: Option<String>,
}

/// The consent form: the request's parameters and the person's answer.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(flatten)]
    pub params: AuthorizeParams,
    /// The CSRF token of the page.
    pub csrf: Option<String>,
    /// `allow` or `deny`.
    pub decision: Option<String>,
    /// `all`, or one tenant id.
    pub tenant: Option<String>,
}

/// An authorization request whose client and redirect URI are known good.
struct Checked {
    client: oauth_client::Model,
    /// The host that served the client's metadata document (a URL `client_id`): the one
    /// verified thing about it. `None` for a registered client.
    verified_domain: Option<String>,
    redirect_uri: String,
    state: Option<String>,
}

/// A validated authorization request.
struct Valid {
    checked: Checked,
    code_challenge: String,
    resource: String,
}

/// Where an authorization request's refusal goes.
enum Refusal {
    /// Shown on a page (the redirect URI cannot be trusted).
    Page(OAuthHttpError),
    /// Sent back to the client's redirect URI.
    Redirect(Box<Checked>, &'static str, String),
}

impl From<OAuthHttpError> for Refusal {
    fn from(e: OAuthHttpError) -> Self {
        Refusal::Page(e)
    }
}

/// Checks an authorization request: client and redirect URI first (refusals on a page), then
/// the rest (refusals redirected with `error`). `organisation`: the signed-in person's; a
/// client another organisation pre-registered answers as an unknown client does.
async fn check(
    state: &AppState,
    params: &AuthorizeParams,
    organisation: Option<i64>,
) -> Result<Valid, Refusal> {
    let bad = |m: &str| Refusal::Page(OAuthHttpError::page(StatusCode::BAD_REQUEST, m));
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| bad("The request names no client (client_id is missing)."))?;
    let (client, verified_domain) = if is_document_client_id(client_id) {
        let doc = state.client_documents.get(client_id).await.map_err(|e| {
            tracing::info!(client_id, "client metadata document refused: {e}");
            Refusal::Page(OAuthHttpError::Document(e))
        })?;
        let client = oauth::save_document_client(&state.backend.db, &doc)
            .await
            .map_err(|e| Refusal::Page(e.into()))?;
        (client, Some(doc.domain.clone()))
    } else {
        let client = oauth::find_client(&state.backend.db, client_id)
            .await
            .map_err(|e| Refusal::Page(e.into()))?
            .ok_or_else(|| bad(UNKNOWN_CLIENT))?;
        if let (Some(owner), Some(person)) = (client.organisation_id, organisation)
            && owner != person
        {
            return Err(bad(UNKNOWN_CLIENT));
        }
        (client, None)
    };
    let registered = oauth::redirect_uris_of(&client);
    // A metadata document's and a pre-registered client's redirect URIs are compared exactly;
    // a registered client's loopback URIs on any port (RFC 8252 §7.3).
    let exact = verified_domain.is_some() || client.organisation_id.is_some();
    let matches = |r: &String, uri: &str| {
        if exact {
            r == uri
        } else {
            oauth::redirect_uri_matches(r, uri)
        }
    };
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if registered.iter().any(|r| matches(r, uri)) => uri.to_string(),
        Some(_) => {
            return Err(bad(
                "The redirect URI is not one the application registered.",
            ));
        }
        // One registered URI may be left out (RFC 6749 §4.1.1); OAuth 2.1 requires it.
        None => return Err(bad("The request has no redirect_uri.")),
    };
    let checked = Checked {
        client,
        verified_domain,
        redirect_uri,
        state: params.state.clone(),
    };
    let refuse =
        |checked, code, text: &str| Err(Refusal::Redirect(Box::new(checked), code, text.into()));
    if params.response_type.as_deref() != Some("code") {
        return refuse(
            checked,
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = params.code_challenge.as_deref().filter(|c| c.len() == 43) else {
        return refuse(
            checked,
            "invalid_request",
            "a PKCE code_challenge (S256) is required",
        );
    };
    if params.code_challenge_method.as_deref() != Some("S256") {
        return refuse(
            checked,
            "invalid_request",
            "code_challenge_method must be S256",
        );
    }
    let ours = own_resources(state);
    let resource = match params.resource.as_deref() {
        None => ours[0].clone(),
        Some(r) => match ours.iter().find(|o| *o == r.trim_end_matches('/')) {
            Some(own) => own.clone(),
            None => {
                return refuse(
                    checked,
                    "invalid_target",
                    "resource must be this server's MCP endpoint",
                );
            }
        },
    };
    if let Some(scope) = params.scope.as_deref()
        && scope.split_whitespace().any(|s| s != oauth::SCOPE)
    {
        return refuse(checked, "invalid_scope", "the only scope is \"mcp\"");
    }
    Ok(Valid {
        checked,
        code_challenge: challenge.to_string(),
        resource,
    })
}

/// A 302 to the client's redirect URI with `pairs`, `state` and `iss` (RFC 9207).
fn redirect_back(state: &AppState, checked: &Checked, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut url = match url::Url::parse(&checked.redirect_uri) {
        Ok(url) => url,
        Err(_) => {
            return OAuthHttpError::page(StatusCode::BAD_REQUEST, "invalid redirect URI")
                .error_response_html();
        }
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(s) = &checked.state {
            query.append_pair("state", s);
        }
        query.append_pair("iss", &state.base_url());
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

impl OAuthHttpError {
    fn error_response_html(&self) -> HttpResponse {
        actix_web::ResponseError::error_response(self)
    }
}

fn refused(state: &AppState, refusal: Refusal) -> Result<HttpResponse, OAuthHttpError> {
    match refusal {
        Refusal::Page(e) => Err(e),
        Refusal::Redirect(checked, code, text) => Ok(redirect_back(
            state,
            &checked,
            &[("error", code), ("error_description", &text)],
        )),
    }
}

/// `GET /oauth/authorize`: checks the request, then sends a signed-out browser to the
/// dashboard's sign-in (coming back here) and shows a signed-in person the consent page.
pub async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AuthorizeParams>,
) -> Result<HttpResponse, OAuthHttpError> {
    let params = params.into_inner();
    let user = DashboardUser::of(&req).await?;
    // A metadata document is fetched for a signed-in person only: a stranger cannot make
    // this server send requests.
    let fetches = params
        .client_id
        .as_deref()
        .is_some_and(is_document_client_id);
    let valid = if user.is_none() && fetches {
        None
    } else {
        match check(
            &state,
            &params,
            user.as_ref().map(DashboardUser::organisation_id),
        )
        .await
        {
            Ok(valid) => Some(valid),
            Err(refusal) => return refused(&state, refusal),
        }
    };
    let (Some(user), Some(valid)) = (user, valid) else {
        let back = format!("/oauth/authorize?{}", req.query_string());
        let login: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", &back)
            .finish();
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, format!("/login?{login}")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    };
    require_manager(&user)?;
    let Some(cookie) = session::cookie_value(&req) else {
        return Err(OAuthHttpError::page(
            StatusCode::UNAUTHORIZED,
            "Sign in again.",
        ));
    };
    let db = &state.backend.db;
    let organisation = organisation::Entity::find_by_id(user.organisation_id())
        .one(db)
        .await
        .map_err(DashboardError::from)?
        .map(|o| o.name)
        .unwrap_or_default();
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(user.organisation_id()))
        .order_by_asc(tenant::Column::DisplayName)
        .all(db)
        .await
        .map_err(DashboardError::from)?
        .into_iter()
        .map(|t| TenantChoice {
            id: t.id,
            name: t.display_name,
        })
        .collect();
    let redirect_host = url::Url::parse(&valid.checked.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let csrf = oauth_consent::csrf_token(&cookie, &binding(&params));
    let view = ConsentView {
        client_name: valid.checked.client.client_name.clone(),
        verified_domain: valid.checked.verified_domain.clone(),
        registered_by_organisation: valid.checked.client.organisation_id
            == Some(user.organisation_id()),
        redirect_host,
        organisation,
        user_email: user.user.email.clone(),
        tenants,
        csrf,
        hidden: hidden_fields(&params),
    };
    let form_target = url::Url::parse(&valid.checked.redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            oauth_consent::content_security_policy(&form_target),
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Not `no-referrer`: browsers then send `Origin: null` with the form, which the
        // same-origin check refuses. `same-origin` still keeps the URL from the client.
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .content_type("text/html; charset=utf-8")
        .body(oauth_consent::render(&view)))
}

use crate::dashboard::DashboardError;

/// What a CSRF token is bound to besides the session: the request it approves.
fn binding(p: &AuthorizeParams) -> String {
    [
        &p.client_id,
        &p.redirect_uri,
        &p.code_challenge,
        &p.state,
        &p.resource,
        &p.scope,
    ]
    .iter()
    .map(|v| v.as_deref().unwrap_or(""))
    .collect::<Vec<_>>()
    .join("\u{0}")
}

/// The request's parameters, carried through the consent form.
fn hidden_fields(p: &AuthorizeParams) -> Vec<(&'static str, String)> {
    [
        ("response_type", &p.response_type),
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("state", &p.state),
        ("resource", &p.resource),
        ("scope", &p.scope),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
    .collect()
}

/// `POST /oauth/authorize`: the consent form's answer. Same origin, signed in, the page's
/// CSRF token; then `allow` issues a code for the chosen tenants and `deny` answers
/// `access_denied`, both by redirect.
pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, OAuthHttpError> {
    let form = form.into_inner();
    crate::dashboard::csrf::check_same_origin(
        &req,
        state.config.public_url.as_deref(),
        &state.config.trusted_proxies,
    )
    .map_err(|_| {
        OAuthHttpError::page(
            StatusCode::FORBIDDEN,
            "This form was sent from another site.",
        )
    })?;
    let (Some(user), Some(cookie)) = (DashboardUser::of(&req).await?, session::cookie_value(&req))
    else {
        return Err(OAuthHttpError::page(
            StatusCode::UNAUTHORIZED,
            "Your dashboard session has ended: sign in and start again from the application.",
        ));
    };
    let valid = match check(&state, &form.params, Some(user.organisation_id())).await {
        Ok(valid) => valid,
        Err(refusal) => return refused(&state, refusal),
    };
    require_manager(&user)?;
    let csrf_ok = form
        .csrf
        .as_deref()
        .is_some_and(|t| oauth_consent::csrf_matches(&cookie, &binding(&form.params), t));
    if !csrf_ok {
        return Err(OAuthHttpError::page(
            StatusCode::FORBIDDEN,
            "This consent form has expired or was not sent from aether365's page. Start again from the application.",
        ));
    }
    match form.decision.as_deref() {
        Some("allow") => {}
        Some("deny") => {
            return Ok(redirect_back(
                &state,
                &valid.checked,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the person declined"),
                ],
            ));
        }
        _ => {
            return Err(OAuthHttpError::page(
                StatusCode::BAD_REQUEST,
                "Choose Allow or Deny.",
            ));
        }
    }
    let tenant_scope = match form.tenant.as_deref().unwrap_or("all") {
        "all" => TenantScope::All,
        id => TenantScope::Only(vec![id.parse().map_err(|_| {
            OAuthHttpError::page(StatusCode::BAD_REQUEST, "Choose all tenants or one tenant.")
        })?]),
    };
    let code = oauth::issue_code(
        &state.backend.db,
        &state.backend.token_key,
        Approval {
            client_id: valid.checked.client.client_id.clone(),
            redirect_uri: valid.checked.redirect_uri.clone(),
            code_challenge: valid.code_challenge,
            resource: valid.resource,
            scope: oauth::SCOPE.to_string(),
            organisation_id: user.organisation_id(),
            user_id: user.user.id,
            tenant_scope,
        },
    )
    .await
    .map_err(|e| match e {
        OAuthError::Scope(e) => OAuthHttpError::page(StatusCode::BAD_REQUEST, e.to_string()),
        other => other.into(),
    })?;
    Ok(redirect_back(&state, &valid.checked, &[("code", &code)]))
}

/// A token request (RFC 6749 §4.1.3 and §6).
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub resource: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(t: IssuedTokens) -> Self {
        TokenResponse {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scope: t.scope,
        }
    }
}

/// `POST /oauth/token`: exchanges a code or rotates a refresh token.
pub async fn token(
    state: web::Data<AppState>,
    form: web::Form<TokenRequest>,
) -> Result<HttpResponse, OAuthHttpError> {
    let form = form.into_inner();
    let missing =
        |name: &str| OAuthHttpError::request("invalid_request", format!("{name} is missing"));
    let client_id = form.client_id.ok_or_else(|| missing("client_id"))?;
    if oauth::find_client(&state.backend.db, &client_id)
        .await?
        .is_none()
    {
        return Err(OAuthError::InvalidClient.into());
    }
    if let Some(resource) = &form.resource
        && !own_resources(&state).contains(&resource.trim_end_matches('/').to_string())
    {
        return Err(OAuthError::InvalidTarget.into());
    }
    let resource = form.resource.map(|r| r.trim_end_matches('/').to_string());
    let (db, key) = (&state.backend.db, &state.backend.token_key);
    let issued = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            oauth::exchange_code(
                db,
                key,
                CodeExchange {
                    code: form.code.ok_or_else(|| missing("code"))?,
                    client_id,
                    redirect_uri: form.redirect_uri.ok_or_else(|| missing("redirect_uri"))?,
                    code_verifier: form.code_verifier.ok_or_else(|| missing("code_verifier"))?,
                    resource,
                },
            )
            .await
        }
        Some("refresh_token") => {
            oauth::refresh(
                db,
                key,
                RefreshExchange {
                    refresh_token: form.refresh_token.ok_or_else(|| missing("refresh_token"))?,
                    client_id,
                    resource,
                },
            )
            .await
        }
        _ => {
            return Err(OAuthHttpError::request(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ));
        }
    };
    if let Err(OAuthError::GrantRevoked { grant_id, .. }) = &issued {
        closed(&state, *grant_id).await;
    }
    let issued = issued?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse::from(issued)))
}

/// A revocation request (RFC 7009 §2.1).
#[derive(Debug, Deserialize)]
pub struct RevokeRequest {
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
}

/// `POST /oauth/revoke`: revokes the grant of an access or refresh token; 200 whether or not
/// the token was known.
pub async fn revoke(
    state: web::Data<AppState>,
    form: web::Form<RevokeRequest>,
) -> Result<HttpResponse, OAuthHttpError> {
    let form = form.into_inner();
    let token = form
        .token
        .ok_or_else(|| OAuthHttpError::request("invalid_request", "token is missing"))?;
    let revoked = oauth::revoke(
        &state.backend.db,
        &state.backend.token_key,
        &token,
        form.client_id.as_deref(),
    )
    .await?;
    if let Some(grant_id) = revoked {
        closed(&state, grant_id).await;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({})))
}

/// Tells this instance's validator at once that a grant is revoked: its tokens stop working
/// before the answer leaves, and its sessions close (other instances hear through the bus).
async fn closed(state: &AppState, grant_id: i64) {
    if let Err(e) = state.backend.tokens.send(TokenRevoked(grant_id)).await {
        tracing::warn!(
            grant_id,
            "cannot tell the validator of a revoked grant: {e}"
        );
    }
}

/// Connecting an assistant issues a token: only a person who may create tokens (an owner or
/// an admin) may approve it, as in Settings > MCP.
fn require_manager(user: &DashboardUser) -> Result<(), OAuthHttpError> {
    if user.can_manage() {
        Ok(())
    } else {
        Err(OAuthHttpError::page(
            StatusCode::FORBIDDEN,
            "Only an owner or admin of your organisation may connect an assistant (the viewer role may read the dashboard but not create tokens): ask one of them.",
        ))
    }
}
