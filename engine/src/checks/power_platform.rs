//! Power Platform checks: environment creation, DLP for the default environment, tenant isolation.

use serde_json::{Value, json};

use super::{check, input, n, s, undecided};
use crate::check::{Check, Outcome};
use crate::snapshot::{Snapshot, items};

fn setting(snap: &Snapshot, pointer: &str) -> Result<bool, String> {
    let list = snap.list("environment_creation")?;
    let first = list.first().ok_or("`environment_creation` is empty")?;
    first
        .pointer(pointer)
        .and_then(Value::as_bool)
        .ok_or_else(|| {
            format!(
                "`environment_creation` has no boolean `{}`",
                pointer.trim_start_matches('/')
            )
        })
}

fn flag(snap: &Snapshot, pointer: &str, want: bool, ok: &str, bad: &str) -> Outcome {
    let v = input!(setting(snap, pointer));
    Outcome::verdict(
        v == want,
        ok,
        bad,
        json!({ pointer.trim_start_matches('/'): v }),
    )
}

fn production_creation(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/disableEnvironmentCreationByNonAdminUsers",
        true,
        "Only admins can create production environments.",
        "Any user can create production and sandbox environments.",
    )
}

fn trial_creation(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/disableTrialEnvironmentCreationByNonAdminUsers",
        true,
        "Only admins can create trial environments.",
        "Any user can create trial environments.",
    )
}

fn share_with_everyone(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/powerPlatform/powerApps/disableShareWithEveryone",
        true,
        "Makers cannot share apps with everyone in the organisation.",
        "Makers can share apps with everyone in the organisation.",
    )
}

fn pages_creation(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/disablePortalsCreationByNonAdminUsers",
        true,
        "Only administrators can create Power Pages sites.",
        "Any user can create Power Pages sites, which can publish data to the internet.",
    )
}

fn guests_make_apps(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/powerPlatform/powerApps/enableGuestsToMake",
        false,
        "Guests cannot make Power Apps.",
        "Guest users can create Power Apps.",
    )
}

/// The default environment's name, `Default-{tenant id}`, or why it cannot be known. The id is
/// the export's `tenant_id`, which the Power Platform read records; `tenant_details` comes from
/// another read and is not taken in its place.
fn default_environment(snap: &Snapshot) -> Result<String, String> {
    snap.value()
        .get("tenant_id")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .map(|t| format!("Default-{t}"))
        .ok_or_else(|| {
            "the snapshot has no tenant id (`tenant_id`), so the default environment cannot be named"
                .to_string()
        })
}

/// Whether a DLP policy (export row) applies to the environment `env`.
fn covers(p: &Value, env: &str) -> bool {
    let listed = env_names(p).contains(&env);
    match s(p, "environmentType") {
        "AllEnvironments" => true,
        "ExceptEnvironments" => !listed,
        _ => listed,
    }
}

fn default_env_dlp(snap: &Snapshot) -> Outcome {
    let pols = input!(dlp_policy_list(snap));
    let default_env = input!(default_environment(snap));
    let covering: Vec<String> = pols
        .iter()
        .filter(|p| covers(p, &default_env))
        .map(|p| s(p, "displayName").to_string())
        .collect();
    Outcome::verdict(
        !covering.is_empty(),
        format!(
            "{} to the default environment.",
            n(&covering, "DLP policy applies", "DLP policies apply")
        ),
        "No Power Platform DLP policy applies to the default environment.",
        json!({ "covering_policies": covering, "default_environment": default_env }),
    )
    .about(&covering)
}

fn tenant_isolation(snap: &Snapshot) -> Outcome {
    let list = input!(snap.list("tenant_isolation"));
    let Some(props) = list.first().and_then(|v| v.get("properties")) else {
        return Outcome::error("`tenant_isolation` has no properties");
    };
    let disabled = props.get("isDisabled").and_then(Value::as_bool);
    Outcome::verdict(
        disabled == Some(false),
        "Power Platform tenant isolation is on.",
        "Power Platform tenant isolation is off: connections to other tenants are allowed.",
        json!({ "isDisabled": disabled, "allowedTenants": props.get("allowedTenants") }),
    )
}

