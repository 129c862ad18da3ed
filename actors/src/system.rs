//! The backend: starts the supervised actors and hands out their addresses.

use std::sync::Arc;
use std::time::Duration;

use actix::{Addr, Arbiter, Supervisor};
use sea_orm::DatabaseConnection;

use crate::alerts::{Dispatcher, DispatcherConfig};
use crate::audit::{AuditConfig, AuditLog};
use crate::cluster::{Bus, ClusterEvent, default_instance_id};
use crate::query::ScanCache;
use crate::query::{QueryConfig, QueryExecutor};
use crate::scans::{ScanConfig, ScanManager, Subscribe, Topic, next_subscriber_id};
use crate::schedule::{Scheduler, SchedulerConfig};
use crate::tokens::{TokenKey, TokenRevoked, TokenValidator, TokenValidatorConfig, VerifiedCache};

/// Settings of the backend actors.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    /// This instance's id among those sharing the database (`serve --instance-id`): it owns
    /// the scan leases. Default: host name and process id.
    pub instance_id: String,
    pub tokens: TokenValidatorConfig,
    pub audit: AuditConfig,
    pub scans: ScanConfig,
    pub queries: QueryConfig,
    pub schedules: SchedulerConfig,
    /// Alert delivery (its outbound policy also checks destinations as they are created).
    pub alerts: DispatcherConfig,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            instance_id: default_instance_id(),
            tokens: TokenValidatorConfig::default(),
            audit: AuditConfig::default(),
            scans: ScanConfig::default(),
            schedules: SchedulerConfig::default(),
            alerts: DispatcherConfig::default(),
            // Reusing each scope's latest scan ids for a second is invalidated at once by scan
            // completions of every instance (they arrive through the cluster bus).
            queries: QueryConfig {
                latest_ttl: Duration::from_secs(1),
            },
        }
    }
}

/// Addresses of the running backend actors. Cheap to clone.
#[derive(Clone)]
pub struct Backend {
    pub db: DatabaseConnection,
    pub tokens: Addr<TokenValidator>,
    pub queries: Addr<QueryExecutor>,
    pub scans: Addr<ScanManager>,
    /// Starts scheduled scans.
    pub scheduler: Addr<Scheduler>,
    /// Sends the alert outbox.
    pub alerts: Addr<Dispatcher>,
    /// The alert settings: destinations are checked and test alerts sent under its policy.
    pub alert_config: DispatcherConfig,
    pub audit: AuditLog,
    /// Recent token verifications, read by the HTTP layer without a mailbox round trip.
    pub verified: VerifiedCache,
    /// The key of token digests, to create tokens the validator accepts.
    pub token_key: TokenKey,
    /// The query layer's cache of completed scans (its generations tell when answers change).
    pub scan_cache: Arc<ScanCache>,
    /// Reads connected tenants (admin consent, tenant details); `None` when not configured.
    pub collector: Option<Arc<aether365_collector::Collector>>,
    /// Events shared with the other instances on the database.
    pub bus: Bus,
}

impl Backend {
    /// Starts every backend actor under a supervisor. Must run inside an actix `System`.
    pub fn start(db: DatabaseConnection, config: BackendConfig) -> Backend {
        let bus = Bus::start(&db, config.instance_id.clone());
        let audit = AuditLog::start(db.clone(), config.audit.clone());
        let verified = VerifiedCache::new(config.tokens.cache_ttl);
        let tokens = {
            let (db, cfg, audit) = (db.clone(), config.tokens.clone(), audit.clone());
            let shared = verified.clone();
            Supervisor::start(move |_| TokenValidator::new(db, audit, cfg).with_cache(shared))
        };
        // The executor lives on an arbiter of its own: its queries' CPU work does not queue
        // behind the audit writer and the token validator on the system arbiter.
        let executor = QueryExecutor::with_config(db.clone(), config.queries.clone());
        let scan_cache = Arc::clone(executor.service().cache());
        let queries = Supervisor::start_in_arbiter(&Arbiter::new().handle(), move |_| executor);
        let scans = {
            let (db, cfg, bus) = (db.clone(), config.scans.clone(), bus.clone());
            Supervisor::start(move |_| ScanManager::new(db, cfg, bus.clone()))
        };
        let scheduler = {
            let (db, cfg, scans) = (db.clone(), config.schedules.clone(), scans.clone());
            Supervisor::start(move |_| Scheduler::new(db, scans.clone(), cfg))
        };
        let alerts = {
            let (db, cfg, me) = (
                db.clone(),
                config.alerts.clone(),
                config.instance_id.clone(),
            );
            Supervisor::start(move |_| Dispatcher::new(db, cfg, me))
        };
        // A token revoked anywhere (a database trigger announces it) closes its streams here
        // at once; the validator's poll catches any announcement the bus missed.
        {
            let (mut events, tokens) = (bus.subscribe(), tokens.clone());
            actix::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            if let ClusterEvent::Revoked { token_id } = *event {
                                tokens.do_send(TokenRevoked(token_id));
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        }
        // The query cache forgets an organisation's latest scans the moment one finishes on
        // any instance.
        scans.do_send(Subscribe {
            topic: Topic::All,
            subscriber_id: next_subscriber_id(),
            subscriber: queries.clone().recipient(),
        });
        Backend {
            collector: config.scans.collector.clone(),
            db,
            tokens,
            queries,
            scans,
            scheduler,
            alerts,
            alert_config: config.alerts.clone(),
            audit,
            verified,
            token_key: config.tokens.key.clone(),
            scan_cache,
            bus,
        }
    }

    /// Drains the audit writer: call after the HTTP server has stopped.
    pub async fn shutdown(&self, timeout: Duration) {
        match tokio::time::timeout(timeout, self.audit.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("audit flush failed: {e}"),
            Err(_) => tracing::error!("audit flush timed out"),
        }
    }
}
