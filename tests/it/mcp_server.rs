//! The one request path (`mcp::Server::handle`): the lifecycle results it builds from rmcp's
//! types are pinned field by field, and the transports stay framing only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::common::{databases, spawn_app};
use serde_json::{Value, json};

fn server_info() -> Value {
    json!({"name": "aether365", "title": "aether365", "version": env!("CARGO_PKG_VERSION")})
}

fn capabilities(version: &str) -> Value {
    let mut caps = json!({
        "tools": {"listChanged": false},
        "resources": {"subscribe": true, "listChanged": false},
        "prompts": {"listChanged": false},
        "completions": {},
        "logging": {},
    });
    if version == "2025-11-25" {
        caps["tasks"] = json!({"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}});
    }
    caps
}

#[actix_web::test]
async fn initialize_answers_the_same_result_in_every_handshake_version() {
    for db in databases().await {
        let app = spawn_app(db).await;
        for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
            let body: Value = app
                .post()
                .json(
                    &json!({"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {
                    "protocolVersion": version, "capabilities": {},
                    "clientInfo": {"name": "tests", "version": "1"}}}),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let mut result = body["result"].clone();
            let instructions = result
                .as_object_mut()
                .unwrap()
                .remove("instructions")
                .unwrap();
            assert!(
                instructions
                    .as_str()
                    .unwrap()
                    .starts_with("aether365 reads"),
                "{body}"
            );
            assert_eq!(
                result,
                json!({
                    "protocolVersion": version,
                    "capabilities": capabilities(version),
                    "serverInfo": server_info(),
                }),
                "{version}"
            );
            assert_eq!(body["id"], 7);
        }
    }
}

#[actix_web::test]
async fn discover_and_complete_keep_their_fields() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let body: Value = app
            .stateless(1, "server/discover", json!({}))
            .await
            .json()
            .await
            .unwrap();
        let mut result = body["result"].clone();
        let map = result.as_object_mut().unwrap();
        assert!(map.remove("instructions").unwrap().is_string(), "{body}");
        assert_eq!(
            result,
            json!({
                "resultType": "complete",
                "supportedVersions": aether365::mcp::ProtocolVersion::supported(),
                "capabilities": {
                    "tools": {"listChanged": false},
                    "resources": {"subscribe": false, "listChanged": false},
                    "prompts": {"listChanged": false},
                    "completions": {},
                    "extensions": {"io.modelcontextprotocol/tasks": {}},
                },
                "ttlMs": 300_000,
                "cacheScope": "public",
                "_meta": {"io.modelcontextprotocol/serverInfo": server_info()},
            })
        );

        let body: Value = app
            .stateless(
                2,
                "completion/complete",
                json!({
                    "ref": {"type": "ref/resource", "uri": "aether365://scans/{id}/findings.csv"},
                    "argument": {"name": "id", "value": "999999"}
                }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["result"]["completion"],
            json!({"values": [], "total": 0, "hasMore": false}),
            "{body}"
        );
        assert_eq!(body["result"]["resultType"], "complete", "{body}");
    }
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
    out
}

#[test]
fn transports_name_no_mcp_method_and_the_core_imports_no_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let methods = [
        "\"initialize\"",
        "\"ping\"",
        "\"tools/",
        "\"resources/",
        "\"prompts/",
        "\"completion/",
        "\"logging/",
        "\"tasks/",
        "\"notifications/",
        "\"subscriptions/",
        "\"server/discover\"",
    ];
    for (path, text) in sources(&root.join("http")) {
        for method in methods {
            assert!(
                !text.contains(method),
                "{path} names the MCP method {method}"
            );
        }
    }
    for (path, text) in sources(&root.join("mcp")) {
        assert!(
            !text.contains("crate::http"),
            "{path} imports from crate::http"
        );
        assert!(
            !text.contains("actix_web::Http"),
            "{path} uses actix-web's HTTP types"
        );
    }
}
