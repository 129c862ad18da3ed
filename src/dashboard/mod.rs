//! The dashboard: the REST API under `/api/v1` (session login, MCP settings, tokens, tenants,
//! audit trail, findings exports) and the "Settings > MCP" pages, static HTML/CSS/JS embedded in the binary.
//!
//! Browser sessions are an HttpOnly, SameSite=Strict cookie holding a random 256-bit id of
//! which only a hash is stored. State-changing requests must be JSON and same-origin.

pub mod api;
pub mod audit;
pub mod connect;
pub mod csrf;
pub mod error;
pub mod exports;
pub mod login;
pub mod pages;
pub mod session;
pub mod throttle;
pub mod tokens;

use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{HttpRequest, error::JsonPayloadError, web};

pub use error::DashboardError;
pub use session::DashboardUser;

/// Largest JSON body the API accepts.
const MAX_JSON_BYTES: usize = 64 * 1024;

fn json_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::ContentType => DashboardError::UnsupportedMediaType,
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            DashboardError::BadRequest(format!("the body is larger than {MAX_JSON_BYTES} bytes"))
        }
        JsonPayloadError::Deserialize(e) => DashboardError::InvalidJson(e.to_string()),
        other => DashboardError::InvalidJson(other.to_string()),
    }
    .into()
}

fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    DashboardError::BadRequest(format!("invalid query string: {err}")).into()
}

/// An API resource answering other methods with a JSON 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Registers the dashboard's API and pages on an actix-web service config.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .wrap(from_fn(csrf::guard))
            .wrap(
                DefaultHeaders::new()
                    .add((header::CACHE_CONTROL, "no-store"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")),
            )
            .service(
                resource("/session")
                    .route(web::post().to(login::login))
                    .route(web::delete().to(login::logout)),
            )
            .service(resource("/me").route(web::get().to(api::me)))
            .service(resource("/mcp/settings").route(web::get().to(api::mcp_settings)))
            .service(resource("/tenants").route(web::get().to(api::tenants)))
            .service(resource("/tenants/connect").route(web::post().to(connect::start)))
            .service(resource("/tenants/connect/callback").route(web::get().to(connect::callback)))
            .service(
                resource("/tokens")
                    .route(web::get().to(tokens::list))
                    .route(web::post().to(tokens::create)),
            )
            .service(resource("/tokens/{id}").route(web::delete().to(tokens::revoke)))
            .service(resource("/audit").route(web::get().to(audit::list)))
            .service(resource("/scans/{id}/findings").route(web::get().to(exports::download)))
            .default_service(web::to(not_found)),
    )
    .route("/", web::get().to(pages::index))
    .route("/login", web::get().to(pages::login))
    .route("/settings/mcp", web::get().to(pages::settings_mcp))
    .route("/assets/{name}", web::get().to(pages::asset));
}

async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, DashboardError> {
    Err(DashboardError::MethodNotAllowed(req.method().to_string()))
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, DashboardError> {
    Err(DashboardError::NotFound(format!(
        "no route {} {}",
        req.method(),
        req.path()
    )))
}