/// Every DLP policy of the export (the `value` lists of `dlp_policies`).
fn dlp_policy_list(snap: &Snapshot) -> Result<Vec<&Value>, String> {
    Ok(snap
        .list("dlp_policies")?
        .into_iter()
        .flat_map(|g| g.get("value").map(items).unwrap_or_default())
        .collect())
}

fn env_names(p: &Value) -> Vec<&str> {
    p.get("environments")
        .map(items)
        .unwrap_or_default()
        .iter()
        .map(|e| s(e, "name"))
        .collect()
}

/// MS.POWERPLATFORM.2.2v1: every non-default environment has a DLP policy. Every tenant has a
/// default environment, so a list without one was not read in full: it can still prove a fail
/// (a listed non-default environment no policy covers), never a pass.
fn non_default_envs_dlp(snap: &Snapshot) -> Outcome {
    let pols = input!(dlp_policy_list(snap));
    let envs = input!(snap.list("environment_list"));
    let complete = envs
        .iter()
        .any(|e| e.get("IsDefault").and_then(Value::as_bool) == Some(true));
    let non_default: Vec<&str> = envs
        .iter()
        .filter(|e| e.get("IsDefault").and_then(Value::as_bool) == Some(false))
        .map(|e| s(e, "EnvironmentName"))
        .collect();
    let all_envs = pols
        .iter()
        .any(|p| s(p, "environmentType") == "AllEnvironments");
    let uncovered: Vec<String> = non_default
        .iter()
        .filter(|env| {
            !all_envs
                && !pols.iter().any(|p| {
                    let listed = env_names(p).contains(env);
                    if s(p, "environmentType") == "ExceptEnvironments" {
                        !listed
                    } else {
                        listed
                    }
                })
        })
        .map(|e| (*e).to_string())
        .collect();
    if !complete {
        const INCOMPLETE: &str = "`environment_list` holds no default environment, so the environment list is incomplete";
        if uncovered.is_empty() {
            return Outcome::error(INCOMPLETE);
        }
        return Outcome::fail(
            format!(
                "Non-default environments without a DLP policy: {}; {INCOMPLETE} (every tenant has one), so other environments may lack one too.",
                uncovered.len()
            ),
            json!({ "dlp_policies": pols.len(), "environments_without_dlp": uncovered, "environment_list_complete": false }),
        )
        .about(&uncovered);
    }
    Outcome::verdict(
        uncovered.is_empty(),
        format!(
            "Every non-default environment ({} of them) is covered by a DLP policy.",
            non_default.len()
        ),
        format!(
            "Non-default environments without a DLP policy: {}.",
            uncovered.len()
        ),
        json!({ "dlp_policies": pols.len(), "environments_without_dlp": uncovered }),
    )
    .about(&uncovered)
}

/// Connectors SCuBA accepts in the non-blocked groups of the default environment's DLP policy:
/// Microsoft 365 services only.
const BASELINE_CONNECTORS: &[&str] = &[
    "shared_powervirtualagents",
    "shared_sharepointonline",
    "shared_onedriveforbusiness",
    "shared_approvals",
    "shared_cloudappsecurity",
    "shared_commondataservice",
    "shared_commondataserviceforapps",
    "shared_excelonlinebusiness",
    "shared_flowpush",
    "shared_kaizala",
    "shared_microsoftformspro",
    "shared_office365",
    "shared_office365groups",
    "shared_office365groupsmail",
    "shared_office365users",
    "shared_onenote",
    "shared_planner",
    "shared_powerappsnotification",
    "shared_powerappsnotificationv2",
    "shared_powerbi",
    "shared_shifts",
    "shared_skypeforbiz",
    "shared_teams",
    "shared_todo",
    "shared_yammer",
];

