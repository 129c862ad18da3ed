//! Defences against hostile clients: nothing is read for strangers, bodies have a deadline,
//! errors keep the protocol's format, and URLs never come from request headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Options, databases, spawn_app, spawn_app_with};

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
                format!("Bearer resource_metadata=\"{metadata_url}\""),
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

#[actix_web::test]
async fn ids_beyond_64_bits_are_refused_not_rounded() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Content-Type", "application/json")
            .body(r#"{"jsonrpc":"2.0","id":18446744073709551616,"method":"server/discover"}"#)
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(!text.contains("e19") && !text.contains("1.8446"), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["id"], Value::Null, "{body}");
        assert_eq!(body["error"]["code"], -32600, "{body}");
    }
}
