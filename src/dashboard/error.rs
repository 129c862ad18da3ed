//! Errors of the dashboard, and their one mapping to HTTP: RFC 9457 problem details
//! (`application/problem+json`) with two extension members, `error` (a stable code) and
//! `message` (the same text as `detail`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use aether365_actors::audit::AuditError;
use aether365_actors::directory::DirectoryError;
use aether365_actors::tokens::TokenError;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// Errors answered by the dashboard API. Internals are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins from this address; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// A quota of the organisation is used up (concurrent scans): retry after `retry_after`.
    #[error("{message}")]
    OverQuota {
        message: String,
        retry_after: Duration,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("cross-origin request refused (origin {0:?})")]
    ForbiddenOrigin(String),
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    #[error("{0}")]
    NotFound(String),
    /// Over a size limit (a section of an imported export): 413.
    #[error("{0}")]
    TooLarge(String),
    /// The change conflicts with the current state (an existing email, the last owner).
    #[error("{0}")]
    Conflict(String),
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// A feature this server is not configured for (e.g. live collection): a state of the
    /// server, not a failure, so 409.
    #[error("{0}")]
    NotConfigured(String),
    /// A backend actor cannot be reached (stopped or restarting): retry.
    #[error("{0}")]
    Unavailable(String),
    /// Microsoft 365 failed or refused while serving the request.
    #[error("{0}")]
    BadGateway(String),
    /// The server was built without the application state a handler needs: 500.
    #[error("internal error: application state missing")]
    MissingState,
    /// The database failed: 500.
    #[error("internal error: database")]
    Database(#[from] sea_orm::DbErr),
    /// The audit trail could not be written: 500.
    #[error("internal error: audit trail")]
    Audit(#[from] AuditError),
    /// Another layer failed (queries, directory, tokens, people, scans, exports...): 500.
    #[error("internal error: {0}")]
    Failed(#[source] crate::errors::Failure),
}

/// Internal variants' causes are logged (once, with every source, by [`DashboardError::problem`])
/// and never sent.
impl DashboardError {
    /// A failure of another layer, its error kept as the source.
    pub fn failed(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DashboardError {
        DashboardError::Failed(crate::errors::Failure::new(context, source))
    }

    /// Whether this is a server-side failure (500), whose details stay in the log.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            DashboardError::MissingState
                | DashboardError::Database(_)
                | DashboardError::Audit(_)
                | DashboardError::Failed(_)
        )
    }
}

impl DashboardError {
    /// The machine-readable code of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            DashboardError::Unauthenticated => "unauthenticated",
            DashboardError::InvalidCredentials => "invalid_credentials",
            DashboardError::RateLimited { .. } => "too_many_requests",
            DashboardError::OverQuota { .. } => "over_quota",
            DashboardError::Forbidden(_) => "forbidden",
            DashboardError::ForbiddenOrigin(_) => "forbidden_origin",
            DashboardError::UnsupportedMediaType => "unsupported_media_type",
            DashboardError::BadRequest(_) => "bad_request",
            DashboardError::InvalidJson(_) => "invalid_json",
            DashboardError::NotFound(_) => "not_found",
            DashboardError::TooLarge(_) => "too_large",
            DashboardError::Conflict(_) => "conflict",
            DashboardError::MethodNotAllowed(_) => "method_not_allowed",
            DashboardError::NotConfigured(_) => "not_configured",
            DashboardError::Unavailable(_) => "unavailable",
            DashboardError::BadGateway(_) => "upstream_failed",
            DashboardError::MissingState
            | DashboardError::Database(_)
            | DashboardError::Audit(_)
            | DashboardError::Failed(_) => "internal",
        }
    }
}

/// An RFC 9457 problem details document, as every API error is answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:aether365:problem:<error>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, and what to do about it.
    pub detail: String,
    /// A stable machine-readable code.
    pub error: String,
    /// The same text as `detail` (kept for existing clients).
    pub message: String,
}

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl DashboardError {
    /// A short summary of the kind of problem (the problem's `title`).
    pub fn title(&self) -> &'static str {
        match self {
            DashboardError::Unauthenticated => "Sign-in required",
            DashboardError::InvalidCredentials => "Wrong email or password",
            DashboardError::RateLimited { .. } => "Too many attempts",
            DashboardError::OverQuota { .. } => "Quota exceeded",
            DashboardError::Forbidden(_) => "Not allowed for your role",
            DashboardError::ForbiddenOrigin(_) => "Cross-origin request refused",
            DashboardError::UnsupportedMediaType => "Unsupported media type",
            DashboardError::BadRequest(_) => "Invalid request",
            DashboardError::InvalidJson(_) => "Invalid JSON body",
            DashboardError::NotFound(_) => "Not found",
            DashboardError::TooLarge(_) => "Too large",
            DashboardError::Conflict(_) => "Conflict",
            DashboardError::MethodNotAllowed(_) => "Method not allowed",
            DashboardError::NotConfigured(_) => "Not configured on this server",
            DashboardError::Unavailable(_) => "Temporarily unavailable",
            DashboardError::BadGateway(_) => "Microsoft 365 failed",
            DashboardError::MissingState
            | DashboardError::Database(_)
            | DashboardError::Audit(_)
            | DashboardError::Failed(_) => "Internal error",
        }
    }

    /// The problem details document of this error.
    pub fn problem(&self) -> Problem {
        let detail = if self.is_internal() {
            tracing::error!("dashboard: {}", crate::errors::chain(self));
            "internal error; the details are in the server log".to_string()
        } else {
            self.to_string()
        };
        Problem {
            kind: format!("urn:aether365:problem:{}", self.code()),
            title: self.title().to_string(),
            status: self.status_code().as_u16(),
            detail: detail.clone(),
            error: self.code().to_string(),
            message: detail,
        }
    }
}

