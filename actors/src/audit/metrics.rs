//! The audit writer's figures for `/metrics`: rows waiting for their commit, and how long
//! commits take. One set per process (every writer of the process adds to it).

use std::sync::LazyLock;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

/// The audit writer's metrics.
#[derive(Clone, Debug)]
pub struct AuditMetrics {
    /// Rows waiting for a commit (pending plus committing).
    pub queue_depth: Gauge,
    /// Duration of each batch's commit, in seconds.
    pub commit_seconds: Histogram,
}

/// The process's audit metrics.
pub static AUDIT_METRICS: LazyLock<AuditMetrics> = LazyLock::new(|| AuditMetrics {
    queue_depth: Gauge::default(),
    commit_seconds: Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ]),
});
