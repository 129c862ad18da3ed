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

/// ScubaGear's Rego at the release the vectors come from.
macro_rules! rego {
    ($path:literal) => {
        concat!(
            "https://github.com/cisagov/ScubaGear/blob/v1.8.0/PowerShell/ScubaGear/",
            $path
        )
    };
}

const SENSITIVE_ACCOUNTS: &str = concat!(
    "Deliberate: the config file declares no sensitive accounts (`scuba_config.Defender[policy].SensitiveAccounts`), \
     and ScubaGear then fails a Strict preset that applies to some recipients or has exceptions (",
    rego!("Rego/Utils/Defender.rego#L97"),
    "). Whether such a scope covers the sensitive accounts is not in the export: aether365 leaves it to a person \
     (manual). With declared accounts, both compare the preset's scope with them."
);

const NARROWED: &str = concat!(
    "Deliberate: the test's policy applies only to sign-ins from legacy clients (`ClientAppTypes` `other` and \
     `exchangeActiveSync`) with high sign-in and user risk, a template ScubaGear's tests share across policies; \
     ScubaGear's rules for MS.AAD.3.1, 3.2 and 3.6 read none of those conditions (",
    rego!("Rego/AADConfig.rego#L209"),
    ", ",
    rego!("Rego/AADConfig.rego#L253"),
    ", ",
    rego!("Rego/AADConfig.rego#L448"),
    "). Such a policy leaves every other sign-in without MFA, so aether365 does not count it (no pass on a \
     control that applies only sometimes), whatever exclusions the config file exempts."
);

const TEAMS_APPS: &str = concat!(
    "Deliberate (no verdict without evidence): ScubaGear 1.8.0 reads only the app permission policies (`app_policies`, ",
    rego!("Rego/TeamsConfig.rego#L501"),
    "), and the tests' inputs hold only those. Microsoft documents the permission policies as applying only to \
     tenants not migrated to app centric management, which replaced them \
     (https://learn.microsoft.com/powershell/module/microsoftteams/get-csteamsapppermissionpolicy); there the \
     org-wide app settings (`tenant_app_settings`) decide. Without them we cannot tell which applies, so we \
     answer error."
);

