//! Several instances on one database: scans as leased jobs (an instance that dies leaves its
//! scan to another), start-up that leaves live leases alone, and the cluster bus (events across
//! instances, large payloads by reference, revocations announced by the database, a lost
//! listener re-established with a resync). Real PostgreSQL, real stand-in; no mocks.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use aether365_actors::TenantScope;
use aether365_actors::cluster::{Bus, ClusterEvent};
use aether365_actors::directory;
use aether365_actors::scans::{
    ScanConfig, ScanError, ScanManager, ScanOrigin, ScanQuota, ScanStatus, StartScan,
};
use aether365_actors::testkit;
use aether365_actors::tokens::{self, Expiry};
use aether365_entities::{finding, scan, tenant};
use chrono::Utc;
use m365_standin::{Fault, FaultKind, StandIn, StandInConfig};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter,
};
use tokio::sync::broadcast;

use crate::support::{org_with_tenant, request};

/// Waits for the next bus event matching `want`, failing after `within`.
async fn next_matching(
    rx: &mut broadcast::Receiver<Arc<ClusterEvent>>,
    within: Duration,
    want: impl Fn(&ClusterEvent) -> bool,
) -> ClusterEvent {
    tokio::time::timeout(within, async {
        loop {
            let event = rx.recv().await.expect("bus open");
            if want(&event) {
                return (*event).clone();
            }
        }
    })
    .await
    .expect("the awaited cluster event arrives")
}

/// A scan manager with its own bus, on its own arbiter (thread and runtime), so that
/// stopping the arbiter kills the instance: no code of it runs afterwards, no lease is given
/// back.
async fn instance_on(
    arbiter: &Arbiter,
    db: &DatabaseConnection,
    name: &'static str,
    config: ScanConfig,
) -> Addr<ScanManager> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let db = db.clone();
    arbiter.spawn(async move {
        let bus = Bus::start(&db, name);
        bus.ready().await;
        let addr = ScanManager::new(db, config, bus).start();
        let _ = tx.send(addr);
    });
    rx.await.unwrap()
}

/// Connects every tenant to a stand-in answering each request after `delay_ms`, so a
/// compliance scan collects for a while.
async fn slow_microsoft(db: &DatabaseConnection, delay_ms: u64) -> (StandIn, ScanConfig) {
    let standin = StandIn::start(StandInConfig::bundled().unwrap()).unwrap();
    standin.set_fault(Fault::on("/", FaultKind::Slow { delay_ms }));
    let collector = aether365_collector::Collector::new(
        standin.collector_config(m365_standin::DEFAULT_CLIENT_SECRET),
    )
    .unwrap();
    for t in tenant::Entity::find().all(db).await.unwrap() {
        let mut active: tenant::ActiveModel = t.into();
        active.microsoft_tenant_id = Set(standin.tenant_id().to_string());
        active.initial_domain = Set(Some(standin.initial_domain().to_string()));
        active.consented_at = Set(Some(Utc::now()));
        active.update(db).await.unwrap();
    }
    let config = ScanConfig {
        max_concurrent: 1,
        collector: Some(Arc::new(collector)),
        // A dead instance's scan is taken over a second after its last heartbeat.
        lease_ttl: Duration::from_secs(1),
        ..ScanConfig::default()
    };
    (standin, config)
}

