//! MCP Apps (issue 25): the views a host renders beside get_posture, list_findings,
//! get_finding, compare_scans and start_scan, offered only to clients that declare the
//! extension; each view renders tenant text as text, in a fake host run by Node.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::common::{self, TestApp};

const EXTENSION: &str = "io.modelcontextprotocol/ui";
const MIME: &str = "text/html;profile=mcp-app";
const VIEWS: [&str; 3] = [
    "ui://aether365/posture",
    "ui://aether365/findings",
    "ui://aether365/comparison",
];
/// Issue 10's budget for `tools/list` (as in mcp_surface), with the views declared.
const TOOLS_LIST_MAX: usize = 12_000;

/// Client capabilities with MCP Apps, or without anything.
fn capabilities(apps: bool) -> Value {
    if apps {
        json!({"extensions": {EXTENSION: {"mimeTypes": [MIME]}}})
    } else {
        json!({})
    }
}

/// A 2026-07-28 request declaring `caps`; its JSON-RPC answer.
async fn ask(app: &TestApp, method: &str, mut params: Value, caps: &Value) -> Value {
    let mut meta = common::envelope();
    meta["io.modelcontextprotocol/clientCapabilities"] = caps.clone();
    params["_meta"] = meta;
    let mut request = app
        .post()
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", method);
    if let Some(name) = params
        .get("name")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
    {
        request = request.header("Mcp-Name", name);
    }
    let response = request
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    common::answer(response).await
}

/// The answers that change with the extension, without their per-request `_meta`.
async fn answers(app: &TestApp, caps: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (method, params) in [
        ("server/discover", json!({})),
        ("tools/list", json!({})),
        ("resources/list", json!({})),
        ("resources/read", json!({"uri": VIEWS[0]})),
    ] {
        let mut answer = ask(app, method, params, caps).await;
        if let Some(result) = answer.get_mut("result").and_then(Value::as_object_mut) {
            result.remove("_meta");
        }
        out.push(answer);
    }
    out
}

#[actix::test]
async fn tools_declare_views_and_views_are_resources_only_with_the_extension() {
    for tdb in common::databases().await {
        // Without the conformance suite's fixture tools: tools/list is the real one.
        let app = common::spawn_app_with(tdb, common::Options::default()).await;
        let with = capabilities(true);

        let tools = ask(&app, "tools/list", json!({}), &with).await;
        let size = serde_json::to_string(&json!({"tools": tools["result"]["tools"]}))
            .unwrap()
            .len();
        println!("tools/list with views: {size} characters");
        assert!(size < TOOLS_LIST_MAX, "tools/list with views: {size}");
        // The handshake era's list is the longest (start_scan's `execution` too).
        let longest = serde_json::to_string(&json!({
            "tools": aether365::mcp::surface::tools_with_views()
        }))
        .unwrap()
        .len();
        println!("tools/list with views, handshake era: {longest} characters");
        assert!(longest < TOOLS_LIST_MAX, "tools/list with views: {longest}");
        let view_of = |name: &str| {
            tools["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .map(|t| t["_meta"].clone())
                .unwrap()
        };
        for (tool, view) in [
            ("get_posture", VIEWS[0]),
            ("list_findings", VIEWS[1]),
            ("get_finding", VIEWS[1]),
            ("compare_scans", VIEWS[2]),
            ("start_scan", VIEWS[2]),
        ] {
            let meta = view_of(tool);
            assert_eq!(meta["ui"]["resourceUri"], view, "{tool}");
            // The deprecated flat key stays out (tools/list has no room for it).
            assert_eq!(meta.get("ui/resourceUri"), None, "{tool}");
        }
        for tool in ["generate_report", "list_scans", "get_scan"] {
            assert_eq!(view_of(tool), Value::Null, "{tool}");
        }

        let discover = ask(&app, "server/discover", json!({}), &with).await;
        assert_eq!(
            discover["result"]["capabilities"]["extensions"][EXTENSION]["mimeTypes"],
            json!([MIME])
        );
        for (caps, declared) in [(&with, true), (&capabilities(false), false)] {
            let init: Value = app
                .post()
                .json(
                    &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                    "protocolVersion": "2025-11-25", "capabilities": caps,
                    "clientInfo": {"name": "tests", "version": "1"}}}),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let ui = &init["result"]["capabilities"]["extensions"][EXTENSION];
            assert_eq!(ui.is_object(), declared, "{init}");
        }
        let listed = ask(&app, "resources/list", json!({}), &with).await;
        for view in VIEWS {
            let entry = listed["result"]["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["uri"] == view)
                .unwrap_or_else(|| panic!("{view} listed: {listed}"));
            assert_eq!(entry["mimeType"], MIME);

            let read = ask(&app, "resources/read", json!({"uri": view}), &with).await;
            let contents = &read["result"]["contents"][0];
            assert_eq!(contents["uri"], view);
            assert_eq!(contents["mimeType"], MIME);
            assert_eq!(contents["_meta"]["ui"]["csp"]["connectDomains"], json!([]));
            assert_eq!(contents["_meta"]["ui"]["csp"]["resourceDomains"], json!([]));
            let html = contents["text"].as_str().unwrap();
            assert!(html.starts_with("<!DOCTYPE html>"), "{view}");
            assert!(
                html.contains("http-equiv=\"Content-Security-Policy\"")
                    && html.contains("default-src 'none'")
                    && html.contains("connect-src 'none'"),
                "{view}: CSP meta"
            );
            for fetch in [
                "http://",
                "https://",
                "fetch(",
                "XMLHttpRequest",
                "WebSocket",
                "src=",
            ] {
                // The one URL is the SVG namespace, an identifier that is never fetched.
                let found = html
                    .replace("\"http://www.w3.org/2000/svg\"", "")
                    .contains(fetch);
                assert!(!found, "{view} contains {fetch}");
            }
            for markup in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
            ] {
                assert!(!html.contains(markup), "{view} uses {markup}");
            }
            // No view can even name the tools that do something.
            for writes in ["start_scan", "generate_report"] {
                assert!(!html.contains(writes), "{view} names {writes}");
            }
        }
    }
}

