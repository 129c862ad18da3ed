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
    pub method: &'static str,
    pub tool: &'static str,
}

/// Labels of a counted call: method, tool and outcome (`ok` or `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub method: &'static str,
    pub tool: &'static str,
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

/// The methods counted by name; any other is counted as `unknown`, so a client cannot grow
/// the label set.
const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "subscriptions/listen",
    "tasks/list",
    "tasks/get",
    "tasks/result",
    "tasks/cancel",
    "tasks/update",
];

/// The label of `method`: itself when it is an MCP method, else `unknown`.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .copied()
        .find(|m| *m == method)
        .unwrap_or("unknown")
}

/// Records one call (labels from [`method_label`] and the tool's own name, or `unknown`).
pub fn observe(method: &'static str, tool: &'static str, ok: bool, took: Duration) {
    let metrics = &*CALL_METRICS;
    metrics
        .latency
        .get_or_create(&CallLabels { method, tool })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mcp_methods_are_labels() {
        assert_eq!(method_label("tools/call"), "tools/call");
        assert_eq!(method_label("tasks/update"), "tasks/update");
        assert_eq!(method_label("tools/call2"), "unknown");
        assert_eq!(method_label("a name a client made up"), "unknown");
    }
}
