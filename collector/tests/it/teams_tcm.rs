//! Teams from Tenant Configuration Management snapshots, against the stand-in: decided checks
//! from the newest succeeded snapshot job that covers Teams, saying which job and when; every
//! unusable state (no job, only failed jobs, missing resource types, no permission, an
//! extraction on another host) leaves Teams not collected with its reason and its checks in
//! `error`, never a verdict; the off-host extraction is never fetched.

use std::time::Duration;

use aether365_collector::{
    AppCredential, CollectedService, Collection, Collector, CollectorConfig, ServiceOutcome,
    ServiceStatus, TenantTarget,
};
use aether365_engine::{Finding, Service, Snapshot, Status};
use m365_standin::tcm::{self, TcmScenario};
use m365_standin::{RecordedRequest, StandIn, StandInConfig};
use serde_json::Value;

fn start(scenario: TcmScenario) -> StandIn {
    let s = StandIn::start(StandInConfig::bundled().unwrap()).unwrap();
    s.set_tcm(scenario);
    s
}

async fn collect(s: &StandIn) -> Collection {
    let mut c = CollectorConfig::new(
        s.endpoints(),
        s.client_id(),
        AppCredential::client_secret(m365_standin::DEFAULT_CLIENT_SECRET).unwrap(),
    );
    c.timeout = Duration::from_secs(5);
    c.max_attempts = 2;
    c.retry.base_delay = Duration::from_millis(10);
    let target = TenantTarget {
        microsoft_tenant_id: s.tenant_id().to_string(),
        initial_domain: s.initial_domain().to_string(),
    };
    Collector::new(c).unwrap().collect(&target, |_| {}).await
}

fn teams(c: &Collection) -> &ServiceOutcome {
    c.services
        .iter()
        .find(|o| o.service == CollectedService::Teams)
        .unwrap()
}

/// The Teams findings of a snapshot that read tenant data (not the SCuBA policies ScubaGear
/// leaves to a person, which are always `manual`).
fn teams_findings(snapshot: &Value) -> Vec<Finding> {
    let snap = Snapshot::from_value(snapshot.clone()).unwrap();
    aether365_engine::compliance_checks()
        .iter()
        .filter(|c| c.service == Service::Teams && !c.is_undecided())
        .map(|c| c.evaluate(&snap))
        .collect()
}

fn snapshot_reads(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|r| r.path.contains("/configurationSnapshots/"))
        .collect()
}

#[tokio::test]
async fn teams_checks_are_decided_from_the_newest_succeeded_snapshot_covering_teams() {
    let s = start(TcmScenario::Succeeded);
    let c = collect(&s).await;
    let t = teams(&c);
    // Read, save the two commands no TCM resource answers.
    assert_eq!(t.status, ServiceStatus::Partial, "{t:?}");
    let failed: Vec<&str> = t.commands_failed.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(failed, ["Get-CsTenant", "Get-M365UnifiedTenantSettings"]);
    assert_eq!(t.commands_ok.len(), 5, "{t:?}");

    // The job read is the newest succeeded one with the Teams types (a newer succeeded job
    // holds only Exchange resources, a newer one failed), and the snapshot says so.
    let source = &c.snapshot["aether365"][aether365_collector::TCM_SNAPSHOT_KEY];
    assert_eq!(source["job_id"], tcm::TEAMS_JOB_ID);
    assert_eq!(source["completed_date_time"], tcm::TEAMS_JOB_COMPLETED);
    let requests = s.requests();
    let reads = snapshot_reads(&requests);
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(reads[0].path.ends_with(tcm::TEAMS_JOB_ID));
    let listing = requests
        .iter()
        .find(|r| {
            r.path
                .ends_with("/v1.0/admin/configurationManagement/configurationSnapshotJobs")
        })
        .unwrap();
    assert!(listing.query.contains("resourceLocation"), "{listing:?}");
    let tcm_requests: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|r| r.path.contains("/admin/configurationManagement/"))
        .collect();
    assert_eq!(tcm_requests.len(), 2, "{tcm_requests:?}");
    assert!(tcm_requests.iter().all(|r| r.method == "GET"), "reads only");

    // The policies are the tenant's (the stand-in serves the export's Teams settings).
    let policies = c.snapshot["meeting_policies"].as_array().unwrap();
    let export = StandInConfig::bundled().unwrap().export;
    assert_eq!(
        policies.len(),
        export["meeting_policies"].as_array().unwrap().len()
    );
    assert!(policies.iter().any(|p| p["Identity"] == "Global"));

    // Each check the snapshot decides agrees with the export the tenant was built from, and
    // says which snapshot and when; what TCM does not serve is an error, not a verdict.
    let from_export: Vec<Finding> = {
        let snap = Snapshot::from_value(export).unwrap();
        aether365_engine::compliance_checks()
            .iter()
            .filter(|c| c.service == Service::Teams && !c.is_undecided())
            .map(|c| c.evaluate(&snap))
            .collect()
    };
    let mut decided = 0;
    for (f, want) in teams_findings(&c.snapshot).iter().zip(&from_export) {
        assert!(
            f.message.contains(tcm::TEAMS_JOB_ID) && f.message.contains("2026-11-28 06:30 UTC"),
            "{}: {}",
            f.check_id,
            f.message
        );
        assert_eq!(
            f.evidence["tcm_snapshot"]["job_id"],
            tcm::TEAMS_JOB_ID,
            "{}",
            f.check_id
        );
        if matches!(f.status, Status::Pass | Status::Fail) {
            decided += 1;
            if f.check_id == "A365-TMS-13" {
                // The export's tenant details (Get-CsTenant, which TCM does not serve) show a
                // US government tenant, where SCuBA does not apply it; channel email is off,
                // which passes whatever the tenant.
                assert_eq!(
                    (f.status, want.status),
                    (Status::Pass, Status::NotApplicable)
                );
                continue;
            }
            assert_eq!(f.status, want.status, "{}: {}", f.check_id, f.message);
        }
    }
    assert!(decided >= 15, "{decided} Teams checks decided");
    let status_of = |id: &str| {
        teams_findings(&c.snapshot)
            .into_iter()
            .find(|f| f.check_id == id)
            .unwrap()
    };
    // TCM documents no AllowExternalNonTrustedMeetingChat: unknown, not a failure.
    let chat = status_of("A365-TMS-15");
    assert_eq!(chat.status, Status::Error, "{}", chat.message);
    assert!(chat.message.contains("AllowExternalNonTrustedMeetingChat"));
    // The org-wide app settings have no TCM resource.
    assert_eq!(status_of("A365-TMS-17").status, Status::Error);
}

