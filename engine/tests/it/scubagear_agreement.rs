//! Strict agreement with ScubaGear on its own sample export (fixtures/scubagear): every policy in
//! ScubaGear's TestResults.json is looked at, and our verdict is compared with ScubaGear's by one
//! fixed rule per status, without reading ScubaGear's free text.
//!
//! The comparison rules are in [`crate::scuba`].
//!
//! Every disagreement is listed in [`DISAGREEMENTS`] with its cause in ScubaGear's Rego.

use std::collections::{BTreeMap, BTreeSet};

use aether365_engine::references::SCUBA_POLICIES;
use aether365_engine::{Snapshot, Status, compliance_checks};
use serde_json::Value;

use crate::scuba::{self, Scuba, agrees};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/scubagear");

/// Policies where our verdict differs from ScubaGear 1.8.0's on this export: (policy, our
/// status, ScubaGear's, cause). Each cause is a ScubaGear quirk shown from its Rego.
const DISAGREEMENTS: &[(&str, Status, Scuba, &str)] = &[
    (
        "MS.AAD.6.1v1",
        Status::Pass,
        Scuba::NotMet,
        "AADConfig.rego builds RootDomains with `some Domain in input.domain_settings`, expecting a list; this \
         export holds one domain object, so OPA iterates its field values, finds no domain with IsRoot, and the \
         policy fails for want of a valid domain. The domain's PasswordValidityPeriodInDays is 2147483647 \
         (never expires), so the requirement is met.",
    ),
    (
        "MS.EXO.3.1v1",
        Status::Pass,
        Scuba::NotMet,
        "EXOConfig.rego reads `some DkimRecord in input.dkim_records`, expecting a list; this export holds a \
         single object, so no record matches tqhjy.onmicrosoft.com and the domain is reported without a key. \
         The export shows DKIM signing enabled and a v=DKIM1 key at the selector target.",
    ),
    (
        "MS.EXO.4.3v1",
        Status::Fail,
        Scuba::Met,
        "EXOConfig.rego collects DomainsWithoutDHSContact with `some DmarcRecord in input.dmarc_records`; this \
         export holds one object, so OPA iterates its values (a string and two arrays), `DmarcRecord.rdata` is \
         undefined and no domain is ever collected: the policy passes vacuously. The record's rua \
         (mailto:DMARC@example.org, mailto:reports@example.org) does not include reports@dmarc.cyber.dhs.gov.",
    ),
    (
        "MS.EXO.4.4v1",
        Status::Fail,
        Scuba::Met,
        "Same vacuous iteration as MS.EXO.4.3v1 (DomainsWithoutAgencyContact over `input.dmarc_records`, an \
         object here). The record has no ruf tag, which the policy requires.",
    ),
    (
        "MS.DEFENDER.2.3v1",
        Status::Pass,
        Scuba::NotMet,
        "Defender.rego's ImpersonationProtection passes only when the count of configured partner domains \
         (ScubaGear's config file, empty for this run) and of protected domains are both zero or both non-zero; \
         the Strict and Standard policies protect goodparnter.com while the config names none, so ScubaGear \
         fails a tenant that does protect a partner domain.",
    ),
];

fn load() -> (Snapshot, Vec<Value>) {
    let export = std::fs::read(format!("{FIXTURES}/ProviderSettingsExport.json")).unwrap();
    let snap = Snapshot::from_bytes(&export).unwrap();
    let results = std::fs::read(format!("{FIXTURES}/TestResults.json")).unwrap();
    let results = results.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&results);
    (snap, serde_json::from_slice(results).unwrap())
}

fn scuba_verdict(r: &Value) -> Scuba {
    scuba::verdict(
        r["Criticality"].as_str().unwrap(),
        r["RequirementMet"].as_bool().unwrap(),
    )
}

#[test]
fn verdicts_agree_with_scubagear() {
    let (snap, results) = load();
    let ours: BTreeMap<&str, (&str, Status)> = compliance_checks()
        .iter()
        .flat_map(|c| {
            let status = c.evaluate(&snap).status;
            c.scuba_ids()
                .into_iter()
                .map(move |id| (id, (c.id, status)))
        })
        .collect();
    let (mut compared, mut agreeing, mut scuba_decided, mut we_decide) = (0, 0, 0, 0);
    let mut uncovered = BTreeSet::new();
    let mut found = BTreeSet::new();
    for r in &results {
        let id = r["PolicyId"].as_str().unwrap();
        let scuba = scuba_verdict(r);
        if scuba != Scuba::Undecided {
            scuba_decided += 1;
        }
        let Some((check, status)) = ours.get(id).copied() else {
            uncovered.insert(id);
            continue;
        };
        compared += 1;
        if scuba != Scuba::Undecided
            && matches!(status, Status::Pass | Status::Fail | Status::NotApplicable)
        {
            we_decide += 1;
        }
        if agrees(status, scuba) {
            agreeing += 1;
        } else {
            found.insert((id, status, check, format!("{scuba:?}")));
        }
    }
    let listed: BTreeSet<(&str, Status, Scuba)> = DISAGREEMENTS
        .iter()
        .map(|(p, o, s, _)| (*p, *o, *s))
        .collect();
    let actual: BTreeSet<(&str, Status, Scuba)> = found
        .iter()
        .map(|(p, o, _, _)| {
            (
                *p,
                *o,
                scuba_verdict(results.iter().find(|r| r["PolicyId"] == *p).unwrap()),
            )
        })
        .collect();
    assert_eq!(actual, listed, "disagreements found: {found:#?}");
    println!(
        "SCuBA: {} policies, {scuba_decided} decided by ScubaGear, {compared} compared, {agreeing} agreeing, \
         {we_decide} of the decided ones decided by us; not mapped: {uncovered:?}",
        results.len()
    );
    assert_eq!(results.len(), 93);
    assert_eq!(scuba_decided, 84);
    assert_eq!(compared, 93);
    assert_eq!(agreeing, 88);
    assert_eq!(we_decide, 84);
    assert!(
        we_decide * 100 >= scuba_decided * 95,
        "{we_decide} of {scuba_decided} decided"
    );
    assert!(uncovered.is_empty(), "not mapped: {uncovered:?}");
}

#[test]
fn every_scuba_id_is_known_and_unique() {
    let (_, results) = load();
    let known: BTreeSet<&str> = SCUBA_POLICIES.iter().copied().collect();
    for r in &results {
        assert!(known.contains(r["PolicyId"].as_str().unwrap()));
    }
    let mut seen = BTreeMap::new();
    for check in compliance_checks() {
        for id in check.scuba_ids() {
            assert!(known.contains(id), "{}: unknown SCuBA id {id}", check.id);
            if let Some(other) = seen.insert(id, check.id) {
                panic!("{id} mapped by both {other} and {}", check.id);
            }
        }
    }
}
