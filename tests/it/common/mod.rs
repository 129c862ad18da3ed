//! Test helpers: the real server on port 0 over a fresh database, with an organisation, a
//! tenant and a token (zero-to-production's `spawn_app`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use aether365_actors::exposure::DnsConfig;
use aether365_collector::Collector;
use m365_standin::dns::{DnsServer, MailZone};
use m365_standin::{Fault, FaultKind, StandIn, StandInConfig};

use aether365::http::{Application, ServerConfig};
use aether365_actors::directory::{self, NewTenant};
use aether365_actors::system::BackendConfig;
use aether365_actors::testkit::{self, TestDb};
use aether365_actors::tokens::{self, Expiry};
use aether365_actors::{Backend, TenantScope};
use futures_util::StreamExt;
use serde_json::{Value, json};

/// A running server and what the tests need to talk to it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub token: String,
    pub token_id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub testdb: TestDb,
    /// The Microsoft 365 the tenant is connected to (built from the bundled export).
    pub standin: Arc<StandIn>,
    /// Publishes the export's mail records; the server's DNS server.
    pub dns: Arc<DnsServer>,
}

/// Options of [`spawn_app_with`].
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub conformance_fixtures: bool,
    pub max_body_bytes: Option<usize>,
    pub allowed_origins: Vec<String>,
    /// Latency the stand-in adds to every Microsoft 365 answer, so scans last a while.
    pub microsoft_latency: Duration,
    /// Changes the server settings last (deadlines, caps, quotas).
    pub server: Option<fn(&mut ServerConfig)>,
    /// Changes the backend settings last (scan quotas).
    pub backend: Option<fn(&mut BackendConfig)>,
}

/// Every test database (SQLite, plus PostgreSQL when configured).
pub async fn databases() -> Vec<TestDb> {
    testkit::databases().await
}

/// Starts the server on `testdb` with the conformance fixtures on.
pub async fn spawn_app(testdb: TestDb) -> TestApp {
    spawn_app_with(
        testdb,
        Options {
            conformance_fixtures: true,
            microsoft_latency: Duration::from_millis(25),
            ..Options::default()
        },
    )
    .await
}

