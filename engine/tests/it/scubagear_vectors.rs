//! ScubaGear's own Rego unit tests as a conformance corpus: each test builds an input (the
//! provider settings) and expects one verdict (`RequirementMet`) on one policy. The vectors in
//! `scubagear_vectors.json` are derived from them, data only, by `scripts/scubagear-vectors`
//! (the commit they come from is in the file). Every vector whose policy a check cites is run
//! through those checks, and each case is counted per policy as agreeing, differing for a
//! listed cause ([`DIFFERENCES`], or the rule for `error` below), or differing unexplained; the
//! test fails on any unexplained difference and on any listed cause that no case needs.
//!
//! - A vector's input becomes a snapshot as it is: a partial export. The reads it holds are
//!   recorded as successful (`*_successful_commands`), as ScubaGear's export does for the reads
//!   it ran, so that an empty list in a vector is an empty answer, not a failed read.
//! - Our statuses are compared with ScubaGear's verdict by the rules of [`crate::scuba`].
//! - Where several checks cite one policy, every one of them must agree for the case to agree
//!   (today each policy is cited by one check at most: `scubagear_agreement`).
//! - `error` where ScubaGear decides: our checks answer `error` when a section they read is
//!   missing, where a ScubaGear test may pass (or fail) with that section absent. That is the
//!   deliberate "no verdict without evidence" difference, counted as explained, when the error
//!   names a section that the vector's input lacks or holds empty.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use aether365_engine::{Check, Snapshot, Status, compliance_checks};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::scuba::{self, agrees};

const VECTORS: &str = include_str!("scubagear_vectors.json");

#[derive(Deserialize)]
struct Corpus {
    source: Source,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Source {
    release: String,
    commit: String,
}

/// One ScubaGear unit test: its file and rule, the policy it asserts on, the verdict it expects.
#[derive(Deserialize)]
struct Vector {
    test: String,
    policy: String,
    requirement_met: bool,
    criticality: String,
    input: Map<String, Value>,
}

/// A difference we keep, with its cause: the policy, ScubaGear's test rule names (`*` for every
/// differing case of the policy), our status on them, and why.
struct Difference {
    policy: &'static str,
    tests: &'static [&'static str],
    ours: Status,
    cause: &'static str,
}

/// Differences between our verdicts and ScubaGear's unit tests, each with its cause.
const DIFFERENCES: &[Difference] = &[];

/// How one case came out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Case {
    Agree,
    /// A listed difference, or the deliberate `error` on missing evidence.
    Explained(String),
    Unexplained(String),
}

/// The counts of one policy.
#[derive(Default)]
struct Row {
    agree: usize,
    explained: usize,
    unexplained: usize,
}

fn corpus() -> Corpus {
    serde_json::from_str(VECTORS).unwrap()
}

/// The snapshot a vector's input stands for: its reads recorded as successful, and a tenant id
/// when it holds none of the sections an export must have one of.
fn snapshot(input: &Map<String, Value>) -> Snapshot {
    let mut doc = input.clone();
    let mut ran: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for key in input.keys() {
        if let Some((command, prefix)) = Snapshot::source_of(key) {
            ran.entry(format!("{prefix}_successful_commands"))
                .or_default()
                .push(json!(command));
        }
    }
    for (key, commands) in ran {
        doc.entry(key).or_insert(Value::Array(commands));
    }
    match Snapshot::from_value(Value::Object(doc.clone())) {
        Ok(s) => s,
        Err(_) => {
            doc.insert("tenant_id".into(), json!("00000000-0000-0000-0000-000000000000"));
            Snapshot::from_value(Value::Object(doc)).unwrap()
        }
    }
}

/// Whether an `error` outcome names a section the input lacks or holds empty.
fn missing_evidence(message: &str, input: &Map<String, Value>) -> Option<String> {
    let mut named = message.split('`').skip(1).step_by(2);
    named.find_map(|key| {
        let absent = match input.get(key) {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(_) => false,
        };
        absent.then(|| format!("no verdict without evidence: `{key}` is missing or empty"))
    })
}

fn rule_name(test: &str) -> &str {
    test.rsplit(':').next().unwrap_or(test)
}

