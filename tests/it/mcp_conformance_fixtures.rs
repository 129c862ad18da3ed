//! Server-to-client requests of the conformance fixture tools (`sampling/createMessage`,
//! `elicitation/create`): sent on the POST's SSE stream (Streamable HTTP) or the session's
//! stream (legacy HTTP+SSE, JSON-answered POSTs), answered by the client with a new POST.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{TestApp, answer, databases, read_sse, spawn_app};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const SAMPLING_REPLY: &str = "a sampled answer";

/// Initializes a handshake-era session declaring `capabilities`; returns its id.
async fn initialize(app: &TestApp, version: &str, capabilities: Value) -> String {
    let response = app
        .post()
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": capabilities,
            "clientInfo": {"name": "tests", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let ack = app
        .session_request(
            &session,
            version,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        )
        .await;
    assert_eq!(ack.status(), 202);
    session
}

/// A server-to-client request: it has a method and an id.
fn is_server_request(message: &Value) -> bool {
    message.get("method").is_some() && message.get("id").is_some()
}

/// Whether `message` is the answer to the request `id`.
fn answers(message: &Value, id: i64) -> bool {
    message.get("id") == Some(&json!(id))
        && (message.get("result").is_some() || message.get("error").is_some())
}

/// What the test client answers to a server request.
fn client_reply(request: &Value) -> Value {
    let result = match request["method"].as_str() {
        Some("sampling/createMessage") => json!({
            "role": "assistant", "model": "test-model", "stopReason": "endTurn",
            "content": {"type": "text", "text": SAMPLING_REPLY},
        }),
        Some("elicitation/create") => {
            json!({"action": "accept", "content": {"username": "ada", "email": "ada@example.com"}})
        }
        _ => {
            return json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": "no"}});
        }
    };
    json!({"jsonrpc": "2.0", "id": request["id"], "result": result})
}

/// The HTTP statuses of the client's replies, sent from a side task.
type Statuses = mpsc::UnboundedReceiver<u16>;

/// Calls `tool` in a Streamable HTTP session over an SSE response, answering every server
/// request with `reply` in a new POST. Returns the stream's messages (the answer last) and
/// the statuses of the reply POSTs.
async fn call_streamed(
    app: &TestApp,
    session: &str,
    version: &str,
    tool: &str,
    arguments: Value,
    reply: fn(&Value) -> Value,
) -> (Vec<Value>, Vec<u16>) {
    let response = app
        .session_request(
            session,
            version,
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                   "params": {"name": tool, "arguments": arguments}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (tx, mut statuses): (_, Statuses) = mpsc::unbounded_channel();
    let messages = read_sse(response, Duration::from_secs(10), |message| {
        if is_server_request(message) && !answers(message, 7) {
            let post = app
                .post()
                .header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", version)
                .json(&reply(message));
            let tx = tx.clone();
            actix_web::rt::spawn(async move {
                let _ = tx.send(post.send().await.unwrap().status().as_u16());
            });
        }
        answers(message, 7)
    })
    .await;
    drop(tx);
    let mut codes = Vec::new();
    while let Some(code) = statuses.recv().await {
        codes.push(code);
    }
    (messages, codes)
}

/// The text of a tool result's first content block.
fn result_text(message: &Value) -> &str {
    message["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

#[actix_web::test]
async fn sampling_and_elicitation_travel_on_the_post_stream_and_come_back_as_posts() {
    for db in databases().await {
        let app = spawn_app(db).await;
        for version in ["2025-06-18", "2025-11-25"] {
            let caps = json!({"sampling": {}, "elicitation": {}});
            let session = initialize(&app, version, caps).await;

            let (messages, statuses) = call_streamed(
                &app,
                &session,
                version,
                "test_sampling",
                json!({"prompt": "Summarise the posture"}),
                client_reply,
            )
            .await;
            let request = messages
                .iter()
                .find(|m| m["method"] == "sampling/createMessage")
                .expect("a sampling request on the POST's stream");
            assert_eq!(
                request["params"]["messages"][0]["content"]["text"],
                "Summarise the posture"
            );
            assert_eq!(request["params"]["maxTokens"], 100);
            assert_eq!(statuses, [202], "the reply POST is accepted");
            let last = messages.last().unwrap();
            assert!(answers(last, 7), "{messages:?}");
            assert_eq!(last["result"]["isError"], false, "{last}");
            assert_eq!(result_text(last), format!("LLM response: {SAMPLING_REPLY}"));

            let (messages, statuses) = call_streamed(
                &app,
                &session,
                version,
                "test_elicitation",
                json!({"message": "Who are you?"}),
                client_reply,
            )
            .await;
            let request = messages
                .iter()
                .find(|m| m["method"] == "elicitation/create")
                .expect("an elicitation request");
            assert_eq!(request["params"]["message"], "Who are you?");
            assert_eq!(
                request["params"]["requestedSchema"]["required"],
                json!(["username", "email"])
            );
            assert_eq!(statuses, [202]);
            let text = result_text(messages.last().unwrap());
            assert!(text.contains("action=accept"), "{text}");
            assert!(text.contains("ada@example.com"), "{text}");

            let (messages, _) = call_streamed(
                &app,
                &session,
                version,
                "test_elicitation_sep1034_defaults",
                json!({}),
                client_reply,
            )
            .await;
            let request = messages
                .iter()
                .find(|m| m["method"] == "elicitation/create")
                .unwrap();
            let properties = &request["params"]["requestedSchema"]["properties"];
            assert_eq!(properties["name"]["default"], "John Doe");
            assert_eq!(properties["age"]["default"], 30);
            assert_eq!(properties["score"]["default"], 95.5);
            assert_eq!(properties["status"]["default"], "active");
            assert_eq!(properties["verified"]["default"], true);
        }
        // Every call reached a fixture tool and was audited once.
        let sampled = app
            .audit_rows()
            .await
            .into_iter()
            .filter(|row| row.tool.as_deref() == Some("test_sampling"))
            .count();
        assert_eq!(sampled, 2);
    }
}

#[actix_web::test]
async fn client_errors_missing_capabilities_and_old_versions_become_tool_errors() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let version = "2025-11-25";
        let session = initialize(&app, version, json!({"sampling": {}})).await;

        // The client refuses: the tool fails with the client's message.
        let refuse = |request: &Value| {
            json!({"jsonrpc": "2.0", "id": request["id"],
                   "error": {"code": -1, "message": "the user declined to sample"}})
        };
        let (messages, statuses) = call_streamed(
            &app,
            &session,
            version,
            "test_sampling",
            json!({"prompt": "x"}),
            refuse,
        )
        .await;
        assert_eq!(statuses, [202]);
        let last = messages.last().unwrap();
        assert_eq!(last["result"]["isError"], true, "{last}");
        assert!(
            result_text(last).contains("the user declined to sample"),
            "{last}"
        );

        // No elicitation capability: nothing is sent, the tool fails at once.
        let (messages, statuses) = call_streamed(
            &app,
            &session,
            version,
            "test_elicitation",
            json!({"message": "x"}),
            client_reply,
        )
        .await;
        assert!(statuses.is_empty());
        assert!(!messages.iter().any(|m| m["method"] == "elicitation/create"));
        let last = messages.last().unwrap();
        assert_eq!(last["result"]["isError"], true);
        assert!(
            result_text(last).contains("did not declare the \"elicitation\" capability"),
            "{last}"
        );

        // elicitation/create does not exist before 2025-06-18.
        let old = "2025-03-26";
        let session = initialize(&app, old, json!({"elicitation": {}})).await;
        let (messages, _) = call_streamed(
            &app,
            &session,
            old,
            "test_elicitation",
            json!({"message": "x"}),
            client_reply,
        )
        .await;
        let last = messages.last().unwrap();
        assert!(
            result_text(last).contains("does not exist in protocol version 2025-03-26"),
            "{last}"
        );

        // A response to no pending request is accepted and ignored.
        let stray = app
            .session_request(
                &session,
                old,
                json!({"jsonrpc": "2.0", "id": "aether365-999", "result": {}}),
            )
            .await;
        assert_eq!(stray.status(), 202);

        // The stateless era has no session to carry a server request.
        let stateless = app
            .stateless(
                3,
                "tools/call",
                json!({"name": "test_sampling", "arguments": {"prompt": "x"}}),
            )
            .await;
        let body = answer(stateless).await;
        assert_eq!(body["result"]["isError"], true, "{body}");
        assert!(result_text(&body).contains("in a session"), "{body}");
    }
}

#[actix_web::test]
async fn legacy_sse_carries_server_requests_on_the_session_stream() {
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
        let (tx, mut statuses): (_, Statuses) = mpsc::unbounded_channel();
        let post = |endpoint: &str, body: Value| {
            app.client
                .post(format!("{}{endpoint}", app.address))
                .bearer_auth(&app.token)
                .json(&body)
        };
        let mut endpoint = String::new();
        let messages = read_sse(stream, Duration::from_secs(10), |message| {
            if let Some(path) = message.as_str().filter(|p| p.starts_with("/messages")) {
                endpoint = path.to_string();
                let initialize = post(
                    path,
                    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2024-11-05", "capabilities": {"sampling": {}},
                               "clientInfo": {"name": "tests", "version": "1"}}}),
                );
                let call = post(
                    path,
                    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                    "params": {"name": "test_sampling", "arguments": {"prompt": "legacy"}}}),
                );
                let tx = tx.clone();
                actix_web::rt::spawn(async move {
                    let _ = tx.send(initialize.send().await.unwrap().status().as_u16());
                    let _ = tx.send(call.send().await.unwrap().status().as_u16());
                });
            } else if is_server_request(message) {
                let reply = post(&endpoint, client_reply(message));
                let tx = tx.clone();
                actix_web::rt::spawn(async move {
                    let _ = tx.send(reply.send().await.unwrap().status().as_u16());
                });
            }
            answers(message, 7)
        })
        .await;
        drop(tx);
        let mut codes = Vec::new();
        while let Some(code) = statuses.recv().await {
            codes.push(code);
        }
        assert_eq!(codes, [202, 202, 202], "initialize, tools/call, the reply");
        let request = messages
            .iter()
            .find(|m| m["method"] == "sampling/createMessage")
            .expect("the sampling request on the session's stream");
        assert_eq!(
            request["params"]["messages"][0]["content"]["text"],
            "legacy"
        );
        let last = messages.last().unwrap();
        assert!(answers(last, 7), "{messages:?}");
        assert_eq!(result_text(last), format!("LLM response: {SAMPLING_REPLY}"));
    }
}

