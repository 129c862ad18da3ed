//! Table-driven tests: every compliance check passes and fails on mutations of the sample
//! export, and errors when its input is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::catalogue::{compliance_checks, evaluate_all, find_check};
use crate::model::Status;
use crate::snapshot::Snapshot;

/// The bundled ScubaGear export plus the `aether365` section a live collection adds (the
/// stand-in tenant's Exchange Online Protection policies) and its commands' success.
pub(crate) fn sample_value() -> Value {
    let mut v = scubagear_sample();
    crate::snapshot::add_live_section(v.as_object_mut().unwrap(), aether365_sample());
    v
}

/// The bundled ScubaGear export, as ScubaGear wrote it.
pub(crate) fn scubagear_sample() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scubagear/ProviderSettingsExport.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The `aether365` section of the stand-in tenant (every file of `fixtures/aether365`, merged:
/// each holds some of the section's keys, the per-object summaries included).
fn aether365_sample() -> serde_json::Map<String, Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/aether365");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut section = serde_json::Map::new();
    for path in files {
        let part: serde_json::Map<String, Value> =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        section.extend(part);
    }
    section
}

fn status_of(v: &Value, id: &str) -> Status {
    let snap = Snapshot::from_value(v.clone()).unwrap();
    find_check(id).unwrap().evaluate(&snap).status
}

/// Sets `value` at a JSON pointer; a trailing "/-" appends to the array.
fn set(v: &mut Value, pointer: &str, value: Value) {
    if let Some(parent) = pointer.strip_suffix("/-") {
        v.pointer_mut(parent)
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(value);
    } else if let Some(slot) = v.pointer_mut(pointer) {
        *slot = value;
    } else {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let obj = v.pointer_mut(parent).and_then(Value::as_object_mut);
        obj.unwrap_or_else(|| panic!("no {parent}"))
            .insert(key.to_string(), value);
    }
}

/// Applies `f` to every element of the array at `pointer`.
fn each(v: &mut Value, pointer: &str, f: impl Fn(&mut Value)) {
    v.pointer_mut(pointer)
        .unwrap()
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(f);
}

fn ca(users: Value, grant: Value, extra: Value) -> Value {
    let mut p = json!({
        "DisplayName": "test policy", "State": "enabled",
        "Conditions": {
            "ClientAppTypes": ["all"],
            "Applications": { "IncludeApplications": ["All"], "ExcludeApplications": [], "IncludeUserActions": [] },
            "Users": users, "UserRiskLevels": [], "SignInRiskLevels": []
        },
        "GrantControls": grant
    });
    if let Value::Object(e) = extra {
        for (k, val) in e {
            set(&mut p, &k, val);
        }
    }
    p
}

fn all_users() -> Value {
    json!({ "IncludeUsers": ["All"], "ExcludeUsers": [], "ExcludeGroups": [], "IncludeRoles": [], "ExcludeRoles": [] })
}

fn pr_grant() -> Value {
    json!({ "Operator": "OR", "BuiltInControls": [], "AuthenticationStrength": { "AllowedCombinations": ["fido2", "windowsHelloForBusiness"] } })
}

type Mutation = super::per_object_tests::Mutation;

/// A "Password Rule Settings" directory setting with the given values.
fn password_rules(values: &[(&str, &str)]) -> Value {
    json!({
        "DisplayName": "Password Rule Settings",
        "Values": values.iter().map(|(n, v)| json!({ "Name": n, "Value": v })).collect::<Vec<_>>(),
    })
}

fn p(pointer: &'static str, value: Value) -> Mutation {
    Box::new(move |v| set(v, pointer, value.clone()))
}

