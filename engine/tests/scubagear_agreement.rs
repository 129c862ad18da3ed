//! Our verdicts must equal ScubaGear's on its own sample export, for every SCuBA policy one
//! of our compliance checks maps to (the bundled copy in fixtures/scubagear).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use aether365_engine::{Snapshot, Status, compliance_checks};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scubagear");

/// Policies where we disagree with ScubaGear 1.8.0 on purpose, and why.
const ALLOWED_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "MS.AAD.6.1v1",
        "ScubaGear iterates `domain_settings` as a list, but this export holds a single domain object, so it finds \
         no valid domain and fails; the root domain's PasswordValidityPeriodInDays is 2147483647 (never expires), so we pass.",
    ),
    (
        "MS.EXO.3.1v1",
        "ScubaGear iterates `dkim_records` as a list, but this export holds a single object, so it sees no published \
         key for tqhjy.onmicrosoft.com; the export shows DKIM signing enabled and a v=DKIM1 key published at the \
         selector CNAME target, so we pass.",
    ),
];

fn load() -> (Snapshot, BTreeMap<String, Value>) {
    let export = std::fs::read(format!("{FIXTURES}/ProviderSettingsExport.json")).unwrap();
    let snap = Snapshot::from_bytes(&export).unwrap();
    let results = std::fs::read(format!("{FIXTURES}/TestResults.json")).unwrap();
    let results = results.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&results);
    let results: Vec<Value> = serde_json::from_slice(results).unwrap();
    let by_id = results
        .into_iter()
        .map(|r| (r["PolicyId"].as_str().unwrap().to_string(), r))
        .collect();
    (snap, by_id)
}

/// Does our status agree with ScubaGear's result for the policy?
fn agrees(status: Status, scuba: &Value) -> bool {
    let met = scuba["RequirementMet"].as_bool().unwrap();
    let criticality = scuba["Criticality"].as_str().unwrap_or("");
    let details = scuba["ReportDetails"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    match status {
        Status::Pass => met,
        Status::Fail => !met,
        // ScubaGear marks policies it cannot check "Not-Implemented" or "3rd Party".
        Status::Manual => {
            criticality.contains("Not-Implemented") || criticality.contains("3rd Party")
        }
        // ScubaGear reports inapplicable policies with an "only applicable if"/"not applicable" note.
        Status::NotApplicable => details.contains("applicable"),
        Status::Error => false,
    }
}

#[test]
fn verdicts_agree_with_scubagear() {
    let (snap, results) = load();
    let mut mapped = 0;
    let mut agreed = 0;
    let mut allowed = 0;
    let mut failures = Vec::new();
    for check in compliance_checks() {
        let finding = check.evaluate(&snap);
        for id in check.scuba_ids() {
            let scuba = results.get(id).unwrap_or_else(|| {
                panic!(
                    "{} maps to {id}, which is not in TestResults.json",
                    check.id
                )
            });
            mapped += 1;
            let ok = agrees(finding.status, scuba);
            let allow = ALLOWED_DISAGREEMENTS.iter().find(|(p, _)| *p == id);
            match (ok, allow) {
                (true, None) => agreed += 1,
                (true, Some(_)) => failures.push(format!(
                    "{id}: allow-listed but now agrees; remove it from the allow-list"
                )),
                (false, Some(_)) => allowed += 1,
                (false, None) => failures.push(format!(
                    "{} -> {id}: ours {} ({}) vs ScubaGear RequirementMet={} ({})",
                    check.id,
                    finding.status,
                    finding.message,
                    scuba["RequirementMet"],
                    scuba["ReportDetails"]
                )),
            }
        }
    }
    println!("SCuBA agreement: {mapped} mapped, {agreed} agreed, {allowed} allow-listed");
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
    assert!(mapped >= 50, "only {mapped} SCuBA mappings");
}

#[test]
fn every_scuba_id_is_known_and_unique() {
    let (_, results) = load();
    let mut seen = BTreeMap::new();
    for check in compliance_checks() {
        for id in check.scuba_ids() {
            assert!(
                results.contains_key(id),
                "{}: unknown SCuBA id {id}",
                check.id
            );
            if let Some(other) = seen.insert(id, check.id) {
                panic!("{id} mapped by both {other} and {}", check.id);
            }
        }
    }
}
