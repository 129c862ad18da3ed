//! Scheduled scans and drift on real databases: an occurrence is claimed exactly once by
//! competing schedulers, a missed run runs once, a run is skipped (and says so) while the
//! tenant's previous scan is under way; drift against the previous comparable scan.

use std::time::Duration;

use actix::prelude::*;
use aether365_actors::cluster::Bus;
use aether365_actors::scans::{
    CompletedScan, Drift, ScanConfig, ScanKind, ScanManager, ScanOrigin, persist_completed_scan,
};
use aether365_actors::schedule::{self, ScheduleInput, run_due};
use aether365_actors::testkit;
use aether365_engine::{Status, evaluate_all};
use aether365_entities::{audit_log, scan, scan_schedule};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::support::{fixture_snapshot, org_with_tenant, wait_final};

fn daily() -> ScheduleInput {
    ScheduleInput {
        cadence: "daily".into(),
        time: Some("03:00".into()),
        weekday: None,
        time_zone: "Europe/Paris".into(),
        cron: None,
        compliance: true,
        exposure: false,
        enabled: true,
    }
}

fn manager(db: &DatabaseConnection, instance: &str) -> Addr<ScanManager> {
    let db = db.clone();
    let bus = Bus::start(&db, instance);
    Supervisor::start(move |_| ScanManager::new(db, ScanConfig::default(), bus.clone()))
}

/// Makes the schedule of `tenant_id` due `ago` in the past.
async fn due_since(db: &DatabaseConnection, tenant_id: i64, ago: chrono::Duration) {
    let row = scan_schedule::Entity::find()
        .filter(scan_schedule::Column::TenantId.eq(tenant_id))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active: scan_schedule::ActiveModel = row.into();
    let at = (Utc::now() - ago).timestamp();
    active.next_run_at = Set(chrono::DateTime::from_timestamp(at, 0));
    active.update(db).await.unwrap();
}

async fn scheduled_scans(db: &DatabaseConnection, tenant_id: i64) -> Vec<scan::Model> {
    scan::Entity::find()
        .filter(scan::Column::TenantId.eq(tenant_id))
        .filter(scan::Column::Origin.eq("schedule"))
        .all(db)
        .await
        .unwrap()
}

#[actix::test]
async fn two_schedulers_claim_each_occurrence_exactly_once() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let mut tenants = Vec::new();
        for name in ["A", "B", "C", "D"] {
            let (org, t) = org_with_tenant(db, "Contoso", name, true).await;
            schedule::save_schedule(db, org, t.id, None, &daily())
                .await
                .unwrap();
            due_since(db, t.id, chrono::Duration::minutes(1)).await;
            tenants.push(t.id);
        }
        let (one, two) = (manager(db, "instance-1"), manager(db, "instance-2"));
        let now = Utc::now();
        let (a, b) = tokio::join!(run_due(db, &one, now), run_due(db, &two, now));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), tenants.len(), "{a:?} {b:?}");
        for id in &tenants {
            let won = a.iter().chain(&b).filter(|o| o.tenant_id == *id).count();
            assert_eq!(won, 1, "tenant {id}: {a:?} {b:?}");
            let scans = scheduled_scans(db, *id).await;
            assert_eq!(scans.len(), 1, "tenant {id}");
            let row = wait_final(db, scans[0].id, Duration::from_secs(60)).await;
            assert_eq!(row.status, "completed");
            // Audited with the schedule as the actor.
            let audited = audit_log::Entity::find()
                .filter(audit_log::Column::ActorKind.eq("schedule"))
                .filter(audit_log::Column::Action.eq("scan.start"))
                .all(db)
                .await
                .unwrap();
            assert!(
                audited
                    .iter()
                    .any(|r| r.target_ids.to_string().contains(&row.id.to_string())),
                "{audited:?}"
            );
        }
        // Nothing is due any more: a second round on both starts nothing.
        let (a, b) = tokio::join!(run_due(db, &one, now), run_due(db, &two, now));
        assert!(a.unwrap().is_empty() && b.unwrap().is_empty());
    }
}

#[actix::test]
async fn a_missed_run_runs_once_then_waits_for_the_next_occurrence() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        schedule::save_schedule(db, org, t.id, None, &daily())
            .await
            .unwrap();
        // Every instance was down for three days: three occurrences were missed.
        due_since(db, t.id, chrono::Duration::days(3)).await;
        let scans = manager(db, "instance-1");
        let now = Utc::now();
        let ran = run_due(db, &scans, now).await.unwrap();
        assert_eq!(ran.len(), 1, "{ran:?}");
        assert_eq!(ran[0].started.len(), 1);
        for _ in 0..3 {
            assert!(run_due(db, &scans, Utc::now()).await.unwrap().is_empty());
        }
        assert_eq!(scheduled_scans(db, t.id).await.len(), 1);
        let view = schedule::get_schedule(db, org, t.id).await.unwrap();
        assert!(view.next_run_at.unwrap() > now, "{view:?}");
        assert!(
            view.last_outcome.as_deref().unwrap().contains("started"),
            "{view:?}"
        );
    }
}

