//! A tenant configuration snapshot: a ScubaGear `ProviderSettingsExport.json` document, plus an
//! optional `aether365` section of our own (versioned, [`AETHER365_VERSION`]) for settings
//! ScubaGear's export does not carry ([`AETHER365_SOURCES`]). Checks read both through the same
//! API ([`Snapshot::list`], [`Snapshot::rows`]): a key of the `aether365` section is looked up
//! there, and a plain ScubaGear export, which has no such section, gives an error naming it.

use serde_json::{Map, Value};

use crate::intake::{ESSENTIAL_KEYS, SnapshotError};
use crate::legacy_export::{self, ExportOrigin, Refusal};

/// Each settings group: the command that fills it (ScubaGear's name) and the prefix of the
/// `*_successful_commands` / `*_unsuccessful_commands` lists of the service that runs it.
const SOURCES: &[(&str, &str, &str)] = &[
    (
        "conditional_access_policies",
        "Get-MgBetaIdentityConditionalAccessPolicy",
        "aad",
    ),
    ("service_plans", "Get-MgBetaSubscribedSku", "aad"),
    ("privileged_users", "Get-PrivilegedUser", "aad"),
    ("privileged_roles", "Get-PrivilegedRole", "aad"),
    (
        "authorization_policies",
        "Get-MgBetaPolicyAuthorizationPolicy",
        "aad",
    ),
    ("directory_settings", "Get-MgBetaDirectorySetting", "aad"),
    (
        "authentication_method",
        "Get-MgBetaPolicyAuthenticationMethodPolicy",
        "aad",
    ),
    ("domain_settings", "Get-MgBetaDomain", "aad"),
    (
        "risky_delegated_permission_classifications",
        "Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications",
        "aad",
    ),
    (
        "admin_audit_log_config",
        "Get-AdminAuditLogConfig",
        "securitysuite",
    ),
    (
        "protection_policy_rules",
        "Get-EOPProtectionPolicyRule",
        "securitysuite",
    ),
    (
        "anti_phish_policies",
        "Get-AntiPhishPolicy",
        "securitysuite",
    ),
    ("conn_filter", "Get-HostedConnectionFilterPolicy", "exo"),
    (
        "atp_policy_for_o365",
        "Get-AtpPolicyForO365",
        "securitysuite",
    ),
    (
        "atp_policy_rules",
        "Get-ATPProtectionPolicyRule",
        "securitysuite",
    ),
    (
        "dlp_compliance_policies",
        "Get-DlpCompliancePolicy",
        "securitysuite",
    ),
    (
        "dlp_compliance_rules",
        "Get-DlpComplianceRule",
        "securitysuite",
    ),
    ("protection_alerts", "Get-ProtectionAlert", "securitysuite"),
    ("remote_domains", "Get-RemoteDomain", "exo"),
    ("accepted_domains", "Get-AcceptedDomain", "exo"),
    ("spf_records", "Get-ScubaSpfRecord", "exo"),
    ("dkim_config", "Get-DkimSigningConfig", "exo"),
    ("dkim_records", "Get-ScubaDkimRecord", "exo"),
    ("dmarc_records", "Get-ScubaDmarcRecord", "exo"),
    ("transport_config", "Get-TransportConfig", "exo"),
    ("sharing_policy", "Get-SharingPolicy", "exo"),
    ("transport_rule", "Get-TransportRule", "exo"),
    ("org_config", "Get-OrganizationConfig", "exo"),
    (
        "environment_creation",
        "Get-PowerPlatformTenantSettingsRest",
        "powerplatform",
    ),
    (
        "environment_list",
        "Get-PowerPlatformEnvironmentsRest",
        "powerplatform",
    ),
    (
        "dlp_policies",
        "Get-PowerPlatformDlpPoliciesRest",
        "powerplatform",
    ),
    (
        "tenant_isolation",
        "Get-PowerPlatformTenantIsolationRest",
        "powerplatform",
    ),
    ("SPO_tenant", "Get-SPOTenantRest", "SharePoint"),
    ("teams_tenant_info", "Get-CsTenant", "teams"),
    ("meeting_policies", "Get-CsTeamsMeetingPolicy", "teams"),
    (
        "federation_configuration",
        "Get-CsTenantFederationConfiguration",
        "teams",
    ),
    (
        "client_configuration",
        "Get-CsTeamsClientConfiguration",
        "teams",
    ),
    (
        "broadcast_policies",
        "Get-CsTeamsMeetingBroadcastPolicy",
        "teams",
    ),
    ("app_policies", "Get-CsTeamsAppPermissionPolicy", "teams"),
    (
        "tenant_app_settings",
        "Get-CsTeamsAppPermissionPolicy",
        "teams",
    ),
];

