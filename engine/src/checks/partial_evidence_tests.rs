//! Tests of the checks that decide on part of their evidence (issue 21): where a section they
//! read is missing, the evidence present may still prove a fail, which then says what was not
//! read; it never proves a pass, and anything else stays an error. Also the SPF check's reading
//! of ScubaGear's own verdict where the export holds it without the records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::tests::sample_value;
use crate::catalogue::find_check;
use crate::model::{Finding, Status};
use crate::snapshot::Snapshot;

fn eval(v: &Value, id: &str) -> Finding {
    find_check(id)
        .unwrap()
        .evaluate(&Snapshot::from_value(v.clone()).unwrap())
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    for k in keys {
        v.as_object_mut().unwrap().remove(*k).unwrap();
    }
    v
}

// ---------- MS.AAD.3.3v2 (A365-AAD-08) ----------

const LOCATION_STATE: &str = concat!(
    "/authentication_method/0/authentication_method_feature_settings",
    "/1/FeatureSettings/DisplayLocationInformationRequiredState/State"
);

fn weak_authenticator() -> Value {
    let mut v = sample_value();
    *v.pointer_mut(LOCATION_STATE).unwrap() = json!("disabled");
    v
}

#[test]
fn a_weak_authenticator_fails_without_the_conditional_access_policies_and_says_so() {
    let f = eval(
        &without(weak_authenticator(), &["conditional_access_policies"]),
        "A365-AAD-08",
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message
            .contains("The conditional access policies were not read")
            && f.message.contains("`conditional_access_policies`")
            && f.message
                .contains("whether phishing-resistant MFA is enforced for everyone")
            && f.message.contains("is unknown")
            && f.message.contains("the weak Authenticator setting stands"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["conditional_access_policies"]["read"], false);
    assert_eq!(f.evidence["display_location"], false);
}

#[test]
fn the_conditional_access_policies_still_decide_the_authenticator_check_when_read() {
    // Read, without phishing-resistant MFA for everyone: a plain fail.
    let f = eval(&weak_authenticator(), "A365-AAD-08");
    assert_eq!(f.status, Status::Fail);
    assert!(!f.message.contains("not read"), "{}", f.message);
    // Read, with it: the setting does not apply.
    let mut v = weak_authenticator();
    let mut pr = v["conditional_access_policies"][4].clone();
    pr["GrantControls"] = json!({ "Operator": "OR", "BuiltInControls": [],
        "AuthenticationStrength": { "AllowedCombinations": ["fido2", "windowsHelloForBusiness"] } });
    pr["Conditions"]["Users"] = json!({ "IncludeUsers": ["All"], "ExcludeUsers": [],
        "ExcludeGroups": [], "IncludeRoles": [], "ExcludeRoles": [] });
    v["conditional_access_policies"]
        .as_array_mut()
        .unwrap()
        .push(pr);
    assert_eq!(eval(&v, "A365-AAD-08").status, Status::NotApplicable);
    // A well-configured Authenticator passes on its own settings, as before.
    let f = eval(
        &without(sample_value(), &["conditional_access_policies"]),
        "A365-AAD-08",
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    // Without the Authenticator configuration, nothing is decided.
    let f = eval(
        &without(weak_authenticator(), &["authentication_method"]),
        "A365-AAD-08",
    );
    assert_eq!(f.status, Status::Error);
}

// ---------- MS.EXO.2.2 (A365-EXO-02) ----------

fn with_spf(lookups: Value) -> Value {
    let mut v = sample_value();
    v["spf_records"] = lookups;
    v
}

#[test]
fn spf_without_its_records_is_decided_by_scubagears_flag_and_says_so() {
    let flags = json!([
        { "domain": "contoso.com", "compliant": true, "message": "SPF record found." },
        { "domain": "fabrikam.com", "compliant": true, "message": "SPF record found." },
    ]);
    let f = eval(&with_spf(flags.clone()), "A365-EXO-02");
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    for what in [
        "ScubaGear's own reading of the SPF records",
        "the export did not include the records themselves (`rdata`)",
    ] {
        assert!(f.message.contains(what), "{}", f.message);
    }
    assert_eq!(f.evidence["records_included"], false);
    assert_eq!(f.evidence["compliant_domains"].as_array().unwrap().len(), 2);

    let mut failing = flags;
    failing[1]["compliant"] = json!(false);
    let f = eval(&with_spf(failing), "A365-EXO-02");
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message.contains("ScubaGear's own reading"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["non_compliant_domains"], json!(["fabrikam.com"]));
}

#[test]
fn spf_records_decide_over_scubagears_flag_and_neither_is_an_error() {
    // Records present: they decide, whatever the flag says.
    let f = eval(
        &with_spf(json!([{ "domain": "contoso.com", "compliant": true,
            "rdata": ["v=spf1 include:spf.protection.outlook.com ~all"] }])),
        "A365-EXO-02",
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(!f.message.contains("ScubaGear"), "{}", f.message);
    // Neither records nor flag: an error.
    for lookups in [
        json!([{ "domain": "contoso.com", "message": "SPF record found." }]),
        json!([{ "domain": "contoso.com", "compliant": "yes" }]),
        json!([{ "domain": "contoso.com", "compliant": true },
               { "domain": "fabrikam.com" }]),
    ] {
        let f = eval(&with_spf(lookups.clone()), "A365-EXO-02");
        assert_eq!(f.status, Status::Error, "{lookups}: {}", f.message);
    }
    // Some lookups with records, some without: the export's shape is unknown, an error.
    let f = eval(
        &with_spf(json!([
            { "domain": "contoso.com", "compliant": true, "rdata": ["v=spf1 -all"] },
            { "domain": "fabrikam.com", "compliant": true },
        ])),
        "A365-EXO-02",
    );
    assert_eq!(f.status, Status::Error, "{}", f.message);
    assert!(f.message.contains("`rdata`"), "{}", f.message);
}

// ---------- MS.DEFENDER.2.2v1 (A365-DEF-13) ----------

/// The sample with the tenant's domains unread and both presets protecting `domains`.
fn presets_protecting(domains: Value) -> Value {
    let mut v = without(sample_value(), &["accepted_domains", "domain_settings"]);
    for p in v["anti_phish_policies"].as_array_mut().unwrap() {
        p["TargetedDomainsToProtect"] = domains.clone();
    }
    v
}

#[test]
fn presets_protecting_no_initial_domain_fail_without_the_tenants_domains() {
    let f = eval(
        &presets_protecting(json!(["partner.example", "random.example.com"])),
        "A365-DEF-13",
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message.contains("The tenant's domains were not read")
            && f.message.contains("`accepted_domains`")
            && f.message.contains("initial domain"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["tenant_domains"]["read"], false);
    // One preset lacking one is enough.
    let mut v = presets_protecting(json!(["contoso.onmicrosoft.com"]));
    for p in v["anti_phish_policies"].as_array_mut().unwrap() {
        if p["Identity"].as_str().unwrap().starts_with("Strict") {
            p["TargetedDomainsToProtect"] = json!(["partner.example"]);
        }
    }
    let f = eval(&v, "A365-DEF-13");
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert_eq!(
        f.evidence["presets_without_an_initial_domain"],
        json!(["Strict Preset Security Policy"])
    );
}

#[test]
fn presets_that_may_protect_the_initial_domain_need_the_tenants_domains() {
    for initial in [
        "contoso.onmicrosoft.com",
        "contoso.onmicrosoft.us",
        "contoso.partner.onmschina.cn",
    ] {
        let f = eval(
            &presets_protecting(json!([initial, "partner.example"])),
            "A365-DEF-13",
        );
        assert_eq!(f.status, Status::Error, "{initial}: {}", f.message);
    }
    // With the domains read, they decide as before.
    let mut v = sample_value();
    for p in v["anti_phish_policies"].as_array_mut().unwrap() {
        p["TargetedDomainsToProtect"] = json!(["partner.example"]);
    }
    let f = eval(&v, "A365-DEF-13");
    assert_eq!(f.status, Status::Fail);
    assert!(!f.message.contains("not read"), "{}", f.message);
}

// ---------- MS.AAD.3.6v1 (A365-AAD-06) ----------

#[test]
fn no_phishing_resistant_policy_fails_without_the_privileged_roles() {
    // The sample's policies require no phishing-resistant MFA at all.
    let f = eval(
        &without(sample_value(), &["privileged_roles"]),
        "A365-AAD-06",
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message.contains("The privileged roles were not read")
            && f.message.contains("`privileged_roles`")
            && f.message.contains("for any role"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["privileged_roles"]["read"], false);
}

#[test]
fn a_phishing_resistant_policy_needs_the_privileged_roles() {
    let mut v = without(sample_value(), &["privileged_roles"]);
    let mut pr = v["conditional_access_policies"][4].clone();
    pr["GrantControls"] = json!({ "Operator": "OR", "BuiltInControls": [],
        "AuthenticationStrength": { "AllowedCombinations": ["fido2"] } });
    pr["Conditions"]["Users"] = json!({ "IncludeUsers": [], "ExcludeUsers": [],
        "ExcludeGroups": [], "IncludeRoles": ["62e90394-69f5-4237-9190-012177145e10"], "ExcludeRoles": [] });
    v["conditional_access_policies"]
        .as_array_mut()
        .unwrap()
        .push(pr);
    let f = eval(&v, "A365-AAD-06");
    assert_eq!(f.status, Status::Error, "{}", f.message);
    assert!(f.message.contains("`privileged_roles`"), "{}", f.message);
}

// ---------- MS.POWERPLATFORM.2.2v1 (A365-PPL-07) ----------

/// The sample with `environments` (no default one) and one DLP policy covering `covered`.
fn environments_without_default(covered: &[&str]) -> Value {
    let mut v = sample_value();
    v["environment_list"] = json!([
        { "EnvironmentName": "env-a", "IsDefault": false },
        { "EnvironmentName": "env-b", "IsDefault": false },
    ]);
    v["dlp_policies"] = json!([{ "value": [{
        "displayName": "DLP", "environmentType": "OnlyEnvironments",
        "environments": covered.iter().map(|e| json!({ "name": e })).collect::<Vec<_>>(),
    }] }]);
    v
}

#[test]
fn an_uncovered_environment_fails_even_when_the_environment_list_is_incomplete() {
    let f = eval(&environments_without_default(&["env-a"]), "A365-PPL-07");
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message.contains("holds no default environment")
            && f.message.contains("incomplete")
            && f.message.contains("other environments may lack one too"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["environments_without_dlp"], json!(["env-b"]));
    assert_eq!(f.evidence["environment_list_complete"], false);
}

#[test]
fn an_incomplete_environment_list_never_passes() {
    let f = eval(
        &environments_without_default(&["env-a", "env-b"]),
        "A365-PPL-07",
    );
    assert_eq!(f.status, Status::Error, "{}", f.message);
    assert!(f.message.contains("`environment_list`"), "{}", f.message);
}
