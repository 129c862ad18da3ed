//! Isolation property: with one organisation's token (Principal), no tool, resource, prompt,
//! completion or list call ever returns anything of another organisation, nor anything
//! outside the token's tenant scope; and another organisation's ids answer exactly like ids
//! that do not exist. Driven through the MCP surface with randomized arguments (fixed seed)
//! covering every id of every organisation, on every test database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use aether365::mcp::surface::{self, SurfaceContext, SurfaceError};
use aether365_actors::directory::{self, NewTenant};
use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
use aether365_actors::system::{Backend, BackendConfig};
use aether365_actors::{Principal, TenantScope, testkit};
use aether365_engine::{Finding, Framework, FrameworkRef, Remediation, Service, Severity, Status};
use aether365_entities::{finding, report, scan, tenant};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Map, Value, json};

/// Look-alike organisations: same tenant names and domains, same check ids.
const ORGS: [(&str, &[(&str, &str)]); 3] = [
    (
        "Contoso",
        &[("Contoso", "contoso.com"), ("Contoso EU", "eu.contoso.com")],
    ),
    (
        "Contoso Ltd",
        &[("Contoso", "contoso.com"), ("Contoso EU", "contoso.eu")],
    ),
    ("contoso", &[("CONTOSO", "contoso.com")]),
];

const TOOLS: [&str; 9] = [
    "get_posture",
    "list_findings",
    "get_finding",
    "get_score_trend",
    "list_scans",
    "get_scan",
    "start_scan",
    "compare_scans",
    "generate_report",
];

fn findings(marker: &str, round: usize) -> Vec<Finding> {
    let checks = [
        (
            "A365-AAD-01",
            Service::EntraId,
            Severity::Critical,
            Framework::Cis,
            "1.1.1",
        ),
        (
            "A365-AAD-02",
            Service::EntraId,
            Severity::High,
            Framework::Scuba,
            "MS.AAD.1.1v1",
        ),
        (
            "A365-EXO-01",
            Service::ExchangeOnline,
            Severity::High,
            Framework::Cis,
            "6.1.1",
        ),
        (
            "A365-EXO-02",
            Service::ExchangeOnline,
            Severity::Medium,
            Framework::Nist80053,
            "SI-8",
        ),
        (
            "A365-SPO-01",
            Service::SharePoint,
            Severity::Low,
            Framework::Iso27001,
            "A.8.5",
        ),
    ];
    checks
        .iter()
        .enumerate()
        .map(|(i, (id, service, severity, fw, control))| Finding {
            check_id: id.to_string(),
            title: format!("Requirement {id}"),
            service: *service,
            severity: *severity,
            status: if (i + round).is_multiple_of(2) {
                Status::Fail
            } else {
                Status::Pass
            },
            message: format!("{id} observed for {marker}"),
            evidence: json!({ "marker": marker }),
            subjects: Vec::new(),
            rationale: format!("Rationale of {id}"),
            remediation: Remediation {
                steps: format!("Fix {id} at {marker}"),
                url: "https://learn.microsoft.com/".into(),
            },
            frameworks: vec![FrameworkRef {
                framework: *fw,
                id: control.to_string(),
                version: "4.0.0".into(),
            }],
        })
        .collect()
}

/// What exists, and the markers that must never cross organisations.
struct World {
    /// Per organisation: its tenant ids.
    orgs: Vec<(i64, Vec<i64>)>,
    /// Tenant id → marker (its Microsoft tenant GUID, also written into its findings).
    markers: HashMap<i64, String>,
    references: Vec<String>,
    scan_ids: Vec<i64>,
    finding_ids: Vec<i64>,
    check_ids: Vec<String>,
}

