//! SARIF 2.1.0: one log, one run, valid against the OASIS schema
//! (`fixtures/schemas/sarif-schema-2.1.0.json`).
//!
//! - `tool.driver.rules`: one rule per check evaluated (every check that has a finding, pass
//!   included, in the order of the findings), with the title as short description, the
//!   rationale as full description, the remediation steps as help, the Microsoft Learn page as
//!   `helpUri`, the fail level as default configuration, and the framework references both as
//!   `relationships` to one taxonomy per framework (`run.taxonomies`, named with the framework's
//!   version) and as tags.
//! - `results`: one per finding that did not pass. Passing findings produce no result: a rule
//!   without a result is a check that passed.
//!   - fail: `kind` "fail", `level` from the severity (critical and high "error", medium
//!     "warning", low and info "note"); `properties.security-severity` carries a CVSS-like number
//!     for code-scanning tools (critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.0).
//!   - manual: `kind` "review" (a person must verify it), `level` "none".
//!   - error: `kind` "open" (the check could not decide), `level` "none".
//!   - not_applicable: `kind` "notApplicable", `level` "none".
//!
//!   (SARIF requires `level` "none" for every kind other than "fail".) Each result is located
//!   at a logical location: the tenant for a configuration finding, the domain for a DNS one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Finding, Framework, FrameworkRef, Severity, Status};

use super::{
    ExportContext, ExportError, PRODUCT_NAME, PRODUCT_VERSION, finding_domain, requirement_label,
    standard_name,
};

/// The schema URI written into `$schema`.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SarifLog {
    /// [`SARIF_SCHEMA`].
    #[serde(rename = "$schema")]
    pub schema: String,
    /// "2.1.0".
    pub version: String,
    /// Exactly one run.
    pub runs: Vec<Run>,
}

/// A SARIF run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// aether365 and its rules.
    pub tool: Tool,
    /// The scan, for tools that group runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_details: Option<AutomationDetails>,
    /// When the scan ended.
    pub invocations: Vec<Invocation>,
    /// One taxonomy per framework referenced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxonomies: Vec<ToolComponent>,
    /// Non-pass findings.
    pub results: Vec<SarifResult>,
    /// The tenant and the scan.
    pub properties: RunProperties,
}

/// `tool`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// aether365.
    pub driver: ToolComponent,
}

/// A tool component: the driver (with rules) or a taxonomy (with taxa).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolComponent {
    /// Component name.
    pub name: String,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Driver rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ReportingDescriptor>,
    /// Taxonomy entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxa: Vec<ReportingDescriptor>,
    /// The taxonomies the driver's rules refer to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_taxonomies: Vec<ToolComponentReference>,
}

/// A rule or a taxon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// Check id or framework control id.
    pub id: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<MultiformatMessage>,
    /// Rationale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_description: Option<MultiformatMessage>,
    /// Remediation steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<MultiformatMessage>,
    /// Microsoft Learn page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// The level when the check fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_configuration: Option<Configuration>,
    /// Framework references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
    /// Tags, severity, service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<RuleProperties>,
}

/// `multiformatMessageString`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiformatMessage {
    /// Plain text.
    pub text: String,
    /// Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

/// `reportingConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    /// "error", "warning" or "note".
    pub level: String,
}

/// `reportingDescriptorRelationship`: a rule's framework reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Relationship {
    /// The taxon.
    pub target: DescriptorReference,
    /// "relevant".
    pub kinds: Vec<String>,
}

/// `reportingDescriptorReference`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescriptorReference {
    /// The taxon id.
    pub id: String,
    /// The taxonomy.
    pub tool_component: ToolComponentReference,
}

/// `toolComponentReference`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolComponentReference {
    /// The taxonomy name.
    pub name: String,
}

/// A rule's property bag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleProperties {
    /// Distinct tags: "security", the service and every requirement label.
    pub tags: Vec<String>,
    /// CVSS-like severity for code-scanning tools.
    #[serde(rename = "security-severity")]
    pub security_severity: String,
    /// Our severity.
    pub severity: String,
    /// The service's wire name.
    pub service: String,
}

/// `runAutomationDetails`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomationDetails {
    /// "aether365/scan/12".
    pub id: String,
}

