//! The collector against the stand-in over loopback HTTP: the bundled export collected back,
//! every documented fault's outcome with the other services intact, certificate credentials,
//! admin consent, and proof that only reads were sent.

use std::time::Duration;

use aether365_collector::{
    AppCredential, AssertionAlgorithm, CollectedService, Collection, Collector, CollectorConfig,
    EndpointKind, Endpoints, Remedy, ServiceOutcome, ServiceStatus, TenantTarget,
};
use m365_standin::{Fault, FaultKind, RecordedRequest, StandIn, StandInConfig};
use serde_json::{Value, json};

const KEY: &str = include_str!("../../../standin/testdata/app-key.pem");
const CERT: &str = include_str!("../../../standin/testdata/app-cert.pem");
const OTHER_KEY: &str = include_str!("../../../standin/testdata/other-key.pem");
const OTHER_CERT: &str = include_str!("../../../standin/testdata/other-cert.pem");
const PFX: &[u8] = include_bytes!("../../../standin/testdata/app.pfx");

fn export() -> Value {
    StandInConfig::bundled().unwrap().export
}

fn start(certificate: bool) -> StandIn {
    let mut config = StandInConfig::bundled().unwrap();
    if certificate {
        config.certificate_pem = Some(CERT.to_string());
    }
    StandIn::start(config).unwrap()
}

fn config(s: &StandIn, credential: AppCredential) -> CollectorConfig {
    let mut c = CollectorConfig::new(s.endpoints(), s.client_id(), credential);
    c.timeout = Duration::from_secs(5);
    c.max_attempts = 3;
    c.retry.base_delay = Duration::from_millis(20);
    c
}

fn secret() -> AppCredential {
    AppCredential::client_secret(m365_standin::DEFAULT_CLIENT_SECRET).unwrap()
}

fn target(s: &StandIn) -> TenantTarget {
    TenantTarget {
        microsoft_tenant_id: s.tenant_id().to_string(),
        initial_domain: s.initial_domain().to_string(),
    }
}

async fn collect(s: &StandIn, config: CollectorConfig) -> Collection {
    let collector = Collector::new(config).unwrap();
    collector.collect(&target(s), |_| {}).await
}

fn outcome(c: &Collection, service: CollectedService) -> &ServiceOutcome {
    c.services.iter().find(|o| o.service == service).unwrap()
}

/// Keys this crate produces (Entra's are checked by the Entra round-trip test).
const KEYS: &[&str] = &[
    // Exchange Online
    "remote_domains",
    "accepted_domains",
    "dkim_config",
    "transport_config",
    "sharing_policy",
    "transport_rule",
    "conn_filter",
    "org_config",
    "inbound_connectors",
    "outbound_connectors",
    "intra_org_connectors",
    "org_relationships",
    // Defender and Purview
    "protection_policy_rules",
    "atp_policy_rules",
    "dlp_compliance_policies",
    "dlp_compliance_rules",
    "anti_phish_policies",
    "protection_alerts",
    "admin_audit_log_config",
    "atp_policy_for_o365",
    "defender_license",
    "defender_dlp_license",
    // SharePoint
    "SPO_tenant",
    "OneDrive_PnP_Flag",
    // Power Platform
    "tenant_id",
    "environment_creation",
    "dlp_policies",
    "tenant_isolation",
    "environment_list",
];

/// Every request the stand-in saw was a read: GET, a token request, `InvokeCommand` of a
/// `Get-*` cmdlet, or Power Platform's `listTenantSettings`.
fn assert_reads_only(requests: &[RecordedRequest]) {
    assert!(!requests.is_empty());
    for r in requests {
        let ok = match r.method.as_str() {
            "GET" => true,
            "POST" => {
                r.path.ends_with("/oauth2/v2.0/token")
                    || (r.path.ends_with("/InvokeCommand")
                        && r.cmdlet.as_deref().is_some_and(|c| c.starts_with("Get-")))
                    || r.path
                        .ends_with("/providers/Microsoft.BusinessAppPlatform/listTenantSettings")
            }
            _ => false,
        };
        assert!(ok, "a non-read request was sent: {r:?}");
    }
}

/// The cmdlets of the snapshot's `aether365` section, in the order the collector records them.
const OWN_CMDLETS: [&str; 17] = [
    "Get-MalwareFilterPolicy",
    "Get-HostedOutboundSpamFilterPolicy",
    "Get-HostedContentFilterPolicy",
    // The Security Suite baseline's rules (ScubaGear's main branch).
    "Get-MalwareFilterRule",
    "Get-HostedContentFilterRule",
    "Get-AntiPhishRule",
    // CIS v7.0.0 settings (cis-exchange).
    "Get-OwaMailboxPolicy",
    "Get-ExternalInOutlook",
    "Get-MailboxAuditBypassAssociation",
    "Get-RoleAssignmentPolicy",
    "Get-EmailTenantSettings",
    "Get-TeamsProtectionPolicy",
    // The Security Suite baseline's Defender for Office 365 policies and rules.
    "Get-SafeAttachmentPolicy",
    "Get-SafeAttachmentRule",
    "Get-ATPBuiltInProtectionRule",
    "Get-SafeLinksPolicy",
    "Get-SafeLinksRule",
];

/// The Microsoft Graph reads of the snapshot's `aether365` section (recorded after
/// ScubaGear's commands in `aad_successful_commands`), in the order the collector records them.
const OWN_GRAPH_COMMANDS: [&str; 12] = [
    "Get-MgPolicyActivityBasedTimeoutPolicy",
    "Get-MgBetaAdminAppsAndServices",
    "Get-MgBetaAdminForms",
    "Get-MgDeviceManagement",
    "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
    "Get-MgPolicyDeviceRegistrationPolicy",
    "Get-MgBetaPolicyB2BManagementPolicy",
    "Get-MgIdentityConditionalAccessNamedLocation",
    "Get-MgIdentityGovernanceAccessReviewDefinition",
    "Get-MgPolicyDefaultAppManagementPolicy",
    "Get-MgPolicyAppManagementPolicy",
    "Get-MgServicePrincipal -Filter appId eq 'c1f33bc0-bdb4-4248-ba9b-096807ddb43e'",
];