fn many(items: Vec<(&'static str, Value)>) -> Mutation {
    Box::new(move |v| {
        for (ptr, val) in &items {
            set(v, ptr, val.clone());
        }
    })
}

fn f(func: impl Fn(&mut Value) + 'static) -> Mutation {
    Box::new(func)
}

/// (check, mutation of the sample, expected status after the mutation).
fn cases() -> Vec<(&'static str, Mutation, Status)> {
    use Status::{Fail, NotApplicable, Pass};
    vec![
        (
            "A365-AAD-01",
            p("/conditional_access_policies/1/State", json!("disabled")),
            Fail,
        ),
        (
            "A365-AAD-01",
            p(
                "/conditional_access_policies/1/Conditions/Users/ExcludeRoles",
                json!(["x"]),
            ),
            Fail,
        ),
        (
            "A365-AAD-02",
            many(vec![
                ("/conditional_access_policies/2/State", json!("disabled")),
                ("/conditional_access_policies/6/State", json!("disabled")),
            ]),
            Fail,
        ),
        ("A365-AAD-02", p("/service_plans", json!([])), Fail),
        (
            "A365-AAD-03",
            p("/conditional_access_policies/3/State", json!("disabled")),
            Fail,
        ),
        (
            "A365-AAD-04",
            p(
                "/conditional_access_policies/-",
                ca(all_users(), pr_grant(), json!({})),
            ),
            Pass,
        ),
        (
            "A365-AAD-05",
            p("/conditional_access_policies/4/State", json!("disabled")),
            Fail,
        ),
        (
            "A365-AAD-06",
            f(|v| {
                let roles: Vec<Value> = v["privileged_roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["RoleTemplateId"].clone())
                    .collect();
                let users = json!({ "IncludeUsers": [], "ExcludeUsers": [], "ExcludeGroups": [], "IncludeRoles": roles, "ExcludeRoles": [] });
                set(
                    v,
                    "/conditional_access_policies/-",
                    ca(users, pr_grant(), json!({})),
                );
            }),
            Pass,
        ),
        (
            "A365-AAD-07",
            p("/conditional_access_policies/4/State", json!("disabled")),
            Fail,
        ),
        (
            "A365-AAD-08",
            p(
                concat!(
                    "/authentication_method/0/authentication_method_feature_settings",
                    "/1/FeatureSettings/DisplayLocationInformationRequiredState/State"
                ),
                json!("disabled"),
            ),
            Fail,
        ),
        (
            "A365-AAD-08",
            p(
                "/conditional_access_policies/-",
                ca(all_users(), pr_grant(), json!({})),
            ),
            NotApplicable,
        ),
        (
            "A365-AAD-09",
            p(
                "/authentication_method/0/authentication_method_policy/PolicyMigrationState",
                json!("migrationComplete"),
            ),
            Pass,
        ),
        (
            "A365-AAD-10",
            f(|v| {
                each(
                    v,
                    "/authentication_method/0/authentication_method_feature_settings",
                    |c| {
                        if c["Id"] == "Sms" {
                            c["State"] = json!("enabled")
                        }
                    },
                )
            }),
            Fail,
        ),
        (
            "A365-AAD-11",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["compliantDevice", "domainJoinedDevice"] }),
                    json!({}),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-12",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["compliantDevice"] }),
                    json!({ "/Conditions/Applications/IncludeApplications": [], "/Conditions/Applications/IncludeUserActions": ["urn:user:registersecurityinfo"] }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-13",
            many(vec![
                (
                    "/conditional_access_policies/5/Conditions/Users/ExcludeUsers",
                    json!([]),
                ),
                (
                    "/conditional_access_policies/5/Conditions/AuthenticationFlows",
                    json!({ "TransferMethods": "deviceCodeFlow" }),
                ),
            ]),
            Pass,
        ),
        (
            "A365-AAD-14",
            p(
                "/conditional_access_policies/0/SessionControls/PersistentBrowser/Mode",
                json!("always"),
            ),
            Fail,
        ),
        (
            "A365-AAD-15",
            p(
                "/authorization_policies/0/DefaultUserRolePermissions/AllowedToCreateApps",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-AAD-16",
            p(
                "/authorization_policies/0/PermissionGrantPolicyIdsAssignedToDefaultUserRole",
                json!([]),
            ),
            Pass,
        ),
        (
            "A365-AAD-16",
            p("/risky_delegated_permission_classifications", json!([])),
            Pass,
        ),
        (
            "A365-AAD-17",
            f(|v| {
                each(v, "/directory_settings", |g| {
                    if let Some(vals) = g["Values"].as_array_mut() {
                        for x in vals
                            .iter_mut()
                            .filter(|x| x["Name"] == "EnableAdminConsentRequests")
                        {
                            x["Value"] = json!("false")
                        }
                    }
                })
            }),
            Fail,
        ),
        (
            "A365-AAD-18",
            p("/domain_settings/PasswordValidityPeriodInDays", json!(90)),
            Fail,
        ),
        (
            "A365-AAD-18",
            p("/domain_settings/AuthenticationType", json!("Federated")),
            NotApplicable,
        ),
        (
            "A365-AAD-19",
            p(
                "/privileged_users/b49c71b8-d1a0-4e36-8f6d-9e66fbb98f0d/roles",
                json!(["Exchange Administrator"]),
            ),
            Fail,
        ),
        (
            "A365-AAD-20",
            many(vec![
                (
                    "/privileged_users/u4",
                    json!({ "DisplayName": "A", "roles": ["User Administrator"], "OnPremisesImmutableId": null }),
                ),
                (
                    "/privileged_users/u5",
                    json!({ "DisplayName": "B", "roles": ["User Administrator"], "OnPremisesImmutableId": null }),
                ),
            ]),
            Pass,
        ),
        (
            "A365-AAD-21",
            p(
                "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8/OnPremisesImmutableId",
                json!("abc=="),
            ),
            Fail,
        ),
        (
            "A365-AAD-22",
            p(
                "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8/UserType",
                json!("Guest"),
            ),
            Fail,
        ),
        (
            "A365-AAD-22",
            p(
                "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8/UserType",
                json!("Member"),
            ),
            Pass,
        ),
        (
            "A365-AAD-23",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(a) = r["Assignments"].as_array_mut() {
                        a.iter_mut().for_each(|x| {
                            x["EndDateTime"] = json!("/Date(1)/");
                            x["StartDateTime"] = json!("/Date(0)/")
                        })
                    }
                })
            }),
            Pass,
        ),
        (
            "A365-AAD-24",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(a) = r["Assignments"].as_array_mut() {
                        a.iter_mut()
                            .for_each(|x| x["StartDateTime"] = json!("/Date(0)/"))
                    }
                })
            }),
            Pass,
        ),
        (
            "A365-AAD-25",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(rules) = r["Rules"].as_array_mut() {
                        rules
                            .iter_mut()
                            .filter(|x| x["Id"] == "Approval_EndUser_Assignment")
                            .for_each(|x| x["Setting"]["IsApprovalRequired"] = json!(true))
                    }
                })
            }),
            Pass,
        ),
        (
            "A365-AAD-26",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(rules) = r["Rules"].as_array_mut() {
                        rules
                            .iter_mut()
                            .filter(|x| x.get("NotificationRecipients").is_some())
                            .for_each(|x| x["NotificationRecipients"] = json!(["soc@contoso.com"]))
                    }
                })
            }),
            Pass,
        ),
        (
            "A365-AAD-27",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(rules) = r["Rules"].as_array_mut() {
                        rules
                            .iter_mut()
                            .filter(|x| x["Id"] == "Notification_Admin_EndUser_Assignment")
                            .for_each(|x| x["NotificationRecipients"] = json!([]))
                    }
                })
            }),
            Fail,
        ),
        (
            "A365-AAD-28",
            p(
                "/authorization_policies/0/GuestUserRoleId",
                json!("a0b1b346-4d3e-4e8b-98f8-753987be4970"),
            ),
            Fail,
        ),
        (
            "A365-AAD-29",
            p(
                "/authorization_policies/0/AllowInvitesFrom",
                json!("everyone"),
            ),
            Fail,
        ),
        (
            "A365-AAD-30",
            p(
                "/authorization_policies/0/DefaultUserRolePermissions/AllowedToCreateTenants",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-EXO-01",
            p("/remote_domains/0/AutoForwardEnabled", json!(true)),
            Fail,
        ),
        (
            "A365-EXO-02",
            p(
                "/spf_records/1/rdata",
                json!(["v=spf1 include:outlook.com ?all"]),
            ),
            Fail,
        ),
        (
            "A365-EXO-03",
            p("/dkim_config/0/Enabled", json!(false)),
            Fail,
        ),
        ("A365-EXO-03", p("/dkim_records/rdata", json!([])), Fail),
        (
            "A365-EXO-04",
            p("/dmarc_records/rdata", json!(["not dmarc"])),
            Fail,
        ),
        (
            "A365-EXO-05",
            p(
                "/dmarc_records/rdata",
                json!(["v=DMARC1; p=quarantine; rua=mailto:a@b.example"]),
            ),
            Fail,
        ),
        (
            "A365-EXO-06",
            p("/dmarc_records/rdata", json!(["v=DMARC1; p=reject;"])),
            Fail,
        ),
        (
            "A365-EXO-07",
            p(
                "/transport_config/0/SmtpClientAuthenticationDisabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-EXO-08",
            p("/sharing_policy/0/Domains", json!(["*:ContactsSharing"])),
            Fail,
        ),
        (
            "A365-EXO-09",
            p(
                "/sharing_policy/0/Domains",
                json!(["*:CalendarSharingFreeBusySimple"]),
            ),
            Fail,
        ),
        (
            "A365-EXO-10",
            p("/sharing_policy/0/Enabled", json!(true)),
            Fail,
        ),
        (
            "A365-EXO-11",
            p("/transport_rule/0/State", json!("Disabled")),
            Fail,
        ),
        (
            "A365-EXO-12",
            p("/org_config/0/AuditDisabled", json!(true)),
            Fail,
        ),
        (
            "A365-EXO-13",
            p("/org_config/0/OAuth2ClientProfileEnabled", json!(false)),
            Fail,
        ),
        (
            "A365-EXO-14",
            p("/org_config/0/CustomerLockboxEnabled", json!(false)),
            Fail,
        ),
        (
            "A365-EXO-15",
            many(vec![
                ("/transport_rule/0/SetSCL", json!(-1)),
                (
                    "/transport_rule/0/SenderDomainIs",
                    json!(["partner.example"]),
                ),
            ]),
            Fail,
        ),
        (
            "A365-EXO-16",
            p("/conn_filter/0/IPAllowList", json!(["192.0.2.1"])),
            Fail,
        ),
        (
            "A365-EXO-17",
            p("/conn_filter/0/EnableSafeList", json!(true)),
            Fail,
        ),
        (
            "A365-DEF-01",
            f(|v| {
                each(v, "/protection_policy_rules", |r| {
                    r["State"] = json!("Disabled")
                });
                each(v, "/atp_policy_rules", |r| r["State"] = json!("Disabled"));
            }),
            Fail,
        ),
        (
            "A365-DEF-02",
            p(
                "/protection_policy_rules/1/RecipientDomainIs",
                json!(["contoso.com"]),
            ),
            Fail,
        ),
        (
            "A365-DEF-03",
            p(
                "/atp_policy_rules/1/RecipientDomainIs",
                json!(["contoso.com"]),
            ),
            Fail,
        ),
        ("A365-DEF-03", p("/defender_license", json!(false)), Fail),
        // No DLP licence: no DLP policy protects anything.
        ("A365-PUR-05", p("/defender_dlp_license", json!(false)), Fail),
        ("A365-PUR-07", p("/defender_dlp_license", json!(false)), Fail),
        ("A365-PUR-08", p("/defender_dlp_license", json!(false)), Fail),
        ("A365-PUR-09", p("/defender_dlp_license", json!(false)), Fail),
        (
            "A365-DEF-04",
            p("/atp_policy_rules/1/SafeLinksPolicy", json!(null)),
            Fail,
        ),
        (
            "A365-DEF-05",
            p("/atp_policy_rules/1/SafeAttachmentPolicy", json!(null)),
            Fail,
        ),
        (
            "A365-DEF-06",
            p(
                "/atp_policy_for_o365/0/EnableATPForSPOTeamsODB",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-07",
            p("/atp_policy_for_o365/0/AllowSafeDocsOpen", json!(true)),
            Fail,
        ),
        (
            "A365-DEF-08",
            p(
                "/anti_phish_policies/1/EnableTargetedUserProtection",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-09",
            f(|v| {
                each(v, "/anti_phish_policies", |x| {
                    x["EnableSpoofIntelligence"] = json!(false)
                })
            }),
            Fail,
        ),
        (
            "A365-DEF-10",
            f(|v| each(v, "/protection_alerts", |x| x["Disabled"] = json!(true))),
            Fail,
        ),
        (
            "A365-DEF-32",
            f(|v| each(v, "/protection_alerts", |x| x["Disabled"] = json!(true))),
            Fail,
        ),
        (
            "A365-SPO-01",
            p("/SPO_tenant/0/SharingCapability", json!(2)),
            Fail,
        ),
        (
            "A365-SPO-02",
            p("/SPO_tenant/0/ODBSharingCapability", json!(1)),
            Fail,
        ),
        (
            "A365-SPO-03",
            p("/SPO_tenant/0/SharingCapability", json!(3)),
            Pass,
        ),
        (
            "A365-SPO-03",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(3)),
                ("/SPO_tenant/0/SharingDomainRestrictionMode", json!(0)),
            ]),
            Fail,
        ),
        (
            "A365-SPO-04",
            p("/SPO_tenant/0/DefaultSharingLinkType", json!(2)),
            Fail,
        ),
        (
            "A365-SPO-05",
            p("/SPO_tenant/0/DefaultLinkPermission", json!(2)),
            Fail,
        ),
        (
            "A365-SPO-06",
            p("/SPO_tenant/0/SharingCapability", json!(2)),
            Fail,
        ),
        (
            "A365-SPO-06",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(2)),
                ("/SPO_tenant/0/RequireAnonymousLinksExpireInDays", json!(30)),
            ]),
            Pass,
        ),
        (
            "A365-SPO-07",
            p("/SPO_tenant/0/SharingCapability", json!(2)),
            Fail,
        ),
        (
            "A365-SPO-07",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(2)),
                ("/SPO_tenant/0/FolderAnonymousLinkType", json!(1)),
            ]),
            Pass,
        ),
        (
            "A365-SPO-08",
            p("/SPO_tenant/0/SharingCapability", json!(1)),
            Pass,
        ),
        (
            "A365-SPO-08",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(1)),
                ("/SPO_tenant/0/EmailAttestationReAuthDays", json!(60)),
            ]),
            Fail,
        ),
        (
            "A365-SPO-09",
            p(
                "/SPO_tenant/0/PreventExternalUsersFromResharing",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-SPO-10",
            p("/SPO_tenant/0/ExternalUserExpireInDays", json!(30)),
            Pass,
        ),
        (
            "A365-SPO-11",
            p("/SPO_tenant/0/LegacyAuthProtocolsEnabled", json!(true)),
            Fail,
        ),
        (
            "A365-SPO-12",
            p("/SPO_tenant/0/DisallowInfectedFileDownload", json!(true)),
            Pass,
        ),
        (
            "A365-TMS-01",
            p(
                "/meeting_policies/3/AllowExternalParticipantGiveRequestControl",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-TMS-02",
            p(
                "/meeting_policies/3/AllowAnonymousUsersToStartMeeting",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-TMS-03",
            p("/meeting_policies/0/AutoAdmittedUsers", json!("Everyone")),
            Fail,
        ),
        (
            "A365-TMS-04",
            p("/meeting_policies/0/AutoAdmittedUsers", json!("Everyone")),
            Fail,
        ),
        (
            "A365-TMS-05",
            p(
                "/meeting_policies/3/AllowPSTNUsersToBypassLobby",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-TMS-06",
            p("/meeting_policies/0/AllowCloudRecording", json!(true)),
            Fail,
        ),
        (
            "A365-TMS-07",
            f(|v| {
                each(v, "/broadcast_policies", |x| {
                    x["BroadcastRecordingMode"] = json!("AlwaysEnabled")
                })
            }),
            Fail,
        ),
        (
            "A365-TMS-08",
            many(vec![
                (
                    "/federation_configuration/0/AllowFederatedUsers",
                    json!(true),
                ),
                ("/federation_configuration/0/AllowedDomains", json!([])),
            ]),
            Fail,
        ),
        (
            "A365-TMS-08",
            many(vec![
                (
                    "/federation_configuration/0/AllowFederatedUsers",
                    json!(true),
                ),
                (
                    "/federation_configuration/0/AllowedDomains",
                    json!({ "AllowedDomain": [] }),
                ),
            ]),
            Fail,
        ),
        (
            "A365-TMS-08",
            p(
                "/federation_configuration/0/AllowFederatedUsers",
                json!(true),
            ),
            Pass,
        ),
        (
            "A365-TMS-09",
            many(vec![
                (
                    "/federation_configuration/0/AllowTeamsConsumer",
                    json!(true),
                ),
                (
                    "/federation_configuration/0/AllowTeamsConsumerInbound",
                    json!(true),
                ),
            ]),
            Fail,
        ),
        (
            "A365-TMS-10",
            p(
                "/federation_configuration/0/AllowTeamsConsumer",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-TMS-11",
            p(
                "/meeting_policies/0/AllowAnonymousUsersToJoinMeeting",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-TMS-12",
            p(
                "/meeting_policies/0/MeetingChatEnabledType",
                json!("EnabledExceptAnonymous"),
            ),
            Pass,
        ),
        (
            // The sample is a GCC tenant (`Teams_GCC`), where SCuBA does not apply the policy.
            "A365-TMS-13",
            p("/client_configuration/0/AllowEmailIntoChannel", json!(true)),
            NotApplicable,
        ),
        (
            "A365-TMS-13",
            many(vec![
                ("/client_configuration/0/AllowEmailIntoChannel", json!(true)),
                (
                    "/teams_tenant_info/0/AssignedPlan",
                    json!(["MCOMEETADD", "MCOProfessional", "Teams", "MCOEV"]),
                ),
            ]),
            Fail,
        ),
        (
            "A365-TMS-13",
            p(
                "/teams_tenant_info/0/AssignedPlan",
                json!(["MCOMEETADD", "MCOProfessional", "Teams", "MCOEV"]),
            ),
            Pass,
        ),
        (
            "A365-TMS-14",
            p(
                "/meeting_policies/0/DesignatedPresenterRoleMode",
                json!("OrganizerOnlyUserOverride"),
            ),
            Pass,
        ),
        (
            "A365-TMS-15",
            p(
                "/meeting_policies/0/AllowExternalNonTrustedMeetingChat",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-PUR-01",
            p(
                "/admin_audit_log_config/0/UnifiedAuditLogIngestionEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PUR-02",
            p(
                "/admin_audit_log_config/0/AdminAuditLogEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PUR-03",
            f(|v| {
                each(v, "/dlp_compliance_policies", |x| {
                    x["Mode"] = json!("TestWithNotifications")
                })
            }),
            Fail,
        ),
        (
            "A365-PUR-04",
            f(|v| {
                each(v, "/dlp_compliance_policies", |x| {
                    x["TeamsLocation"] = json!([])
                })
            }),
            Fail,
        ),
        (
            "A365-PUR-05",
            f(|v| each(v, "/dlp_compliance_rules", |x| x["Disabled"] = json!(true))),
            Fail,
        ),
        (
            "A365-PPL-01",
            p(
                "/environment_creation/0/disableEnvironmentCreationByNonAdminUsers",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PPL-02",
            p(
                "/environment_creation/0/disableTrialEnvironmentCreationByNonAdminUsers",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PPL-03",
            p(
                "/dlp_policies/0/value/-",
                json!({ "displayName": "All", "environmentType": "AllEnvironments", "environments": [] }),
            ),
            Pass,
        ),
        (
            "A365-PPL-03",
            f(|v| {
                let env = format!("Default-{}", v["tenant_id"].as_str().unwrap());
                set(
                    v,
                    "/dlp_policies/0/value/-",
                    json!({ "displayName": "Except default", "environmentType": "ExceptEnvironments", "environments": [{ "name": env }] }),
                );
            }),
            Fail,
        ),
        (
            "A365-PPL-04",
            p("/tenant_isolation/0/properties/isDisabled", json!(true)),
            Fail,
        ),
        (
            "A365-PPL-05",
            p(
                "/environment_creation/0/powerPlatform/powerApps/disableShareWithEveryone",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PPL-06",
            p(
                "/environment_creation/0/powerPlatform/powerApps/enableGuestsToMake",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-AAD-33",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "AND", "BuiltInControls": ["mfa", "passwordChange"] }),
                    json!({ "/Conditions/UserRiskLevels": ["high"] }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-33",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["mfa", "passwordChange"] }),
                    json!({ "/Conditions/UserRiskLevels": ["high"] }),
                ),
            ),
            Fail,
        ),
        (
            "A365-AAD-34",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["mfa"] }),
                    json!({
                        "/Conditions/SignInRiskLevels": ["high", "medium"],
                        "/SessionControls": { "SignInFrequency": { "IsEnabled": true, "FrequencyInterval": "everyTime" } }
                    }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-34",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["mfa"] }),
                    json!({
                        "/Conditions/SignInRiskLevels": ["high"],
                        "/SessionControls": { "SignInFrequency": { "IsEnabled": true, "FrequencyInterval": "everyTime" } }
                    }),
                ),
            ),
            Fail,
        ),
        (
            "A365-AAD-32",
            p(
                "/privileged_users/u9",
                json!({ "DisplayName": "Z", "roles": ["Global Administrator"], "OnPremisesImmutableId": null }),
            ),
            Pass,
        ),
        (
            "A365-AAD-32",
            many(vec![
                (
                    "/privileged_users/u7",
                    json!({ "DisplayName": "X", "roles": ["Global Administrator"], "OnPremisesImmutableId": null }),
                ),
                (
                    "/privileged_users/u8",
                    json!({ "DisplayName": "Y", "roles": ["Global Administrator"], "OnPremisesImmutableId": null }),
                ),
                (
                    "/privileged_users/u9",
                    json!({ "DisplayName": "Z", "roles": ["Global Administrator"], "OnPremisesImmutableId": null }),
                ),
            ]),
            Fail,
        ),
        (
            "A365-AAD-35",
            f(|v| {
                each(v, "/privileged_roles", |r| {
                    if let Some(rules) = r["Rules"].as_array_mut() {
                        rules
                            .iter_mut()
                            .filter(|x| x["Id"] == "Notification_Admin_EndUser_Assignment")
                            .for_each(|x| x["NotificationRecipients"] = json!(["soc@example.org"]))
                    }
                })
            }),
            Pass,
        ),
        (
            "A365-EXO-18",
            p(
                "/dmarc_records/rdata",
                json!(["v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov"]),
            ),
            Pass,
        ),
        (
            "A365-EXO-19",
            p(
                "/dmarc_records/rdata",
                json!([
                    "v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov,mailto:d@example.org; ruf=mailto:f@example.org"
                ]),
            ),
            Pass,
        ),
        (
            "A365-DEF-11",
            many(vec![
                ("/protection_policy_rules/0/Conditions", Value::Null),
                ("/protection_policy_rules/0/RecipientDomainIs", Value::Null),
            ]),
            Pass,
        ),
        (
            "A365-DEF-11",
            p(
                "/protection_policy_rules/0/RecipientDomainIs",
                json!(["example.com"]),
            ),
            Status::Manual,
        ),
        (
            "A365-DEF-12",
            many(vec![
                ("/atp_policy_rules/0/Conditions", Value::Null),
                ("/atp_policy_rules/0/RecipientDomainIs", Value::Null),
            ]),
            Pass,
        ),
        (
            "A365-DEF-13",
            f(|v| {
                let doms: Vec<Value> = v["accepted_domains"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["DomainName"].clone())
                    .collect();
                each(v, "/anti_phish_policies", |x| {
                    x["TargetedDomainsToProtect"] = json!(doms.clone())
                });
            }),
            Pass,
        ),
        (
            "A365-DEF-14",
            p(
                "/anti_phish_policies/1/EnableTargetedDomainsProtection",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PUR-07",
            many(vec![
                ("/dlp_compliance_policies/4/Enabled", json!(true)),
                ("/dlp_compliance_policies/4/Mode", json!("Enable")),
            ]),
            Pass,
        ),
        (
            "A365-PUR-08",
            f(|v| {
                each(v, "/dlp_compliance_rules", |x| {
                    x["BlockAccess"] = json!(false)
                })
            }),
            Fail,
        ),
        (
            "A365-PUR-09",
            f(|v| each(v, "/dlp_compliance_rules", |x| x["NotifyUser"] = json!([]))),
            Fail,
        ),
        (
            "A365-PPL-07",
            p(
                "/dlp_policies/0/value/-",
                json!({ "displayName": "All", "environmentType": "AllEnvironments", "environments": [] }),
            ),
            Pass,
        ),
        (
            "A365-PPL-08",
            f(|v| {
                let env = format!("Default-{}", v["tenant_id"].as_str().unwrap());
                set(
                    v,
                    "/dlp_policies/0/value/-",
                    json!({ "displayName": "Default", "environmentType": "OnlyEnvironments", "environments": [{ "name": env }], "connectorGroups": [{ "classification": "General", "connectors": [{ "id": "/providers/Microsoft.PowerApps/apis/shared_office365" }] }] }),
                );
            }),
            Pass,
        ),
        (
            "A365-PPL-08",
            f(|v| {
                let env = format!("Default-{}", v["tenant_id"].as_str().unwrap());
                set(
                    v,
                    "/dlp_policies/0/value/-",
                    json!({ "displayName": "Default", "environmentType": "OnlyEnvironments", "environments": [{ "name": env }], "connectorGroups": [{ "classification": "General", "connectors": [{ "id": "/providers/Microsoft.PowerApps/apis/shared_twitter" }] }] }),
                );
            }),
            Fail,
        ),
        (
            "A365-TMS-16",
            p("/tenant_app_settings/0/SettingValue", json!("None")),
            Pass,
        ),
        (
            "A365-TMS-17",
            p("/tenant_app_settings/1/SettingValue", json!("None")),
            Pass,
        ),
        (
            "A365-TMS-18",
            p("/tenant_app_settings/2/SettingValue", json!("None")),
            Pass,
        ),
        (
            "A365-TMS-19",
            many(vec![
                (
                    "/federation_configuration/0/AllowFederatedUsers",
                    json!(true),
                ),
                ("/federation_configuration/0/AllowedDomains", Value::Null),
            ]),
            Status::Manual,
        ),
        // ---- CIS v7.0.0 checks ----
        (
            "A365-AAD-36",
            p(
                "/authorization_policies/0/DefaultUserRolePermissions/AllowedToCreateSecurityGroups",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-AAD-37",
            p("/directory_settings/0/Values/14/Value", json!("True")),
            Fail,
        ),
        ("A365-AAD-37", p("/directory_settings", json!([])), Fail),
        (
            "A365-AAD-38",
            p(
                "/authorization_policies/0/DefaultUserRolePermissions/AllowedToReadBitlockerKeysForOwnedDevice",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-AAD-39",
            p(
                "/directory_settings/-",
                password_rules(&[
                    ("EnableBannedPasswordCheck", "True"),
                    ("BannedPasswordList", "contoso\tfabrikam"),
                ]),
            ),
            Pass,
        ),
        (
            "A365-AAD-39",
            p(
                "/directory_settings/-",
                password_rules(&[
                    ("EnableBannedPasswordCheck", "False"),
                    ("BannedPasswordList", "contoso"),
                ]),
            ),
            Fail,
        ),
        (
            "A365-AAD-40",
            p(
                "/directory_settings/-",
                password_rules(&[
                    ("EnableBannedPasswordCheckOnPremises", "True"),
                    ("BannedPasswordCheckOnPremisesMode", "Enforce"),
                ]),
            ),
            Pass,
        ),
        (
            "A365-AAD-41",
            p(
                "/directory_settings/-",
                password_rules(&[("LockoutThreshold", "11")]),
            ),
            Fail,
        ),
        (
            "A365-AAD-41",
            p(
                "/directory_settings/-",
                password_rules(&[("LockoutThreshold", "5")]),
            ),
            Pass,
        ),
        (
            "A365-AAD-42",
            p(
                "/directory_settings/-",
                password_rules(&[("LockoutDurationInSeconds", "30")]),
            ),
            Fail,
        ),
        (
            "A365-AAD-43",
            f(|v| {
                each(
                    v,
                    "/authentication_method/0/authentication_method_feature_settings",
                    |c| {
                        if c["Id"] == "Voice" {
                            c["State"] = json!("enabled")
                        }
                    },
                )
            }),
            Fail,
        ),
        (
            "A365-AAD-44",
            f(|v| {
                each(
                    v,
                    "/authentication_method/0/authentication_method_feature_settings",
                    |c| {
                        if c["Id"] == "Email" {
                            c["State"] = json!("enabled")
                        }
                    },
                )
            }),
            Fail,
        ),
        (
            "A365-AAD-45",
            p(
                "/authentication_method/0/authentication_method_policy/SystemCredentialPreferences/State",
                json!("enabled"),
            ),
            Pass,
        ),
        (
            "A365-AAD-45",
            many(vec![
                (
                    "/authentication_method/0/authentication_method_policy/SystemCredentialPreferences/State",
                    json!("enabled"),
                ),
                (
                    "/authentication_method/0/authentication_method_policy/SystemCredentialPreferences/ExcludeTargets",
                    json!([{ "Id": "some-group", "TargetType": "group" }]),
                ),
            ]),
            Fail,
        ),
        (
            "A365-AAD-46",
            p(
                concat!(
                    "/authentication_method/0/authentication_method_feature_settings",
                    "/1/FeatureSettings/DisplayAppInformationRequiredState/State"
                ),
                json!("default"),
            ),
            Fail,
        ),
        (
            "A365-AAD-46",
            p(
                concat!(
                    "/authentication_method/0/authentication_method_feature_settings",
                    "/1/State"
                ),
                json!("disabled"),
            ),
            NotApplicable,
        ),
        (
            "A365-AAD-47",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["block"] }),
                    json!({ "/Conditions/SignInRiskLevels": ["high", "medium"] }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-48",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["mfa"] }),
                    json!({
                        "/Conditions/Applications/IncludeApplications": ["d4ebce55-015a-49b5-a083-c84d1797ae8c"],
                        "/SessionControls": { "SignInFrequency": { "IsEnabled": true, "FrequencyInterval": "everyTime" } }
                    }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-49",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["block"] }),
                    json!({ "/Conditions/AuthenticationFlows": { "TransferMethods": "deviceCodeFlow,authenticationTransfer" } }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-50",
            p(
                "/conditional_access_policies/-",
                ca(
                    all_users(),
                    json!({ "Operator": "OR", "BuiltInControls": ["block"] }),
                    json!({ "/Conditions/Locations": { "IncludeLocations": ["All"], "ExcludeLocations": ["AllTrusted"] } }),
                ),
            ),
            Pass,
        ),
        (
            "A365-AAD-51",
            p(
                "/privileged_roles/5/Rules/12/Setting/IsApprovalRequired",
                json!(true),
            ),
            Pass,
        ),
        (
            "A365-AAD-52",
            p(
                "/privileged_roles/0/Rules/12/Setting/IsApprovalRequired",
                json!(true),
            ),
            Pass,
        ),
        (
            "A365-AAD-52",
            f(|v| {
                // A Global Administrator without an approval rule does not pass.
                each(v, "/privileged_roles", |r| {
                    if r["DisplayName"] == "Global Administrator" {
                        r["Rules"] = json!([]);
                    }
                })
            }),
            Fail,
        ),
        (
            "A365-AAD-53",
            p(
                concat!(
                    "/authentication_method/0/authentication_method_feature_settings",
                    "/1/FeatureSettings/CompanionAppAllowedState/State"
                ),
                json!("disabled"),
            ),
            Pass,
        ),
        (
            "A365-AAD-54",
            f(|v| {
                each(v, "/conditional_access_policies", |p| {
                    if p.pointer("/SessionControls/SignInFrequency/IsEnabled") == Some(&json!(true))
                    {
                        p["SessionControls"]["SignInFrequency"]["Value"] = json!(30);
                        p["SessionControls"]["SignInFrequency"]["Type"] = json!("days");
                        p["SessionControls"]["SignInFrequency"]["FrequencyInterval"] =
                            json!("timeBased");
                    }
                })
            }),
            Fail,
        ),
        (
            "A365-DEF-15",
            p("/atp_policy_rules/0/State", json!("Disabled")),
            Fail,
        ),
        (
            "A365-DEF-15",
            many(vec![
                ("/protection_policy_rules/0/SentTo", Value::Null),
                ("/protection_policy_rules/0/SentToMemberOf", Value::Null),
                ("/protection_policy_rules/0/RecipientDomainIs", Value::Null),
            ]),
            Fail,
        ),
        (
            "A365-SPO-13",
            p("/SPO_tenant/0/EnableAzureADB2BIntegration", json!(true)),
            Pass,
        ),
        (
            "A365-SPO-14",
            p("/SPO_tenant/0/EmailAttestationReAuthDays", json!(15)),
            Pass,
        ),
        (
            "A365-SPO-14",
            many(vec![
                ("/SPO_tenant/0/EmailAttestationReAuthDays", json!(7)),
                ("/SPO_tenant/0/EmailAttestationRequired", json!(false)),
            ]),
            Fail,
        ),
        (
            "A365-TMS-20",
            many(vec![
                ("/client_configuration/0/AllowDropBox", json!(false)),
                ("/client_configuration/0/AllowBox", json!(false)),
                ("/client_configuration/0/AllowGoogleDrive", json!(false)),
                ("/client_configuration/0/AllowShareFile", json!(false)),
                ("/client_configuration/0/AllowEgnyte", json!(false)),
            ]),
            Pass,
        ),
        (
            "A365-TMS-21",
            p(
                "/federation_configuration/0/ExternalAccessWithTrialTenants",
                json!("Allowed"),
            ),
            Fail,
        ),
        (
            "A365-TMS-22",
            p(
                "/meeting_policies/0/AllowExternalParticipantGiveRequestControl",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-PPL-09",
            p(
                "/environment_creation/0/disablePortalsCreationByNonAdminUsers",
                json!(false),
            ),
            Fail,
        ),
        // The Exchange Online Protection policies of the `aether365` section (Default first,
        // the Standard preset's copy second).
        (
            "A365-DEF-19",
            p(
                "/aether365/anti_malware_policies/0/EnableFileFilter",
                json!(false),
            ),
            Fail,
        ),
        // A preset's copy is Microsoft's to set: it is not held against the tenant.
        (
            "A365-DEF-20",
            p(
                "/aether365/anti_malware_policies/1/InternalSenderAdminAddress",
                json!(null),
            ),
            Pass,
        ),
        (
            "A365-DEF-20",
            p(
                "/aether365/anti_malware_policies/0/InternalSenderAdminAddress",
                json!(null),
            ),
            Fail,
        ),
        (
            "A365-DEF-20",
            p(
                "/aether365/anti_malware_policies/0/EnableInternalSenderAdminNotifications",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-21",
            f(|v| {
                v["aether365"]["anti_malware_policies"][0]["FileTypes"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|t| t != "js");
            }),
            Fail,
        ),
        (
            "A365-DEF-21",
            p(
                "/aether365/anti_malware_policies/0/EnableFileFilter",
                json!(false),
            ),
            Fail,
        ),
        // Types may be written with a dot and in capitals.
        (
            "A365-DEF-21",
            f(|v| {
                for t in v["aether365"]["anti_malware_policies"][0]["FileTypes"]
                    .as_array_mut()
                    .unwrap()
                {
                    *t = json!(format!(".{}", t.as_str().unwrap().to_uppercase()));
                }
            }),
            Pass,
        ),
        (
            "A365-DEF-22",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/NotifyOutboundSpamRecipients",
                json!([]),
            ),
            Fail,
        ),
        (
            "A365-DEF-22",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/BccSuspiciousOutboundMail",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-23",
            p(
                "/aether365/hosted_content_filter_policies/1/AllowedSenderDomains",
                json!(["partner.example"]),
            ),
            Fail,
        ),
        (
            "A365-DEF-23",
            p(
                "/aether365/hosted_content_filter_policies/0/AllowedSenderDomains",
                json!(null),
            ),
            Pass,
        ),
        (
            "A365-DEF-24",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/RecipientLimitExternalPerHour",
                json!(0),
            ),
            Fail,
        ),
        (
            "A365-DEF-24",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/ActionWhenThresholdReached",
                json!("Alert"),
            ),
            Fail,
        ),
        (
            "A365-DEF-24",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/RecipientLimitPerDay",
                json!(800),
            ),
            Pass,
        ),
        // CIS v7.0.0 Exchange Online, Defender, Purview and SharePoint (cis-exchange).
        (
            "A365-EXO-30",
            p(
                "/aether365/owa_mailbox_policies/0/BookingsMailboxCreationEnabled",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-EXO-30",
            many(vec![
                (
                    "/aether365/owa_mailbox_policies/0/BookingsMailboxCreationEnabled",
                    json!(true),
                ),
                ("/org_config/0/BookingsEnabled", json!(false)),
            ]),
            Pass,
        ),
        // Only the default policy is held to it: another policy may let its users create them.
        (
            "A365-EXO-30",
            p(
                "/aether365/owa_mailbox_policies/1/BookingsMailboxCreationEnabled",
                json!(true),
            ),
            Pass,
        ),
        (
            "A365-EXO-31",
            p(
                "/aether365/owa_mailbox_policies/0/PersonalAccountsEnabled",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-EXO-32",
            p(
                "/aether365/owa_mailbox_policies/0/AdditionalStorageProvidersAvailable",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-EXO-33",
            p("/aether365/external_in_outlook/0/Enabled", json!(false)),
            Fail,
        ),
        (
            "A365-EXO-34",
            p(
                "/aether365/mailbox_audit_bypass_associations/1/AuditBypassEnabled",
                json!(true),
            ),
            Fail,
        ),
        (
            "A365-EXO-35",
            p(
                "/aether365/role_assignment_policies/0/AssignedRoles/-",
                json!("My Marketplace Apps"),
            ),
            Fail,
        ),
        // A policy other than the default is held to it too: who uses it is not collected.
        (
            "A365-EXO-35",
            p(
                "/aether365/role_assignment_policies/-",
                json!({"Name": "Sales", "IsDefault": false, "AssignedRoles": ["MyBaseOptions", "My Custom Apps"]}),
            ),
            Fail,
        ),
        (
            "A365-EXO-36",
            p(
                "/aether365/organization_config/0/MailTipsLargeAudienceThreshold",
                json!(50),
            ),
            Fail,
        ),
        (
            "A365-EXO-36",
            p(
                "/aether365/organization_config/0/MailTipsExternalRecipientsTipsEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-EXO-36",
            p(
                "/aether365/organization_config/0/MailTipsLargeAudienceThreshold",
                json!(10),
            ),
            Pass,
        ),
        (
            "A365-EXO-37",
            p(
                "/aether365/organization_config/0/RejectDirectSend",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-30",
            p(
                "/aether365/email_tenant_settings/0/EnablePriorityAccountProtection",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-31",
            p(
                "/aether365/teams_protection_policies/0/ZapEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-PUR-10",
            p("/aether365/label_policies/0/Enabled", json!(false)),
            Fail,
        ),
        (
            "A365-PUR-10",
            p("/aether365/label_policies/0/Labels", json!([])),
            Fail,
        ),
        // The read succeeded and found no label policy.
        (
            "A365-PUR-10",
            p("/aether365/label_policies", json!([])),
            Fail,
        ),
        // The sample's DLP policies cover no Copilot location (it fails as it is).
        (
            "A365-PUR-11",
            p(
                "/dlp_compliance_policies/1/Locations",
                json!(
                    "[{\"Workload\":\"Applications\",\"Location\":\"470f2276-e011-4e9d-a6ec-20768be3a4b0\",\"Inclusions\":[{\"Type\":\"Tenant\",\"Identity\":\"All\"}]}]"
                ),
            ),
            Pass,
        ),
        (
            "A365-PUR-11",
            many(vec![
                (
                    "/dlp_compliance_policies/1/Locations",
                    json!([{"Workload": "Applications", "Location": "Copilot.M365"}]),
                ),
                (
                    "/dlp_compliance_policies/1/Mode",
                    json!("TestWithoutNotifications"),
                ),
            ]),
            Fail,
        ),
        // The sample shares externally with no one; once it does, the allow list it holds
        // names the whole organisation, which restricts no one.
        (
            "A365-SPO-20",
            p("/SPO_tenant/0/SharingCapability", json!(1)),
            Fail,
        ),
        (
            "A365-SPO-20",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(1)),
                (
                    "/SPO_tenant/0/GuestSharingGroupAllowListInTenantByPrincipalIdentity/results",
                    json!([
                        "c:0t.c|tenant|d7a0de5c-b25a-460a-b0b1-1e177187bfa9",
                        "c:0o.c|federateddirectoryclaimprovider|5b1f0c7e-1111-4a4a-9b9b-222233334444"
                    ]),
                ),
            ]),
            Fail,
        ),
        (
            "A365-SPO-20",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(2)),
                (
                    "/SPO_tenant/0/GuestSharingGroupAllowListInTenantByPrincipalIdentity/results",
                    json!([
                        "c:0o.c|federateddirectoryclaimprovider|5b1f0c7e-1111-4a4a-9b9b-222233334444"
                    ]),
                ),
            ]),
            Pass,
        ),
    ]
    .into_iter()
    .chain(power_bi_cases())
    .chain(security_suite_cases())
    .chain(super::graph_settings_cases::cases())
    .chain(super::per_object_tests::cases())
    .chain(super::scuba_main_cases::cases())
    .collect()
}

/// Each check's pass fixtures: the sample mutated by a `cases()` entry that expects `pass`.
pub(crate) fn pass_fixtures() -> Vec<(&'static str, Value)> {
    let sample = sample_value();
    cases()
        .into_iter()
        .filter(|(_, _, want)| *want == Status::Pass)
        .map(|(id, mutate, _)| {
            let mut v = sample.clone();
            mutate(&mut v);
            (id, v)
        })
        .collect()
}

#[test]
fn catalogue_is_large_with_unique_ids_and_complete_metadata() {
    let checks = compliance_checks();
    assert!(checks.len() >= 60, "{} checks", checks.len());
    let mut ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), checks.len(), "duplicate check ids");
    for c in checks {
        assert!(
            !c.title.is_empty() && !c.rationale.is_empty() && !c.remediation_steps.is_empty(),
            "{}",
            c.id
        );
        assert!(
            c.remediation_url
                .starts_with("https://learn.microsoft.com/"),
            "{}",
            c.id
        );
        let refs = c
            .references()
            .unwrap_or_else(|| panic!("{} has no references", c.id));
        assert!(!refs.nist.is_empty(), "{} lacks NIST", c.id);
        assert!(!refs.iso.is_empty(), "{} lacks ISO", c.id);
        assert!(!c.is_exposure());
        assert!(find_check(&c.id.to_ascii_lowercase()).is_some());
    }
    for service in crate::model::Service::ALL
        .iter()
        .filter(|s| **s != crate::model::Service::Dns)
    {
        assert!(
            checks.iter().any(|c| c.service == *service),
            "no check for {service}"
        );
    }
    assert!(find_check("EXP.SPF.1").is_some_and(|c| c.is_exposure()));
}

#[test]
fn every_check_passes_and_fails_on_mutated_samples() {
    let sample = sample_value();
    let baseline = evaluate_all(&Snapshot::from_value(sample.clone()).unwrap());
    let mut seen: std::collections::BTreeMap<&str, Vec<Status>> = Default::default();
    for f in &baseline {
        assert_ne!(
            f.status,
            Status::Error,
            "{} errors on the sample: {}",
            f.check_id,
            f.message
        );
        let id = compliance_checks()
            .iter()
            .find(|c| c.id == f.check_id)
            .unwrap()
            .id;
        seen.entry(id).or_default().push(f.status);
    }
    for (id, mutate, want) in cases() {
        let mut v = sample.clone();
        mutate(&mut v);
        let got = status_of(&v, id);
        assert_eq!(got, want, "{id}: expected {want} after mutation, got {got}");
        seen.entry(find_check(id).unwrap().id)
            .or_default()
            .push(got);
    }
    let manual_only = ["A365-AAD-31", "A365-PUR-06"];
    // Checks whose other outcome is "a person verifies", never a fail.
    let pass_or_manual = ["A365-TMS-19", "A365-AAD-91"];
    for c in compliance_checks() {
        let statuses = &seen[c.id];
        if pass_or_manual.contains(&c.id) {
            assert!(
                statuses.contains(&Status::Pass) && statuses.contains(&Status::Manual),
                "{}",
                c.id
            );
            continue;
        }
        if manual_only.contains(&c.id) || c.scuba_undecided().is_some() {
            assert_eq!(statuses, &vec![Status::Manual], "{}", c.id);
            continue;
        }
        assert!(
            statuses.contains(&Status::Pass),
            "{} has no pass case",
            c.id
        );
        assert!(
            statuses.contains(&Status::Fail),
            "{} has no fail case",
            c.id
        );
    }
}

#[test]
fn findings_carry_metadata_and_evidence() {
    let snap = Snapshot::from_value(sample_value()).unwrap();
    for f in evaluate_all(&snap) {
        assert!(!f.message.is_empty(), "{}", f.check_id);
        assert!(!f.frameworks.is_empty(), "{}", f.check_id);
        assert!(
            f.evidence.is_object(),
            "{} evidence {}",
            f.check_id,
            f.evidence
        );
    }
    let f = find_check("A365-AAD-01").unwrap().evaluate(&snap);
    assert_eq!(
        f.evidence["matching_policies"][0],
        "MS.AAD.1.1v1 Legacy authentication SHALL be blocked"
    );
    let f = find_check("A365-AAD-19").unwrap().evaluate(&snap);
    assert_eq!(
        f.evidence["global_admins"],
        json!(["Jane Doe", "John Public"])
    );
}

#[test]
fn missing_input_is_an_error_never_a_pass() {
    let empty = Snapshot::from_value(json!({ "tenant_id": "t" })).unwrap();
    for f in evaluate_all(&empty) {
        assert!(
            matches!(f.status, Status::Error | Status::Manual),
            "{}: {} ({})",
            f.check_id,
            f.status,
            f.message
        );
        if f.status == Status::Error {
            assert!(
                f.evidence["reason"].as_str().unwrap().contains('`'),
                "{}: {}",
                f.check_id,
                f.message
            );
        }
    }
}

#[test]
fn each_check_errors_when_one_of_its_inputs_is_removed() {
    let sample = sample_value();
    let keys: Vec<String> = sample.as_object().unwrap().keys().cloned().collect();
    let mut errored: std::collections::BTreeSet<&str> = Default::default();
    for key in &keys {
        let mut v = sample.clone();
        v.as_object_mut().unwrap().remove(key);
        let Ok(snap) = Snapshot::from_value(v) else {
            continue;
        };
        for (c, f) in compliance_checks().iter().zip(evaluate_all(&snap)) {
            if f.status == Status::Error {
                assert!(f.message.contains(key.as_str()), "{}: {}", c.id, f.message);
                errored.insert(c.id);
            }
        }
    }
    for c in compliance_checks() {
        let manual = c
            .evaluate(&Snapshot::from_value(sample.clone()).unwrap())
            .status
            == Status::Manual
            && c.id != "A365-AAD-22";
        assert!(
            manual || errored.contains(c.id),
            "{} never errors when an input is removed",
            c.id
        );
    }
}

#[test]
fn failed_commands_make_checks_error() {
    let mut v = sample_value();
    let obj = v.as_object_mut().unwrap();
    let prefixes: Vec<String> = obj
        .keys()
        .filter_map(|k| k.strip_suffix("_successful_commands").map(str::to_string))
        .filter(|k| !k.ends_with("_un"))
        .collect();
    for prefix in prefixes {
        let cmds = obj[&format!("{prefix}_successful_commands")].clone();
        obj.insert(format!("{prefix}_unsuccessful_commands"), cmds);
    }
    let snap = Snapshot::from_value(v).unwrap();
    for f in evaluate_all(&snap) {
        assert!(
            matches!(f.status, Status::Error | Status::Manual),
            "{}: {} ({})",
            f.check_id,
            f.status,
            f.message
        );
    }
    let f = find_check("A365-EXO-07").unwrap().evaluate(&snap);
    assert!(f.message.contains("Get-TransportConfig"), "{}", f.message);
}

#[test]
fn variations_each_flip_a_verdict() {
    use crate::variations;
    let sample = sample_value();
    let base = evaluate_all(&Snapshot::from_value(sample.clone()).unwrap());
    assert!(variations::names().len() >= 10);
    assert!(
        variations::all().iter().any(|v| v.improves)
            && variations::all().iter().any(|v| !v.improves)
    );
    for name in variations::names() {
        assert!(variations::describe(name).is_some_and(|d| !d.is_empty()));
        let mut snap = Snapshot::from_value(sample.clone()).unwrap();
        variations::try_apply(&mut snap, &[name]).unwrap();
        let after = evaluate_all(&snap);
        let changed: Vec<String> = base
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.status != b.status)
            .map(|(a, b)| format!("{} {}->{}", a.check_id, a.status, b.status))
            .collect();
        assert!(!changed.is_empty(), "variation {name} changes no verdict");
        let improves = variations::all()
            .iter()
            .find(|v| v.name == *name)
            .unwrap()
            .improves;
        let better = base
            .iter()
            .zip(&after)
            .any(|(a, b)| a.status == Status::Fail && b.status == Status::Pass);
        let worse = base
            .iter()
            .zip(&after)
            .any(|(a, b)| a.status == Status::Pass && b.status == Status::Fail);
        assert!(if improves { better } else { worse }, "{name}: {changed:?}");
    }
    let mut snap = Snapshot::from_value(sample).unwrap();
    assert!(variations::try_apply(&mut snap, &["enable_smtp_auth", "nope"]).is_err());
    assert_eq!(
        find_check("A365-EXO-07").unwrap().evaluate(&snap).status,
        Status::Pass,
        "an unknown name must reject the whole batch"
    );
}

#[test]
fn reference_table_has_one_row_per_check() {
    use crate::references::{CIS_RECOMMENDATIONS, REFERENCES, cis_recommendation};
    let ids: Vec<&str> = compliance_checks()
        .iter()
        .chain(crate::exposure::exposure_checks().iter())
        .map(|c| c.id)
        .collect();
    for r in REFERENCES {
        assert!(
            ids.contains(&r.check_id),
            "row for unknown check {}",
            r.check_id
        );
        assert_eq!(
            REFERENCES
                .iter()
                .filter(|x| x.check_id == r.check_id)
                .count(),
            1,
            "{} has several rows",
            r.check_id
        );
        for n in r.cis {
            assert!(
                cis_recommendation(n).is_some(),
                "{}: CIS {n} has no title",
                r.check_id
            );
        }
    }
    for id in &ids {
        assert!(
            crate::references::references(id).is_some(),
            "{id} has no row"
        );
    }
    // Every recommendation is either decided by a check or says why not, never both.
    for c in CIS_RECOMMENDATIONS {
        let used = REFERENCES.iter().any(|r| r.cis.contains(&c.number));
        assert!(
            used != c.gap.is_some(),
            "CIS {}: {}",
            c.number,
            if used {
                "has a check and a gap"
            } else {
                "has neither a check nor a gap"
            }
        );
    }
    assert_eq!(
        CIS_RECOMMENDATIONS.iter().filter(|c| c.automated).count(),
        143,
        "CIS v7.0.0 marks 143 recommendations Automated"
    );
}

/// Appends `mark` to every string of `v` (object keys kept) whose key passes `pick`.
fn mark_strings(v: &mut Value, key: Option<&str>, pick: &dyn Fn(&str) -> bool, mark: &str) {
    match v {
        Value::String(s) if key.is_none_or(pick) => s.push_str(mark),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| mark_strings(x, key, pick, mark)),
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                mark_strings(x, Some(k), pick, mark);
            }
        }
        _ => {}
    }
}

/// Issue 20 item 2: no message carries text read from the tenant. Every string of the sample
/// (or only its names, so that the verdicts stay those of the sample) gets a marker; the marker
/// may reach the subjects and the evidence, never a message.
#[test]
fn messages_hold_no_tenant_text() {
    const MARK: &str = "zqxjmark";
    let names = |k: &str| {
        [
            "DisplayName",
            "Name",
            "Identity",
            "Id",
            "DomainName",
            "domain",
            "displayName",
            "name",
            "id",
        ]
        .contains(&k)
    };
    let every = |_: &str| true;
    let mut leaks = Vec::new();
    let mut in_subjects = 0;
    for (label, pick) in [
        ("names", &names as &dyn Fn(&str) -> bool),
        ("every string", &every),
    ] {
        let mut v = sample_value();
        mark_strings(&mut v, None, pick, MARK);
        let snap = Snapshot::from_value(v).unwrap();
        for f in evaluate_all(&snap) {
            if f.message.to_lowercase().contains(MARK) {
                leaks.push(format!("{label}: {}: {}", f.check_id, f.message));
            }
            in_subjects += f.subjects.iter().filter(|s| s.contains(MARK)).count();
        }
    }
    assert!(
        leaks.is_empty(),
        "{} messages quote the tenant:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert!(in_subjects > 20, "{in_subjects} subjects");
}

/// Removes the value at a JSON pointer (an object member or an array element).
fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match v.pointer_mut(parent).unwrap() {
        Value::Object(o) => {
            o.remove(key).unwrap_or_else(|| panic!("no {pointer}"));
        }
        Value::Array(a) => {
            a.remove(key.parse().unwrap());
        }
        _ => panic!("{parent} is not a container"),
    }
}

/// What a check must answer on a document: `error`, or a pass resting on an empty read of
/// the named command (which answers `error` once the export no longer records that read).
enum Expect {
    Error,
    EmptyRead(&'static str),
}

#[test]
fn missing_or_unknown_input_errors_and_empty_reads_say_so() {
    use Expect::{EmptyRead, Error};
    let own_tenant = |v: &mut Value| {
        set(
            v,
            "/dlp_policies/0/value/-",
            json!({ "displayName": "All", "environmentType": "AllEnvironments", "environments": [] }),
        )
    };
    let cases: Vec<(&str, Mutation, Expect)> = vec![
        // An emptied policy object is not "no migration state".
        (
            "A365-AAD-09",
            p(
                "/authentication_method/0/authentication_method_policy",
                json!({}),
            ),
            Error,
        ),
        // No method configurations, or a weak method missing from them, is not "disabled".
        (
            "A365-AAD-10",
            f(|v| {
                remove(
                    v,
                    "/authentication_method/0/authentication_method_feature_settings",
                )
            }),
            Error,
        ),
        (
            "A365-AAD-10",
            f(|v| {
                let list = v
                    .pointer_mut("/authentication_method/0/authentication_method_feature_settings")
                    .unwrap()
                    .as_array_mut()
                    .unwrap();
                list.retain(|c| c["Id"] != "Sms");
            }),
            Error,
        ),
        ("A365-AAD-10", p("/authentication_method", json!([])), Error),
        (
            "A365-AAD-43",
            p(
                "/authentication_method/0/authentication_method_feature_settings",
                json!([]),
            ),
            Error,
        ),
        (
            "A365-AAD-44",
            p(
                "/authentication_method/0/authentication_method_feature_settings",
                json!({}),
            ),
            Error,
        ),
        // Who may consent: unreadable is an error, an empty list an empty read.
        (
            "A365-AAD-16",
            f(|v| {
                remove(
                    v,
                    "/authorization_policies/0/PermissionGrantPolicyIdsAssignedToDefaultUserRole",
                )
            }),
            Error,
        ),
        (
            "A365-AAD-16",
            p("/authorization_policies", json!({})),
            Error,
        ),
        (
            "A365-AAD-16",
            p(
                "/authorization_policies/0/PermissionGrantPolicyIdsAssignedToDefaultUserRole",
                json!([]),
            ),
            EmptyRead("Get-MgBetaPolicyAuthorizationPolicy"),
        ),
        (
            "A365-AAD-16",
            p("/risky_delegated_permission_classifications", json!([])),
            EmptyRead("Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications"),
        ),
        // A privileged user row without roles or without its sync field is incomplete.
        (
            "A365-AAD-20",
            p(
                "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8/roles",
                json!([]),
            ),
            Error,
        ),
        (
            "A365-AAD-32",
            p(
                "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8",
                json!({}),
            ),
            Error,
        ),
        (
            "A365-AAD-21",
            f(|v| {
                remove(
                    v,
                    "/privileged_users/1bdebb27-053d-48f2-9413-d836ebedf0e8/OnPremisesImmutableId",
                )
            }),
            Error,
        ),
        // Microsoft's password-rule defaults count only when the settings were read.
        (
            "A365-AAD-41",
            p("/directory_settings", json!([])),
            EmptyRead("Get-MgBetaDirectorySetting"),
        ),
        ("A365-AAD-41", p("/directory_settings", json!({})), Error),
        (
            "A365-AAD-41",
            p(
                "/directory_settings/-",
                json!({ "DisplayName": "Password Rule Settings" }),
            ),
            Error,
        ),
        (
            "A365-AAD-42",
            p("/directory_settings", json!([])),
            EmptyRead("Get-MgBetaDirectorySetting"),
        ),
        // A preset rule without recipient conditions covers everyone; unknown conditions do not.
        (
            "A365-DEF-02",
            f(|v| remove(v, "/protection_policy_rules/0/RecipientDomainIs")),
            Error,
        ),
        (
            "A365-DEF-02",
            p("/protection_policy_rules/0/RecipientDomainIs", json!({})),
            Error,
        ),
        (
            "A365-DEF-02",
            p("/protection_policy_rules/0/RecipientDomainIs", Value::Null),
            EmptyRead("Get-EOPProtectionPolicyRule"),
        ),
        (
            "A365-DEF-03",
            f(|v| remove(v, "/atp_policy_rules/1/SentTo")),
            Error,
        ),
        (
            "A365-DEF-04",
            p("/atp_policy_rules/0/RecipientDomainIs", json!({})),
            Error,
        ),
        (
            "A365-DEF-05",
            p("/atp_policy_rules/1/RecipientDomainIs", json!([])),
            EmptyRead("Get-ATPProtectionPolicyRule"),
        ),
        // Every tenant has a Default remote domain and a Default connection filter policy.
        ("A365-EXO-01", p("/remote_domains", json!([])), Error),
        ("A365-EXO-16", p("/conn_filter", json!([])), Error),
        ("A365-EXO-17", p("/conn_filter", json!([null])), Error),
        // No transport rule at all is evidence only when Get-TransportRule succeeded.
        (
            "A365-EXO-15",
            p("/transport_rule", json!([])),
            EmptyRead("Get-TransportRule"),
        ),
        (
            "A365-EXO-15",
            p("/transport_rule", json!([null])),
            EmptyRead("Get-TransportRule"),
        ),
        ("A365-EXO-15", p("/transport_rule", json!({})), Error),
        ("A365-EXO-15", p("/transport_rule", json!("none")), Error),
        // The default environment is named from `tenant_id` only.
        (
            "A365-PPL-03",
            f(move |v| {
                own_tenant(v);
                remove(v, "/tenant_id");
            }),
            Error,
        ),
        // An object where a list of policies is expected has an unknown shape.
        ("A365-TMS-01", p("/meeting_policies", json!({})), Error),
        ("A365-TMS-02", p("/meeting_policies", json!(42)), Error),
        ("A365-TMS-05", p("/meeting_policies", json!({})), Error),
        ("A365-TMS-16", p("/tenant_app_settings", json!({})), Error),
        ("A365-TMS-17", p("/tenant_app_settings", json!({})), Error),
        (
            "A365-TMS-18",
            p("/tenant_app_settings", json!([true])),
            Error,
        ),
        // Every tenant has the Global federation configuration, with readable fields.
        (
            "A365-TMS-08",
            p("/federation_configuration", json!([])),
            Error,
        ),
        (
            "A365-TMS-08",
            p("/federation_configuration", json!({})),
            Error,
        ),
        (
            "A365-TMS-08",
            f(|v| {
                set(
                    v,
                    "/federation_configuration/0/AllowFederatedUsers",
                    json!(true),
                );
                remove(v, "/federation_configuration/0/AllowedDomains");
            }),
            Error,
        ),
        (
            "A365-TMS-19",
            f(|v| remove(v, "/federation_configuration/0/AllowFederatedUsers")),
            Error,
        ),
        (
            "A365-TMS-08",
            many(vec![
                (
                    "/federation_configuration/0/AllowFederatedUsers",
                    json!(true),
                ),
                (
                    "/federation_configuration/0/AllowedDomains",
                    json!({ "Unexpected": [] }),
                ),
            ]),
            Error,
        ),
        // Every tenant has a Default policy in each Exchange Online Protection group: none
        // read, only the presets' copies, or an unknown field shape decides nothing.
        (
            "A365-DEF-19",
            p("/aether365/anti_malware_policies", json!([])),
            Error,
        ),
        (
            "A365-DEF-20",
            p("/aether365/anti_malware_policies", json!([null])),
            Error,
        ),
        (
            "A365-DEF-21",
            f(|v| remove(v, "/aether365/anti_malware_policies/0")),
            Error,
        ),
        (
            "A365-DEF-21",
            f(|v| remove(v, "/aether365/anti_malware_policies/0/FileTypes")),
            Error,
        ),
        (
            "A365-DEF-19",
            f(|v| remove(v, "/aether365/anti_malware_policies/0/EnableFileFilter")),
            Error,
        ),
        (
            "A365-DEF-22",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/IsDefault",
                json!(false),
            ),
            Error,
        ),
        (
            "A365-DEF-24",
            p(
                "/aether365/hosted_outbound_spam_filter_policies/0/RecipientLimitPerDay",
                json!("1000"),
            ),
            Error,
        ),
        (
            "A365-DEF-23",
            p("/aether365/hosted_content_filter_policies", json!({})),
            Error,
        ),
        (
            "A365-DEF-23",
            f(|v| {
                remove(
                    v,
                    "/aether365/hosted_content_filter_policies/1/AllowedSenderDomains",
                )
            }),
            Error,
        ),
        // A section of another version, or none, is not read.
        ("A365-DEF-19", p("/aether365/version", json!(2)), Error),
        ("A365-DEF-23", f(|v| remove(v, "/aether365/version")), Error),
        ("A365-DEF-22", f(|v| remove(v, "/aether365")), Error),
        (
            "A365-DEF-23",
            f(|v| remove(v, "/aether365/hosted_content_filter_policies")),
            Error,
        ),
        // CIS v7.0.0 Exchange Online, Defender, Purview and SharePoint (cis-exchange).
        (
            "A365-EXO-31",
            f(|v| remove(v, "/aether365/owa_mailbox_policies/0/IsDefault")),
            Error,
        ),
        (
            "A365-EXO-32",
            f(|v| remove(v, "/aether365/owa_mailbox_policies")),
            Error,
        ),
        (
            "A365-EXO-30",
            many(vec![
                (
                    "/aether365/owa_mailbox_policies/0/BookingsMailboxCreationEnabled",
                    json!(true),
                ),
                ("/org_config", json!(null)),
            ]),
            Error,
        ),
        (
            "A365-EXO-31",
            f(|v| {
                remove(
                    v,
                    "/aether365/owa_mailbox_policies/0/PersonalAccountsEnabled",
                )
            }),
            Error,
        ),
        (
            "A365-EXO-33",
            p("/aether365/external_in_outlook", json!([null])),
            Error,
        ),
        (
            "A365-EXO-34",
            p("/aether365/mailbox_audit_bypass_associations", json!([])),
            EmptyRead("Get-MailboxAuditBypassAssociation"),
        ),
        (
            "A365-EXO-34",
            f(|v| {
                remove(
                    v,
                    "/aether365/mailbox_audit_bypass_associations/0/AuditBypassEnabled",
                )
            }),
            Error,
        ),
        (
            "A365-EXO-35",
            f(|v| remove(v, "/aether365/role_assignment_policies/0/AssignedRoles")),
            Error,
        ),
        (
            "A365-EXO-35",
            p(
                "/aether365/role_assignment_policies/0/IsDefault",
                json!(false),
            ),
            Error,
        ),
        (
            "A365-EXO-36",
            f(|v| {
                remove(
                    v,
                    "/aether365/organization_config/0/MailTipsLargeAudienceThreshold",
                )
            }),
            Error,
        ),
        (
            "A365-EXO-37",
            f(|v| remove(v, "/aether365/organization_config")),
            Error,
        ),
        (
            "A365-DEF-30",
            f(|v| remove(v, "/aether365/email_tenant_settings")),
            Error,
        ),
        (
            "A365-DEF-31",
            p("/aether365/teams_protection_policies", json!([])),
            Error,
        ),
        (
            "A365-PUR-10",
            f(|v| remove(v, "/aether365/label_policies/0/Labels")),
            Error,
        ),
        (
            "A365-SPO-20",
            many(vec![
                ("/SPO_tenant/0/SharingCapability", json!(1)),
                (
                    "/SPO_tenant/0/GuestSharingGroupAllowListInTenantByPrincipalIdentity",
                    json!("c:0t.c|tenant|x"),
                ),
            ]),
            Error,
        ),
        (
            "A365-PUR-11",
            p("/dlp_compliance_policies/0/Locations", json!("[{not json")),
            Error,
        ),
    ];
    let sample = sample_value();
    let mut wrong = Vec::new();
    for (i, (id, mutate, expect)) in cases.iter().enumerate() {
        let check = find_check(id).unwrap();
        let mut v = sample.clone();
        mutate(&mut v);
        let got = check.evaluate(&Snapshot::from_value(v.clone()).unwrap());
        match expect {
            Error if got.status != Status::Error => {
                wrong.push(format!("case {i} {id}: {} ({})", got.status, got.message))
            }
            Error => assert!(got.message.contains('`'), "{id}: {}", got.message),
            EmptyRead(cmd) => {
                let said = format!("{cmd} succeeded and returned no ");
                if got.status != Status::Pass
                    || !got.message.contains(&said)
                    || got.evidence["evidence_of_absence"]["command"] != *cmd
                {
                    wrong.push(format!("case {i} {id}: {} ({})", got.status, got.message));
                    continue;
                }
                // The same document without the record of that read.
                for list in v.as_object_mut().unwrap().iter_mut() {
                    if list.0.ends_with("_successful_commands") {
                        list.1
                            .as_array_mut()
                            .unwrap()
                            .retain(|c| c.as_str() != Some(cmd));
                    }
                }
                let without = check.evaluate(&Snapshot::from_value(v).unwrap());
                if without.status != Status::Error || !without.message.contains(cmd) {
                    wrong.push(format!(
                        "case {i} {id} without {cmd}: {} ({})",
                        without.status, without.message
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_plain_scubagear_export_says_its_data_cannot_decide_the_aether365_checks() {
    let snap = Snapshot::from_value(scubagear_sample()).unwrap();
    let ids = [
        ("A365-DEF-19", "Get-MalwareFilterPolicy"),
        ("A365-DEF-20", "Get-MalwareFilterPolicy"),
        ("A365-DEF-21", "Get-MalwareFilterPolicy"),
        ("A365-DEF-22", "Get-HostedOutboundSpamFilterPolicy"),
        ("A365-DEF-23", "Get-HostedContentFilterPolicy"),
        ("A365-DEF-24", "Get-HostedOutboundSpamFilterPolicy"),
        ("A365-AAD-90", "Get-MgUser -Property AssignedLicenses"),
        ("A365-AAD-91", "Get-MgGroup"),
        (
            "A365-EXO-50",
            "Get-Mailbox -RecipientTypeDetails SharedMailbox",
        ),
        (
            "A365-AAD-92",
            "Get-MgReportAuthenticationMethodUserRegistrationDetail",
        ),
        (
            "A365-EXO-51",
            "Get-Mailbox -RecipientTypeDetails UserMailbox",
        ),
    ];
    for (id, cmd) in ids {
        let f = find_check(id).unwrap().evaluate(&snap);
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
        assert!(
            f.message.contains("`aether365`")
                && f.message.contains("not in a ScubaGear export")
                && f.message.contains(cmd),
            "{id}: {}",
            f.message
        );
    }
    // Every other check decides the plain export as before, but those that read only the
    // `aether365` section (each says so, like the ones above).
    for f in evaluate_all(&snap) {
        if !ids.iter().any(|(id, _)| *id == f.check_id)
            && !f.message.contains("not in a ScubaGear export")
            && !super::graph_settings_cases::IDS.contains(&f.check_id.as_str())
        {
            assert_ne!(f.status, Status::Error, "{}: {}", f.check_id, f.message);
        }
    }
    // A failed read says why, before the section's absence.
    let mut v = sample_value();
    v["exo_unsuccessful_commands"] = json!(["Get-MalwareFilterPolicy"]);
    v["aether365_collection"] =
        json!({"command_errors": {"Get-MalwareFilterPolicy": "403 Forbidden: role missing"}});
    remove(&mut v, "/aether365/anti_malware_policies");
    let f = find_check("A365-DEF-19")
        .unwrap()
        .evaluate(&Snapshot::from_value(v).unwrap());
    assert_eq!(f.status, Status::Error);
    assert!(
        f.message.contains("403 Forbidden: role missing"),
        "{}",
        f.message
    );
}

/// The checks that only say why ScubaGear does not decide their SCuBA policies, with the
/// criticality suffix ScubaGear 1.8.0 gives them.
const SCUBA_UNDECIDED: &[(&str, &str, &[&str])] = &[
    (
        "A365-EXO-20",
        "3rd Party",
        &[
            "MS.EXO.8.1v2",
            "MS.EXO.8.2v2",
            "MS.EXO.8.3v1",
            "MS.EXO.8.4v1",
        ],
    ),
    (
        "A365-EXO-21",
        "3rd Party",
        &[
            "MS.EXO.9.1v2",
            "MS.EXO.9.2v1",
            "MS.EXO.9.3v2",
            "MS.EXO.9.4v1",
            "MS.EXO.9.5v1",
        ],
    ),
    (
        "A365-EXO-22",
        "3rd Party",
        &["MS.EXO.10.1v1", "MS.EXO.10.2v1", "MS.EXO.10.3v1"],
    ),
    (
        "A365-EXO-23",
        "3rd Party",
        &["MS.EXO.11.1v1", "MS.EXO.11.2v1", "MS.EXO.11.3v1"],
    ),
    (
        "A365-EXO-24",
        "3rd Party",
        &[
            "MS.EXO.14.1v2",
            "MS.EXO.14.2v1",
            "MS.EXO.14.3v1",
            "MS.EXO.14.4v1",
        ],
    ),
    (
        "A365-EXO-25",
        "3rd Party",
        &["MS.EXO.15.1v1", "MS.EXO.15.2v1", "MS.EXO.15.3v1"],
    ),
    (
        "A365-EXO-26",
        "3rd Party",
        &["MS.EXO.16.1v1", "MS.EXO.16.2v1"],
    ),
    (
        "A365-EXO-27",
        "3rd Party",
        &["MS.EXO.17.1v1", "MS.EXO.17.3v1"],
    ),
    (
        "A365-TMS-23",
        "3rd Party",
        &["MS.TEAMS.6.1v1", "MS.TEAMS.6.2v1"],
    ),
    (
        "A365-TMS-24",
        "3rd Party",
        &["MS.TEAMS.7.1v1", "MS.TEAMS.7.2v1"],
    ),
    (
        "A365-TMS-25",
        "3rd Party",
        &["MS.TEAMS.8.1v1", "MS.TEAMS.8.2v1"],
    ),
    ("A365-DEF-16", "Not-Implemented", &["MS.DEFENDER.4.5v1"]),
    ("A365-DEF-17", "Not-Implemented", &["MS.DEFENDER.4.6v1"]),
    ("A365-DEF-18", "Not-Implemented", &["MS.DEFENDER.5.2v1"]),
    ("A365-AAD-55", "Not-Implemented", &["MS.AAD.2.2v1"]),
    ("A365-AAD-56", "Not-Implemented", &["MS.AAD.8.3v1"]),
    (
        "A365-PPL-10",
        "Not-Implemented",
        &["MS.POWERPLATFORM.3.2v1"],
    ),
    (
        "A365-PPL-11",
        "Not-Implemented",
        &["MS.POWERPLATFORM.4.1v1"],
    ),
];

#[test]
fn scuba_policies_scubagear_does_not_decide_are_manual_with_its_reason() {
    let sample = Snapshot::from_value(sample_value()).unwrap();
    let empty = Snapshot::from_value(json!({ "tenant_id": "t" })).unwrap();
    for (id, label, policies) in SCUBA_UNDECIDED {
        let check = find_check(id).unwrap_or_else(|| panic!("no check {id}"));
        assert_eq!(
            check.scuba_undecided().map(|w| w.label()),
            Some(*label),
            "{id}"
        );
        assert_eq!(&check.scuba_ids(), policies, "{id}");
        for snap in [&sample, &empty] {
            let f = check.evaluate(snap);
            assert_eq!(f.status, Status::Manual, "{id}: {}", f.message);
            assert!(
                f.message
                    .contains(&format!("ScubaGear 1.8.0 marks it \"{label}\"")),
                "{id}: {}",
                f.message
            );
            assert!(f.message.contains("Verify "), "{id}: {}", f.message);
            assert_eq!(f.evidence["scubagear_criticality"], *label, "{id}");
            assert_eq!(f.evidence["scubagear_version"], "1.8.0", "{id}");
        }
    }
    let undecided: Vec<&str> = compliance_checks()
        .iter()
        .filter(|c| c.scuba_undecided().is_some())
        .map(|c| c.id)
        .collect();
    let listed: Vec<&str> = SCUBA_UNDECIDED.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(undecided.len(), listed.len());
    assert!(undecided.iter().all(|id| listed.contains(id)));
}

#[test]
fn every_scuba_policy_is_cited_by_exactly_one_check() {
    use crate::references::SCUBA_POLICIES;
    let mut cited: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for c in compliance_checks() {
        for id in c.scuba_ids() {
            assert!(
                SCUBA_POLICIES.contains(&id),
                "{}: {id} is no SCuBA 1.8.0 policy",
                c.id
            );
            cited.entry(id).or_default().push(c.id);
        }
    }
    for id in SCUBA_POLICIES {
        assert_eq!(
            cited.get(id).map(Vec::len),
            Some(1),
            "{id}: {:?}",
            cited.get(id)
        );
    }
    // The connection filter checks decide SCuBA's rules as well as CIS's.
    assert_eq!(
        find_check("A365-EXO-16").unwrap().scuba_ids(),
        ["MS.EXO.12.1v1"]
    );
    assert_eq!(
        find_check("A365-EXO-17").unwrap().scuba_ids(),
        ["MS.EXO.12.2v1"]
    );
}

#[test]
fn findings_name_the_scuba_baseline_and_its_version() {
    use crate::model::{Framework, FrameworkRef};
    let snap = Snapshot::from_value(sample_value()).unwrap();
    let f = find_check("A365-EXO-20").unwrap().evaluate(&snap);
    assert!(f.frameworks.contains(&FrameworkRef {
        framework: Framework::Scuba,
        id: "MS.EXO.8.1v2".into(),
        version: "1.8.0".into(),
    }));
    // Every SCuBA reference carries its baseline's version: 1.8.0 for ScubaGear 1.8.0's
    // baselines, the main branch's baselines version for the Security Suite.
    let mut suite = 0;
    for f in evaluate_all(&snap) {
        for r in f
            .frameworks
            .iter()
            .filter(|r| r.framework == Framework::Scuba)
        {
            let expected = if r.id.starts_with("MS.SECURITYSUITE.") {
                suite += 1;
                "2.6.10"
            } else if crate::references::scuba_main_change(&r.id).is_some() {
                "2.6.10"
            } else {
                "1.8.0"
            };
            assert_eq!(r.version, expected, "{} {}", f.check_id, r.id);
            assert!(
                crate::references::scuba_citation(r).is_some(),
                "{} {}",
                f.check_id,
                r.id
            );
        }
    }
    // Every policy of the Security Suite is cited: 22 decided, 2 manual.
    assert_eq!(suite, 24);
    let f = find_check("A365-PUR-01").unwrap().evaluate(&snap);
    let names: Vec<String> = f
        .frameworks
        .iter()
        .filter_map(crate::references::scuba_citation)
        .collect();
    assert_eq!(
        names,
        [
            "SCuBA Defender (ScubaGear 1.8.0) MS.DEFENDER.6.1v1",
            "SCuBA Security Suite (v2.6.10, ScubaGear main branch) MS.SECURITYSUITE.5.1v1",
        ]
    );
}

#[test]
fn security_suite_policies_are_cited_only_where_the_rule_is_the_same() {
    use crate::references::{
        MainDecision, SCUBA_POLICIES, SCUBA_REMOVED_ON_MAIN, SCUBA_SECURITY_SUITE, ScubaBaseline,
    };
    assert_eq!(SCUBA_SECURITY_SUITE.len(), 24);
    let mut ids: Vec<&str> = SCUBA_SECURITY_SUITE.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 24);
    for p in SCUBA_SECURITY_SUITE {
        assert_eq!(ScubaBaseline::of(p.id), Some(ScubaBaseline::SecuritySuite));
        for old in p.replaces {
            assert!(SCUBA_POLICIES.contains(old), "{}: {old}", p.id);
        }
        match p.decision {
            MainDecision::Decided { check, same_as } => {
                let c = find_check(check).unwrap();
                assert!(c.scuba_undecided().is_none(), "{}", p.id);
                match same_as {
                    Some(same_as) => {
                        assert!(c.scuba_ids().contains(&same_as), "{}", p.id);
                        assert!(p.replaces.contains(&same_as), "{}", p.id);
                    }
                    // A check of its own: it cites no 1.8.0 policy.
                    None => assert!(c.scuba_ids().is_empty(), "{}", p.id),
                }
            }
            MainDecision::Undecided {
                check,
                same_as,
                scubagear,
            } => {
                let c = find_check(check).unwrap();
                assert!(c.scuba_ids().contains(&same_as), "{}", p.id);
                assert_eq!(
                    c.scuba_undecided().map(|u| u.label()),
                    Some(scubagear),
                    "{}",
                    p.id
                );
            }
            MainDecision::NotDecided(why) => assert!(!why.is_empty()),
        }
    }
    // Every check citing a Security Suite policy is the one the table names, and a policy
    // not decided is cited by none.
    for c in compliance_checks() {
        for r in c.framework_refs() {
            if r.id.starts_with("MS.SECURITYSUITE.") {
                let p = SCUBA_SECURITY_SUITE.iter().find(|p| p.id == r.id).unwrap();
                assert_eq!(p.decision.check(), Some(c.id), "{}", r.id);
            }
        }
    }
    // Every 1.8.0 policy the Security Suite takes over (Defender, Exchange Online 8 to 17
    // except 13.1, Teams 6 to 8) is replaced by a Security Suite policy or removed.
    let moved = |id: &str| {
        let n: Vec<u32> = id
            .split('.')
            .skip(2)
            .take(1)
            .filter_map(|s| s.parse().ok())
            .collect();
        id.starts_with("MS.DEFENDER.")
            || (id.starts_with("MS.EXO.") && (8..=17).contains(&n[0]) && n[0] != 13)
            || (id.starts_with("MS.TEAMS.") && (6..=8).contains(&n[0]))
    };
    let mut covered = 0;
    for id in SCUBA_POLICIES.iter().filter(|id| moved(id)) {
        covered += 1;
        assert!(
            SCUBA_REMOVED_ON_MAIN.contains(id)
                || SCUBA_SECURITY_SUITE.iter().any(|p| p.replaces.contains(id)),
            "{id}"
        );
    }
    assert_eq!(covered, 19 + 28 + 6);
}

#[test]
fn scuba_policy_list_holds_every_policy_scubagear_reported_on_the_sample() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scubagear/TestResults.json"
    );
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let results: Vec<Value> = serde_json::from_slice(bytes).unwrap();
    assert_eq!(results.len(), 93);
    for r in &results {
        let id = r["PolicyId"].as_str().unwrap();
        assert!(
            crate::references::SCUBA_POLICIES.contains(&id),
            "{id} is missing from SCUBA_POLICIES"
        );
    }
    assert_eq!(crate::references::SCUBA_POLICIES.len(), 135);
    // Every policy ScubaGear did not decide on the sample is cited by a check that answers
    // manual there, as ScubaGear's verdict is "undecided".
    let snap = Snapshot::from_value(sample_value()).unwrap();
    let mut undecided = 0;
    for r in &results {
        let criticality = r["Criticality"].as_str().unwrap();
        if !(criticality.ends_with("/Not-Implemented") || criticality.ends_with("/3rd Party")) {
            continue;
        }
        undecided += 1;
        let id = r["PolicyId"].as_str().unwrap();
        let check = compliance_checks()
            .iter()
            .find(|c| c.scuba_ids().contains(&id))
            .unwrap_or_else(|| panic!("{id} is cited by no check"));
        assert_eq!(check.evaluate(&snap).status, Status::Manual, "{id}");
    }
    assert_eq!(undecided, 9);
}

// Power BI and Fabric (A365-PBI-*): the `aether365.fabric_tenant_settings` of the sample.

/// Applies `f` to the setting `name` of the sample's `aether365.fabric_tenant_settings`.
pub(crate) fn with_setting(
    v: &mut Value,
    name: &str,
    f: impl Fn(&mut serde_json::Map<String, Value>),
) {
    let row = v["aether365"]["fabric_tenant_settings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["settingName"] == name)
        .unwrap_or_else(|| panic!("no {name} in the fixture"));
    f(row.as_object_mut().unwrap());
}

fn off(r: &mut serde_json::Map<String, Value>) {
    r.insert("enabled".into(), json!(false));
    r.remove("enabledSecurityGroups");
}

fn on_for_everyone(r: &mut serde_json::Map<String, Value>) {
    r.insert("enabled".into(), json!(true));
    r.remove("enabledSecurityGroups");
    r.remove("excludedSecurityGroups");
}

fn on_for_a_group(r: &mut serde_json::Map<String, Value>) {
    r.insert("enabled".into(), json!(true));
    r.insert(
        "enabledSecurityGroups".into(),
        json!([{"graphId": "11111111-2222-4333-8444-555555555555", "name": "Allowed"}]),
    );
}

type Case = (&'static str, Box<dyn Fn(&mut Value)>, Status);

fn case(
    id: &'static str,
    name: &'static str,
    change: fn(&mut serde_json::Map<String, Value>),
    want: Status,
) -> Case {
    (
        id,
        Box::new(move |v: &mut Value| with_setting(v, name, change)),
        want,
    )
}

/// Mutations of the sample that turn each Power BI check's verdict around (A365-PBI-*, on the
/// stand-in tenant's Fabric tenant settings; `power_bi_tests` holds their other tests).
pub(crate) fn power_bi_cases() -> Vec<Case> {
    use Status::{Fail, Pass};
    vec![
        case(
            "A365-PBI-01",
            "AllowGuestUserToAccessSharedContent",
            on_for_everyone,
            Fail,
        ),
        case("A365-PBI-02", "ExternalSharingV2", off, Pass),
        case("A365-PBI-02", "ExternalSharingV2", on_for_a_group, Pass),
        case("A365-PBI-03", "ElevatedGuestsTenant", on_for_everyone, Fail),
        case("A365-PBI-04", "PublishToWeb", on_for_everyone, Fail),
        case("A365-PBI-05", "RScriptVisual", off, Pass),
        case("A365-PBI-06", "EimInformationProtectionEdit", off, Fail),
        case("A365-PBI-07", "ShareLinkToEntireOrg", off, Pass),
        case(
            "A365-PBI-08",
            "EnableDatasetInPlaceSharing",
            on_for_everyone,
            Fail,
        ),
        case(
            "A365-PBI-09",
            "BlockResourceKeyAuthentication",
            on_for_everyone,
            Pass,
        ),
        case(
            "A365-PBI-10",
            "ServicePrincipalAccessPermissionAPIs",
            on_for_everyone,
            Fail,
        ),
        case(
            "A365-PBI-11",
            "AllowServicePrincipalsCreateAndUseProfiles",
            on_for_everyone,
            Fail,
        ),
        case(
            "A365-PBI-12",
            "ServicePrincipalAccessGlobalAPIs",
            on_for_a_group,
            Pass,
        ),
        case("A365-PBI-13", "PublishToWeb", off, Pass),
        // SCuBA's publish-to-web policy wants it off: a group does not do.
        case("A365-PBI-13", "PublishToWeb", on_for_a_group, Fail),
        // R and Python visuals must be off, even for a group only.
        case("A365-PBI-05", "RScriptVisual", on_for_a_group, Fail),
    ]
}

/// MS.SECURITYSUITE.4.1v1 (A365-DEF-32) applies the main branch's alert list, not
/// MS.DEFENDER.5.1v1's (A365-DEF-10): the two differ on the sample's variations.
#[test]
fn security_suite_alerts_apply_the_main_branch_list() {
    let verdicts = |edit: &dyn Fn(&mut Value)| {
        let mut v = sample_value();
        edit(&mut v);
        let snap = Snapshot::from_value(v).unwrap();
        (
            find_check("A365-DEF-10").unwrap().evaluate(&snap).status,
            find_check("A365-DEF-32").unwrap().evaluate(&snap).status,
        )
    };
    let set = |name: &'static str, disabled: Option<bool>| {
        move |v: &mut Value| {
            let alerts = v["protection_alerts"].as_array_mut().unwrap();
            match disabled {
                Some(d) => {
                    for a in alerts.iter_mut().filter(|a| a["Name"] == name) {
                        a["Disabled"] = json!(d);
                    }
                }
                None => alerts.retain(|a| a["Name"] != name),
            }
        }
    };
    assert_eq!(verdicts(&|_| {}), (Status::Pass, Status::Pass));
    // The user sending restriction is no longer required.
    assert_eq!(
        verdicts(&set("User restricted from sending email", Some(true))),
        (Status::Fail, Status::Pass)
    );
    // The tenant sending restriction is newly required.
    assert_eq!(
        verdicts(&set("Tenant restricted from sending email", Some(true))),
        (Status::Pass, Status::Fail)
    );
    // The malicious URL click alert: required where the tenant has it, not where it has not.
    let url = "A potentially malicious URL click was detected";
    assert_eq!(
        verdicts(&set(url, Some(true))),
        (Status::Fail, Status::Fail)
    );
    assert_eq!(verdicts(&set(url, None)), (Status::Fail, Status::Pass));
    // An empty (successfully read) alert list passes nothing.
    assert_eq!(
        verdicts(&|v| v["protection_alerts"] = json!([])),
        (Status::Fail, Status::Fail)
    );
}

/// Disables the Standard preset's Exchange Online Protection rule (the sample's only preset
/// rule applying to everyone; the Strict one is scoped to a domain).
fn no_eop_preset(v: &mut Value) {
    set(v, "/protection_policy_rules/1/State", json!("Disabled"));
}

/// A custom policy's rule applying to everyone but the conditions `extra` sets.
fn custom_rule(policy_field: &str, policy: &str, priority: i64, extra: Value) -> Value {
    let mut r = json!({
        "Name": format!("{policy} rule"), "Identity": format!("{policy} rule"),
        "State": "Enabled", "Priority": priority, policy_field: policy,
        "SentTo": null, "SentToMemberOf": null, "RecipientDomainIs": null,
        "ExceptIfSentTo": null, "ExceptIfSentToMemberOf": null, "ExceptIfRecipientDomainIs": null,
    });
    if let Value::Object(e) = extra {
        for (k, val) in e {
            r[k] = val;
        }
    }
    r
}

/// A custom copy of the `index`th policy of `aether365.{key}` named `name`.
fn custom_policy(v: &mut Value, key: &str, index: usize, name: &str, edit: &dyn Fn(&mut Value)) {
    let mut p = v["aether365"][key][index].clone();
    for k in ["Name", "Identity", "Id"] {
        p[k] = json!(name);
    }
    p["IsDefault"] = json!(false);
    p["RecommendedPolicyType"] = json!("Custom");
    edit(&mut p);
    v["aether365"][key].as_array_mut().unwrap().push(p);
}

/// The Security Suite checks of ScubaGear's main branch (issue 21): the policy applying to
/// everyone is found from the preset rules, the custom rules and the Default (or built-in)
/// policy, as the main branch's Rego finds it.
pub(crate) fn security_suite_cases() -> Vec<(&'static str, Mutation, Status)> {
    use Status::{Fail, Pass};
    let drop_type = |t: &'static str| {
        f(move |v| {
            v["aether365"]["anti_malware_policies"][1]["FileTypes"]
                .as_array_mut()
                .unwrap()
                .retain(|x| x != t);
        })
    };
    // A custom anti-malware policy without `cmd`, applied to everyone by its rule.
    let custom_malware = |extra: Value| {
        f(move |v| {
            no_eop_preset(v);
            custom_policy(v, "anti_malware_policies", 0, "Contoso malware", &|p| {
                p["FileTypes"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|x| x != "cmd");
            });
            let rule = custom_rule("MalwareFilterPolicy", "Contoso malware", 0, extra.clone());
            v["aether365"]["anti_malware_rules"] = json!([rule]);
        })
    };
    let custom_spam = |extra: Value| {
        f(move |v| {
            no_eop_preset(v);
            custom_policy(
                v,
                "hosted_content_filter_policies",
                0,
                "Contoso spam",
                &|p| {
                    p["SpamAction"] = json!("AddXHeader");
                },
            );
            let rule = custom_rule(
                "HostedContentFilterPolicy",
                "Contoso spam",
                0,
                extra.clone(),
            );
            v["aether365"]["hosted_content_filter_rules"] = json!([rule]);
        })
    };
    let suite = |id: &'static str, list: &'static str, names: Value| {
        f(move |v| {
            v["scuba_config"]["SecuritySuite"] = json!({ id: { list: names.clone() } });
        })
    };
    // Only a custom anti-phishing policy protects the organisation's domains, applied by a
    // rule naming the accepted domains given (`None`: every one of the tenant's).
    let custom_phish = |domains: Option<Vec<&'static str>>| {
        f(move |v| {
            each(v, "/anti_phish_policies", |p| {
                p["EnableOrganizationDomainsProtection"] = json!(false);
            });
            let mut p = v["anti_phish_policies"][0].clone();
            p["Name"] = json!("Contoso phish");
            p["Identity"] = json!("Contoso phish");
            p["IsDefault"] = json!(false);
            p["EnableOrganizationDomainsProtection"] = json!(true);
            v["anti_phish_policies"].as_array_mut().unwrap().push(p);
            let all: Vec<Value> = v["accepted_domains"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["DomainName"].clone())
                .collect();
            let scoped = domains.clone().map_or(json!(all), |d| json!(d));
            v["aether365"]["anti_phish_rules"] = json!([custom_rule(
                "AntiPhishPolicy",
                "Contoso phish",
                0,
                json!({ "RecipientDomainIs": scoped })
            )]);
        })
    };
    vec![
        // 2.2 by a custom policy: its rule must name every accepted domain.
        ("A365-DEF-37", custom_phish(None), Pass),
        (
            "A365-DEF-37",
            custom_phish(Some(vec!["tqhjy.onmicrosoft.com"])),
            Fail,
        ),
        // 1.3 by a custom Safe Attachments policy whose rule applies to everyone.
        (
            "A365-DEF-35",
            f(|v| {
                set(v, "/atp_policy_rules/1/State", json!("Disabled"));
                custom_policy(
                    v,
                    "safe_attachment_policies",
                    0,
                    "Contoso attachments",
                    &|p| {
                        p["Action"] = json!("Allow");
                        p["IsBuiltInProtection"] = json!(false);
                    },
                );
                v["aether365"]["safe_attachment_rules"] = json!([custom_rule(
                    "SafeAttachmentPolicy",
                    "Contoso attachments",
                    0,
                    json!({})
                )]);
            }),
            Fail,
        ),
        // 7.x: a Safe Links rule naming recipients applies no policy to everyone.
        (
            "A365-DEF-44",
            f(|v| {
                no_eop_preset(v);
                v["aether365"]["safe_links_rules"] = json!([custom_rule(
                    "SafeLinksPolicy",
                    "Standard Preset Security Policy1659535436756",
                    0,
                    json!({ "SentTo": ["ceo@tqhjy.onmicrosoft.com"] })
                )]);
                v["aether365"]["safe_links_policies"][0]["TrackClicks"] = json!(false);
            }),
            Fail,
        ),
        // 1.1: the Standard preset applies to everyone, so its copy is judged.
        ("A365-DEF-33", drop_type("vbe"), Fail),
        ("A365-DEF-33", drop_type("js"), Pass),
        // Without a preset for everyone, the Default policy (which blocks all three).
        ("A365-DEF-33", f(no_eop_preset), Pass),
        // A custom policy whose rule applies to everyone comes before the Default one.
        ("A365-DEF-33", custom_malware(json!({})), Fail),
        // ... but not when its rule names recipients, or lists only some of the domains.
        (
            "A365-DEF-33",
            custom_malware(json!({ "SentToMemberOf": ["Executives"] })),
            Pass,
        ),
        (
            "A365-DEF-33",
            custom_malware(json!({ "RecipientDomainIs": ["tqhjy.onmicrosoft.com"] })),
            Pass,
        ),
        (
            "A365-DEF-33",
            custom_malware(json!({ "State": "Disabled" })),
            Pass,
        ),
        // 1.2: zero-hour auto purge of the policy applying to everyone.
        (
            "A365-DEF-34",
            p(
                "/aether365/anti_malware_policies/1/ZapEnabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-DEF-34",
            p(
                "/aether365/anti_malware_policies/0/ZapEnabled",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-DEF-34",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/anti_malware_policies/0/ZapEnabled",
                    json!(false),
                ),
            ]),
            Fail,
        ),
        // 1.3: the Standard preset's Safe Attachments policy, else the built-in protection.
        (
            "A365-DEF-35",
            p(
                "/aether365/safe_attachment_policies/1/Action",
                json!("Allow"),
            ),
            Fail,
        ),
        (
            "A365-DEF-35",
            p("/atp_policy_rules/1/State", json!("Disabled")),
            Pass,
        ),
        (
            "A365-DEF-35",
            many(vec![
                ("/atp_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/built_in_protection_rules/0/ExceptIfSentToMemberOf",
                    json!(["Research"]),
                ),
            ]),
            Fail,
        ),
        (
            "A365-DEF-35",
            many(vec![
                ("/atp_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/safe_attachment_policies/0/Action",
                    json!("DynamicDelivery"),
                ),
            ]),
            Pass,
        ),
        ("A365-DEF-35", p("/defender_license", json!(false)), Fail),
        // 2.1: nothing declared fails (the sample); declared and protected by the Default
        // policy (which applies to everyone) passes.
        (
            "A365-DEF-36",
            suite(
                "MS.SECURITYSUITE.2.1v1",
                "SensitiveUsers",
                json!(["John Doe;johndoe@example.com"]),
            ),
            Pass,
        ),
        (
            "A365-DEF-36",
            suite(
                "MS.SECURITYSUITE.2.1v1",
                "SensitiveUsers",
                json!(["jane@example.com"]),
            ),
            Fail,
        ),
        // The Defender policy's declaration is read when the Security Suite has none.
        (
            "A365-DEF-36",
            p(
                "/scuba_config/Defender",
                json!({ "MS.DEFENDER.2.1v1": { "SensitiveUsers": ["johndoe@example.com"] } }),
            ),
            Pass,
        ),
        (
            "A365-DEF-36",
            many(vec![
                (
                    "/scuba_config/SecuritySuite",
                    json!({ "MS.SECURITYSUITE.2.1v1": { "SensitiveUsers": ["johndoe@example.com"] } }),
                ),
                ("/defender_license", json!(false)),
            ]),
            Fail,
        ),
        (
            "A365-DEF-36",
            many(vec![
                (
                    "/scuba_config/SecuritySuite",
                    json!({ "MS.SECURITYSUITE.2.1v1": { "SensitiveUsers": ["johndoe@example.com"] } }),
                ),
                (
                    "/anti_phish_policies/0/TargetedUserProtectionAction",
                    json!("NoAction"),
                ),
            ]),
            Fail,
        ),
        // 2.2: the Default policy protects the tenant's domains.
        (
            "A365-DEF-37",
            f(|v| {
                each(v, "/anti_phish_policies", |p| {
                    p["EnableOrganizationDomainsProtection"] = json!(false);
                })
            }),
            Fail,
        ),
        // Only the Standard preset (applying to everyone) has it: passes on its rule.
        (
            "A365-DEF-37",
            p(
                "/anti_phish_policies/0/EnableOrganizationDomainsProtection",
                json!(false),
            ),
            Pass,
        ),
        (
            "A365-DEF-37",
            many(vec![
                (
                    "/anti_phish_policies/0/EnableOrganizationDomainsProtection",
                    json!(false),
                ),
                ("/protection_policy_rules/1/State", json!("Disabled")),
            ]),
            Fail,
        ),
        // 2.3: the presets protect the partner domain; the Standard one applies to everyone.
        (
            "A365-DEF-38",
            suite(
                "MS.SECURITYSUITE.2.3v1",
                "PartnerDomains",
                json!(["goodparnter.com"]),
            ),
            Pass,
        ),
        (
            "A365-DEF-38",
            f(|v| {
                v["scuba_config"]["SecuritySuite"] =
                    json!({ "MS.SECURITYSUITE.2.3v1": { "PartnerDomains": ["goodparnter.com"] } });
                no_eop_preset(v);
            }),
            Fail,
        ),
        (
            "A365-DEF-38",
            suite(
                "MS.SECURITYSUITE.2.3v1",
                "PartnerDomains",
                json!(["goodparnter.com", "other.example"]),
            ),
            Fail,
        ),
        // 2.4: the Default policy has every safety tip on; else a preset for everyone does.
        (
            "A365-DEF-39",
            p("/anti_phish_policies/0/EnableViaTag", json!(false)),
            Pass,
        ),
        (
            "A365-DEF-39",
            many(vec![
                ("/anti_phish_policies/0/EnableViaTag", json!(false)),
                ("/protection_policy_rules/1/State", json!("Disabled")),
            ]),
            Fail,
        ),
        // 6.1: the Standard preset is active and keeps spam out of the inbox.
        (
            "A365-DEF-40",
            p(
                "/aether365/hosted_content_filter_policies/1/SpamAction",
                json!("AddXHeader"),
            ),
            Fail,
        ),
        (
            "A365-DEF-40",
            p(
                "/aether365/hosted_content_filter_policies/0/SpamAction",
                json!("AddXHeader"),
            ),
            Pass,
        ),
        (
            "A365-DEF-40",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/hosted_content_filter_policies/0/HighConfidencePhishAction",
                    json!("AddXHeader"),
                ),
            ]),
            Fail,
        ),
        // An active custom policy is judged when no preset is good, and its rule decides.
        ("A365-DEF-40", custom_spam(json!({})), Fail),
        (
            "A365-DEF-40",
            custom_spam(json!({ "ExceptIfSentTo": ["ceo@tqhjy.onmicrosoft.com"] })),
            Pass,
        ),
        // 6.2: no active policy allows sender domains.
        (
            "A365-DEF-41",
            p(
                "/aether365/hosted_content_filter_policies/1/AllowedSenderDomains",
                json!(["partner.example"]),
            ),
            Fail,
        ),
        (
            "A365-DEF-41",
            p(
                "/aether365/hosted_content_filter_policies/0/AllowedSenderDomains",
                json!(["partner.example"]),
            ),
            Pass,
        ),
        (
            "A365-DEF-41",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/hosted_content_filter_policies/0/AllowedSenderDomains",
                    json!(["partner.example"]),
                ),
            ]),
            Fail,
        ),
        // 7.x: a preset for everyone decides; else the Safe Links policy applying to everyone
        // (the built-in protection when no rule applies to everyone).
        ("A365-DEF-42", f(no_eop_preset), Pass),
        (
            "A365-DEF-42",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/safe_links_policies/0/EnableSafeLinksForTeams",
                    json!(false),
                ),
            ]),
            Fail,
        ),
        (
            "A365-DEF-43",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                (
                    "/aether365/safe_links_policies/0/DeliverMessageAfterScan",
                    json!(false),
                ),
            ]),
            Fail,
        ),
        ("A365-DEF-43", f(no_eop_preset), Pass),
        (
            "A365-DEF-44",
            many(vec![
                ("/protection_policy_rules/1/State", json!("Disabled")),
                ("/aether365/safe_links_policies/0/TrackClicks", json!(false)),
            ]),
            Fail,
        ),
        // A custom Safe Links rule for everyone applies its own policy.
        (
            "A365-DEF-44",
            f(|v| {
                no_eop_preset(v);
                v["aether365"]["safe_links_rules"] = json!([custom_rule(
                    "SafeLinksPolicy",
                    "Standard Preset Security Policy1659535436756",
                    0,
                    json!({})
                )]);
                v["aether365"]["safe_links_policies"][0]["TrackClicks"] = json!(false);
            }),
            Pass,
        ),
        // 5.2: a year's retention with Audit (Premium).
        (
            "A365-PUR-12",
            p(
                "/aether365/unified_audit_log_retention_policies/0/RetentionDuration",
                json!("SixMonths"),
            ),
            Fail,
        ),
        (
            "A365-PUR-12",
            f(|v| {
                v["service_plans"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|p| p["ServicePlanName"] != "M365_ADVANCED_AUDITING");
            }),
            Fail,
        ),
        (
            "A365-PUR-12",
            p(
                "/aether365/unified_audit_log_retention_policies/0/RetentionDuration",
                json!("TenYears"),
            ),
            Pass,
        ),
        // Ten years, but only for Exchange administrators' actions: not every record is kept.
        (
            "A365-PUR-12",
            f(|v| {
                let p = &mut v["aether365"]["unified_audit_log_retention_policies"][0];
                p["RetentionDuration"] = json!("TenYears");
                p["RecordTypes"] = json!(["ExchangeAdmin"]);
            }),
            Fail,
        ),
        (
            "A365-PUR-12",
            p(
                "/aether365/unified_audit_log_retention_policies/0/UserIds",
                json!(["ceo@contoso.com"]),
            ),
            Fail,
        ),
    ]
}

