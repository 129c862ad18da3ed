//! The Microsoft Graph settings of the sample tenant and the pass and fail cases of their
//! checks ([`super::graph_settings`]), shared by `tests.rs` (every check passes and fails) and
//! `graph_settings_tests.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::model::Status;

/// The stand-in tenant's Graph settings: keys of the `aether365` section as a live collection
/// writes them.
pub(crate) fn entra_settings_sample() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/aether365/entra-settings.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub(crate) type Mutation = Box<dyn Fn(&mut Value)>;

fn at(pointer: &'static str, value: Value) -> Mutation {
    Box::new(move |v: &mut Value| {
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in the sample")) = value.clone();
    })
}

fn all(ms: Vec<Mutation>) -> Mutation {
    Box::new(move |v: &mut Value| ms.iter().for_each(|m| m(v)))
}

/// A timeout policy definition with the given idle timeout for every application.
pub(crate) fn timeout_definition(t: &str) -> Value {
    json!([format!(
        "{{\"ActivityBasedTimeoutPolicy\":{{\"Version\":1,\"ApplicationPolicies\":[{{\"ApplicationId\":\"default\",\"WebSessionIdleTimeout\":\"{t}\"}}]}}}}"
    )])
}

/// The first conditional access policy of the sample turned into a token protection policy.
pub(crate) fn token_protection_policy() -> Mutation {
    all(vec![
        at(
            "/conditional_access_policies/0/SessionControls/SecureSignInSession",
            json!({ "IsEnabled": true }),
        ),
        at(
            "/conditional_access_policies/0/Conditions/Applications/IncludeApplications",
            json!([
                "00000002-0000-0ff1-ce00-000000000000",
                "00000003-0000-0ff1-ce00-000000000000"
            ]),
        ),
        at(
            "/conditional_access_policies/0/Conditions/Platforms",
            json!({ "IncludePlatforms": ["windows"], "ExcludePlatforms": [] }),
        ),
        at(
            "/conditional_access_policies/0/Conditions/ClientAppTypes",
            json!(["mobileAppsAndDesktopClients"]),
        ),
    ])
}

