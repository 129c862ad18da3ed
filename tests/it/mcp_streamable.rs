//! Streamable HTTP, handshake era (2025-03-26, 2025-06-18, 2025-11-25).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{answer, databases, read_sse, spawn_app};
use futures_util::StreamExt;
use serde_json::{Value, json};

const VERSIONS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];

#[actix_web::test]
async fn initialize_mints_a_session_and_every_version_answers_ping_and_lists() {
    for db in databases().await {
        let app = spawn_app(db).await;
        for version in VERSIONS {
            let session = app.initialize(version).await;
            let ping = app
                .session_request(
                    &session,
                    version,
                    json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
                )
                .await;
            assert_eq!(ping.status(), 200);
            let body: Value = ping.json().await.unwrap();
            assert_eq!(body["result"], json!({}));
            for (method, key) in [
                ("tools/list", "tools"),
                ("resources/list", "resources"),
                ("resources/templates/list", "resourceTemplates"),
                ("prompts/list", "prompts"),
            ] {
                let r = app
                    .session_request(
                        &session,
                        version,
                        json!({"jsonrpc":"2.0","id":2,"method":method}),
                    )
                    .await;
                let body: Value = r.json().await.unwrap();
                assert!(
                    body["result"][key].is_array(),
                    "{method} in {version}: {body}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn session_errors_have_their_status_codes() {
    for db in databases().await {
        let app = spawn_app(db).await;
        // Missing session id: 400.
        let r = app
            .post()
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Unknown session id: 404.
        let r = app
            .session_request(
                "0123",
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
            )
            .await;
        assert_eq!(r.status(), 404);
        // Unsupported protocol version header: 400.
        let session = app.initialize("2025-06-18").await;
        let r = app
            .session_request(
                &session,
                "1999-01-01",
                json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
            )
            .await;
        assert_eq!(r.status(), 400);
        // Malformed JSON: 400 with -32700.
        let r = app
            .post()
            .header("Mcp-Session-Id", &session)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32700);
        // Wrong types: -32600.
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":true,"method":"ping"}),
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600);
        // Unknown method: -32601; bad params: -32602.
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":3,"method":"nope"}),
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32601);
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":5}}),
            )
            .await;
        let body = answer(r).await;
        assert_eq!(body["error"]["code"], -32602);
        // Unknown tool: -32602 "Unknown tool".
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"no_such_tool"}}))
            .await;
        let body = answer(r).await;
        assert_eq!(body["error"]["code"], -32602);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Unknown tool")
        );
        // A NUL in the name is answered the same way: its audit row stores it as U+FFFD,
        // where PostgreSQL would refuse the row and fail the whole audit batch with it.
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"get\0posture"}}))
            .await;
        let body = answer(r).await;
        assert_eq!(body["error"]["code"], -32602, "{body}");
        // Notifications and responses: 202.
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":"x","result":{}}),
            )
            .await;
        assert_eq!(r.status(), 202);
        // Batches only in 2025-03-26.
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!([{"jsonrpc":"2.0","id":1,"method":"ping"}]),
            )
            .await;
        assert_eq!(r.status(), 400);
        let old = app.initialize("2025-03-26").await;
        let r = app
            .session_request(&old, "2025-03-26", json!([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body.as_array().unwrap().len(), 2);
        // Unsupported HTTP method: 405.
        let r = app
            .client
            .put(format!("{}/mcp", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        // DELETE ends the session; then 404.
        let r = app
            .client
            .delete(format!("{}/mcp", app.address))
            .bearer_auth(&app.token)
            .header("Mcp-Session-Id", &session)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
            )
            .await;
        assert_eq!(r.status(), 404);
    }
}

#[actix_web::test]
async fn tool_argument_errors_are_results_in_every_version() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-11-25").await;
        let r = app
            .session_request(&session, "2025-11-25", json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_error_handling","arguments":{}}}))
            .await;
        let messages = read_sse(r, Duration::from_secs(5), |m| m.get("id").is_some()).await;
        let answer = messages.last().unwrap();
        assert_eq!(answer["result"]["isError"], true);
        // Our own tools' argument errors are results in every version, so the model can
        // correct itself.
        for version in VERSIONS {
            let session = app.initialize(version).await;
            let r = app
                .session_request(
                    &session,
                    version,
                    json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
                    "params":{"name":"list_findings","arguments":{"severity":"dreadful"}}}),
                )
                .await;
            let messages = read_sse(r, Duration::from_secs(5), |m| m.get("id").is_some()).await;
            let body = messages.last().unwrap();
            assert_eq!(body["result"]["isError"], true, "{version}: {body}");
            let text = body["result"]["content"][0]["text"].as_str().unwrap();
            assert!(text.contains("severity"), "{version}: {text}");
        }
    }
}

