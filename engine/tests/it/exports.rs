//! The exports of the bundled ScubaGear sample's findings (and of DNS findings) validate against
//! the official schemas under fixtures/schemas, and their counts match the findings.

use std::collections::BTreeMap;

use aether365_engine::export::{csv, ocsf, sarif};
use aether365_engine::{
    DomainObservation, ExportContext, ExportFormat, Finding, Snapshot, Status, evaluate_all,
    evaluate_domain, export,
};
use chrono::{TimeZone, Utc};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures");

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(format!("{FIXTURES}/schemas/{name}")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

fn sample_findings() -> Vec<Finding> {
    let bytes = std::fs::read(format!("{FIXTURES}/scubagear/ProviderSettingsExport.json")).unwrap();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let findings = evaluate_all(&snapshot);
    // The sample must exercise every status the writers map differently.
    for status in [Status::Pass, Status::Fail, Status::Manual] {
        assert!(findings.iter().any(|f| f.status == status), "{status}");
    }
    findings
}

/// DNS findings of two domains: the same checks twice, each about its own domain.
fn dns_findings() -> Vec<Finding> {
    ["contoso.com", "fabrikam.com"]
        .into_iter()
        .flat_map(|d| {
            evaluate_domain(&DomainObservation {
                domain: d.to_string(),
                ..Default::default()
            })
        })
        .collect()
}

fn context(scan_id: Option<i64>) -> ExportContext {
    ExportContext {
        scan_id,
        tenant_name: "Contoso \"Prod\", EU".into(),
        microsoft_tenant_id: Some("8f2d1c5e-0000-4000-8000-000000000001".into()),
        time: Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap(),
    }
}

fn counts(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        *out.entry(f.status.as_str().to_string()).or_default() += 1;
    }
    out
}

#[test]
fn ocsf_events_validate_and_match_the_findings() {
    let validator = schema("ocsf-1.8.0-compliance_finding.schema.json");
    for (findings, scan) in [(sample_findings(), Some(12)), (dns_findings(), None)] {
        let bytes = export(ExportFormat::Ocsf, &context(scan), &findings).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let events = doc.as_array().unwrap();
        assert_eq!(events.len(), findings.len());
        for (event, f) in events.iter().zip(&findings) {
            assert_valid(&validator, event, &f.check_id);
            assert_eq!(event["class_uid"], 2003);
            assert_eq!(event["type_uid"], 200301);
            assert_eq!(event["status_code"], f.status.as_str());
            assert_eq!(event["metadata"]["version"], "1.8.0");
            assert_eq!(event["metadata"]["product"]["name"], "aether365");
            assert_eq!(event["time"], 1_795_953_600_000_i64);
            assert_eq!(
                event["compliance"]["requirements"]
                    .as_array()
                    .unwrap()
                    .len(),
                f.frameworks.len()
            );
        }
        // Unique event ids, even for one check over two domains.
        let mut uids: Vec<&str> = events
            .iter()
            .map(|e| e["finding_info"]["uid"].as_str().unwrap())
            .collect();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), findings.len());
        // The per-status counts survive the mapping.
        let mut by_code = BTreeMap::new();
        for e in events {
            *by_code
                .entry(e["status_code"].as_str().unwrap().to_string())
                .or_insert(0usize) += 1;
        }
        assert_eq!(by_code, counts(&findings));
    }
}

/// The validators are not vacuous: each rejects a document our writers never produce.
#[test]
fn schemas_reject_invalid_documents() {
    let findings = sample_findings();
    let ocsf_validator = schema("ocsf-1.8.0-compliance_finding.schema.json");
    let mut event = serde_json::to_value(ocsf::event(&context(None), &findings[0])).unwrap();
    assert!(ocsf_validator.is_valid(&event));
    event["compliance"]["verdict"] = Value::from("pass");
    assert!(!ocsf_validator.is_valid(&event));
    let sarif_validator = schema("sarif-schema-2.1.0.json");
    let mut log = serde_json::to_value(sarif::log(&context(None), &findings)).unwrap();
    assert!(sarif_validator.is_valid(&log));
    log["runs"][0]["results"][0]["level"] = Value::from("critical");
    assert!(!sarif_validator.is_valid(&log));
}

