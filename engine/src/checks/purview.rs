//! Purview checks: unified audit log and data loss prevention.

use serde_json::{Value, json};

use super::{b, check, input, list_ours, n, name_of, s, strs, unlicensed};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

const SENSITIVE_TYPES: [&str; 3] = [
    "U.S. Social Security Number (SSN)",
    "U.S. Individual Taxpayer Identification Number (ITIN)",
    "Credit Card Number",
];

fn enforced(p: &Value) -> bool {
    b(p, "Enabled") == Some(true) && s(p, "Mode") == "Enable"
}

fn unified_audit(snap: &Snapshot) -> Outcome {
    let cfgs = input!(snap.list("admin_audit_log_config"));
    let on: Vec<String> = cfgs
        .iter()
        .filter(|c| b(c, "UnifiedAuditLogIngestionEnabled") == Some(true))
        .map(|c| name_of(c))
        .collect();
    Outcome::verdict(
        !on.is_empty(),
        "Unified audit log ingestion is enabled.",
        "Unified audit log ingestion is disabled: user and admin activity is not recorded.",
        json!({ "enabled_in": on }),
    )
}

fn admin_audit(snap: &Snapshot) -> Outcome {
    let cfgs = input!(snap.list("admin_audit_log_config"));
    let on = cfgs
        .iter()
        .any(|c| b(c, "AdminAuditLogEnabled") == Some(true));
    Outcome::verdict(
        on,
        "Exchange administrator audit logging is enabled.",
        "Exchange administrator audit logging is disabled.",
        json!({ "AdminAuditLogEnabled": on }),
    )
}

fn dlp_enforced(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("dlp_compliance_policies"));
    let active: Vec<String> = pols
        .iter()
        .filter(|p| enforced(p))
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        !active.is_empty(),
        format!("Enforced DLP policies: {}.", active.len()),
        format!(
            "None of the {} DLP policies is enabled and enforced.",
            pols.len()
        ),
        json!({ "enforced_policies": active, "policies": pols.len() }),
    )
    .about(&active)
}

fn dlp_teams(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("dlp_compliance_policies"));
    let teams: Vec<String> = pols
        .iter()
        .filter(|p| {
            enforced(p)
                && strs(p.get("TeamsLocation")).iter().any(|l| l == "All")
                && s(p, "Workload").contains("Teams")
        })
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        !teams.is_empty(),
        format!(
            "{} all Teams chats and channels.",
            n(&teams, "DLP policy covers", "DLP policies cover")
        ),
        "No enforced DLP policy covers all Teams locations.",
        json!({ "teams_policies": teams }),
    )
    .about(&teams)
}

/// Names of the sensitive information types a DLP rule detects.
fn rule_types(rule: &Value) -> Vec<&'static str> {
    if b(rule, "IsAdvancedRule") == Some(true) {
        let text = s(rule, "AdvancedRule");
        SENSITIVE_TYPES
            .iter()
            .copied()
            .filter(|t| text.contains(t))
            .collect()
    } else {
        let names: Vec<String> = rule
            .get("ContentContainsSensitiveInformation")
            .map(crate::snapshot::items)
            .unwrap_or_default()
            .iter()
            .map(|c| s(c, "name").to_string())
            .collect();
        SENSITIVE_TYPES
            .iter()
            .copied()
            .filter(|t| names.iter().any(|n| n == t))
            .collect()
    }
}

/// A fail when the export records that the tenant has no DLP licence (`defender_dlp_license`
/// false, which ScubaGear's export computes from the tenant's plans), as ScubaGear fails the
/// DLP policies then: no DLP policy can protect anything without one.
fn no_dlp_licence(snap: &Snapshot) -> Option<Outcome> {
    unlicensed(
        snap,
        "defender_dlp_license",
        "The tenant has no Microsoft Purview Data Loss Prevention licence, so no DLP policy protects its data.",
    )
}

fn sensitive_types_protected(snap: &Snapshot) -> Outcome {
    if let Some(out) = no_dlp_licence(snap) {
        return out;
    }
    let pols = input!(snap.list("dlp_compliance_policies"));
    let rules = input!(snap.list("dlp_compliance_rules"));
    let active: Vec<&str> = pols
        .iter()
        .filter(|p| enforced(p))
        .map(|p| s(p, "Name"))
        .collect();
    let mut by_type = serde_json::Map::new();
    let mut missing = Vec::new();
    for t in SENSITIVE_TYPES {
        let names: Vec<String> = rules
            .iter()
            .filter(|r| {
                b(r, "Disabled") == Some(false) && active.contains(&s(r, "ParentPolicyName"))
            })
            .filter(|r| rule_types(r).contains(&t))
            .map(|r| s(r, "Name").to_string())
            .collect();
        if names.is_empty() {
            missing.push(t.to_string());
        }
        by_type.insert(t.to_string(), json!(names));
    }
    Outcome::verdict(
        missing.is_empty(),
        "Enforced DLP rules detect SSNs, ITINs and credit card numbers.",
        format!("No enforced DLP rule detects: {}.", list_ours(&missing)),
        json!({ "rules_by_type": by_type, "missing": missing }),
    )
}

