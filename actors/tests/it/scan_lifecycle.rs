//! Scan lifecycle on real databases: starts (concurrent, scoped, AI Pilot), runs, progress,
//! cancellation, crash recovery and the fan-out of events to many subscribers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use aether365_actors::TenantScope;
use aether365_actors::cluster::Bus;
use aether365_actors::exposure::DnsConfig;
use aether365_actors::scans::{
    AI_PILOT_REFUSAL, CancelScan, CompletedScan, GetStats, QuotaScope, ReleaseLeases, ScanConfig,
    ScanError, ScanEvent, ScanKind, ScanManager, ScanOrigin, ScanQuota, ScanRequest, ScanStatus,
    StartScan, Subscribe, Topic, persist_completed_scan,
};
use aether365_actors::testkit;
use aether365_engine::{Status, evaluate_all};
use aether365_entities::{finding, scan, tenant};
use chrono::{DateTime, Utc};
use m365_standin::dns::{DnsServer, MailZone};
use m365_standin::{Fault, FaultKind, StandIn, StandInConfig};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use tokio::sync::mpsc;

use crate::support::{fixture_snapshot, org_with_tenant, request, wait_final};

/// How long a scan of these tests may take to finish.
const FINAL_WITHIN: Duration = Duration::from_secs(60);

/// What a slow manager collects from: a Microsoft 365 stand-in answering every request after
/// a delay, and a DNS server with the export's mail records. Dropped with the test.
struct Microsoft {
    _standin: StandIn,
    _dns: DnsServer,
}

/// A scan manager. With `latency_ms`, every tenant in `db` is connected to a stand-in whose
/// answers take that long, so its compliance scans collect for a while; without, scans
/// evaluate the imported export at once.
async fn manager(
    db: &DatabaseConnection,
    max_concurrent: usize,
    latency_ms: u64,
) -> (Addr<ScanManager>, Option<Microsoft>) {
    let mut config = ScanConfig {
        max_concurrent,
        ..Default::default()
    };
    let mut microsoft = None;
    if latency_ms > 0 {
        let standin = StandIn::start(StandInConfig::bundled().unwrap()).unwrap();
        standin.set_fault(Fault::on(
            "/",
            FaultKind::Slow {
                delay_ms: latency_ms,
            },
        ));
        let dns = DnsServer::start(MailZone::from_export(
            &StandInConfig::bundled().unwrap().export,
        ))
        .unwrap();
        let collector = aether365_collector::Collector::new(
            standin.collector_config(m365_standin::DEFAULT_CLIENT_SECRET),
        )
        .unwrap();
        config.collector = Some(Arc::new(collector));
        config.dns = DnsConfig {
            nameserver: Some(dns.addr()),
            timeout: Duration::from_secs(2),
            mta_sts_url: dns.mta_sts_url(),
            ..DnsConfig::default()
        };
        for t in tenant::Entity::find().all(db).await.unwrap() {
            let mut active: tenant::ActiveModel = t.into();
            active.microsoft_tenant_id = Set(standin.tenant_id().to_string());
            active.initial_domain = Set(Some(standin.initial_domain().to_string()));
            active.consented_at = Set(Some(Utc::now()));
            active.update(db).await.unwrap();
        }
        microsoft = Some(Microsoft {
            _standin: standin,
            _dns: dns,
        });
    }
    let db = db.clone();
    let bus = Bus::start(&db, "scan-lifecycle-test");
    (
        Supervisor::start(move |_| ScanManager::new(db, config, bus.clone())),
        microsoft,
    )
}

/// A subscriber that forwards every event, with the time it arrived, to the test.
struct Collector {
    tx: mpsc::UnboundedSender<(ScanEvent, DateTime<Utc>)>,
}

impl Actor for Collector {
    type Context = Context<Self>;
}

