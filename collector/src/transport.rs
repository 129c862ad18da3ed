//! Sending [`ReadRequest`]s: app-only tokens (cached per tenant and resource, refreshed once on
//! a 401), retries on 429 and 5xx honouring `Retry-After` with bounded exponential backoff and
//! jitter, a per-request timeout, a bound on requests in flight per tenant, and paging.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};

use crate::ReadError;
use crate::credential::AppCredential;
use crate::request::{Body, Method, ReadRequest};

/// How failed requests are retried: 429, 500, 502, 503, 504 and connection failures. A timeout
/// is not retried (a slow endpoint would multiply the wait); a 401 is answered by one token
/// refresh, which is not counted as an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (default 4).
    pub max_attempts: u32,
    /// First backoff when the answer has no `Retry-After` (default 1 s); doubles each attempt,
    /// with jitter (50 to 100 % of the value).
    pub base_delay: Duration,
    /// Longest single wait, `Retry-After` included (default 30 s).
    pub max_delay: Duration,
    /// Longest total wait for one request across its retries (default 60 s); a `Retry-After`
    /// that would exceed it ends the retries.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(60),
        }
    }
}

#[derive(Clone)]
struct CachedToken {
    access_token: String,
    refresh_at: Instant,
}

/// One cached token per (tenant, scope), each behind its own lock so that concurrent requests
/// for one resource fetch it once.
type TokenSlots = HashMap<(String, String), Arc<Mutex<Option<TokenState>>>>;

/// A cached token, or the authority's refusal (`AADSTS…`). A refusal is reused only by sessions
/// that started before it (the other requests of the same collection), so one collection asks
/// once per resource and the next call (after admin consent, say) asks again.
#[derive(Clone)]
enum TokenState {
    Valid(CachedToken),
    Refused(ReadError, Instant),
}

/// What the collector shares between collections: the HTTP client, the token cache and the
/// per-tenant semaphores.
pub(crate) struct Transport {
    client: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    max_in_flight: usize,
    authority: String,
    client_id: String,
    credential: AppCredential,
    tokens: StdMutex<TokenSlots>,
    semaphores: StdMutex<HashMap<String, Arc<Semaphore>>>,
}

/// The state of one service's collection for one tenant: its semaphore and request counter.
pub(crate) struct Session {
    pub(crate) transport: Arc<Transport>,
    pub(crate) tenant: String,
    semaphore: Arc<Semaphore>,
    requests: AtomicU32,
    started: Instant,
}

/// What one HTTP exchange gave.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    location: Option<String>,
    body: Vec<u8>,
}

impl Transport {
    pub(crate) fn new(
        timeout: Duration,
        retry: RetryPolicy,
        max_in_flight: usize,
        authority: String,
        client_id: String,
        credential: AppCredential,
        resolve: &[(String, std::net::SocketAddr)],
    ) -> Result<Transport, crate::CollectorError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aether365-collector/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeout);
        for (host, addr) in resolve {
            builder = builder.resolve(host, *addr);
        }
        let client = builder
            .build()
            .map_err(|e| crate::CollectorError::Http(e.to_string()))?;
        Ok(Transport {
            client,
            timeout,
            retry,
            max_in_flight,
            authority: authority.trim_end_matches('/').to_string(),
            client_id,
            credential,
            tokens: StdMutex::new(HashMap::new()),
            semaphores: StdMutex::new(HashMap::new()),
        })
    }

    /// A session for `tenant`; sessions of one tenant share its semaphore.
    pub(crate) fn session(self: &Arc<Self>, tenant: &str) -> Session {
        let semaphore = {
            let mut map = match self.semaphores.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            map.entry(tenant.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.max_in_flight)))
                .clone()
        };
        Session {
            transport: Arc::clone(self),
            tenant: tenant.to_string(),
            semaphore,
            requests: AtomicU32::new(0),
            started: Instant::now(),
        }
    }

    pub(crate) fn token_endpoint(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, tenant)
    }

    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The form fields that authenticate the application at `token_endpoint`: `client_id` and
    /// the client secret or a signed client assertion.
    pub(crate) fn client_authentication(
        &self,
        token_endpoint: &str,
    ) -> Result<Vec<(&'static str, String)>, ReadError> {
        let mut form = vec![("client_id", self.client_id.clone())];
        match &self.credential {
            AppCredential::Secret(s) => form.push(("client_secret", s.expose().to_string())),
            AppCredential::Certificate(c) => {
                let assertion = c.assertion(&self.client_id, token_endpoint).map_err(|e| {
                    ReadError::Refused {
                        detail: e.to_string(),
                    }
                })?;
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
                ));
                form.push(("client_assertion", assertion));
            }
        }
        Ok(form)
    }

    /// The authority's base URL, without a trailing slash.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    fn token_slot(&self, tenant: &str, scope: &str) -> Arc<Mutex<Option<TokenState>>> {
        let mut map = match self.tokens.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry((tenant.to_string(), scope.to_string()))
            .or_default()
            .clone()
    }
}

