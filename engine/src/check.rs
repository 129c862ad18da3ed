//! A check: its static metadata, what it evaluates, and the [`Outcome`] an evaluation returns
//! (the catalogue in [`crate::catalogue`] lists them; [`crate::checks`] and [`crate::exposure`]
//! hold the evaluation functions).

use serde_json::{Value, json};

use crate::model::{Finding, FrameworkRef, Remediation, Service, Severity, Status};
use crate::observation::DomainObservation;
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
    /// True for a SCuBA policy ScubaGear does not decide ([`ScubaUndecided`]): the check reads
    /// no tenant data and always answers `manual`.
    pub fn is_undecided(&self) -> bool {
        matches!(self.eval, Evaluator::Undecided(..))
    }

    /// Evaluates a compliance check against a snapshot. An exposure check answers `manual`,
    /// since it needs DNS observations (see [`Check::evaluate_domain`]).
    pub fn evaluate(&self, snapshot: &Snapshot) -> Finding {
        let outcome = match self.eval {
            Evaluator::Snapshot(f) if self.service == Service::Teams => {
                with_teams_source(f(snapshot), snapshot)
            }
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

/// A Teams outcome decided on a collection that read Teams from a Tenant Configuration
/// Management snapshot: the message names the snapshot job and when it completed (and how long
/// before the collection), the evidence carries them under `tcm_snapshot`. Other outcomes are
/// unchanged.
fn with_teams_source(mut outcome: Outcome, snapshot: &Snapshot) -> Outcome {
    let Some(src) = snapshot.teams_tcm_snapshot() else {
        return outcome;
    };
    let id = src
        .get("job_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parse = |t: Option<&str>| {
        t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let completed = parse(src.get("completed_date_time").and_then(Value::as_str));
    let collected = parse(snapshot.timestamp_zulu());
    let when = match (completed, collected) {
        (Some(c), Some(at)) => {
            let days = (at - c).num_days();
            let age = match days {
                ..0 => String::new(),
                0 => ", less than a day before this collection".to_string(),
                1 => ", 1 day before this collection".to_string(),
                d => format!(", {d} days before this collection"),
            };
            format!("completed {}{age}", c.format("%Y-%m-%d %H:%M UTC"))
        }
        (Some(c), None) => format!("completed {}", c.format("%Y-%m-%d %H:%M UTC")),
        (None, _) => "with no completion time".to_string(),
    };
    let note =
        format!("Teams data from the Tenant Configuration Management snapshot job {id}, {when}.");
    let message = outcome.message.trim_end();
    outcome.message = if message.is_empty() {
        note
    } else if message.ends_with('.') {
        format!("{message} {note}")
    } else {
        format!("{message}. {note}")
    };
    let source = json!({
        "job_id": id,
        "completed_date_time": src.get("completed_date_time").cloned().unwrap_or(Value::Null),
    });
    match &mut outcome.evidence {
        Value::Object(o) => {
            o.insert("tcm_snapshot".into(), source);
        }
        Value::Null => outcome.evidence = json!({ "tcm_snapshot": source }),
        other => {
            outcome.evidence = json!({ "value": other.take(), "tcm_snapshot": source });
        }
    }
    outcome
}

/// The evidence key of a pass that rests on an empty answer ([`Outcome::pass_on_empty_read`]).
pub(crate) const EMPTY_READ_KEY: &str = "evidence_of_absence";
/// What such a pass's message says after the command's name.
pub(crate) const EMPTY_READ_PHRASE: &str = " succeeded and returned no ";

/// What an evaluation function returns; the catalogue adds the static metadata.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub status: Status,
    pub message: String,
    pub evidence: Value,
    /// Names read from the tenant that the message is about (kept out of the message).
    pub subjects: Vec<String>,
}

impl Outcome {
    pub fn pass(message: impl Into<String>, evidence: Value) -> Self {
        Self {
            status: Status::Pass,
            message: message.into(),
            evidence,
            subjects: Vec::new(),
        }
    }
    pub fn fail(message: impl Into<String>, evidence: Value) -> Self {
        Self {
            status: Status::Fail,
            message: message.into(),
            evidence,
            subjects: Vec::new(),
        }
    }
    /// Pass when `ok`, else fail, with one message for each case.
    pub fn verdict(
        ok: bool,
        pass_msg: impl Into<String>,
        fail_msg: impl Into<String>,
        evidence: Value,
    ) -> Self {
        if ok {
            Self::pass(pass_msg, evidence)
        } else {
            Self::fail(fail_msg, evidence)
        }
    }
    /// The same outcome about the tenant objects `names` (policy, rule, domain, user names):
    /// the message counts them, the finding lists them apart as tenant data.
    pub fn about(mut self, names: &[String]) -> Self {
        self.subjects = names.to_vec();
        self
    }
    /// A pass whose evidence is an absence (no rule, no condition, no setting object): given
    /// only when the export records that the read filling `section` succeeded, else an error.
    /// The message ends with [`EMPTY_READ_PHRASE`] after the command's name, and the evidence
    /// names the command under [`EMPTY_READ_KEY`], so a reader sees what the pass rests on.
    pub fn pass_on_empty_read(
        snap: &Snapshot,
        section: &str,
        none_of: &str,
        message: &str,
        evidence: Value,
    ) -> Self {
        let command = match snap.empty_read(section) {
            Ok(c) => c,
            Err(reason) => return Self::error(reason),
        };
        let mut evidence = match evidence {
            Value::Object(o) => o,
            other => {
                let mut o = serde_json::Map::new();
                o.insert("details".into(), other);
                o
            }
        };
        evidence.insert(
            EMPTY_READ_KEY.into(),
            json!({ "command": command, "section": section, "returned_none_of": none_of }),
        );
        Self::pass(
            format!(
                "{} ({command}{EMPTY_READ_PHRASE}{none_of}).",
                message.trim_end_matches('.')
            ),
            Value::Object(evidence),
        )
    }
    pub fn error(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Self {
            status: Status::Error,
            message: format!("Cannot evaluate: {reason}."),
            evidence: json!({ "reason": reason }),
            subjects: Vec::new(),
        }
    }
    pub fn manual(message: impl Into<String>) -> Self {
        Self {
            status: Status::Manual,
            message: message.into(),
            evidence: json!({ "reason": "not readable from the configuration export" }),
            subjects: Vec::new(),
        }
    }
    pub fn not_applicable(message: impl Into<String>, evidence: Value) -> Self {
        Self {
            status: Status::NotApplicable,
            message: message.into(),
            evidence,
            subjects: Vec::new(),
        }
    }
}