/// The key of the `aether365` section naming the Tenant Configuration Management snapshot job
/// the Teams sections were read from (the collector's `TCM_SNAPSHOT_KEY`).
pub const TEAMS_TCM_SNAPSHOT: &str = "teams_tcm_snapshot";

/// The key of our own section, beside ScubaGear's keys.
pub const AETHER365_SECTION: &str = "aether365";
/// The version of the `aether365` section this engine reads.
pub const AETHER365_VERSION: u64 = 1;

/// The settings groups of the `aether365` section: key, the command that fills it, and the
/// prefix of the `*_successful_commands` list the collector records it in.
pub const AETHER365_SOURCES: &[(&str, &str, &str)] = &[
    ("anti_malware_policies", "Get-MalwareFilterPolicy", "exo"),
    (
        "hosted_outbound_spam_filter_policies",
        "Get-HostedOutboundSpamFilterPolicy",
        "exo",
    ),
    (
        "hosted_content_filter_policies",
        "Get-HostedContentFilterPolicy",
        "exo",
    ),
    // Power BI / Fabric: the Fabric admin API's tenant settings (`GET /v1/admin/tenantsettings`).
    (
        "fabric_tenant_settings",
        "Get-FabricTenantSettingsRest",
        "powerbi",
    ),
    // CIS v7.0.0 Exchange Online, Defender and Purview settings (issue 26, cis-exchange).
    ("owa_mailbox_policies", "Get-OwaMailboxPolicy", "exo"),
    ("external_in_outlook", "Get-ExternalInOutlook", "exo"),
    (
        "mailbox_audit_bypass_associations",
        "Get-MailboxAuditBypassAssociation",
        "exo",
    ),
    (
        "role_assignment_policies",
        "Get-RoleAssignmentPolicy",
        "exo",
    ),
    // The `Get-OrganizationConfig` properties CIS needs beyond the 14 ScubaGear keeps in
    // `org_config` (MailTips, RejectDirectSend).
    ("organization_config", "Get-OrganizationConfig", "exo"),
    ("email_tenant_settings", "Get-EmailTenantSettings", "exo"),
    (
        "teams_protection_policies",
        "Get-TeamsProtectionPolicy",
        "exo",
    ),
    ("label_policies", "Get-LabelPolicy", "securitysuite"),
    // The Security Suite baseline of ScubaGear's main branch (issue 21), under its export's
    // keys: the rules saying whom each custom policy applies to, and the Defender for Office
    // 365 and audit retention policies ScubaGear 1.8.0 does not export.
    ("anti_malware_rules", "Get-MalwareFilterRule", "exo"),
    (
        "hosted_content_filter_rules",
        "Get-HostedContentFilterRule",
        "exo",
    ),
    ("anti_phish_rules", "Get-AntiPhishRule", "exo"),
    (
        "safe_attachment_policies",
        "Get-SafeAttachmentPolicy",
        "exo",
    ),
    ("safe_attachment_rules", "Get-SafeAttachmentRule", "exo"),
    (
        "built_in_protection_rules",
        "Get-ATPBuiltInProtectionRule",
        "exo",
    ),
    ("safe_links_policies", "Get-SafeLinksPolicy", "exo"),
    ("safe_links_rules", "Get-SafeLinksRule", "exo"),
    (
        "unified_audit_log_retention_policies",
        "Get-UnifiedAuditLogRetentionPolicy",
        "securitysuite",
    ),
    // Microsoft Graph settings (CIS 1.3.x, 4.x, 5.1.4.x, 5.1.5.3-6, 5.1.6.1, 5.2.2.14, 5.3.x), read raw
    // with Graph's property names.
    (
        "activity_based_timeout_policies",
        "Get-MgPolicyActivityBasedTimeoutPolicy",
        "aad",
    ),
    ("apps_and_services", "Get-MgBetaAdminAppsAndServices", "aad"),
    ("forms_settings", "Get-MgBetaAdminForms", "aad"),
    (
        "device_management_settings",
        "Get-MgDeviceManagement",
        "aad",
    ),
    (
        "device_enrollment_configurations",
        "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
        "aad",
    ),
    (
        "device_registration_policy",
        "Get-MgPolicyDeviceRegistrationPolicy",
        "aad",
    ),
    (
        "b2b_management_policies",
        "Get-MgBetaPolicyB2BManagementPolicy",
        "aad",
    ),
    (
        "named_locations",
        "Get-MgIdentityConditionalAccessNamedLocation",
        "aad",
    ),
    (
        "access_review_definitions",
        "Get-MgIdentityGovernanceAccessReviewDefinition",
        "aad",
    ),
    (
        "default_app_management_policy",
        "Get-MgPolicyDefaultAppManagementPolicy",
        "aad",
    ),
    // Custom app management policies, each with the applications it is assigned to
    // (`appliesTo`), for ScubaGear main branch's MS.AAD.5.5v1 to 5.7v1.
    (
        "app_management_policies",
        "Get-MgPolicyAppManagementPolicy",
        "aad",
    ),
    (
        "third_party_storage_service_principals",
        "Get-MgServicePrincipal -Filter appId eq 'c1f33bc0-bdb4-4248-ba9b-096807ddb43e'",
        "aad",
    ),
    // Per-object reads of large tenants, folded into bounded summaries (one object each).
    (
        "privileged_user_licences",
        "Get-MgUser -Property AssignedLicenses",
        "aad",
    ),
    (
        "unified_group_visibility",
        "Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')",
        "aad",
    ),
    (
        "member_mfa_capability",
        "Get-MgReportAuthenticationMethodUserRegistrationDetail",
        "aad",
    ),
    (
        "shared_mailbox_sign_in",
        "Get-Mailbox -RecipientTypeDetails SharedMailbox",
        "exo",
    ),
    (
        "mailbox_audit_actions",
        "Get-Mailbox -RecipientTypeDetails UserMailbox",
        "exo",
    ),
];

