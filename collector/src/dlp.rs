//! Power Platform DLP (data) policies from the admin API
//! (`/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies`, api-version 2016-11-01),
//! reshaped into the `dlp_policies` rows of a ScubaGear export.
//!
//! Microsoft documents two shapes for a policy's connectors, and both are read:
//! - `properties.definition.apiGroups`: an object keyed by group (`hbi` = business, `lbi` =
//!   non-business, `blocked`), each with an `apis` list, plus `properties.definition.defaultApiGroup`
//!   (the group of every connector the policy does not list);
//! - `connectorGroups` (under `properties`, or at the top level in the v2 policies API): a list of
//!   `{classification: Confidential | General | Blocked, connectors: [...]}`, plus
//!   `defaultConnectorsClassification`.
//!
//! The row always carries the three groups in the second shape (what the engine's checks and
//! ScubaGear's Rego read), and `defaultConnectorsClassification` when the policy states it. A
//! policy in neither shape gets `connectorGroups: null`, so a check that needs its connectors
//! answers `error` instead of reading an empty list as "no connector allowed".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

/// One connector of a group, as both shapes list it.
#[derive(Debug, Default, Deserialize)]
struct Api {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// A group of `definition.apiGroups`.
#[derive(Debug, Default, Deserialize)]
struct ApiGroup {
    #[serde(default)]
    apis: Option<Vec<Api>>,
}

/// A group of the `connectorGroups` shape.
#[derive(Debug, Default, Deserialize)]
struct ConnectorGroup {
    #[serde(default)]
    classification: Option<String>,
    #[serde(default)]
    connectors: Option<Vec<Api>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Definition {
    #[serde(default)]
    api_groups: Option<BTreeMap<String, ApiGroup>>,
    #[serde(default)]
    default_api_group: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    #[serde(default)]
    definition: Option<Definition>,
    #[serde(default)]
    connector_groups: Option<Vec<ConnectorGroup>>,
    #[serde(default)]
    default_connectors_classification: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    #[serde(default)]
    properties: Option<Properties>,
    #[serde(default)]
    connector_groups: Option<Vec<ConnectorGroup>>,
    #[serde(default)]
    default_connectors_classification: Option<String>,
}

/// The export's classification of a group key or classification name, if it is one of the three.
fn classification(key: &str) -> Option<&'static str> {
    match key.to_ascii_lowercase().as_str() {
        "hbi" | "confidential" | "business" => Some("Confidential"),
        "lbi" | "general" | "nonbusiness" | "non-business" => Some("General"),
        "blocked" => Some("Blocked"),
        _ => None,
    }
}

const ORDER: [&str; 3] = ["Confidential", "General", "Blocked"];

fn connector(api: &Api) -> Value {
    json!({ "id": api.id, "name": api.name, "type": api.kind })
}

/// The connector groups and the default classification of one policy, in the export's shape:
/// `(connectorGroups, defaultConnectorsClassification)`. `connectorGroups` is `null` when the
/// policy is in no documented shape or names a group this parser does not know.
pub(crate) fn connector_groups(policy: &Value) -> (Value, Value) {
    let Ok(parsed) = Policy::deserialize(policy) else {
        return (Value::Null, Value::Null);
    };
    let props = parsed.properties.unwrap_or_default();
    let mut groups: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut default = None;
    let mut known = false;
    let mut unknown_group = false;

    if let Some(def) = props.definition {
        if let Some(api_groups) = def.api_groups {
            known = true;
            for (key, group) in &api_groups {
                match classification(key) {
                    Some(c) => groups
                        .entry(c)
                        .or_default()
                        .extend(group.apis.iter().flatten().map(connector)),
                    None => unknown_group = true,
                }
            }
        }
        if let Some(d) = def.default_api_group {
            default = Some(d);
        }
    }
    for list in [props.connector_groups, parsed.connector_groups]
        .into_iter()
        .flatten()
    {
        known = true;
        for group in &list {
            match group.classification.as_deref().and_then(classification) {
                Some(c) => groups
                    .entry(c)
                    .or_default()
                    .extend(group.connectors.iter().flatten().map(connector)),
                None => unknown_group = true,
            }
        }
    }
    let default = default
        .or(props.default_connectors_classification)
        .or(parsed.default_connectors_classification);
    let default = match default.as_deref().map(|d| (d, classification(d))) {
        None => Value::Null,
        Some((_, Some(c))) => json!(c),
        // An unknown default group: keep what Microsoft sent, so no check reads it as blocked.
        Some((raw, None)) => json!(raw),
    };
    if !known || unknown_group {
        return (Value::Null, default);
    }
    let rows: Vec<Value> = ORDER
        .iter()
        .map(|c| json!({ "classification": c, "connectors": groups.remove(c).unwrap_or_default() }))
        .collect();
    (Value::Array(rows), default)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The shape of `Get-AdminDlpPolicy`'s 2016-11-01 answer as Microsoft's admin module documents
    /// it: groups keyed `hbi`/`lbi`, a `defaultApiGroup`, the environment filter in `constraints`.
    fn documented_api_groups() -> Value {
        json!({
            "name": "8a0f0c19-5c4b-4d74-9a5b-fd9ef3c0e6d2",
            "id": "/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies/8a0f0c19-5c4b-4d74-9a5b-fd9ef3c0e6d2",
            "type": "Microsoft.BusinessAppPlatform/scopes/apiPolicies",
            "properties": {
                "displayName": "MetroBank Policy",
                "createdTime": "2019-05-03T18:20:02.8539547Z",
                "definition": {
                    "$schema": "https://schema.management.azure.com/providers/Microsoft.BusinessAppPlatform/schemas/2016-10-01-preview/apiPolicyDefinition.json#",
                    "constraints": {
                        "environmentFilter1": {
                            "type": "environmentFilter",
                            "parameters": {
                                "environments": [{"name": "Default-02c201b0-db76-4a6a-b3e1-a69202b479e6", "id": "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/Default-02c201b0-db76-4a6a-b3e1-a69202b479e6", "type": "Microsoft.BusinessAppPlatform/scopes/environments"}],
                                "filterType": "include"
                            }
                        }
                    },
                    "apiGroups": {
                        "hbi": {"description": "Business data only", "apis": [
                            {"id": "/providers/Microsoft.PowerApps/apis/shared_sharepointonline", "name": "SharePoint", "type": "Microsoft.PowerApps/apis"},
                            {"id": "/providers/Microsoft.PowerApps/apis/shared_twitter", "name": "Twitter", "type": "Microsoft.PowerApps/apis"}
                        ]},
                        "lbi": {"description": "No business data allowed", "apis": [
                            {"id": "/providers/Microsoft.PowerApps/apis/shared_dropbox", "name": "Dropbox", "type": "Microsoft.PowerApps/apis"}
                        ]}
                    },
                    "defaultApiGroup": "lbi",
                    "rules": [{"type": "apiGroupRule", "parameters": {"apiGroup": "hbi", "blockedApiGroups": ["lbi"]}, "actions": {"blockAction": {"type": "Block"}}}]
                }
            }
        })
    }

    fn ids(groups: &Value, class: &str) -> Vec<String> {
        groups
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["classification"] == class)
            .unwrap()["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn reads_microsofts_documented_api_groups() {
        let (groups, default) = connector_groups(&documented_api_groups());
        assert_eq!(
            ids(&groups, "Confidential"),
            ["shared_sharepointonline", "shared_twitter"]
        );
        assert_eq!(ids(&groups, "General"), ["shared_dropbox"]);
        assert!(ids(&groups, "Blocked").is_empty());
        assert_eq!(default, "General");
    }

    #[test]
    fn reads_the_blocked_group_and_a_blocked_default() {
        let mut p = documented_api_groups();
        p["properties"]["definition"]["apiGroups"]["blocked"] = json!({"apis": [{"id": "/providers/Microsoft.PowerApps/apis/shared_twitter", "name": "Twitter"}]});
        p["properties"]["definition"]["defaultApiGroup"] = json!("blocked");
        let (groups, default) = connector_groups(&p);
        assert_eq!(ids(&groups, "Blocked"), ["shared_twitter"]);
        assert_eq!(default, "Blocked");
    }

    #[test]
    fn reads_connector_groups_under_properties_and_at_the_top() {
        let groups_list = json!([
            {"classification": "Confidential", "connectors": [{"id": "/providers/Microsoft.PowerApps/apis/shared_office365", "name": "Office 365 Outlook", "type": "Microsoft.PowerApps/apis"}]},
            {"classification": "General", "connectors": [{"id": "/providers/Microsoft.PowerApps/apis/shared_twitter", "name": "Twitter", "type": "Microsoft.PowerApps/apis"}]},
            {"classification": "Blocked", "connectors": []}
        ]);
        let nested = json!({"name": "p", "properties": {"displayName": "P", "connectorGroups": groups_list, "defaultConnectorsClassification": "Blocked"}});
        let top = json!({"name": "p", "displayName": "P", "connectorGroups": groups_list, "defaultConnectorsClassification": "General"});
        for (p, want_default) in [(nested, "Blocked"), (top, "General")] {
            let (groups, default) = connector_groups(&p);
            assert_eq!(ids(&groups, "Confidential"), ["shared_office365"]);
            assert_eq!(ids(&groups, "General"), ["shared_twitter"]);
            assert_eq!(default, want_default);
        }
    }

    #[test]
    fn an_unknown_shape_or_group_is_not_read_as_empty() {
        let (groups, _) = connector_groups(
            &json!({"name": "p", "properties": {"displayName": "P", "definition": {}}}),
        );
        assert!(groups.is_null());
        let mut p = documented_api_groups();
        p["properties"]["definition"]["apiGroups"]["mbi"] = json!({"apis": []});
        assert!(connector_groups(&p).0.is_null());
        let (groups, _) =
            connector_groups(&json!({"properties": {"definition": {"apiGroups": "hbi"}}}));
        assert!(groups.is_null());
    }
}
