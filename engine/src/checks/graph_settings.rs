//! CIS checks over tenant settings Microsoft Graph serves and ScubaGear's export does not
//! carry, read live into the snapshot's `aether365` section (Graph's own camelCase property
//! names): the Microsoft 365 admin center's idle session timeout, apps and services and Forms
//! settings; Intune's compliance default and enrolment restrictions; the B2B collaboration
//! domain list; named locations; access reviews. Token protection reads the conditional access
//! policies of ScubaGear's export, whose `SessionControls` keep `SecureSignInSession`.
//!
//! All are Entra ID checks by service (Intune and the admin center have no service of their
//! own in [`crate::model::Service`]); their titles say which product the setting belongs to.

use serde_json::{Value, json};

use super::{b, check, i, input, n, name_of, s, strs};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

/// `aether365` keys (the engine's [`crate::snapshot::AETHER365_SOURCES`]).
const TIMEOUT: &str = "activity_based_timeout_policies";
const APPS_AND_SERVICES: &str = "apps_and_services";
const FORMS: &str = "forms_settings";
const INTUNE_SETTINGS: &str = "device_management_settings";
const ENROLMENT: &str = "device_enrollment_configurations";
const DEVICE_REGISTRATION: &str = "device_registration_policy";
const B2B: &str = "b2b_management_policies";
const NAMED_LOCATIONS: &str = "named_locations";
const ACCESS_REVIEWS: &str = "access_review_definitions";

/// A Graph setting object (`{"settings": {...}}` of `admin/forms`, `admin/appsAndServices`,
/// `deviceManagement`): its `settings`, or why it cannot be used.
fn settings_of<'a>(snap: &'a Snapshot, key: &str) -> Result<&'a Value, String> {
    let rows = snap.rows(key)?;
    let Some(first) = rows.first().copied() else {
        return Err(format!("`{key}` is empty"));
    };
    match first.get("settings") {
        Some(v @ Value::Object(_)) => Ok(v),
        _ => Err(format!(
            "`{key}` has no `settings` object: its shape is unknown"
        )),
    }
}

/// A boolean a setting object must carry; its absence is an unknown shape, never a pass.
fn flag(v: &Value, key: &str, group: &str) -> Result<bool, String> {
    b(v, key).ok_or_else(|| format!("`{group}` has no boolean `{key}`"))
}

/// The rules of an STS policy (activity-based timeout, B2B management): Graph serves its
/// `definition` as a list holding one JSON document as text.
fn definition(p: &Value, group: &str) -> Result<Value, String> {
    let text = strs(p.get("definition"))
        .into_iter()
        .next()
        .ok_or_else(|| format!("a policy in `{group}` has no `definition`"))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("a policy in `{group}` has a `definition` that is not JSON ({e})"))
}

/// The policy of a group of STS policies that is in force: the organisation default, else the
/// only one.
fn in_force<'a>(pols: &[&'a Value]) -> Option<&'a Value> {
    pols.iter()
        .find(|p| b(p, "isOrganizationDefault") == Some(true))
        .or_else(|| if pols.len() == 1 { pols.first() } else { None })
        .copied()
}

// ---------- 1.3.2 idle session timeout ----------

/// CIS's longest idle session timeout for unmanaged devices: three hours.
const MAX_IDLE_SECONDS: i64 = 3 * 3600;

/// A .NET TimeSpan as Graph writes it in the timeout policy (`[d.]hh:mm:ss`), in seconds.
fn timespan_seconds(t: &str) -> Option<i64> {
    let (days, rest) = match t.split_once('.') {
        Some((d, r)) if r.contains(':') && !d.contains(':') => (d.parse::<i64>().ok()?, r),
        _ => (0, t),
    };
    let parts: Vec<i64> = rest
        .split(':')
        .map(|p| p.split('.').next().unwrap_or(p).parse::<i64>().ok())
        .collect::<Option<Vec<_>>>()?;
    let [h, m, sec] = parts.as_slice() else {
        return None;
    };
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
}

