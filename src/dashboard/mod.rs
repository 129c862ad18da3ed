//! The dashboard: the REST API under `/api/v1` (session, overview, findings, scans, tenants and
//! their scan schedules, alerts (rules, destinations, deliveries),
//! reports, people, MCP settings and tokens, pre-registered OAuth clients, audit trail, exports; described by an OpenAPI 3.1
//! document at `/api/v1/openapi.json`; errors as RFC 9457 problem details) and the pages, static
//! HTML/CSS/JS embedded in the binary.
//!
//! Browser sessions are an HttpOnly, SameSite=Strict cookie holding a random 256-bit id of
//! which only a hash is stored. State-changing requests must be JSON and same-origin.

pub mod alerts;
pub mod api;
pub mod audit;
pub mod connect;
pub mod csrf;
pub mod error;
pub mod exports;
pub mod findings;
pub mod framework_report;
pub mod login;
pub mod microsoft;
pub mod oauth_clients;
pub mod oauth_consent;
pub mod openapi;
pub mod overview;
pub mod pages;
pub mod people;
pub mod reports;
pub mod scans;
pub mod schedules;
pub mod session;
pub mod tenants;
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

fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    DashboardError::NotFound(format!("no such object at {} ({err})", req.path())).into()
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
            .app_data(web::PathConfig::default().error_handler(path_error))
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
            .service(resource("/openapi.json").route(web::get().to(openapi::document)))
            .service(resource("/me").route(web::get().to(api::me)))
            .service(resource("/mcp/settings").route(web::get().to(api::mcp_settings)))
            .service(resource("/overview").route(web::get().to(overview::overview)))
            .service(resource("/findings").route(web::get().to(findings::list_findings)))
            .service(resource("/findings/{id}").route(web::get().to(findings::get_finding)))
            .service(
                resource("/scans")
                    .route(web::get().to(scans::list))
                    .route(web::post().to(scans::start)),
            )
            .service(resource("/scans/compare").route(web::get().to(scans::compare)))
            .service(resource("/scans/{id}").route(web::get().to(scans::get)))
            .service(resource("/scans/{id}/events").route(web::get().to(scans::events)))
            .service(resource("/scans/{id}/findings").route(web::get().to(exports::download)))
            .service(resource("/tenants").route(web::get().to(tenants::list)))
            .service(resource("/tenants/connect").route(web::post().to(connect::start)))
            .service(resource("/tenants/connect/callback").route(web::get().to(connect::callback)))
            .service(resource("/tenants/notices").route(web::get().to(connect::notices)))
            .service(resource("/tenants/{id}/imports").route(web::post().to(tenants::import)))
            .service(
                resource("/tenants/{id}/reports/{framework}")
                    .route(web::get().to(framework_report::get)),
            )
            .service(
                resource("/tenants/{id}/schedule")
                    .route(web::get().to(schedules::get))
                    .route(web::put().to(schedules::put)),
            )
            .service(
                resource("/alerts/destinations")
                    .route(web::get().to(alerts::list_destinations))
                    .route(web::post().to(alerts::create_destination)),
            )
            .service(
                resource("/alerts/destinations/{id}")
                    .route(web::delete().to(alerts::delete_destination)),
            )
            .service(
                resource("/alerts/destinations/{id}/test")
                    .route(web::post().to(alerts::test_destination)),
            )
            .service(
                resource("/alerts/rules")
                    .route(web::get().to(alerts::list_rules))
                    .route(web::post().to(alerts::create_rule)),
            )
            .service(
                resource("/alerts/rules/{id}")
                    .route(web::put().to(alerts::update_rule))
                    .route(web::delete().to(alerts::delete_rule)),
            )
            .service(resource("/alerts/deliveries").route(web::get().to(alerts::list_deliveries)))
            .service(resource("/reports").route(web::get().to(reports::list)))
            .service(resource("/reports/{id}").route(web::get().to(reports::get)))
            .service(resource("/reports/{id}/download").route(web::get().to(reports::download)))
            .service(
                resource("/people")
                    .route(web::get().to(people::list))
                    .route(web::post().to(people::invite)),
            )
            .service(
                resource("/people/{id}")
                    .route(web::patch().to(people::change_role))
                    .route(web::delete().to(people::remove)),
            )
            .service(
                resource("/tokens")
                    .route(web::get().to(tokens::list))
                    .route(web::post().to(tokens::create)),
            )
            .service(resource("/tokens/{id}").route(web::delete().to(tokens::revoke)))
            .service(
                resource("/oauth/clients")
                    .route(web::get().to(oauth_clients::list))
                    .route(web::post().to(oauth_clients::create)),
            )
            .service(
                resource("/oauth/clients/{client_id}")
                    .route(web::delete().to(oauth_clients::delete)),
            )
            .service(resource("/audit").route(web::get().to(audit::list)))
            .default_service(web::to(not_found)),
    )
    .route("/", web::get().to(pages::index))
    .route("/login", web::get().to(pages::login))
    .route(microsoft::START_PATH, web::get().to(microsoft::start))
    .route(microsoft::CALLBACK_PATH, web::get().to(microsoft::callback))
    .route("/settings/mcp", web::get().to(pages::settings_mcp))
    .route("/assets/{name}", web::get().to(pages::asset));
    for path in pages::APP_PAGES {
        cfg.route(path, web::get().to(pages::app));
    }
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
