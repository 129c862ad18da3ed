//! Power BI and Microsoft Fabric checks: the Fabric admin portal's tenant settings, read by the
//! collector from the Fabric admin API (`GET /v1/admin/tenantsettings`) into the snapshot's
//! `aether365.fabric_tenant_settings` (CIS Microsoft 365 v7.0.0 section 9.1, CISA SCuBA's Power
//! BI baseline).
//!
//! Each tenant setting is identified by its `settingName`. CIS asks of most of them that they be
//! "restricted": turned off, or turned on for specific security groups only. In the API a setting
//! on for specific groups lists them in `enabledSecurityGroups`; a setting on for the entire
//! organisation lists none there (possibly with `excludedSecurityGroups`, "except specific
//! security groups", which still leaves the whole organisation but a few groups allowed, so it
//! does not count as restricted).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{check, input};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

/// The key of the `aether365` section that holds the tenant settings.
pub(crate) const FABRIC_TENANT_SETTINGS: &str = "fabric_tenant_settings";

/// A security group a tenant setting names (`TenantSettingSecurityGroup`).
#[derive(Debug, Deserialize)]
struct SecurityGroup {
    /// The group's display name.
    #[serde(default)]
    name: Option<String>,
    /// The group's object id.
    #[serde(default, rename = "graphId")]
    graph_id: Option<String>,
}

impl SecurityGroup {
    fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.graph_id.clone())
            .unwrap_or_else(|| "(unnamed group)".to_string())
    }
}

/// One tenant setting as the Fabric admin API describes it (`TenantSetting`).
#[derive(Debug, Deserialize)]
struct TenantSetting {
    #[serde(rename = "settingName")]
    setting_name: String,
    #[serde(default)]
    title: Option<String>,
    /// Required by the API; its absence is an unknown shape, never a pass.
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default, rename = "enabledSecurityGroups")]
    enabled_security_groups: Option<Vec<SecurityGroup>>,
    #[serde(default, rename = "excludedSecurityGroups")]
    excluded_security_groups: Option<Vec<SecurityGroup>>,
}

/// A setting, read and checked: on or off, and the groups it is limited to or excludes.
struct Read {
    name: &'static str,
    title: String,
    enabled: bool,
    groups: Vec<String>,
    excluded: Vec<String>,
}

impl Read {
    /// On for specific security groups only (not the entire organisation).
    fn for_groups_only(&self) -> bool {
        self.enabled && !self.groups.is_empty()
    }

    fn evidence(&self) -> Value {
        json!({
            "settingName": self.name,
            "title": self.title,
            "enabled": self.enabled,
            "enabledSecurityGroups": self.groups,
            "excludedSecurityGroups": self.excluded,
        })
    }

    /// Where the setting applies, in words (the groups go to the subjects, not the message).
    fn scope(&self) -> String {
        if !self.enabled {
            "off".to_string()
        } else if self.groups.is_empty() {
            if self.excluded.is_empty() {
                "on for the entire organization".to_string()
            } else {
                format!(
                    "on for the entire organization except {} security group(s)",
                    self.excluded.len()
                )
            }
        } else {
            format!("on for {} specific security group(s)", self.groups.len())
        }
    }
}

/// The tenant setting `name`, or why it cannot be judged: the read failed or was not made (a
/// ScubaGear import), the list is empty (every tenant has dozens of settings), the setting is
/// absent, or it has no boolean `enabled`.
fn read(snap: &Snapshot, name: &'static str) -> Result<Read, String> {
    let rows = snap.rows(FABRIC_TENANT_SETTINGS)?;
    let Some(row) = rows
        .iter()
        .find(|r| r.get("settingName").and_then(Value::as_str) == Some(name))
    else {
        return Err(format!(
            "`{FABRIC_TENANT_SETTINGS}` ({} settings) has no `{name}` setting, so it cannot be judged",
            rows.len()
        ));
    };
    let setting: TenantSetting = serde_json::from_value((*row).clone())
        .map_err(|e| format!("the `{name}` tenant setting has an unknown shape: {e}"))?;
    let Some(enabled) = setting.enabled else {
        return Err(format!(
            "the `{}` tenant setting has no boolean `enabled`, so it cannot be judged",
            setting.setting_name
        ));
    };
    let labels = |g: Option<Vec<SecurityGroup>>| -> Vec<String> {
        g.unwrap_or_default()
            .iter()
            .map(SecurityGroup::label)
            .collect()
    };
    Ok(Read {
        name,
        title: setting.title.unwrap_or_default(),
        enabled,
        groups: labels(setting.enabled_security_groups),
        excluded: labels(setting.excluded_security_groups),
    })
}

/// What CIS asks of a setting.
#[derive(Clone, Copy)]
enum Want {
    /// Off, or on for specific security groups only.
    Restricted,
    /// Off.
    Off,
    /// On (for the entire organisation or for groups).
    On,
}

