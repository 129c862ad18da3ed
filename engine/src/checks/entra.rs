//! Entra ID checks: conditional access, privileged access, authorization policy,
//! authentication methods and password expiry.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{b, check, count, counted, input, list_ours, n, s, strs, undecided};
use crate::check::{Check, Outcome};
use crate::exemptions::{CapExclusions, Exemptions, SOURCE};
use crate::snapshot::Snapshot;

const P2_PLAN: &str = "AAD_PREMIUM_P2";
const GLOBAL_ADMIN: &str = "Global Administrator";
const LIMITED_GUEST: &str = "10dae51f-b6af-4016-8d66-8c2a99b929b3";
const RESTRICTED_GUEST: &str = "2af84b1e-32c8-42b7-82bc-daa82404023b";
const NEVER_EXPIRES: i64 = 2_147_483_647;
const PHISHING_RESISTANT: [&str; 3] = [
    "windowsHelloForBusiness",
    "fido2",
    "x509CertificateMultiFactor",
];
const MFA_COMBINATIONS: [&str; 17] = [
    "windowsHelloForBusiness",
    "fido2",
    "x509CertificateMultiFactor",
    "deviceBasedPush",
    "temporaryAccessPassOneTime",
    "temporaryAccessPassMultiUse",
    "password,microsoftAuthenticatorPush",
    "password,softwareOath",
    "password,hardwareOath",
    "password,sms",
    "password,voice",
    "federatedMultiFactor",
    "microsoftAuthenticatorPush,federatedSingleFactor",
    "softwareOath,federatedSingleFactor",
    "hardwareOath,federatedSingleFactor",
    "sms,federatedSingleFactor",
    "voice,federatedSingleFactor",
];

// ---------- conditional access helpers ----------

fn users(p: &Value) -> &Value {
    p.pointer("/Conditions/Users").unwrap_or(&Value::Null)
}

fn apps(p: &Value) -> &Value {
    p.pointer("/Conditions/Applications")
        .unwrap_or(&Value::Null)
}

/// No user, group, role or guest or external user type is excluded from the policy.
fn no_excluded_users(u: &Value) -> bool {
    count(u.get("ExcludeRoles")) == 0
        && count(u.get("ExcludeUsers")) == 0
        && count(u.get("ExcludeGroups")) == 0
        && count(
            u.get("ExcludeGuestsOrExternalUsers")
                .and_then(|g| g.get("GuestOrExternalUserTypes")),
        ) == 0
}

fn contains(v: Option<&Value>, item: &str) -> bool {
    strs(v).iter().any(|x| x == item)
}

/// Enabled, every cloud app, no excluded roles, apps, users, groups or guest or external user
/// types (and all users when asked).
fn ca_base(p: &Value, all_users: bool) -> bool {
    ca_scope(p, all_users)
        && count(apps(p).get("ExcludeApplications")) == 0
        && no_excluded_users(users(p))
}

/// Enabled, every cloud app, no excluded roles (and all users when asked): [`ca_base`] less
/// the exclusions a ScubaGear configuration can exempt, which [`ca_any_for`] weighs.
fn ca_scope(p: &Value, all_users: bool) -> bool {
    let u = users(p);
    s(p, "State") == "enabled"
        && contains(apps(p).get("IncludeApplications"), "All")
        && count(u.get("ExcludeRoles")) == 0
        && (!all_users || contains(u.get("IncludeUsers"), "All"))
}

fn grants(p: &Value) -> Vec<String> {
    strs(p.pointer("/GrantControls/BuiltInControls"))
}

/// The authentication strength's allowed combinations, spelt as Graph spells them
/// (`password,sms`: a space after the comma, as some exports write it, is dropped).
fn strengths(p: &Value) -> BTreeSet<String> {
    strs(p.pointer("/GrantControls/AuthenticationStrength/AllowedCombinations"))
        .into_iter()
        .map(|c| c.split(',').map(str::trim).collect::<Vec<_>>().join(","))
        .collect()
}

/// Whether the policy applies to every sign-in it targets: not only to some client apps
/// (legacy clients) or to sign-ins or users detected as risky. A policy narrowed that way
/// leaves every other sign-in without its control.
fn unconditional(p: &Value) -> bool {
    let types = strs(p.pointer("/Conditions/ClientAppTypes"));
    (types.is_empty() || types.iter().any(|t| t == "all"))
        && count(p.pointer("/Conditions/SignInRiskLevels")) == 0
        && count(p.pointer("/Conditions/UserRiskLevels")) == 0
}

fn blocks(p: &Value) -> bool {
    grants(p).iter().any(|g| g == "block")
}

fn is_phishing_resistant(p: &Value) -> bool {
    let st = strengths(p);
    !st.is_empty() && st.iter().all(|x| PHISHING_RESISTANT.contains(&x.as_str()))
}

fn is_general_mfa(p: &Value) -> bool {
    if grants(p).iter().any(|g| g == "mfa") {
        return true;
    }
    let st = strengths(p);
    !st.is_empty()
        && st.iter().all(|x| MFA_COMBINATIONS.contains(&x.as_str()))
        && st.iter().any(|x| !PHISHING_RESISTANT.contains(&x.as_str()))
}

fn requires_any_mfa(p: &Value) -> bool {
    is_general_mfa(p) || is_phishing_resistant(p)
}

/// Role template ids of every privileged role in the export.
fn privileged_role_ids(snap: &Snapshot) -> Result<BTreeSet<String>, String> {
    Ok(snap
        .list("privileged_roles")?
        .iter()
        .map(|r| s(r, "RoleTemplateId").to_string())
        .filter(|x| !x.is_empty())
        .collect())
}

fn covers_roles(p: &Value, roles: &BTreeSet<String>) -> bool {
    let included: BTreeSet<String> = strs(users(p).get("IncludeRoles")).into_iter().collect();
    !roles.is_empty() && roles.is_subset(&included)
}

/// What a conditional access policy excludes that a ScubaGear configuration can exempt: users,
/// groups, applications and guest or external user types (excluded roles are never exempt).
#[derive(Default)]
struct Excluded {
    users: Vec<String>,
    groups: Vec<String>,
    applications: Vec<String>,
    guest_user_types: Vec<String>,
}

impl Excluded {
    /// The exclusions of `p`; applications only where ScubaGear's rule for `policy` reads them
    /// (its MS.AAD.3.8v1 rule targets a user action, not applications).
    fn of(p: &Value, policy: &str) -> Excluded {
        let u = users(p);
        Excluded {
            users: strs(u.get("ExcludeUsers")),
            groups: strs(u.get("ExcludeGroups")),
            applications: if policy == "MS.AAD.3.8v1" {
                Vec::new()
            } else {
                strs(apps(p).get("ExcludeApplications"))
            },
            // Graph writes the excluded types as one comma-separated string.
            guest_user_types: strs(
                u.get("ExcludeGuestsOrExternalUsers")
                    .and_then(|g| g.get("GuestOrExternalUserTypes")),
            )
            .iter()
            .flat_map(|t| t.split(','))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.applications.is_empty()
            && self.guest_user_types.is_empty()
    }

    /// Whether every exclusion is declared, as ScubaGear asks: each excluded set within the
    /// declared one.
    fn within(&self, declared: &CapExclusions) -> bool {
        let inside = |xs: &[String], set: &BTreeSet<String>| xs.iter().all(|x| set.contains(x));
        inside(&self.users, &declared.users)
            && inside(&self.groups, &declared.groups)
            && inside(&self.applications, &declared.applications)
            && inside(&self.guest_user_types, &declared.guest_user_types)
    }

    fn evidence(&self, policy_name: &str) -> Value {
        json!({
            "policy": policy_name,
            "users": self.users,
            "groups": self.groups,
            "applications": self.applications,
            "guest_user_types": self.guest_user_types,
        })
    }

    /// "2 users and 1 group" (counts only: ids are tenant data, kept in the evidence).
    fn describe(all: &[&Excluded]) -> String {
        let total = |f: fn(&Excluded) -> usize| all.iter().map(|e| f(e)).sum::<usize>();
        let parts: Vec<String> = [
            (total(|e| e.users.len()), "user", "users"),
            (total(|e| e.groups.len()), "group", "groups"),
            (
                total(|e| e.applications.len()),
                "application",
                "applications",
            ),
            (
                total(|e| e.guest_user_types.len()),
                "guest or external user type",
                "guest or external user types",
            ),
        ]
        .into_iter()
        .filter(|(k, _, _)| *k > 0)
        .map(|(k, one, many)| counted(k, one, many))
        .collect();
        match parts.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => parts.join(""),
        }
    }
}

/// Evaluates "at least one CA policy satisfies `pred`" (a check citing no SCuBA policy whose
/// exclusions a ScubaGear configuration could exempt: `pred` refuses exclusions itself).
fn ca_any(snap: &Snapshot, what: &str, pred: impl Fn(&Value) -> bool) -> Outcome {
    ca_any_for(snap, "", what, pred)
}

