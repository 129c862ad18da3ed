//! The audit writer: completeness under concurrency, backpressure, flush, listing, and a
//! benchmark of group commit against one row per insert (`cargo test --release -p
//! aether365-actors --test it -- --ignored audit_trail::bench_ --nocapture`).

use std::time::{Duration, Instant};

use aether365_actors::audit::{
    self, ActorKind, AuditConfig, AuditError, AuditEvent, AuditFilter, AuditLog, Outcome,
};
use aether365_actors::testkit::{self, TestDb};
use aether365_entities::audit_log;
use chrono::Utc;
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

async fn rows_with_action(db: &DatabaseConnection, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(db)
        .await
        .unwrap()
}

fn event(org: Option<i64>, action: &str, i: usize) -> AuditEvent {
    let event = AuditEvent::new(ActorKind::Token, action)
        .actor_id(1)
        .actor_label("load")
        .mcp_method("tools/call")
        .tool("list_findings")
        .targets([i])
        .client_addr(Some("127.0.0.1".into()))
        .user_agent(Some("audit-test".into()));
    match org {
        Some(org) => event.organisation(org),
        None => event,
    }
}

#[actix::test]
async fn ten_thousand_concurrent_records_make_ten_thousand_rows() {
    for TestDb { db, .. } in testkit::databases().await {
        let writer = AuditLog::start(db.clone(), AuditConfig::default());
        let answers =
            join_all((0..10_000).map(|i| writer.record(event(None, "load.test", i)))).await;
        let ok = answers.iter().filter(|a| a.is_ok()).count();
        assert_eq!(ok, 10_000, "every record acknowledged");
        // Acknowledged means committed: no flush needed.
        assert_eq!(rows_with_action(&db, "load.test").await, 10_000);
        let targets: std::collections::BTreeSet<String> = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("load.test"))
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.target_ids[0].as_str().unwrap().to_string())
            .collect();
        assert_eq!(targets.len(), 10_000, "each row once");
    }
}

#[actix::test]
async fn an_overloaded_writer_refuses_and_never_drops_silently() {
    for TestDb { db, .. } in testkit::databases().await {
        let config = AuditConfig {
            max_batch: 16,
            max_delay: Duration::from_millis(20),
            max_pending: 40,
            ..AuditConfig::default()
        };
        let writer = AuditLog::start(db.clone(), config);
        let answers = join_all((0..1_000).map(|i| writer.record(event(None, "burst", i)))).await;
        let ok = answers.iter().filter(|a| a.is_ok()).count();
        let refused = answers
            .iter()
            .filter(|a| matches!(a, Err(AuditError::Overloaded(_))))
            .count();
        assert_eq!(ok + refused, 1_000, "every caller got an answer");
        assert!(refused > 0, "the bound was reached");
        assert!(ok >= 40, "the bound was used");
        assert_eq!(rows_with_action(&db, "burst").await, ok as u64);
    }
}

#[actix::test]
async fn flush_drains_and_single_records_are_prompt() {
    for TestDb { db, .. } in testkit::databases().await {
        let config = AuditConfig {
            max_delay: Duration::from_secs(3600),
            ..AuditConfig::default()
        };
        let writer = AuditLog::start(db.clone(), config);
        // Nothing pending: answers at once.
        writer.flush().await.unwrap();
        // The rows join the inbox when recorded; their answers are not awaited here.
        let answers: Vec<_> = (0..5)
            .map(|i| writer.record(event(None, "flushed", i)))
            .collect();
        // No sleep: the writer holds the rows for companions (an hour), so none is there yet.
        assert_eq!(
            rows_with_action(&db, "flushed").await,
            0,
            "waiting for companions"
        );
        writer.flush().await.unwrap();
        assert_eq!(rows_with_action(&db, "flushed").await, 5);
        for answer in join_all(answers).await {
            answer.unwrap();
        }

        let prompt = AuditLog::start(db.clone(), AuditConfig::default());
        // An idle writer commits a lone row without waiting for companions: the answer comes
        // (this would wait forever with the first writer's hour) and the row is there.
        prompt.record(event(None, "prompt", 0)).await.unwrap();
        assert_eq!(rows_with_action(&db, "prompt").await, 1);
    }
}