#[actix_web::test]
async fn progress_and_logs_travel_on_the_post_stream_and_each_call_is_audited_once() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let before = app.audit_rows().await.len();
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":7,"method":"tools/call",
                "params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"p1"}}}))
            .await;
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        assert_eq!(r.headers()["x-accel-buffering"], "no");
        let messages = read_sse(r, Duration::from_secs(5), |m| m.get("id").is_some()).await;
        let progress: Vec<&Value> = messages
            .iter()
            .filter(|m| m["method"] == "notifications/progress")
            .collect();
        assert_eq!(progress.len(), 3, "{messages:?}");
        assert_eq!(progress[0]["params"]["progressToken"], "p1");
        assert_eq!(messages.last().unwrap()["id"], 7);
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":8,"method":"tools/call",
                "params":{"name":"test_tool_with_logging","arguments":{}}}),
            )
            .await;
        let messages = read_sse(r, Duration::from_secs(5), |m| m.get("id").is_some()).await;
        assert_eq!(
            messages
                .iter()
                .filter(|m| m["method"] == "notifications/message")
                .count(),
            3
        );
        let rows = app.audit_rows().await;
        let calls: Vec<_> = rows[..rows.len() - before]
            .iter()
            .filter(|r| r.action == "mcp.tools/call")
            .collect();
        assert_eq!(calls.len(), 2);
        assert!(
            calls
                .iter()
                .any(|r| r.tool.as_deref() == Some("test_tool_with_progress"))
        );
        assert_eq!(calls[0].outcome, "ok");
    }
}

#[actix_web::test]
async fn cancellation_aborts_a_running_request() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let call = app.session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":"slow","method":"tools/call",
            "params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"c"}}})).await;
        assert_eq!(call.status(), 200);
        let mut stream = call.bytes_stream();
        let mut seen = String::new();
        // The call is running once its first progress notification arrived.
        while !seen.contains("notifications/progress") {
            let chunk = stream
                .next()
                .await
                .expect("the stream lasts until the answer");
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
        let cancel = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","method":"notifications/cancelled",
                "params":{"requestId":"slow","reason":"test"}}),
            )
            .await;
        assert_eq!(cancel.status(), 202);
        // The server ends the stream of a cancelled call without an answer: read to its end.
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
        assert!(!seen.contains("\"result\""), "{seen}");
    }
}

#[actix_web::test]
async fn get_stream_resumes_with_last_event_id_and_revocation_closes_it() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let open = |last: Option<&str>| {
            let mut r = app
                .client
                .get(format!("{}/mcp", app.address))
                .bearer_auth(&app.token)
                .header("Accept", "text/event-stream")
                .header("Mcp-Session-Id", &session)
                .header("MCP-Protocol-Version", "2025-06-18");
            if let Some(last) = last {
                r = r.header("Last-Event-ID", last);
            }
            r.send()
        };
        let stream = open(None).await.unwrap();
        assert_eq!(stream.status(), 200);
        // Missing session on GET: 400.
        let r = app
            .client
            .get(format!("{}/mcp", app.address))
            .bearer_auth(&app.token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Revocation closes the open stream within a second or so.
        aether365_actors::tokens::revoke_token(&app.testdb.db, None, app.token_id)
            .await
            .unwrap();
        // The server closes it: reading ends (keep-alive comments flow until then).
        let mut body = stream.bytes_stream();
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
        let r = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
            )
            .await;
        assert_eq!(r.status(), 401);
    }
}

#[actix_web::test]
async fn resource_reads_are_audited_and_unknown_resources_are_not_found() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://static-text"}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"]["contents"][0]["uri"], "test://static-text");
        let rows = app.audit_rows().await;
        assert!(
            rows.iter()
                .any(|r| r.action == "mcp.resources/read" && r.outcome == "ok")
        );
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"aether365://scans/999999"}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["code"] == -32002 || body["error"]["code"] == -32602,
            "{body}"
        );
        let r = app
            .session_request(&session, "2025-06-18", json!({"jsonrpc":"2.0","id":3,"method":"resources/subscribe","params":{"uri":"test://watched-resource"}}))
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"], json!({}));
    }
}