#[actix::test]
async fn a_run_is_skipped_while_the_previous_scan_is_under_way_and_says_so() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", true).await;
        schedule::save_schedule(db, org, t.id, None, &daily())
            .await
            .unwrap();
        // Another instance runs a scan of the tenant, with a live lease.
        let running = scan::ActiveModel {
            organisation_id: Set(org),
            tenant_id: Set(t.id),
            kind: Set("compliance".into()),
            origin: Set("dashboard".into()),
            ai_pilot: Set(false),
            status: Set("running".into()),
            progress_done: Set(0),
            progress_total: Set(10),
            created_at: Set(Utc::now()),
            started_at: Set(Some(Utc::now())),
            lease_owner: Set(Some("another-instance".into())),
            lease_expires_at: Set(Some(Utc::now() + chrono::Duration::hours(1))),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        due_since(db, t.id, chrono::Duration::minutes(1)).await;
        let scans = manager(db, "instance-1");
        let ran = run_due(db, &scans, Utc::now()).await.unwrap();
        assert_eq!(ran.len(), 1);
        assert!(ran[0].started.is_empty(), "{ran:?}");
        let view = schedule::get_schedule(db, org, t.id).await.unwrap();
        let outcome = view.last_outcome.unwrap();
        assert!(
            outcome.contains("skipped") && outcome.contains(&running.id.to_string()),
            "{outcome}"
        );
        assert!(scheduled_scans(db, t.id).await.is_empty());
        let skipped = audit_log::Entity::find()
            .filter(audit_log::Column::ActorKind.eq("schedule"))
            .filter(audit_log::Column::Action.eq("scan.skip"))
            .all(db)
            .await
            .unwrap();
        assert_eq!(skipped.len(), 1, "{skipped:?}");
    }
}

#[actix::test]
async fn schedules_are_validated_and_scoped_to_the_organisation() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", false).await;
        let (other, _) = org_with_tenant(db, "Fabrikam", "Theirs", false).await;
        // Unsaved: the default is proposed, paused.
        let view = schedule::get_schedule(db, org, t.id).await.unwrap();
        assert!(!view.saved && !view.enabled && view.compliance && view.cadence == "daily");
        let mut bad = daily();
        bad.time_zone = "Mars/Olympus".into();
        assert!(matches!(
            schedule::save_schedule(db, org, t.id, None, &bad).await,
            Err(schedule::ScheduleError::Invalid {
                field: "time_zone",
                ..
            })
        ));
        assert!(matches!(
            schedule::save_schedule(db, other, t.id, None, &daily()).await,
            Err(schedule::ScheduleError::TenantNotFound)
        ));
        assert!(matches!(
            schedule::get_schedule(db, other, t.id).await,
            Err(schedule::ScheduleError::TenantNotFound)
        ));
        let mut paused = daily();
        paused.enabled = false;
        let view = schedule::save_schedule(db, org, t.id, None, &paused)
            .await
            .unwrap();
        assert!(view.saved && view.next_run_at.is_none());
        let view = schedule::save_schedule(db, org, t.id, None, &daily())
            .await
            .unwrap();
        assert!(view.next_run_at.unwrap() > Utc::now());
        // The default of a newly connected tenant does not replace a schedule it has.
        schedule::ensure_default(db, org, t.id).await.unwrap();
        let view = schedule::get_schedule(db, org, t.id).await.unwrap();
        assert_eq!(view.time_zone, "Europe/Paris");
    }
}

#[actix::test]
async fn drift_lists_what_changed_since_the_previous_scan_of_the_kind() {
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (org, t) = org_with_tenant(db, "Contoso", "Main", false).await;
        let before = evaluate_all(&fixture_snapshot());
        let store = |findings: Vec<aether365_engine::Finding>, days_ago: i64| {
            let at = Utc::now() - chrono::Duration::days(days_ago);
            persist_completed_scan(
                db,
                CompletedScan {
                    organisation_id: org,
                    tenant_id: t.id,
                    kind: ScanKind::Compliance,
                    origin: ScanOrigin::Schedule,
                    snapshot_id: None,
                    input: None,
                    findings,
                    started_at: at,
                    finished_at: at,
                },
            )
        };
        let first = store(before.clone(), 2).await.unwrap();
        let row = scan::Entity::find_by_id(first)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            row.drift.is_none(),
            "a first scan has nothing to drift from"
        );

        let mut after = before.clone();
        let passing = after.iter().position(|f| f.status == Status::Pass).unwrap();
        after[passing].status = Status::Fail;
        let failing = after
            .iter()
            .position(|f| f.status == Status::Fail && f.check_id != before[passing].check_id)
            .unwrap();
        after[failing].status = Status::Pass;
        let same = after
            .iter()
            .position(|f| {
                f.status == Status::Pass
                    && f.check_id != before[passing].check_id
                    && f.check_id != before[failing].check_id
            })
            .unwrap();
        after[same].evidence = serde_json::json!({"changed": true});
        let second = store(after.clone(), 1).await.unwrap();
        let row = scan::Entity::find_by_id(second)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let drift = Drift::of_row(&row).unwrap();
        assert_eq!(drift.previous_scan_id, first);
        let ids = |list: &[aether365_actors::scans::DriftCheck]| {
            list.iter().map(|c| c.check_id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&drift.newly_failing),
            vec![before[passing].check_id.clone()]
        );
        assert_eq!(ids(&drift.fixed), vec![before[failing].check_id.clone()]);
        assert_eq!(
            ids(&drift.evidence_changed),
            vec![before[same].check_id.clone()]
        );
        assert_eq!(
            drift.score_change,
            Some(
                ((aether365_engine::score(&after).overall.unwrap()
                    - aether365_engine::score(&before).overall.unwrap())
                    * 10.0)
                    .round()
                    / 10.0
            )
        );
        assert!(!drift.score_change_by_service.is_empty());
        // Another kind is not comparable: an exposure scan has no drift from these.
        let exposure = persist_completed_scan(
            db,
            CompletedScan {
                organisation_id: org,
                tenant_id: t.id,
                kind: ScanKind::Exposure,
                origin: ScanOrigin::Schedule,
                snapshot_id: None,
                input: None,
                findings: Vec::new(),
                started_at: Utc::now(),
                finished_at: Utc::now(),
            },
        )
        .await
        .unwrap();
        let row = scan::Entity::find_by_id(exposure)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert!(row.drift.is_none());
    }
}
