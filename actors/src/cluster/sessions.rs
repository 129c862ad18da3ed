//! Sessions that belong to the cluster (PostgreSQL): the stored state of a handshake-era MCP
//! session, which instance holds its stream, and the instances' heartbeats.
//!
//! Writes happen when the state changes (open, `initialize` of a legacy session,
//! `logging/setLevel`, subscriptions, tasks, a stream opened elsewhere); activity is recorded in
//! batches by each instance's heartbeat, never per request.

use std::collections::BTreeMap;

use aether365_entities::{cluster_instance, mcp_session};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;

use super::BusError;

/// The transport a stored session was opened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredTransport {
    /// Streamable HTTP (`Mcp-Session-Id`).
    Streamable,
    /// Legacy HTTP+SSE (`/messages?sessionId=`).
    Legacy,
}

impl StoredTransport {
    fn as_str(self) -> &'static str {
        match self {
            StoredTransport::Streamable => "streamable",
            StoredTransport::Legacy => "legacy",
        }
    }

    fn parse(s: &str) -> Option<StoredTransport> {
        match s {
            "streamable" => Some(StoredTransport::Streamable),
            "legacy" => Some(StoredTransport::Legacy),
            _ => None,
        }
    }
}

/// A session's stored state.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSession {
    pub id: String,
    pub token_id: i64,
    pub transport: StoredTransport,
    pub protocol_version: String,
    pub client_info: Option<Value>,
    pub client_capabilities: Value,
    pub log_level: Option<String>,
    /// Subscribed resource URIs, with the scan each follows.
    pub subscriptions: BTreeMap<String, Option<i64>>,
    /// Scans started as tasks, oldest first.
    pub tasks: Vec<i64>,
    pub initialized: bool,
    /// The instance holding the stream.
    pub holder: String,
    /// Incremented by every change.
    pub revision: i64,
}

/// One change to a stored session, applied in place (concurrent changes of different fields,
/// or of different subscriptions, made on different instances never undo each other).
#[derive(Clone, Debug, PartialEq)]
pub enum SessionChange {
    /// `resources/subscribe`.
    Subscribe { uri: String, scan_id: Option<i64> },
    /// `resources/unsubscribe`.
    Unsubscribe { uri: String },
    /// A scan started as a task.
    TrackTask { scan_id: i64 },
    /// `logging/setLevel`.
    LogLevel(String),
    /// A legacy session's `initialize`.
    Negotiated {
        version: String,
        client_info: Option<Value>,
        capabilities: Value,
    },
    /// The session's stream opened on this instance.
    Holder(String),
}

fn decode(row: mcp_session::Model) -> Result<StoredSession, BusError> {
    let transport = StoredTransport::parse(&row.transport).ok_or_else(|| {
        BusError::Database(sea_orm::DbErr::Custom(format!(
            "session {} has an unknown transport {:?}",
            row.id, row.transport
        )))
    })?;
    Ok(StoredSession {
        client_info: row
            .client_info
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?,
        client_capabilities: serde_json::from_str(&row.client_capabilities)?,
        subscriptions: serde_json::from_str(&row.subscriptions)?,
        tasks: serde_json::from_str(&row.tasks)?,
        id: row.id,
        token_id: row.token_id,
        transport,
        protocol_version: row.protocol_version,
        log_level: row.log_level,
        initialized: row.initialized,
        holder: row.holder,
        revision: row.revision,
    })
}

/// The state columns of `session` (everything but the id, token, transport and times).
fn state_of(session: &StoredSession) -> Result<mcp_session::ActiveModel, BusError> {
    Ok(mcp_session::ActiveModel {
        protocol_version: Set(session.protocol_version.clone()),
        client_info: Set(session
            .client_info
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?),
        client_capabilities: Set(serde_json::to_string(&session.client_capabilities)?),
        log_level: Set(session.log_level.clone()),
        subscriptions: Set(serde_json::to_string(&session.subscriptions)?),
        tasks: Set(serde_json::to_string(&session.tasks)?),
        initialized: Set(session.initialized),
        holder: Set(session.holder.clone()),
        revision: Set(session.revision),
        ..Default::default()
    })
}

