//! Errors of the OAuth endpoints: JSON (RFC 6749 §5.2) for the token, registration and
//! revocation endpoints; an HTML page for authorization requests that cannot be redirected.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use aether365_actors::oauth::OAuthError;
use serde_json::json;

use crate::dashboard::DashboardError;

/// An OAuth endpoint's refusal.
#[derive(Debug, thiserror::Error)]
pub enum OAuthHttpError {
    /// Refused by the store (bad grant, unknown client, …).
    #[error(transparent)]
    Store(#[from] OAuthError),
    /// A malformed request: `error` is the RFC code (`invalid_request`, `unsupported_grant_type`,
    /// `invalid_client_metadata`, …).
    #[error("{description}")]
    Request {
        error: &'static str,
        description: String,
    },
    /// An authorization request shown as a page, never redirected (the redirect URI is not
    /// known to be the client's, or the browser's session or CSRF token is wrong).
    #[error("{message}")]
    Page { status: StatusCode, message: String },
    /// A `client_id` URL whose metadata document cannot be used: shown on a page (there is no
    /// redirect URI to trust).
    #[error(transparent)]
    Document(aether365_actors::oauth::document::DocumentError),
    /// The session lookup failed.
    #[error(transparent)]
    Session(#[from] DashboardError),
}

impl OAuthHttpError {
    /// A malformed request.
    pub fn request(error: &'static str, description: impl Into<String>) -> Self {
        OAuthHttpError::Request {
            error,
            description: description.into(),
        }
    }

    /// A page with `status` saying `message`.
    pub fn page(status: StatusCode, message: impl Into<String>) -> Self {
        OAuthHttpError::Page {
            status,
            message: message.into(),
        }
    }
}

impl ResponseError for OAuthHttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthHttpError::Store(OAuthError::InvalidClient) => StatusCode::UNAUTHORIZED,
            OAuthHttpError::Store(OAuthError::TooManyRegistrations) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            OAuthHttpError::Store(OAuthError::Db(_) | OAuthError::Audit(_)) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            OAuthHttpError::Store(_) | OAuthHttpError::Request { .. } => StatusCode::BAD_REQUEST,
            OAuthHttpError::Page { status, .. } => *status,
            OAuthHttpError::Document(_) => StatusCode::BAD_REQUEST,
            OAuthHttpError::Session(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            OAuthHttpError::Page { message, .. } => response
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    crate::dashboard::pages::CONTENT_SECURITY_POLICY,
                ))
                .content_type("text/html; charset=utf-8")
                .body(crate::dashboard::oauth_consent::error_page(message)),
            OAuthHttpError::Document(e) => response
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    crate::dashboard::pages::CONTENT_SECURITY_POLICY,
                ))
                .content_type("text/html; charset=utf-8")
                .body(crate::dashboard::oauth_consent::error_page(&format!(
                    "This application cannot be used: {e}."
                ))),
            OAuthHttpError::Session(e) => e.error_response(),
            OAuthHttpError::Store(e) => {
                let description = match e {
                    OAuthError::Db(_) | OAuthError::Audit(_) => {
                        tracing::error!("OAuth request failed: {e}");
                        "the server could not answer; try again".to_string()
                    }
                    other => other.to_string(),
                };
                response.json(json!({"error": e.code(), "error_description": description}))
            }
            OAuthHttpError::Request { error, description } => {
                response.json(json!({"error": error, "error_description": description}))
            }
        }
    }
}
