//! Defences against hostile clients: nothing is read for strangers, bodies have a deadline,
//! errors keep the protocol's format, and URLs never come from request headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Options, SseReader, databases, spawn_app, spawn_app_with};

/// Guards against a hang only (a failure, not a bound on how fast the server is).
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Sends `head` and the first bytes of a body much longer than announced, then reads until
/// the server closes the connection; answers the status line and the body.
async fn trickle(port: u16, head: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"jsonrpc\":\"2.0\",").await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(HANG_GUARD, stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes without waiting for the body")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

fn post_head(port: u16, authorization: Option<&str>) -> String {
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
    )
}

#[actix_web::test]
async fn strangers_are_refused_before_their_body_is_read() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let wrong = format!("Bearer a365_{}_{}", "Q".repeat(12), "x".repeat(43));
        for authorization in [None, Some("Bearer nonsense"), Some(wrong.as_str())] {
            let (status, body) = trickle(app.port, &post_head(app.port, authorization)).await;
            assert!(status.contains(" 401 "), "{authorization:?}: {status}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert!(body["error"].is_string(), "{body}");
        }
    }
}

#[actix_web::test]
async fn a_body_that_does_not_arrive_in_time_is_a_json_rpc_408() {
    for db in databases().await {
        let app = spawn_app_with(
            db,
            Options {
                server: Some(|config| config.body_timeout = Duration::from_millis(200)),
                ..Options::default()
            },
        )
        .await;
        let bearer = format!("Bearer {}", app.token);
        let (status, body) = trickle(app.port, &post_head(app.port, Some(&bearer))).await;
        assert!(status.contains(" 408 "), "{status}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["id"], Value::Null);
        assert_eq!(body["error"]["code"], -32600, "{body}");
        // The next client is served as usual.
        let r = app
            .post()
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "no session: the server is still answering");
    }
}

#[actix_web::test]
async fn extractor_errors_keep_the_json_rpc_format() {
    for db in databases().await {
        let app = spawn_app_with(
            db,
            Options {
                max_body_bytes: Some(4096),
                ..Options::default()
            },
        )
        .await;
        let huge = "x".repeat(10_000);
        let r = app
            .post()
            .header("Content-Type", "application/json")
            .body(format!("{{\"pad\":\"{huge}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["error"]["code"], -32600, "{body}");
        // A query string the legacy endpoint cannot read.
        let r = app
            .client
            .post(format!("{}/messages?sessionId=a&sessionId=b", app.address))
            .bearer_auth(&app.token)
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
    }
}

#[actix_web::test]
async fn urls_come_from_configuration_never_from_request_headers() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", app.address);
        for (name, value) in [
            ("Host", "localhost:1"),
            ("X-Forwarded-Host", "evil.example\", x=\"y"),
            ("Forwarded", "host=evil.example;proto=https"),
        ] {
            let r = app
                .client
                .post(format!("{}/mcp", app.address))
                .header(name, value)
                .header("X-Forwarded-Proto", "https")
                .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{name}");
            let challenge = r.headers()["www-authenticate"].to_str().unwrap();
            assert_eq!(
                challenge,
                format!("Bearer resource_metadata=\"{metadata_url}\", scope=\"mcp\""),
                "{name}: {value}"
            );
            let body: Value = app
                .client
                .get(&metadata_url)
                .header(name, value)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["resource"], format!("{}/mcp", app.address), "{name}");
        }
    }
}