impl Session {
    /// How many HTTP requests this session sent (retries and token requests included).
    pub(crate) fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A valid access token for `scope`, from the cache or the authority.
    async fn token(&self, scope: &str, stale: Option<&str>) -> Result<String, ReadError> {
        let slot = self.transport.token_slot(&self.tenant, scope);
        let mut guard = slot.lock().await;
        match guard.as_ref() {
            Some(TokenState::Valid(t))
                if Instant::now() < t.refresh_at && Some(t.access_token.as_str()) != stale =>
            {
                return Ok(t.access_token.clone());
            }
            Some(TokenState::Refused(e, at)) if self.started <= *at => return Err(e.clone()),
            _ => {}
        }
        *guard = None;
        match Box::pin(self.fetch_token(scope)).await {
            Ok(t) => {
                let token = t.access_token.clone();
                *guard = Some(TokenState::Valid(t));
                Ok(token)
            }
            Err(e) => {
                if matches!(e, ReadError::Token { .. }) {
                    *guard = Some(TokenState::Refused(e.clone(), Instant::now()));
                }
                Err(e)
            }
        }
    }

    async fn fetch_token(&self, scope: &str) -> Result<CachedToken, ReadError> {
        let tr = &self.transport;
        let endpoint = tr.token_endpoint(&self.tenant);
        let mut form = vec![
            ("scope", scope.to_string()),
            ("grant_type", "client_credentials".to_string()),
        ];
        form.extend(tr.client_authentication(&endpoint)?);
        let req = ReadRequest::token(&endpoint, form)?;
        let resource = scope.trim_end_matches("/.default").to_string();
        let value = self
            .execute(&req, None)
            .await
            .map_err(|e| token_error(e, &resource))?;
        let access_token = value
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| ReadError::Malformed {
                what: "token endpoint".into(),
                detail: "no access_token".into(),
            })?
            .to_string();
        let expires_in = match value.get("expires_in") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(3599),
            Some(Value::String(s)) => s.parse().unwrap_or(3599),
            _ => 3599,
        };
        // Refresh five minutes before expiry (or at half-life for short-lived tokens).
        let lifetime = Duration::from_secs(expires_in);
        let margin = Duration::from_secs(300).min(lifetime / 2);
        Ok(CachedToken {
            access_token,
            refresh_at: Instant::now() + lifetime - margin,
        })
    }

    /// Sends `req` (with a bearer token for `scope` if given) and parses the JSON answer.
    /// Retries 429/5xx and connection failures; refreshes the token once on a 401.
    pub(crate) async fn execute(
        &self,
        req: &ReadRequest,
        scope: Option<&str>,
    ) -> Result<Value, ReadError> {
        let retry = self.transport.retry;
        let mut waited = Duration::ZERO;
        let mut refreshed = false;
        let mut stale: Option<String> = None;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let bearer = match scope {
                Some(s) => Some(self.token(s, stale.as_deref()).await?),
                None => None,
            };
            let answer = self.send_once(req, bearer.as_deref()).await;
            let answer = match answer {
                Ok(a) => a,
                Err(e @ ReadError::Network { .. }) if attempt < retry.max_attempts => {
                    let d = backoff(&retry, attempt, None);
                    if waited + d > retry.max_total_wait {
                        return Err(e);
                    }
                    waited += d;
                    tokio::time::sleep(d).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = answer.status;
            if (200..300).contains(&status) {
                if answer.body.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Value::Null);
                }
                return serde_json::from_slice(strip_bom(&answer.body)).map_err(|e| {
                    ReadError::Malformed {
                        what: req.what().to_string(),
                        detail: e.to_string(),
                    }
                });
            }
            if status == 401
                && scope.is_some()
                && !refreshed
                && !service_error(&answer.body)
                    .1
                    .is_some_and(|m| refuses_token_type(&m))
            {
                refreshed = true;
                stale = bearer;
                attempt -= 1; // a refresh is not a retry
                continue;
            }
            let retryable = matches!(status, 429 | 500 | 502 | 503 | 504);
            if retryable && attempt < retry.max_attempts {
                let d = backoff(&retry, attempt, answer.retry_after);
                if waited + d <= retry.max_total_wait {
                    waited += d;
                    tracing::debug!(
                        what = req.what(),
                        status,
                        delay_ms = d.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(d).await;
                    continue;
                }
            }
            if (300..400).contains(&status) {
                return Err(ReadError::Redirected {
                    what: req.what().to_string(),
                    status,
                    location: answer.location,
                });
            }
            return Err(status_error(req, status, attempt, &answer.body));
        }
    }

    /// One HTTP exchange within the timeout, holding one of the tenant's in-flight permits.
    async fn send_once(
        &self,
        req: &ReadRequest,
        bearer: Option<&str>,
    ) -> Result<Answer, ReadError> {
        let tr = &self.transport;
        let _permit = self
            .semaphore
            .acquire()
            .await
            .map_err(|_| ReadError::Network {
                what: req.what().to_string(),
                detail: "collector shut down".into(),
            })?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut builder = match req.method() {
            Method::Get => tr.client.get(req.url().clone()),
            Method::Post => tr.client.post(req.url().clone()),
        };
        if !req
            .headers()
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
        {
            builder = builder.header("Accept", "application/json");
        }
        for (name, value) in req.headers() {
            builder = builder.header(*name, value);
        }
        if let Some(b) = bearer {
            builder = builder.bearer_auth(b);
        }
        builder = match req.body() {
            Body::None => builder,
            Body::Json(v) => builder.json(v),
            Body::Form(f) => builder.form(f),
        };
        let what = req.what().to_string();
        let exchange = async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = resp.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(Answer {
                status,
                retry_after,
                location,
                body,
            })
        };
        match tokio::time::timeout(tr.timeout, exchange).await {
            Err(_) => Err(ReadError::Timeout {
                what,
                after: tr.timeout,
            }),
            Ok(Err(e)) if e.is_timeout() => Err(ReadError::Timeout {
                what,
                after: tr.timeout,
            }),
            Ok(Err(e)) => Err(ReadError::Network {
                what,
                detail: error_chain(&e),
            }),
            Ok(Ok(a)) => Ok(a),
        }
    }

    /// Sends `req` once (redirects are never followed) and returns the `Location` of a 3xx
    /// answer; `None` for any other answer or failure. For endpoint discovery.
    pub(crate) async fn redirect_location(
        &self,
        req: &ReadRequest,
        scope: Option<&str>,
    ) -> Option<String> {
        let bearer = match scope {
            Some(s) => Some(self.token(s, None).await.ok()?),
            None => None,
        };
        let answer = self.send_once(req, bearer.as_deref()).await.ok()?;
        (300..400)
            .contains(&answer.status)
            .then_some(answer.location)
            .flatten()
    }

    /// Sends `req` and follows `@odata.nextLink` (or `nextLink`) to the end, returning every
    /// `value` item.
    pub(crate) async fn list(
        &self,
        req: ReadRequest,
        scope: Option<&str>,
    ) -> Result<Vec<Value>, ReadError> {
        let mut items = Vec::new();
        let mut current = req;
        let mut pages = 0u32;
        loop {
            pages += 1;
            if pages > 10_000 {
                return Err(ReadError::Malformed {
                    what: current.what().to_string(),
                    detail: "more than 10,000 pages (a next-page loop?)".into(),
                });
            }
            let page = self.execute(&current, scope).await?;
            let Some(values) = page.get("value").and_then(Value::as_array) else {
                return Err(ReadError::Malformed {
                    what: current.what().to_string(),
                    detail: "no `value` array in the answer".into(),
                });
            };
            items.extend(values.iter().cloned());
            let next = page
                .get("@odata.nextLink")
                .or_else(|| page.get("nextLink"))
                .and_then(Value::as_str);
            match next {
                Some(link) if !link.is_empty() => current = current.next_page(link)?,
                _ => return Ok(items),
            }
        }
    }
}