#[actix_web::test]
async fn a_json_answered_post_sends_the_request_on_the_get_stream() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let version = "2025-11-25";
        let session = initialize(&app, version, json!({"sampling": {}})).await;
        let stream = app
            .client
            .get(format!("{}/mcp", app.address))
            .bearer_auth(&app.token)
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", &session)
            .header("MCP-Protocol-Version", version)
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        // The call waits for the reply; it runs beside the GET stream's reader.
        let call = app
            .client
            .post(format!("{}/mcp", app.address))
            .bearer_auth(&app.token)
            .header("Accept", "application/json")
            .header("Mcp-Session-Id", &session)
            .header("MCP-Protocol-Version", version)
            .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                          "params": {"name": "test_sampling", "arguments": {"prompt": "json"}}}));
        let call = actix_web::rt::spawn(async move {
            let response = call.send().await.unwrap();
            response.json::<Value>().await.unwrap()
        });
        let (tx, mut statuses): (_, Statuses) = mpsc::unbounded_channel();
        let messages = read_sse(stream, Duration::from_secs(10), |message| {
            if is_server_request(message) {
                let reply = app
                    .post()
                    .header("Mcp-Session-Id", &session)
                    .header("MCP-Protocol-Version", version)
                    .json(&client_reply(message));
                let tx = tx.clone();
                actix_web::rt::spawn(async move {
                    let _ = tx.send(reply.send().await.unwrap().status().as_u16());
                });
                return true;
            }
            false
        })
        .await;
        assert_eq!(messages.last().unwrap()["method"], "sampling/createMessage");
        let answer = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .unwrap()
            .unwrap();
        drop(tx);
        assert_eq!(statuses.recv().await, Some(202));
        assert_eq!(
            result_text(&answer),
            format!("LLM response: {SAMPLING_REPLY}")
        );
    }
}
