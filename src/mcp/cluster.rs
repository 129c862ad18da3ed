//! Sessions that belong to the cluster (PostgreSQL): what an instance needs to answer a
//! session's requests, whichever instance opened it, and to deliver what must be written to its
//! stream on the instance that holds it.
//!
//! Each instance keeps a local copy (a session actor) of every session it served; a request on
//! an instance that already knows its session reads no table. A copy that does not hold the
//! session's stream publishes what it must write on the cluster bus
//! ([`ClusterEvent::SessionMessage`]), and the holder writes it. State changes are written to
//! `mcp_sessions` and announced ([`ClusterEvent::SessionChanged`]); the other copies reload.
//! On SQLite (one process) there is no link: sessions live in the process, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aether365_actors::cluster::sessions::{self, SessionChange, StoredSession};
use aether365_actors::cluster::{Bus, BusError, ClusterEvent};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

/// Interval of the instance heartbeat (and of the batched activity writes).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// An instance whose last heartbeat is older than this is gone (its streams with it).
const GONE_AFTER: Duration = Duration::from_secs(6);
/// Interval of the sweep of idle sessions.
pub const SWEEP: Duration = Duration::from_secs(30);

/// The link of an instance's sessions to the cluster. Cheap to share.
pub struct ClusterLink {
    pub db: DatabaseConnection,
    pub bus: Bus,
    /// Every instance's last heartbeat, as last read.
    instances: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl std::fmt::Debug for ClusterLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterLink")
            .field("instance_id", &self.bus.instance_id())
            .finish()
    }
}

impl ClusterLink {
    /// The link over `db` and `bus`, when the bus crosses processes (PostgreSQL).
    pub fn new(db: DatabaseConnection, bus: Bus) -> Option<Arc<ClusterLink>> {
        bus.is_clustered().then(|| {
            Arc::new(ClusterLink {
                db,
                bus,
                instances: Mutex::new(HashMap::new()),
            })
        })
    }

    /// This instance's id.
    pub fn instance_id(&self) -> &str {
        self.bus.instance_id()
    }

    /// Whether `instance` is alive: this one, one whose heartbeat is recent, or one not seen
    /// yet (it started after the last read). An instance that stopped marks itself gone.
    pub fn is_alive(&self, instance: &str) -> bool {
        if instance == self.instance_id() {
            return true;
        }
        let instances = self.instances.lock().unwrap_or_else(|p| p.into_inner());
        match instances.get(instance) {
            None => true,
            Some(seen) => {
                let limit = chrono::Duration::from_std(GONE_AFTER).unwrap_or_default();
                Utc::now() - *seen < limit
            }
        }
    }

    /// Records this instance's heartbeat and reads the others'.
    pub async fn heartbeat(&self) -> Result<(), BusError> {
        let seen = sessions::heartbeat(&self.db, self.instance_id()).await?;
        let mut instances = self.instances.lock().unwrap_or_else(|p| p.into_inner());
        instances.clear();
        instances.extend(seen);
        Ok(())
    }

    /// Marks this instance gone (it is stopping): the sessions it holds have no stream now.
    pub async fn leave(&self) -> Result<(), BusError> {
        sessions::leave(&self.db, self.instance_id()).await
    }

    /// Applies `change` to the stored session and tells the other instances to reload it;
    /// the session's new state (`None` when it ended meanwhile).
    pub async fn change(
        &self,
        session_id: &str,
        change: &SessionChange,
    ) -> Result<Option<StoredSession>, BusError> {
        let stored = sessions::change(&self.db, session_id, change).await?;
        if stored.is_some() {
            self.changed(session_id);
        }
        Ok(stored)
    }

    /// Tells the other instances that `session_id` changed.
    pub fn changed(&self, session_id: &str) {
        self.bus.publish(ClusterEvent::SessionChanged {
            session_id: session_id.to_string(),
            origin: self.instance_id().to_string(),
        });
    }

    /// Ends a session everywhere: deletes it and tells its holder to close its stream.
    pub async fn end(&self, session_id: &str) -> Result<(), BusError> {
        sessions::delete(&self.db, session_id).await?;
        self.bus.publish(ClusterEvent::SessionClosed {
            session_id: session_id.to_string(),
        });
        Ok(())
    }
}
