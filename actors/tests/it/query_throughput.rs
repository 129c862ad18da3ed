//! Throughput of the hot queries (run by hand: `cargo test -p aether365-actors --release
//! --test it -- --ignored query_throughput:: --nocapture`). Prints calls per second; asserts nothing
//! about speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::query_support::*;
use actix::Actor;
use aether365_actors::TenantScope;
use aether365_actors::query::*;
use aether365_actors::testkit;
use aether365_engine::{Framework, Service, Severity, Status};
use chrono::Utc;

const SERVICES: [Service; 6] = [
    Service::EntraId,
    Service::ExchangeOnline,
    Service::SharePoint,
    Service::Teams,
    Service::Defender,
    Service::Purview,
];

fn many_findings(round: usize) -> Vec<aether365_engine::Finding> {
    (0..150)
        .map(|i| {
            finding(
                &format!("CHK-{i:03}"),
                SERVICES[i % SERVICES.len()],
                Severity::ALL[i % 5],
                if (i + round).is_multiple_of(3) {
                    Status::Fail
                } else {
                    Status::Pass
                },
                &[(Framework::Cis, "1.1.1"), (Framework::Nist80053, "AC-2")],
            )
        })
        .collect()
}

async fn measure<F, Fut>(label: &str, concurrency: usize, f: F)
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (f, count) = (f.clone(), count.clone());
        tasks.push(actix::spawn(async move {
            while Instant::now() < deadline {
                f().await;
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "{label}: {:.0} calls/s",
        count.load(Ordering::Relaxed) as f64 / 3.0
    );
}

#[actix::test]
#[ignore = "benchmark, run by hand"]
async fn hot_queries_throughput() {
    for tdb in testkit::databases().await {
        println!("database: {:?}", tdb.backend);
        let names: Vec<String> = (0..5).map(|i| format!("Tenant {i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (org, tenants) = org_with_tenants(&tdb.db, "Bench", &refs).await;
        for t in &tenants {
            for round in 0..20 {
                let at = Utc::now() - chrono::Duration::days(20 - round as i64);
                scan(&tdb.db, org, *t, at, many_findings(round)).await;
            }
        }
        let addr = QueryExecutor::new(tdb.db.clone()).start();
        let p = principal(org, TenantScope::All);
        let (a, pp) = (addr.clone(), p.clone());
        measure("get_posture (5 tenants)", 32, move || {
            let (a, pp) = (a.clone(), pp.clone());
            async move {
                a.send(GetPosture {
                    principal: pp,
                    tenant: None,
                })
                .await
                .unwrap()
                .unwrap();
            }
        })
        .await;
        {
            let config = QueryConfig {
                latest_ttl: Duration::from_secs(1),
            };
            let a = QueryExecutor::with_config(tdb.db.clone(), config).start();
            let pp = p.clone();
            measure("get_posture, latest TTL 1 s", 32, move || {
                let (a, pp) = (a.clone(), pp.clone());
                async move {
                    a.send(GetPosture {
                        principal: pp,
                        tenant: None,
                    })
                    .await
                    .unwrap()
                    .unwrap();
                }
            })
            .await;
        }
        let (a, pp) = (addr.clone(), p.clone());
        measure("list_findings (page of 50)", 32, move || {
            let (a, pp) = (a.clone(), pp.clone());
            async move {
                let query = FindingQuery {
                    tenant: Some("Tenant 1".into()),
                    statuses: vec![],
                    limit: 50,
                    ..Default::default()
                };
                a.send(ListFindings {
                    principal: pp,
                    query,
                })
                .await
                .unwrap()
                .unwrap();
            }
        })
        .await;
    }
}
