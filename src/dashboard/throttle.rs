//! Failed sign-ins per client address, counted from the audit log itself: every failure is
//! an audit row written before the answer, so the count holds across workers and instances.
//! Within one process, the attempts of one address run one at a time ([`begin`]), so the
//! count each one checks includes every failure before it: the limit is exact even when a
//! hundred attempts arrive at once.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use aether365_entities::audit_log;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::{OwnedMutexGuard, Semaphore, SemaphorePermit};

use super::error::DashboardError;

/// The audit action of a failed sign-in.
pub const LOGIN_FAILED: &str = "dashboard.login_failed";
/// Failed sign-ins allowed per client address within [`FAILURE_WINDOW`].
pub const FAILURE_LIMIT: u64 = 10;
/// The window over which failures count.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Password verifications (argon2, 19 MiB each) running at once, process-wide.
static VERIFICATIONS: Semaphore = Semaphore::const_new(2);

/// A slot to verify one password; hold it while argon2 runs.
pub async fn verification_slot() -> Result<SemaphorePermit<'static>, DashboardError> {
    VERIFICATIONS
        .acquire()
        .await
        .map_err(|e| DashboardError::failed("verification slots", e))
}

/// The lock of each address with an attempt under way or waiting.
type AddressLocks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
static ATTEMPTS: LazyLock<AddressLocks> = LazyLock::new(AddressLocks::default);

/// One sign-in attempt of an address (or one start of a sign-in with Microsoft); the next one
/// starts when it is dropped (after its outcome, if any, was written).
pub struct Attempt {
    addr: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    _turn: OwnedMutexGuard<()>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if let Ok(mut attempts) = ATTEMPTS.lock()
            && let Some(lock) = attempts.get(&self.addr)
            // Only the map and this attempt hold it: nobody else waits.
            && Arc::ptr_eq(lock, &self.lock)
            && Arc::strong_count(lock) == 2
        {
            attempts.remove(&self.addr);
        }
    }
}

/// Waits for the address's turn, then answers 429 if its failures are used up. Hold the
/// attempt until its outcome is written.
pub async fn begin(
    db: &impl ConnectionTrait,
    client_addr: &str,
) -> Result<Attempt, DashboardError> {
    let attempt = turn_of(client_addr.to_string()).await?;
    if let Err(retry_after) =
        recent_within(db, LOGIN_FAILED, client_addr, FAILURE_LIMIT, FAILURE_WINDOW).await?
    {
        return Err(DashboardError::RateLimited { retry_after });
    }
    Ok(attempt)
}

/// The turn of `client_addr` among its sign-ins with Microsoft being started (a queue apart
/// from password attempts); hold it until the start is written.
pub async fn turn(client_addr: &str) -> Result<Attempt, DashboardError> {
    turn_of(format!("microsoft {client_addr}")).await
}

async fn turn_of(key: String) -> Result<Attempt, DashboardError> {
    let lock = ATTEMPTS
        .lock()
        // The map only counts attempts: a panic elsewhere while it was held leaves it usable.
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(key.clone())
        .or_default()
        .clone();
    let turn = Arc::clone(&lock).lock_owned().await;
    Ok(Attempt {
        addr: key,
        lock,
        _turn: turn,
    })
}

/// Whether `client_addr` has fewer than `limit` audit rows of `action` within `window`;
/// `Err(retry_after)` (until the oldest of them leaves the window) when it has not.
pub async fn recent_within(
    db: &impl ConnectionTrait,
    action: &str,
    client_addr: &str,
    limit: u64,
    window: Duration,
) -> Result<Result<(), Duration>, DashboardError> {
    let now = Utc::now();
    let window = chrono::Duration::from_std(window)
        .map_err(|e| DashboardError::failed("sign-in window", e))?;
    let recent: Vec<DateTime<Utc>> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::CreatedAt)
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::ClientAddr.eq(client_addr))
        .filter(audit_log::Column::CreatedAt.gt(now - window))
        .order_by_desc(audit_log::Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(match recent.last() {
        Some(oldest) if recent.len() as u64 >= limit => Err((*oldest + window - now)
            .to_std()
            .unwrap_or(Duration::from_secs(1))),
        _ => Ok(()),
    })
}
