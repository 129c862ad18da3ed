//! Tenant settings Microsoft Graph serves that ScubaGear's export does not carry, read for the
//! CIS recommendations (the engine's `snapshot::AETHER365_SOURCES`, prefix `aad`): each is
//! stored in the snapshot's `aether365` section as Graph answered it (camelCase properties), a
//! collection as a list and a single object as that object (without `@odata.context`).
//!
//! The least-privilege application permission of each path is in [`super::GRAPH_PROBES`]; a
//! failed read records its command unsuccessful with the reason, so the checks that need it
//! say why they could not decide.

use futures_util::future::join_all;
use serde_json::{Map, Value};

use super::GraphReader;
use crate::ReadError;

/// How Graph answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A collection (`{"value": [...]}`, paged with `@odata.nextLink`).
    Collection,
    /// A single object.
    Object,
    /// A single object that Microsoft's API reference shows wrapped as `{"value": {...}}`
    /// (`admin/appsAndServices`, `admin/forms`, Intune's `deviceManagement`: "returns ... an
    /// adminForms object", with an example whose object sits under `value`, while the resource
    /// pages and Intune's update example show the object itself): both forms are read, the object
    /// either way. `value` holding anything but one object is malformed, never an empty answer.
    ObjectOrValueWrapped,
    /// The custom app management policies, each with the objects it applies to
    /// ([`super::app_policies`]).
    AppPolicies,
}

/// One settings read: the `aether365` key it fills, the command name recorded for it (the
/// Microsoft Graph PowerShell cmdlet that makes the same request), the path and its shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SettingsRead {
    pub(crate) key: &'static str,
    pub(crate) command: &'static str,
    pub(crate) path: &'static str,
    pub(crate) shape: Shape,
}

const fn read(
    key: &'static str,
    command: &'static str,
    path: &'static str,
    shape: Shape,
) -> SettingsRead {
    SettingsRead {
        key,
        command,
        path,
        shape,
    }
}

/// Every settings read, in the order the commands are recorded.
pub(crate) const SETTINGS_READS: &[SettingsRead] = &[
    read(
        "activity_based_timeout_policies",
        "Get-MgPolicyActivityBasedTimeoutPolicy",
        "/v1.0/policies/activityBasedTimeoutPolicies",
        Shape::Collection,
    ),
    read(
        "apps_and_services",
        "Get-MgBetaAdminAppsAndServices",
        "/beta/admin/appsAndServices",
        Shape::ObjectOrValueWrapped,
    ),
    read(
        "forms_settings",
        "Get-MgBetaAdminForms",
        "/beta/admin/forms",
        Shape::ObjectOrValueWrapped,
    ),
    read(
        "device_management_settings",
        "Get-MgDeviceManagement",
        "/v1.0/deviceManagement?$select=settings",
        Shape::ObjectOrValueWrapped,
    ),
    read(
        "device_enrollment_configurations",
        "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
        "/v1.0/deviceManagement/deviceEnrollmentConfigurations",
        Shape::Collection,
    ),
    read(
        "device_registration_policy",
        "Get-MgPolicyDeviceRegistrationPolicy",
        "/v1.0/policies/deviceRegistrationPolicy",
        Shape::Object,
    ),
    read(
        "b2b_management_policies",
        "Get-MgBetaPolicyB2BManagementPolicy",
        "/beta/policies/b2bManagementPolicies",
        Shape::Collection,
    ),
    read(
        "named_locations",
        "Get-MgIdentityConditionalAccessNamedLocation",
        "/v1.0/identity/conditionalAccess/namedLocations",
        Shape::Collection,
    ),
    read(
        "access_review_definitions",
        "Get-MgIdentityGovernanceAccessReviewDefinition",
        "/v1.0/identityGovernance/accessReviews/definitions",
        Shape::Collection,
    ),
    read(
        "default_app_management_policy",
        "Get-MgPolicyDefaultAppManagementPolicy",
        "/v1.0/policies/defaultAppManagementPolicy",
        Shape::Object,
    ),
    read(
        "app_management_policies",
        "Get-MgPolicyAppManagementPolicy",
        super::app_policies::PATH,
        Shape::AppPolicies,
    ),
    // One application's service principal: none at all is an answer (CIS 1.3.7 fails on it).
    read(
        "third_party_storage_service_principals",
        "Get-MgServicePrincipal -Filter appId eq 'c1f33bc0-bdb4-4248-ba9b-096807ddb43e'",
        "/v1.0/servicePrincipals?$filter=appId%20eq%20'c1f33bc0-bdb4-4248-ba9b-096807ddb43e'&$select=id,appId,displayName,accountEnabled",
        Shape::Collection,
    ),
];

/// What the settings reads produced: the keys of the `aether365` section, and the commands
/// that succeeded or failed (with the reason).
#[derive(Debug, Default)]
pub(crate) struct SettingsRun {
    pub(crate) section: Map<String, Value>,
    pub(crate) ok: Vec<String>,
    pub(crate) failed: Vec<(String, String)>,
}

/// An object as the section keeps it: Graph's answer without its `@odata.context`.
fn without_context(v: Value) -> Result<Value, String> {
    match v {
        Value::Object(mut o) => {
            o.remove("@odata.context");
            Ok(Value::Object(o))
        }
        other => Err(format!("an object was expected, not {other}")),
    }
}

