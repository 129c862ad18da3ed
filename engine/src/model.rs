//! Core vocabulary of the engine: severities, services, statuses, frameworks and findings.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Error returned when a string names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be one of {allowed} (got {value:?})")]
pub struct ParseEnumError {
    /// Which enumeration was being parsed.
    pub kind: &'static str,
    /// The accepted names, comma-separated.
    pub allowed: &'static str,
    /// The rejected input.
    pub value: String,
}

fn parse_error(kind: &'static str, allowed: &'static str, value: &str) -> ParseEnumError {
    ParseEnumError {
        kind,
        allowed,
        value: value.to_string(),
    }
}

/// Lower-cases and drops everything but letters and digits, for lenient matching.
fn loose(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How bad a failing check is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Direct path to tenant compromise.
    Critical,
    /// Serious weakness.
    High,
    /// Hardening gap.
    Medium,
    /// Minor gap.
    Low,
    /// Informational only; never weighs on the score.
    Info,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Score weight: critical 10, high 5, medium 3, low 1, info 0.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Critical => 10,
            Severity::High => 5,
            Severity::Medium => 3,
            Severity::Low => 1,
            Severity::Info => 0,
        }
    }

    /// Sort key: critical 0 .. info 4 (ascending sorts most severe first).
    pub fn rank(self) -> i32 {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
            Severity::Info => 4,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = loose(s);
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == l || (l == "informational" && *v == Severity::Info))
            .ok_or_else(|| parse_error("severity", "critical, high, medium, low, info", s))
    }
}

/// The Microsoft 365 workload a check belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Microsoft Entra ID (Azure AD).
    EntraId,
    /// Exchange Online.
    ExchangeOnline,
    /// Microsoft Defender for Office 365.
    Defender,
    /// SharePoint Online and OneDrive.
    #[serde(rename = "sharepoint")]
    SharePoint,
    /// Microsoft Teams.
    Teams,
    /// Microsoft Purview (audit, DLP).
    Purview,
    /// Power Platform.
    PowerPlatform,
    /// Power BI and Microsoft Fabric (the Fabric admin portal's tenant settings).
    PowerBi,
    /// Public DNS records of the tenant's domains.
    Dns,
}

impl Service {
    /// Every service, in display order.
    pub const ALL: [Service; 9] = [
        Service::EntraId,
        Service::ExchangeOnline,
        Service::Defender,
        Service::SharePoint,
        Service::Teams,
        Service::Purview,
        Service::PowerPlatform,
        Service::PowerBi,
        Service::Dns,
    ];

    /// Snake-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::EntraId => "entra_id",
            Service::ExchangeOnline => "exchange_online",
            Service::Defender => "defender",
            Service::SharePoint => "sharepoint",
            Service::Teams => "teams",
            Service::Purview => "purview",
            Service::PowerPlatform => "power_platform",
            Service::PowerBi => "power_bi",
            Service::Dns => "dns",
        }
    }

    /// Human-readable name.
    pub fn display_name(self) -> &'static str {
        match self {
            Service::EntraId => "Entra ID",
            Service::ExchangeOnline => "Exchange Online",
            Service::Defender => "Defender for Office 365",
            Service::SharePoint => "SharePoint and OneDrive",
            Service::Teams => "Teams",
            Service::Purview => "Purview",
            Service::PowerPlatform => "Power Platform",
            Service::PowerBi => "Power BI and Fabric",
            Service::Dns => "DNS",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Service::EntraId => &[
                "entra",
                "entraid",
                "aad",
                "azuread",
                "azureactivedirectory",
                "microsoftentraid",
                "identity",
            ],
            Service::ExchangeOnline => &["exchange", "exo", "exchangeonline", "mail", "email"],
            Service::Defender => &[
                "defender",
                "mdo",
                "defenderforoffice365",
                "microsoftdefender",
                "securitysuite",
            ],
            Service::SharePoint => &[
                "sharepoint",
                "spo",
                "onedrive",
                "odb",
                "sharepointonline",
                "sharepointandonedrive",
            ],
            Service::Teams => &["teams", "microsoftteams", "msteams"],
            Service::Purview => &["purview", "compliance", "dlp", "audit", "microsoftpurview"],
            Service::PowerPlatform => &["powerplatform", "pp", "powerapps"],
            Service::PowerBi => &["powerbi", "pbi", "fabric", "microsoftfabric"],
            Service::Dns => &["dns", "exposure", "domains"],
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Service {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = loose(s);
        Service::ALL
            .into_iter()
            .find(|v| {
                loose(v.as_str()) == l
                    || loose(v.display_name()) == l
                    || v.aliases().contains(&l.as_str())
            })
            .ok_or_else(|| {
                parse_error(
                    "service",
                    "entra_id, exchange_online, defender, sharepoint, teams, purview, power_platform, power_bi, dns",
                    s,
                )
            })
    }
}

/// Verdict of one check.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The tenant meets the requirement.
    Pass,
    /// The tenant does not meet the requirement.
    Fail,
    /// The requirement cannot be read from the snapshot; a human must verify it.
    Manual,
    /// The input needed was missing or unreadable.
    Error,
    /// The requirement does not apply to this tenant's configuration.
    NotApplicable,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Fail,
        Status::Manual,
        Status::Error,
        Status::NotApplicable,
    ];

    /// Snake-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Manual => "manual",
            Status::Error => "error",
            Status::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = loose(s);
        Status::ALL
            .into_iter()
            .find(|v| {
                loose(v.as_str()) == l
                    || matches!(
                        (l.as_str(), v),
                        ("na", Status::NotApplicable)
                            | ("failed" | "failing", Status::Fail)
                            | ("passed" | "passing", Status::Pass)
                    )
            })
            .ok_or_else(|| parse_error("status", "fail, pass, manual, error, not_applicable", s))
    }
}

