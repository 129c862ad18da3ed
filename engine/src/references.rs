//! Framework references of every check, as data: one row per check, readable at a glance.
//!
//! Versions: CIS Microsoft 365 Foundations Benchmark v7.0.0 ([`CIS_VERSION`]), the CISA SCuBA
//! baselines as shipped with ScubaGear [`SCUBA_VERSION`], NIST SP 800-53 Rev. 5 and ISO/IEC
//! 27001:2022 Annex A. Each reference applies the threshold of its own framework: where two
//! frameworks want different things of one setting, each has its own check (for example
//! `A365-AAD-19` applies SCuBA's two to eight Global Administrators, `A365-AAD-32` CIS's two
//! to four), so a CIS verdict never passes on SCuBA's threshold.
//!
//! CIS recommendation numbers, profiles and assessment status were read from public listings
//! (Prowler's CIS v7.0 mapping gives numbers and "Automated"/"Manual"; the titles here are our
//! own short wording). All 143 "Automated" recommendations are listed, each decided by a check
//! or carrying the reason none does ([`Gap`]). CIS Global Recommendation IDs (GRIDs) are not published in
//! any public source we could read, so [`CisRecommendation::grid`] is empty until they are.

use crate::model::{Framework, FrameworkRef};

/// CIS Microsoft 365 Foundations Benchmark version cited.
pub const CIS_VERSION: &str = "7.0.0";
/// ScubaGear release whose baselines the SCuBA policy ids come from.
pub const SCUBA_VERSION: &str = "1.8.0";
/// Commit of ScubaGear's main branch whose Security Suite baseline ([`SCUBA_SECURITY_SUITE`])
/// is cited.
pub const SCUBA_MAIN_COMMIT: &str = "4d34e9a48e38ce5c2e14c0fdfbaee53e57594ae2";
/// The version ScubaGear's main branch gives its baselines at [`SCUBA_MAIN_COMMIT`]: the
/// `Version` of `PowerShell/ScubaGear/schemas/ScubaBaselines.json` (one version for all of
/// them; the main branch versions no baseline on its own).
pub const SCUBA_MAIN_VERSION: &str = "2.6.10";
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
        let main: Vec<&str> = SCUBA_SECURITY_SUITE
            .iter()
            .filter(|p| p.decision.check() == Some(self.check_id))
            .map(|p| p.id)
            .chain(
                SCUBA_MAIN_CHANGES
                    .iter()
                    .filter(|p| p.check == self.check_id)
                    .map(|p| p.id),
            )
            .collect();
        push(Framework::Scuba, &main, SCUBA_MAIN_VERSION);
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
    r("A365-DEF-32",   &[],          &[],                              &["SI-4(5)"],                &["A.8.16"]),
    r("A365-DEF-33",   &[],          &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-34",   &[],          &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-35",   &[],          &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-36",   &[],          &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-37",   &[],          &[],                              &["SI-8"],                   &["A.8.7"]),
    r("A365-DEF-38",   &[],          &[],                              &["SI-8"],                   &["A.8.7"]),
    r("A365-DEF-39",   &[],          &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-40",   &[],          &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-41",   &[],          &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-42",   &[],          &[],                              &["SI-3"],                   &["A.8.23"]),
    r("A365-DEF-43",   &[],          &[],                              &["SI-3"],                   &["A.8.23"]),
    r("A365-DEF-44",   &[],          &[],                              &["AU-6"],                   &["A.8.16"]),
    r("A365-PUR-12",   &[],          &[],                              &["AU-11"],                  &["A.8.15"]),
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
    r("A365-AAD-11",   &["5.2.2.9"], &["MS.AAD.3.7v1"],                &["AC-19"],                  &["A.8.1"]),
    r("A365-AAD-12",   &["5.2.2.10"],&["MS.AAD.3.8v1"],                &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-13",   &["5.2.2.12"],&["MS.AAD.3.9v1"],                &["AC-17"],                  &["A.8.5"]),
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
    r("A365-EXO-16",   &["2.1.12"],  &["MS.EXO.12.1v1"],               &["SI-8"],                   &["A.8.23"]),
    r("A365-EXO-17",   &["2.1.13"],  &["MS.EXO.12.2v1"],               &["SI-8"],                   &["A.8.23"]),
    r("A365-PPL-01",   &[],          &["MS.POWERPLATFORM.1.1v1"],      &["CM-7"],                   &["A.8.9"]),
    r("A365-PPL-02",   &[],          &["MS.POWERPLATFORM.1.2v1"],      &["CM-7"],                   &["A.8.9"]),
    r("A365-PPL-03",   &[],          &["MS.POWERPLATFORM.2.1v1"],      &["SC-7"],                   &["A.8.12"]),
    r("A365-PPL-04",   &[],          &["MS.POWERPLATFORM.3.1v1"],      &["SC-7"],                   &["A.8.22"]),
    r("A365-PPL-05",   &[],          &["MS.POWERPLATFORM.6.1v1"],      &["AC-3"],                   &["A.5.15"]),
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
    r("A365-TMS-06",   &["8.5.9"],   &["MS.TEAMS.1.6v1"],              &["AC-21"],                  &["A.5.34"]),
    r("A365-TMS-07",   &[],          &["MS.TEAMS.1.7v2"],              &["AC-21"],                  &["A.5.34"]),
    r("A365-TMS-08",   &[],          &["MS.TEAMS.2.1v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-09",   &["8.2.3"],   &["MS.TEAMS.2.2v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-10",   &["8.2.2"],   &["MS.TEAMS.2.3v2"],              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-11",   &["8.5.1"],   &[],                              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-12",   &["8.5.5"],   &[],                              &["AC-14"],                  &["A.8.20"]),
    r("A365-TMS-13",   &["8.1.2"],   &["MS.TEAMS.4.1v1"],              &["SC-7"],                   &["A.8.23"]),
    r("A365-TMS-14",   &["8.5.6"],   &[],                              &["AC-3"],                   &["A.8.20"]),
    r("A365-TMS-15",   &["8.5.8"],   &[],                              &["AC-20"],                  &["A.5.14"]),
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
    r("A365-AAD-36",   &["5.1.3.1"], &[],                              &["AC-2"],                   &["A.5.15"]),
    r("A365-AAD-37",   &["5.1.3.4"], &[],                              &["AC-2"],                   &["A.5.15"]),
    r("A365-AAD-38",   &["5.1.4.6"], &[],                              &["SC-28"],                  &["A.8.24"]),
    r("A365-AAD-39",   &["5.2.3.2"], &[],                              &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-40",   &["5.2.3.3"], &[],                              &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-41",   &["5.2.3.8"], &[],                              &["AC-7"],                   &["A.8.5"]),
    r("A365-AAD-42",   &["5.2.3.9"], &[],                              &["AC-7"],                   &["A.8.5"]),
    r("A365-AAD-43",   &["5.2.3.5"], &[],                              &["IA-2(8)"],                &["A.5.17"]),
    r("A365-AAD-44",   &["5.2.3.7"], &[],                              &["IA-2(8)"],                &["A.5.17"]),
    r("A365-AAD-45",   &["5.2.3.6"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-46",   &["5.2.3.1"], &[],                              &["IA-2(8)"],                &["A.8.5"]),
    r("A365-AAD-47",   &["5.2.2.8"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-AAD-48",   &["5.2.2.11"],&[],                              &["IA-11"],                  &["A.8.5"]),
    r("A365-AAD-49",   &["5.2.2.17"],&[],                              &["AC-17"],                  &["A.8.5"]),
    r("A365-AAD-50",   &["5.2.2.15"],&[],                              &["AC-17"],                  &["A.8.5"]),
    r("A365-AAD-51",   &["5.3.5"],   &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-52",   &["5.3.4"],   &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-53",   &["5.2.3.10"],&[],                              &["IA-2(8)"],                &["A.8.5"]),
    r("A365-AAD-54",   &["5.2.2.13"],&[],                              &["AC-12"],                  &["A.8.5"]),
    r("A365-SPO-13",   &["7.2.2"],   &[],                              &["AC-2"],                   &["A.5.16"]),
    r("A365-SPO-14",   &["7.2.10"],  &[],                              &["IA-11"],                  &["A.5.16"]),
    r("A365-TMS-20",   &["8.1.1"],   &[],                              &["AC-21"],                  &["A.5.14"]),
    r("A365-TMS-21",   &["8.2.4"],   &[],                              &["AC-20"],                  &["A.5.14"]),
    r("A365-TMS-22",   &["8.5.7"],   &[],                              &["AC-17"],                  &["A.8.20"]),
    r("A365-DEF-15",   &["2.4.2"],   &[],                              &["SI-8"],                   &["A.8.7"]),
    r("A365-PPL-09",   &[],          &["MS.POWERPLATFORM.5.1v1"],      &["CM-7"],                   &["A.8.9"]),
    r("A365-EXO-20",   &[],          &["MS.EXO.8.1v2", "MS.EXO.8.2v2", "MS.EXO.8.3v1", "MS.EXO.8.4v1"], &["AC-4"], &["A.8.12"]),
    r("A365-EXO-21",   &[],          &["MS.EXO.9.1v2", "MS.EXO.9.2v1", "MS.EXO.9.3v2", "MS.EXO.9.4v1", "MS.EXO.9.5v1"], &["SI-3"], &["A.8.7"]),
    r("A365-EXO-22",   &[],          &["MS.EXO.10.1v1", "MS.EXO.10.2v1", "MS.EXO.10.3v1"], &["SI-3"], &["A.8.7"]),
    r("A365-EXO-23",   &[],          &["MS.EXO.11.1v1", "MS.EXO.11.2v1", "MS.EXO.11.3v1"], &["SI-8"], &["A.8.23"]),
    r("A365-EXO-24",   &[],          &["MS.EXO.14.1v2", "MS.EXO.14.2v1", "MS.EXO.14.3v1", "MS.EXO.14.4v1"], &["SI-8"], &["A.8.23"]),
    r("A365-EXO-25",   &[],          &["MS.EXO.15.1v1", "MS.EXO.15.2v1", "MS.EXO.15.3v1"], &["SI-3"], &["A.8.23"]),
    r("A365-EXO-26",   &[],          &["MS.EXO.16.1v1", "MS.EXO.16.2v1"], &["SI-4(5)"],           &["A.8.16"]),
    r("A365-EXO-27",   &[],          &["MS.EXO.17.1v1", "MS.EXO.17.3v1"], &["AU-2", "AU-11"],     &["A.8.15"]),
    r("A365-TMS-23",   &[],          &["MS.TEAMS.6.1v1", "MS.TEAMS.6.2v1"], &["AC-4"],            &["A.8.12"]),
    r("A365-TMS-24",   &[],          &["MS.TEAMS.7.1v1", "MS.TEAMS.7.2v1"], &["SI-3"],            &["A.8.7"]),
    r("A365-TMS-25",   &[],          &["MS.TEAMS.8.1v1", "MS.TEAMS.8.2v1"], &["SI-3"],            &["A.8.23"]),
    r("A365-DEF-16",   &[],          &["MS.DEFENDER.4.5v1"],           &["AC-4"],                   &["A.8.12"]),
    r("A365-DEF-17",   &[],          &["MS.DEFENDER.4.6v1"],           &["AC-4"],                   &["A.8.12"]),
    r("A365-DEF-18",   &[],          &["MS.DEFENDER.5.2v1"],           &["SI-4(5)"],                &["A.8.16"]),
    r("A365-DEF-19",   &["2.1.2"],   &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-20",   &["2.1.3"],   &[],                              &["SI-4(5)"],                &["A.8.7"]),
    r("A365-DEF-21",   &["2.1.11"],  &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-DEF-22",   &["2.1.6"],   &[],                              &["SI-4(5)"],                &["A.8.16"]),
    r("A365-DEF-23",   &["2.1.14"],  &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-24",   &["2.1.15"],  &[],                              &["SC-5"],                   &["A.8.23"]),
    r("A365-AAD-55",   &[],          &["MS.AAD.2.2v1"],                &["SI-4(5)"],                &["A.8.16"]),
    r("A365-AAD-56",   &[],          &["MS.AAD.8.3v1"],                &["AC-2"],                   &["A.5.16"]),
    r("A365-AAD-60",   &["1.3.2"],   &[],                              &["AC-11"],                  &["A.8.5"]),
    r("A365-AAD-61",   &["1.3.4"],   &[],                              &["CM-11"],                  &["A.8.19"]),
    r("A365-AAD-62",   &["1.3.5"],   &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-AAD-63",   &["4.1"],     &[],                              &["CM-6"],                   &["A.8.9"]),
    r("A365-AAD-64",   &["4.2"],     &[],                              &["AC-19"],                  &["A.8.1"]),
    r("A365-AAD-65",   &["5.1.4.1"], &[],                              &["AC-19"],                  &["A.8.1"]),
    r("A365-AAD-66",   &["5.1.4.2"], &[],                              &["AC-19"],                  &["A.8.1"]),
    r("A365-AAD-67",   &["5.1.4.3"], &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-68",   &["5.1.4.4"], &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-AAD-69",   &["5.1.4.5"], &[],                              &["IA-5"],                   &["A.5.17"]),
    r("A365-AAD-74",   &["5.1.6.1"], &[],                              &["AC-20"],                  &["A.5.19"]),
    r("A365-AAD-76",   &["5.2.2.14"],&[],                              &["AC-2(12)"],               &["A.8.20"]),
    r("A365-AAD-77",   &["5.2.2.16"],&[],                              &["SC-23"],                  &["A.8.5"]),
    r("A365-AAD-78",   &["5.3.2"],   &[],                              &["AC-2(3)"],                &["A.5.18"]),
    r("A365-AAD-79",   &["5.3.3"],   &[],                              &["AC-2(7)"],                &["A.5.18"]),
    r("A365-AAD-80",   &["1.3.7"],   &[],                              &["AC-20"],                  &["A.5.23"]),
    r("A365-AAD-81",   &["5.1.5.3"], &[],                              &["IA-5"],                   &["A.5.17"]),
    r("A365-AAD-82",   &["5.1.5.4"], &[],                              &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-83",   &["5.1.5.5"], &[],                              &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-84",   &["5.1.5.6"], &[],                              &["IA-5(2)"],                &["A.5.17"]),
    r("A365-PPL-10",   &[],          &["MS.POWERPLATFORM.3.2v1"],      &["SC-7"],                   &["A.8.22"]),
    r("A365-PPL-11",   &[],          &["MS.POWERPLATFORM.4.1v1"],      &["SC-18"],                  &["A.8.26"]),
    // Power BI and Fabric: the Fabric admin API's tenant settings (aether365.fabric_tenant_settings).
    r("A365-PBI-01",   &["9.1.1"],   &["MS.POWERBI.2.1v1"],            &["AC-6"],                   &["A.5.15"]),
    r("A365-PBI-02",   &["9.1.2"],   &["MS.POWERBI.3.1v1"],            &["AC-6"],                   &["A.5.15"]),
    r("A365-PBI-03",   &["9.1.3"],   &[],                              &["AC-6"],                   &["A.5.15"]),
    r("A365-PBI-04",   &["9.1.4"],   &[],                              &["SC-7"],                   &["A.5.14"]),
    r("A365-PBI-05",   &["9.1.5"],   &["MS.POWERBI.6.1v1"],            &["CM-7"],                   &["A.8.7"]),
    r("A365-PBI-06",   &["9.1.6"],   &["MS.POWERBI.7.1v1"],            &["AC-16"],                  &["A.5.13"]),
    r("A365-PBI-07",   &["9.1.7"],   &[],                              &["AC-3"],                   &["A.5.14"]),
    r("A365-PBI-08",   &["9.1.8"],   &[],                              &["AC-21"],                  &["A.5.14"]),
    r("A365-PBI-09",   &["9.1.9"],   &["MS.POWERBI.5.1v1"],            &["IA-5"],                   &["A.5.17"]),
    r("A365-PBI-10",   &["9.1.10"],  &["MS.POWERBI.4.1v1"],            &["AC-6(5)"],                &["A.8.2"]),
    r("A365-PBI-11",   &["9.1.11"],  &["MS.POWERBI.4.2v1"],            &["AC-6(5)"],                &["A.8.2"]),
    r("A365-PBI-12",   &["9.1.12"],  &[],                              &["AC-6(5)"],                &["A.8.2"]),
    r("A365-PBI-13",   &[],          &["MS.POWERBI.1.1v1"],            &["SC-7"],                   &["A.5.14"]),
    // CIS v7.0.0 Exchange Online, Defender, Purview and SharePoint (issue 26, cis-exchange).
    r("A365-EXO-30",   &["1.3.9"],   &[],                              &["AC-3"],                   &["A.5.15"]),
    r("A365-EXO-31",   &["6.3.2"],   &[],                              &["AC-20"],                  &["A.5.14"]),
    r("A365-EXO-32",   &["6.5.3"],   &[],                              &["AC-20"],                  &["A.5.14"]),
    r("A365-EXO-33",   &["6.2.3"],   &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-EXO-34",   &["6.1.3"],   &[],                              &["AU-2"],                   &["A.8.15"]),
    r("A365-EXO-35",   &["6.3.1"],   &[],                              &["CM-11"],                  &["A.8.19"]),
    r("A365-EXO-36",   &["6.5.2"],   &[],                              &["AC-4"],                   &["A.5.14"]),
    r("A365-EXO-37",   &["6.5.5"],   &[],                              &["SI-8"],                   &["A.8.23"]),
    r("A365-DEF-30",   &["2.4.1"],   &[],                              &["SI-8"],                   &["A.8.7"]),
    r("A365-DEF-31",   &["2.4.4"],   &[],                              &["SI-3"],                   &["A.8.7"]),
    r("A365-PUR-10",   &["3.3.1"],   &[],                              &["AC-16"],                  &["A.5.12"]),
    r("A365-PUR-11",   &["3.2.3"],   &[],                              &["SC-7(10)"],               &["A.8.12"]),
    r("A365-SPO-20",   &["7.2.8"],   &[],                              &["AC-21"],                  &["A.5.14"]),
    // Per-object reads of large tenants (checks/per_object.rs).
    r("A365-AAD-90",   &["1.1.4"],   &[],                              &["AC-6(2)"],                &["A.8.2"]),
    r("A365-AAD-91",   &["1.2.1"],   &[],                              &["AC-3"],                   &["A.5.15"]),
    r("A365-EXO-50",   &["1.2.2"],   &[],                              &["AC-2"],                   &["A.5.16"]),
    r("A365-AAD-92",   &["5.2.3.4"], &[],                              &["IA-2(1)"],                &["A.8.5"]),
    r("A365-EXO-51",   &["6.1.2"],   &[],                              &["AU-2"],                   &["A.8.15"]),
    // Rules of ScubaGear's main branch ([`SCUBA_MAIN_CHANGES`]; checks/scuba_main.rs).
    r("A365-AAD-95",   &[],          &[],                              &["IA-5"],                   &["A.5.17"]),
    r("A365-AAD-96",   &[],          &[],                              &["IA-5(1)"],                &["A.5.17"]),
    r("A365-AAD-97",   &[],          &[],                              &["IA-5(2)"],                &["A.5.17"]),
    r("A365-SPO-21",   &[],          &[],                              &["IA-11"],                  &["A.5.16"]),
];

/// Every policy of the SCuBA baselines shipped with ScubaGear [`SCUBA_VERSION`] for the
/// services the catalogue covers (Entra ID, Defender, Exchange Online, SharePoint, Teams,
/// Power Platform, Power BI), by id. Each is cited by exactly one check: a check that decides it, or one
/// that says why ScubaGear itself does not ([`crate::check::ScubaUndecided`]).
///
/// The 126 policies of the baseline documents plus MS.POWERPLATFORM.2.3v1, which ScubaGear
/// 1.8.0's Rego decides and reports although its baseline text does not list it. Version
/// suffixes are those of ScubaGear 1.8.0's own results (`fixtures/scubagear/TestResults.json`),
/// which differ from the tagged baseline text for MS.AAD.3.2, MS.AAD.3.5 and MS.EXO.2.2.
#[rustfmt::skip]
pub static SCUBA_POLICIES: &[&str] = &[
    "MS.AAD.1.1v1", "MS.AAD.2.1v1", "MS.AAD.2.2v1", "MS.AAD.2.3v1", "MS.AAD.3.1v1", "MS.AAD.3.2v2",
    "MS.AAD.3.3v2", "MS.AAD.3.4v1", "MS.AAD.3.5v2", "MS.AAD.3.6v1", "MS.AAD.3.7v1", "MS.AAD.3.8v1",
    "MS.AAD.3.9v1", "MS.AAD.4.1v1", "MS.AAD.5.1v1", "MS.AAD.5.2v1", "MS.AAD.5.3v1", "MS.AAD.6.1v1",
    "MS.AAD.7.1v1", "MS.AAD.7.2v1", "MS.AAD.7.3v1", "MS.AAD.7.4v1", "MS.AAD.7.5v1", "MS.AAD.7.6v1",
    "MS.AAD.7.7v1", "MS.AAD.7.8v1", "MS.AAD.7.9v1", "MS.AAD.8.1v1", "MS.AAD.8.2v1", "MS.AAD.8.3v1",
    "MS.DEFENDER.1.1v1", "MS.DEFENDER.1.2v1", "MS.DEFENDER.1.3v1", "MS.DEFENDER.1.4v1",
    "MS.DEFENDER.1.5v1", "MS.DEFENDER.2.1v1", "MS.DEFENDER.2.2v1", "MS.DEFENDER.2.3v1",
    "MS.DEFENDER.3.1v1", "MS.DEFENDER.4.1v2", "MS.DEFENDER.4.2v1", "MS.DEFENDER.4.3v1",
    "MS.DEFENDER.4.4v1", "MS.DEFENDER.4.5v1", "MS.DEFENDER.4.6v1", "MS.DEFENDER.5.1v1",
    "MS.DEFENDER.5.2v1", "MS.DEFENDER.6.1v1", "MS.DEFENDER.6.3v1",
    "MS.EXO.1.1v2", "MS.EXO.2.2v3", "MS.EXO.3.1v1", "MS.EXO.4.1v1", "MS.EXO.4.2v1", "MS.EXO.4.3v1",
    "MS.EXO.4.4v1", "MS.EXO.5.1v1", "MS.EXO.6.1v1", "MS.EXO.6.2v1", "MS.EXO.7.1v1", "MS.EXO.8.1v2",
    "MS.EXO.8.2v2", "MS.EXO.8.3v1", "MS.EXO.8.4v1", "MS.EXO.9.1v2", "MS.EXO.9.2v1", "MS.EXO.9.3v2",
    "MS.EXO.9.4v1", "MS.EXO.9.5v1", "MS.EXO.10.1v1", "MS.EXO.10.2v1", "MS.EXO.10.3v1",
    "MS.EXO.11.1v1", "MS.EXO.11.2v1", "MS.EXO.11.3v1", "MS.EXO.12.1v1", "MS.EXO.12.2v1",
    "MS.EXO.13.1v1", "MS.EXO.14.1v2", "MS.EXO.14.2v1", "MS.EXO.14.3v1", "MS.EXO.14.4v1",
    "MS.EXO.15.1v1", "MS.EXO.15.2v1", "MS.EXO.15.3v1", "MS.EXO.16.1v1", "MS.EXO.16.2v1",
    "MS.EXO.17.1v1", "MS.EXO.17.3v1",
    "MS.SHAREPOINT.1.1v1", "MS.SHAREPOINT.1.2v1", "MS.SHAREPOINT.1.3v1", "MS.SHAREPOINT.2.1v1",
    "MS.SHAREPOINT.2.2v1", "MS.SHAREPOINT.3.1v1", "MS.SHAREPOINT.3.2v1", "MS.SHAREPOINT.3.3v1",
    "MS.TEAMS.1.1v1", "MS.TEAMS.1.2v2", "MS.TEAMS.1.3v1", "MS.TEAMS.1.4v1", "MS.TEAMS.1.5v1",
    "MS.TEAMS.1.6v1", "MS.TEAMS.1.7v2", "MS.TEAMS.2.1v2", "MS.TEAMS.2.2v2", "MS.TEAMS.2.3v2",
    "MS.TEAMS.4.1v1", "MS.TEAMS.5.1v2", "MS.TEAMS.5.2v2", "MS.TEAMS.5.3v2", "MS.TEAMS.6.1v1",
    "MS.TEAMS.6.2v1", "MS.TEAMS.7.1v1", "MS.TEAMS.7.2v1", "MS.TEAMS.8.1v1", "MS.TEAMS.8.2v1",
    "MS.POWERPLATFORM.1.1v1", "MS.POWERPLATFORM.1.2v1", "MS.POWERPLATFORM.2.1v1",
    "MS.POWERPLATFORM.2.2v1", "MS.POWERPLATFORM.2.3v1", "MS.POWERPLATFORM.3.1v1",
    "MS.POWERPLATFORM.3.2v1", "MS.POWERPLATFORM.4.1v1", "MS.POWERPLATFORM.5.1v1",
    "MS.POWERPLATFORM.6.1v1",
    "MS.POWERBI.1.1v1", "MS.POWERBI.2.1v1", "MS.POWERBI.3.1v1", "MS.POWERBI.4.1v1",
    "MS.POWERBI.4.2v1", "MS.POWERBI.5.1v1", "MS.POWERBI.6.1v1", "MS.POWERBI.7.1v1",
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
    /// Why no check decides it; `None` when a check does.
    pub gap: Option<Gap>,
}

/// Why no check decides a CIS "Automated" recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Microsoft serves the data to an application (app-only), but neither the collector nor a
    /// ScubaGear export reads it yet: the API and permission it would take.
    NotCollected(&'static str),
    /// The data is collected, but the snapshot's (ScubaGear export's) shape leaves the needed
    /// property out.
    NotInExport(&'static str),
    /// No app-only interface serves the data.
    NotAppOnly(&'static str),
    /// The data is collected, but deciding needs a person: what to verify.
    NeedsPerson(&'static str),
}

impl Gap {
    /// A short label for the kind of gap.
    pub fn kind(&self) -> &'static str {
        match self {
            Gap::NotCollected(_) => "not collected",
            Gap::NotInExport(_) => "not in the export",
            Gap::NotAppOnly(_) => "not readable app-only",
            Gap::NeedsPerson(_) => "needs a person",
        }
    }

    /// Why, in one sentence.
    pub fn why(&self) -> &'static str {
        match self {
            Gap::NotCollected(w)
            | Gap::NotInExport(w)
            | Gap::NotAppOnly(w)
            | Gap::NeedsPerson(w) => w,
        }
    }
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
        gap: None,
    }
}

const fn gap(
    number: &'static str,
    profile: &'static str,
    title: &'static str,
    gap: Gap,
) -> CisRecommendation {
    CisRecommendation {
        number,
        title,
        profile,
        automated: true,
        grid: None,
        gap: Some(gap),
    }
}

/// Every CIS v7.0.0 recommendation CIS marks "Automated", each either decided by a check (its
/// number is in a check's row of [`REFERENCES`]) or carrying the [`Gap`] that says why not.
#[rustfmt::skip]
pub static CIS_RECOMMENDATIONS: &[CisRecommendation] = &[
    cis("1.1.1", "E3 L1", "Administrative accounts are cloud-only"),
    cis("1.1.3", "E3 L1", "Between two and four Global Administrators are designated"),
    cis("1.1.4", "E3 L1", "Administrative accounts use a reduced licence footprint"),
    cis("1.2.1", "E3 L2", "Only organisationally managed and approved public groups exist"),
    cis("1.2.2", "E3 L1", "Sign-in to shared mailboxes is blocked"),
    cis("1.3.1", "E3 L1", "The password expiration policy is set to never expire"),
    cis("1.3.2", "E3 L2", "Idle session timeout is three hours or less for unmanaged devices"),
    cis("1.3.3", "E3 L2", "External sharing of calendars is not available"),
    cis("1.3.4", "E3 L1", "User owned apps and services is restricted"),
    cis("1.3.5", "E3 L1", "Internal phishing protection for Forms is enabled"),
    cis("1.3.6", "E5 L2", "The customer lockbox feature is enabled"),
    cis("1.3.7", "E3 L2", "Third-party storage services are restricted in Microsoft 365 on the web"),
    cis("1.3.9", "E3 L1", "Shared bookings pages are restricted to select users"),
    cis("2.1.1", "E5 L2", "Safe Links for Office applications is enabled"),
    cis("2.1.2", "E3 L1", "The common attachment types filter is enabled"),
    cis("2.1.3", "E3 L1", "Notifications for internal users sending malware are enabled"),
    cis("2.1.4", "E5 L2", "The Safe Attachments policy is enabled"),
    cis("2.1.5", "E5 L2", "Safe Attachments for SharePoint, OneDrive and Teams is enabled"),
    cis("2.1.6", "E3 L1", "Exchange Online spam policies notify administrators"),
    cis("2.1.7", "E5 L2", "An anti-phishing policy has been created"),
    cis("2.1.8", "E3 L1", "SPF records are published for all Exchange domains"),
    cis("2.1.9", "E3 L1", "DKIM is enabled for all Exchange Online domains"),
    cis("2.1.10", "E3 L1", "DMARC records for all Exchange Online domains are published"),
    cis("2.1.11", "E3 L2", "Comprehensive attachment filtering is applied"),
    cis("2.1.12", "E3 L1", "The connection filter IP allow list is not used"),
    cis("2.1.13", "E3 L1", "The connection filter safe list is off"),
    cis("2.1.14", "E3 L1", "Inbound anti-spam policies do not contain allowed domains"),
    cis("2.1.15", "E3 L1", "Outbound anti-spam message limits are in place"),
    cis("2.4.1", "E5 L1", "Priority account protection is enabled and configured"),
    cis("2.4.2", "E5 L1", "Priority accounts have the Strict protection preset"),
    cis("2.4.4", "E5 L1", "Zero-hour auto purge for Microsoft Teams is on"),
    cis("3.1.1", "E3 L1", "Microsoft 365 audit log search is enabled"),
    cis("3.2.1", "E3 L1", "DLP policies are enabled"),
    cis("3.2.2", "E5 L1", "DLP policies are enabled for Microsoft Teams"),
    cis("3.2.3", "E5 L1", "DLP policies are enabled for Microsoft 365 Copilot"),
    cis("3.3.1", "E3 L1", "Information Protection sensitivity label policies are published"),
    cis("4.1", "E3 L1", "Devices without a compliance policy are marked not compliant"),
    cis("4.2", "E3 L1", "Device enrolment for personally owned devices is blocked by default"),
    cis("5.1.2.2", "E3 L1", "Third-party integrated applications are not allowed"),
    cis("5.1.2.3", "E3 L1", "Restrict non-admin users from creating tenants is set to Yes"),
    cis("5.1.3.1", "E3 L1", "Non-admin users cannot create security groups"),
    cis("5.1.3.4", "E3 L2", "Only selected users can create Microsoft 365 groups"),
    cis("5.1.4.1", "E3 L2", "The ability to join devices to Entra is restricted"),
    cis("5.1.4.2", "E3 L1", "The maximum number of devices per user is limited"),
    cis("5.1.4.3", "E3 L1", "The Global Administrator role is not added as a local administrator during Entra join"),
    cis("5.1.4.4", "E3 L1", "Local administrator assignment is limited during Entra join"),
    cis("5.1.4.5", "E3 L1", "Local Administrator Password Solution is enabled"),
    cis("5.1.4.6", "E3 L2", "Users cannot recover the BitLocker keys of their own devices"),
    cis("5.1.5.1", "E3 L2", "User consent to apps accessing company data on their behalf is not allowed"),
    cis("5.1.5.2", "E3 L1", "The admin consent workflow is enabled"),
    cis("5.1.5.3", "E3 L2", "Adding password credentials to applications is blocked"),
    cis("5.1.5.4", "E3 L1", "Application password credentials expire within 180 days"),
    cis("5.1.5.5", "E3 L1", "Custom application password credentials are blocked"),
    cis("5.1.5.6", "E3 L1", "Application certificate credentials expire within 180 days"),
    cis("5.1.6.1", "E3 L2", "Collaboration invitations are sent to allowed domains only"),
    cis("5.1.6.2", "E3 L1", "Guest user access is restricted"),
    cis("5.1.6.3", "E3 L2", "Guest user invitations are limited to the Guest Inviter role"),
    gap("5.1.8.1", "E3 L1", "Password hash sync is enabled for hybrid deployments", Gap::NotAppOnly("password hash sync's state is Graph's onPremisesSynchronization features.passwordSyncEnabled, and Microsoft's API reference for GET /directory/onPremisesSynchronization (v1.0 and beta) lists OnPremDirectorySynchronization.Read.All as delegated only, application: not supported; the organization's onPremisesSyncEnabled, readable app-only, tells a hybrid tenant but not whether it syncs password hashes")),
    cis("5.2.2.1", "E3 L1", "Multifactor authentication is enabled for all users in administrative roles"),
    cis("5.2.2.2", "E3 L1", "Multifactor authentication is enabled for all users"),
    cis("5.2.2.3", "E3 L1", "Conditional Access policies block legacy authentication"),
    cis("5.2.2.4", "E3 L1", "Sign-in frequency is enabled and browser sessions are not persistent for administrative users"),
    cis("5.2.2.5", "E3 L2", "Phishing-resistant MFA strength is required for administrators"),
    cis("5.2.2.6", "E5 L1", "Identity Protection user risk policies are enabled"),
    cis("5.2.2.7", "E5 L1", "Identity Protection sign-in risk policies are enabled"),
    cis("5.2.2.8", "E5 L2", "Sign-ins of medium and high risk are blocked"),
    cis("5.2.2.9", "E3 L1", "A managed device is required for authentication"),
    cis("5.2.2.10", "E3 L1", "A managed device is required to register security information"),
    cis("5.2.2.11", "E3 L1", "Intune enrolment requires a sign-in every time"),
    cis("5.2.2.12", "E3 L1", "The device code sign-in flow is blocked"),
    cis("5.2.2.13", "E3 L1", "Sign-in frequency for all users is seven days or less"),
    cis("5.2.2.14", "E3 L2", "A trusted named location is defined"),
    cis("5.2.2.15", "E3 L2", "Sign-ins from untrusted locations are blocked"),
    cis("5.2.2.16", "E3 L2", "Token protection is enforced for sign-in sessions"),
    cis("5.2.2.17", "E3 L1", "Authentication transfer is blocked"),
    cis("5.2.3.1", "E3 L1", "Microsoft Authenticator shows sign-in context"),
    cis("5.2.3.2", "E3 L1", "A custom banned password list is used"),
    cis("5.2.3.3", "E3 L1", "Password protection is enabled for on-premises Active Directory"),
    cis("5.2.3.4", "E3 L1", "All member users are MFA capable"),
    cis("5.2.3.5", "E3 L1", "Weak authentication methods (SMS, voice) are disabled"),
    cis("5.2.3.6", "E3 L1", "System-preferred multifactor authentication is enabled"),
    cis("5.2.3.7", "E3 L2", "Email one-time passcode is disabled"),
    cis("5.2.3.8", "E3 L1", "The account lockout threshold is ten or fewer"),
    cis("5.2.3.9", "E3 L1", "The account lockout duration is at least 60 seconds"),
    cis("5.2.3.10", "E3 L1", "Microsoft Authenticator on companion applications is disabled"),
    gap("5.3.1", "E5 L2", "Privileged Identity Management is used to manage roles", Gap::NeedsPerson("CIS allows documented break-glass accounts with permanent assignments, which a snapshot cannot tell apart: verify in PIM that every permanent active assignment of a privileged role belongs to a documented emergency access account (A365-AAD-23 applies SCuBA's rule, which allows none)")),
    cis("5.3.2", "E5 L1", "Access reviews for guest users are configured"),
    cis("5.3.3", "E5 L1", "Access reviews for privileged roles are configured"),
    cis("5.3.4", "E5 L1", "Approval is required for Global Administrator activation"),
    cis("5.3.5", "E5 L1", "Approval is required for Privileged Role Administrator activation"),
    cis("6.1.1", "E3 L1", "AuditDisabled organisationally is set to False"),
    cis("6.1.2", "E3 L1", "Mailbox audit actions are configured"),
    cis("6.1.3", "E3 L1", "Mailbox auditing is not bypassed for any account"),
    cis("6.2.1", "E3 L1", "All forms of mail forwarding are blocked or disabled"),
    cis("6.2.2", "E3 L1", "Mail transport rules do not allowlist specific domains"),
    cis("6.2.3", "E3 L1", "Email from external senders is identified"),
    cis("6.3.1", "E3 L2", "Users cannot install Outlook add-ins"),
    cis("6.3.2", "E3 L1", "Personal accounts cannot be added in Outlook on the web"),
    cis("6.5.1", "E3 L1", "Modern authentication for Exchange Online is enabled"),
    cis("6.5.2", "E3 L1", "MailTips are enabled for end users"),
    cis("6.5.3", "E3 L2", "Additional storage providers are restricted in Outlook on the web"),
    cis("6.5.4", "E3 L1", "SMTP AUTH is disabled"),
    cis("6.5.5", "E3 L2", "Direct Send submissions are rejected"),
    cis("7.2.1", "E3 L1", "Modern authentication for SharePoint applications is required"),
    cis("7.2.2", "E3 L1", "SharePoint and OneDrive integration with Entra B2B is enabled"),
    cis("7.2.3", "E3 L1", "External content sharing is restricted"),
    cis("7.2.4", "E3 L2", "OneDrive content sharing is restricted"),
    cis("7.2.5", "E3 L2", "Guests cannot share items they don't own"),
    cis("7.2.6", "E3 L2", "SharePoint external sharing is restricted by domain"),
    cis("7.2.7", "E3 L1", "Link sharing is restricted in SharePoint and OneDrive"),
    cis("7.2.8", "E3 L2", "External sharing is restricted by security group"),
    cis("7.2.9", "E3 L1", "Guest access to a site or OneDrive expires automatically"),
    cis("7.2.10", "E3 L1", "Reauthentication with a verification code is restricted"),
    cis("7.2.11", "E3 L1", "The SharePoint default sharing link permission is set"),
    cis("7.3.1", "E5 L2", "Office 365 SharePoint infected files are disallowed for download"),
    cis("8.1.1", "E3 L2", "External file sharing in Teams uses approved storage only"),
    cis("8.1.2", "E3 L1", "Users cannot send emails to a channel email address"),
    cis("8.2.1", "E3 L2", "External domains are restricted in the Teams admin center"),
    cis("8.2.2", "E3 L1", "Communication with unmanaged Teams users is disabled"),
    cis("8.2.3", "E3 L1", "External Teams users cannot initiate conversations"),
    cis("8.2.4", "E3 L1", "Communication with Teams trial tenants is blocked"),
    cis("8.5.1", "E3 L2", "Anonymous users can't join a meeting"),
    cis("8.5.2", "E3 L1", "Anonymous users and dial-in callers can't start a meeting"),
    cis("8.5.3", "E3 L1", "Only people in my org can bypass the lobby"),
    cis("8.5.4", "E3 L1", "Users dialing in can't bypass the lobby"),
    cis("8.5.5", "E3 L2", "Meeting chat does not allow anonymous users"),
    cis("8.5.6", "E3 L2", "Only organizers and co-organizers can present"),
    cis("8.5.7", "E3 L1", "External participants can't give or request control"),
    cis("8.5.8", "E3 L2", "External meeting chat is off"),
    cis("8.5.9", "E3 L2", "Meeting recording is off by default"),
    gap("8.6.1", "E5 L1", "Users can report security concerns in Teams", Gap::NotAppOnly("the Teams messaging policy (AllowSecurityEndUserReporting) is served only by the Teams PowerShell module, and the import of a ScubaGear export does not carry it")),
    cis("9.1.1", "E3 L1", "Guest user access to Fabric is restricted"),
    cis("9.1.2", "E3 L1", "External user invitations to Fabric are restricted"),
    cis("9.1.3", "E3 L1", "Guest access to Fabric content is restricted"),
    cis("9.1.4", "E3 L1", "Publish to web is restricted"),
    cis("9.1.5", "E3 L2", "Interacting with and sharing R and Python visuals is disabled"),
    cis("9.1.6", "E3 L1", "Sensitivity labels are enabled in Fabric"),
    cis("9.1.7", "E3 L1", "Shareable links are restricted"),
    cis("9.1.8", "E3 L1", "Enabling dataset content for external users is restricted"),
    cis("9.1.9", "E3 L1", "Block ResourceKey authentication is enabled"),
    cis("9.1.10", "E3 L1", "Access to APIs by service principals is restricted"),
    cis("9.1.11", "E3 L1", "Service principals cannot create and use profiles"),
    cis("9.1.12", "E3 L1", "Service principals cannot create workspaces, connections and deployment pipelines"),
];

/// The references of a check, by id.
pub fn references(check_id: &str) -> Option<&'static References> {
    REFERENCES.iter().find(|r| r.check_id == check_id)
}

/// A CIS v7.0.0 recommendation by number.
pub fn cis_recommendation(number: &str) -> Option<&'static CisRecommendation> {
    CIS_RECOMMENDATIONS.iter().find(|c| c.number == number)
}

/// A SCuBA baseline: those of ScubaGear [`SCUBA_VERSION`] (one per service) and the Security
/// Suite baseline of ScubaGear's main branch.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ScubaBaseline {
    /// Microsoft Entra ID (`MS.AAD`).
    EntraId,
    /// Microsoft Defender for Office 365 (`MS.DEFENDER`).
    Defender,
    /// Exchange Online (`MS.EXO`).
    ExchangeOnline,
    /// SharePoint Online and OneDrive (`MS.SHAREPOINT`).
    SharePoint,
    /// Microsoft Teams (`MS.TEAMS`).
    Teams,
    /// Power Platform (`MS.POWERPLATFORM`).
    PowerPlatform,
    /// Power BI (`MS.POWERBI`).
    PowerBi,
    /// Security Suite (`MS.SECURITYSUITE`), of ScubaGear's main branch at
    /// [`SCUBA_MAIN_COMMIT`]: not part of ScubaGear [`SCUBA_VERSION`].
    SecuritySuite,
}

impl ScubaBaseline {
    /// Every baseline of ScubaGear [`SCUBA_VERSION`], in the order of [`SCUBA_POLICIES`].
    pub const ALL: [ScubaBaseline; 7] = [
        ScubaBaseline::EntraId,
        ScubaBaseline::Defender,
        ScubaBaseline::ExchangeOnline,
        ScubaBaseline::SharePoint,
        ScubaBaseline::Teams,
        ScubaBaseline::PowerPlatform,
        ScubaBaseline::PowerBi,
    ];

    /// The product the baseline covers, as its document names it.
    pub fn name(self) -> &'static str {
        match self {
            ScubaBaseline::EntraId => "Microsoft Entra ID",
            ScubaBaseline::Defender => "Defender",
            ScubaBaseline::ExchangeOnline => "Exchange Online",
            ScubaBaseline::SharePoint => "SharePoint Online and OneDrive",
            ScubaBaseline::Teams => "Teams",
            ScubaBaseline::PowerPlatform => "Power Platform",
            ScubaBaseline::PowerBi => "Power BI",
            ScubaBaseline::SecuritySuite => "Security Suite",
        }
    }

    /// The policy id prefix, such as `MS.AAD`.
    pub fn prefix(self) -> &'static str {
        match self {
            ScubaBaseline::EntraId => "MS.AAD",
            ScubaBaseline::Defender => "MS.DEFENDER",
            ScubaBaseline::ExchangeOnline => "MS.EXO",
            ScubaBaseline::SharePoint => "MS.SHAREPOINT",
            ScubaBaseline::Teams => "MS.TEAMS",
            ScubaBaseline::PowerPlatform => "MS.POWERPLATFORM",
            ScubaBaseline::PowerBi => "MS.POWERBI",
            ScubaBaseline::SecuritySuite => "MS.SECURITYSUITE",
        }
    }

    /// The version a finding cites the baseline's policies by (a [`FrameworkRef`]'s
    /// `version`): the ScubaGear release [`SCUBA_VERSION`] for its baselines, the main
    /// branch's baselines version [`SCUBA_MAIN_VERSION`] for the Security Suite.
    pub fn version(self) -> &'static str {
        match self {
            ScubaBaseline::SecuritySuite => SCUBA_MAIN_VERSION,
            _ => SCUBA_VERSION,
        }
    }

    /// Where the baseline and its version come from, for people: "ScubaGear 1.8.0", or
    /// "v2.6.10, ScubaGear main branch".
    pub fn source(self) -> String {
        match self {
            ScubaBaseline::SecuritySuite => {
                format!("v{SCUBA_MAIN_VERSION}, ScubaGear main branch")
            }
            _ => format!("ScubaGear {SCUBA_VERSION}"),
        }
    }

    /// The baseline a policy id belongs to, by its prefix.
    pub fn of(id: &str) -> Option<ScubaBaseline> {
        ScubaBaseline::ALL
            .into_iter()
            .chain([ScubaBaseline::SecuritySuite])
            .find(|b| {
                id.strip_prefix(b.prefix())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    }
}

/// A SCuBA reference of a finding named with its baseline and the baseline's version, such as
/// "SCuBA Defender (ScubaGear 1.8.0) MS.DEFENDER.6.1v1" or "SCuBA Security Suite (v2.6.10,
/// ScubaGear main branch) MS.SECURITYSUITE.5.1v1"; `None` for another framework or an id of
/// no known baseline.
pub fn scuba_citation(reference: &FrameworkRef) -> Option<String> {
    if reference.framework != Framework::Scuba {
        return None;
    }
    let baseline = ScubaBaseline::of(&reference.id)?;
    if baseline.version() == reference.version {
        return Some(format!(
            "SCuBA {} ({}) {}",
            baseline.name(),
            baseline.source(),
            reference.id
        ));
    }
    // A policy the main branch adds to, or rewords in, a 1.8.0 baseline.
    (reference.version == SCUBA_MAIN_VERSION && scuba_main_change(&reference.id).is_some()).then(
        || {
            format!(
                "SCuBA {} (v{SCUBA_MAIN_VERSION}, ScubaGear main branch) {}",
                baseline.name(),
                reference.id
            )
        },
    )
}

/// How strongly a SCuBA baseline words a policy: SHALL (required) or SHOULD (recommended).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Criticality {
    /// Required.
    Shall,
    /// Recommended.
    Should,
}

impl Criticality {
    /// `SHALL` or `SHOULD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Shall => "SHALL",
            Criticality::Should => "SHOULD",
        }
    }
}

/// One SCuBA policy: its baseline and its criticality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScubaPolicy {
    /// Policy id as in [`SCUBA_POLICIES`], such as `MS.AAD.1.1v1`.
    pub id: &'static str,
    /// The baseline it belongs to.
    pub baseline: ScubaBaseline,
    /// SHALL or SHOULD.
    pub criticality: Criticality,
}

const fn sp(id: &'static str, baseline: ScubaBaseline, criticality: Criticality) -> ScubaPolicy {
    ScubaPolicy {
        id,
        baseline,
        criticality,
    }
}

/// Every policy of [`SCUBA_POLICIES`] with its baseline and criticality, in the same order.
/// Criticalities are those of ScubaGear [`SCUBA_VERSION`]'s baseline documents (the
/// `Criticality` marker under each policy; policies whose version suffix differs in
/// [`SCUBA_POLICIES`] take the baseline text's criticality), and for MS.POWERPLATFORM.2.3v1,
/// which the baseline text does not list, the criticality ScubaGear's own results report.
#[rustfmt::skip]
pub static SCUBA_POLICY_TABLE: &[ScubaPolicy] = {
    use ScubaBaseline::*;
    use Criticality::*;
    &[
    sp("MS.AAD.1.1v1", EntraId, Shall),
    sp("MS.AAD.2.1v1", EntraId, Shall),
    sp("MS.AAD.2.2v1", EntraId, Should),
    sp("MS.AAD.2.3v1", EntraId, Shall),
    sp("MS.AAD.3.1v1", EntraId, Shall),
    sp("MS.AAD.3.2v2", EntraId, Shall),
    sp("MS.AAD.3.3v2", EntraId, Shall),
    sp("MS.AAD.3.4v1", EntraId, Shall),
    sp("MS.AAD.3.5v2", EntraId, Shall),
    sp("MS.AAD.3.6v1", EntraId, Shall),
    sp("MS.AAD.3.7v1", EntraId, Should),
    sp("MS.AAD.3.8v1", EntraId, Should),
    sp("MS.AAD.3.9v1", EntraId, Should),
    sp("MS.AAD.4.1v1", EntraId, Shall),
    sp("MS.AAD.5.1v1", EntraId, Shall),
    sp("MS.AAD.5.2v1", EntraId, Shall),
    sp("MS.AAD.5.3v1", EntraId, Shall),
    sp("MS.AAD.6.1v1", EntraId, Shall),
    sp("MS.AAD.7.1v1", EntraId, Shall),
    sp("MS.AAD.7.2v1", EntraId, Shall),
    sp("MS.AAD.7.3v1", EntraId, Shall),
    sp("MS.AAD.7.4v1", EntraId, Shall),
    sp("MS.AAD.7.5v1", EntraId, Shall),
    sp("MS.AAD.7.6v1", EntraId, Shall),
    sp("MS.AAD.7.7v1", EntraId, Shall),
    sp("MS.AAD.7.8v1", EntraId, Shall),
    sp("MS.AAD.7.9v1", EntraId, Should),
    sp("MS.AAD.8.1v1", EntraId, Should),
    sp("MS.AAD.8.2v1", EntraId, Should),
    sp("MS.AAD.8.3v1", EntraId, Should),
    sp("MS.DEFENDER.1.1v1", Defender, Shall),
    sp("MS.DEFENDER.1.2v1", Defender, Shall),
    sp("MS.DEFENDER.1.3v1", Defender, Shall),
    sp("MS.DEFENDER.1.4v1", Defender, Shall),
    sp("MS.DEFENDER.1.5v1", Defender, Shall),
    sp("MS.DEFENDER.2.1v1", Defender, Should),
    sp("MS.DEFENDER.2.2v1", Defender, Should),
    sp("MS.DEFENDER.2.3v1", Defender, Should),
    sp("MS.DEFENDER.3.1v1", Defender, Should),
    sp("MS.DEFENDER.4.1v2", Defender, Shall),
    sp("MS.DEFENDER.4.2v1", Defender, Should),
    sp("MS.DEFENDER.4.3v1", Defender, Should),
    sp("MS.DEFENDER.4.4v1", Defender, Should),
    sp("MS.DEFENDER.4.5v1", Defender, Should),
    sp("MS.DEFENDER.4.6v1", Defender, Should),
    sp("MS.DEFENDER.5.1v1", Defender, Shall),
    sp("MS.DEFENDER.5.2v1", Defender, Should),
    sp("MS.DEFENDER.6.1v1", Defender, Shall),
    sp("MS.DEFENDER.6.3v1", Defender, Shall),
    sp("MS.EXO.1.1v2", ExchangeOnline, Shall),
    sp("MS.EXO.2.2v3", ExchangeOnline, Shall),
    sp("MS.EXO.3.1v1", ExchangeOnline, Should),
    sp("MS.EXO.4.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.4.2v1", ExchangeOnline, Shall),
    sp("MS.EXO.4.3v1", ExchangeOnline, Shall),
    sp("MS.EXO.4.4v1", ExchangeOnline, Should),
    sp("MS.EXO.5.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.6.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.6.2v1", ExchangeOnline, Shall),
    sp("MS.EXO.7.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.8.1v2", ExchangeOnline, Shall),
    sp("MS.EXO.8.2v2", ExchangeOnline, Shall),
    sp("MS.EXO.8.3v1", ExchangeOnline, Should),
    sp("MS.EXO.8.4v1", ExchangeOnline, Shall),
    sp("MS.EXO.9.1v2", ExchangeOnline, Shall),
    sp("MS.EXO.9.2v1", ExchangeOnline, Should),
    sp("MS.EXO.9.3v2", ExchangeOnline, Shall),
    sp("MS.EXO.9.4v1", ExchangeOnline, Should),
    sp("MS.EXO.9.5v1", ExchangeOnline, Should),
    sp("MS.EXO.10.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.10.2v1", ExchangeOnline, Shall),
    sp("MS.EXO.10.3v1", ExchangeOnline, Shall),
    sp("MS.EXO.11.1v1", ExchangeOnline, Should),
    sp("MS.EXO.11.2v1", ExchangeOnline, Should),
    sp("MS.EXO.11.3v1", ExchangeOnline, Should),
    sp("MS.EXO.12.1v1", ExchangeOnline, Should),
    sp("MS.EXO.12.2v1", ExchangeOnline, Should),
    sp("MS.EXO.13.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.14.1v2", ExchangeOnline, Shall),
    sp("MS.EXO.14.2v1", ExchangeOnline, Shall),
    sp("MS.EXO.14.3v1", ExchangeOnline, Shall),
    sp("MS.EXO.14.4v1", ExchangeOnline, Should),
    sp("MS.EXO.15.1v1", ExchangeOnline, Should),
    sp("MS.EXO.15.2v1", ExchangeOnline, Should),
    sp("MS.EXO.15.3v1", ExchangeOnline, Should),
    sp("MS.EXO.16.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.16.2v1", ExchangeOnline, Should),
    sp("MS.EXO.17.1v1", ExchangeOnline, Shall),
    sp("MS.EXO.17.3v1", ExchangeOnline, Shall),
    sp("MS.SHAREPOINT.1.1v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.1.2v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.1.3v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.2.1v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.2.2v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.3.1v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.3.2v1", SharePoint, Shall),
    sp("MS.SHAREPOINT.3.3v1", SharePoint, Shall),
    sp("MS.TEAMS.1.1v1", Teams, Should),
    sp("MS.TEAMS.1.2v2", Teams, Shall),
    sp("MS.TEAMS.1.3v1", Teams, Should),
    sp("MS.TEAMS.1.4v1", Teams, Should),
    sp("MS.TEAMS.1.5v1", Teams, Should),
    sp("MS.TEAMS.1.6v1", Teams, Should),
    sp("MS.TEAMS.1.7v2", Teams, Should),
    sp("MS.TEAMS.2.1v2", Teams, Shall),
    sp("MS.TEAMS.2.2v2", Teams, Shall),
    sp("MS.TEAMS.2.3v2", Teams, Should),
    sp("MS.TEAMS.4.1v1", Teams, Shall),
    sp("MS.TEAMS.5.1v2", Teams, Should),
    sp("MS.TEAMS.5.2v2", Teams, Should),
    sp("MS.TEAMS.5.3v2", Teams, Should),
    sp("MS.TEAMS.6.1v1", Teams, Shall),
    sp("MS.TEAMS.6.2v1", Teams, Shall),
    sp("MS.TEAMS.7.1v1", Teams, Should),
    sp("MS.TEAMS.7.2v1", Teams, Should),
    sp("MS.TEAMS.8.1v1", Teams, Should),
    sp("MS.TEAMS.8.2v1", Teams, Should),
    sp("MS.POWERPLATFORM.1.1v1", PowerPlatform, Shall),
    sp("MS.POWERPLATFORM.1.2v1", PowerPlatform, Shall),
    sp("MS.POWERPLATFORM.2.1v1", PowerPlatform, Shall),
    sp("MS.POWERPLATFORM.2.2v1", PowerPlatform, Should),
    sp("MS.POWERPLATFORM.2.3v1", PowerPlatform, Should),
    sp("MS.POWERPLATFORM.3.1v1", PowerPlatform, Shall),
    sp("MS.POWERPLATFORM.3.2v1", PowerPlatform, Should),
    sp("MS.POWERPLATFORM.4.1v1", PowerPlatform, Shall),
    sp("MS.POWERPLATFORM.5.1v1", PowerPlatform, Should),
    sp("MS.POWERPLATFORM.6.1v1", PowerPlatform, Should),
    sp("MS.POWERBI.1.1v1", PowerBi, Should),
    sp("MS.POWERBI.2.1v1", PowerBi, Should),
    sp("MS.POWERBI.3.1v1", PowerBi, Should),
    sp("MS.POWERBI.4.1v1", PowerBi, Should),
    sp("MS.POWERBI.4.2v1", PowerBi, Should),
    sp("MS.POWERBI.5.1v1", PowerBi, Should),
    sp("MS.POWERBI.6.1v1", PowerBi, Should),
    sp("MS.POWERBI.7.1v1", PowerBi, Should),
    ]
};

/// A SCuBA policy's baseline and criticality, by id.
pub fn scuba_policy(id: &str) -> Option<&'static ScubaPolicy> {
    SCUBA_POLICY_TABLE.iter().find(|p| p.id == id)
}

/// How the catalogue treats one policy of the main branch's Security Suite baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MainDecision {
    /// `check` decides it: ScubaGear's main-branch Rego applies to it the rule its 1.8.0 Rego
    /// applies to `same_as`, which `check` decides, or (`same_as` `None`) `check` is a check of
    /// its own applying the main branch's rule.
    Decided {
        /// The deciding check.
        check: &'static str,
        /// The ScubaGear 1.8.0 policy whose rule it is, if any.
        same_as: Option<&'static str>,
    },
    /// ScubaGear's main-branch Rego does not decide it, with the criticality suffix it gives;
    /// `check` (a `manual` check on `same_as`, which ScubaGear 1.8.0 did not decide either)
    /// says what a person verifies.
    Undecided {
        /// The check answering `manual`.
        check: &'static str,
        /// The ScubaGear 1.8.0 policy of the same text.
        same_as: &'static str,
        /// ScubaGear's own marker, such as "Not-Implemented".
        scubagear: &'static str,
    },
    /// No check decides it: why.
    NotDecided(&'static str),
}

impl MainDecision {
    /// The check citing the policy, if any.
    pub fn check(&self) -> Option<&'static str> {
        match self {
            MainDecision::Decided { check, .. } | MainDecision::Undecided { check, .. } => {
                Some(check)
            }
            MainDecision::NotDecided(_) => None,
        }
    }
}

/// One policy of the Security Suite baseline of ScubaGear's main branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScubaMainPolicy {
    /// Policy id, such as `MS.SECURITYSUITE.5.1v1`.
    pub id: &'static str,
    /// SHALL or SHOULD, as `ScubaBaselines.json` gives it.
    pub criticality: Criticality,
    /// The ScubaGear 1.8.0 policies (ids as in [`SCUBA_POLICIES`]) that ScubaGear's
    /// `removedpolicies.md` says were reworked into it.
    pub replaces: &'static [&'static str],
    /// How the catalogue treats it.
    pub decision: MainDecision,
}

