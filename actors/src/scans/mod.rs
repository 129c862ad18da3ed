//! Scan lifecycle: the [`ScanManager`] actor queues scans, runs them with bounded concurrency,
//! stores progress and results, and publishes every state change as a [`ScanEvent`].
//!
//! A tenant has at most one queued or running scan of a kind: starting another returns it.

mod domains;
mod drift;
mod env;
mod evaluator;
mod fanout;
mod input;
mod live;
mod manager;
mod persist;
mod run;
mod snapshots;
mod store;
mod types;

pub use drift::{DRIFT_LIST_MAX, Drift, DriftCheck};
pub use env::ScanConfig;
pub use input::{ScanInput, ServiceInput, ServiceState, SnapshotSource};
pub use live::{service_name, target_of};
pub use manager::{
    CancelScan, DescribePlan, GetStats, ReleaseLeases, ScanManager, ScanStats, StartScan,
    Subscribe, Unsubscribe,
};
pub use persist::{CompletedScan, persist_completed_scan};
pub use run::plan;
pub use store::{event_of, scans_by_status};
pub use types::{
    AI_PILOT_REFUSAL, INTERRUPTED, QuotaScope, ScanError, ScanEvent, ScanKind, ScanOrigin,
    ScanQuota, ScanRequest, ScanStatus, ScanTicket, Topic, next_subscriber_id,
};