/// Evaluates "at least one CA policy satisfies `pred` and excludes no user, group,
/// application or guest type but those the snapshot's ScubaGear configuration exempts for the
/// SCuBA policy `policy`" ([`Exemptions::cap_exclusions`]). A pass that rests only on a policy
/// with exempted exclusions says so and names them in its evidence.
fn ca_any_for(snap: &Snapshot, policy: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Outcome {
    let policies = input!(snap.list("conditional_access_policies"));
    let declared = Exemptions::of(snap).cap_exclusions(policy);
    let mut matching = Vec::new();
    let mut exempted: Vec<(String, Excluded)> = Vec::new();
    let mut undeclared = Vec::new();
    for p in policies.iter().filter(|p| pred(p)) {
        let name = s(p, "DisplayName").to_string();
        let excluded = Excluded::of(p, policy);
        if excluded.is_empty() {
            matching.push(name);
        } else if excluded.within(&declared) {
            exempted.push((name, excluded));
        } else {
            undeclared.push(name);
        }
    }
    let mut evidence =
        json!({ "matching_policies": matching, "policies_evaluated": policies.len() });
    if !undeclared.is_empty() {
        evidence["policies_with_undeclared_exclusions"] = json!(undeclared);
    }
    if !matching.is_empty() {
        return Outcome::pass(
            format!(
                "A conditional access policy {what} ({} matching).",
                matching.len()
            ),
            evidence,
        )
        .about(&matching);
    }
    if !exempted.is_empty() {
        let names: Vec<String> = exempted.iter().map(|(n, _)| n.clone()).collect();
        let all: Vec<&Excluded> = exempted.iter().map(|(_, e)| e).collect();
        evidence["matching_policies"] = json!(names);
        evidence["exemptions"] = json!({
            "source": format!("scuba_config.Aad[\"{policy}\"].CapExclusions"),
            "exempted": exempted.iter().map(|(n, e)| e.evidence(n)).collect::<Vec<_>>(),
        });
        return Outcome::pass(
            format!(
                "A conditional access policy {what} ({} matching), only thanks to exemptions: it excludes {} that {SOURCE} exempts for {policy}. The pass holds only while those exclusions are justified.",
                names.len(),
                Excluded::describe(&all),
            ),
            evidence,
        )
        .about(&names);
    }
    let exclusions = if policy.is_empty() {
        "no excluded users, groups, roles, applications or guest types".to_string()
    } else {
        format!(
            "no excluded roles, and no excluded users, groups, applications or guest types but those {SOURCE} exempts for {policy}"
        )
    };
    Outcome::fail(
        format!(
            "None of the {} conditional access policies {what} (enabled, all cloud apps, {exclusions}).",
            policies.len()
        ),
        evidence,
    )
    .about(&undeclared)
}

fn has_p2(snap: &Snapshot) -> Result<bool, String> {
    Ok(snap
        .list("service_plans")?
        .iter()
        .any(|p| s(p, "ServicePlanName") == P2_PLAN))
}

/// Like [`ca_any`] but the feature also needs an Entra ID P2 licence.
fn ca_any_p2(snap: &Snapshot, what: &str, pred: impl Fn(&Value) -> bool) -> Outcome {
    ca_any_p2_for(snap, "", what, pred)
}

/// Like [`ca_any_for`] but the feature also needs an Entra ID P2 licence.
fn ca_any_p2_for(
    snap: &Snapshot,
    policy: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Outcome {
    let p2 = input!(has_p2(snap));
    let out = ca_any_for(snap, policy, what, pred);
    if !p2 && out.status == crate::model::Status::Pass {
        return Outcome::fail(
            "The tenant has no Entra ID P2 licence, which risk-based conditional access requires.",
            out.evidence,
        );
    }
    out
}

fn legacy_auth_blocked(snap: &Snapshot) -> Outcome {
    ca_any_for(snap, "MS.AAD.1.1v1", "blocks legacy authentication", |p| {
        let types = p.pointer("/Conditions/ClientAppTypes");
        ca_scope(p, true)
            && contains(types, "other")
            && contains(types, "exchangeActiveSync")
            && blocks(p)
    })
}

fn high_risk_users_blocked(snap: &Snapshot) -> Outcome {
    ca_any_p2_for(
        snap,
        "MS.AAD.2.1v1",
        "blocks users detected as high risk",
        |p| {
            ca_scope(p, true)
                && contains(p.pointer("/Conditions/UserRiskLevels"), "high")
                && blocks(p)
        },
    )
}

fn high_risk_signins_blocked(snap: &Snapshot) -> Outcome {
    ca_any_p2_for(
        snap,
        "MS.AAD.2.3v1",
        "blocks sign-ins detected as high risk",
        |p| {
            ca_scope(p, true)
                && contains(p.pointer("/Conditions/SignInRiskLevels"), "high")
                && blocks(p)
        },
    )
}

/// CIS 5.2.2.6: a policy for all users and apps on high user risk that grants access only with
/// MFA and a password change, both required.
fn user_risk_mfa_and_password_change(snap: &Snapshot) -> Outcome {
    ca_any_p2(
        snap,
        "requires MFA and a password change for users detected as high risk",
        |p| {
            let g = grants(p);
            ca_base(p, true)
                && contains(p.pointer("/Conditions/UserRiskLevels"), "high")
                && requires_any_mfa(p)
                && g.iter().any(|x| x == "passwordChange")
                && s(p.get("GrantControls").unwrap_or(&Value::Null), "Operator") == "AND"
        },
    )
}

/// CIS 5.2.2.7: a policy for all users and apps on high and medium sign-in risk that requires
/// MFA and a sign-in every time.
fn signin_risk_mfa_every_time(snap: &Snapshot) -> Outcome {
    ca_any_p2(
        snap,
        "requires MFA at every sign-in detected as high or medium risk",
        |p| {
            let levels = p.pointer("/Conditions/SignInRiskLevels");
            let frequency = p.pointer("/SessionControls/SignInFrequency");
            ca_base(p, true)
                && contains(levels, "high")
                && contains(levels, "medium")
                && requires_any_mfa(p)
                && frequency
                    .and_then(|f| f.get("IsEnabled"))
                    .and_then(Value::as_bool)
                    == Some(true)
                && frequency
                    .and_then(|f| f.get("FrequencyInterval"))
                    .and_then(Value::as_str)
                    == Some("everyTime")
        },
    )
}

fn phishing_resistant_all(snap: &Snapshot) -> Outcome {
    ca_any_for(
        snap,
        "MS.AAD.3.1v1",
        "requires phishing-resistant MFA",
        |p| ca_scope(p, true) && unconditional(p) && is_phishing_resistant(p),
    )
}

fn mfa_all_users(snap: &Snapshot) -> Outcome {
    ca_any_for(snap, "MS.AAD.3.2v2", "requires MFA", |p| {
        ca_scope(p, true) && unconditional(p) && requires_any_mfa(p)
    })
}

/// MS.AAD.3.6v1: a policy requires phishing-resistant MFA for every privileged role. With the
/// privileged roles unread, a fail still holds when no policy meets the other conditions (no
/// set of roles can make one match); anything else is an error.
fn phishing_resistant_admins(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.AAD.3.6v1";
    const WHAT: &str = "requires phishing-resistant MFA for every privileged role";
    let role_free = |p: &Value| ca_scope(p, false) && unconditional(p) && is_phishing_resistant(p);
    let roles = match privileged_role_ids(snap) {
        Ok(roles) => roles,
        Err(reason) => {
            let mut out = ca_any_for(snap, POLICY, WHAT, role_free);
            if out.status != crate::model::Status::Fail {
                return Outcome::error(reason);
            }
            out.message = format!(
                "{} The privileged roles were not read ({reason}), but no policy requires phishing-resistant MFA under those conditions for any role.",
                out.message
            );
            out.evidence["privileged_roles"] = json!({ "read": false, "reason": reason });
            return out;
        }
    };
    ca_any_for(snap, POLICY, WHAT, |p| {
        role_free(p) && covers_roles(p, &roles)
    })
}

fn mfa_admins(snap: &Snapshot) -> Outcome {
    let roles = input!(privileged_role_ids(snap));
    ca_any(snap, "requires MFA for administrators", |p| {
        ca_base(p, false)
            && unconditional(p)
            && (contains(users(p).get("IncludeUsers"), "All") || covers_roles(p, &roles))
            && requires_any_mfa(p)
    })
}

fn managed_device_required(snap: &Snapshot) -> Outcome {
    ca_any_for(
        snap,
        "MS.AAD.3.7v1",
        "requires a compliant or hybrid-joined device",
        |p| {
            let g = grants(p);
            ca_scope(p, true)
                && g.len() == 2
                && g.iter().any(|x| x == "compliantDevice")
                && g.iter().any(|x| x == "domainJoinedDevice")
                && s(p.get("GrantControls").unwrap_or(&Value::Null), "Operator") == "OR"
        },
    )
}

fn managed_device_for_registration(snap: &Snapshot) -> Outcome {
    ca_any_for(
        snap,
        "MS.AAD.3.8v1",
        "requires a managed device to register security information",
        |p| {
            let u = users(p);
            let g = grants(p);
            s(p, "State") == "enabled"
                && contains(u.get("IncludeUsers"), "All")
                && count(u.get("ExcludeRoles")) == 0
                && contains(
                    apps(p).get("IncludeUserActions"),
                    "urn:user:registersecurityinfo",
                )
                && g.iter()
                    .any(|x| x == "compliantDevice" || x == "domainJoinedDevice")
        },
    )
}

fn device_code_blocked(snap: &Snapshot) -> Outcome {
    ca_any_for(snap, "MS.AAD.3.9v1", "blocks the device code flow", |p| {
        ca_scope(p, true)
            && contains(
                p.pointer("/Conditions/AuthenticationFlows/TransferMethods"),
                "deviceCodeFlow",
            )
            && blocks(p)
    })
}

fn admin_session_limited(snap: &Snapshot) -> Outcome {
    let roles = input!(privileged_role_ids(snap));
    ca_any(
        snap,
        "limits sign-in frequency and disables persistent browser sessions",
        |p| {
            let sc = p.get("SessionControls").unwrap_or(&Value::Null);
            ca_base(p, false)
                && (contains(users(p).get("IncludeUsers"), "All") || covers_roles(p, &roles))
                && sc
                    .pointer("/SignInFrequency/IsEnabled")
                    .and_then(Value::as_bool)
                    == Some(true)
                && sc
                    .pointer("/PersistentBrowser/IsEnabled")
                    .and_then(Value::as_bool)
                    == Some(true)
                && sc
                    .pointer("/PersistentBrowser/Mode")
                    .and_then(Value::as_str)
                    == Some("never")
        },
    )
}

// ---------- authentication methods ----------

/// The method configurations of the authentication methods policy. Microsoft lists every
/// built-in method there, enabled or not: none (or an unreadable list) means the read returned
/// nothing usable.
fn method_configs(snap: &Snapshot) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for m in snap.rows("authentication_method")? {
        match m.get("authentication_method_feature_settings") {
            Some(Value::Array(a)) => out.extend(a.iter().filter(|c| c.is_object()).cloned()),
            Some(c @ Value::Object(o)) if !o.is_empty() => out.push(c.clone()),
            _ => {}
        }
    }
    if out.is_empty() {
        return Err("`authentication_method` lists no method configuration (`authentication_method_feature_settings` is absent or empty), but the policy always lists every method: the read returned nothing usable".to_string());
    }
    Ok(out)
}

/// The state (`enabled`/`disabled`) of the method `id`, or why it is unknown.
fn method_state<'a>(configs: &'a [Value], id: &str) -> Result<&'a str, String> {
    configs
        .iter()
        .find(|c| s(c, "Id") == id)
        .and_then(|c| c.get("State").and_then(Value::as_str))
        .filter(|st| !st.is_empty())
        .ok_or_else(|| {
            format!(
                "the authentication methods policy has no `{id}` configuration with a state, so whether it is enabled is unknown"
            )
        })
}

fn strs_objects(v: Option<&Value>) -> Vec<&Value> {
    v.map(crate::snapshot::items).unwrap_or_default()
}

fn migration_state(snap: &Snapshot) -> Result<Value, String> {
    let methods = snap.list("authentication_method")?;
    for m in methods {
        if let Some(pol) = m.get("authentication_method_policy") {
            let Some(obj) = pol.as_object().filter(|o| !o.is_empty()) else {
                return Err(
                    "`authentication_method_policy` is empty or not an object, so the migration state is unknown"
                        .to_string(),
                );
            };
            return obj.get("PolicyMigrationState").cloned().ok_or_else(|| {
                "the authentication methods policy has no `PolicyMigrationState`".to_string()
            });
        }
    }
    Err("the authentication methods policy is missing from `authentication_method`".to_string())
}

