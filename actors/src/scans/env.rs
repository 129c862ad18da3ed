//! What a running scan works with: the manager's settings, the run's environment, how a run
//! stops early, and its progress.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aether365_collector::Collector;
use aether365_entities::scan;
use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::evaluator::Evaluator;
use super::snapshots::ParsedSnapshots;
use super::store::{self, Lease};
use super::types::{ScanError, ScanEvent, ScanQuota, ScanStatus};
use crate::cluster::{Bus, ClusterEvent};
use crate::exposure::DnsConfig;

/// Progress is stored at most this often (and always at the end).
const STORE_PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Settings of the scan manager.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Scans this instance runs at once; further ones wait queued (for any instance). Default 4.
    pub max_concurrent: usize,
    /// DNS settings of exposure scans (and of the mail records a collection looks up).
    pub dns: DnsConfig,
    /// Reads connected tenants live; `None` when no Entra application is configured, and then
    /// compliance scans evaluate the newest imported configuration and say so.
    pub collector: Option<Arc<Collector>>,
    /// Take part in the cluster's work: on start, mark scans left running without a lease as
    /// failed (`interrupted`), and claim any queued scan or any scan whose lease expired.
    /// Default true; false for a short-lived manager beside a running server (the CLI), which
    /// runs only the scans it queued itself and takes over nothing.
    pub recover_on_start: bool,
    /// How long a lease on a running scan lasts unless renewed; the heartbeat renews it every
    /// third of that. Another instance re-runs a scan whose lease expired. Default 30 s.
    pub lease_ttl: Duration,
    /// Scans a token and an organisation may have queued or running at once.
    pub quota: ScanQuota,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_concurrent: 4,
            dns: DnsConfig::default(),
            collector: None,
            recover_on_start: true,
            lease_ttl: Duration::from_secs(30),
            quota: ScanQuota::default(),
        }
    }
}

/// What a running scan needs.
#[derive(Clone)]
pub(super) struct RunEnv {
    pub db: DatabaseConnection,
    pub config: ScanConfig,
    /// Where the scan's events go (every instance); its instance id owns the lease.
    pub bus: Bus,
    /// Snapshots parsed by earlier scans of this instance.
    pub snapshots: ParsedSnapshots,
    /// Where the scan's CPU work runs, below the answers' priority.
    pub evaluator: Evaluator,
}

impl RunEnv {
    /// The lease this instance holds on the scans it runs.
    pub fn lease(&self) -> Lease<'_> {
        Lease {
            owner: self.bus.instance_id(),
            ttl: self.config.lease_ttl,
        }
    }

    /// Publishes a scan event to every instance.
    pub fn publish(&self, event: ScanEvent) {
        self.bus.publish(ClusterEvent::Scan(event));
    }
}

/// Why a run stopped early.
pub(super) enum Stop {
    /// The scan left the running state (cancelled): nothing more to write or publish.
    Cancelled,
    /// The scan failed with this error.
    Failed(String),
}

impl From<ScanError> for Stop {
    fn from(e: ScanError) -> Self {
        Stop::Failed(e.to_string())
    }
}

pub(super) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Progress of a running scan: published at every step, stored at most every 250 ms.
pub(super) struct Progress<'a> {
    env: &'a RunEnv,
    row: &'a scan::Model,
    done: i32,
    total: i32,
    stored_at: Instant,
    stage: Option<String>,
}

impl<'a> Progress<'a> {
    pub(super) fn new(env: &'a RunEnv, row: &'a scan::Model, total: i32) -> Self {
        Progress {
            env,
            row,
            done: 0,
            total,
            stored_at: Instant::now(),
            stage: None,
        }
    }

    /// Says what the scan does next; sent with the following events.
    pub(super) fn set_stage(&mut self, stage: String) {
        self.stage = Some(stage);
    }

    pub(super) fn event(&self, status: ScanStatus) -> ScanEvent {
        let mut event = store::event_of(self.row);
        event.status = status;
        event.progress_done = self.done;
        event.progress_total = self.total;
        event.stage = self.stage.clone();
        event.at = Utc::now();
        event
    }

    /// Publishes the current stage without counting a step (a per-object read's progress:
    /// events only, nothing stored).
    pub(super) fn report(&self) {
        self.env.publish(self.event(ScanStatus::Running));
    }

    /// Counts `n` more steps done; stops the run if the scan was cancelled meanwhile.
    pub(super) async fn advance(&mut self, n: usize) -> Result<(), Stop> {
        self.done = self.done.saturating_add(count(n)).min(self.total);
        if self.stored_at.elapsed() >= STORE_PROGRESS_EVERY || self.done >= self.total {
            self.stored_at = Instant::now();
            if !store::set_progress(
                &self.env.db,
                self.env.bus.instance_id(),
                self.row.id,
                self.done,
            )
            .await?
            {
                return Err(Stop::Cancelled);
            }
        }
        self.env.publish(self.event(ScanStatus::Running));
        Ok(())
    }
}
