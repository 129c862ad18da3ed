//! Fresh, migrated databases for tests: a temp SQLite file always, and a fresh PostgreSQL
//! schema when `AETHER365_TEST_POSTGRES_URL` is set. Never a mock.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use crate::db::{self, DbError};

/// The variable naming the PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_ENV: &str = "AETHER365_TEST_POSTGRES_URL";

/// A fresh database, migrated, removed when dropped (SQLite) or left as a uniquely named schema (PostgreSQL).
pub struct TestDb {
    pub db: DatabaseConnection,
    /// A URL that opens this same database (for a server or CLI started on it).
    pub url: String,
    pub backend: DbBackend,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("url", &self.url).finish()
    }
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite() -> Result<TestDb, DbError> {
    let dir = tempfile::tempdir().map_err(|e| DbError::UnsupportedUrl(e.to_string()))?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = db::open(&url).await?;
    Ok(TestDb {
        db,
        url,
        backend: DbBackend::Sqlite,
        _dir: Some(dir),
    })
}

/// A fresh PostgreSQL schema on the server named by `AETHER365_TEST_POSTGRES_URL`, or `None`
/// (with a one-line notice) when the variable is not set.
pub async fn postgres() -> Result<Option<TestDb>, DbError> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        eprintln!("note: {POSTGRES_ENV} is not set; skipping the PostgreSQL variant");
        return Ok(None);
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = db::connect(&base).await?;
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await?;
    admin.close().await.ok();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let db = db::open(&url).await?;
    Ok(Some(TestDb {
        db,
        url,
        backend: DbBackend::Postgres,
        _dir: None,
    }))
}

/// Every database the tests should run on: SQLite, and PostgreSQL when configured.
///
/// # Panics
/// When a configured PostgreSQL server is unreachable: a test environment error must fail loudly.
#[allow(clippy::expect_used)]
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![sqlite().await.expect("a temporary SQLite database")];
    if let Some(pg) = postgres()
        .await
        .expect("the PostgreSQL server named by AETHER365_TEST_POSTGRES_URL is reachable")
    {
        all.push(pg);
    }
    all
}
