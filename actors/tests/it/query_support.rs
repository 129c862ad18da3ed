//! Data builders shared by the query-layer tests: real rows through the directory and
//! `persist_completed_scan`, over engine findings.

use aether365_actors::directory::{self, NewTenant};
use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
use aether365_actors::{Principal, TenantScope};
use aether365_engine::{Finding, Framework, FrameworkRef, Remediation, Service, Severity, Status};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

/// One engine finding.
pub fn finding(
    check_id: &str,
    service: Service,
    severity: Severity,
    status: Status,
    frameworks: &[(Framework, &str)],
) -> Finding {
    Finding {
        check_id: check_id.to_string(),
        title: format!("Title of {check_id}"),
        service,
        severity,
        status,
        message: format!("{check_id} is {}", status.as_str()),
        evidence: serde_json::json!({ "check": check_id }),
        subjects: Vec::new(),
        rationale: format!("Why {check_id} matters"),
        remediation: Remediation {
            steps: format!("Fix {check_id}"),
            url: "https://learn.microsoft.com/".to_string(),
        },
        frameworks: frameworks
            .iter()
            .map(|(fw, id)| FrameworkRef {
                framework: *fw,
                id: id.to_string(),
                version: match fw {
                    Framework::Cis => "4.0.0".to_string(),
                    Framework::Scuba => "1.8.0".to_string(),
                    Framework::Nist80053 => "Rev. 5".to_string(),
                    Framework::Iso27001 => "2022".to_string(),
                },
            })
            .collect(),
    }
}

/// Stores a completed compliance scan finished at `finished_at`.
pub async fn scan(
    db: &DatabaseConnection,
    org: i64,
    tenant: i64,
    finished_at: DateTime<Utc>,
    findings: Vec<Finding>,
) -> i64 {
    scan_of_kind(db, org, tenant, ScanKind::Compliance, finished_at, findings).await
}

/// Stores a completed scan of `kind`.
pub async fn scan_of_kind(
    db: &DatabaseConnection,
    org: i64,
    tenant: i64,
    kind: ScanKind,
    finished_at: DateTime<Utc>,
    findings: Vec<Finding>,
) -> i64 {
    persist_completed_scan(
        db,
        CompletedScan {
            organisation_id: org,
            tenant_id: tenant,
            kind,
            origin: ScanOrigin::Cli,
            snapshot_id: None,
            input: None,
            findings,
            started_at: finished_at - Duration::seconds(30),
            finished_at,
        },
    )
    .await
    .expect("scan stored")
}

/// An organisation with tenants named `names` (domain `<name>.example`).
pub async fn org_with_tenants(
    db: &DatabaseConnection,
    org: &str,
    names: &[&str],
) -> (i64, Vec<i64>) {
    let o = directory::create_organisation(db, org)
        .await
        .expect("organisation");
    let mut ids = Vec::new();
    for name in names {
        let domain = format!("{}.example", name.to_lowercase().replace(' ', "-"));
        let t = directory::add_tenant(
            db,
            o.id,
            NewTenant {
                display_name: name.to_string(),
                microsoft_tenant_id: None,
                domains: vec![
                    domain,
                    format!("{}.onmicrosoft.com", name.to_lowercase().replace(' ', "")),
                ],
            },
        )
        .await
        .expect("tenant");
        ids.push(t.id);
    }
    (o.id, ids)
}

/// A principal of `org` with `scope`.
pub fn principal(org: i64, scope: TenantScope) -> Principal {
    Principal {
        organisation_id: org,
        token_id: 1000 + org,
        token_label: format!("token of {org}"),
        tenant_scope: scope,
    }
}

/// A fixed baseline of findings; `worse` turns two passing checks into failures and fixes one.
pub fn baseline(worse: bool) -> Vec<Finding> {
    use Framework::*;
    let (a, b, c) = if worse {
        (Status::Fail, Status::Fail, Status::Pass)
    } else {
        (Status::Pass, Status::Pass, Status::Fail)
    };
    vec![
        finding(
            "AAD-1",
            Service::EntraId,
            Severity::Critical,
            Status::Fail,
            &[
                (Cis, "1.1.1"),
                (Scuba, "MS.AAD.1.1v1"),
                (Nist80053, "IA-2(1)"),
            ],
        ),
        finding(
            "AAD-2",
            Service::EntraId,
            Severity::High,
            a,
            &[(Cis, "1.1.2")],
        ),
        finding(
            "EXO-1",
            Service::ExchangeOnline,
            Severity::High,
            b,
            &[(Cis, "6.1.1"), (Iso27001, "A.8.5")],
        ),
        finding(
            "EXO-2",
            Service::ExchangeOnline,
            Severity::Medium,
            c,
            &[(Scuba, "MS.EXO.2.1v1")],
        ),
        finding(
            "EXO-3",
            Service::ExchangeOnline,
            Severity::Low,
            Status::Fail,
            &[(Cis, "6.2.1")],
        ),
        finding(
            "SPO-1",
            Service::SharePoint,
            Severity::Medium,
            Status::Pass,
            &[(Cis, "7.2.1")],
        ),
        finding(
            "TEAMS-1",
            Service::Teams,
            Severity::Info,
            Status::Manual,
            &[],
        ),
    ]
}