/// The object of an answer documented both as the object itself and as `{"value": {...}}`.
/// Beside `value` only OData annotations (`@odata.context`, ...) may stand: an object with
/// `value` and properties of its own is in neither documented form.
fn unwrapped(v: Value) -> Result<Value, String> {
    match v {
        Value::Object(mut o) if o.contains_key("value") => {
            if let Some(k) = o.keys().find(|k| *k != "value" && !k.starts_with('@')) {
                return Err(format!(
                    "`value` beside the property `{k}`: neither one object nor one object under `value`"
                ));
            }
            match o.remove("value") {
                Some(inner @ Value::Object(_)) => without_context(inner),
                Some(other) => Err(format!("`value` is not one object but {other}")),
                None => Err("no `value`".into()),
            }
        }
        other => without_context(other),
    }
}

async fn one(reader: &impl GraphReader, r: &SettingsRead) -> Result<Value, ReadError> {
    let malformed = |detail| ReadError::Malformed {
        what: r.path.to_string(),
        detail,
    };
    match r.shape {
        Shape::Collection => reader.list(r.path).await.map(Value::Array),
        Shape::Object => without_context(reader.get(r.path).await?).map_err(malformed),
        Shape::ObjectOrValueWrapped => unwrapped(reader.get(r.path).await?).map_err(malformed),
        Shape::AppPolicies => super::app_policies::read(reader).await.map(Value::Array),
    }
}

/// Runs every settings read concurrently.
pub(crate) async fn collect_settings(reader: &impl GraphReader) -> SettingsRun {
    let results = join_all(
        SETTINGS_READS
            .iter()
            .map(|r| async move { (r, one(reader, r).await) }),
    )
    .await;
    let mut run = SettingsRun::default();
    for (r, result) in results {
        match result {
            Ok(v) => {
                run.section.insert(r.key.to_string(), v);
                run.ok.push(r.command.to_string());
            }
            Err(e) => {
                tracing::warn!(command = r.command, reason = %e.reason(), "Graph settings read failed");
                run.failed.push((r.command.to_string(), e.reason()));
            }
        }
    }
    run
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aether365_engine::snapshot::AETHER365_SOURCES;

    #[test]
    fn every_read_fills_a_key_the_engine_reads_from_the_same_command() {
        for r in SETTINGS_READS {
            assert!(
                AETHER365_SOURCES
                    .iter()
                    .any(|(k, c, prefix)| *k == r.key && *c == r.command && *prefix == "aad"),
                "{}",
                r.key
            );
        }
        // Graph's other keys are the per-object summaries (per_object.rs).
        let ours = AETHER365_SOURCES
            .iter()
            .filter(|(k, _, prefix)| {
                *prefix == "aad" && !crate::per_object::KEYS.iter().any(|(p, _, _)| p == k)
            })
            .count();
        assert_eq!(ours, SETTINGS_READS.len());
    }

    #[test]
    fn every_read_names_its_permission() {
        for (r, want) in SETTINGS_READS.iter().zip([
            "Policy.Read.All",
            "OrgSettings-AppsAndServices.Read.All",
            "OrgSettings-Forms.Read.All",
            "DeviceManagementConfiguration.Read.All",
            "DeviceManagementServiceConfig.Read.All",
            "Policy.Read.DeviceConfiguration",
            "Policy.Read.B2BManagementPolicy",
            "Policy.Read.All",
            "AccessReview.Read.All",
            "Policy.Read.All",
            "Policy.Read.All",
            "Application.Read.All",
        ]) {
            assert_eq!(
                crate::graph::permission_for(r.path),
                Some(want),
                "{}",
                r.path
            );
        }
    }

    #[test]
    fn the_storage_read_asks_for_the_engine_s_application() {
        let r = SETTINGS_READS
            .iter()
            .find(|r| r.key == "third_party_storage_service_principals")
            .unwrap();
        assert!(
            r.path
                .contains(aether365_engine::THIRD_PARTY_STORAGE_APP_ID)
        );
        assert!(
            r.command
                .contains(aether365_engine::THIRD_PARTY_STORAGE_APP_ID)
        );
    }

    #[test]
    fn objects_lose_their_context_and_other_shapes_are_refused() {
        let v = serde_json::json!({"@odata.context": "x", "settings": {"a": true}});
        assert_eq!(
            without_context(v).unwrap(),
            serde_json::json!({"settings": {"a": true}})
        );
        assert!(without_context(serde_json::json!([1])).is_err());
    }

    #[test]
    fn an_object_under_value_is_the_object_and_other_value_shapes_are_refused() {
        use serde_json::json;
        let forms =
            json!({"id": "7ef97113", "settings": {"isInOrgFormsPhishingScanEnabled": false}});
        // Microsoft's example of GET /beta/admin/forms, and the object itself.
        assert_eq!(unwrapped(json!({"value": forms.clone()})).unwrap(), forms);
        assert_eq!(
            unwrapped(json!({"@odata.context": "x", "value": forms.clone()})).unwrap(),
            forms
        );
        assert_eq!(unwrapped(forms.clone()).unwrap(), forms);
        for bad in [
            json!({"value": [forms.clone()]}),
            json!({"value": null}),
            json!({"value": forms.clone(), "settings": {}}),
            json!([forms]),
        ] {
            assert!(unwrapped(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_reads_microsoft_documents_wrapped_accept_the_wrapper() {
        let wrapped: Vec<&str> = SETTINGS_READS
            .iter()
            .filter(|r| r.shape == Shape::ObjectOrValueWrapped)
            .map(|r| r.path)
            .collect();
        assert_eq!(
            wrapped,
            [
                "/beta/admin/appsAndServices",
                "/beta/admin/forms",
                "/v1.0/deviceManagement?$select=settings"
            ]
        );
    }
}
