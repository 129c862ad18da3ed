//! The bundled ScubaGear 1.8.0 export rewritten into the shapes older releases wrote
//! (docs/frameworks.md, "Older ScubaGear exports"). Shared by the engine's tests
//! (`legacy_exports`) and the workspace's (`live_collection`, through `#[path]`), which serve
//! these layouts from the stand-in tenant.
#![allow(clippy::unwrap_used)]

use serde_json::{Map, Value, json};

fn camel(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every key, at every depth, in Graph's camelCase.
fn camel_case_keys(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(camel_case_keys).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (camel(k), camel_case_keys(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// An SDK object: the members not in `base` move into `AdditionalProperties`, in camelCase.
fn as_sdk_object(row: &mut Value, base: &[&str]) {
    let Some(o) = row.as_object_mut() else {
        return;
    };
    let mut extra = Map::new();
    for k in o.keys().cloned().collect::<Vec<_>>() {
        if !base.contains(&k.as_str()) {
            let v = o.remove(&k).unwrap();
            extra.insert(camel(&k), camel_case_keys(&v));
        }
    }
    o.insert("AdditionalProperties".into(), Value::Object(extra));
}

fn rows(doc: &mut Value, key: &str) -> Vec<Value> {
    doc[key].as_array().cloned().unwrap_or_default()
}

fn rename_command(doc: &mut Value, list: &str, new: &str, old: &str) {
    for outcome in ["successful", "unsuccessful"] {
        if let Some(a) = doc[format!("{list}_{outcome}_commands")].as_array_mut() {
            for c in a.iter_mut() {
                if c.as_str() == Some(new) {
                    *c = old.into();
                }
            }
        }
    }
}

/// The bundled export as ScubaGear 1.4.x/1.5.x wrote it: Entra ID objects of the Graph
/// PowerShell SDK (derived-type members in `AdditionalProperties`, camelCase), role assignments
/// in camelCase, and the SharePoint and Power Platform reads of before 1.8.0.
pub fn as_1_5(mut doc: Value) -> Value {
    doc["module_version"] = json!("1.5.0");
    let mut roles = rows(&mut doc, "privileged_roles");
    for role in &mut roles {
        if let Some(rules) = role.get_mut("Rules").and_then(Value::as_array_mut) {
            for rule in rules {
                as_sdk_object(rule, &["Id", "Target", "RuleSource", "RuleSourceType"]);
            }
        }
        if let Some(a) = role.get("Assignments") {
            role["Assignments"] = camel_case_keys(a);
        }
    }
    doc["privileged_roles"] = Value::Array(roles);
    let mut methods = rows(&mut doc, "authentication_method");
    for m in &mut methods {
        if let Some(configs) = m
            .get_mut("authentication_method_feature_settings")
            .and_then(Value::as_array_mut)
        {
            for c in configs {
                as_sdk_object(c, &["Id", "State", "ExcludeTargets"]);
            }
        }
    }
    doc["authentication_method"] = Value::Array(methods);
    let mut spo = rows(&mut doc, "SPO_tenant");
    for t in &mut spo {
        let o = t.as_object_mut().unwrap();
        let v = o.remove("ODBSharingCapability").unwrap();
        o.insert("OneDriveSharingCapability".into(), v);
    }
    doc["SPO_tenant"] = Value::Array(spo);
    rename_command(&mut doc, "SharePoint", "Get-SPOTenantRest", "Get-SPOTenant");
    for (new, old) in [
        ("Get-PowerPlatformTenantSettingsRest", "Get-TenantSettings"),
        (
            "Get-PowerPlatformEnvironmentsRest",
            "Get-AdminPowerAppEnvironment",
        ),
        ("Get-PowerPlatformDlpPoliciesRest", "Get-DlpPolicy"),
        (
            "Get-PowerPlatformTenantIsolationRest",
            "Get-PowerAppTenantIsolationPolicy",
        ),
    ] {
        rename_command(&mut doc, "powerplatform", new, old);
    }
    doc
}

/// The bundled export as ScubaGear 1.1.x wrote it: 1.5's SDK objects, but role assignments in
/// PascalCase, rules without their source, and `authentication_method` the policy object itself.
pub fn as_1_1(doc: Value) -> Value {
    let mut doc = as_1_5(doc);
    doc["module_version"] = json!("1.1.1");
    let mut roles = rows(&mut doc, "privileged_roles");
    for role in &mut roles {
        if let Some(rules) = role.get_mut("Rules").and_then(Value::as_array_mut) {
            for rule in rules {
                let o = rule.as_object_mut().unwrap();
                o.remove("RuleSource");
                o.remove("RuleSourceType");
            }
        }
        if let Some(a) = role.get_mut("Assignments") {
            aether365_engine::legacy_export::pascal_case_keys(a);
        }
    }
    doc["privileged_roles"] = Value::Array(roles);
    let methods = rows(&mut doc, "authentication_method");
    let wrapped = &methods[0];
    let mut policy = wrapped["authentication_method_policy"].clone();
    policy["AuthenticationMethodConfigurations"] =
        wrapped["authentication_method_feature_settings"].clone();
    doc["authentication_method"] = json!([policy]);
    doc
}
