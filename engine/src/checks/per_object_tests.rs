//! Pass, fail and missing-data cases of the per-object checks (checks/per_object.rs), over the
//! stand-in tenant's summaries (`fixtures/aether365/directory.json`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::catalogue::find_check;
use crate::model::Status;
use crate::snapshot::Snapshot;

/// A mutation of the sample (as in `tests.rs`).
pub(super) type Mutation = Box<dyn Fn(&mut Value)>;

fn read(path: &str) -> Value {
    let bytes = std::fs::read(path).unwrap();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    serde_json::from_slice(bytes).unwrap()
}

/// The bundled ScubaGear export, as ScubaGear wrote it.
fn scubagear_sample() -> Value {
    read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scubagear/ProviderSettingsExport.json"
    ))
}

/// The export plus the `aether365` section of a live collection of the stand-in tenant (the
/// same document as `tests::sample_value`).
fn sample_value() -> Value {
    let mut v = scubagear_sample();
    v["aether365"] = read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/aether365/exchange-protection.json"
    ));
    for (k, summary) in directory_sample() {
        v["aether365"][k] = summary;
    }
    for (_, cmd, _) in crate::snapshot::AETHER365_SOURCES {
        v["exo_successful_commands"]
            .as_array_mut()
            .unwrap()
            .push(json!(cmd));
    }
    v
}

/// The per-object summaries a live collection of the small stand-in tenant gives.
pub(super) fn directory_sample() -> Vec<(String, Value)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/aether365/directory.json"
    );
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_object().unwrap().clone().into_iter().collect()
}

fn set(pointer: &'static str, value: Value) -> Mutation {
    Box::new(move |v| *v.pointer_mut(pointer).unwrap() = value.clone())
}

fn with(func: impl Fn(&mut Value) + 'static) -> Mutation {
    Box::new(func)
}

fn user(id: &str, upn: &str) -> Value {
    json!({ "id": id, "user_principal_name": upn })
}

/// The M365_G5_GCC licence of the sample's subscribed SKUs.
const SUITE: &str = "e2be619b-b125-455f-8660-fb503e431a5d";

/// (check, mutation of the sample, expected status), chained into `tests::cases()`.
pub(super) fn cases() -> Vec<(&'static str, Mutation, Status)> {
    use Status::{Error, Fail, Manual, NotApplicable, Pass};
    vec![
        // CIS 1.1.4
        (
            "A365-AAD-90",
            set(
                "/aether365/privileged_user_licences/users/0/assigned_sku_ids",
                json!([SUITE]),
            ),
            Fail,
        ),
        (
            "A365-AAD-90",
            with(|v: &mut Value| {
                v["license_information"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"SkuPartNumber": "AAD_PREMIUM_P2", "SkuId": "eec0eb4f-6444-4f95-aba0-50c24d67f998"}));
                v["aether365"]["privileged_user_licences"]["users"][0]["assigned_sku_ids"] =
                    json!(["eec0eb4f-6444-4f95-aba0-50c24d67f998"]);
            }),
            Pass,
        ),
        (
            "A365-AAD-90",
            set(
                "/aether365/privileged_user_licences/users/0/assigned_sku_ids",
                json!(["00000000-0000-0000-0000-00000000dead"]),
            ),
            Error,
        ),
        (
            "A365-AAD-90",
            set("/aether365/privileged_user_licences/users", json!([])),
            Error,
        ),
        // CIS 1.2.1
        (
            "A365-AAD-91",
            set(
                "/aether365/unified_group_visibility/public",
                json!({"count": 250, "examples": [{"id": "g1", "display_name": "All staff"}]}),
            ),
            Manual,
        ),
        (
            "A365-AAD-91",
            set(
                "/aether365/unified_group_visibility/unknown_visibility",
                json!({"count": 1, "examples": [{"id": "g1", "display_name": "Old group"}]}),
            ),
            Error,
        ),
        // CIS 1.2.2
        (
            "A365-EXO-50",
            set(
                "/aether365/shared_mailbox_sign_in/sign_in_enabled",
                json!({"count": 3, "examples": [user("u1", "info@contoso.example")]}),
            ),
            Fail,
        ),
        (
            "A365-EXO-50",
            set(
                "/aether365/shared_mailbox_sign_in/without_directory_id",
                json!({"count": 1, "examples": ["orphan@contoso.example"]}),
            ),
            Error,
        ),
        (
            "A365-EXO-50",
            set(
                "/aether365/shared_mailbox_sign_in/shared_mailboxes",
                json!(0),
            ),
            Pass,
        ),
        // CIS 5.2.3.4
        (
            "A365-AAD-92",
            set(
                "/aether365/member_mfa_capability/not_mfa_capable",
                json!({"count": 505, "examples": [user("u1", "a@contoso.example")]}),
            ),
            Fail,
        ),
        (
            "A365-AAD-92",
            set("/aether365/member_mfa_capability/members", json!(0)),
            Error,
        ),
        // CIS 6.1.2
        (
            "A365-EXO-51",
            set(
                "/aether365/mailbox_audit_actions/configurations/0/audit_enabled",
                json!(false),
            ),
            Fail,
        ),
        (
            "A365-EXO-51",
            with(|v: &mut Value| {
                let owner = v
                    .pointer_mut("/aether365/mailbox_audit_actions/configurations/0/audit_owner")
                    .unwrap()
                    .as_array_mut()
                    .unwrap();
                owner.retain(|a| a != "MailboxLogin");
            }),
            Fail,
        ),
        (
            "A365-EXO-51",
            set(
                "/aether365/mailbox_audit_actions/configurations/0/audit_delegate",
                Value::Null,
            ),
            Error,
        ),
        (
            "A365-EXO-51",
            set(
                "/aether365/mailbox_audit_actions/unrecorded_mailboxes",
                json!(7),
            ),
            Error,
        ),
        ("A365-EXO-51", many_mailboxes_none(), NotApplicable),
    ]
}

