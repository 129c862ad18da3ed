//! Exports of older ScubaGear versions: which version wrote an export, and the one place where
//! an older export's shape is brought to the current (1.8.0) one or, where it cannot be read
//! faithfully, its section refused.
//!
//! Every ScubaGear export since 0.1 carries `module_version` (the ScubaGear release) beside
//! `baseline_version` ("0.1" before 1.0, "1" since); `timestamp_zulu` appears in 1.2.0 and
//! `report_uuid` in 1.5.0. aether365's own collections write `module_version` as
//! `aether365-collector <version>` and are read exactly as they are. A document without
//! `module_version` is no ScubaGear export as written (a hand-made snapshot, a test): it is read
//! in the current shape, with the rewrites that key on an older shape (see [`normalise`]), so
//! that an older export stripped of its marker is not misread either.
//!
//! The differences, found in ScubaGear's providers and in the Rego that read their output at
//! each tag (docs/frameworks.md, "Older ScubaGear exports", has the table):
//!
//! - before 1.1.0: refused whole ([`VersionRefusal::TooOld`]).
//! - 1.1.x to 1.5.x, Entra ID sections: objects of the Microsoft Graph PowerShell SDK, whose
//!   properties of derived types sit in `AdditionalProperties` with Graph's camelCase names
//!   (privileged-role rules' `setting.isApprovalRequired`, `notificationRecipients`; the
//!   Authenticator's `featureSettings`). 1.6.0 reads Graph directly and writes every property in
//!   PascalCase at its place: [`lift_additional_properties`].
//! - 1.4.x and 1.5.x, `privileged_roles[].Assignments`: Graph's camelCase (`principalId`,
//!   `startDateTime`, `endDateTime`): [`pascal_case_keys`].
//! - 1.1.x, `privileged_roles[].Rules`: no `RuleSource`/`RuleSourceType` (1.2.0 adds them with
//!   the rules of PIM groups; 1.1 read only each role's own policy).
//! - 1.1.x and 1.2.x, `authentication_method`: the policy object itself, written 2 or 5 levels
//!   deep (deeper settings became strings), not 1.3.0's `authentication_method_policy` and
//!   `authentication_method_feature_settings`: refused.
//! - before 1.8.0, SharePoint: `Get-SPOTenant`/`Get-PnPTenant` (not `Get-SPOTenantRest`) and
//!   `OneDriveSharingCapability` (not `ODBSharingCapability`); Power Platform: the PowerApps
//!   admin cmdlets' names (not the `...Rest` reads). Command names are mapped so that a failed
//!   read of an older export is seen as failed.
//!
//! [`normalise`] says which rewrites go by the release and which by the shape found.

use serde_json::{Map, Value};

/// The oldest ScubaGear release whose exports this engine reads.
pub const OLDEST_SCUBAGEAR: ScubaGearVersion = ScubaGearVersion::new(1, 1, 0);

/// The ScubaGear release whose export shape is the engine's own.
pub const CURRENT_SCUBAGEAR: ScubaGearVersion = ScubaGearVersion::new(1, 8, 0);

/// The prefix of `module_version` in aether365's own collections.
pub const COLLECTOR_MARKER: &str = "aether365-collector";

/// A ScubaGear release, from an export's `module_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScubaGearVersion {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl ScubaGearVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u64, minor: u64, patch: u64) -> ScubaGearVersion {
        ScubaGearVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `1.8.0` (a suffix after the patch number, such as `-rc1`, is ignored; a missing
    /// patch number is 0). `None` for anything else.
    pub fn parse(text: &str) -> Option<ScubaGearVersion> {
        let mut parts = text.trim().splitn(3, '.');
        let number = |p: &str| -> Option<u64> {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                None
            } else {
                digits.parse().ok()
            }
        };
        let major = parts.next().and_then(|p| {
            p.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| number(p))
                .flatten()
        })?;
        let minor_text = parts.next()?;
        if !minor_text.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let minor = number(minor_text)?;
        let patch = match parts.next() {
            None => 0,
            Some(p) => number(p)?,
        };
        Some(ScubaGearVersion::new(major, minor, patch))
    }
}

