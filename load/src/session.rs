//! One MCP client session over legacy HTTP+SSE, Streamable HTTP (handshake era) or the
//! stateless 2026-07-28 protocol, with its server-to-client stream when it has one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::http::{self, Body, Conn, Head};
use crate::sse::{SseItem, SseParser};

/// The handshake-era version this client speaks.
pub const HANDSHAKE_VERSION: &str = "2025-06-18";
/// The stateless version.
pub const STATELESS_VERSION: &str = "2026-07-28";
const ACCEPT_BOTH: &str = "application/json, text/event-stream";
const USER_AGENT: &str = "aether365-load/0.1";
/// Largest read buffer of a connection (hyper starts smaller and grows to it).
const BUFFER: usize = 16 * 1024;

/// The MCP transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Legacy HTTP+SSE (2024-11-05): GET /sse, POST /messages.
    Legacy,
    /// Streamable HTTP with initialize and Mcp-Session-Id (2025-06-18).
    Streamable,
    /// Stateless Streamable HTTP (2026-07-28).
    Stateless,
    /// No MCP: `POST /bench/tools/{name}` of a server built with the `bench` feature (tool
    /// calls only; the ceiling the MCP transports are compared with).
    Plain,
}

/// Where and as whom to connect.
pub struct Target {
    /// The server's addresses: session N uses address N mod count.
    pub addrs: Vec<SocketAddr>,
    /// The bearer token; `None` sends no Authorization header.
    pub token: Option<String>,
    /// Loopback source addresses to spread connections over (empty: the system's choice).
    pub sources: Vec<IpAddr>,
    /// Limit of every request and of opening a session.
    pub timeout: Duration,
}

impl Target {
    fn addr(&self, index: usize) -> SocketAddr {
        self.addrs[index % self.addrs.len()]
    }

    fn source(&self, index: usize) -> Option<IpAddr> {
        (!self.sources.is_empty()).then(|| self.sources[index % self.sources.len()])
    }

    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }
}

/// Why a request failed; [`CallError::kind`] names it in reports.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("timed out")]
    Timeout,
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("JSON-RPC error {code}: {message}")]
    JsonRpc { code: i64, message: String },
    #[error("the tool answered isError")]
    Tool,
    #[error("the event stream ended")]
    StreamClosed,
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl CallError {
    /// A short name for error tables.
    pub fn kind(&self) -> String {
        match self {
            CallError::Connect(e) => format!("connect_{:?}", e.kind()).to_lowercase(),
            CallError::Io(e) => format!("io_{:?}", e.kind()).to_lowercase(),
            CallError::Timeout => "timeout".into(),
            CallError::Status(s) => format!("http_{s}"),
            CallError::JsonRpc { code, .. } => format!("jsonrpc_{code}"),
            CallError::Tool => "tool_error".into(),
            CallError::StreamClosed => "stream_closed".into(),
            CallError::Protocol(_) => "protocol".into(),
        }
    }
}

async fn within<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| CallError::Timeout)?
}

/// A server notification received on a stream.
#[derive(Debug)]
pub struct Note {
    pub method: String,
    pub params: Value,
    pub at: Instant,
    pub wall: SystemTime,
}

/// State shared between a session and the task reading its stream.
#[derive(Default)]
struct StreamShared {
    pending: Mutex<HashMap<i64, oneshot::Sender<Value>>>,
    keepalives: AtomicU64,
    closed: AtomicBool,
}

