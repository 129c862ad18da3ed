//! The cluster bus: events every instance on one database must see (scan progress and
//! completion, queued scans to claim, token revocations, messages for a session's stream).
//!
//! On PostgreSQL an event travels by `NOTIFY` on a channel of the database and schema, and
//! every instance (the sender too) receives it from its `LISTEN` connection, so local and remote
//! subscribers see one order. A payload too large for `NOTIFY` is stored in `cluster_messages`
//! and the notification carries its id. A lost listener connection is re-established, and a
//! [`ClusterEvent::Resync`] tells local subscribers to reconcile what they may have missed from
//! the tables. On SQLite (one process) events are delivered in-process through the same
//! interface.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aether365_entities::cluster_message;
use chrono::{DateTime, Utc};
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::scans::ScanEvent;

pub mod sessions;

/// Largest payload sent inline; `NOTIFY` refuses 8000 bytes and more.
const INLINE_LIMIT: usize = 7000;
/// Events a slow local subscriber may fall behind before it is told to resynchronise.
const LOCAL_CAPACITY: usize = 8192;
/// Notifications sent in one round trip at most.
const BATCH: usize = 256;
/// Stored payloads older than this are deleted (every receiver has read them by then).
const STORED_FOR: Duration = Duration::from_secs(600);
/// Pause between attempts to (re)connect the listener.
const RETRY: Duration = Duration::from_millis(500);
/// How far before a gap in the events a resync looks back: a scan's `finished_at` is written
/// before its event is sent, and the commit between the two may wait for the database (SQLite
/// waits up to its 10 s busy timeout). Looking back further only repeats final events.
const RESYNC_MARGIN: chrono::Duration = chrono::Duration::seconds(30);

/// An event for every instance of the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterEvent {
    /// A scan changed state (queued, progress, finished).
    Scan(ScanEvent),
    /// Scans wait to be claimed (queued, or given back by a stopping instance): an instance
    /// with room claims them.
    ScansWaiting,
    /// A token was revoked (also sent by a database trigger on PostgreSQL, whoever revoked it).
    Revoked { token_id: i64 },
    /// An encoded JSON-RPC message for the stream of a session, wherever it is held.
    SessionMessage { session_id: String, data: String },
    /// A session ended (DELETE, revocation, expiry): whoever holds its stream closes it.
    SessionClosed { session_id: String },
    /// A Streamable HTTP session's stream was reopened elsewhere with `Last-Event-ID: after`:
    /// instance `previous`, which held it before, sends the events it wrote after that id, as
    /// [`ClusterEvent::SessionMessage`]s, to the new holder.
    SessionReplay {
        session_id: String,
        previous: String,
        after: u64,
    },
    /// A session's stored state changed on instance `origin` (log level, subscriptions, tasks,
    /// the instance holding its stream): the other instances holding a copy reload it.
    SessionChanged { session_id: String, origin: String },
    /// A client's message that concerns a request of the session running on another instance
    /// (a `notifications/cancelled`, or the client's answer to a server-to-client request),
    /// received on instance `origin`: the instance running that request takes it.
    SessionInbound {
        session_id: String,
        origin: String,
        message: serde_json::Value,
    },
    /// Local only: events may have been missed since `since` (the listener reconnected, or a
    /// subscriber fell behind); reconcile from the tables.
    #[serde(skip)]
    Resync { since: DateTime<Utc> },
}

/// What a `NOTIFY` payload holds: an event, or the id of a stored one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Stored { stored: i64 },
    Event(ClusterEvent),
}

/// Errors of the bus.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cluster bus database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cluster bus connection error: {0}")]
    Connection(#[from] sea_orm::sqlx::Error),
    #[error("cluster event cannot be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

struct Shared {
    instance_id: String,
    local: broadcast::Sender<Arc<ClusterEvent>>,
    /// Encoded events to `NOTIFY` (PostgreSQL); `None` on SQLite.
    outbox: Option<mpsc::UnboundedSender<String>>,
    reconnects: AtomicU64,
    /// True while the listener is connected and listening.
    listening: watch::Receiver<bool>,
}

/// The cluster bus of one instance. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("instance_id", &self.shared.instance_id)
            .field("clustered", &self.shared.outbox.is_some())
            .finish()
    }
}

