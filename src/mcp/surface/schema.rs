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

/// Adds properties that are present only sometimes to an object schema.
pub fn with_optional(mut schema: Value, properties: &[(&str, Value)]) -> Value {
    if let Some(props) = schema["properties"].as_object_mut() {
        for (name, property) in properties {
            props.insert((*name).to_string(), property.clone());
        }
    }
    schema
}

/// What a scan evaluated: the data's source and time, its snapshot, per-service outcome.
pub fn scan_evaluated() -> Value {
    with_optional(
        output(&[
            (
                "source",
                json!({ "enum": ["collector", "import", "sample", "public_dns"] }),
            ),
            ("collected_at", time()),
        ]),
        &[
            ("snapshot_id", integer()),
            (
                "services",
                array(with_optional(
                    output(&[
                        ("service", string()),
                        (
                            "state",
                            json!({ "enum": ["collected", "partial", "failed", "imported", "not_collected"] }),
                        ),
                    ]),
                    &[("detail", string()), ("as_of", time())],
                )),
            ),
            ("note", string()),
        ],
    )
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
    with_optional(
        output(&[
            ("id", integer()),
            ("display_name", string()),
            ("primary_domain", string()),
            ("microsoft_tenant_id", string()),
            ("verified_domains", array(string())),
            ("connected_at", time()),
            ("live_collection", boolean()),
        ]),
        &[("consented_at", time())],
    )
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
    scan_with_input(output(&[
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
    ]))
}

/// A scan, with what it evaluated when that is known.
fn scan_with_input(scan: Value) -> Value {
    with_optional(scan, &[("input", scan_evaluated())])
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

/// Sub-schemas smaller than this (serialised) stay inline: a reference would not be shorter.
const SHARE_MIN_LEN: usize = 80;

/// The same schema with every object sub-schema that occurs more than once written once in
/// `$defs` and referenced with `$ref` (named after the first property holding it). Exact:
/// resolving the references gives back the original schema.
pub fn share_definitions(mut schema: Value) -> Value {
    let mut defs = Map::new();
    loop {
        let mut counts: std::collections::HashMap<String, (usize, String)> = Default::default();
        count_objects(&schema, None, true, &mut counts);
        for def in defs.values() {
            count_objects(def, None, true, &mut counts);
        }
        // The repeated sub-schema whose sharing saves the most.
        let best = counts
            .iter()
            .filter(|(text, (n, _))| *n > 1 && text.len() >= SHARE_MIN_LEN)
            .max_by_key(|(text, (n, _))| (text.len() * (n - 1), (*text).clone()))
            .map(|(text, (_, name))| (text.clone(), name.clone()));
        let Some((text, name)) = best else { break };
        let mut unique = name.clone();
        let mut i = 2;
        while defs.contains_key(&unique) {
            unique = format!("{name}{i}");
            i += 1;
        }
        let Ok(def) = serde_json::from_str::<Value>(&text) else {
            break;
        };
        let reference = json!({ "$ref": format!("#/$defs/{unique}") });
        replace_objects(&mut schema, &def, &reference);
        for shared in defs.values_mut() {
            replace_objects(shared, &def, &reference);
        }
        defs.insert(unique, def);
    }
    if !defs.is_empty()
        && let Some(map) = schema.as_object_mut()
    {
        map.insert("$defs".into(), Value::Object(defs));
    }
    schema
}

fn is_object_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("object")
}

fn count_objects(
    v: &Value,
    key: Option<&str>,
    root: bool,
    counts: &mut std::collections::HashMap<String, (usize, String)>,
) {
    match v {
        Value::Object(map) => {
            if !root && is_object_schema(v) {
                let entry = counts
                    .entry(v.to_string())
                    .or_insert_with(|| (0, key.unwrap_or("object").to_string()));
                entry.0 += 1;
            }
            for (k, child) in map {
                // Property names, and `items` under the array's own name.
                let name = match k.as_str() {
                    "properties" | "$defs" | "anyOf" | "oneOf" => key,
                    "items" => key,
                    other => Some(other),
                };
                count_objects(child, name, false, counts);
            }
        }
        Value::Array(items) => {
            for item in items {
                count_objects(item, key, false, counts);
            }
        }
        _ => {}
    }
}

fn replace_objects(v: &mut Value, target: &Value, reference: &Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                if child == target {
                    *child = reference.clone();
                } else {
                    replace_objects(child, target, reference);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if item == target {
                    *item = reference.clone();
                } else {
                    replace_objects(item, target, reference);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod sharing_tests {
    use super::*;

    /// Resolves every `$ref` against `defs`.
    fn resolve(v: &Value, defs: &Map<String, Value>) -> Value {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let name = r.trim_start_matches("#/$defs/");
                    return resolve(&defs[name], defs);
                }
                Value::Object(
                    map.iter()
                        .filter(|(k, _)| k.as_str() != "$defs")
                        .map(|(k, v)| (k.clone(), resolve(v, defs)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| resolve(i, defs)).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn shared_definitions_resolve_to_the_same_schema_and_are_shorter() {
        let schema = output(&[
            ("before", scan_detail()),
            ("after", scan_detail()),
            ("tenants", array(tenant())),
            ("tenant", tenant()),
        ]);
        let shared = share_definitions(schema.clone());
        let defs = shared["$defs"].as_object().unwrap().clone();
        assert!(!defs.is_empty());
        assert_eq!(resolve(&shared, &defs), schema);
        assert!(shared.to_string().len() < schema.to_string().len());
    }
}
