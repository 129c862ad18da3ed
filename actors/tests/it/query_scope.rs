//! Query layer on every test database: posture, findings, trend, comparison, reports, and
//! the scope rule (another organisation's or tenant's ids answer like missing ones).

use crate::query_support::*;
use aether365_actors::TenantScope;
use aether365_actors::query::*;
use aether365_actors::scans::ScanKind;
use aether365_actors::testkit;
use chrono::{Duration, Utc};

#[tokio::test]
async fn posture_findings_trend_and_compare() {
    for tdb in testkit::databases().await {
        let db = &tdb.db;
        let (org, tenants) = org_with_tenants(db, "Contoso", &["Contoso HQ", "Contoso Labs"]).await;
        let now = Utc::now();
        let first = scan(
            db,
            org,
            tenants[0],
            now - Duration::days(10),
            baseline(false),
        )
        .await;
        let second = scan(db, org, tenants[0], now - Duration::days(1), baseline(true)).await;
        let exposure = scan_of_kind(db, org, tenants[0], ScanKind::Exposure, now, vec![]).await;
        let svc = QueryService::new(db.clone());
        let all = principal(org, TenantScope::All);

        // Posture: both tenants, the first with a compliance and an exposure scan.
        let posture = svc.posture(&all, None).await.unwrap();
        assert_eq!(posture.tenants.len(), 2);
        let hq = &posture.tenants[0];
        assert_eq!(hq.tenant.display_name, "Contoso HQ");
        assert_eq!(hq.latest.len(), 2);
        assert_eq!(hq.latest[0].scan.id, second);
        assert_eq!(hq.latest[0].previous_scan_id, Some(first));
        assert!(hq.latest[0].score_change.unwrap() < 0.0, "the score fell");
        assert_eq!(hq.latest[1].scan.id, exposure);
        assert_eq!(hq.latest[0].scan.counts.fail, 4);
        assert_eq!(hq.latest[0].scan.failing.critical, 1);
        assert!(
            hq.latest[0]
                .by_framework
                .iter()
                .any(|b| b.name == "CIS-M365-4.0")
        );
        assert!(posture.tenants[1].latest.is_empty());
        // Posture by domain, case-insensitive.
        let one = svc
            .posture(&all, Some("CONTOSO-LABS.example"))
            .await
            .unwrap();
        assert_eq!(one.tenants.len(), 1);
        assert_eq!(one.tenants[0].tenant.id, tenants[1]);

        // Without a name: every tenant in scope, each row naming its tenant.
        let every = svc
            .list_findings(&all, FindingQuery::default())
            .await
            .unwrap();
        assert_eq!(every.scans.len(), 2, "HQ's compliance and exposure scans");
        assert!(!every.findings.is_empty());
        assert!(
            every
                .findings
                .iter()
                .all(|f| f.tenant_id == tenants[0] && f.tenant_name == "Contoso HQ")
        );

        // Findings: failing, most severe first, filters and paging.
        let q = FindingQuery {
            tenant: Some("contoso hq".into()),
            statuses: vec![FindingStatus::Fail],
            ..Default::default()
        };
        let page = svc.list_findings(&all, q.clone()).await.unwrap();
        assert_eq!(page.total, 4);
        let ranks: Vec<&str> = page.findings.iter().map(|f| f.severity.as_str()).collect();
        assert_eq!(ranks, ["critical", "high", "high", "low"]);
        let exo = svc
            .list_findings(
                &all,
                FindingQuery {
                    services: vec!["exchange".into()],
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            exo.findings
                .iter()
                .map(|f| f.check_id.as_str())
                .collect::<Vec<_>>(),
            ["EXO-1", "EXO-3"]
        );
        let scuba = svc
            .list_findings(
                &all,
                FindingQuery {
                    framework: Some("SCuBA".parse().unwrap()),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(scuba.total, 1);
        let cis = svc
            .list_findings(
                &all,
                FindingQuery {
                    framework: Some("CIS-M365-4.0".parse().unwrap()),
                    severities: vec![Severity::High],
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(cis.total, 2);
        let text = svc
            .list_findings(
                &all,
                FindingQuery {
                    text: Some("exo-3".into()),
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(text.total, 1);
        let paged = svc
            .list_findings(
                &all,
                FindingQuery {
                    limit: 3,
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(paged.findings.len(), 3);
        assert_eq!(paged.next_offset, Some(3));
        let rest = svc
            .list_findings(
                &all,
                FindingQuery {
                    limit: 3,
                    offset: 3,
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(rest.findings.len(), 1);
        assert_eq!(rest.next_offset, None);
        let older = svc
            .list_findings(
                &all,
                FindingQuery {
                    scan_id: Some(first),
                    tenant: None,
                    ..q.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(older.total, 3);

        // One finding, with its history across both scans.
        let detail = svc
            .get_finding(
                &all,
                FindingLookup::Check {
                    tenant: Some("Contoso HQ".into()),
                    check_id: "aad-2".into(),
                    scan_id: None,
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(detail.summary.status, FindingStatus::Fail);
        assert_eq!(detail.summary.tenant_name, "Contoso HQ");
        assert_eq!(detail.remediation, "Fix AAD-2");
        assert_eq!(detail.history.len(), 2);
        assert_eq!(detail.history[1].status, FindingStatus::Pass);
        let by_id = svc
            .get_finding(&all, FindingLookup::Id(detail.summary.id), 5)
            .await
            .unwrap();
        assert_eq!(by_id.summary.check_id, "AAD-2");

        // Trend overall and per framework.
        let trend = svc
            .score_trend(
                &all,
                TrendQuery {
                    tenant: Some("Contoso HQ".into()),
                    since: now - Duration::days(30),
                    kind: ScanKind::Compliance,
                    dimension: TrendDimension::Overall,
                },
            )
            .await
            .unwrap();
        assert_eq!(trend.points.len(), 2);
        assert!(trend.change.unwrap() < 0.0);
        // Without a name: a series per tenant in scope, each point naming its tenant.
        let every = svc
            .score_trend(
                &all,
                TrendQuery {
                    tenant: None,
                    since: now - Duration::days(30),
                    kind: ScanKind::Compliance,
                    dimension: TrendDimension::Overall,
                },
            )
            .await
            .unwrap();
        assert_eq!(every.changes.len(), 2);
        assert_eq!(every.change, None, "one change per tenant, none overall");
        assert_eq!(every.changes[0].change, trend.change);
        assert_eq!(every.points, trend.points);
        let by_service = svc
            .score_trend(
                &all,
                TrendQuery {
                    tenant: Some("Contoso HQ".into()),
                    since: now - Duration::days(30),
                    kind: ScanKind::Compliance,
                    dimension: TrendDimension::Service("Entra ID".into()),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            by_service
                .points
                .iter()
                .map(|p| p.score)
                .collect::<Vec<_>>(),
            [Some(50.0), Some(0.0)]
        );

        // Comparison of the two latest compliance scans.
        let cmp = svc
            .compare_scans(
                &all,
                CompareQuery {
                    tenant: Some("Contoso HQ".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(cmp.base.id, first);
        assert_eq!(cmp.head.id, second);
        let ids =
            |v: &Vec<FindingSummary>| v.iter().map(|f| f.check_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&cmp.newly_failing), ["AAD-2", "EXO-1"]);
        assert_eq!(ids(&cmp.resolved), ["EXO-2"]);
        assert_eq!(ids(&cmp.still_failing), ["AAD-1", "EXO-3"]);
        assert_eq!(cmp.newly_failing_by_severity.high, 2);

        // Scans.
        let scans = svc
            .list_scans(
                &all,
                ScanListQuery {
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(scans.scans.len(), 2);
        assert_eq!(scans.scans[0].id, exposure);
        assert!(scans.next_before_id.is_some());
        let latest = svc.latest_scans(&all).await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].id, exposure);
        let detail = svc.get_scan(&all, second).await.unwrap();
        assert_eq!(detail.top_failing.len(), 4);

        // Completions.
        let names = svc
            .complete(&all, CompletionField::Tenant, "contoso l", 10)
            .await
            .unwrap();
        assert_eq!(names, ["Contoso Labs"]);
        let fws = svc
            .complete(&all, CompletionField::Framework, "cis-m", 10)
            .await
            .unwrap();
        assert!(fws.contains(&"CIS-M365-4.0".to_string()), "{fws:?}");
    }
}

/// An exposure finding about `domain`, as the engine writes it (the domain in its evidence).
fn dns_finding(
    check: &str,
    domain: &str,
    status: aether365_engine::Status,
) -> aether365_engine::Finding {
    let mut f = finding(
        check,
        aether365_engine::Service::Dns,
        aether365_engine::Severity::High,
        status,
        &[],
    );
    f.message = format!("{domain}: {check} is {}", status.as_str());
    f.evidence = serde_json::json!({ "domain": domain });
    f
}

#[tokio::test]
async fn exposure_comparisons_key_findings_by_check_and_domain_and_kinds_never_mix() {
    use aether365_engine::Status::{Fail, Pass};
    for tdb in testkit::databases().await {
        let db = &tdb.db;
        let (org, tenants) = org_with_tenants(db, "Fabrikam", &["Fabrikam"]).await;
        let now = Utc::now();
        // One check, two domains: a.example gets fixed while b.example breaks. Keyed by check
        // alone, one result would overwrite the other and the change would vanish.
        let base = scan_of_kind(
            db,
            org,
            tenants[0],
            ScanKind::Exposure,
            now - Duration::days(2),
            vec![
                dns_finding("EXP.SPF.1", "a.example", Fail),
                dns_finding("EXP.SPF.1", "b.example", Pass),
                dns_finding("EXP.DMARC.1", "a.example", Fail),
                dns_finding("EXP.DMARC.1", "b.example", Fail),
            ],
        )
        .await;
        let head = scan_of_kind(
            db,
            org,
            tenants[0],
            ScanKind::Exposure,
            now - Duration::days(1),
            vec![
                dns_finding("EXP.SPF.1", "a.example", Pass),
                dns_finding("EXP.SPF.1", "b.example", Fail),
                dns_finding("EXP.DMARC.1", "a.example", Fail),
                dns_finding("EXP.DMARC.1", "b.example", Pass),
            ],
        )
        .await;
        let compliance = scan(db, org, tenants[0], now, baseline(false)).await;
        let svc = QueryService::new(db.clone());
        let all = principal(org, TenantScope::All);
        let cmp = svc
            .compare_scans(
                &all,
                CompareQuery {
                    base_scan_id: Some(base),
                    head_scan_id: Some(head),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let of = |v: &Vec<FindingSummary>| {
            let mut out: Vec<String> = v.iter().map(|f| f.message.clone()).collect();
            out.sort();
            out
        };
        assert_eq!(of(&cmp.newly_failing), ["b.example: EXP.SPF.1 is fail"]);
        assert_eq!(
            of(&cmp.resolved),
            [
                "a.example: EXP.SPF.1 is pass",
                "b.example: EXP.DMARC.1 is pass"
            ]
        );
        assert_eq!(of(&cmp.still_failing), ["a.example: EXP.DMARC.1 is fail"]);

        // A compliance scan and an exposure scan share no check: refused, either way round.
        for (b, h) in [(base, compliance), (compliance, head)] {
            let err = svc
                .compare_scans(
                    &all,
                    CompareQuery {
                        base_scan_id: Some(b),
                        head_scan_id: Some(h),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err();
            let QueryError::InvalidArgument(text) = err else {
                panic!("{err:?}")
            };
            assert!(text.contains("different kinds"), "{text}");
        }
    }
}

#[tokio::test]
async fn other_organisations_and_tenants_answer_like_missing_ids() {
    for tdb in testkit::databases().await {
        let db = &tdb.db;
        let (a, a_tenants) = org_with_tenants(db, "Fabrikam", &["Fabrikam", "Fabrikam EU"]).await;
        let (b, b_tenants) = org_with_tenants(db, "Fabrikam Ltd", &["Fabrikam"]).await;
        let now = Utc::now();
        let a_scan = scan(db, a, a_tenants[0], now, baseline(false)).await;
        let a_eu_scan = scan(db, a, a_tenants[1], now, baseline(true)).await;
        let b_scan = scan(db, b, b_tenants[0], now, baseline(true)).await;
        let svc = QueryService::new(db.clone());
        let pa = principal(a, TenantScope::All);
        let pb = principal(b, TenantScope::All);
        let pa_eu = principal(a, TenantScope::Only(vec![a_tenants[1]]));

        // Warm the cache with every scan, so the cached path is checked too.
        for (p, id) in [(&pa, a_scan), (&pa, a_eu_scan), (&pb, b_scan)] {
            svc.get_scan(p, id).await.unwrap();
        }
        for (p, id) in [
            (&pb, a_scan),
            (&pa, b_scan),
            (&pa_eu, a_scan),
            (&pa, 999_999),
        ] {
            let err = svc.get_scan(p, id).await.unwrap_err();
            assert!(
                matches!(err, QueryError::NotFound(ref m) if m == &format!("scan {id}")),
                "{err}"
            );
            let err = svc
                .list_findings(
                    p,
                    FindingQuery {
                        scan_id: Some(id),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(err, QueryError::NotFound(_)), "{err}");
        }
        // Tenant ids of another organisation answer like unknown ones.
        let err = svc
            .resolve_tenant(&pa, Some(&b_tenants[0].to_string()))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("tenant \"{}\" not found", b_tenants[0])
        );
        // The name "Fabrikam" resolves within each organisation.
        assert_eq!(
            svc.resolve_tenant(&pb, Some("fabrikam")).await.unwrap().id,
            b_tenants[0]
        );
        assert_eq!(
            svc.resolve_tenant(&pa, Some("fabrikam")).await.unwrap().id,
            a_tenants[0]
        );
        // A scoped token sees only its tenant, and uses it by default.
        assert_eq!(svc.list_tenants(&pa_eu).await.unwrap().len(), 1);
        let page = svc
            .list_findings(&pa_eu, FindingQuery::default())
            .await
            .unwrap();
        assert!(page.findings.iter().all(|f| f.scan_id == a_eu_scan));
        // A token over the whole organisation reads both of its tenants by default, never
        // another organisation's.
        let both = svc
            .list_findings(
                &pa,
                FindingQuery {
                    statuses: Vec::new(),
                    limit: 200,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut seen: Vec<i64> = both.findings.iter().map(|f| f.tenant_id).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, [a_tenants[0], a_tenants[1]]);
        let trend = svc
            .score_trend(
                &pa_eu,
                TrendQuery {
                    tenant: None,
                    since: now - Duration::days(30),
                    kind: ScanKind::Compliance,
                    dimension: TrendDimension::Overall,
                },
            )
            .await
            .unwrap();
        assert!(trend.points.iter().all(|p| p.tenant_id == a_tenants[1]));
        assert_eq!(trend.changes.len(), 1);
        assert!(matches!(
            svc.resolve_tenant(&pa_eu, Some("Fabrikam")).await,
            Err(QueryError::NotFound(_))
        ));
        let posture = svc.posture(&pa_eu, None).await.unwrap();
        assert_eq!(posture.tenants.len(), 1);
        // Findings by id across organisations.
        let b_finding = svc
            .list_findings(&pb, FindingQuery::default())
            .await
            .unwrap()
            .findings[0]
            .id;
        assert!(matches!(
            svc.get_finding(&pa, FindingLookup::Id(b_finding), 5).await,
            Err(QueryError::NotFound(_))
        ));
        // Completions stay inside.
        let scans = svc
            .complete(&pa_eu, CompletionField::Scan, "", 100)
            .await
            .unwrap();
        assert_eq!(scans, [a_eu_scan.to_string()]);
        // Reports: a scoped token's multi-tenant report is its own; tenant reports follow scope.
        let report = svc
            .save_report(
                &pa,
                NewReport {
                    tenant_id: Some(a_tenants[0]),
                    audience: "board".into(),
                    framework: None,
                    title: "t".into(),
                    markdown: "# t".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            svc.get_report(&pa, report.id).await.unwrap().markdown,
            "# t"
        );
        assert!(matches!(
            svc.get_report(&pb, report.id).await,
            Err(QueryError::NotFound(_))
        ));
        assert!(matches!(
            svc.get_report(&pa_eu, report.id).await,
            Err(QueryError::NotFound(_))
        ));
        assert!(svc.list_reports(&pa_eu, 10).await.unwrap().is_empty());
        assert_eq!(svc.list_reports(&pa, 10).await.unwrap().len(), 1);
        let err = svc
            .save_report(
                &pa_eu,
                NewReport {
                    tenant_id: Some(a_tenants[0]),
                    audience: "board".into(),
                    framework: None,
                    title: "t".into(),
                    markdown: "# t".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, QueryError::NotFound(_)));
    }
}

#[actix::test]
async fn executor_answers_messages() {
    use actix::Actor;
    for tdb in testkit::databases().await {
        let (org, tenants) = org_with_tenants(&tdb.db, "Northwind", &["Northwind"]).await;
        scan(&tdb.db, org, tenants[0], Utc::now(), baseline(false)).await;
        let addr = QueryExecutor::new(tdb.db.clone()).start();
        let p = principal(org, TenantScope::All);
        let posture = addr
            .send(GetPosture {
                principal: p.clone(),
                tenant: None,
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(posture.tenants[0].latest.len(), 1);
        let err = addr
            .send(GetScan {
                principal: principal(org + 1, TenantScope::All),
                scan_id: posture.tenants[0].latest[0].scan.id,
            })
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, QueryError::NotFound(_)));
    }
}
