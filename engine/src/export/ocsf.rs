//! OCSF 1.8.0 Compliance Finding events (`class_uid` 2003, category Findings): a JSON array with
//! one event per finding, valid against the class's JSON schema without profiles
//! (`fixtures/schemas/ocsf-1.8.0-compliance_finding.schema.json`).
//!
//! Choices:
//! - Every event has activity Create (`activity_id` 1, `type_uid` 200301) and finding status New
//!   (`status_id` 1): a scan reports its findings afresh, it does not track their life cycle.
//!   `status_code` carries our verdict as is ("pass", "fail", …), `status_detail` its message.
//! - The verdict itself is `compliance.status_id`: pass → 1 Pass, fail → 3 Fail, error → 2
//!   Warning (OCSF: the check did not yield a result because of an error), manual → 99 Other
//!   ("Manual": a person must verify it) and not_applicable → 99 Other ("Not applicable").
//! - `severity_id`: info 1 Informational, low 2, medium 3, high 4, critical 5 (the severity the
//!   check carries when it fails, whatever the verdict, as in the other formats).
//! - `compliance.standards` names each framework with its version, `compliance.requirements`
//!   lists every reference ("CIS-M365-7.0.0 1.1.3", "SCuBA MS.AAD.7.1v1", …) and
//!   `compliance.control` is the first of them (CIS first, then SCuBA, NIST and ISO), or the
//!   check id for a check without references.
//! - `resources`: the tenant for a configuration finding (uid the Entra tenant id when known),
//!   the domain for a DNS finding. The check's evidence is `evidences[0].data`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Finding, Severity, Status};

use super::{
    ExportContext, ExportError, PRODUCT_NAME, PRODUCT_VERSION, finding_domain, requirement_label,
    standard_name,
};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.8.0";
/// Compliance Finding.
pub const CLASS_UID: u32 = 2003;
/// Findings.
pub const CATEGORY_UID: u32 = 2;
/// Activity Create.
pub const ACTIVITY_CREATE: u32 = 1;

/// One OCSF Compliance Finding event (the attributes we fill).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceFinding {
    /// 1: Create.
    pub activity_id: u32,
    /// "Create".
    pub activity_name: String,
    /// 2: Findings.
    pub category_uid: u32,
    /// "Findings".
    pub category_name: String,
    /// 2003: Compliance Finding.
    pub class_uid: u32,
    /// "Compliance Finding".
    pub class_name: String,
    /// `class_uid * 100 + activity_id`.
    pub type_uid: u32,
    /// "Compliance Finding: Create".
    pub type_name: String,
    /// Severity id, 1 (Informational) to 5 (Critical).
    pub severity_id: u32,
    /// Severity caption.
    pub severity: String,
    /// Finding status id: 1 (New).
    pub status_id: u32,
    /// "New".
    pub status: String,
    /// Our verdict: "pass", "fail", "manual", "error" or "not_applicable".
    pub status_code: String,
    /// Why the verdict.
    pub status_detail: String,
    /// The finding's message.
    pub message: String,
    /// When the scan produced the finding, in milliseconds since the Unix epoch.
    pub time: i64,
    /// Product and schema version.
    pub metadata: Metadata,
    /// The check and the finding's identity.
    pub finding_info: FindingInfo,
    /// The verdict against the frameworks.
    pub compliance: Compliance,
    /// What the finding is about: the tenant or a domain.
    pub resources: Vec<Resource>,
    /// How to fix it.
    pub remediation: Remediation,
    /// The check's evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidences: Vec<Evidence>,
    /// Attributes with no OCSF home.
    pub unmapped: Unmapped,
}

/// OCSF `metadata`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The reporting product.
    pub product: Product,
    /// The OCSF schema version: "1.8.0".
    pub version: String,
    /// This event's unique id.
    pub uid: String,
    /// The check id.
    pub event_code: String,
    /// The Entra tenant id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uid: Option<String>,
    /// Shared by every event of one scan: "aether365:scan:12".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_uid: Option<String>,
}

/// OCSF `product`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// "aether365".
    pub name: String,
    /// "aether365".
    pub vendor_name: String,
    /// The product version.
    pub version: String,
}

/// OCSF `finding_info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    /// Unique per scan, check and resource.
    pub uid: String,
    /// The check's title.
    pub title: String,
    /// Why the requirement matters.
    pub desc: String,
    /// "Microsoft 365 configuration" or "DNS exposure".
    pub types: Vec<String>,
    /// Same as the event time.
    pub created_time: i64,
}

/// OCSF `compliance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Compliance {
    /// The first reference, or the check id.
    pub control: String,
    /// Framework names with their versions.
    pub standards: Vec<String>,
    /// Every reference, labelled with its framework.
    pub requirements: Vec<String>,
    /// The service, e.g. "Entra ID".
    pub category: String,
    /// 1 Pass, 2 Warning, 3 Fail, 99 Other.
    pub status_id: u32,
    /// Caption of `status_id`, or our wording for Other.
    pub status: String,
    /// The finding's message.
    pub status_details: Vec<String>,
    /// The check that was evaluated.
    pub checks: Vec<ComplianceCheck>,
}

/// OCSF `check`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComplianceCheck {
    /// The check id.
    pub uid: String,
    /// The check's title.
    pub name: String,
    /// Severity id.
    pub severity_id: u32,
    /// Severity caption.
    pub severity: String,
    /// Compliance status id, as in [`Compliance::status_id`].
    pub status_id: u32,
    /// Its caption.
    pub status: String,
    /// Framework names with their versions.
    pub standards: Vec<String>,
}