/// Differences between our verdicts and ScubaGear's unit tests, each with its cause.
const DIFFERENCES: &[Difference] = &[
    Difference {
        policy: "MS.AAD.3.2v1",
        tests: &[
            "test_3_1_Fails_3_2_Passes_Correct",
            "test_3_1_Passes_3_2_Fails_Correct",
            "test_AppExclusionConditions_Correct_V5",
            "test_ConditionalAccessPolicies_Correct_V1",
            "test_GroupExclusionsConditions_Correct",
            "test_GuestUserTypeExclusionConditions_Correct_V5",
            "test_IsGeneralMFA_DeviceBasedPush_Correct",
            "test_IsGeneralMFA_Fido2_Correct",
            "test_IsGeneralMFA_MultipleCombinations_Correct",
            "test_IsGeneralMFA_TemporaryAccessPassMultiUse_Correct",
            "test_IsGeneralMFA_TemporaryAccessPassOneTime_Correct",
            "test_IsGeneralMFA_WindowsHelloForBusiness_Correct",
            "test_IsGeneralMFA_X509CertificateMultiFactor_Correct",
            "test_MultiGroupExclusionsConditions_Correct",
            "test_MultiUserExclusionsConditions_Correct",
            "test_NoExclusionsConditions_Correct",
            "test_NoExclusionsExemptGroups_Correct",
            "test_NoExclusionsExemptUsers_Correct",
            "test_UserExclusionConditions_Correct",
            "test_UserGroupExclusionConditions_Correct",
        ],
        ours: Status::Fail,
        cause: NARROWED,
    },
    Difference {
        policy: "MS.AAD.3.1v1",
        tests: &[
            "test_AppExclusionConditions_Correct_V4",
            "test_GuestUserTypeExclusionConditions_Correct_V4",
            "test_PhishingResistantAllMFA_Correct",
            "test_PhishingResistantMFAUserGroupExclusion_Correct",
            "test_PhishingResistantSingleMFA_Correct",
        ],
        ours: Status::Fail,
        cause: NARROWED,
    },
    Difference {
        policy: "MS.AAD.3.6v1",
        tests: &[
            "test_AppExclusionConditions_Correct_V6",
            "test_ConditionalAccessPolicies_Correct_all_strengths",
            "test_ConditionalAccessPolicies_Correct_fido2_only",
            "test_ConditionalAccessPolicies_Correct_windowsHelloForBusiness_only",
            "test_ConditionalAccessPolicies_Correct_x509_only",
            "test_GroupExclusionsConditions_Correct_V2",
            "test_GuestUserTypeExclusionConditions_Correct_V6",
            "test_UserExclusionConditions_Correct_V2",
        ],
        ours: Status::Fail,
        cause: NARROWED,
    },
    Difference {
        policy: "MS.AAD.3.5v1",
        tests: &["test_LowSecurityAuthMethods_PreMigration_NotImplemented"],
        ours: Status::Fail,
        cause: "Deliberate: ScubaGear 1.8.0 leaves the policy undecided (`Shall/Not-Implemented`) until the migration \
                to the authentication methods policy is complete (`PolicyMigrationState` `migrationComplete`; the test's \
                is `preMigration`); aether365 decides from the authentication methods policy itself, which has SMS \
                enabled: a weak method is on, whatever the migration state.",
    },
    Difference {
        policy: "MS.TEAMS.5.1v2",
        tests: &["*"],
        ours: Status::Error,
        cause: TEAMS_APPS,
    },
    Difference {
        policy: "MS.TEAMS.5.2v2",
        tests: &["*"],
        ours: Status::Error,
        cause: TEAMS_APPS,
    },
    Difference {
        policy: "MS.TEAMS.5.3v2",
        tests: &["*"],
        ours: Status::Error,
        cause: TEAMS_APPS,
    },
    Difference {
        policy: "MS.DEFENDER.1.4v1",
        tests: &["test_SensitiveEOP_Incorrect_V4"],
        ours: Status::Manual,
        cause: SENSITIVE_ACCOUNTS,
    },
    Difference {
        policy: "MS.DEFENDER.1.5v1",
        tests: &["test_SensitiveATP_Incorrect_V4"],
        ours: Status::Manual,
        cause: SENSITIVE_ACCOUNTS,
    },
    Difference {
        policy: "MS.DEFENDER.2.3v1",
        tests: &["test_CustomDomains_Correct_V4"],
        ours: Status::Fail,
        cause: concat!(
            "Deliberate: with no partner domain in its config file, ScubaGear passes when the presets protect no \
             domain at all, and fails when they protect some (",
            rego!("Rego/Utils/Defender.rego#L193"),
            "). A preset that protects no domain protects no partner's: we fail."
        ),
    },
    Difference {
        policy: "MS.EXO.3.1v1",
        tests: &["test_Enabled_Correct_V5"],
        ours: Status::Error,
        cause: concat!(
            "Deliberate (no verdict without evidence): the only domain is a *.mail.onmicrosoft.com one, which \
             both skip (",
            rego!("Rego/EXOConfig.rego#L213"),
            "); ScubaGear then passes with no domain checked, we answer error."
        ),
    },
    Difference {
        policy: "MS.EXO.4.4v1",
        tests: &["test_POC_Correct_V1", "test_POC_Correct_V2"],
        ours: Status::Fail,
        cause: "Deliberate: the records' failure report addresses (`ruf=agencyemail@hq.dhs.gov`, and \
                `test@test.com` beside it in V2) lack `mailto:`. RFC 7489 section 6.3 makes ruf a list of DMARC URIs, \
                so no receiver sends failure reports there; we count only mailto: URIs, ScubaGear any ruf value \
                holding an `@`.",
    },
    Difference {
        policy: "MS.POWERPLATFORM.2.2v1",
        tests: &[
            "test_environmentList_Correct",
            "test_environmentType_AllEnvironments_Correct_V2",
            "test_environmentType_ExceptEnvironments_Correct",
        ],
        ours: Status::Error,
        cause: concat!(
            "ScubaGear test bug: the tests wrap the environment list, already a list (",
            rego!("Testing/Unit/Rego/PowerPlatform/PowerPlatformBaseConfig.rego#L51"),
            "), in another list (`with input.environment_list as [EnvironmentList]`, ",
            rego!("Testing/Unit/Rego/PowerPlatform/PowerPlatformConfig_02_test.rego#L38"),
            "), so `EnvironmentList.EnvironmentName` (",
            rego!("Rego/PowerPlatformConfig.rego#L173-L177"),
            ") is undefined and ScubaGear sees no environment at all. We refuse a list of lists (unknown shape) \
             and answer error."
        ),
    },
    Difference {
        policy: "MS.POWERPLATFORM.3.1v1",
        tests: &["test_isDisabled_NullIsolationPolicy"],
        ours: Status::Error,
        cause: "Deliberate (no verdict without evidence): `tenant_isolation` holds one null row; ScubaGear fails, \
                we answer error because the read returned nothing to decide on.",
    },
];

