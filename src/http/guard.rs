//! Checks every MCP request goes through, in one place: `Origin` and `Host` (DNS rebinding),
//! then the bearer token. [`authenticate_first`] runs them from the headers alone, before any
//! handler could read a body, and bounds the time the body may then take; handlers take an
//! [`Authenticated`] caller, so none can forget them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use aether365_actors::tokens::{AuthError, Authenticate};
use futures_util::Stream;

use super::error::HttpError;
use super::quota;
use super::state::AppState;
use crate::mcp::{Caller, McpError, ProtocolVersion};

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
        // Routes behind [`authenticate_first`] find their caller already checked.
        if let Some(caller) = req.extensions().get::<Arc<Caller>>() {
            let caller = Arc::clone(caller);
            return Box::pin(async move { Ok(Authenticated(caller)) });
        }
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            check_caller(&req, &state).await.map(Authenticated)
        })
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, HttpError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| HttpError::Unauthorized {
            error: AuthError::Unavailable("no application state".into()),
            resource_metadata: String::new(),
        })
}

/// `Origin`, `Host`, then the bearer: headers only, never the body.
async fn check_caller(req: &HttpRequest, state: &AppState) -> Result<Arc<Caller>, HttpError> {
    check_origin(req, state)?;
    check_host(req, state)?;
    let _slot = match req.peer_addr() {
        Some(peer) => Some(
            state
                .strangers
                .admit(peer.ip(), state.config.max_unauthenticated_per_addr)
                .ok_or(HttpError::TooManyUnauthenticated)?,
        ),
        None => None,
    };
    authenticate(req, state).await
}

/// Middleware of the MCP routes: authenticates from the headers before anything reads the
/// body (a refused request's body is never read, and its connection is closed); then reads
/// the body within [`ServerConfig::body_timeout`](super::ServerConfig) and the size limit,
/// and charges its calls to the caller's [quotas](super::quota). Errors raised outside our
/// handlers (a bad query string) are answered as JSON-RPC errors like every other.
pub async fn authenticate_first(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Methods no route serves are answered 405 by their handler, which reads no body.
    if !matches!(*req.method(), Method::GET | Method::POST | Method::DELETE) {
        let response = next.call(req).await?;
        return Ok(super::error::protocol_errors(response));
    }
    let checked = match app_state(req.request()) {
        Ok(state) => check_caller(req.request(), &state)
            .await
            .map(|caller| (caller, state)),
        Err(e) => Err(e),
    };
    let (caller, state) = match checked {
        Ok(checked) => checked,
        Err(error) => return Ok(refuse(req, error)),
    };
    let body = if has_body(req.request()) {
        let payload = Deadline::new(req.take_payload(), state.config.body_timeout);
        match read_body(payload, state.config.max_body_bytes).await {
            Ok(body) => Some(body),
            Err(error) => return Ok(refuse(req, error)),
        }
    } else {
        None
    };
    let calls = body.as_deref().map_or(1, quota::calls_in);
    if let Err(exceeded) = state
        .quotas
        .charge(&caller.principal, calls, Instant::now())
    {
        tracing::info!(
            token_id = caller.principal.token_id,
            organisation_id = caller.principal.organisation_id,
            "over quota: {exceeded}"
        );
        return Ok(refuse(req, HttpError::Quota(exceeded)));
    }
    if let Some(body) = body {
        req.set_payload(Payload::from(body));
    }
    req.extensions_mut().insert(caller);
    let response = next.call(req).await?;
    Ok(super::error::protocol_errors(response))
}

/// Answers `error` without running the handler; a body left unread closes the connection.
fn refuse<B>(req: ServiceRequest, error: HttpError) -> ServiceResponse<EitherBody<B>> {
    let mut response = error.error_response();
    if has_body(req.request()) {
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    req.into_response(response).map_into_right_body()
}

/// Reads a whole body of at most `limit` bytes: 413 beyond, 408 when it is too slow, 400
/// when the client breaks off; all as JSON-RPC errors.
async fn read_body<S>(mut payload: S, limit: usize) -> Result<Bytes, HttpError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    use futures_util::StreamExt;
    let refused = |status, message: String| HttpError::JsonRpc {
        status,
        id: crate::mcp::jsonrpc::RequestId::Null,
        error: McpError::InvalidRequest(message),
        version: ProtocolVersion::DEFAULT_HTTP,
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                refused(StatusCode::REQUEST_TIMEOUT, BODY_TIMEOUT.to_string())
            }
            other => refused(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {other}"),
            ),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether the request announces a body.
fn has_body(req: &HttpRequest) -> bool {
    req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The message of a body that did not arrive in time.
const BODY_TIMEOUT: &str = "the request body did not arrive in time";

/// A request body that must end before its deadline.
struct Deadline<S> {
    inner: S,
    deadline: Pin<Box<tokio::time::Sleep>>,
    expired: bool,
}

impl<S> Deadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Deadline {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            expired: false,
        }
    }
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired = true;
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    BODY_TIMEOUT,
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
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
            oauth_resources: state.own_resources().to_vec(),
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
#[allow(clippy::unwrap_used)]
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