fn many_mailboxes_none() -> Mutation {
    with(|v: &mut Value| {
        v["aether365"]["mailbox_audit_actions"] =
            json!({"mailboxes": 0, "configurations": [], "unrecorded_mailboxes": 0});
    })
}

const IDS: [&str; 5] = [
    "A365-AAD-90",
    "A365-AAD-91",
    "A365-EXO-50",
    "A365-AAD-92",
    "A365-EXO-51",
];

fn evaluate(v: Value, id: &str) -> crate::model::Finding {
    find_check(id)
        .unwrap()
        .evaluate(&Snapshot::from_value(v).unwrap())
}

#[test]
fn the_stand_in_tenant_passes_every_per_object_check() {
    for id in IDS {
        let f = evaluate(sample_value(), id);
        assert_eq!(f.status, Status::Pass, "{id}: {}", f.message);
    }
}

#[test]
fn a_fail_counts_every_offender_and_names_the_examples_apart() {
    let mut v = sample_value();
    v["aether365"]["member_mfa_capability"] = json!({
        "members": 49000,
        "not_mfa_capable": {"count": 505, "examples": [user("u1", "a@contoso.example"), user("u2", "")]}
    });
    let f = evaluate(v, "A365-AAD-92");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message.contains("505 users (the first 2 named)") && f.message.contains("49000"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("a@contoso.example"), "{}", f.message);
    assert_eq!(f.evidence["not_mfa_capable"], 505);
}

#[test]
fn missing_summaries_are_errors_naming_the_command() {
    // A plain ScubaGear export has no `aether365` section.
    for id in IDS {
        let f = evaluate(scubagear_sample(), id);
        assert_eq!(f.status, Status::Error, "{id}: {}", f.message);
    }
    // A failed read says why.
    for (id, key, cmd) in [
        (
            "A365-AAD-92",
            "member_mfa_capability",
            "Get-MgReportAuthenticationMethodUserRegistrationDetail",
        ),
        (
            "A365-EXO-51",
            "mailbox_audit_actions",
            "Get-Mailbox -RecipientTypeDetails UserMailbox",
        ),
    ] {
        let mut v = sample_value();
        v["aether365"].as_object_mut().unwrap().remove(key);
        v["aad_unsuccessful_commands"] = json!([cmd]);
        v["aether365_collection"] =
            json!({"command_errors": {cmd: "403 Forbidden: AuditLog.Read.All missing"}});
        let f = evaluate(v, id);
        assert_eq!(f.status, Status::Error, "{id}");
        assert!(
            f.message.contains("AuditLog.Read.All"),
            "{id}: {}",
            f.message
        );
    }
    // An unknown shape is an error, never a pass.
    let mut v = sample_value();
    v["aether365"]["shared_mailbox_sign_in"] = json!({"shared_mailboxes": 2});
    assert_eq!(evaluate(v, "A365-EXO-50").status, Status::Error);
}
