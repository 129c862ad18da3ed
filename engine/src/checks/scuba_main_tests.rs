//! Pass, fail and missing-data cases of the checks applying ScubaGear main branch's rules
//! ([`super::scuba_main`]), on the sample export plus the stand-in tenant's Graph settings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::scuba_main_cases::{DEFAULT, cases, restriction, set};
use crate::catalogue::find_check;
use crate::model::Status::{self, Error, Fail, NotApplicable, Pass};
use crate::snapshot::Snapshot;

const CUSTOM: &str = "/aether365/app_management_policies";

fn status(v: &Value, id: &str) -> (Status, String) {
    let snap = Snapshot::from_value(v.clone()).unwrap();
    let f = find_check(id).unwrap().evaluate(&snap);
    (f.status, f.message)
}

#[test]
fn the_sample_meets_the_main_branch_rules() {
    let v = super::tests::sample_value();
    for id in ["A365-AAD-95", "A365-AAD-96", "A365-AAD-97"] {
        let (got, message) = status(&v, id);
        assert_eq!(got, Pass, "{id}: {message}");
    }
    // 5.6 is moot while no client secret can be added.
    assert!(status(&v, "A365-AAD-96").1.contains("moot"));
}

#[test]
fn the_main_branch_cases_decide() {
    let sample = super::tests::sample_value();
    for (i, (id, mutate, want)) in cases().into_iter().enumerate() {
        let mut v = sample.clone();
        mutate(&mut v);
        let (got, message) = status(&v, id);
        assert_eq!(got, want, "case {i} {id}: {message}");
    }
}

#[test]
fn custom_policies_that_exempt_their_applications_fail() {
    let sample = super::tests::sample_value();
    // A custom policy switching password addition off for its application.
    let mut v = sample.clone();
    set(
        &mut v,
        &format!("{CUSTOM}/0/restrictions/passwordCredentials"),
        json!([{"restrictionType": "passwordAddition", "state": "disabled", "maxLifetime": null}]),
    );
    let snap = Snapshot::from_value(v.clone()).unwrap();
    let f = find_check("A365-AAD-95").unwrap().evaluate(&snap);
    assert_eq!(f.status, Fail, "{}", f.message);
    assert!(!f.message.contains("Build pipeline"), "{}", f.message);
    // Not assigned to any application, or not enabled: it exempts nothing.
    let mut unassigned = v.clone();
    set(&mut unassigned, &format!("{CUSTOM}/0/appliesTo"), json!([]));
    assert_eq!(status(&unassigned, "A365-AAD-95").0, Pass);
    let mut off = v.clone();
    set(&mut off, &format!("{CUSTOM}/0/isEnabled"), json!(false));
    assert_eq!(status(&off, "A365-AAD-95").0, Pass);
    // A custom policy allowing its application a 2-year certificate lifts 5.7's limit.
    let mut long = sample.clone();
    set(
        &mut long,
        &format!("{CUSTOM}/0/restrictions/keyCredentials/0/maxLifetime"),
        json!("P730D"),
    );
    assert_eq!(status(&long, "A365-AAD-97").0, Fail);
    assert_eq!(status(&long, "A365-AAD-95").0, Pass);
}

#[test]
fn missing_app_policy_data_is_an_error_never_a_pass() {
    let sample = super::tests::sample_value();
    // The custom policies not read: a pass needs them.
    let mut v = sample.clone();
    v["aether365"]
        .as_object_mut()
        .unwrap()
        .remove("app_management_policies");
    for id in ["A365-AAD-95", "A365-AAD-96", "A365-AAD-97"] {
        let (got, message) = status(&v, id);
        assert_eq!(got, Error, "{id}: {message}");
        assert!(
            message.contains("app_management_policies"),
            "{id}: {message}"
        );
    }
    // ... but the default policy alone can fail it.
    restriction(
        &mut v,
        "applicationRestrictions",
        "keyCredentials",
        "asymmetricKeyLifetime",
    )["state"] = json!("disabled");
    assert_eq!(status(&v, "A365-AAD-97").0, Fail);
    // No custom policy is evidence only when the read is recorded as successful.
    let mut empty = sample.clone();
    set(&mut empty, CUSTOM, json!([]));
    assert_eq!(status(&empty, "A365-AAD-95").0, Pass);
    empty["aad_successful_commands"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c != "Get-MgPolicyAppManagementPolicy");
    assert_eq!(status(&empty, "A365-AAD-95").0, Error);
    // A custom policy whose applications were not read.
    let mut no_apps = sample.clone();
    no_apps
        .pointer_mut(&format!("{CUSTOM}/0"))
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("appliesTo");
    assert_eq!(status(&no_apps, "A365-AAD-97").0, Error);
    // Unknown shapes in the default policy.
    for (pointer, value, id) in [
        (
            "/applicationRestrictions/passwordCredentials/0/state",
            Value::Null,
            "A365-AAD-95",
        ),
        (
            "/applicationRestrictions/passwordCredentials/0/restrictForAppsCreatedAfterDateTime",
            json!("soon"),
            "A365-AAD-95",
        ),
        (
            "/applicationRestrictions/keyCredentials/0/maxLifetime",
            json!("a year"),
            "A365-AAD-97",
        ),
        ("/isEnabled", json!("true"), "A365-AAD-97"),
        (
            "/servicePrincipalRestrictions/keyCredentials",
            json!({}),
            "A365-AAD-97",
        ),
    ] {
        let mut v = sample.clone();
        set(&mut v, &format!("{DEFAULT}{pointer}"), value);
        let (got, message) = status(&v, id);
        assert_eq!(got, Error, "{pointer} {id}: {message}");
    }
    // A ScubaGear export has no `aether365` section.
    let plain = super::tests::scubagear_sample();
    for id in ["A365-AAD-95", "A365-AAD-96", "A365-AAD-97"] {
        assert_eq!(status(&plain, id).0, Error, "{id}");
    }
}