/// The Security Suite checks answer `error` where what they read is missing or of an unknown
/// shape, and a ScubaGear 1.8.0 export (which has none of the rules) never passes them.
#[test]
fn security_suite_checks_error_without_their_rules() {
    let ids = [
        ("A365-DEF-33", "Get-MalwareFilterRule"),
        ("A365-DEF-34", "Get-MalwareFilterRule"),
        ("A365-DEF-35", "Get-SafeAttachmentRule"),
        ("A365-DEF-36", "Get-AntiPhishRule"),
        ("A365-DEF-37", "Get-AntiPhishRule"),
        ("A365-DEF-38", "Get-AntiPhishRule"),
        ("A365-DEF-39", "Get-AntiPhishRule"),
        ("A365-DEF-40", "Get-HostedContentFilterRule"),
        ("A365-DEF-41", "Get-HostedContentFilterRule"),
        ("A365-DEF-42", "Get-SafeLinksRule"),
        ("A365-DEF-43", "Get-SafeLinksRule"),
        ("A365-DEF-44", "Get-SafeLinksRule"),
        ("A365-PUR-12", "Get-UnifiedAuditLogRetentionPolicy"),
    ];
    let plain = Snapshot::from_value(scubagear_sample()).unwrap();
    for (id, cmd) in ids {
        let f = find_check(id).unwrap().evaluate(&plain);
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
        assert!(
            f.message.contains("not in a ScubaGear export") && f.message.contains(cmd),
            "{id}: {}",
            f.message
        );
        // A failed read says so.
        let mut v = sample_value();
        v["exo_unsuccessful_commands"] = json!([cmd]);
        v["securitysuite_unsuccessful_commands"] = json!([cmd]);
        let f = find_check(id)
            .unwrap()
            .evaluate(&Snapshot::from_value(v).unwrap());
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
        assert!(f.message.contains(cmd), "{id}: {}", f.message);
    }
    let errors: Vec<(&str, Mutation)> = vec![
        // A rule whose recipient fields are missing applies to no one knows whom.
        (
            "A365-DEF-40",
            f(|v| {
                no_eop_preset(v);
                let mut r = custom_rule("HostedContentFilterPolicy", "x", 0, json!({}));
                r.as_object_mut().unwrap().remove("ExceptIfSentTo");
                v["aether365"]["hosted_content_filter_rules"] = json!([r]);
            }),
        ),
        (
            "A365-DEF-33",
            f(|v| {
                no_eop_preset(v);
                let mut r = custom_rule("MalwareFilterPolicy", "x", 0, json!({}));
                r.as_object_mut().unwrap().remove("Priority");
                v["aether365"]["anti_malware_rules"] = json!([r]);
            }),
        ),
        // A custom rule's policy that is not listed.
        (
            "A365-DEF-34",
            f(|v| {
                no_eop_preset(v);
                v["aether365"]["anti_malware_rules"] =
                    json!([custom_rule("MalwareFilterPolicy", "Missing", 0, json!({}))]);
            }),
        ),
        (
            "A365-DEF-34",
            f(|v| remove(v, "/aether365/anti_malware_policies/1/ZapEnabled")),
        ),
        (
            "A365-DEF-40",
            f(|v| remove(v, "/aether365/hosted_content_filter_policies/1/SpamAction")),
        ),
        (
            "A365-DEF-41",
            p("/aether365/hosted_content_filter_policies", json!([])),
        ),
        ("A365-DEF-37", f(|v| remove(v, "/defender_license"))),
        (
            "A365-DEF-42",
            f(|v| remove(v, "/protection_policy_rules/1/SentTo")),
        ),
        (
            "A365-PUR-12",
            f(|v| remove(v, "/aether365/unified_audit_log_retention_policies")),
        ),
        // Without its scoping fields, whether a policy keeps every record is unknown.
        (
            "A365-PUR-12",
            f(|v| {
                remove(
                    v,
                    "/aether365/unified_audit_log_retention_policies/0/Operations",
                )
            }),
        ),
    ];
    for (id, mutate) in errors {
        let mut v = sample_value();
        mutate(&mut v);
        assert_eq!(status_of(&v, id), Status::Error, "{id}");
    }
}
