//! JSON-RPC decoding as every protocol version sees it: a body is parsed, each message
//! classified and its request decoded, and every answer echoes the id exactly as sent.
#![no_main]

use aether365::mcp::jsonrpc::{self, Body, Incoming, RequestId};
use aether365::mcp::session::ClientResponse;
use aether365::mcp::{McpError, ProtocolVersion, request};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

const VERSIONS: [&str; 5] = [
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];

/// The id an encoded answer carries, read back.
fn id_in(answer: &str) -> RequestId {
    match jsonrpc::parse_body(answer.as_bytes()) {
        Ok(Body::Single(message)) => jsonrpc::id_of(&message),
        other => panic!("an answer is one JSON message: {answer} ({other:?})"),
    }
}

fuzz_target!(|data: &[u8]| {
    let messages = match jsonrpc::parse_body(data) {
        Ok(Body::Single(message)) => vec![message],
        Ok(Body::Batch(messages)) => messages,
        Err(_) => return,
    };
    for message in messages {
        let fallback_id = jsonrpc::id_of(&message);
        let response = ClientResponse::of_message(&message);
        let Ok(incoming) = jsonrpc::classify(message) else {
            continue;
        };
        if let Incoming::Response { id } = &incoming {
            assert_eq!(response.map(|r| r.id), Some(id.clone()));
        }
        let Incoming::Request { id, method, params } = incoming else {
            continue;
        };
        assert_eq!(id, fallback_id, "the id of a valid request is its id");
        assert_eq!(id.key(), id.key());
        let decoded = request::decode(&method, params);
        let empty = RawValue::from_string("{}".into()).expect("{} is JSON");
        assert_eq!(
            id_in(&jsonrpc::encode_result(&id, &empty)),
            id,
            "ids are echoed exactly"
        );
        for version in VERSIONS.iter().filter_map(|v| ProtocolVersion::parse(v)) {
            let _ = version.has_method(&method);
            let error = match &decoded {
                Ok(_) => McpError::MethodNotFound(method.clone()),
                Err(e) => e.clone(),
            };
            let answer = jsonrpc::encode_error(&id, &error, version);
            assert_eq!(id_in(&answer), id, "ids are echoed exactly");
        }
    }
});