fn default_env_connectors(snap: &Snapshot) -> Outcome {
    let pols = input!(dlp_policy_list(snap));
    if pols.is_empty() {
        // The read succeeded and listed no policy: that absence is the evidence.
        return Outcome::fail(
            "The DLP policy list was read and holds no policy, so every connector is allowed in the default environment.",
            json!({ "dlp_policies": 0 }),
        );
    }
    let default_env = input!(default_environment(snap));
    let covering: Vec<&&Value> = pols.iter().filter(|p| covers(p, &default_env)).collect();
    if covering.is_empty() {
        return Outcome::fail(
            "No DLP policy applies to the default environment, so every connector is allowed there.",
            json!({ "dlp_policies": pols.len(), "default_environment": default_env }),
        );
    }
    let mut extra: Vec<String> = Vec::new();
    let mut open_default: Vec<String> = Vec::new();
    for p in &covering {
        // A policy always has its three groups; none (ScubaGear's REST provider exports an
        // empty list) or an unknown shape means its connectors were not read.
        let groups = match p.get("connectorGroups") {
            Some(Value::Array(g)) if !g.is_empty() => g,
            _ => {
                return Outcome::error(
                    "the connector groups of a DLP policy that applies to the default environment are missing from `dlp_policies` (ScubaGear's REST provider does not export them; a live scan reads them)",
                );
            }
        };
        for g in groups {
            if !["General", "Confidential"].contains(&s(g, "classification")) {
                continue;
            }
            for c in g.get("connectors").map(items).unwrap_or_default() {
                let id = s(c, "id");
                let short = id.rsplit('/').next().unwrap_or(id);
                if !BASELINE_CONNECTORS.contains(&short) {
                    extra.push(id.to_string());
                }
            }
        }
        // Connectors a policy does not list (new ones included) join its default group.
        match p
            .get("defaultConnectorsClassification")
            .and_then(Value::as_str)
        {
            None | Some("Blocked") => {}
            Some(_) => open_default.push(s(p, "displayName").to_string()),
        }
    }
    extra.sort();
    extra.dedup();
    let ok = extra.is_empty() && open_default.is_empty();
    let message = if !extra.is_empty() {
        format!(
            "Connectors allowed in the default environment beyond Microsoft 365's: {}.",
            extra.len()
        )
    } else {
        format!(
            "Connectors not listed by the default environment's DLP policy are allowed there: the default group of {} is not Blocked.",
            n(&open_default, "policy", "policies")
        )
    };
    let subjects = if extra.is_empty() {
        &open_default
    } else {
        &extra
    };
    Outcome::verdict(
        ok,
        "The default environment's DLP policy allows only Microsoft 365 connectors.",
        message,
        json!({ "non_baseline_connectors": extra, "policies_with_allowed_default_group": open_default }),
    )
    .about(subjects)
}

