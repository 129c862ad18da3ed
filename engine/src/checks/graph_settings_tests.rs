//! Pass, fail and missing-data cases of the Microsoft Graph settings checks
//! ([`super::graph_settings`]), on the sample export plus the stand-in tenant's Graph settings
//! (the repository's `fixtures/aether365/entra-settings.json`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::catalogue::find_check;
use crate::model::Status;
use crate::snapshot::Snapshot;

/// The stand-in tenant's Graph settings: keys of the `aether365` section as a live collection
/// writes them.
pub(crate) fn entra_settings_sample() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/aether365/entra-settings.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

type Mutation = Box<dyn Fn(&mut Value)>;

fn at(pointer: &'static str, value: Value) -> Mutation {
    Box::new(move |v: &mut Value| {
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer} in the sample")) = value.clone();
    })
}

fn all(ms: Vec<Mutation>) -> Mutation {
    Box::new(move |v: &mut Value| ms.iter().for_each(|m| m(v)))
}

const REG: &str = "/aether365/device_registration_policy";

/// A timeout policy definition with the given idle timeout for every application.
fn timeout_definition(t: &str) -> Value {
    json!([format!(
        "{{\"ActivityBasedTimeoutPolicy\":{{\"Version\":1,\"ApplicationPolicies\":[{{\"ApplicationId\":\"default\",\"WebSessionIdleTimeout\":\"{t}\"}}]}}}}"
    )])
}

/// The first conditional access policy of the sample turned into a token protection policy.
fn token_protection_policy() -> Mutation {
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
    ]
}

fn status(v: &Value, id: &str) -> (Status, String) {
    let snap = Snapshot::from_value(v.clone()).unwrap();
    let f = find_check(id).unwrap().evaluate(&snap);
    (f.status, f.message)
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
];

#[test]
fn graph_settings_cases_decide() {
    let sample = super::tests::sample_value();
    for (id, mutate, want) in cases() {
        let mut v = sample.clone();
        mutate(&mut v);
        let (got, message) = status(&v, id);
        assert_eq!(got, want, "{id}: {message}");
    }
}

#[test]
fn graph_settings_absent_from_a_scubagear_export_are_errors() {
    let plain = super::tests::scubagear_sample();
    for id in IDS {
        let (got, message) = status(&plain, id);
        assert_eq!(got, Status::Error, "{id}: {message}");
        assert!(message.contains("aether365"), "{id}: {message}");
    }
}

#[test]
fn graph_settings_missing_or_failed_are_errors_never_passes() {
    let sample = super::tests::sample_value();
    let keys: Vec<String> = entra_settings_sample()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for key in &keys {
        // The key absent from the section.
        let mut v = sample.clone();
        v["aether365"].as_object_mut().unwrap().remove(key);
        // Its read failed: recorded unsuccessful, with the collector's reason.
        let mut failed = sample.clone();
        let (cmd, _) = Snapshot::source_of(key).unwrap();
        failed["aad_unsuccessful_commands"] = json!([cmd]);
        failed["aether365_collection"] =
            json!({ "command_errors": { cmd: "403 Forbidden: OrgSettings-Forms.Read.All" } });
        // An unknown shape: a scalar instead of rows.
        let mut odd = sample.clone();
        odd["aether365"][key] = json!("unexpected");
        let mut decided_by_key = 0;
        for id in IDS {
            let (base, _) = status(&sample, id);
            let (missing, m1) = status(&v, id);
            let (fail, m2) = status(&failed, id);
            let (shape, m3) = status(&odd, id);
            if missing == Status::Error {
                decided_by_key += 1;
                assert!(m1.contains(key.as_str()), "{id}: {m1}");
                assert_eq!(fail, Status::Error, "{id}: {m2}");
                assert!(m2.contains(cmd), "{id}: {m2}");
                assert_eq!(shape, Status::Error, "{id}: {m3}");
            } else {
                assert_eq!(missing, base, "{id} changed without {key}: {m1}");
            }
        }
        assert!(decided_by_key > 0, "no check reads {key}");
    }
}

#[test]
fn empty_reads_fail_only_when_the_read_succeeded() {
    // No named location, no B2B policy, no timeout policy: a fail when the command is recorded
    // successful, an error when it is not.
    let mut sample = super::tests::sample_value();
    for key in [
        "named_locations",
        "b2b_management_policies",
        "activity_based_timeout_policies",
        "access_review_definitions",
    ] {
        sample["aether365"][key] = json!([]);
    }
    for id in [
        "A365-AAD-60",
        "A365-AAD-74",
        "A365-AAD-76",
        "A365-AAD-78",
        "A365-AAD-79",
    ] {
        assert_eq!(status(&sample, id).0, Status::Fail, "{id}");
    }
    let mut unrecorded = sample.clone();
    for k in ["exo_successful_commands", "aad_successful_commands"] {
        unrecorded[k] = json!([]);
    }
    for id in [
        "A365-AAD-60",
        "A365-AAD-74",
        "A365-AAD-76",
        "A365-AAD-78",
        "A365-AAD-79",
    ] {
        assert_eq!(status(&unrecorded, id).0, Status::Error, "{id}");
    }
}

#[test]
fn token_protection_needs_the_export_to_carry_it() {
    let mut v = super::tests::sample_value();
    token_protection_policy()(&mut v);
    assert_eq!(status(&v, "A365-AAD-77").0, Status::Pass);
    // An export whose policies have no `SecureSignInSession` at all cannot tell.
    for p in v["conditional_access_policies"].as_array_mut().unwrap() {
        if let Some(sc) = p["SessionControls"].as_object_mut() {
            sc.remove("SecureSignInSession");
        }
    }
    assert_eq!(status(&v, "A365-AAD-77").0, Status::Error);
    // Report-only is not enforcement.
    let mut v = super::tests::sample_value();
    token_protection_policy()(&mut v);
    v["conditional_access_policies"][0]["State"] = json!("enabledForReportingButNotEnforced");
    assert_eq!(status(&v, "A365-AAD-77").0, Status::Fail);
}

#[test]
fn idle_timeouts_are_read_as_timespans() {
    use super::graph_settings::CHECKS;
    assert!(CHECKS.iter().any(|c| c.id == "A365-AAD-60"));
    let mut v = super::tests::sample_value();
    for (t, want) in [
        ("03:00:00", Status::Pass),
        ("02:59:59.5", Status::Pass),
        ("03:00:01", Status::Fail),
        ("00:00:00", Status::Fail),
    ] {
        v["aether365"]["activity_based_timeout_policies"][0]["definition"] = timeout_definition(t);
        assert_eq!(status(&v, "A365-AAD-60").0, want, "{t}");
    }
}