/// Starts the server on `testdb`.
pub async fn spawn_app_with(testdb: TestDb, options: Options) -> TestApp {
    let db = testdb.db.clone();
    let org = directory::create_organisation(&db, "Contoso")
        .await
        .unwrap();
    let standin = Arc::new(StandIn::start(StandInConfig::bundled().unwrap()).unwrap());
    if !options.microsoft_latency.is_zero() {
        standin.set_fault(Fault {
            kind: FaultKind::Slow {
                delay_ms: options.microsoft_latency.as_millis() as u64,
            },
            target: Default::default(),
            times: None,
        });
    }
    let dns = Arc::new(
        DnsServer::start(MailZone::from_export(
            &StandInConfig::bundled().unwrap().export,
        ))
        .unwrap(),
    );
    directory::add_tenant(
        &db,
        org.id,
        NewTenant {
            display_name: "Contoso Ltd".into(),
            microsoft_tenant_id: Some(standin.tenant_id().to_string()),
            domains: vec!["contoso.example".into()],
        },
    )
    .await
    .unwrap();
    // Admin consent granted: compliance scans collect from the stand-in.
    let tenant = directory::connect_tenant(
        &db,
        org.id,
        directory::ConsentedTenant {
            microsoft_tenant_id: standin.tenant_id().to_string(),
            display_name: "Contoso Ltd".into(),
            domains: vec!["contoso.example".into()],
            initial_domain: standin.initial_domain().to_string(),
            licences: vec![],
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let export = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    let snapshot = aether365_engine::Snapshot::from_bytes(&export).unwrap();
    directory::import_snapshot(
        &db,
        &tenant,
        &snapshot,
        aether365_actors::scans::SnapshotSource::Import,
        None,
    )
    .await
    .unwrap();
    let mut backend_config = BackendConfig::default();
    let issued = tokens::create_token(
        &db,
        &backend_config.tokens.key,
        org.id,
        "tests",
        Expiry::Days90,
        TenantScope::All,
        None,
    )
    .await
    .unwrap();
    backend_config.scans.collector = Some(collector_for(&standin));
    backend_config.scans.dns = DnsConfig {
        nameserver: Some(dns.addr()),
        timeout: Duration::from_secs(2),
        mta_sts_url: dns.mta_sts_url(),
        ..DnsConfig::default()
    };
    // Scheduled scans start only when a test asks (`RunDue`): the default schedule of the
    // connected tenant must not start scans in the middle of other tests.
    backend_config.schedules.enabled = false;
    // Alerts are sent only when a test asks (`DispatchNow`) or starts a dispatcher itself.
    backend_config.alerts.enabled = false;
    if let Some(change) = options.backend {
        change(&mut backend_config);
    }
    let backend = Backend::start(db, backend_config);
    // Serve once the cluster bus listens, as `/readyz` tells a load balancer to.
    backend.bus.ready().await;
    let mut config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        conformance_fixtures: options.conformance_fixtures,
        allowed_origins: options.allowed_origins,
        keep_alive: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    if let Some(max) = options.max_body_bytes {
        config.max_body_bytes = max;
    }
    // Tests burst far beyond an assistant's pace; the quota tests set their own.
    config.quotas.token_calls_per_second = 1_000_000;
    config.quotas.organisation_calls_per_second = 1_000_000;
    config.quotas.max_batch = 10_000;
    if let Some(change) = options.server {
        change(&mut config);
    }
    let app = Application::build(config, backend.clone()).unwrap();
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        token: issued.token,
        token_id: issued.record.id,
        organisation_id: org.id,
        tenant_id: tenant.id,
        backend,
        client: reqwest::Client::new(),
        testdb,
        standin,
        dns,
    }
}

/// A collector that reads `standin` with its client id and secret.
pub fn collector_for(standin: &StandIn) -> Arc<Collector> {
    let mut config = standin.collector_config(m365_standin::DEFAULT_CLIENT_SECRET);
    config.timeout = Duration::from_secs(5);
    Arc::new(Collector::new(config).unwrap())
}

/// The `_meta` envelope of a 2026-07-28 request.
pub fn envelope() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

impl TestApp {
    /// A POST to /mcp with the token and the usual Accept header.
    pub fn post(&self) -> reqwest::RequestBuilder {
        self.post_to(&self.address)
    }

    /// [`TestApp::post`] to the server at `address` (another instance of the deployment).
    pub fn post_to(&self, address: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{address}/mcp"))
            .bearer_auth(&self.token)
            .header("Accept", "application/json, text/event-stream")
    }

    /// An `initialize` with `token` on the server at `address`; its HTTP status.
    pub async fn initialize_status(&self, address: &str, token: &str) -> reqwest::StatusCode {
        self.client
            .post(format!("{address}/mcp"))
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
            .json(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "tests", "version": "1"}}}),
            )
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Initializes a handshake-era session; returns its id.
    pub async fn initialize(&self, version: &str) -> String {
        let response = self
            .post()
            .json(
                &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": version, "capabilities": {},
                "clientInfo": {"name": "tests", "version": "1"}}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let session = response
            .headers()
            .get("mcp-session-id")
            .expect("a session id")
            .to_str()
            .unwrap()
            .to_string();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"]["protocolVersion"], version);
        let ack = self
            .post()
            .header("Mcp-Session-Id", &session)
            .header("MCP-Protocol-Version", version)
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .unwrap();
        assert_eq!(ack.status(), 202);
        session
    }

    /// A request in a session; returns the HTTP response.
    pub async fn session_request(
        &self,
        session: &str,
        version: &str,
        message: Value,
    ) -> reqwest::Response {
        self.post()
            .header("Mcp-Session-Id", session)
            .header("MCP-Protocol-Version", version)
            .json(&message)
            .send()
            .await
            .unwrap()
    }

    /// A 2026-07-28 request with matching headers and envelope.
    pub async fn stateless(&self, id: i64, method: &str, mut params: Value) -> reqwest::Response {
        params["_meta"] = envelope();
        let mut request = self
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
        request
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .send()
            .await
            .unwrap()
    }

    /// Audit rows of the test organisation.
    pub async fn audit_rows(&self) -> Vec<aether365_entities::audit_log::Model> {
        aether365_actors::audit::list(
            &self.testdb.db,
            &aether365_actors::audit::AuditFilter {
                organisation_id: self.organisation_id,
                token_id: None,
                since: None,
                limit: 0,
            },
        )
        .await
        .unwrap()
    }
}

