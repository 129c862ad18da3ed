//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers and their types
//! (`utoipa`), served at `GET /api/v1/openapi.json`.

use actix_web::HttpResponse;
use aether365_actors::alerts::{
    CreatedDestination, DeliveryPage, DeliveryView, DestinationView, RuleView,
};
use aether365_actors::audit::AuditPage;
use aether365_actors::query::{FindingDetail, ScanComparison, ScanDetail, ScanPage};
use aether365_actors::schedule::ScheduleView;
use aether365_engine::report::FrameworkReport;
use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[cfg(test)]
use super::error::PROBLEM_JSON;
use super::error::Problem;
use super::{
    alerts, api, audit, connect, exports, findings, framework_report, login, oauth_clients,
    overview, people, reports, scans, schedules, tenants, tokens,
};

/// The session cookie as the API's security scheme.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::session::COOKIE_NAME,
                "The session cookie set by POST /api/v1/session",
            ))),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "aether365 dashboard API",
        description = "Posture, findings, scans, tenants, reports, people, MCP tokens and \
            pre-registered OAuth clients of the signed-in user's organisation. Errors are RFC 9457 problem details. State-changing \
            requests must be JSON and same-origin.",
    ),
    paths(
        login::login, login::logout, api::me, api::mcp_settings,
        overview::overview,
        findings::list_findings, findings::get_finding,
        scans::list, scans::start, scans::get, scans::events, scans::compare,
        exports::download,
        tenants::list, tenants::import, schedules::get, schedules::put,
        connect::start, connect::notices,
        reports::list, reports::get, reports::download, framework_report::get,
        people::list, people::invite, people::change_role, people::remove,
        tokens::list, tokens::create, tokens::revoke,
        oauth_clients::list, oauth_clients::create, oauth_clients::delete,
        audit::list,
        alerts::list_destinations, alerts::create_destination, alerts::delete_destination,
        alerts::test_destination, alerts::list_rules, alerts::create_rule, alerts::update_rule, alerts::delete_rule,
        alerts::list_deliveries,
    ),
    components(schemas(Problem)),
    modifiers(&SessionCookie),
    security(("session" = [])),
)]
pub struct ApiDoc;

/// The document, built once: it depends on the code only.
static DOCUMENT: std::sync::LazyLock<Value> = std::sync::LazyLock::new(full_document);

/// `GET /api/v1/openapi.json`.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}

/// The document with the responses that answer a query view typed by that view's JSON Schema
/// (the same derivation as the MCP tools' output schemas; OpenAPI 3.1 schemas are JSON Schema
/// 2020-12), its nested types as components.
fn full_document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    view::<ScanPage>(&mut doc, "/api/v1/scans", "ScanPage");
    view::<ScanDetail>(&mut doc, "/api/v1/scans/{id}", "ScanDetail");
    view::<ScanComparison>(&mut doc, "/api/v1/scans/compare", "ScanComparison");
    view::<FindingDetail>(&mut doc, "/api/v1/findings/{id}", "FindingDetail");
    view::<AuditPage>(&mut doc, "/api/v1/audit", "AuditPage");
    view::<FrameworkReport>(
        &mut doc,
        "/api/v1/tenants/{id}/reports/{framework}",
        "FrameworkReport",
    );
    view::<ScheduleView>(&mut doc, "/api/v1/tenants/{id}/schedule", "Schedule");
    answer_as(&mut doc, "put", "/api/v1/tenants/{id}/schedule", "Schedule");
    view::<Vec<DestinationView>>(&mut doc, "/api/v1/alerts/destinations", "AlertDestinations");
    component::<CreatedDestination>(&mut doc, "AlertDestinationCreated");
    answer_with(
        &mut doc,
        "post",
        "/api/v1/alerts/destinations",
        "201",
        "AlertDestinationCreated",
    );
    component::<DestinationView>(&mut doc, "AlertDestination");
    answer_as(
        &mut doc,
        "delete",
        "/api/v1/alerts/destinations/{id}",
        "AlertDestination",
    );
    component::<DeliveryView>(&mut doc, "AlertDelivery");
    answer_as(
        &mut doc,
        "post",
        "/api/v1/alerts/destinations/{id}/test",
        "AlertDelivery",
    );
    view::<Vec<RuleView>>(&mut doc, "/api/v1/alerts/rules", "AlertRules");
    component::<RuleView>(&mut doc, "AlertRule");
    answer_with(&mut doc, "post", "/api/v1/alerts/rules", "201", "AlertRule");
    answer_as(&mut doc, "put", "/api/v1/alerts/rules/{id}", "AlertRule");
    answer_as(&mut doc, "delete", "/api/v1/alerts/rules/{id}", "AlertRule");
    view::<DeliveryPage>(&mut doc, "/api/v1/alerts/deliveries", "AlertDeliveries");
    doc
}

