//! Streamable HTTP, stateless era (2026-07-28).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{Options, databases, envelope, read_sse, spawn_app, spawn_app_with};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

#[actix_web::test]
async fn discover_and_lists_carry_result_type_and_cache_hints() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let r = app.stateless(1, "server/discover", json!({})).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("mcp-session-id").is_none());
        let body: Value = r.json().await.unwrap();
        let result = &body["result"];
        assert_eq!(result["resultType"], "complete");
        assert!(
            result["supportedVersions"]
                .as_array()
                .unwrap()
                .contains(&json!("2026-07-28"))
        );
        assert!(result["ttlMs"].is_u64());
        assert!(result["cacheScope"].is_string());
        for method in [
            "tools/list",
            "prompts/list",
            "resources/list",
            "resources/templates/list",
        ] {
            let body: Value = app
                .stateless(2, method, json!({}))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(body["result"]["resultType"], "complete", "{method}");
            assert!(body["result"]["ttlMs"].is_u64(), "{method}");
        }
        let body: Value = app
            .stateless(3, "ping", json!({}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["result"]["resultType"], "complete");
    }
}

#[actix_web::test]
async fn stateless_errors_map_to_statuses() {
    for db in databases().await {
        let app = spawn_app(db).await;
        // Header mismatch: -32020 / 400.
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "tools/list")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta": envelope()}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32020);
        // Missing Mcp-Name on tools/call.
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "tools/call")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","_meta": envelope()}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Unsupported version: -32022 with the supported list.
        let mut meta = envelope();
        meta["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2099-01-01")
            .header("Mcp-Method", "ping")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta": meta}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32022);
        assert!(body["error"]["data"]["supported"].is_array());
        // Missing capabilities in _meta: -32602 / 400.
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "ping")
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Unknown method: 404 / -32601.
        let r = app.stateless(1, "initialize2", json!({})).await;
        assert_eq!(r.status(), 404);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32601);
        // GET and DELETE: 405.
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let r = app
                .client
                .request(method, format!("{}/mcp", app.address))
                .bearer_auth(&app.token)
                .header("MCP-Protocol-Version", "2026-07-28")
                .header("Accept", "text/event-stream")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 405);
        }
        // Tool argument errors and tool results.
        let body: Value = app
            .stateless(
                2,
                "tools/call",
                json!({"name": "test_simple_text", "arguments": {}}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["result"]["resultType"], "complete");
        assert_eq!(body["result"]["content"][0]["type"], "text");
    }
}

#[actix_web::test]
async fn progress_travels_on_the_post_stream() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let mut meta = envelope();
        meta["progressToken"] = json!(42);
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "tools/call")
            .header("Mcp-Name", "test_tool_with_progress")
            .json(&json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"test_tool_with_progress","arguments":{},"_meta": meta}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        let messages = read_sse(r, Duration::from_secs(5), |m| m.get("id").is_some()).await;
        assert_eq!(
            messages
                .iter()
                .filter(|m| m["method"] == "notifications/progress")
                .count(),
            3
        );
        assert_eq!(messages.last().unwrap()["result"]["resultType"], "complete");
    }
}

#[actix_web::test]
async fn subscriptions_listen_acknowledges_first() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let r = app
            .post()
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", "subscriptions/listen")
            .json(
                &json!({"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen",
                "params":{"_meta": envelope(), "notifications": {"toolsListChanged": true}}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let messages = read_sse(r, Duration::from_secs(3), |_| true).await;
        assert_eq!(
            messages[0]["method"],
            "notifications/subscriptions/acknowledged"
        );
        assert_eq!(
            messages[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            "sub-1"
        );
        assert_eq!(
            messages[0]["params"]["notifications"]["toolsListChanged"],
            true
        );
    }
}

/// A stateless listener subscribed to a tenant's posture hears when a scan of it completes;
/// another organisation's tenant is refused before the stream opens.
#[actix_web::test]
async fn a_listener_subscribed_to_a_tenant_posture_hears_of_completed_scans() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let (_, foreign) = crate::common::other_organisation(&app.testdb.db).await;
        let listen = |uri: String| {
            app.post()
                .header("MCP-Protocol-Version", "2026-07-28")
                .header("Mcp-Method", "subscriptions/listen")
                .json(&json!({"jsonrpc":"2.0","id":"sub-1","method":"subscriptions/listen",
                    "params":{"_meta": envelope(), "notifications": {"resourceSubscriptions": [uri]}}}))
                .send()
        };
        let refused = listen(format!("aether365://tenants/{}/posture", foreign.id))
            .await
            .unwrap();
        let body = refused.text().await.unwrap();
        assert!(body.contains("\"error\""), "{body}");
        assert!(!body.contains("Fabrikam"), "{body}");

        let uri = format!("aether365://tenants/{}/posture", app.tenant_id);
        let stream = listen(uri.clone()).await.unwrap();
        assert_eq!(stream.status(), 200);
        let started: Value = app
            .stateless(
                2,
                "tools/call",
                json!({"name": "start_scan", "arguments": {"tenant": app.tenant_id.to_string()}}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(started["result"]["isError"], false, "{started}");
        let messages = read_sse(stream, Duration::from_secs(30), |m| {
            m["method"] == "notifications/resources/updated"
        })
        .await;
        assert_eq!(
            messages[0]["method"],
            "notifications/subscriptions/acknowledged"
        );
        let updated = messages.last().unwrap();
        assert_eq!(
            updated["method"], "notifications/resources/updated",
            "{messages:?}"
        );
        assert_eq!(updated["params"]["uri"], uri.as_str(), "{messages:?}");
    }
}

#[actix_web::test]
async fn nothing_over_mcp_attaches_ai_pilot_or_changes_a_tenant() {
    for db in databases().await {
        // The product's own surface: no conformance fixtures.
        let app = spawn_app_with(db, Options::default()).await;
        let body: Value = app
            .stateless(1, "tools/list", json!({}))
            .await
            .json()
            .await
            .unwrap();
        let tools = body["result"]["tools"].as_array().unwrap();
        for tool in tools {
            let name = tool["name"].as_str().unwrap();
            let annotations = &tool["annotations"];
            // start_scan records a scan, generate_report stores its report: neither is read-only,
            // and neither changes anything in the tenant (never destructive; the hint is left
            // out of reading tools, where it means nothing).
            let writes = matches!(name, "start_scan" | "generate_report");
            let destructive = annotations.get("destructiveHint");
            assert_eq!(destructive, writes.then_some(&Value::Bool(false)), "{name}");
            assert_eq!(annotations["readOnlyHint"], !writes, "{name}");
            assert_eq!(annotations["openWorldHint"], name == "start_scan", "{name}");
            assert!(
                !name.contains("fix") && !name.contains("remediat") && !name.contains("pilot"),
                "{name}"
            );
        }
        let r = app
            .stateless(
                2,
                "tools/call",
                json!({"name": "start_scan", "arguments": {"kind": "compliance", "ai_pilot": true}}),
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["result"]["isError"], true);
        let text = body["result"]["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("AI Pilot can only be attached by a person"),
            "{text}"
        );
        let scans = aether365_entities::scan::Entity::find()
            .count(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(scans, 0, "a refused start stores no scan");
    }
}