#[test]
fn sharepoint_3_3v2_applies_to_existing_guests_too() {
    let sample = super::tests::sample_value();
    let tenant = "/SPO_tenant/0";
    let case = |level: i64, required: Value, days: Value| {
        let mut v = sample.clone();
        set(&mut v, &format!("{tenant}/SharingCapability"), json!(level));
        set(
            &mut v,
            &format!("{tenant}/EmailAttestationRequired"),
            required,
        );
        set(
            &mut v,
            &format!("{tenant}/EmailAttestationReAuthDays"),
            days,
        );
        (status(&v, "A365-SPO-21").0, status(&v, "A365-SPO-08").0)
    };
    // Existing guests: 3.3v2 decides, 3.3v1 (A365-SPO-08) does not apply.
    assert_eq!(case(3, json!(true), json!(30)), (Pass, NotApplicable));
    assert_eq!(case(3, json!(true), json!(31)), (Fail, NotApplicable));
    assert_eq!(case(3, json!(false), json!(15)), (Fail, NotApplicable));
    // Anyone and new and existing guests: both rules agree.
    assert_eq!(case(2, json!(true), json!(7)), (Pass, Pass));
    assert_eq!(case(1, json!(false), json!(7)), (Fail, Fail));
    // Only the organisation: not applicable.
    assert_eq!(case(0, json!(false), json!(90)).0, NotApplicable);
    // A missing setting is an error, never a pass.
    assert_eq!(case(3, Value::Null, json!(30)).0, Error);
    assert_eq!(case(1, json!(true), Value::Null).0, Error);
    assert_eq!(case(9, json!(true), json!(30)).0, Error);
}

#[test]
fn main_branch_policies_are_cited_by_the_main_branch_version() {
    use crate::references::{SCUBA_MAIN_CHANGES, SCUBA_POLICIES, scuba_citation};
    for p in SCUBA_MAIN_CHANGES {
        assert!(!SCUBA_POLICIES.contains(&p.id), "{}", p.id);
        if let Some(old) = p.replaces {
            assert!(SCUBA_POLICIES.contains(&old), "{}", p.id);
        }
        let c = find_check(p.check).unwrap();
        assert!(c.scuba_ids().is_empty(), "{}: a check of its own", p.id);
    }
    let snap = Snapshot::from_value(super::tests::sample_value()).unwrap();
    let f = find_check("A365-AAD-95").unwrap().evaluate(&snap);
    let names: Vec<String> = f.frameworks.iter().filter_map(scuba_citation).collect();
    assert_eq!(
        names,
        ["SCuBA Microsoft Entra ID (v2.6.10, ScubaGear main branch) MS.AAD.5.5v1"]
    );
    let f = find_check("A365-SPO-21").unwrap().evaluate(&snap);
    let names: Vec<String> = f.frameworks.iter().filter_map(scuba_citation).collect();
    assert_eq!(
        names,
        [
            "SCuBA SharePoint Online and OneDrive (v2.6.10, ScubaGear main branch) MS.SHAREPOINT.3.3v2"
        ]
    );
    // A 1.8.0 policy is not cited by the main branch's version.
    let bogus = crate::model::FrameworkRef {
        framework: crate::model::Framework::Scuba,
        id: "MS.AAD.5.1v1".into(),
        version: crate::references::SCUBA_MAIN_VERSION.into(),
    };
    assert_eq!(scuba_citation(&bogus), None);
}