/// MS.AAD.3.3v2: Microsoft Authenticator shows the sign-in context and offers no software OTP.
/// Not applicable when Authenticator is disabled, or when the conditional access policies show
/// phishing-resistant MFA enforced for everyone. A well-configured Authenticator passes without
/// them; a misconfigured one fails without them too (as ScubaGear 1.8.0 decides from the
/// Authenticator configuration alone), and the finding says that the policies were not read, so
/// whether phishing-resistant MFA makes the setting moot is unknown.
fn authenticator_context(snap: &Snapshot) -> Outcome {
    let configs = input!(method_configs(snap));
    let auth = configs
        .iter()
        .find(|c| s(c, "Id") == "MicrosoftAuthenticator");
    let enabled = auth.is_some_and(|a| s(a, "State") == "enabled");
    if !enabled {
        return Outcome::not_applicable(
            "Microsoft Authenticator is disabled, so its sign-in context settings do not apply.",
            json!({ "authenticator_enabled": enabled }),
        );
    }
    let a = auth.unwrap_or(&Value::Null);
    let fs = a.get("FeatureSettings").unwrap_or(&Value::Null);
    let shown = |k: &str| {
        fs.pointer(&format!("/{k}/State")).and_then(Value::as_str) == Some("enabled")
            && fs
                .pointer(&format!("/{k}/IncludeTarget/Id"))
                .and_then(Value::as_str)
                == Some("all_users")
    };
    let app = shown("DisplayAppInformationRequiredState");
    let loc = shown("DisplayLocationInformationRequiredState");
    let otp = b(a, "IsSoftwareOathEnabled") == Some(false);
    let evidence = json!({ "display_app_information": app, "display_location": loc, "software_oath_disabled": otp });
    let phishing_resistant = snap.list("conditional_access_policies").map(|policies| {
        policies
            .iter()
            .filter(|p| ca_base(p, true) && is_phishing_resistant(p))
            .map(|p| s(p, "DisplayName").to_string())
            .collect::<Vec<String>>()
    });
    if let Ok(pr) = &phishing_resistant
        && !pr.is_empty()
    {
        return Outcome::not_applicable(
            "Phishing-resistant MFA is enforced, so Microsoft Authenticator's sign-in context settings do not apply.",
            json!({ "phishing_resistant_policies": pr, "authenticator_enabled": enabled }),
        );
    }
    if app && loc && otp {
        return Outcome::pass(
            "Microsoft Authenticator shows the application name and location to all users, and software OTP is off.",
            evidence,
        );
    }
    // Misconfigured: not applicable if phishing-resistant MFA is enforced, which only the
    // conditional access policies tell. Unread, the weak setting stands and the finding says
    // what is unknown.
    if let Err(reason) = phishing_resistant {
        let mut evidence = evidence;
        evidence["conditional_access_policies"] = json!({ "read": false, "reason": reason });
        return Outcome::fail(
            format!(
                "Microsoft Authenticator does not show application and location context to all users, or allows software OTP. The conditional access policies were not read ({reason}), so whether phishing-resistant MFA is enforced for everyone, which would make this setting not applicable, is unknown; the weak Authenticator setting stands."
            ),
            evidence,
        );
    }
    Outcome::fail(
        "Microsoft Authenticator does not show application and location context to all users, or allows software OTP.",
        evidence,
    )
}

fn migration_complete(snap: &Snapshot) -> Outcome {
    let state = input!(migration_state(snap));
    let ok = state.is_null() || state.as_str() == Some("migrationComplete");
    Outcome::verdict(
        ok,
        "The migration to the authentication methods policy is complete.",
        // The state is the tenant's value: named only when it is one Microsoft documents.
        format!(
            "The authentication methods migration state is {}, not migrationComplete.",
            state
                .as_str()
                .filter(|v| {
                    [
                        "preMigration",
                        "migrationInProgress",
                        "migrationComplete",
                        "unknownFutureValue",
                    ]
                    .contains(v)
                })
                .unwrap_or("another value (see the evidence)")
        ),
        json!({ "PolicyMigrationState": state }),
    )
}

fn weak_methods_disabled(snap: &Snapshot) -> Outcome {
    let configs = input!(method_configs(snap));
    let mut weak: Vec<Value> = Vec::new();
    for id in ["Sms", "Voice", "Email"] {
        let state = input!(method_state(&configs, id));
        weak.push(json!({ "Id": id, "State": state }));
    }
    let enabled: Vec<String> = weak
        .iter()
        .filter(|c| s(c, "State") != "disabled")
        .map(|c| s(c, "Id").to_string())
        .collect();
    Outcome::verdict(
        enabled.is_empty(),
        "SMS, voice and email authentication methods are disabled.",
        format!(
            "Weak authentication methods are enabled: {}.",
            list_ours(&enabled)
        ),
        json!({ "methods": weak, "enabled": enabled }),
    )
}

// ---------- authorization policy ----------

fn users_cannot_register_apps(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows("authorization_policies"));
    let bad: Vec<String> = pols
        .iter()
        .filter(|p| {
            p.pointer("/DefaultUserRolePermissions/AllowedToCreateApps")
                .and_then(Value::as_bool)
                == Some(true)
        })
        .map(|p| s(p, "Id").to_string())
        .collect();
    Outcome::verdict(
        bad.is_empty(),
        "Non-admin users cannot register applications.",
        format!(
            "{} lets non-admin users register applications.",
            n(&bad, "authorization policy", "authorization policies")
        ),
        json!({ "policies_allowing_app_registration": bad }),
    )
    .about(&bad)
}

fn user_consent_restricted(snap: &Snapshot) -> Outcome {
    const GRANTS: &str = "PermissionGrantPolicyIdsAssignedToDefaultUserRole";
    let pols = input!(snap.rows("authorization_policies"));
    let mut bad = Vec::new();
    let mut grants_seen = Vec::new();
    let mut no_grants = 0;
    let mut no_risky_classification = false;
    for p in &pols {
        let g = match p.get(GRANTS) {
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => strs(p.get(GRANTS)),
            Some(Value::String(x)) if !x.is_empty() => vec![x.clone()],
            _ => {
                return Outcome::error(format!(
                    "the authorization policy's `{GRANTS}` is absent, null or not a list, so who may consent to applications is unknown"
                ));
            }
        };
        if g.is_empty() {
            no_grants += 1;
        }
        grants_seen.push(json!({ "policy": s(p, "Id"), "grant_policies": g }));
        let has = |suffix: &str| {
            g.iter()
                .any(|x| x == &format!("ManagePermissionGrantsForSelf.{suffix}"))
        };
        if has("microsoft-user-default-legacy") || has("microsoft-user-default-recommended") {
            bad.push(s(p, "Id").to_string());
        } else if has("microsoft-user-default-low") {
            let risky = input!(snap.list("risky_delegated_permission_classifications"));
            if risky.is_empty() {
                no_risky_classification = true;
            } else {
                bad.push(s(p, "Id").to_string());
            }
        }
    }
    let evidence =
        json!({ "policies_allowing_consent": bad, "default_user_grant_policies": grants_seen });
    if bad.is_empty() && no_risky_classification {
        return Outcome::pass_on_empty_read(
            snap,
            "risky_delegated_permission_classifications",
            "delegated permission classified as risky",
            "Users can consent only to low-impact permissions, and no permission is classified as risky",
            evidence,
        );
    }
    if bad.is_empty() && no_grants == pols.len() {
        return Outcome::pass_on_empty_read(
            snap,
            "authorization_policies",
            "permission grant policy for the default user role",
            "Users cannot consent to applications: the default user role has no permission grant policy",
            evidence,
        );
    }
    Outcome::verdict(
        bad.is_empty(),
        "Users cannot consent to applications with risky permissions.",
        format!(
            "{} lets users consent to third-party applications.",
            n(&bad, "authorization policy", "authorization policies")
        ),
        evidence,
    )
    .about(&bad)
}

fn admin_consent_workflow(snap: &Snapshot) -> Outcome {
    let groups = input!(snap.list("directory_settings"));
    let mut found = Vec::new();
    for g in &groups {
        for v in strs_objects(g.get("Values")) {
            if s(v, "Name") == "EnableAdminConsentRequests" {
                found.push(json!({ "group": s(g, "DisplayName"), "value": s(v, "Value") }));
            }
        }
    }
    let ok = !found.is_empty()
        && found
            .iter()
            .all(|f| s(f, "value").eq_ignore_ascii_case("true"));
    Outcome::verdict(
        ok,
        "The admin consent request workflow is enabled.",
        "The admin consent request workflow is not enabled.",
        json!({ "EnableAdminConsentRequests": found }),
    )
}

fn guest_access_restricted(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows("authorization_policies"));
    let mut bad = Vec::new();
    let mut seen = Vec::new();
    for p in &pols {
        let role = s(p, "GuestUserRoleId");
        let level = match role {
            LIMITED_GUEST => "Limited access",
            RESTRICTED_GUEST => "Restricted access",
            "a0b1b346-4d3e-4e8b-98f8-753987be4970" => "Same as member users",
            _ => "Unknown",
        };
        seen.push(json!({ "policy": s(p, "Id"), "GuestUserRoleId": role, "level": level }));
        if role != LIMITED_GUEST && role != RESTRICTED_GUEST {
            bad.push(s(p, "Id").to_string());
        }
    }
    Outcome::verdict(
        bad.is_empty(),
        "Guest users have limited or restricted access to directory objects.",
        format!(
            "{} gives guests more than limited access.",
            n(&bad, "authorization policy", "authorization policies")
        ),
        json!({ "policies": seen }),
    )
    .about(&bad)
}

fn guest_invites_limited(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows("authorization_policies"));
    let seen: Vec<Value> = pols
        .iter()
        .map(|p| json!({ "policy": s(p, "Id"), "AllowInvitesFrom": s(p, "AllowInvitesFrom") }))
        .collect();
    let bad: Vec<String> = pols
        .iter()
        .filter(|p| !["adminsAndGuestInviters", "none"].contains(&s(p, "AllowInvitesFrom")))
        .map(|p| s(p, "Id").to_string())
        .collect();
    Outcome::verdict(
        bad.is_empty(),
        "Only administrators and the Guest Inviter role can invite guests.",
        format!(
            "{} lets ordinary users or guests invite guests.",
            n(&bad, "authorization policy", "authorization policies")
        ),
        json!({ "policies": seen }),
    )
    .about(&bad)
}

fn users_cannot_create_tenants(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows("authorization_policies"));
    let bad: Vec<String> = pols
        .iter()
        .filter(|p| {
            p.pointer("/DefaultUserRolePermissions/AllowedToCreateTenants")
                .and_then(Value::as_bool)
                != Some(false)
        })
        .map(|p| s(p, "Id").to_string())
        .collect();
    Outcome::verdict(
        bad.is_empty(),
        "Non-admin users cannot create tenants.",
        format!(
            "{} lets non-admin users create tenants.",
            n(&bad, "authorization policy", "authorization policies")
        ),
        json!({ "policies_allowing_tenant_creation": bad }),
    )
    .about(&bad)
}

// ---------- password expiry ----------

fn passwords_never_expire(snap: &Snapshot) -> Outcome {
    let domains = input!(snap.list("domain_settings"));
    let verified = |d: &&&Value| b(d, "IsVerified") == Some(true);
    let managed: Vec<&&Value> = domains
        .iter()
        .filter(verified)
        .filter(|d| s(d, "AuthenticationType") == "Managed")
        .collect();
    let federated: Vec<String> = domains
        .iter()
        .filter(verified)
        .filter(|d| s(d, "AuthenticationType") == "Federated")
        .map(|d| s(d, "Id").to_string())
        .collect();
    if managed.is_empty() {
        return Outcome::not_applicable(
            "No verified managed domain: password expiry is governed by the federated identity provider.",
            json!({ "federated_domains": federated }),
        );
    }
    let roots: Vec<&&&Value> = managed
        .iter()
        .filter(|d| b(d, "IsRoot") == Some(true))
        .collect();
    let never = |d: &Value| super::i(d, "PasswordValidityPeriodInDays") == Some(NEVER_EXPIRES);
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for d in &managed {
        let id = s(d, "Id");
        let ok = if b(d, "IsRoot") == Some(true) {
            never(d)
        } else {
            roots.iter().any(|r| id.ends_with(s(r, "Id")) && never(r))
        };
        if ok {
            valid.push(id.to_string())
        } else {
            invalid.push(id.to_string())
        }
    }
    Outcome::verdict(
        invalid.is_empty(),
        "User passwords are set to never expire on every verified managed domain.",
        format!("Passwords expire on {}.", n(&invalid, "domain", "domains")),
        json!({ "never_expire": valid, "expiring": invalid, "federated_domains": federated }),
    )
    .about(&invalid)
}

