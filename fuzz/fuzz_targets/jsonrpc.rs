//! JSON-RPC decoding as every protocol version sees it: a body is parsed, each message
//! classified and its request decoded, and every answer echoes the id exactly.
#![no_main]

use aether365::mcp::jsonrpc::{self, Body, Incoming};
use aether365::mcp::{McpError, ProtocolVersion, request};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const VERSIONS: [&str; 5] = [
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];

fuzz_target!(|data: &[u8]| {
    let messages = match jsonrpc::parse_body(data) {
        Ok(Body::Single(message)) => vec![message],
        Ok(Body::Batch(messages)) => messages,
        Err(_) => return,
    };
    for message in messages {
        let fallback_id = jsonrpc::id_of(&message);
        let Ok(incoming) = jsonrpc::classify(message) else {
            continue;
        };
        let Incoming::Request { id, method, params } = incoming else {
            continue;
        };
        assert_eq!(id, fallback_id, "the id of a valid request is its id");
        let decoded = request::decode(&method, params);
        for version in VERSIONS.iter().filter_map(|v| ProtocolVersion::parse(v)) {
            let _ = version.has_method(&method);
            let error = match &decoded {
                Ok(_) => McpError::MethodNotFound(method.clone()),
                Err(e) => e.clone(),
            };
            let answer: Value =
                serde_json::from_str(&jsonrpc::encode_error(&id, &error, version))
                    .expect("an error answer is JSON");
            assert_eq!(answer["id"], id, "ids are echoed exactly");
        }
    }
});
