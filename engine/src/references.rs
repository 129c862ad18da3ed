//! Framework references of every check, as data: one row per check, readable at a glance.
//!
//! Versions: CIS Microsoft 365 Foundations Benchmark v7.0.0 ([`CIS_VERSION`]), the CISA SCuBA
//! baselines as shipped with ScubaGear [`SCUBA_VERSION`], NIST SP 800-53 Rev. 5 and ISO/IEC
//! 27001:2022 Annex A. Each reference applies the threshold of its own framework: where two
//! frameworks want different things of one setting, each has its own check (for example
//! `A365-AAD-19` applies SCuBA's two to eight Global Administrators, `A365-AAD-32` CIS's two
//! to four), so a CIS verdict never passes on SCuBA's threshold.
//!
//! CIS recommendation numbers, titles, profiles and assessment status were read from public
//! listings (Prowler's CIS v7.0 mapping gives numbers and "Automated"/"Manual"; the titles
//! here are our own short wording). CIS Global Recommendation IDs (GRIDs) are not published in
//! any public source we could read, so [`CisRecommendation::grid`] is empty until they are.

use crate::model::{Framework, FrameworkRef};

/// CIS Microsoft 365 Foundations Benchmark version cited.
pub const CIS_VERSION: &str = "7.0.0";
/// ScubaGear release whose baselines the SCuBA policy ids come from.
pub const SCUBA_VERSION: &str = "1.8.0";
/// NIST SP 800-53 revision cited.
pub const NIST_VERSION: &str = "Rev. 5";
/// ISO/IEC 27001 edition cited.
pub const ISO_VERSION: &str = "2022";

/// The framework references of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct References {
    /// The check id.
    pub check_id: &'static str,
    /// CIS M365 v7.0.0 recommendation numbers whose requirement the check applies.
    pub cis: &'static [&'static str],
    /// SCuBA policy ids whose requirement the check applies.
    pub scuba: &'static [&'static str],
    /// NIST SP 800-53 Rev. 5 controls.
    pub nist: &'static [&'static str],
    /// ISO/IEC 27001:2022 Annex A controls.
    pub iso: &'static [&'static str],
}

impl References {
    /// The references as [`FrameworkRef`] values, CIS first, then SCuBA, NIST and ISO.
    pub fn framework_refs(&self) -> Vec<FrameworkRef> {
        let mut out = Vec::new();
        let mut push = |framework: Framework, ids: &[&str], version: &str| {
            for id in ids {
                out.push(FrameworkRef {
                    framework,
                    id: (*id).to_string(),
                    version: version.to_string(),
                });
            }
        };
        push(Framework::Cis, self.cis, CIS_VERSION);
        push(Framework::Scuba, self.scuba, SCUBA_VERSION);
        push(Framework::Nist80053, self.nist, NIST_VERSION);
        push(Framework::Iso27001, self.iso, ISO_VERSION);
        out
    }
}

const fn r(
    check_id: &'static str,
    cis: &'static [&'static str],
    scuba: &'static [&'static str],
    nist: &'static [&'static str],
    iso: &'static [&'static str],
) -> References {
    References {
        check_id,
        cis,
        scuba,
        nist,
        iso,
    }
}