/// CIS 1.3.2: the Microsoft 365 idle session timeout (the organisation's activity-based
/// timeout policy, application `default`) signs web sessions out after three hours or less.
fn idle_session_timeout(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list(TIMEOUT));
    let Some(policy) = in_force(&pols) else {
        if pols.is_empty() {
            return match snap.empty_read(TIMEOUT) {
                Ok(cmd) => Outcome::fail(
                    format!(
                        "No idle session timeout is set ({cmd} returned no activity-based timeout policy)."
                    ),
                    json!({ "policies": 0 }),
                ),
                Err(reason) => Outcome::error(reason),
            };
        }
        return Outcome::error(format!(
            "`{TIMEOUT}` holds several policies and none is the organisation default"
        ));
    };
    let def = input!(definition(policy, TIMEOUT));
    let apps = def
        .pointer("/ActivityBasedTimeoutPolicy/ApplicationPolicies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let default = apps
        .iter()
        .find(|a| s(a, "ApplicationId").eq_ignore_ascii_case("default"));
    let Some(default) = default else {
        return Outcome::fail(
            "The idle session timeout policy sets no timeout for all applications (`default`).",
            json!({ "definition": def }),
        );
    };
    let text = s(default, "WebSessionIdleTimeout");
    let Some(secs) = timespan_seconds(text) else {
        return Outcome::error(format!(
            "the `default` application of `{TIMEOUT}` has no readable `WebSessionIdleTimeout`"
        ));
    };
    // Our own rendering of the parsed duration, never the tenant's text.
    let after = format!("{}h{:02}m{:02}s", secs / 3600, secs % 3600 / 60, secs % 60);
    Outcome::verdict(
        (1..=MAX_IDLE_SECONDS).contains(&secs),
        format!("Idle web sessions are signed out after {after}, at most three hours."),
        format!("Idle web sessions are signed out after {after}, not within three hours."),
        json!({ "web_session_idle_timeout": text, "seconds": secs, "maximum_seconds": MAX_IDLE_SECONDS }),
    )
    .about(&[name_of_graph(policy)])
}

/// A display name for a Graph object (`displayName`, else `id`).
fn name_of_graph(v: &Value) -> String {
    match (s(v, "displayName"), s(v, "id")) {
        ("", "") => name_of(v),
        ("", id) => id.to_string(),
        (name, _) => name.to_string(),
    }
}

// ---------- 1.3.4, 1.3.5 Microsoft 365 admin center ----------

/// CIS 1.3.4: users can neither reach the Office Store nor start trials on behalf of the
/// organisation (`isOfficeStoreEnabled` and `isAppAndServicesTrialEnabled` both false).
fn user_owned_apps_restricted(snap: &Snapshot) -> Outcome {
    let set = input!(settings_of(snap, APPS_AND_SERVICES));
    let store = input!(flag(set, "isOfficeStoreEnabled", APPS_AND_SERVICES));
    let trials = input!(flag(set, "isAppAndServicesTrialEnabled", APPS_AND_SERVICES));
    Outcome::verdict(
        !store && !trials,
        "Users can neither open the Office Store nor start trials for the organisation.",
        "Users can open the Office Store or start trials on behalf of the organisation.",
        json!({ "isOfficeStoreEnabled": store, "isAppAndServicesTrialEnabled": trials }),
    )
}

/// CIS 1.3.5: Microsoft Forms scans forms for phishing (`isInOrgFormsPhishingScanEnabled`).
fn forms_phishing_protection(snap: &Snapshot) -> Outcome {
    let set = input!(settings_of(snap, FORMS));
    let on = input!(flag(set, "isInOrgFormsPhishingScanEnabled", FORMS));
    Outcome::verdict(
        on,
        "Internal phishing protection for Microsoft Forms is on.",
        "Internal phishing protection for Microsoft Forms is off.",
        json!({ "isInOrgFormsPhishingScanEnabled": on }),
    )
}

// ---------- 4.1, 4.2 Intune ----------

/// CIS 4.1: Intune marks devices with no compliance policy assigned as not compliant
/// (`deviceManagement.settings.secureByDefault`).
fn no_policy_not_compliant(snap: &Snapshot) -> Outcome {
    let set = input!(settings_of(snap, INTUNE_SETTINGS));
    let secure = input!(flag(set, "secureByDefault", INTUNE_SETTINGS));
    Outcome::verdict(
        secure,
        "Intune marks devices without a compliance policy as not compliant.",
        "Intune marks devices without a compliance policy as compliant.",
        json!({ "secureByDefault": secure }),
    )
}

