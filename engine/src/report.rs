//! Framework reports: the status of every CIS v7.0.0 recommendation, or every SCuBA policy, for
//! one compliance scan, derived from the findings of the checks that cite it.
//!
//! Pure code: the caller loads the scan and its findings (tenant-scoped) and passes them in.
//!
//! A recommendation's status, from the findings of the compliance checks citing it
//! ([`crate::references::REFERENCES`]):
//! - any finding fails: **fail**;
//! - otherwise any finding is `error`, or a citing check has no finding in the scan: **not
//!   decidable**, saying which check and why (never pass on missing data);
//! - otherwise any finding is `manual`: **manual**, with the check's message;
//! - otherwise every finding passes (some may be not applicable): **pass**; all not applicable:
//!   **not applicable**.
//!
//! A CIS "Manual" recommendation is **manual** with what a person verifies
//! ([`crate::references::CIS_MANUAL`]); an "Automated" one no check decides is **not decidable**
//! with its [`Gap`](crate::references::Gap).
//!
//! CIS profiles nest: Level 2 includes Level 1 and E5 includes E3, so a recommendation of
//! profile E3 L1 belongs to all four profiles and one of E5 L2 only to E5 L2
//! ([`CisProfile::includes`]). The totals per profile count the recommendations that belong to it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalogue::compliance_checks;
use crate::model::{Finding, Status};
use crate::references::{
    CIS_MANUAL, CIS_RECOMMENDATIONS, CIS_SECTIONS, CIS_VERSION, Criticality, SCUBA_POLICY_TABLE,
    SCUBA_VERSION, ScubaBaseline, cis_number_key,
};

/// Most characters of one finding's evidence a report keeps.
pub const EVIDENCE_MAX: usize = 2000;

/// A recommendation's or policy's status in a report.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// Every citing check passes on evidence.
    Pass,
    /// A citing check fails.
    Fail,
    /// A person judges it: [`ControlRow::reason`] says what to verify.
    Manual,
    /// No verdict can be given: [`ControlRow::reason`] says why.
    NotDecidable,
    /// The requirement does not apply to this tenant's configuration.
    NotApplicable,
}

impl ControlStatus {
    /// Every status, in report order.
    pub const ALL: [ControlStatus; 5] = [
        ControlStatus::Pass,
        ControlStatus::Fail,
        ControlStatus::Manual,
        ControlStatus::NotDecidable,
        ControlStatus::NotApplicable,
    ];

    /// Snake-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::Manual => "manual",
            ControlStatus::NotDecidable => "not_decidable",
            ControlStatus::NotApplicable => "not_applicable",
        }
    }

    /// Words for a reader.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::Manual => "manual",
            ControlStatus::NotDecidable => "not decidable",
            ControlStatus::NotApplicable => "not applicable",
        }
    }
}

/// A CIS profile: licence (E3 or E5) and level (1 or 2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum CisProfile {
    /// E3 Level 1.
    #[serde(rename = "E3 L1")]
    E3L1,
    /// E3 Level 2.
    #[serde(rename = "E3 L2")]
    E3L2,
    /// E5 Level 1.
    #[serde(rename = "E5 L1")]
    E5L1,
    /// E5 Level 2.
    #[serde(rename = "E5 L2")]
    E5L2,
}

impl CisProfile {
    /// Every profile.
    pub const ALL: [CisProfile; 4] = [
        CisProfile::E3L1,
        CisProfile::E3L2,
        CisProfile::E5L1,
        CisProfile::E5L2,
    ];

    /// "E3 L1" and so on.
    pub fn as_str(self) -> &'static str {
        match self {
            CisProfile::E3L1 => "E3 L1",
            CisProfile::E3L2 => "E3 L2",
            CisProfile::E5L1 => "E5 L1",
            CisProfile::E5L2 => "E5 L2",
        }
    }

    /// The profile written as in the reference table ("E3 L1").
    pub fn parse(s: &str) -> Option<CisProfile> {
        CisProfile::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    fn e5(self) -> bool {
        matches!(self, CisProfile::E5L1 | CisProfile::E5L2)
    }

    fn level2(self) -> bool {
        matches!(self, CisProfile::E3L2 | CisProfile::E5L2)
    }

    /// Whether a recommendation of profile `rec` belongs to this profile (E5 includes E3,
    /// Level 2 includes Level 1).
    pub fn includes(self, rec: CisProfile) -> bool {
        (self.e5() || !rec.e5()) && (self.level2() || !rec.level2())
    }
}