#[actix_web::test]
async fn quotas_bound_batches_and_calls_per_second() {
    for db in databases().await {
        let app = spawn_app_with(
            db,
            Options {
                server: Some(|config| {
                    config.quotas.token_calls_per_second = 1;
                    config.quotas.max_batch = 3;
                }),
                ..Options::default()
            },
        )
        .await;
        let ping = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
        let r = app
            .post()
            .json(&json!([ping, ping, ping, ping]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32600, "{body}");
        assert_eq!(body["error"]["data"]["maxBatch"], 3, "{body}");
        // One call per second: of twenty at once, nearly all are refused, with Retry-After.
        let answers =
            futures_util::future::join_all((0..20).map(|_| app.post().json(&ping).send())).await;
        let refused: Vec<_> = answers
            .into_iter()
            .map(Result::unwrap)
            .filter(|r| r.status() == 429)
            .collect();
        assert!(refused.len() >= 15, "{} refused", refused.len());
        for r in refused {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1, "{retry}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["jsonrpc"], "2.0");
            assert_eq!(body["error"]["code"], -32029, "{body}");
            assert!(body["error"]["data"]["retryAfterSeconds"].as_u64().unwrap() >= 1);
        }
    }
}

/// Ids of every form a client may send: each must come back byte for byte.
const IDS: [&str; 10] = [
    "18446744073709551616",
    "12345678901234567890123",
    "-9223372036854775809",
    "-7",
    "1.5",
    "-2.50",
    "1e400",
    "6.02E+23",
    r#""a string""#,
    r#""\u00e9\"quoted\"""#,
];

/// Reads SSE events as raw text until one contains `needle`; answers that event.
async fn raw_event(reader: &mut SseReader, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + HANG_GUARD;
    loop {
        let event = reader.next_event(deadline).await.expect("an event arrives");
        if event.contains(needle) {
            return event;
        }
    }
}

#[actix_web::test]
async fn ids_are_echoed_exactly_as_sent_on_every_transport() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let raw_post = |version: &'static str, session: Option<String>, body: String| {
            let mut request = app
                .post()
                .header("MCP-Protocol-Version", version)
                .header("Content-Type", "application/json");
            if let Some(session) = session {
                request = request.header("Mcp-Session-Id", session);
            }
            request.body(body).send()
        };
        let session = app.initialize("2025-03-26").await;
        let envelope = crate::common::envelope().to_string();
        for id in IDS {
            let echoed = format!(r#"{{"jsonrpc":"2.0","id":{id},"#);
            // Stateless era: an answer and an error.
            for method in ["server/discover", "no/such"] {
                let body = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{"_meta":{envelope}}}}}"#
                );
                let r = app
                    .post()
                    .header("MCP-Protocol-Version", "2026-07-28")
                    .header("Mcp-Method", method)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let text = r.text().await.unwrap();
                assert!(text.starts_with(&echoed), "{method} {id}: {text}");
            }
            // Handshake era: initialize, a request in the session and a batch.
            let init = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{{"protocolVersion":"2025-06-18","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
            );
            let text = raw_post("2025-06-18", None, init)
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.starts_with(&echoed), "initialize {id}: {text}");
            let ping = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
            let text = raw_post("2025-03-26", Some(session.clone()), ping.clone())
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.starts_with(&echoed), "ping {id}: {text}");
            let bad = format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":7}}}}"#
            );
            let text = raw_post(
                "2025-03-26",
                Some(session.clone()),
                format!("[{ping},{bad}]"),
            )
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
            assert!(
                text.starts_with(&format!("[{echoed}")),
                "batch {id}: {text}"
            );
            assert_eq!(text.matches(&echoed).count(), 2, "batch {id}: {text}");
            // A message that is no valid request still gets its id back.
            let invalid = format!(r#"{{"jsonrpc":"1.0","id":{id},"method":"ping"}}"#);
            let text = raw_post("2025-03-26", Some(session.clone()), invalid)
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(text.starts_with(&echoed), "invalid {id}: {text}");
        }
        // Legacy HTTP+SSE: answers travel on the stream.
        let stream = app
            .client
            .get(format!("{}/sse", app.address))
            .bearer_auth(&app.token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        let mut reader = SseReader::new(stream);
        let endpoint = raw_event(&mut reader, "event: endpoint").await;
        let endpoint = endpoint
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap()
            .to_string();
        for (n, id) in IDS.iter().enumerate() {
            let body = if n == 0 {
                format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{{"protocolVersion":"2024-11-05","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
                )
            } else {
                format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)
            };
            let r = app
                .client
                .post(format!("{}{endpoint}", app.address))
                .bearer_auth(&app.token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
            let event = raw_event(&mut reader, "\"result\"").await;
            assert!(
                event.contains(&format!(r#"data: {{"jsonrpc":"2.0","id":{id},"#)),
                "legacy {id}: {event}"
            );
        }
        // A listener's notifications name its subscription by the listen request's id.
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1e400,"method":"subscriptions/listen","params":{{"notifications":{{"toolsListChanged":true}},"_meta":{envelope}}}}}"#
        );
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "subscriptions/listen")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let mut reader = SseReader::new(r);
        let event = raw_event(&mut reader, "acknowledged").await;
        assert!(
            event.contains(r#""io.modelcontextprotocol/subscriptionId":1e400"#),
            "{event}"
        );
    }
}

