//! Database connection: SQLite (embedded default, WAL mode) or PostgreSQL, migrated on connect.

use std::time::Duration;

use aether365_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://aether365.db?mode=rwc";

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
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Keep the hot pages of findings and scans in memory: 16 MiB of page cache
                // per connection and reads through a memory map instead of read(2).
                .pragma("cache_size", "-16384")
                .pragma("mmap_size", "268435456")
        });
    Database::connect(options).await.map_err(DbError::Connect)
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