impl Bus {
    /// The bus of instance `instance_id` over `db`: `LISTEN/NOTIFY` on PostgreSQL, in-process on
    /// SQLite. Must run inside a tokio runtime (it spawns the listener and the sender).
    pub fn start(db: &DatabaseConnection, instance_id: impl Into<String>) -> Bus {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let (ready_tx, listening) = watch::channel(false);
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        let (outbox, outbox_rx) = if postgres {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let bus = Bus {
            shared: Arc::new(Shared {
                instance_id: instance_id.into(),
                local,
                outbox,
                reconnects: AtomicU64::new(0),
                listening,
            }),
        };
        if let Some(outbox_rx) = outbox_rx {
            let pool = db.get_postgres_connection_pool().clone();
            let (channel_tx, channel_rx) = watch::channel(None::<String>);
            tokio::spawn(listen(
                bus.clone(),
                db.clone(),
                pool.clone(),
                channel_tx,
                ready_tx,
            ));
            tokio::spawn(send(bus.clone(), db.clone(), pool, channel_rx, outbox_rx));
        } else {
            let _ = ready_tx.send(true);
        }
        bus
    }

    /// This instance's id (`serve --instance-id`).
    pub fn instance_id(&self) -> &str {
        &self.shared.instance_id
    }

    /// Whether events cross processes (PostgreSQL).
    pub fn is_clustered(&self) -> bool {
        self.shared.outbox.is_some()
    }

    /// Receives every event from now on (and [`ClusterEvent::Resync`] after a gap).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ClusterEvent>> {
        self.shared.local.subscribe()
    }

    /// Sends `event` to every instance, this one included. Never waits; events of one
    /// instance arrive everywhere in the order they were published.
    pub fn publish(&self, event: ClusterEvent) {
        match &self.shared.outbox {
            None => self.deliver(event),
            Some(outbox) => match serde_json::to_string(&event) {
                Ok(json) => {
                    if outbox.send(json).is_err() {
                        tracing::error!("cluster bus sender stopped: event delivered locally only");
                        self.deliver(event);
                    }
                }
                Err(e) => tracing::error!("cannot encode a cluster event: {e}"),
            },
        }
    }

    /// [`Bus::subscribe`] as a stream: a subscriber that falls behind gets a
    /// [`ClusterEvent::Resync`] instead of the events it missed.
    pub fn events(&self) -> impl futures_util::Stream<Item = Arc<ClusterEvent>> + 'static {
        let rx = self.subscribe();
        futures_util::stream::unfold((rx, Utc::now()), |(mut rx, last)| async move {
            match rx.recv().await {
                Ok(event) => Some((event, (rx, Utc::now()))),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "cluster bus subscriber fell behind; reconciling");
                    let since = last - RESYNC_MARGIN;
                    Some((Arc::new(ClusterEvent::Resync { since }), (rx, Utc::now())))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
    }

    /// Waits until the listener is listening (at once on SQLite).
    pub async fn ready(&self) {
        let mut listening = self.shared.listening.clone();
        let _ = listening.wait_for(|l| *l).await;
    }

    /// Whether the listener is connected (always true on SQLite): for `/readyz`.
    pub fn is_listening(&self) -> bool {
        *self.shared.listening.borrow()
    }

    /// How many times the listener connection was lost and re-established.
    pub fn reconnects(&self) -> u64 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }

    fn deliver(&self, event: ClusterEvent) {
        // No receiver yet is not an error: nobody is interested.
        let _ = self.shared.local.send(Arc::new(event));
    }

    fn deliver_payload(&self, payload: &str) -> Option<i64> {
        match serde_json::from_str::<Wire>(payload) {
            Ok(Wire::Event(event)) => {
                self.deliver(event);
                None
            }
            Ok(Wire::Stored { stored }) => Some(stored),
            Err(e) => {
                tracing::warn!("ignoring an unreadable cluster notification: {e}");
                None
            }
        }
    }
}

/// The channel of this database and schema (the migration's `aether365_channel()`).
async fn channel_name(pool: &PgPool) -> Result<String, BusError> {
    let (name,): (String,) = sea_orm::sqlx::query_as("SELECT aether365_channel()")
        .fetch_one(pool)
        .await?;
    Ok(name)
}

