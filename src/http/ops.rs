//! Operating an instance: `/healthz` (the process answers), `/readyz` (it can serve: the
//! database takes a write, the cluster bus listens) and `/metrics` (Prometheus text format).
//!
//! `/readyz` is unauthenticated, so its database write is not made per call: the verdict is
//! kept for [`READINESS_TTL`] and shared by every caller, and one caller at a time computes it
//! (the others wait for that verdict), so any rate of calls costs at most one write (an insert
//! and a delete) per second and instance.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde_json::json;

use super::readiness::NotReady;
use super::state::AppState;

/// Registers `/healthz`, `/readyz` and `/metrics`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// The process's metrics. Values owned elsewhere (sessions, scans, reconnects) are read when
/// scraped.
struct Metrics {
    registry: Registry,
    sessions: Gauge,
    scans: Family<StatusLabels, Gauge>,
    scans_running_here: Gauge,
    listener_reconnects: Gauge,
    listening: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("aether365");
    let calls = &crate::mcp::metrics::CALL_METRICS;
    registry.register(
        "mcp_calls",
        "MCP requests handled, by method, tool and outcome",
        calls.calls.clone(),
    );
    registry.register(
        "mcp_call_duration_seconds",
        "Time to answer an MCP request, by method and tool",
        calls.latency.clone(),
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
        sessions,
        scans,
        scans_running_here,
        listener_reconnects,
        listening,
    }
});

/// GET /healthz: the process answers.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "instance": state.backend.bus.instance_id(),
    }))
}

/// GET /readyz: 200 when this instance can serve, else 503 with the reason. The store's
/// verdict may be up to [`READINESS_TTL`] old; the bus is asked every time (no database).
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let checked = match state.readiness.store(&state.backend.db).await {
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
