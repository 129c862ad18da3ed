//! Checks applying the rules ScubaGear's main branch (baselines version
//! [`crate::references::SCUBA_MAIN_VERSION`]) gives policies of the Entra ID and SharePoint
//! baselines that ScubaGear 1.8.0 does not have or words otherwise
//! ([`crate::references::SCUBA_MAIN_CHANGES`]):
//!
//! - MS.AAD.5.5v1 to 5.7v1 read the tenant's default app management policy
//!   (`policies/defaultAppManagementPolicy`) and the custom app management policies with the
//!   applications they are assigned to (`policies/appManagementPolicies` and each one's
//!   `appliesTo`), both in the snapshot's `aether365` section. Each restriction must be enabled
//!   in both halves of the default policy (applications and service principals) for every
//!   application (no "apps created after" date), within the main branch's limits (181 days for
//!   client secrets, 366 for certificates: the portal's limit is exclusive), and no enabled
//!   custom policy assigned to applications may switch it off for them.
//! - MS.SHAREPOINT.3.3v2 is MS.SHAREPOINT.3.3v1's rule applied also when sharing is limited to
//!   existing guests.
//!
//! Where ScubaGear's rule passes without evidence, these checks do not (each deliberate
//! difference is named where it is made): a restriction absent from the default policy, a
//! default policy that is not enabled, a lifetime written in another form than whole days, or a
//! custom policy that allows a longer lifetime, is a gap; a setting missing is an error.

use serde_json::{Value, json};

use super::app_restrictions::{CreatedAfter, Credential, State, restrictions};
use super::{b, check, counted, i, input, s};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

/// `aether365` keys (the engine's [`crate::snapshot::AETHER365_SOURCES`]).
const DEFAULT_POLICY: &str = "default_app_management_policy";
const CUSTOM_POLICIES: &str = "app_management_policies";

/// The two halves of the default policy, with the words for them.
const HALVES: [(&str, &str); 2] = [
    ("applicationRestrictions", "app registrations"),
    ("servicePrincipalRestrictions", "service principals"),
];

/// One main-branch rule over the app management policies.
struct Rule {
    credential: Credential,
    restriction: &'static str,
    /// The longest lifetime allowed, in days (the portal's exclusive limit), for lifetimes.
    max_days: Option<i64>,
    /// What the policy does when it meets the rule, for messages.
    what: &'static str,
}

/// MS.AAD.5.5v1: no client secret can be added.
const PASSWORD_ADDITION: Rule = Rule {
    credential: Credential::Password,
    restriction: "passwordAddition",
    max_days: None,
    what: "blocks adding client secrets",
};
/// MS.AAD.5.6v1: client secrets live 180 days or less (181 in the portal).
const PASSWORD_LIFETIME: Rule = Rule {
    credential: Credential::Password,
    restriction: "passwordLifetime",
    max_days: Some(181),
    what: "limits client secrets to 180 days or less",
};
/// MS.AAD.5.7v1: certificates live 365 days or less (366 in the portal).
const CERTIFICATE_LIFETIME: Rule = Rule {
    credential: Credential::Key,
    restriction: "asymmetricKeyLifetime",
    max_days: Some(366),
    what: "limits certificates to 365 days or less",
};

/// The gaps of one half of the default policy against `rule` (empty when it meets it), or
/// `Err` when its shape is unknown.
fn default_half_gaps(
    policy: &Value,
    half: &str,
    words: &str,
    rule: &Rule,
) -> Result<Vec<String>, String> {
    let restriction = rule.restriction;
    let where_ = format!("{DEFAULT_POLICY}.{half}");
    let found = match policy.get(half) {
        None | Some(Value::Null) => Vec::new(),
        Some(v @ Value::Object(_)) => restrictions(v, &where_, rule.credential, restriction)?,
        Some(_) => return Err(format!("`{where_}` is not an object")),
    };
    // ScubaGear's main branch passes MS.AAD.5.5v1 when `passwordAddition` is absent from a
    // half; absence is not a block, so here it is a gap (as the main branch itself rules for
    // the lifetimes).
    if found.is_empty() {
        return Ok(vec![format!("`{restriction}` is not set for {words}")]);
    }
    let mut gaps = Vec::new();
    for r in found {
        if r.state? != State::Enabled {
            gaps.push(format!("`{restriction}` is not enabled for {words}"));
            continue;
        }
        // Any date leaves the apps created before it out, a past one too; .NET's
        // `DateTime.MinValue`, Graph's and ScubaGear's "no date", leaves none out.
        let created_after = r.created_after?;
        if let CreatedAfter::Date(date) = created_after
            && !created_after.is_every_app()
        {
            gaps.push(format!(
                "`{restriction}` applies for {words} only to apps created after {}",
                date.format("%Y-%m-%d")
            ));
        }
        if let Some(max) = rule.max_days {
            match r.max_lifetime? {
                None => gaps.push(format!(
                    "`{restriction}` sets no maximum lifetime for {words}"
                )),
                Some(lifetime) if lifetime.longer_than_days(max) => gaps.push(format!(
                    "`{restriction}` allows {} days for {words}, more than {max}",
                    lifetime.days()
                )),
                Some(_) => {}
            }
        }
    }
    Ok(gaps)
}