impl Handler<ScanEvent> for Collector {
    type Result = ();
    fn handle(&mut self, event: ScanEvent, _ctx: &mut Self::Context) {
        let _ = self.tx.send((event, Utc::now()));
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct StopNow;

impl Handler<StopNow> for Collector {
    type Result = ();
    fn handle(&mut self, _msg: StopNow, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

fn collector() -> (
    Recipient<ScanEvent>,
    mpsc::UnboundedReceiver<(ScanEvent, DateTime<Utc>)>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Collector { tx }.start().recipient(), rx)
}

/// Receives events until one with `status`.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<(ScanEvent, DateTime<Utc>)>,
    status: ScanStatus,
) -> (Vec<ScanEvent>, ScanEvent, DateTime<Utc>) {
    let mut seen = Vec::new();
    loop {
        let (event, at) = rx
            .recv()
            .await
            .unwrap_or_else(|| panic!("collector gone before {status:?}; saw {seen:#?}"));
        if event.status == status {
            return (seen, event, at);
        }
        seen.push(event);
    }
}

#[actix::test]
async fn compliance_scan_runs_publishes_and_stores_results() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (scans, _microsoft) = manager(db, 4, 5).await;
        let (subscriber, mut rx) = collector();
        scans
            .send(Subscribe {
                topic: Topic::Tenant(t.id),
                subscriber_id: 1,
                subscriber,
            })
            .await
            .unwrap();

        let ticket = scans
            .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ticket.status, ScanStatus::Queued);
        assert!(!ticket.existing);

        let (before, done, _) = until(&mut rx, ScanStatus::Completed).await;
        assert_eq!(before.first().map(|e| e.status), Some(ScanStatus::Queued));
        assert!(
            before
                .iter()
                .any(|e| e.status == ScanStatus::Running && e.progress_done == 0)
        );
        let progress: Vec<i32> = before
            .iter()
            .filter(|e| e.status == ScanStatus::Running)
            .map(|e| e.progress_done)
            .collect();
        assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
        assert!(
            progress.len() > 2,
            "progress is published per service group: {progress:?}"
        );
        assert_eq!(done.scan_id, ticket.scan_id);
        assert!(done.score.is_some());

        let row = scan::Entity::find_by_id(ticket.scan_id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let findings = finding::Entity::find()
            .filter(finding::Column::ScanId.eq(row.id))
            .all(db)
            .await
            .unwrap();
        assert_eq!(row.status, "completed");
        assert_eq!(row.origin, "mcp");
        assert!(row.snapshot_id.is_some());
        assert!(row.started_at.is_some() && row.finished_at.is_some());
        assert_eq!(row.progress_done as usize, findings.len());
        assert_eq!(row.progress_total as usize, findings.len());
        assert_eq!(row.score, done.score);
        let count = |status: &str| findings.iter().filter(|f| f.status == status).count() as i32;
        assert_eq!(row.pass_count, count("pass"));
        assert_eq!(row.fail_count, count("fail"));
        assert_eq!(row.manual_count, count("manual"));
        assert_eq!(row.error_count, count("error"));
        assert_eq!(row.not_applicable_count, count("not_applicable"));
        let failed = |severity: &str| {
            findings
                .iter()
                .filter(|f| f.status == "fail" && f.severity == severity)
                .count() as i32
        };
        assert_eq!(row.critical_count, failed("critical"));
        assert_eq!(row.high_count, failed("high"));
        assert_eq!(row.medium_count, failed("medium"));
        assert_eq!(row.low_count, failed("low"));
        assert_eq!(row.info_count, failed("info"));
        assert!(row.fail_count > 0 && row.pass_count > 0);
        let summary = row.summary.as_ref().unwrap();
        assert!(summary.get("by_service").is_some(), "{summary}");
        for f in &findings {
            assert_eq!(f.organisation_id, org);
            assert_eq!(f.tenant_id, t.id);
            let refs = f.frameworks.as_array().unwrap();
            let has_cis = refs.iter().any(|r| r["framework"] == "CIS");
            assert_eq!(f.cis_section.is_some(), has_cis, "{}", f.check_id);
            assert_eq!(f.cis_version.is_some(), has_cis);
            let rank = ["critical", "high", "medium", "low", "info"]
                .iter()
                .position(|s| *s == f.severity)
                .unwrap();
            assert_eq!(f.severity_rank as usize, rank);
        }
        assert!(
            findings
                .iter()
                .any(|f| f.scuba_ids.as_deref().is_some_and(|s| s.starts_with("MS.")))
        );
    }
}