/// The `aether365` section a live collection of the stand-in tenant gives: its Exchange Online
/// Protection policies, its CIS settings (Exchange, Graph) and its Fabric tenant settings.
fn own_section() -> Value {
    let mut own = m365_standin::exchange_protection().clone();
    for part in [m365_standin::exchange_cis(), m365_standin::entra_settings()] {
        for (k, v) in part.as_object().unwrap() {
            if k != "version" {
                own[k] = v.clone();
            }
        }
    }
    own["fabric_tenant_settings"] =
        m365_standin::fabric_settings()["fabric_tenant_settings"].clone();
    // An empty answer is recorded as ScubaGear records it, `[null]`.
    for (k, v) in m365_standin::security_suite().as_object().unwrap() {
        own[k] = if v.as_array().is_some_and(Vec::is_empty) {
            json!([null])
        } else {
            v.clone()
        };
    }
    own
}

#[tokio::test]
async fn the_bundled_export_comes_back() {
    let s = start(false);
    let seen = std::sync::Mutex::new(Vec::new());
    let collector = Collector::new(config(&s, secret())).unwrap();
    let c = collector
        .collect(&target(&s), |o| seen.lock().unwrap().push(o.service))
        .await;
    assert_eq!(seen.lock().unwrap().len(), 7, "on_service once per service");

    for o in &c.services {
        let want = if o.service == CollectedService::Teams {
            ServiceStatus::NotCollected
        } else {
            ServiceStatus::Collected
        };
        assert_eq!(o.status, want, "{o:?}");
        if o.service != CollectedService::Teams {
            assert!(o.requests > 0, "{o:?}");
        }
    }

    let fixture = export();
    for key in KEYS {
        assert_eq!(
            c.snapshot.get(*key),
            fixture.get(*key),
            "section {key} differs from the export"
        );
    }
    // Command lists: the export's, less the DNS records (the lead's) and, for the security
    // suite, the cmdlets whose data lands in no section of this export version.
    let list = |v: &Value, k: &str| -> Vec<String> {
        serde_json::from_value(v.get(k).cloned().unwrap_or(json!([]))).unwrap()
    };
    let mut exo = list(&fixture, "exo_successful_commands");
    exo.retain(|c| !c.starts_with("Get-Scuba"));
    // Then the cmdlets of our own section, which ScubaGear does not run.
    exo.extend(OWN_CMDLETS.iter().map(|c| c.to_string()));
    // And the per-object reads of mailboxes (per_object.rs), last.
    exo.extend(
        [
            "Get-Mailbox -RecipientTypeDetails SharedMailbox",
            "Get-Mailbox -RecipientTypeDetails UserMailbox",
        ]
        .map(String::from),
    );
    assert_eq!(list(&c.snapshot, "exo_successful_commands"), exo);
    // Their answers are in the `aether365` section, versioned, as the stand-in serves them,
    // beside the Fabric tenant settings the Power BI service reads (every page of them) and the
    // per-object summaries (tested in per_object.rs).
    let mut own = c.snapshot["aether365"].clone();
    for key in [
        "privileged_user_licences",
        "unified_group_visibility",
        "member_mfa_capability",
        "shared_mailbox_sign_in",
        "mailbox_audit_actions",
    ] {
        assert!(own.as_object_mut().unwrap().remove(key).is_some(), "{key}");
    }
    assert_eq!(own, own_section());
    assert_eq!(
        list(&c.snapshot, "powerbi_successful_commands"),
        [aether365_collector::FABRIC_COMMAND]
    );
    assert_eq!(c.snapshot["powerbi_unsuccessful_commands"], json!([]));
    for k in [
        "SharePoint_successful_commands",
        "powerplatform_successful_commands",
    ] {
        let mut want = list(&fixture, k);
        let mut got = list(&c.snapshot, k);
        want.sort();
        got.sort();
        assert_eq!(got, want, "{k}");
    }
    let suite = list(&fixture, "securitysuite_successful_commands");
    let mut got = list(&c.snapshot, "securitysuite_successful_commands");
    // Get-LabelPolicy (CIS 3.3.1) and Get-UnifiedAuditLogRetentionPolicy (the Security Suite
    // baseline) fill our own section; ScubaGear 1.8.0 runs neither.
    assert_eq!(
        got.pop().as_deref(),
        Some("Get-UnifiedAuditLogRetentionPolicy")
    );
    assert_eq!(got.pop().as_deref(), Some("Get-LabelPolicy"));
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|g| suite.contains(g)), "{got:?}");
    for k in [
        "exo_unsuccessful_commands",
        "securitysuite_unsuccessful_commands",
        "SharePoint_unsuccessful_commands",
        "powerplatform_unsuccessful_commands",
        "aad_unsuccessful_commands",
    ] {
        assert_eq!(c.snapshot[k], json!([]), "{k}");
    }
    // Entra: the Entra helper's sections are there and its commands all succeeded.
    assert!(c.snapshot.get("conditional_access_policies").is_some());
    let aad = list(&fixture, "aad_successful_commands");
    let mut got = list(&c.snapshot, "aad_successful_commands");
    // Less the per-object reads ScubaGear does not make (per_object.rs).
    got.retain(|g| {
        !g.starts_with("Get-MgUser -")
            && !g.starts_with("Get-MgGroup -")
            && !g.starts_with("Get-MgReport")
    });
    // Ours last, after ScubaGear's.
    let ours = got.split_off(got.len() - OWN_GRAPH_COMMANDS.len());
    assert_eq!(ours, OWN_GRAPH_COMMANDS);
    assert!(
        !got.is_empty() && got.iter().all(|g| aad.contains(g)),
        "{got:?}"
    );

    // Teams: not collected (the stand-in tenant has no TCM snapshot job: teams_tcm.rs), and
    // says why.
    let teams = outcome(&c, CollectedService::Teams);
    assert!(
        teams
            .reason
            .as_deref()
            .unwrap()
            .contains("no Tenant Configuration Management snapshot job exists")
    );
    assert_eq!(
        list(&c.snapshot, "teams_unsuccessful_commands"),
        list(&fixture, "teams_successful_commands")
    );
    assert!(c.snapshot.get("meeting_policies").is_none());

    // Ours, and the export's own keys.
    let meta = &c.snapshot["aether365_collection"];
    assert_eq!(meta["services"].as_array().unwrap().len(), 7);
    assert!(meta["command_errors"]["Get-CsTenant"].is_string());
    assert!(
        c.snapshot["module_version"]
            .as_str()
            .unwrap()
            .starts_with("aether365-collector ")
    );
    for k in ["spf_records", "dkim_records", "dmarc_records"] {
        assert!(c.snapshot.get(k).is_none(), "{k} is the lead's (DNS)");
    }
    aether365_engine::Snapshot::from_value(c.snapshot.clone()).unwrap();

    // Paging really happened, and nothing but reads was sent.
    let requests = s.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.starts_with("/scc/") && r.query.contains("$skiptoken")),
        "InvokeCommand paging"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.path.starts_with("/graph/") && r.query.contains("$skiptoken")),
        "Graph paging"
    );
    assert_reads_only(&requests);
    // Tokens were cached: one per resource (graph, exo, scc, spo, bap, fabric).
    let tokens = requests
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(tokens, 6, "one token per resource");
}

