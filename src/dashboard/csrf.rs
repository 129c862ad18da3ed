//! Cross-site request forgery defence for the API: state-changing requests must be JSON
//! (a form cannot send that cross-site without a preflight) and come from our own origin.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, web};

use super::error::DashboardError;
use crate::http::AppState;

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

/// The origins that count as ours: the public URL's and the one the request was sent to.
fn own_origins(req: &HttpRequest, public_url: Option<&str>) -> Vec<String> {
    let info = req.connection_info();
    let mut origins = vec![format!("{}://{}", info.scheme(), info.host())];
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
/// non-browser client.
pub fn check_same_origin(
    req: &HttpRequest,
    public_url: Option<&str>,
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
    let ours = own_origins(req, public_url)
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
            return Err(DashboardError::Internal("application state missing".into()).into());
        };
        check_same_origin(req.request(), state.config.public_url.as_deref())?;
        if !is_json(req.request()) {
            return Err(DashboardError::UnsupportedMediaType.into());
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn check(headers: &[(&str, &str)], public_url: Option<&str>) -> bool {
        let mut req = TestRequest::post().insert_header(("host", "127.0.0.1:8365"));
        for header in headers {
            req = req.insert_header(*header);
        }
        check_same_origin(&req.to_http_request(), public_url).is_ok()
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