#[actix::test]
async fn ten_concurrent_starts_yield_one_scan() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (scans, _microsoft) = manager(db, 4, 100).await;
        let starts = (0..10).map(|_| scans.send(StartScan(request(org, t.id, ScanOrigin::Mcp))));
        let tickets: Vec<_> = futures_util::future::join_all(starts)
            .await
            .into_iter()
            .map(|r| r.unwrap().unwrap())
            .collect();
        let ids: HashSet<i64> = tickets.iter().map(|t| t.scan_id).collect();
        assert_eq!(ids.len(), 1, "{tickets:?}");
        assert_eq!(
            tickets.iter().filter(|t| !t.existing).count(),
            1,
            "{tickets:?}"
        );
        let rows = scan::Entity::find()
            .filter(scan::Column::TenantId.eq(t.id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(rows, 1);

        // While it runs, a start (from any origin) returns it.
        let again = scans
            .send(StartScan(request(org, t.id, ScanOrigin::Dashboard)))
            .await
            .unwrap()
            .unwrap();
        assert!(again.existing);
        assert_eq!(again.scan_id, tickets[0].scan_id);

        let first = wait_final(db, tickets[0].scan_id, FINAL_WITHIN).await;
        assert_eq!(first.status, "completed");
        // Once it has finished, a start makes a new scan.
        let next = scans
            .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        assert!(!next.existing);
        assert_ne!(next.scan_id, first.id);
        wait_final(db, next.scan_id, FINAL_WITHIN).await;
    }
}

#[actix::test]
async fn starts_outside_the_organisation_or_scope_answer_tenant_not_found() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (other_org, other) = org_with_tenant(db, "Fabrikam", "Other", true).await;
        let (scans, _microsoft) = manager(db, 4, 0).await;
        let cases = [
            request(org, other.id, ScanOrigin::Mcp),
            request(other_org, t.id, ScanOrigin::Mcp),
            request(org, 999_999, ScanOrigin::Mcp),
            ScanRequest {
                tenant_scope: TenantScope::Only(vec![other.id]),
                ..request(org, t.id, ScanOrigin::Mcp)
            },
        ];
        for case in cases {
            let answer = scans.send(StartScan(case)).await.unwrap();
            assert!(
                matches!(answer, Err(ScanError::TenantNotFound)),
                "{answer:?}"
            );
        }
        assert_eq!(scan::Entity::find().count(db).await.unwrap(), 0);
        let allowed = ScanRequest {
            tenant_scope: TenantScope::Only(vec![t.id]),
            ..request(org, t.id, ScanOrigin::Mcp)
        };
        let ticket = scans.send(StartScan(allowed)).await.unwrap().unwrap();
        wait_final(db, ticket.scan_id, FINAL_WITHIN).await;
    }
}

#[actix::test]
async fn ai_pilot_is_refused_outside_the_dashboard() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (scans, _microsoft) = manager(db, 4, 0).await;
        for origin in [ScanOrigin::Mcp, ScanOrigin::Cli, ScanOrigin::Schedule] {
            let req = ScanRequest {
                ai_pilot: true,
                ..request(org, t.id, origin)
            };
            let answer = scans.send(StartScan(req)).await.unwrap();
            let Err(error) = answer else {
                panic!("{origin:?}: {answer:?}")
            };
            assert!(matches!(error, ScanError::AiPilotRefused));
            assert_eq!(error.to_string(), AI_PILOT_REFUSAL);
            assert!(error.to_string().contains("dashboard"));
        }
        assert_eq!(
            scan::Entity::find().count(db).await.unwrap(),
            0,
            "nothing was queued"
        );

        let req = ScanRequest {
            ai_pilot: true,
            requested_by_user_id: None,
            ..request(org, t.id, ScanOrigin::Dashboard)
        };
        let ticket = scans.send(StartScan(req)).await.unwrap().unwrap();
        let row = wait_final(db, ticket.scan_id, FINAL_WITHIN).await;
        assert!(row.ai_pilot);
        assert_eq!(row.origin, "dashboard");
    }
}

#[actix::test]
async fn a_compliance_scan_without_a_snapshot_fails_clearly() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Empty", false).await;
        let (scans, _microsoft) = manager(db, 4, 0).await;
        let (subscriber, mut rx) = collector();
        scans
            .send(Subscribe {
                topic: Topic::Tenant(t.id),
                subscriber_id: 9,
                subscriber,
            })
            .await
            .unwrap();
        let ticket = scans
            .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        let (_, failed, _) = until(&mut rx, ScanStatus::Failed).await;
        assert_eq!(failed.scan_id, ticket.scan_id);
        assert!(
            failed
                .error
                .as_deref()
                .unwrap()
                .contains("not connected, and the tenant has no imported configuration"),
            "{failed:?}"
        );
        let row = scan::Entity::find_by_id(ticket.scan_id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "failed");
        assert_eq!(row.error, failed.error);
        assert!(row.finished_at.is_some());
    }
}