/// Judges the setting `name` against `want`.
fn judge(snap: &Snapshot, name: &'static str, want: Want) -> Outcome {
    let r = input!(read(snap, name));
    let ok = match want {
        Want::Restricted => !r.enabled || r.for_groups_only(),
        Want::Off => !r.enabled,
        Want::On => r.enabled,
    };
    // The message names the setting by its `settingName` (the engine's own constant); its title
    // and groups, text read from the tenant, stay in the evidence and the subjects.
    let label = name;
    let expected = match want {
        Want::Restricted => "off or on for specific security groups only",
        Want::Off => "off",
        Want::On => "on",
    };
    let subjects = if r.enabled {
        r.groups.clone()
    } else {
        Vec::new()
    };
    Outcome::verdict(
        ok,
        format!("The tenant setting {label} is {}.", r.scope()),
        format!(
            "The tenant setting {label} is {}; it should be {expected}.",
            r.scope()
        ),
        r.evidence(),
    )
    .about(&subjects)
}

/// CIS 9.1.1, MS.POWERBI.2.1v1: guest users' access to Fabric is restricted.
fn guest_access(snap: &Snapshot) -> Outcome {
    judge(
        snap,
        "AllowGuestUserToAccessSharedContent",
        Want::Restricted,
    )
}

/// CIS 9.1.2, MS.POWERBI.3.1v1: inviting external users through sharing is restricted.
fn external_invitations(snap: &Snapshot) -> Outcome {
    judge(snap, "ExternalSharingV2", Want::Restricted)
}

/// CIS 9.1.3: guests browsing and accessing Fabric content is restricted.
fn guest_browse(snap: &Snapshot) -> Outcome {
    judge(snap, "ElevatedGuestsTenant", Want::Restricted)
}

/// CIS 9.1.4: publish to web is restricted.
fn publish_to_web(snap: &Snapshot) -> Outcome {
    judge(snap, "PublishToWeb", Want::Restricted)
}

/// MS.POWERBI.1.1v1: publish to web is off (SCuBA asks for it off, where CIS 9.1.4 also
/// accepts it on for specific security groups).
fn publish_to_web_off(snap: &Snapshot) -> Outcome {
    judge(snap, "PublishToWeb", Want::Off)
}

/// CIS 9.1.5, MS.POWERBI.6.1v1: interacting with and sharing R and Python visuals is off.
fn r_python_visuals(snap: &Snapshot) -> Outcome {
    judge(snap, "RScriptVisual", Want::Off)
}

/// CIS 9.1.6, MS.POWERBI.7.1v1: users can apply sensitivity labels to content.
fn sensitivity_labels(snap: &Snapshot) -> Outcome {
    judge(snap, "EimInformationProtectionEdit", Want::On)
}

/// CIS 9.1.7: shareable links to everyone in the organisation are restricted.
fn shareable_links(snap: &Snapshot) -> Outcome {
    judge(snap, "ShareLinkToEntireOrg", Want::Restricted)
}

/// CIS 9.1.8: external data sharing (semantic models shared in place) is restricted.
fn external_data_sharing(snap: &Snapshot) -> Outcome {
    judge(snap, "EnableDatasetInPlaceSharing", Want::Restricted)
}

/// CIS 9.1.9, MS.POWERBI.5.1v1: resource-key authentication is blocked.
fn block_resource_key(snap: &Snapshot) -> Outcome {
    judge(snap, "BlockResourceKeyAuthentication", Want::On)
}

/// CIS 9.1.10, MS.POWERBI.4.1v1: service principals' access to the Fabric APIs is restricted.
fn service_principal_apis(snap: &Snapshot) -> Outcome {
    judge(
        snap,
        "ServicePrincipalAccessPermissionAPIs",
        Want::Restricted,
    )
}

/// CIS 9.1.11, MS.POWERBI.4.2v1: service principals creating and using profiles is restricted.
fn service_principal_profiles(snap: &Snapshot) -> Outcome {
    judge(
        snap,
        "AllowServicePrincipalsCreateAndUseProfiles",
        Want::Restricted,
    )
}

/// CIS 9.1.12: service principals creating workspaces, connections and deployment pipelines
/// is restricted.
fn service_principal_global_apis(snap: &Snapshot) -> Outcome {
    judge(snap, "ServicePrincipalAccessGlobalAPIs", Want::Restricted)
}

