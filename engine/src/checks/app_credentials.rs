//! CIS checks on what applications may hold and open, read from Microsoft Graph into the
//! snapshot's `aether365` section: the tenant's default app management policy
//! (`policies/defaultAppManagementPolicy`, CIS 5.1.5.3 to 5.1.5.6) and the service principal
//! of Microsoft 365 on the web's third-party storage (CIS 1.3.7).
//!
//! The app management policy has two halves, `applicationRestrictions` and
//! `servicePrincipalRestrictions`, which Graph lets an administrator set apart while the Entra
//! admin center shows only their combination; CIS asks both to enforce the restriction, so a
//! check passes only when the policy is enabled and both halves hold an enabled restriction of
//! the type that applies now (no `restrictForAppsCreatedAfterDateTime` in the future of the
//! collection) and, for lifetimes, is 180 days or shorter.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::app_restrictions::{CreatedAfter, Credential, State, restrictions};
use super::{b, check, input, s};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

/// `aether365` keys (the engine's [`crate::snapshot::AETHER365_SOURCES`]).
const APP_POLICY: &str = "default_app_management_policy";
const STORAGE_SP: &str = "third_party_storage_service_principals";

/// The application id of "Microsoft 365 on the web" third-party storage: while its service
/// principal is missing or enabled, users can open files from third-party storage.
pub const THIRD_PARTY_STORAGE_APP_ID: &str = "c1f33bc0-bdb4-4248-ba9b-096807ddb43e";

/// CIS's longest credential lifetime for 5.1.5.4 and 5.1.5.6, in days.
const MAX_LIFETIME_DAYS: i64 = 180;

// ---------- 1.3.7 third-party storage ----------

/// CIS 1.3.7: the third-party storage service principal exists and is disabled.
fn third_party_storage_restricted(snap: &Snapshot) -> Outcome {
    let sps = input!(snap.list(STORAGE_SP));
    let ours: Vec<&&Value> = sps
        .iter()
        .filter(|sp| s(sp, "appId").eq_ignore_ascii_case(THIRD_PARTY_STORAGE_APP_ID))
        .collect();
    let Some(sp) = ours.first() else {
        return match snap.empty_read(STORAGE_SP) {
            Ok(cmd) => Outcome::fail(
                format!(
                    "Users can open files in third-party storage from Microsoft 365 on the web: its service principal does not exist ({cmd} found no appId {THIRD_PARTY_STORAGE_APP_ID}), so nothing disables it."
                ),
                json!({ "service_principal": null, "app_id": THIRD_PARTY_STORAGE_APP_ID }),
            ),
            Err(reason) => Outcome::error(reason),
        };
    };
    let Some(enabled) = b(sp, "accountEnabled") else {
        return Outcome::error(format!(
            "the third-party storage service principal in `{STORAGE_SP}` has no boolean `accountEnabled`"
        ));
    };
    Outcome::verdict(
        !enabled,
        "Third-party storage is turned off in Microsoft 365 on the web (its service principal is disabled).",
        "Users can open files in third-party storage from Microsoft 365 on the web (its service principal is enabled).",
        json!({ "app_id": THIRD_PARTY_STORAGE_APP_ID, "service_principal_id": s(sp, "id"), "accountEnabled": enabled }),
    )
}

// ---------- 5.1.5.3 to 5.1.5.6 default app management policy ----------

/// One CIS requirement on the default app management policy.
struct Rule {
    credential: Credential,
    restriction: &'static str,
    /// Lifetimes must be set and at most 180 days.
    lifetime: bool,
    /// What the policy does when it meets the rule, for messages.
    what: &'static str,
}

/// How one half of the policy meets a rule: `Ok(None)` when it does, `Ok(Some(gap))` when it
/// does not (the gap in words), `Err` when its shape is unknown.
fn half_meets(
    policy: &Value,
    half: &str,
    rule: &Rule,
    collected: Option<DateTime<Utc>>,
) -> Result<Option<String>, String> {
    let restriction = rule.restriction;
    let Some(holder) = policy.get(half).filter(|v| !v.is_null()) else {
        return Ok(Some(format!("`{half}` sets no restrictions")));
    };
    let path = format!("{APP_POLICY}.{half}");
    let found = restrictions(holder, &path, rule.credential, restriction)?;
    // The first restriction of the type decides.
    let Some(r) = found.into_iter().next() else {
        return Ok(Some(format!("`{half}` has no `{restriction}` restriction")));
    };
    if r.state? != State::Enabled {
        return Ok(Some(format!("`{half}`: `{restriction}` is not enabled")));
    }
    // ScubaGear's export writes "no date" as .NET's smallest date: the restriction applies to
    // every app, as when the field is unset. A date that is not text is an unknown shape.
    let after = match r.created_after? {
        CreatedAfter::Date(when) => Some(when.with_timezone(&Utc)),
        CreatedAfter::Unset | CreatedAfter::ExportedMinValue => None,
    };
    if let Some(when) = after {
        let Some(collected) = collected else {
            return Err(
                "the snapshot has no collection time (`timestamp_zulu`) to compare `restrictForAppsCreatedAfterDateTime` with"
                    .to_string(),
            );
        };
        if when > collected {
            return Ok(Some(format!(
                "`{half}`: `{restriction}` applies only to apps created after {}",
                when.format("%Y-%m-%d")
            )));
        }
    }
    if rule.lifetime {
        // A `maxLifetime` that is not text is an unknown shape (error), not an absent one.
        let Some(lifetime) = r.max_lifetime? else {
            return Ok(Some(format!(
                "`{half}`: `{restriction}` sets no maximum lifetime"
            )));
        };
        if lifetime.longer_than_days(MAX_LIFETIME_DAYS) {
            return Ok(Some(format!(
                "`{half}`: `{restriction}` allows {} days, more than {MAX_LIFETIME_DAYS}",
                lifetime.days()
            )));
        }
    }
    Ok(None)
}

