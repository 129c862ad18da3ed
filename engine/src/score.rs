//! Posture score.
//!
//! Formula: only findings whose status is `pass` or `fail` count; `manual`, `error` and
//! `not_applicable` are excluded. Each counted finding weighs its severity's weight
//! (critical 10, high 5, medium 3, low 1, info 0), and
//!
//! `score = 100 * sum(weight of passed) / sum(weight of passed and failed)`,
//!
//! rounded to one decimal. When the denominator is zero (no automated check, or only
//! info-level ones) the score is `None` overall, and the service or framework is left out of
//! its map. `by_service` is keyed by [`Service::as_str`], `by_framework` by
//! [`Framework::as_str`] (a finding counts once per framework it maps to).
//! `counts_by_status` counts every finding by status; `failed_by_severity` counts failed
//! findings by severity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Finding, Framework, Status};

/// A scan's score summary.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ScoreCard {
    /// 0..=100 with one decimal; `None` when no weighted automated check ran.
    pub overall: Option<f64>,
    /// Score per service (`entra_id`, `exchange_online`...).
    pub by_service: BTreeMap<String, f64>,
    /// Score per framework ("CIS", "SCuBA", "NIST-800-53", "ISO-27001").
    pub by_framework: BTreeMap<String, f64>,
    /// Number of findings per status.
    pub counts_by_status: BTreeMap<String, u32>,
    /// Number of failed findings per severity.
    pub failed_by_severity: BTreeMap<String, u32>,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    passed: u32,
    total: u32,
}

impl Tally {
    fn add(&mut self, f: &Finding) {
        let w = f.severity.weight();
        match f.status {
            Status::Pass => {
                self.passed += w;
                self.total += w;
            }
            Status::Fail => self.total += w,
            _ => {}
        }
    }

    fn score(self) -> Option<f64> {
        (self.total > 0)
            .then(|| (1000.0 * f64::from(self.passed) / f64::from(self.total)).round() / 10.0)
    }
}

/// Computes the score card of a set of findings (see the module documentation for the formula).
pub fn score(findings: &[Finding]) -> ScoreCard {
    let mut overall = Tally::default();
    let mut services: BTreeMap<String, Tally> = BTreeMap::new();
    let mut frameworks: BTreeMap<String, Tally> = BTreeMap::new();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut failed: BTreeMap<String, u32> = BTreeMap::new();
    for f in findings {
        overall.add(f);
        services
            .entry(f.service.as_str().to_string())
            .or_default()
            .add(f);
        let mut seen: Vec<Framework> = Vec::new();
        for r in &f.frameworks {
            if !seen.contains(&r.framework) {
                seen.push(r.framework);
                frameworks
                    .entry(r.framework.as_str().to_string())
                    .or_default()
                    .add(f);
            }
        }
        *counts.entry(f.status.as_str().to_string()).or_default() += 1;
        if f.status == Status::Fail {
            *failed.entry(f.severity.as_str().to_string()).or_default() += 1;
        }
    }
    let collect = |m: BTreeMap<String, Tally>| -> BTreeMap<String, f64> {
        m.into_iter()
            .filter_map(|(k, t)| t.score().map(|s| (k, s)))
            .collect()
    };
    ScoreCard {
        overall: overall.score(),
        by_service: collect(services),
        by_framework: collect(frameworks),
        counts_by_status: counts,
        failed_by_severity: failed,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{FrameworkRef, Remediation, Service, Severity};

    fn f(service: Service, severity: Severity, status: Status, fw: &[Framework]) -> Finding {
        Finding {
            check_id: "X".into(),
            title: "t".into(),
            service,
            severity,
            status,
            message: "m".into(),
            evidence: serde_json::Value::Null,
            subjects: Vec::new(),
            rationale: "r".into(),
            remediation: Remediation {
                steps: "s".into(),
                url: "u".into(),
            },
            frameworks: fw
                .iter()
                .map(|x| FrameworkRef {
                    framework: *x,
                    id: "1".into(),
                    version: "v".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn weighted_formula() {
        use Severity::*;
        let findings = vec![
            f(Service::EntraId, Critical, Status::Pass, &[Framework::Cis]),
            f(
                Service::EntraId,
                High,
                Status::Fail,
                &[Framework::Cis, Framework::Scuba],
            ),
            f(Service::Teams, Medium, Status::Pass, &[Framework::Scuba]),
            f(Service::Teams, Low, Status::Fail, &[]),
            f(Service::Teams, Info, Status::Fail, &[]),
        ];
        let s = score(&findings);
        // passed 10 + 3 = 13; total 10 + 5 + 3 + 1 + 0 = 19
        assert_eq!(s.overall, Some(68.4));
        assert_eq!(s.by_service["entra_id"], 66.7);
        assert_eq!(s.by_service["teams"], 75.0);
        assert_eq!(s.by_framework["CIS"], 66.7);
        assert_eq!(s.by_framework["SCuBA"], 37.5);
        assert_eq!(s.counts_by_status["pass"], 2);
        assert_eq!(s.counts_by_status["fail"], 3);
        assert_eq!(s.failed_by_severity["high"], 1);
        assert_eq!(s.failed_by_severity["info"], 1);
    }

    #[test]
    fn excluded_statuses_do_not_count() {
        use Severity::*;
        let findings = vec![
            f(Service::Purview, Critical, Status::Pass, &[]),
            f(Service::Purview, Critical, Status::Error, &[]),
            f(Service::Purview, Critical, Status::Manual, &[]),
            f(Service::Purview, Critical, Status::NotApplicable, &[]),
        ];
        let s = score(&findings);
        assert_eq!(s.overall, Some(100.0));
        assert_eq!(s.counts_by_status["error"], 1);
        assert!(s.failed_by_severity.is_empty());
    }

    #[test]
    fn no_automated_check_means_no_score() {
        let s = score(&[f(
            Service::Dns,
            Severity::High,
            Status::Manual,
            &[Framework::Cis],
        )]);
        assert_eq!(s.overall, None);
        assert!(s.by_service.is_empty());
        assert!(s.by_framework.is_empty());
        assert_eq!(score(&[]), ScoreCard::default());
    }
}
