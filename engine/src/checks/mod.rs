//! Compliance check implementations, one module per service, plus shared helpers.

use serde_json::{Value, json};

use crate::model::Status;
use crate::snapshot::Snapshot;

pub(crate) mod defender;
pub(crate) mod entra;
pub(crate) mod exchange;
pub(crate) mod power_platform;
pub(crate) mod purview;
pub(crate) mod sharepoint;
pub(crate) mod teams;

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

/// Unwraps an input lookup or returns an `Error` outcome naming what is missing.
macro_rules! input {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(reason) => return $crate::checks::Outcome::error(reason),
        }
    };
}
pub(crate) use input;

/// A string-list field: null or absent -> empty, a string -> one item, an array -> its strings.
pub(crate) fn strs(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Number of elements of a field that may be null, a scalar, an array or an object.
pub(crate) fn count(v: Option<&Value>) -> usize {
    match v {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => a.len(),
        Some(Value::Object(o)) => o.len(),
        Some(Value::String(s)) if s.is_empty() => 0,
        Some(_) => 1,
    }
}

/// A string field, or "" when absent.
pub(crate) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A boolean field, `None` when absent or not a boolean.
pub(crate) fn b(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

/// An integer field, `None` when absent or not an integer.
pub(crate) fn i(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// A display name for an object: the first of the usual name fields present.
pub(crate) fn name_of(v: &Value) -> String {
    for k in [
        "DisplayName",
        "Name",
        "Identity",
        "Id",
        "DomainName",
        "domain",
    ] {
        if let Some(n) = v.get(k).and_then(Value::as_str) {
            return n.to_string();
        }
    }
    "(unnamed)".to_string()
}

/// Joins names that are the server's own words (constants of the engine, never tenant text),
/// truncating long lists.
pub(crate) fn list_ours(names: &[impl AsRef<str>]) -> String {
    const MAX: usize = 5;
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    if names.len() <= MAX {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..MAX].join(", "), names.len() - MAX)
    }
}

/// How many tenant objects a message is about, `1 policy` or `3 policies`; their names go to
/// the outcome's subjects ([`Outcome::about`]), never into the message.
pub(crate) fn n(names: &[String], one: &str, many: &str) -> String {
    match names.len() {
        1 => format!("1 {one}"),
        k => format!("{k} {many}"),
    }
}

/// Builds a [`crate::catalogue::Check`] literal for a snapshot check.
macro_rules! check {
    (
        $id:literal, $title:literal, $svc:ident, $sev:ident, $eval:path,
        $rationale:literal, $steps:literal, $url:literal $(,)?
    ) => {
        $crate::catalogue::Check {
            id: $id,
            title: $title,
            service: $crate::model::Service::$svc,
            severity: $crate::model::Severity::$sev,
            rationale: $rationale,
            remediation_steps: $steps,
            remediation_url: $url,
            eval: $crate::catalogue::Evaluator::Snapshot($eval),
        }
    };
}
pub(crate) use check;

/// Builds a [`crate::catalogue::Check`] for SCuBA policies ScubaGear does not decide
/// ([`crate::catalogue::ScubaUndecided`]): always `manual`, saying why and what to verify.
macro_rules! undecided {
    (
        $id:literal, $title:literal, $svc:ident, $sev:ident, $why:ident, $verify:literal,
        $rationale:literal, $steps:literal, $url:literal $(,)?
    ) => {
        $crate::catalogue::Check {
            id: $id,
            title: $title,
            service: $crate::model::Service::$svc,
            severity: $crate::model::Severity::$sev,
            rationale: $rationale,
            remediation_steps: $steps,
            remediation_url: $url,
            eval: $crate::catalogue::Evaluator::Undecided(
                $crate::catalogue::ScubaUndecided::$why,
                $verify,
            ),
        }
    };
}
pub(crate) use undecided;

#[cfg(test)]
mod no_pass_without_evidence;
#[cfg(test)]
mod tests;
