//! The final report: figures merged from every worker, as a table or JSON.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::procfs::ServerUsage;
use crate::stats::{Histogram, LatencySummary, WorkerReport};

/// Calls of one tool.
#[derive(Debug, Serialize)]
pub struct ToolFigures {
    pub calls_per_second: f64,
    #[serde(flatten)]
    pub latency: LatencySummary,
}

/// The completion notification of the fan-out scenario.
#[derive(Debug, Serialize)]
pub struct FanoutFigures {
    pub scan_id: i64,
    pub subscribed: u64,
    pub received: u64,
    pub missing: u64,
    /// From the scan's `finished_at` to each receipt.
    pub latency_from_finish: Option<LatencySummary>,
    /// From the first receipt to the last.
    pub spread_ms: f64,
    /// The scan had already ended when every session had subscribed: the run is void.
    pub ended_before_subscribed: bool,
}

/// Everything a run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub sessions: usize,
    pub transports: String,
    pub processes: usize,
    pub sessions_opened: u64,
    pub session_open: LatencySummary,
    pub measured_seconds: f64,
    pub calls_per_second: f64,
    pub tools: BTreeMap<String, ToolFigures>,
    pub errors: BTreeMap<String, u64>,
    pub errors_total: u64,
    pub error_examples: BTreeMap<String, String>,
    pub tool_calls_answered: u64,
    pub keepalives: u64,
    pub streams_starved: u64,
    pub streams_closed: u64,
    pub scan_notify: Option<LatencySummary>,
    pub scans_ended_before_subscription: u64,
    pub fanout: Option<FanoutFigures>,
    pub server: Option<ServerUsage>,
}

impl Report {
    /// Builds the report from the merged worker figures.
    pub fn new(
        scenario: &str,
        transports: String,
        sessions: usize,
        processes: usize,
        merged: &WorkerReport,
    ) -> Report {
        let secs = merged.elapsed_s.max(1e-9);
        let tools: BTreeMap<String, ToolFigures> = merged
            .calls
            .iter()
            .map(|(name, h)| {
                let figures = ToolFigures {
                    calls_per_second: h.count() as f64 / secs,
                    latency: h.summary(),
                };
                (name.clone(), figures)
            })
            .collect();
        let total: u64 = merged.calls.values().map(Histogram::count).sum();
        Report {
            scenario: scenario.to_string(),
            sessions,
            transports,
            processes,
            sessions_opened: merged.sessions_opened,
            session_open: merged.session_open.summary(),
            measured_seconds: merged.elapsed_s,
            calls_per_second: total as f64 / secs,
            tools,
            errors_total: merged.errors.values().sum(),
            errors: merged.errors.clone(),
            error_examples: merged.error_examples.clone(),
            tool_calls_answered: merged.tool_calls_answered,
            keepalives: merged.keepalives,
            streams_starved: merged.streams_starved,
            streams_closed: merged.streams_closed,
            scan_notify: (merged.scan_notify.count() > 0).then(|| merged.scan_notify.summary()),
            scans_ended_before_subscription: merged.scans_ended_before_subscription,
            fanout: None,
            server: None,
        }
    }

    /// A plain-text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "scenario {}: {} sessions ({}) in {} process(es), {} opened, open p50 {:.1} ms p99 {:.1} ms",
            self.scenario,
            self.sessions,
            self.transports,
            self.processes,
            self.sessions_opened,
            self.session_open.p50_ms,
            self.session_open.p99_ms
        );
        if !self.tools.is_empty() {
            let _ = writeln!(
                out,
                "{:<18} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
                "tool", "calls", "calls/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
            );
            for (name, t) in &self.tools {
                let l = &t.latency;
                let _ = writeln!(
                    out,
                    "{:<18} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                    name, l.count, t.calls_per_second, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
                );
            }
            let _ = writeln!(
                out,
                "{:<18} {:>9} {:>10.0}",
                "all", "", self.calls_per_second
            );
        }
        let _ = writeln!(
            out,
            "tool calls answered (audit rows expected): {}",
            self.tool_calls_answered
        );
        if let Some(n) = &self.scan_notify {
            let _ = writeln!(
                out,
                "scan start -> completion notification: {} scans, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} ended before subscribing)",
                n.count, n.p50_ms, n.p99_ms, n.max_ms, self.scans_ended_before_subscription
            );
        }
        if let Some(f) = &self.fanout {
            let _ = writeln!(
                out,
                "fan-out of scan {}: {} subscribed, {} received, {} missing, spread {:.1} ms{}",
                f.scan_id,
                f.subscribed,
                f.received,
                f.missing,
                f.spread_ms,
                if f.ended_before_subscribed {
                    " (VOID: the scan ended before every session subscribed)"
                } else {
                    ""
                }
            );
            if let Some(l) = &f.latency_from_finish {
                let _ = writeln!(
                    out,
                    "  finished_at -> receipt: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
                );
            }
        }
        if self.keepalives > 0 || self.streams_closed > 0 || self.streams_starved > 0 {
            let _ = writeln!(
                out,
                "streams: {} keep-alives received, {} starved, {} closed early",
                self.keepalives, self.streams_starved, self.streams_closed
            );
        }
        let _ = writeln!(out, "errors: {}", self.errors_total);
        for (kind, n) in &self.errors {
            let example = self
                .error_examples
                .get(kind)
                .map(String::as_str)
                .unwrap_or_default();
            let _ = writeln!(out, "  {kind:<40} {n:>8}  {example}");
        }
        if let Some(s) = &self.server {
            let _ = writeln!(
                out,
                "server pid {}: RSS {} KiB before, {} KiB loaded{}; CPU {:.0} % ({:.1} s)",
                s.pid,
                s.rss_before_kib,
                s.rss_loaded_kib,
                s.rss_per_session_bytes
                    .map(|b| format!(", {:.1} KiB per session", b / 1024.0))
                    .unwrap_or_default(),
                s.cpu_percent,
                s.cpu_seconds
            );
        }
        out
    }
}