/// How one case came out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Case {
    Agree,
    /// A listed difference (its index in [`DIFFERENCES`], if listed), or the deliberate `error`
    /// on missing evidence.
    Explained(Option<usize>, String, String),
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
            doc.insert(
                "tenant_id".into(),
                json!("00000000-0000-0000-0000-000000000000"),
            );
            Snapshot::from_value(Value::Object(doc)).unwrap()
        }
    }
}

/// Whether an `error` outcome names a section the input lacks or holds empty.
fn missing_evidence(message: &str, input: &Map<String, Value>) -> Option<String> {
    let mut named = message.split('`').skip(1).step_by(2);
    named.find_map(|key| {
        let section =
            key == "SPO_tenant" || key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !section {
            return None;
        }
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

/// One differing case, for the test's output: the test, the policy and our status and message.
fn detail(v: &Vector, f: &aether365_engine::Finding) -> String {
    format!(
        "{} {}: ours {:?} ({})",
        v.policy, v.test, f.status, f.message
    )
}

fn classify(v: &Vector, checks: &[&Check]) -> (Case, Vec<Status>) {
    let snap = snapshot(&v.input);
    let scuba = scuba::verdict(&v.criticality, v.requirement_met);
    let outcomes: Vec<_> = checks.iter().map(|c| c.evaluate(&snap)).collect();
    let statuses: Vec<Status> = outcomes.iter().map(|f| f.status).collect();
    let Some(f) = outcomes.iter().find(|f| !agrees(f.status, scuba)) else {
        return (Case::Agree, statuses);
    };
    if let Some((i, d)) = DIFFERENCES.iter().enumerate().find(|(_, d)| {
        d.policy == v.policy
            && d.ours == f.status
            && (d.tests == ["*"] || d.tests.contains(&rule_name(&v.test)))
    }) {
        return (
            Case::Explained(Some(i), d.cause.to_string(), detail(v, f)),
            statuses,
        );
    }
    if f.status == Status::Error
        && let Some(why) = missing_evidence(&f.message, &v.input)
    {
        return (Case::Explained(None, why, detail(v, f)), statuses);
    }
    (
        Case::Unexplained(format!(
            "{} {}: ours {:?} ({}), ScubaGear {scuba:?}",
            v.test, v.policy, f.status, f.message
        )),
        statuses,
    )
}

/// Policies the vectors name by an older version than our checks cite. ScubaGear's v1.8.0 tag
/// is inconsistent: its baselines and Rego tests define `MS.AAD.3.2v1`, `MS.AAD.3.5v1` and
/// `MS.EXO.2.2v2`, while the sample results shipped in the same tag (and what ScubaGear 1.8.0
/// reports, `fixtures/scubagear/TestResults.json`) name them `v2`, `v2` and `v3`. Our checks
/// cite the reported ids, so that findings match ScubaGear's output; the tag's tests of the same
/// requirement run against the check citing the reported id.
const RENUMBERED: &[(&str, &str)] = &[
    ("MS.AAD.3.2v1", "MS.AAD.3.2v2"),
    ("MS.AAD.3.5v1", "MS.AAD.3.5v2"),
    ("MS.EXO.2.2v2", "MS.EXO.2.2v3"),
];

/// The policy id our checks cite for a vector's policy.
fn cited_as(policy: &str) -> &str {
    RENUMBERED
        .iter()
        .find(|(tag, _)| *tag == policy)
        .map_or(policy, |(_, reported)| reported)
}

/// What running the corpus gives.
struct Run {
    /// Per cited policy, its counts.
    table: BTreeMap<String, Row>,
    unexplained: Vec<String>,
    /// Each explained difference, described.
    differing: Vec<String>,
    /// Per policy and cause, how many cases it explains.
    explained: BTreeMap<(String, String), usize>,
    /// Cases on policies no check cites, and those policies.
    uncited_cases: usize,
    uncited: Vec<String>,
}

/// Runs every vector whose policy a check cites.
fn run() -> Run {
    let corpus = corpus();
    let all = compliance_checks();
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut used = BTreeSet::new();
    let mut explained = BTreeMap::new();
    let mut uncited = BTreeSet::new();
    let mut uncited_cases = 0;
    let mut differing = Vec::new();
    for v in &corpus.vectors {
        let checks: Vec<&Check> = all
            .iter()
            .filter(|c| c.scuba_ids().contains(&cited_as(&v.policy)))
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
            Case::Explained(listed, cause, detail) => {
                row.explained += 1;
                differing.push(detail);
                *explained.entry((v.policy.clone(), cause)).or_insert(0) += 1;
                used.extend(listed.map(|i| (i, rule_name(&v.test).to_string())));
            }
            Case::Unexplained(what) => {
                row.unexplained += 1;
                unexplained.push(what);
            }
        }
    }
    // Each listed test (or, for `*`, the difference) must explain some case.
    let stale: Vec<String> = DIFFERENCES
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            let used = &used;
            d.tests
                .iter()
                .filter(move |t| {
                    if **t == "*" {
                        !used.iter().any(|(j, _)| *j == i)
                    } else {
                        !used.contains(&(i, t.to_string()))
                    }
                })
                .map(move |t| format!("{} {t}", d.policy))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences no case needs: {stale:?}"
    );
    Run {
        table,
        unexplained,
        differing,
        explained,
        uncited_cases,
        uncited: uncited.into_iter().collect(),
    }
}

/// The per-policy table for docs/frameworks.md.
pub fn render() -> String {
    let corpus = corpus();
    let Run {
        table,
        uncited_cases,
        uncited,
        ..
    } = run();
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
         `error` where the input lacks a section the check reads (no verdict without evidence); the causes are \
         in the test. A vector's input is a partial export whose reads are taken as successful. {} vectors, \
         {cases} of them on the {} policies cited here, {agree} agreeing; {}. \
         ScubaGear's v1.8.0 tag names three policies by an older version than the results it reports \
         (its baselines and tests: {}; its results: {}); our checks cite the reported ids and the tag's tests run \
         against them. Conditional access policies narrowed to some client apps or to risky sign-ins do not count \
         as MFA for everyone here, where ScubaGear's rules read none of those conditions. Exemptions that ScubaGear's config file declares (`scuba_config` in the export: conditional access \
         `CapExclusions`, `RoleExclusions`, `AllowedForwardingDomains`; Defender's `SensitiveAccounts`, `SensitiveUsers`, \
         `AgencyDomains`, `PartnerDomains`) are read as ScubaGear reads them (`engine/src/exemptions.rs`), and a finding \
         that passes or is decided thanks to one says so. The target is \
         95 % agreeing per policy; the policies below it differ where a test's input leaves out a section our check \
         needs, or for a deliberate difference listed in the test.\n",
        corpus.source.release,
        corpus.source.commit,
        corpus.vectors.len(),
        table.len(),
        if uncited.is_empty() {
            "every vector's policy is cited".to_string()
        } else {
            format!(
                "{uncited_cases} on {} policies no check cites ({})",
                uncited.len(),
                uncited.join(", ")
            )
        },
        RENUMBERED.iter().map(|(tag, _)| *tag).collect::<Vec<_>>().join(", "),
        RENUMBERED.iter().map(|(_, reported)| *reported).collect::<Vec<_>>().join(", "),
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
    let Run {
        table,
        unexplained,
        explained,
        differing,
        ..
    } = run();
    println!("{}", render());
    for d in &differing {
        println!("differs: {d}");
    }
    for ((policy, cause), n) in &explained {
        println!("explained: {policy} ({n}): {cause}");
    }
    assert!(!table.is_empty());
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