impl std::fmt::Display for ScubaGearVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Who wrote a snapshot, as its `module_version` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportOrigin {
    /// A ScubaGear export of this release.
    ScubaGear(ScubaGearVersion),
    /// aether365's own live collection.
    Aether365Collector,
    /// No `module_version`: read in the current shape.
    Unmarked,
}

/// One way an older export's shape differs from 1.8.0's, and how the engine treats it; the
/// table of docs/frameworks.md ("Older ScubaGear exports") is rendered from [`DIFFERENCES`].
#[derive(Clone, Copy, Debug)]
pub struct Difference {
    /// The ScubaGear releases that wrote the shape.
    pub versions: &'static str,
    /// The section (top-level key) and field.
    pub section: &'static str,
    /// What differs from 1.8.0.
    pub differs: &'static str,
    /// What the engine does with it.
    pub treatment: &'static str,
}

/// Every known difference, oldest first.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        versions: "0.x",
        section: "(whole export)",
        differs: "`baseline_version` \"0.1\"; a shape not verified here",
        treatment: "refused at import (`SnapshotError::UnsupportedVersion`)",
    },
    Difference {
        versions: "1.0.x",
        section: "(whole export)",
        differs: "every provider removed all backslashes and turned escaped quotes into apostrophes in the JSON text, so strings are altered (a JSON-in-string such as a DLP policy's `Locations` stops being JSON)",
        treatment: "refused at import (`SnapshotError::UnsupportedVersion`)",
    },
    Difference {
        versions: "1.1.x to 1.3.x",
        section: "(whole export)",
        differs: "the orchestrator deleted `\\/` and turned `\\B` into `/B` in the JSON text (`/Date(...)/` dates lose their slashes)",
        treatment: "read: no check reads those dates or strings",
    },
    Difference {
        versions: "1.1.x to 1.5.x",
        section: "`privileged_roles[].Rules`",
        differs: "Graph PowerShell SDK objects: the rule's own members (`setting.isApprovalRequired`, `notificationRecipients`, `notificationType`, ...) sit in `AdditionalProperties`, camelCase",
        treatment: "normalised: lifted into the rule in PascalCase (`Setting.IsApprovalRequired`, ...)",
    },
    Difference {
        versions: "1.1.x to 1.5.x",
        section: "`authentication_method[].authentication_method_feature_settings`",
        differs: "SDK objects: `featureSettings`, `isSoftwareOathEnabled`, `includeTargets` in `AdditionalProperties`, camelCase",
        treatment: "normalised: lifted in PascalCase (`FeatureSettings`, `IsSoftwareOathEnabled`)",
    },
    Difference {
        versions: "1.1.x to 1.5.x",
        section: "`conditional_access_policies`, `authorization_policies`, `directory_settings`, `domain_settings`, `service_plans`",
        differs: "SDK objects (an `AdditionalProperties` member on each; the members the checks read are typed, PascalCase, as in 1.8.0)",
        treatment: "normalised the same way; no difference in the members read",
    },
    Difference {
        versions: "1.1.x",
        section: "`privileged_roles[].Rules`",
        differs: "no `RuleSource`/`RuleSourceType`: only each role's own policy rules (PIM groups' rules come with 1.2.0)",
        treatment: "normalised: the source is the role (`DisplayName`, \"Directory Role\")",
    },
    Difference {
        versions: "1.1.x, 1.2.x",
        section: "`authentication_method`",
        differs: "the policy object itself (`PolicyMigrationState`, `AuthenticationMethodConfigurations`), written only 2 (1.1.x) or 5 (1.2.x) levels deep, so deeper settings became text; 1.3.0 splits it into `authentication_method_policy` and `authentication_method_feature_settings`",
        treatment: "refused: checks reading it answer `error`, naming the release and the section",
    },
    Difference {
        versions: "1.4.x, 1.5.x",
        section: "`privileged_roles[].Assignments`",
        differs: "Graph's camelCase (`principalId`, `startDateTime`, `endDateTime`)",
        treatment: "normalised: keys in PascalCase",
    },
    Difference {
        versions: "1.1.x to 1.7.x",
        section: "`SPO_tenant`",
        differs: "read by `Get-SPOTenant` or `Get-PnPTenant` (so recorded under those names); OneDrive's level is `OneDriveSharingCapability`",
        treatment: "normalised: recorded as `Get-SPOTenantRest`; `ODBSharingCapability` set from it",
    },
    Difference {
        versions: "1.1.x to 1.7.x",
        section: "`environment_creation`, `environment_list`, `dlp_policies`, `tenant_isolation`",
        differs: "read by the PowerApps admin cmdlets (`Get-TenantSettings`, `Get-AdminPowerAppEnvironment`, `Get-DlpPolicy`, `Get-PowerAppTenantIsolationPolicy`); the members read are the same",
        treatment: "normalised: recorded under the 1.8.0 names, so a failed read is an `error`, not an empty list",
    },
    Difference {
        versions: "1.1.x to 1.7.x",
        section: "`environment_creation[].powerPlatform`",
        differs: "written at ConvertTo-Json's default depth: the objects under `powerPlatform` (`powerApps`, ...) are text (1.8.0 writes 10 levels and first reads `powerApps.disableShareWithEveryone`)",
        treatment: "left as written: the checks reading `powerPlatform.powerApps` find no boolean and answer `error`; the top-level settings are read",
    },
    Difference {
        versions: "1.1.x to 1.4.x",
        section: "`privileged_service_principals`",
        differs: "absent (written from 1.5.0)",
        treatment: "no check decides on it alone; a check that needs an absent section answers `error`",
    },
    Difference {
        versions: "1.1.x, 1.2.x",
        section: "`defender_dlp_license`",
        differs: "absent (written from 1.3.0)",
        treatment: "read as not known to be unlicensed: the DLP check still needs enforced policies that cover every location to pass",
    },
];