/// Decides one rule over the default app management policy.
fn app_policy_rule(snap: &Snapshot, rule: &Rule) -> Outcome {
    let what = rule.what;
    let rows = input!(snap.rows(APP_POLICY));
    let Some(policy) = rows.first().copied() else {
        return Outcome::error(format!("`{APP_POLICY}` is empty"));
    };
    let Some(enabled) = b(policy, "isEnabled") else {
        return Outcome::error(format!("`{APP_POLICY}` has no boolean `isEnabled`"));
    };
    let collected = snap
        .timestamp_zulu()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut gaps = Vec::new();
    if !enabled {
        gaps.push("the default app management policy is not enabled".to_string());
    }
    for half in ["applicationRestrictions", "servicePrincipalRestrictions"] {
        if let Some(gap) = input!(half_meets(policy, half, rule, collected)) {
            gaps.push(gap);
        }
    }
    Outcome::verdict(
        gaps.is_empty(),
        format!(
            "The default app management policy {what} for applications and service principals."
        ),
        format!(
            "The default app management policy does not enforce that {what}: {}.",
            gaps.join("; ")
        ),
        json!({ "isEnabled": enabled, "restrictionType": rule.restriction, "gaps": gaps }),
    )
}

/// CIS 5.1.5.3: no new password credentials (client secrets) can be added.
const PASSWORD_ADDITION: Rule = Rule {
    credential: Credential::Password,
    restriction: "passwordAddition",
    lifetime: false,
    what: "blocks adding client secrets",
};
/// CIS 5.1.5.4: new client secrets live 180 days or less.
const PASSWORD_LIFETIME: Rule = Rule {
    credential: Credential::Password,
    restriction: "passwordLifetime",
    lifetime: true,
    what: "limits client secrets to 180 days or less",
};
/// CIS 5.1.5.5: client secrets are generated by Entra ID, never supplied by the caller.
const CUSTOM_PASSWORD: Rule = Rule {
    credential: Credential::Password,
    restriction: "customPasswordAddition",
    lifetime: false,
    what: "blocks custom client secrets",
};
/// CIS 5.1.5.6: new certificates live 180 days or less.
const CERTIFICATE_LIFETIME: Rule = Rule {
    credential: Credential::Key,
    restriction: "asymmetricKeyLifetime",
    lifetime: true,
    what: "limits certificates to 180 days or less",
};

fn password_addition_blocked(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &PASSWORD_ADDITION)
}
fn password_lifetime_limited(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &PASSWORD_LIFETIME)
}
fn custom_passwords_blocked(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &CUSTOM_PASSWORD)
}
fn certificate_lifetime_limited(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &CERTIFICATE_LIFETIME)
}

/// The checks of this module.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-AAD-80",
        "Microsoft 365 on the web: third-party storage services are restricted",
        EntraId,
        Medium,
        third_party_storage_restricted,
        "Files opened from Dropbox, Box or Google Drive inside Microsoft 365 on the web sit outside the organisation's retention, DLP and audit.",
        "In the Microsoft 365 admin center > Settings > Org settings > Microsoft 365 on the web, clear 'Let users open files stored in third-party storage services'. If the service principal of app c1f33bc0-bdb4-4248-ba9b-096807ddb43e does not exist, create it (New-MgServicePrincipal -AppId) and set accountEnabled to false.",
        "https://learn.microsoft.com/microsoft-365/admin/setup/set-up-file-storage-and-sharing"
    ),
    check!(
        "A365-AAD-81",
        "Applications cannot be given new client secrets",
        EntraId,
        Medium,
        password_addition_blocked,
        "Client secrets are shared strings that leak into code, pipelines and chat; an application that authenticates with a certificate or a federated credential has nothing to leak.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Block password addition' for all applications (both applications and service principals), with no future 'apply to apps created after' date.",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-AAD-82",
        "Application client secrets expire within 180 days",
        EntraId,
        Medium,
        password_lifetime_limited,
        "A long-lived client secret stays valid long after it leaks; a short lifetime bounds the exposure.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Restrict max password lifetime' at 180 days or less for all applications (both applications and service principals).",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-AAD-83",
        "Applications cannot be given custom client secrets",
        EntraId,
        Medium,
        custom_passwords_blocked,
        "A secret chosen by a person is weaker and more often reused than one Entra ID generates.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Block custom passwords' for all applications (both applications and service principals).",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-AAD-84",
        "Application certificates expire within 180 days",
        EntraId,
        Medium,
        certificate_lifetime_limited,
        "A long-lived certificate credential stays valid long after its private key is copied; a short lifetime bounds the exposure.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Restrict max certificate lifetime' at 180 days or less for all applications (both applications and service principals).",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
];
