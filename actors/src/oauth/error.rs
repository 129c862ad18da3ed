//! Errors of the authorization server's store, with their RFC 6749 error codes.

use crate::tokens::TokenError;

/// Why an OAuth request was refused.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// A replayed code or reused refresh token: its grant was revoked (tell the validator).
    #[error("{reason}")]
    GrantRevoked { grant_id: i64, reason: &'static str },
    #[error("unknown client")]
    InvalidClient,
    #[error("the resource is not this server's MCP endpoint")]
    InvalidTarget,
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("too many client registrations from this address; try again later")]
    TooManyRegistrations,
    #[error("the client name is empty")]
    InvalidClientName,
    #[error("an organisation may register at most {0} OAuth clients: delete one first")]
    TooManyClients(u64),
    #[error("the tenant choice is invalid: {0}")]
    Scope(#[from] TokenError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

impl OAuthError {
    /// The RFC 6749 / RFC 7591 / RFC 8707 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidGrant(_) | OAuthError::GrantRevoked { .. } => "invalid_grant",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidTarget => "invalid_target",
            OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            OAuthError::TooManyRegistrations => "slow_down",
            OAuthError::InvalidClientName | OAuthError::TooManyClients(_) => {
                "invalid_client_metadata"
            }
            OAuthError::Scope(_) => "invalid_request",
            OAuthError::Audit(_) | OAuthError::Db(_) => "server_error",
        }
    }
}
