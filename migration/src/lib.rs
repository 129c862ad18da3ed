//! Schema migrations of aether365, run at start-up and by `aether365 migrate`.
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_initial;
mod m20261124_000002_dashboard_sessions;
mod m20261129_000003_live_collection;
mod m20261130_000020_cluster;
mod m20261130_000021_cluster_sessions;
mod m20261130_000030_scan_quotas;
mod m20261201_000040_findings_by_scan;
mod m20261205_000050_consent_proof;
mod m20261205_000060_finding_subjects;
mod m20261206_000070_schedules_and_drift;
mod m20261206_000080_oauth;
mod m20261206_000090_alerts;
mod m20261206_000110_microsoft_sign_in;
mod m20261206_000120_oauth_preregistered_clients;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial::Migration),
            Box::new(m20261124_000002_dashboard_sessions::Migration),
            Box::new(m20261129_000003_live_collection::Migration),
            Box::new(m20261130_000020_cluster::Migration),
            Box::new(m20261130_000021_cluster_sessions::Migration),
            Box::new(m20261130_000030_scan_quotas::Migration),
            Box::new(m20261201_000040_findings_by_scan::Migration),
            Box::new(m20261205_000050_consent_proof::Migration),
            Box::new(m20261205_000060_finding_subjects::Migration),
            Box::new(m20261206_000070_schedules_and_drift::Migration),
            Box::new(m20261206_000080_oauth::Migration),
            Box::new(m20261206_000090_alerts::Migration),
            Box::new(m20261206_000110_microsoft_sign_in::Migration),
            Box::new(m20261206_000120_oauth_preregistered_clients::Migration),
        ]
    }
}
