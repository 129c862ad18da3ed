//! Storage faults injected for real, and the audit promise: a call is never acknowledged
//! without its committed row, and writes recover on their own once the storage does.
//!
//! - SQLite: the database file and its WAL made immutable (`chattr +i`, needs root; the test
//!   fails loudly when it cannot), then writable again.
//! - PostgreSQL (when `AETHER365_TEST_POSTGRES_URL` is set): the pool's connections killed with
//!   `pg_terminate_backend`, and the test role's `INSERT` privilege on `audit_log` revoked, then
//!   granted again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use aether365_actors::audit::{self, ActorKind, AuditConfig, AuditError, AuditEvent, AuditLog};
use aether365_actors::db;
use aether365_actors::testkit::{self, POSTGRES_ENV};
use aether365_entities::audit_log;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// One event whose only target is `label` (to find its row afterwards).
fn event(label: &str) -> AuditEvent {
    AuditEvent::new(ActorKind::Token, "fault.test")
        .actor_id(1)
        .mcp_method("tools/call")
        .tool("get_posture")
        .target(label)
}

/// Every committed row's label.
async fn committed(db: &DatabaseConnection) -> BTreeSet<String> {
    audit_log::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "fault.test")
        .filter_map(|r| r.target_ids[0].as_str().map(str::to_string))
        .collect()
}

/// What one phase's calls were answered.
#[derive(Debug, Default)]
struct Answers {
    ok: Vec<String>,
    failed: Vec<String>,
}

/// `n` concurrent records through the writer plus `n` direct inserts (as the CLI, token
/// changes and the dashboard make), so that several pooled connections meet the fault.
async fn phase(writer: &AuditLog, db: &DatabaseConnection, name: &str, n: usize) -> Answers {
    let through_writer = join_all((0..n).map(|i| {
        let label = format!("{name}-w{i}");
        let send = writer.record(event(&label));
        async move { (label, send.await) }
    }));
    let direct = join_all((0..n).map(|i| {
        let label = format!("{name}-d{i}");
        async move {
            let answer = audit::write_one(db, event(&label)).await;
            (label, answer)
        }
    }));
    let (a, b) = futures_util::future::join(through_writer, direct).await;
    let mut answers = Answers::default();
    for (label, answer) in a.into_iter().chain(b) {
        match answer {
            Ok(()) => answers.ok.push(label),
            Err(AuditError::Database(_) | AuditError::Stopped) => answers.failed.push(label),
            other => panic!("{label}: unexpected answer {other:?}"),
        }
    }
    answers
}

/// The promise: every call answered as a success has its committed row.
async fn assert_no_success_without_row(db: &DatabaseConnection, phases: &[&Answers]) {
    let rows = committed(db).await;
    for answers in phases {
        let missing: Vec<_> = answers.ok.iter().filter(|l| !rows.contains(*l)).collect();
        assert!(
            missing.is_empty(),
            "acknowledged without a row: {missing:?}"
        );
    }
}

/// Sets or clears the immutable attribute of `paths`; clears it again when dropped.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: Vec<PathBuf>) -> Immutable {
        chattr("+i", &paths);
        Immutable(paths)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        chattr("-i", &self.0);
    }
}

fn chattr(flag: &str, paths: &[PathBuf]) {
    let status = Command::new("chattr")
        .arg(flag)
        .args(paths)
        .status()
        .expect("chattr runs (e2fsprogs)");
    assert!(
        status.success(),
        "chattr {flag} failed: this test injects a real storage fault and needs root"
    );
}

fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite://");
    PathBuf::from(path.split('?').next().unwrap())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[actix::test]