#[actix::test]
async fn cancelling_queued_running_and_finished_scans() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, a) = org_with_tenant(db, "Contoso", "Alpha", true).await;
        let (_, b) = org_with_tenant(db, "Contoso", "Beta", true).await;
        let (other_org, _) = org_with_tenant(db, "Fabrikam", "Other", true).await;
        // One at a time, slow: Alpha runs, Beta waits queued.
        let (scans, _microsoft) = manager(db, 1, 300).await;
        let (subscriber, mut rx) = collector();
        scans
            .send(Subscribe {
                topic: Topic::Tenant(a.id),
                subscriber_id: 1,
                subscriber: subscriber.clone(),
            })
            .await
            .unwrap();
        scans
            .send(Subscribe {
                topic: Topic::Tenant(b.id),
                subscriber_id: 1,
                subscriber,
            })
            .await
            .unwrap();
        let running = scans
            .send(StartScan(request(org, a.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        let queued = scans
            .send(StartScan(request(org, b.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        until(&mut rx, ScanStatus::Running).await;

        let cancel = |scan_id, organisation_id, tenant_scope| CancelScan {
            organisation_id,
            tenant_scope,
            scan_id,
        };
        // Not ours, out of scope, nonexistent: not found.
        for msg in [
            cancel(running.scan_id, other_org, TenantScope::All),
            cancel(running.scan_id, org, TenantScope::Only(vec![b.id])),
            cancel(424_242, org, TenantScope::All),
        ] {
            assert!(matches!(
                scans.send(msg).await.unwrap(),
                Err(ScanError::ScanNotFound)
            ));
        }

        let status = scans
            .send(cancel(queued.scan_id, org, TenantScope::All))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, ScanStatus::Cancelled);
        let (_, event, _) = until(&mut rx, ScanStatus::Cancelled).await;
        assert_eq!(event.scan_id, queued.scan_id);

        let status = scans
            .send(cancel(running.scan_id, org, TenantScope::All))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, ScanStatus::Cancelled);
        let (_, event, received) = until(&mut rx, ScanStatus::Cancelled).await;
        assert_eq!(event.scan_id, running.scan_id);
        eprintln!("cancellation delivered after {}", received - event.at);

        // The run stops: it never completes, and writes no findings. Wait for the manager to
        // have let go of it (its run is over), then look.
        while scans.send(GetStats).await.unwrap().unwrap().running > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for id in [running.scan_id, queued.scan_id] {
            let row = scan::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
            assert_eq!(row.status, "cancelled");
            assert!(row.finished_at.is_some());
            assert_eq!(
                finding::Entity::find()
                    .filter(finding::Column::ScanId.eq(id))
                    .count(db)
                    .await
                    .unwrap(),
                0
            );
        }
        assert_eq!(scans.send(GetStats).await.unwrap().unwrap().running, 0);
        // Cancelling a finished scan answers its final status.
        let again = scans
            .send(cancel(running.scan_id, org, TenantScope::All))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, ScanStatus::Cancelled);
        let fresh = scans
            .send(StartScan(request(org, a.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        assert!(!fresh.existing);
        wait_final(db, fresh.scan_id, FINAL_WITHIN).await;
        let done = scans
            .send(cancel(fresh.scan_id, org, TenantScope::All))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done, ScanStatus::Completed);
    }
}

#[actix::test]
async fn start_up_recovers_running_and_queued_scans() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (_, u) = org_with_tenant(db, "Contoso", "Second", true).await;
        let left = |tenant_id: i64, status: &str| scan::ActiveModel {
            organisation_id: Set(org),
            tenant_id: Set(tenant_id),
            kind: Set("compliance".into()),
            origin: Set("mcp".into()),
            requested_by_user_id: Set(None),
            requested_by_token_id: Set(None),
            ai_pilot: Set(false),
            status: Set(status.into()),
            progress_done: Set(3),
            progress_total: Set(10),
            snapshot_id: Set(None),
            created_at: Set(Utc::now()),
            started_at: Set((status == "running").then(Utc::now)),
            finished_at: Set(None),
            score: Set(None),
            summary: Set(None),
            error: Set(None),
            ..Default::default()
        };
        let was_running = left(t.id, "running").insert(db).await.unwrap();
        let was_queued = left(u.id, "queued").insert(db).await.unwrap();

        let (scans, _microsoft) = manager(db, 4, 0).await;
        // The first message is handled only once recovery is done.
        let ticket = scans
            .send(StartScan(request(org, u.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        assert!(
            ticket.existing,
            "the recovered queued scan is the tenant's active one"
        );
        assert_eq!(ticket.scan_id, was_queued.id);

        let row = scan::Entity::find_by_id(was_running.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "failed");
        assert_eq!(row.error.as_deref(), Some("interrupted"));
        assert!(row.finished_at.is_some());
        let row = wait_final(db, was_queued.id, FINAL_WITHIN).await;
        assert_eq!(row.status, "completed");
        assert!(row.fail_count > 0);
    }
}

#[actix::test]
async fn completion_reaches_1000_subscribers_despite_a_dead_one() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        let (scans, _microsoft) = manager(db, 4, 100).await;
        let ticket = scans
            .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();

        let (tx, mut rx) = mpsc::unbounded_channel();
        let (dead_tx, _dead_rx) = mpsc::unbounded_channel();
        let dead = Collector { tx: dead_tx }.start();
        let dead_recipient = dead.clone().recipient();
        dead.send(StopNow).await.unwrap();
        let mut subscribers = Vec::new();
        for id in 0..1000u64 {
            if id == 501 {
                subscribers.push((id, dead_recipient.clone()));
            } else {
                subscribers.push((id, Collector { tx: tx.clone() }.start().recipient()));
            }
        }
        for (id, subscriber) in subscribers {
            // Even ids follow the scan, odd ids (the dead one too) its tenant.
            let topic = if id % 2 == 0 {
                Topic::Scan(ticket.scan_id)
            } else {
                Topic::Tenant(t.id)
            };
            scans
                .send(Subscribe {
                    topic,
                    subscriber_id: id,
                    subscriber,
                })
                .await
                .unwrap();
        }
        drop(tx);

        let mut completed = 0;
        let mut worst = chrono::Duration::zero();
        while completed < 999 {
            let (event, received) = rx.recv().await.unwrap();
            if event.status == ScanStatus::Completed {
                assert_eq!(event.scan_id, ticket.scan_id);
                completed += 1;
                worst = worst.max(received - event.at);
            }
        }
        // Latency is a benchmark's business, not an assertion's: printed for the record.
        eprintln!("slowest of 999 deliveries: {worst}");
        let stats = scans.send(GetStats).await.unwrap().unwrap();
        // The dead one is gone; the scan's own topic is dropped once the scan finished.
        assert_eq!(stats.subscribers, 499, "{stats:?}");
        // A late subscriber to the finished scan is told its final state at once.
        let (late, mut late_rx) = collector();
        scans
            .send(Subscribe {
                topic: Topic::Scan(ticket.scan_id),
                subscriber_id: 5000,
                subscriber: late,
            })
            .await
            .unwrap();
        let (_, event, _) = until(&mut late_rx, ScanStatus::Completed).await;
        assert_eq!(event.scan_id, ticket.scan_id);
    }
}

#[actix::test]
async fn persist_completed_scan_stores_a_scan_in_a_callers_transaction() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", false).await;
        let snapshot = fixture_snapshot();
        let findings = evaluate_all(&snapshot);
        let failed_critical = findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail && f.severity == aether365_engine::Severity::Critical
            })
            .count() as i32;
        let at = Utc::now() - chrono::Duration::days(7);
        let txn = db.begin().await.unwrap();
        let id = persist_completed_scan(
            &txn,
            CompletedScan {
                organisation_id: org,
                tenant_id: t.id,
                kind: ScanKind::Compliance,
                origin: ScanOrigin::Schedule,
                snapshot_id: None,
                input: None,
                findings: findings.clone(),
                started_at: at,
                finished_at: at + chrono::Duration::seconds(30),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        let row = scan::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
        assert_eq!(row.status, "completed");
        assert_eq!(row.origin, "schedule");
        assert_eq!(row.critical_count, failed_critical);
        assert_eq!(row.progress_total as usize, findings.len());
        assert_eq!(
            row.finished_at.unwrap().timestamp(),
            (at + chrono::Duration::seconds(30)).timestamp()
        );
        assert_eq!(row.score, aether365_engine::score(&findings).overall);
        let stored = finding::Entity::find()
            .filter(finding::Column::ScanId.eq(id))
            .count(db)
            .await
            .unwrap();
        assert_eq!(stored as usize, findings.len());
    }
}

