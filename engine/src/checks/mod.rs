//! Compliance check implementations, one module per service, plus shared helpers.

use serde_json::Value;

pub(crate) mod app_credentials;
pub(crate) mod app_restrictions;
pub(crate) mod cis_exchange;
pub(crate) mod defender;
pub(crate) mod entra;
pub(crate) mod exchange;
pub(crate) mod graph_settings;
pub(crate) mod per_object;
pub(crate) mod power_bi;
pub(crate) mod power_platform;
pub(crate) mod purview;
pub(crate) mod scuba_main;
pub(crate) mod security_suite;
pub(crate) mod sharepoint;
pub(crate) mod teams;

/// Unwraps an input lookup or returns an `Error` outcome naming what is missing.
macro_rules! input {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(reason) => return $crate::check::Outcome::error(reason),
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
    counted(names.len(), one, many)
}

/// `1 user` or `3 users`: a count with its noun.
pub(crate) fn counted(k: usize, one: &str, many: &str) -> String {
    match k {
        1 => format!("1 {one}"),
        k => format!("{k} {many}"),
    }
}

/// A fail when the export records that the tenant lacks the licence `key` names (`false`, as
/// ScubaGear's export computes it from the tenant's plans): the feature can protect nothing.
pub(crate) fn unlicensed(
    snap: &crate::snapshot::Snapshot,
    key: &str,
    message: &str,
) -> Option<crate::check::Outcome> {
    (snap.value().get(key).and_then(serde_json::Value::as_bool) == Some(false))
        .then(|| crate::check::Outcome::fail(message, serde_json::json!({ key: false })))
}

/// Builds a [`crate::check::Check`] literal for a snapshot check.
macro_rules! check {
    (
        $id:literal, $title:literal, $svc:ident, $sev:ident, $eval:path,
        $rationale:literal, $steps:literal, $url:literal $(,)?
    ) => {
        $crate::check::Check {
            id: $id,
            title: $title,
            service: $crate::model::Service::$svc,
            severity: $crate::model::Severity::$sev,
            rationale: $rationale,
            remediation_steps: $steps,
            remediation_url: $url,
            eval: $crate::check::Evaluator::Snapshot($eval),
        }
    };
}
pub(crate) use check;

/// Builds a [`crate::check::Check`] for SCuBA policies ScubaGear does not decide
/// ([`crate::check::ScubaUndecided`]): always `manual`, saying why and what to verify.
macro_rules! undecided {
    (
        $id:literal, $title:literal, $svc:ident, $sev:ident, $why:ident, $verify:literal,
        $rationale:literal, $steps:literal, $url:literal $(,)?
    ) => {
        $crate::check::Check {
            id: $id,
            title: $title,
            service: $crate::model::Service::$svc,
            severity: $crate::model::Severity::$sev,
            rationale: $rationale,
            remediation_steps: $steps,
            remediation_url: $url,
            eval: $crate::check::Evaluator::Undecided($crate::check::ScubaUndecided::$why, $verify),
        }
    };
}
pub(crate) use undecided;

#[cfg(test)]
mod exemptions_tests;
#[cfg(test)]
mod graph_settings_cases;
#[cfg(test)]
mod graph_settings_tests;
#[cfg(test)]
mod no_pass_without_evidence;
#[cfg(test)]
mod partial_evidence_tests;
#[cfg(test)]
mod per_object_tests;
#[cfg(test)]
mod power_bi_tests;
#[cfg(test)]
mod scuba_main_cases;
#[cfg(test)]
mod scuba_main_tests;
#[cfg(test)]
mod teams_tcm_tests;
#[cfg(test)]
mod tests;