/// `invocation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Always true: a stored scan completed, an offline check ran.
    pub execution_successful: bool,
    /// RFC 3339.
    pub end_time_utc: String,
}

/// A run's property bag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    /// The tenant's display name.
    pub tenant: String,
    /// The Entra tenant id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_tenant_id: Option<String>,
    /// The scan id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_id: Option<i64>,
    /// Findings per status, pass included.
    pub counts: BTreeMap<String, usize>,
}

/// A SARIF result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The check id.
    pub rule_id: String,
    /// Index into the driver's rules.
    pub rule_index: usize,
    /// "fail", "review", "open" or "notApplicable".
    pub kind: String,
    /// "error", "warning", "note" or "none".
    pub level: String,
    /// The finding's message.
    pub message: Message,
    /// The tenant or the domain.
    pub locations: Vec<Location>,
    /// Stable across scans: check and resource.
    pub partial_fingerprints: BTreeMap<String, String>,
    /// Status, severity, service, evidence.
    pub properties: ResultProperties,
}

/// `message`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Plain text.
    pub text: String,
}

/// `location`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The tenant or the domain.
    pub logical_locations: Vec<LogicalLocation>,
}

/// `logicalLocation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    /// Tenant name or domain.
    pub name: String,
    /// "tenant/service" or "domain".
    pub fully_qualified_name: String,
    /// "resource".
    pub kind: String,
}

/// A result's property bag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultProperties {
    /// Our verdict.
    pub status: String,
    /// Our severity.
    pub severity: String,
    /// The service's wire name.
    pub service: String,
    /// The check's evidence.
    pub evidence: serde_json::Value,
    /// The names read from the tenant that the message counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

/// SARIF `level` of a failing check of this severity.
pub fn fail_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// `security-severity` for code-scanning tools.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF `kind` and `level` of a finding, `None` for a pass (no result).
pub fn kind_and_level(status: Status, severity: Severity) -> Option<(&'static str, &'static str)> {
    match status {
        Status::Pass => None,
        Status::Fail => Some(("fail", fail_level(severity))),
        Status::Manual => Some(("review", "none")),
        Status::Error => Some(("open", "none")),
        Status::NotApplicable => Some(("notApplicable", "none")),
    }
}

/// Taxonomy name of a reference: "CIS-M365-7.0.0", "SCuBA-1.8.0", "NIST-800-53-Rev.5", ….
fn taxonomy_name(r: &FrameworkRef) -> String {
    match r.framework {
        Framework::Cis | Framework::Iso27001 => r.tag(),
        Framework::Scuba | Framework::Nist80053 => {
            format!("{}-{}", r.tag(), r.version.replace(' ', ""))
        }
    }
}

fn rule(f: &Finding) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string(), f.service.as_str().to_string()];
    for r in &f.frameworks {
        let label = requirement_label(r);
        if !tags.contains(&label) {
            tags.push(label);
        }
    }
    let url = (!f.remediation.url.is_empty()).then(|| f.remediation.url.clone());
    ReportingDescriptor {
        id: f.check_id.clone(),
        short_description: Some(MultiformatMessage {
            text: f.title.clone(),
            markdown: None,
        }),
        full_description: (!f.rationale.is_empty()).then(|| MultiformatMessage {
            text: f.rationale.clone(),
            markdown: None,
        }),
        help: Some(MultiformatMessage {
            text: match &url {
                Some(u) => format!("{}\n{u}", f.remediation.steps),
                None => f.remediation.steps.clone(),
            },
            markdown: url
                .as_ref()
                .map(|u| format!("{}\n\n[Microsoft Learn]({u})", f.remediation.steps)),
        }),
        help_uri: url,
        default_configuration: Some(Configuration {
            level: fail_level(f.severity).into(),
        }),
        relationships: f
            .frameworks
            .iter()
            .map(|r| Relationship {
                target: DescriptorReference {
                    id: r.id.clone(),
                    tool_component: ToolComponentReference {
                        name: taxonomy_name(r),
                    },
                },
                kinds: vec!["relevant".into()],
            })
            .collect(),
        properties: Some(RuleProperties {
            tags,
            security_severity: security_severity(f.severity).into(),
            severity: f.severity.as_str().into(),
            service: f.service.as_str().into(),
        }),
    }
}