#[actix::test]
async fn a_scan_whose_instance_dies_is_run_again_by_another() {
    let Some(test_db) = testkit::postgres().await.unwrap() else {
        return;
    };
    let db = &test_db.db;
    let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
    let (_standin, config) = slow_microsoft(db, 40).await;

    // Instance A takes the scan and starts collecting.
    let arbiter_a = Arbiter::new();
    let a = instance_on(&arbiter_a, db, "instance-a", config.clone()).await;
    let ticket = a
        .send(StartScan(request(org, t.id, ScanOrigin::Mcp)))
        .await
        .unwrap()
        .unwrap();
    let watch = Bus::start(db, "observer");
    watch.ready().await;
    let mut events = watch.subscribe();
    next_matching(&mut events, Duration::from_secs(30), |e| {
        matches!(e, ClusterEvent::Scan(s) if s.scan_id == ticket.scan_id && s.status == ScanStatus::Running && s.progress_done > 0)
    })
    .await;
    let row = scan::Entity::find_by_id(ticket.scan_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "running");
    assert_eq!(row.lease_owner.as_deref(), Some("instance-a"));
    let first_start = row.started_at.unwrap();

    // B joins; A dies mid-scan (kill -9: its thread stops, nothing is given back).
    let arbiter_b = Arbiter::new();
    let _b = instance_on(&arbiter_b, db, "instance-b", config).await;
    arbiter_a.stop();
    drop(a);

    // B claims it once A's lease expires and runs it again from the start, to completion.
    let completed = next_matching(&mut events, Duration::from_secs(120), |e| {
        matches!(e, ClusterEvent::Scan(s) if s.scan_id == ticket.scan_id && s.status.is_final())
    })
    .await;
    let ClusterEvent::Scan(completed) = completed else {
        unreachable!()
    };
    assert_eq!(completed.status, ScanStatus::Completed, "{completed:?}");
    let row = scan::Entity::find_by_id(ticket.scan_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "completed");
    assert_eq!(row.lease_owner, None, "the lease is released on completion");
    assert!(
        row.started_at.unwrap() > first_start,
        "run again from the start"
    );
    let stored = finding::Entity::find()
        .filter(finding::Column::ScanId.eq(ticket.scan_id))
        .count(db)
        .await
        .unwrap();
    assert_eq!(
        i32::try_from(stored).unwrap(),
        row.pass_count
            + row.fail_count
            + row.manual_count
            + row.error_count
            + row.not_applicable_count,
        "one set of findings, none left by the dead instance"
    );
    let running = scan::Entity::find()
        .filter(scan::Column::Status.eq("running"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(running, 0, "no scan is left running");
    arbiter_b.stop();
}

#[actix::test]
async fn the_organisation_scan_quota_holds_across_instances() {
    let Some(test_db) = testkit::postgres().await.unwrap() else {
        return;
    };
    let db = &test_db.db;
    let mut tenants = Vec::new();
    for i in 0..9 {
        tenants.push(org_with_tenant(db, "Contoso", &format!("Quota{i}"), true).await);
    }
    // Collection is slow, so no scan ends (and frees its place) during the test.
    let (_standin, config) = slow_microsoft(db, 2_000).await;
    let config = ScanConfig {
        quota: ScanQuota {
            per_token: 100,
            per_organisation: 2,
        },
        ..config
    };
    let arbiters: Vec<Arbiter> = (0..3).map(|_| Arbiter::new()).collect();
    let mut instances = Vec::new();
    for (arbiter, name) in arbiters.iter().zip(["quota-a", "quota-b", "quota-c"]) {
        instances.push(instance_on(arbiter, db, name, config.clone()).await);
    }
    // Nine starts of nine tenants at once, three through each instance.
    let answers =
        futures_util::future::join_all(tenants.iter().enumerate().map(|(i, (org, t))| {
            instances[i % 3].send(StartScan(request(*org, t.id, ScanOrigin::Mcp)))
        }))
        .await;
    let mut queued = 0;
    for answer in answers {
        match answer.unwrap() {
            Ok(ticket) => {
                assert!(!ticket.existing, "each tenant's start is its own scan");
                queued += 1;
            }
            Err(ScanError::TooManyScans { limit: 2, .. }) => {}
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!(
        queued, 2,
        "the organisation's quota of 2 holds over three instances"
    );
    let active = scan::Entity::find()
        .filter(scan::Column::Status.is_in(["queued", "running"]))
        .count(db)
        .await
        .unwrap();
    assert_eq!(active, 2);
    for arbiter in arbiters {
        arbiter.stop();
    }
}

#[actix::test]
async fn start_up_leaves_live_leases_alone_and_reruns_expired_ones() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, held) = org_with_tenant(db, "Contoso", "Held", true).await;
        let (_, expired) = org_with_tenant(db, "Contoso", "Expired", true).await;
        let (_, probe) = org_with_tenant(db, "Contoso", "Probe", true).await;
        let left = |tenant_id: i64, expires_in: chrono::Duration| scan::ActiveModel {
            organisation_id: Set(org),
            tenant_id: Set(tenant_id),
            kind: Set("compliance".into()),
            origin: Set("mcp".into()),
            requested_by_user_id: Set(None),
            requested_by_token_id: Set(None),
            ai_pilot: Set(false),
            status: Set("running".into()),
            progress_done: Set(3),
            progress_total: Set(10),
            snapshot_id: Set(None),
            created_at: Set(Utc::now()),
            started_at: Set(Some(Utc::now())),
            finished_at: Set(None),
            score: Set(None),
            summary: Set(None),
            error: Set(None),
            lease_owner: Set(Some("another-live-instance".into())),
            lease_expires_at: Set(Some(Utc::now() + expires_in)),
            ..Default::default()
        };
        let live = left(held.id, chrono::Duration::minutes(10))
            .insert(db)
            .await
            .unwrap();
        let dead = left(expired.id, chrono::Duration::seconds(-5))
            .insert(db)
            .await
            .unwrap();

        let bus = Bus::start(db, "starting-instance");
        bus.ready().await;
        let mut events = bus.subscribe();
        let scans = ScanManager::new(db.clone(), ScanConfig::default(), bus).start();
        // The first message is handled once start-up recovery is done.
        let probe_ticket = scans
            .send(StartScan(request(org, probe.id, ScanOrigin::Mcp)))
            .await
            .unwrap()
            .unwrap();
        // Both run at once and may finish in either order.
        let mut waiting = vec![dead.id, probe_ticket.scan_id];
        while !waiting.is_empty() {
            let event = next_matching(&mut events, Duration::from_secs(60), |e| {
                matches!(e, ClusterEvent::Scan(s) if waiting.contains(&s.scan_id) && s.status == ScanStatus::Completed)
            })
            .await;
            if let ClusterEvent::Scan(s) = event {
                waiting.retain(|id| *id != s.scan_id);
            }
        }
        let row = scan::Entity::find_by_id(live.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "running", "{:?}", test_db.backend);
        assert_eq!(row.lease_owner.as_deref(), Some("another-live-instance"));
        assert_eq!(row.progress_done, 3);
        let row = scan::Entity::find_by_id(dead.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "completed");
        assert!(row.error.is_none());
    }
}

#[actix::test]
async fn the_bus_crosses_instances_carries_large_payloads_and_survives_a_lost_listener() {
    let Some(test_db) = testkit::postgres().await.unwrap() else {
        return;
    };
    let db = &test_db.db;
    let a = Bus::start(db, "a");
    let b = Bus::start(db, "b");
    a.ready().await;
    b.ready().await;
    let mut on_b = b.subscribe();
    let within = Duration::from_secs(10);

    // A small event and one too large for NOTIFY (sent by reference to a row).
    a.publish(ClusterEvent::SessionClosed {
        session_id: "s1".into(),
    });
    let big = "x".repeat(50_000);
    a.publish(ClusterEvent::SessionMessage {
        session_id: "s2".into(),
        data: big.clone(),
    });
    assert_eq!(
        next_matching(&mut on_b, within, |_| true).await,
        ClusterEvent::SessionClosed {
            session_id: "s1".into()
        }
    );
    assert_eq!(
        next_matching(&mut on_b, within, |_| true).await,
        ClusterEvent::SessionMessage {
            session_id: "s2".into(),
            data: big
        }
    );

    // A revocation made in SQL, by any process, is announced by the database itself.
    let org = directory::create_organisation(db, "Contoso").await.unwrap();
    let issued = tokens::create_token(
        db,
        &tokens::TokenKey::generate(),
        org.id,
        "assistant",
        Expiry::Never,
        TenantScope::All,
        None,
    )
    .await
    .unwrap();
    tokens::revoke_token(db, Some(org.id), issued.record.id)
        .await
        .unwrap();
    assert_eq!(
        next_matching(&mut on_b, within, |e| matches!(
            e,
            ClusterEvent::Revoked { .. }
        ))
        .await,
        ClusterEvent::Revoked {
            token_id: issued.record.id
        }
    );

    // Kill b's listener connection: it is re-established and says what to reconcile.
    let killed = db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND query LIKE 'LISTEN%' \
             AND query LIKE '%' || aether365_channel() || '%'",
        )
        .await
        .unwrap();
    assert!(killed.rows_affected() >= 1);
    let resync = next_matching(&mut on_b, within, |e| {
        matches!(e, ClusterEvent::Resync { .. })
    })
    .await;
    assert!(matches!(resync, ClusterEvent::Resync { since } if since <= Utc::now()));
    assert!(b.reconnects() >= 1);
    b.ready().await;
    a.ready().await;
    a.publish(ClusterEvent::ScansWaiting);
    assert_eq!(
        next_matching(&mut on_b, within, |e| matches!(
            e,
            ClusterEvent::ScansWaiting
        ))
        .await,
        ClusterEvent::ScansWaiting
    );
}