/// Counts of recommendations or policies by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusTotals {
    /// All of them.
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub manual: usize,
    pub not_decidable: usize,
    pub not_applicable: usize,
}

impl StatusTotals {
    fn add(&mut self, status: ControlStatus) {
        self.total += 1;
        match status {
            ControlStatus::Pass => self.pass += 1,
            ControlStatus::Fail => self.fail += 1,
            ControlStatus::Manual => self.manual += 1,
            ControlStatus::NotDecidable => self.not_decidable += 1,
            ControlStatus::NotApplicable => self.not_applicable += 1,
        }
    }

    fn of<'a>(rows: impl IntoIterator<Item = &'a ControlRow>) -> StatusTotals {
        let mut t = StatusTotals::default();
        for r in rows {
            t.add(r.status);
        }
        t
    }

    /// The count of one status.
    pub fn get(&self, status: ControlStatus) -> usize {
        match status {
            ControlStatus::Pass => self.pass,
            ControlStatus::Fail => self.fail,
            ControlStatus::Manual => self.manual,
            ControlStatus::NotDecidable => self.not_decidable,
            ControlStatus::NotApplicable => self.not_applicable,
        }
    }
}

/// One finding as evidence for a recommendation or policy. Every string but `check_id` and
/// `title` may hold text read from the tenant: untrusted, to be escaped wherever it is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlEvidence {
    /// The check, e.g. "A365-AAD-01".
    pub check_id: String,
    /// The check's title.
    pub title: String,
    /// The check's verdict.
    pub status: Status,
    /// Why that verdict, in one sentence.
    pub message: String,
    /// The objects that made it pass or fail, as compact JSON (at most [`EVIDENCE_MAX`]
    /// characters; longer evidence ends with "…").
    pub evidence: String,
}

/// One recommendation (CIS) or policy (SCuBA) with its status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlRow {
    /// CIS recommendation number ("1.1.3") or SCuBA policy id ("MS.AAD.1.1v1").
    pub id: String,
    /// Our short title (CIS), or the titles of the checks citing it (SCuBA).
    pub title: String,
    /// CIS: the recommendation's own profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<CisProfile>,
    /// CIS: every profile the recommendation belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<CisProfile>,
    /// CIS: true when CIS marks it "Automated", false for "Manual".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<bool>,
    /// SCuBA: SHALL or SHOULD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    pub status: ControlStatus,
    /// Manual: what a person verifies; not decidable: why; fail: which check fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The compliance checks citing it.
    pub checks: Vec<String>,
    /// Their findings in the scan.
    pub evidence: Vec<ControlEvidence>,
}

/// A group of rows: a CIS section (1 to 9) or a SCuBA baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportGroup {
    /// CIS section number ("5") or SCuBA policy prefix ("MS.AAD").
    pub id: String,
    /// The section's or baseline's name.
    pub title: String,
    pub totals: StatusTotals,
    pub rows: Vec<ControlRow>,
}

/// Totals of one CIS profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileTotals {
    pub profile: CisProfile,
    pub totals: StatusTotals,
}

/// Totals of one SCuBA criticality.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriticalityTotals {
    pub criticality: Criticality,
    pub totals: StatusTotals,
}

/// Which framework a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFramework {
    /// CIS Microsoft 365 Foundations Benchmark.
    Cis,
    /// CISA SCuBA baselines.
    Scuba,
}

impl ReportFramework {
    /// "cis" or "scuba".
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFramework::Cis => "cis",
            ReportFramework::Scuba => "scuba",
        }
    }

    /// The framework's full name and version.
    pub fn name(self) -> String {
        match self {
            ReportFramework::Cis => {
                format!("CIS Microsoft 365 Foundations Benchmark v{CIS_VERSION}")
            }
            ReportFramework::Scuba => {
                format!("CISA SCuBA baselines (ScubaGear {SCUBA_VERSION})")
            }
        }
    }
}

