//! Power Platform checks: environment creation, DLP for the default environment, tenant isolation.

use serde_json::{Value, json};

use super::{ISO, NIST, Outcome, SCUBA, check, input, list_names, s};
use crate::catalogue::Check;
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

fn guests_make_apps(snap: &Snapshot) -> Outcome {
    flag(
        snap,
        "/powerPlatform/powerApps/enableGuestsToMake",
        false,
        "Guests cannot make Power Apps.",
        "Guest users can create Power Apps.",
    )
}

fn default_env_dlp(snap: &Snapshot) -> Outcome {
    let groups = input!(snap.list("dlp_policies"));
    let tenant = snap.tenant_id().unwrap_or_default();
    let default_env = format!("Default-{tenant}");
    let mut covering = Vec::new();
    for g in &groups {
        for p in g.get("value").map(items).unwrap_or_default() {
            let envs: Vec<&str> = p
                .get("environments")
                .map(items)
                .unwrap_or_default()
                .iter()
                .map(|e| s(e, "name"))
                .collect();
            let kind = s(p, "environmentType");
            let covers = match kind {
                "AllEnvironments" => true,
                "ExceptEnvironments" => !envs.contains(&default_env.as_str()),
                _ => envs.contains(&default_env.as_str()),
            };
            if covers {
                covering.push(s(p, "displayName").to_string());
            }
        }
    }
    Outcome::verdict(
        !covering.is_empty(),
        format!(
            "DLP policy {} applies to the default environment.",
            list_names(&covering)
        ),
        "No Power Platform DLP policy applies to the default environment.",
        json!({ "covering_policies": covering, "default_environment": default_env }),
    )
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

/// Power Platform checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-PPL-01",
        "Only admins create production environments",
        PowerPlatform,
        Medium,
        production_creation,
        [
            (Scuba, "MS.POWERPLATFORM.1.1v1", SCUBA),
            (Nist80053, "CM-7", NIST),
            (Iso27001, "A.8.9", ISO)
        ],
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
        [
            (Scuba, "MS.POWERPLATFORM.1.2v1", SCUBA),
            (Nist80053, "CM-7", NIST),
            (Iso27001, "A.8.9", ISO)
        ],
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
        [
            (Scuba, "MS.POWERPLATFORM.2.1v1", SCUBA),
            (Nist80053, "SC-7", NIST),
            (Iso27001, "A.8.12", ISO)
        ],
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
        [
            (Scuba, "MS.POWERPLATFORM.3.1v1", SCUBA),
            (Nist80053, "SC-7", NIST),
            (Iso27001, "A.8.22", ISO)
        ],
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
        [(Nist80053, "AC-3", NIST), (Iso27001, "A.5.15", ISO)],
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
        [(Nist80053, "AC-3", NIST), (Iso27001, "A.5.15", ISO)],
        "Guests creating apps inside the tenant can build data paths the organisation does not control.",
        "Run Set-TenantSettings with powerPlatform.powerApps.enableGuestsToMake = false.",
        "https://learn.microsoft.com/power-platform/admin/powerapps-powershell"
    ),
];