/// Adds `section` (keys of the `aether365` section) to a ScubaGear export as a live collection
/// whose every read answered writes it: versioned, each command of [`AETHER365_SOURCES`]
/// recorded successful once. For sample data: the demo and the tests.
pub fn add_live_section(export: &mut Map<String, Value>, section: Map<String, Value>) {
    let mut own = Map::new();
    own.insert("version".into(), AETHER365_VERSION.into());
    own.extend(section.into_iter().filter(|(k, _)| k != "version"));
    export.insert(AETHER365_SECTION.into(), Value::Object(own));
    for (_, command, prefix) in AETHER365_SOURCES {
        let list = export
            .entry(format!("{prefix}_successful_commands"))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = list.as_array_mut()
            && !list.iter().any(|c| c.as_str() == Some(command))
        {
            list.push((*command).into());
        }
    }
}

/// Every settings group the engine knows the command of: ScubaGear's, then ours.
fn all_sources() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    SOURCES.iter().chain(AETHER365_SOURCES.iter())
}

/// An owned, validated configuration export, in the current ScubaGear shape: an older
/// export's differences are normalised at parse ([`crate::legacy_export`]), and the sections it
/// cannot read faithfully are refused to every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    value: Value,
    origin: ExportOrigin,
    refused: Vec<Refusal>,
}