#[tokio::test]
async fn forbidden_on_security_and_compliance_drops_purview_only() {
    let s = start(false);
    s.set_fault(Fault::on("/scc", FaultKind::Forbidden));
    let c = collect(&s, config(&s, secret())).await;
    let suite = outcome(&c, CollectedService::Defender);
    assert_eq!(suite.status, ServiceStatus::Partial);
    let failed: Vec<&str> = suite
        .commands_failed
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "Get-DlpCompliancePolicy",
            "Get-ProtectionAlert",
            "Get-DlpComplianceRule",
            "Get-LabelPolicy",
            "Get-UnifiedAuditLogRetentionPolicy"
        ]
    );
    for (_, reason) in &suite.commands_failed {
        assert!(
            reason.starts_with("403 Forbidden: Exchange.ManageAsApp"),
            "{reason}"
        );
    }
    for k in [
        "dlp_compliance_policies",
        "dlp_compliance_rules",
        "protection_alerts",
        "defender_dlp_license",
    ] {
        assert!(c.snapshot.get(k).is_none(), "{k} should be absent");
    }
    assert_eq!(
        c.snapshot["securitysuite_unsuccessful_commands"],
        json!([
            "Get-DlpCompliancePolicy",
            "Get-ProtectionAlert",
            "Get-DlpComplianceRule",
            "Get-LabelPolicy",
            "Get-UnifiedAuditLogRetentionPolicy"
        ])
    );
    assert!(
        c.snapshot["aether365_collection"]["command_errors"]["Get-ProtectionAlert"]
            .as_str()
            .unwrap()
            .contains("not granted")
    );
    // Defender's Exchange side and every other service are intact.
    assert_eq!(
        c.snapshot["anti_phish_policies"],
        export()["anti_phish_policies"]
    );
    for service in [
        CollectedService::Exchange,
        CollectedService::SharePoint,
        CollectedService::PowerPlatform,
        CollectedService::Entra,
    ] {
        assert_eq!(
            outcome(&c, service).status,
            ServiceStatus::Collected,
            "{service:?}"
        );
    }
}

#[tokio::test]
async fn throttled_twice_then_answered() {
    let s = start(false);
    s.set_fault(
        Fault::on(
            "/exo",
            FaultKind::Throttle {
                retry_after_secs: 1,
            },
        )
        .times(2),
    );
    let started = std::time::Instant::now();
    let c = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&c, CollectedService::Exchange).status,
        ServiceStatus::Collected
    );
    assert_eq!(
        outcome(&c, CollectedService::Defender).status,
        ServiceStatus::Collected
    );
    let throttled = s.requests().iter().filter(|r| r.status == 429).count();
    assert_eq!(throttled, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(c.snapshot["transport_rule"], export()["transport_rule"]);
}

#[tokio::test]
async fn throttled_for_ever_gives_up_with_a_reason() {
    let s = start(false);
    s.set_fault(Fault::on(
        "/spo",
        FaultKind::Throttle {
            retry_after_secs: 0,
        },
    ));
    let c = collect(&s, config(&s, secret())).await;
    let spo = outcome(&c, CollectedService::SharePoint);
    assert_eq!(spo.status, ServiceStatus::Failed);
    assert!(
        spo.reason
            .as_deref()
            .unwrap()
            .contains("throttled (429) 3 times, gave up"),
        "{spo:?}"
    );
    assert!(c.snapshot.get("SPO_tenant").is_none());
    assert_eq!(
        c.snapshot["SharePoint_unsuccessful_commands"],
        json!(["Get-SPOTenantRest"])
    );
    assert_eq!(
        outcome(&c, CollectedService::Exchange).status,
        ServiceStatus::Collected
    );
}