/// What a report is about: the tenant and the scan (tenant text: untrusted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportSubject {
    pub tenant_id: i64,
    /// The tenant's display name (read from the tenant: untrusted).
    pub tenant_name: String,
    /// The tenant's primary domain (untrusted).
    pub primary_domain: String,
    /// The compliance scan the report is built from.
    pub scan_id: i64,
    /// When the scan finished.
    pub scan_finished_at: Option<DateTime<Utc>>,
    /// When the configuration the scan evaluated was collected.
    pub collected_at: DateTime<Utc>,
    /// Set when the scan did not evaluate a fresh collection (an import, an older snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A framework report over one compliance scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FrameworkReport {
    pub framework: ReportFramework,
    /// E.g. "CIS Microsoft 365 Foundations Benchmark v7.0.0".
    pub framework_name: String,
    pub subject: ReportSubject,
    /// Over every row.
    pub totals: StatusTotals,
    /// CIS: per profile (empty for SCuBA).
    #[serde(default)]
    pub profiles: Vec<ProfileTotals>,
    /// SCuBA: per criticality (empty for CIS).
    #[serde(default)]
    pub criticalities: Vec<CriticalityTotals>,
    /// CIS sections 1 to 9, or SCuBA baselines, each with its rows.
    pub groups: Vec<ReportGroup>,
}

impl FrameworkReport {
    /// Every row, in order.
    pub fn rows(&self) -> impl Iterator<Item = &ControlRow> {
        self.groups.iter().flat_map(|g| g.rows.iter())
    }
}

/// Builds the report of `framework` from one compliance scan's findings.
pub fn build(
    framework: ReportFramework,
    subject: ReportSubject,
    findings: &[Finding],
) -> FrameworkReport {
    match framework {
        ReportFramework::Cis => build_cis(subject, findings),
        ReportFramework::Scuba => build_scuba(subject, findings),
    }
}

/// The compliance checks citing a CIS number or SCuBA id, in catalogue order.
fn citing(pick: impl Fn(&crate::references::References) -> bool) -> Vec<&'static str> {
    compliance_checks()
        .iter()
        .filter(|c| c.references().is_some_and(&pick))
        .map(|c| c.id)
        .collect()
}

fn evidence_of(f: &Finding) -> ControlEvidence {
    let raw = match &f.evidence {
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    let evidence = if raw.chars().count() > EVIDENCE_MAX {
        let mut cut: String = raw.chars().take(EVIDENCE_MAX).collect();
        cut.push('…');
        cut
    } else {
        raw
    };
    ControlEvidence {
        check_id: f.check_id.clone(),
        title: f.title.clone(),
        status: f.status,
        message: f.message.clone(),
        evidence,
    }
}

/// The status of a row from the findings of the checks citing it (see the module
/// documentation), with the reason, and the evidence.
pub fn derive(
    checks: &[&str],
    findings: &[Finding],
) -> (ControlStatus, Option<String>, Vec<ControlEvidence>) {
    let mut evidence = Vec::new();
    let mut failing = Vec::new();
    let mut undecided = Vec::new();
    let mut manual = Vec::new();
    let (mut pass, mut not_applicable) = (0usize, 0usize);
    for check in checks {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.check_id == *check).collect();
        if mine.is_empty() {
            undecided.push(format!("{check} has no finding in this scan"));
        }
        for f in mine {
            evidence.push(evidence_of(f));
            match f.status {
                Status::Fail => failing.push(format!("{check} fails: {}", f.message)),
                Status::Error => undecided.push(format!("{check}: {}", f.message)),
                Status::Manual => manual.push(format!("{check}: {}", f.message)),
                Status::Pass => pass += 1,
                Status::NotApplicable => not_applicable += 1,
            }
        }
    }
    let join = |v: Vec<String>| Some(v.join(" "));
    let (status, reason) = if !failing.is_empty() {
        (ControlStatus::Fail, join(failing))
    } else if checks.is_empty() {
        (
            ControlStatus::NotDecidable,
            Some("no compliance check decides it".to_string()),
        )
    } else if !undecided.is_empty() {
        (ControlStatus::NotDecidable, join(undecided))
    } else if !manual.is_empty() {
        (ControlStatus::Manual, join(manual))
    } else if pass > 0 {
        (ControlStatus::Pass, None)
    } else if not_applicable > 0 {
        (ControlStatus::NotApplicable, None)
    } else {
        (
            ControlStatus::NotDecidable,
            Some("no finding in this scan".to_string()),
        )
    };
    (status, reason, evidence)
}

