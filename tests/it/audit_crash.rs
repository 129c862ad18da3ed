//! Durability of the audit trail: kill -9 the server under load, restart it, and every call
//! that was answered has its audit row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aether365_actors::testkit;
use aether365_entities::audit_log;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_aether365");

/// Starts `serve` on a free port and returns the child and its port, read from its banner.
fn start_server(url: &str) -> (Child, u16) {
    let mut child = Command::new(BIN)
        .args(["--database-url", url, "serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines.next().expect("the server prints its port").unwrap();
        // "aether365 instance ID listening on PORT (...)"
        if let Some((_, rest)) = line
            .split_once(" listening on ")
            .filter(|(head, _)| head.starts_with("aether365 "))
        {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<u16>()
                .unwrap();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn demo_token(url: &str) -> (String, i64) {
    let out = Command::new(BIN)
        .args(["--database-url", url, "demo", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["token"].as_str().unwrap().to_string(),
        v["token_id"].as_i64().unwrap(),
    )
}

/// One stateless (2026-07-28) `tools/call get_posture`; true when it was answered with a result.
async fn call(client: &reqwest::Client, port: u16, token: &str, id: u64) -> bool {
    let body = json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "get_posture", "arguments": {}, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}}}
    });
    let Ok(response) = client
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "get_posture")
        .json(&body)
        .send()
        .await
    else {
        return false;
    };
    if !response.status().is_success() {
        return false;
    }
    match response.text().await {
        Ok(text) => text.contains("\"result\"") && text.contains("Security posture"),
        Err(_) => false,
    }
}

#[tokio::test]
async fn every_acknowledged_call_survives_kill_9() {
    for t in testkit::databases().await {
        let (token, token_id) = demo_token(&t.url);
        let (mut server, port) = start_server(&t.url);
        let client = reqwest::Client::new();
        let acknowledged = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for worker in 0..32u64 {
            let (client, token, acknowledged, stop) = (
                client.clone(),
                token.clone(),
                acknowledged.clone(),
                stop.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && n < 100_000 {
                    if call(&client, port, &token, worker * 1_000_000 + n).await {
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                    } else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    n += 1;
                }
            }));
        }
        // Let load build up, then kill the server without warning.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while acknowledged.load(Ordering::Relaxed) < 300 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        let acked = acknowledged.load(Ordering::Relaxed);
        assert!(acked >= 300, "the load ran: {acked} calls answered");

        // Restart on the same database: it comes back, and the trail holds every answered call.
        let (mut server, port) = start_server(&t.url);
        assert!(
            call(&client, port, &token, 1).await,
            "the restarted server answers"
        );
        server.kill().unwrap();
        server.wait().unwrap();
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::ActorId.eq(token_id))
            .filter(audit_log::Column::Action.eq("mcp.tools/call"))
            .filter(audit_log::Column::Tool.eq("get_posture"))
            .count(&t.db)
            .await
            .unwrap();
        assert!(
            rows > acked,
            "{acked} answered calls before the crash plus one after, but only {rows} audit rows"
        );
    }
}