const fn mp(
    id: &'static str,
    criticality: Criticality,
    replaces: &'static [&'static str],
    decision: MainDecision,
) -> ScubaMainPolicy {
    ScubaMainPolicy {
        id,
        criticality,
        replaces,
        decision,
    }
}

/// The Defender preset policies group 1 of the Security Suite replaces as a whole.
const DEFENDER_PRESETS: [&str; 5] = [
    "MS.DEFENDER.1.1v1",
    "MS.DEFENDER.1.2v1",
    "MS.DEFENDER.1.3v1",
    "MS.DEFENDER.1.4v1",
    "MS.DEFENDER.1.5v1",
];

/// Every policy of the Security Suite baseline of ScubaGear's main branch at
/// [`SCUBA_MAIN_COMMIT`] (baselines version [`SCUBA_MAIN_VERSION`]), which replaces the
/// Defender baseline, Exchange Online 8 to 17 (except 13.1, which stays in Exchange Online)
/// and Teams 6 to 8. Criticalities are those of `ScubaBaselines.json`; a policy is cited
/// only where the main branch's Rego applies the very rule of a 1.8.0 policy a check decides
/// (compared rule by rule), or by a check of its own applying the main branch's rule, so no
/// check passes on a rule it does not apply.
#[rustfmt::skip]
pub static SCUBA_SECURITY_SUITE: &[ScubaMainPolicy] = {
    use Criticality::*;
    use MainDecision::*;
    &[
    mp("MS.SECURITYSUITE.1.1v1", Shall, &[DEFENDER_PRESETS[0], DEFENDER_PRESETS[1], DEFENDER_PRESETS[2], DEFENDER_PRESETS[3], DEFENDER_PRESETS[4], "MS.EXO.9.1v2", "MS.EXO.9.3v2", "MS.EXO.9.5v1"],
        Decided { check: "A365-DEF-33", same_as: None }),
    mp("MS.SECURITYSUITE.1.2v1", Shall, &[DEFENDER_PRESETS[0], DEFENDER_PRESETS[1], DEFENDER_PRESETS[2], DEFENDER_PRESETS[3], DEFENDER_PRESETS[4], "MS.EXO.10.3v1"],
        Decided { check: "A365-DEF-34", same_as: None }),
    mp("MS.SECURITYSUITE.1.3v1", Shall, &[DEFENDER_PRESETS[0], DEFENDER_PRESETS[1], DEFENDER_PRESETS[2], DEFENDER_PRESETS[3], DEFENDER_PRESETS[4], "MS.EXO.10.1v1", "MS.EXO.10.2v1"],
        Decided { check: "A365-DEF-35", same_as: None }),
    mp("MS.SECURITYSUITE.1.4v1", Should, &[DEFENDER_PRESETS[0], DEFENDER_PRESETS[1], DEFENDER_PRESETS[2], DEFENDER_PRESETS[3], DEFENDER_PRESETS[4], "MS.DEFENDER.3.1v1", "MS.TEAMS.7.1v1", "MS.TEAMS.7.2v1"],
        Decided { check: "A365-DEF-06", same_as: Some("MS.DEFENDER.3.1v1") }),
    mp("MS.SECURITYSUITE.2.1v1", Should, &["MS.DEFENDER.2.1v1", "MS.EXO.11.1v1"],
        Decided { check: "A365-DEF-36", same_as: None }),
    mp("MS.SECURITYSUITE.2.2v1", Should, &["MS.DEFENDER.2.2v1"],
        Decided { check: "A365-DEF-37", same_as: None }),
    mp("MS.SECURITYSUITE.2.3v1", Should, &["MS.DEFENDER.2.3v1"],
        Decided { check: "A365-DEF-38", same_as: None }),
    mp("MS.SECURITYSUITE.2.4v1", Should, &["MS.EXO.11.2v1"],
        Decided { check: "A365-DEF-39", same_as: None }),
    mp("MS.SECURITYSUITE.3.1v1", Shall, &["MS.DEFENDER.4.1v2", "MS.EXO.8.1v2", "MS.EXO.8.2v2", "MS.EXO.8.4v1", "MS.TEAMS.6.2v1"],
        Decided { check: "A365-PUR-05", same_as: Some("MS.DEFENDER.4.1v2") }),
    mp("MS.SECURITYSUITE.3.2v1", Should, &["MS.DEFENDER.4.2v1", "MS.TEAMS.6.1v1"],
        Decided { check: "A365-PUR-07", same_as: Some("MS.DEFENDER.4.2v1") }),
    mp("MS.SECURITYSUITE.3.3v1", Should, &["MS.DEFENDER.4.3v1"],
        Decided { check: "A365-PUR-08", same_as: Some("MS.DEFENDER.4.3v1") }),
    mp("MS.SECURITYSUITE.3.4v1", Should, &["MS.DEFENDER.4.4v1"],
        Decided { check: "A365-PUR-09", same_as: Some("MS.DEFENDER.4.4v1") }),
    mp("MS.SECURITYSUITE.3.5v1", Should, &["MS.DEFENDER.4.6v1"],
        Undecided { check: "A365-DEF-17", same_as: "MS.DEFENDER.4.6v1", scubagear: "Not-Implemented" }),
    mp("MS.SECURITYSUITE.4.1v1", Shall, &["MS.DEFENDER.5.1v1", "MS.EXO.16.1v1"],
        Decided { check: "A365-DEF-32", same_as: None }),
    mp("MS.SECURITYSUITE.4.2v1", Should, &["MS.DEFENDER.5.2v1", "MS.EXO.16.2v1"],
        Undecided { check: "A365-DEF-18", same_as: "MS.DEFENDER.5.2v1", scubagear: "Not-Implemented" }),
    mp("MS.SECURITYSUITE.5.1v1", Shall, &["MS.DEFENDER.6.1v1", "MS.EXO.17.1v1"],
        Decided { check: "A365-PUR-01", same_as: Some("MS.DEFENDER.6.1v1") }),
    mp("MS.SECURITYSUITE.5.2v1", Shall, &["MS.DEFENDER.6.3v1", "MS.EXO.17.3v1"],
        Decided { check: "A365-PUR-12", same_as: None }),
    mp("MS.SECURITYSUITE.6.1v1", Shall, &["MS.EXO.14.1v2", "MS.EXO.14.2v1"],
        Decided { check: "A365-DEF-40", same_as: None }),
    mp("MS.SECURITYSUITE.6.2v1", Shall, &["MS.EXO.14.3v1"],
        Decided { check: "A365-DEF-41", same_as: None }),
    mp("MS.SECURITYSUITE.7.1v1", Should, &["MS.EXO.15.1v1", "MS.TEAMS.8.1v1"],
        Decided { check: "A365-DEF-42", same_as: None }),
    mp("MS.SECURITYSUITE.7.2v1", Should, &["MS.EXO.15.2v1"],
        Decided { check: "A365-DEF-43", same_as: None }),
    mp("MS.SECURITYSUITE.7.3v1", Should, &["MS.EXO.15.3v1", "MS.TEAMS.8.2v1"],
        Decided { check: "A365-DEF-44", same_as: None }),
    mp("MS.SECURITYSUITE.8.1v1", Should, &["MS.EXO.12.1v1"],
        Decided { check: "A365-EXO-16", same_as: Some("MS.EXO.12.1v1") }),
    mp("MS.SECURITYSUITE.8.2v1", Should, &["MS.EXO.12.2v1"],
        Decided { check: "A365-EXO-17", same_as: Some("MS.EXO.12.2v1") }),
    ]
};