#[actix_web::test]
async fn findings_exports_are_resources_scoped_and_audited() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let (id, total, passed) = crate::dashboard::stored_sample_scan(
            &app.testdb.db,
            app.organisation_id,
            app.tenant_id,
        )
        .await;
        let session = app.initialize("2025-06-18").await;
        let mut next = 0;
        let mut call = |method: &str, params: Value| {
            next += 1;
            let message = json!({"jsonrpc":"2.0","id":next,"method":method,"params":params});
            let (app, session) = (&app, &session);
            async move {
                let r = app.session_request(session, "2025-06-18", message).await;
                r.json::<Value>().await.unwrap()
            }
        };

        let templates = call("resources/templates/list", json!({})).await;
        let listed: Vec<&str> = templates["result"]["resourceTemplates"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["uriTemplate"].as_str())
            .collect();
        for t in [
            "aether365://scans/{id}/findings.sarif",
            "aether365://scans/{id}/findings.ocsf.json",
            "aether365://scans/{id}/findings.csv",
        ] {
            assert!(listed.contains(&t), "{listed:?}");
        }

        let audited_before = app
            .audit_rows()
            .await
            .iter()
            .filter(|r| r.action == "mcp.resources/read")
            .count();
        let read = |format: &str| format!("aether365://scans/{id}/findings.{format}");
        let body = call("resources/read", json!({"uri": read("sarif")})).await;
        let content = &body["result"]["contents"][0];
        assert_eq!(content["uri"], read("sarif"), "{body}");
        assert_eq!(content["mimeType"], "application/sarif+json");
        let log: Value = serde_json::from_str(content["text"].as_str().unwrap()).unwrap();
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(
            log["runs"][0]["results"].as_array().unwrap().len(),
            total - passed
        );

        let body = call("resources/read", json!({"uri": read("ocsf.json")})).await;
        let content = &body["result"]["contents"][0];
        assert_eq!(content["mimeType"], "application/json");
        let events: Value = serde_json::from_str(content["text"].as_str().unwrap()).unwrap();
        assert_eq!(events.as_array().unwrap().len(), total);
        assert!(
            events
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["class_uid"] == 2003)
        );

        let body = call("resources/read", json!({"uri": read("csv")})).await;
        let content = &body["result"]["contents"][0];
        assert!(
            content["mimeType"]
                .as_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = content["text"].as_str().unwrap();
        assert!(text.starts_with("check_id,title,service,severity,status,"));
        assert_eq!(
            text.split("\r\n")
                .filter(|l| l.starts_with("A365-"))
                .count(),
            total
        );

        // Another organisation's scan, a missing scan, an unknown format and a malformed id all
        // answer alike: the resource does not exist.
        let (other, other_tenant) = crate::common::other_organisation(&app.testdb.db).await;
        let (theirs, _, _) =
            crate::dashboard::stored_sample_scan(&app.testdb.db, other.id, other_tenant.id).await;
        let mut errors = Vec::new();
        for uri in [
            format!("aether365://scans/{theirs}/findings.sarif"),
            "aether365://scans/999999/findings.sarif".to_string(),
            format!("aether365://scans/{id}/findings.xml"),
            "aether365://scans/x/findings.csv".to_string(),
        ] {
            let body = call("resources/read", json!({"uri": uri})).await;
            let error = &body["error"];
            assert!(error.is_object(), "{uri}: {body}");
            errors.push((
                error["code"].clone(),
                error["message"].as_str().unwrap().replace(&uri, "URI"),
            ));
        }
        assert!(errors.windows(2).all(|w| w[0] == w[1]), "{errors:?}");

        // Every read, answered or refused, has its audit row.
        let audited = app
            .audit_rows()
            .await
            .iter()
            .filter(|r| r.action == "mcp.resources/read")
            .count();
        assert_eq!(audited - audited_before, 7);

        // The templates' scan ids complete like those of aether365://scans/{id}.
        let body = call(
            "completion/complete",
            json!({
                "ref": {"type": "ref/resource", "uri": "aether365://scans/{id}/findings.csv"},
                "argument": {"name": "id", "value": ""}
            }),
        )
        .await;
        let values = body["result"]["completion"]["values"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert!(values.contains(&json!(id.to_string())), "{body}");
    }
}
