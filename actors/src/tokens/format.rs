//! The token's text form and its expiry choices.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;

use super::error::TokenError;

/// Every token starts with this, so that secret scanners recognise it.
pub const TOKEN_PREFIX: &str = "a365_";
/// Length of the public lookup id (base62).
pub(crate) const LOOKUP_LEN: usize = 12;
/// Length of the secret (base62): 43 × log2(62) ≈ 256.03 bits.
pub(crate) const SECRET_LEN: usize = 43;

/// A token split into its parts. Never logged: `Debug` hides the secret.
pub(crate) struct TokenParts<'a> {
    pub lookup_id: &'a str,
    pub secret: &'a str,
}

impl fmt::Debug for TokenParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenParts")
            .field("lookup_id", &self.lookup_id)
            .finish_non_exhaustive()
    }
}

/// `len` random characters of `[A-Za-z0-9]` (about 5.95 bits each) from the thread RNG.
pub(crate) fn random_base62(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A fresh lookup id and secret.
pub(crate) fn generate() -> (String, String) {
    (random_base62(LOOKUP_LEN), random_base62(SECRET_LEN))
}

/// The text form of a token.
pub(crate) fn compose(lookup_id: &str, secret: &str) -> String {
    format!("{TOKEN_PREFIX}{lookup_id}_{secret}")
}

/// Splits a presented token; `None` unless it has exactly the issued shape.
pub(crate) fn parse(token: &str) -> Option<TokenParts<'_>> {
    parse_prefixed(TOKEN_PREFIX, token)
}

/// Splits `<prefix><lookup id>_<secret>` (headless tokens, and OAuth's access and refresh
/// tokens with their own prefixes); `None` unless both parts have exactly the issued length.
pub(crate) fn parse_prefixed<'a>(prefix: &str, token: &'a str) -> Option<TokenParts<'a>> {
    let rest = token.strip_prefix(prefix)?;
    let (lookup_id, secret) = rest.split_once('_')?;
    let base62 =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (base62(lookup_id, LOOKUP_LEN) && base62(secret, SECRET_LEN))
        .then_some(TokenParts { lookup_id, secret })
}

/// How long a token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    Days90,
    Year1,
    Never,
}

impl Expiry {
    /// The spelling accepted by `FromStr`: `90d`, `1y`, `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Days90 => "90d",
            Expiry::Year1 => "1y",
            Expiry::Never => "never",
        }
    }

    /// When a token created at `created_at` expires (`None`: never).
    pub fn expires_at(self, created_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Expiry::Days90 => created_at.checked_add_days(Days::new(90)),
            Expiry::Year1 => created_at.checked_add_days(Days::new(365)),
            Expiry::Never => None,
        }
    }
}

impl FromStr for Expiry {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "90d" => Ok(Expiry::Days90),
            "1y" => Ok(Expiry::Year1),
            "never" => Ok(Expiry::Never),
            other => Err(TokenError::InvalidExpiry(other.to_string())),
        }
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back() {
        let (lookup, secret) = generate();
        let token = compose(&lookup, &secret);
        assert_eq!(
            token.len(),
            TOKEN_PREFIX.len() + LOOKUP_LEN + 1 + SECRET_LEN
        );
        let parts = parse(&token).unwrap();
        assert_eq!(parts.lookup_id, lookup);
        assert_eq!(parts.secret, secret);
        assert!(!format!("{parts:?}").contains(&secret));
    }

    #[test]
    fn other_shapes_are_refused() {
        let (lookup, secret) = generate();
        for bad in [
            String::new(),
            "a365_".to_string(),
            format!("a366_{lookup}_{secret}"),
            format!("A365_{lookup}_{secret}"),
            format!("a365_{lookup}{secret}"),
            format!("a365_{lookup}_{secret}x"),
            format!("a365_{lookup}x_{secret}"),
            format!("a365_{lookup}_{}", &secret[1..]),
            format!("a365_{lookup}_{}-", &secret[1..]),
            format!("a365_{lookup}_{}é", &secret[2..]),
            format!("Bearer a365_{lookup}_{secret}"),
        ] {
            assert!(parse(&bad).is_none(), "{bad:?} parsed");
        }
    }

    #[test]
    fn expiry_choices() {
        assert_eq!("90d".parse::<Expiry>().unwrap(), Expiry::Days90);
        assert_eq!("1y".parse::<Expiry>().unwrap(), Expiry::Year1);
        assert_eq!("never".parse::<Expiry>().unwrap(), Expiry::Never);
        assert!("30d".parse::<Expiry>().is_err());
        let now = Utc::now();
        assert_eq!(
            Expiry::Days90.expires_at(now),
            Some(now + chrono::Duration::days(90))
        );
        assert_eq!(
            Expiry::Year1.expires_at(now),
            Some(now + chrono::Duration::days(365))
        );
        assert_eq!(Expiry::Never.expires_at(now), None);
    }
}