/// The platforms of Intune's default platform restriction that CIS 4.2 names (Windows
/// Mobile is retired and left out).
const ENROLMENT_PLATFORMS: &[(&str, &str)] = &[
    ("windowsRestriction", "Windows"),
    ("iosRestriction", "iOS/iPadOS"),
    ("androidRestriction", "Android"),
    ("macOSRestriction", "macOS"),
];

/// CIS 4.2: Intune's default device platform restriction blocks personally owned devices on
/// every platform (or the platform itself).
fn personal_enrolment_blocked(snap: &Snapshot) -> Outcome {
    let configs = input!(snap.rows(ENROLMENT));
    let restrictions: Vec<&&Value> = configs
        .iter()
        .filter(|c| {
            s(c, "@odata.type")
                == "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration"
        })
        .collect();
    let default = restrictions
        .iter()
        .find(|c| s(c, "id").ends_with("_DefaultPlatformRestrictions"))
        .or_else(|| restrictions.iter().find(|c| i(c, "priority") == Some(0)));
    let Some(default) = default else {
        return Outcome::error(format!(
            "`{ENROLMENT}` has no default platform restriction, but every Intune tenant has one: the read is incomplete"
        ));
    };
    let (mut blocked, mut open) = (Vec::new(), Vec::new());
    for (field, platform) in ENROLMENT_PLATFORMS {
        let Some(r) = default.get(*field).filter(|r| r.is_object()) else {
            return Outcome::error(format!(
                "the default platform restriction in `{ENROLMENT}` has no `{field}`"
            ));
        };
        let whole = input!(flag(r, "platformBlocked", ENROLMENT));
        let personal = input!(flag(r, "personalDeviceEnrollmentBlocked", ENROLMENT));
        if whole || personal {
            blocked.push(*platform);
        } else {
            open.push(*platform);
        }
    }
    Outcome::verdict(
        open.is_empty(),
        "The default enrolment restriction blocks personally owned devices on Windows, iOS/iPadOS, Android and macOS.",
        format!(
            "The default enrolment restriction lets personally owned devices enrol on {}.",
            open.join(", ")
        ),
        json!({ "blocked_platforms": blocked, "personal_devices_allowed": open }),
    )
}

// ---------- 5.1.4.x device registration ----------

/// The device registration policy (a single object).
fn registration(snap: &Snapshot) -> Result<&Value, String> {
    snap.rows(DEVICE_REGISTRATION)?
        .first()
        .copied()
        .ok_or_else(|| format!("`{DEVICE_REGISTRATION}` is empty"))
}