/// The SARIF log of these findings.
pub fn log(context: &ExportContext, findings: &[Finding]) -> SarifLog {
    let mut rules: Vec<ReportingDescriptor> = Vec::new();
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut taxonomies: Vec<ToolComponent> = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for f in findings {
        *counts.entry(f.status.as_str().to_string()).or_default() += 1;
        let index = match rule_index.get(f.check_id.as_str()) {
            Some(i) => *i,
            None => {
                rules.push(rule(f));
                rule_index.insert(f.check_id.as_str(), rules.len() - 1);
                for r in &f.frameworks {
                    let name = taxonomy_name(r);
                    let taxonomy = match taxonomies.iter_mut().find(|t| t.name == name) {
                        Some(t) => t,
                        None => {
                            taxonomies.push(ToolComponent {
                                name,
                                full_name: Some(standard_name(r)),
                                version: Some(r.version.clone()),
                                rules: Vec::new(),
                                taxa: Vec::new(),
                                supported_taxonomies: Vec::new(),
                            });
                            let last = taxonomies.len() - 1;
                            &mut taxonomies[last]
                        }
                    };
                    if !taxonomy.taxa.iter().any(|t| t.id == r.id) {
                        taxonomy.taxa.push(ReportingDescriptor {
                            id: r.id.clone(),
                            short_description: None,
                            full_description: None,
                            help: None,
                            help_uri: None,
                            default_configuration: None,
                            relationships: Vec::new(),
                            properties: None,
                        });
                    }
                }
                rules.len() - 1
            }
        };
        let Some((kind, level)) = kind_and_level(f.status, f.severity) else {
            continue;
        };
        let (name, fully_qualified_name, resource_key) = match finding_domain(f) {
            Some(d) => (d.to_string(), d.to_string(), d.to_string()),
            None => (
                context.tenant_name.clone(),
                format!("{}/{}", context.tenant_name, f.service.as_str()),
                context
                    .microsoft_tenant_id
                    .clone()
                    .unwrap_or_else(|| context.tenant_name.clone()),
            ),
        };
        results.push(SarifResult {
            rule_id: f.check_id.clone(),
            rule_index: index,
            kind: kind.into(),
            level: level.into(),
            message: Message {
                text: f.message.clone(),
            },
            locations: vec![Location {
                logical_locations: vec![LogicalLocation {
                    name,
                    fully_qualified_name,
                    kind: "resource".into(),
                }],
            }],
            partial_fingerprints: BTreeMap::from([(
                "checkAndResource/v1".to_string(),
                format!("{}:{resource_key}", f.check_id),
            )]),
            properties: ResultProperties {
                status: f.status.as_str().into(),
                severity: f.severity.as_str().into(),
                service: f.service.as_str().into(),
                evidence: f.evidence.clone(),
                subjects: f.subjects.clone(),
            },
        });
    }
    let supported_taxonomies = taxonomies
        .iter()
        .map(|t| ToolComponentReference {
            name: t.name.clone(),
        })
        .collect();
    SarifLog {
        schema: SARIF_SCHEMA.into(),
        version: "2.1.0".into(),
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: PRODUCT_NAME.into(),
                    full_name: Some("aether365 Microsoft 365 security posture checks".into()),
                    version: Some(PRODUCT_VERSION.into()),
                    rules,
                    taxa: Vec::new(),
                    supported_taxonomies,
                },
            },
            automation_details: context.scan_id.map(|id| AutomationDetails {
                id: format!("{PRODUCT_NAME}/scan/{id}"),
            }),
            invocations: vec![Invocation {
                execution_successful: true,
                end_time_utc: context
                    .time
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }],
            taxonomies,
            results,
            properties: RunProperties {
                tenant: context.tenant_name.clone(),
                microsoft_tenant_id: context.microsoft_tenant_id.clone(),
                scan_id: context.scan_id,
                counts,
            },
        }],
    }
}

/// The SARIF log as pretty-printed JSON.
pub fn to_bytes(context: &ExportContext, findings: &[Finding]) -> Result<Vec<u8>, ExportError> {
    Ok(serde_json::to_vec_pretty(&log(context, findings))?)
}