async fn build_world(db: &DatabaseConnection) -> World {
    let mut orgs = Vec::new();
    let mut markers = HashMap::new();
    let mut references = Vec::new();
    let mut scan_ids = Vec::new();
    let now = Utc::now();
    for (org_name, tenants) in ORGS {
        let org = directory::create_organisation(db, org_name).await.unwrap();
        let mut ids = Vec::new();
        for (name, domain) in tenants {
            let t = directory::add_tenant(
                db,
                org.id,
                NewTenant {
                    display_name: name.to_string(),
                    microsoft_tenant_id: None,
                    domains: vec![domain.to_string()],
                },
            )
            .await
            .unwrap();
            references.extend([
                t.display_name.clone(),
                t.primary_domain.clone(),
                t.id.to_string(),
                t.microsoft_tenant_id.clone(),
            ]);
            for round in 0..3 {
                let finished = now - Duration::days(3 * (3 - round as i64));
                scan_ids.push(
                    persist_completed_scan(
                        db,
                        CompletedScan {
                            organisation_id: org.id,
                            tenant_id: t.id,
                            kind: ScanKind::Compliance,
                            origin: ScanOrigin::Schedule,
                            snapshot_id: None,
                            input: None,
                            findings: findings(&t.microsoft_tenant_id, round),
                            started_at: finished - Duration::seconds(20),
                            finished_at: finished,
                        },
                    )
                    .await
                    .unwrap(),
                );
            }
            markers.insert(t.id, t.microsoft_tenant_id.clone());
            ids.push(t.id);
        }
        orgs.push((org.id, ids));
    }
    let finding_ids = finding::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    World {
        orgs,
        markers,
        references,
        scan_ids,
        finding_ids,
        check_ids: vec!["A365-AAD-01".into(), "a365-exo-02".into(), "NOPE-1".into()],
    }
}

/// Row ownership, reloaded from the database when an unknown id shows up.
#[derive(Default)]
struct Owners {
    tenants: HashMap<i64, i64>,
    scans: HashMap<i64, (i64, i64)>,
    findings: HashMap<i64, (i64, i64)>,
    reports: HashMap<i64, report::Model>,
}

impl Owners {
    async fn reload(&mut self, db: &DatabaseConnection) {
        self.tenants = tenant::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.organisation_id))
            .collect();
        self.scans = scan::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, (s.organisation_id, s.tenant_id)))
            .collect();
        self.findings = finding::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.id, (f.organisation_id, f.tenant_id)))
            .collect();
        self.reports = report::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    }
}

fn visible(p: &Principal, org: i64, tenant: i64) -> bool {
    org == p.organisation_id && p.tenant_scope.allows(tenant)
}

/// Checks every id-bearing object of `value` against the principal.
async fn check_value(
    db: &DatabaseConnection,
    owners: &mut Owners,
    p: &Principal,
    value: &Value,
    what: &str,
) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                let int = |k: &str| map.get(k).and_then(Value::as_i64);
                let mut checks: Vec<(&str, i64)> = Vec::new();
                if map.contains_key("microsoft_tenant_id") {
                    checks.push(("tenant", int("id").unwrap()));
                }
                if let Some(t) = int("tenant_id") {
                    checks.push(("tenant", t));
                }
                if let Some(s) = int("scan_id") {
                    checks.push(("scan", s));
                }
                if map.contains_key("origin") && map.contains_key("kind") {
                    checks.push(("scan", int("id").unwrap()));
                }
                if map.contains_key("check_id")
                    && let Some(id) = int("id")
                {
                    checks.push(("finding", id));
                }
                if map.contains_key("audience") {
                    checks.push(("report", int("id").unwrap()));
                }
                for (kind, id) in checks {
                    for attempt in 0..2 {
                        let ok = match kind {
                            "tenant" => owners.tenants.get(&id).map(|org| visible(p, *org, id)),
                            "scan" => owners.scans.get(&id).map(|(o, t)| visible(p, *o, *t)),
                            "finding" => owners.findings.get(&id).map(|(o, t)| visible(p, *o, *t)),
                            _ => owners.reports.get(&id).map(|r| {
                                r.organisation_id == p.organisation_id
                                    && match r.tenant_id {
                                        Some(t) => p.tenant_scope.allows(t),
                                        None => {
                                            p.tenant_scope == TenantScope::All
                                                || r.requested_by_token_id == Some(p.token_id)
                                        }
                                    }
                            }),
                        };
                        match ok {
                            Some(true) => break,
                            Some(false) => {
                                panic!("{what}: {kind} {id} is outside the scope of {p:?}")
                            }
                            None if attempt == 0 => owners.reload(db).await,
                            None => panic!("{what}: {kind} {id} does not exist"),
                        }
                    }
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
}

/// Validates `value` against the subset of JSON Schema the tools use (references resolved in
/// the root's `$defs`); returns the first error.
fn validate(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    validate_in(schema, schema, value, path)
}