#[tokio::test]
async fn unavailable_then_answered() {
    let s = start(false);
    s.set_fault(
        Fault::on(
            "/bap",
            FaultKind::Unavailable {
                retry_after_secs: None,
            },
        )
        .times(2),
    );
    let c = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&c, CollectedService::PowerPlatform).status,
        ServiceStatus::Collected
    );
    assert_eq!(s.requests().iter().filter(|r| r.status == 503).count(), 2);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let s = start(false);
    s.set_fault(Fault::on(
        "/bap/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments",
        FaultKind::Slow { delay_ms: 2500 },
    ));
    let mut cfg = config(&s, secret());
    cfg.timeout = Duration::from_secs(1);
    let c = collect(&s, cfg).await;
    let pp = outcome(&c, CollectedService::PowerPlatform);
    assert_eq!(pp.status, ServiceStatus::Partial);
    let (cmd, reason) = &pp.commands_failed[0];
    assert_eq!(cmd, "Get-PowerPlatformEnvironmentsRest");
    assert!(reason.starts_with("timed out after 1 s"), "{reason}");
    assert!(c.snapshot.get("environment_list").is_none());
    assert_eq!(
        c.snapshot["environment_creation"],
        export()["environment_creation"]
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed() {
    let s = start(false);
    s.set_fault(Fault::on("/spo", FaultKind::TokenExpired).times(1));
    let c = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&c, CollectedService::SharePoint).status,
        ServiceStatus::Collected
    );
    let spo: Vec<u16> = s
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/spo"))
        .map(|r| r.status)
        .collect();
    assert_eq!(spo, [401, 200]);
    let tokens = s
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(
        tokens, 7,
        "six resources (Fabric's included) and one refresh"
    );
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_before_expiry() {
    let mut config_ = StandInConfig::bundled().unwrap();
    config_.token_lifetime = Duration::from_secs(2);
    let s = StandIn::start(config_).unwrap();
    let collector = Collector::new(config(&s, secret())).unwrap();
    let t = target(&s);
    let first = collector.collect(&t, |_| {}).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = collector.collect(&t, |_| {}).await;
    for c in [&first, &second] {
        assert_eq!(
            outcome(c, CollectedService::Exchange).status,
            ServiceStatus::Collected
        );
    }
    assert!(
        s.requests().iter().all(|r| r.status != 401),
        "no request with an expired token"
    );
}

#[tokio::test]
async fn malformed_json_is_reported() {
    let s = start(false);
    s.set_fault(Fault::on("/exo", FaultKind::Malformed).cmdlet("Get-TransportRule"));
    let c = collect(&s, config(&s, secret())).await;
    let exo = outcome(&c, CollectedService::Exchange);
    assert_eq!(exo.status, ServiceStatus::Partial);
    assert_eq!(exo.commands_failed.len(), 1);
    assert!(
        exo.commands_failed[0]
            .1
            .starts_with("malformed JSON from Get-TransportRule"),
        "{:?}",
        exo.commands_failed
    );
    assert!(c.snapshot.get("transport_rule").is_none());
    assert_eq!(c.snapshot["remote_domains"], export()["remote_domains"]);
}

#[tokio::test]
async fn a_lying_answer_about_another_tenant_is_refused() {
    let s = start(false);
    s.set_fault(Fault::on(
        "/graph/beta/organization",
        FaultKind::WrongTenant {
            tenant_id: "00000000-0000-0000-0000-00000000dead".into(),
        },
    ));
    let c = collect(&s, config(&s, secret())).await;
    let pp = outcome(&c, CollectedService::PowerPlatform);
    let (cmd, reason) = &pp.commands_failed[0];
    assert_eq!(cmd, "Get-MgBetaOrganization");
    assert!(
        reason.contains("00000000-0000-0000-0000-00000000dead"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_wrong_secret_fails_every_service_with_the_aadsts_reason() {
    let s = start(false);
    let c = collect(
        &s,
        config(&s, AppCredential::client_secret("wrong").unwrap()),
    )
    .await;
    for o in &c.services {
        if o.service == CollectedService::Teams {
            continue;
        }
        assert_eq!(o.status, ServiceStatus::Failed, "{o:?}");
        assert!(
            o.reason
                .as_deref()
                .unwrap()
                .contains("invalid client secret"),
            "{o:?}"
        );
    }
    let requests = s.requests();
    assert_reads_only(&requests);
    let token_requests = requests
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(
        token_requests, 6,
        "a refusal is remembered: one request per resource"
    );
}

#[tokio::test]
async fn certificate_credentials_pem_and_pfx_ps256_and_rs256() {
    let s = start(true);
    let pem = AppCredential::from_pem(KEY, CERT).unwrap();
    let AppCredential::Certificate(cert) = pem.clone() else {
        panic!("certificate expected")
    };
    let rs256 = AppCredential::Certificate(cert.with_algorithm(AssertionAlgorithm::Rs256));
    let pfx = AppCredential::from_pkcs12(PFX, "test-password").unwrap();
    for credential in [pem, rs256, pfx] {
        let collector = Collector::new(config(&s, credential)).unwrap();
        let probes = collector.test_connection(&target(&s)).await;
        let exo = probes
            .iter()
            .find(|p| p.service == CollectedService::Exchange)
            .unwrap();
        assert!(exo.ok, "{exo:?}");
        assert!(
            probes
                .iter()
                .filter(|p| p.service != CollectedService::Teams)
                .all(|p| p.ok),
            "{probes:?}"
        );
    }
    // A key whose certificate the application does not have.
    let other = AppCredential::from_pem(OTHER_KEY, OTHER_CERT).unwrap();
    let collector = Collector::new(config(&s, other)).unwrap();
    let probes = collector.test_connection(&target(&s)).await;
    let exo = probes
        .iter()
        .find(|p| p.service == CollectedService::Exchange)
        .unwrap();
    assert!(!exo.ok);
    assert!(exo.detail.contains("AADSTS700027"), "{exo:?}");
}

#[tokio::test]
async fn test_connection_names_the_missing_permission() {
    let s = start(false);
    s.set_fault(Fault::on(
        "/graph/beta/identity/conditionalAccess",
        FaultKind::Forbidden,
    ));
    let collector = Collector::new(config(&s, secret())).unwrap();
    let probes = collector.test_connection(&target(&s)).await;
    let ca = probes
        .iter()
        .find(|p| p.endpoint.contains("conditionalAccess"))
        .unwrap();
    assert!(!ca.ok);
    assert!(
        ca.detail
            .starts_with("403 Forbidden: Policy.Read.All not granted"),
        "{ca:?}"
    );
    let teams = probes
        .iter()
        .find(|p| p.service == CollectedService::Teams)
        .unwrap();
    // Listing the TCM snapshot jobs answers (an empty list), whatever Graph refuses elsewhere.
    assert!(teams.ok, "{teams:?}");
}

#[tokio::test]
async fn admin_consent_round_trip_and_declined() {
    let s = start(false);
    let collector = Collector::new(config(&s, secret())).unwrap();
    let url = collector.admin_consent_url(None, "https://app.example/callback", "st8");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let back = url::Url::parse(&location).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["admin_consent"], "True");
    assert_eq!(q["tenant"], s.tenant_id());
    assert_eq!(q["state"], "st8");

    s.set_fault(Fault {
        kind: FaultKind::ConsentDeclined,
        target: Default::default(),
        times: Some(1),
    });
    let resp = http.get(url).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let back = url::Url::parse(&location).unwrap();
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st8");
}

#[tokio::test]
async fn tenant_info_over_http() {
    let s = start(false);
    let collector = Collector::new(config(&s, secret())).unwrap();
    let info = collector.tenant_info(s.tenant_id()).await.unwrap();
    assert_eq!(info.initial_domain, s.initial_domain());
}

#[tokio::test]
async fn requests_in_flight_are_bounded_per_tenant() {
    // Power Platform sends four requests; each answer takes 250 ms. With one request in flight
    // per tenant they cannot overlap.
    let s = start(false);
    s.set_fault(Fault::on("/bap", FaultKind::Slow { delay_ms: 250 }));
    let mut cfg = config(&s, secret());
    cfg.max_in_flight = 1;
    let collector = Collector::new(cfg).unwrap();
    let started = std::time::Instant::now();
    let c = collector.collect(&target(&s), |_| {}).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        outcome(&c, CollectedService::PowerPlatform).status,
        ServiceStatus::Collected
    );
}

#[tokio::test]
async fn an_unlicensed_tenant_is_recorded_like_scubagear() {
    // Without Defender for Office 365 and DLP licences the ATP and DLP cmdlets do not exist:
    // ScubaGear records them as successful with empty sections and the licence flags false.
    let mut cfg = StandInConfig::bundled().unwrap();
    cfg.export["defender_license"] = json!(false);
    cfg.export["defender_dlp_license"] = json!(false);
    let s = StandIn::start(cfg).unwrap();
    let c = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&c, CollectedService::Defender).status,
        ServiceStatus::Collected
    );
    assert_eq!(c.snapshot["defender_license"], json!(false));
    assert_eq!(c.snapshot["defender_dlp_license"], json!(false));
    for k in [
        "atp_policy_for_o365",
        "atp_policy_rules",
        "dlp_compliance_policies",
        "protection_alerts",
    ] {
        assert_eq!(c.snapshot[k], json!([]), "{k}");
    }
    assert_eq!(
        c.snapshot["anti_phish_policies"],
        export()["anti_phish_policies"]
    );
    // The Security Suite's Defender for Office 365 and audit retention cmdlets do not exist
    // either: recorded as successful reads of nothing.
    for k in [
        "safe_attachment_policies",
        "safe_attachment_rules",
        "built_in_protection_rules",
        "safe_links_policies",
        "safe_links_rules",
        "unified_audit_log_retention_policies",
    ] {
        assert_eq!(c.snapshot["aether365"][k], json!([]), "{k}");
    }
    assert_eq!(c.snapshot["exo_unsuccessful_commands"], json!([]));
}

