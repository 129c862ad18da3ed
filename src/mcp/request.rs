//! Decoding a request into its type: rmcp's [`ClientRequest`] for every method of every
//! version we serve, and local types beside it where rmcp has none.

#![allow(deprecated)] // rmcp marks logging deprecated (SEP-2577); 2025-11-25 and older still have it.

use rmcp::model::{
    CallToolRequestParams, CancelTaskParams, ClientRequest, CompleteRequestParams,
    GetPromptRequestParams, GetTaskParams, PaginatedRequestParams, ReadResourceRequestParams,
    SetLevelRequestParams, SubscribeRequestParams, UnsubscribeRequestParams, UpdateTaskParams,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::McpError;
use super::logging::LogLevel;
use super::surface::args::value_kind;

/// Parameters of `tasks/result` (2025-11-25 experimental tasks). Local type: rmcp 3.11 models
/// the tasks extension of 2026-07-28, where this method no longer exists.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResultParams {
    pub task_id: String,
}

/// One request, typed.
#[derive(Debug)]
pub enum McpRequest {
    /// Every method rmcp models.
    Client(Box<ClientRequest>),
    /// `tasks/list` (2025-11-25; local: see [`TaskResultParams`]).
    ListTasks(Box<PaginatedRequestParams>),
    /// `tasks/result` (2025-11-25; local).
    TaskResult(TaskResultParams),
    /// A 2025-11-25 `tools/call` with a `task` field asks to run the tool as a task; rmcp's
    /// `CallToolRequestParams` has no such field (local).
    CallToolAsTask(Box<CallToolRequestParams>),
    /// `tools/call`, to be answered at once.
    CallTool(Box<CallToolRequestParams>),
}

/// A string parameter, required.
pub fn str_param<'a>(params: &'a Map<String, Value>, key: &str) -> Result<&'a str, McpError> {
    match params.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(McpError::InvalidParams(format!(
            "\"{key}\" must be a string, not {}",
            value_kind(other)
        ))),
        None => Err(McpError::InvalidParams(format!("\"{key}\" is required"))),
    }
}

/// The level `logging/setLevel` asks for.
pub fn log_level(params: &SetLevelRequestParams) -> Option<LogLevel> {
    serde_json::to_value(params.level)
        .ok()
        .and_then(|l| l.as_str().and_then(LogLevel::parse))
}

/// Decodes `method` with `params`: -32601 for a method no version has, -32602 for params
/// that do not fit the method.
pub fn decode(method: &str, params: Map<String, Value>) -> Result<McpRequest, McpError> {
    match method {
        "tasks/list" => return typed(method, params).map(McpRequest::ListTasks),
        "tasks/result" => return typed(method, params).map(|p| McpRequest::TaskResult(*p)),
        "tools/call" if params.contains_key("task") => {
            let mut params = params;
            params.remove("task");
            return typed(method, params).map(McpRequest::CallToolAsTask);
        }
        // The hot path: straight to its parameters, without trying every request type.
        "tools/call" => {
            let value = Value::Object(params);
            return match (CallToolRequestParams::deserialize(&value), value) {
                (Ok(call), _) => Ok(McpRequest::CallTool(Box::new(call))),
                (Err(_), Value::Object(params)) => Err(params_error(method, params)),
                (Err(e), _) => Err(McpError::InvalidParams(e.to_string())),
            };
        }
        _ => {}
    }
    let mut message = Map::new();
    message.insert("method".into(), method.into());
    message.insert("params".into(), Value::Object(params));
    let request: ClientRequest = serde_json::from_value(Value::Object(message))
        .map_err(|e| McpError::InvalidParams(e.to_string()))?;
    match request {
        ClientRequest::CustomRequest(custom) => {
            let params = match custom.params {
                Some(Value::Object(p)) => p,
                _ => Map::new(),
            };
            Err(params_error(&custom.method, params))
        }
        request => Ok(McpRequest::Client(Box::new(request))),
    }
}

fn typed<T: DeserializeOwned>(
    method: &str,
    params: Map<String, Value>,
) -> Result<Box<T>, McpError> {
    serde_json::from_value::<T>(Value::Object(params))
        .map(Box::new)
        .map_err(|e| McpError::InvalidParams(format!("{method}: {e}")))
}

/// Why params of a known method did not decode, or -32601 for an unknown method.
fn params_error(method: &str, params: Map<String, Value>) -> McpError {
    fn check<T: DeserializeOwned>(method: &str, params: Map<String, Value>) -> McpError {
        match serde_json::from_value::<T>(Value::Object(params)) {
            Err(e) => McpError::InvalidParams(format!("{method}: {e}")),
            Ok(_) => McpError::InvalidRequest(format!("{method}: malformed request")),
        }
    }
    if let Some(args) = params
        .get("arguments")
        .filter(|a| !a.is_object() && !a.is_null())
        && matches!(method, "tools/call" | "prompts/get")
    {
        return McpError::InvalidParams(format!(
            "\"arguments\" must be an object, not {}",
            value_kind(args)
        ));
    }
    match method {
        "tools/call" => check::<CallToolRequestParams>(method, params),
        "resources/read" => check::<ReadResourceRequestParams>(method, params),
        "resources/subscribe" => check::<SubscribeRequestParams>(method, params),
        "resources/unsubscribe" => check::<UnsubscribeRequestParams>(method, params),
        "prompts/get" => check::<GetPromptRequestParams>(method, params),
        "completion/complete" => check::<CompleteRequestParams>(method, params),
        "logging/setLevel" => check::<SetLevelRequestParams>(method, params),
        "tasks/get" => check::<GetTaskParams>(method, params),
        "tasks/cancel" => check::<CancelTaskParams>(method, params),
        "tasks/update" => check::<UpdateTaskParams>(method, params),
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            check::<PaginatedRequestParams>(method, params)
        }
        other => McpError::MethodNotFound(format!("{other:?} is not an MCP method")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn known_methods_decode_to_their_types() {
        let r = decode(
            "tools/call",
            params(json!({"name": "get_posture", "arguments": {}})),
        )
        .unwrap();
        assert!(matches!(r, McpRequest::CallTool(ref c) if c.name == "get_posture"));
        let r = decode("ping", params(json!({"_meta": {"x": 1}}))).unwrap();
        assert!(matches!(
            r,
            McpRequest::Client(ref c) if matches!(**c, ClientRequest::PingRequest(_))
        ));
        let r = decode("tasks/result", params(json!({"taskId": "scan-1"}))).unwrap();
        assert!(matches!(r, McpRequest::TaskResult(_)));
    }

    #[test]
    fn bad_params_and_unknown_methods_have_their_codes() {
        use crate::mcp::ProtocolVersion;
        let v = ProtocolVersion::V2025_06_18;
        let e = decode("tools/call", params(json!({"arguments": {}}))).unwrap_err();
        assert_eq!(e.code(v), -32602, "{e}");
        let e = decode("tools/call", params(json!({"name": "x", "arguments": 3}))).unwrap_err();
        assert_eq!(e.code(v), -32602, "{e}");
        let e = decode("resources/read", Map::new()).unwrap_err();
        assert_eq!(e.code(v), -32602, "{e}");
        let e = decode("nope/nope", Map::new()).unwrap_err();
        assert_eq!(e.code(v), -32601, "{e}");
    }
}
