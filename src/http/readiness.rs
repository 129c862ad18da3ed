//! `/readyz`'s verdict of the store, computed by one caller at a time and kept for
//! [`READINESS_TTL`].

use std::time::{Duration, Instant};

use aether365_entities::cluster_message;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

/// Why an instance cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database does not take writes: {0}")]
    Store(#[from] sea_orm::DbErr),
    #[error("the cluster bus is not listening (PostgreSQL LISTEN connection lost)")]
    Bus,
}

/// Writes and deletes a row: a store that cannot write (read-only or full disk, lost
/// database) fails here, not on a caller's request.
async fn check_store(db: &DatabaseConnection) -> Result<(), NotReady> {
    let row = cluster_message::ActiveModel {
        payload: Set("readyz".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    cluster_message::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    Ok(())
}

/// How long a `/readyz` verdict is answered without checking again.
pub const READINESS_TTL: Duration = Duration::from_secs(1);

/// The last `/readyz` verdict of the store (its time and the reason it failed, if it did);
/// the lock is held while one caller checks, so callers never check at once.
#[derive(Debug, Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
    /// Store checks made (each one database write), for tests and operators.
    checks: std::sync::atomic::AtomicU64,
}

impl Readiness {
    /// Store checks made since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store's verdict: the cached one while younger than [`READINESS_TTL`], else a new
    /// check (one caller at a time).
    pub async fn store(&self, db: &DatabaseConnection) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, verdict)) = last.as_ref()
            && at.elapsed() < READINESS_TTL
        {
            return verdict.clone();
        }
        self.checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let verdict = check_store(db).await.map_err(|e| e.to_string());
        *last = Some((Instant::now(), verdict.clone()));
        verdict
    }
}
