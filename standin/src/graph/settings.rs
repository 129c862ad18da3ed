//! The tenant settings Graph serves beside the directory that the CIS checks read (timeout
//! policy, admin center settings, Intune, device registration, B2B, named locations, access
//! reviews, the default and custom app management policies): each path answered from the export's own
//! `aether365` section when it has the key, else from the stand-in tenant's
//! [`crate::entra_settings`]. A collection is served as `{"value": [...]}`, paged; a single
//! object as that object.

use serde_json::{Map, Value};

use super::Served;

/// Graph path (after `/v1.0` or `/beta`), the `aether365` key it answers from, and the
/// least-privilege application permission Microsoft documents for it.
const PATHS: &[(&str, &str, &str)] = &[
    (
        "policies/activityBasedTimeoutPolicies",
        "activity_based_timeout_policies",
        "Policy.Read.All",
    ),
    (
        "admin/appsAndServices",
        "apps_and_services",
        "OrgSettings-AppsAndServices.Read.All",
    ),
    (
        "admin/forms",
        "forms_settings",
        "OrgSettings-Forms.Read.All",
    ),
    (
        "deviceManagement",
        "device_management_settings",
        "DeviceManagementConfiguration.Read.All",
    ),
    (
        "deviceManagement/deviceEnrollmentConfigurations",
        "device_enrollment_configurations",
        "DeviceManagementServiceConfig.Read.All",
    ),
    (
        "policies/deviceRegistrationPolicy",
        "device_registration_policy",
        "Policy.Read.DeviceConfiguration",
    ),
    (
        "policies/b2bManagementPolicies",
        "b2b_management_policies",
        "Policy.Read.B2BManagementPolicy",
    ),
    (
        "identity/conditionalAccess/namedLocations",
        "named_locations",
        "Policy.Read.All",
    ),
    (
        "identityGovernance/accessReviews/definitions",
        "access_review_definitions",
        "AccessReview.Read.All",
    ),
    (
        "policies/defaultAppManagementPolicy",
        "default_app_management_policy",
        "Policy.Read.All",
    ),
    (
        "policies/appManagementPolicies",
        APP_POLICIES,
        "Policy.Read.All",
    ),
];

/// The `aether365` key of the custom app management policies: each policy carries the objects
/// it applies to under `appliesTo`, which Graph serves apart
/// (`policies/appManagementPolicies/{id}/appliesTo`), never in the list.
const APP_POLICIES: &str = "app_management_policies";
const APPLIES_TO: &str = "appliesTo";

/// The `aether365` key holding service principals the directory has beside the privileged
/// ones (Microsoft 365 on the web's third-party storage): served by `servicePrincipals`, with
/// its `$filter`, not by a path of their own.
pub(super) const SERVICE_PRINCIPALS: &str = "third_party_storage_service_principals";

/// The settings a stand-in tenant serves: the export's own where it has them.
pub(super) fn from_export(export: &Value) -> Map<String, Value> {
    let own = export.get("aether365");
    PATHS
        .iter()
        .map(|(_, key, _)| *key)
        .chain([SERVICE_PRINCIPALS])
        .filter_map(|key| {
            own.and_then(|o| o.get(key))
                .or_else(|| crate::entra_settings().get(key))
                .map(|v| (key.to_string(), v.clone()))
        })
        .collect()
}

/// The objects one custom app management policy applies to
/// (`policies/appManagementPolicies/{id}/appliesTo`); `None` when `rest` is not that path.
fn applies_to(settings: &Map<String, Value>, rest: &str) -> Option<Option<Served>> {
    let id = rest
        .strip_prefix("policies/appManagementPolicies/")?
        .strip_suffix("/appliesTo")?;
    let policies = settings.get(APP_POLICIES).and_then(Value::as_array);
    Some(
        policies
            .and_then(|ps| {
                ps.iter()
                    .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
            })
            .map(|p| {
                Served::Collection(
                    p.get(APPLIES_TO)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                )
            }),
    )
}

/// The answer for a path (after the version), if it is one of these settings.
pub(super) fn answer(settings: &Map<String, Value>, rest: &str) -> Option<Option<Served>> {
    let rest = rest.trim_matches('/');
    if let Some(served) = applies_to(settings, rest) {
        return Some(served);
    }
    let (_, key, _) = PATHS.iter().find(|(p, _, _)| *p == rest)?;
    Some(settings.get(*key).map(|v| {
        match v {
            Value::Array(items) => Served::Collection(
                items
                    .iter()
                    .filter(|x| !x.is_null())
                    .map(|x| {
                        let mut x = x.clone();
                        // Graph lists app management policies without their assignments.
                        if *key == APP_POLICIES
                            && let Some(o) = x.as_object_mut()
                        {
                            o.remove(APPLIES_TO);
                        }
                        x
                    })
                    .collect(),
            ),
            other => Served::Object(other.clone()),
        }
    }))
}

/// The permission a path needs, if it is one of these settings.
pub(super) fn permission(rest: &str) -> Option<&'static str> {
    let rest = rest.trim_matches('/');
    // Listing a policy's assignments needs Application.Read.All beside Policy.Read.All.
    if rest.starts_with("policies/appManagementPolicies/") && rest.ends_with("/appliesTo") {
        return Some("Application.Read.All");
    }
    PATHS
        .iter()
        .find(|(p, _, _)| *p == rest)
        .map(|(_, _, permission)| *permission)
}
