//! One audit event, before it becomes an `audit_log` row.

use std::fmt;
use std::str::FromStr;

use aether365_entities::audit_log;
use chrono::{DateTime, Utc};
use sea_orm::Set;
use serde::Serialize;

use crate::principal::Principal;

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An MCP client holding a headless token.
    Token,
    /// A dashboard user.
    User,
    /// An operator at the command line.
    Cli,
    /// Nobody known (a failed authentication naming no known token).
    Anonymous,
    /// A tenant's scan schedule (actor id: the schedule; label: who last changed it).
    Schedule,
}

impl ActorKind {
    /// The stored name: `token`, `user`, `cli`, `anonymous` or `schedule`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Token => "token",
            ActorKind::User => "user",
            ActorKind::Cli => "cli",
            ActorKind::Anonymous => "anonymous",
            ActorKind::Schedule => "schedule",
        }
    }
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Error,
    /// Refused: authentication failed, out of scope, rate limited.
    Denied,
}

impl Outcome {
    /// The stored name: `ok`, `error` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Denied => "denied",
        }
    }
}

/// A name that is not one of the enumeration's stored names.
#[derive(Debug, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownName(pub String);

impl FromStr for ActorKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "token" => Ok(ActorKind::Token),
            "user" => Ok(ActorKind::User),
            "cli" => Ok(ActorKind::Cli),
            "anonymous" => Ok(ActorKind::Anonymous),
            "schedule" => Ok(ActorKind::Schedule),
            other => Err(UnknownName(other.to_string())),
        }
    }
}

impl FromStr for Outcome {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(Outcome::Ok),
            "error" => Ok(Outcome::Error),
            "denied" => Ok(Outcome::Denied),
            other => Err(UnknownName(other.to_string())),
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audited action. Build it with a constructor and the chainable setters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEvent {
    pub organisation_id: Option<i64>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    pub actor_label: Option<String>,
    /// For example `mcp.tools/call`, `auth.failed`, `token.create`, `token.revoke`.
    pub action: String,
    pub mcp_method: Option<String>,
    pub tool: Option<String>,
    /// The ids the request named (tenants, scans, findings, reports, tokens).
    pub target_ids: Vec<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub at: DateTime<Utc>,
}

impl AuditEvent {
    /// A successful `action` by `actor_kind`, now, with nothing else filled in.
    pub fn new(actor_kind: ActorKind, action: &str) -> AuditEvent {
        AuditEvent {
            organisation_id: None,
            actor_kind,
            actor_id: None,
            actor_label: None,
            action: action.to_string(),
            mcp_method: None,
            tool: None,
            target_ids: Vec::new(),
            outcome: Outcome::Ok,
            detail: None,
            client_addr: None,
            user_agent: None,
            at: Utc::now(),
        }
    }

    /// A successful `action` by the token behind `principal`, in its organisation.
    pub fn for_principal(principal: &Principal, action: &str) -> AuditEvent {
        AuditEvent::new(ActorKind::Token, action)
            .organisation(principal.organisation_id)
            .actor_id(principal.token_id)
            .actor_label(principal.token_label.clone())
    }

    /// Sets the organisation.
    pub fn organisation(mut self, organisation_id: i64) -> Self {
        self.organisation_id = Some(organisation_id);
        self
    }

    /// Sets the actor kind.
    pub fn actor_kind(mut self, kind: ActorKind) -> Self {
        self.actor_kind = kind;
        self
    }

    /// Sets the actor id (token or user id).
    pub fn actor_id(mut self, id: i64) -> Self {
        self.actor_id = Some(id);
        self
    }

    /// Sets the actor label (token label, user email).
    pub fn actor_label(mut self, label: impl Into<String>) -> Self {
        self.actor_label = Some(label.into());
        self
    }

    /// Sets the MCP method (`tools/call`, `resources/read`, …).
    pub fn mcp_method(mut self, method: impl Into<String>) -> Self {
        self.mcp_method = Some(method.into());
        self
    }

    /// Sets the tool name.
    pub fn tool(mut self, tool: impl Into<String>) -> Self {
        self.tool = Some(tool.into());
        self
    }

    /// Adds one target id.
    pub fn target(mut self, id: impl ToString) -> Self {
        self.target_ids.push(id.to_string());
        self
    }

    /// Adds target ids.
    pub fn targets<I, T>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: ToString,
    {
        self.target_ids
            .extend(ids.into_iter().map(|id| id.to_string()));
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Sets a free-text detail (never a secret).
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the client address, when known.
    pub fn client_addr(mut self, addr: Option<String>) -> Self {
        self.client_addr = addr;
        self
    }

    /// Sets the client's user agent, when known.
    pub fn user_agent(mut self, agent: Option<String>) -> Self {
        self.user_agent = agent;
        self
    }

    /// Sets the time of the event (default: when it was built).
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    /// The row to insert.
    pub(crate) fn into_active_model(self) -> audit_log::ActiveModel {
        audit_log::ActiveModel {
            organisation_id: Set(self.organisation_id),
            actor_kind: Set(self.actor_kind.as_str().to_string()),
            actor_id: Set(self.actor_id),
            actor_label: Set(self.actor_label.map(stored)),
            action: Set(stored(self.action)),
            mcp_method: Set(self.mcp_method.map(stored)),
            tool: Set(self.tool.map(stored)),
            target_ids: Set(serde_json::Value::from(
                self.target_ids.into_iter().map(stored).collect::<Vec<_>>(),
            )),
            outcome: Set(self.outcome.as_str().to_string()),
            detail: Set(self.detail.map(stored)),
            client_addr: Set(self.client_addr.map(stored)),
            user_agent: Set(self.user_agent.map(stored)),
            created_at: Set(self.at),
            ..Default::default()
        }
    }
}

/// Text as stored. A NUL, which a client can put in a method or tool name, becomes U+FFFD:
/// PostgreSQL's text cannot hold it and would refuse the row, failing every other caller's row
/// in the same batch with it.
fn stored(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::principal::TenantScope;

    #[test]
    fn names_round_trip() {
        for kind in [
            ActorKind::Token,
            ActorKind::User,
            ActorKind::Cli,
            ActorKind::Anonymous,
            ActorKind::Schedule,
        ] {
            assert_eq!(kind.as_str().parse::<ActorKind>().unwrap(), kind);
        }
        for outcome in [Outcome::Ok, Outcome::Error, Outcome::Denied] {
            assert_eq!(outcome.as_str().parse::<Outcome>().unwrap(), outcome);
        }
        assert!("root".parse::<ActorKind>().is_err());
    }

    #[test]
    fn for_principal_names_the_token() {
        let principal = Principal {
            organisation_id: 7,
            token_id: 42,
            token_label: "claude".into(),
            tenant_scope: TenantScope::All,
        };
        let event = AuditEvent::for_principal(&principal, "mcp.tools/call")
            .tool("list_findings")
            .targets([3, 4])
            .outcome(Outcome::Error);
        assert_eq!(event.organisation_id, Some(7));
        assert_eq!(event.actor_kind, ActorKind::Token);
        assert_eq!(event.actor_id, Some(42));
        assert_eq!(event.actor_label.as_deref(), Some("claude"));
        assert_eq!(event.target_ids, vec!["3", "4"]);
        assert_eq!(event.outcome, Outcome::Error);
    }
}
