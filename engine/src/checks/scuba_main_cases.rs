//! The decisions of the checks applying ScubaGear main branch's rules
//! ([`super::scuba_main`]) as (check, mutation of the sample, expected status), chained into the
//! catalogue's own cases (`tests::cases()`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::model::Status::{self, Fail, Pass};

pub(crate) const DEFAULT: &str = "/aether365/default_app_management_policy";

pub(crate) fn set(v: &mut Value, pointer: &str, value: Value) {
    *v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} is not in the sample")) = value;
}

/// The sample's restriction of `kind` in `half` of the default policy, by type.
pub(crate) fn restriction<'a>(v: &'a mut Value, half: &str, kind: &str, ty: &str) -> &'a mut Value {
    v.pointer_mut(&format!("{DEFAULT}/{half}/{kind}"))
        .unwrap()
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["restrictionType"] == ty)
        .unwrap()
}

/// The checks reading the app management policies.
pub(crate) const APP_POLICY_IDS: &[&str] = &["A365-AAD-95", "A365-AAD-96", "A365-AAD-97"];

pub(crate) type Mutation = Box<dyn Fn(&mut Value)>;

/// (check, mutation of the sample, expected status after the mutation): the decisions of the
/// main-branch rules, part of the catalogue's own cases (`super::tests`).
pub(crate) fn cases() -> Vec<(&'static str, Mutation, Status)> {
    vec![
        // Switched off in one half.
        (
            "A365-AAD-95",
            Box::new(|v| {
                restriction(
                    v,
                    "servicePrincipalRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["state"] = json!("disabled");
            }),
            Fail,
        ),
        // Any "apps created after" date leaves older apps out, even a past one (CIS accepts
        // a past date: A365-AAD-81 passes there).
        (
            "A365-AAD-95",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["restrictForAppsCreatedAfterDateTime"] = json!("2020-01-01T00:00:00Z");
            }),
            Fail,
        ),
        // ScubaGear's own serialisation of "no date" counts as every app.
        (
            "A365-AAD-95",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["restrictForAppsCreatedAfterDateTime"] = json!("/Date(-62135596800000)/");
            }),
            Pass,
        ),
        (
            "A365-AAD-95",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["restrictForAppsCreatedAfterDateTime"] = Value::Null;
            }),
            Pass,
        ),
        // Absent from a half: not a block (ScubaGear's main branch would pass).
        (
            "A365-AAD-95",
            Box::new(|v| {
                v.pointer_mut(&format!(
                    "{DEFAULT}/servicePrincipalRestrictions/passwordCredentials"
                ))
                .unwrap()
                .as_array_mut()
                .unwrap()
                .retain(|r| r["restrictionType"] != "passwordAddition");
            }),
            Fail,
        ),
        // The default policy switched off enforces nothing.
        (
            "A365-AAD-95",
            Box::new(|v| set(v, &format!("{DEFAULT}/isEnabled"), json!(false))),
            Fail,
        ),
        // 5.6 is decided on its own once secrets can be added: the sample's lifetimes (90 days,
        // 4.5 days) meet it, 181 days is the limit, 182 is over it.
        (
            "A365-AAD-96",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["state"] = json!("disabled");
            }),
            Pass,
        ),
        (
            "A365-AAD-96",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["state"] = json!("disabled");
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordLifetime",
                )["maxLifetime"] = json!("P181D");
            }),
            Pass,
        ),
        (
            "A365-AAD-96",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["state"] = json!("disabled");
                restriction(
                    v,
                    "servicePrincipalRestrictions",
                    "passwordCredentials",
                    "passwordLifetime",
                )["maxLifetime"] = json!("P182D");
            }),
            Fail,
        ),
        (
            "A365-AAD-96",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "passwordCredentials",
                    "passwordAddition",
                )["state"] = json!("disabled");
                v.pointer_mut(&format!(
                    "{DEFAULT}/applicationRestrictions/passwordCredentials"
                ))
                .unwrap()
                .as_array_mut()
                .unwrap()
                .retain(|r| r["restrictionType"] != "passwordLifetime");
            }),
            Fail,
        ),
        // 5.7: 366 days is the limit (CIS's 180 does not apply), 367 is over it.
        (
            "A365-AAD-97",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "keyCredentials",
                    "asymmetricKeyLifetime",
                )["maxLifetime"] = json!("P366D");
            }),
            Pass,
        ),
        (
            "A365-AAD-97",
            Box::new(|v| {
                restriction(
                    v,
                    "applicationRestrictions",
                    "keyCredentials",
                    "asymmetricKeyLifetime",
                )["maxLifetime"] = json!("P367D");
            }),
            Fail,
        ),
        (
            "A365-AAD-97",
            Box::new(|v| {
                restriction(
                    v,
                    "servicePrincipalRestrictions",
                    "keyCredentials",
                    "asymmetricKeyLifetime",
                )["state"] = json!("disabled");
            }),
            Fail,
        ),
        // MS.SHAREPOINT.3.3v2 (A365-SPO-21): existing guests are in scope.
        (
            "A365-SPO-21",
            Box::new(|v| set(v, "/SPO_tenant/0/SharingCapability", json!(3))),
            Pass,
        ),
        (
            "A365-SPO-21",
            Box::new(|v| {
                set(v, "/SPO_tenant/0/SharingCapability", json!(3));
                set(v, "/SPO_tenant/0/EmailAttestationReAuthDays", json!(60));
            }),
            Fail,
        ),
    ]
}