/// Issue 21, section 2: the Security Suite's rules are read, and a refused read fails only
/// the checks that need it, naming the cmdlet.
#[tokio::test]
async fn a_refused_security_suite_read_fails_only_its_checks() {
    use aether365_engine::{Snapshot, Status, compliance_checks};
    let verdicts = |snap: &Value| {
        let snap = Snapshot::from_value(snap.clone()).unwrap();
        compliance_checks()
            .iter()
            .map(|c| (c.id, c.evaluate(&snap)))
            .collect::<Vec<_>>()
    };
    let s = start(false);
    let whole = collect(&s, config(&s, secret())).await;
    for (id, f) in verdicts(&whole.snapshot) {
        if id.starts_with("A365-DEF-3") && id > "A365-DEF-32" || id.starts_with("A365-DEF-4") {
            assert_ne!(f.status, Status::Error, "{id}: {}", f.message);
        }
    }
    for (cmdlet, service, checks) in [
        (
            "Get-HostedContentFilterRule",
            "/exo",
            &["A365-DEF-40", "A365-DEF-41"][..],
        ),
        (
            "Get-MalwareFilterRule",
            "/exo",
            &["A365-DEF-33", "A365-DEF-34"][..],
        ),
        (
            "Get-SafeLinksRule",
            "/exo",
            &["A365-DEF-42", "A365-DEF-43", "A365-DEF-44"][..],
        ),
        (
            "Get-UnifiedAuditLogRetentionPolicy",
            "/scc",
            &["A365-PUR-12"][..],
        ),
    ] {
        s.set_fault(Fault::on(service, FaultKind::Forbidden).cmdlet(cmdlet));
        let c = collect(&s, config(&s, secret())).await;
        s.clear_faults();
        let failed = [
            &c.snapshot["exo_unsuccessful_commands"],
            &c.snapshot["securitysuite_unsuccessful_commands"],
        ]
        .iter()
        .flat_map(|l| l.as_array().unwrap().clone())
        .collect::<Vec<_>>();
        assert_eq!(failed, vec![json!(cmdlet)], "{cmdlet}");
        let before = verdicts(&whole.snapshot);
        for ((id, a), (_, b)) in before.iter().zip(verdicts(&c.snapshot)) {
            if checks.contains(id) {
                assert_eq!(b.status, Status::Error, "{id}: {}", b.message);
                assert!(b.message.contains(cmdlet), "{id}: {}", b.message);
            } else {
                assert_eq!(
                    a.status, b.status,
                    "{id} changed without {cmdlet}: {}",
                    b.message
                );
            }
        }
    }
}

#[test]
fn the_collector_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Collector>();
    let collector =
        Collector::new(CollectorConfig::new(Endpoints::default(), "app", secret())).unwrap();
    let t = TenantTarget {
        microsoft_tenant_id: "t".into(),
        initial_domain: "t.onmicrosoft.com".into(),
    };
    let fut = collector.collect(&t, |_| {});
    send(&fut);
    let probes = collector.test_connection(&t);
    send(&probes);
    let info = collector.tenant_info("t");
    send(&info);
}