/// Why an export's version is refused at import.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VersionRefusal {
    /// Written by a ScubaGear release older than [`OLDEST_SCUBAGEAR`].
    #[error(
        "the export was written by ScubaGear {version}, which this engine cannot read faithfully: {why}. Accepted: exports of ScubaGear {OLDEST_SCUBAGEAR} and later, and aether365's own collections; run a current ScubaGear and import its ProviderSettingsExport.json"
    )]
    TooOld {
        /// The export's `module_version`.
        version: String,
        /// What that release did differently.
        why: &'static str,
    },
    /// `module_version` is present but names no ScubaGear release nor aether365's collector.
    #[error(
        "the export's `module_version` ({found}) is neither a ScubaGear release (such as {CURRENT_SCUBAGEAR}) nor an aether365 collection's, so its shape is unknown. Accepted: exports of ScubaGear {OLDEST_SCUBAGEAR} and later, and aether365's own collections"
    )]
    Unknown {
        /// The value found, as JSON.
        found: String,
    },
}

const BEFORE_1_0: &str =
    "releases before 1.0 wrote baseline 0.1 exports, whose shape this engine has not verified";
const RELEASE_1_0: &str = "ScubaGear 1.0 removed every backslash from its export and turned escaped quotes into apostrophes, so strings are not as Microsoft 365 returned them";

/// The origin of a snapshot from its `module_version` member (`None` when absent), or why the
/// export is refused.
pub fn origin(module_version: Option<&Value>) -> Result<ExportOrigin, VersionRefusal> {
    match module_version {
        None => Ok(ExportOrigin::Unmarked),
        Some(Value::String(text)) => origin_of_text(text),
        Some(other) => Err(VersionRefusal::Unknown {
            found: other.to_string(),
        }),
    }
}

/// [`origin`] of a `module_version` string.
pub fn origin_of_text(text: &str) -> Result<ExportOrigin, VersionRefusal> {
    if text
        .strip_prefix(COLLECTOR_MARKER)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    {
        return Ok(ExportOrigin::Aether365Collector);
    }
    let Some(version) = ScubaGearVersion::parse(text) else {
        return Err(VersionRefusal::Unknown {
            found: Value::String(text.to_string()).to_string(),
        });
    };
    if version < ScubaGearVersion::new(1, 0, 0) {
        return Err(VersionRefusal::TooOld {
            version: text.to_string(),
            why: BEFORE_1_0,
        });
    }
    if version < OLDEST_SCUBAGEAR {
        return Err(VersionRefusal::TooOld {
            version: text.to_string(),
            why: RELEASE_1_0,
        });
    }
    Ok(ExportOrigin::ScubaGear(version))
}

