//! The checks that honour exemptions declared in the snapshot's ScubaGear configuration
//! ([`crate::exemptions`]): a pass with an exemption says so, an undeclared exclusion still
//! fails, and a malformed configuration grants nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::catalogue::find_check;
use crate::model::{Finding, Status};
use crate::snapshot::Snapshot;

const USER: &str = "0b1e2c3d-0000-4000-8000-000000000001";
const GROUP: &str = "0b1e2c3d-0000-4000-8000-000000000002";

fn evaluate(id: &str, doc: Value) -> Finding {
    find_check(id)
        .unwrap()
        .evaluate(&Snapshot::from_value(doc).unwrap())
}

/// A policy blocking legacy authentication for everyone but one user and one group.
fn legacy_block(config: Value) -> Value {
    json!({
        "tenant_id": "t",
        "aad_successful_commands": ["Get-MgBetaIdentityConditionalAccessPolicy"],
        "conditional_access_policies": [{
            "DisplayName": "Block legacy authentication",
            "State": "enabled",
            "Conditions": {
                "ClientAppTypes": ["exchangeActiveSync", "other"],
                "Applications": { "IncludeApplications": ["All"], "ExcludeApplications": [] },
                "Users": {
                    "IncludeUsers": ["All"],
                    "ExcludeUsers": [USER],
                    "ExcludeGroups": [GROUP],
                    "ExcludeRoles": [],
                    "ExcludeGuestsOrExternalUsers": null
                }
            },
            "GrantControls": { "BuiltInControls": ["block"] }
        }],
        "scuba_config": config
    })
}

fn cap(users: Value, groups: Value) -> Value {
    json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": { "Users": users, "Groups": groups } } } })
}