#[tokio::test]
async fn collected_and_imported_give_the_same_verdicts() {
    // The collected snapshot, completed with what the lead fills from DNS (SPF, DKIM, DMARC)
    // and what only an import supplies (Teams), must score like the export itself.
    let s = start(false);
    let c = collect(&s, config(&s, secret())).await;
    let fixture = export();
    let mut merged = c.snapshot.clone();
    let obj = merged.as_object_mut().unwrap();
    for key in [
        "spf_records",
        "dkim_records",
        "dmarc_records",
        "teams_tenant_info",
        "meeting_policies",
        "federation_configuration",
        "client_configuration",
        "app_policies",
        "broadcast_policies",
        "tenant_app_settings",
        "teams_successful_commands",
        "teams_unsuccessful_commands",
    ] {
        obj.insert(key.to_string(), fixture[key].clone());
    }
    // The export as the stand-in tenant is, with the section only a live collection has.
    let mut fixture = fixture;
    fixture["aether365"] = own_section();
    for cmdlet in OWN_CMDLETS {
        fixture["exo_successful_commands"]
            .as_array_mut()
            .unwrap()
            .push(json!(cmdlet));
    }
    fixture["securitysuite_successful_commands"]
        .as_array_mut()
        .unwrap()
        .push(json!("Get-LabelPolicy"));
    for command in OWN_GRAPH_COMMANDS {
        fixture["aad_successful_commands"]
            .as_array_mut()
            .unwrap()
            .push(json!(command));
    }
    // And the per-object summaries of the stand-in tenant (per_object.rs).
    let directory: Value =
        serde_json::from_str(include_str!("../../../fixtures/aether365/directory.json")).unwrap();
    for (key, summary) in directory.as_object().unwrap() {
        fixture["aether365"][key] = summary.clone();
    }
    for (_, command, prefix) in aether365_engine::snapshot::AETHER365_SOURCES {
        let list = &mut fixture[format!("{prefix}_successful_commands")];
        if list.is_null() {
            *list = json!([]);
        }
        let list = list.as_array_mut().unwrap();
        if !list.contains(&json!(command)) {
            list.push(json!(command));
        }
    }
    let before = aether365_engine::Snapshot::from_value(fixture.clone()).unwrap();
    let after = aether365_engine::Snapshot::from_value(merged).unwrap();
    let mut differences = Vec::new();
    let mut checks = 0;
    for check in aether365_engine::compliance_checks() {
        checks += 1;
        let a = check.evaluate(&before);
        let b = check.evaluate(&after);
        if a.status != b.status || a.message != b.message {
            differences.push(format!(
                "{}: {:?} {} (export) vs {:?} {} (collected)",
                a.check_id, a.status, a.message, b.status, b.message
            ));
        }
    }
    assert!(checks > 90, "{checks} checks");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Issue 20, item 7: an initial domain that hides a port (`2130706433` is 127.0.0.1) made the
/// SharePoint admin URL `https://2130706433:PORT#-admin.sharepoint.com`. Now the SharePoint
/// section fails with the reason, and nothing reaches that port.
#[tokio::test]
async fn an_initial_domain_naming_a_port_reaches_no_socket() {
    let s = start(false);
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let mut c = config(&s, secret());
    c.endpoints.sharepoint_admin = "https://{tenant}-admin.sharepoint.com".into();
    let hostile = TenantTarget {
        microsoft_tenant_id: s.tenant_id().to_string(),
        initial_domain: format!("2130706433:{port}#.onmicrosoft.com"),
    };
    let collector = Collector::new(c).unwrap();
    let collection = collector.collect(&hostile, |_| {}).await;
    let probes = collector.test_connection(&hostile).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    match trap.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a connection reached the port named by the domain: {other:?}"),
    }
    let spo = outcome(&collection, CollectedService::SharePoint);
    assert_eq!(spo.status, ServiceStatus::Failed, "{spo:?}");
    let reason = spo.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("not a DNS name") && reason.contains("2130706433"),
        "{reason}"
    );
    assert!(
        probes
            .iter()
            .any(|p| !p.ok && p.detail.contains("not a DNS name")),
        "{probes:?}"
    );
    // The anchor mailbox header is built from the same domain: Exchange refuses it too, and
    // nothing but token and Graph requests reached the stand-in.
    assert!(
        s.requests()
            .iter()
            .all(|r| !r.path.contains("SPO.Tenant") && r.cmdlet.is_none()),
        "{:?}",
        s.requests()
    );
    // An honest initial domain still reads SharePoint.
    let honest = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&honest, CollectedService::SharePoint).status,
        ServiceStatus::Collected
    );
}

/// Issue 21: an empty answer is evidence only when the export records that the read succeeded.
/// A tenant without transport rules is collected as ScubaGear exports it (`[null]`, the cmdlet
/// among the successful commands), and the engine passes "no rule bypasses filtering" on it,
/// saying why; the same cmdlet refused makes that check an error.
#[tokio::test]
async fn an_empty_successful_read_is_evidence_and_a_failed_one_is_not() {
    use aether365_engine::{Snapshot, Status, compliance_checks};
    let check = compliance_checks()
        .iter()
        .find(|c| c.id == "A365-EXO-15")
        .unwrap();
    let mut cfg = StandInConfig::bundled().unwrap();
    cfg.export["transport_rule"] = json!([]);
    let s = StandIn::start(cfg).unwrap();

    let c = collect(&s, config(&s, secret())).await;
    assert_eq!(c.snapshot["transport_rule"], json!([null]));
    assert!(
        c.snapshot["exo_successful_commands"]
            .as_array()
            .unwrap()
            .contains(&json!("Get-TransportRule"))
    );
    let f = check.evaluate(&Snapshot::from_value(c.snapshot).unwrap());
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(
        f.message
            .contains("Get-TransportRule succeeded and returned no transport rules"),
        "{}",
        f.message
    );

    s.set_fault(Fault::on("/exo", FaultKind::Forbidden).cmdlet("Get-TransportRule"));
    let c = collect(&s, config(&s, secret())).await;
    assert!(c.snapshot.get("transport_rule").is_none());
    let f = check.evaluate(&Snapshot::from_value(c.snapshot).unwrap());
    assert_eq!(f.status, Status::Error, "{}", f.message);
    assert!(f.message.contains("Get-TransportRule"), "{}", f.message);
}