/// A section of an older export that cannot be read faithfully: checks reading it answer
/// `error` with `reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The section (top-level key).
    pub section: String,
    /// Why, naming the version.
    pub reason: String,
}

/// Entra ID sections that 1.1.x to 1.5.x wrote from Graph PowerShell SDK objects.
const SDK_SECTIONS: &[&str] = &[
    "conditional_access_policies",
    "authorization_policies",
    "directory_settings",
    "authentication_method",
    "domain_settings",
    "privileged_roles",
    "service_plans",
];

/// Command names of releases before 1.8.0 and the name 1.8.0 records for the same read, per
/// `*_successful_commands` prefix.
const RENAMED_COMMANDS: &[(&str, &str, &str)] = &[
    ("SharePoint", "Get-SPOTenant", "Get-SPOTenantRest"),
    ("SharePoint", "Get-PnPTenant", "Get-SPOTenantRest"),
    (
        "powerplatform",
        "Get-TenantSettings",
        "Get-PowerPlatformTenantSettingsRest",
    ),
    (
        "powerplatform",
        "Get-AdminPowerAppEnvironment",
        "Get-PowerPlatformEnvironmentsRest",
    ),
    (
        "powerplatform",
        "Get-DlpPolicy",
        "Get-PowerPlatformDlpPoliciesRest",
    ),
    (
        "powerplatform",
        "Get-PowerAppTenantIsolationPolicy",
        "Get-PowerPlatformTenantIsolationRest",
    ),
];

/// Brings an export of `origin` to the current shape, in place, and names the sections it
/// cannot read. aether365's own collections are left as they are (their shape is ours).
///
/// The rewrites that key on a shape (SDK `AdditionalProperties`, camelCase role assignments,
/// `OneDriveSharingCapability`, older command names) apply wherever that shape is found, in any
/// ScubaGear export and in a document without `module_version`: none of them occurs in the
/// current shape, so they change nothing there, and a hand-made or relabelled older export is
/// read as what it is rather than misread. The rewrites that key on what a release left out
/// (rule sources, the 1.1-1.2 authentication methods policy) go by the release.
pub fn normalise(doc: &mut Map<String, Value>, origin: ExportOrigin) -> Vec<Refusal> {
    if origin == ExportOrigin::Aether365Collector {
        return Vec::new();
    }
    for key in SDK_SECTIONS {
        if let Some(section) = doc.get_mut(*key) {
            lift_additional_properties(section);
        }
    }
    if let Some(roles) = doc.get_mut("privileged_roles") {
        for role in rows_mut(roles) {
            if let Some(assignments) = role.get_mut("Assignments") {
                pascal_case_keys(assignments);
            }
        }
    }
    if let Some(tenant) = doc.get_mut("SPO_tenant") {
        for row in rows_mut(tenant) {
            if let Some(row) = row.as_object_mut()
                && !row.contains_key("ODBSharingCapability")
                && let Some(v) = row.get("OneDriveSharingCapability").cloned()
            {
                row.insert("ODBSharingCapability".into(), v);
            }
        }
    }
    rename_commands(doc);
    let ExportOrigin::ScubaGear(version) = origin else {
        return Vec::new();
    };
    let mut refused = Vec::new();
    if version < ScubaGearVersion::new(1, 2, 0)
        && let Some(roles) = doc.get_mut("privileged_roles")
    {
        for role in rows_mut(roles) {
            add_rule_sources(role);
        }
    }
    if version < ScubaGearVersion::new(1, 3, 0) && doc.contains_key("authentication_method") {
        refused.push(Refusal {
            section: "authentication_method".into(),
            reason: format!(
                "the export was written by ScubaGear {version}, whose `authentication_method` is the policy object written only 2 (1.1.x) or 5 (1.2.x) levels deep (deeper settings became text), not the method configurations ScubaGear 1.3.0 and later write: it cannot be read faithfully"
            ),
        });
    }
    refused
}