// ---------- privileged users and roles ----------

struct Admins {
    global: Vec<String>,
    other: Vec<String>,
    all: Vec<(String, Value)>,
}

fn admins(snap: &Snapshot) -> Result<Admins, String> {
    let v = snap.section("privileged_users")?;
    let entries: Vec<(String, Value)> = match v {
        Value::Object(o) => o.iter().map(|(k, u)| (k.clone(), u.clone())).collect(),
        Value::Array(a) => a
            .iter()
            .map(|u| (s(u, "Id").to_string(), u.clone()))
            .collect(),
        _ => return Err("`privileged_users` is neither an object nor a list".to_string()),
    };
    let mut global = Vec::new();
    let mut other = Vec::new();
    for (i, (_, u)) in entries.iter().enumerate() {
        // A privileged user holds at least one role: a row without one is incomplete, never a
        // user with no role. (Whether it is cloud-only is read by the check that needs it.)
        let has_roles = match u.get("roles") {
            Some(Value::Array(a)) => !a.is_empty() && a.iter().all(Value::is_string),
            Some(Value::String(r)) => !r.is_empty(),
            _ => false,
        };
        if !has_roles {
            return Err(format!(
                "privileged user {} of `privileged_users` has no roles: the row is incomplete",
                i + 1
            ));
        }
        let name = s(u, "DisplayName").to_string();
        if contains(u.get("roles"), GLOBAL_ADMIN) {
            global.push(name)
        } else {
            other.push(name)
        }
    }
    // Every tenant has a Global Administrator: a list without one was not read in full (for
    // example role members that could not be expanded), so no verdict rests on it.
    if global.is_empty() {
        return Err(
            "`privileged_users` lists no Global Administrator, but every tenant has one: the list is incomplete"
                .to_string(),
        );
    }
    global.sort();
    other.sort();
    Ok(Admins {
        global,
        other,
        all: entries,
    })
}

fn global_admin_count(snap: &Snapshot) -> Outcome {
    let a = input!(admins(snap));
    let n = a.global.len();
    Outcome::verdict(
        (2..=8).contains(&n),
        format!("{n} global administrators: between two and eight."),
        format!("{n} global administrators: there should be between two and eight."),
        json!({ "global_admins": a.global }),
    )
}

fn least_privilege(snap: &Snapshot) -> Outcome {
    let a = input!(admins(snap));
    let (g, o) = (a.global.len(), a.other.len());
    Outcome::verdict(
        (2..=8).contains(&g) && g <= o,
        format!(
            "{g} global administrators for {o} other privileged users: fine-grained roles are preferred."
        ),
        format!(
            "{g} global administrators for {o} other privileged users: use fine-grained roles instead of Global Administrator."
        ),
        json!({ "global_admins": a.global, "other_privileged_users": a.other }),
    )
}

fn cloud_only_admins(snap: &Snapshot) -> Outcome {
    let a = input!(admins(snap));
    // ScubaGear's export writes `OnPremisesImmutableId` for every privileged user (null for a
    // cloud-only account): a row without it does not say which the account is.
    if let Some(i) = a
        .all
        .iter()
        .position(|(_, u)| u.get("OnPremisesImmutableId").is_none())
    {
        return Outcome::error(format!(
            "privileged user {} of `privileged_users` has no `OnPremisesImmutableId`: the row is incomplete",
            i + 1
        ));
    }
    let synced: Vec<String> = a
        .all
        .iter()
        .filter(|(_, u)| u.get("OnPremisesImmutableId").is_some_and(|x| !x.is_null()))
        .map(|(_, u)| s(u, "DisplayName").to_string())
        .collect();
    Outcome::verdict(
        synced.is_empty(),
        format!(
            "All {} privileged users are cloud-only accounts.",
            a.all.len()
        ),
        format!(
            "{} synchronised from on-premises.",
            n(&synced, "privileged user is", "privileged users are")
        ),
        json!({ "synced_admins": synced, "privileged_users": a.all.len() }),
    )
    .about(&synced)
}

fn no_guest_admins(snap: &Snapshot) -> Outcome {
    let a = input!(admins(snap));
    let typed = a
        .all
        .iter()
        .any(|(_, u)| u.get("UserType").is_some() || u.get("UserPrincipalName").is_some());
    if !typed {
        return Outcome::manual(
            "The export does not record the user type of privileged users; confirm in Entra ID that no guest holds a privileged role.",
        );
    }
    let guests: Vec<String> = a
        .all
        .iter()
        .filter(|(_, u)| {
            s(u, "UserType").eq_ignore_ascii_case("guest")
                || s(u, "UserPrincipalName").contains("#EXT#")
        })
        .map(|(_, u)| s(u, "DisplayName").to_string())
        .collect();
    Outcome::verdict(
        guests.is_empty(),
        "No guest account holds a privileged role.",
        format!(
            "{} privileged roles.",
            n(&guests, "guest account holds", "guest accounts hold")
        ),
        json!({ "guest_admins": guests }),
    )
    .about(&guests)
}

/// Evaluates a privileged-role rule that needs Entra ID P2 (PIM): offenders must be empty.
fn pim_rule(
    snap: &Snapshot,
    offenders: impl Fn(&[&Value]) -> Vec<String>,
    ok: &str,
    bad: &str,
) -> Outcome {
    let roles = input!(snap.list("privileged_roles"));
    let mut off = offenders(&roles);
    off.sort();
    off.dedup();
    // An offending role fails whatever the licence; a pass needs P2 known to be there.
    let p2 = match has_p2(snap) {
        Ok(p2) => p2,
        Err(_) if !off.is_empty() => true,
        Err(reason) => return Outcome::error(reason),
    };
    if !p2 {
        return Outcome::fail(
            "The tenant has no Entra ID P2 licence, which Privileged Identity Management requires.",
            json!({ "offenders": off }),
        );
    }
    Outcome::verdict(
        off.is_empty(),
        ok,
        format!("{bad}: {}.", off.len()),
        json!({ "offenders": off }),
    )
    .about(&off)
}

fn assignments(r: &Value) -> Vec<&Value> {
    r.get("Assignments")
        .map(crate::snapshot::items)
        .unwrap_or_default()
}

fn rules(r: &Value) -> Vec<&Value> {
    r.get("Rules")
        .map(crate::snapshot::items)
        .unwrap_or_default()
}

fn rule_source(rule: &Value) -> String {
    format!("{}({})", s(rule, "RuleSource"), s(rule, "RuleSourceType"))
}

/// Names of the roles with an active assignment whose `field` (a date) is missing.
fn roles_with_an_assignment_lacking(roles: &[&Value], field: &str) -> Vec<String> {
    roles
        .iter()
        .filter(|r| {
            assignments(r)
                .iter()
                .any(|a| a.get(field).is_none_or(Value::is_null))
        })
        .map(|r| s(r, "DisplayName").to_string())
        .collect()
}

/// The principals of a role's permanent active assignments (no end date), `None` for one whose
/// principal is not recorded (it can be no declared one).
fn permanent_principals(role: &Value) -> Vec<Option<String>> {
    assignments(role)
        .iter()
        .filter(|a| a.get("EndDateTime").is_none_or(Value::is_null))
        .map(|a| {
            a.get("PrincipalId")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
        })
        .collect()
}

/// MS.AAD.7.4v1: no permanent active assignment, but to principals the snapshot's ScubaGear
/// configuration declares (`RoleExclusions`, [`Exemptions::role_exclusions`]); a pass that
/// rests on them says so and names them in its evidence.
fn no_permanent_assignments(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.AAD.7.4v1";
    let declared = Exemptions::of(snap).role_exclusions(POLICY);
    let allowed = |role: &Value| {
        let principals = permanent_principals(role);
        !principals.is_empty()
            && principals
                .iter()
                .all(|p| p.as_deref().is_some_and(|p| declared.allows(p)))
    };
    let out = pim_rule(
        snap,
        |roles| {
            roles
                .iter()
                .filter(|r| !permanent_principals(r).is_empty() && !allowed(r))
                .map(|r| s(r, "DisplayName").to_string())
                .collect()
        },
        "No privileged role has a permanent active assignment.",
        "Roles with permanent active assignments",
    );
    if out.status != crate::model::Status::Pass {
        return out;
    }
    let roles = input!(snap.list("privileged_roles"));
    let exempted: Vec<(String, Vec<String>)> = roles
        .iter()
        .filter(|r| allowed(r))
        .map(|r| {
            let mut principals: Vec<String> =
                permanent_principals(r).into_iter().flatten().collect();
            principals.sort();
            principals.dedup();
            (s(r, "DisplayName").to_string(), principals)
        })
        .collect();
    if exempted.is_empty() {
        return out;
    }
    let principals: BTreeSet<&String> = exempted.iter().flat_map(|(_, p)| p).collect();
    let names: Vec<String> = exempted.iter().map(|(r, _)| r.clone()).collect();
    let mut evidence = out.evidence;
    evidence["exemptions"] = json!({
        "source": format!("scuba_config.Aad[\"{POLICY}\"].RoleExclusions"),
        "exempted": exempted
            .iter()
            .map(|(role, p)| json!({ "role": role, "principals": p }))
            .collect::<Vec<_>>(),
    });
    Outcome::pass(
        format!(
            "No privileged role has a permanent active assignment but those {SOURCE} exempts for {POLICY}: {} with permanent assignments to {} exempted {}. The pass holds only while those assignments are justified.",
            n(&names, "role", "roles"),
            principals.len(),
            if principals.len() == 1 { "principal" } else { "principals" }
        ),
        evidence,
    )
    .about(&names)
}

fn assigned_through_pim(snap: &Snapshot) -> Outcome {
    pim_rule(
        snap,
        |roles| roles_with_an_assignment_lacking(roles, "StartDateTime"),
        "Every privileged role assignment was made through PIM.",
        "Roles assigned outside PIM",
    )
}

fn global_admin_approval(snap: &Snapshot) -> Outcome {
    pim_rule(
        snap,
        |roles| {
            roles
                .iter()
                .filter(|r| s(r, "DisplayName") == GLOBAL_ADMIN)
                .flat_map(|r| rules(r))
                .filter(|rule| {
                    s(rule, "Id") == "Approval_EndUser_Assignment"
                        && rule
                            .pointer("/Setting/IsApprovalRequired")
                            .and_then(Value::as_bool)
                            == Some(false)
                })
                .map(rule_source)
                .collect()
        },
        "Activating Global Administrator requires approval.",
        "Global Administrator can be activated without approval",
    )
}

fn assignment_alerts(snap: &Snapshot) -> Outcome {
    pim_rule(
        snap,
        |roles| {
            roles
                .iter()
                .flat_map(|r| rules(r))
                .filter(|rule| {
                    [
                        "Notification_Admin_Admin_Assignment",
                        "Notification_Admin_Admin_Eligibility",
                    ]
                    .contains(&s(rule, "Id"))
                        && count(rule.get("NotificationRecipients")) == 0
                })
                .map(rule_source)
                .collect()
        },
        "Every privileged role notifies a mailbox of new assignments.",
        "Roles without assignment notification recipients",
    )
}