/// Pages of a collection read one at a time ([`Session::pages`]): memory holds one page, never
/// the whole collection. Follows `@odata.nextLink` (or `nextLink`) on the same origin.
pub(crate) struct Pages<'a> {
    session: &'a Session,
    scope: Option<String>,
    next: Option<ReadRequest>,
    read: u32,
}

impl Pages<'_> {
    /// The next page's `value` items; `None` after the last page.
    pub(crate) async fn next_page(&mut self) -> Result<Option<Vec<Value>>, ReadError> {
        let Some(current) = self.next.take() else {
            return Ok(None);
        };
        self.read += 1;
        if self.read > 10_000 {
            return Err(ReadError::Malformed {
                what: current.what().to_string(),
                detail: "more than 10,000 pages (a next-page loop?)".into(),
            });
        }
        let page = self
            .session
            .execute(&current, self.scope.as_deref())
            .await?;
        let Value::Object(mut page) = page else {
            return Err(ReadError::Malformed {
                what: current.what().to_string(),
                detail: "the answer is not an object".into(),
            });
        };
        let Some(Value::Array(values)) = page.remove("value") else {
            return Err(ReadError::Malformed {
                what: current.what().to_string(),
                detail: "no `value` array in the answer".into(),
            });
        };
        let next = page
            .get("@odata.nextLink")
            .or_else(|| page.get("nextLink"))
            .and_then(Value::as_str);
        if let Some(link) = next.filter(|l| !l.is_empty()) {
            self.next = Some(current.next_page(link)?);
        }
        Ok(Some(values))
    }
}