/// A server-to-client event stream read by its own task.
struct Stream {
    shared: Arc<StreamShared>,
    notes: mpsc::UnboundedReceiver<Note>,
    task: JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens `GET path` (or `POST path` with `body`) as an event stream and starts reading it.
/// `first` receives the first event's `(event, data)` (the legacy `endpoint` event).
async fn open_stream(
    target: &Target,
    index: usize,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<(Stream, oneshot::Receiver<(String, String)>), CallError> {
    let mut conn = http::connect(target.addr(index), target.source(index), BUFFER)
        .await
        .map_err(CallError::Connect)?;
    let (head, body) = conn.open(method, path, headers, body).await?;
    if head.status != 200 {
        return Err(CallError::Status(head.status));
    }
    if !head.is_event_stream() {
        return Err(CallError::Protocol(format!(
            "{path} did not answer an event stream"
        )));
    }
    let shared = Arc::new(StreamShared::default());
    let (notes_tx, notes) = mpsc::unbounded_channel();
    let (first_tx, first_rx) = oneshot::channel();
    let task = tokio::spawn(read_stream(conn, body, shared.clone(), notes_tx, first_tx));
    Ok((
        Stream {
            shared,
            notes,
            task,
        },
        first_rx,
    ))
}

/// Reads an event stream until it ends; `conn` stays open as long as the stream does.
async fn read_stream(
    conn: Conn,
    mut body: Body,
    shared: Arc<StreamShared>,
    notes: mpsc::UnboundedSender<Note>,
    first: oneshot::Sender<(String, String)>,
) {
    let _conn = conn;
    let mut first = Some(first);
    let mut parser = SseParser::default();
    let mut bytes = Vec::with_capacity(1024);
    loop {
        bytes.clear();
        match body.next_into(&mut bytes).await {
            Ok(true) => parser.push(&bytes),
            Ok(false) | Err(_) => break,
        }
        while let Some(item) = parser.next_item() {
            match item {
                SseItem::Comment => {
                    shared.keepalives.fetch_add(1, Ordering::Relaxed);
                }
                SseItem::Event { event, data } => {
                    if let Some(tx) = first.take() {
                        let _ = tx.send((event.clone(), data.clone()));
                    }
                    route_message(&data, &shared, &notes);
                }
            }
        }
    }
    shared.closed.store(true, Ordering::Relaxed);
    // Dropping the pending senders fails the calls still waiting.
    if let Ok(mut pending) = shared.pending.lock() {
        pending.clear();
    }
}

/// Hands a JSON-RPC response to its waiting call, or a notification to the notes channel.
fn route_message(data: &str, shared: &StreamShared, notes: &mpsc::UnboundedSender<Note>) {
    let Ok(message) = serde_json::from_str::<Value>(data) else {
        return;
    };
    if let Some(method) = message.get("method").and_then(Value::as_str) {
        if message.get("id").is_none() {
            let _ = notes.send(Note {
                method: method.to_string(),
                params: message.get("params").cloned().unwrap_or(Value::Null),
                at: Instant::now(),
                wall: SystemTime::now(),
            });
        }
        return;
    }
    let Some(id) = message.get("id").and_then(Value::as_i64) else {
        return;
    };
    let waiter = shared.pending.lock().ok().and_then(|mut p| p.remove(&id));
    if let Some(tx) = waiter {
        let _ = tx.send(message);
    }
}

/// The `result` of a JSON-RPC response, or its error.
fn result_of(message: Value) -> Result<Value, CallError> {
    if let Some(error) = message.get("error") {
        return Err(CallError::JsonRpc {
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    message
        .get("result")
        .cloned()
        .ok_or_else(|| CallError::Protocol("a response without result or error".into()))
}

/// An open MCP session.
pub struct Session {
    pub transport: Transport,
    target: Arc<Target>,
    index: usize,
    /// The connection requests are POSTed on; opened on demand.
    post: Option<Conn>,
    /// `Mcp-Session-Id` (streamable) or the legacy `/messages?sessionId=…` path.
    session_path: Option<String>,
    session_id: Option<String>,
    stream: Option<Stream>,
    next_id: i64,
}

impl Session {
    /// Opens a session: the legacy stream and `initialize`, or the handshake. Stateless
    /// sessions open nothing until their first request.
    pub async fn open(
        transport: Transport,
        target: Arc<Target>,
        index: usize,
    ) -> Result<Session, CallError> {
        let limit = target.timeout;
        let mut session = Session {
            transport,
            target,
            index,
            post: None,
            session_path: None,
            session_id: None,
            stream: None,
            next_id: 1,
        };
        within(limit, session.handshake()).await?;
        Ok(session)
    }

    async fn handshake(&mut self) -> Result<(), CallError> {
        let init = json!({
            "protocolVersion": if self.transport == Transport::Legacy { "2024-11-05" } else { HANDSHAKE_VERSION },
            "capabilities": {},
            "clientInfo": {"name": "aether365-load", "version": "0.1"},
        });
        match self.transport {
            Transport::Stateless | Transport::Plain => Ok(()),
            Transport::Legacy => {
                let auth = self.target.auth();
                let mut headers = vec![("Accept", "text/event-stream"), ("User-Agent", USER_AGENT)];
                if let Some(auth) = &auth {
                    headers.push(("Authorization", auth));
                }
                let (stream, first) =
                    open_stream(&self.target, self.index, "GET", "/sse", &headers, None).await?;
                self.stream = Some(stream);
                let (event, data) = first.await.map_err(|_| CallError::StreamClosed)?;
                if event != "endpoint" {
                    return Err(CallError::Protocol(format!(
                        "first event {event:?}, not endpoint"
                    )));
                }
                let path = match data.find("/messages") {
                    Some(at) => data[at..].to_string(),
                    None => data,
                };
                self.session_path = Some(path);
                self.request("initialize", init).await?;
                self.notify("notifications/initialized").await
            }
            Transport::Streamable => {
                let body = self.envelope("initialize", init);
                let (head, body) = self.post(&body, &[]).await?;
                if head.status != 200 {
                    return Err(CallError::Status(head.status));
                }
                self.session_id = head.header("mcp-session-id").map(str::to_string);
                if self.session_id.is_none() {
                    return Err(CallError::Protocol(
                        "initialize answered no Mcp-Session-Id".into(),
                    ));
                }
                result_of(response_in(&head, &body, 0)?)?;
                self.notify("notifications/initialized").await
            }
        }
    }

    /// Opens the session's own server-to-client stream where the transport has one outside
    /// requests (streamable: GET /mcp). Legacy sessions already have theirs.
    pub async fn open_listen_stream(&mut self) -> Result<(), CallError> {
        if self.transport != Transport::Streamable || self.stream.is_some() {
            return Ok(());
        }
        let auth = self.target.auth();
        let sid = self.session_id.clone().unwrap_or_default();
        let mut headers = vec![
            ("Accept", "text/event-stream"),
            ("User-Agent", USER_AGENT),
            ("MCP-Protocol-Version", HANDSHAKE_VERSION),
            ("Mcp-Session-Id", sid.as_str()),
        ];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        let (stream, _) = within(
            self.target.timeout,
            open_stream(&self.target, self.index, "GET", "/mcp", &headers, None),
        )
        .await?;
        self.stream = Some(stream);
        Ok(())
    }

    /// Stateless: opens a `subscriptions/listen` stream for `filter` and waits for its
    /// acknowledgement.
    pub async fn listen(&mut self, filter: Value) -> Result<(), CallError> {
        let id = self.take_id();
        let body = json!({
            "jsonrpc": "2.0", "id": id, "method": "subscriptions/listen",
            "params": {"notifications": filter, "_meta": stateless_meta()},
        })
        .to_string();
        let auth = self.target.auth();
        let mut headers = vec![
            ("Accept", ACCEPT_BOTH),
            ("Content-Type", "application/json"),
            ("User-Agent", USER_AGENT),
            ("MCP-Protocol-Version", STATELESS_VERSION),
            ("Mcp-Method", "subscriptions/listen"),
        ];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        let limit = self.target.timeout;
        let (mut stream, _) = within(
            limit,
            open_stream(
                &self.target,
                self.index,
                "POST",
                "/mcp",
                &headers,
                Some(body.as_bytes()),
            ),
        )
        .await?;
        let ack = within(limit, async {
            stream.notes.recv().await.ok_or(CallError::StreamClosed)
        })
        .await?;
        if ack.method != "notifications/subscriptions/acknowledged" {
            return Err(CallError::Protocol(format!(
                "listen began with {}",
                ack.method
            )));
        }
        self.stream = Some(stream);
        Ok(())
    }

    /// Subscribes to updates of resource `uri` on this session's stream.
    pub async fn subscribe(&mut self, uri: &str) -> Result<(), CallError> {
        match self.transport {
            Transport::Stateless => self.listen(json!({"resourceSubscriptions": [uri]})).await,
            Transport::Streamable => {
                self.open_listen_stream().await?;
                self.request("resources/subscribe", json!({"uri": uri}))
                    .await
                    .map(drop)
            }
            Transport::Legacy => self
                .request("resources/subscribe", json!({"uri": uri}))
                .await
                .map(drop),
            Transport::Plain => Err(CallError::Protocol(
                "the plain transport has no subscriptions".into(),
            )),
        }
    }

    /// Holds the session's stream open without a subscription (idle sessions).
    pub async fn hold_stream(&mut self) -> Result<(), CallError> {
        match self.transport {
            Transport::Legacy => Ok(()),
            Transport::Streamable => self.open_listen_stream().await,
            Transport::Stateless => self.listen(json!({"toolsListChanged": true})).await,
            Transport::Plain => Err(CallError::Protocol(
                "the plain transport has no streams".into(),
            )),
        }
    }

    /// Closes the request connection (idle sessions keep only their stream).
    pub fn release_post(&mut self) {
        self.post = None;
    }

    /// Keep-alive comments received so far.
    pub fn keepalives(&self) -> u64 {
        self.stream
            .as_ref()
            .map_or(0, |s| s.shared.keepalives.load(Ordering::Relaxed))
    }

    /// Whether the session's stream has ended.
    pub fn stream_closed(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|s| s.shared.closed.load(Ordering::Relaxed))
    }

    /// The next notification `method` about `uri` (any uri when `None`), until `deadline`.
    pub async fn wait_note(
        &mut self,
        method: &str,
        uri: Option<&str>,
        deadline: Instant,
    ) -> Result<Note, CallError> {
        let stream = self.stream.as_mut().ok_or(CallError::StreamClosed)?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let note = tokio::time::timeout(left, stream.notes.recv())
                .await
                .map_err(|_| CallError::Timeout)?
                .ok_or(CallError::StreamClosed)?;
            let about = note.params.get("uri").and_then(Value::as_str);
            if note.method == method && (uri.is_none() || about == uri) {
                return Ok(note);
            }
        }
    }

    /// Calls a tool; its result (an `isError` result is a [`CallError::Tool`]).
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> Result<Value, CallError> {
        if self.transport == Transport::Plain {
            return self.call_plain(name, arguments).await;
        }
        let result = self
            .request_named(
                "tools/call",
                Some(name),
                json!({"name": name, "arguments": arguments}),
            )
            .await?;
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            return Err(CallError::Tool);
        }
        Ok(result)
    }

    /// Calls a tool and checks its answer without keeping it: the answer must be well-formed
    /// JSON with a `result` that is not an `isError` result, but no `Value` is built from it
    /// (what the calls scenario needs: the generator's own cost per call stays small beside
    /// the server's, whatever the answer's size).
    pub async fn call_tool_checked(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> Result<(), CallError> {
        if self.transport == Transport::Legacy {
            return self.call_tool(name, arguments).await.map(drop);
        }
        let limit = self.target.timeout;
        if self.transport == Transport::Plain {
            let path = format!("/bench/tools/{name}");
            let body = arguments.to_string();
            let (head, bytes) = within(limit, self.post_to(path, &body, &[])).await?;
            if head.status != 200 {
                return Err(CallError::Status(head.status));
            }
            return serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
                .map(drop)
                .map_err(|e| CallError::Protocol(format!("response is not JSON: {e}")));
        }
        let body = self.envelope("tools/call", json!({"name": name, "arguments": arguments}));
        let id = self.next_id - 1;
        let extra = [("Mcp-Method", "tools/call"), ("Mcp-Name", name)];
        let (head, bytes) = within(limit, self.post(&body, &extra)).await?;
        if head.is_event_stream() || head.status != 200 {
            let message = response_in(&head, &bytes, id).map_err(|e| match head.status {
                200 => e,
                status => CallError::Status(status),
            })?;
            let result = result_of(message)?;
            if result.get("isError").and_then(Value::as_bool) == Some(true) {
                return Err(CallError::Tool);
            }
            return Ok(());
        }
        let answer: LightResponse = serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Protocol(format!("response is not JSON: {e}")))?;
        match (answer.result, answer.error) {
            (_, Some(error)) => Err(CallError::JsonRpc {
                code: error.code,
                message: error.message,
            }),
            (Some(result), None) if result.is_error => Err(CallError::Tool),
            (Some(_), None) => Ok(()),
            (None, None) => Err(CallError::Protocol(
                "a response without result or error".into(),
            )),
        }
    }

    /// A tool call on the plain endpoint: its JSON as `structuredContent`.
    async fn call_plain(&mut self, name: &str, arguments: Value) -> Result<Value, CallError> {
        let path = format!("/bench/tools/{name}");
        let body = arguments.to_string();
        let (head, bytes) = within(self.target.timeout, self.post_to(path, &body, &[])).await?;
        if head.status != 200 {
            return Err(CallError::Status(head.status));
        }
        let structured: Value = serde_json::from_slice(&bytes)
            .map_err(|e| CallError::Protocol(format!("response is not JSON: {e}")))?;
        Ok(json!({ "structuredContent": structured }))
    }

    /// Sends a request and waits for its result.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, CallError> {
        if self.transport == Transport::Plain {
            return Err(CallError::Protocol(format!(
                "the plain transport only calls tools, not {method}"
            )));
        }
        self.request_named(method, None, params).await
    }

    fn take_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The JSON-RPC request body, with the stateless `_meta` where needed.
    fn envelope(&mut self, method: &str, mut params: Value) -> String {
        if self.transport == Transport::Stateless
            && let Some(map) = params.as_object_mut()
        {
            map.insert("_meta".into(), stateless_meta());
        }
        let id = self.take_id();
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
    }

    async fn request_named(
        &mut self,
        method: &str,
        name: Option<&str>,
        params: Value,
    ) -> Result<Value, CallError> {
        let limit = self.target.timeout;
        let body = self.envelope(method, params);
        let id = self.next_id - 1;
        within(limit, async {
            if self.transport == Transport::Legacy {
                return self.request_legacy(id, &body).await;
            }
            let mut extra = vec![("Mcp-Method", method)];
            if let Some(name) = name {
                extra.push(("Mcp-Name", name));
            }
            let (head, bytes) = self.post(&body, &extra).await?;
            if head.status != 200 {
                // The stateless era maps errors to statuses but still sends the JSON-RPC error.
                return match response_in(&head, &bytes, id) {
                    Ok(message) if message.get("error").is_some_and(Value::is_object) => {
                        result_of(message)
                    }
                    _ => Err(CallError::Status(head.status)),
                };
            }
            result_of(response_in(&head, &bytes, id)?)
        })
        .await
    }

    async fn request_legacy(&mut self, id: i64, body: &str) -> Result<Value, CallError> {
        let stream = self.stream.as_ref().ok_or(CallError::StreamClosed)?;
        let (tx, rx) = oneshot::channel();
        if let Ok(mut pending) = stream.shared.pending.lock() {
            pending.insert(id, tx);
        }
        let (head, _) = self.post(body, &[]).await?;
        if head.status != 202 && head.status != 200 {
            return Err(CallError::Status(head.status));
        }
        result_of(rx.await.map_err(|_| CallError::StreamClosed)?)
    }

    /// A notification (no answer expected).
    async fn notify(&mut self, method: &str) -> Result<(), CallError> {
        let body = json!({"jsonrpc": "2.0", "method": method}).to_string();
        let (head, _) = within(self.target.timeout, self.post(&body, &[])).await?;
        if head.status == 202 || head.status == 200 {
            Ok(())
        } else {
            Err(CallError::Status(head.status))
        }
    }

    /// POSTs `body` to the session's endpoint; reconnects once if a kept-alive connection was closed.
    async fn post(
        &mut self,
        body: &str,
        extra: &[(&str, &str)],
    ) -> Result<(Head, Vec<u8>), CallError> {
        let path = match self.transport {
            Transport::Legacy => self
                .session_path
                .clone()
                .unwrap_or_else(|| "/messages".into()),
            _ => "/mcp".to_string(),
        };
        self.post_to(path, body, extra).await
    }

    /// POSTs `body` to `path`; reconnects once if a kept-alive connection was closed.
    async fn post_to(
        &mut self,
        path: String,
        body: &str,
        extra: &[(&str, &str)],
    ) -> Result<(Head, Vec<u8>), CallError> {
        let auth = self.target.auth();
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Accept", ACCEPT_BOTH),
            ("User-Agent", USER_AGENT),
        ];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth));
        }
        match self.transport {
            Transport::Streamable => {
                headers.push(("MCP-Protocol-Version", HANDSHAKE_VERSION));
                if let Some(sid) = &self.session_id {
                    headers.push(("Mcp-Session-Id", sid));
                }
            }
            Transport::Stateless => headers.push(("MCP-Protocol-Version", STATELESS_VERSION)),
            Transport::Legacy | Transport::Plain => {}
        }
        if self.transport != Transport::Legacy {
            headers.extend_from_slice(extra);
        }
        let fresh = self.post.is_none();
        if fresh {
            let conn = http::connect(
                self.target.addr(self.index),
                self.target.source(self.index),
                BUFFER,
            )
            .await
            .map_err(CallError::Connect)?;
            self.post = Some(conn);
        }
        let conn = self.post.as_mut().ok_or(CallError::StreamClosed)?;
        let answer = conn
            .request("POST", &path, &headers, Some(body.as_bytes()))
            .await;
        let answer = match answer {
            Err(_) if !fresh => {
                // The server closed an idle kept-alive connection: one new connection.
                let mut conn = http::connect(
                    self.target.addr(self.index),
                    self.target.source(self.index),
                    BUFFER,
                )
                .await
                .map_err(CallError::Connect)?;
                let answer = conn
                    .request("POST", &path, &headers, Some(body.as_bytes()))
                    .await;
                self.post = Some(conn);
                answer
            }
            other => other,
        };
        let (head, bytes) = answer.inspect_err(|_| self.post = None)?;
        if self.post.as_ref().is_some_and(|c| !c.reusable()) {
            self.post = None;
        }
        Ok((head, bytes))
    }
}

/// The `_meta` every stateless request carries.
fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

/// The JSON-RPC response with `id` in a JSON body or an event-stream body.
/// A JSON-RPC response read without building its result (fields not named are skipped).
#[derive(serde::Deserialize)]
struct LightResponse {
    result: Option<LightResult>,
    error: Option<LightError>,
}

#[derive(serde::Deserialize)]
struct LightResult {
    #[serde(rename = "isError", default)]
    is_error: bool,
}

#[derive(serde::Deserialize)]
struct LightError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

fn response_in(head: &Head, body: &[u8], id: i64) -> Result<Value, CallError> {
    if head.is_event_stream() {
        let mut parser = SseParser::default();
        parser.push(body);
        parser.push(b"\n\n");
        while let Some(item) = parser.next_item() {
            if let SseItem::Event { data, .. } = item
                && let Ok(message) = serde_json::from_str::<Value>(&data)
                && message.get("method").is_none()
                && (message.get("id").and_then(Value::as_i64) == Some(id) || id == 0)
            {
                return Ok(message);
            }
        }
        return Err(CallError::Protocol(
            "the event stream ended without the response".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| CallError::Protocol(format!("response is not JSON: {e}")))
}
