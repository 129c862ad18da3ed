//! The check catalogue: static metadata plus an evaluation function per check.

use std::sync::OnceLock;

use crate::checks::{self, Outcome};
use crate::exposure::{self, DomainObservation};
use crate::model::{Finding, FrameworkRef, Remediation, Service, Severity};
use crate::references::{self, References};
use crate::snapshot::Snapshot;

/// What a check evaluates.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Evaluator {
    /// A compliance check over the configuration snapshot.
    Snapshot(fn(&Snapshot) -> Outcome),
    /// An exposure check over the DNS observations of one domain.
    Domain(fn(&DomainObservation) -> Outcome),
    /// A SCuBA policy ScubaGear itself does not decide: always `manual`, giving ScubaGear's
    /// reason and what a person verifies.
    Undecided(ScubaUndecided, &'static str),
}

/// Why ScubaGear (at [`references::SCUBA_VERSION`]) does not decide a SCuBA policy, as its
/// criticality suffix says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScubaUndecided {
    /// "3rd Party": a product other than Defender for Office 365 may fulfil the policy, so a
    /// third-party assessment or a manual review decides it.
    ThirdParty,
    /// "Not-Implemented": ScubaGear has no automated check; its baseline gives manual steps.
    NotImplemented,
}

impl ScubaUndecided {
    /// ScubaGear's criticality suffix.
    pub fn label(&self) -> &'static str {
        match self {
            ScubaUndecided::ThirdParty => "3rd Party",
            ScubaUndecided::NotImplemented => "Not-Implemented",
        }
    }

    /// ScubaGear's reason, in our words.
    pub fn reason(&self) -> &'static str {
        match self {
            ScubaUndecided::ThirdParty => {
                "ScubaGear leaves this policy to a third-party assessment or a manual review: a product other than Microsoft Defender for Office 365 may fulfil it"
            }
            ScubaUndecided::NotImplemented => {
                "ScubaGear has no automated check for this policy; its baseline describes a manual check"
            }
        }
    }

    /// The `manual` outcome of such a policy, with `verify` saying what a person checks.
    pub(crate) fn outcome(&self, verify: &str) -> Outcome {
        Outcome {
            status: crate::model::Status::Manual,
            message: format!(
                "Not decided from the export: {} (ScubaGear {} marks it \"{}\"). Verify {verify}",
                self.reason(),
                references::SCUBA_VERSION,
                self.label()
            ),
            evidence: serde_json::json!({
                "reason": self.reason(),
                "scubagear_version": references::SCUBA_VERSION,
                "scubagear_criticality": self.label(),
            }),
            subjects: Vec::new(),
        }
    }
}

/// One check: stable id, metadata, framework references and its evaluation function.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Stable id, e.g. "A365-AAD-01" or "EXP.SPF.1".
    pub id: &'static str,
    /// Short statement of the requirement.
    pub title: &'static str,
    /// Service the check belongs to.
    pub service: Service,
    /// Severity when it fails.
    pub severity: Severity,
    /// Why the requirement matters.
    pub rationale: &'static str,
    /// How to fix it.
    pub remediation_steps: &'static str,
    /// Microsoft Learn page for the fix.
    pub remediation_url: &'static str,
    pub(crate) eval: Evaluator,
}

impl Check {
    /// Evaluates a compliance check against a snapshot. An exposure check answers `manual`,
    /// since it needs DNS observations (see [`Check::evaluate_domain`]).
    pub fn evaluate(&self, snapshot: &Snapshot) -> Finding {
        let outcome = match self.eval {
            Evaluator::Snapshot(f) => f(snapshot),
            Evaluator::Undecided(why, verify) => why.outcome(verify),
            Evaluator::Domain(_) => Outcome::manual(
                "This exposure check is evaluated per domain from live DNS observations, not from the configuration export.",
            ),
        };
        self.finding(outcome)
    }

    /// Evaluates an exposure check against one domain's DNS observations. A compliance check
    /// answers `error`, since it needs a snapshot.
    pub fn evaluate_domain(&self, obs: &DomainObservation) -> Finding {
        let outcome = match self.eval {
            Evaluator::Domain(f) => f(obs),
            Evaluator::Snapshot(_) | Evaluator::Undecided(..) => Outcome::error(
                "this compliance check needs a configuration snapshot, not DNS observations",
            ),
        };
        self.finding(outcome)
    }

    /// Why ScubaGear does not decide the SCuBA policies of this check, for a check that only
    /// says so (always `manual`); `None` for a check that decides.
    pub fn scuba_undecided(&self) -> Option<ScubaUndecided> {
        match self.eval {
            Evaluator::Undecided(why, _) => Some(why),
            _ => None,
        }
    }

    /// True for exposure (DNS) checks.
    pub fn is_exposure(&self) -> bool {
        matches!(self.eval, Evaluator::Domain(_))
    }

    /// This check's row of the framework reference table ([`crate::references::REFERENCES`]).
    pub fn references(&self) -> Option<&'static References> {
        references::references(self.id)
    }

    /// The framework references as owned values.
    pub fn framework_refs(&self) -> Vec<FrameworkRef> {
        self.references()
            .map(References::framework_refs)
            .unwrap_or_default()
    }

    /// The SCuBA policy ids this check maps to.
    pub fn scuba_ids(&self) -> Vec<&'static str> {
        self.references()
            .map(|r| r.scuba.to_vec())
            .unwrap_or_default()
    }

    /// The CIS v7.0.0 recommendation numbers this check maps to.
    pub fn cis_ids(&self) -> Vec<&'static str> {
        self.references()
            .map(|r| r.cis.to_vec())
            .unwrap_or_default()
    }

    pub(crate) fn finding(&self, outcome: Outcome) -> Finding {
        Finding {
            check_id: self.id.to_string(),
            title: self.title.to_string(),
            service: self.service,
            severity: self.severity,
            status: outcome.status,
            message: outcome.message,
            evidence: outcome.evidence,
            subjects: outcome.subjects,
            rationale: self.rationale.to_string(),
            remediation: Remediation {
                steps: self.remediation_steps.to_string(),
                url: self.remediation_url.to_string(),
            },
            frameworks: self.framework_refs(),
        }
    }
}

/// Every compliance check (over a configuration snapshot), in catalogue order.
pub fn compliance_checks() -> &'static [Check] {
    static ALL: OnceLock<Vec<Check>> = OnceLock::new();
    ALL.get_or_init(|| {
        [
            checks::entra::CHECKS,
            checks::exchange::CHECKS,
            checks::defender::CHECKS,
            checks::sharepoint::CHECKS,
            checks::teams::CHECKS,
            checks::purview::CHECKS,
            checks::power_platform::CHECKS,
        ]
        .concat()
    })
}

/// Finds a compliance or exposure check by id (case-insensitive).
pub fn find_check(id: &str) -> Option<&'static Check> {
    compliance_checks()
        .iter()
        .chain(exposure::exposure_checks().iter())
        .find(|c| c.id.eq_ignore_ascii_case(id.trim()))
}

/// Evaluates every compliance check against the snapshot.
pub fn evaluate_all(snapshot: &Snapshot) -> Vec<Finding> {
    compliance_checks()
        .iter()
        .map(|c| c.evaluate(snapshot))
        .collect()
}