/// The ScubaGear 1.8.0 policies the main branch removes without a Security Suite successor
/// (`removedpolicies.md`, or, for MS.EXO.14.4v1, absent from the main branch's baselines
/// without an entry there). The checks citing them keep deciding them for 1.8.0.
pub static SCUBA_REMOVED_ON_MAIN: &[&str] = &[
    "MS.DEFENDER.4.5v1",
    "MS.EXO.8.3v1",
    "MS.EXO.9.2v1",
    "MS.EXO.9.4v1",
    "MS.EXO.11.3v1",
    "MS.EXO.14.4v1",
];

/// A policy of a ScubaGear [`SCUBA_VERSION`] baseline (Entra ID, SharePoint, ...) that
/// ScubaGear's main branch at [`SCUBA_MAIN_COMMIT`] adds or gives a new version; cited by
/// [`SCUBA_MAIN_VERSION`], as the Security Suite is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScubaMainChange {
    /// Policy id, such as `MS.AAD.5.5v1`.
    pub id: &'static str,
    /// SHALL or SHOULD, as `ScubaBaselines.json` gives it.
    pub criticality: Criticality,
    /// The [`SCUBA_VERSION`] policy it gives a new version to, if any.
    pub replaces: Option<&'static str>,
    /// What the main branch changes, for people.
    pub change: &'static str,
    /// The check of its own applying the main branch's rule.
    pub check: &'static str,
}

