//! start_scan: progress, tasks (2025-11-25 and the 2026-07-28 extension), resource updates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{TestApp, answer, databases, envelope, read_sse, spawn_app};
use serde_json::{Value, json};

#[actix_web::test]
async fn start_scan_with_a_progress_token_streams_progress_until_the_scan_ends() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
                "name":"start_scan","arguments":{"tenant": app.tenant_id.to_string(), "kind":"compliance"},
                "_meta":{"progressToken":"scan"}}}))
            .await;
        let messages = read_sse(r, Duration::from_secs(30), |m| m.get("id").is_some()).await;
        let progress: Vec<&Value> = messages
            .iter()
            .filter(|m| m["method"] == "notifications/progress")
            .collect();
        assert!(!progress.is_empty(), "{messages:?}");
        let last = progress.last().unwrap();
        assert_eq!(last["params"]["progress"], last["params"]["total"]);
        assert_eq!(
            messages.last().unwrap()["result"]["isError"],
            false,
            "{messages:?}"
        );
    }
}

#[actix_web::test]
async fn start_scan_runs_as_a_task_in_2025_11_25() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let v = "2025-11-25";
        let session = app.initialize(v).await;
        let r = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
                "name":"start_scan","arguments":{"tenant": app.tenant_id.to_string()},"task":{"ttl":60000}}}))
            .await;
        let body = answer(r).await;
        let task = &body["result"]["task"];
        let task_id = task["taskId"].as_str().expect("a task").to_string();
        assert!(task["pollInterval"].is_u64());
        let r = app
            .session_request(
                &session,
                v,
                json!({"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId": task_id}}),
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"]["taskId"], task_id.as_str());
        let r = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":3,"method":"tasks/result","params":{"taskId": task_id}}))
            .await;
        let body = answer(r).await;
        assert_eq!(
            body["result"]["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
            task_id.as_str()
        );
        let r = app
            .session_request(
                &session,
                v,
                json!({"jsonrpc":"2.0","id":4,"method":"tasks/list"}),
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"]["tasks"][0]["status"], "completed", "{body}");
        let r = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":5,"method":"tasks/get","params":{"taskId": "scan-999999"}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32602);
    }
}

#[actix_web::test]
async fn subscribers_of_a_scan_resource_hear_of_its_completion() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let v = "2025-06-18";
        let session = app.initialize(v).await;
        let stream = event_stream(&app, &session, v).await;
        let r = app
            .session_request(
                &session,
                v,
                json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
                "name":"start_scan","arguments":{"tenant": app.tenant_id.to_string()}}}),
            )
            .await;
        let body = answer(r).await;
        let scan_id = body["result"]["structuredContent"]["scan"]["id"]
            .as_i64()
            .or_else(|| body["result"]["structuredContent"]["scan_id"].as_i64())
            .unwrap_or_else(|| panic!("a scan id in {body}"));
        let uri = format!("aether365://scans/{scan_id}");
        let r = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri": uri}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"], json!({}), "{body}");
        let messages = read_sse(stream, Duration::from_secs(30), |m| {
            m["method"] == "notifications/resources/updated"
        })
        .await;
        let updated = messages.last().unwrap();
        assert_eq!(updated["params"]["uri"], uri.as_str(), "{messages:?}");
    }
}

/// A tenant's posture is a resource: readable in scope, not found out of scope, and its
/// subscribers hear when any scan of the tenant completes (here one started by another
/// session).
#[actix_web::test]
async fn subscribers_of_a_tenant_posture_hear_of_each_completed_scan() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let (_, foreign) = crate::common::other_organisation(&app.testdb.db).await;
        let v = "2025-06-18";
        let session = app.initialize(v).await;
        let uri = format!("aether365://tenants/{}/posture", app.tenant_id);
        let read = |id: i64, uri: String| json!({"jsonrpc":"2.0","id":id,"method":"resources/read","params":{"uri": uri}});
        let body: Value = app
            .session_request(&session, v, read(1, uri.clone()))
            .await
            .json()
            .await
            .unwrap();
        let text = body["result"]["contents"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"));
        let posture: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            posture["tenants"][0]["tenant"]["id"], app.tenant_id,
            "{posture}"
        );
        let foreign_uri = format!("aether365://tenants/{}/posture", foreign.id);
        for (id, request) in [
            (2, read(2, foreign_uri.clone())),
            (
                3,
                json!({"jsonrpc":"2.0","id":3,"method":"resources/subscribe","params":{"uri": foreign_uri}}),
            ),
        ] {
            let body: Value = app
                .session_request(&session, v, request)
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(body["id"], id);
            assert!(
                body["error"].is_object(),
                "another organisation's tenant: {body}"
            );
            assert!(!body.to_string().contains("Fabrikam"), "{body}");
        }
        let templates: Value = app
            .session_request(
                &session,
                v,
                json!({"jsonrpc":"2.0","id":4,"method":"resources/templates/list"}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            templates
                .to_string()
                .contains("aether365://tenants/{id}/posture"),
            "{templates}"
        );

        let stream = event_stream(&app, &session, v).await;
        let body: Value = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":5,"method":"resources/subscribe","params":{"uri": uri}}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["result"], json!({}), "{body}");
        // Another session starts the scan: the subscriber did not ask for it.
        let other = app.initialize(v).await;
        let started = answer(
            app.session_request(
                &other,
                v,
                json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{
                "name":"start_scan","arguments":{"tenant": app.tenant_id.to_string()}}}),
            )
            .await,
        )
        .await;
        assert_eq!(started["result"]["isError"], false, "{started}");
        let messages = read_sse(stream, Duration::from_secs(30), |m| {
            m["method"] == "notifications/resources/updated"
        })
        .await;
        let updates: Vec<&Value> = messages
            .iter()
            .filter(|m| m["method"] == "notifications/resources/updated")
            .collect();
        assert_eq!(updates.len(), 1, "{messages:?}");
        assert_eq!(updates[0]["params"]["uri"], uri.as_str(), "{messages:?}");
    }
}