async fn sqlite_unwritable_database_then_writable_again() {
    let test = testkit::sqlite().await.unwrap();
    let db = &test.db;
    let writer = AuditLog::start(db.clone(), AuditConfig::default());
    // One call at a time: the pool holds a single connection when the fault begins, so the
    // calls during the fault open new ones on a write-protected file.
    let before = phase(&writer, db, "before", 1).await;
    assert!(before.failed.is_empty(), "healthy storage: {before:?}");

    let file = sqlite_path(&test.url);
    let wal = with_suffix(&file, "-wal");
    assert!(wal.exists(), "the database runs in WAL mode");
    let during = {
        let _fault = Immutable::set(vec![file.clone(), wal.clone()]);
        let mut during = Answers::default();
        // Each round waits for the pool's acquire timeout: no connection can be opened.
        for round in 0..2 {
            let answers = phase(&writer, db, &format!("during{round}"), 40).await;
            during.ok.extend(answers.ok);
            during.failed.extend(answers.failed);
        }
        during
    };
    assert!(
        !during.failed.is_empty(),
        "the fault was felt: {} calls acknowledged",
        during.ok.len()
    );

    // Storage is back: every write succeeds at once, without a restart.
    let mut after = Vec::new();
    for round in 0..5 {
        let answers = phase(&writer, db, &format!("after{round}"), 40).await;
        assert!(
            answers.failed.is_empty(),
            "round {round} after the fault: {} of {} failed",
            answers.failed.len(),
            answers.failed.len() + answers.ok.len()
        );
        after.push(answers);
    }
    let mut all = vec![&before, &during];
    all.extend(after.iter());
    assert_no_success_without_row(db, &all).await;
    // Nothing committed later behind our back: the rows of failed calls stay absent, and no
    // connection holds a transaction open (a plain read sees every acknowledged row).
    let rows = committed(db).await;
    assert!(during.failed.iter().all(|l| !rows.contains(l)));
}

/// A role of its own (so its privileges can be revoked and its connections found), owning a
/// fresh schema; the database opened as that role.
struct PgRole {
    admin: DatabaseConnection,
    role: String,
    db: DatabaseConnection,
}

async fn pg_role() -> Option<PgRole> {
    let base = std::env::var(POSTGRES_ENV).ok()?;
    let admin = db::connect(&base).await.unwrap();
    let role = format!(
        "fault_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    for sql in [
        format!("CREATE ROLE \"{role}\" LOGIN"),
        format!("CREATE SCHEMA \"{role}\" AUTHORIZATION \"{role}\""),
    ] {
        admin.execute_unprepared(&sql).await.unwrap();
    }
    // The same server and database, as the new role (trust authentication on loopback).
    let rest = base.split_once('@').map_or(base.as_str(), |(_, r)| r);
    let separator = if rest.contains('?') { '&' } else { '?' };
    let url = format!(
        "postgres://{role}@{rest}{separator}options=-c%20search_path%3D{role}&application_name={role}"
    );
    let db = db::open(&url).await.unwrap();
    Some(PgRole { admin, role, db })
}

impl PgRole {
    async fn admin(&self, sql: &str) {
        self.admin.execute_unprepared(sql).await.unwrap();
    }

    /// Kills every connection of the role's pool.
    async fn terminate_connections(&self) {
        self.admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{}'",
            self.role
        ))
        .await;
    }
}

#[actix::test]
async fn postgres_killed_connections_and_revoked_writes() {
    let Some(pg) = pg_role().await else {
        eprintln!("note: {POSTGRES_ENV} is not set; the PostgreSQL fault test did not run");
        return;
    };
    let db = &pg.db;
    let writer = AuditLog::start(db.clone(), AuditConfig::default());
    let before = phase(&writer, db, "before", 40).await;
    assert!(before.failed.is_empty(), "healthy database: {before:?}");

    // Every connection of the pool killed, between and during calls.
    pg.terminate_connections().await;
    let killed_calls = phase(&writer, db, "killed", 40);
    let (killed, ()) = futures_util::future::join(killed_calls, pg.terminate_connections()).await;

    // Writes refused by the database for a while.
    pg.admin(&format!(
        "REVOKE INSERT ON \"{0}\".audit_log FROM \"{0}\"",
        pg.role
    ))
    .await;
    let revoked = phase(&writer, db, "revoked", 40).await;
    assert!(
        revoked.ok.is_empty(),
        "no call is acknowledged while its row cannot be written: {revoked:?}"
    );
    pg.admin(&format!(
        "GRANT INSERT ON \"{0}\".audit_log TO \"{0}\"",
        pg.role
    ))
    .await;

    let mut after = Vec::new();
    for round in 0..3 {
        let answers = phase(&writer, db, &format!("after{round}"), 40).await;
        assert!(
            answers.failed.is_empty(),
            "round {round} after the fault: {answers:?}"
        );
        after.push(answers);
    }
    let mut all = vec![&before, &killed, &revoked];
    all.extend(after.iter());
    assert_no_success_without_row(db, &all).await;

    db.clone().close().await.ok();
    pg.admin(&format!("DROP SCHEMA \"{}\" CASCADE", pg.role))
        .await;
    pg.admin(&format!("DROP ROLE \"{}\"", pg.role)).await;
}
