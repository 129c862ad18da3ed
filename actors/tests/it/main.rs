//! The integration tests of aether365-actors, one binary (each module was its own binary):
//! real databases (SQLite, and PostgreSQL when `AETHER365_TEST_POSTGRES_URL` is set), the
//! stand-in, DNS on loopback. Filter by module: `cargo test -p aether365-actors --test it
//! scan_lifecycle::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_trail;
mod cluster;
mod directory;
mod exposure_dns;
mod query_scope;
mod query_support;
mod query_throughput;
mod scan_lifecycle;
mod schedules;
mod storage_faults;
mod support;
mod tokens_auth;
