//! Cross-site request forgery defence for the API: state-changing requests must be JSON
//! (a form cannot send that cross-site without a preflight) and come from our own origin.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use super::error::DashboardError;
use crate::http::{AppState, TrustedProxy};

/// Whether the method changes state.
fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request says its body is JSON.
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The origin the request was sent to: from `Forwarded` / `X-Forwarded-Host` /
/// `X-Forwarded-Proto` when the TCP peer is a trusted proxy, else from `Host` (or the
/// request line) and the connection itself. A client talking to us directly cannot name the
/// host its `Origin` is compared with.
fn request_origin(req: &HttpRequest, trusted: &[TrustedProxy]) -> String {
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| TrustedProxy::any_contains(trusted, peer.ip()));
    if from_proxy {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let scheme = match req.uri().scheme_str() {
        Some(scheme) => scheme,
        None if req.app_config().secure() => "https",
        None => "http",
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_else(|| req.app_config().host());
    format!("{scheme}://{host}")
}

/// The origins that count as ours: the public URL's and the one the request was sent to.
fn own_origins(
    req: &HttpRequest,
    public_url: Option<&str>,
    trusted: &[TrustedProxy],
) -> Vec<String> {
    let mut origins = vec![request_origin(req, trusted)];
    if let Some(public) = public_url {
        let public = public.trim_end_matches('/');
        // Keep scheme://host[:port] only.
        let origin = match public.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
            }
            None => public.to_string(),
        };
        origins.push(origin);
    }
    origins
}

/// 403 for a cross-origin request: an `Origin` not ours (the request's host or the public
/// URL's), or `Sec-Fetch-Site: cross-site`. No `Origin` at all is a same-origin GET or a
/// non-browser client. Forwarded host headers count only from `trusted` proxies.
pub fn check_same_origin(
    req: &HttpRequest,
    public_url: Option<&str>,
    trusted: &[TrustedProxy],
) -> Result<(), DashboardError> {
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let origin = match req.headers().get(header::ORIGIN) {
        None if !cross_site => return Ok(()),
        None => String::new(),
        Some(value) => value
            .to_str()
            .unwrap_or("invalid")
            .trim_end_matches('/')
            .to_string(),
    };
    let ours = own_origins(req, public_url, trusted)
        .iter()
        .any(|own| own.eq_ignore_ascii_case(&origin));
    if ours && !cross_site {
        Ok(())
    } else {
        Err(DashboardError::ForbiddenOrigin(origin))
    }
}

/// Middleware of the API scope: same origin and a JSON content type for state changes.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if is_state_changing(req.method()) {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return Err(DashboardError::MissingState.into());
        };
        check_same_origin(
            req.request(),
            state.config.public_url.as_deref(),
            &state.config.trusted_proxies,
        )?;
        if !is_json(req.request()) {
            return Err(DashboardError::UnsupportedMediaType.into());
        }
    }
    next.call(req).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn check(headers: &[(&str, &str)], public_url: Option<&str>) -> bool {
        let mut req = TestRequest::post().insert_header(("host", "127.0.0.1:8365"));
        for header in headers {
            req = req.insert_header(*header);
        }
        check_same_origin(&req.to_http_request(), public_url, &[]).is_ok()
    }

    #[test]
    fn forwarded_hosts_count_only_from_trusted_proxies() {
        let hostile = "https://evil.example";
        let request = |peer: &str| {
            TestRequest::post()
                .peer_addr(peer.parse().unwrap())
                .insert_header(("host", "127.0.0.1:8365"))
                .insert_header(("x-forwarded-host", "evil.example"))
                .insert_header(("x-forwarded-proto", "https"))
                .insert_header(("origin", hostile))
                .to_http_request()
        };
        let proxy: TrustedProxy = "10.0.0.0/8".parse().unwrap();
        assert!(check_same_origin(&request("192.0.2.7:5000"), None, &[proxy]).is_err());
        assert!(check_same_origin(&request("192.0.2.7:5000"), None, &[]).is_err());
        assert!(check_same_origin(&request("10.1.2.3:5000"), None, &[proxy]).is_ok());
        let forwarded = TestRequest::post()
            .peer_addr("192.0.2.7:5000".parse().unwrap())
            .insert_header(("host", "127.0.0.1:8365"))
            .insert_header(("forwarded", "host=evil.example;proto=https"))
            .insert_header(("origin", hostile))
            .to_http_request();
        assert!(check_same_origin(&forwarded, None, &[]).is_err());
    }

    #[test]
    fn only_our_own_origin_may_change_state() {
        let public = Some("https://a365.example.com/base/");
        assert!(check(&[], None));
        assert!(check(&[("origin", "http://127.0.0.1:8365")], None));
        assert!(check(&[("origin", "https://a365.example.com")], public));
        assert!(!check(&[("origin", "https://a365.example.com")], None));
        assert!(!check(
            &[("origin", "https://a365.example.com.evil.example")],
            public
        ));
        assert!(!check(&[("origin", "http://localhost:8365")], None));
        assert!(!check(&[("origin", "null")], None));
        assert!(!check(&[("sec-fetch-site", "cross-site")], None));
        assert!(!check(
            &[
                ("origin", "http://127.0.0.1:8365"),
                ("sec-fetch-site", "cross-site")
            ],
            None
        ));
    }

    #[test]
    fn only_json_bodies_pass() {
        let with = |value: &str| {
            TestRequest::post()
                .insert_header((header::CONTENT_TYPE, value))
                .to_http_request()
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("Application/JSON; charset=utf-8")));
        assert!(!is_json(&with("application/x-www-form-urlencoded")));
        assert!(!is_json(&with("text/plain")));
        assert!(!is_json(&TestRequest::post().to_http_request()));
    }
}
