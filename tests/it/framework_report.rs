//! The CIS v7.0.0 and SCuBA reports (issue 26): the dashboard's JSON, CSV and HTML, and MCP's
//! `generate_report` and resources, on every test database; tenant-scoped, tenant text escaped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aether365::mcp::surface::{self, SurfaceContext, SurfaceError};
use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
use aether365_actors::{Principal, TenantScope, tokens};
use aether365_engine::references::{CIS_MANUAL, CIS_RECOMMENDATIONS, SCUBA_POLICIES};
use aether365_engine::{Snapshot, Status, evaluate_all};
use serde_json::{Value, json};

use crate::common::{TestApp, databases, other_organisation, spawn_app, tenant_with_two_scans};
use crate::dashboard::{json_of, sign_in};

const HOSTILE: &str = "<script>alert('x')</script>=cmd|' /C calc'!A0";

fn snapshot() -> Snapshot {
    let export = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    Snapshot::from_bytes(&export).unwrap()
}

/// A tenant named [`HOSTILE`] whose latest scan has A365-AAD-01 (CIS 5.2.2.3) in error.
async fn hostile_tenant(app: &TestApp) -> i64 {
    let db = &app.backend.db;
    let snapshot = snapshot();
    let tenant = tenant_with_two_scans(
        db,
        app.organisation_id,
        HOSTILE,
        "hostile.example",
        &snapshot,
    )
    .await;
    let mut findings = evaluate_all(&snapshot);
    for f in findings.iter_mut().filter(|f| f.check_id == "A365-AAD-01") {
        f.status = Status::Error;
        f.message = "The conditional access policies could not be read.".into();
    }
    let finished = chrono::Utc::now();
    persist_completed_scan(
        db,
        CompletedScan {
            organisation_id: app.organisation_id,
            tenant_id: tenant,
            kind: ScanKind::Compliance,
            origin: ScanOrigin::Schedule,
            snapshot_id: None,
            input: None,
            findings,
            started_at: finished - chrono::Duration::seconds(30),
            finished_at: finished,
        },
    )
    .await
    .unwrap();
    tenant
}

