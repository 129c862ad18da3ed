//! Headless MCP tokens and the `TokenValidator` actor.
//!
//! A token reads `a365_<lookup id: 12 base62>_<secret: 43 base62>` (256 bits of secret). The
//! row stores the lookup id and an HMAC-SHA256 digest of the secret keyed by a server secret
//! kept outside the database ([`TokenKey`]); the plaintext is shown once. Rows from before
//! hold an argon2id hash, upgraded to the digest on first successful use.
//!
//! - [`create_token`], [`list_tokens`], [`revoke_token`]: token management (CLI, dashboard).
//! - [`TokenValidator`]: the supervised actor that authenticates bearers ([`Authenticate`])
//!   and announces revocations ([`SubscribeRevocations`]).

mod cache;
mod error;
mod format;
mod key;
mod rate_limit;
mod store;
mod validator;

pub use cache::VerifiedCache;
pub use error::{AuthError, TokenError};
pub use format::{Expiry, TOKEN_PREFIX};
pub(crate) use format::{LOOKUP_LEN, SECRET_LEN, generate, parse_prefixed, random_base62};
pub(crate) use key::StoredSecret;
pub use key::{KEY_FILE_NAME, TokenKey};
pub use store::{IssuedToken, create_token, list_tokens, revoke_token, revoke_token_as, scope_of};
pub(crate) use store::{MAX_LABEL_CHARS, checked_scope};
pub use validator::{
    Authenticate, SubscribeRevocations, TokenRevoked, TokenValidator, TokenValidatorConfig,
};