#[actix::test]
async fn runs_are_bounded_and_store_their_progress() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let mut tenants = Vec::new();
        let mut org = 0;
        for name in ["One", "Two", "Three", "Four"] {
            let (o, t) = org_with_tenant(db, "Contoso", name, true).await;
            org = o;
            tenants.push(t);
        }
        let (scans, _microsoft) = manager(db, 2, 150).await;
        let mut ids = Vec::new();
        for t in &tenants {
            let ticket = scans
                .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
                .await
                .unwrap()
                .unwrap();
            ids.push(ticket.scan_id);
        }
        let mut saw_full = false;
        let mut saw_partial_progress = false;
        loop {
            let stats = scans.send(GetStats).await.unwrap().unwrap();
            assert!(stats.running <= 2, "{stats:?}");
            saw_full |= stats.running == 2 && stats.queued == 2;
            let rows = scan::Entity::find()
                .filter(scan::Column::Id.is_in(ids.clone()))
                .all(db)
                .await
                .unwrap();
            assert!(rows.iter().filter(|r| r.status == "running").count() <= 2);
            saw_partial_progress |= rows.iter().any(|r| {
                r.status == "running" && r.progress_done > 0 && r.progress_done < r.progress_total
            });
            if rows.iter().all(|r| r.status == "completed") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(saw_full, "two ran while two waited");
        assert!(saw_partial_progress, "progress is stored while a scan runs");
    }
}

