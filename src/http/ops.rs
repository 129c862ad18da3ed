//! Operating an instance: `/healthz` (the process answers), `/readyz` (it can serve: the
//! database takes a write, the cluster bus listens) and `/metrics` (Prometheus text format).
//!
//! `/readyz` is unauthenticated, so its database write is not made per call: the verdict is
//! kept for [`READINESS_TTL`] and shared by every caller, and one caller at a time computes it
//! (the others wait for that verdict), so any rate of calls costs at most one write (an insert
//! and a delete) per second and instance.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aether365_entities::cluster_message;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::state::AppState;
use crate::mcp::{McpError, RequestContext, dispatch};

/// Registers `/healthz`, `/readyz` and `/metrics`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// Labels of an MCP call: its method and, for `tools/call`, the tool.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    tool: String,
}

/// Labels of a counted call: method, tool and outcome (`ok` or `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    method: String,
    tool: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// The process's metrics. Values owned elsewhere (sessions, scans, reconnects) are read when
/// scraped.
struct Metrics {
    registry: Registry,
    calls: Family<OutcomeLabels, Counter>,
    latency: Family<CallLabels, Histogram>,
    sessions: Gauge,
    scans: Family<StatusLabels, Gauge>,
    scans_running_here: Gauge,
    listener_reconnects: Gauge,
    listening: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("aether365");
    let calls = Family::<OutcomeLabels, Counter>::default();
    registry.register(
        "mcp_calls",
        "MCP requests handled, by method, tool and outcome",
        calls.clone(),
    );
    let latency = Family::<CallLabels, Histogram>::new_with_constructor(|| {
        Histogram::new([
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ])
    });
    registry.register(
        "mcp_call_duration_seconds",
        "Time to answer an MCP request, by method and tool",
        latency.clone(),
    );
    let sessions = Gauge::default();
    registry.register(
        "mcp_sessions_open",
        "MCP sessions open on this instance",
        sessions.clone(),
    );
    let scans = Family::<StatusLabels, Gauge>::default();
    registry.register(
        "scans",
        "Scans by status across the cluster (from the database)",
        scans.clone(),
    );
    let scans_running_here = Gauge::default();
    registry.register(
        "scans_running_here",
        "Scans this instance runs",
        scans_running_here.clone(),
    );
    let listener_reconnects = Gauge::default();
    registry.register(
        "cluster_listener_reconnects",
        "Times the cluster bus listener connection was lost and re-established",
        listener_reconnects.clone(),
    );
    let audit = &aether365_actors::audit::AUDIT_METRICS;
    registry.register(
        "audit_queue_depth",
        "Audit rows waiting for their commit on this instance (a call is answered once its row is committed)",
        audit.queue_depth.clone(),
    );
    registry.register(
        "audit_commit_duration_seconds",
        "Time to commit one batch of audit rows",
        audit.commit_seconds.clone(),
    );
    let listening = Gauge::default();
    registry.register(
        "cluster_listener_up",
        "1 while the cluster bus listens (always 1 on SQLite)",
        listening.clone(),
    );
    Metrics {
        registry,
        calls,
        latency,
        sessions,
        scans,
        scans_running_here,
        listener_reconnects,
        listening,
    }
});

/// Dispatches an MCP request and records its count and latency. Names a client invents
/// (unknown methods and tools) are counted as `unknown`, so they cannot grow the label set.
pub async fn dispatch_observed(
    ctx: &RequestContext,
    method: &str,
    params: Map<String, Value>,
) -> Result<Arc<RawValue>, McpError> {
    let tool = (method == "tools/call")
        .then(|| {
            params
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .flatten();
    let started = Instant::now();
    let result = dispatch::handle(ctx, method, params).await;
    let (method, tool) = match &result {
        Err(McpError::MethodNotFound(_)) => ("unknown".to_string(), String::new()),
        Err(McpError::UnknownTool(_)) => (method.to_string(), "unknown".to_string()),
        _ => (method.to_string(), tool.unwrap_or_default()),
    };
    observe(method, tool, result.is_ok(), started.elapsed());
    result
}

fn observe(method: String, tool: String, ok: bool, took: Duration) {
    let metrics = &*METRICS;
    metrics
        .latency
        .get_or_create(&CallLabels {
            method: method.clone(),
            tool: tool.clone(),
        })
        .observe(took.as_secs_f64());
    metrics
        .calls
        .get_or_create(&OutcomeLabels {
            method,
            tool,
            outcome: if ok { "ok" } else { "error" },
        })
        .inc();
}

/// GET /healthz: the process answers.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "instance": state.backend.bus.instance_id(),
    }))
}

