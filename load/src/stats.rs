//! Latency histograms and counters that worker processes send to the coordinator, which
//! merges them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Sub-buckets per power of two: values are kept within 1/256 (0.4 %).
const SUB_BITS: u32 = 8;
const SUB: u64 = 1 << SUB_BITS;

/// A log-linear histogram of microseconds, mergeable and serialisable as sparse buckets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Histogram {
    /// `(bucket, count)`; see [`bucket_of`].
    buckets: BTreeMap<u32, u64>,
    count: u64,
    max_us: u64,
}

fn bucket_of(us: u64) -> u32 {
    if us < SUB {
        return us as u32;
    }
    let exp = 63 - us.leading_zeros() - SUB_BITS; // us >> exp is in SUB..2*SUB
    ((exp + 1) << SUB_BITS) + ((us >> exp) - SUB) as u32
}

/// The largest value of a bucket.
fn bucket_top(bucket: u32) -> u64 {
    if u64::from(bucket) < SUB {
        return u64::from(bucket);
    }
    let exp = (bucket >> SUB_BITS) - 1;
    let mantissa = u64::from(bucket & (SUB as u32 - 1)) + SUB;
    ((mantissa + 1) << exp) - 1
}

impl Histogram {
    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one value in microseconds.
    pub fn record_us(&mut self, us: u64) {
        *self.buckets.entry(bucket_of(us)).or_default() += 1;
        self.count += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds another histogram's values.
    pub fn merge(&mut self, other: &Histogram) {
        for (b, n) in &other.buckets {
            *self.buckets.entry(*b).or_default() += n;
        }
        self.count += other.count;
        self.max_us = self.max_us.max(other.max_us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value at quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return bucket_top(*b).min(self.max_us);
            }
        }
        self.max_us
    }

    /// p50, p90, p99 and max in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count: self.count,
            p50_ms: ms(self.quantile_us(0.50)),
            p90_ms: ms(self.quantile_us(0.90)),
            p99_ms: ms(self.quantile_us(0.99)),
            max_ms: ms(self.max_us),
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
        assert_eq!(h.summary().max_ms, 100.0);
        let mut merged = Histogram::default();
        merged.merge(&h);
        merged.merge(&h);
        assert_eq!(merged.count(), 200_000);
        assert_eq!(merged.quantile_us(0.0001), h.quantile_us(0.0001));
    }

    #[test]
    fn bucket_tops_bound_their_values() {
        for us in [0u64, 1, 255, 256, 257, 511, 512, 1000, 123_456, 10_000_000] {
            let b = bucket_of(us);
            assert!(bucket_top(b) >= us, "{us}");
            assert!(b == 0 || bucket_top(b - 1) < us, "{us}");
        }
    }
}