fn build_cis(subject: ReportSubject, findings: &[Finding]) -> FrameworkReport {
    let mut rows: Vec<ControlRow> = Vec::new();
    for rec in CIS_RECOMMENDATIONS {
        let checks = citing(|r| r.cis.contains(&rec.number));
        let profile = CisProfile::parse(rec.profile);
        let (status, reason, evidence) = match rec.gap {
            Some(gap) => {
                let evidence = findings
                    .iter()
                    .filter(|f| checks.contains(&f.check_id.as_str()))
                    .map(evidence_of)
                    .collect();
                (
                    ControlStatus::NotDecidable,
                    Some(format!("{}: {}", gap.kind(), gap.why())),
                    evidence,
                )
            }
            None => derive(&checks, findings),
        };
        rows.push(ControlRow {
            id: rec.number.to_string(),
            title: rec.title.to_string(),
            profile,
            profiles: profiles_of(profile),
            automated: Some(rec.automated),
            criticality: None,
            status,
            reason,
            checks: checks.iter().map(|c| (*c).to_string()).collect(),
            evidence,
        });
    }
    for rec in CIS_MANUAL {
        let checks = citing(|r| r.cis.contains(&rec.number));
        let profile = CisProfile::parse(rec.profile);
        let evidence = findings
            .iter()
            .filter(|f| checks.contains(&f.check_id.as_str()))
            .map(evidence_of)
            .collect();
        rows.push(ControlRow {
            id: rec.number.to_string(),
            title: rec.title.to_string(),
            profile,
            profiles: profiles_of(profile),
            automated: Some(false),
            criticality: None,
            status: ControlStatus::Manual,
            reason: Some(rec.verify.to_string()),
            checks: checks.iter().map(|c| (*c).to_string()).collect(),
            evidence,
        });
    }
    rows.sort_by_key(|r| cis_number_key(&r.id));
    let mut by_section: BTreeMap<u32, Vec<ControlRow>> = BTreeMap::new();
    for r in rows {
        let section = cis_number_key(&r.id).first().copied().unwrap_or(u32::MAX);
        by_section.entry(section).or_default().push(r);
    }
    let groups: Vec<ReportGroup> = by_section
        .into_iter()
        .map(|(n, rows)| {
            let id = n.to_string();
            let title = CIS_SECTIONS
                .iter()
                .find(|(s, _)| *s == id)
                .map_or_else(|| format!("Section {id}"), |(_, t)| (*t).to_string());
            ReportGroup {
                totals: StatusTotals::of(&rows),
                id,
                title,
                rows,
            }
        })
        .collect();
    let all: Vec<&ControlRow> = groups.iter().flat_map(|g| g.rows.iter()).collect();
    let profiles = CisProfile::ALL
        .into_iter()
        .map(|p| ProfileTotals {
            profile: p,
            totals: StatusTotals::of(all.iter().copied().filter(|r| r.profiles.contains(&p))),
        })
        .collect();
    FrameworkReport {
        framework: ReportFramework::Cis,
        framework_name: ReportFramework::Cis.name(),
        totals: StatusTotals::of(all.iter().copied()),
        subject,
        profiles,
        criticalities: Vec::new(),
        groups,
    }
}

fn profiles_of(profile: Option<CisProfile>) -> Vec<CisProfile> {
    match profile {
        Some(rec) => CisProfile::ALL
            .into_iter()
            .filter(|p| p.includes(rec))
            .collect(),
        None => Vec::new(),
    }
}

