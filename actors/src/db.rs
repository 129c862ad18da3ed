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
                .busy_timeout(Duration::from_secs(10))
                // Keep the hot pages of findings and scans in memory: 16 MiB of page cache
                // per connection. No memory-mapped reads (module documentation).
                .pragma("cache_size", "-16384")
                .pragma("mmap_size", "0")
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(sqlite_refuse_read_only(conn)))
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