/// The rows of a section: the items of a list, or the object itself.
fn rows_mut(v: &mut Value) -> Vec<&mut Value> {
    match v {
        Value::Array(a) => a.iter_mut().filter(|x| x.is_object()).collect(),
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

/// `notificationRecipients` -> `NotificationRecipients`; `@odata.type` stays.
fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Renames every key in `v`, at every depth, to PascalCase; a key already present in its
/// PascalCase form wins over its camelCase twin.
pub fn pascal_case_keys(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(pascal_case_keys),
        Value::Object(o) => {
            let old = std::mem::take(o);
            let mut camel = Vec::new();
            for (k, mut x) in old {
                pascal_case_keys(&mut x);
                let p = pascal(&k);
                if p == k {
                    o.insert(k, x);
                } else {
                    camel.push((p, x));
                }
            }
            for (k, x) in camel {
                o.entry(k).or_insert(x);
            }
        }
        _ => {}
    }
}

/// Moves the members of every `AdditionalProperties` object in `v` (at any depth) into the
/// object holding it, in PascalCase at every depth, without replacing a member already there;
/// the `AdditionalProperties` member itself is dropped.
pub fn lift_additional_properties(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(lift_additional_properties),
        Value::Object(o) => {
            if let Some(extra) = o.remove("AdditionalProperties") {
                if let Value::Object(extra) = extra {
                    for (k, mut x) in extra {
                        pascal_case_keys(&mut x);
                        o.entry(pascal(&k)).or_insert(x);
                    }
                } else if !extra.is_null() {
                    o.insert("AdditionalProperties".into(), extra);
                }
            }
            o.values_mut().for_each(|x| {
                if x.is_object() || x.is_array() {
                    lift_additional_properties(x);
                }
            });
        }
        _ => {}
    }
}

/// 1.1.x rules are the role's own policy's: their source is the role.
fn add_rule_sources(role: &mut Value) {
    let Some(name) = role.get("DisplayName").and_then(Value::as_str) else {
        return;
    };
    let name = name.to_string();
    let Some(rules) = role.get_mut("Rules") else {
        return;
    };
    for rule in rows_mut(rules) {
        if let Some(rule) = rule.as_object_mut()
            && !rule.contains_key("RuleSource")
        {
            rule.insert("RuleSource".into(), Value::String(name.clone()));
            rule.insert("RuleSourceType".into(), "Directory Role".into());
        }
    }
}

