//! Errors of token management and authentication.

use std::time::Duration;

use crate::audit::AuditError;
use crate::hashing::HashError;

/// Errors of token management ([`super::create_token`], [`super::revoke_token`], …).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token label is empty or longer than {0} characters")]
    InvalidLabel(usize),
    #[error("a token scoped to a list of tenants needs at least one tenant")]
    EmptyScope,
    #[error("tenant {0} does not belong to this organisation")]
    UnknownTenant(i64),
    #[error("no organisation {0}")]
    UnknownOrganisation(i64),
    #[error("no token {0}")]
    NotFound(i64),
    #[error("unknown expiry {0:?}: use 90d, 1y or never")]
    InvalidExpiry(String),
    #[error("token {0} has an invalid tenant scope")]
    InvalidStoredScope(i64),
    #[error("token key file {}: {reason}", path.display())]
    KeyFile {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Why a bearer was refused. The texts are fit for a 401 (or 429, 503) body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed bearer token")]
    Malformed,
    #[error("invalid bearer token")]
    Invalid,
    #[error("the bearer token has expired")]
    Expired,
    #[error("the bearer token has been revoked")]
    Revoked,
    #[error("the bearer token was issued for another resource")]
    OtherResource,
    #[error("too many failed authentications; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error("authentication is unavailable: {0}")]
    Unavailable(String),
}

impl AuthError {
    /// The reason as one word, for audit rows and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing",
            AuthError::Malformed => "malformed",
            AuthError::Invalid => "invalid",
            AuthError::Expired => "expired",
            AuthError::Revoked => "revoked",
            AuthError::OtherResource => "other_resource",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::Unavailable(_) => "unavailable",
        }
    }
}