/// Issue 21, section 4, item 1: PIM for Groups role settings are read per group and need
/// `RoleManagementPolicy.Read.AzureADGroup`. Without it, only Get-PrivilegedRole fails, its
/// reason names that permission, and only the checks reading privileged roles change verdict.
#[tokio::test]
async fn a_refused_group_policy_read_fails_only_privileged_roles_and_names_its_permission() {
    let s = start(false);
    let whole = collect(&s, config(&s, secret())).await;
    s.deny_permission("RoleManagementPolicy.Read.AzureADGroup");
    s.clear_requests();
    let c = collect(&s, config(&s, secret())).await;

    let entra = outcome(&c, CollectedService::Entra);
    assert_eq!(entra.status, ServiceStatus::Partial, "{entra:?}");
    assert_eq!(entra.commands_failed.len(), 1, "{entra:?}");
    let (command, reason) = &entra.commands_failed[0];
    assert_eq!(command, "Get-PrivilegedRole");
    assert!(
        reason.starts_with("403 Forbidden: RoleManagementPolicy.Read.AzureADGroup not granted"),
        "{reason}"
    );
    assert!(entra.commands_ok.iter().any(|c| c == "Get-PrivilegedUser"));
    assert_eq!(
        c.snapshot["aad_unsuccessful_commands"],
        json!(["Get-PrivilegedRole"])
    );
    assert_eq!(
        c.snapshot["aether365_collection"]["command_errors"]["Get-PrivilegedRole"],
        json!(reason)
    );
    // The refusal was the group-scoped read; the directory-scoped one was answered.
    let requests = s.requests();
    let policy_reads: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|r| r.path.ends_with("/roleManagementPolicyAssignments"))
        .collect();
    assert!(
        policy_reads
            .iter()
            .any(|r| r.status == 403 && r.query.contains("scopeType%20eq%20%27Group%27"))
    );
    assert!(
        policy_reads
            .iter()
            .any(|r| r.status == 200 && r.query.contains("scopeType%20eq%20%27DirectoryRole%27"))
    );
    for service in [
        CollectedService::Exchange,
        CollectedService::Defender,
        CollectedService::SharePoint,
        CollectedService::PowerPlatform,
    ] {
        assert_eq!(
            outcome(&c, service).status,
            ServiceStatus::Collected,
            "{service:?}"
        );
    }

    // Only checks that read privileged roles change, and none of them passes.
    let before = aether365_engine::Snapshot::from_value(whole.snapshot).unwrap();
    let after = aether365_engine::Snapshot::from_value(c.snapshot.clone()).unwrap();
    let mut changed = Vec::new();
    for check in aether365_engine::compliance_checks() {
        let a = check.evaluate(&before);
        let b = check.evaluate(&after);
        if a.status != b.status || a.message != b.message {
            assert_ne!(
                format!("{:?}", b.status),
                "Pass",
                "{}: {}",
                b.check_id,
                b.message
            );
            assert!(
                b.message.contains("privileged_roles") || b.message.contains("Get-PrivilegedRole"),
                "{}: {}",
                b.check_id,
                b.message
            );
            changed.push(b.check_id.clone());
        }
    }
    assert!(!changed.is_empty());

    // Granted again, the rules of PIM for Groups groups come back.
    s.grant_all_permissions();
    let again = collect(&s, config(&s, secret())).await;
    assert_eq!(
        outcome(&again, CollectedService::Entra).status,
        ServiceStatus::Collected
    );
}

/// Issue 21, section 4, item 2: SharePoint refuses app-only tokens obtained with a client
/// secret. The SharePoint outcome quotes Microsoft's answer and says a certificate is needed;
/// test-connection advises the same, not a missing permission; a certificate is accepted.
#[tokio::test]
async fn sharepoint_refuses_a_secret_token_and_the_advice_is_a_certificate() {
    let s = start(true);
    s.set_sharepoint_requires_certificate(true);
    let c = collect(&s, config(&s, secret())).await;
    let spo = outcome(&c, CollectedService::SharePoint);
    assert_eq!(spo.status, ServiceStatus::Failed, "{spo:?}");
    let reason = spo.reason.as_deref().unwrap();
    assert!(
        reason.contains("\"Unsupported app only token.\""),
        "{reason}"
    );
    assert!(reason.contains("certificate credential"), "{reason}");
    assert!(!reason.contains("not granted"), "{reason}");
    for (_, r) in &spo.commands_failed {
        assert!(r.contains("certificate credential"), "{r}");
    }
    // The refusal is not retried with a fresh token of the same kind.
    let refused = s
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/spo") && r.status == 401)
        .count();
    assert_eq!(refused, 1);
    for service in [CollectedService::Entra, CollectedService::Exchange] {
        assert_eq!(outcome(&c, service).status, ServiceStatus::Collected);
    }

    let collector = Collector::new(config(&s, secret())).unwrap();
    let probes = collector.test_connection(&target(&s)).await;
    let probe = probes
        .iter()
        .find(|p| p.service == CollectedService::SharePoint)
        .unwrap();
    assert!(!probe.ok);
    assert_eq!(probe.remedy, Some(Remedy::UseCertificate), "{probe:?}");
    assert!(
        probe.detail.contains("Unsupported app only token."),
        "{probe:?}"
    );
    assert!(
        Remedy::UseCertificate
            .advice()
            .contains("SharePoint needs a certificate credential")
    );

    // With a certificate, SharePoint answers.
    let cert = AppCredential::from_pem(KEY, CERT).unwrap();
    let c = collect(&s, config(&s, cert)).await;
    assert_eq!(
        outcome(&c, CollectedService::SharePoint).status,
        ServiceStatus::Collected
    );
}

