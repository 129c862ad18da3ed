//! Tests of the Power BI and Fabric checks (A365-PBI-*): each passes and fails on the stand-in
//! tenant's tenant settings (`fixtures/aether365/fabric-tenant-settings.json`, merged into the
//! sample by `tests::sample_value`), and is an error, never a pass, when the settings are
//! missing, unreadable or incomplete.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::tests::{power_bi_cases as cases, sample_value, with_setting};
use crate::catalogue::find_check;
use crate::model::{Service, Status};
use crate::snapshot::Snapshot;

/// Each check, the tenant setting it reads, and its verdict on the stand-in tenant.
const ON_SAMPLE: [(&str, &str, Status); 13] = [
    (
        "A365-PBI-01",
        "AllowGuestUserToAccessSharedContent",
        Status::Pass,
    ),
    ("A365-PBI-02", "ExternalSharingV2", Status::Fail),
    ("A365-PBI-03", "ElevatedGuestsTenant", Status::Pass),
    ("A365-PBI-04", "PublishToWeb", Status::Pass),
    ("A365-PBI-05", "RScriptVisual", Status::Fail),
    ("A365-PBI-06", "EimInformationProtectionEdit", Status::Pass),
    ("A365-PBI-07", "ShareLinkToEntireOrg", Status::Fail),
    ("A365-PBI-08", "EnableDatasetInPlaceSharing", Status::Pass),
    (
        "A365-PBI-09",
        "BlockResourceKeyAuthentication",
        Status::Fail,
    ),
    (
        "A365-PBI-10",
        "ServicePrincipalAccessPermissionAPIs",
        Status::Pass,
    ),
    (
        "A365-PBI-11",
        "AllowServicePrincipalsCreateAndUseProfiles",
        Status::Pass,
    ),
    (
        "A365-PBI-12",
        "ServicePrincipalAccessGlobalAPIs",
        Status::Fail,
    ),
    ("A365-PBI-13", "PublishToWeb", Status::Fail),
];

fn status(v: &Value, id: &str) -> Status {
    find_check(id)
        .unwrap()
        .evaluate(&Snapshot::from_value(v.clone()).unwrap())
        .status
}

#[test]
fn each_check_decides_the_stand_in_tenant_as_its_settings_say() {
    let sample = sample_value();
    for (id, name, want) in ON_SAMPLE {
        let check = find_check(id).unwrap();
        assert_eq!(check.service, Service::PowerBi, "{id}");
        let f = check.evaluate(&Snapshot::from_value(sample.clone()).unwrap());
        assert_eq!(f.status, want, "{id}: {}", f.message);
        assert!(f.message.contains(name), "{id}: {}", f.message);
        assert_eq!(f.evidence["settingName"], name, "{id}");
    }
}

#[test]
fn each_check_passes_and_fails() {
    let sample = sample_value();
    for (id, mutate, want) in cases() {
        let mut v = sample.clone();
        mutate(&mut v);
        assert_eq!(status(&v, id), want, "{id}");
    }
    for (id, _, _) in ON_SAMPLE {
        let seen: Vec<Status> = ON_SAMPLE
            .iter()
            .filter(|(c, _, _)| *c == id)
            .map(|(_, _, s)| *s)
            .chain(
                cases()
                    .into_iter()
                    .filter(|(c, _, _)| *c == id)
                    .map(|(_, _, s)| s),
            )
            .collect();
        assert!(
            seen.contains(&Status::Pass) && seen.contains(&Status::Fail),
            "{id}: {seen:?}"
        );
    }
}

#[test]
fn a_setting_on_for_everyone_but_excluded_groups_is_not_restricted() {
    // "Except specific security groups" still leaves the entire organisation.
    let sample = sample_value();
    let f = find_check("A365-PBI-07")
        .unwrap()
        .evaluate(&Snapshot::from_value(sample).unwrap());
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message
            .contains("entire organization except 1 security group"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["excludedSecurityGroups"], json!(["Contractors"]));
    // On for groups: the groups are the finding's subjects, never in the message.
    let f = find_check("A365-PBI-10")
        .unwrap()
        .evaluate(&Snapshot::from_value(sample_value()).unwrap());
    assert_eq!(f.status, Status::Pass);
    assert_eq!(f.subjects, vec!["Fabric automation apps".to_string()]);
    assert!(
        !f.message.contains("Fabric automation apps"),
        "{}",
        f.message
    );
}

#[test]
fn a_plain_scubagear_export_cannot_decide_them() {
    let snap = Snapshot::from_value(super::tests::scubagear_sample()).unwrap();
    for (id, _, _) in ON_SAMPLE {
        let f = find_check(id).unwrap().evaluate(&snap);
        assert_eq!(f.status, Status::Error, "{id}");
        assert!(
            f.message.contains("not in a ScubaGear export")
                && f.message.contains("Get-FabricTenantSettingsRest"),
            "{id}: {}",
            f.message
        );
    }
}

#[test]
fn missing_or_unreadable_settings_are_errors_never_passes() {
    let sample = sample_value();
    let all_error = |v: &Value, needle: &str| {
        for (id, _, _) in ON_SAMPLE {
            let f = find_check(id)
                .unwrap()
                .evaluate(&Snapshot::from_value(v.clone()).unwrap());
            assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
            assert!(f.message.contains(needle), "{id}: {}", f.message);
        }
    };
    // The key absent from the section (an older collection).
    let mut v = sample.clone();
    v["aether365"]
        .as_object_mut()
        .unwrap()
        .remove("fabric_tenant_settings");
    all_error(&v, "no `fabric_tenant_settings`");
    // An empty list: every tenant has settings, so the read returned nothing.
    let mut v = sample.clone();
    v["aether365"]["fabric_tenant_settings"] = json!([]);
    all_error(&v, "every tenant has one");
    // The read failed: its reason is the error.
    let mut v = sample.clone();
    v["powerbi_unsuccessful_commands"] = json!(["Get-FabricTenantSettingsRest"]);
    v["aether365_collection"] = json!({"command_errors": {
        "Get-FabricTenantSettingsRest": "403 Forbidden: the tenant setting not granted (/v1/admin/tenantsettings)"
    }});
    all_error(&v, "403 Forbidden");
    // A setting absent from the list.
    for (id, name, _) in ON_SAMPLE {
        let mut v = sample.clone();
        v["aether365"]["fabric_tenant_settings"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["settingName"] != name);
        let f = find_check(id)
            .unwrap()
            .evaluate(&Snapshot::from_value(v).unwrap());
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
        assert!(f.message.contains(name), "{id}: {}", f.message);
    }
    // A setting whose `enabled` is not a boolean, or whose groups have an unknown shape.
    for (bad, needle) in [
        (json!({"enabled": null}), "no boolean `enabled`"),
        (json!({"enabled": "true"}), "unknown shape"),
        (
            json!({"enabledSecurityGroups": "everyone"}),
            "unknown shape",
        ),
    ] {
        for (id, name, _) in ON_SAMPLE {
            let mut v = sample.clone();
            with_setting(&mut v, name, |r| {
                for (k, val) in bad.as_object().unwrap() {
                    r.insert(k.clone(), val.clone());
                }
            });
            let f = find_check(id)
                .unwrap()
                .evaluate(&Snapshot::from_value(v).unwrap());
            assert_eq!(f.status, Status::Error, "{id} {bad}: {}", f.message);
            assert!(f.message.contains(needle), "{id}: {}", f.message);
        }
    }
}
