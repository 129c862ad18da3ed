//! The dashboard's REST API beyond tokens: overview, findings, scans (start, SSE progress,
//! compare), tenants and imports, reports, people and roles, problem details and the OpenAPI
//! document, against the real server on every test database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{TestApp, databases, read_sse, spawn_app};
use crate::dashboard::{PASSWORD, Session, json_of, login, set_cookie, sign_in};
use aether365_actors::directory;
use aether365_actors::query::{NewReport, QueryService};
use aether365_actors::{Principal, TenantScope};
use reqwest::Response;
use serde_json::{Value, json};

/// Starts a compliance scan from the dashboard and follows its SSE progress to the end;
/// answers the scan id and the progress frames.
async fn scan_to_the_end(app: &TestApp, owner: &Session) -> (i64, Vec<Value>) {
    let r = owner
        .post(app, "/api/v1/scans", json!({"tenant_id": app.tenant_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let started = json_of(r).await;
    let id = started["scan_id"].as_i64().unwrap();
    assert_eq!(started["kind"], "compliance");
    assert!(started["plan"].as_str().unwrap().len() > 10, "{started}");
    let events = owner
        .get(app, started["events_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let frames = read_sse(events, Duration::from_secs(60), |f| {
        ["completed", "failed", "cancelled"].contains(&f["status"].as_str().unwrap_or(""))
    })
    .await;
    assert_eq!(frames.last().unwrap()["status"], "completed", "{frames:?}");
    assert!(frames.iter().all(|f| f["scan_id"] == id));
    (id, frames)
}

fn assert_problem(r: &Response, status: u16) {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

async fn problem(r: Response, status: u16) -> Value {
    assert_problem(&r, status);
    let body = json_of(r).await;
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:aether365:problem:")
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert_eq!(body["detail"], body["message"]);
    body
}

#[actix_web::test]
async fn overview_findings_scans_and_compare_through_the_api() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;

        // Before any scan: MCP is not available yet, and the overview says why.
        let overview = json_of(owner.get(&app, "/api/v1/overview").send().await.unwrap()).await;
        assert_eq!(overview["onboarding"]["available"], false);
        assert!(
            overview["onboarding"]["reason"]
                .as_str()
                .unwrap()
                .contains("No scan")
        );
        assert_eq!(overview["onboarding"]["next_step"]["href"], "/scans");
        assert_eq!(overview["tenants"][0]["latest"], json!([]));
        let tenants = json_of(owner.get(&app, "/api/v1/tenants").send().await.unwrap()).await;
        let tenant = &tenants["items"][0];
        assert_eq!(tenant["connection"], "connected");
        assert_eq!(tenant["last_collection"]["source"], "import");

        // Two scans from the dashboard, each followed to the end over SSE.
        let (first, frames) = scan_to_the_end(&app, &owner).await;
        assert!(frames.len() >= 2, "{frames:?}");
        let (second, _) = scan_to_the_end(&app, &owner).await;
        let scans = json_of(owner.get(&app, "/api/v1/scans").send().await.unwrap()).await;
        let listed: Vec<i64> = scans["scans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(listed, vec![second, first]);
        assert!(
            scans["scans"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["origin"] == "dashboard")
        );
        // A finished scan's stream answers its final state and ends.
        let replay = owner
            .get(&app, &format!("/api/v1/scans/{first}/events"))
            .send()
            .await
            .unwrap();
        let replayed = read_sse(replay, Duration::from_secs(10), |_| false).await;
        assert_eq!(replayed.len(), 1, "{replayed:?}");
        assert_eq!(replayed[0]["status"], "completed");

        // The overview: score, trend of two points, the data's source and age.
        let overview = json_of(owner.get(&app, "/api/v1/overview").send().await.unwrap()).await;
        assert_eq!(overview["onboarding"]["available"], true);
        let t = &overview["tenants"][0];
        assert_eq!(t["latest"][0]["scan_id"], second);
        assert!(t["latest"][0]["score"].is_number());
        assert_eq!(t["trend"].as_array().unwrap().len(), 2);
        assert_eq!(t["data"]["source"], "collector");
        assert!(t["data"]["age_seconds"].as_i64().unwrap() >= 0);

        // Findings: filters, sorting, pagination.
        let all = json_of(
            owner
                .get(&app, "/api/v1/findings?limit=200")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let total = all["total"].as_u64().unwrap();
        assert!(total > 10, "{total}");
        let failing = json_of(
            owner
                .get(
                    &app,
                    "/api/v1/findings?status=fail&severity=high,critical&limit=200",
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        let items = failing["findings"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(
            items.iter().all(|f| f["status"] == "fail"
                && (f["severity"] == "high" || f["severity"] == "critical"))
        );
        let by_title = json_of(
            owner
                .get(&app, "/api/v1/findings?sort=-title&limit=200")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(by_title["sort"], "-title");
        let titles: Vec<String> = by_title["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["title"].as_str().unwrap().to_lowercase())
            .collect();
        let mut sorted = titles.clone();
        sorted.sort();
        sorted.reverse();
        assert_eq!(titles, sorted);
        let page1 = json_of(
            owner
                .get(&app, "/api/v1/findings?limit=5")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let page2 = json_of(
            owner
                .get(&app, "/api/v1/findings?limit=5&offset=5")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(page1["next_offset"], 5);
        assert_eq!(page1["total"], total);
        assert_ne!(page1["findings"][0]["id"], page2["findings"][0]["id"]);
        let text = json_of(
            owner
                .get(&app, "/api/v1/findings?q=A365-AAD-01")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(text["total"].as_u64().unwrap() < total, "{text}");
        assert!(
            text["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["check_id"] == "A365-AAD-01"),
            "{text}"
        );
        let bad = owner
            .get(&app, "/api/v1/findings?sort=colour")
            .send()
            .await
            .unwrap();
        assert!(
            problem(bad, 400).await["detail"]
                .as_str()
                .unwrap()
                .contains("sort")
        );
        let bad = owner
            .get(&app, "/api/v1/findings?severity=urgent")
            .send()
            .await
            .unwrap();
        problem(bad, 400).await;

        // One finding in detail.
        let id = items[0]["id"].as_i64().unwrap();
        let detail = json_of(
            owner
                .get(&app, &format!("/api/v1/findings/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(detail["id"], id);
        assert!(!detail["remediation"].as_str().unwrap().is_empty());
        assert!(
            detail["frameworks"]
                .as_array()
                .is_some_and(|f| !f.is_empty())
        );
        assert!(!detail["history"].as_array().unwrap().is_empty());

        // Compare the two scans.
        let comparison = json_of(
            owner
                .get(
                    &app,
                    &format!("/api/v1/scans/compare?base={first}&head={second}"),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(comparison["base"]["id"], first);
        assert_eq!(comparison["head"]["id"], second);
        assert!(comparison["newly_failing"].is_array());

        // Another organisation sees none of it: its ids answer like missing ones.
        let other = directory::create_organisation(&app.testdb.db, "Fabrikam")
            .await
            .unwrap();
        directory::create_user(
            &app.testdb.db,
            other.id,
            "eve@fabrikam.example",
            PASSWORD,
            "owner",
        )
        .await
        .unwrap();
        let r = login(&app, "eve@fabrikam.example", PASSWORD).await;
        let eve = Session {
            cookie: set_cookie(&r).split(';').next().unwrap().to_string(),
        };
        for path in [
            format!("/api/v1/findings/{id}"),
            format!("/api/v1/scans/{first}"),
            format!("/api/v1/scans/{first}/events"),
            format!("/api/v1/scans/compare?base={first}&head={second}"),
        ] {
            let r = eve.get(&app, &path).send().await.unwrap();
            problem(r, 404).await;
        }
        let r = eve
            .post(&app, "/api/v1/scans", json!({"tenant_id": app.tenant_id}))
            .send()
            .await
            .unwrap();
        problem(r, 404).await;
        let theirs = json_of(eve.get(&app, "/api/v1/overview").send().await.unwrap()).await;
        assert_eq!(theirs["tenants"], json!([]));
        assert!(
            theirs["onboarding"]["reason"]
                .as_str()
                .unwrap()
                .contains("No Microsoft 365 tenant")
        );
        assert_eq!(theirs["onboarding"]["next_step"]["href"], "/tenants");

        // The start is audit-logged.
        let audit = json_of(owner.get(&app, "/api/v1/audit").send().await.unwrap()).await;
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["action"] == "scan.start")
        );
    }
}

#[actix_web::test]
async fn people_roles_and_what_a_viewer_may_not_do() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let admin = sign_in(&app, "admin@contoso.example", "admin").await;

        // An admin invites a viewer, who signs in with the one-time password.
        let r = admin
            .post(
                &app,
                "/api/v1/people",
                json!({"email": "Vera@Contoso.example", "role": "viewer"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let invited = json_of(r).await;
        let vera_id = invited["user"]["id"].as_i64().unwrap();
        assert_eq!(invited["user"]["email"], "vera@contoso.example");
        let password = invited["password"].as_str().unwrap();
        let r = login(&app, "vera@contoso.example", password).await;
        assert_eq!(r.status(), 200);
        let vera = Session {
            cookie: set_cookie(&r).split(';').next().unwrap().to_string(),
        };
        let again = admin
            .post(
                &app,
                "/api/v1/people",
                json!({"email": "vera@contoso.example", "role": "viewer"}),
            )
            .send()
            .await
            .unwrap();
        problem(again, 409).await;

        // The viewer reads everything and changes nothing.
        for path in [
            "/api/v1/overview",
            "/api/v1/findings",
            "/api/v1/scans",
            "/api/v1/people",
            "/api/v1/tenants",
        ] {
            assert_eq!(
                vera.get(&app, path).send().await.unwrap().status(),
                200,
                "{path}"
            );
        }
        for (path, body) in [
            ("/api/v1/scans", json!({"tenant_id": app.tenant_id})),
            ("/api/v1/tokens", json!({"label": "mine"})),
            (
                "/api/v1/people",
                json!({"email": "x@contoso.example", "role": "viewer"}),
            ),
            ("/api/v1/tenants/connect", json!({})),
        ] {
            let r = vera.post(&app, path, body).send().await.unwrap();
            let body = problem(r, 403).await;
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("viewer role may read but not"),
                "{body}"
            );
        }
        let r = vera
            .post(
                &app,
                &format!("/api/v1/tenants/{}/imports", app.tenant_id),
                json!({}),
            )
            .send()
            .await
            .unwrap();
        problem(r, 403).await;
        let r = app
            .client
            .patch(format!("{}/api/v1/people/{vera_id}", app.address))
            .header("Cookie", &vera.cookie)
            .json(&json!({"role": "owner"}))
            .send()
            .await
            .unwrap();
        problem(r, 403).await;
        let r = vera
            .delete(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .send()
            .await
            .unwrap();
        problem(r, 403).await;

        // Only an owner grants the owner role; the last owner stays owner.
        let patch = |session: &Session, id: i64, role: &str| {
            app.client
                .patch(format!("{}/api/v1/people/{id}", app.address))
                .header("Cookie", &session.cookie)
                .json(&json!({"role": role}))
                .send()
        };
        problem(patch(&admin, vera_id, "owner").await.unwrap(), 403).await;
        let people = json_of(owner.get(&app, "/api/v1/people").send().await.unwrap()).await;
        let owner_id = people["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["email"] == "owner@contoso.example")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        problem(patch(&owner, owner_id, "viewer").await.unwrap(), 409).await;
        let r = patch(&owner, vera_id, "admin").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(json_of(r).await["role"], "admin");
        problem(patch(&owner, vera_id, "emperor").await.unwrap(), 400).await;
        problem(
            owner
                .delete(&app, &format!("/api/v1/people/{owner_id}"))
                .send()
                .await
                .unwrap(),
            409,
        )
        .await;

        // Removing a person ends their session at once.
        let r = owner
            .delete(&app, &format!("/api/v1/people/{vera_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(json_of(r).await["tokens_revoked"], 0);
        problem(vera.get(&app, "/api/v1/me").send().await.unwrap(), 401).await;
        problem(
            owner
                .delete(&app, &format!("/api/v1/people/{vera_id}"))
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;

        // Every change is in the audit trail.
        let audit = json_of(owner.get(&app, "/api/v1/audit").send().await.unwrap()).await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["action"].as_str().unwrap())
            .collect();
        for action in ["person.invite", "person.role", "person.remove"] {
            assert!(actions.contains(&action), "{actions:?}");
        }
    }
}

#[actix_web::test]
async fn imports_reports_and_the_openapi_document() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;

        // A ScubaGear export uploaded as JSON becomes the tenant's newest snapshot.
        let export = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/scubagear/ProviderSettingsExport.json"
        ))
        .unwrap();
        assert!(
            export.len() > 1024 * 1024,
            "bigger than the JSON limit of other routes"
        );
        let upload = |tenant: i64, body: Vec<u8>| {
            app.client
                .post(format!("{}/api/v1/tenants/{tenant}/imports", app.address))
                .header("Cookie", &owner.cookie)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
        };
        let r = upload(app.tenant_id, export.clone()).await.unwrap();
        assert_eq!(r.status(), 201);
        let imported = json_of(r).await;
        let tenants = json_of(owner.get(&app, "/api/v1/tenants").send().await.unwrap()).await;
        assert_eq!(
            tenants["items"][0]["last_collection"]["snapshot_id"],
            imported["snapshot_id"]
        );
        let r = upload(app.tenant_id, b"{\"not\": \"an export\"}".to_vec())
            .await
            .unwrap();
        assert!(
            problem(r, 400).await["detail"]
                .as_str()
                .unwrap()
                .contains("ScubaGear")
        );
        let (_, theirs) = crate::common::other_organisation(&app.testdb.db).await;
        problem(upload(theirs.id, export).await.unwrap(), 404).await;

        // A stored report: listed, rendered with its raw HTML as text, downloadable.
        let principal = Principal {
            organisation_id: app.organisation_id,
            token_id: app.token_id,
            token_label: "tests".into(),
            tenant_scope: TenantScope::All,
        };
        let report = QueryService::new(app.testdb.db.clone())
            .save_report(
                &principal,
                NewReport {
                    tenant_id: Some(app.tenant_id),
                    audience: "board".into(),
                    framework: None,
                    title: "Board summary".into(),
                    markdown: "# Board summary\n\nScore **72**.\n\n<script>alert(1)</script>\n"
                        .into(),
                },
            )
            .await
            .unwrap();
        let list = json_of(owner.get(&app, "/api/v1/reports").send().await.unwrap()).await;
        assert_eq!(list["items"][0]["id"], report.id);
        let page = json_of(
            owner
                .get(&app, &format!("/api/v1/reports/{}", report.id))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let html = page["html"].as_str().unwrap();
        assert!(
            html.contains("<h1>Board summary</h1>") && html.contains("<strong>72</strong>"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        let download = owner
            .get(&app, page["download_url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200);
        assert!(
            download.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("aether365-report-{}.md", report.id))
        );
        assert!(
            download
                .text()
                .await
                .unwrap()
                .starts_with("# Board summary")
        );
        problem(
            owner
                .get(&app, "/api/v1/reports/999999")
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;

        // The OpenAPI 3.1 document, and problem details for errors outside any handler.
        let doc = json_of(
            owner
                .get(&app, "/api/v1/openapi.json")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(doc["paths"]["/api/v1/scans/{id}/events"]["get"].is_object());
        problem(
            owner.get(&app, "/api/v1/nowhere").send().await.unwrap(),
            404,
        )
        .await;
        problem(
            owner.get(&app, "/api/v1/scans/abc").send().await.unwrap(),
            404,
        )
        .await;
        problem(
            owner
                .get(&app, "/api/v1/overview?days=0")
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
        let anonymous = app
            .client
            .get(format!("{}/api/v1/overview", app.address))
            .send()
            .await
            .unwrap();
        problem(anonymous, 401).await;
    }
}
