//! Supervised backend actors of aether365 and the domain logic they own.
//!
//! - [`tokens`]: headless MCP tokens and the `TokenValidator` actor.
//! - [`query`]: the `QueryExecutor` actor, the only path from MCP to data, always tenant-scoped.
//! - [`scans`]: the `ScanManager` actor: queue, bounded runs, progress, completion fan-out.
//! - [`audit`]: the `AuditWriter` actor: group-committed audit rows.
//! - [`alerts`]: alert rules, destinations, the outbox and the `Dispatcher` actor that sends it.
//! - [`schedule`]: per-tenant scan schedules and the `Scheduler` actor that starts them.
//! - [`directory`]: organisations, users, tenants and configuration snapshots.
//! - [`people`]: role changes and removals under the owner rule; revoking a person's tokens.
//!
//! No HTTP in here.

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod consent;
pub mod db;
pub mod directory;
pub mod exposure;
pub mod hashing;
pub mod microsoft_sign_in;
pub mod oauth;
pub mod outbound;
pub mod people;
pub mod principal;
pub mod query;
pub mod scans;
pub mod schedule;
mod single_flight;
pub mod system;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tokens;

pub use principal::{Principal, TenantScope};
pub use system::Backend;
