//! Property test: no pass without evidence. Starting from the bundled export and from each
//! check's own pass fixture (the pass cases of `tests.rs`), removing or emptying (empty list,
//! empty object, null) any top-level section or any list or object nested up to three levels
//! that a check reads never turns that check into a `pass` it was not given the evidence for.
//!
//! "Reads" is decided per check and mutation: the mutation changed the check's outcome (its
//! message or evidence), or removing the top-level section makes the check answer `error`. A
//! mutation that leaves the outcome identical was not read by the check.
//!
//! One pass is allowed on such a mutation: a pass whose evidence is the empty answer itself
//! (no transport rule exists, no recipient condition is set), built by
//! `Outcome::pass_on_empty_read`. Its evidence names the read under `evidence_of_absence`, its
//! message says "{command} succeeded and returned no ...", and the same document with that read
//! missing from the `*_successful_commands` lists, or listed as unsuccessful, must answer
//! `error`. Every such pass, mutated or not, is held to that rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::tests::{pass_fixtures, sample_value};
use crate::catalogue::compliance_checks;
use crate::check::Check;
use crate::check::{EMPTY_READ_KEY, EMPTY_READ_PHRASE};
use crate::model::{Finding, Status};
use crate::snapshot::Snapshot;

/// Sections that describe the export rather than the tenant.
fn is_metadata(key: &str) -> bool {
    key.ends_with("_successful_commands")
        || key.ends_with("_unsuccessful_commands")
        || [
            "baseline_version",
            "module_version",
            "date",
            "timestamp_zulu",
            "report_uuid",
            "scuba_config",
        ]
        .contains(&key)
}

fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// The pointers to mutate: each top-level section, each list or object field of an object
/// section, and each list or object inside the first element of a list section (the fields a
/// check reads per row). Single rows are not nulled: a list with one row fewer is a different
/// tenant, not missing evidence.
fn pointers(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in doc.as_object().unwrap() {
        if is_metadata(k) {
            continue;
        }
        let top = format!("/{}", escape(k));
        out.push(top.clone());
        match v {
            Value::Array(a) => {
                if let Some(Value::Object(o)) = a.first() {
                    for (f, x) in o {
                        if x.is_array() || x.is_object() {
                            out.push(format!("{top}/0/{}", escape(f)));
                        }
                    }
                }
            }
            Value::Object(o) => {
                for (f, x) in o {
                    if x.is_array() || x.is_object() {
                        out.push(format!("{top}/{}", escape(f)));
                    }
                }
                if ROW_MAPS.contains(&k.as_str())
                    && let Some((id, Value::Object(row))) = o.iter().next()
                {
                    for (f, x) in row {
                        if x.is_array() || x.is_object() {
                            out.push(format!("{top}/{}/{}", escape(id), escape(f)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Applies each mutation of the value at `pointer` in place (removed when its parent is an
/// object, `[]`, `{}`, `null`), calls `f` with its label, and restores the document.
fn each_mutation(snap: &mut Snapshot, pointer: &str, f: &mut dyn FnMut(&str, &Snapshot)) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    let parent_is_object = if parent.is_empty() {
        true
    } else {
        snap.value().pointer(parent).is_some_and(Value::is_object)
    };
    // An entry of a row map removed is one row fewer, not missing evidence.
    let row_map_entry = ROW_MAPS.iter().any(|m| parent == format!("/{}", escape(m)));
    if parent_is_object && !row_map_entry {
        let obj = if parent.is_empty() {
            snap.value_mut().as_object_mut()
        } else {
            snap.value_mut()
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
        };
        let old = obj.unwrap().remove(&key).unwrap();
        f(&format!("remove {pointer}"), snap);
        let obj = if parent.is_empty() {
            snap.value_mut().as_object_mut()
        } else {
            snap.value_mut()
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
        };
        obj.unwrap().insert(key, old);
    }
    for (label, empty) in [("[]", json!([])), ("{}", json!({})), ("null", Value::Null)] {
        let old = std::mem::replace(snap.value_mut().pointer_mut(pointer).unwrap(), empty);
        f(&format!("{pointer} = {label}"), snap);
        *snap.value_mut().pointer_mut(pointer).unwrap() = old;
    }
}

/// Sections that map object ids to rows (`Get-PrivilegedUser`'s users by id): an entry removed
/// is one row fewer, a different tenant, like a list with one row fewer; an entry emptied or
/// nulled, and the fields of the first entry, are mutated like any other input.
const ROW_MAPS: &[&str] = &["privileged_users", "privileged_service_principals"];

/// The command a pass rests on when its evidence is an empty answer
/// ([`Outcome::pass_on_empty_read`](super::Outcome::pass_on_empty_read)).
fn empty_read_command(f: &Finding) -> Option<String> {
    f.evidence
        .get(EMPTY_READ_KEY)?
        .get("command")?
        .as_str()
        .map(str::to_string)
}

/// `doc` with `command` named by no `*_successful_commands` list.
fn without_success(doc: &Value, command: &str) -> Value {
    let mut doc = doc.clone();
    for (k, v) in doc.as_object_mut().unwrap() {
        if k.ends_with("_successful_commands")
            && let Some(a) = v.as_array_mut()
        {
            a.retain(|c| c.as_str() != Some(command));
        }
    }
    doc
}

/// `doc` with `command` named as failed.
fn with_failure(doc: &Value, command: &str) -> Value {
    let mut doc = doc.clone();
    let obj = doc.as_object_mut().unwrap();
    let list = obj
        .entry("test_unsuccessful_commands")
        .or_insert_with(|| json!([]));
    list.as_array_mut().unwrap().push(json!(command));
    doc
}

/// The rule for a pass that rests on an empty answer: its message names the command and says
/// it succeeded and returned nothing, and the same document with that read absent from the
/// successful commands, or recorded as failed, answers `error`. Returns what breaks the rule.
fn empty_read_violation(check: &Check, doc: &Value, pass: &Finding) -> Option<String> {
    let command = empty_read_command(pass)?;
    if !pass
        .message
        .contains(&format!("{command}{EMPTY_READ_PHRASE}"))
    {
        return Some(format!(
            "its message does not say `{command}{EMPTY_READ_PHRASE}...`: {}",
            pass.message
        ));
    }
    for (what, variant) in [
        (
            "absent from the successful commands",
            without_success(doc, &command),
        ),
        ("recorded as failed", with_failure(doc, &command)),
    ] {
        let after = check.evaluate(&Snapshot::from_value(variant).unwrap());
        if after.status != Status::Error {
            return Some(format!(
                "with {command} {what} it answers {:?}: {}",
                after.status, after.message
            ));
        }
    }
    None
}

#[test]
fn removing_or_emptying_what_a_check_reads_never_yields_pass() {
    let sample = sample_value();
    let checks = compliance_checks();
    // (label, document, only this check or every check)
    let mut starts: Vec<(String, Value, Option<&str>)> =
        vec![("sample".into(), sample.clone(), None)];
    for (i, (id, doc)) in pass_fixtures().into_iter().enumerate() {
        starts.push((format!("pass fixture {i} of {id}"), doc, Some(id)));
    }
    let mut found: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut empty_read_passes = 0;
    for (label, doc, only) in &starts {
        let snap = Snapshot::from_value(doc.clone()).unwrap();
        let before: Vec<_> = checks.iter().map(|c| c.evaluate(&snap)).collect();
        let passing: Vec<usize> = (0..checks.len())
            .filter(|&i| before[i].status == Status::Pass)
            .filter(|&i| only.is_none_or(|id| checks[i].id == id))
            .collect();
        for &i in &passing {
            if let Some(v) = empty_read_violation(&checks[i], doc, &before[i]) {
                found
                    .entry(checks[i].id)
                    .or_default()
                    .insert(format!("{label}: {v}"));
            }
        }
        if passing.is_empty() {
            continue;
        }
        let mut snap = snap;
        for pointer in pointers(doc) {
            each_mutation(&mut snap, &pointer, &mut |what, mutated| {
                for &i in &passing {
                    let after = checks[i].evaluate(mutated);
                    let read =
                        after.message != before[i].message || after.evidence != before[i].evidence;
                    if after.status != Status::Pass || !read {
                        continue;
                    }
                    let problem = if empty_read_command(&after).is_some() {
                        empty_read_passes += 1;
                        empty_read_violation(&checks[i], mutated.value(), &after)
                    } else {
                        Some(after.message.clone())
                    };
                    if let Some(p) = problem {
                        found
                            .entry(checks[i].id)
                            .or_default()
                            .insert(format!("{label}: {what}: {p}"));
                    }
                }
            });
        }
    }
    // The rule for empty answers is exercised, not vacuous.
    assert!(empty_read_passes > 0);
    let report: Vec<String> = found
        .iter()
        .map(|(id, hits)| {
            format!(
                "{id} passes without evidence on {} mutations, e.g.\n    {}",
                hits.len(),
                hits.iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "{} checks:\n{}",
        report.len(),
        report.join("\n")
    );
}