fn classify(v: &Vector, checks: &[&Check]) -> (Case, Vec<Status>) {
    let snap = snapshot(&v.input);
    let scuba = scuba::verdict(&v.criticality, v.requirement_met);
    let outcomes: Vec<_> = checks.iter().map(|c| c.evaluate(&snap)).collect();
    let statuses: Vec<Status> = outcomes.iter().map(|f| f.status).collect();
    if statuses.iter().all(|s| agrees(*s, scuba)) {
        return (Case::Agree, statuses);
    }
    for f in outcomes.iter().filter(|f| !agrees(f.status, scuba)) {
        if let Some(d) = DIFFERENCES.iter().find(|d| {
            d.policy == v.policy
                && d.ours == f.status
                && (d.tests == ["*"] || d.tests.contains(&rule_name(&v.test)))
        }) {
            return (Case::Explained(d.cause.to_string()), statuses);
        }
        if f.status == Status::Error
            && let Some(why) = missing_evidence(&f.message, &v.input)
        {
            return (Case::Explained(why), statuses);
        }
        return (
            Case::Unexplained(format!(
                "{} {}: ours {:?} ({}), ScubaGear {scuba:?}",
                v.test, v.policy, f.status, f.message
            )),
            statuses,
        );
    }
    unreachable!()
}

/// Per cited policy: its counts; and the vectors of policies no check cites.
fn run() -> (BTreeMap<String, Row>, Vec<String>, usize, Vec<String>) {
    let corpus = corpus();
    let all = compliance_checks();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut used = BTreeSet::new();
    let mut uncited = BTreeSet::new();
    let mut uncited_cases = 0;
    for v in &corpus.vectors {
        let checks: Vec<&Check> = all
            .iter()
            .filter(|c| c.scuba_ids().contains(&v.policy.as_str()))
            .collect();
        if checks.is_empty() {
            uncited.insert(v.policy.clone());
            uncited_cases += 1;
            continue;
        }
        let (case, _) = classify(v, &checks);
        let row = table.entry(v.policy.clone()).or_default();
        match case {
            Case::Agree => row.agree += 1,
            Case::Explained(cause) => {
                row.explained += 1;
                used.insert(cause);
            }
            Case::Unexplained(what) => {
                row.unexplained += 1;
                unexplained.push(what);
            }
        }
    }
    let stale: Vec<String> = DIFFERENCES
        .iter()
        .filter(|d| !used.contains(d.cause))
        .map(|d| format!("{} {:?}", d.policy, d.tests))
        .collect();
    assert!(stale.is_empty(), "listed differences no case needs: {stale:?}");
    (
        table,
        unexplained,
        uncited_cases,
        uncited.into_iter().collect(),
    )
}

/// The per-policy table for docs/frameworks.md.
pub fn render() -> String {
    let corpus = corpus();
    let (table, _, uncited_cases, uncited) = run();
    let mut out = String::new();
    let cases: usize = table
        .values()
        .map(|r| r.agree + r.explained + r.unexplained)
        .sum();
    let agree: usize = table.values().map(|r| r.agree).sum();
    writeln!(
        out,
        "### ScubaGear's unit tests\n\n\
         ScubaGear's own Rego unit tests (release {}, commit `{}`, `PowerShell/ScubaGear/Testing/Unit/Rego`) \
         are a conformance corpus: each gives an input and the verdict ScubaGear expects on one policy. \
         `scripts/scubagear-vectors` derives them as data (`engine/tests/it/scubagear_vectors.json`) and \
         `cargo test -p aether365-engine --test it scubagear_vectors` runs every check citing the policy on each \
         (a module of the engine's one integration-test binary). A case agrees when every such check agrees; a \
         difference is explained by a deliberate difference or a ScubaGear bug listed in the test, or by our \
         `error` where the input lacks a section the check reads (no verdict without evidence). {} vectors, \
         {cases} of them on the {} policies cited here, {agree} agreeing; {uncited_cases} on {} policies no check \
         cites ({}).\n",
        corpus.source.release,
        corpus.source.commit,
        corpus.vectors.len(),
        table.len(),
        uncited.len(),
        uncited.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "| SCuBA policy | cases | agree | differ, explained | differ, unexplained | agree % |\n| --- | --- | --- | --- | --- | --- |"
    )
    .unwrap();
    for (policy, r) in &table {
        let n = r.agree + r.explained + r.unexplained;
        writeln!(
            out,
            "| {policy} | {n} | {} | {} | {} | {} |",
            r.agree,
            r.explained,
            r.unexplained,
            r.agree * 100 / n
        )
        .unwrap();
    }
    out
}

#[test]
fn scubagear_vectors() {
    let (table, unexplained, _, _) = run();
    println!("{}", render());
    assert!(!table.is_empty());
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