#[tokio::test]
async fn an_unusable_snapshot_state_leaves_teams_in_error_with_its_reason() {
    let cases: [(&str, TcmScenario, bool, &[&str]); 4] = [
        (
            "no job",
            TcmScenario::NoJob,
            false,
            &[
                "no Tenant Configuration Management snapshot job exists",
                "microsoft.teams.meetingPolicy",
            ],
        ),
        (
            "only failed jobs",
            TcmScenario::Failed,
            false,
            &[
                "none of the tenant's 2",
                "failed",
                "lacks the Global Reader role",
            ],
        ),
        (
            "missing resource types",
            TcmScenario::MissingTypes,
            false,
            &[
                "lacks microsoft.teams.meetingBroadcastPolicy",
                "createSnapshot",
            ],
        ),
        (
            "no permission",
            TcmScenario::Succeeded,
            true,
            &["403", "ConfigurationMonitoring.Read.All"],
        ),
    ];
    for (name, scenario, deny, words) in cases {
        let s = start(scenario);
        if deny {
            s.deny_permission(tcm::PERMISSION);
        }
        let c = collect(&s).await;
        let t = teams(&c);
        assert_eq!(t.status, ServiceStatus::NotCollected, "{name}: {t:?}");
        let reason = t.reason.clone().unwrap();
        for w in words {
            assert!(reason.contains(w), "{name}: {reason}");
        }
        assert_eq!(
            t.commands_failed.len(),
            aether365_collector::TEAMS_COMMANDS.len(),
            "{name}"
        );
        assert!(c.snapshot.get("meeting_policies").is_none(), "{name}");
        assert!(
            c.snapshot["aether365"]
                .get(aether365_collector::TCM_SNAPSHOT_KEY)
                .is_none(),
            "{name}"
        );
        assert!(snapshot_reads(&s.requests()).is_empty(), "{name}");
        for f in teams_findings(&c.snapshot) {
            assert_eq!(
                f.status,
                Status::Error,
                "{name}: {}: {}",
                f.check_id,
                f.message
            );
            assert!(
                f.message.contains(words[0]),
                "{name}: {}: {}",
                f.check_id,
                f.message
            );
        }
    }
}

#[tokio::test]
async fn an_extraction_on_another_host_is_refused_without_being_fetched() {
    let s = start(TcmScenario::OffHost);
    let c = collect(&s).await;
    let t = teams(&c);
    assert_eq!(t.status, ServiceStatus::NotCollected, "{t:?}");
    let reason = t.reason.clone().unwrap();
    assert!(
        reason.contains("is not on the tenant's Graph endpoint") && reason.contains("localhost"),
        "{reason}"
    );
    // The off-host address is this very stand-in under another name: a fetch would show here.
    let requests = s.requests();
    assert!(snapshot_reads(&requests).is_empty(), "{requests:?}");
    assert!(requests.iter().all(|r| !r.host.starts_with("localhost")));
    for f in teams_findings(&c.snapshot) {
        assert_eq!(f.status, Status::Error, "{}: {}", f.check_id, f.message);
    }
}

#[tokio::test]
async fn test_connection_probes_the_snapshot_jobs_with_their_permission() {
    let s = start(TcmScenario::NoJob);
    s.deny_permission(tcm::PERMISSION);
    let mut c = CollectorConfig::new(
        s.endpoints(),
        s.client_id(),
        AppCredential::client_secret(m365_standin::DEFAULT_CLIENT_SECRET).unwrap(),
    );
    c.max_attempts = 1;
    let target = TenantTarget {
        microsoft_tenant_id: s.tenant_id().to_string(),
        initial_domain: s.initial_domain().to_string(),
    };
    let probes = Collector::new(c).unwrap().test_connection(&target).await;
    let t = probes
        .iter()
        .find(|p| p.service == CollectedService::Teams)
        .unwrap();
    assert!(!t.ok);
    assert_eq!(t.permission, tcm::PERMISSION);
    assert_eq!(t.endpoint, aether365_collector::TCM_JOBS_PATH);
    assert!(t.detail.starts_with("403 Forbidden"), "{t:?}");
}