/// A session that started a scan and subscribes to it only after it finished still hears of
/// its completion (the subscription asks for the final event again; it used to be lost when
/// the session had already followed the scan as its task).
#[actix_web::test]
async fn subscribing_to_a_scan_that_already_finished_still_notifies() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let v = "2025-06-18";
        let session = app.initialize(v).await;
        let stream = event_stream(&app, &session, v).await;
        let call = |id: i64, name: &str, arguments: Value| json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":name,"arguments":arguments}});
        let started = answer(
            app.session_request(
                &session,
                v,
                call(
                    1,
                    "start_scan",
                    json!({"tenant": app.tenant_id.to_string()}),
                ),
            )
            .await,
        )
        .await;
        let scan_id = started["result"]["structuredContent"]["scan_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("a scan id in {started}"));
        // Wait (by asking, as an assistant would) until the scan has finished.
        let mut id = 10;
        loop {
            id += 1;
            let scan = answer(
                app.session_request(&session, v, call(id, "get_scan", json!({"scan": scan_id})))
                    .await,
            )
            .await;
            let status = scan["result"]["structuredContent"]["scan"]["status"].clone();
            if status == "completed" || status == "failed" {
                break;
            }
            assert!(id < 10_000, "scan {scan_id} never finished: {scan}");
            tokio::task::yield_now().await;
        }
        let uri = format!("aether365://scans/{scan_id}");
        let r = app
            .session_request(&session, v, json!({"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri": uri}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"], json!({}), "{body}");
        let messages = read_sse(stream, Duration::from_secs(30), |m| {
            m["method"] == "notifications/resources/updated"
        })
        .await;
        let updated = messages
            .iter()
            .find(|m| m["method"] == "notifications/resources/updated")
            .unwrap_or_else(|| panic!("no resources/updated in {messages:?}"));
        assert_eq!(updated["params"]["uri"], uri.as_str(), "{messages:?}");
    }
}

#[actix_web::test]
async fn start_scan_returns_a_task_to_2026_clients_with_the_extension() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let mut meta = envelope();
        meta["io.modelcontextprotocol/clientCapabilities"] =
            json!({"extensions": {"io.modelcontextprotocol/tasks": {}}});
        let call = |id: i64, method: &str, name: Option<&str>, mut params: Value| {
            params["_meta"] = meta.clone();
            let mut r = app
                .post()
                .header("MCP-Protocol-Version", "2026-07-28")
                .header("Mcp-Method", method);
            if let Some(name) = name {
                r = r.header("Mcp-Name", name);
            }
            r.json(&json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
                .send()
        };
        let r = call(
            1,
            "tools/call",
            Some("start_scan"),
            json!({"name":"start_scan","arguments":{"tenant": app.tenant_id.to_string()}}),
        )
        .await
        .unwrap();
        let body = answer(r).await;
        assert_eq!(body["result"]["resultType"], "task", "{body}");
        let task_id = body["result"]["taskId"].as_str().unwrap().to_string();
        let mut status = String::new();
        for _ in 0..100 {
            let r = call(2, "tasks/get", None, json!({"taskId": task_id}))
                .await
                .unwrap();
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["result"]["resultType"], "complete");
            status = body["result"]["status"].as_str().unwrap().to_string();
            if status != "working" {
                assert!(
                    body["result"]["result"].is_object() || body["result"]["error"].is_object()
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, "completed");
        let rows = app.audit_rows().await;
        assert_eq!(
            rows.iter().filter(|r| r.action == "mcp.tools/call").count(),
            1
        );
    }
}

/// The session's GET event stream (Streamable HTTP).
async fn event_stream(app: &TestApp, session: &str, version: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/mcp", app.address))
        .bearer_auth(&app.token)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", version)
        .send()
        .await
        .unwrap()
}
