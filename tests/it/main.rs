//! Every integration test in one binary (one link instead of one per file): the real server
//! on port 0 with a fresh database per test, over SQLite and, when `AETHER365_TEST_POSTGRES_URL`
//! is set, PostgreSQL.

mod common;

mod alerts;
mod audit_crash;
mod cli;
mod cluster_instances;
mod cluster_ops;
mod consent;
mod dashboard;
mod dashboard_api;
mod framework_report;
mod hardening;
mod import_bounds;
mod isolation;
/// Older ScubaGear export layouts, shared with the engine's tests.
#[path = "../../engine/tests/it/legacy_layouts.rs"]
mod legacy_layouts;
mod live_collection;
mod mcp_apps;
mod mcp_conformance_fixtures;
mod mcp_legacy_and_http;
mod mcp_server;
mod mcp_stateless;
mod mcp_streamable;
mod mcp_surface;
mod mcp_tasks_and_scans;
mod microsoft_sign_in;
mod oauth;
mod oauth_clients;
mod people_security;
mod power_platform_dlp;
mod schedules;
mod tenant_text;