/// The default policy's gaps against `rule`, with its `isEnabled`.
fn default_gaps(snap: &Snapshot, rule: &Rule) -> Result<(bool, Vec<String>), String> {
    let rows = snap.rows(DEFAULT_POLICY)?;
    let policy = rows
        .first()
        .copied()
        .ok_or_else(|| format!("`{DEFAULT_POLICY}` is empty"))?;
    let enabled = b(policy, "isEnabled")
        .ok_or_else(|| format!("`{DEFAULT_POLICY}` has no boolean `isEnabled`"))?;
    let mut gaps = Vec::new();
    // ScubaGear's main branch does not read `isEnabled`; a default policy that is off enforces
    // nothing, so here it is a gap.
    if !enabled {
        gaps.push("the default app management policy is not enabled".to_string());
    }
    for (half, words) in HALVES {
        gaps.extend(default_half_gaps(policy, half, words, rule)?);
    }
    Ok((enabled, gaps))
}

/// The enabled custom policies assigned to applications that exempt them from `rule`: their
/// names, or `Err` when the custom policies were not read or their shape is unknown.
fn exempting_policies(snap: &Snapshot, rule: &Rule) -> Result<Vec<String>, String> {
    let policies = snap.list(CUSTOM_POLICIES)?;
    if policies.is_empty() {
        // No custom policy is evidence only when the read is recorded as successful.
        snap.empty_read(CUSTOM_POLICIES)?;
    }
    let mut names = Vec::new();
    for p in policies {
        let name = s(p, "displayName");
        let where_ = format!("{CUSTOM_POLICIES} ({})", s(p, "id"));
        let Some(enabled) = b(p, "isEnabled") else {
            return Err(format!(
                "a policy of `{CUSTOM_POLICIES}` has no boolean `isEnabled`"
            ));
        };
        if !enabled {
            continue;
        }
        let apps = match p.get("appliesTo") {
            Some(Value::Array(a)) => a.len(),
            _ => {
                return Err(format!(
                    "a policy of `{CUSTOM_POLICIES}` has no `appliesTo` list: which applications it governs is unknown"
                ));
            }
        };
        if apps == 0 {
            continue;
        }
        let found = match p.get("restrictions") {
            None | Some(Value::Null) => continue,
            Some(v @ Value::Object(_)) => {
                restrictions(v, &where_, rule.credential, rule.restriction)?
            }
            Some(_) => {
                return Err(format!(
                    "a policy of `{CUSTOM_POLICIES}` has `restrictions` that are not an object"
                ));
            }
        };
        let mut exempts = false;
        for r in found {
            let Ok(state) = r.state else {
                return Err(format!(
                    "a policy of `{CUSTOM_POLICIES}` has a `{}` restriction with no `state`",
                    rule.restriction
                ));
            };
            if state != State::Enabled {
                exempts = true;
            }
            // ScubaGear's main branch reads only whether a custom policy switches the
            // restriction off; one that allows its applications a longer lifetime exempts them
            // as much, so here it is a gap too.
            if let Some(max) = rule.max_days
                && state == State::Enabled
                && r.max_lifetime?
                    .is_none_or(|lifetime| lifetime.longer_than_days(max))
            {
                exempts = true;
            }
        }
        if exempts {
            names.push(if name.is_empty() {
                "(unnamed)".to_string()
            } else {
                name.to_string()
            });
        }
    }
    Ok(names)
}

/// Decides `rule` over the default and custom app management policies.
fn app_policy_rule(snap: &Snapshot, rule: &Rule) -> Outcome {
    let what = rule.what;
    let (enabled, gaps) = input!(default_gaps(snap, rule));
    if !gaps.is_empty() {
        // The default policy alone fails it, whatever the custom policies say.
        return Outcome::fail(
            format!(
                "The default app management policy does not enforce that it {what} for every application: {}.",
                gaps.join("; ")
            ),
            json!({ "isEnabled": enabled, "restrictionType": rule.restriction, "gaps": gaps }),
        );
    }
    let exempting = input!(exempting_policies(snap, rule));
    if !exempting.is_empty() {
        return Outcome::fail(
            format!(
                "The default app management policy {what} for every application, but {} assigned to applications exempt{} them.",
                counted(exempting.len(), "custom app management policy", "custom app management policies"),
                if exempting.len() == 1 { "s" } else { "" }
            ),
            json!({ "isEnabled": enabled, "restrictionType": rule.restriction, "exempting_policies": exempting.len() }),
        )
        .about(&exempting);
    }
    Outcome::pass(
        format!(
            "The default app management policy {what} for every application and service principal, and no custom policy exempts any."
        ),
        json!({ "isEnabled": enabled, "restrictionType": rule.restriction, "gaps": [] }),
    )
}

