//! Pass, fail and missing-data cases of the Microsoft Graph settings checks
//! ([`super::graph_settings`]), on the sample export plus the stand-in tenant's Graph settings
//! (the repository's `fixtures/aether365/entra-settings.json`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::graph_settings_cases::{
    IDS, cases, entra_settings_sample, timeout_definition, token_protection_policy,
};
use crate::catalogue::find_check;
use crate::model::Status;
use crate::snapshot::Snapshot;

fn status(v: &Value, id: &str) -> (Status, String) {
    let snap = Snapshot::from_value(v.clone()).unwrap();
    let f = find_check(id).unwrap().evaluate(&snap);
    (f.status, f.message)
}

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
        for id in IDS.iter().chain(super::scuba_main_cases::APP_POLICY_IDS) {
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
        "third_party_storage_service_principals",
    ] {
        sample["aether365"][key] = json!([]);
    }
    for id in [
        "A365-AAD-60",
        "A365-AAD-74",
        "A365-AAD-76",
        "A365-AAD-78",
        "A365-AAD-79",
        "A365-AAD-80",
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
        "A365-AAD-80",
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

#[test]
fn app_management_policy_without_evidence_is_an_error_never_a_pass() {
    let sample = super::tests::sample_value();
    let policy = "/aether365/default_app_management_policy";
    // (what is changed, to what, the checks it leaves without evidence)
    let cases: Vec<(&str, Value, &[&str])> = vec![
        // No `state`: whether the restriction is enforced is unknown.
        (
            "/applicationRestrictions/passwordCredentials/0/state",
            Value::Null,
            &["A365-AAD-81"],
        ),
        // Lifetimes and dates that cannot be read.
        (
            "/applicationRestrictions/passwordCredentials/1/maxLifetime",
            json!("180 days"),
            &["A365-AAD-82"],
        ),
        (
            "/servicePrincipalRestrictions/keyCredentials/0/maxLifetime",
            json!("P180X"),
            &["A365-AAD-84"],
        ),
        (
            "/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime",
            json!("soon"),
            &["A365-AAD-81"],
        ),
        // A date or lifetime that is not text is an unknown shape, never read as absent.
        (
            "/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime",
            json!(20200101),
            &["A365-AAD-81"],
        ),
        (
            "/servicePrincipalRestrictions/keyCredentials/0/maxLifetime",
            json!(180),
            &["A365-AAD-84"],
        ),
        (
            "/isEnabled",
            json!("true"),
            &["A365-AAD-81", "A365-AAD-82", "A365-AAD-83", "A365-AAD-84"],
        ),
        (
            "/servicePrincipalRestrictions/keyCredentials",
            json!({}),
            &["A365-AAD-84"],
        ),
    ];
    for (pointer, value, ids) in cases {
        let mut v = sample.clone();
        *v.pointer_mut(&format!("{policy}{pointer}")).unwrap() = value;
        for id in ids {
            let (got, message) = status(&v, id);
            assert_eq!(got, Status::Error, "{pointer} {id}: {message}");
        }
    }
    // A past date needs the collection time to be compared with.
    let mut v = sample.clone();
    *v.pointer_mut(&format!(
        "{policy}/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime"
    ))
    .unwrap() = json!("2020-01-01T00:00:00Z");
    assert_eq!(status(&v, "A365-AAD-81").0, Status::Pass);
    v.as_object_mut().unwrap().remove("timestamp_zulu");
    assert_eq!(status(&v, "A365-AAD-81").0, Status::Error);
    // ScubaGear's export writes "no date" as .NET's smallest date: every app, as when unset.
    let mut v = sample.clone();
    *v.pointer_mut(&format!(
        "{policy}/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime"
    ))
    .unwrap() = json!("/Date(-62135596800000)/");
    assert_eq!(status(&v, "A365-AAD-81").0, Status::Pass);
}