/// Every policy ScubaGear's main branch at [`SCUBA_MAIN_COMMIT`] adds to, or gives a new
/// version in, a baseline of ScubaGear [`SCUBA_VERSION`] (the Security Suite aside:
/// [`SCUBA_SECURITY_SUITE`]). A check cites one only where it applies the main branch's rule.
#[rustfmt::skip]
pub static SCUBA_MAIN_CHANGES: &[ScubaMainChange] = {
    use Criticality::*;
    &[
    ScubaMainChange { id: "MS.AAD.5.5v1", criticality: Should, replaces: None,
        change: "new: password addition (client secrets) blocked for every application by the default app management policy, and no custom app management policy turning the block off for the applications it is assigned to",
        check: "A365-AAD-95" },
    ScubaMainChange { id: "MS.AAD.5.6v1", criticality: Should, replaces: None,
        change: "new: client secret lifetime restricted to 181 days (the portal's exclusive limit for 180 or less) for every application, no custom policy lifting it; met as well when MS.AAD.5.5v1 is",
        check: "A365-AAD-96" },
    ScubaMainChange { id: "MS.AAD.5.7v1", criticality: Should, replaces: None,
        change: "new: certificate lifetime restricted to 366 days (the portal's exclusive limit for 365 or less) for every application, no custom policy lifting it",
        check: "A365-AAD-97" },
    ScubaMainChange { id: "MS.SHAREPOINT.3.3v2", criticality: Shall, replaces: Some("MS.SHAREPOINT.3.3v1"),
        change: "applies also when SharePoint sharing is limited to existing guests (3.3v1 answered not applicable there); a missing setting fails there instead of being skipped (an error here)",
        check: "A365-SPO-21" },
    ]
};