/// Power Platform checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-PPL-01",
        "Only admins create production environments",
        PowerPlatform,
        Medium,
        production_creation,
        "Unmanaged environments multiply places where data and connectors escape governance.",
        "In the Power Platform admin center > Settings > Environment creation, allow only specific admins.",
        "https://learn.microsoft.com/power-platform/admin/control-environment-creation"
    ),
    check!(
        "A365-PPL-02",
        "Only admins create trial environments",
        PowerPlatform,
        Low,
        trial_creation,
        "Trial environments created by anyone escape environment governance.",
        "In the Power Platform admin center > Settings > Trial environments, allow only specific admins.",
        "https://learn.microsoft.com/power-platform/admin/control-environment-creation"
    ),
    check!(
        "A365-PPL-03",
        "A DLP policy covers the default environment",
        PowerPlatform,
        High,
        default_env_dlp,
        "Every user can build flows in the default environment; without DLP they can connect business data to any connector.",
        "In the Power Platform admin center > Policies > Data policies, create a policy that includes the default environment and blocks non-business connectors.",
        "https://learn.microsoft.com/power-platform/admin/create-dlp-policy"
    ),
    check!(
        "A365-PPL-04",
        "Tenant isolation is enabled",
        PowerPlatform,
        High,
        tenant_isolation,
        "Without tenant isolation, connectors can move data to and from other organisations' tenants.",
        "In the Power Platform admin center > Policies > Tenant isolation, turn it on and allow-list partner tenants only.",
        "https://learn.microsoft.com/power-platform/admin/cross-tenant-restrictions"
    ),
    check!(
        "A365-PPL-05",
        "Apps cannot be shared with everyone",
        PowerPlatform,
        Low,
        share_with_everyone,
        "Sharing an app with the whole organisation exposes its data connections to every user.",
        "Run Set-TenantSettings with powerPlatform.powerApps.disableShareWithEveryone = true.",
        "https://learn.microsoft.com/power-platform/admin/powerapps-powershell"
    ),
    check!(
        "A365-PPL-06",
        "Guests cannot make Power Apps",
        PowerPlatform,
        Low,
        guests_make_apps,
        "Guests creating apps inside the tenant can build data paths the organisation does not control.",
        "Run Set-TenantSettings with powerPlatform.powerApps.enableGuestsToMake = false.",
        "https://learn.microsoft.com/power-platform/admin/powerapps-powershell"
    ),
    check!(
        "A365-PPL-07",
        "A DLP policy covers every non-default environment",
        PowerPlatform,
        Medium,
        non_default_envs_dlp,
        "Without a DLP policy, apps and flows in an environment can move data through any connector.",
        "In the Power Platform admin center > Policies > Data policies, apply a policy to every environment (or to all environments).",
        "https://learn.microsoft.com/power-platform/admin/wp-data-loss-prevention"
    ),
    check!(
        "A365-PPL-08",
        "The default environment allows only Microsoft 365 connectors",
        PowerPlatform,
        Medium,
        default_env_connectors,
        "Every user can build in the default environment; third-party connectors there can carry data out of the tenant.",
        "In the data policy of the default environment, move every connector except the Microsoft 365 ones to Blocked.",
        "https://learn.microsoft.com/power-platform/admin/wp-data-loss-prevention"
    ),
    check!(
        "A365-PPL-09",
        "Only administrators create Power Pages sites",
        PowerPlatform,
        Low,
        pages_creation,
        "A Power Pages site can expose Dataverse data to anonymous internet users; who creates them should be controlled.",
        "Run Set-TenantSettings with disablePortalsCreationByNonAdminUsers = true (Power Platform admin center > Settings > Product > Power Pages).",
        "https://learn.microsoft.com/power-pages/admin/control-portal-creation"
    ),
    undecided!(
        "A365-PPL-10",
        "Tenant isolation has an inbound and outbound allow list",
        PowerPlatform,
        Low,
        NotImplemented,
        "in the Power Platform admin center > Policies > Tenant isolation that the allow list names the partner tenants allowed inbound and outbound connections.",
        "Tenant isolation without an allow list either blocks needed partners or invites exceptions that are not tracked.",
        "In the Power Platform admin center > Policies > Tenant isolation, add each authorised partner tenant with its direction (inbound, outbound or both).",
        "https://learn.microsoft.com/power-platform/admin/cross-tenant-restrictions"
    ),
    undecided!(
        "A365-PPL-11",
        "Content Security Policy is enforced for model-driven and canvas apps",
        PowerPlatform,
        Medium,
        NotImplemented,
        "in each environment's Settings > Privacy + Security that Content Security Policy is on and enforced (not report-only) for model-driven and canvas apps.",
        "A Content Security Policy limits the scripts and frames an app loads, reducing cross-site scripting and clickjacking.",
        "In the Power Platform admin center, open each environment > Settings > Privacy + Security and turn on Enforce content security policy for model-driven and canvas apps.",
        "https://learn.microsoft.com/power-platform/admin/content-security-policy"
    ),
];