/// Simultaneous starts on one instance cannot all pass the concurrent-scan quota: of six starts
/// for six tenants at once, exactly the quota's worth queue a scan.
#[actix::test]
async fn simultaneous_starts_respect_the_concurrent_scan_quota() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let mut tenants = Vec::new();
        let mut org = 0;
        for i in 0..6 {
            let (o, t) = org_with_tenant(db, "Quota", &format!("Quota{i}"), false).await;
            org = o;
            tenants.push(t.id);
        }
        let config = ScanConfig {
            quota: ScanQuota {
                per_token: 100,
                per_organisation: 2,
            },
            ..ScanConfig::default()
        };
        let bus = Bus::start(db, "scan-quota-test");
        let manager = ScanManager::new(db.clone(), config, bus).start();
        // Draining: nothing is claimed, so every scan queued stays queued (counted).
        manager.send(ReleaseLeases).await.unwrap().unwrap();
        let answers = futures_util::future::join_all(
            tenants
                .iter()
                .map(|t| manager.send(StartScan(request(org, *t, ScanOrigin::Dashboard)))),
        )
        .await;
        let (started, refused): (Vec<_>, Vec<_>) = answers
            .into_iter()
            .map(Result::unwrap)
            .partition(Result::is_ok);
        assert_eq!(started.len(), 2, "{refused:?}");
        for answer in refused {
            assert!(
                matches!(
                    answer,
                    Err(ScanError::TooManyScans {
                        scope: QuotaScope::Organisation,
                        limit: 2,
                        ..
                    })
                ),
                "{answer:?}"
            );
        }
    }
}

/// Simultaneous starts of one tenant and kind become one scan, so they count once: with room
/// for one scan, six starts at once all answer that scan (none is refused).
#[actix::test]
async fn simultaneous_starts_of_one_scan_count_once_against_the_quota() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, tenant) = org_with_tenant(db, "Quota", "Quota1", false).await;
        let config = ScanConfig {
            quota: ScanQuota {
                per_token: 100,
                per_organisation: 1,
            },
            ..ScanConfig::default()
        };
        let bus = Bus::start(db, "scan-quota-once-test");
        let manager = ScanManager::new(db.clone(), config, bus).start();
        manager.send(ReleaseLeases).await.unwrap().unwrap();
        let answers = futures_util::future::join_all(
            (0..6).map(|_| manager.send(StartScan(request(org, tenant.id, ScanOrigin::Dashboard)))),
        )
        .await;
        let ids: Vec<i64> = answers
            .into_iter()
            .map(|a| {
                a.unwrap()
                    .expect("no start of the one scan is refused")
                    .scan_id
            })
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    }
}