#[test]
fn declared_exclusions_pass_and_say_so() {
    let f = evaluate(
        "A365-AAD-01",
        legacy_block(cap(json!([USER]), json!([GROUP]))),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(
        f.message.contains("only thanks to exemptions"),
        "{}",
        f.message
    );
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    assert!(f.message.contains("1 user and 1 group"), "{}", f.message);
    let exempted = &f.evidence["exemptions"]["exempted"][0];
    assert_eq!(exempted["users"], json!([USER]));
    assert_eq!(exempted["groups"], json!([GROUP]));
    assert_eq!(
        f.evidence["exemptions"]["source"],
        json!("scuba_config.Aad[\"MS.AAD.1.1v1\"].CapExclusions")
    );
}

#[test]
fn an_undeclared_exclusion_fails() {
    // The group is not declared: one exclusion outside the configuration is enough.
    let f = evaluate("A365-AAD-01", legacy_block(cap(json!([USER]), json!([]))));
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert_eq!(
        f.evidence["policies_with_undeclared_exclusions"],
        json!(["Block legacy authentication"])
    );
    // Declared for another policy: nothing granted here.
    let other = json!({ "Aad": { "MS.AAD.3.2v1": { "CapExclusions": { "Users": [USER], "Groups": [GROUP] } } } });
    assert_eq!(
        evaluate("A365-AAD-01", legacy_block(other)).status,
        Status::Fail
    );
    // No configuration at all.
    assert_eq!(
        evaluate("A365-AAD-01", legacy_block(Value::Null)).status,
        Status::Fail
    );
}

#[test]
fn a_malformed_configuration_grants_nothing() {
    for config in [
        json!("Users: all"),
        json!({ "Aad": "MS.AAD.1.1v1" }),
        json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": [USER, GROUP] } } }),
        cap(json!(USER), json!([GROUP])),
        cap(json!([USER]), json!([{ "Id": GROUP }])),
    ] {
        let f = evaluate("A365-AAD-01", legacy_block(config.clone()));
        assert_eq!(f.status, Status::Fail, "{config}: {}", f.message);
    }
}

#[test]
fn an_exempted_policy_does_not_hide_a_plain_one() {
    // With a policy that needs no exemption, the pass does not rest on the exempted one.
    let mut doc = legacy_block(cap(json!([USER]), json!([GROUP])));
    let mut plain = doc["conditional_access_policies"][0].clone();
    plain["DisplayName"] = json!("Block legacy authentication for all");
    plain["Conditions"]["Users"]["ExcludeUsers"] = json!([]);
    plain["Conditions"]["Users"]["ExcludeGroups"] = json!([]);
    doc["conditional_access_policies"]
        .as_array_mut()
        .unwrap()
        .push(plain);
    let f = evaluate("A365-AAD-01", doc);
    assert_eq!(f.status, Status::Pass);
    assert!(!f.message.contains("exemption"), "{}", f.message);
    assert!(f.evidence.get("exemptions").is_none());
}

/// A role with one permanent active assignment, to `principal`.
fn permanent_assignment(principal: &str, config: Value) -> Value {
    json!({
        "tenant_id": "t",
        "aad_successful_commands": ["Get-PrivilegedRole", "Get-MgBetaSubscribedSku"],
        "service_plans": [{ "ServicePlanName": "AAD_PREMIUM_P2", "ServicePlanId": "p2" }],
        "privileged_roles": [{
            "DisplayName": "Global Administrator",
            "RoleTemplateId": "62e90394-69f5-4237-9190-012177145e10",
            "Assignments": [{ "PrincipalId": principal, "StartDateTime": "/Date(1660328610000)/", "EndDateTime": null }]
        }],
        "scuba_config": config
    })
}

#[test]
fn declared_permanent_assignments_pass_and_say_so() {
    let roles = json!({ "Aad": { "MS.AAD.7.4v1": { "RoleExclusions": { "Users": [USER], "Groups": [] } } } });
    let f = evaluate("A365-AAD-23", permanent_assignment(USER, roles.clone()));
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    assert_eq!(
        f.evidence["exemptions"]["exempted"][0]["principals"],
        json!([USER])
    );
    let f = evaluate("A365-AAD-23", permanent_assignment(GROUP, roles));
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    let malformed = json!({ "Aad": { "MS.AAD.7.4v1": { "RoleExclusions": { "Users": USER } } } });
    assert_eq!(
        evaluate("A365-AAD-23", permanent_assignment(USER, malformed)).status,
        Status::Fail
    );
}

fn forwarding(config: Value) -> Value {
    json!({
        "tenant_id": "t",
        "exo_successful_commands": ["Get-RemoteDomain"],
        "remote_domains": [
            { "DomainName": "*", "AutoForwardEnabled": false },
            { "DomainName": "partner.example", "AutoForwardEnabled": true }
        ],
        "scuba_config": config
    })
}

#[test]
fn declared_forwarding_domains_pass_and_say_so() {
    let allowed =
        |d: Value| json!({ "Exo": { "MS.EXO.1.1v2": { "AllowedForwardingDomains": d } } });
    let f = evaluate(
        "A365-EXO-01",
        forwarding(allowed(json!(["partner.example"]))),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    assert_eq!(
        f.evidence["exemptions"]["exempted_domains"],
        json!(["partner.example"])
    );
    for config in [
        allowed(json!(["other.example"])),
        allowed(json!("partner.example")),
        Value::Null,
    ] {
        let f = evaluate("A365-EXO-01", forwarding(config.clone()));
        assert_eq!(f.status, Status::Fail, "{config}: {}", f.message);
    }
    // The default domain is never allowed.
    let mut doc = forwarding(allowed(json!(["*", "partner.example"])));
    doc["remote_domains"][0]["AutoForwardEnabled"] = json!(true);
    assert_eq!(evaluate("A365-EXO-01", doc).status, Status::Fail);
}

/// The Strict and Standard anti-phishing presets, each protecting `users` and `domains`.
fn anti_phish(users: Value, domains: Value, config: Value) -> Value {
    let preset = |name: &str| {
        json!({
            "Identity": format!("{name}1659535429826"),
            "Enabled": true,
            "EnableTargetedUserProtection": true,
            "TargetedUsersToProtect": users,
            "TargetedUserProtectionAction": "Quarantine",
            "EnableTargetedDomainsProtection": true,
            "TargetedDomainsToProtect": domains,
        })
    };
    json!({
        "tenant_id": "t",
        "securitysuite_successful_commands": ["Get-AntiPhishPolicy"],
        "anti_phish_policies": [preset("Strict Preset Security Policy"), preset("Standard Preset Security Policy")],
        "scuba_config": config
    })
}

#[test]
fn declared_sensitive_users_must_be_protected() {
    let declared =
        |u: Value| json!({ "Defender": { "MS.DEFENDER.2.1v1": { "SensitiveUsers": u } } });
    let users = json!(["CEO;ceo@example.com"]);
    let f = evaluate(
        "A365-DEF-08",
        anti_phish(
            users.clone(),
            json!([]),
            declared(json!(["ceo;CEO@example.com "])),
        ),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    let f = evaluate(
        "A365-DEF-08",
        anti_phish(users, json!([]), declared(json!(["CFO;cfo@example.com"]))),
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert_eq!(f.subjects, vec!["cfo;cfo@example.com".to_string()]);
}

#[test]
fn declared_domains_are_checked_and_said_to_be() {
    let agency = |d: Value| json!({ "Defender": { "MS.DEFENDER.2.2v1": { "AgencyDomains": d } } });
    let protected = json!(["example.com"]);
    // The export lists no domain of the tenant: only the declared ones are checked, and so said.
    let f = evaluate(
        "A365-DEF-13",
        anti_phish(json!([]), protected.clone(), agency(json!(["Example.com"]))),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(
        f.message.contains("only those were checked"),
        "{}",
        f.message
    );
    let f = evaluate(
        "A365-DEF-13",
        anti_phish(
            json!([]),
            protected.clone(),
            agency(json!(["other.example"])),
        ),
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    // Nothing declared, no domain of the tenant: no verdict while the presets may protect the
    // tenant's initial domain, a fail when they protect none that could be it.
    let maybe_initial = json!(["example.com", "contoso.onmicrosoft.com"]);
    let f = evaluate(
        "A365-DEF-13",
        anti_phish(json!([]), maybe_initial.clone(), Value::Null),
    );
    assert_eq!(f.status, Status::Error, "{}", f.message);
    let f = evaluate(
        "A365-DEF-13",
        anti_phish(json!([]), protected.clone(), Value::Null),
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(f.message.contains("were not read"), "{}", f.message);
    // A malformed list grants nothing either.
    let f = evaluate(
        "A365-DEF-13",
        anti_phish(json!([]), maybe_initial, agency(json!("example.com"))),
    );
    assert_eq!(f.status, Status::Error, "{}", f.message);
    // With the tenant's domains in the export, the declared ones are checked besides them.
    let mut doc = anti_phish(json!([]), protected.clone(), agency(json!(["example.com"])));
    doc["accepted_domains"] =
        json!([{ "DomainName": "example.com" }, { "DomainName": "contoso.example" }]);
    let f = evaluate("A365-DEF-13", doc);
    assert_eq!(f.status, Status::Fail, "{}", f.message);

    let partner =
        |d: Value| json!({ "Defender": { "MS.DEFENDER.2.3v1": { "PartnerDomains": d } } });
    let f = evaluate(
        "A365-DEF-14",
        anti_phish(
            json!([]),
            json!(["partner.example"]),
            partner(json!(["partner.example"])),
        ),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    let f = evaluate(
        "A365-DEF-14",
        anti_phish(
            json!([]),
            json!(["partner.example"]),
            partner(json!(["other.example"])),
        ),
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
}

/// The Strict preset's EOP rule, scoped to one user.
fn strict_scoped(config: Value) -> Value {
    json!({
        "tenant_id": "t",
        "securitysuite_successful_commands": ["Get-EOPProtectionPolicyRule"],
        "protection_policy_rules": [{
            "Identity": "Strict Preset Security Policy",
            "State": "Enabled",
            "SentTo": ["ceo@example.com"],
            "SentToMemberOf": null,
            "RecipientDomainIs": null,
            "ExceptIfSentTo": null,
            "ExceptIfSentToMemberOf": null,
            "ExceptIfRecipientDomainIs": null,
            "Conditions": ["Microsoft.Exchange.MessagingPolicies.Rules.Tasks.SentToPredicate"],
            "Exceptions": null
        }],
        "scuba_config": config
    })
}

#[test]
fn declared_sensitive_accounts_decide_a_scoped_strict_preset() {
    let declared = |accounts: Value| json!({ "Defender": { "MS.DEFENDER.1.4v1": { "SensitiveAccounts": accounts } } });
    let f = evaluate(
        "A365-DEF-11",
        strict_scoped(declared(json!({ "IncludedUsers": [" ceo@example.com"] }))),
    );
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("scuba_config"), "{}", f.message);
    let f = evaluate(
        "A365-DEF-11",
        strict_scoped(declared(
            json!({ "IncludedUsers": ["ceo@example.com", "cfo@example.com"] }),
        )),
    );
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    // Undeclared or malformed: a person decides, as before.
    for config in [
        Value::Null,
        declared(json!({ "IncludedUsers": "ceo@example.com" })),
        declared(json!(["ceo@example.com"])),
        declared(json!({})),
    ] {
        let f = evaluate("A365-DEF-11", strict_scoped(config.clone()));
        assert_eq!(f.status, Status::Manual, "{config}: {}", f.message);
    }
}
