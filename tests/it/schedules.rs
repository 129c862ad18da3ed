//! Scheduled scans and drift through the server: the schedule REST API (validation as 400s,
//! roles, another organisation's tenant as 404, OpenAPI), a scheduled run (origin `schedule`,
//! audited with the schedule as actor), the next run over MCP, and drift in the dashboard's
//! scan detail and over MCP (`get_scan`, `compare_scans`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use aether365_actors::schedule::RunDue;
use aether365_entities::{scan, scan_schedule};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::common::{TestApp, answer, databases, other_organisation, spawn_app};
use crate::dashboard::{Session, json_of, sign_in};

fn put(app: &TestApp, session: &Session, path: &str, body: Value) -> reqwest::RequestBuilder {
    app.client
        .put(format!("{}{path}", app.address))
        .header("Cookie", &session.cookie)
        .json(&body)
}

async fn wait_final(app: &TestApp, scan_id: i64) -> scan::Model {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = scan::Entity::find_by_id(scan_id)
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        if ["completed", "failed", "cancelled"].contains(&row.status.as_str()) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "scan {scan_id} still {}",
            row.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn tool(app: &TestApp, name: &str, arguments: Value) -> Value {
    let body = answer(
        app.stateless(
            1,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        )
        .await,
    )
    .await;
    assert_ne!(body["result"]["isError"], true, "{name}: {body}");
    body["result"]["structuredContent"].clone()
}

#[actix_web::test]
async fn schedules_are_shown_changed_paused_and_validated_over_rest() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let path = format!("/api/v1/tenants/{}/schedule", app.tenant_id);
        // A newly connected tenant has the default: daily compliance at a quiet hour, on.
        let s = json_of(owner.get(&app, &path).send().await.unwrap()).await;
        assert_eq!(s["saved"], true, "{s}");
        assert_eq!(s["cadence"], "daily");
        assert_eq!(s["compliance"], true);
        assert_eq!(s["exposure"], false);
        assert_eq!(s["enabled"], true);
        assert!(s["time"].as_str().unwrap().starts_with("03:"), "{s}");
        assert!(s["next_run_at"].is_string(), "{s}");

        let weekly = json!({"cadence": "weekly", "weekday": "tue", "time": "22:15",
            "time_zone": "America/New_York", "compliance": true, "exposure": true, "enabled": true});
        let r = put(&app, &owner, &path, weekly.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let s = json_of(r).await;
        assert_eq!(s["weekday"], "tue");
        assert_eq!(s["updated_by"], "owner@contoso.example");
        let next: chrono::DateTime<Utc> = s["next_run_at"].as_str().unwrap().parse().unwrap();
        let zone: aether365_actors::schedule::Tz = "America/New_York".parse().unwrap();
        let local = next.with_timezone(&zone);
        assert_eq!(local.format("%a %H:%M").to_string(), "Tue 22:15", "{s}");

        for (body, field) in [
            (
                json!({"cadence": "daily", "time": "03:00", "time_zone": "Mars/Olympus",
                "compliance": true, "exposure": false, "enabled": true}),
                "time_zone",
            ),
            (
                json!({"cadence": "cron", "cron": "61 * * * *", "time_zone": "UTC",
                "compliance": true, "exposure": false, "enabled": true}),
                "cron",
            ),
            (
                json!({"cadence": "daily", "time": "3 am", "time_zone": "UTC",
                "compliance": true, "exposure": false, "enabled": true}),
                "time",
            ),
            (
                json!({"cadence": "daily", "time": "03:00", "time_zone": "UTC",
                "compliance": false, "exposure": false, "enabled": true}),
                "compliance",
            ),
        ] {
            let r = put(&app, &owner, &path, body).send().await.unwrap();
            assert_eq!(r.status(), 400);
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            let problem = json_of(r).await;
            assert!(
                problem["detail"].as_str().unwrap().starts_with(field),
                "{field}: {problem}"
            );
        }
        // Unchanged by the refused attempts.
        let s = json_of(owner.get(&app, &path).send().await.unwrap()).await;
        assert_eq!(s["cadence"], "weekly");

        let cron = json!({"cadence": "cron", "cron": "30 4 * * 1-5", "time_zone": "UTC",
            "compliance": true, "exposure": false, "enabled": false});
        let s = json_of(put(&app, &owner, &path, cron).send().await.unwrap()).await;
        assert_eq!(s["enabled"], false);
        assert!(s["next_run_at"].is_null(), "paused: {s}");
        assert_eq!(s["cron"], "30 4 * * 1-5");

        // Viewers read, never change.
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        assert_eq!(viewer.get(&app, &path).send().await.unwrap().status(), 200);
        let r = put(&app, &viewer, &path, weekly.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // Another organisation's tenant answers like a missing one.
        let (_, theirs) = other_organisation(&app.testdb.db).await;
        let theirs_path = format!("/api/v1/tenants/{}/schedule", theirs.id);
        assert_eq!(
            owner.get(&app, &theirs_path).send().await.unwrap().status(),
            404
        );
        let r = put(&app, &owner, &theirs_path, weekly.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let r = put(&app, &owner, "/api/v1/tenants/999999/schedule", weekly)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // Audited.
        let rows = app.audit_rows().await;
        assert!(
            rows.iter()
                .any(|r| r.action == "schedule.update" && r.actor_kind == "user")
        );

        // Described in the OpenAPI document.
        let doc = json_of(
            owner
                .get(&app, "/api/v1/openapi.json")
                .send()
                .await
                .unwrap(),
        )
        .await;
        let described = &doc["paths"]["/api/v1/tenants/{id}/schedule"];
        assert!(
            described["get"].is_object() && described["put"].is_object(),
            "{described}"
        );
        assert!(doc["components"]["schemas"]["Schedule"]["properties"]["next_run_at"].is_object());
        assert!(doc["components"]["schemas"]["ScheduleBody"].is_object());
    }
}

#[actix_web::test]
async fn a_scheduled_scan_runs_audited_and_shows_next_over_mcp_then_drift_follows() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let db = &app.testdb.db;
        // The tenant's default schedule is due.
        let row = scan_schedule::Entity::find()
            .filter(scan_schedule::Column::TenantId.eq(app.tenant_id))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let mut active: scan_schedule::ActiveModel = row.into();
        active.next_run_at = Set(chrono::DateTime::from_timestamp(
            Utc::now().timestamp() - 60,
            0,
        ));
        active.update(db).await.unwrap();

        let ran = app.backend.scheduler.send(RunDue).await.unwrap().unwrap();
        assert_eq!(ran.len(), 1, "{ran:?}");
        let first = wait_final(&app, ran[0].started[0]).await;
        assert_eq!(first.status, "completed");
        assert_eq!(first.origin, "schedule");
        assert!(first.drift.is_none());
        let audited = app.audit_rows().await;
        let start = audited
            .iter()
            .find(|r| r.action == "scan.start" && r.actor_kind == "schedule")
            .unwrap_or_else(|| panic!("{audited:?}"));
        assert!(start.target_ids.to_string().contains(&first.id.to_string()));

        // Over MCP, read-only: when the next scheduled scan runs.
        let posture = tool(&app, "get_posture", json!({})).await;
        let next = &posture["tenants"][0]["next_scheduled_scan"];
        assert_eq!(next["tenant_id"], app.tenant_id, "{posture}");
        assert_eq!(next["kinds"], json!(["compliance"]));
        let at: chrono::DateTime<Utc> = next["at"].as_str().unwrap().parse().unwrap();
        assert!(at > Utc::now());
        let text = answer(
            app.stateless(
                2,
                "tools/call",
                json!({"name": "get_posture", "arguments": {}}),
            )
            .await,
        )
        .await["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.contains("Next scheduled scan: "), "{text}");
        let scans = tool(&app, "list_scans", json!({})).await;
        assert_eq!(
            scans["next_scheduled_scans"][0]["tenant_id"], app.tenant_id,
            "{scans}"
        );

        // A second scan completes with its drift against the first.
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let r = owner
            .post(&app, "/api/v1/scans", json!({"tenant_id": app.tenant_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let second = json_of(r).await["scan_id"].as_i64().unwrap();
        let row = wait_final(&app, second).await;
        assert_eq!(row.status, "completed");
        let detail = json_of(
            owner
                .get(&app, &format!("/api/v1/scans/{second}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(detail["drift"]["previous_scan_id"], first.id, "{detail}");
        let over_mcp = tool(&app, "get_scan", json!({"scan": second})).await;
        assert_eq!(
            over_mcp["drift"]["previous_scan_id"], first.id,
            "{over_mcp}"
        );
        let compared = tool(&app, "compare_scans", json!({})).await;
        let drift = &compared["drift"];
        assert_eq!(drift["previous_scan_id"], first.id, "{compared}");
    }
}

#[actix_web::test]
async fn drift_shows_what_changed_in_the_dashboard_and_over_mcp() {
    use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
    use aether365_engine::Status;
    for db in databases().await {
        let app = spawn_app(db).await;
        let db = &app.testdb.db;
        let export = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/scubagear/ProviderSettingsExport.json"
        ))
        .unwrap();
        let snapshot = aether365_engine::Snapshot::from_bytes(&export).unwrap();
        let before = aether365_engine::evaluate_all(&snapshot);
        let mut after = before.clone();
        let flipped = after.iter().position(|f| f.status == Status::Pass).unwrap();
        after[flipped].status = Status::Fail;
        let check = after[flipped].check_id.clone();
        let mut ids = Vec::new();
        for (findings, days) in [(before, 2), (after, 1)] {
            let at = Utc::now() - chrono::Duration::days(days);
            ids.push(
                persist_completed_scan(
                    db,
                    CompletedScan {
                        organisation_id: app.organisation_id,
                        tenant_id: app.tenant_id,
                        kind: ScanKind::Compliance,
                        origin: ScanOrigin::Schedule,
                        snapshot_id: None,
                        input: None,
                        findings,
                        started_at: at,
                        finished_at: at,
                    },
                )
                .await
                .unwrap(),
            );
        }
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let detail = json_of(
            owner
                .get(&app, &format!("/api/v1/scans/{}", ids[1]))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let drift = &detail["drift"];
        assert_eq!(drift["previous_scan_id"], ids[0], "{detail}");
        assert_eq!(drift["newly_failing_count"], 1);
        assert_eq!(drift["newly_failing"][0]["check_id"], check.as_str());
        assert_eq!(drift["fixed_count"], 0);
        assert!(drift["score_change"].as_f64().unwrap() < 0.0);
        let overview = json_of(owner.get(&app, "/api/v1/overview").send().await.unwrap()).await;
        assert_eq!(
            overview["tenants"][0]["latest"][0]["drift"]["newly_failing_count"], 1,
            "{overview}"
        );

        let over_mcp = tool(&app, "get_scan", json!({"scan": ids[1]})).await;
        assert_eq!(
            over_mcp["drift"]["newly_failing"][0]["check_id"],
            check.as_str()
        );
        // One tenant: one comparison.
        let c = tool(&app, "compare_scans", json!({})).await;
        assert_eq!(c["drift"]["newly_failing_count"], 1, "{c}");
        assert_eq!(c["newly_failing"][0]["check_id"], check.as_str());
    }
}