fn validate_in(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let validate =
        |schema: &Value, value: &Value, path: &str| validate_in(root, schema, value, path);
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        let target = root["$defs"]
            .get(name)
            .ok_or_else(|| format!("{path}: unresolved {reference}"))?;
        return validate(target, value, path);
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        return options
            .iter()
            .find(|o| validate(o, value, path).is_ok())
            .map(|_| ())
            .ok_or_else(|| format!("{path}: matches no anyOf branch"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{path}: {value} is not of type {t}"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        return Err(format!("{path}: {value} not in enum"));
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        if schema.get("additionalProperties") == Some(&Value::Bool(false))
            && let Some(extra) = obj.keys().find(|k| !props.contains_key(*k))
        {
            return Err(format!("{path}: unexpected property {extra}"));
        }
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                return Err(format!("{path}: missing required {r}"));
            }
        }
        for (k, sub) in props {
            if let Some(v) = obj.get(k) {
                validate(sub, v, &format!("{path}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(items, v, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

/// No marker of a tenant outside the scope appears anywhere in the answer.
fn check_markers(world: &World, p: &Principal, text: &str, what: &str) {
    for (org, tenants) in &world.orgs {
        for t in tenants {
            if !visible(p, *org, *t) {
                let marker = &world.markers[t];
                assert!(
                    !text.contains(marker.as_str()),
                    "{what}: leaked tenant {t} of organisation {org}: {text}"
                );
            }
        }
    }
}

/// Replaces `id` by `#` in an error's text, to compare answers to different ids.
fn shape(r: &Result<Value, SurfaceError>, id: i64) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(e) => {
            let text = format!("{e:?}").replace("aether365", "AETHER");
            let id = id.to_string();
            let mut out = String::new();
            let mut digits = String::new();
            for c in text.chars().chain(std::iter::once(' ')) {
                if c.is_ascii_digit() {
                    digits.push(c);
                    continue;
                }
                out.push_str(if digits == id { "#" } else { &digits });
                digits.clear();
                out.push(c);
            }
            out
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn random_arguments(rng: &mut StdRng, world: &World, tool: &str) -> Value {
    let mut args = Map::new();
    let id_of = |rng: &mut StdRng, pool: &[i64]| -> Value {
        match rng.random_range(0..6) {
            0 => json!(rng.random_range(1..2_000)),
            1 => json!(pick(rng, pool).to_string()),
            _ => json!(*pick(rng, pool)),
        }
    };
    let keys: &[&str] = match tool {
        "get_posture" => &["tenant"],
        "list_findings" => &[
            "tenant",
            "scan",
            "severity",
            "service",
            "status",
            "framework",
            "query",
            "limit",
        ],
        "get_finding" => &["finding_id", "check_id", "tenant", "scan"],
        "get_score_trend" => &["tenant", "since", "framework", "service"],
        "list_scans" => &["tenant", "status", "limit", "before"],
        "get_scan" => &["scan"],
        "start_scan" => &["tenant", "kind"],
        "compare_scans" => &["tenant", "base_scan", "head_scan"],
        _ => &["audience", "tenant", "framework"],
    };
    for key in keys {
        if rng.random_bool(0.4) && *key != "audience" {
            continue;
        }
        let value = match *key {
            "tenant" => json!(pick(rng, &world.references)),
            "scan" | "before" | "base_scan" | "head_scan" => id_of(rng, &world.scan_ids),
            "finding_id" => id_of(rng, &world.finding_ids),
            "check_id" => json!(pick(rng, &world.check_ids)),
            "severity" => json!(pick(rng, &["critical", "high", "low"])),
            "service" => json!(pick(rng, &["Exchange Online", "entra", "sharepoint"])),
            "status" if tool == "list_scans" => json!("completed"),
            "status" => json!(pick(rng, &["fail", "any", "pass"])),
            "framework" => json!(pick(rng, &["CIS", "SCuBA", "NIST-800-53", "CIS-M365-4.0"])),
            "query" => json!(pick(rng, &["A365", "observed", "contoso"])),
            "limit" => json!(rng.random_range(1..60)),
            "since" => json!("30d"),
            "kind" => json!("compliance"),
            "audience" => json!(pick(rng, &["board", "audit", "technical"])),
            _ => Value::Null,
        };
        args.insert(key.to_string(), value);
    }
    Value::Object(args)
}

#[actix::test]
async fn no_call_crosses_organisations_or_tenant_scopes() {
    for tdb in testkit::databases().await {
        let db = tdb.db.clone();
        let world = build_world(&db).await;
        let backend = Backend::start(db.clone(), BackendConfig::default());
        let mut owners = Owners::default();
        owners.reload(&db).await;
        let mut principals = Vec::new();
        for (i, (org, tenants)) in world.orgs.iter().enumerate() {
            principals.push(Principal {
                organisation_id: *org,
                token_id: 100 + i as i64,
                token_label: "all".into(),
                tenant_scope: TenantScope::All,
            });
            principals.push(Principal {
                organisation_id: *org,
                token_id: 200 + i as i64,
                token_label: "one".into(),
                tenant_scope: TenantScope::Only(vec![tenants[tenants.len() - 1]]),
            });
        }
        let output_schemas: HashMap<String, Value> = surface::tools()
            .into_iter()
            .map(|t| {
                (
                    t.tool.name.to_string(),
                    Value::Object(t.tool.output_schema.as_deref().unwrap().clone()),
                )
            })
            .collect();
        let mut rng = StdRng::seed_from_u64(0xA365);
        let mut successes = 0;
        for round in 0..400 {
            let p = pick(&mut rng, &principals).clone();
            let ctx = SurfaceContext {
                principal: p.clone(),
                backend: backend.clone(),
            };
            let tool = *pick(&mut rng, &TOOLS);
            let args = random_arguments(&mut rng, &world, tool);
            let what = format!("round {round}: {tool} {args}");
            let echoed: Vec<String> = args
                .as_object()
                .unwrap()
                .values()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            match surface::call_tool(&ctx, tool, args).await {
                Ok(out) => {
                    successes += 1;
                    let schema = &output_schemas[tool];
                    if let Err(e) = validate(schema, &out.structured, "structuredContent") {
                        panic!(
                            "{what}: output does not match outputSchema: {e}\n{}",
                            out.structured
                        );
                    }
                    check_value(&db, &mut owners, &p, &out.structured, &what).await;
                    check_markers(&world, &p, &out.text, &what);
                    check_markers(&world, &p, &out.structured.to_string(), &what);
                    if let Some(scan) = out.started_scan {
                        check_value(&db, &mut owners, &p, &json!({ "scan_id": scan }), &what).await;
                    }
                }
                Err(e) if e.is_internal() => panic!("{what}: internal error {e:?}"),
                Err(e) => {
                    // An error may echo the caller's own argument; nothing else.
                    let text = echoed
                        .iter()
                        .fold(e.to_string(), |t, a| t.replace(a.as_str(), ""));
                    check_markers(&world, &p, &text, &what);
                }
            }
        }
        assert!(
            successes > 100,
            "too few successful calls ({successes}) to mean anything"
        );

        for p in &principals {
            let ctx = SurfaceContext {
                principal: p.clone(),
                backend: backend.clone(),
            };
            let what = format!("{p:?}");
            // Resources: every list, and every scan and report id of every organisation.
            let listed = surface::resources(&ctx).await.unwrap();
            let mut uris: Vec<String> = listed.iter().map(|r| r.uri.clone()).collect();
            uris.extend(
                owners
                    .scans
                    .keys()
                    .map(|id| format!("aether365://scans/{id}")),
            );
            uris.extend(
                owners
                    .reports
                    .keys()
                    .map(|id| format!("aether365://reports/{id}")),
            );
            for uri in &uris {
                match surface::read_resource(&ctx, uri).await {
                    Ok(contents) => {
                        let contents = json!(contents);
                        for c in contents.as_array().unwrap() {
                            let text = c["text"].as_str().unwrap();
                            check_markers(&world, p, text, uri);
                            if c["mimeType"] == "application/json" {
                                check_value(
                                    &db,
                                    &mut owners,
                                    p,
                                    &serde_json::from_str(text).unwrap(),
                                    uri,
                                )
                                .await;
                            }
                        }
                    }
                    Err(SurfaceError::NotFound(_)) => {}
                    Err(e) => panic!("{uri}: {e:?}"),
                }
            }
            // Another organisation's ids answer exactly like ids that do not exist.
            let missing = 9_000_000;
            let probe = |id: i64| {
                let ctx = ctx.clone();
                async move {
                    let tool = surface::call_tool(&ctx, "get_scan", json!({ "scan": id }))
                        .await
                        .map(|o| o.structured);
                    let finding =
                        surface::call_tool(&ctx, "get_finding", json!({ "finding_id": id }))
                            .await
                            .map(|o| o.structured);
                    let findings = surface::call_tool(&ctx, "list_findings", json!({ "scan": id }))
                        .await
                        .map(|o| o.structured);
                    let scan_res = surface::read_resource(&ctx, &format!("aether365://scans/{id}"))
                        .await
                        .map(|c| json!(c));
                    let report_res =
                        surface::read_resource(&ctx, &format!("aether365://reports/{id}"))
                            .await
                            .map(|c| json!(c));
                    let posture = surface::call_tool(&ctx, "get_posture", json!({ "tenant": id }))
                        .await
                        .map(|o| o.structured);
                    [tool, finding, findings, scan_res, report_res, posture]
                        .iter()
                        .map(|r| shape(r, id))
                        .collect::<Vec<_>>()
                }
            };
            let expected = probe(missing).await;
            let foreign_ids: Vec<i64> = owners
                .scans
                .iter()
                .filter(|(_, (o, t))| !visible(p, *o, *t))
                .map(|(id, _)| *id)
                .chain(
                    owners
                        .findings
                        .iter()
                        .filter(|(_, (o, t))| !visible(p, *o, *t))
                        .map(|(id, _)| *id)
                        .take(20),
                )
                .collect();
            for id in foreign_ids {
                let got = probe(id).await;
                for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
                    // A foreign id may collide with a visible id of another table: skip those probes.
                    if g == "ok" {
                        continue;
                    }
                    assert_eq!(g, e, "{what}: probe {i} of foreign id {id}");
                }
            }
            // Prompts with every tenant reference.
            for prompt in surface::prompts() {
                let name = prompt.name.as_str();
                for reference in &world.references {
                    let mut args = Map::new();
                    args.insert("tenant".into(), json!(reference));
                    if name == "failing_cis_checks" {
                        args.insert("service".into(), json!("Exchange Online"));
                    }
                    match surface::get_prompt(&ctx, name, &args).await {
                        Ok(v) => check_markers(&world, p, &json!(v).to_string(), name),
                        Err(e) if e.is_internal() => panic!("{name}: {e:?}"),
                        Err(e) => check_markers(
                            &world,
                            p,
                            &e.to_string().replace(reference.as_str(), ""),
                            name,
                        ),
                    }
                }
            }
            // Completions of every prompt argument and template variable.
            let refs = [
                (
                    json!({ "type": "ref/prompt", "name": "critical_findings" }),
                    "tenant",
                ),
                (
                    json!({ "type": "ref/prompt", "name": "failing_cis_checks" }),
                    "service",
                ),
                (
                    json!({ "type": "ref/resource", "uri": "aether365://scans/{id}" }),
                    "id",
                ),
                (
                    json!({ "type": "ref/resource", "uri": "aether365://reports/{id}" }),
                    "id",
                ),
            ];
            for (reference, arg) in &refs {
                let values = surface::complete(&ctx, reference, arg, "").await.unwrap();
                for v in &values {
                    check_markers(&world, p, v, "completion");
                    if let Ok(id) = v.parse::<i64>() {
                        if reference["uri"]
                            .as_str()
                            .is_some_and(|u| u.contains("scans"))
                        {
                            check_value(
                                &db,
                                &mut owners,
                                p,
                                &json!({ "scan_id": id }),
                                "completion",
                            )
                            .await;
                        } else {
                            check_value(
                                &db,
                                &mut owners,
                                p,
                                &json!({ "id": id, "audience": "x" }),
                                "completion",
                            )
                            .await;
                        }
                    }
                }
            }
            let tenants = surface::complete(&ctx, &refs[0].0, "tenant", "")
                .await
                .unwrap();
            let visible_count = world
                .orgs
                .iter()
                .flat_map(|(o, ts)| ts.iter().map(move |t| (*o, *t)))
                .filter(|(o, t)| visible(p, *o, *t))
                .count();
            assert!(tenants.len() <= 2 * visible_count, "{what}: {tenants:?}");
        }
        backend.shutdown(std::time::Duration::from_secs(5)).await;
    }
}
