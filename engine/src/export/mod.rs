//! Findings in the formats security teams ingest: OCSF 1.8.0 Compliance Finding events, SARIF
//! 2.1.0 and CSV (RFC 4180).
//!
//! Pure: findings plus a little metadata about the scan and the tenant in ([`ExportContext`]),
//! bytes out. Every writer works from the [`Finding`]s alone (each carries its title, rationale,
//! remediation and framework references), so findings read back from a stored scan export the
//! same as freshly evaluated ones, whatever the catalogue says today.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::model::{Finding, Framework, FrameworkRef, ParseEnumError, Service};
use crate::text::{strip_invisible, strip_invisible_json};

pub mod csv;
pub mod ocsf;
pub mod sarif;

/// The product name written into every export.
pub const PRODUCT_NAME: &str = "aether365";
/// The product version written into every export (the engine's crate version).
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// OCSF 1.8.0 Compliance Finding events (`class_uid` 2003), a JSON array, one per finding.
    Ocsf,
    /// One SARIF 2.1.0 log with one run.
    Sarif,
    /// CSV, RFC 4180, one row per finding under a header row.
    Csv,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Ocsf, ExportFormat::Sarif, ExportFormat::Csv];

    /// Lower-case name: "ocsf", "sarif", "csv".
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Ocsf => "ocsf",
            ExportFormat::Sarif => "sarif",
            ExportFormat::Csv => "csv",
        }
    }

    /// The media type to serve the bytes with.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Ocsf => "application/json",
            ExportFormat::Sarif => "application/sarif+json",
            ExportFormat::Csv => "text/csv; charset=utf-8; header=present",
        }
    }

    /// The file name suffix: "ocsf.json", "sarif", "csv".
    pub fn file_extension(self) -> &'static str {
        match self {
            ExportFormat::Ocsf => "ocsf.json",
            ExportFormat::Sarif => "sarif",
            ExportFormat::Csv => "csv",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.trim().to_ascii_lowercase();
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == l)
            .ok_or_else(|| ParseEnumError {
                kind: "format",
                allowed: "ocsf, sarif, csv",
                value: s.to_string(),
            })
    }
}

/// What the writers need to know besides the findings.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportContext {
    /// The scan id, when the findings come from a stored scan (`None` for an offline check).
    pub scan_id: Option<i64>,
    /// The tenant's display name (or the input file's name for an offline check).
    pub tenant_name: String,
    /// The Microsoft Entra tenant id (a GUID), when known.
    pub microsoft_tenant_id: Option<String>,
    /// When the findings were produced: the scan's end, or the moment of an offline check.
    pub time: DateTime<Utc>,
}

impl ExportContext {
    /// A short stem for file names: "aether365-scan-12-findings" or "aether365-findings".
    pub fn file_stem(&self) -> String {
        match self.scan_id {
            Some(id) => format!("{PRODUCT_NAME}-scan-{id}-findings"),
            None => format!("{PRODUCT_NAME}-findings"),
        }
    }

    /// A file name for this export in `format`, e.g. "aether365-scan-12-findings.sarif".
    pub fn file_name(&self, format: ExportFormat) -> String {
        format!("{}.{}", self.file_stem(), format.file_extension())
    }
}

/// Errors of the writers.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A document could not be serialised.
    #[error("cannot serialise the export: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes `findings` in `format`. Tenant text (the tenant's name, messages of findings stored by
/// earlier versions, subjects, evidence) loses its invisible code points first
/// ([`crate::text::is_invisible`]).
pub fn export(
    format: ExportFormat,
    context: &ExportContext,
    findings: &[Finding],
) -> Result<Vec<u8>, ExportError> {
    let context = &ExportContext {
        tenant_name: strip_invisible(&context.tenant_name).into_owned(),
        microsoft_tenant_id: context
            .microsoft_tenant_id
            .as_deref()
            .map(|id| strip_invisible(id).into_owned()),
        ..context.clone()
    };
    let findings: Vec<Finding> = findings.iter().map(visible).collect();
    let findings = findings.as_slice();
    match format {
        ExportFormat::Ocsf => ocsf::to_bytes(context, findings),
        ExportFormat::Sarif => sarif::to_bytes(context, findings),
        ExportFormat::Csv => Ok(csv::to_bytes(findings)),
    }
}