#[actix::test]
async fn list_filters_by_organisation_token_time_and_limit() {
    for TestDb { db, .. } in testkit::databases().await {
        let org = aether365_actors::directory::create_organisation(&db, "Contoso")
            .await
            .unwrap()
            .id;
        let other = aether365_actors::directory::create_organisation(&db, "Fabrikam")
            .await
            .unwrap()
            .id;
        let old = Utc::now() - chrono::Duration::days(2);
        let rows = vec![
            event(Some(org), "mcp.tools/call", 1).at(old),
            event(Some(org), "mcp.tools/call", 2).actor_id(2),
            event(Some(org), "mcp.resources/read", 3).outcome(Outcome::Denied),
            AuditEvent::new(ActorKind::User, "token.create")
                .organisation(org)
                .actor_id(1),
            event(Some(other), "mcp.tools/call", 4),
            event(None, "auth.failed", 5),
        ];
        audit::insert_batch(&db, rows).await.unwrap();
        let all = audit::list(
            &db,
            &AuditFilter {
                organisation_id: org,
                token_id: None,
                since: None,
                limit: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(all.len(), 4);
        assert!(
            all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
            "newest first"
        );
        assert_eq!(all.last().unwrap().target_ids, serde_json::json!(["1"]));
        let token1 = audit::list(
            &db,
            &AuditFilter {
                organisation_id: org,
                token_id: Some(1),
                since: None,
                limit: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(token1.len(), 2, "the user with id 1 is not token 1");
        let recent = audit::list(
            &db,
            &AuditFilter {
                organisation_id: org,
                token_id: None,
                since: Some(Utc::now() - chrono::Duration::days(1)),
                limit: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(recent.len(), 3);
        let limited = audit::list(
            &db,
            &AuditFilter {
                organisation_id: org,
                token_id: None,
                since: None,
                limit: 2,
            },
        )
        .await
        .unwrap();
        assert_eq!(limited.len(), 2);
        let row = audit::AuditRow::of(&all[0]);
        assert!(row.at.contains('T'));
        assert_eq!(row.organisation_id, Some(org));

        audit::write_one(
            &db,
            AuditEvent::new(ActorKind::Cli, "cli.direct").organisation(org),
        )
        .await
        .unwrap();
        assert_eq!(rows_with_action(&db, "cli.direct").await, 1);
    }
}

/// Rows per second of `rows` records sent by `callers` concurrent callers.
#[ignore = "benchmark: run with --release -- --ignored bench_ --nocapture"]
#[actix::test]
async fn bench_group_commit_against_row_per_insert() {
    const ROWS: usize = 5_000;
    const CALLERS: usize = 64;
    for TestDb { db, backend, .. } in testkit::databases().await {
        let writer = AuditLog::start(db.clone(), AuditConfig::default());
        let started = Instant::now();
        let mut pending = Vec::new();
        for chunk in (0..ROWS).collect::<Vec<_>>().chunks(ROWS / CALLERS + 1) {
            let (writer, chunk) = (writer.clone(), chunk.to_vec());
            pending.push(async move {
                for i in chunk {
                    writer
                        .record(event(None, "bench.batched", i))
                        .await
                        .unwrap();
                }
            });
        }
        join_all(pending).await;
        let batched = ROWS as f64 / started.elapsed().as_secs_f64();

        let started = Instant::now();
        let mut pending = Vec::new();
        for chunk in (0..ROWS).collect::<Vec<_>>().chunks(ROWS / CALLERS + 1) {
            let (db, chunk) = (db.clone(), chunk.to_vec());
            pending.push(async move {
                for i in chunk {
                    audit::write_one(&db, event(None, "bench.single", i))
                        .await
                        .unwrap();
                }
            });
        }
        join_all(pending).await;
        let single = ROWS as f64 / started.elapsed().as_secs_f64();
        assert_eq!(rows_with_action(&db, "bench.batched").await, ROWS as u64);
        assert_eq!(rows_with_action(&db, "bench.single").await, ROWS as u64);
        println!(
            "{backend:?}: {CALLERS} concurrent callers, {ROWS} rows: group commit {batched:.0} rows/s, one row per insert {single:.0} rows/s ({:.1}x)",
            batched / single
        );
    }
}