fn build_scuba(subject: ReportSubject, findings: &[Finding]) -> FrameworkReport {
    let checks_all = compliance_checks();
    let groups: Vec<ReportGroup> = ScubaBaseline::ALL
        .into_iter()
        .map(|baseline| {
            let rows: Vec<ControlRow> = SCUBA_POLICY_TABLE
                .iter()
                .filter(|p| p.baseline == baseline)
                .map(|p| {
                    let checks = citing(|r| r.scuba.contains(&p.id));
                    let title = checks_all
                        .iter()
                        .filter(|c| checks.contains(&c.id))
                        .map(|c| c.title)
                        .collect::<Vec<_>>()
                        .join("; ");
                    let (status, reason, evidence) = derive(&checks, findings);
                    ControlRow {
                        id: p.id.to_string(),
                        title,
                        profile: None,
                        profiles: Vec::new(),
                        automated: None,
                        criticality: Some(p.criticality),
                        status,
                        reason,
                        checks: checks.iter().map(|c| (*c).to_string()).collect(),
                        evidence,
                    }
                })
                .collect();
            ReportGroup {
                id: baseline.prefix().to_string(),
                title: baseline.name().to_string(),
                totals: StatusTotals::of(&rows),
                rows,
            }
        })
        .collect();
    let all: Vec<&ControlRow> = groups.iter().flat_map(|g| g.rows.iter()).collect();
    let criticalities = [Criticality::Shall, Criticality::Should]
        .into_iter()
        .map(|c| CriticalityTotals {
            criticality: c,
            totals: StatusTotals::of(all.iter().copied().filter(|r| r.criticality == Some(c))),
        })
        .collect();
    FrameworkReport {
        framework: ReportFramework::Scuba,
        framework_name: ReportFramework::Scuba.name(),
        totals: StatusTotals::of(all.iter().copied()),
        subject,
        profiles: Vec::new(),
        criticalities,
        groups,
    }
}

/// The CSV columns of [`to_csv`].
pub const CSV_COLUMNS: [&str; 11] = [
    "group",
    "id",
    "title",
    "profile",
    "criticality",
    "status",
    "reason",
    "checks",
    "evidence",
    "tenant",
    "collected_at",
];

