//! The backend: starts the supervised actors and hands out their addresses.

use std::time::Duration;

use actix::{Actor, Addr, Supervisor};
use sea_orm::DatabaseConnection;

use crate::audit::{AuditConfig, AuditWriter, Flush};
use crate::query::QueryExecutor;
use crate::scans::{ScanConfig, ScanManager};
use crate::tokens::{TokenValidator, TokenValidatorConfig};

/// Settings of the backend actors.
#[derive(Clone, Debug, Default)]
pub struct BackendConfig {
    pub tokens: TokenValidatorConfig,
    pub audit: AuditConfig,
    pub scans: ScanConfig,
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
        let queries = QueryExecutor::new(db.clone()).start();
        let scans = {
            let (db, cfg) = (db.clone(), config.scans.clone());
            Supervisor::start(move |_| ScanManager::new(db, cfg))
        };
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