#[actix::test]
async fn clients_without_the_extension_get_todays_answers() {
    for tdb in common::databases().await {
        let app = common::spawn_app(tdb).await;
        let without = answers(&app, &capabilities(false)).await;
        // A client declaring some other extension, or another view type, is not offered views.
        let other = json!({"extensions": {EXTENSION: {"mimeTypes": ["text/uri-list"]}}});
        assert_eq!(answers(&app, &other).await, without);
        let text = serde_json::to_string(&without[..3]).unwrap();
        assert!(!text.contains("ui://"), "{text}");
        assert!(!text.contains(EXTENSION), "{text}");
        assert!(without[3]["error"].is_object(), "{}", without[3]);
        // The same in a handshake-era session.
        let session = app.initialize("2025-06-18").await;
        let listed = common::answer(
            app.session_request(
                &session,
                "2025-06-18",
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            )
            .await,
        )
        .await;
        assert!(!listed.to_string().contains("ui://"), "{listed}");
        assert_ne!(answers(&app, &capabilities(true)).await, without);
    }
}

/// Runs `view` in the fake host (Node) with the tool's `input` and `result`, canned `replies`
/// to its tool calls, then `actions`; what it showed and called.
fn run_view(html: &str, scenario: Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("view.html");
    let plan = dir.path().join("scenario.json");
    std::fs::write(&page, html).unwrap();
    std::fs::write(&plan, scenario.to_string()).unwrap();
    let host = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/apps/fake_host.js");
    let out = std::process::Command::new("node")
        .arg(host)
        .arg(&page)
        .arg(&plan)
        .output()
        .expect("node (v20) runs the fake host");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(report.get("error").is_none(), "{}", report["error"]);
    assert_eq!(report["violations"], json!([]), "{report}");
    for tag in ["script", "img", "iframe", "object"] {
        assert!(
            !report["created"].as_array().unwrap().contains(&json!(tag)),
            "{tag} created: {report}"
        );
    }
    assert_eq!(report["theme"], "dark", "host theme applied");
    report
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

#[actix::test]
async fn views_render_hostile_tenant_names_as_text_and_call_only_reading_tools() {
    for tdb in common::databases().await {
        let app = common::spawn_app(tdb).await;
        let export = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/scubagear/ProviderSettingsExport.json"
        ))
        .unwrap();
        let snapshot = aether365_engine::Snapshot::from_bytes(&export).unwrap();
        let db = app.testdb.db.clone();
        let org = app.organisation_id;
        common::tenant_with_two_scans(&db, org, SCRIPT, "script.example", &snapshot).await;
        let img = common::tenant_with_two_scans(&db, org, IMG, "img.example", &snapshot).await;
        let with = capabilities(true);
        let call = |name: &'static str, arguments: Value| {
            let app = &app;
            let with = &with;
            async move {
                let answer = ask(
                    app,
                    "tools/call",
                    json!({"name": name, "arguments": arguments}),
                    with,
                )
                .await;
                let result = answer["result"].clone();
                assert_ne!(result["isError"], json!(true), "{name}: {answer}");
                result
            }
        };
        let html = |uri: &'static str| {
            let app = &app;
            let with = &with;
            async move {
                let read = ask(app, "resources/read", json!({"uri": uri}), with).await;
                read["result"]["contents"][0]["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        };

        // Posture: both names as text in the picker; the trend drawn from get_score_trend.
        let posture = call("get_posture", json!({})).await;
        let trend = call("get_score_trend", json!({})).await;
        let shown = run_view(
            &html(VIEWS[0]).await,
            json!({"result": posture, "replies": {"get_score_trend": trend}}),
        );
        let text = shown["shown"].as_str().unwrap();
        assert!(text.contains(SCRIPT) && text.contains(IMG), "{text}");
        assert_eq!(
            shown["calls"][0]["name"], "get_score_trend",
            "{}",
            shown["calls"]
        );

        // Findings of the img tenant: next page calls list_findings with the cursor; a row
        // opens get_finding.
        let input = json!({"tenant": img, "limit": 5});
        let page = call("list_findings", input.clone()).await;
        let cursor = page["structuredContent"]["next_cursor"].as_str().unwrap();
        let second = call(
            "list_findings",
            json!({"tenant": img, "limit": 5, "cursor": cursor}),
        )
        .await;
        let id = second["structuredContent"]["findings"][0]["id"].clone();
        let finding = call("get_finding", json!({"finding_id": id})).await;
        let shown = run_view(
            &html(VIEWS[1]).await,
            json!({"input": input, "result": page, "actions": ["next", "first-row"],
                "replies": {"list_findings": second, "get_finding": finding}}),
        );
        let calls = shown["calls"].as_array().unwrap();
        assert_eq!(calls[0]["name"], "list_findings", "{calls:?}");
        assert_eq!(calls[0]["arguments"]["cursor"], cursor);
        assert_eq!(calls[0]["arguments"]["tenant"], img);
        assert_eq!(calls[1]["name"], "get_finding", "{calls:?}");
        let text = shown["shown"].as_str().unwrap();
        assert!(text.contains(IMG), "{text}");
        assert!(text.contains("Remediation"), "{text}");
        assert!(
            calls
                .iter()
                .all(|c| matches!(c["name"].as_str(), Some("list_findings" | "get_finding")))
        );

        // Comparison of the script tenant: its name as text, get_scan for the service rates.
        let compared = call("compare_scans", json!({"tenant": "script.example"})).await;
        let base = compared["structuredContent"]["base"]["id"]
            .as_i64()
            .unwrap();
        let scan = call("get_scan", json!({"scan": base})).await;
        let shown = run_view(
            &html(VIEWS[2]).await,
            json!({"result": compared, "replies": {"get_scan": scan}}),
        );
        let text = shown["shown"].as_str().unwrap();
        assert!(text.contains(SCRIPT), "{text}");
        assert!(
            text.contains("Newly failing") && text.contains("By service"),
            "{text}"
        );
        assert!(
            shown["calls"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["name"] == "get_scan")
        );

        // start_scan's result: the view follows the scan with get_scan and, once it completed,
        // compares it with compare_scans; it never starts anything itself.
        let started = call("start_scan", json!({"tenant": "script.example"})).await;
        let id = started["structuredContent"]["scan_id"].as_i64().unwrap();
        let head = compared["structuredContent"]["head"]["id"]
            .as_i64()
            .unwrap();
        let completed = call("get_scan", json!({"scan": head})).await;
        let shown = run_view(
            &html(VIEWS[2]).await,
            json!({"result": started, "replies": {"get_scan": completed, "compare_scans": compared}}),
        );
        let calls = shown["calls"].as_array().unwrap();
        assert_eq!(
            calls[0],
            json!({"name": "get_scan", "arguments": {"scan": id}})
        );
        assert_eq!(
            calls[1],
            json!({"name": "compare_scans", "arguments": {"head_scan": id}})
        );
        assert!(
            calls
                .iter()
                .all(|c| matches!(c["name"].as_str(), Some("get_scan" | "compare_scans"))),
            "{calls:?}"
        );
        let text = shown["shown"].as_str().unwrap();
        assert!(
            text.contains(SCRIPT) && text.contains("Newly failing"),
            "{text}"
        );
    }
}
