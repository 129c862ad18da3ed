//! Counts and latencies of MCP calls, registered by the operator's `/metrics` (as the audit
//! writer's metrics are).

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

/// Labels of an MCP call: its method and, for `tools/call`, the tool.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub method: String,
    pub tool: String,
}

/// Labels of a counted call: method, tool and outcome (`ok` or `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub method: String,
    pub tool: String,
    pub outcome: &'static str,
}

/// The MCP call metrics of this process.
pub struct CallMetrics {
    /// Requests handled, by method, tool and outcome.
    pub calls: Family<OutcomeLabels, Counter>,
    /// Time to answer a request, by method and tool.
    pub latency: Family<CallLabels, Histogram>,
}

/// The one set of call metrics.
pub static CALL_METRICS: LazyLock<CallMetrics> = LazyLock::new(|| CallMetrics {
    calls: Family::default(),
    latency: Family::new_with_constructor(|| {
        Histogram::new([
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ])
    }),
});

/// Records one call.
pub fn observe(method: String, tool: String, ok: bool, took: Duration) {
    let metrics = &*CALL_METRICS;
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