/// Power BI and Fabric checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-PBI-01",
        "Guest user access to Fabric is restricted",
        PowerBi,
        Medium,
        guest_access,
        "Guests with access to Fabric can reach reports, semantic models and APIs of the organisation; limiting them to security groups keeps that access deliberate.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Guest users can access Microsoft Fabric' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-export-sharing"
    ),
    check!(
        "A365-PBI-02",
        "External user invitations to Fabric are restricted",
        PowerBi,
        Medium,
        external_invitations,
        "Users who invite external people while sharing add guests to the directory without an administrator; restricting the feature keeps guest onboarding controlled.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Users can invite guest users to collaborate through item sharing and permissions' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-export-sharing"
    ),
    check!(
        "A365-PBI-03",
        "Guest access to Fabric content is restricted",
        PowerBi,
        Medium,
        guest_browse,
        "Guests who can browse Fabric content see what exists beyond what was shared with them, and can request access to it.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Guest users can browse and access Fabric content' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-export-sharing"
    ),
    check!(
        "A365-PBI-04",
        "Publish to web is restricted",
        PowerBi,
        High,
        publish_to_web,
        "Publish to web makes a report readable by anyone on the internet with the link, without signing in.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Publish to web' to Disabled, or Enabled for specific security groups only.",
        "https://learn.microsoft.com/power-bi/collaborate-share/service-publish-to-web"
    ),
    check!(
        "A365-PBI-05",
        "Interacting with and sharing R and Python visuals is disabled",
        PowerBi,
        Medium,
        r_python_visuals,
        "R and Python visuals run scripts on the report's data; a script can send that data elsewhere or carry malicious code.",
        "In the Fabric admin portal > Tenant settings > R and Python visuals settings, set 'Interact with and share R and Python visuals' to Disabled.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-r-python-visuals"
    ),
    check!(
        "A365-PBI-06",
        "Sensitivity labels can be applied in Fabric",
        PowerBi,
        Medium,
        sensitivity_labels,
        "Without sensitivity labels, reports and semantic models carry no classification, and data loss prevention and protection cannot follow them.",
        "In the Fabric admin portal > Tenant settings > Information protection, set 'Allow users to apply sensitivity labels for content' to Enabled.",
        "https://learn.microsoft.com/power-bi/enterprise/service-security-enable-data-sensitivity-labels"
    ),
    check!(
        "A365-PBI-07",
        "Shareable links to the entire organization are restricted",
        PowerBi,
        Medium,
        shareable_links,
        "A link that grants access to everyone in the organisation spreads content far beyond the people who need it.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Allow shareable links to grant access to everyone in your organization' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-export-sharing"
    ),
    check!(
        "A365-PBI-08",
        "External data sharing of semantic models is restricted",
        PowerBi,
        Medium,
        external_data_sharing,
        "Semantic models shared in place with guests let them query the organisation's data from their own tenant.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Guest users can work with shared semantic models in their own tenants' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-export-sharing"
    ),
    check!(
        "A365-PBI-09",
        "ResourceKey authentication is blocked",
        PowerBi,
        Medium,
        block_resource_key,
        "A resource key in a URL lets anyone holding it push data into streaming and push semantic models without an Entra ID token.",
        "In the Fabric admin portal > Tenant settings > Developer settings, set 'Block ResourceKey Authentication' to Enabled.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-developer"
    ),
    check!(
        "A365-PBI-10",
        "Service principals' access to Fabric APIs is restricted",
        PowerBi,
        Medium,
        service_principal_apis,
        "Service principals allowed to call the Fabric APIs act without a user; only those in a deliberate security group should.",
        "In the Fabric admin portal > Tenant settings > Developer settings, set 'Service principals can use Fabric APIs' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-developer"
    ),
    check!(
        "A365-PBI-11",
        "Service principals creating and using profiles is restricted",
        PowerBi,
        Medium,
        service_principal_profiles,
        "Service principal profiles let one application act for many customers' content; unrestricted, any application can create them.",
        "In the Fabric admin portal > Tenant settings > Developer settings, set 'Allow service principals to create and use profiles' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-developer"
    ),
    check!(
        "A365-PBI-12",
        "Service principals creating workspaces, connections and deployment pipelines is restricted",
        PowerBi,
        Medium,
        service_principal_global_apis,
        "Service principals that create workspaces, connections and deployment pipelines shape where data lives and flows, without a user.",
        "In the Fabric admin portal > Tenant settings > Developer settings, set 'Service principals can create workspaces, connections, and deployment pipelines' to Disabled, or Enabled for specific security groups.",
        "https://learn.microsoft.com/fabric/admin/service-admin-portal-developer"
    ),
    check!(
        "A365-PBI-13",
        "Publish to web is disabled",
        PowerBi,
        High,
        publish_to_web_off,
        "Publish to web makes a report readable by anyone on the internet with the link, without signing in; SCuBA asks for it off unless the mission requires it.",
        "In the Fabric admin portal > Tenant settings > Export and sharing settings, set 'Publish to web' to Disabled.",
        "https://learn.microsoft.com/power-bi/collaborate-share/service-publish-to-web"
    ),
];
