//! Property test: no pass without evidence. Starting from the bundled export and from each
//! check's own pass fixture (the pass cases of `tests.rs`), removing or emptying (empty list,
//! empty object, null) any top-level section or any list or object nested up to three levels
//! that a check reads never turns that check into a `pass` it was not given the evidence for.
//!
//! "Reads" is decided per check and mutation: the mutation changed the check's outcome (its
//! message or evidence), or removing the top-level section makes the check answer `error`. A
//! mutation that leaves the outcome identical was not read by the check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::tests::{pass_fixtures, sample_value};
use crate::catalogue::compliance_checks;
use crate::model::Status;
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
    if parent_is_object {
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

/// Checks where emptiness is itself the evidence, with the reason.
const WHITELIST: &[(&str, &str)] = &[];

/// Checks that still pass on a missing or emptied input, with the reason and how many distinct
/// mutations do it. Each is a known false pass to fix; the test fails when a new one appears or
/// a listed one is fixed (update the list then).
const KNOWN_FAILURES: &[(&str, &str, usize)] = &[
    (
        "A365-AAD-09",
        "an emptied authentication-method policy reads as no method enabled",
        3,
    ),
    (
        "A365-AAD-10",
        "an emptied authentication_method section reads as no weak method enabled",
        6,
    ),
    (
        "A365-AAD-16",
        "an emptied field of the authorization policy row reads as its safe default",
        6,
    ),
    (
        "A365-AAD-20",
        "an emptied privileged user row reads as no privileged role",
        12,
    ),
    (
        "A365-AAD-21",
        "removing one privileged user is a smaller tenant, not missing evidence (an empty list is an error now)",
        3,
    ),
    (
        "A365-AAD-32",
        "an emptied privileged user row reads as no privileged role",
        12,
    ),
    (
        "A365-AAD-41",
        "an emptied directory_settings list reads as the default setting",
        2,
    ),
    (
        "A365-AAD-43",
        "an emptied authentication_method section reads as no weak method enabled",
        6,
    ),
    (
        "A365-AAD-44",
        "an emptied authentication_method section reads as no weak method enabled",
        6,
    ),
    (
        "A365-DEF-02",
        "an emptied RecipientDomainIs reads as covering every domain (impersonation domain lists)",
        4,
    ),
    (
        "A365-DEF-03",
        "an emptied RecipientDomainIs reads as covering every domain (impersonation domain lists)",
        4,
    ),
    (
        "A365-DEF-04",
        "an emptied RecipientDomainIs reads as covering every domain (impersonation domain lists)",
        4,
    ),
    (
        "A365-DEF-05",
        "an emptied RecipientDomainIs reads as covering every domain (impersonation domain lists)",
        4,
    ),
    (
        "A365-EXO-01",
        "an empty remote_domains list reads as no domain forwarding",
        1,
    ),
    (
        "A365-EXO-15",
        "an empty transport_rule list reads as no rule bypassing filtering",
        1,
    ),
    (
        "A365-EXO-16",
        "an empty conn_filter list reads as no allowed IP",
        1,
    ),
    (
        "A365-EXO-17",
        "an empty conn_filter list reads as no safe list",
        1,
    ),
    (
        "A365-PPL-03",
        "the tenant id falls back to tenant_details; to confirm it is the same evidence",
        4,
    ),
    (
        "A365-TMS-01",
        "meeting_policies as an object reads as one policy with safe defaults",
        1,
    ),
    (
        "A365-TMS-02",
        "meeting_policies as an object reads as one policy with safe defaults",
        1,
    ),
    (
        "A365-TMS-05",
        "meeting_policies as an object reads as one policy with safe defaults",
        1,
    ),
    (
        "A365-TMS-08",
        "an emptied federation configuration reads as no external domain allowed",
        6,
    ),
    (
        "A365-TMS-16",
        "tenant_app_settings as an empty object reads as one row with defaults",
        1,
    ),
    (
        "A365-TMS-17",
        "tenant_app_settings as an empty object reads as one row with defaults",
        1,
    ),
    (
        "A365-TMS-18",
        "tenant_app_settings as an empty object reads as one row with defaults",
        1,
    ),
    (
        "A365-TMS-19",
        "an emptied AllowedDomains reads as no external domain allowed",
        4,
    ),
];

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
    for (label, doc, only) in &starts {
        let snap = Snapshot::from_value(doc.clone()).unwrap();
        let before: Vec<_> = checks.iter().map(|c| c.evaluate(&snap)).collect();
        let passing: Vec<usize> = (0..checks.len())
            .filter(|&i| before[i].status == Status::Pass)
            .filter(|&i| only.is_none_or(|id| checks[i].id == id))
            .collect();
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
                    if after.status == Status::Pass && read {
                        found
                            .entry(checks[i].id)
                            .or_default()
                            .insert(format!("{label}: {what}"));
                    }
                }
            });
        }
    }
    let mut report = Vec::new();
    for (id, hits) in &found {
        if WHITELIST.iter().any(|(w, _)| w == id) {
            continue;
        }
        match KNOWN_FAILURES.iter().find(|(k, _, _)| k == id) {
            Some((_, _, n)) if *n == hits.len() => {}
            _ => report.push(format!(
                "{id} passes on {} mutations, e.g. {}",
                hits.len(),
                hits.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            )),
        }
    }
    for (id, _, _) in KNOWN_FAILURES {
        if !found.contains_key(id) {
            report.push(format!(
                "{id} is listed as a known failure but no longer passes: remove it"
            ));
        }
    }
    assert!(
        report.is_empty(),
        "{} checks:\n{}",
        report.len(),
        report.join("\n")
    );
}
