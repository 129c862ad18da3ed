//! Database connection: SQLite (embedded default, WAL mode) or PostgreSQL, migrated on connect.
//!
//! # Storage faults
//! A pooled connection never goes back into the pool inside a transaction: after each use the
//! pool flushes any rollback still queued (a transaction dropped after an error) and closes
//! the connection if it is still in one ([`release_clean`]). Without this, a SQLite `COMMIT`
//! that failed with an I/O error left the driver counting an open transaction: the next
//! "transaction" on that connection was only a savepoint inside a transaction that never
//! ended, so its writes reported success, were never committed, and held the write lock
//! (`database is locked` for every other connection until a restart). A SQLite connection
//! that cannot write (SQLite silently opens a write-protected file read-only, and stays so)
//! is refused when it is opened ([`sqlite_refuse_read_only`]), so writes recover as soon as
//! the storage does. PostgreSQL connections killed under us fail their ping and are dropped.
//!
//! # SQLite and memory maps
//! `mmap_size` stays 0: with memory-mapped reads an I/O error on the database file arrives as
//! SIGBUS and kills the process instead of failing one statement; 16 MiB of page cache per
//! connection serves the hot pages. The WAL index (`-shm`) is mapped by SQLite in WAL mode
//! whatever `mmap_size` says: if that file is made unwritable while the server runs, SQLite
//! cannot turn the fault into an error (we measured SIGBUS with `mmap_size` 0 too). Keep the
//! database's directory writable by the server; a full disk is safe (SQLite allocates the
//! `-shm` pages with `write(2)` before mapping them).
//!
//! # SQLite's write lock
//! One connection writes at a time. SQLite's own busy handler makes a waiting writer sleep 1,
//! 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between tries: an audit row waiting for a
//! scan's 20 ms commit slept until its next try, up to 100 ms later, and every answer waits
//! for its audit row. Each connection gets a handler that tries again every 250 µs for the
//! first 10 ms, then less often ([`busy_pause`]), for as long as the busy timeout.

use std::time::Duration;

use aether365_migration::{Migrator, MigratorTrait};
use futures_util::future::BoxFuture;
use sea_orm::sqlx::pool::PoolConnectionMetadata;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, Connection, Executor};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://aether365.db?mode=rwc";

/// A statement slower than this is logged at warn, with its SQL.
const SLOW_STATEMENT: Duration = Duration::from_millis(500);

/// How long a SQLite connection waits for the write lock before `database is locked`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The pause between the first tries for SQLite's write lock (later ones are longer: [`busy_pause`]).
const BUSY_POLL: Duration = Duration::from_micros(250);

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sea_orm::DbErr),
    #[error("database error: {0}")]
    Query(#[from] sea_orm::DbErr),
}

/// Opens the database at `url` without migrating it.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbError> {
    let is_sqlite = url.starts_with("sqlite:");
    if !is_sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return Err(DbError::UnsupportedUrl(url.to_string()));
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(if is_sqlite { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // Statements are not logged; a slow one is, with its SQL, at warn.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Off)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Warn, SLOW_STATEMENT)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                // Keep the hot pages of findings and scans in memory: 16 MiB of page cache
                // per connection. No memory-mapped reads (module documentation).
                .pragma("cache_size", "-16384")
                .pragma("mmap_size", "0")
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlite_busy_polling(conn).await?;
                    sqlite_refuse_read_only(conn).await
                })
            })
            .after_release(|conn, meta| release_clean(conn, meta))
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        })
        .map_sqlx_postgres_pool_opts(|pool| {
            pool.after_release(|conn, meta| release_clean(conn, meta))
                .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        });
    Database::connect(options).await.map_err(DbError::Connect)
}

/// The pool's check of a connection given back: flushes what is queued on it (the rollback of
/// a transaction dropped after an error) and keeps it only if no transaction is left open.
/// `Ok(false)` closes it (SQLite and PostgreSQL roll back what a closed connection held); an
/// error (the connection is dead) closes it too.
fn release_clean<C: Connection>(
    conn: &mut C,
    _meta: PoolConnectionMetadata,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        conn.ping().await?;
        if conn.is_in_transaction() {
            tracing::warn!("a pooled connection was still in a transaction; closing it");
            return Ok(false);
        }
        Ok(true)
    })
}

