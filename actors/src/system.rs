//! The backend: starts the supervised actors and hands out their addresses.

use std::time::Duration;

use actix::{Actor, Addr, Supervisor};
use sea_orm::DatabaseConnection;

use crate::audit::{AuditConfig, AuditWriter, Flush};
use crate::query::{QueryConfig, QueryExecutor};
use crate::scans::{ScanConfig, ScanManager, Subscribe, Topic, next_subscriber_id};
use crate::tokens::{TokenValidator, TokenValidatorConfig};

/// Settings of the backend actors.
#[derive(Clone, Debug)]
pub struct BackendConfig {
    pub tokens: TokenValidatorConfig,
    pub audit: AuditConfig,
    pub scans: ScanConfig,
    pub queries: QueryConfig,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            tokens: TokenValidatorConfig::default(),
            audit: AuditConfig::default(),
            scans: ScanConfig::default(),
            // Reusing each scope's latest scan ids for a second is invalidated at once by scan
            // completions in this process; another instance's completions show within the TTL.
            queries: QueryConfig {
                workers: 0,
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
    pub audit: Addr<AuditWriter>,
}

impl Backend {
    /// Starts every backend actor under a supervisor. Must run inside an actix `System`.
    pub fn start(db: DatabaseConnection, config: BackendConfig) -> Backend {
        let audit = {
            let (db, cfg) = (db.clone(), config.audit.clone());
            Supervisor::start(move |_| AuditWriter::new(db, cfg))
        };
        let tokens = {
            let (db, cfg, audit) = (db.clone(), config.tokens.clone(), audit.clone());
            Supervisor::start(move |_| TokenValidator::new(db, audit, cfg))
        };
        let queries = QueryExecutor::with_config(db.clone(), config.queries.clone()).start();
        let scans = {
            let (db, cfg) = (db.clone(), config.scans.clone());
            Supervisor::start(move |_| ScanManager::new(db, cfg))
        };
        // The query cache forgets an organisation's latest scans the moment one finishes here.
        scans.do_send(Subscribe {
            topic: Topic::All,
            subscriber_id: next_subscriber_id(),
            subscriber: queries.clone().recipient(),
        });
        Backend {
            db,
            tokens,
            queries,
            scans,
            audit,
        }
    }

    /// Drains the audit writer: call after the HTTP server has stopped.
    pub async fn shutdown(&self, timeout: Duration) {
        match tokio::time::timeout(timeout, self.audit.send(Flush)).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::error!("audit flush failed: {e}"),
            Ok(Err(e)) => tracing::error!("audit writer unreachable at shutdown: {e}"),
            Err(_) => tracing::error!("audit flush timed out"),
        }
    }
}