/// MS.AAD.5.5v1.
fn password_addition_blocked(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &PASSWORD_ADDITION)
}

/// MS.AAD.5.6v1: as ScubaGear's main branch rules, a lifetime is moot when no client secret can
/// be added at all (MS.AAD.5.5v1 met).
fn password_lifetime_limited(snap: &Snapshot) -> Outcome {
    let blocked = password_addition_blocked(snap);
    if blocked.status == crate::model::Status::Pass {
        return Outcome::pass(
            "No client secret can be added to any application, so their lifetime is moot.",
            json!({ "restrictionType": PASSWORD_ADDITION.restriction, "passwordAdditionBlocked": true }),
        );
    }
    app_policy_rule(snap, &PASSWORD_LIFETIME)
}

/// MS.AAD.5.7v1.
fn certificate_lifetime_limited(snap: &Snapshot) -> Outcome {
    app_policy_rule(snap, &CERTIFICATE_LIFETIME)
}

// ---------- MS.SHAREPOINT.3.3v2 ----------

/// MS.SHAREPOINT.3.3v2: guests who use a verification code re-authenticate within 30 days
/// whenever any external sharing is allowed (1.8.0's 3.3v1 left out "Existing guests").
fn guest_reverification_v2(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.list("SPO_tenant"));
    let Some(t) = rows.first() else {
        return Outcome::error("`SPO_tenant` is empty");
    };
    let Some(level) = i(t, "SharingCapability") else {
        return Outcome::error("`SPO_tenant` has no numeric `SharingCapability`");
    };
    if level == 0 {
        return Outcome::not_applicable(
            "External sharing is limited to people in the organisation, so no guest uses a verification code.",
            json!({ "SharingCapability": level }),
        );
    }
    if !(1..=3).contains(&level) {
        return Outcome::error(format!(
            "`SPO_tenant.SharingCapability` is {level}, not a sharing level SharePoint documents"
        ));
    }
    let Some(required) = b(t, "EmailAttestationRequired") else {
        return Outcome::error("`SPO_tenant` has no boolean `EmailAttestationRequired`");
    };
    let Some(days) = i(t, "EmailAttestationReAuthDays") else {
        return Outcome::error("`SPO_tenant` has no numeric `EmailAttestationReAuthDays`");
    };
    let evidence = json!({ "SharingCapability": level, "EmailAttestationRequired": required, "EmailAttestationReAuthDays": days });
    match (required, days <= 30) {
        (true, true) => Outcome::pass(
            format!(
                "Guests who use a verification code re-authenticate every {days} days (30 at most)."
            ),
            evidence,
        ),
        (false, _) => Outcome::fail(
            "Guests who use a verification code are never asked to re-authenticate (EmailAttestationRequired is False).",
            evidence,
        ),
        (true, false) => Outcome::fail(
            format!(
                "Guests who use a verification code re-authenticate only every {days} days; 30 at most is required."
            ),
            evidence,
        ),
    }
}

/// The checks of this module.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-AAD-95",
        "No application can be given a client secret (SCuBA main branch)",
        EntraId,
        Medium,
        password_addition_blocked,
        "Client secrets leak into configuration files, scripts and chat; blocking them for every application, old and new, leaves certificates and federated credentials, which have nothing to copy.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Block password addition' for all applications, leave 'Only apply to apps created after' blank, and remove any custom application policy that turns the block off for some applications.",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-AAD-96",
        "Application client secrets expire within 180 days (SCuBA main branch)",
        EntraId,
        Medium,
        password_lifetime_limited,
        "A long-lived client secret stays valid long after it leaks; rotating within 180 days bounds the exposure.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Restrict max password lifetime' at 181 days (the limit is exclusive) for all applications, leave 'Only apply to apps created after' blank, and remove any custom application policy that lifts the limit; or block password addition altogether.",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-AAD-97",
        "Application certificates expire within 365 days (SCuBA main branch)",
        EntraId,
        Medium,
        certificate_lifetime_limited,
        "A long-lived certificate credential stays valid long after its private key is copied; yearly rotation bounds the exposure.",
        "In the Entra admin center > Enterprise apps > Application policies, turn on 'Restrict max certificate lifetime' at 366 days (the limit is exclusive) for all applications, leave 'Only apply to apps created after' blank, and remove any custom application policy that lifts the limit.",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/tutorial-enforce-secret-standards"
    ),
    check!(
        "A365-SPO-21",
        "Guests re-verify with a code every 30 days whenever external sharing is on (SCuBA main branch)",
        SharePoint,
        Medium,
        guest_reverification_v2,
        "Periodic re-verification ends access for guests who no longer control the invited address, existing guests included.",
        "In the SharePoint admin center > Policies > Sharing > More external sharing settings, require people who use a verification code to reauthenticate after 30 days or fewer.",
        "https://learn.microsoft.com/sharepoint/what-s-new-in-sharing-in-targeted-release"
    ),
];
