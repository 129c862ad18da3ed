//! Values that filter findings: severity, status and framework, parsed strictly.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::QueryError;

/// Severities and statuses are the engine's own, parsed leniently with messages that say what
/// to fix.
pub use aether365_engine::{Severity, Status as FindingStatus};

impl From<aether365_engine::ParseEnumError> for QueryError {
    fn from(e: aether365_engine::ParseEnumError) -> Self {
        QueryError::InvalidArgument(e.to_string())
    }
}

/// A compliance framework a finding may map to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "framework", content = "version", rename_all = "snake_case")]
pub enum Framework {
    /// CIS Microsoft 365 Foundations Benchmark, optionally one version (such as `4.0`).
    Cis(Option<String>),
    /// CISA SCuBA secure configuration baselines.
    Scuba,
    /// NIST SP 800-53 Rev. 5.
    Nist80053,
    /// ISO/IEC 27001:2022 Annex A.
    Iso27001,
}

impl Framework {
    /// The names accepted by [`FromStr`], for completions and error texts.
    pub const NAMES: [&'static str; 5] =
        ["CIS", "CIS-M365-4.0", "SCuBA", "NIST-800-53", "ISO-27001"];

    /// Canonical name, such as `CIS-M365-4.0` or `SCuBA`.
    pub fn name(&self) -> String {
        match self {
            Framework::Cis(None) => "CIS".to_string(),
            Framework::Cis(Some(v)) => format!("CIS-M365-{v}"),
            Framework::Scuba => "SCuBA".to_string(),
            Framework::Nist80053 => "NIST-800-53".to_string(),
            Framework::Iso27001 => "ISO-27001".to_string(),
        }
    }

    /// Whether a stored finding maps to this framework.
    pub fn matches(&self, finding: &Mappings) -> bool {
        fn present(v: &Option<String>) -> bool {
            v.as_deref().is_some_and(|s| !s.trim().is_empty())
        }
        match self {
            Framework::Cis(None) => present(&finding.cis_section),
            Framework::Cis(Some(version)) => {
                present(&finding.cis_section)
                    && finding
                        .cis_version
                        .as_deref()
                        .is_some_and(|v| version_matches(v, version))
            }
            Framework::Scuba => present(&finding.scuba_ids),
            Framework::Nist80053 => present(&finding.nist_controls),
            Framework::Iso27001 => present(&finding.iso_controls),
        }
    }

    /// The references of `finding` in this framework (section or control ids).
    pub fn references(&self, finding: &Mappings) -> Vec<String> {
        let list = |v: &Option<String>| -> Vec<String> {
            v.as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        match self {
            Framework::Cis(_) => list(&finding.cis_section),
            Framework::Scuba => list(&finding.scuba_ids),
            Framework::Nist80053 => list(&finding.nist_controls),
            Framework::Iso27001 => list(&finding.iso_controls),
        }
    }
}

/// `4.0` matches a stored `4.0`, `4.0.0` or `v4.0.0`.
fn version_matches(stored: &str, wanted: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim().trim_start_matches(['v', 'V']).to_string();
        let mut parts: Vec<&str> = s.split('.').collect();
        while parts.len() > 1 && parts.last() == Some(&"0") {
            parts.pop();
        }
        parts.join(".")
    };
    norm(stored) == norm(wanted)
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Framework {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c == '_' || c == ' ' || c == '/' {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        let cis_version = norm
            .strip_prefix("cis-m365-")
            .or_else(|| norm.strip_prefix("cis-microsoft-365-"))
            .or_else(|| norm.strip_prefix("cis-"))
            .map(|v| v.trim_start_matches(['v', '-']))
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
        match norm.as_str() {
            "cis" | "cis-m365" | "cis-microsoft-365" => Ok(Framework::Cis(None)),
            "scuba" | "cisa-scuba" | "scubagear" => Ok(Framework::Scuba),
            "nist" | "nist-800-53" | "nist-sp-800-53" | "nist-800-53-r5" | "nist-800-53-rev5"
            | "800-53" => Ok(Framework::Nist80053),
            "iso" | "iso-27001" | "iso27001" | "iso-iec-27001" | "iso-27001-2022" => {
                Ok(Framework::Iso27001)
            }
            _ => match cis_version {
                Some(v) => Ok(Framework::Cis(Some(v.to_string()))),
                None => Err(QueryError::InvalidArgument(format!(
                    "framework must be one of CIS, CIS-M365-<version> (such as CIS-M365-4.0), SCuBA, NIST-800-53, ISO-27001 (got {s:?})"
                ))),
            },
        }
    }
}

/// The framework columns of a finding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mappings {
    pub cis_section: Option<String>,
    pub cis_version: Option<String>,
    pub scuba_ids: Option<String>,
    pub nist_controls: Option<String>,
    pub iso_controls: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_frameworks() {
        assert_eq!("cis".parse::<Framework>().unwrap(), Framework::Cis(None));
        assert_eq!(
            "CIS-M365-4.0".parse::<Framework>().unwrap(),
            Framework::Cis(Some("4.0".into()))
        );
        assert_eq!("SCuBA".parse::<Framework>().unwrap(), Framework::Scuba);
        assert_eq!(
            "NIST 800-53".parse::<Framework>().unwrap(),
            Framework::Nist80053
        );
        assert!("soc2".parse::<Framework>().is_err());
        assert!(version_matches("v4.0.0", "4.0"));
        assert!(!version_matches("3.1.0", "4.0"));
    }

    #[test]
    fn parses_severity_and_status() {
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        let err = "urgent".parse::<Severity>().unwrap_err().to_string();
        assert!(err.contains("critical, high, medium, low, info"));
        assert_eq!(
            "not-applicable".parse::<FindingStatus>().unwrap(),
            FindingStatus::NotApplicable
        );
        assert_eq!(Severity::Info.rank(), 4);
    }
}