/// The activation e-mail rules with no recipient, of Global Administrator (`global_admin`) or
/// of every other role.
fn silent_activation_rules(roles: &[&Value], global_admin: bool) -> Vec<String> {
    roles
        .iter()
        .filter(|r| (s(r, "DisplayName") == GLOBAL_ADMIN) == global_admin)
        .flat_map(|r| rules(r))
        .filter(|rule| {
            s(rule, "Id") == "Notification_Admin_EndUser_Assignment"
                && s(rule, "NotificationType") == "Email"
                && count(rule.get("NotificationRecipients")) == 0
        })
        .map(rule_source)
        .collect()
}

fn global_admin_activation_alert(snap: &Snapshot) -> Outcome {
    pim_rule(
        snap,
        |roles| silent_activation_rules(roles, true),
        "Global Administrator activations notify a mailbox.",
        "Global Administrator activations notify no one",
    )
}

fn other_role_activation_alerts(snap: &Snapshot) -> Outcome {
    pim_rule(
        snap,
        |roles| silent_activation_rules(roles, false),
        "Activations of every other privileged role notify a mailbox.",
        "Roles whose activations notify no one",
    )
}

fn global_admin_count_cis(snap: &Snapshot) -> Outcome {
    let a = input!(admins(snap));
    let n = a.global.len();
    Outcome::verdict(
        (2..=4).contains(&n),
        format!("{n} global administrators: between two and four."),
        format!("{n} global administrators: CIS wants between two and four."),
        json!({ "global_admins": a.global }),
    )
}

fn sign_in_logs_to_siem(_snap: &Snapshot) -> Outcome {
    Outcome::manual(
        "Diagnostic settings that forward Entra ID sign-in and audit logs are configured in Azure Monitor, outside the export; verify them there.",
    )
}

// ---------- CIS v7.0.0 recommendations (CIS thresholds) ----------

/// A `DefaultUserRolePermissions` flag of every authorization policy must be false.
fn default_user_cannot(snap: &Snapshot, flag: &str, what: &str) -> Outcome {
    let pols = input!(snap.rows("authorization_policies"));
    if pols.is_empty() {
        return Outcome::error("no authorization policy in `authorization_policies`");
    }
    let values: Vec<Value> = pols
        .iter()
        .map(|p| json!({ "policy": s(p, "Id"), flag: p.pointer(&format!("/DefaultUserRolePermissions/{flag}")).cloned().unwrap_or(Value::Null) }))
        .collect();
    // An absent flag takes Microsoft's default, which is true for each of these.
    let allowed: Vec<String> = pols
        .iter()
        .filter(|p| {
            p.pointer(&format!("/DefaultUserRolePermissions/{flag}"))
                .and_then(Value::as_bool)
                != Some(false)
        })
        .map(|p| s(p, "Id").to_string())
        .collect();
    Outcome::verdict(
        allowed.is_empty(),
        format!("Non-admin users cannot {what} ({flag} is false)."),
        format!(
            "{} lets non-admin users {what} ({flag} is not false).",
            n(&allowed, "authorization policy", "authorization policies")
        ),
        json!({ "policies": values }),
    )
    .about(&allowed)
}

fn users_cannot_create_security_groups(snap: &Snapshot) -> Outcome {
    default_user_cannot(
        snap,
        "AllowedToCreateSecurityGroups",
        "create security groups",
    )
}

fn users_cannot_read_bitlocker_keys(snap: &Snapshot) -> Outcome {
    default_user_cannot(
        snap,
        "AllowedToReadBitlockerKeysForOwnedDevice",
        "read the BitLocker keys of their own devices",
    )
}

/// The value of `name` in the directory setting whose template is `template` (e.g.
/// "Group.Unified", "Password Rule Settings"); `None` when the tenant never created the setting
/// or it lacks the value, in which case Microsoft's default applies.
fn directory_setting(
    snap: &Snapshot,
    template: &str,
    name: &str,
) -> Result<Option<String>, String> {
    for g in snap.list("directory_settings")? {
        if s(g, "DisplayName") != template && s(g, "TemplateDisplayName") != template {
            continue;
        }
        if g.get("Values")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            return Err(format!(
                "the `{template}` directory setting has no `Values` list, so its values are unknown"
            ));
        }
        for v in strs_objects(g.get("Values")) {
            if s(v, "Name") == name {
                return Ok(Some(s(v, "Value").to_string()));
            }
        }
    }
    Ok(None)
}

fn m365_group_creation_restricted(snap: &Snapshot) -> Outcome {
    let value = input!(directory_setting(
        snap,
        "Group.Unified",
        "EnableGroupCreation"
    ));
    // Without a Group.Unified setting, every user may create Microsoft 365 groups.
    let allowed = value
        .as_deref()
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    Outcome::verdict(
        !allowed,
        "Only the allowed group's members and admins can create Microsoft 365 groups (EnableGroupCreation is False).",
        format!(
            "Every user can create Microsoft 365 groups (EnableGroupCreation is {}).",
            value.as_deref().unwrap_or("unset, defaulting to True")
        ),
        json!({ "EnableGroupCreation": value }),
    )
}

/// A password-protection value, with Microsoft's default when the setting was never created.
fn password_rule(snap: &Snapshot, name: &str, default: &str) -> Result<(String, bool), String> {
    Ok(
        match directory_setting(snap, "Password Rule Settings", name)? {
            Some(v) => (v, false),
            None => (default.to_string(), true),
        },
    )
}

/// Pass or fail on password-protection values; a pass that rests on one of Microsoft's
/// defaults (`defaulted`: the value was absent from the directory settings) is given only when
/// the export records that the directory settings were read.
fn password_verdict(
    snap: &Snapshot,
    ok: bool,
    defaulted: bool,
    pass: String,
    fail: String,
    evidence: Value,
) -> Outcome {
    if ok && defaulted {
        Outcome::pass_on_empty_read(
            snap,
            "directory_settings",
            "Password Rule Settings value, so Microsoft's default applies",
            &pass,
            evidence,
        )
    } else {
        Outcome::verdict(ok, pass, fail, evidence)
    }
}

fn evidence_of(values: &[(&str, &(String, bool))]) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(k, (v, default))| {
                (
                    (*k).to_string(),
                    json!({ "value": v, "microsoft_default": default }),
                )
            })
            .collect(),
    )
}

fn custom_banned_passwords(snap: &Snapshot) -> Outcome {
    let check = input!(password_rule(snap, "EnableBannedPasswordCheck", "True"));
    let list = input!(password_rule(snap, "BannedPasswordList", ""));
    let words = list
        .0
        .split(['\t', ',', '\n'])
        .filter(|w| !w.trim().is_empty())
        .count();
    password_verdict(
        snap,
        check.0.eq_ignore_ascii_case("true") && words > 0,
        check.1 || list.1,
        format!("The custom banned password list is enforced ({words} entries)."),
        "No custom banned password list is enforced (Password protection > Enforce custom list is off or the list is empty).".to_string(),
        evidence_of(&[
            ("EnableBannedPasswordCheck", &check),
            ("BannedPasswordList_entries", &(words.to_string(), list.1)),
        ]),
    )
}

fn on_premises_password_protection(snap: &Snapshot) -> Outcome {
    let enabled = input!(password_rule(
        snap,
        "EnableBannedPasswordCheckOnPremises",
        "True"
    ));
    let mode = input!(password_rule(
        snap,
        "BannedPasswordCheckOnPremisesMode",
        "Audit"
    ));
    password_verdict(
        snap,
        enabled.0.eq_ignore_ascii_case("true") && mode.0.eq_ignore_ascii_case("enforce"),
        enabled.1 || mode.1,
        "Password protection for Windows Server Active Directory is enabled in Enforced mode."
            .to_string(),
        format!(
            "Password protection for Active Directory is {} in mode {} (CIS wants it enabled and Enforced).",
            if enabled.0.eq_ignore_ascii_case("true") {
                "enabled"
            } else {
                "disabled"
            },
            mode.0
        ),
        evidence_of(&[
            ("EnableBannedPasswordCheckOnPremises", &enabled),
            ("BannedPasswordCheckOnPremisesMode", &mode),
        ]),
    )
}

/// CIS 5.2.3.8: the smart lockout threshold is at most 10 failed sign-ins.
fn lockout_threshold(snap: &Snapshot) -> Outcome {
    let threshold = input!(password_rule(snap, "LockoutThreshold", "10"));
    let n = threshold.0.trim().parse::<i64>().ok();
    password_verdict(
        snap,
        n.is_some_and(|n| (1..=10).contains(&n)),
        threshold.1,
        format!(
            "Smart lockout locks an account after {} failed sign-ins (10 at most).",
            threshold.0
        ),
        format!(
            "Smart lockout threshold is {}: CIS wants 10 or fewer.",
            threshold.0
        ),
        evidence_of(&[("LockoutThreshold", &threshold)]),
    )
}

/// CIS 5.2.3.9: the lockout lasts at least 60 seconds.
fn lockout_duration(snap: &Snapshot) -> Outcome {
    let duration = input!(password_rule(snap, "LockoutDurationInSeconds", "60"));
    let n = duration.0.trim().parse::<i64>().ok();
    password_verdict(
        snap,
        n.is_some_and(|n| n >= 60),
        duration.1,
        format!(
            "A locked-out account stays locked for {} seconds (60 at least).",
            duration.0
        ),
        format!(
            "Smart lockout duration is {} seconds: CIS wants 60 or more.",
            duration.0
        ),
        evidence_of(&[("LockoutDurationInSeconds", &duration)]),
    )
}

/// The given authentication methods must all be disabled.
fn methods_disabled(snap: &Snapshot, ids: &[&str], what: &str) -> Outcome {
    let configs = input!(method_configs(snap));
    let mut states: Vec<Value> = Vec::new();
    for id in ids {
        let state = input!(method_state(&configs, id));
        states.push(json!({ "Id": id, "State": state }));
    }
    let enabled: Vec<String> = states
        .iter()
        .filter(|c| c.get("State").and_then(Value::as_str) == Some("enabled"))
        .map(|c| s(c, "Id").to_string())
        .collect();
    Outcome::verdict(
        enabled.is_empty(),
        format!("The {what} authentication methods are disabled."),
        format!(
            "Enabled in the authentication methods policy: {}.",
            list_ours(&enabled)
        ),
        json!({ "methods": states }),
    )
}

fn sms_and_voice_disabled(snap: &Snapshot) -> Outcome {
    methods_disabled(snap, &["Sms", "Voice"], "SMS and voice call")
}

fn email_otp_disabled(snap: &Snapshot) -> Outcome {
    methods_disabled(snap, &["Email"], "email one-time passcode")
}

