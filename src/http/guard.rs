//! Checks every MCP request goes through, in one place: `Origin` and `Host` (DNS rebinding),
//! then the bearer token. Handlers take an [`Authenticated`] caller, so none can forget them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use aether365_actors::tokens::{AuthError, Authenticate};

use super::error::HttpError;
use super::state::AppState;
use crate::mcp::Caller;

fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[');
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => h,
        _ => host,
    };
    let host = host.trim_end_matches(']');
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.has_host()
        .then(|| url.origin().ascii_serialization())
        .filter(|o| o != "null")
}

/// The host (without port) of a URL.
fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}

/// The caller of a request that passed the `Origin`, `Host` and bearer checks.
pub struct Authenticated(pub Arc<Caller>);

impl FromRequest for Authenticated {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(state) = req.app_data::<web::Data<AppState>>() else {
                return Err(HttpError::Unauthorized {
                    error: AuthError::Unavailable("no application state".into()),
                    resource_metadata: String::new(),
                });
            };
            check_origin(&req, state)?;
            check_host(&req, state)?;
            authenticate(&req, state).await.map(Authenticated)
        })
    }
}

/// 403 for a `Host` that a server bound to loopback does not answer to (DNS rebinding): a
/// local name, the public URL's host, or the host of an allowed origin.
pub fn check_host(req: &HttpRequest, state: &AppState) -> Result<(), HttpError> {
    if !state.config.bind.ip().is_loopback() {
        return Ok(());
    }
    let Some(host) = req.headers().get(header::HOST) else {
        return Ok(());
    };
    let host = host.to_str().unwrap_or_default();
    let bare = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    let allowed = is_local_host(host)
        || state
            .config
            .public_url
            .as_deref()
            .and_then(host_of)
            .is_some_and(|h| h.trim_start_matches('[').trim_end_matches(']') == bare)
        || state
            .config
            .allowed_origins
            .iter()
            .any(|o| o == "*" || host_of(o).is_some_and(|h| h == bare));
    if allowed {
        Ok(())
    } else {
        Err(HttpError::ForbiddenHost(host.to_string()))
    }
}

/// 403 for an `Origin` that is neither local, configured, nor our own public URL.
pub fn check_origin(req: &HttpRequest, state: &AppState) -> Result<(), HttpError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    let host = origin.split_once("://").map(|(_, host)| host);
    let allowed = host.is_some_and(is_local_host)
        || state
            .config
            .allowed_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin || o == "*")
        || state
            .config
            .public_url
            .as_deref()
            .is_some_and(|url| origin_of(url).as_deref() == Some(origin));
    if allowed {
        Ok(())
    } else {
        Err(HttpError::ForbiddenOrigin(origin.to_string()))
    }
}

/// Authenticates the request's bearer token with the token validator.
pub async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Arc<Caller>, HttpError> {
    let unauthorized = |error| HttpError::Unauthorized {
        error,
        resource_metadata: state.resource_metadata_url(req),
    };
    let client_addr = req.peer_addr().map(|a| a.ip().to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    #[cfg(feature = "bench")]
    if let Some(principal) = &state.config.bench_principal {
        return Ok(Arc::new(Caller {
            principal: principal.clone(),
            client_addr,
            user_agent,
        }));
    }
    let bearer = match req.headers().get(header::AUTHORIZATION) {
        None => return Err(unauthorized(AuthError::Missing)),
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| unauthorized(AuthError::Malformed))?;
            match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    token.trim().to_string()
                }
                _ => return Err(unauthorized(AuthError::Malformed)),
            }
        }
    };
    // Steady traffic: a recent verification answers without a round trip to the validator.
    if let Some(principal) = state.backend.verified.principal(&bearer) {
        return Ok(Arc::new(Caller {
            principal,
            client_addr,
            user_agent,
        }));
    }
    let answer = state
        .backend
        .tokens
        .send(Authenticate {
            bearer,
            client_addr: client_addr.clone(),
            user_agent: user_agent.clone(),
        })
        .await
        .map_err(|e| unauthorized(AuthError::Unavailable(e.to_string())))?;
    let principal = answer.map_err(unauthorized)?;
    Ok(Arc::new(Caller {
        principal,
        client_addr,
        user_agent,
    }))
}

#[cfg(test)]
mod tests {
    use super::{host_of, is_local_host, origin_of};

    #[test]
    fn origins_are_compared_whole() {
        assert_eq!(
            origin_of("https://mcp.example.com/").as_deref(),
            Some("https://mcp.example.com")
        );
        assert_eq!(
            origin_of("https://mcp.example.com:8443/x").as_deref(),
            Some("https://mcp.example.com:8443")
        );
        assert_eq!(origin_of("https://"), None);
        assert_ne!(
            origin_of("https://mcp.example.com").as_deref(),
            Some("https://mcp.example.co")
        );
        assert_eq!(
            host_of("https://mcp.example.com:8443/x").as_deref(),
            Some("mcp.example.com")
        );
    }

    #[test]
    fn local_hosts_are_recognised() {
        assert!(is_local_host("localhost:3000"));
        assert!(is_local_host("127.0.0.1"));
        assert!(is_local_host("[::1]:8080"));
        assert!(!is_local_host("evil.example"));
        assert!(!is_local_host("localhost.evil.example"));
    }
}