/// Replaces SQLite's busy handler on `conn` with [`busy_poll`] (see the module documentation).
async fn sqlite_busy_polling(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: `db` is this connection's open handle, held locked by `handle` for the call (no
    // other thread uses it meanwhile); `busy_poll` is a plain function that keeps no state,
    // ignores its (null) argument and only sleeps.
    #[allow(unsafe_code)]
    let rc = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(db.as_ptr(), Some(busy_poll), std::ptr::null_mut())
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "cannot set the SQLite busy handler (code {rc})"
        )))
    }
}

/// SQLite's busy handler: `tries` is how many times it was called for this wait. Answers 1
/// (try again) after [`busy_pause`], or 0 (give up: `database is locked`) once the pauses add
/// up to [`BUSY_TIMEOUT`].
extern "C" fn busy_poll(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
    match busy_pause(u32::try_from(tries).unwrap_or(0)) {
        Some(pause) => {
            std::thread::sleep(pause);
            1
        }
        None => 0,
    }
}

/// The pause before try `tries + 1` for SQLite's write lock: [`BUSY_POLL`] for the first
/// 10 ms (a write waits for another's commit, a few ms), then 1 ms up to about 110 ms, then
/// 10 ms (a long wait polls slowly, so that many waiting writers do not starve the one holding
/// the lock); `None` once [`BUSY_TIMEOUT`] is spent.
fn busy_pause(tries: u32) -> Option<Duration> {
    const FAST: u32 = 40;
    const MEDIUM: u32 = FAST + 100;
    const SLOW: Duration = Duration::from_millis(10);
    let spent = BUSY_POLL * FAST + Duration::from_millis(1) * (MEDIUM - FAST);
    let slow_tries = (BUSY_TIMEOUT.saturating_sub(spent)).as_millis() / SLOW.as_millis();
    match tries {
        t if t < FAST => Some(BUSY_POLL),
        t if t < MEDIUM => Some(Duration::from_millis(1)),
        t if u128::from(t - MEDIUM) < slow_tries => Some(SLOW),
        _ => None,
    }
}

/// Fails for a new SQLite connection that cannot write: SQLite opens a write-protected
/// database file read-only without an error, and such a connection would fail every write
/// until the process restarts. Checked by setting `user_version` to its own value inside a
/// transaction that is rolled back: a write that a read-only connection refuses.
async fn sqlite_refuse_read_only(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    // IMMEDIATE: the write lock is taken (waiting up to the busy timeout) before the read, so a
    // busy database delays the new connection instead of failing it (a deferred transaction
    // that reads, then writes, fails at once with SQLITE_BUSY_SNAPSHOT).
    let mut txn = conn.begin_with("BEGIN IMMEDIATE").await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *txn)
        .await?;
    txn.execute(sqlx::AssertSqlSafe(format!(
        "PRAGMA user_version = {version}"
    )))
    .await?;
    txn.rollback().await
}

/// Begins a transaction that will write: on SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`, waiting up to the busy timeout), so reading first and writing after
/// cannot fail with SQLITE_BUSY_SNAPSHOT when another connection wrote meanwhile. On
/// PostgreSQL it is a plain `BEGIN`. Every read-then-write transaction starts here.
pub async fn begin_write<C: TransactionTrait + ?Sized>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await.map_err(DbError::Migrate)
}

/// Opens and migrates the database at `url`.
pub async fn open(url: &str) -> Result<DatabaseConnection, DbError> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_pauses_start_short_grow_and_add_up_to_the_busy_timeout() {
        let pauses: Vec<Duration> = (0..).map_while(busy_pause).collect();
        assert_eq!(pauses[0], BUSY_POLL);
        assert!(
            pauses.windows(2).all(|w| w[0] <= w[1]),
            "pauses never shrink"
        );
        let total: Duration = pauses.iter().sum();
        assert!(total <= BUSY_TIMEOUT, "{total:?}");
        assert!(
            BUSY_TIMEOUT - total < Duration::from_millis(10),
            "{total:?}"
        );
        assert_eq!(busy_pause(u32::MAX), None);
    }
}
