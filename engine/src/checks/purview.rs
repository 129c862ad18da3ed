//! Purview checks: unified audit log and data loss prevention.

use serde_json::{Value, json};

use super::{CIS, ISO, NIST, Outcome, SCUBA, b, check, input, list_names, name_of, s, strs};
use crate::catalogue::Check;
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
        format!("Enforced DLP policies: {}.", list_names(&active)),
        format!(
            "None of the {} DLP policies is enabled and enforced.",
            pols.len()
        ),
        json!({ "enforced_policies": active, "policies": pols.len() }),
    )
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
            "DLP policy {} covers all Teams chats and channels.",
            list_names(&teams)
        ),
        "No enforced DLP policy covers all Teams locations.",
        json!({ "teams_policies": teams }),
    )
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

fn sensitive_types_protected(snap: &Snapshot) -> Outcome {
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
        format!("No enforced DLP rule detects: {}.", list_names(&missing)),
        json!({ "rules_by_type": by_type, "missing": missing }),
    )
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
        [
            (Cis, "3.1.1", CIS),
            (Scuba, "MS.DEFENDER.6.1v1", SCUBA),
            (Nist80053, "AU-2", NIST),
            (Iso27001, "A.8.15", ISO)
        ],
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
        [(Nist80053, "AU-12", NIST), (Iso27001, "A.8.15", ISO)],
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
        [
            (Cis, "3.2.1", CIS),
            (Nist80053, "SC-7(10)", NIST),
            (Iso27001, "A.8.12", ISO)
        ],
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
        [
            (Cis, "3.2.2", CIS),
            (Nist80053, "SC-7(10)", NIST),
            (Iso27001, "A.8.12", ISO)
        ],
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
        [
            (Scuba, "MS.DEFENDER.4.1v2", SCUBA),
            (Nist80053, "SC-28", NIST),
            (Iso27001, "A.8.12", ISO)
        ],
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
        [
            (Scuba, "MS.DEFENDER.6.3v1", SCUBA),
            (Nist80053, "AU-11", NIST),
            (Iso27001, "A.8.15", ISO)
        ],
        "Intrusions are often discovered months later; short retention destroys the evidence.",
        "Create an audit retention policy of at least one year (Audit Premium) in Purview > Audit > Audit retention policies.",
        "https://learn.microsoft.com/purview/audit-log-retention-policies"
    ),
];