/// Issue 21, section 4, item 3: test-connection's advice fits the failure. A redirect, a 5xx
/// and a refused kind of token are not reported as missing permissions; a 403 is.
#[tokio::test]
async fn test_connection_advice_fits_the_failure() {
    let s = start(false);
    s.set_fault(Fault::on(
        "/spo",
        FaultKind::Redirect {
            location: "https://contoso-admin.sharepoint.us/_api/SPO.Tenant".into(),
        },
    ));
    s.set_fault(Fault::on(
        "/bap",
        FaultKind::Unavailable {
            retry_after_secs: None,
        },
    ));
    s.set_fault(Fault::on("/scc", FaultKind::Forbidden));
    s.set_fault(Fault::on(
        "/graph/beta/identity/conditionalAccess",
        FaultKind::Malformed,
    ));
    let collector = Collector::new(config(&s, secret())).unwrap();
    let probes = collector.test_connection(&target(&s)).await;
    let find = |service: CollectedService| probes.iter().find(|p| p.service == service).unwrap();

    let spo = find(CollectedService::SharePoint);
    assert!(!spo.ok);
    assert_eq!(spo.remedy, Some(Remedy::CheckEndpoint), "{spo:?}");
    assert!(
        spo.detail
            .starts_with("redirected (302) to https://contoso-admin.sharepoint.us/_api/SPO.Tenant"),
        "{spo:?}"
    );
    let pp = find(CollectedService::PowerPlatform);
    assert_eq!(pp.remedy, Some(Remedy::RetryLater), "{pp:?}");
    assert!(pp.detail.starts_with("service unavailable (503)"), "{pp:?}");
    let ca = probes
        .iter()
        .find(|p| p.endpoint.contains("conditionalAccess"))
        .unwrap();
    assert_eq!(ca.remedy, Some(Remedy::ReadReason), "{ca:?}");
    for p in [spo, pp, ca] {
        assert!(!p.detail.contains("not granted"), "{p:?}");
        assert!(!p.remedy.unwrap().advice().contains("grant"), "{p:?}");
    }
    let scc = find(CollectedService::Defender);
    assert_eq!(scc.remedy, Some(Remedy::GrantPermission), "{scc:?}");
    assert!(
        scc.remedy
            .unwrap()
            .advice()
            .starts_with("grant the permission")
    );
    // Every other endpoint answered, with no advice.
    assert!(
        probes
            .iter()
            .filter(|p| p.ok)
            .all(|p| p.remedy.is_none() && p.detail == "answered")
    );
}

/// Issue 21, section 4, item 4: Security & Compliance regional discovery runs on loopback, with
/// Microsoft's host names pinned to the stand-in: the front door redirects to the tenant's
/// region, the cmdlets go to that region's host, with a token for the front door's resource.
#[tokio::test]
async fn security_and_compliance_cmdlets_go_to_the_discovered_region() {
    let s = start(false);
    s.set_compliance_region("eur02b");
    let port = url::Url::parse(s.base_url()).unwrap().port().unwrap();
    let loopback: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let front = "ps.compliance.protection.outlook.com";
    let regional = format!("eur02b.{front}");
    let mut c = config(&s, secret());
    c.endpoints.set(
        EndpointKind::Compliance,
        format!("http://{front}:{port}/scc"),
    );
    c.resolve = vec![(front.to_string(), loopback), (regional.clone(), loopback)];
    let collection = collect(&s, c).await;

    let suite = outcome(&collection, CollectedService::Defender);
    assert_eq!(suite.status, ServiceStatus::Collected, "{suite:?}");
    assert_eq!(
        collection.snapshot["dlp_compliance_policies"],
        export()["dlp_compliance_policies"]
    );
    let requests = s.requests();
    let discovery: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|r| r.path.ends_with("/EXOModuleFile"))
        .collect();
    assert_eq!(discovery.len(), 1, "{discovery:?}");
    assert_eq!(discovery[0].status, 302);
    assert_eq!(discovery[0].host, format!("{front}:{port}"));
    let invokes: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|r| r.path.starts_with("/scc/") && r.path.ends_with("/InvokeCommand"))
        .collect();
    assert!(invokes.len() >= 3, "{invokes:?}");
    for r in &invokes {
        assert_eq!(r.host, format!("{regional}:{port}"), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
    }
    assert_reads_only(&requests);
}

#[tokio::test]
async fn fabric_refusals_and_clouds_without_a_fabric_host_are_failures_that_say_why() {
    let s = start(false);
    // A 401 that a fresh token does not cure (the service principal is not admitted by the
    // admin-API tenant setting): the reason names the setting to turn on.
    s.set_fault(Fault::on("/fabric", FaultKind::TokenExpired).times(2));
    let c = collect(&s, config(&s, secret())).await;
    let pbi = outcome(&c, CollectedService::PowerBi);
    assert_eq!(pbi.status, ServiceStatus::Failed, "{pbi:?}");
    let reason = pbi.reason.as_deref().unwrap();
    assert!(
        reason.contains("401")
            && reason.contains("Service principals can access read-only admin APIs"),
        "{reason}"
    );
    assert_eq!(
        c.snapshot["powerbi_unsuccessful_commands"],
        json!([aether365_collector::FABRIC_COMMAND])
    );
    assert!(
        c.snapshot["aether365"]
            .get("fabric_tenant_settings")
            .is_none()
    );
    assert_eq!(
        outcome(&c, CollectedService::Exchange).status,
        ServiceStatus::Collected
    );

    // A cloud for which Microsoft documents no Fabric host: not collected, no request.
    let mut cfg = config(&s, secret());
    cfg.endpoints.fabric = None;
    let before = s
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/fabric"))
        .count();
    let c = collect(&s, cfg).await;
    let pbi = outcome(&c, CollectedService::PowerBi);
    assert_eq!(pbi.status, ServiceStatus::NotCollected, "{pbi:?}");
    assert_eq!(
        pbi.reason.as_deref(),
        Some(aether365_collector::FABRIC_UNAVAILABLE)
    );
    let after = s
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/fabric"))
        .count();
    assert_eq!(before, after);
    let snap = aether365_engine::Snapshot::from_value(c.snapshot).unwrap();
    let f = aether365_engine::find_check("A365-PBI-01")
        .unwrap()
        .evaluate(&snap);
    assert_eq!(f.status, aether365_engine::Status::Error, "{}", f.message);
    assert!(
        f.message.contains("no Fabric admin API host"),
        "{}",
        f.message
    );
}