impl From<aether365_actors::query::QueryError> for DashboardError {
    fn from(e: aether365_actors::query::QueryError) -> Self {
        use aether365_actors::query::QueryError;
        match e {
            QueryError::NotFound(what) => DashboardError::NotFound(format!("no {what}")),
            QueryError::InvalidArgument(text) => DashboardError::BadRequest(text),
            QueryError::Unavailable(text) => DashboardError::Unavailable(text),
            QueryError::Database(e) => DashboardError::Database(e),
            unreadable @ QueryError::Unreadable(_) => DashboardError::failed("query", unreadable),
        }
    }
}

impl From<DirectoryError> for DashboardError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Invalid(text) => DashboardError::BadRequest(text),
            DirectoryError::ExportInFuture(_) => DashboardError::BadRequest(e.to_string()),
            DirectoryError::UserExists(_) | DirectoryError::TenantExists(_) => {
                DashboardError::Conflict(e.to_string())
            }
            DirectoryError::TenantNotFound(_) | DirectoryError::OrganisationNotFound(_) => {
                DashboardError::NotFound(e.to_string())
            }
            DirectoryError::Db(e) => DashboardError::Database(e),
            other => DashboardError::failed("directory", other),
        }
    }
}

impl From<TokenError> for DashboardError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::InvalidLabel(_) | TokenError::EmptyScope | TokenError::InvalidExpiry(_) => {
                DashboardError::BadRequest(e.to_string())
            }
            // A tenant of another organisation reads exactly like one that does not exist.
            TokenError::UnknownTenant(id) => DashboardError::BadRequest(format!("no tenant {id}")),
            TokenError::NotFound(id) => DashboardError::NotFound(format!("no token {id}")),
            TokenError::Db(e) => DashboardError::Database(e),
            TokenError::Audit(e) => DashboardError::Audit(e),
            other => DashboardError::failed("tokens", other),
        }
    }
}

impl ResponseError for DashboardError {
    fn status_code(&self) -> StatusCode {
        match self {
            DashboardError::Unauthenticated | DashboardError::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            DashboardError::RateLimited { .. } | DashboardError::OverQuota { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            DashboardError::Forbidden(_) | DashboardError::ForbiddenOrigin(_) => {
                StatusCode::FORBIDDEN
            }
            DashboardError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DashboardError::BadRequest(_) | DashboardError::InvalidJson(_) => {
                StatusCode::BAD_REQUEST
            }
            DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
            DashboardError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            DashboardError::Conflict(_) => StatusCode::CONFLICT,
            DashboardError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            DashboardError::NotConfigured(_) => StatusCode::CONFLICT,
            DashboardError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            DashboardError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            DashboardError::MissingState
            | DashboardError::Database(_)
            | DashboardError::Audit(_)
            | DashboardError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let DashboardError::RateLimited { retry_after }
        | DashboardError::OverQuota { retry_after, .. } = self
        {
            response.insert_header((
                header::RETRY_AFTER,
                retry_after.as_secs().max(1).to_string(),
            ));
        }
        response
            .content_type(PROBLEM_JSON)
            .body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_database_failure_keeps_its_cause_for_the_log_only() {
        let err = DashboardError::from(sea_orm::DbErr::Custom("table scan locked".into()));
        assert!(std::error::Error::source(&err).is_some());
        assert!(crate::errors::chain(&err).contains("table scan locked"));
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert_eq!(problem.error, "internal");
        assert_eq!(problem.title, "Internal error");
        assert_eq!(
            problem.detail,
            "internal error; the details are in the server log"
        );
        let audit = DashboardError::from(AuditError::from(sea_orm::DbErr::Custom("x".into())));
        assert_eq!(audit.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(crate::errors::chain(&audit).ends_with("Custom Error: x"));
        let failed = DashboardError::failed("scans", actix::MailboxError::Closed);
        assert_eq!(
            crate::errors::chain(&failed),
            "internal error: scans: Mailbox has closed"
        );
        assert_eq!(failed.problem().status, 500);
    }
}

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
