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

use crate::common::{SseReader, TestApp, answer, collector_for, read_sse, spawn_app};

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

/// On PostgreSQL: a test app and, beside it, one more instance per name (address and
/// backend); `None` without PostgreSQL.
async fn cluster<const N: usize>(names: [&str; N]) -> Option<(TestApp, [(String, Backend); N])> {
    let pg = testkit::postgres().await.unwrap()?;
    let first = spawn_app(pg).await;
    first.backend.bus.ready().await;
    let mut others = Vec::with_capacity(N);
    for name in names {
        others.push(another_instance(&first, name).await);
    }
    let others: [(String, Backend); N] = others.try_into().ok()?;
    Some((first, others))
}

/// Initializes a handshake session on the instance at `address`; its id.
async fn initialize_at(app: &TestApp, address: &str, capabilities: Value) -> String {
    let init = app
        .post_to(address)
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": V, "capabilities": capabilities,
            "clientInfo": {"name": "tests", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string()
}

/// A POST in `session` to the instance at `address`.
fn in_session(app: &TestApp, address: &str, session: &str) -> reqwest::RequestBuilder {
    app.post_to(address)
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", V)
}

/// A GET of `session`'s stream on the instance at `address`.
fn get_stream(app: &TestApp, address: &str, session: &str) -> reqwest::RequestBuilder {
    app.client
        .get(format!("{address}/mcp"))
        .bearer_auth(&app.token)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", V)
}

/// The GET stream of `session`, opened on the instance at `address`.
async fn open_stream(app: &TestApp, address: &str, session: &str) -> reqwest::Response {
    let stream = get_stream(app, address, session).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

/// The GET stream of `session` reopened on the instance at `address` with `Last-Event-ID`.
async fn reopen_stream_after(
    app: &TestApp,
    address: &str,
    session: &str,
    last_event_id: u64,
) -> reqwest::Response {
    let stream = get_stream(app, address, session)
        .header("Last-Event-ID", last_event_id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

/// A handshake session on the instance at `address`, with its GET stream open.
async fn session_with_stream(app: &TestApp, address: &str) -> (String, reqwest::Response) {
    let session = initialize_at(app, address, json!({})).await;
    let stream = open_stream(app, address, &session).await;
    (session, stream)
}

async fn request(app: &TestApp, address: &str, session: &str, message: Value) -> Value {
    answer(
        in_session(app, address, session)
            .json(&message)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[actix_web::test]
async fn a_scan_started_through_one_instance_notifies_sessions_on_the_other_two() {
    let Some((first, [(second, _b2), (third, _b3)])) = cluster(["instance-2", "instance-3"]).await
    else {
        return;
    };

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
    let Some((first, [(second, _b2), (third, _b3)])) = cluster(["instance-2", "instance-3"]).await
    else {
        return;
    };
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

#[actix_web::test]
async fn a_legacy_session_gets_on_its_stream_the_answers_of_posts_to_other_instances() {
    let Some((first, [(second, _b2), (third, _b3)])) = cluster(["instance-2", "instance-3"]).await
    else {
        return;
    };

    let stream = first
        .client
        .get(format!("{}/sse", first.address))
        .bearer_auth(&first.token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = SseReader::new(stream);
    let endpoint = stream.next(Duration::from_secs(10)).await.unwrap();
    let endpoint = endpoint.as_str().unwrap().to_string();
    assert!(endpoint.starts_with("/messages?sessionId="), "{endpoint}");

    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "tests", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "resources/list"}),
        json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}),
    ];
    let addresses = [&second, &third, &first.address];
    for (n, message) in messages.iter().enumerate() {
        let posted = first
            .client
            .post(format!("{}{endpoint}", addresses[n % 3]))
            .bearer_auth(&first.token)
            .json(message)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 202, "{message}");
        if message["method"] == "initialize" {
            // The client waits for initialize's answer before anything else.
            let answer = stream.next(Duration::from_secs(10)).await.unwrap();
            assert_eq!(answer["id"], 1, "{answer}");
            assert_eq!(answer["result"]["protocolVersion"], "2024-11-05");
        }
    }
    let mut answered = Vec::new();
    while answered.len() < 4 {
        let Some(message) = stream.next(Duration::from_secs(10)).await else {
            panic!("answers missing from the stream; got those of {answered:?}");
        };
        answered.push(message["id"].as_i64().unwrap());
        assert!(message.get("result").is_some(), "{message}");
    }
    answered.sort_unstable();
    assert_eq!(answered, [2, 3, 4, 5]);

    // The stream closes: the session ends everywhere, and a POST anywhere is refused.
    drop(stream);
    let mut refused = 0;
    for _ in 0..200 {
        let posted = first
            .client
            .post(format!("{second}{endpoint}"))
            .bearer_auth(&first.token)
            .json(&json!({"jsonrpc": "2.0", "id": 9, "method": "ping"}))
            .send()
            .await
            .unwrap();
        if posted.status() == 404 {
            refused += 1;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(refused, 1, "a POST to the ended session was still accepted");
}

#[actix_web::test]
async fn one_streamable_session_is_served_by_every_instance_and_deleted_through_any() {
    let Some((first, [(second, _b2), (third, _b3)])) = cluster(["instance-2", "instance-3"]).await
    else {
        return;
    };

    // Opened on the first instance, its stream held by the third.
    let (session, opened_first) = session_with_stream(&first, &first.address).await;
    drop(opened_first);
    let mut stream = SseReader::new(open_stream(&first, &third, &session).await);

    // Requests through the second instance, which never saw the session.
    let tools = request(
        &first,
        &second,
        &session,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    )
    .await;
    assert!(tools["result"]["tools"].is_array(), "{tools}");
    let started = request(
        &first,
        &second,
        &session,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "start_scan", "arguments": {"tenant": first.tenant_id.to_string()}}}),
    )
    .await;
    let scan_id = started["result"]["structuredContent"]["scan"]["id"]
        .as_i64()
        .or_else(|| started["result"]["structuredContent"]["scan_id"].as_i64())
        .unwrap_or_else(|| panic!("a scan id in {started}"));
    let uri = format!("aether365://scans/{scan_id}");
    let subscribed = request(
        &first,
        &second,
        &session,
        json!({"jsonrpc": "2.0", "id": 3, "method": "resources/subscribe",
               "params": {"uri": uri}}),
    )
    .await;
    assert_eq!(subscribed["result"], json!({}), "{subscribed}");
    // The completion reaches the stream on the third instance.
    loop {
        let Some(message) = stream.next(Duration::from_secs(60)).await else {
            panic!("no resources/updated on the stream held by the third instance");
        };
        if message["method"] == "notifications/resources/updated" {
            assert_eq!(message["params"]["uri"], uri.as_str());
            break;
        }
    }

    // DELETE through the first instance ends it everywhere: the third closes its stream.
    let deleted = first
        .client
        .delete(format!("{}/mcp", first.address))
        .bearer_auth(&first.token)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", V)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    while let Some(message) = stream.next(Duration::from_secs(10)).await {
        assert!(message.get("id").is_none(), "{message}");
    }
    assert!(stream.ended, "the stream on the third instance stayed open");
    // Every instance forgets it (the end reaches the others by the bus, within milliseconds).
    for address in [&first.address, &second, &third] {
        let mut status = 0;
        for _ in 0..100 {
            let after = in_session(&first, address, &session)
                .json(&json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}))
                .send()
                .await
                .unwrap();
            status = after.status().as_u16();
            if status == 404 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, 404, "{address} still serves the deleted session");
    }
}