/// The kind of a `deviceRegistrationMembership` at `pointer`: `all`, `selected` or `none`.
fn membership(policy: &Value, pointer: &str) -> Result<&'static str, String> {
    let t = policy
        .pointer(pointer)
        .and_then(|m| m.get("@odata.type"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{DEVICE_REGISTRATION}` has no membership type at `{pointer}`"))?;
    match t.trim_start_matches('#') {
        "microsoft.graph.allDeviceRegistrationMembership" => Ok("all"),
        "microsoft.graph.enumeratedDeviceRegistrationMembership" => Ok("selected"),
        "microsoft.graph.noDeviceRegistrationMembership" => Ok("none"),
        _ => Err(format!(
            "`{DEVICE_REGISTRATION}` has an unknown membership type at `{pointer}`"
        )),
    }
}

/// CIS 5.1.4.1: only selected users (or none) may join devices to Entra ID.
fn join_restricted(snap: &Snapshot) -> Outcome {
    let policy = input!(registration(snap));
    let who = input!(membership(policy, "/azureADJoin/allowedToJoin"));
    Outcome::verdict(
        who != "all",
        format!("Joining devices to Entra ID is limited ({who})."),
        "All users may join devices to Entra ID.",
        json!({ "allowedToJoin": who }),
    )
}

/// CIS 5.1.4.2: the largest number of devices per user CIS allows.
const MAX_DEVICES_PER_USER: i64 = 20;

/// CIS 5.1.4.2: a user may register or join at most 20 devices.
fn device_quota(snap: &Snapshot) -> Outcome {
    let policy = input!(registration(snap));
    let Some(quota) = i(policy, "userDeviceQuota") else {
        return Outcome::error(format!(
            "`{DEVICE_REGISTRATION}` has no number `userDeviceQuota`"
        ));
    };
    Outcome::verdict(
        (0..=MAX_DEVICES_PER_USER).contains(&quota),
        format!("A user may have at most {quota} devices (20 or fewer)."),
        format!("A user may have {quota} devices, more than 20."),
        json!({ "userDeviceQuota": quota, "maximum": MAX_DEVICES_PER_USER }),
    )
}

/// CIS 5.1.4.3: Global Administrators are not made local administrators of joined devices.
fn global_admins_not_local_admins(snap: &Snapshot) -> Outcome {
    let policy = input!(registration(snap));
    let Some(on) = policy
        .pointer("/azureADJoin/localAdmins/enableGlobalAdmins")
        .and_then(Value::as_bool)
    else {
        return Outcome::error(format!(
            "`{DEVICE_REGISTRATION}` has no boolean `azureADJoin.localAdmins.enableGlobalAdmins`"
        ));
    };
    Outcome::verdict(
        !on,
        "Global Administrators are not added as local administrators when a device joins Entra ID.",
        "Global Administrators are added as local administrators of every device joined to Entra ID.",
        json!({ "enableGlobalAdmins": on }),
    )
}

/// CIS 5.1.4.4: the user who joins a device becomes its local administrator only when
/// selected (or never).
fn registering_user_not_local_admin(snap: &Snapshot) -> Outcome {
    let policy = input!(registration(snap));
    let who = input!(membership(
        policy,
        "/azureADJoin/localAdmins/registeringUsers"
    ));
    Outcome::verdict(
        who != "all",
        format!(
            "Registering users become local administrators of joined devices only when selected ({who})."
        ),
        "Every user who joins a device to Entra ID becomes its local administrator.",
        json!({ "registeringUsers": who }),
    )
}

/// CIS 5.1.4.5: the Local Administrator Password Solution is on for Entra ID.
fn laps_enabled(snap: &Snapshot) -> Outcome {
    let policy = input!(registration(snap));
    let Some(on) = policy
        .pointer("/localAdminPassword/isEnabled")
        .and_then(Value::as_bool)
    else {
        return Outcome::error(format!(
            "`{DEVICE_REGISTRATION}` has no boolean `localAdminPassword.isEnabled`"
        ));
    };
    Outcome::verdict(
        on,
        "Microsoft Entra Local Administrator Password Solution (LAPS) is enabled.",
        "Microsoft Entra Local Administrator Password Solution (LAPS) is disabled.",
        json!({ "localAdminPassword": { "isEnabled": on } }),
    )
}

// ---------- 5.1.6.1 B2B collaboration domains ----------

/// CIS 5.1.6.1: invitations may be sent only to listed domains (the B2B management policy's
/// `InvitationsAllowedAndBlockedDomainsPolicy` holds `AllowedDomains`). No policy is the
/// default, which allows every domain.
fn invitations_to_allowed_domains(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list(B2B));
    let Some(policy) = in_force(&pols) else {
        if pols.is_empty() {
            return match snap.empty_read(B2B) {
                Ok(cmd) => Outcome::fail(
                    format!(
                        "Invitations may be sent to any domain ({cmd} returned no B2B management policy)."
                    ),
                    json!({ "policies": 0 }),
                ),
                Err(reason) => Outcome::error(reason),
            };
        }
        return Outcome::error(format!(
            "`{B2B}` holds several policies and none is the organisation default"
        ));
    };
    let def = input!(definition(policy, B2B));
    let domains = def.pointer("/B2BManagementPolicy/InvitationsAllowedAndBlockedDomainsPolicy");
    let allowed = domains.and_then(|d| d.get("AllowedDomains"));
    let blocked = domains.and_then(|d| d.get("BlockedDomains"));
    let allow_list = matches!(allowed, Some(Value::Array(_)));
    let count = allowed.and_then(Value::as_array).map_or(0, Vec::len);
    Outcome::verdict(
        allow_list,
        format!("Invitations may be sent only to {count} allowed domains."),
        if matches!(blocked, Some(Value::Array(_))) {
            "Invitations may be sent to every domain but a blocked list.".to_string()
        } else {
            "Invitations may be sent to any domain.".to_string()
        },
        json!({ "allowed_domains": allowed, "blocked_domains": blocked }),
    )
}

// ---------- 5.2.2.14 named locations, 5.2.2.16 token protection ----------

/// CIS 5.2.2.14: at least one IP named location is marked trusted.
fn trusted_named_location(snap: &Snapshot) -> Outcome {
    let locs = input!(snap.list(NAMED_LOCATIONS));
    if locs.is_empty()
        && let Err(reason) = snap.empty_read(NAMED_LOCATIONS)
    {
        return Outcome::error(reason);
    }
    let trusted: Vec<String> = locs
        .iter()
        .filter(|l| s(l, "@odata.type") == "#microsoft.graph.ipNamedLocation")
        .filter(|l| b(l, "isTrusted") == Some(true))
        .map(|l| name_of_graph(l))
        .collect();
    Outcome::verdict(
        !trusted.is_empty(),
        format!(
            "{} defined.",
            n(
                &trusted,
                "trusted IP named location is",
                "trusted IP named locations are"
            )
        ),
        format!(
            "No trusted IP named location is defined ({} named locations read).",
            locs.len()
        ),
        json!({ "trusted_locations": trusted, "named_locations": locs.len() }),
    )
    .about(&trusted)
}

/// Office 365 Exchange Online's and SharePoint Online's application ids.
const EXCHANGE_APP: &str = "00000002-0000-0ff1-ce00-000000000000";
const SHAREPOINT_APP: &str = "00000003-0000-0ff1-ce00-000000000000";

/// Whether a conditional access policy enforces token protection as CIS 5.2.2.16 describes:
/// on, for some users, for Exchange Online and SharePoint Online (or Office 365), on
/// Windows, for mobile apps and desktop clients.
fn protects_tokens(p: &Value) -> Result<bool, String> {
    let session = p.get("SessionControls").filter(|v| v.is_object());
    let Some(session) = session else {
        return Ok(false);
    };
    let Some(secure) = session
        .as_object()
        .and_then(|o| o.get("SecureSignInSession"))
    else {
        return Err(
            "a conditional access policy's `SessionControls` has no `SecureSignInSession`: the export's shape does not carry token protection"
                .to_string(),
        );
    };
    if secure.get("IsEnabled").and_then(Value::as_bool) != Some(true) {
        return Ok(false);
    }
    let apps = strs(p.pointer("/Conditions/Applications/IncludeApplications"));
    let has = |id: &str| apps.iter().any(|a| a == id || a == "Office365");
    let platforms = strs(p.pointer("/Conditions/Platforms/IncludePlatforms"));
    let clients = strs(p.pointer("/Conditions/ClientAppTypes"));
    let users = strs(p.pointer("/Conditions/Users/IncludeUsers"));
    let groups = strs(p.pointer("/Conditions/Users/IncludeGroups"));
    let roles = strs(p.pointer("/Conditions/Users/IncludeRoles"));
    let someone = users.iter().any(|u| u != "None") || !groups.is_empty() || !roles.is_empty();
    Ok(s(p, "State") == "enabled"
        && someone
        && has(EXCHANGE_APP)
        && has(SHAREPOINT_APP)
        && platforms.iter().any(|x| x == "windows" || x == "all")
        && clients.iter().any(|c| c == "mobileAppsAndDesktopClients"))
}

/// CIS 5.2.2.16: an enabled conditional access policy requires token protection for sign-in
/// sessions to Exchange Online and SharePoint Online on Windows desktop clients.
fn token_protection(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("conditional_access_policies"));
    if pols.is_empty()
        && let Err(reason) = snap.empty_read("conditional_access_policies")
    {
        return Outcome::error(reason);
    }
    let mut matching = Vec::new();
    for p in &pols {
        if input!(protects_tokens(p)) {
            matching.push(name_of(p));
        }
    }
    Outcome::verdict(
        !matching.is_empty(),
        format!("{} token protection for sign-in sessions.", n(&matching, "conditional access policy requires", "conditional access policies require")),
        format!(
            "No enabled conditional access policy requires token protection for Exchange Online and SharePoint Online sign-ins from Windows desktop clients ({} policies read).",
            pols.len()
        ),
        json!({ "matching_policies": matching, "policies_read": pols.len() }),
    )
    .about(&matching)
}

// ---------- 5.3.2, 5.3.3 access reviews ----------

/// A review's scope and settings as one lower-case text, to find what it reviews.
fn scope_text(r: &Value) -> String {
    let mut t = r.get("scope").map(Value::to_string).unwrap_or_default();
    if let Some(e) = r.get("instanceEnumerationScope") {
        t.push_str(&e.to_string());
    }
    t.to_ascii_lowercase()
}

/// A review recurs monthly or more often.
fn monthly_or_more(r: &Value) -> bool {
    let Some(pattern) = r.pointer("/settings/recurrence/pattern") else {
        return false;
    };
    let interval = i(pattern, "interval").unwrap_or(0);
    match s(pattern, "type") {
        "daily" | "weekly" => interval >= 1,
        "absoluteMonthly" | "relativeMonthly" => interval == 1,
        _ => false,
    }
}

/// The settings CIS asks of every review: active, monthly or more often, mail and reminders
/// to reviewers, a reason required on approval, results applied automatically. The settings
/// that are missing, by name.
fn review_gaps(r: &Value) -> Vec<&'static str> {
    let mut gaps = Vec::new();
    if !matches!(
        s(r, "status"),
        "InProgress" | "NotStarted" | "Initializing" | "Starting"
    ) {
        gaps.push("active");
    }
    if !monthly_or_more(r) {
        gaps.push("monthly or more often");
    }
    for (field, name) in [
        ("mailNotificationsEnabled", "mail notifications"),
        ("reminderNotificationsEnabled", "reminders"),
        (
            "justificationRequiredOnApproval",
            "reason required on approval",
        ),
        ("autoApplyDecisionsEnabled", "results applied automatically"),
    ] {
        if r.pointer(&format!("/settings/{field}"))
            .and_then(Value::as_bool)
            != Some(true)
        {
            gaps.push(name);
        }
    }
    gaps
}

/// CIS 5.3.2: an access review of guest users is active, recurs monthly or more often,
/// notifies and reminds reviewers, requires a reason, applies its results and removes access
/// when reviewers do not answer.
fn guest_access_reviews(snap: &Snapshot) -> Outcome {
    let reviews = input!(snap.list(ACCESS_REVIEWS));
    if reviews.is_empty()
        && let Err(reason) = snap.empty_read(ACCESS_REVIEWS)
    {
        return Outcome::error(reason);
    }
    let guest: Vec<&&Value> = reviews
        .iter()
        .filter(|r| scope_text(r).contains("usertype eq 'guest'"))
        .collect();
    let mut good = Vec::new();
    let mut gaps_by_review = Vec::new();
    for r in &guest {
        let mut gaps = review_gaps(r);
        let deny = r
            .pointer("/settings/defaultDecisionEnabled")
            .and_then(Value::as_bool)
            == Some(true)
            && r.pointer("/settings/defaultDecision")
                .and_then(Value::as_str)
                == Some("Deny");
        if !deny {
            gaps.push("remove access when reviewers do not respond");
        }
        if gaps.is_empty() {
            good.push(name_of_graph(r));
        } else {
            gaps_by_review.push(json!({ "review": name_of_graph(r), "missing": gaps }));
        }
    }
    Outcome::verdict(
        !good.is_empty(),
        format!(
            "{} guest users as CIS describes.",
            n(&good, "access review covers", "access reviews cover")
        ),
        if guest.is_empty() {
            format!(
                "No access review covers guest users ({} reviews read).",
                reviews.len()
            )
        } else {
            "No access review of guest users has every setting CIS asks for.".to_string()
        },
        json!({ "compliant_reviews": good, "guest_reviews_missing_settings": gaps_by_review }),
    )
    .about(&good)
}

/// The privileged roles CIS 5.3.3 wants reviewed: name and role template id.
const REVIEWED_ROLES: &[(&str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
    ),
    (
        "SharePoint Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    ),
    (
        "Teams Administrator",
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
    ),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
    ),
];

/// CIS 5.3.3: each of the privileged roles is covered by an access review that is active,
/// recurs monthly or more often, notifies and reminds reviewers, requires a reason and applies
/// its results.
fn privileged_role_reviews(snap: &Snapshot) -> Outcome {
    let reviews = input!(snap.list(ACCESS_REVIEWS));
    if reviews.is_empty()
        && let Err(reason) = snap.empty_read(ACCESS_REVIEWS)
    {
        return Outcome::error(reason);
    }
    let good: Vec<(&&Value, String)> = reviews
        .iter()
        .filter(|r| review_gaps(r).is_empty())
        .map(|r| (r, scope_text(r)))
        .collect();
    let (mut covered, mut uncovered) = (Vec::new(), Vec::new());
    for (role, id) in REVIEWED_ROLES {
        if good.iter().any(|(_, t)| t.contains(id)) {
            covered.push(*role);
        } else {
            uncovered.push(*role);
        }
    }
    Outcome::verdict(
        uncovered.is_empty(),
        "Global, Exchange, SharePoint, Teams and Security Administrator assignments are reviewed as CIS describes.",
        format!(
            "{} of the {} privileged roles have no access review with every setting CIS asks for: {}.",
            uncovered.len(),
            REVIEWED_ROLES.len(),
            uncovered.join(", ")
        ),
        json!({ "reviewed_roles": covered, "unreviewed_roles": uncovered, "reviews_read": reviews.len() }),
    )
}

/// The checks of this module.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-AAD-60",
        "Microsoft 365: idle sessions are signed out after three hours or less",
        EntraId,
        Medium,
        idle_session_timeout,
        "An unattended browser session on an unmanaged device stays open to whoever uses the device next; an idle timeout closes it.",
        "In the Microsoft 365 admin center > Settings > Org settings > Security & privacy > Idle session timeout, turn it on and choose 3 hours or less.",
        "https://learn.microsoft.com/microsoft-365/admin/manage/idle-session-timeout-web-apps"
    ),
    check!(
        "A365-AAD-61",
        "Microsoft 365: users cannot open the Office Store or start trials",
        EntraId,
        Medium,
        user_owned_apps_restricted,
        "Add-ins and trials users pick themselves can reach organisational data without review.",
        "In the Microsoft 365 admin center > Settings > Org settings > User owned apps and services, clear 'Let users access the Office Store' and 'Let users start trials on behalf of your organization'.",
        "https://learn.microsoft.com/microsoft-365/admin/manage/manage-addins-in-the-admin-center"
    ),
    check!(
        "A365-AAD-62",
        "Microsoft Forms: internal phishing protection is on",
        EntraId,
        Medium,
        forms_phishing_protection,
        "Forms that ask for passwords or other secrets are a common phishing tool inside an organisation; the scan blocks them.",
        "In the Microsoft 365 admin center > Settings > Org settings > Microsoft Forms, select 'Add internal phishing protection'.",
        "https://learn.microsoft.com/microsoft-forms/administrator-settings-microsoft-forms"
    ),
    check!(
        "A365-AAD-63",
        "Intune: devices without a compliance policy are marked not compliant",
        EntraId,
        Medium,
        no_policy_not_compliant,
        "Conditional access that requires a compliant device lets in every device no compliance policy targets when such devices count as compliant.",
        "In the Intune admin center > Devices > Compliance > Compliance settings, set 'Mark devices with no compliance policy assigned as' to Not compliant.",
        "https://learn.microsoft.com/intune/intune-service/protect/device-compliance-get-started"
    ),
    check!(
        "A365-AAD-64",
        "Intune: personally owned devices cannot enrol by default",
        EntraId,
        Medium,
        personal_enrolment_blocked,
        "Personal devices enrolled in Intune gain the access of managed ones while the organisation does not own or control them.",
        "In the Intune admin center > Devices > Enrollment > Device platform restriction, edit the default (All users) restriction and block personally owned devices for Windows, iOS/iPadOS, Android and macOS.",
        "https://learn.microsoft.com/intune/intune-service/enrollment/enrollment-restrictions-set"
    ),
    check!(
        "A365-AAD-65",
        "Joining devices to Entra ID is restricted",
        EntraId,
        Medium,
        join_restricted,
        "A device joined to Entra ID becomes a trusted, managed device of the organisation; only selected users should add them.",
        "In the Entra admin center > Devices > Device settings, set 'Users may join devices to Microsoft Entra' to Selected (or None).",
        "https://learn.microsoft.com/entra/identity/devices/manage-device-identities"
    ),
    check!(
        "A365-AAD-66",
        "The number of devices per user is limited",
        EntraId,
        Low,
        device_quota,
        "A high device quota lets a compromised account register many devices that look trusted.",
        "In the Entra admin center > Devices > Device settings, set 'Maximum number of devices per user' to 20 or fewer.",
        "https://learn.microsoft.com/entra/identity/devices/manage-device-identities"
    ),
    check!(
        "A365-AAD-67",
        "Global Administrators are not local administrators of joined devices",
        EntraId,
        Medium,
        global_admins_not_local_admins,
        "Adding Global Administrators to every joined device spreads the most powerful credentials to every endpoint, where they can be stolen.",
        "In the Entra admin center > Devices > Device settings > Manage additional local administrators on all Microsoft Entra joined devices, set 'Global administrator role is added as local administrator on the device during Microsoft Entra join' to No.",
        "https://learn.microsoft.com/entra/identity/devices/assign-local-admin"
    ),
    check!(
        "A365-AAD-68",
        "Users who join a device do not all become its local administrators",
        EntraId,
        Medium,
        registering_user_not_local_admin,
        "A user with local administrator rights can turn off the device's protections and install anything.",
        "In the Entra admin center > Devices > Device settings, set 'Registering user is added as local administrator on the device during Microsoft Entra join' to Selected or None.",
        "https://learn.microsoft.com/entra/identity/devices/assign-local-admin"
    ),
    check!(
        "A365-AAD-69",
        "Local Administrator Password Solution (LAPS) is enabled",
        EntraId,
        Medium,
        laps_enabled,
        "A shared or never-changed local administrator password lets an attacker move from one device to the next.",
        "In the Entra admin center > Devices > Device settings, set 'Enable Microsoft Entra Local Administrator Password Solution (LAPS)' to Yes.",
        "https://learn.microsoft.com/entra/identity/devices/howto-manage-local-admin-passwords"
    ),
    check!(
        "A365-AAD-74",
        "Collaboration invitations are sent to allowed domains only",
        EntraId,
        Medium,
        invitations_to_allowed_domains,
        "Invitations to any domain let users bring personal or unknown accounts into the organisation as guests.",
        "In the Entra admin center > External Identities > External collaboration settings > Collaboration restrictions, select 'Allow invitations only to the specified domains' and list the partner domains.",
        "https://learn.microsoft.com/entra/external-id/allow-deny-list"
    ),
    check!(
        "A365-AAD-76",
        "A trusted named location is defined",
        EntraId,
        Low,
        trusted_named_location,
        "Conditional access and Identity Protection treat sign-ins from trusted locations as lower risk; without one, location-based policies cannot tell the organisation's networks apart.",
        "In the Entra admin center > Protection > Conditional Access > Named locations, add an IP ranges location with the organisation's egress addresses and mark it as trusted.",
        "https://learn.microsoft.com/entra/identity/conditional-access/concept-assignment-network"
    ),
    check!(
        "A365-AAD-77",
        "Token protection is required for sign-in sessions",
        EntraId,
        Medium,
        token_protection,
        "A stolen session token replays the user's signed-in, MFA-satisfied session on the attacker's device; token protection binds it to the device it was issued to.",
        "Create a conditional access policy for the users concerned, targeting Office 365 Exchange Online and Office 365 SharePoint Online, device platform Windows, client apps 'Mobile apps and desktop clients', with the session control 'Require token protection for sign-in sessions', and turn it on.",
        "https://learn.microsoft.com/entra/identity/conditional-access/concept-token-protection"
    ),
    check!(
        "A365-AAD-78",
        "Guest users are reviewed by access reviews",
        EntraId,
        Medium,
        guest_access_reviews,
        "Guests keep their access long after the collaboration ends unless someone reviews it and removes what is no longer needed.",
        "In the Entra admin center > Identity governance > Access reviews, create a review of guest users of Microsoft 365 groups that recurs monthly, notifies and reminds reviewers, requires a reason, applies results automatically and removes access when reviewers do not respond.",
        "https://learn.microsoft.com/entra/id-governance/create-access-review"
    ),
    check!(
        "A365-AAD-79",
        "Privileged role assignments are reviewed by access reviews",
        EntraId,
        Medium,
        privileged_role_reviews,
        "Privileged role assignments accumulate; a recurring review removes the ones no longer needed.",
        "In the Entra admin center > Identity governance > Privileged Identity Management > Microsoft Entra roles > Access reviews, create a monthly review of the Global, Exchange, SharePoint, Teams and Security Administrator roles that notifies and reminds reviewers, requires a reason and applies results automatically.",
        "https://learn.microsoft.com/entra/id-governance/privileged-identity-management/pim-create-roles-and-resource-roles-review"
    ),
];