fn system_preferred_mfa(snap: &Snapshot) -> Outcome {
    let methods = input!(snap.list("authentication_method"));
    let prefs = methods
        .iter()
        .find_map(|m| m.pointer("/authentication_method_policy/SystemCredentialPreferences"))
        .cloned()
        .unwrap_or(Value::Null);
    let state = s(&prefs, "State");
    let all_users = strs_objects(prefs.get("IncludeTargets"))
        .iter()
        .any(|t| s(t, "Id") == "all_users");
    let excluded = count(prefs.get("ExcludeTargets"));
    Outcome::verdict(
        state == "enabled" && all_users && excluded == 0,
        "System-preferred multifactor authentication is enabled for all users.",
        format!(
            "System-preferred MFA is {} for {} with {excluded} exclusion(s): CIS wants it enabled for all users.",
            match state {
                "" => "not configured",
                "default" => "Microsoft managed (default)",
                "disabled" => "disabled",
                "enabled" => "enabled",
                _ => "set to another value (see the evidence)",
            },
            if all_users {
                "all users"
            } else {
                "only some users"
            }
        ),
        json!({ "SystemCredentialPreferences": prefs }),
    )
}

/// CIS 5.2.3.1: Microsoft Authenticator shows the application name and the geographic location
/// in push notifications, for all users (no exclusions).
fn authenticator_shows_context(snap: &Snapshot) -> Outcome {
    let configs = input!(method_configs(snap));
    let Some(auth) = configs
        .iter()
        .find(|c| s(c, "Id") == "MicrosoftAuthenticator")
    else {
        return Outcome::error(
            "the Microsoft Authenticator configuration is missing from `authentication_method`",
        );
    };
    if s(auth, "State") != "enabled" {
        return Outcome::not_applicable(
            "Microsoft Authenticator is disabled, so no push notification shows context.",
            json!({ "State": s(auth, "State") }),
        );
    }
    let fs = auth.get("FeatureSettings").unwrap_or(&Value::Null);
    let shown = |k: &str| {
        fs.pointer(&format!("/{k}/State")).and_then(Value::as_str) == Some("enabled")
            && fs
                .pointer(&format!("/{k}/IncludeTarget/Id"))
                .and_then(Value::as_str)
                == Some("all_users")
            && fs
                .pointer(&format!("/{k}/ExcludeTarget/Id"))
                .and_then(Value::as_str)
                .is_none_or(|id| id.is_empty() || id == "00000000-0000-0000-0000-000000000000")
    };
    let app = shown("DisplayAppInformationRequiredState");
    let location = shown("DisplayLocationInformationRequiredState");
    Outcome::verdict(
        app && location,
        "Microsoft Authenticator shows the application name and location to all users.",
        format!(
            "Microsoft Authenticator does not show {} to all users.",
            match (app, location) {
                (false, false) => "the application name or the location",
                (false, true) => "the application name",
                _ => "the location",
            }
        ),
        json!({ "show_application_name": app, "show_location": location }),
    )
}

/// CIS 5.2.2.8: sign-ins of high and medium risk are blocked for all users.
fn risky_signins_blocked(snap: &Snapshot) -> Outcome {
    ca_any_p2(
        snap,
        "blocks sign-ins detected as high or medium risk",
        |p| {
            let levels = p.pointer("/Conditions/SignInRiskLevels");
            ca_base(p, true) && contains(levels, "high") && contains(levels, "medium") && blocks(p)
        },
    )
}

/// Application ids of Microsoft Intune Enrollment and of Microsoft Intune.
const INTUNE_APPS: [&str; 2] = [
    "d4ebce55-015a-49b5-a083-c84d1797ae8c",
    "0000000a-0000-0000-c000-000000000000",
];

/// CIS 5.2.2.11: enrolling a device in Intune requires a sign-in every time.
fn intune_enrollment_every_time(snap: &Snapshot) -> Outcome {
    let policies = input!(snap.list("conditional_access_policies"));
    let matching: Vec<String> = policies
        .iter()
        .filter(|p| {
            let u = users(p);
            let frequency = p.pointer("/SessionControls/SignInFrequency");
            s(p, "State") == "enabled"
                && contains(u.get("IncludeUsers"), "All")
                && no_excluded_users(u)
                && INTUNE_APPS
                    .iter()
                    .any(|id| contains(apps(p).get("IncludeApplications"), id))
                && frequency
                    .and_then(|f| f.get("IsEnabled"))
                    .and_then(Value::as_bool)
                    == Some(true)
                && frequency
                    .and_then(|f| f.get("FrequencyInterval"))
                    .and_then(Value::as_str)
                    == Some("everyTime")
        })
        .map(|p| s(p, "DisplayName").to_string())
        .collect();
    Outcome::verdict(
        !matching.is_empty(),
        format!(
            "{} a sign-in every time a device enrols in Intune.",
            n(
                &matching,
                "conditional access policy requires",
                "conditional access policies require"
            )
        ),
        format!(
            "None of the {} conditional access policies requires a sign-in every time for Microsoft Intune Enrollment (all users, no exclusions).",
            policies.len()
        ),
        json!({ "matching_policies": matching, "policies_evaluated": policies.len() }),
    )
    .about(&matching)
}

/// CIS 5.2.2.17: authentication transfer (moving a sign-in from a computer to a phone) is blocked.
fn authentication_transfer_blocked(snap: &Snapshot) -> Outcome {
    ca_any(snap, "blocks authentication transfer", |p| {
        // Graph writes the methods as one comma-separated string.
        ca_base(p, true)
            && strs(p.pointer("/Conditions/AuthenticationFlows/TransferMethods"))
                .iter()
                .flat_map(|m| m.split(','))
                .any(|m| m.trim() == "authenticationTransfer")
            && blocks(p)
    })
}

/// CIS 5.2.2.15: sign-ins from outside the trusted locations are blocked: a blocking policy
/// that includes locations (any, or named ones) and excludes the trusted ones. Which named
/// locations are trusted is not collected: a person confirms the included ones are untrusted.
fn untrusted_locations_blocked(snap: &Snapshot) -> Outcome {
    ca_any(
        snap,
        "blocks sign-ins from locations other than the excluded trusted ones",
        |p| {
            let l = p.pointer("/Conditions/Locations").unwrap_or(&Value::Null);
            ca_base(p, true)
                && count(l.get("IncludeLocations")) > 0
                && count(l.get("ExcludeLocations")) > 0
                && blocks(p)
        },
    )
}

/// CIS 5.2.2.13: a policy for all users and resources (not risk-based) asks everyone to sign in
/// again at least every 7 days.
fn periodic_reauthentication(snap: &Snapshot) -> Outcome {
    ca_any(
        snap,
        "requires signing in again at least every 7 days",
        |p| {
            let f = p
                .pointer("/SessionControls/SignInFrequency")
                .unwrap_or(&Value::Null);
            let risk_based = count(p.pointer("/Conditions/SignInRiskLevels")) > 0
                || count(p.pointer("/Conditions/UserRiskLevels")) > 0;
            let value = f.get("Value").and_then(Value::as_i64);
            let within = match (s(f, "FrequencyInterval"), s(f, "Type")) {
                ("everyTime", _) => true,
                (_, "days") => value.is_some_and(|v| (1..=7).contains(&v)),
                (_, "hours") => value.is_some_and(|v| (1..=168).contains(&v)),
                _ => false,
            };
            ca_base(p, true) && !risk_based && b(f, "IsEnabled") == Some(true) && within
        },
    )
}

/// CIS 5.2.3.10: Microsoft Authenticator Lite (MFA inside companion apps such as Outlook
/// mobile) is disabled.
fn authenticator_lite_disabled(snap: &Snapshot) -> Outcome {
    let configs = input!(method_configs(snap));
    let Some(auth) = configs
        .iter()
        .find(|c| s(c, "Id") == "MicrosoftAuthenticator")
    else {
        return Outcome::error(
            "the Microsoft Authenticator configuration is missing from `authentication_method`",
        );
    };
    let state = auth
        .pointer("/FeatureSettings/CompanionAppAllowedState/State")
        .and_then(Value::as_str);
    Outcome::verdict(
        s(auth, "State") != "enabled" || state == Some("disabled"),
        "Microsoft Authenticator on companion applications (Authenticator Lite) is disabled.",
        format!(
            "Microsoft Authenticator on companion applications is {}: CIS wants it disabled.",
            match state {
                None | Some("default") => "Microsoft managed (default)",
                Some(other) => other,
            }
        ),
        json!({ "authenticator": s(auth, "State"), "CompanionAppAllowedState": state }),
    )
}

/// Activating `role` requires approval: its PIM approval rule must say so (a role whose PIM
/// settings were not exported counts as not requiring it).
fn activation_needs_approval(snap: &Snapshot, role_name: &str) -> Outcome {
    pim_rule(
        snap,
        |roles| {
            let role: Vec<&&Value> = roles
                .iter()
                .filter(|r| s(r, "DisplayName") == role_name)
                .collect();
            if role.is_empty() {
                return vec![format!("{role_name} (no PIM settings exported)")];
            }
            // Each of the role's policies (directory, or its PIM rule sources) needs an approval
            // rule that requires approval; a missing rule counts as not requiring it.
            let approval: Vec<&Value> = role
                .iter()
                .flat_map(|r| rules(r))
                .filter(|rule| s(rule, "Id") == "Approval_EndUser_Assignment")
                .collect();
            if approval.is_empty() {
                return vec![format!("{role_name} (no approval rule)")];
            }
            approval
                .into_iter()
                .filter(|rule| {
                    rule.pointer("/Setting/IsApprovalRequired")
                        .and_then(Value::as_bool)
                        != Some(true)
                })
                .map(rule_source)
                .collect()
        },
        &format!("Activating {role_name} requires approval."),
        &format!("{role_name} can be activated without approval"),
    )
}

/// CIS 5.3.4.
fn global_admin_approval_cis(snap: &Snapshot) -> Outcome {
    activation_needs_approval(snap, GLOBAL_ADMIN)
}

/// CIS 5.3.5.
fn privileged_role_admin_approval(snap: &Snapshot) -> Outcome {
    activation_needs_approval(snap, "Privileged Role Administrator")
}

