//! JSON Schemas of tool inputs and outputs, built from small shared pieces.

use serde_json::{Map, Value, json};

/// An object schema with `properties` (name, schema) of which `required` must be present.
pub fn object(properties: &[(&str, Value)], required: &[&str]) -> Value {
    let props: Map<String, Value> = properties
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    json!({ "type": "object", "properties": props, "required": required })
}

/// An input object schema: like [`object`], with unknown properties refused.
pub fn input(properties: &[(&str, Value)], required: &[&str]) -> Value {
    let mut schema = object(properties, required);
    schema["additionalProperties"] = Value::Bool(false);
    schema
}

/// An output object schema where every listed property is always present.
pub fn output(properties: &[(&str, Value)]) -> Value {
    let names: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
    object(properties, &names)
}

pub fn string() -> Value {
    json!({ "type": "string" })
}

pub fn integer() -> Value {
    json!({ "type": "integer" })
}

pub fn boolean() -> Value {
    json!({ "type": "boolean" })
}

pub fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// `t` or null.
pub fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

pub fn nullable_time() -> Value {
    json!({ "type": ["string", "null"], "format": "date-time" })
}

pub fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A string described for the caller.
pub fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = Value::String(description.to_string());
    schema
}

/// A string from `values`.
pub fn enumeration(values: &[&str], description: &str) -> Value {
    json!({ "type": "string", "enum": values, "description": description })
}

/// One value from `values`, or several as an array.
pub fn one_or_many(values: &[&str], description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "string", "enum": values },
            { "type": "array", "items": { "type": "string", "enum": values }, "minItems": 1 }
        ]
    })
}

/// The `tenant` input: a display name, domain or id.
pub fn tenant_input() -> Value {
    json!({
        "type": ["string", "integer"],
        "description": "Tenant by display name, primary or verified domain, or numeric id (case-insensitive). Optional when the token can read exactly one tenant."
    })
}

/// A scan id input.
pub fn scan_input(description: &str) -> Value {
    json!({ "type": "integer", "minimum": 1, "description": description })
}

pub fn tenant() -> Value {
    output(&[
        ("id", integer()),
        ("display_name", string()),
        ("primary_domain", string()),
        ("microsoft_tenant_id", string()),
        ("verified_domains", array(string())),
        ("connected_at", time()),
    ])
}

pub fn status_counts() -> Value {
    output(&[
        ("pass", integer()),
        ("fail", integer()),
        ("manual", integer()),
        ("error", integer()),
        ("not_applicable", integer()),
    ])
}

pub fn severity_counts() -> Value {
    output(&[
        ("critical", integer()),
        ("high", integer()),
        ("medium", integer()),
        ("low", integer()),
        ("info", integer()),
    ])
}

pub fn breakdown() -> Value {
    output(&[
        ("name", string()),
        ("pass", integer()),
        ("fail", integer()),
        ("other", integer()),
        ("failing", severity_counts()),
        ("pass_rate", nullable("number")),
    ])
}

pub fn scan() -> Value {
    output(&[
        ("id", integer()),
        ("tenant_id", integer()),
        ("tenant_name", string()),
        ("kind", string()),
        ("origin", string()),
        ("status", string()),
        ("progress_done", integer()),
        ("progress_total", integer()),
        ("created_at", time()),
        ("started_at", nullable_time()),
        ("finished_at", nullable_time()),
        ("duration_seconds", nullable("number")),
        ("score", nullable("number")),
        ("counts", status_counts()),
        ("failing", severity_counts()),
        ("error", nullable("string")),
    ])
}

pub fn finding() -> Value {
    output(&finding_properties())
}

fn finding_properties() -> Vec<(&'static str, Value)> {
    vec![
        ("id", integer()),
        ("scan_id", integer()),
        ("tenant_id", integer()),
        ("check_id", string()),
        ("title", string()),
        ("service", string()),
        ("severity", string()),
        ("status", string()),
        ("message", string()),
        ("references", array(string())),
    ]
}

pub fn finding_detail() -> Value {
    let mut props = finding_properties();
    props.extend([
        ("tenant_name", string()),
        ("scan_finished_at", nullable_time()),
        ("evidence", json!({})),
        ("rationale", string()),
        ("remediation", string()),
        ("remediation_url", string()),
        ("frameworks", json!({})),
        (
            "history",
            array(output(&[
                ("scan_id", integer()),
                ("finding_id", integer()),
                ("finished_at", nullable_time()),
                ("status", string()),
            ])),
        ),
    ]);
    output(&props)
}

pub fn scan_detail() -> Value {
    output(&[
        ("scan", scan()),
        ("previous_scan_id", nullable("integer")),
        ("previous_score", nullable("number")),
        ("score_change", nullable("number")),
        ("by_service", array(breakdown())),
        ("by_framework", array(breakdown())),
        ("top_failing", array(finding())),
    ])
}

pub fn report() -> Value {
    output(&[
        ("id", integer()),
        ("tenant_id", nullable("integer")),
        ("audience", string()),
        ("framework", nullable("string")),
        ("title", string()),
        ("created_at", time()),
        ("uri", string()),
        ("markdown", string()),
    ])
}