/// Every check's references, in catalogue order.
#[rustfmt::skip]
pub static REFERENCES: &[References] = &[
//    check id          CIS v7.0.0     SCuBA (ScubaGear 1.8.0)           NIST SP 800-53 r5            ISO/IEC 27001:2022
    r("A365-DEF-01",   &[],          &["MS.DEFENDER.1.1v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-02",   &[],          &["MS.DEFENDER.1.2v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-03",   &[],          &["MS.DEFENDER.1.3v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-04",   &["2.1.1"],   &[],                              &["SI-3"],                   &["A.8.23"]),
    r("A365-DEF-05",   &["2.1.4"],   &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-06",   &["2.1.5"],   &["MS.DEFENDER.3.1v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-07",   &[],          &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-08",   &[],          &["MS.DEFENDER.2.1v1"],           &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-09",   &["2.1.7"],   &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-10",   &[],          &["MS.DEFENDER.5.1v1"],           &["SI-4(5)"],                &["A.8.16"]),
    r("A365-AAD-01",   &["5.2.2.3"], &["MS.AAD.1.1v1"],                &["IA-2"],                   &["A.8.5"]),
    r("A365-AAD-02",   &[],          &["MS.AAD.2.1v1"],                &["AC-2(12)"],               &["A.8.16"]),
    r("A365-AAD-03",   &[],          &["MS.AAD.2.3v1"],                &["AC-7"],                   &["A.8.16"]),
    r("A365-AAD-04",   &[],          &["MS.AAD.3.1v1"],                &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-05",   &["5.2.2.2"], &["MS.AAD.3.2v2"],                &["IA-2(2)"],                &["A.8.5"]),
    r("A365-AAD-06",   &["5.2.2.5"], &["MS.AAD.3.6v1"],                &["IA-2(1)"],                &["A.8.2"]),
    r("A365-AAD-07",   &["5.2.2.1"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-08",   &[],          &["MS.AAD.3.3v2"],                &["IA-2(8)"],                &["A.8.5"]),
    r("A365-AAD-09",   &[],          &["MS.AAD.3.4v1"],                &["IA-5"],                   &["A.5.17"]),
    r("A365-AAD-10",   &[],          &["MS.AAD.3.5v2"],                &["IA-2(8)"],                &["A.5.17"]),
    r("A365-AAD-11",   &[],          &["MS.AAD.3.7v1"],                &["AC-19"],                  &["A.8.1"]),
    r("A365-AAD-12",   &[],          &["MS.AAD.3.8v1"],                &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-13",   &[],          &["MS.AAD.3.9v1"],                &["AC-17"],                  &["A.8.5"]),
    r("A365-AAD-14",   &["5.2.2.4"], &[],                              &["AC-12"],                  &["A.8.5"]),
    r("A365-AAD-15",   &["5.1.2.2"], &["MS.AAD.5.1v1"],                &["CM-11"],                  &["A.8.19"]),
    r("A365-AAD-16",   &["5.1.5.1"], &["MS.AAD.5.2v1"],                &["AC-6"],                   &["A.8.19"]),
    r("A365-AAD-17",   &["5.1.5.2"], &["MS.AAD.5.3v1"],                &["AC-6"],                   &["A.8.19"]),
    r("A365-AAD-18",   &["1.3.1"],   &["MS.AAD.6.1v1"],                &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-19",   &[],          &["MS.AAD.7.1v1"],                &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-20",   &[],          &["MS.AAD.7.2v1"],                &["AC-6"],                   &["A.8.2"]),
    r("A365-AAD-21",   &["1.1.1"],   &["MS.AAD.7.3v1"],                &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-22",   &[],          &[],                              &["AC-6(5)"],                &["A.5.18"]),
    r("A365-AAD-23",   &[],          &["MS.AAD.7.4v1"],                &["AC-2(7)"],                &["A.8.2"]),
    r("A365-AAD-24",   &[],          &["MS.AAD.7.5v1"],                &["AC-2(7)"],                &["A.8.2"]),
    r("A365-AAD-25",   &[],          &["MS.AAD.7.6v1"],                &["AC-6(2)"],                &["A.8.2"]),
    r("A365-AAD-26",   &[],          &["MS.AAD.7.7v1"],                &["AC-2(4)"],                &["A.8.16"]),
    r("A365-AAD-27",   &[],          &["MS.AAD.7.8v1"],                &["AC-2(4)"],                &["A.8.16"]),
    r("A365-AAD-28",   &["5.1.6.2"], &["MS.AAD.8.1v1"],                &["AC-3"],                   &["A.5.15"]),
    r("A365-AAD-29",   &["5.1.6.3"], &["MS.AAD.8.2v1"],                &["AC-2"],                   &["A.5.16"]),
    r("A365-AAD-30",   &["5.1.2.3"], &[],                              &["CM-5"],                   &["A.8.2"]),
    r("A365-AAD-31",   &[],          &["MS.AAD.4.1v1"],                &["AU-6"],                   &["A.8.15"]),
    r("A365-EXO-01",   &["6.2.1"],   &["MS.EXO.1.1v2"],                &["SC-7(10)"],               &["A.5.14"]),
    r("A365-EXO-02",   &["2.1.8"],   &["MS.EXO.2.2v3"],                &["SC-8"],                   &["A.5.14"]),
    r("A365-EXO-03",   &["2.1.9"],   &["MS.EXO.3.1v1"],                &["SC-8"],                   &["A.5.14"]),
    r("A365-EXO-04",   &["2.1.10"],  &["MS.EXO.4.1v1"],                &["SI-8"],                   &["A.5.14"]),
    r("A365-EXO-05",   &[],          &["MS.EXO.4.2v1"],                &["SI-8"],                   &["A.5.14"]),
    r("A365-EXO-06",   &[],          &[],                              &["SI-4"],                   &["A.8.16"]),
    r("A365-EXO-07",   &["6.5.4"],   &["MS.EXO.5.1v1"],                &["IA-2"],                   &["A.8.5"]),
    r("A365-EXO-08",   &[],          &["MS.EXO.6.1v1"],                &["AC-21"],                  &["A.5.14"]),
    r("A365-EXO-09",   &[],          &["MS.EXO.6.2v1"],                &["AC-21"],                  &["A.5.14"]),
    r("A365-EXO-10",   &["1.3.3"],   &[],                              &["AC-21"],                  &["A.5.14"]),
    r("A365-EXO-11",   &[],          &["MS.EXO.7.1v1"],                &["SI-8"],                   &["A.6.3"]),
    r("A365-EXO-12",   &["6.1.1"],   &["MS.EXO.13.1v1"],               &["AU-2"],                   &["A.8.15"]),
    r("A365-EXO-13",   &["6.5.1"],   &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-EXO-14",   &["1.3.6"],   &[],                              &["AC-3"],                   &["A.5.19"]),
    r("A365-EXO-15",   &["6.2.2"],   &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-EXO-16",   &["2.1.12"],  &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-EXO-17",   &["2.1.13"],  &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-PPL-01",   &[],          &["MS.POWERPLATFORM.1.1v1"],      &["CM-7"],                   &["A.8.9"]),
    r("A365-PPL-02",   &[],          &["MS.POWERPLATFORM.1.2v1"],      &["CM-7"],                   &["A.8.9"]),
    r("A365-PPL-03",   &[],          &["MS.POWERPLATFORM.2.1v1"],      &["SC-7"],                   &["A.8.12"]),
    r("A365-PPL-04",   &[],          &["MS.POWERPLATFORM.3.1v1"],      &["SC-7"],                   &["A.8.22"]),
    r("A365-PPL-05",   &[],          &[],                              &["AC-3"],                   &["A.5.15"]),
    r("A365-PPL-06",   &[],          &[],                              &["AC-3"],                   &["A.5.15"]),
    r("A365-PUR-01",   &["3.1.1"],   &["MS.DEFENDER.6.1v1"],           &["AU-2"],                   &["A.8.15"]),
    r("A365-PUR-02",   &[],          &[],                              &["AU-12"],                  &["A.8.15"]),
    r("A365-PUR-03",   &["3.2.1"],   &[],                              &["SC-7(10)"],               &["A.8.12"]),
    r("A365-PUR-04",   &["3.2.2"],   &[],                              &["SC-7(10)"],               &["A.8.12"]),
    r("A365-PUR-05",   &[],          &["MS.DEFENDER.4.1v2"],           &["SC-28"],                  &["A.8.12"]),
    r("A365-PUR-06",   &[],          &["MS.DEFENDER.6.3v1"],           &["AU-11"],                  &["A.8.15"]),
    r("A365-SPO-01",   &["7.2.3"],   &["MS.SHAREPOINT.1.1v1"],         &["AC-21"],                  &["A.5.14"]),
    r("A365-SPO-02",   &["7.2.4"],   &["MS.SHAREPOINT.1.2v1"],         &["AC-21"],                  &["A.5.14"]),
    r("A365-SPO-03",   &["7.2.6"],   &["MS.SHAREPOINT.1.3v1"],         &["AC-21"],                  &["A.5.14"]),
    r("A365-SPO-04",   &["7.2.7"],   &["MS.SHAREPOINT.2.1v1"],         &["AC-3"],                   &["A.5.15"]),
    r("A365-SPO-05",   &["7.2.11"],  &["MS.SHAREPOINT.2.2v1"],         &["AC-6"],                   &["A.5.15"]),
    r("A365-SPO-06",   &[],          &["MS.SHAREPOINT.3.1v1"],         &["AC-2(3)"],                &["A.5.15"]),
    r("A365-SPO-07",   &[],          &["MS.SHAREPOINT.3.2v1"],         &["AC-6"],                   &["A.5.15"]),
    r("A365-SPO-08",   &[],          &["MS.SHAREPOINT.3.3v1"],         &["IA-11"],                  &["A.5.16"]),
    r("A365-SPO-09",   &["7.2.5"],   &[],                              &["AC-21"],                  &["A.5.14"]),
    r("A365-SPO-10",   &["7.2.9"],   &[],                              &["AC-2(3)"],                &["A.5.18"]),
    r("A365-SPO-11",   &["7.2.1"],   &[],                              &["IA-2"],                   &["A.8.5"]),
    r("A365-SPO-12",   &["7.3.1"],   &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-TMS-01",   &[],          &["MS.TEAMS.1.1v1"],              &["AC-17"],                  &["A.8.20"]),
    r("A365-TMS-02",   &["8.5.2"],   &["MS.TEAMS.1.2v2"],              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-03",   &[],          &["MS.TEAMS.1.3v1"],              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-04",   &["8.5.3"],   &["MS.TEAMS.1.4v1"],              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-05",   &["8.5.4"],   &["MS.TEAMS.1.5v1"],              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-06",   &[],          &["MS.TEAMS.1.6v1"],              &["AC-21"],                  &["A.5.34"]),
    r("A365-TMS-07",   &[],          &["MS.TEAMS.1.7v2"],              &["AC-21"],                  &["A.5.34"]),
    r("A365-TMS-08",   &[],          &["MS.TEAMS.2.1v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-09",   &["8.2.3"],   &["MS.TEAMS.2.2v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-10",   &["8.2.2"],   &["MS.TEAMS.2.3v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-11",   &["8.5.1"],   &[],                              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-12",   &["8.5.5"],   &[],                              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-13",   &["8.1.2"],   &["MS.TEAMS.4.1v1"],              &["SC-7"],                   &["A.8.23"]),
    r("A365-TMS-14",   &["8.5.6"],   &[],                              &["AC-3"],                   &["A.8.20"]),
    r("A365-TMS-15",   &[],          &[],                              &["AC-20"],                  &["A.5.14"]),
    r("EXP.SPF.1",     &["2.1.8"],   &[],                              &["SC-8"],                   &["A.5.14"]),
    r("EXP.DMARC.1",   &["2.1.10"],  &[],                              &["SI-8"],                   &["A.5.14"]),
    r("EXP.DKIM.1",    &["2.1.9"],   &[],                              &["SC-8"],                   &["A.5.14"]),
    r("EXP.MX.1",      &[],          &[],                              &["SC-7"],                   &["A.8.23"]),
    r("EXP.MTASTS.1",  &[],          &[],                              &["SC-8(1)"],                &["A.8.24"]),
    r("EXP.TLSRPT.1",  &[],          &[],                              &["SI-4"],                   &["A.8.16"]),
    r("EXP.DNSSEC.1",  &[],          &[],                              &["SC-20"],                  &["A.8.20"]),
    r("A365-AAD-32",   &["1.1.3"],   &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-33",   &["5.2.2.6"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-34",   &["5.2.2.7"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-35",   &[],          &["MS.AAD.7.9v1"],                &["AC-2(4)"],                &["A.8.2"]),
    r("A365-EXO-18",   &[],          &["MS.EXO.4.3v1"],                &["SI-4"],                   &["A.5.14"]),
    r("A365-EXO-19",   &[],          &["MS.EXO.4.4v1"],                &["SI-4"],                   &["A.5.14"]),
    r("A365-DEF-11",   &[],          &["MS.DEFENDER.1.4v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-12",   &[],          &["MS.DEFENDER.1.5v1"],           &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-13",   &[],          &["MS.DEFENDER.2.2v1"],           &["SI-8"],                   &["A.8.7"]),
    r("A365-DEF-14",   &[],          &["MS.DEFENDER.2.3v1"],           &["SI-8"],                   &["A.8.7"]),
    r("A365-PUR-07",   &[],          &["MS.DEFENDER.4.2v1"],           &["AC-4"],                   &["A.8.12"]),
    r("A365-PUR-08",   &[],          &["MS.DEFENDER.4.3v1"],           &["AC-4"],                   &["A.8.12"]),
    r("A365-PUR-09",   &[],          &["MS.DEFENDER.4.4v1"],           &["AC-4"],                   &["A.8.12"]),
    r("A365-PPL-07",   &[],          &["MS.POWERPLATFORM.2.2v1"],      &["AC-4"],                   &["A.8.12"]),
    r("A365-PPL-08",   &[],          &["MS.POWERPLATFORM.2.3v1"],      &["AC-4"],                   &["A.8.12"]),
    r("A365-TMS-16",   &[],          &["MS.TEAMS.5.1v2"],              &["CM-7(5)"],                &["A.8.19"]),
    r("A365-TMS-17",   &[],          &["MS.TEAMS.5.2v2"],              &["CM-7(5)"],                &["A.8.19"]),
    r("A365-TMS-18",   &[],          &["MS.TEAMS.5.3v2"],              &["CM-7(5)"],                &["A.8.19"]),
    r("A365-TMS-19",   &["8.2.1"],   &[],                              &["AC-20"],                  &["A.5.14"]),
];

/// One CIS Microsoft 365 Foundations v7.0.0 recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CisRecommendation {
    /// Recommendation number, such as "1.1.3".
    pub number: &'static str,
    /// Short title (our wording of the recommendation).
    pub title: &'static str,
    /// Profile: "L1" or "L2" (E3 or E5 level).
    pub profile: &'static str,
    /// True when CIS marks the recommendation "Automated", false for "Manual".
    pub automated: bool,
    /// Global Recommendation ID, when a public source gives it.
    pub grid: Option<&'static str>,
}

const fn cis(
    number: &'static str,
    profile: &'static str,
    title: &'static str,
) -> CisRecommendation {
    CisRecommendation {
        number,
        title,
        profile,
        automated: true,
        grid: None,
    }
}

/// The CIS v7.0.0 recommendations the catalogue references.
#[rustfmt::skip]
pub static CIS_RECOMMENDATIONS: &[CisRecommendation] = &[
    cis("1.1.1", "E3 L1", "Administrative accounts are cloud-only"),
    cis("1.1.3", "E3 L1", "Between two and four Global Administrators are designated"),
    cis("1.3.1", "E3 L1", "The password expiration policy is set to never expire"),
    cis("1.3.3", "E3 L2", "External sharing of calendars is not available"),
    cis("1.3.6", "E5 L2", "The customer lockbox feature is enabled"),
    cis("2.1.1", "E5 L2", "Safe Links for Office applications is enabled"),
    cis("2.1.4", "E5 L2", "The Safe Attachments policy is enabled"),
    cis("2.1.5", "E5 L2", "Safe Attachments for SharePoint, OneDrive and Teams is enabled"),
    cis("2.1.7", "E5 L2", "An anti-phishing policy has been created"),
    cis("2.1.8", "E3 L1", "SPF records are published for all Exchange domains"),
    cis("2.1.9", "E3 L1", "DKIM is enabled for all Exchange Online domains"),
    cis("2.1.10", "E3 L1", "DMARC records for all Exchange Online domains are published"),
    cis("2.1.12", "E3 L1", "The connection filter IP allow list is not used"),
    cis("2.1.13", "E3 L1", "The connection filter safe list is off"),
    cis("3.1.1", "E3 L1", "Microsoft 365 audit log search is enabled"),
    cis("3.2.1", "E3 L1", "DLP policies are enabled"),
    cis("3.2.2", "E5 L1", "DLP policies are enabled for Microsoft Teams"),
    cis("5.1.2.2", "E3 L1", "Third-party integrated applications are not allowed"),
    cis("5.1.2.3", "E3 L1", "Restrict non-admin users from creating tenants is set to Yes"),
    cis("5.1.5.1", "E3 L2", "User consent to apps accessing company data on their behalf is not allowed"),
    cis("5.1.5.2", "E3 L1", "The admin consent workflow is enabled"),
    cis("5.1.6.2", "E3 L1", "Guest user access is restricted"),
    cis("5.1.6.3", "E3 L2", "Guest user invitations are limited to the Guest Inviter role"),
    cis("5.2.2.1", "E3 L1", "Multifactor authentication is enabled for all users in administrative roles"),
    cis("5.2.2.2", "E3 L1", "Multifactor authentication is enabled for all users"),
    cis("5.2.2.3", "E3 L1", "Conditional Access policies block legacy authentication"),
    cis("5.2.2.4", "E3 L1", "Sign-in frequency is enabled and browser sessions are not persistent for administrative users"),
    cis("5.2.2.5", "E3 L2", "Phishing-resistant MFA strength is required for administrators"),
    cis("5.2.2.6", "E5 L1", "Identity Protection user risk policies are enabled"),
    cis("5.2.2.7", "E5 L1", "Identity Protection sign-in risk policies are enabled"),
    cis("6.1.1", "E3 L1", "AuditDisabled organisationally is set to False"),
    cis("6.2.1", "E3 L1", "All forms of mail forwarding are blocked or disabled"),
    cis("6.2.2", "E3 L1", "Mail transport rules do not allowlist specific domains"),
    cis("6.5.1", "E3 L1", "Modern authentication for Exchange Online is enabled"),
    cis("6.5.4", "E3 L1", "SMTP AUTH is disabled"),
    cis("7.2.1", "E3 L1", "Modern authentication for SharePoint applications is required"),
    cis("7.2.3", "E3 L1", "External content sharing is restricted"),
    cis("7.2.4", "E3 L2", "OneDrive content sharing is restricted"),
    cis("7.2.5", "E3 L2", "Guests cannot share items they don't own"),
    cis("7.2.6", "E3 L2", "SharePoint external sharing is restricted by domain"),
    cis("7.2.7", "E3 L1", "Link sharing is restricted in SharePoint and OneDrive"),
    cis("7.2.9", "E3 L1", "Guest access to a site or OneDrive expires automatically"),
    cis("7.2.11", "E3 L1", "The SharePoint default sharing link permission is set"),
    cis("7.3.1", "E5 L2", "Office 365 SharePoint infected files are disallowed for download"),
    cis("8.1.2", "E3 L1", "Users cannot send emails to a channel email address"),
    cis("8.2.1", "E3 L2", "External domains are restricted in the Teams admin center"),
    cis("8.2.2", "E3 L1", "Communication with unmanaged Teams users is disabled"),
    cis("8.2.3", "E3 L1", "External Teams users cannot initiate conversations"),
    cis("8.5.1", "E3 L2", "Anonymous users can't join a meeting"),
    cis("8.5.2", "E3 L1", "Anonymous users and dial-in callers can't start a meeting"),
    cis("8.5.3", "E3 L1", "Only people in my org can bypass the lobby"),
    cis("8.5.4", "E3 L1", "Users dialing in can't bypass the lobby"),
    cis("8.5.5", "E3 L2", "Meeting chat does not allow anonymous users"),
    cis("8.5.6", "E3 L2", "Only organizers and co-organizers can present"),
];

/// The references of a check, by id.
pub fn references(check_id: &str) -> Option<&'static References> {
    REFERENCES.iter().find(|r| r.check_id == check_id)
}

/// A CIS v7.0.0 recommendation by number.
pub fn cis_recommendation(number: &str) -> Option<&'static CisRecommendation> {
    CIS_RECOMMENDATIONS.iter().find(|c| c.number == number)
}