/// A finding without invisible code points in its text fields.
fn visible(f: &Finding) -> Finding {
    let mut f = f.clone();
    f.message = strip_invisible(&f.message).into_owned();
    f.subjects = f
        .subjects
        .iter()
        .map(|s| strip_invisible(s).into_owned())
        .collect();
    strip_invisible_json(&mut f.evidence);
    f
}

/// The resource a finding is about: the domain of a DNS (exposure) finding, read from its
/// evidence; `None` for a configuration finding, which is about the whole tenant.
pub fn finding_domain(finding: &Finding) -> Option<&str> {
    if finding.service != Service::Dns {
        return None;
    }
    finding
        .evidence
        .get("domain")
        .and_then(serde_json::Value::as_str)
}

/// The full name of a framework with its version, e.g. "CIS Microsoft 365 Foundations Benchmark
/// v7.0.0", "NIST SP 800-53 Rev. 5".
pub fn standard_name(reference: &FrameworkRef) -> String {
    match reference.framework {
        Framework::Cis => format!(
            "CIS Microsoft 365 Foundations Benchmark v{}",
            reference.version
        ),
        Framework::Scuba => match crate::references::ScubaBaseline::of(&reference.id) {
            Some(b) if b.version() == reference.version => {
                format!("CISA SCuBA Microsoft 365 baselines ({})", b.source())
            }
            _ => format!(
                "CISA SCuBA Microsoft 365 baselines (ScubaGear {})",
                reference.version
            ),
        },
        Framework::Nist80053 => format!("NIST SP 800-53 {}", reference.version),
        Framework::Iso27001 => format!("ISO/IEC 27001:{}", reference.version),
    }
}

/// One requirement as a self-describing label: "CIS-M365-7.0.0 1.1.3", "SCuBA MS.AAD.7.1v1",
/// "NIST-800-53 AC-6(5)", "ISO-27001:2022 A.8.2".
pub fn requirement_label(reference: &FrameworkRef) -> String {
    format!("{} {}", reference.tag(), reference.id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Issue 20 item 3: no invisible code point of the tenant's text reaches any export.
    #[test]
    fn exports_carry_no_invisible_code_point() {
        let sample = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/scubagear/ProviderSettingsExport.json"
        );
        let snapshot = crate::Snapshot::from_bytes(&std::fs::read(sample).unwrap()).unwrap();
        // Every code point of issue 20 item 3, and every other invisible one up to U+E0FFF.
        let hidden: String = (0..=0xE0FFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| crate::text::is_invisible(c))
            .collect();
        assert!(hidden.contains('\u{E0041}') && hidden.contains('\u{1D17A}'));
        let mut findings = crate::evaluate_all(&snapshot);
        for f in &mut findings {
            f.message = format!("legacy «{hidden}» message");
            f.subjects = vec![format!("name{hidden}")];
            f.evidence = serde_json::json!({ format!("key{hidden}"): [format!("v{hidden}")] });
        }
        let context = ExportContext {
            scan_id: Some(1),
            tenant_name: format!("Contoso{hidden}"),
            microsoft_tenant_id: Some(format!("id{hidden}")),
            time: DateTime::<Utc>::UNIX_EPOCH,
        };
        for format in ExportFormat::ALL {
            let bytes = export(format, &context, &findings).unwrap();
            let text = String::from_utf8(bytes).unwrap();
            if let Some(c) = text.chars().find(|&c| crate::text::is_invisible(c)) {
                panic!("{format}: U+{:04X}", u32::from(c));
            }
            assert!(text.contains("legacy «» message"), "{format}");
        }
    }

    #[test]
    fn formats_parse_and_name_files() {
        for f in ExportFormat::ALL {
            assert_eq!(f.as_str().parse::<ExportFormat>().unwrap(), f);
        }
        assert_eq!(
            " SARIF ".parse::<ExportFormat>().unwrap(),
            ExportFormat::Sarif
        );
        assert!("xml".parse::<ExportFormat>().is_err());
        let ctx = ExportContext {
            scan_id: Some(12),
            tenant_name: "Contoso".into(),
            microsoft_tenant_id: None,
            time: DateTime::<Utc>::UNIX_EPOCH,
        };
        assert_eq!(
            ctx.file_name(ExportFormat::Ocsf),
            "aether365-scan-12-findings.ocsf.json"
        );
        assert_eq!(
            ExportContext {
                scan_id: None,
                ..ctx
            }
            .file_name(ExportFormat::Csv),
            "aether365-findings.csv"
        );
    }
}