/// An SSE response read event by event.
pub struct SseReader {
    bytes:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<actix_web::web::Bytes>>>>,
    buffer: String,
    /// The server ended the stream.
    pub ended: bool,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> SseReader {
        SseReader {
            bytes: Box::pin(response.bytes_stream()),
            buffer: String::new(),
            ended: false,
        }
    }

    /// The next event as sent (its raw lines), `None` when the stream ends or `deadline`
    /// passes first.
    pub async fn next_event(&mut self, deadline: tokio::time::Instant) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                return Some(self.buffer.drain(..end + 2).collect());
            }
            match tokio::time::timeout_at(deadline, self.bytes.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Some(Err(_)) | None) => {
                    self.ended = true;
                    return None;
                }
                Err(_elapsed) => return None,
            }
        }
    }

    /// The next event's data (JSON when it parses; events without data are skipped), `None`
    /// when the stream ends or `timeout` passes first.
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let event = self.next_event(deadline).await?;
            let data: String = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect::<Vec<_>>()
                .join("\n");
            if !data.is_empty() {
                return Some(serde_json::from_str(&data).unwrap_or(Value::String(data)));
            }
        }
    }
}

/// Reads SSE `data:` payloads from a response until `done` says stop or `timeout` passes.
pub async fn read_sse(
    response: reqwest::Response,
    timeout: Duration,
    mut done: impl FnMut(&Value) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut reader = SseReader::new(response);
    let mut messages = Vec::new();
    while let Some(value) = reader
        .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        let stop = done(&value);
        messages.push(value);
        if stop {
            break;
        }
    }
    messages
}

/// The JSON-RPC answer of a response, whether sent as JSON or on an SSE stream.
pub async fn answer(response: reqwest::Response) -> Value {
    let sse = response.headers().get("content-type").is_some_and(|c| {
        c.to_str()
            .unwrap_or_default()
            .starts_with("text/event-stream")
    });
    if sse {
        let messages = read_sse(response, Duration::from_secs(10), |m| m.get("id").is_some()).await;
        messages.into_iter().last().unwrap_or(Value::Null)
    } else {
        response.json().await.unwrap()
    }
}

/// Another organisation, "Fabrikam", with one tenant of its own: what isolation tests probe.
pub async fn other_organisation(
    db: &sea_orm::DatabaseConnection,
) -> (
    aether365_entities::organisation::Model,
    aether365_entities::tenant::Model,
) {
    let other = directory::create_organisation(db, "Fabrikam")
        .await
        .unwrap();
    let tenant = directory::add_tenant(
        db,
        other.id,
        NewTenant {
            display_name: "Fabrikam".into(),
            microsoft_tenant_id: None,
            domains: vec!["fabrikam.example".into()],
        },
    )
    .await
    .unwrap();
    (other, tenant)
}

/// A tenant named `name` (domain `domain`) with two completed compliance scans of `snapshot`,
/// eight days and one day ago.
pub async fn tenant_with_two_scans(
    db: &sea_orm::DatabaseConnection,
    org: i64,
    name: &str,
    domain: &str,
    snapshot: &aether365_engine::Snapshot,
) -> i64 {
    use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
    use chrono::Utc;
    let tenant = directory::add_tenant(
        db,
        org,
        NewTenant {
            display_name: name.to_string(),
            microsoft_tenant_id: None,
            domains: vec![domain.to_string()],
        },
    )
    .await
    .unwrap();
    for days in [8, 1] {
        let finished = Utc::now() - chrono::Duration::days(days);
        persist_completed_scan(
            db,
            CompletedScan {
                organisation_id: org,
                tenant_id: tenant.id,
                kind: ScanKind::Compliance,
                origin: ScanOrigin::Schedule,
                snapshot_id: None,
                input: None,
                findings: aether365_engine::evaluate_all(snapshot),
                started_at: finished - chrono::Duration::seconds(30),
                finished_at: finished,
            },
        )
        .await
        .unwrap();
    }
    tenant.id
}
