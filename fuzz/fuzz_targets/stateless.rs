//! The 2026-07-28 stateless request: the `_meta` envelope and the mirrored headers. The first
//! three lines of the input are the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`
//! headers (an empty line: absent); the rest is the body.
#![no_main]

use aether365::mcp::jsonrpc::{self, Body, Incoming};
use aether365::mcp::stateless::{self, MirroredHeaders};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |b| *b == b'\n');
    let mut header = || {
        parts
            .next()
            .filter(|h| !h.is_empty())
            .map(|h| String::from_utf8_lossy(h).into_owned())
    };
    let headers = MirroredHeaders {
        protocol_version: header(),
        method: header(),
        name: header(),
    };
    let Some(body) = parts.next() else {
        return;
    };
    let Ok(Body::Single(message)) = jsonrpc::parse_body(body) else {
        return;
    };
    let Ok(Incoming::Request { method, params, .. }) = jsonrpc::classify(message) else {
        return;
    };
    if let Ok(envelope) = stateless::envelope(&params) {
        let _ = stateless::check_headers(&headers, &envelope, &method, &params);
    }
});