/// Adds the current name of each renamed command to the list that records the old one.
fn rename_commands(doc: &mut Map<String, Value>) {
    for outcome in ["successful", "unsuccessful"] {
        for (prefix, old, new) in RENAMED_COMMANDS {
            let Some(Value::Array(list)) = doc.get_mut(&format!("{prefix}_{outcome}_commands"))
            else {
                continue;
            };
            if list.iter().any(|c| c.as_str() == Some(old))
                && !list.iter().any(|c| c.as_str() == Some(new))
            {
                list.push((*new).into());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(s: &str) -> ExportOrigin {
        origin(Some(&json!(s))).unwrap()
    }

    #[test]
    fn versions_are_read_from_module_version() {
        assert_eq!(
            v("1.8.0"),
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 8, 0))
        );
        assert_eq!(
            v("1.5.0-rc1"),
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 5, 0))
        );
        assert_eq!(
            v("1.10"),
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 10, 0))
        );
        assert_eq!(
            v("aether365-collector 0.4.0"),
            ExportOrigin::Aether365Collector
        );
        assert_eq!(origin(None), Ok(ExportOrigin::Unmarked));
        assert!(ScubaGearVersion::new(1, 10, 0) > ScubaGearVersion::new(1, 8, 0));
    }

    #[test]
    fn old_and_unknown_versions_are_refused_naming_what_is_accepted() {
        for old in ["1.0.0", "1.0.1", "0.3.0", "0.2.1"] {
            let err = origin(Some(&json!(old))).unwrap_err();
            assert!(matches!(err, VersionRefusal::TooOld { .. }), "{old}");
            let text = err.to_string();
            assert!(
                text.contains(old) && text.contains("ScubaGear 1.1.0 and later"),
                "{text}"
            );
        }
        for bad in [json!("dev"), json!("v1.8.0"), json!(""), json!(1.8)] {
            let err = origin(Some(&bad)).unwrap_err();
            assert!(matches!(err, VersionRefusal::Unknown { .. }), "{bad}");
            assert!(err.to_string().contains("1.1.0 and later"), "{err}");
        }
        assert!(origin(Some(&json!("aether365-collectorX"))).is_err());
    }

    #[test]
    fn lifting_moves_sdk_properties_into_place_without_overwriting() {
        let mut rule = json!({
            "Id": "Approval_EndUser_Assignment",
            "Target": {"Caller": "EndUser"},
            "AdditionalProperties": {
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                "setting": {"isApprovalRequired": false, "approvalStages": [{"approvalStageTimeOutInDays": 1}]},
                "id": "ignored"
            }
        });
        lift_additional_properties(&mut rule);
        assert_eq!(
            rule,
            json!({
                "Id": "Approval_EndUser_Assignment",
                "Target": {"Caller": "EndUser"},
                "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                "Setting": {"IsApprovalRequired": false, "ApprovalStages": [{"ApprovalStageTimeOutInDays": 1}]}
            })
        );
    }

    #[test]
    fn camel_case_assignments_become_pascal_case() {
        let mut a = json!([{"principalId": "p", "endDateTime": null, "StartDateTime": "x", "startDateTime": "y"}]);
        pascal_case_keys(&mut a);
        assert_eq!(
            a,
            json!([{"PrincipalId": "p", "EndDateTime": null, "StartDateTime": "x"}])
        );
    }

    #[test]
    fn collections_are_left_alone_and_older_shapes_read_whatever_the_label() {
        let doc = json!({
            "privileged_roles": [{"DisplayName": "r", "Rules": [{"Id": "x", "AdditionalProperties": {"a": 1}}]}],
            "authentication_method": [{}],
            "SharePoint_unsuccessful_commands": ["Get-SPOTenant"]
        });
        let mut d = doc.as_object().unwrap().clone();
        assert!(normalise(&mut d, ExportOrigin::Aether365Collector).is_empty());
        assert_eq!(Value::Object(d), doc);
        for o in [
            ExportOrigin::ScubaGear(CURRENT_SCUBAGEAR),
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 5, 0)),
            ExportOrigin::Unmarked,
        ] {
            let mut d = doc.as_object().unwrap().clone();
            assert!(normalise(&mut d, o).is_empty());
            assert_eq!(
                d["privileged_roles"][0]["Rules"][0],
                json!({"Id": "x", "A": 1})
            );
            assert_eq!(
                d["SharePoint_unsuccessful_commands"],
                json!(["Get-SPOTenant", "Get-SPOTenantRest"])
            );
        }
    }

    #[test]
    fn older_command_names_are_recorded_under_their_current_names() {
        let mut d = json!({
            "SharePoint_unsuccessful_commands": ["Get-SPOTenant"],
            "powerplatform_successful_commands": ["Get-TenantSettings"],
            "powerplatform_unsuccessful_commands": ["Get-DlpPolicy"]
        })
        .as_object()
        .unwrap()
        .clone();
        normalise(
            &mut d,
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 7, 1)),
        );
        assert_eq!(
            d["SharePoint_unsuccessful_commands"],
            json!(["Get-SPOTenant", "Get-SPOTenantRest"])
        );
        assert_eq!(
            d["powerplatform_successful_commands"],
            json!(["Get-TenantSettings", "Get-PowerPlatformTenantSettingsRest"])
        );
        assert_eq!(
            d["powerplatform_unsuccessful_commands"],
            json!(["Get-DlpPolicy", "Get-PowerPlatformDlpPoliciesRest"])
        );
    }

    #[test]
    fn rules_of_1_1_take_their_role_as_source_and_1_2_auth_methods_are_refused() {
        let mut d = json!({
            "privileged_roles": [{"DisplayName": "Global Administrator", "Rules": [{"Id": "x"}]}],
            "authentication_method": [{"PolicyMigrationState": "migrationComplete"}]
        })
        .as_object()
        .unwrap()
        .clone();
        let refused = normalise(
            &mut d,
            ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 1, 1)),
        );
        assert_eq!(
            d["privileged_roles"][0]["Rules"][0],
            json!({"Id": "x", "RuleSource": "Global Administrator", "RuleSourceType": "Directory Role"})
        );
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].section, "authentication_method");
        assert!(refused[0].reason.contains("ScubaGear 1.1.1"));
        let mut d = json!({"authentication_method": [{}]})
            .as_object()
            .unwrap()
            .clone();
        assert!(
            normalise(
                &mut d,
                ExportOrigin::ScubaGear(ScubaGearVersion::new(1, 3, 0))
            )
            .is_empty()
        );
    }
}
