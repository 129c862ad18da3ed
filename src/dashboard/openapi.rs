//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers and their types
//! (`utoipa`), served at `GET /api/v1/openapi.json`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

#[cfg(test)]
use super::error::PROBLEM_JSON;
use super::error::Problem;
use super::{
    api, audit, connect, exports, findings, login, overview, people, reports, scans, tenants,
    tokens,
};

/// The errors every route may answer, as RFC 9457 problem details.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Problems {
    /// A parameter or body that cannot be used as given.
    #[response(
        status = 400,
        description = "Invalid request",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// No live session (or wrong credentials when signing in).
    #[response(
        status = 401,
        description = "Sign-in required",
        content_type = "application/problem+json"
    )]
    Unauthenticated(Problem),
    /// The role may not do this, or the request came from another origin.
    #[response(
        status = 403,
        description = "Not allowed",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    /// No such object in the organisation.
    #[response(
        status = 404,
        description = "Not found",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    /// Another method is needed.
    #[response(
        status = 405,
        description = "Method not allowed",
        content_type = "application/problem+json"
    )]
    MethodNotAllowed(Problem),
    /// The change conflicts with the current state, or needs a feature this server is not
    /// configured for (live collection).
    #[response(
        status = 409,
        description = "Conflict, or not configured on this server",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    /// A body that is too large.
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    /// A state-changing request whose body is not JSON.
    #[response(
        status = 415,
        description = "Unsupported media type",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(Problem),
    /// Too many failed sign-ins from this address.
    #[response(
        status = 429,
        description = "Too many attempts",
        content_type = "application/problem+json"
    )]
    RateLimited(Problem),
    /// Microsoft 365 failed while serving the request.
    #[response(
        status = 502,
        description = "Microsoft 365 failed",
        content_type = "application/problem+json"
    )]
    BadGateway(Problem),
    /// A backend actor restarting: retry.
    #[response(
        status = 503,
        description = "Temporarily unavailable",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// The session cookie as the API's security scheme.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::session::COOKIE_NAME,
                "The session cookie set by POST /api/v1/session",
            ))),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "aether365 dashboard API",
        description = "Posture, findings, scans, tenants, reports, people and MCP tokens of the \
            signed-in user's organisation. Errors are RFC 9457 problem details. State-changing \
            requests must be JSON and same-origin.",
    ),
    paths(
        login::login, login::logout, api::me, api::mcp_settings,
        overview::overview,
        findings::list_findings, findings::get_finding,
        scans::list, scans::start, scans::get, scans::events, scans::compare,
        exports::download,
        tenants::list, tenants::import, connect::start, connect::notices,
        reports::list, reports::get, reports::download,
        people::list, people::invite, people::change_role, people::remove,
        tokens::list, tokens::create, tokens::revoke,
        audit::list,
    ),
    components(schemas(Problem)),
    modifiers(&SessionCookie),
    security(("session" = [])),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_route() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/overview",
            "/api/v1/findings",
            "/api/v1/findings/{id}",
            "/api/v1/scans",
            "/api/v1/scans/compare",
            "/api/v1/scans/{id}/events",
            "/api/v1/tenants/{id}/imports",
            "/api/v1/reports/{id}/download",
            "/api/v1/people/{id}",
            "/api/v1/tokens/{id}",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
        let problem = &doc["paths"]["/api/v1/people"]["post"]["responses"]["403"]["content"];
        assert!(problem.get(PROBLEM_JSON).is_some(), "{problem}");
    }
}