/// A policy of [`SCUBA_MAIN_CHANGES`], by id.
pub fn scuba_main_change(id: &str) -> Option<&'static ScubaMainChange> {
    SCUBA_MAIN_CHANGES.iter().find(|p| p.id == id)
}

/// One CIS v7.0.0 recommendation CIS marks "Manual": a person judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CisManual {
    /// Recommendation number, such as "1.1.2".
    pub number: &'static str,
    /// Short title (our wording).
    pub title: &'static str,
    /// Profile, such as "E3 L1".
    pub profile: &'static str,
    /// What a person verifies, and where (our wording).
    pub verify: &'static str,
}

const fn manual(
    number: &'static str,
    profile: &'static str,
    title: &'static str,
    verify: &'static str,
) -> CisManual {
    CisManual {
        number,
        title,
        profile,
        verify,
    }
}

/// Every CIS v7.0.0 recommendation CIS marks "Manual" (numbers and profiles from public
/// listings; titles and what to verify in our words). With [`CIS_RECOMMENDATIONS`] they make
/// the whole benchmark.
#[rustfmt::skip]
pub static CIS_MANUAL: &[CisManual] = &[
    manual("1.1.2", "E3 L1", "Two emergency access accounts are defined", "In the Microsoft 365 admin center, two emergency access accounts exist: named for no person, on the tenant's onmicrosoft.com domain, cloud-only, unlicensed, enabled and holding Global Administrator; at least one is excluded from every Conditional Access policy; a written procedure for their use exists."),
    manual("1.3.8", "E3 L2", "Sways cannot be shared outside the organisation", "In the Microsoft 365 admin center, Settings > Org settings > Sway: sharing sways with people outside the organisation is not allowed."),
    manual("2.2.1", "E5 L1", "Emergency access account activity is monitored", "In Microsoft Defender, Cloud Apps policies: a high-severity privileged-account policy alerts on every sign-in of each emergency access account."),
    manual("2.4.3", "E5 L2", "Microsoft Defender for Cloud Apps is enabled and configured", "In Microsoft Defender, Settings > Cloud apps: the Microsoft 365 and Microsoft Azure app connectors are connected, the Defender for Endpoint integration is on and file monitoring is enabled."),
    manual("2.4.5", "E5 L1", "Automated investigation remediates malicious message clusters", "In Microsoft Defender, Settings > Email & collaboration > MDO automation settings: automatic remediation is on for clusters of similar files, similar URLs and multiple similar attributes."),
    manual("5.1.2.1", "E3 L1", "Legacy per-user MFA is disabled", "In the Entra admin center, Users > Per-user MFA: every account shows Disabled (MFA comes from Conditional Access instead)."),
    manual("5.1.2.4", "E3 L1", "Non-administrators cannot open the Entra admin center", "In the Entra admin center, Users > User settings: restricting access to the Microsoft Entra admin center is set to Yes."),
    manual("5.1.2.5", "E3 L2", "The option to remain signed in is hidden", "In the Entra admin center, Users > User settings: showing the keep-me-signed-in option is set to No."),
    manual("5.1.2.6", "E3 L2", "LinkedIn account connections are disabled", "In the Entra admin center, Users > User settings: LinkedIn account connections are set to No."),
    manual("5.1.3.2", "E3 L2", "Users cannot use group features in My Groups", "In the Entra admin center, Groups > General: restricting users' access to group features in My Groups is set to Yes."),
    manual("5.1.3.3", "E3 L1", "Group owners cannot manage membership requests in My Groups", "In the Entra admin center, Groups > General: owners managing group membership requests in My Groups is set to No."),
    manual("5.2.4.1", "E3 L1", "Self-service password reset is enabled for all users", "In the Entra admin center, Password reset > Properties: self-service password reset is enabled for All."),
    manual("5.2.4.2", "E3 L2", "Password reset needs two methods", "In the Entra admin center, Password reset > Authentication methods: the number of methods required to reset is 2."),
    manual("5.2.4.3", "E3 L1", "Users register for password reset at sign-in and reconfirm periodically", "In the Entra admin center, Password reset > Registration: users must register when signing in, and the days before they reconfirm their information are not 0."),
    manual("5.2.4.4", "E3 L1", "Users are notified of password resets", "In the Entra admin center, Password reset > Notifications: notifying users on password resets is set to Yes."),
    manual("5.2.4.5", "E3 L1", "All administrators are notified when an administrator resets a password", "In the Entra admin center, Password reset > Notifications: notifying all admins when other admins reset their password is set to Yes."),
    manual("8.4.1", "E3 L1", "Users cannot install third-party or custom Teams apps by default", "In the Teams admin center, Teams apps > Manage apps > Org-wide app settings: third-party and custom apps are off by default, and interaction with custom apps in preview is off."),
];

/// A CIS v7.0.0 "Manual" recommendation by number.
pub fn cis_manual(number: &str) -> Option<&'static CisManual> {
    CIS_MANUAL.iter().find(|c| c.number == number)
}

/// The sections of CIS v7.0.0, by their first number: the admin centre or product each covers.
pub static CIS_SECTIONS: &[(&str, &str)] = &[
    ("1", "Microsoft 365 admin center"),
    ("2", "Microsoft Defender"),
    ("3", "Microsoft Purview"),
    ("4", "Microsoft Intune admin center"),
    ("5", "Microsoft Entra admin center"),
    ("6", "Exchange admin center"),
    ("7", "SharePoint admin center"),
    ("8", "Microsoft Teams admin center"),
    ("9", "Microsoft Fabric"),
];

/// The numeric parts of a recommendation number, for ordering ("5.1.10" after "5.1.9").
pub fn cis_number_key(number: &str) -> Vec<u32> {
    number
        .split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}
