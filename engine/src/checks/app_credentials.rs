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

use super::{b, check, input, s};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

/// `aether365` keys (the engine's [`crate::snapshot::AETHER365_SOURCES`]).
const APP_POLICY: &str = "default_app_management_policy";
const STORAGE_SP: &str = "third_party_storage_service_principals";

/// The application id of "Microsoft 365 on the web" third-party storage: while its service
/// principal is missing or enabled, users can open files from third-party storage.
pub const THIRD_PARTY_STORAGE_APP_ID: &str = "c1f33bc0-bdb4-4248-ba9b-096807ddb43e";

/// CIS's longest credential lifetime for 5.1.5.4 and 5.1.5.6: 180 days, in seconds.
const MAX_LIFETIME_SECONDS: i64 = 180 * 86_400;

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

/// An ISO 8601 duration as Graph writes `maxLifetime` (`P180D`, `P4DT12H30M5S`, `P1Y`), in
/// seconds. Years count as 366 days and months as 31, so a duration that might exceed a limit
/// never reads as within it.
pub(super) fn duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (rest, ""),
    };
    if date.is_empty() && time.is_empty() {
        return None;
    }
    let mut total = 0i64;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 366 * 86_400),
                ('M', 31 * 86_400),
                ('W', 7 * 86_400),
                ('D', 86_400),
            ][..],
        ),
        (time, &[('H', 3600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let at = units[next_unit..].iter().position(|(u, _)| *u == c)? + next_unit;
            let value: f64 = number.parse().ok()?;
            total = total.checked_add((value * units[at].1 as f64).ceil() as i64)?;
            number.clear();
            next_unit = at + 1;
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(total)
}

/// A lifetime in days, rounded up, for messages (our own rendering of a parsed duration, never
/// the tenant's text).
pub(crate) fn days(secs: i64) -> i64 {
    (secs + 86_399) / 86_400
}

/// Which credentials a restriction governs.
#[derive(Clone, Copy)]
pub(crate) enum Credential {
    Password,
    Key,
}

impl Credential {
    /// The restriction group of an app management policy that governs these credentials.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Credential::Password => "passwordCredentials",
            Credential::Key => "keyCredentials",
        }
    }
}

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
    let list = match policy.get(half) {
        None | Some(Value::Null) => return Ok(Some(format!("`{half}` sets no restrictions"))),
        Some(v) => match v.get(rule.credential.field()) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.iter().collect(),
            Some(_) => {
                return Err(format!(
                    "`{APP_POLICY}.{half}.{}` is not a list",
                    rule.credential.field()
                ));
            }
        },
    };
    let Some(r) = list
        .iter()
        .find(|r| s(r, "restrictionType") == rule.restriction)
    else {
        return Ok(Some(format!(
            "`{half}` has no `{}` restriction",
            rule.restriction
        )));
    };
    match r.get("state").and_then(Value::as_str) {
        Some("enabled") => {}
        Some(_) => {
            return Ok(Some(format!(
                "`{half}`: `{}` is not enabled",
                rule.restriction
            )));
        }
        None => {
            return Err(format!(
                "`{APP_POLICY}.{half}`'s `{}` restriction has no `state`: whether it is enforced is unknown",
                rule.restriction
            ));
        }
    }
    if let Some(after) = r
        .get("restrictForAppsCreatedAfterDateTime")
        .and_then(Value::as_str)
    {
        let when = DateTime::parse_from_rfc3339(after).map_err(|_| {
            format!(
                "`{APP_POLICY}.{half}`'s `{}` restriction has an unreadable `restrictForAppsCreatedAfterDateTime`",
                rule.restriction
            )
        })?;
        let Some(collected) = collected else {
            return Err(
                "the snapshot has no collection time (`timestamp_zulu`) to compare `restrictForAppsCreatedAfterDateTime` with"
                    .to_string(),
            );
        };
        if when.with_timezone(&Utc) > collected {
            return Ok(Some(format!(
                "`{half}`: `{}` applies only to apps created after {}",
                rule.restriction,
                when.with_timezone(&Utc).format("%Y-%m-%d")
            )));
        }
    }
    if rule.lifetime {
        let Some(text) = r.get("maxLifetime").and_then(Value::as_str) else {
            return Ok(Some(format!(
                "`{half}`: `{}` sets no maximum lifetime",
                rule.restriction
            )));
        };
        let Some(secs) = duration_seconds(text) else {
            return Err(format!(
                "`{APP_POLICY}.{half}`'s `{}` restriction has an unreadable `maxLifetime`",
                rule.restriction
            ));
        };
        if secs > MAX_LIFETIME_SECONDS {
            return Ok(Some(format!(
                "`{half}`: `{}` allows {} days, more than 180",
                rule.restriction,
                days(secs)
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

#[cfg(test)]
mod tests {
    use super::duration_seconds;

    #[test]
    fn durations_read_as_graph_writes_them() {
        assert_eq!(duration_seconds("P180D"), Some(180 * 86_400));
        assert_eq!(
            duration_seconds("P4DT12H30M5S"),
            Some(4 * 86_400 + 12 * 3600 + 30 * 60 + 5)
        );
        assert_eq!(duration_seconds("P26W"), Some(182 * 86_400));
        // Months and years are counted long: P6M may be 184 days, more than 180.
        assert_eq!(duration_seconds("P6M"), Some(186 * 86_400));
        assert_eq!(duration_seconds("P1Y"), Some(366 * 86_400));
        assert_eq!(duration_seconds("PT36H"), Some(36 * 3600));
        for bad in [
            "", "P", "180D", "PD", "P1H", "P1D2", "PT1D", "P1DT", "P2D1Y",
        ] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }
}