#[actix_web::test]
async fn a_stream_reopened_on_another_instance_gets_what_the_first_wrote_meanwhile() {
    // The first instance serves the conformance fixtures (a tool that logs).
    let Some((first, [(second, _b2)])) = cluster(["instance-2"]).await else {
        return;
    };

    // The first instance holds the session's stream, which the client then loses.
    let (session, stream) = session_with_stream(&first, &first.address).await;
    drop(stream);
    // A call answered as JSON: its log messages go to the session's stream, which the first
    // instance keeps for a reconnection. (Nothing else would send them again, unlike a scan's
    // completion, which a new holder learns when it follows the session's scans.)
    let answered = first
        .client
        .post(format!("{}/mcp", first.address))
        .bearer_auth(&first.token)
        .header("Accept", "application/json")
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", V)
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "test_tool_with_logging", "arguments": {}}}),
        )
        .send()
        .await
        .unwrap();
    let answered = answer(answered).await;
    assert_eq!(answered["result"]["isError"], false, "{answered}");

    // The client reconnects through the second instance, saying it saw nothing.
    let mut reopened = SseReader::new(reopen_stream_after(&first, &second, &session, 0).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut logged = Vec::new();
    let mut ids = Vec::new();
    while logged.len() < 3 {
        let event = reopened
            .next_event(deadline)
            .await
            .unwrap_or_else(|| panic!("log messages missing on the second instance: {logged:?}"));
        let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
            continue;
        };
        let message: Value = serde_json::from_str(data.trim()).unwrap();
        if message["method"] == "notifications/message" {
            logged.push(message["params"]["data"].as_str().unwrap().to_string());
            ids.push(
                event
                    .lines()
                    .find_map(|l| l.strip_prefix("id:"))
                    .and_then(|id| id.trim().parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("an event id in {event}")),
            );
        }
    }
    assert_eq!(
        logged,
        [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed"
        ]
    );
    assert!(ids[0] > 0 && ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[actix_web::test]
async fn a_client_answer_posted_to_another_instance_reaches_the_waiting_request() {
    // The first instance serves the conformance fixtures (whose tools ask the client).
    let Some((first, [(second, _b2)])) = cluster(["instance-2"]).await else {
        return;
    };
    let session = initialize_at(&first, &first.address, json!({"sampling": {}})).await;
    let call = in_session(&first, &first.address, &session)
        .json(
            &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "test_sampling", "arguments": {"prompt": "Summarise"}}}),
        )
        .send()
        .await
        .unwrap();
    let mut stream = SseReader::new(call);
    let request = loop {
        let message = stream
            .next(Duration::from_secs(10))
            .await
            .expect("a sampling request on the POST's stream");
        if message["method"] == "sampling/createMessage" {
            break message;
        }
    };
    // The client's answer reaches the second instance, which has no such request waiting.
    let reply = in_session(&first, &second, &session)
        .json(&json!({"jsonrpc": "2.0", "id": request["id"], "result": {
            "role": "assistant", "model": "test-model", "stopReason": "endTurn",
            "content": {"type": "text", "text": "from afar"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    let answer = loop {
        let message = stream
            .next(Duration::from_secs(10))
            .await
            .expect("the tool's answer");
        if message["id"] == 7 {
            break message;
        }
    };
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(
        answer["result"]["content"][0]["text"],
        "LLM response: from afar"
    );
}
