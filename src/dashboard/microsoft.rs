//! "Sign in with Microsoft": OpenID Connect through the operator's Entra application
//! (multi-tenant `organizations`, authorization code with PKCE S256, `state` and `nonce`,
//! scopes `openid profile email`); see docs/dashboard.md.
//!
//! `GET /login/microsoft[?next=/path]` starts a flow (`aether365_actors::microsoft_sign_in`),
//! sets a browser-binding cookie (carrying `next` when it is a path of this site) and sends the
//! browser to Microsoft; at most [`STARTS_PER_ADDRESS`] starts per client address within
//! [`STARTS_WINDOW`] (each start is an audit row, so the count holds across instances), then 429. Microsoft sends it back to
//! `GET /login/microsoft/callback`, which consumes the flow (single use, same browser), has the
//! collector redeem the code with the application's credential and validate the ID token, and
//! signs in the person that identity is among the organisations' people, or shows a refusal.
//! Nothing here creates an organisation or a person.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use aether365_actors::audit::{self, ActorKind, AuditEvent, Outcome};
use aether365_actors::microsoft_sign_in::{self, MicrosoftSignInError, Recognised};
use aether365_collector::{Collector, ReadError, SignInError};
use chrono::Utc;
use serde::Deserialize;

use super::error::DashboardError;
use super::login::client_addr;
use super::oauth_consent::escape;
use super::pages::CONTENT_SECURITY_POLICY;
use super::session::{self, BindingCookie, secure_cookies};
use super::throttle;
use crate::http::AppState;

/// Where the browser starts.
pub const START_PATH: &str = "/login/microsoft";
/// Where Microsoft sends the browser back: the redirect URI to register in Entra.
pub const CALLBACK_PATH: &str = "/login/microsoft/callback";

/// The browser-binding cookie when the public URL is https (`__Host-`: Secure, Path=/, no Domain).
pub const BINDING_COOKIE_SECURE: &str = "__Host-aether365_msignin";
/// The browser-binding cookie over plain http (local use).
pub const BINDING_COOKIE_PLAIN: &str = "aether365_msignin";

/// The audit action of a refused sign-in with Microsoft (not counted by the password throttle).
pub const REFUSED: &str = "dashboard.login_microsoft_refused";
/// The audit action of a started sign-in with Microsoft: counted per address for the limit.
pub const STARTED: &str = "dashboard.login_microsoft_started";
/// Sign-ins with Microsoft one client address may start within [`STARTS_WINDOW`].
pub const STARTS_PER_ADDRESS: u64 = 20;
/// The window of [`STARTS_PER_ADDRESS`].
pub const STARTS_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The query of `GET /login/microsoft`.
#[derive(Debug, Default, Deserialize)]
pub struct Start {
    /// Where to go once signed in: a path of this site, else ignored.
    #[serde(default)]
    pub next: Option<String>,
}

/// What Microsoft appends to the redirect URI.
#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Why a sign-in with Microsoft signs nobody in.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error(transparent)]
    Flow(#[from] MicrosoftSignInError),
    #[error(transparent)]
    Microsoft(#[from] SignInError),
    #[error("Microsoft did not sign you in ({error}): {description}")]
    Declined { error: String, description: String },
    #[error("Microsoft's answer carries no authorization code: sign in again")]
    NoCode,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Microsoft(SignInError::Authority(
                ReadError::Network { .. }
                | ReadError::Unavailable { .. }
                | ReadError::Throttled { .. },
            )) => StatusCode::BAD_GATEWAY,
            Refusal::NoCode => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// The cookie binding the flow to the browser that started it.
const BINDING: BindingCookie = BindingCookie {
    secure_name: BINDING_COOKIE_SECURE,
    plain_name: BINDING_COOKIE_PLAIN,
    lifetime: microsoft_sign_in::STATE_LIFETIME,
};

fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.base_url())
}

/// A small server-rendered page (no script) with the dashboard's security headers.
fn html(status: StatusCode, title: &str, body: &str, refresh_to: Option<&str>) -> HttpResponse {
    let refresh = refresh_to
        .map(|to| {
            format!(
                "<meta http-equiv=\"refresh\" content=\"0;url={}\">\n  ",
                escape(to)
            )
        })
        .unwrap_or_default();
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  {refresh}\
         <title>{title} · aether365</title>\n  <link rel=\"icon\" href=\"data:,\">\n  \
         <link rel=\"stylesheet\" href=\"/assets/dashboard.css\">\n</head>\n\
         <body class=\"login-page\">\n  <main class=\"login-card\">\n    \
         <p class=\"brand\"><span class=\"brand-mark\" aria-hidden=\"true\">◆</span> aether365</p>\n    \
         <h1>{title}</h1>\n    {body}\n  </main>\n</body>\n</html>\n",
        title = escape(title),
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(page)
}

fn refusal_page(status: StatusCode, message: &str) -> HttpResponse {
    html(
        status,
        "Not signed in",
        &format!(
            "<p id=\"refusal\" class=\"alert alert-error\" role=\"alert\">{}</p>\n    \
             <p><a class=\"button wide\" href=\"/login\">Back to sign-in</a></p>",
            escape(message)
        ),
        None,
    )
}