impl Snapshot {
    /// Parses JSON bytes, accepting a leading UTF-8 byte order mark, within the same bounds as
    /// an import ([`crate::intake::check_export`]: checked before any tree is built).
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|_| SnapshotError::NotUtf8)?;
        let range = crate::intake::locate(text)?;
        let value: Value = serde_json::from_str(text.get(range).unwrap_or_default())?;
        Snapshot::from_value(value)
    }

    /// Wraps a JSON value after checking it is an object with tenant settings. A ScubaGear
    /// results file (`ScubaResults*.json`, newer ScubaGear) is accepted too: its `Raw` member
    /// holds the settings export.
    pub fn from_value(value: Value) -> Result<Snapshot, SnapshotError> {
        let value = match value {
            Value::Object(mut obj)
                if !ESSENTIAL_KEYS.iter().any(|k| obj.contains_key(*k))
                    && obj.get("Raw").is_some_and(Value::is_object) =>
            {
                obj.remove("Raw").unwrap_or(Value::Null)
            }
            other => other,
        };
        let obj = match &value {
            Value::Object(o) => o,
            Value::Array(_) => return Err(SnapshotError::NotAnObject("an array")),
            Value::String(_) => return Err(SnapshotError::NotAnObject("a string")),
            Value::Number(_) => return Err(SnapshotError::NotAnObject("a number")),
            Value::Bool(_) => return Err(SnapshotError::NotAnObject("a boolean")),
            Value::Null => return Err(SnapshotError::NotAnObject("null")),
        };
        if !ESSENTIAL_KEYS.iter().any(|k| obj.contains_key(*k)) {
            return Err(SnapshotError::MissingEssentials);
        }
        let origin = legacy_export::origin(obj.get("module_version"))?;
        let mut value = value;
        let refused = match &mut value {
            Value::Object(doc) => legacy_export::normalise(doc, origin),
            _ => Vec::new(),
        };
        Ok(Snapshot {
            value,
            origin,
            refused,
        })
    }

    /// Who wrote the export ([`ExportOrigin`]), from its `module_version`.
    pub fn origin(&self) -> ExportOrigin {
        self.origin
    }

    /// The sections of an older export that no check reads, each with the reason.
    pub fn refused_sections(&self) -> &[Refusal] {
        &self.refused
    }

    /// The raw document.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The raw document, mutable (used by demo variations and tests).
    pub fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }

    /// The tenant id (GUID), from `tenant_id` or `tenant_details`.
    pub fn tenant_id(&self) -> Option<String> {
        if let Some(s) = self.value.get("tenant_id").and_then(Value::as_str)
            && !s.is_empty()
        {
            return Some(s.to_string());
        }
        first(self.value.get("tenant_details")?)
            .get("TenantId")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The tenant's display name.
    pub fn display_name(&self) -> Option<String> {
        let details = first(self.value.get("tenant_details")?);
        details
            .get("DisplayName")
            .and_then(Value::as_str)
            .or_else(|| {
                details
                    .pointer("/AADAdditionalData/0/DisplayName")
                    .and_then(Value::as_str)
            })
            .map(str::to_string)
    }

    /// Accepted domains (Exchange) or verified domains (Entra ID), deduplicated, in export order.
    pub fn domains(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |d: &str| {
            let d = d.trim().to_ascii_lowercase();
            if !d.is_empty() && !out.contains(&d) {
                out.push(d);
            }
        };
        if let Some(list) = self.value.get("accepted_domains") {
            for d in items(list) {
                if let Some(name) = d.get("DomainName").and_then(Value::as_str) {
                    push(name);
                }
            }
        }
        if let Some(list) = self.value.get("domain_settings") {
            for d in items(list) {
                if d.get("IsVerified").and_then(Value::as_bool) == Some(true)
                    && let Some(name) = d.get("Id").and_then(Value::as_str)
                {
                    push(name);
                }
            }
        }
        out
    }

    /// The default domain: the accepted domain marked `Default`, else the first domain.
    pub fn primary_domain(&self) -> Option<String> {
        if let Some(list) = self.value.get("accepted_domains") {
            for d in items(list) {
                if d.get("Default").and_then(Value::as_bool) == Some(true)
                    && let Some(name) = d.get("DomainName").and_then(Value::as_str)
                {
                    return Some(name.to_ascii_lowercase());
                }
            }
        }
        self.domains().into_iter().next()
    }

    /// A settings group, or the reason it cannot be used (absent, null, or its command failed).
    pub fn section(&self, key: &str) -> Result<&Value, String> {
        if let Some(refusal) = self.refused.iter().find(|r| r.section == key) {
            return Err(refusal.reason.clone());
        }
        if let Some(cmd) = Snapshot::source(key)
            && self.command_failed(cmd)
        {
            return Err(match self.command_error(cmd) {
                Some(reason) => format!("{cmd} failed ({reason}), so `{key}` could not be read"),
                None => {
                    format!("the export records that {cmd} failed, so `{key}` could not be read")
                }
            });
        }
        if let Some((_, cmd, _)) = AETHER365_SOURCES.iter().find(|(k, _, _)| *k == key) {
            return self.own_section(key, cmd);
        }
        match self.value.get(key) {
            None => Err(format!("the snapshot has no `{key}` settings group")),
            Some(Value::Null) => Err(format!("the snapshot's `{key}` settings group is null")),
            Some(v) => Ok(v),
        }
    }

    /// A settings group of the `aether365` section, checked for its version.
    fn own_section(&self, key: &str, cmd: &str) -> Result<&Value, String> {
        let Some(section) = self.value.get(AETHER365_SECTION) else {
            return Err(format!(
                "the snapshot has no `{AETHER365_SECTION}` section: `{key}` ({cmd}) is not in a ScubaGear export, only in a live collection"
            ));
        };
        match section.get("version").and_then(Value::as_u64) {
            Some(AETHER365_VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "the snapshot's `{AETHER365_SECTION}` section is version {other}; this engine reads version {AETHER365_VERSION}, so `{key}` could not be read"
                ));
            }
            None => {
                return Err(format!(
                    "the snapshot's `{AETHER365_SECTION}` section has no version, so `{key}` could not be read"
                ));
            }
        }
        match section.get(key) {
            None => Err(format!(
                "the snapshot's `{AETHER365_SECTION}` section has no `{key}` settings group ({cmd})"
            )),
            Some(Value::Null) => Err(format!(
                "the snapshot's `{AETHER365_SECTION}.{key}` settings group is null"
            )),
            Some(v) => Ok(v),
        }
    }

    /// A settings group as a list of objects (a single object counts as a list of one; nulls
    /// dropped). Any other shape is unknown and refused: an empty object (no row to read), a
    /// scalar, or a list holding something other than objects.
    pub fn list(&self, key: &str) -> Result<Vec<&Value>, String> {
        let v = self.section(key)?;
        if v.as_object().is_some_and(|o| o.is_empty()) {
            return Err(format!(
                "`{key}` is an empty object where a list of rows was expected: its shape is unknown"
            ));
        }
        let rows = items(v);
        if let Some(bad) = rows.iter().find(|r| !r.is_object()) {
            return Err(format!(
                "`{key}` holds {} where rows (objects) were expected: its shape is unknown",
                kind(bad)
            ));
        }
        Ok(rows)
    }

    /// The command that fills a settings group (ScubaGear's name), when the engine knows it.
    pub fn source(key: &str) -> Option<&'static str> {
        all_sources()
            .find(|(k, _, _)| *k == key)
            .map(|(_, c, _)| *c)
    }

    /// True when a `*_successful_commands` list names `command` and no
    /// `*_unsuccessful_commands` list does.
    pub fn command_succeeded(&self, command: &str) -> bool {
        let Some(obj) = self.value.as_object() else {
            return false;
        };
        !self.command_failed(command)
            && obj
                .iter()
                .filter(|(k, _)| k.ends_with("_successful_commands"))
                .any(|(_, v)| {
                    v.as_array()
                        .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(command)))
                })
    }

    /// The command ScubaGear runs to fill the settings group `key`, and the prefix of the
    /// `*_successful_commands` list it is recorded in (`"aad"`, `"exo"`, ...); `None` for a
    /// group no known command fills.
    pub fn source_of(key: &str) -> Option<(&'static str, &'static str)> {
        all_sources()
            .find(|(k, _, _)| *k == key)
            .map(|(_, cmd, prefix)| (*cmd, *prefix))
    }

    /// The command whose success the export records for `key`, so that an empty answer in `key`
    /// is evidence of absence; or why emptiness there proves nothing (the read may have failed).
    pub fn empty_read(&self, key: &str) -> Result<&'static str, String> {
        let Some((_, cmd, prefix)) = all_sources().find(|(k, _, _)| *k == key) else {
            return Err(format!(
                "`{key}` is empty and no command is known to fill it, so its emptiness proves nothing"
            ));
        };
        if self.command_succeeded(cmd) {
            Ok(cmd)
        } else {
            Err(format!(
                "`{key}` is empty and the export does not record that {cmd} succeeded (`{prefix}_successful_commands`), so an empty answer cannot be told from a failed read"
            ))
        }
    }

    /// A settings group that every tenant has at least one row of (the authorization policy,
    /// Teams app settings): an empty group means the read returned nothing, never "no setting".
    pub fn rows(&self, key: &str) -> Result<Vec<&Value>, String> {
        let rows = self.list(key)?;
        if rows.is_empty() {
            return Err(format!(
                "`{key}` is empty, but every tenant has one: the read returned nothing"
            ));
        }
        Ok(rows)
    }

    /// The collector's reason for a failed command (`aether365_collection.command_errors`).
    pub fn command_error(&self, command: &str) -> Option<&str> {
        self.value
            .get("aether365_collection")?
            .get("command_errors")?
            .get(command)?
            .as_str()
    }

    /// The Tenant Configuration Management snapshot job a live collection read the Teams
    /// sections from (`aether365.teams_tcm_snapshot`: `job_id`, `completed_date_time`, ...), when
    /// it did; `None` for an import, or when Teams came from an import.
    pub fn teams_tcm_snapshot(&self) -> Option<&Value> {
        let section = self.value.get(AETHER365_SECTION)?;
        if section.get("version").and_then(Value::as_u64) != Some(AETHER365_VERSION) {
            return None;
        }
        section
            .get(TEAMS_TCM_SNAPSHOT)
            .filter(|v| v.get("job_id").and_then(Value::as_str).is_some())
    }

    /// The export's own time stamp (`timestamp_zulu`), as written.
    pub fn timestamp_zulu(&self) -> Option<&str> {
        self.value.get("timestamp_zulu").and_then(Value::as_str)
    }

    /// True when any `*_unsuccessful_commands` list names `command`.
    pub fn command_failed(&self, command: &str) -> bool {
        let Some(obj) = self.value.as_object() else {
            return false;
        };
        obj.iter()
            .filter(|(k, _)| k.ends_with("_unsuccessful_commands"))
            .any(|(_, v)| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(command)))
            })
    }
}

