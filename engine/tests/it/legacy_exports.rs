//! Exports of older ScubaGear releases, built from the bundled 1.8.0 export by rewriting it into
//! each older shape (docs/frameworks.md, "Older ScubaGear exports"): a shape the engine reads
//! gives the verdicts of its 1.8.0 equivalent, a section it cannot read answers `error` and never
//! `pass`, and a release older than any it reads is refused at import.

use std::collections::BTreeMap;

use aether365_engine::legacy_export::VersionRefusal;
use aether365_engine::{Snapshot, SnapshotError, Status, check_export, evaluate_all};
use serde_json::{Value, json};

use crate::legacy_layouts::{as_1_1, as_1_5};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");

fn bundled() -> Value {
    let bytes = std::fs::read(format!("{FIXTURES}/scubagear/ProviderSettingsExport.json")).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// Each check's status and message.
fn verdicts(doc: &Value) -> BTreeMap<String, (Status, String)> {
    let snapshot = Snapshot::from_value(doc.clone()).unwrap();
    evaluate_all(&snapshot)
        .into_iter()
        .map(|f| (f.check_id, (f.status, f.message)))
        .collect()
}

fn statuses(doc: &Value) -> BTreeMap<String, Status> {
    verdicts(doc)
        .into_iter()
        .map(|(id, (status, _))| (id, status))
        .collect()
}

fn differing(a: &Value, b: &Value) -> Vec<String> {
    let (a, b) = (verdicts(a), verdicts(b));
    a.iter()
        .filter(|(id, v)| b.get(*id) != Some(v))
        .map(|(id, v)| format!("{id}: {v:?} vs {:?}", b.get(id)))
        .collect()
}

#[test]
fn a_1_5_export_gives_the_verdicts_of_its_1_8_equivalent() {
    let current = bundled();
    let old = as_1_5(current.clone());
    assert_eq!(differing(&old, &current), Vec::<String>::new());
    // The shape, not only the label, is read: without `module_version`, or labelled 1.8.0,
    // the 1.5 document still gives the 1.8.0 verdicts.
    let mut unmarked = old.clone();
    unmarked.as_object_mut().unwrap().remove("module_version");
    assert_eq!(differing(&unmarked, &current), Vec::<String>::new());
    let mut relabelled = old.clone();
    relabelled["module_version"] = json!("1.8.0");
    assert_eq!(differing(&relabelled, &current), Vec::<String>::new());
    // The rewrite matters: read as-is (as our own collections are), the 1.5 shape turns a failing
    // check into a pass (the Global Administrator approval rule's `IsApprovalRequired` is not
    // where 1.8.0 writes it).
    let mut misread = old;
    misread["module_version"] = json!("aether365-collector 0.1.0");
    let (misread, current) = (statuses(&misread), statuses(&current));
    let turned: Vec<&String> = misread
        .iter()
        .filter(|(id, s)| **s == Status::Pass && current[*id] != Status::Pass)
        .map(|(id, _)| id)
        .collect();
    assert!(!turned.is_empty(), "the 1.5 shape changes no verdict");
}

#[test]
fn a_1_1_export_reads_roles_and_refuses_its_authentication_methods() {
    let current = bundled();
    let base = statuses(&current);
    let old = as_1_1(current);
    let snapshot = Snapshot::from_value(old.clone()).unwrap();
    assert_eq!(snapshot.refused_sections().len(), 1);
    let mut refused = 0;
    for f in evaluate_all(&snapshot) {
        if f.message.contains("`authentication_method`") && f.message.contains("ScubaGear 1.1.1") {
            assert_eq!(f.status, Status::Error, "{}", f.check_id);
            refused += 1;
        } else {
            assert_eq!(f.status, base[&f.check_id], "{}: {}", f.check_id, f.message);
        }
        assert!(
            f.status != Status::Pass || base[&f.check_id] == Status::Pass,
            "{}",
            f.check_id
        );
    }
    assert!(
        refused >= 5,
        "only {refused} checks read authentication_method"
    );
    // The PIM checks still read the rules: their source is the role itself.
    let rule = &snapshot.value()["privileged_roles"][0]["Rules"][0];
    assert_eq!(
        rule["RuleSource"],
        snapshot.value()["privileged_roles"][0]["DisplayName"]
    );
    assert_eq!(rule["RuleSourceType"], "Directory Role");
}

#[test]
fn a_failed_read_of_a_1_7_export_is_an_error_under_its_old_command_name() {
    let mut doc = bundled();
    doc["module_version"] = json!("1.7.1");
    // ScubaGear 1.7 records a refused Get-DlpPolicy and writes an empty list.
    doc["dlp_policies"] = json!([]);
    doc["powerplatform_successful_commands"] = json!(["Get-TenantSettings"]);
    doc["powerplatform_unsuccessful_commands"] = json!(["Get-DlpPolicy"]);
    let reading_dlp: Vec<String> = verdicts(&doc)
        .into_iter()
        .filter(|(_, (_, m))| m.contains("Get-PowerPlatformDlpPoliciesRest"))
        .map(|(id, (status, m))| {
            assert_eq!(status, Status::Error, "{id}: {m}");
            id
        })
        .collect();
    assert!(reading_dlp.len() >= 2, "{reading_dlp:?}");
    // Before 1.8.0 the Power Platform settings were written at ConvertTo-Json's default depth:
    // the objects under `powerPlatform` are text, so the checks reading them cannot decide.
    let mut shallow = doc.clone();
    shallow["environment_creation"][0]["powerPlatform"]["powerApps"] =
        json!("@{disableShareWithEveryone=True; enableGuestsToMake=False}");
    let truncated: Vec<String> = verdicts(&shallow)
        .into_iter()
        .filter(|(_, (_, m))| m.contains("powerPlatform/powerApps"))
        .map(|(id, (status, m))| {
            assert_eq!(status, Status::Error, "{id}: {m}");
            id
        })
        .collect();
    assert_eq!(truncated.len(), 2, "{truncated:?}");
    let shallow = statuses(&shallow);
    for (id, status) in statuses(&doc) {
        if !truncated.contains(&id) {
            assert_eq!(shallow[&id], status, "{id}");
        }
    }
    // Without the mapping (as our own collections are read), the empty list would be read as
    // "no DLP policy" and fail.
    doc["module_version"] = json!("aether365-collector 0.1.0");
    for id in &reading_dlp {
        assert_ne!(statuses(&doc)[id], Status::Error, "{id}");
    }
}

#[test]
fn exports_older_than_1_1_are_refused_at_import_naming_the_versions_accepted() {
    for version in ["1.0.0", "0.3.0"] {
        let mut doc = bundled();
        doc["module_version"] = json!(version);
        let err = Snapshot::from_value(doc.clone()).unwrap_err();
        assert!(
            matches!(
                &err,
                SnapshotError::UnsupportedVersion(VersionRefusal::TooOld { version: v, .. }) if v == version
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("ScubaGear {version}"))
                && text.contains("ScubaGear 1.1.0 and later"),
            "{text}"
        );
        let bytes = serde_json::to_vec(&doc).unwrap();
        assert!(matches!(
            check_export(bytes),
            Err(SnapshotError::UnsupportedVersion(
                VersionRefusal::TooOld { .. }
            ))
        ));
    }
}

#[test]
fn unmarked_and_collector_documents_read_as_the_current_shape() {
    let current = bundled();
    let mut unmarked = current.clone();
    unmarked.as_object_mut().unwrap().remove("module_version");
    assert_eq!(differing(&unmarked, &current), Vec::<String>::new());
    let mut collected = current.clone();
    collected["module_version"] = json!("aether365-collector 0.1.0");
    assert_eq!(differing(&collected, &current), Vec::<String>::new());
    // Nothing is rewritten in our own collections: their shape is ours.
    let mut collected = as_1_5(current);
    collected["module_version"] = json!("aether365-collector 0.1.0");
    let snapshot = Snapshot::from_value(collected.clone()).unwrap();
    assert_eq!(snapshot.value(), &collected);
}

/// The "Older ScubaGear exports" subsection of docs/frameworks.md.
pub fn render() -> String {
    use aether365_engine::legacy_export::{CURRENT_SCUBAGEAR, DIFFERENCES, OLDEST_SCUBAGEAR};
    let mut out = format!(
        "### Older ScubaGear exports\n\n\
         Every ScubaGear export states its release in `module_version` (\"{CURRENT_SCUBAGEAR}\"), beside \
         `baseline_version` (\"0.1\" before 1.0.0, \"1\" since); `timestamp_zulu` appears in 1.2.0 and \
         `report_uuid` in 1.5.0. Imports accept ScubaGear {OLDEST_SCUBAGEAR} and later (a release newer than \
         {CURRENT_SCUBAGEAR} is read in {CURRENT_SCUBAGEAR}'s shape); an older release, or a `module_version` that \
         names no ScubaGear release, is refused at import with the accepted versions. aether365's own \
         collections write `module_version` as `aether365-collector <version>` and are read as they are. A \
         document without `module_version` (hand-made) is read in {CURRENT_SCUBAGEAR}'s shape. \
         `engine/src/legacy_export.rs` brings an older shape to {CURRENT_SCUBAGEAR}'s in one place at parse: \
         rewrites keyed on a shape apply wherever it is found (it never occurs in {CURRENT_SCUBAGEAR}'s), those \
         keyed on what a release left out go by the release. The differences below come from ScubaGear's \
         providers and the Rego that read their output at each tag from v1.0.0 to v1.8.0; the other sections \
         the checks read (Exchange Online, Defender, Teams, Power Platform's members) kept their shape from \
         1.1.0 to {CURRENT_SCUBAGEAR}. `engine/tests/it/legacy_exports.rs` rewrites the bundled export into \
         each older shape and compares verdicts.\n\n\
         | ScubaGear | section | what differs from {CURRENT_SCUBAGEAR} | how we treat it |\n\
         | --- | --- | --- | --- |\n"
    );
    for d in DIFFERENCES {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            d.versions, d.section, d.differs, d.treatment
        ));
    }
    out
}