/// (check, mutation of the sample, expected status): a pass and a fail for every check.
pub(crate) fn cases() -> Vec<(&'static str, Mutation, Status)> {
    use Status::{Fail, Pass};
    let none: fn() -> Mutation = || Box::new(|_: &mut Value| {});
    vec![
        // 1.3.2: one hour passes; four hours, or no policy at all, fails.
        ("A365-AAD-60", none(), Pass),
        (
            "A365-AAD-60",
            at(
                "/aether365/activity_based_timeout_policies/0/definition",
                timeout_definition("04:00:00"),
            ),
            Fail,
        ),
        (
            "A365-AAD-60",
            at(
                "/aether365/activity_based_timeout_policies/0/definition",
                timeout_definition("1.00:00:00"),
            ),
            Fail,
        ),
        (
            "A365-AAD-60",
            at("/aether365/activity_based_timeout_policies", json!([])),
            Fail,
        ),
        ("A365-AAD-61", none(), Pass),
        (
            "A365-AAD-61",
            at(
                "/aether365/apps_and_services/settings/isAppAndServicesTrialEnabled",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-AAD-61",
            at(
                "/aether365/apps_and_services/settings/isOfficeStoreEnabled",
                json!(true),
            ),
            Fail,
        ),
        ("A365-AAD-62", none(), Pass),
        (
            "A365-AAD-62",
            at(
                "/aether365/forms_settings/settings/isInOrgFormsPhishingScanEnabled",
                json!(false),
            ),
            Fail,
        ),
        ("A365-AAD-63", none(), Pass),
        (
            "A365-AAD-63",
            at(
                "/aether365/device_management_settings/settings/secureByDefault",
                json!(false),
            ),
            Fail,
        ),
        ("A365-AAD-64", none(), Pass),
        (
            "A365-AAD-64",
            at(
                "/aether365/device_enrollment_configurations/0/androidRestriction/personalDeviceEnrollmentBlocked",
                json!(false),
            ),
            Fail,
        ),
        ("A365-AAD-65", none(), Pass),
        (
            "A365-AAD-65",
            at(
                "/aether365/device_registration_policy/azureADJoin/allowedToJoin",
                json!({ "@odata.type": "#microsoft.graph.allDeviceRegistrationMembership" }),
            ),
            Fail,
        ),
        ("A365-AAD-66", none(), Pass),
        (
            "A365-AAD-66",
            at(
                "/aether365/device_registration_policy/userDeviceQuota",
                json!(50),
            ),
            Fail,
        ),
        ("A365-AAD-67", none(), Pass),
        (
            "A365-AAD-67",
            at(
                "/aether365/device_registration_policy/azureADJoin/localAdmins/enableGlobalAdmins",
                json!(true),
            ),
            Fail,
        ),
        ("A365-AAD-68", none(), Pass),
        (
            "A365-AAD-68",
            at(
                "/aether365/device_registration_policy/azureADJoin/localAdmins/registeringUsers",
                json!({ "@odata.type": "#microsoft.graph.allDeviceRegistrationMembership" }),
            ),
            Fail,
        ),
        ("A365-AAD-69", none(), Pass),
        (
            "A365-AAD-69",
            at(
                "/aether365/device_registration_policy/localAdminPassword/isEnabled",
                json!(false),
            ),
            Fail,
        ),
        // 5.1.6.1: an allow list passes; a block list or no policy (any domain) fails.
        ("A365-AAD-74", none(), Pass),
        (
            "A365-AAD-74",
            at(
                "/aether365/b2b_management_policies/0/definition",
                json!([
                    "{\"B2BManagementPolicy\":{\"InvitationsAllowedAndBlockedDomainsPolicy\":{\"BlockedDomains\":[\"gmail.com\"]}}}"
                ]),
            ),
            Fail,
        ),
        (
            "A365-AAD-74",
            at("/aether365/b2b_management_policies", json!([])),
            Fail,
        ),
        ("A365-AAD-76", none(), Pass),
        (
            "A365-AAD-76",
            at("/aether365/named_locations/0/isTrusted", json!(false)),
            Fail,
        ),
        (
            "A365-AAD-76",
            at("/aether365/named_locations", json!([])),
            Fail,
        ),
        // 5.2.2.16: the sample has no token protection policy; the first policy made one passes.
        ("A365-AAD-77", none(), Fail),
        ("A365-AAD-77", token_protection_policy(), Pass),
        ("A365-AAD-78", none(), Pass),
        (
            "A365-AAD-78",
            at(
                "/aether365/access_review_definitions/0/settings/defaultDecision",
                json!("None"),
            ),
            Fail,
        ),
        (
            "A365-AAD-78",
            at(
                "/aether365/access_review_definitions/0/settings/recurrence/pattern/interval",
                json!(3),
            ),
            Fail,
        ),
        ("A365-AAD-79", none(), Pass),
        (
            "A365-AAD-79",
            at(
                "/aether365/access_review_definitions/1/scope/query",
                json!(
                    "/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal&$filter=(roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10')"
                ),
            ),
            Fail,
        ),
        (
            "A365-AAD-79",
            at(
                "/aether365/access_review_definitions/1/settings/autoApplyDecisionsEnabled",
                json!(false),
            ),
            Fail,
        ),
        // 1.3.7: a disabled service principal passes; an enabled or missing one fails.
        ("A365-AAD-80", none(), Pass),
        (
            "A365-AAD-80",
            at(
                "/aether365/third_party_storage_service_principals/0/accountEnabled",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-AAD-80",
            at(
                "/aether365/third_party_storage_service_principals",
                json!([]),
            ),
            Fail,
        ),
        // 5.1.5.3 to 5.1.5.6: both halves of the enabled policy must enforce the restriction.
        ("A365-AAD-81", none(), Pass),
        (
            "A365-AAD-81",
            at(
                "/aether365/default_app_management_policy/isEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-AAD-81",
            at(
                "/aether365/default_app_management_policy/servicePrincipalRestrictions/passwordCredentials/0/state",
                json!("disabled"),
            ),
            Fail,
        ),
        (
            "A365-AAD-81",
            at(
                "/aether365/default_app_management_policy/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime",
                json!("2999-01-01T00:00:00Z"),
            ),
            Fail,
        ),
        ("A365-AAD-82", none(), Pass),
        (
            "A365-AAD-82",
            at(
                "/aether365/default_app_management_policy/applicationRestrictions/passwordCredentials/1/maxLifetime",
                json!("P181D"),
            ),
            Fail,
        ),
        (
            "A365-AAD-82",
            at(
                "/aether365/default_app_management_policy/servicePrincipalRestrictions/passwordCredentials",
                json!([]),
            ),
            Fail,
        ),
        ("A365-AAD-83", none(), Pass),
        (
            "A365-AAD-83",
            at(
                "/aether365/default_app_management_policy/applicationRestrictions/passwordCredentials/2/restrictionType",
                json!("symmetricKeyAddition"),
            ),
            Fail,
        ),
        ("A365-AAD-84", none(), Pass),
        (
            "A365-AAD-84",
            at(
                "/aether365/default_app_management_policy/servicePrincipalRestrictions/keyCredentials/0/maxLifetime",
                json!("P1Y"),
            ),
            Fail,
        ),
        (
            "A365-AAD-84",
            at(
                "/aether365/default_app_management_policy/applicationRestrictions",
                json!(null),
            ),
            Fail,
        ),
    ]
}

/// The checks that read the Graph settings of the `aether365` section.
pub(crate) const IDS: &[&str] = &[
    "A365-AAD-60",
    "A365-AAD-61",
    "A365-AAD-62",
    "A365-AAD-63",
    "A365-AAD-64",
    "A365-AAD-65",
    "A365-AAD-66",
    "A365-AAD-67",
    "A365-AAD-68",
    "A365-AAD-69",
    "A365-AAD-74",
    "A365-AAD-76",
    "A365-AAD-78",
    "A365-AAD-79",
    "A365-AAD-80",
    "A365-AAD-81",
    "A365-AAD-82",
    "A365-AAD-83",
    "A365-AAD-84",
];
