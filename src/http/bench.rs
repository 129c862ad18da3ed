//! Benchmark-only route (cargo feature `bench`): `POST /bench/tools/{name}` answers a tool's
//! structured JSON without JSON-RPC, sessions or SSE, audited like `tools/call`: the ceiling
//! the MCP transports are compared with.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::error::HttpError;
use super::guard::Authenticated;
use super::state::AppState;
use crate::mcp::{ProtocolVersion, RequestContext, methods};

/// POST /bench/tools/{name}: the body is the tool's `arguments` object (empty: none).
pub async fn call(
    name: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, HttpError> {
    let arguments = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(args) => args,
            Err(e) => {
                return Ok(HttpResponse::BadRequest().json(json!({"error": e.to_string()})));
            }
        }
    };
    let ctx = RequestContext {
        backend: state.backend.clone(),
        caller,
        config: state.core.clone(),
        version: ProtocolVersion::V2026_07_28,
        client_capabilities: std::sync::Arc::new(json!({})),
        progress_token: None,
        log_level: None,
        notifier: None,
        session: None,
    };
    match methods::plain_call(&ctx, &name, arguments).await {
        Ok(outcome) => Ok(HttpResponse::Ok().json(&outcome.outcome.structured)),
        Err(e) => Ok(HttpResponse::BadRequest().json(json!({"error": e.to_string()}))),
    }
}
