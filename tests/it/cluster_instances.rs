//! Three instances on one PostgreSQL schema (each with its own pool, cluster listener, scan
//! manager and HTTP server): a scan started through one notifies sessions on the other two, and
//! a token revoked once closes its streams on all three.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use aether365::http::{Application, ServerConfig};
use aether365_actors::Backend;
use aether365_actors::exposure::DnsConfig;
use aether365_actors::system::BackendConfig;
use aether365_actors::{db, testkit, tokens};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::{TestApp, answer, collector_for, read_sse, spawn_app};

const V: &str = "2025-06-18";

/// Another instance on `first`'s database, reading the same Microsoft stand-in; its address.
async fn another_instance(first: &TestApp, instance_id: &str) -> (String, Backend) {
    let db = db::open(&first.testdb.url).await.unwrap();
    let mut config = BackendConfig {
        instance_id: instance_id.to_string(),
        ..BackendConfig::default()
    };
    // Instances of one deployment share the token key (it lives outside the database).
    config.tokens.key = first.backend.token_key.clone();
    config.scans.collector = Some(collector_for(&first.standin));
    config.scans.dns = DnsConfig {
        nameserver: Some(first.dns.addr()),
        timeout: Duration::from_secs(2),
        mta_sts_url: first.dns.mta_sts_url(),
        ..DnsConfig::default()
    };
    let backend = Backend::start(db, config);
    backend.bus.ready().await;
    let app = Application::build(
        ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            keep_alive: Duration::from_secs(1),
            ..ServerConfig::default()
        },
        backend.clone(),
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    (address, backend)
}

/// A handshake session on the instance at `address`, with its GET stream open.
async fn session_with_stream(app: &TestApp, address: &str) -> (String, reqwest::Response) {
    let init = app
        .client
        .post(format!("{address}/mcp"))
        .bearer_auth(&app.token)
        .header("Accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": V, "capabilities": {},
            "clientInfo": {"name": "tests", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let stream = app
        .client
        .get(format!("{address}/mcp"))
        .bearer_auth(&app.token)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", V)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    (session, stream)
}

async fn request(app: &TestApp, address: &str, session: &str, message: Value) -> Value {
    let response = app
        .client
        .post(format!("{address}/mcp"))
        .bearer_auth(&app.token)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", V)
        .json(&message)
        .send()
        .await
        .unwrap();
    answer(response).await
}

#[actix_web::test]
async fn a_scan_started_through_one_instance_notifies_sessions_on_the_other_two() {
    let Some(pg) = testkit::postgres().await.unwrap() else {
        return;
    };
    let first = spawn_app(pg).await;
    first.backend.bus.ready().await;
    let (second, _b2) = another_instance(&first, "instance-2").await;
    let (third, _b3) = another_instance(&first, "instance-3").await;

    let (s1, _stream1) = session_with_stream(&first, &first.address).await;
    let started = request(
        &first,
        &first.address,
        &s1,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "start_scan", "arguments": {"tenant": first.tenant_id.to_string()}}}),
    )
    .await;
    let scan_id = started["result"]["structuredContent"]["scan"]["id"]
        .as_i64()
        .or_else(|| started["result"]["structuredContent"]["scan_id"].as_i64())
        .unwrap_or_else(|| panic!("a scan id in {started}"));
    let uri = format!("aether365://scans/{scan_id}");

    let mut followers = Vec::new();
    for address in [&second, &third] {
        let (session, stream) = session_with_stream(&first, address).await;
        let subscribed = request(
            &first,
            address,
            &session,
            json!({"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe",
                   "params": {"uri": uri}}),
        )
        .await;
        assert_eq!(subscribed["result"], json!({}), "{subscribed}");
        followers.push(stream);
    }
    for stream in followers {
        let messages = read_sse(stream, Duration::from_secs(60), |m| {
            m["method"] == "notifications/resources/updated"
        })
        .await;
        let updated = messages.last().unwrap_or(&Value::Null);
        assert_eq!(updated["method"], "notifications/resources/updated");
        assert_eq!(updated["params"]["uri"], uri.as_str(), "{messages:?}");
    }
}

#[actix_web::test]
async fn a_revoked_token_loses_its_streams_on_every_instance() {
    let Some(pg) = testkit::postgres().await.unwrap() else {
        return;
    };
    let first = spawn_app(pg).await;
    first.backend.bus.ready().await;
    let (second, _b2) = another_instance(&first, "instance-2").await;
    let (third, _b3) = another_instance(&first, "instance-3").await;
    let mut streams = Vec::new();
    for address in [&first.address, &second, &third] {
        streams.push(session_with_stream(&first, address).await.1);
    }
    let revoked_at = Instant::now();
    tokens::revoke_token(
        &first.testdb.db,
        Some(first.organisation_id),
        first.token_id,
    )
    .await
    .unwrap();
    let mut slowest = Duration::ZERO;
    for stream in streams {
        let mut bytes = stream.bytes_stream();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), bytes.next()).await {
                Ok(Some(Ok(_keep_alive))) => continue,
                Ok(Some(Err(_)) | None) => break,
                Err(_) => panic!("a stream of the revoked token stayed open"),
            }
        }
        slowest = slowest.max(revoked_at.elapsed());
    }
    // The figure for the record (issue: within a second); not asserted, so a loaded machine
    // cannot make the test flaky.
    eprintln!("revocation closed the streams on three instances within {slowest:?}");
}
