//! JSON-RPC 2.0 framing: parsing incoming messages and building outgoing ones.
//!
//! Ids are kept as the client wrote them (the raw JSON text) and written back byte for byte,
//! so any string or number is echoed exactly: integers beyond 64 bits, negative, fractional
//! and exponent forms alike (a `serde_json::Value` would turn them into floats, or refuse
//! `1e400`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::error::McpError;
use super::version::ProtocolVersion;

/// A JSON-RPC id exactly as the client wrote it (a string or a number), or `null` in answers
/// to messages whose id could not be read.
#[derive(Clone, Debug)]
pub enum RequestId {
    Null,
    /// The raw JSON text of a string or a number.
    Raw(Box<RawValue>),
}

impl RequestId {
    /// The id `raw` if it can be one: a JSON string or number.
    pub fn of_raw(raw: Box<RawValue>) -> Option<RequestId> {
        match raw.get().as_bytes().first() {
            Some(b'"' | b'-' | b'0'..=b'9') => Some(RequestId::Raw(raw)),
            _ => None,
        }
    }

    /// An id decoded as a `Value` (a `requestId` to cancel, an id this server chose): strings
    /// and numbers.
    pub fn of_value(value: &Value) -> Option<RequestId> {
        if !(value.is_string() || value.is_number()) {
            return None;
        }
        serde_json::value::to_raw_value(value)
            .ok()
            .and_then(RequestId::of_raw)
    }

    /// The JSON text written in answers.
    pub fn as_json(&self) -> &str {
        match self {
            RequestId::Null => "null",
            RequestId::Raw(raw) => raw.get(),
        }
    }

    /// The key that matches a request with the messages naming it (cancellations, responses):
    /// a string by its value (however it was escaped), a number by its text.
    pub fn key(&self) -> String {
        let text = self.as_json();
        if text.starts_with('"')
            && let Ok(Value::String(s)) = serde_json::from_str::<Value>(text)
        {
            return Value::String(s).to_string();
        }
        text.to_string()
    }
}

impl PartialEq for RequestId {
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
    }
}

impl Eq for RequestId {}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

impl Serialize for RequestId {
    /// Written verbatim by `serde_json`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Null => serializer.serialize_unit(),
            RequestId::Raw(raw) => raw.serialize(serializer),
        }
    }
}

/// One message of a body as read: its members but the id (or whatever non-object value was
/// sent), and the id as written.
#[derive(Clone, Debug)]
pub struct Message {
    /// The object's members without `id`; any other JSON value as it is.
    pub value: Value,
    /// The raw `id` member, when the message is an object that has one.
    pub id: Option<Box<RawValue>>,
}

impl Message {
    /// A member of the message (never `id`: see [`Message::id`]).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key)
    }
}

