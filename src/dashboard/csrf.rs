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
fn own_origins(req: &HttpRequest, state: &AppState) -> Vec<String> {
    let info = req.connection_info();
    let mut origins = vec![format!("{}://{}", info.scheme(), info.host())];
    if let Some(public) = &state.config.public_url {
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

/// 403 for a cross-origin request: an `Origin` not ours, or `Sec-Fetch-Site: cross-site`.
pub fn check_same_origin(req: &HttpRequest, state: &AppState) -> Result<(), DashboardError> {
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
    let ours = own_origins(req, state)
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
        check_same_origin(req.request(), state)?;
        if !is_json(req.request()) {
            return Err(DashboardError::UnsupportedMediaType.into());
        }
    }
    next.call(req).await
}
