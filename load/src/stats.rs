//! Latency histograms and counters that worker processes send to the coordinator, which
//! merges them.

use std::collections::BTreeMap;

use hdrhistogram::serialization::Serializer as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Significant digits kept: values within 0.1 %.
const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram of microseconds (HdrHistogram), mergeable, and serialised for the trip
/// from worker processes to the coordinator as base64 of HdrHistogram's V2 encoding.
#[derive(Clone, Debug)]
pub struct Histogram {
    inner: hdrhistogram::Histogram<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        // Auto-resizing: any value fits. `new` fails only for more than 5 significant digits.
        match hdrhistogram::Histogram::new(SIGNIFICANT_DIGITS) {
            Ok(inner) => Histogram { inner },
            Err(e) => unreachable!("{SIGNIFICANT_DIGITS} significant digits are valid: {e}"),
        }
    }
}

impl Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        let mut bytes = Vec::new();
        hdrhistogram::serialization::V2Serializer::new()
            .serialize(&self.inner, &mut bytes)
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        let mut inner: hdrhistogram::Histogram<u64> =
            hdrhistogram::serialization::Deserializer::new()
                .deserialize(&mut bytes.as_slice())
                .map_err(serde::de::Error::custom)?;
        inner.auto(true);
        Ok(Histogram { inner })
    }
}

impl Histogram {
    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one value in microseconds.
    pub fn record_us(&mut self, us: u64) {
        // `record` grows the histogram as needed; saturating only if that ever failed.
        if self.inner.record(us).is_err() {
            self.inner.saturating_record(us);
        }
    }

    /// Adds another histogram's values.
    pub fn merge(&mut self, other: &Histogram) {
        // Both auto-resize, so adding cannot run out of range.
        let _ = self.inner.add(&other.inner);
    }

    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// The value at quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.inner.is_empty() {
            return 0;
        }
        self.inner.value_at_quantile(q).min(self.inner.max())
    }

    /// p50, p90, p99 and max in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count: self.count(),
            p50_ms: ms(self.quantile_us(0.50)),
            p90_ms: ms(self.quantile_us(0.90)),
            p99_ms: ms(self.quantile_us(0.99)),
            max_ms: ms(self.inner.max()),
        }
    }
}

/// Quantiles of a histogram, for reports.
#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// What one worker process measured; the coordinator merges these.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WorkerReport {
    /// Sessions opened and initialized.
    pub sessions_opened: u64,
    /// Time to open and initialize a session.
    pub session_open: Histogram,
    /// Successful calls per tool (and per method for non-tool requests such as `resources/subscribe`).
    pub calls: BTreeMap<String, Histogram>,
    /// Errors by kind, such as `http_401`, `timeout`, `jsonrpc_-32602`, `tool_error`.
    pub errors: BTreeMap<String, u64>,
    /// One message per error kind, to tell what went wrong.
    pub error_examples: BTreeMap<String, String>,
    /// Keep-alive comments received on event streams.
    pub keepalives: u64,
    /// Streams whose keep-alives stopped (fewer than expected over the hold).
    pub streams_starved: u64,
    /// Streams that ended before the run did.
    pub streams_closed: u64,
    /// Scan completion notifications: from `start_scan` to the notification.
    pub scan_notify: Histogram,
    /// Wall-clock receipt times of the fan-out notification, microseconds since the epoch.
    pub fanout_received_us: Vec<i64>,
    /// Scans that ended before their subscription (no notification can come).
    pub scans_ended_before_subscription: u64,
    /// Tool calls the server answered (results, tool errors and JSON-RPC errors), warm-up
    /// included: each should have its audit row.
    pub tool_calls_answered: u64,
    /// Seconds the measured phase lasted in this worker.
    pub elapsed_s: f64,
}

impl WorkerReport {
    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: impl Into<String>) {
        *self.errors.entry(kind.into()).or_default() += 1;
    }

    /// Counts one error of `kind`, keeping `message` if it is the first of its kind.
    pub fn error_with(&mut self, kind: String, message: String) {
        self.error_examples.entry(kind.clone()).or_insert(message);
        self.error(kind);
    }

    /// Records one successful call of `name`.
    pub fn call(&mut self, name: &str, d: Duration) {
        match self.calls.get_mut(name) {
            Some(h) => h.record(d),
            None => {
                let mut h = Histogram::default();
                h.record(d);
                self.calls.insert(name.to_string(), h);
            }
        }
    }

    /// Adds another worker's figures.
    pub fn merge(&mut self, other: WorkerReport) {
        self.sessions_opened += other.sessions_opened;
        self.session_open.merge(&other.session_open);
        for (name, h) in &other.calls {
            self.calls.entry(name.clone()).or_default().merge(h);
        }
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        for (kind, message) in other.error_examples {
            self.error_examples.entry(kind).or_insert(message);
        }
        self.keepalives += other.keepalives;
        self.streams_starved += other.streams_starved;
        self.streams_closed += other.streams_closed;
        self.scan_notify.merge(&other.scan_notify);
        self.fanout_received_us.extend(other.fanout_received_us);
        self.scans_ended_before_subscription += other.scans_ended_before_subscription;
        self.tool_calls_answered += other.tool_calls_answered;
        self.elapsed_s = self.elapsed_s.max(other.elapsed_s);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_half_a_percent() {
        let mut h = Histogram::default();
        for us in 1..=100_000u64 {
            h.record_us(us);
        }
        for (q, want) in [(0.5, 50_000.0), (0.9, 90_000.0), (0.99, 99_000.0)] {
            let got = h.quantile_us(q) as f64;
            assert!((got - want).abs() / want < 0.005, "q{q}: {got} vs {want}");
        }
        assert!(
            (h.summary().max_ms - 100.0).abs() < 0.1,
            "{}",
            h.summary().max_ms
        );
        let mut merged = Histogram::default();
        merged.merge(&h);
        merged.merge(&h);
        assert_eq!(merged.count(), 200_000);
        assert_eq!(merged.quantile_us(0.0001), h.quantile_us(0.0001));
    }

    #[test]
    fn histograms_travel_as_json() {
        let mut h = Histogram::default();
        for us in [1u64, 10, 100, 1000, 10_000] {
            h.record_us(us);
        }
        let text = serde_json::to_string(&h).expect("serialises");
        let back: Histogram = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back.count(), 5);
        assert_eq!(back.quantile_us(1.0), h.quantile_us(1.0));
    }
}