/// A control framework a check maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Framework {
    /// CIS Microsoft 365 Foundations Benchmark.
    #[serde(rename = "CIS")]
    Cis,
    /// CISA Secure Cloud Business Applications baselines.
    #[serde(rename = "SCuBA")]
    Scuba,
    /// NIST SP 800-53.
    #[serde(rename = "NIST-800-53")]
    Nist80053,
    /// ISO/IEC 27001 Annex A.
    #[serde(rename = "ISO-27001")]
    Iso27001,
}

impl Framework {
    /// Every framework.
    pub const ALL: [Framework; 4] = [
        Framework::Cis,
        Framework::Scuba,
        Framework::Nist80053,
        Framework::Iso27001,
    ];

    /// Canonical name: "CIS", "SCuBA", "NIST-800-53", "ISO-27001".
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Cis => "CIS",
            Framework::Scuba => "SCuBA",
            Framework::Nist80053 => "NIST-800-53",
            Framework::Iso27001 => "ISO-27001",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Framework {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = loose(s);
        if l.starts_with("cis") {
            Ok(Framework::Cis)
        } else if l.starts_with("scuba") || l == "cisa" {
            Ok(Framework::Scuba)
        } else if l.starts_with("nist") || l == "80053" || l == "sp80053" {
            Ok(Framework::Nist80053)
        } else if l.starts_with("iso") || l.starts_with("27001") {
            Ok(Framework::Iso27001)
        } else {
            Err(parse_error(
                "framework",
                "CIS, SCuBA, NIST-800-53, ISO-27001",
                s,
            ))
        }
    }
}

/// One control of a framework, with the framework version it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameworkRef {
    /// The framework.
    pub framework: Framework,
    /// Control id within the framework, e.g. "1.2.1", "MS.AAD.3.1v1", "IA-2(1)", "A.8.5".
    pub id: String,
    /// Framework or baseline version, e.g. "4.0.0", "1.8.0", "Rev. 5", "2022".
    pub version: String,
}

impl FrameworkRef {
    /// Short label of the framework and version: "CIS-M365-4.0.0", "SCuBA", "NIST-800-53", "ISO-27001:2022".
    pub fn tag(&self) -> String {
        match self.framework {
            Framework::Cis => format!("CIS-M365-{}", self.version),
            Framework::Scuba => "SCuBA".to_string(),
            Framework::Nist80053 => "NIST-800-53".to_string(),
            Framework::Iso27001 => format!("ISO-27001:{}", self.version),
        }
    }
}

/// How to fix a failing check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    /// Steps for an administrator.
    pub steps: String,
    /// Microsoft Learn page.
    pub url: String,
}

/// The result of evaluating one check against one snapshot (or one domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable check id, e.g. "A365-AAD-01" or "EXP.SPF.1".
    pub check_id: String,
    /// Short title of the requirement.
    pub title: String,
    /// Service the check belongs to.
    pub service: Service,
    /// Severity if failing.
    pub severity: Severity,
    /// Verdict.
    pub status: Status,
    /// One sentence: why this status.
    pub message: String,
    /// Names the objects (policies, domains, users) that made it pass or fail.
    pub evidence: serde_json::Value,
    /// Names read from the tenant (policies, rules, domains, users) that the message is about:
    /// tenant data, never part of [`Finding::message`], which only counts them.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// Why the requirement matters.
    pub rationale: String,
    /// How to fix it.
    pub remediation: Remediation,
    /// Framework controls this check maps to.
    pub frameworks: Vec<FrameworkRef>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn severity_parse_and_weights() {
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("bogus".parse::<Severity>().is_err());
        let w: Vec<u32> = Severity::ALL.iter().map(|s| s.weight()).collect();
        assert_eq!(w, vec![10, 5, 3, 1, 0]);
        assert!(Severity::Critical.rank() < Severity::Info.rank());
        assert_eq!(
            serde_json::to_string(&Severity::Critical).unwrap(),
            "\"critical\""
        );
    }

    #[test]
    fn service_parse_is_lenient() {
        for (input, want) in [
            ("exchange", Service::ExchangeOnline),
            ("Exchange Online", Service::ExchangeOnline),
            ("exo", Service::ExchangeOnline),
            ("aad", Service::EntraId),
            ("Entra", Service::EntraId),
            ("entra_id", Service::EntraId),
            ("spo", Service::SharePoint),
            ("OneDrive", Service::SharePoint),
            ("SharePoint and OneDrive", Service::SharePoint),
            ("power_platform", Service::PowerPlatform),
            ("Power BI", Service::PowerBi),
            ("fabric", Service::PowerBi),
            ("Defender for Office 365", Service::Defender),
            ("DNS", Service::Dns),
        ] {
            assert_eq!(input.parse::<Service>().unwrap(), want, "{input}");
        }
        assert!("nothing".parse::<Service>().is_err());
        for s in Service::ALL {
            assert_eq!(s.as_str().parse::<Service>().unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn status_and_framework_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for f in Framework::ALL {
            assert_eq!(f.as_str().parse::<Framework>().unwrap(), f);
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert_eq!(
            "nist 800-53".parse::<Framework>().unwrap(),
            Framework::Nist80053
        );
        let r = FrameworkRef {
            framework: Framework::Cis,
            id: "1.2.1".into(),
            version: "4.0.0".into(),
        };
        assert_eq!(r.tag(), "CIS-M365-4.0.0");
        let r = FrameworkRef {
            framework: Framework::Iso27001,
            id: "A.8.5".into(),
            version: "2022".into(),
        };
        assert_eq!(r.tag(), "ISO-27001:2022");
    }
}