/// Reads a message with `serde_json`, keeping `id` raw (`RawValue` needs `serde_json`'s own
/// deserializer, which is the only one used here).
struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
        let mut members = Map::new();
        let mut id = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "id" {
                id = Some(map.next_value::<Box<RawValue>>()?);
            } else {
                let value: Value = map.next_value()?;
                members.insert(key, value);
            }
        }
        Ok(Message {
            value: Value::Object(members),
            id,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message, A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Message { value, id: None })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Message, E> {
        Ok(plain(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Message, E> {
        Ok(plain(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Message, E> {
        Ok(plain(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Message, E> {
        Ok(plain(
            Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Message, E> {
        Ok(plain(Value::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Message, E> {
        Ok(plain(Value::String(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Message, E> {
        Ok(plain(Value::Null))
    }
}

fn plain(value: Value) -> Message {
    Message { value, id: None }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Message, D::Error> {
        deserializer.deserialize_any(MessageVisitor)
    }
}

/// A body: a batch (an array of messages) or one message.
struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
        let mut messages = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(message) = seq.next_element::<Message>()? {
            messages.push(message);
        }
        Ok(Body::Batch(messages))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Body, A::Error> {
        MessageVisitor.visit_map(map).map(Body::Single)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Body, E> {
        MessageVisitor.visit_bool(v).map(Body::Single)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Body, E> {
        MessageVisitor.visit_i64(v).map(Body::Single)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Body, E> {
        MessageVisitor.visit_u64(v).map(Body::Single)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Body, E> {
        MessageVisitor.visit_f64(v).map(Body::Single)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Body, E> {
        MessageVisitor.visit_str(v).map(Body::Single)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Body, E> {
        MessageVisitor.visit_string(v).map(Body::Single)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Body, E> {
        MessageVisitor.visit_unit().map(Body::Single)
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
    Single(Message),
    Batch(Vec<Message>),
}

/// Parses raw bytes into one message or a batch (not yet validated).
pub fn parse_body(bytes: &[u8]) -> Result<Body, McpError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let body = (&mut deserializer)
        .deserialize_any(BodyVisitor)
        .and_then(|body| deserializer.end().map(|()| body))
        .map_err(|e| McpError::Parse(format!("the body is not valid JSON ({e})")))?;
    match body {
        Body::Batch(items) if items.is_empty() => Err(McpError::InvalidRequest(
            "an empty batch is not a valid JSON-RPC message".into(),
        )),
        other => Ok(other),
    }
}

/// The id of a message if it has a usable one (for error answers to invalid messages).
pub fn id_of(message: &Message) -> RequestId {
    message
        .id
        .clone()
        .and_then(RequestId::of_raw)
        .unwrap_or(RequestId::Null)
}

/// Validates one message.
pub fn classify(message: Message) -> Result<Incoming, McpError> {
    let Message { value, id } = message;
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
    let id = match id.map(RequestId::of_raw) {
        None => None,
        Some(Some(id)) => Some(id),
        Some(None) => {
            return Err(McpError::InvalidRequest(
                "\"id\" must be a string or a number".into(),
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

/// A JSON-RPC answer ready to send.
#[derive(Debug)]
pub enum Encoded {
    /// The whole answer as text.
    Text(String),
    /// A success response whose result stays the bytes it was serialised to (a cached tool
    /// answer is shared, not copied): `head`, then the result, then [`Encoded::RESULT_TAIL`].
    Result {
        head: String,
        result: std::sync::Arc<RawValue>,
    },
}

impl Encoded {
    /// What follows the result of an [`Encoded::Result`].
    pub const RESULT_TAIL: &'static str = "}";

    /// A success response around `result`, framed without copying it.
    pub fn result(id: &RequestId, result: std::sync::Arc<RawValue>) -> Encoded {
        Encoded::Result {
            head: result_head(id),
            result,
        }
    }
}

/// A success response framed around an already serialised result: the result's bytes are
/// copied, never parsed or re-serialised.
pub fn encode_result(id: &RequestId, result: &RawValue) -> String {
    let head = result_head(id);
    let mut text = String::with_capacity(head.len() + result.get().len() + 1);
    text.push_str(&head);
    text.push_str(result.get());
    text.push_str(Encoded::RESULT_TAIL);
    text
}

/// Everything of a success response before its result: `{"jsonrpc":"2.0","id":…,"result":`
/// (the id written as it was sent).
fn result_head(id: &RequestId) -> String {
    let id = match id {
        RequestId::Null => "null",
        RequestId::Raw(raw) => raw.get(),
    };
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":")
}

/// An error response, encoded (`id` may be null for messages that could not be read).
pub fn encode_error(id: &RequestId, err: &McpError, version: ProtocolVersion) -> String {
    #[derive(Serialize)]
    struct Response<'a> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        error: Value,
    }
    let response = Response {
        jsonrpc: "2.0",
        id,
        error: err.to_error_object(version),
    };
    // Serialising a raw id and a `Value` cannot fail.
    serde_json::to_string(&response).unwrap_or_default()
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

/// The `_meta` key naming the subscription a listener's notification belongs to.
pub const SUBSCRIPTION_ID_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// A notification of a `subscriptions/listen` stream, encoded with the listen request's id in
/// `params._meta` (written as the client sent it). Without object params it is as it is.
pub fn encode_with_subscription(notification: &Value, subscription_id: &RequestId) -> String {
    let Value::Object(map) = notification else {
        return notification.to_string();
    };
    let tagged = Tagged {
        map,
        id: subscription_id,
        level: Level::Message,
    };
    // Serialising `Value`s and a raw id cannot fail.
    serde_json::to_string(&tagged).unwrap_or_default()
}

/// Which object of a listener's notification [`Tagged`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Message,
    Params,
    Meta,
}

/// An object of a notification written with the subscription id added to `params._meta`.
struct Tagged<'a> {
    map: &'a Map<String, Value>,
    id: &'a RequestId,
    level: Level,
}

impl Serialize for Tagged<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let inner = |map, level| Tagged {
            map,
            id: self.id,
            level,
        };
        let mut out = serializer.serialize_map(None)?;
        let mut wrote_meta = false;
        for (key, value) in self.map {
            match (self.level, key.as_str(), value) {
                (Level::Message, "params", Value::Object(params)) => {
                    out.serialize_entry(key, &inner(params, Level::Params))?;
                }
                (Level::Params, "_meta", Value::Object(meta)) => {
                    wrote_meta = true;
                    out.serialize_entry(key, &inner(meta, Level::Meta))?;
                }
                // Replaced below: a `_meta` that is not an object, our own key.
                (Level::Params, "_meta", _) | (Level::Meta, SUBSCRIPTION_ID_KEY, _) => {}
                _ => out.serialize_entry(key, value)?,
            }
        }
        match self.level {
            Level::Params if !wrote_meta => {
                let empty = Map::new();
                out.serialize_entry("_meta", &inner(&empty, Level::Meta))?;
            }
            Level::Meta => out.serialize_entry(SUBSCRIPTION_ID_KEY, self.id)?,
            _ => {}
        }
        out.end()
    }
}

/// A notification.
pub fn notification(method: &str, params: Value) -> Value {
    message(("method", method.into()), "params", params)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Message {
        match parse_body(text.as_bytes()).unwrap() {
            Body::Single(message) => message,
            Body::Batch(_) => panic!("{text} is a batch"),
        }
    }

    #[test]
    fn classifies_requests_notifications_and_responses() {
        let r = classify(one(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).unwrap();
        assert!(matches!(r, Incoming::Request { .. }));
        let n = classify(one(
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        ));
        assert!(matches!(n.unwrap(), Incoming::Notification { .. }));
        let s = classify(one(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#)).unwrap();
        assert!(matches!(s, Incoming::Response { .. }));
    }

    #[test]
    fn rejects_wrong_types() {
        for text in [
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
            "[1]",
            "7",
        ] {
            let messages = match parse_body(text.as_bytes()).unwrap() {
                Body::Single(m) => vec![m],
                Body::Batch(ms) => ms,
            };
            for message in messages {
                assert!(classify(message).is_err(), "{text}");
            }
        }
        assert!(parse_body(b"{").is_err());
        assert!(parse_body(b"[]").is_err());
        assert!(parse_body(br#"{"id":1} {}"#).is_err());
    }

    #[test]
    fn the_rest_of_a_message_is_read_as_json() {
        let message = one(r#"{"jsonrpc":"2.0","id":7,"method":"m","params":{"a":[1,{"b":null}]}}"#);
        assert_eq!(
            message.value,
            json!({"jsonrpc":"2.0","method":"m","params":{"a":[1,{"b":null}]}})
        );
        let Body::Batch(items) =
            parse_body(br#"[{"id":"x"}, [1, 2], "s", 1.5, null, true]"#).unwrap()
        else {
            panic!("a batch");
        };
        let values: Vec<Value> = items.iter().map(|m| m.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                json!({}),
                json!([1, 2]),
                json!("s"),
                json!(1.5),
                json!(null),
                json!(true)
            ]
        );
        assert_eq!(id_of(&items[0]).as_json(), r#""x""#);
    }

    #[test]
    fn ids_are_echoed_exactly() {
        for text in [
            r#""abc""#,
            r#""\u00e9\"""#,
            "0",
            "-0",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "12345678901234567890123",
            "-123456789012345678901234567890",
            "1e400",
            "1E+3",
            "-2.5e-7",
            "1.5",
            "1.0",
        ] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{text},"method":"ping"}}"#);
            let message = one(&body);
            assert_eq!(id_of(&message).as_json(), text);
            let Incoming::Request { id, .. } = classify(message).unwrap() else {
                panic!("{body}");
            };
            let result: std::sync::Arc<RawValue> = RawValue::from_string(r#"{"a":[1,"é"]}"#.into())
                .unwrap()
                .into();
            let answer = encode_result(&id, &result);
            assert_eq!(
                answer,
                format!(r#"{{"jsonrpc":"2.0","id":{text},"result":{{"a":[1,"é"]}}}}"#)
            );
            // The framed form is the same answer, byte for byte.
            let Encoded::Result { head, result } = Encoded::result(&id, result) else {
                panic!("a result is framed");
            };
            assert_eq!(
                format!("{head}{}{}", result.get(), Encoded::RESULT_TAIL),
                answer
            );
            let error = encode_error(
                &id,
                &McpError::MethodNotFound("x".into()),
                ProtocolVersion::V2025_06_18,
            );
            assert!(
                error.starts_with(&format!(r#"{{"jsonrpc":"2.0","id":{text},"error":{{"#)),
                "{error}"
            );
        }
    }

    #[test]
    fn keys_match_ids_however_written() {
        let sent =
            RequestId::of_raw(RawValue::from_string(r#""\u0061b""#.into()).unwrap()).unwrap();
        assert_eq!(sent.key(), RequestId::of_value(&json!("ab")).unwrap().key());
        let number = RequestId::of_raw(RawValue::from_string("42".into()).unwrap()).unwrap();
        assert_eq!(number.key(), RequestId::of_value(&json!(42)).unwrap().key());
        assert!(RequestId::of_value(&json!(true)).is_none());
    }

    #[test]
    fn listener_notifications_carry_the_subscription_id_as_sent() {
        let id = RequestId::of_raw(RawValue::from_string("1e400".into()).unwrap()).unwrap();
        let note = notification("notifications/tools/list_changed", json!({}));
        assert_eq!(
            encode_with_subscription(&note, &id),
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":1e400}}}"#
        );
        let note = notification(
            "n",
            json!({"uri": "u", "_meta": {"a": 1, SUBSCRIPTION_ID_KEY: 2}}),
        );
        let encoded = encode_with_subscription(&note, &id);
        let back: Value = serde_json::from_str(&encoded.replace("1e400", "\"x\"")).unwrap();
        assert_eq!(
            back["params"],
            json!({"uri": "u", "_meta": {"a": 1, SUBSCRIPTION_ID_KEY: "x"}})
        );
    }
}