async fn connect_listener(pool: &PgPool, channel: &str) -> Result<PgListener, BusError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Keeps a `LISTEN` connection and hands what arrives to local subscribers.
async fn listen(
    bus: Bus,
    db: DatabaseConnection,
    pool: PgPool,
    channel_tx: watch::Sender<Option<String>>,
    ready: watch::Sender<bool>,
) {
    let channel = loop {
        match channel_name(&pool).await {
            Ok(name) => break name,
            Err(e) => {
                tracing::warn!("cluster bus: cannot name the channel: {e}; retrying");
                tokio::time::sleep(RETRY).await;
            }
        }
    };
    let _ = channel_tx.send(Some(channel.clone()));
    let mut lost_at: Option<DateTime<Utc>> = None;
    loop {
        let mut listener = match connect_listener(&pool, &channel).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!("cluster bus: cannot listen: {e}; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let _ = ready.send(true);
        if let Some(since) = lost_at.take() {
            bus.shared.reconnects.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%since, "cluster bus: listener reconnected; reconciling");
            bus.deliver(ClusterEvent::Resync { since });
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    if let Some(id) = bus.deliver_payload(notification.payload()) {
                        fetch_stored(&bus, &db, id).await;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("cluster bus: listener error: {e}");
                    break;
                }
            }
        }
        // Anything sent from a little before the loss on may be missing here.
        lost_at = Some(Utc::now() - RESYNC_MARGIN);
        let _ = ready.send(false);
        tracing::warn!("cluster bus: listener connection lost; reconnecting");
    }
}

async fn fetch_stored(bus: &Bus, db: &DatabaseConnection, id: i64) {
    match cluster_message::Entity::find_by_id(id).one(db).await {
        Ok(Some(row)) => {
            if bus.deliver_payload(&row.payload).is_some() {
                tracing::warn!(id, "a stored cluster message refers to another");
            }
        }
        Ok(None) => tracing::warn!(id, "stored cluster message is gone"),
        Err(e) => tracing::error!(id, "cannot read a stored cluster message: {e}"),
    }
}

/// Sends queued events by `NOTIFY`, in order, many per round trip.
async fn send(
    bus: Bus,
    db: DatabaseConnection,
    pool: PgPool,
    mut channel_rx: watch::Receiver<Option<String>>,
    mut outbox: mpsc::UnboundedReceiver<String>,
) {
    let channel = match channel_rx.wait_for(Option::is_some).await {
        Ok(name) => name.clone().unwrap_or_default(),
        Err(_) => return,
    };
    // Our own events come back through our listener: send nothing before it listens.
    bus.ready().await;
    let mut last_cleanup = std::time::Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    while outbox.recv_many(&mut batch, BATCH).await > 0 {
        let mut payloads = Vec::with_capacity(batch.len());
        for json in batch.drain(..) {
            payloads.push(if json.len() > INLINE_LIMIT {
                match store(&db, json).await {
                    Ok(id) => format!("{{\"stored\":{id}}}"),
                    Err(e) => {
                        tracing::error!("cannot store a large cluster message: {e}");
                        continue;
                    }
                }
            } else {
                json
            });
        }
        let mut attempt = 0;
        loop {
            let sent = sea_orm::sqlx::query(
                "SELECT pg_notify($1, p.payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY p.n",
            )
            .bind(&channel)
            .bind(&payloads)
            .execute(&pool)
            .await;
            match sent {
                Ok(_) => break,
                Err(e) if attempt < 20 => {
                    attempt += 1;
                    tracing::warn!("cluster bus: NOTIFY failed ({e}); retrying");
                    tokio::time::sleep(RETRY).await;
                }
                Err(e) => {
                    tracing::error!(
                        lost = payloads.len(),
                        "cluster bus: NOTIFY failed for 10 s ({e}); instances reconcile from the tables"
                    );
                    break;
                }
            }
        }
        if last_cleanup.elapsed() > STORED_FOR / 10 {
            last_cleanup = std::time::Instant::now();
            let cutoff = Utc::now() - chrono::Duration::from_std(STORED_FOR).unwrap_or_default();
            if let Err(e) = cluster_message::Entity::delete_many()
                .filter(cluster_message::Column::CreatedAt.lt(cutoff))
                .exec(&db)
                .await
            {
                tracing::warn!("cannot delete old cluster messages: {e}");
            }
        }
    }
}

async fn store(db: &DatabaseConnection, payload: String) -> Result<i64, BusError> {
    let row = cluster_message::ActiveModel {
        payload: Set(payload),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// The default instance id: host name and process id.
pub fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}-{}", std::process::id())
}