/// Why an instance cannot serve.
#[derive(Debug, thiserror::Error)]
enum NotReady {
    #[error("the database does not take writes: {0}")]
    Store(#[from] sea_orm::DbErr),
    #[error("the cluster bus is not listening (PostgreSQL LISTEN connection lost)")]
    Bus,
}

/// Writes and deletes a row: a store that cannot write (read-only or full disk, lost
/// database) fails here, not on a caller's request.
async fn check_store(state: &AppState) -> Result<(), NotReady> {
    let row = cluster_message::ActiveModel {
        payload: Set("readyz".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&state.backend.db)
    .await?;
    cluster_message::Entity::delete_by_id(row.id)
        .exec(&state.backend.db)
        .await?;
    Ok(())
}

/// How long a `/readyz` verdict is answered without checking again.
pub const READINESS_TTL: Duration = Duration::from_secs(1);

/// The last `/readyz` verdict of the store (its time and the reason it failed, if it did);
/// the lock is held while one caller checks, so callers never check at once.
#[derive(Debug, Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
    /// Store checks made (each one database write), for tests and operators.
    checks: std::sync::atomic::AtomicU64,
}

impl Readiness {
    /// Store checks made since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store's verdict: the cached one while younger than [`READINESS_TTL`], else a new
    /// check (one caller at a time).
    async fn store(&self, state: &AppState) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, verdict)) = last.as_ref()
            && at.elapsed() < READINESS_TTL
        {
            return verdict.clone();
        }
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let verdict = check_store(state).await.map_err(|e| e.to_string());
        *last = Some((Instant::now(), verdict.clone()));
        verdict
    }
}

/// GET /readyz: 200 when this instance can serve, else 503 with the reason. The store's
/// verdict may be up to [`READINESS_TTL`] old; the bus is asked every time (no database).
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let checked = match state.readiness.store(&state).await {
        Ok(()) if !state.backend.bus.is_listening() => Err(NotReady::Bus.to_string()),
        other => other,
    };
    let instance = state.backend.bus.instance_id();
    match checked {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "instance": instance})),
        Err(e) => {
            tracing::warn!("not ready: {e}");
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(json!({
                "status": "not ready",
                "instance": instance,
                "reason": e,
            }))
        }
    }
}

/// GET /metrics: the Prometheus text format.
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let metrics = &*METRICS;
    metrics
        .sessions
        .set(i64::try_from(state.registry.len()).unwrap_or(i64::MAX));
    let bus = &state.backend.bus;
    metrics
        .listener_reconnects
        .set(i64::try_from(bus.reconnects()).unwrap_or(i64::MAX));
    metrics.listening.set(i64::from(bus.is_listening()));
    match aether365_actors::scans::scans_by_status(&state.backend.db).await {
        Ok(counts) => {
            for status in ["queued", "running", "completed", "failed", "cancelled"] {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                metrics
                    .scans
                    .get_or_create(&StatusLabels {
                        status: status.to_string(),
                    })
                    .set(n);
            }
        }
        Err(e) => tracing::warn!("metrics: cannot count scans: {e}"),
    }
    match state
        .backend
        .scans
        .send(aether365_actors::scans::GetStats)
        .await
    {
        Ok(Ok(stats)) => {
            metrics
                .scans_running_here
                .set(i64::try_from(stats.running).unwrap_or(i64::MAX));
        }
        Ok(Err(e)) => tracing::warn!("metrics: scan stats: {e}"),
        Err(e) => tracing::warn!("metrics: scan manager unreachable: {e}"),
    }
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &metrics.registry) {
        tracing::error!("cannot encode metrics: {e}");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body)
}