/// The report as CSV (RFC 4180, CRLF): one row per recommendation or policy. Fields are quoted
/// as needed and any field a spreadsheet would read as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or CR) gets a leading apostrophe.
pub fn to_csv(report: &FrameworkReport) -> String {
    let mut out = String::new();
    crate::export::csv::write_row(&mut out, CSV_COLUMNS.iter().copied());
    let collected = report.subject.collected_at.to_rfc3339();
    for g in &report.groups {
        let group = format!("{} {}", g.id, g.title);
        for r in &g.rows {
            let evidence = r
                .evidence
                .iter()
                .map(|e| {
                    format!(
                        "{} ({}): {} {}",
                        e.check_id, e.status, e.message, e.evidence
                    )
                })
                .collect::<Vec<_>>()
                .join(" | ");
            let checks = r.checks.join("; ");
            crate::export::csv::write_row(
                &mut out,
                [
                    group.as_str(),
                    r.id.as_str(),
                    r.title.as_str(),
                    r.profile.map_or("", CisProfile::as_str),
                    r.criticality.map_or("", Criticality::as_str),
                    r.status.as_str(),
                    r.reason.as_deref().unwrap_or(""),
                    checks.as_str(),
                    evidence.as_str(),
                    report.subject.tenant_name.as_str(),
                    collected.as_str(),
                ],
            );
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{Remediation, Service, Severity};
    use crate::references::{CIS_MANUAL, SCUBA_POLICIES, cis_manual, cis_recommendation};

    fn subject(name: &str) -> ReportSubject {
        ReportSubject {
            tenant_id: 1,
            tenant_name: name.into(),
            primary_domain: "contoso.example".into(),
            scan_id: 7,
            scan_finished_at: None,
            collected_at: DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            note: None,
        }
    }

    fn finding(check: &str, status: Status, message: &str) -> Finding {
        Finding {
            check_id: check.into(),
            title: format!("title of {check}"),
            service: Service::EntraId,
            severity: Severity::High,
            status,
            message: message.into(),
            evidence: serde_json::json!({"policy": message}),
            subjects: Vec::new(),
            rationale: String::new(),
            remediation: Remediation {
                steps: String::new(),
                url: String::new(),
            },
            frameworks: Vec::new(),
        }
    }

    /// Every finding of the catalogue passing.
    fn all(status: Status) -> Vec<Finding> {
        compliance_checks()
            .iter()
            .map(|c| finding(c.id, status, "m"))
            .collect()
    }

    #[test]
    fn every_recommendation_is_listed_once() {
        let report = build(ReportFramework::Cis, subject("t"), &all(Status::Pass));
        let ids: Vec<&str> = report.rows().map(|r| r.id.as_str()).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "duplicates");
        assert_eq!(ids.len(), CIS_RECOMMENDATIONS.len() + CIS_MANUAL.len());
        assert_eq!(ids.len(), 160, "CIS v7.0.0 has 160 recommendations");
        for m in CIS_MANUAL {
            assert!(cis_recommendation(m.number).is_none(), "{} twice", m.number);
            assert!(CisProfile::parse(m.profile).is_some(), "{}", m.number);
        }
        for r in CIS_RECOMMENDATIONS {
            assert!(CisProfile::parse(r.profile).is_some(), "{}", r.number);
        }
        assert!(cis_manual("1.1.2").is_some());
        // Sorted by number within sections 1..9.
        let keys: Vec<Vec<u32>> = ids.iter().map(|i| cis_number_key(i)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let sections: Vec<&str> = report.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(sections, ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        // With every check passing, the status follows from the table alone.
        for r in report.rows() {
            let want = if r.automated == Some(false) {
                ControlStatus::Manual
            } else if cis_recommendation(&r.id).unwrap().gap.is_some() {
                ControlStatus::NotDecidable
            } else {
                ControlStatus::Pass
            };
            assert_eq!(r.status, want, "{}", r.id);
            assert!(
                r.status == ControlStatus::Pass || r.reason.is_some(),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn error_and_missing_data_are_never_pass() {
        let checks = ["A", "B"];
        let pass = finding("A", Status::Pass, "ok");
        let (s, _, _) = derive(&checks, &[pass.clone(), finding("B", Status::Pass, "ok")]);
        assert_eq!(s, ControlStatus::Pass);
        let (s, why, ev) = derive(
            &checks,
            &[pass.clone(), finding("B", Status::Error, "unreadable")],
        );
        assert_eq!(s, ControlStatus::NotDecidable);
        assert!(why.unwrap().contains("B: unreadable"));
        assert_eq!(ev.len(), 2);
        let (s, why, _) = derive(&checks, std::slice::from_ref(&pass));
        assert_eq!(s, ControlStatus::NotDecidable, "B has no finding");
        assert!(why.unwrap().contains("B has no finding"));
        let (s, _, _) = derive(&checks, &[]);
        assert_eq!(s, ControlStatus::NotDecidable);
        let (s, _, _) = derive(&[], std::slice::from_ref(&pass));
        assert_eq!(s, ControlStatus::NotDecidable);
        let (s, why, _) = derive(
            &checks,
            &[
                finding("A", Status::Error, "x"),
                finding("B", Status::Fail, "two"),
            ],
        );
        assert_eq!(s, ControlStatus::Fail);
        assert!(why.unwrap().contains("B fails: two"));
        let (s, _, _) = derive(
            &checks,
            &[pass.clone(), finding("B", Status::Manual, "look")],
        );
        assert_eq!(s, ControlStatus::Manual);
        let (s, _, _) = derive(
            &checks,
            &[pass.clone(), finding("B", Status::NotApplicable, "n/a")],
        );
        assert_eq!(s, ControlStatus::Pass);
        let (s, _, _) = derive(
            &checks,
            &[
                finding("A", Status::NotApplicable, "n/a"),
                finding("B", Status::NotApplicable, "n/a"),
            ],
        );
        assert_eq!(s, ControlStatus::NotApplicable);
    }

    #[test]
    fn an_erroring_scan_decides_nothing() {
        let report = build(ReportFramework::Cis, subject("t"), &all(Status::Error));
        assert_eq!(report.totals.pass, 0);
        assert_eq!(report.totals.fail, 0);
        let report = build(ReportFramework::Scuba, subject("t"), &all(Status::Error));
        assert_eq!(report.totals.pass, 0);
        let report = build(ReportFramework::Cis, subject("t"), &[]);
        assert_eq!(report.totals.pass, 0);
    }

    #[test]
    fn profiles_nest_and_totals_add_up() {
        assert!(CisProfile::E5L2.includes(CisProfile::E3L1));
        assert!(CisProfile::E3L2.includes(CisProfile::E3L1));
        assert!(!CisProfile::E3L2.includes(CisProfile::E5L1));
        assert!(!CisProfile::E5L1.includes(CisProfile::E3L2));
        let report = build(ReportFramework::Cis, subject("t"), &all(Status::Fail));
        let e5l2 = &report.profiles[3];
        assert_eq!(e5l2.profile, CisProfile::E5L2);
        assert_eq!(
            e5l2.totals.total, report.totals.total,
            "E5 L2 holds them all"
        );
        let e3l1 = report
            .rows()
            .filter(|r| r.profile == Some(CisProfile::E3L1))
            .count();
        assert_eq!(report.profiles[0].totals.total, e3l1);
        for t in std::iter::once(&report.totals)
            .chain(report.profiles.iter().map(|p| &p.totals))
            .chain(report.groups.iter().map(|g| &g.totals))
        {
            let sum: usize = ControlStatus::ALL.iter().map(|s| t.get(*s)).sum();
            assert_eq!(sum, t.total);
        }
    }

    #[test]
    fn scuba_lists_every_policy_with_its_criticality() {
        assert_eq!(SCUBA_POLICY_TABLE.len(), SCUBA_POLICIES.len());
        for (p, id) in SCUBA_POLICY_TABLE.iter().zip(SCUBA_POLICIES) {
            assert_eq!(p.id, *id);
            assert!(
                p.id.starts_with(&format!("{}.", p.baseline.prefix())),
                "{}",
                p.id
            );
        }
        let report = build(ReportFramework::Scuba, subject("t"), &all(Status::Pass));
        assert_eq!(report.rows().count(), SCUBA_POLICIES.len());
        assert_eq!(
            crate::references::scuba_policy("MS.AAD.1.1v1").map(|p| p.criticality),
            Some(Criticality::Shall)
        );
        assert_eq!(
            crate::references::scuba_policy("MS.AAD.2.2v1").map(|p| p.criticality),
            Some(Criticality::Should)
        );
        let shall = report.criticalities[0].totals.total;
        let should = report.criticalities[1].totals.total;
        assert_eq!(shall + should, report.totals.total);
        assert_eq!(report.groups.len(), ScubaBaseline::ALL.len());
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut findings = all(Status::Pass);
        let hostile = "=HYPERLINK(\"http://evil\",\"x\"), \"quoted\"\nnext";
        for f in findings.iter_mut().filter(|f| f.check_id == "A365-AAD-01") {
            f.status = Status::Fail;
            f.message = hostile.into();
        }
        let report = build(
            ReportFramework::Cis,
            subject("+cmd|' /C calc'!A0"),
            &findings,
        );
        let csv = to_csv(&report);
        assert!(csv.starts_with("group,id,title,profile,"), "{csv}");
        assert!(csv.contains(",'+cmd|' /C calc'!A0,"), "{csv}");
        assert!(!csv.contains(",=HYPERLINK"), "{csv}");
        assert!(!csv.contains(",+cmd"), "{csv}");
        assert!(csv.contains("\"\"quoted\"\""), "{csv}");
        let lines = csv.split("\r\n").filter(|l| !l.is_empty()).count();
        // One header and 160 rows; the message's LF stays inside its quoted field.
        assert_eq!(lines, 161, "{csv}");
    }
}
