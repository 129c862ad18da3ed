//! The pages: `/` (redirect), `/login`, the application pages (one shell, `app.html`, whose
//! script renders each page from the REST API), `/settings/mcp`, and their CSS and JS under
//! `/assets/`. Static files embedded in the binary; no inline script; the one third-party
//! file is Chart.js (MIT, vendored with its licence under `assets/vendor/`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::DashboardError;
use super::session::DashboardUser;

/// The Content-Security-Policy of every page: our own scripts and styles only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const LOGIN_HTML: &str = include_str!("assets/login.html");
const MCP_HTML: &str = include_str!("assets/mcp.html");
const APP_HTML: &str = include_str!("assets/app.html");

/// The pages served by the application shell (deep links: each is its own URL).
pub const APP_PAGES: [&str; 12] = [
    "/overview",
    "/findings",
    "/findings/{id}",
    "/scans",
    "/scans/compare",
    "/scans/{id}",
    "/tenants",
    "/reports",
    "/reports/{id}",
    "/frameworks/{framework}",
    "/people",
    "/alerts",
];

/// The embedded assets: name, content type, body.
const ASSETS: [(&str, &str, &str); 7] = [
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("assets/dashboard.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/common.js"),
    ),
    (
        "login.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/login.js"),
    ),
    (
        "mcp.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/mcp.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    ),
    (
        "chart.umd.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/vendor/chart.umd.js"),
    ),
    (
        "chart.js.LICENSE.md",
        "text/plain; charset=utf-8",
        include_str!("assets/vendor/chart.js.LICENSE.md"),
    ),
];

/// A response with the security headers every dashboard page carries.
fn secured(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    builder
}

fn page(html: &'static str) -> HttpResponse {
    secured(HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

fn redirect(to: &'static str) -> HttpResponse {
    secured(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, to))
        .finish()
}

/// `GET /`: to the overview.
pub async fn index() -> HttpResponse {
    redirect("/overview")
}

/// Where the login page offers "Sign in with Microsoft" (replaced by the button when the
/// operator's Entra application is configured, else removed).
const MICROSOFT_MARKER: &str = "<!-- sign-in-with-microsoft -->";

/// The "Sign in with Microsoft" button of the login page, carrying the page's `next` when it
/// is a path of this site (so an OAuth authorization waiting for consent comes back).
fn microsoft_button(next: Option<&str>) -> String {
    let href = match next.and_then(aether365_actors::microsoft_sign_in::safe_next) {
        Some(next) => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("/login/microsoft?{query}")
        }
        None => "/login/microsoft".to_string(),
    };
    format!(
        "<p class=\"login-or\">or</p>\n    \
         <a id=\"microsoft-sign-in\" class=\"button wide\" href=\"{}\">Sign in with Microsoft</a>",
        aether365_actors::alerts::escape_html(&href)
    )
}

/// `GET /login`: the password form, and "Sign in with Microsoft" when it is configured.
pub async fn login(req: HttpRequest, state: web::Data<crate::http::AppState>) -> HttpResponse {
    // Offered when the operator's Entra application is configured (the collector's).
    let html = if state.backend.collector.is_some() {
        let next = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(name, _)| name == "next")
            .map(|(_, value)| value.into_owned());
        LOGIN_HTML.replace(MICROSOFT_MARKER, &microsoft_button(next.as_deref()))
    } else {
        LOGIN_HTML.replace(MICROSOFT_MARKER, "")
    };
    secured(HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// `GET /settings/mcp`: the page, or to `/login` without a session.
pub async fn settings_mcp(req: HttpRequest) -> Result<HttpResponse, DashboardError> {
    Ok(match DashboardUser::of(&req).await? {
        Some(_) => page(MCP_HTML),
        None => redirect("/login"),
    })
}

/// `GET` of an application page: the shell, or to `/login` without a session.
pub async fn app(req: HttpRequest) -> Result<HttpResponse, DashboardError> {
    Ok(match DashboardUser::of(&req).await? {
        Some(_) => page(APP_HTML),
        None => redirect("/login"),
    })
}

/// `GET /assets/{name}`.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, content_type, body)) => secured(HttpResponse::Ok())
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .content_type(*content_type)
            .body(*body),
        None => secured(HttpResponse::NotFound())
            .content_type("text/plain; charset=utf-8")
            .body("not found"),
    }
}