/// A scan some other instance runs (its lease far ahead, so nobody here claims it).
async fn running_elsewhere(
    app: &crate::common::TestApp,
    tenant_id: i64,
    kind: &str,
    token_id: Option<i64>,
) -> i64 {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let now = chrono::Utc::now();
    let row = aether365_entities::scan::ActiveModel {
        organisation_id: Set(app.organisation_id),
        tenant_id: Set(tenant_id),
        kind: Set(kind.into()),
        origin: Set(if token_id.is_some() {
            "mcp"
        } else {
            "dashboard"
        }
        .into()),
        requested_by_token_id: Set(token_id),
        ai_pilot: Set(false),
        status: Set("running".into()),
        progress_done: Set(0),
        progress_total: Set(0),
        created_at: Set(now),
        started_at: Set(Some(now)),
        lease_owner: Set(Some("another-instance".into())),
        lease_expires_at: Set(Some(now + chrono::Duration::hours(1))),
        ..Default::default()
    };
    row.insert(&app.testdb.db).await.unwrap().id
}

async fn start_scan(app: &crate::common::TestApp, token: &str, tenant: &str, kind: &str) -> Value {
    let mut params = json!({"name": "start_scan", "arguments": {"tenant": tenant, "kind": kind}});
    params["_meta"] = crate::common::envelope();
    let r = app
        .client
        .post(format!("{}/mcp", app.address))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "start_scan")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["result"].clone()
}

#[actix_web::test]
async fn concurrent_scans_are_bounded_per_token_and_organisation() {
    use aether365_actors::directory::{self, NewTenant};
    use aether365_actors::tokens::{self, Expiry};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    for db in databases().await {
        let app = spawn_app_with(
            db,
            Options {
                backend: Some(|config| {
                    config.scans.quota = aether365_actors::scans::ScanQuota {
                        per_token: 2,
                        per_organisation: 3,
                    };
                }),
                ..Options::default()
            },
        )
        .await;
        let mut tenants = Vec::new();
        for name in ["Northwind", "Tailspin", "Litware"] {
            let tenant = directory::add_tenant(
                &app.testdb.db,
                app.organisation_id,
                NewTenant {
                    display_name: name.into(),
                    microsoft_tenant_id: None,
                    domains: vec![format!("{}.example", name.to_lowercase())],
                },
            )
            .await
            .unwrap();
            tenants.push(tenant.id);
        }
        // The token has two scans under way (on other instances: counted from the database).
        let first = running_elsewhere(&app, app.tenant_id, "compliance", Some(app.token_id)).await;
        running_elsewhere(&app, tenants[0], "exposure", Some(app.token_id)).await;
        let refused = start_scan(&app, &app.token, "Tailspin", "exposure").await;
        assert_eq!(refused["isError"], true, "{refused}");
        let text = refused["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("this token") && text.contains("quota is 2") && text.contains("30 s"),
            "{text}"
        );
        // The scan already under way is returned, quota or not.
        let existing = start_scan(&app, &app.token, "Contoso Ltd", "compliance").await;
        assert_eq!(
            existing["structuredContent"]["scan_id"], first,
            "{existing}"
        );
        assert_eq!(existing["structuredContent"]["existing"], true);
        // Another token of the organisation may start one: three in all, the organisation's
        // quota; then it is refused too, naming the organisation.
        let second = tokens::create_token(
            &app.testdb.db,
            &app.backend.token_key,
            app.organisation_id,
            "second",
            Expiry::Days90,
            aether365_actors::TenantScope::All,
            None,
        )
        .await
        .unwrap();
        running_elsewhere(&app, tenants[1], "compliance", None).await;
        let refused = start_scan(&app, &second.token, "Litware", "exposure").await;
        assert_eq!(refused["isError"], true, "{refused}");
        let text = refused["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("this organisation") && text.contains("quota is 3"),
            "{text}"
        );
        // The dashboard counts against the organisation: 429 problem details, Retry-After.
        let owner = crate::dashboard::sign_in(&app, "owner@contoso.example", "owner").await;
        let r = owner
            .post(
                &app,
                "/api/v1/scans",
                json!({"tenant_id": tenants[2], "kind": "exposure"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "30");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["error"], "over_quota", "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("quota is 3"),
            "{problem}"
        );
        // A scan that finishes frees its place at once.
        let mut done: aether365_entities::scan::ActiveModel =
            aether365_entities::scan::Entity::find_by_id(first)
                .one(&app.testdb.db)
                .await
                .unwrap()
                .unwrap()
                .into();
        done.status = Set("completed".into());
        done.finished_at = Set(Some(chrono::Utc::now()));
        done.update(&app.testdb.db).await.unwrap();
        let started = start_scan(&app, &second.token, "Litware", "exposure").await;
        assert_ne!(started["isError"], true, "{started}");
        assert_eq!(started["structuredContent"]["existing"], false, "{started}");
    }
}