fn row<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rows"].as_array().unwrap())
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[actix_web::test]
async fn the_dashboard_serves_the_cis_and_scuba_reports() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let tenant = hostile_tenant(&app).await;
        let base = format!("/api/v1/tenants/{tenant}/reports");

        // JSON: every recommendation, grouped by section, with totals per profile.
        let r = viewer
            .get(&app, &format!("{base}/cis"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let report = json_of(r).await;
        let rows: usize = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["rows"].as_array().unwrap().len())
            .sum();
        assert_eq!(rows, CIS_RECOMMENDATIONS.len() + CIS_MANUAL.len());
        assert_eq!(report["totals"]["total"], rows);
        assert_eq!(report["groups"][0]["id"], "1");
        assert_eq!(report["subject"]["tenant_name"], HOSTILE);
        assert!(report["subject"]["collected_at"].is_string());
        let profiles: Vec<&str> = report["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["profile"].as_str().unwrap())
            .collect();
        assert_eq!(profiles, ["E3 L1", "E3 L2", "E5 L1", "E5 L2"]);
        assert_eq!(report["profiles"][3]["totals"]["total"], rows);
        // An error is never a pass: 5.2.2.3 is not decidable, saying why.
        let r5223 = row(&report, "5.2.2.3");
        assert_eq!(r5223["status"], "not_decidable", "{r5223}");
        assert!(
            r5223["reason"]
                .as_str()
                .unwrap()
                .contains("could not be read"),
            "{r5223}"
        );
        assert_eq!(r5223["evidence"][0]["status"], "error");
        // Manual: what to verify; a gap: why not.
        let manual = row(&report, "1.1.2");
        assert_eq!(manual["status"], "manual");
        assert_eq!(manual["automated"], false);
        assert!(!manual["reason"].as_str().unwrap().is_empty());
        assert_eq!(row(&report, "9.1.1")["status"], "not_decidable");
        let decided: Vec<&Value> = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rows"].as_array().unwrap())
            .filter(|r| r["status"] == "pass" || r["status"] == "fail")
            .collect();
        assert!(!decided.is_empty());
        assert!(
            decided
                .iter()
                .all(|r| !r["evidence"].as_array().unwrap().is_empty())
        );

        // The latest scan by default; an older one when asked.
        let scan_id = report["subject"]["scan_id"].as_i64().unwrap();
        let older = json_of(
            viewer
                .get(&app, &format!("{base}/cis?scan_id={}", scan_id - 1))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(older["subject"]["scan_id"], scan_id - 1);
        assert_ne!(row(&older, "5.2.2.3")["status"], "not_decidable");

        // CSV: text/csv, quoted, formula-safe.
        let r = viewer
            .get(&app, &format!("{base}/cis?format=csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".csv")
        );
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("group,id,title,profile,criticality,status,"));
        assert!(
            csv.contains(",\"'<script>alert('x')</script>=cmd|' /C calc'!A0\",")
                || csv.contains(",<script>alert('x')</script>=cmd|' /C calc'!A0,"),
            "the tenant's name as a cell"
        );
        assert!(!csv.contains(",=cmd"), "a formula cell");
        assert_eq!(csv.matches("\r\n").count(), rows + 1);

        // HTML: one self-contained file; the tenant's name escaped.
        let r = viewer
            .get(&app, &format!("{base}/cis?format=html"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script"), "a script");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(!html.contains("src=") && !html.contains("href="), "a load");

        // SCuBA: every policy, with its criticality.
        let scuba = json_of(
            viewer
                .get(&app, &format!("{base}/scuba"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(scuba["totals"]["total"], SCUBA_POLICIES.len());
        assert_eq!(row(&scuba, "MS.AAD.1.1v1")["criticality"], "SHALL");
        assert_eq!(row(&scuba, "MS.AAD.1.1v1")["status"], "not_decidable");
        assert_eq!(scuba["groups"][0]["title"], "Microsoft Entra ID");
        let crit: Vec<&str> = scuba["criticalities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["criticality"].as_str().unwrap())
            .collect();
        assert_eq!(crit, ["SHALL", "SHOULD"]);

        // Another organisation's tenant answers like one that does not exist.
        let (_, fabrikam) = other_organisation(&app.backend.db).await;
        let theirs = tenant_with_two_scans(
            &app.backend.db,
            fabrikam.organisation_id,
            "Fabrikam Two",
            "two.fabrikam.example",
            &snapshot(),
        )
        .await;
        for path in [
            format!("/api/v1/tenants/{theirs}/reports/cis"),
            format!("/api/v1/tenants/{theirs}/reports/scuba?format=csv"),
            format!("/api/v1/tenants/{theirs}/reports/cis?format=html"),
            "/api/v1/tenants/999999/reports/cis".to_string(),
            format!("/api/v1/tenants/{tenant}/reports/nist"),
        ] {
            let r = viewer.get(&app, &path).send().await.unwrap();
            assert_eq!(r.status(), 404, "{path}");
        }
        let r = viewer
            .get(&app, &format!("{base}/cis?format=pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // The connected tenant has no completed compliance scan yet: not found, not an empty pass.
        let r = viewer
            .get(
                &app,
                &format!("/api/v1/tenants/{}/reports/cis", app.tenant_id),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // The page is served, and the API is in the OpenAPI document.
        let r = viewer.get(&app, "/frameworks/cis").send().await.unwrap();
        assert_eq!(r.status(), 200);
        let doc = json_of(
            viewer
                .get(&app, "/api/v1/openapi.json")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            doc["paths"]["/api/v1/tenants/{id}/reports/{framework}"]["get"]["responses"]["200"]["content"]
                ["application/json"]["schema"]["$ref"],
            "#/components/schemas/FrameworkReport"
        );
    }
}

async fn principal(app: &TestApp, org: i64, scope: TenantScope) -> Principal {
    let issued = tokens::create_token(
        &app.backend.db,
        &tokens::TokenKey::generate(),
        org,
        "report",
        tokens::Expiry::Days90,
        scope.clone(),
        None,
    )
    .await
    .unwrap();
    Principal {
        organisation_id: org,
        token_id: issued.record.id,
        token_label: "report".into(),
        tenant_scope: scope,
    }
}

#[actix_web::test]
async fn mcp_generates_and_serves_the_cis_report() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let tenant = hostile_tenant(&app).await;
        let ctx = SurfaceContext {
            principal: principal(&app, app.organisation_id, TenantScope::All).await,
            backend: app.backend.clone(),
        };

        let outcome = surface::call_tool(
            &ctx,
            "generate_report",
            json!({ "audience": "audit", "framework": "cis", "tenant": tenant }),
        )
        .await
        .unwrap();
        let text = format!("{}\n{}", outcome.text, outcome.structured);
        assert!(
            text.contains("## Totals") && text.contains("E5 L2"),
            "{text}"
        );
        assert!(!text.contains("<script>"), "tenant text unescaped");
        let uri = text
            .split("aether365://reports/")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .map(|id| format!("aether365://reports/{id}"))
            .unwrap();
        let stored = json!(surface::read_resource(&ctx, &uri).await.unwrap());
        let markdown = stored[0]["text"].as_str().unwrap();
        for id in ["1.1.2", "5.2.2.3", "9.1.12"] {
            assert!(markdown.contains(&id.replace('.', "\\.")), "{id}");
        }
        assert!(markdown.contains("not decidable"));
        assert!(markdown.contains("E5 L2"));

        let scuba = surface::call_tool(
            &ctx,
            "generate_report",
            json!({ "audience": "audit", "framework": "SCuBA", "tenant": tenant }),
        )
        .await
        .unwrap();
        let text = format!("{}\n{}", scuba.text, scuba.structured);
        assert!(text.contains("SHALL"), "{text}");

        // The resource, listed among the templates.
        let templates = serde_json::to_string(&surface::resource_templates()).unwrap();
        assert!(templates.contains("aether365://tenants/{id}/reports/cis"));
        assert!(templates.contains("aether365://tenants/{id}/reports/scuba"));
        let read = json!(
            surface::read_resource(&ctx, &format!("aether365://tenants/{tenant}/reports/cis"))
                .await
                .unwrap()
        );
        assert_eq!(read[0]["mimeType"], "text/markdown");
        assert!(read[0]["text"].as_str().unwrap().contains("8\\.4\\.1"));

        // Another organisation's tenant: not found, like a tenant that does not exist.
        let (fabrikam, _) = other_organisation(&app.backend.db).await;
        let theirs = tenant_with_two_scans(
            &app.backend.db,
            fabrikam.id,
            "Fabrikam Two",
            "two.fabrikam.example",
            &snapshot(),
        )
        .await;
        for uri in [
            format!("aether365://tenants/{theirs}/reports/cis"),
            "aether365://tenants/999999/reports/scuba".to_string(),
        ] {
            match surface::read_resource(&ctx, &uri).await {
                Err(SurfaceError::NotFound(_)) => {}
                other => panic!("{uri}: {other:?}"),
            }
        }
        match surface::call_tool(
            &ctx,
            "generate_report",
            json!({ "audience": "audit", "framework": "cis", "tenant": theirs }),
        )
        .await
        {
            Err(SurfaceError::NotFound(_)) => {}
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("another organisation's tenant was reported"),
        }
    }
}
