//! Operating an instance (`/healthz`, `/readyz`, `/metrics`) and the session rules a cluster
//! relies on: `initialize` never reopens a session, session ids work on their own transport
//! only, and a legacy stream whose client stops reading is closed, not thinned out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::{TestApp, databases, spawn_app};

/// Opens a legacy stream; returns it and the POST endpoint its first event names.
async fn open_legacy(app: &TestApp) -> (reqwest::Response, String) {
    let mut stream = app
        .client
        .get(format!("{}/sse", app.address))
        .bearer_auth(&app.token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut buffer = String::new();
    while !buffer.contains("event: endpoint") || !buffer.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
    let endpoint = buffer
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap()
        .to_string();
    (stream, endpoint)
}

fn legacy_post(app: &TestApp, endpoint: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .post(format!("{}{endpoint}", app.address))
        .bearer_auth(&app.token)
        .json(body)
}

#[actix_web::test]
async fn health_readiness_and_metrics_are_served() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let health: Value = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "ok");
        assert!(health["instance"].as_str().is_some_and(|i| !i.is_empty()));
        let ready = app
            .client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap();
        let status = ready.status();
        assert_eq!(status, 200, "{}", ready.text().await.unwrap());

        let session = app.initialize("2025-06-18").await;
        let call = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "get_posture", "arguments": {}}}),
            )
            .await;
        assert_eq!(call.status(), 200);
        let answered = crate::common::answer(call).await;
        assert!(answered["result"].is_object(), "{answered}");
        let unknown = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc": "2.0", "id": 2, "method": "made/up", "params": {}}),
            )
            .await;
        let refused = crate::common::answer(unknown).await;
        assert_eq!(refused["error"]["code"], -32601, "{refused}");

        let metrics = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(metrics.status(), 200);
        let text = metrics.text().await.unwrap();
        for expected in [
            "aether365_mcp_calls_total{method=\"tools/call\",tool=\"get_posture\",outcome=",
            "aether365_mcp_call_duration_seconds_bucket{",
            "aether365_scans{status=\"running\"}",
            "aether365_cluster_listener_up 1",
            "aether365_cluster_listener_reconnects 0",
            "aether365_audit_queue_depth ",
            // The calls above were audited: their commits were timed.
            "aether365_audit_commit_duration_seconds_count ",
            "# EOF",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
        assert!(
            !text.contains("made/up"),
            "a client's invented method name never becomes a label"
        );
        let open = text
            .lines()
            .find_map(|l| l.strip_prefix("aether365_mcp_sessions_open "))
            .and_then(|n| n.parse::<i64>().ok())
            .expect("the sessions gauge");
        assert!(open >= 1, "{text}");
    }
}

#[actix_web::test]
async fn initialize_never_reopens_a_session_and_ids_stay_on_their_transport() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-06-18").await;
        let again = app
            .session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc": "2.0", "id": 9, "method": "initialize", "params": {
                    "protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "tests", "version": "1"}}}),
            )
            .await;
        assert_eq!(again.status(), 400);
        assert!(again.headers().get("mcp-session-id").is_none());
        let body: Value = again.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600, "{body}");
        assert_eq!(body["id"], 9);

        // A Streamable HTTP session id names no legacy session.
        let crossed = legacy_post(
            &app,
            &format!("/messages?sessionId={session}"),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(crossed.status(), 404);

        // A legacy session id names no Streamable HTTP session; a second initialize on the
        // legacy session is answered with an error on its stream.
        let (mut stream, endpoint) = open_legacy(&app).await;
        let legacy_id = endpoint.trim_start_matches("/messages?sessionId=");
        let crossed = app
            .session_request(
                legacy_id,
                "2025-06-18",
                json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await;
        assert_eq!(crossed.status(), 404);
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "tests", "version": "1"}}});
        assert_eq!(
            legacy_post(&app, &endpoint, &init)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
        let mut second = init.clone();
        second["id"] = json!(2);
        assert_eq!(
            legacy_post(&app, &endpoint, &second)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
        let mut buffer = String::new();
        while !buffer.contains("\"id\":2") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        let answers: Vec<Value> = buffer
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        let first = answers.iter().find(|a| a["id"] == 1).unwrap();
        assert!(first["result"]["protocolVersion"].is_string(), "{first}");
        let refused = answers.iter().find(|a| a["id"] == 2).unwrap();
        assert_eq!(refused["error"]["code"], -32600, "{refused}");
    }
}

#[actix_web::test]
async fn a_legacy_client_that_stops_reading_loses_its_stream_not_its_answers() {
    let db = databases().await.into_iter().next().unwrap();
    let app = spawn_app(db).await;
    let (stream, endpoint) = open_legacy(&app).await;
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2024-11-05", "capabilities": {},
        "clientInfo": {"name": "tests", "version": "1"}}});
    assert_eq!(
        legacy_post(&app, &endpoint, &init)
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    // The client reads nothing more. It keeps sending until the server gives up on the stream
    // (the session then ends: its endpoint answers 404).
    let mut posted = 0u32;
    loop {
        posted += 1;
        assert!(posted < 20_000, "the stream was never closed");
        let status = legacy_post(
            &app,
            &endpoint,
            &json!({"jsonrpc": "2.0", "id": posted, "method": "tools/list"}),
        )
        .send()
        .await
        .unwrap()
        .status();
        if status == 404 {
            break;
        }
        assert_eq!(status, 202);
    }
    // Reading now: what was written arrives whole, then the stream ends (the client learns at
    // once instead of waiting forever).
    let mut bytes = stream.bytes_stream();
    let mut buffer = String::new();
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(30), bytes.next()).await {
            Ok(Some(Ok(chunk))) => buffer.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Some(Err(_))) | Ok(None) => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "the server closed the stream");
    let mut ids: Vec<u64> = buffer
        .split("\n\n")
        .filter_map(|event| {
            let data = event.lines().find_map(|l| l.strip_prefix("data: "))?;
            serde_json::from_str::<Value>(data).ok()?["id"].as_u64()
        })
        .collect();
    let delivered = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), delivered, "no answer twice");
    assert!(
        delivered > 64,
        "the stream carried answers until it was full"
    );
    assert!(
        (delivered as u32) < posted,
        "{delivered} answers for {posted} posts"
    );
}
