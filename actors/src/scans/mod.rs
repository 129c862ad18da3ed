//! Scan lifecycle: the [`ScanManager`] actor queues scans, runs them with bounded concurrency,
//! stores progress and results, and publishes every state change as a [`ScanEvent`].
//!
//! A tenant has at most one queued or running scan of a kind: starting another returns it.

mod manager;
mod types;

pub use manager::{CancelScan, ScanConfig, ScanManager, StartScan, Subscribe, Unsubscribe};
pub use types::{
    AI_PILOT_REFUSAL, INTERRUPTED, ScanError, ScanEvent, ScanKind, ScanOrigin, ScanRequest,
    ScanStatus, ScanTicket, Topic,
};