/// Stores a new session.
pub async fn insert(db: &DatabaseConnection, session: &StoredSession) -> Result<(), BusError> {
    let now = Utc::now();
    let mut row = state_of(session)?;
    row.id = Set(session.id.clone());
    row.token_id = Set(session.token_id);
    row.transport = Set(session.transport.as_str().to_string());
    row.created_at = Set(now);
    row.last_active_at = Set(now);
    mcp_session::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// The stored session `id`, if any.
pub async fn load(db: &DatabaseConnection, id: &str) -> Result<Option<StoredSession>, BusError> {
    mcp_session::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// The stored sessions among `ids` (those missing ended meanwhile).
pub async fn load_many(
    db: &DatabaseConnection,
    ids: &[String],
) -> Result<Vec<StoredSession>, BusError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    mcp_session::Entity::find()
        .filter(mcp_session::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Applies `change` to the stored session `id`; its new state, `None` when it is gone.
pub async fn change(
    db: &DatabaseConnection,
    id: &str,
    change: &SessionChange,
) -> Result<Option<StoredSession>, BusError> {
    let (set, mut values): (&str, Vec<sea_orm::Value>) = match change {
        SessionChange::Subscribe { uri, scan_id } => (
            "subscriptions = (subscriptions::jsonb || jsonb_build_object($2::text, $3::bigint))::text",
            vec![uri.clone().into(), (*scan_id).into()],
        ),
        SessionChange::Unsubscribe { uri } => (
            "subscriptions = (subscriptions::jsonb - $2::text)::text",
            vec![uri.clone().into()],
        ),
        SessionChange::TrackTask { scan_id } => (
            "tasks = CASE WHEN tasks::jsonb @> jsonb_build_array($2::bigint) THEN tasks \
             ELSE (tasks::jsonb || jsonb_build_array($2::bigint))::text END",
            vec![(*scan_id).into()],
        ),
        SessionChange::LogLevel(level) => ("log_level = $2", vec![level.clone().into()]),
        SessionChange::Negotiated {
            version,
            client_info,
            capabilities,
        } => (
            "protocol_version = $2, client_info = $3, client_capabilities = $4, initialized = true",
            vec![
                version.clone().into(),
                client_info
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()?
                    .into(),
                serde_json::to_string(capabilities)?.into(),
            ],
        ),
        SessionChange::Holder(instance) => ("holder = $2", vec![instance.clone().into()]),
    };
    values.insert(0, id.to_string().into());
    let sql = format!(
        "UPDATE mcp_sessions SET {set}, revision = revision + 1, last_active_at = now() \
         WHERE id = $1 RETURNING *"
    );
    mcp_session::Entity::find()
        .from_raw_sql(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// Deletes a session; `true` when it existed.
pub async fn delete(db: &DatabaseConnection, id: &str) -> Result<bool, BusError> {
    let deleted = mcp_session::Entity::delete_by_id(id.to_string())
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Records activity of `ids` now (one statement).
pub async fn touch(db: &DatabaseConnection, ids: &[String]) -> Result<(), BusError> {
    if ids.is_empty() {
        return Ok(());
    }
    mcp_session::Entity::update_many()
        .col_expr(mcp_session::Column::LastActiveAt, Expr::value(Utc::now()))
        .filter(mcp_session::Column::Id.is_in(ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the sessions idle since before `cutoff` and answers their ids: each is deleted by
/// one instance only, which announces its end.
pub async fn expire(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<Vec<String>, BusError> {
    let pool = db.get_postgres_connection_pool();
    let rows: Vec<(String,)> =
        sea_orm::sqlx::query_as("DELETE FROM mcp_sessions WHERE last_active_at < $1 RETURNING id")
            .bind(cutoff)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Records this instance's heartbeat and answers every instance's last one.
pub async fn heartbeat(
    db: &DatabaseConnection,
    instance_id: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, BusError> {
    let row = cluster_instance::ActiveModel {
        id: Set(instance_id.to_string()),
        seen_at: Set(Utc::now()),
    };
    cluster_instance::Entity::insert(row)
        .on_conflict(
            OnConflict::column(cluster_instance::Column::Id)
                .update_column(cluster_instance::Column::SeenAt)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(cluster_instance::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.seen_at))
        .collect())
}

/// Marks this instance gone (it is stopping): its last heartbeat is set to the epoch, so the
/// others know at once that the streams it held are gone.
pub async fn leave(db: &DatabaseConnection, instance_id: &str) -> Result<(), BusError> {
    cluster_instance::Entity::update_many()
        .col_expr(
            cluster_instance::Column::SeenAt,
            Expr::value(DateTime::<Utc>::UNIX_EPOCH),
        )
        .filter(cluster_instance::Column::Id.eq(instance_id))
        .exec(db)
        .await?;
    Ok(())
}
