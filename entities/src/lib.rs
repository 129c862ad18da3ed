//! sea-orm entities of aether365. Data shapes only: the logic lives in `aether365-actors`.
//!
//! Every row belongs to exactly one organisation (the isolation boundary); rows below a
//! tenant also carry `organisation_id` so that tenant-scoped queries never need a join to
//! enforce isolation.

pub mod alert_delivery;
pub mod alert_destination;
pub mod alert_rule;
pub mod audit_log;
pub mod cluster_instance;
pub mod cluster_message;
pub mod config_snapshot;
pub mod consent_request;
pub mod dashboard_session;
pub mod entra_identity;
pub mod finding;
pub mod mcp_session;
pub mod mcp_token;
pub mod microsoft_sign_in;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_token;
pub mod organisation;
pub mod report;
pub mod scan;
pub mod scan_schedule;
pub mod tenant;
pub mod user;

pub mod prelude {
    //! The entities under short names.
    pub use super::audit_log::Entity as AuditLog;
    pub use super::config_snapshot::Entity as ConfigSnapshot;
    pub use super::consent_request::Entity as ConsentRequest;
    pub use super::dashboard_session::Entity as DashboardSession;
    pub use super::finding::Entity as Finding;
    pub use super::mcp_token::Entity as McpToken;
    pub use super::organisation::Entity as Organisation;
    pub use super::report::Entity as Report;
    pub use super::scan::Entity as Scan;
    pub use super::scan_schedule::Entity as ScanSchedule;
    pub use super::tenant::Entity as Tenant;
    pub use super::user::Entity as User;
}