/// `GET /login/microsoft`: starts a flow and sends the browser to Microsoft.
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Start>,
) -> Result<HttpResponse, DashboardError> {
    let Some(collector) = state.backend.collector.as_deref() else {
        return Ok(refusal_page(
            StatusCode::CONFLICT,
            "Sign in with Microsoft is not configured on this server: sign in with your email \
             and password",
        ));
    };
    let db = &state.backend.db;
    let addr = client_addr(&req);
    // One start of an address at a time, so the count each one checks includes the others.
    let _turn = throttle::turn(&addr).await?;
    if let Err(retry_after) =
        throttle::recent_within(db, STARTED, &addr, STARTS_PER_ADDRESS, STARTS_WINDOW).await?
    {
        tracing::warn!(client_addr = %addr, "sign-in with Microsoft refused: too many starts");
        let minutes = retry_after.as_secs().div_ceil(60).max(1);
        let mut page = refusal_page(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Too many sign-ins with Microsoft were started from your address: try again in \
                 {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            ),
        );
        page.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(retry_after.as_secs().max(1)),
        );
        return Ok(page);
    }
    audit::write_one(
        db,
        AuditEvent::new(ActorKind::Anonymous, STARTED)
            .client_addr(Some(addr.clone()))
            .user_agent(user_agent(&req)),
    )
    .await?;
    let started = microsoft_sign_in::begin(db, Utc::now(), query.next.as_deref())
        .await
        .map_err(flow_failure)?;
    let url = collector.login_url(
        &redirect_uri(&state),
        &started.state,
        &started.nonce,
        &started.pkce_verifier,
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::SET_COOKIE,
            BINDING.set(
                state.config.public_url.as_deref(),
                Some(&started.browser_secret),
            ),
        ))
        .finish())
}

fn flow_failure(e: MicrosoftSignInError) -> DashboardError {
    match e {
        MicrosoftSignInError::Db(e) => DashboardError::Database(e),
        other => DashboardError::failed("sign in with Microsoft", other),
    }
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(256).collect())
}

/// Who the callback signs in, or why nobody.
async fn verify(
    state: &AppState,
    collector: &Collector,
    binding: Option<&str>,
    query: Callback,
) -> Result<(aether365_entities::user::Model, Recognised, String), Refusal> {
    let db = &state.backend.db;
    let now = Utc::now();
    let flow =
        microsoft_sign_in::finish(db, query.state.as_deref().unwrap_or_default(), binding, now)
            .await?;
    if let Some(error) = query.error {
        return Err(Refusal::Declined {
            error,
            description: query.error_description.unwrap_or_default(),
        });
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or(Refusal::NoCode)?;
    let token = collector
        .redeem_login(
            &code,
            &redirect_uri(state),
            &flow.pkce_verifier,
            &flow.nonce,
            now,
        )
        .await?;
    let identity = format!(
        "Microsoft identity {} of tenant {}",
        token
            .email
            .as_deref()
            .or(token.username.as_deref())
            .or(token.object_id.as_deref())
            .unwrap_or("?"),
        token.tenant_id
    );
    let (person, how) = microsoft_sign_in::person_of(db, &token, now).await?;
    Ok((person, how, identity))
}

/// `GET /login/microsoft/callback`: signs the person in, or shows why not.
///
/// The browser arrives cross-site, so the session cookie set here (SameSite=Strict) would not
/// go with a redirect: the answer is a page that moves on by itself, to the flow's `next`
/// (an OAuth authorization waiting for consent) or the overview.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Callback>,
) -> Result<HttpResponse, DashboardError> {
    let Some(collector) = state.backend.collector.clone() else {
        return Ok(refusal_page(
            StatusCode::CONFLICT,
            "Sign in with Microsoft is not configured on this server",
        ));
    };
    let binding = BINDING.presented(&req, state.config.public_url.as_deref());
    let outcome = verify(&state, &collector, binding.as_deref(), query.into_inner()).await;
    // The flow accepted this cookie value whole, so its `next` is the one the flow started with.
    let next = binding
        .as_deref()
        .and_then(microsoft_sign_in::next_of)
        .unwrap_or_else(|| "/overview".to_string());
    let clear = (
        header::SET_COOKIE,
        BINDING.set(state.config.public_url.as_deref(), None),
    );
    let event = AuditEvent::new(ActorKind::Anonymous, REFUSED)
        .client_addr(Some(client_addr(&req)))
        .user_agent(user_agent(&req));
    let (person, how, identity) = match outcome {
        Ok(found) => found,
        Err(Refusal::Flow(MicrosoftSignInError::Db(e))) => return Err(DashboardError::Database(e)),
        Err(refusal) => {
            audit::write_one(
                &state.backend.db,
                event.outcome(Outcome::Denied).detail(refusal.to_string()),
            )
            .await?;
            tracing::warn!(client_addr = %client_addr(&req), reason = %refusal, "sign-in with Microsoft refused");
            let mut page = refusal_page(refusal.status(), &refusal.to_string());
            if let Ok(value) = header::HeaderValue::from_str(&clear.1) {
                page.headers_mut().append(header::SET_COOKIE, value);
            }
            return Ok(page);
        }
    };
    let (id, _) = session::open(&state.backend.db, &person).await?;
    let detail = match how {
        Recognised::LinkedIdentity => format!("signed in with {identity}"),
        Recognised::EmailNowLinked => {
            format!("signed in with {identity}, linked to this person by verified email")
        }
    };
    let event = AuditEvent {
        action: "dashboard.login".into(),
        ..event
    };
    audit::write_one(
        &state.backend.db,
        event
            .organisation(person.organisation_id)
            .actor_kind(ActorKind::User)
            .actor_id(person.id)
            .actor_label(person.email.clone())
            .detail(detail),
    )
    .await?;
    tracing::info!(user_id = person.id, "dashboard sign-in with Microsoft");
    let mut page = html(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<p>Signed in as {}.</p>\n    <p><a class=\"button primary wide\" href=\"{}\">Continue</a></p>",
            escape(&person.email),
            escape(&next)
        ),
        Some(&next),
    );
    for cookie in [
        session::set_cookie(
            Some(&id),
            secure_cookies(state.config.public_url.as_deref()),
        ),
        clear.1,
    ] {
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            page.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(page)
}
