//! The audit writer: completeness under concurrency, backpressure, flush, listing, and a
//! benchmark of group commit against one row per insert (`cargo test --release -p
//! aether365-actors --test it -- --ignored audit_trail::bench_ --nocapture`).

use std::time::{Duration, Instant};

use aether365_actors::audit::{
    self, ActorKind, AuditConfig, AuditError, AuditEvent, AuditFilter, AuditLog, Outcome,
};
use aether365_actors::testkit::{self, TestDb};
use aether365_entities::audit_log;
use chrono::{Timelike, Utc};
use futures_util::future::join_all;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

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

/// Every column of a batch reads back as written, ids in the batch's order. A NUL, which a
/// client can put in a tool name, is stored as U+FFFD: PostgreSQL would refuse the row and
/// fail the whole batch with it.
#[actix::test]
async fn batch_rows_read_back_as_written() {
    for TestDb { db, backend, .. } in testkit::databases().await {
        let org = aether365_actors::directory::create_organisation(&db, "Contoso")
            .await
            .unwrap()
            .id;
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:01:02.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let full = AuditEvent::new(ActorKind::Token, "mcp.tools/call")
            .organisation(org)
            .actor_id(9)
            .actor_label("Zoë's \"key\" \\ 🔑")
            .mcp_method("tools/call")
            .tool("get\0posture")
            .targets(["tenant:3", "scan:12"])
            .outcome(Outcome::Error)
            .detail("line one\nline two\t<script>")
            .client_addr(Some("::1".into()))
            .user_agent(Some("mcp-remote/0.1".into()))
            .at(at);
        let bare = AuditEvent::new(ActorKind::Anonymous, "auth.failed").at(at);
        let ordered: Vec<_> = (0..50)
            .map(|i| event(Some(org), "ordered", i).at(at))
            .collect();
        audit::insert_batch(&db, vec![full, bare]).await.unwrap();
        audit::insert_batch(&db, ordered).await.unwrap();

        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Action.is_in(["mcp.tools/call", "auth.failed"]))
            .order_by_asc(audit_log::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "{backend:?}");
        let (full, bare) = (&rows[0], &rows[1]);
        assert_eq!(
            (full.action.as_str(), bare.action.as_str()),
            ("mcp.tools/call", "auth.failed"),
            "{backend:?}: ids follow the array's order"
        );
        assert_eq!(full.organisation_id, Some(org));
        assert_eq!(full.actor_kind, "token");
        assert_eq!(full.actor_id, Some(9));
        assert_eq!(full.actor_label.as_deref(), Some("Zoë's \"key\" \\ 🔑"));
        assert_eq!(full.mcp_method.as_deref(), Some("tools/call"));
        assert_eq!(full.tool.as_deref(), Some("get\u{FFFD}posture"));
        assert_eq!(full.target_ids, serde_json::json!(["tenant:3", "scan:12"]));
        assert_eq!(full.outcome, "error");
        assert_eq!(full.detail.as_deref(), Some("line one\nline two\t<script>"));
        assert_eq!(full.client_addr.as_deref(), Some("::1"));
        assert_eq!(full.user_agent.as_deref(), Some("mcp-remote/0.1"));
        // PostgreSQL keeps microseconds, as it does for a time sea-orm binds.
        let kept = match backend {
            sea_orm::DbBackend::Postgres => at.with_nanosecond(123_456_000).unwrap(),
            _ => at,
        };
        assert_eq!(full.created_at, kept, "{backend:?}");
        assert_eq!(
            (bare.organisation_id, bare.actor_id, bare.tool.as_deref()),
            (None, None, None)
        );
        assert_eq!(bare.target_ids, serde_json::json!([]));

        let ordered = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("ordered"))
            .order_by_asc(audit_log::Column::Id)
            .all(&db)
            .await
            .unwrap();
        let targets: Vec<_> = ordered.iter().map(|row| row.target_ids.clone()).collect();
        let expected: Vec<_> = (0..50)
            .map(|i| serde_json::json!([i.to_string()]))
            .collect();
        assert_eq!(
            targets, expected,
            "{backend:?}: ids follow the batch's order"
        );
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