/// Entra ID checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-AAD-01",
        "Legacy authentication is blocked",
        EntraId,
        Critical,
        legacy_auth_blocked,
        "Legacy protocols (POP, IMAP, SMTP basic auth, Exchange ActiveSync) cannot perform MFA and are the main vector for password spraying.",
        "Create a conditional access policy for all users and all cloud apps, condition client apps 'Exchange ActiveSync clients' and 'Other clients', grant 'Block access'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-block-legacy-authentication"
    ),
    check!(
        "A365-AAD-02",
        "Users detected as high risk are blocked",
        EntraId,
        High,
        high_risk_users_blocked,
        "A user flagged high risk by Entra ID Protection probably has leaked credentials; blocking stops an attacker using them.",
        "Create a conditional access policy for all users and apps with the user-risk condition 'High' and grant 'Block access' (Entra ID P2).",
        "https://learn.microsoft.com/entra/id-protection/howto-identity-protection-configure-risk-policies"
    ),
    check!(
        "A365-AAD-03",
        "Sign-ins detected as high risk are blocked",
        EntraId,
        High,
        high_risk_signins_blocked,
        "High sign-in risk signals token theft, impossible travel or anonymised IPs; blocking such sign-ins stops account takeover in progress.",
        "Create a conditional access policy for all users and apps with the sign-in risk condition 'High' and grant 'Block access' (Entra ID P2).",
        "https://learn.microsoft.com/entra/id-protection/howto-identity-protection-configure-risk-policies"
    ),
    check!(
        "A365-AAD-04",
        "Phishing-resistant MFA is required for all users",
        EntraId,
        High,
        phishing_resistant_all,
        "Phishing-resistant methods (FIDO2, Windows Hello for Business, certificates) defeat adversary-in-the-middle phishing kits that relay ordinary MFA.",
        "Create a conditional access policy for all users and apps with grant 'Require authentication strength: Phishing-resistant MFA'.",
        "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-strengths"
    ),
    check!(
        "A365-AAD-05",
        "MFA is required for all users",
        EntraId,
        Critical,
        mfa_all_users,
        "Passwords alone are phished, sprayed and reused; MFA blocks the vast majority of account compromise.",
        "Create a conditional access policy for all users and all cloud apps with grant 'Require multifactor authentication' or an MFA authentication strength.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-all-users-mfa-strength"
    ),
    check!(
        "A365-AAD-06",
        "Phishing-resistant MFA is required for privileged roles",
        EntraId,
        Critical,
        phishing_resistant_admins,
        "Administrators are the most valuable phishing targets; phishing-resistant MFA protects the keys to the tenant.",
        "Create a conditional access policy that includes every privileged directory role, all cloud apps, with grant 'Require authentication strength: Phishing-resistant MFA'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-admin-phish-resistant-mfa"
    ),
    check!(
        "A365-AAD-07",
        "MFA is required for administrators",
        EntraId,
        Critical,
        mfa_admins,
        "An administrator account protected only by a password is a single phish away from full tenant compromise.",
        "Create a conditional access policy including every administrative role (or all users) and all cloud apps, with grant 'Require multifactor authentication'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-old-require-mfa-admin"
    ),
    check!(
        "A365-AAD-08",
        "Microsoft Authenticator shows sign-in context",
        EntraId,
        Medium,
        authenticator_context,
        "Showing the application and location in push notifications helps users spot and reject MFA fatigue attacks.",
        "In Authentication methods > Microsoft Authenticator > Configure, enable 'Show application name' and 'Show geographic location' for all users and disable software OTP.",
        "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-additional-context"
    ),
    check!(
        "A365-AAD-09",
        "Authentication methods policy migration is complete",
        EntraId,
        Medium,
        migration_complete,
        "Until the migration is complete, legacy MFA and SSPR settings can re-enable methods the new policy disables.",
        "In Entra ID > Authentication methods > Policies > Manage migration, set the state to 'Migration Complete'.",
        "https://learn.microsoft.com/entra/identity/authentication/how-to-authentication-methods-manage"
    ),
    check!(
        "A365-AAD-10",
        "SMS, voice and email authentication are disabled",
        EntraId,
        Medium,
        weak_methods_disabled,
        "SMS and voice codes are exposed to SIM swapping and interception; email codes depend on a mailbox an attacker may already control.",
        "In Entra ID > Authentication methods > Policies, disable SMS, Voice call and Email OTP.",
        "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage"
    ),
    check!(
        "A365-AAD-11",
        "A managed device is required for sign-in",
        EntraId,
        Medium,
        managed_device_required,
        "Requiring a compliant or hybrid-joined device keeps stolen credentials from being used on an attacker's machine.",
        "Create a conditional access policy for all users and apps with grant 'Require device to be marked as compliant' OR 'Require Microsoft Entra hybrid joined device'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-all-users-device-compliance"
    ),
    check!(
        "A365-AAD-12",
        "A managed device is required to register MFA",
        EntraId,
        Medium,
        managed_device_for_registration,
        "An attacker holding a password can register their own MFA method unless registration is tied to a trusted device.",
        "Create a conditional access policy for all users, user action 'Register security information', grant 'Require compliant or hybrid joined device'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-all-users-security-info-registration"
    ),
    check!(
        "A365-AAD-13",
        "Device code flow is blocked",
        EntraId,
        Medium,
        device_code_blocked,
        "Device code phishing tricks users into authorising an attacker's session; few organisations need the flow.",
        "Create a conditional access policy for all users and apps with the authentication flows condition 'Device code flow' and grant 'Block access'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-block-authentication-flows"
    ),
    check!(
        "A365-AAD-14",
        "Sign-in frequency is limited and browser sessions do not persist",
        EntraId,
        Medium,
        admin_session_limited,
        "Short, non-persistent sessions limit how long a stolen session cookie stays useful, especially for administrators.",
        "Create a conditional access policy for administrators (or all users), session controls 'Sign-in frequency' and 'Persistent browser session: Never persistent'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-session-lifetime"
    ),
    check!(
        "A365-AAD-15",
        "Users cannot register applications",
        EntraId,
        Medium,
        users_cannot_register_apps,
        "User-registered applications can be turned into persistence and data-exfiltration channels outside admin review.",
        "In Entra ID > Users > User settings, set 'Users can register applications' to No.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/delegate-app-roles"
    ),
    check!(
        "A365-AAD-16",
        "User consent to applications is restricted",
        EntraId,
        High,
        user_consent_restricted,
        "Consent phishing gets users to grant malicious apps access to mail and files; restricting consent closes that path.",
        "In Enterprise applications > Consent and permissions, select 'Do not allow user consent' (or verified publishers with low-risk permissions only and no risky classifications).",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/configure-user-consent"
    ),
    check!(
        "A365-AAD-17",
        "The admin consent workflow is enabled",
        EntraId,
        Low,
        admin_consent_workflow,
        "With user consent restricted, a workflow lets users request apps so that admins review them instead of users working around the restriction.",
        "In Enterprise applications > Consent and permissions > Admin consent settings, set 'Users can request admin consent' to Yes and choose reviewers.",
        "https://learn.microsoft.com/entra/identity/enterprise-apps/configure-admin-consent-workflow"
    ),
    check!(
        "A365-AAD-18",
        "User passwords do not expire",
        EntraId,
        Low,
        passwords_never_expire,
        "Forced periodic changes push users to predictable passwords; NIST and Microsoft recommend no expiry when MFA is in place.",
        "In the Microsoft 365 admin center > Settings > Org settings > Security & privacy > Password expiration policy, select 'Set passwords to never expire'.",
        "https://learn.microsoft.com/microsoft-365/admin/manage/set-password-expiration-policy"
    ),
    check!(
        "A365-AAD-19",
        "Between two and eight global administrators",
        EntraId,
        High,
        global_admin_count,
        "One global admin is a single point of failure; many global admins multiply the attack surface.",
        "Keep at least two (one may be an emergency account) and at most eight Global Administrators; move others to least-privileged roles.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
    ),
    check!(
        "A365-AAD-20",
        "Fine-grained roles are used instead of Global Administrator",
        EntraId,
        Medium,
        least_privilege,
        "Granting Global Administrator where a narrower role suffices violates least privilege.",
        "Review privileged users and assign service-specific roles (Exchange, SharePoint, User Administrator...) instead of Global Administrator.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/delegate-by-task"
    ),
    check!(
        "A365-AAD-21",
        "Privileged users are cloud-only accounts",
        EntraId,
        High,
        cloud_only_admins,
        "Synchronised admin accounts let an on-premises Active Directory compromise spread to the cloud tenant.",
        "Create dedicated cloud-only accounts for administrative roles and remove roles from synchronised accounts.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/security-planning"
    ),
    check!(
        "A365-AAD-22",
        "No guest account holds a privileged role",
        EntraId,
        High,
        no_guest_admins,
        "A guest account is governed by another organisation; giving it a privileged role hands control to an identity you do not manage.",
        "In Entra ID > Roles and administrators, remove privileged role assignments held by guest (B2B) accounts.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
    ),
    check!(
        "A365-AAD-23",
        "No permanent active privileged assignments",
        EntraId,
        High,
        no_permanent_assignments,
        "Standing privilege gives attackers a permanent target; just-in-time activation narrows the window.",
        "In Privileged Identity Management, convert permanent active assignments to eligible assignments (keep only emergency accounts permanent).",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-configure"
    ),
    check!(
        "A365-AAD-24",
        "Privileged roles are assigned through PIM",
        EntraId,
        Medium,
        assigned_through_pim,
        "Assignments made outside PIM bypass its approval, justification and expiry controls.",
        "Remove role assignments made directly in Entra ID and re-create them in Privileged Identity Management.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-how-to-add-role-to-user"
    ),
    check!(
        "A365-AAD-25",
        "Activating Global Administrator requires approval",
        EntraId,
        Medium,
        global_admin_approval,
        "Approval adds a second person before the most powerful role becomes active.",
        "In PIM > Microsoft Entra roles > Settings > Global Administrator, enable 'Require approval to activate' and select approvers.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-how-to-change-default-settings"
    ),
    check!(
        "A365-AAD-26",
        "Privileged role assignments raise alerts",
        EntraId,
        Low,
        assignment_alerts,
        "Alerts on new assignments let the security team spot privilege escalation quickly.",
        "In PIM role settings, add notification recipients for 'Send notifications when members are assigned as eligible/active'.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-email-notifications"
    ),
    check!(
        "A365-AAD-27",
        "Global Administrator activations raise alerts",
        EntraId,
        Medium,
        global_admin_activation_alert,
        "Every activation of Global Administrator should be visible to the security team.",
        "In PIM > Global Administrator settings, add a recipient for 'Send notifications when eligible members activate this role'.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-email-notifications"
    ),
    check!(
        "A365-AAD-28",
        "Guest users have restricted directory access",
        EntraId,
        Medium,
        guest_access_restricted,
        "Guests with member-level access can enumerate users, groups and devices, aiding reconnaissance.",
        "In External Identities > External collaboration settings, set guest user access to 'Limited access' or 'Restricted access'.",
        "https://learn.microsoft.com/entra/external-id/external-collaboration-settings-configure"
    ),
    check!(
        "A365-AAD-29",
        "Only admins and guest inviters can invite guests",
        EntraId,
        Medium,
        guest_invites_limited,
        "Unrestricted invitations let any user bring external identities into the tenant without review.",
        "In External collaboration settings, set guest invite restrictions to 'Only users assigned to specific admin roles can invite guest users'.",
        "https://learn.microsoft.com/entra/external-id/external-collaboration-settings-configure"
    ),
    check!(
        "A365-AAD-30",
        "Non-admin users cannot create tenants",
        EntraId,
        Low,
        users_cannot_create_tenants,
        "Users creating tenants produce unmanaged directories outside the organisation's security controls.",
        "In Entra ID > Users > User settings, set 'Restrict non-admin users from creating tenants' to Yes.",
        "https://learn.microsoft.com/entra/fundamentals/users-default-permissions"
    ),
    check!(
        "A365-AAD-31",
        "Entra ID logs are sent to a SIEM",
        EntraId,
        Medium,
        sign_in_logs_to_siem,
        "Sign-in and audit logs are the primary evidence of identity attacks and must reach the security monitoring platform.",
        "In Entra ID > Monitoring > Diagnostic settings, stream AuditLogs and SignInLogs to your SIEM (for example Microsoft Sentinel).",
        "https://learn.microsoft.com/entra/identity/monitoring-health/howto-configure-diagnostic-settings"
    ),
    check!(
        "A365-AAD-32",
        "Between two and four global administrators",
        EntraId,
        High,
        global_admin_count_cis,
        "One Global Administrator is a single point of failure; more than four widens the most powerful attack surface in the tenant.",
        "Keep two to four Global Administrators (emergency access accounts included); move the others to least-privileged roles.",
        "https://learn.microsoft.com/entra/identity/role-based-access-control/best-practices"
    ),
    check!(
        "A365-AAD-33",
        "High-risk users must pass MFA and change their password",
        EntraId,
        High,
        user_risk_mfa_and_password_change,
        "A user flagged high risk by Entra ID Protection probably has a leaked password; requiring MFA and a password change lets the real owner recover the account and locks the attacker out.",
        "Create a conditional access policy for all users and all cloud apps with the user-risk condition 'High', grant access requiring both 'Require multifactor authentication' and 'Require password change' (require all the selected controls), and turn it on (Entra ID P2).",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-risk-based-user"
    ),
    check!(
        "A365-AAD-34",
        "Risky sign-ins must pass MFA every time",
        EntraId,
        High,
        signin_risk_mfa_every_time,
        "A sign-in flagged medium or high risk may not be the account's owner; requiring MFA at that very sign-in, with no remembered session, stops an attacker holding only the password.",
        "Create a conditional access policy for all users and all cloud apps with the sign-in risk condition 'High' and 'Medium', grant 'Require multifactor authentication', set session 'Sign-in frequency' to 'Every time', and turn it on (Entra ID P2).",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-risk-based-sign-in"
    ),
    check!(
        "A365-AAD-35",
        "Activations of other privileged roles raise alerts",
        EntraId,
        Low,
        other_role_activation_alerts,
        "An alert on each activation of a privileged role lets the security team spot misuse while it happens.",
        "In Entra ID > Privileged Identity Management > Microsoft Entra roles > Settings, for each privileged role add an e-mail recipient to 'Send notifications when eligible members activate this role'.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-how-to-change-default-settings"
    ),
    check!(
        "A365-AAD-36",
        "Non-admin users cannot create security groups",
        EntraId,
        Low,
        users_cannot_create_security_groups,
        "Security groups grant access to resources; when anyone can create them, group sprawl hides who has access to what.",
        "In Entra ID > Groups > General, set 'Users can create security groups in Azure portals, API or PowerShell' to No.",
        "https://learn.microsoft.com/entra/identity/users/groups-self-service-management"
    ),
    check!(
        "A365-AAD-37",
        "Microsoft 365 group creation is restricted",
        EntraId,
        Low,
        m365_group_creation_restricted,
        "Each Microsoft 365 group creates a mailbox, a SharePoint site and a team; unrestricted creation spreads data beyond governance.",
        "Create the Group.Unified directory setting with EnableGroupCreation = False and GroupCreationAllowedGroupId set to the group allowed to create groups.",
        "https://learn.microsoft.com/microsoft-365/solutions/manage-creation-of-groups"
    ),
    check!(
        "A365-AAD-38",
        "Users cannot read the BitLocker keys of their own devices",
        EntraId,
        Medium,
        users_cannot_read_bitlocker_keys,
        "A stolen account that can read BitLocker recovery keys can unlock the disk of a stolen laptop.",
        "In Entra ID > Devices > Device settings, set 'Restrict users from recovering the BitLocker key(s) for their owned devices' to Yes.",
        "https://learn.microsoft.com/entra/identity/devices/manage-device-identities"
    ),
    check!(
        "A365-AAD-39",
        "A custom banned password list is enforced",
        EntraId,
        Medium,
        custom_banned_passwords,
        "Words tied to the organisation (its name, products, places) are what attackers try first; banning them blocks predictable passwords.",
        "In Entra ID > Authentication methods > Password protection, set 'Enforce custom list' to Yes and add the organisation's words to the custom banned password list.",
        "https://learn.microsoft.com/entra/identity/authentication/tutorial-configure-custom-password-protection"
    ),
    check!(
        "A365-AAD-40",
        "Password protection is enforced for Active Directory",
        EntraId,
        Medium,
        on_premises_password_protection,
        "Banned-password checks in the cloud do not reach passwords changed on domain controllers unless on-premises password protection enforces them.",
        "In Entra ID > Authentication methods > Password protection, set 'Enable password protection on Windows Server Active Directory' to Yes and the mode to Enforced.",
        "https://learn.microsoft.com/entra/identity/authentication/howto-password-ban-bad-on-premises-operations"
    ),
    check!(
        "A365-AAD-41",
        "Smart lockout locks an account after 10 failed sign-ins at most",
        EntraId,
        Medium,
        lockout_threshold,
        "A low lockout threshold limits how many passwords an attacker can try against an account.",
        "In Entra ID > Authentication methods > Password protection, set 'Lockout threshold' to 10 or fewer.",
        "https://learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout"
    ),
    check!(
        "A365-AAD-42",
        "Smart lockout lasts at least 60 seconds",
        EntraId,
        Low,
        lockout_duration,
        "A lockout that lasts at least a minute slows password guessing enough to make it impractical.",
        "In Entra ID > Authentication methods > Password protection, set 'Lockout duration in seconds' to 60 or more.",
        "https://learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout"
    ),
    check!(
        "A365-AAD-43",
        "SMS and voice call authentication are disabled",
        EntraId,
        Medium,
        sms_and_voice_disabled,
        "Codes sent by SMS or voice call can be intercepted through SIM swapping and telephone network attacks.",
        "In Entra ID > Authentication methods > Policies, set SMS and Voice call to disabled (after moving users to stronger methods).",
        "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage"
    ),
    check!(
        "A365-AAD-44",
        "Email one-time passcode authentication is disabled",
        EntraId,
        Low,
        email_otp_disabled,
        "A one-time passcode sent by email is only as strong as the mailbox it goes to.",
        "In Entra ID > Authentication methods > Policies, set Email OTP to disabled.",
        "https://learn.microsoft.com/entra/identity/authentication/concept-authentication-methods-manage"
    ),
    check!(
        "A365-AAD-45",
        "System-preferred multifactor authentication is enabled",
        EntraId,
        Medium,
        system_preferred_mfa,
        "System-preferred MFA prompts each user for the strongest method they registered, not a weaker default.",
        "In Entra ID > Authentication methods > Settings, set 'System-preferred multifactor authentication' to Enabled for all users, with no exclusions.",
        "https://learn.microsoft.com/entra/identity/authentication/concept-system-preferred-multifactor-authentication"
    ),
    check!(
        "A365-AAD-46",
        "Microsoft Authenticator shows the application and location",
        EntraId,
        Medium,
        authenticator_shows_context,
        "Showing which application and where a sign-in comes from helps users refuse push requests they did not start (MFA fatigue).",
        "In Entra ID > Authentication methods > Microsoft Authenticator > Configure, enable 'Show application name in push and passwordless notifications' and 'Show geographic location' for all users.",
        "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-additional-context"
    ),
    check!(
        "A365-AAD-47",
        "High and medium risk sign-ins are blocked",
        EntraId,
        High,
        risky_signins_blocked,
        "A sign-in that Identity Protection judges medium or high risk is likely an attacker; blocking it stops the attempt outright.",
        "Create a conditional access policy for all users and all cloud apps with sign-in risk 'High' and 'Medium' and grant 'Block access', and turn it on (Entra ID P2).",
        "https://learn.microsoft.com/entra/id-protection/howto-identity-protection-configure-risk-policies"
    ),
    check!(
        "A365-AAD-48",
        "Enrolling a device in Intune requires a sign-in every time",
        EntraId,
        Medium,
        intune_enrollment_every_time,
        "Requiring a fresh sign-in to enrol a device stops a stolen session token from enrolling an attacker's device as managed.",
        "Create a conditional access policy for all users targeting 'Microsoft Intune Enrollment', set session 'Sign-in frequency' to 'Every time', and turn it on.",
        "https://learn.microsoft.com/mem/intune/enrollment/multi-factor-authentication"
    ),
    check!(
        "A365-AAD-49",
        "Authentication transfer is blocked",
        EntraId,
        Medium,
        authentication_transfer_blocked,
        "Authentication transfer moves an authenticated session to another device; attackers abuse it to carry a victim's sign-in over.",
        "Create a conditional access policy for all users and all cloud apps with the 'Authentication flows' condition 'Authentication transfer' and grant 'Block access'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-block-authentication-flows"
    ),
    check!(
        "A365-AAD-50",
        "Sign-ins from untrusted locations are blocked",
        EntraId,
        Medium,
        untrusted_locations_blocked,
        "Blocking sign-ins outside the organisation's trusted named locations shuts out attackers who hold valid credentials elsewhere.",
        "Define trusted named locations, then create a conditional access policy for all users and cloud apps with locations 'Any location' excluding 'All trusted locations' and grant 'Block access'.",
        "https://learn.microsoft.com/entra/identity/conditional-access/policy-block-by-location"
    ),
    check!(
        "A365-AAD-51",
        "Activating Privileged Role Administrator requires approval",
        EntraId,
        Medium,
        privileged_role_admin_approval,
        "Privileged Role Administrator can grant any role, Global Administrator included; approval puts a second person in front of it.",
        "In PIM > Microsoft Entra roles > Settings > Privileged Role Administrator, enable 'Require approval to activate' and select approvers.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-how-to-change-default-settings"
    ),
    check!(
        "A365-AAD-52",
        "Activating Global Administrator requires approval (CIS)",
        EntraId,
        Medium,
        global_admin_approval_cis,
        "Approval adds a second person before the most powerful role becomes active; CIS counts a role without an approval rule as not compliant.",
        "In PIM > Microsoft Entra roles > Settings > Global Administrator, enable 'Require approval to activate' and select approvers.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-how-to-change-default-settings"
    ),
    check!(
        "A365-AAD-53",
        "Microsoft Authenticator Lite is disabled",
        EntraId,
        Low,
        authenticator_lite_disabled,
        "Authenticator Lite lets companion apps such as Outlook mobile approve MFA prompts, outside the device controls that apply to Microsoft Authenticator.",
        "In Entra ID > Authentication methods > Microsoft Authenticator > Configure, set 'Microsoft Authenticator on companion applications' to Disabled.",
        "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-authenticator-lite"
    ),
    check!(
        "A365-AAD-54",
        "Everyone signs in again at least every 7 days",
        EntraId,
        Medium,
        periodic_reauthentication,
        "Entra ID keeps a session for 90 rolling days by default; periodic reauthentication limits how long a stolen session token stays useful.",
        "Create a conditional access policy for all users and all resources with session 'Sign-in frequency' set to 7 days or less (periodic reauthentication), and turn it on.",
        "https://learn.microsoft.com/entra/identity/conditional-access/concept-session-lifetime"
    ),
    undecided!(
        "A365-AAD-55",
        "Administrators are notified when high-risk users are detected",
        EntraId,
        Low,
        NotImplemented,
        "in Entra > Protection > Identity Protection > Notifications that the users-at-risk alert goes to a monitored administrator address (alert on High).",
        "A compromised account acts unnoticed until someone is told it is at risk.",
        "In Entra ID Protection > Notifications > Users at risk detected alerts, add a monitored recipient and set the alert level to High.",
        "https://learn.microsoft.com/entra/id-protection/howto-identity-protection-configure-notifications"
    ),
    undecided!(
        "A365-AAD-56",
        "Guest invitations are limited to authorised external domains",
        EntraId,
        Low,
        NotImplemented,
        "in Entra > External Identities > External collaboration settings that collaboration restrictions allow invitations only to the domains the agency has authorised.",
        "Invitations to any domain let guests from unknown organisations into the tenant.",
        "In External collaboration settings > Collaboration restrictions, choose Allow invitations only to the specified domains and list the authorised ones.",
        "https://learn.microsoft.com/entra/external-id/allow-deny-list"
    ),
];
