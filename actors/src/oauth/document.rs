//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, as the MCP
//! authorization specification uses them since 2025-11-25): a `client_id` that is an https URL
//! names a JSON document, served by the client, that describes it (`client_name`,
//! `redirect_uris`, …). It is fetched through [`crate::outbound`] (every resolved address
//! public, pinned, no redirects, a size cap and a deadline) and must name itself: its
//! `client_id` equals the URL it was fetched from.

use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde::Deserialize;

use super::{MAX_REDIRECT_URIS, clean_client_name, redirect_uri_allowed};
use crate::outbound::{self, OutboundError, OutboundPolicy};

/// Largest document read.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Deadline of a fetch: connect, send, read.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest `client_id` URL accepted.
pub const MAX_CLIENT_ID_URL: usize = 255;
/// How long a document is kept when its answer says nothing about caching.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Shortest time a document is kept, whatever its `Cache-Control` says (`no-store` included):
/// the consent page and its form's answer read it within seconds of each other.
pub const MIN_MAX_AGE: Duration = Duration::from_secs(60);
/// Longest time a document is kept.
pub const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a client's metadata document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the client_id is not a valid metadata document URL: {0}")]
    InvalidUrl(&'static str),
    #[error("the metadata document could not be fetched: {0}")]
    Fetch(#[from] OutboundError),
    #[error("the metadata document's address answered HTTP {0}")]
    Status(u16),
    #[error("the metadata document is not valid JSON client metadata")]
    NotJson(#[source] serde_json::Error),
    #[error("the metadata document's client_id is not the URL it was fetched from")]
    ClientIdMismatch,
    #[error("the metadata document's redirect_uris are invalid: {0}")]
    RedirectUris(String),
    #[error("the metadata document asks for something aether365 does not support: {0}")]
    Unsupported(&'static str),
}

/// Whether `client_id` is meant as a metadata document URL (rather than an id issued by
/// registration). Whether it is a valid one is [`check_url`]'s question.
pub fn is_document_client_id(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Checks the shape a metadata document URL must have: `https` (plain `http` only when the
/// policy lets loopback through, for tests), a path beyond `/`, no dot segments, fragment or
/// credentials.
pub fn check_url(client_id: &str, policy: &OutboundPolicy) -> Result<url::Url, DocumentError> {
    if client_id.len() > MAX_CLIENT_ID_URL {
        return Err(DocumentError::InvalidUrl("longer than 255 characters"));
    }
    let url = url::Url::parse(client_id).map_err(|_| DocumentError::InvalidUrl("not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_loopback => {}
        _ => return Err(DocumentError::InvalidUrl("only https URLs")),
    }
    if url.fragment().is_some() || client_id.contains('#') {
        return Err(DocumentError::InvalidUrl("a fragment is not allowed"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DocumentError::InvalidUrl("credentials are not allowed"));
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err(DocumentError::InvalidUrl("a path is required"));
    }
    let path = client_id
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    if path
        .split(['/', '?'])
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(DocumentError::InvalidUrl("dot segments are not allowed"));
    }
    Ok(url)
}

/// A fetched, checked metadata document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientDocument {
    /// The URL, which is the `client_id`.
    pub client_id: String,
    /// The host the document was served from: the one verified thing about the client.
    pub domain: String,
    /// The cleaned `client_name`; the domain when the document has none.
    pub client_name: String,
    /// The redirect URIs, compared exactly.
    pub redirect_uris: Vec<String>,
    /// How long the document may be kept (its `Cache-Control`, within bounds).
    pub max_age: Duration,
}

/// The fields of a document aether365 reads; others are ignored.
#[derive(Debug, Deserialize)]
struct RawDocument {
    client_id: String,
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_secret: Option<serde::de::IgnoredAny>,
}

/// Fetches and checks the document `client_id` names.
pub async fn fetch(
    client_id: &str,
    policy: &OutboundPolicy,
) -> Result<ClientDocument, DocumentError> {
    let url = check_url(client_id, policy)?;
    let mut request = reqwest::Request::new(reqwest::Method::GET, url.clone());
    request.headers_mut().insert(
        ACCEPT,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    let answer = outbound::send(request, policy).await?;
    if answer.status != reqwest::StatusCode::OK {
        return Err(DocumentError::Status(answer.status.as_u16()));
    }
    let raw: RawDocument = serde_json::from_slice(&answer.body).map_err(DocumentError::NotJson)?;
    if raw.client_id != client_id {
        return Err(DocumentError::ClientIdMismatch);
    }
    if raw.client_secret.is_some()
        || raw
            .token_endpoint_auth_method
            .as_deref()
            .is_some_and(|m| m != "none")
    {
        return Err(DocumentError::Unsupported(
            "only public clients (token_endpoint_auth_method \"none\")",
        ));
    }
    let unsupported = |given: &Option<Vec<String>>, allowed: &[&str]| {
        given
            .as_ref()
            .is_some_and(|g| g.iter().any(|v| !allowed.contains(&v.as_str())))
    };
    if unsupported(&raw.grant_types, &["authorization_code", "refresh_token"])
        || unsupported(&raw.response_types, &["code"])
    {
        return Err(DocumentError::Unsupported(
            "only the authorization_code and refresh_token grants and the code response",
        ));
    }
    if raw.redirect_uris.is_empty() || raw.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(DocumentError::RedirectUris(format!(
            "between 1 and {MAX_REDIRECT_URIS} are needed"
        )));
    }
    if let Some(bad) = raw.redirect_uris.iter().find(|u| !redirect_uri_allowed(u)) {
        return Err(DocumentError::RedirectUris(format!(
            "{:?} is neither https nor an http loopback URI",
            bad.chars().take(100).collect::<String>()
        )));
    }
    let domain = url.host_str().unwrap_or_default().to_string();
    Ok(ClientDocument {
        client_id: client_id.to_string(),
        client_name: raw
            .client_name
            .as_deref()
            .and_then(clean_client_name)
            .unwrap_or_else(|| domain.clone()),
        domain,
        redirect_uris: raw.redirect_uris,
        max_age: max_age(&answer.headers),
    })
}

/// How long an answer with `headers` may be kept: its `Cache-Control` `max-age` (`no-store`
/// and `no-cache` count as zero), else [`DEFAULT_MAX_AGE`]; always within
/// [`MIN_MAX_AGE`]..=[`MAX_MAX_AGE`].
pub fn max_age(headers: &HeaderMap) -> Duration {
    let mut age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-store" || lower == "no-cache" {
                age = Some(Duration::ZERO);
            } else if let Some(secs) = lower.strip_prefix("max-age=")
                && age != Some(Duration::ZERO)
            {
                age = secs
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
                    .or(age);
            }
        }
    }
    age.unwrap_or(DEFAULT_MAX_AGE)
        .clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

/// The policy documents are fetched under: [`MAX_DOCUMENT_BYTES`], [`FETCH_TIMEOUT`].
pub fn policy(allow_loopback: bool) -> OutboundPolicy {
    OutboundPolicy {
        allow_loopback,
        timeout: FETCH_TIMEOUT,
        max_response_bytes: MAX_DOCUMENT_BYTES,
        extra_roots: Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn urls_must_have_the_draft_shape() {
        let strict = policy(false);
        assert!(check_url("https://app.example/client.json", &strict).is_ok());
        assert!(check_url("https://app.example:8443/c?v=1", &strict).is_ok());
        for bad in [
            "http://app.example/client.json",
            "https://app.example/",
            "https://app.example",
            "https://app.example/a/../client.json",
            "https://app.example/./client.json",
            "https://app.example/client.json#x",
            "https://user:pw@app.example/client.json",
            "ftp://app.example/client.json",
        ] {
            assert!(check_url(bad, &strict).is_err(), "{bad}");
        }
        let long = format!("https://app.example/{}", "a".repeat(300));
        assert!(check_url(&long, &strict).is_err());
        assert!(check_url("http://127.0.0.1:9/c.json", &policy(true)).is_ok());
    }

    #[test]
    fn cache_lifetimes_follow_cache_control_within_bounds() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
            max_age(&h)
        };
        assert_eq!(max_age(&HeaderMap::new()), DEFAULT_MAX_AGE);
        assert_eq!(with("public, max-age=3600"), Duration::from_secs(3600));
        assert_eq!(with("max-age=5"), MIN_MAX_AGE);
        assert_eq!(with("max-age=99999999"), MAX_MAX_AGE);
        assert_eq!(with("no-store, max-age=3600"), MIN_MAX_AGE);
        assert_eq!(with("max-age=3600, no-cache"), MIN_MAX_AGE);
        assert_eq!(with("max-age=nonsense"), DEFAULT_MAX_AGE);
    }
}
