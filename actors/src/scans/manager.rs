//! The `ScanManager` actor and its messages.

use std::time::Duration;

use actix::prelude::*;
use sea_orm::DatabaseConnection;

use super::types::{ScanError, ScanEvent, ScanRequest, ScanStatus, ScanTicket, Topic};
use crate::exposure::DnsConfig;
use crate::principal::TenantScope;

/// Settings of the scan manager.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Scans running at once; further ones wait queued. Default 4.
    pub max_concurrent: usize,
    /// Demo and test knob: sleep this long per check group (per service, or per domain for
    /// exposure scans) to simulate collection latency. Default 0.
    pub collect_delay: Duration,
    /// DNS settings of exposure scans.
    pub dns: DnsConfig,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_concurrent: 4,
            collect_delay: Duration::ZERO,
            dns: DnsConfig::default(),
        }
    }
}

/// Starts a scan, or returns the tenant's queued or running scan of that kind.
#[derive(Debug, Message)]
#[rtype(result = "Result<ScanTicket, ScanError>")]
pub struct StartScan(pub ScanRequest);

/// Cancels a queued or running scan; a finished scan answers with its final status.
#[derive(Debug, Message)]
#[rtype(result = "Result<ScanStatus, ScanError>")]
pub struct CancelScan {
    pub organisation_id: i64,
    pub tenant_scope: TenantScope,
    pub scan_id: i64,
}

/// Subscribes `subscriber` to the events of a scan or of a tenant's scans.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Subscribe {
    pub topic: Topic,
    /// Chosen by the caller, unique per subscriber; used to unsubscribe.
    pub subscriber_id: u64,
    pub subscriber: Recipient<ScanEvent>,
}

/// Drops every subscription of a subscriber.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub subscriber_id: u64,
}

/// Queues, runs, cancels and publishes scans. Start it under a `Supervisor`.
pub struct ScanManager {
    #[allow(dead_code)]
    db: DatabaseConnection,
    #[allow(dead_code)]
    config: ScanConfig,
}

impl ScanManager {
    /// A manager over `db`; scans left queued or running are recovered when it starts.
    pub fn new(db: DatabaseConnection, config: ScanConfig) -> Self {
        ScanManager { db, config }
    }
}

impl Actor for ScanManager {
    type Context = Context<Self>;
}

impl Supervised for ScanManager {}

impl Handler<StartScan> for ScanManager {
    type Result = ResponseFuture<Result<ScanTicket, ScanError>>;
    fn handle(&mut self, _msg: StartScan, _ctx: &mut Self::Context) -> Self::Result {
        Box::pin(async { Err(ScanError::Unavailable("not implemented yet".into())) })
    }
}

impl Handler<CancelScan> for ScanManager {
    type Result = ResponseFuture<Result<ScanStatus, ScanError>>;
    fn handle(&mut self, _msg: CancelScan, _ctx: &mut Self::Context) -> Self::Result {
        Box::pin(async { Err(ScanError::ScanNotFound) })
    }
}

impl Handler<Subscribe> for ScanManager {
    type Result = ();
    fn handle(&mut self, _msg: Subscribe, _ctx: &mut Self::Context) {}
}

impl Handler<Unsubscribe> for ScanManager {
    type Result = ();
    fn handle(&mut self, _msg: Unsubscribe, _ctx: &mut Self::Context) {}
}