/// Enabled rules of enforced DLP policies that detect all three sensitive types (SCuBA's
/// "policies with full protection"), with their parent policy.
fn full_protection_rules<'a>(
    pols: &[&'a Value],
    rules: &[&'a Value],
) -> Vec<(&'a Value, &'a Value)> {
    rules
        .iter()
        .filter(|r| b(r, "Disabled") == Some(false) && rule_types(r).len() == SENSITIVE_TYPES.len())
        .filter_map(|r| {
            pols.iter()
                .find(|p| enforced(p) && s(p, "Name") == s(r, "ParentPolicyName"))
                .map(|p| (*r, *p))
        })
        .collect()
}

fn dlp_locations(snap: &Snapshot) -> Outcome {
    if let Some(out) = no_dlp_licence(snap) {
        return out;
    }
    let pols = input!(snap.list("dlp_compliance_policies"));
    let rules = input!(snap.list("dlp_compliance_rules"));
    let full = full_protection_rules(&pols, &rules);
    let locations = [
        ("Exchange", "Exchange", "ExchangeLocation"),
        ("SharePoint", "SharePoint", "SharePointLocation"),
        ("OneDrive", "OneDriveForBusiness", "OneDriveLocation"),
        ("Teams", "Teams", "TeamsLocation"),
        ("Devices", "EndpointDevices", "EndpointDlpLocation"),
    ];
    let missing: Vec<String> = locations
        .iter()
        .filter(|(_, workload, field)| {
            !full.iter().any(|(_, p)| {
                s(p, "Workload").contains(workload)
                    && strs(p.get(*field)).iter().any(|l| l == "All")
            })
        })
        .map(|(name, _, _)| (*name).to_string())
        .collect();
    Outcome::verdict(
        missing.is_empty(),
        "An enforced DLP policy protecting SSNs, ITINs and credit card numbers covers Exchange, SharePoint, OneDrive, Teams and devices.",
        format!(
            "No enforced DLP policy protecting SSNs, ITINs and credit card numbers covers: {}.",
            list_ours(&missing),
        ),
        json!({ "missing_locations": missing, "policies": full.iter().map(|(_, p)| name_of(p)).collect::<Vec<_>>() }),
    )
}

fn dlp_blocks(snap: &Snapshot) -> Outcome {
    if let Some(out) = no_dlp_licence(snap) {
        return out;
    }
    let pols = input!(snap.list("dlp_compliance_policies"));
    let rules = input!(snap.list("dlp_compliance_rules"));
    let full = full_protection_rules(&pols, &rules);
    let weak: Vec<String> = full
        .iter()
        .filter(|(r, _)| !(b(r, "BlockAccess") == Some(true) && s(r, "BlockAccessScope") == "All"))
        .map(|(r, _)| s(r, "Name").to_string())
        .collect();
    Outcome::verdict(
        !full.is_empty() && weak.is_empty(),
        "Every enforced DLP rule protecting SSNs, ITINs and credit card numbers blocks access for everyone.",
        if full.is_empty() {
            "No enforced DLP rule protects SSNs, ITINs and credit card numbers together."
                .to_string()
        } else {
            format!(
                "DLP rules that do not block access for everyone: {}.",
                weak.len()
            )
        },
        json!({ "rules": full.iter().map(|(r, _)| s(r, "Name")).collect::<Vec<_>>(), "not_blocking": weak }),
    )
    .about(&weak)
}

fn dlp_notifies(snap: &Snapshot) -> Outcome {
    if let Some(out) = no_dlp_licence(snap) {
        return out;
    }
    let pols = input!(snap.list("dlp_compliance_policies"));
    let rules = input!(snap.list("dlp_compliance_rules"));
    let full = full_protection_rules(&pols, &rules);
    let silent: Vec<String> = full
        .iter()
        .filter(|(r, _)| strs(r.get("NotifyUser")).is_empty())
        .map(|(r, _)| s(r, "Name").to_string())
        .collect();
    Outcome::verdict(
        !full.is_empty() && silent.is_empty(),
        "Every enforced DLP rule protecting SSNs, ITINs and credit card numbers notifies the user.",
        if full.is_empty() {
            "No enforced DLP rule protects SSNs, ITINs and credit card numbers together."
                .to_string()
        } else {
            format!("DLP rules that notify no one: {}.", silent.len())
        },
        json!({ "rules": full.iter().map(|(r, _)| s(r, "Name")).collect::<Vec<_>>(), "not_notifying": silent }),
    )
    .about(&silent)
}

fn audit_retention(_snap: &Snapshot) -> Outcome {
    Outcome::manual(
        "Audit log retention policies are not part of the export; verify in Purview > Audit > Audit retention policies that logs are kept at least 12 months.",
    )
}

/// Purview checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-PUR-01",
        "The unified audit log is enabled",
        Purview,
        Critical,
        unified_audit,
        "Without the unified audit log there is no record of user and administrator activity to investigate an incident.",
        "In the Purview portal > Audit, select 'Start recording user and admin activity' (or run Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true).",
        "https://learn.microsoft.com/purview/audit-log-enable-disable"
    ),
    check!(
        "A365-PUR-02",
        "Exchange administrator audit logging is enabled",
        Purview,
        Medium,
        admin_audit,
        "Admin audit logging records configuration changes made with Exchange cmdlets.",
        "Run Set-AdminAuditLogConfig -AdminAuditLogEnabled $true.",
        "https://learn.microsoft.com/powershell/module/exchange/set-adminauditlogconfig"
    ),
    check!(
        "A365-PUR-03",
        "DLP policies are enabled and enforced",
        Purview,
        High,
        dlp_enforced,
        "Data loss prevention stops sensitive data leaving through mail, files and chat; test-mode policies only report.",
        "In the Purview portal > Data loss prevention > Policies, create a policy for sensitive information and turn it on (not simulation mode).",
        "https://learn.microsoft.com/purview/dlp-create-deploy-policy"
    ),
    check!(
        "A365-PUR-04",
        "DLP covers Teams",
        Purview,
        Medium,
        dlp_teams,
        "Sensitive data pasted into Teams chats escapes mail-only DLP.",
        "Add the Teams chat and channel messages location (All) to an enforced DLP policy.",
        "https://learn.microsoft.com/purview/dlp-microsoft-teams"
    ),
    check!(
        "A365-PUR-05",
        "DLP detects SSN, ITIN and credit card numbers",
        Purview,
        Medium,
        sensitive_types_protected,
        "Identity and payment numbers are the most commonly exfiltrated sensitive data.",
        "Create an enforced DLP policy with rules detecting U.S. SSN, ITIN and Credit Card Number.",
        "https://learn.microsoft.com/purview/dlp-create-deploy-policy"
    ),
    check!(
        "A365-PUR-06",
        "Audit logs are retained at least 12 months",
        Purview,
        Medium,
        audit_retention,
        "Intrusions are often discovered months later; short retention destroys the evidence.",
        "Create an audit retention policy of at least one year (Audit Premium) in Purview > Audit > Audit retention policies.",
        "https://learn.microsoft.com/purview/audit-log-retention-policies"
    ),
    check!(
        "A365-PUR-07",
        "DLP for sensitive types covers every location",
        Purview,
        Medium,
        dlp_locations,
        "A DLP policy protects only the locations it is applied to; a gap in one workload lets sensitive data leave through it.",
        "In Purview > Data loss prevention > Policies, apply a policy protecting SSNs, ITINs and credit card numbers to Exchange, SharePoint, OneDrive, Teams and devices, and turn it on.",
        "https://learn.microsoft.com/purview/dlp-create-deploy-policy"
    ),
    check!(
        "A365-PUR-08",
        "DLP for sensitive types blocks access",
        Purview,
        Medium,
        dlp_blocks,
        "A DLP rule that only reports lets the sensitive content be shared anyway.",
        "In the DLP rules protecting SSNs, ITINs and credit card numbers, choose 'Restrict access or encrypt the content' and block everyone.",
        "https://learn.microsoft.com/purview/dlp-create-deploy-policy"
    ),
    check!(
        "A365-PUR-09",
        "DLP for sensitive types notifies users",
        Purview,
        Low,
        dlp_notifies,
        "A policy tip tells users why their action was blocked and teaches the rule.",
        "In the DLP rules protecting SSNs, ITINs and credit card numbers, turn on user notifications.",
        "https://learn.microsoft.com/purview/use-notifications-and-policy-tips"
    ),
];