impl Session {
    /// Reads `req`'s collection page by page ([`Pages::next_page`]).
    pub(crate) fn pages(&self, req: ReadRequest, scope: Option<&str>) -> Pages<'_> {
        Pages {
            session: self,
            scope: scope.map(str::to_string),
            next: Some(req),
            read: 0,
        }
    }
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// The wait before attempt `attempt + 1`: `Retry-After` when given, else exponential backoff
/// with jitter; never more than `max_delay`.
fn backoff(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(ra) = retry_after {
        return ra.min(policy.max_delay);
    }
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(policy.max_delay);
    let jitter: f64 = 0.5 + rand::random::<f64>() * 0.5;
    capped.mul_f64(jitter)
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The `code` and `message` of an error body in any of the shapes Microsoft's APIs use: Graph
/// and OData (`{"error":{"code","message"}}`, the message possibly `{"value": ...}`), and OAuth
/// (`{"error": "...", "error_description": "..."}`).
pub(crate) fn service_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(strip_bom(body)) else {
        let text = String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect::<String>();
        return (None, (!text.is_empty()).then_some(text));
    };
    let err = v.get("error").or_else(|| v.get("odata.error"));
    match err {
        Some(Value::Object(o)) => {
            let code = o.get("code").and_then(Value::as_str).map(str::to_string);
            let message = match o.get("message") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Object(m)) => {
                    m.get("value").and_then(Value::as_str).map(str::to_string)
                }
                _ => None,
            };
            (code, message)
        }
        Some(Value::String(code)) => (
            Some(code.clone()),
            v.get("error_description")
                .and_then(Value::as_str)
                .map(|s| s.lines().next().unwrap_or(s).to_string()),
        ),
        // SharePoint's refusals of a token (`{"error_description": "..."}`) carry no code; the
        // Fabric admin API's `ErrorResponse` is `{"errorCode": "...", "message": "..."}`.
        _ => (
            v.get("errorCode")
                .and_then(Value::as_str)
                .map(str::to_string),
            v.get("message")
                .or_else(|| v.get("error_description"))
                .and_then(Value::as_str)
                .map(str::to_string),
        ),
    }
}

