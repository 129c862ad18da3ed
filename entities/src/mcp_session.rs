//! A handshake-era MCP session of the cluster (PostgreSQL only): what any instance needs to
//! answer its requests, and which instance holds its SSE stream.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_sessions")]
pub struct Model {
    /// The session id (`Mcp-Session-Id`, or the legacy `sessionId`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The token that opened it: only this token may use it.
    pub token_id: i64,
    /// `streamable` or `legacy`: the transport whose endpoints accept its id.
    pub transport: String,
    /// The negotiated protocol version.
    pub protocol_version: String,
    /// The client's `clientInfo`, as JSON text.
    pub client_info: Option<String>,
    /// The client's capabilities, as JSON text.
    pub client_capabilities: String,
    /// `logging/setLevel`'s level, if set.
    pub log_level: Option<String>,
    /// Subscribed resource URIs with the scan each follows: a JSON object.
    pub subscriptions: String,
    /// Scans started as tasks: a JSON array of scan ids.
    pub tasks: String,
    /// A legacy session learns its version at `initialize`, once.
    pub initialized: bool,
    /// The instance holding the session's SSE stream (or that created it).
    pub holder: String,
    /// Incremented by every change: a copy never takes an older state over a newer one.
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub last_active_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
