//! Alerts: rules per organisation (a check newly failing at or above a severity, the score
//! dropping by N points, a scan failing, a tenant's consent withdrawn) sending to destinations
//! (a signed HTTPS webhook, Microsoft Teams and Slack incoming webhooks, e-mail over SMTP).
//!
//! Delivery is at least once from a durable outbox (`alert_deliveries`): the rows are written
//! by the instance that finishes a scan, in the transaction that stores the scan's drift, one
//! per rule, destination and scan (a unique key). The [`Dispatcher`] of every instance claims
//! due rows with a compare-and-set lease, sends them through [`crate::outbound`] (or SMTP to a
//! checked, pinned address), and retries with exponential backoff for a day before marking
//! them failed with the last error. A lease that expires (a killed instance) is claimed again.
//! The instance that queued alerts sends them at once ([`wake`]); the others' ticks are the
//! fallback.
//!
//! Consent withdrawal: Microsoft sends no event when an administrator removes the application,
//! so it is detected when a live scan of a connected tenant gets no token for any service
//! (every service failed with "no token for …"), or a scan fails with such a refusal.

mod dispatcher;
mod enqueue;
mod payload;
mod send;
mod store;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use dispatcher::{
    DispatchNow, DispatchReport, Dispatcher, DispatcherConfig, dispatch_due, wake,
};
pub use enqueue::{ScanOutcome, enqueue_for_scan};
pub use payload::{escape_html, escape_slack};
pub use send::{SendError, sign};
pub use store::{
    create_destination, create_rule, delete_destination, delete_rule, list_deliveries,
    list_destinations, list_rules, send_test, update_rule,
};

/// Errors of alert rules, destinations and deliveries.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A field is not valid; the message says what is expected.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// No such destination or rule in the organisation.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot encode the alert: {0}")]
    Encode(#[from] serde_json::Error),
}

impl AlertError {
    fn invalid(field: &'static str, message: impl Into<String>) -> AlertError {
        AlertError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// The kinds of destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// An HTTPS endpoint receiving the JSON event, signed (`X-Aether365-Signature`).
    Webhook,
    /// A Microsoft Teams incoming webhook (MessageCard).
    Teams,
    /// A Slack incoming webhook (`text` and `blocks`).
    Slack,
    /// E-mail over SMTP (STARTTLS or TLS).
    Email,
}

impl DestinationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Teams => "teams",
            DestinationKind::Slack => "slack",
            DestinationKind::Email => "email",
        }
    }

    fn parse(s: &str) -> Option<DestinationKind> {
        Some(match s {
            "webhook" => DestinationKind::Webhook,
            "teams" => DestinationKind::Teams,
            "slack" => DestinationKind::Slack,
            "email" => DestinationKind::Email,
            _ => return None,
        })
    }
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the first byte, usually port 465.
    Tls,
    /// No encryption: only to loopback with the test setting.
    Plain,
}

/// The SMTP server of an e-mail destination (the password is kept apart, as a secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// The user name to authenticate with, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// The sender address.
    pub from: String,
}

/// A destination to create.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDestination {
    pub name: String,
    pub kind: DestinationKind,
    /// The webhook URL (`webhook`, `teams`, `slack`): https.
    #[serde(default)]
    pub url: Option<String>,
    /// The recipients (`email`).
    #[serde(default)]
    pub to: Vec<String>,
    /// The SMTP server (`email`).
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    /// The SMTP password (`email`); never shown again.
    #[serde(default)]
    pub smtp_password: Option<String>,
}

/// A destination as listed: no secret, no full Teams or Slack URL.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct DestinationView {
    pub id: i64,
    pub name: String,
    pub kind: DestinationKind,
    /// The URL's scheme and host only (the rest is a credential), or the e-mail recipients.
    pub target: String,
    /// Whether a secret is stored (the webhook signing secret, the SMTP password).
    pub has_secret: bool,
    pub created_at: DateTime<Utc>,
}

/// A destination just created, with its signing secret: shown this once.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CreatedDestination {
    pub destination: DestinationView,
    /// `webhook`: the secret of `X-Aether365-Signature`. Store it now; it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// What raises an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A check newly fails at or above `min_severity`.
    NewlyFailing,
    /// The overall score drops by `score_drop` points or more.
    ScoreDrop,
    /// A scan fails.
    ScanFailed,
    /// A tenant's consent is withdrawn (no token for any service in a live scan).
    ConsentWithdrawn,
    /// A test sent from the dashboard.
    Test,
}

impl Trigger {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::NewlyFailing => "newly_failing",
            Trigger::ScoreDrop => "score_drop",
            Trigger::ScanFailed => "scan_failed",
            Trigger::ConsentWithdrawn => "consent_withdrawn",
            Trigger::Test => "test",
        }
    }

    fn parse(s: &str) -> Option<Trigger> {
        Some(match s {
            "newly_failing" => Trigger::NewlyFailing,
            "score_drop" => Trigger::ScoreDrop,
            "scan_failed" => Trigger::ScanFailed,
            "consent_withdrawn" => Trigger::ConsentWithdrawn,
            "test" => Trigger::Test,
            _ => return None,
        })
    }
}

/// A rule to create.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub name: String,
    pub trigger: Trigger,
    /// `newly_failing`: `critical`, `high`, `medium`, `low` or `info` (default `high`).
    #[serde(default)]
    pub min_severity: Option<String>,
    /// `score_drop`: points (more than 0).
    #[serde(default)]
    pub score_drop: Option<f64>,
    /// Destinations of the organisation, at least one.
    pub destination_ids: Vec<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A rule as listed.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RuleView {
    pub id: i64,
    pub name: String,
    pub trigger: Trigger,
    pub min_severity: Option<String>,
    pub score_drop: Option<f64>,
    pub destination_ids: Vec<i64>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One delivery of the outbox as the dashboard lists it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub rule_id: Option<i64>,
    pub destination_id: i64,
    pub scan_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub trigger: Trigger,
    /// The alert's one-line title.
    pub title: String,
    /// `pending`, `sending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A page of deliveries, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
}

/// What an alert says: stored in the outbox row and rendered per destination at send time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertEvent {
    pub trigger: Trigger,
    /// One line, such as "Contoso Ltd: 2 checks newly failing (critical or above)".
    pub title: String,
    pub organisation_id: i64,
    pub tenant_id: Option<i64>,
    /// Tenant text: escaped wherever it is rendered as markup.
    pub tenant_name: Option<String>,
    pub scan_id: Option<i64>,
    /// `compliance` or `exposure`.
    pub scan_kind: Option<String>,
    pub score: Option<f64>,
    pub score_change: Option<f64>,
    /// The newly failing checks (most severe first, at most 20).
    #[serde(default)]
    pub checks: Vec<AlertCheck>,
    /// The scan's error (failed scans, consent).
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A newly failing check in an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertCheck {
    pub check_id: String,
    pub title: String,
    pub severity: String,
    pub service: String,
    pub resource: Option<String>,
    /// The finding's id, for its dashboard link.
    pub finding_id: Option<i64>,
}

/// A delivery's states, as stored.
pub(crate) mod status {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

impl From<AlertError> for crate::scans::ScanError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Database(e) => crate::scans::ScanError::from(e),
            other => crate::scans::ScanError::Failed(format!("cannot queue the alerts: {other}")),
        }
    }
}