/// SharePoint's refusal of an app-only token obtained with a client secret ("Unsupported app
/// only token."): a fresh token of the same kind cannot help.
fn refuses_token_type(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("unsupported app only token")
}

fn status_error(req: &ReadRequest, status: u16, attempts: u32, body: &[u8]) -> ReadError {
    let (code, message) = service_error(body);
    let what = req.what().to_string();
    match status {
        403 => ReadError::Forbidden {
            what,
            permission: req.permission_hint().map(str::to_string),
            code,
            message,
        },
        401 => match message {
            Some(m) if refuses_token_type(&m) => ReadError::TokenTypeRefused { what, message: m },
            message => ReadError::Unauthorized {
                what,
                code,
                message,
            },
        },
        404 => ReadError::NotFound { what },
        429 => ReadError::Throttled { what, attempts },
        500..=599 => ReadError::Unavailable {
            what,
            status,
            attempts,
        },
        _ => {
            if let Some(cmdlet) = req.cmdlet() {
                let m = message.clone().unwrap_or_default();
                let c = code.clone().unwrap_or_default();
                if m.contains("is not recognized") || c.contains("CommandNotFound") {
                    return ReadError::UnknownCmdlet {
                        cmdlet: cmdlet.name().to_string(),
                        message: m,
                    };
                }
            }
            ReadError::Status {
                what,
                status,
                code,
                message,
            }
        }
    }
}

/// Turns a failed token request into [`ReadError::Token`] when the authority said why.
fn token_error(e: ReadError, resource: &str) -> ReadError {
    match e {
        ReadError::Status { code, message, .. }
        | ReadError::Unauthorized { code, message, .. }
        | ReadError::Forbidden { code, message, .. } => {
            let description = message.unwrap_or_default();
            let aadsts = description
                .split(|c: char| !c.is_ascii_alphanumeric())
                .find(|w| w.starts_with("AADSTS") && w.len() > 6)
                .map(str::to_string);
            ReadError::Token {
                resource: resource.to_string(),
                error: code.unwrap_or_else(|| "token request refused".into()),
                aadsts,
                description,
            }
        }
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(30);
        let d = parse_retry_after(&later.to_rfc2822()).unwrap();
        assert!(
            d <= Duration::from_secs(30) && d >= Duration::from_secs(28),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Sat, 01 Jan 2000 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let d = backoff(&p, attempt, None);
            assert!(d <= p.max_delay);
            assert!(d >= p.base_delay / 2);
        }
        assert_eq!(backoff(&p, 1, Some(Duration::from_secs(500))), p.max_delay);
    }

    #[test]
    fn sharepoint_token_refusal_is_read() {
        let (code, message) =
            service_error(br#"{"error_description":"Unsupported app only token."}"#);
        assert_eq!(code, None);
        assert_eq!(message.as_deref(), Some("Unsupported app only token."));
        assert!(refuses_token_type(message.as_deref().unwrap()));
    }

    #[test]
    fn error_bodies() {
        let (c, m) = service_error(
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
        );
        assert_eq!(c.as_deref(), Some("Authorization_RequestDenied"));
        assert!(m.unwrap().starts_with("Insufficient"));
        let (c, m) = service_error(
            br#"{"error":{"code":"-2147024891, System.UnauthorizedAccessException","message":{"lang":"en-US","value":"Access denied."}}}"#,
        );
        assert!(c.unwrap().contains("Unauthorized"));
        assert_eq!(m.as_deref(), Some("Access denied."));
        let (c, m) = service_error(
            b"{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: x\"}",
        );
        assert_eq!(c.as_deref(), Some("invalid_client"));
        assert_eq!(
            m.as_deref(),
            Some("AADSTS7000215: Invalid client secret provided.")
        );
        // The Fabric admin API's ErrorResponse.
        let (c, m) = service_error(
            br#"{"requestId":"r","errorCode":"InsufficientPrivileges","message":"The caller does not have sufficient permissions."}"#,
        );
        assert_eq!(c.as_deref(), Some("InsufficientPrivileges"));
        assert!(m.unwrap().starts_with("The caller"));
    }
}