/// Types the 200 answer of `GET path` as `T`, named `name` among the components.
fn view<T: JsonSchema>(doc: &mut Value, path: &str, name: &str) {
    component::<T>(doc, name);
    answer_as(doc, "get", path, name);
}

/// Adds `T`'s JSON Schema (and its nested types) to the components as `name`.
fn component<T: JsonSchema>(doc: &mut Value, name: &str) {
    let mut root = SchemaSettings::draft2020_12()
        .for_serialize()
        .with(|s| {
            s.meta_schema = None;
            s.definitions_path = "/components/schemas".into();
        })
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    let Value::Object(root_map) = &mut root else {
        return;
    };
    let nested = match root_map.remove("components") {
        Some(Value::Object(mut c)) => match c.remove("schemas") {
            Some(Value::Object(s)) => s,
            _ => Map::new(),
        },
        _ => Map::new(),
    };
    root_map.remove("title");
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (key, schema) in nested {
        schemas.entry(key).or_insert(schema);
    }
    schemas.insert(name.to_string(), root);
}

/// Types the 200 answer of `method path` as the component `name` (already added by [`view`]).
fn answer_as(doc: &mut Value, method: &str, path: &str, name: &str) {
    answer_with(doc, method, path, "200", name)
}

/// Types the `status` answer of `method path` as the component `name`.
fn answer_with(doc: &mut Value, method: &str, path: &str, status: &str, name: &str) {
    let pointer = format!(
        "/paths/{}/{method}/responses/{status}/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    );
    if let Some(schema) = doc.pointer_mut(&pointer) {
        *schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_route() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/overview",
            "/api/v1/findings",
            "/api/v1/findings/{id}",
            "/api/v1/scans",
            "/api/v1/scans/compare",
            "/api/v1/scans/{id}/events",
            "/api/v1/tenants/{id}/imports",
            "/api/v1/tenants/{id}/schedule",
            "/api/v1/reports/{id}/download",
            "/api/v1/people/{id}",
            "/api/v1/tokens/{id}",
            "/api/v1/alerts/destinations",
            "/api/v1/alerts/destinations/{id}/test",
            "/api/v1/alerts/rules",
            "/api/v1/alerts/deliveries",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
        let problem = &doc["paths"]["/api/v1/people"]["post"]["responses"]["403"]["content"];
        assert!(problem.get(PROBLEM_JSON).is_some(), "{problem}");
    }

    #[test]
    fn query_view_answers_are_typed_by_their_schemas() {
        let doc = full_document();
        for (path, name, field) in [
            ("/api/v1/scans", "ScanPage", "next_before_id"),
            ("/api/v1/scans/{id}", "ScanDetail", "by_service"),
            ("/api/v1/scans/compare", "ScanComparison", "newly_failing"),
            ("/api/v1/findings/{id}", "FindingDetail", "evidence"),
            ("/api/v1/audit", "AuditPage", "items"),
            (
                "/api/v1/tenants/{id}/reports/{framework}",
                "FrameworkReport",
                "groups",
            ),
            ("/api/v1/tenants/{id}/schedule", "Schedule", "next_run_at"),
            ("/api/v1/alerts/deliveries", "AlertDeliveries", "items"),
        ] {
            let schema = &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"];
            assert_eq!(schema["$ref"], format!("#/components/schemas/{name}"));
            let component = &doc["components"]["schemas"][name];
            assert!(
                component["properties"].get(field).is_some(),
                "{name}: {component}"
            );
        }
        // Every reference points at a component that exists.
        let text = doc.to_string();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "dangling reference to {name}"
            );
        }
        // No JSON answer is left as a bare object: each names its properties or a component.
        let mut untyped = Vec::new();
        // Findings files follow their standards' own schemas (OCSF events, a SARIF log).
        let files = ["/api/v1/scans/{id}/findings"];
        for (path, item) in doc["paths"].as_object().unwrap() {
            if files.contains(&path.as_str()) {
                continue;
            }
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().into_iter().flatten() {
                    let schema = &response["content"]["application/json"]["schema"];
                    if !schema.is_null()
                        && schema.get("$ref").is_none()
                        && schema.get("properties").is_none()
                    {
                        untyped.push(format!("{method} {path} {status}: {schema}"));
                    }
                }
            }
        }
        assert!(untyped.is_empty(), "{untyped:#?}");
        // The views' components add to the handlers' own, never replace one.
        let handlers = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (name, schema) in handlers["components"]["schemas"].as_object().unwrap() {
            assert_eq!(
                &doc["components"]["schemas"][name], schema,
                "{name} replaced"
            );
        }
    }
}
