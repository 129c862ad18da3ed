//! JSON-RPC 2.0 framing: parsing incoming messages and building outgoing ones.

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::error::McpError;
use super::version::ProtocolVersion;

/// A JSON-RPC request id: a string or an integer.
pub type RequestId = Value;

/// Whether `id` can be an id: a string, or an integer that fits 64 bits (a larger or
/// fractional number would come back as a float, not as the client sent it).
fn is_usable_id(id: &Value) -> bool {
    match id {
        Value::String(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// One incoming JSON-RPC message.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    Request {
        id: RequestId,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
        params: Map<String, Value>,
    },
    /// A response from the client (to a server request); accepted and ignored.
    Response { id: RequestId },
}

impl Incoming {
    /// The method, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match self {
            Incoming::Request { method, .. } | Incoming::Notification { method, .. } => {
                Some(method)
            }
            Incoming::Response { .. } => None,
        }
    }

    /// The params, for requests and notifications.
    pub fn params(&self) -> Option<&Map<String, Value>> {
        match self {
            Incoming::Request { params, .. } | Incoming::Notification { params, .. } => {
                Some(params)
            }
            Incoming::Response { .. } => None,
        }
    }
}

/// A parsed HTTP body: one message or a batch.
#[derive(Clone, Debug)]
pub enum Body {
    Single(Value),
    Batch(Vec<Value>),
}

/// Parses raw bytes into one message or a batch (not yet validated).
pub fn parse_body(bytes: &[u8]) -> Result<Body, McpError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| McpError::Parse(format!("the body is not valid JSON ({e})")))?;
    match value {
        Value::Array(items) if items.is_empty() => Err(McpError::InvalidRequest(
            "an empty batch is not a valid JSON-RPC message".into(),
        )),
        Value::Array(items) => Ok(Body::Batch(items)),
        other => Ok(Body::Single(other)),
    }
}

/// The id of a message if it has a usable one (for error answers to invalid messages).
pub fn id_of(value: &Value) -> Value {
    match value.get("id") {
        Some(id) if is_usable_id(id) => id.clone(),
        _ => Value::Null,
    }
}

/// Validates one message.
pub fn classify(value: Value) -> Result<Incoming, McpError> {
    let Value::Object(mut obj) = value else {
        return Err(McpError::InvalidRequest(
            "a JSON-RPC message must be a JSON object".into(),
        ));
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(McpError::InvalidRequest(
            "\"jsonrpc\" must be the string \"2.0\"".into(),
        ));
    }
    let id = match obj.remove("id") {
        None => None,
        Some(id) if is_usable_id(&id) => Some(id),
        Some(_) => {
            return Err(McpError::InvalidRequest(
                "\"id\" must be a string or an integer of at most 64 bits".into(),
            ));
        }
    };
    let method = match obj.remove("method") {
        None => None,
        Some(Value::String(m)) => Some(m),
        Some(_) => {
            return Err(McpError::InvalidRequest(
                "\"method\" must be a string".into(),
            ));
        }
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err(McpError::InvalidRequest(
                "\"params\" must be an object".into(),
            ));
        }
    };
    match (id, method) {
        (Some(id), Some(method)) => Ok(Incoming::Request { id, method, params }),
        (None, Some(method)) => Ok(Incoming::Notification { method, params }),
        (Some(id), None) if obj.contains_key("result") || obj.contains_key("error") => {
            Ok(Incoming::Response { id })
        }
        _ => Err(McpError::InvalidRequest(
            "a request needs \"method\" (and \"id\"); a response needs \"result\" or \"error\""
                .into(),
        )),
    }
}

/// A message with `jsonrpc`, then `key` set to `value` (moved in, never re-serialised).
fn message(id_or_method: (&str, Value), key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert("jsonrpc".into(), "2.0".into());
    map.insert(id_or_method.0.into(), id_or_method.1);
    map.insert(key.into(), value);
    Value::Object(map)
}

/// A success response.
pub fn result(id: &RequestId, result: Value) -> Value {
    message(("id", id.clone()), "result", result)
}

/// An error response (`id` may be null for messages that could not be read).
pub fn error(id: &RequestId, err: &McpError, version: ProtocolVersion) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": err.to_error_object(version)})
}

/// A success response framed around an already serialised result: the result's bytes are
/// copied, never parsed or re-serialised.
pub fn encode_result(id: &RequestId, result: &RawValue) -> String {
    #[derive(serde::Serialize)]
    struct Response<'a> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        result: &'a RawValue,
    }
    let response = Response {
        jsonrpc: "2.0",
        id,
        result,
    };
    // Serialising a Value id and raw bytes cannot fail.
    serde_json::to_string(&response).unwrap_or_default()
}

/// An error response, encoded.
pub fn encode_error(id: &RequestId, err: &McpError, version: ProtocolVersion) -> String {
    error(id, err, version).to_string()
}

/// Encoded messages as one JSON-RPC batch answer.
pub fn encode_batch(messages: &[String]) -> String {
    let mut out = String::with_capacity(messages.iter().map(|m| m.len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(m);
    }
    out.push(']');
    out
}

/// A notification.
pub fn notification(method: &str, params: Value) -> Value {
    message(("method", method.into()), "params", params)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let r = classify(json!({"jsonrpc":"2.0","id":1,"method":"ping"})).unwrap();
        assert!(matches!(r, Incoming::Request { .. }));
        let n = classify(json!({"jsonrpc":"2.0","method":"notifications/initialized"})).unwrap();
        assert!(matches!(n, Incoming::Notification { .. }));
        let s = classify(json!({"jsonrpc":"2.0","id":"a","result":{}})).unwrap();
        assert!(matches!(s, Incoming::Response { .. }));
    }

    #[test]
    fn rejects_wrong_types() {
        assert!(classify(json!({"jsonrpc":"1.0","id":1,"method":"ping"})).is_err());
        assert!(classify(json!({"jsonrpc":"2.0","id":true,"method":"ping"})).is_err());
        assert!(classify(json!({"jsonrpc":"2.0","id":1,"method":5})).is_err());
        assert!(classify(json!({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})).is_err());
        assert!(classify(json!([1])).is_err());
        assert!(parse_body(b"{").is_err());
        assert!(parse_body(b"[]").is_err());
    }

    #[test]
    fn ids_are_echoed_exactly_or_refused() {
        for text in [
            r#""abc""#,
            "0",
            "-9223372036854775808",
            "18446744073709551615",
        ] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{text},"method":"ping"}}"#);
            let Ok(Body::Single(message)) = parse_body(body.as_bytes()) else {
                panic!("{body}");
            };
            let Incoming::Request { id, .. } = classify(message).unwrap() else {
                panic!("{body}");
            };
            let answer = encode_result(&id, &RawValue::from_string("{}".into()).unwrap());
            assert_eq!(
                answer,
                format!(r#"{{"jsonrpc":"2.0","id":{text},"result":{{}}}}"#)
            );
        }
        for text in ["18446744073709551616", "1e3", "1.5", "-9223372036854775809"] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{text},"method":"ping"}}"#);
            let Ok(Body::Single(message)) = parse_body(body.as_bytes()) else {
                panic!("{body}");
            };
            assert_eq!(id_of(&message), Value::Null, "{text}");
            assert!(
                matches!(classify(message), Err(McpError::InvalidRequest(_))),
                "{text}"
            );
        }
    }
}