/// Changes made to one stored session by different instances apply in place: a subscription
/// and a task stored at once both hold, each change raises the revision, and a session gone
/// is answered `None`.
#[actix::test]
async fn stored_session_changes_never_undo_each_other() {
    use aether365_actors::cluster::sessions::{
        self, SessionChange, StoredSession, StoredTransport,
    };
    let Some(test_db) = testkit::postgres().await.unwrap() else {
        return;
    };
    let db = &test_db.db;
    let session = StoredSession {
        id: "s1".into(),
        token_id: 7,
        transport: StoredTransport::Streamable,
        protocol_version: "2025-06-18".into(),
        client_info: Some(serde_json::json!({"name": "tests"})),
        client_capabilities: serde_json::json!({}),
        log_level: None,
        subscriptions: Default::default(),
        tasks: Vec::new(),
        initialized: true,
        holder: "a".into(),
        revision: 0,
    };
    sessions::insert(db, &session).await.unwrap();
    let uri = "aether365://scans/5".to_string();
    let subscribe = SessionChange::Subscribe {
        uri: uri.clone(),
        scan_id: Some(5),
    };
    let track = SessionChange::TrackTask { scan_id: 9 };
    let (subscribed, tracked) = tokio::join!(
        sessions::change(db, "s1", &subscribe),
        sessions::change(db, "s1", &track),
    );
    let (subscribed, tracked) = (subscribed.unwrap().unwrap(), tracked.unwrap().unwrap());
    let mut revisions = [subscribed.revision, tracked.revision];
    revisions.sort_unstable();
    assert_eq!(revisions, [1, 2]);
    let again = sessions::change(db, "s1", &SessionChange::TrackTask { scan_id: 9 })
        .await
        .unwrap()
        .unwrap();
    let holder = sessions::change(db, "s1", &SessionChange::Holder("b".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.revision, 4);
    assert_eq!(again.tasks, [9], "a task is tracked once");
    let stored = sessions::load(db, "s1").await.unwrap().unwrap();
    assert_eq!(stored.subscriptions.get(&uri), Some(&Some(5)));
    assert_eq!(stored.tasks, [9]);
    assert_eq!(stored.holder, "b");
    assert_eq!(stored.client_info, session.client_info);
    // The sweep of idle sessions deletes each once, whichever instances sweep.
    let future = Utc::now() + chrono::Duration::seconds(1);
    let (a, b) = tokio::join!(sessions::expire(db, future), sessions::expire(db, future));
    let mut expired = a.unwrap();
    expired.extend(b.unwrap());
    assert_eq!(expired, ["s1"]);
    let gone = sessions::change(db, "s1", &SessionChange::LogLevel("debug".into()))
        .await
        .unwrap();
    assert_eq!(gone, None);
    assert!(!sessions::delete(db, "s1").await.unwrap());
}