/// OCSF `resource_details`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// "Microsoft 365 tenant" or "DNS domain".
    #[serde(rename = "type")]
    pub kind: String,
    /// The Entra tenant id, or the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The tenant's display name, or the domain.
    pub name: String,
    /// The service, e.g. "entra_id".
    pub labels: Vec<String>,
}

/// OCSF `remediation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// The steps.
    pub desc: String,
    /// Microsoft Learn page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
}

/// OCSF `evidences`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The check's evidence object.
    pub data: serde_json::Value,
}

/// OCSF `unmapped`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unmapped {
    /// The service's wire name.
    pub service: String,
    /// The scan id, when the findings come from a stored scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_id: Option<i64>,
}

/// OCSF severity id and caption.
pub fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// OCSF compliance status id and caption for a verdict.
pub fn compliance_status(status: Status) -> (u32, &'static str) {
    match status {
        Status::Pass => (1, "Pass"),
        Status::Error => (2, "Warning"),
        Status::Fail => (3, "Fail"),
        Status::Manual => (99, "Manual"),
        Status::NotApplicable => (99, "Not applicable"),
    }
}

fn millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// One event per finding, in the order given.
pub fn events(context: &ExportContext, findings: &[Finding]) -> Vec<ComplianceFinding> {
    findings.iter().map(|f| event(context, f)).collect()
}

/// The event of one finding.
pub fn event(context: &ExportContext, f: &Finding) -> ComplianceFinding {
    let time = millis(context.time);
    let (severity_id, severity_caption) = severity(f.severity);
    let (status_id, status_caption) = compliance_status(f.status);
    let domain = finding_domain(f);
    let scope = match context.scan_id {
        Some(id) => format!("{PRODUCT_NAME}:scan:{id}"),
        None => format!("{PRODUCT_NAME}:check"),
    };
    let uid = match domain {
        Some(d) => format!("{scope}:{}:{d}", f.check_id),
        None => format!("{scope}:{}", f.check_id),
    };
    let mut standards: Vec<String> = Vec::new();
    for r in &f.frameworks {
        let name = standard_name(r);
        if !standards.contains(&name) {
            standards.push(name);
        }
    }
    let requirements: Vec<String> = f.frameworks.iter().map(requirement_label).collect();
    let resource = match domain {
        Some(d) => Resource {
            kind: "DNS domain".into(),
            uid: Some(d.to_string()),
            name: d.to_string(),
            labels: vec![f.service.as_str().to_string()],
        },
        None => Resource {
            kind: "Microsoft 365 tenant".into(),
            uid: context.microsoft_tenant_id.clone(),
            name: context.tenant_name.clone(),
            labels: vec![f.service.as_str().to_string()],
        },
    };
    ComplianceFinding {
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create".into(),
        category_uid: CATEGORY_UID,
        category_name: "Findings".into(),
        class_uid: CLASS_UID,
        class_name: "Compliance Finding".into(),
        type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
        type_name: "Compliance Finding: Create".into(),
        severity_id,
        severity: severity_caption.into(),
        status_id: 1,
        status: "New".into(),
        status_code: f.status.as_str().into(),
        status_detail: f.message.clone(),
        message: f.message.clone(),
        time,
        metadata: Metadata {
            product: Product {
                name: PRODUCT_NAME.into(),
                vendor_name: PRODUCT_NAME.into(),
                version: PRODUCT_VERSION.into(),
            },
            version: OCSF_VERSION.into(),
            uid: uid.clone(),
            event_code: f.check_id.clone(),
            tenant_uid: context.microsoft_tenant_id.clone(),
            correlation_uid: context.scan_id.map(|_| scope.clone()),
        },
        finding_info: FindingInfo {
            uid,
            title: f.title.clone(),
            desc: f.rationale.clone(),
            types: vec![
                if domain.is_some() {
                    "DNS exposure"
                } else {
                    "Microsoft 365 configuration"
                }
                .into(),
            ],
            created_time: time,
        },
        compliance: Compliance {
            control: requirements
                .first()
                .cloned()
                .unwrap_or_else(|| f.check_id.clone()),
            standards: standards.clone(),
            requirements,
            category: f.service.display_name().into(),
            status_id,
            status: status_caption.into(),
            status_details: vec![f.message.clone()],
            checks: vec![ComplianceCheck {
                uid: f.check_id.clone(),
                name: f.title.clone(),
                severity_id,
                severity: severity_caption.into(),
                status_id,
                status: status_caption.into(),
                standards,
            }],
        },
        resources: vec![resource],
        remediation: Remediation {
            desc: f.remediation.steps.clone(),
            references: if f.remediation.url.is_empty() {
                Vec::new()
            } else {
                vec![f.remediation.url.clone()]
            },
        },
        evidences: if f.evidence.is_null() {
            Vec::new()
        } else {
            vec![Evidence {
                data: f.evidence.clone(),
            }]
        },
        unmapped: Unmapped {
            service: f.service.as_str().into(),
            scan_id: context.scan_id,
        },
    }
}

/// The events as a pretty-printed JSON array.
pub fn to_bytes(context: &ExportContext, findings: &[Finding]) -> Result<Vec<u8>, ExportError> {
    Ok(serde_json::to_vec_pretty(&events(context, findings))?)
}