/// A JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The first element of an array, or the value itself.
fn first(v: &Value) -> &Value {
    match v {
        Value::Array(a) => a.first().unwrap_or(&Value::Null),
        other => other,
    }
}

/// Normalises "list of objects or a single object" into a list, dropping nulls.
pub(crate) fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().filter(|x| !x.is_null()).collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_bad_documents() {
        assert!(matches!(
            Snapshot::from_bytes(b"not json"),
            Err(SnapshotError::NotJson(_))
        ));
        assert!(matches!(
            Snapshot::from_bytes(b"[1,2]"),
            Err(SnapshotError::NotAnObject(_))
        ));
        assert!(matches!(
            Snapshot::from_bytes(b"{\"x\":1}"),
            Err(SnapshotError::MissingEssentials)
        ));
    }

    #[test]
    fn accepts_scuba_results_files() {
        let s = Snapshot::from_value(json!({
            "MetaData": {"TenantId": "t"},
            "Results": {},
            "Raw": {"tenant_id": "t", "timestamp_zulu": "2026-05-04T17:15:48.307Z"}
        }))
        .unwrap();
        assert_eq!(s.tenant_id().as_deref(), Some("t"));
        assert_eq!(s.timestamp_zulu(), Some("2026-05-04T17:15:48.307Z"));
    }

    #[test]
    fn accepts_bom_and_reads_identity() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            br#"{"tenant_id":"t1","tenant_details":[{"DisplayName":"Contoso"}],
               "accepted_domains":[{"DomainName":"Contoso.com","Default":false},{"DomainName":"contoso.onmicrosoft.com","Default":true}],
               "domain_settings":{"Id":"contoso.onmicrosoft.com","IsVerified":true}}"#,
        );
        let s = Snapshot::from_bytes(&bytes).unwrap();
        assert_eq!(s.tenant_id().as_deref(), Some("t1"));
        assert_eq!(s.display_name().as_deref(), Some("Contoso"));
        assert_eq!(s.domains(), vec!["contoso.com", "contoso.onmicrosoft.com"]);
        assert_eq!(
            s.primary_domain().as_deref(),
            Some("contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn section_reports_failed_commands() {
        let s = Snapshot::from_value(json!({
            "tenant_id": "t",
            "transport_config": [{}],
            "exo_unsuccessful_commands": ["Get-TransportConfig"]
        }))
        .unwrap();
        let err = s.section("transport_config").unwrap_err();
        assert!(err.contains("Get-TransportConfig"), "{err}");
        let collected = Snapshot::from_value(json!({
            "tenant_id": "t",
            "exo_unsuccessful_commands": ["Get-TransportConfig"],
            "aether365_collection": {"command_errors": {"Get-TransportConfig": "403 Forbidden: Exchange.ManageAsApp not granted"}}
        }))
        .unwrap();
        assert_eq!(
            collected.section("transport_config").unwrap_err(),
            "Get-TransportConfig failed (403 Forbidden: Exchange.ManageAsApp not granted), so `transport_config` could not be read"
        );
        assert!(
            s.section("org_config")
                .unwrap_err()
                .contains("no `org_config`")
        );
    }
}
