//! The per-object reads (users, groups, registration details, mailboxes) against generated
//! tenants: counts exact across pages, bounded summaries, progress after each page; and the
//! large-tenant measurement (ignored by default: `scripts/bench/large-tenant`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use aether365_collector::{
    AppCredential, CollectEvent, Collection, Collector, CollectorConfig, ObjectsRead, TenantTarget,
};
use m365_standin::population::{Census, Population};
use m365_standin::{StandIn, StandInConfig};
use serde_json::Value;

fn start(population: Population, page_size: usize) -> StandIn {
    let mut config = StandInConfig::bundled().unwrap();
    config.population = population;
    config.page_size = page_size;
    StandIn::start(config).unwrap()
}

fn collector(s: &StandIn) -> Collector {
    let mut c = CollectorConfig::new(
        s.endpoints(),
        s.client_id(),
        AppCredential::client_secret(m365_standin::DEFAULT_CLIENT_SECRET).unwrap(),
    );
    c.timeout = Duration::from_secs(30);
    Collector::new(c).unwrap()
}

fn target(s: &StandIn) -> TenantTarget {
    TenantTarget {
        microsoft_tenant_id: s.tenant_id().to_string(),
        initial_domain: s.initial_domain().to_string(),
    }
}

/// Collects, keeping every per-object progress report.
async fn collect(s: &StandIn) -> (Collection, Vec<ObjectsRead>) {
    let reports = Mutex::new(Vec::new());
    let collection = collector(s)
        .collect_with_progress(&target(s), |event| {
            if let CollectEvent::Objects(read) = event {
                reports.lock().unwrap().push(read);
            }
        })
        .await;
    (collection, reports.into_inner().unwrap())
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The summaries agree with the census, object for object.
fn assert_counts(own: &Value, census: &Census) {
    let mfa = &own["member_mfa_capability"];
    assert_eq!(u(&mfa["members"]), census.members, "{mfa}");
    assert_eq!(
        u(&mfa["not_mfa_capable"]["count"]),
        census.not_mfa_capable,
        "{mfa}"
    );
    let groups = &own["unified_group_visibility"];
    assert_eq!(u(&groups["groups"]), census.groups);
    assert_eq!(u(&groups["public"]["count"]), census.public_groups);
    let shared = &own["shared_mailbox_sign_in"];
    assert_eq!(u(&shared["shared_mailboxes"]), census.shared_mailboxes);
    assert_eq!(
        u(&shared["sign_in_enabled"]["count"]),
        census.shared_sign_in_enabled
    );
    assert_eq!(u(&shared["enabled_users_read"]), census.enabled_users);
    let audit = &own["mailbox_audit_actions"];
    assert_eq!(u(&audit["mailboxes"]), census.user_mailboxes);
    assert_eq!(u(&audit["unrecorded_mailboxes"]), 0);
    let configurations = audit["configurations"].as_array().unwrap();
    let total: u64 = configurations.iter().map(|c| u(&c["mailboxes"])).sum();
    assert_eq!(total, census.user_mailboxes);
    let failing: u64 = configurations
        .iter()
        .filter(|c| {
            c["audit_enabled"] != Value::Bool(true)
                || !c["audit_owner"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a == "MailboxLogin")
        })
        .map(|c| u(&c["mailboxes"]))
        .sum();
    assert_eq!(failing, census.audit_failing);
    // Bounded: examples capped whatever the counts.
    for capped in [
        &mfa["not_mfa_capable"],
        &groups["public"],
        &shared["sign_in_enabled"],
    ] {
        assert!(capped["examples"].as_array().unwrap().len() <= 100);
        assert_eq!(
            capped["examples"].as_array().unwrap().len() as u64,
            u(&capped["count"]).min(100)
        );
    }
}

#[tokio::test]
async fn a_generated_tenant_is_counted_exactly_across_pages() {
    let population = Population {
        users: 3_000,
        mailboxes: 1_500,
        offenders: true,
    };
    // Graph's page of users is 999: several pages per read, ragged last pages everywhere.
    let s = start(population, 999);
    let census = population.census();
    assert!(census.not_mfa_capable > 0 && census.public_groups > 0);
    assert!(census.shared_sign_in_enabled > 0 && census.audit_failing > 0);
    let (collection, reports) = collect(&s).await;
    let own = &collection.snapshot["aether365"];
    assert_counts(own, &census);
    for cmd in [
        "Get-MgUser -Property AssignedLicenses",
        "Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')",
        "Get-MgReportAuthenticationMethodUserRegistrationDetail",
    ] {
        assert!(
            collection.snapshot["aad_successful_commands"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == cmd),
            "{cmd}"
        );
    }
    for cmd in [
        "Get-Mailbox -RecipientTypeDetails SharedMailbox",
        "Get-Mailbox -RecipientTypeDetails UserMailbox",
    ] {
        assert!(
            collection.snapshot["exo_successful_commands"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == cmd),
            "{cmd}"
        );
    }
    // The administrators hold the tenant's productivity suite (offenders).
    for admin in own["privileged_user_licences"]["users"].as_array().unwrap() {
        assert_eq!(
            admin["assigned_sku_ids"].as_array().unwrap().len(),
            1,
            "{admin}"
        );
    }
    // Every page was asked for once: 2,940 members in pages of 999 -> 3 pages.
    let pages = census.members.div_ceil(999) as usize;
    assert_eq!(pages, 3);
    let requests = s.requests();
    let registration_pages = requests
        .iter()
        .filter(|r| r.path.ends_with("/userRegistrationDetails"))
        .count();
    assert_eq!(registration_pages, pages);
    // Progress after each page, rising to the totals.
    let registrations: Vec<u64> = reports
        .iter()
        .filter(|r| r.what == "member users' registration details")
        .map(|r| r.read)
        .collect();
    assert_eq!(registrations.len(), pages, "{registrations:?}");
    assert!(registrations.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(registrations.last().copied(), Some(census.members));
    s.stop();
}

/// Peak and current resident memory of this process, in kB (`/proc/self/status`).
fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The measurement of docs/performance.md: a full collection of the large generated tenant
/// (50,000 users, 20,000 mailboxes; pages of 999 as Graph serves users). Run by hand:
/// `scripts/bench/large-tenant`.
#[tokio::test]
#[ignore = "a measurement, run by scripts/bench/large-tenant"]
async fn large_tenant_collection() {
    let population = Population::large();
    let s = start(population, 999);
    let (_, rss_before) = memory_kb();
    let started = Instant::now();
    let (collection, reports) = collect(&s).await;
    let wall = started.elapsed();
    let (peak, rss_after) = memory_kb();
    assert_counts(&collection.snapshot["aether365"], &population.census());
    let served = s.requests().len();
    let sent: u32 = collection.services.iter().map(|o| o.requests).sum();
    let snapshot_bytes = serde_json::to_vec(&collection.snapshot)
        .map(|b| b.len())
        .unwrap_or(0);
    println!(
        "large tenant: {} users, {} mailboxes",
        population.users, population.mailboxes
    );
    println!("wall time: {:.2} s", wall.as_secs_f64());
    println!(
        "requests served by the stand-in: {served} (collector sent {sent}, token requests included)"
    );
    println!("progress reports: {}", reports.len());
    println!(
        "resident memory (collector and stand-in in one process): before {rss_before} kB, after {rss_after} kB, peak (VmHWM) {peak} kB"
    );
    println!("snapshot size: {snapshot_bytes} bytes");
    s.stop();
}
