//! Legacy HTTP+SSE (2024-11-05), authentication, origins, body limits and metadata.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{Options, databases, spawn_app, spawn_app_with};
use futures_util::StreamExt;
use serde_json::{Value, json};

#[actix_web::test]
async fn legacy_sse_sends_the_endpoint_then_responses_on_the_stream() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let stream = app
            .client
            .get(format!("{}/sse", app.address))
            .bearer_auth(&app.token)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        assert_eq!(stream.headers()["x-accel-buffering"], "no");
        let mut bytes = stream.bytes_stream();
        let mut buffer = String::new();
        while !buffer.contains("\n\n") {
            let chunk = tokio::time::timeout(Duration::from_secs(3), bytes.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(buffer.contains("event: endpoint"), "{buffer}");
        let endpoint = buffer
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap()
            .to_string();
        assert!(endpoint.starts_with("/messages?sessionId="));
        let post = |body: Value| {
            app.client
                .post(format!("{}{}", app.address, endpoint))
                .bearer_auth(&app.token)
                .json(&body)
                .send()
        };
        let r = post(json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})).await.unwrap();
        assert_eq!(r.status(), 202);
        let r = post(json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let mut answers = Vec::new();
        while answers.len() < 2 {
            let chunk = tokio::time::timeout(Duration::from_secs(3), bytes.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            answers = buffer
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<Value>(d).ok())
                .collect();
        }
        assert_eq!(answers[0]["result"]["protocolVersion"], "2024-11-05");
        assert!(answers[1]["result"]["tools"].is_array());
        // Unknown session: 404.
        let r = app
            .client
            .post(format!("{}/messages?sessionId=nope", app.address))
            .bearer_auth(&app.token)
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
}

#[actix_web::test]
async fn authentication_is_required_everywhere() {
    for db in databases().await {
        let app = spawn_app(db).await;
        for (method, path) in [
            ("POST", "/mcp"),
            ("GET", "/mcp"),
            ("GET", "/sse"),
            ("POST", "/messages?sessionId=x"),
        ] {
            let r = app
                .client
                .request(method.parse().unwrap(), format!("{}{}", app.address, path))
                .header("Accept", "application/json, text/event-stream")
                .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{method} {path}");
            let challenge = r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(challenge.contains("resource_metadata=\""), "{challenge}");
            let body: Value = r.json().await.unwrap();
            assert!(body["error"].is_string() && body["error_description"].is_string());
        }
        let r = app
            .client
            .post(format!("{}/mcp", app.address))
            .bearer_auth("a365_not_a_real_token")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        // Each endpoint's challenge names metadata whose `resource` is that endpoint (RFC 9728),
        // which is what mcp-remote checks before it reports a rejected token.
        for (path, suffix) in [
            ("/mcp", "/mcp"),
            ("/sse", "/sse"),
            ("/messages?sessionId=x", "/sse"),
        ] {
            let r = app
                .client
                .request(
                    if path == "/sse" {
                        reqwest::Method::GET
                    } else {
                        reqwest::Method::POST
                    },
                    format!("{}{path}", app.address),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{path}");
            let challenge = r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_string();
            let metadata = challenge
                .split("resource_metadata=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_string();
            assert!(
                metadata.ends_with(&format!("/.well-known/oauth-protected-resource{suffix}")),
                "{metadata}"
            );
            let body: Value = app
                .client
                .get(&metadata)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                body["resource"],
                format!("{}{suffix}", app.address),
                "{path}"
            );
        }
        let r = app
            .client
            .get(format!(
                "{}/.well-known/oauth-protected-resource",
                app.address
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["resource"], app.address.as_str());
    }
}

#[actix_web::test]
async fn foreign_origins_are_refused_and_huge_bodies_too() {
    for db in databases().await {
        let app = spawn_app_with(
            db,
            Options {
                max_body_bytes: Some(4096),
                allowed_origins: vec!["https://app.example".into()],
                ..Options::default()
            },
        )
        .await;
        let ping = json!({"jsonrpc":"2.0","id":1,"method":"ping"});
        let r = app
            .post()
            .header("Origin", "https://evil.example")
            .json(&ping)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = app
            .post()
            .header("Origin", "http://localhost:5173")
            .json(&ping)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            400,
            "a local origin passes (then lacks a session)"
        );
        let r = app
            .post()
            .header("Origin", "https://app.example")
            .json(&ping)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // DNS rebinding: a loopback server answers only to local names and allowed hosts.
        for (host, status) in [
            ("evil.example", 403),
            ("app.example", 400),
            ("localhost:1", 400),
        ] {
            let r = app
                .post()
                .header("Host", host)
                .json(&ping)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "Host: {host}");
        }
        let huge = "x".repeat(10_000);
        let r = app
            .post()
            .header("Content-Type", "application/json")
            .body(format!("{{\"pad\":\"{huge}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
    }
}

#[actix_web::test]
async fn every_version_works_through_one_endpoint() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let session = app.initialize("2025-11-25").await;
        let r = app
            .session_request(
                &session,
                "2025-11-25",
                json!({"jsonrpc":"2.0","id":1,"method":"ping"}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app.stateless(2, "ping", json!({})).await;
        assert_eq!(r.status(), 200);
    }
}

#[actix_web::test]
async fn repeated_bad_tokens_are_rate_limited_with_retry_after() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let mut limited = None;
        for _ in 0..50 {
            let r = app
                .client
                .post(format!("{}/mcp", app.address))
                .bearer_auth("a365_wrong_wrong_wrong")
                .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                limited = Some(r);
                break;
            }
            assert_eq!(r.status(), 401);
        }
        let r = limited.expect("rate limited after repeated failures");
        assert!(r.headers().get("retry-after").is_some());
    }
}