#[test]
fn ocsf_maps_a_cis_reference_and_verdicts() {
    let findings = sample_findings();
    let events = ocsf::events(&context(Some(3)), &findings);
    let cis = events
        .iter()
        .find(|e| e.metadata.event_code == "A365-AAD-32")
        .expect("the CIS Global Administrators event");
    assert_eq!(cis.compliance.control, "CIS-M365-7.0.0 1.1.3");
    assert!(
        cis.compliance
            .standards
            .contains(&"CIS Microsoft 365 Foundations Benchmark v7.0.0".to_string())
    );
    for e in &events {
        let want = match e.status_code.as_str() {
            "pass" => 1,
            "fail" => 3,
            "error" => 2,
            _ => 99,
        };
        assert_eq!(e.compliance.status_id, want, "{}", e.status_code);
    }
}

#[test]
fn sarif_log_validates_and_matches_the_findings() {
    let validator = schema("sarif-schema-2.1.0.json");
    for (findings, scan) in [(sample_findings(), Some(12)), (dns_findings(), None)] {
        let bytes = export(ExportFormat::Sarif, &context(scan), &findings).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_valid(&validator, &doc, "the SARIF log");
        let run = &doc["runs"][0];
        assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
        let mut check_ids: Vec<&str> = findings.iter().map(|f| f.check_id.as_str()).collect();
        check_ids.sort_unstable();
        check_ids.dedup();
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), check_ids.len());
        let results = run["results"].as_array().unwrap();
        let non_pass = findings.iter().filter(|f| f.status != Status::Pass).count();
        assert_eq!(results.len(), non_pass);
        for r in results {
            let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
            if r["kind"] != "fail" {
                assert_eq!(r["level"], "none");
            }
        }
        let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
        assert_eq!(
            results.iter().filter(|r| r["kind"] == "fail").count(),
            failed
        );
        assert_eq!(
            serde_json::to_value(counts(&findings)).unwrap(),
            run["properties"]["counts"]
        );
    }
}

#[test]
fn sarif_rules_carry_references_and_help() {
    let findings = sample_findings();
    let log = sarif::log(&context(Some(1)), &findings);
    let run = &log.runs[0];
    let rule = run
        .tool
        .driver
        .rules
        .iter()
        .find(|r| r.id == "A365-AAD-32")
        .unwrap();
    assert!(rule.help_uri.as_deref().unwrap().starts_with("https://"));
    assert!(
        rule.relationships
            .iter()
            .any(|r| r.target.id == "1.1.3" && r.target.tool_component.name == "CIS-M365-7.0.0")
    );
    let cis = run
        .taxonomies
        .iter()
        .find(|t| t.name == "CIS-M365-7.0.0")
        .unwrap();
    assert!(cis.taxa.iter().any(|t| t.id == "1.1.3"));
}

#[test]
fn csv_has_one_row_per_finding() {
    for findings in [sample_findings(), dns_findings()] {
        let bytes = export(ExportFormat::Csv, &context(None), &findings).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let rows = parse_csv(&text);
        assert_eq!(rows[0], csv::COLUMNS.map(String::from).to_vec());
        assert_eq!(rows.len(), findings.len() + 1);
        for (row, f) in rows[1..].iter().zip(&findings) {
            assert_eq!(row.len(), csv::COLUMNS.len());
            assert_eq!(row[0], f.check_id);
            assert_eq!(row[4], f.status.as_str());
            let message = f.message.strip_prefix('\'').unwrap_or(&f.message);
            assert!(row[7].ends_with(message), "{} vs {}", row[7], f.message);
        }
    }
}

/// A strict RFC 4180 reader, to check the writer's quoting from the outside.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "quote inside an unquoted field");
                quoted = true;
            }
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("bare LF outside a quoted field"),
            c => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated"
    );
    rows
}
