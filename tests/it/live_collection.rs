//! Live collection end to end, against the Microsoft 365 stand-in built from the bundled
//! ScubaGear export, on every test database: a scan over MCP collects and agrees with the
//! import check by check; faults give error findings with their reason and leave the other
//! services intact; a change in the tenant shows in `compare_scans`; the admin-consent flow
//! connects a tenant and refuses forged and replayed states.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{Options, TestApp, answer, databases, spawn_app_with};
use aether365_actors::directory;
use aether365_actors::scans::{ScanInput, ServiceState, SnapshotSource};
use aether365_engine::{Snapshot, Status, evaluate_all};
use aether365_entities::{config_snapshot, finding, scan, tenant};
use m365_standin::{Fault, FaultKind, StandInConfig};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// The checks that read the mail DNS sections of an export.
const DNS_CHECKS: [&str; 5] = [
    "A365-EXO-02",
    "A365-EXO-03",
    "A365-EXO-04",
    "A365-EXO-05",
    "A365-EXO-06",
];

/// The checks that read the snapshot's `aether365` section (settings a ScubaGear export lacks),
/// with the cmdlet that fills it.
const AETHER365_CHECKS: [(&str, &str); 6] = [
    ("A365-DEF-19", "Get-MalwareFilterPolicy"),
    ("A365-DEF-20", "Get-MalwareFilterPolicy"),
    ("A365-DEF-21", "Get-MalwareFilterPolicy"),
    ("A365-DEF-22", "Get-HostedOutboundSpamFilterPolicy"),
    ("A365-DEF-23", "Get-HostedContentFilterPolicy"),
    ("A365-DEF-24", "Get-HostedOutboundSpamFilterPolicy"),
];

/// The CIS v7.0.0 checks that read the settings of the `aether365` section the collector adds
/// for Exchange Online, Defender and Purview (cis-exchange), with the cmdlet that fills each.
/// The checks of ScubaGear main branch's Security Suite baseline that read what a 1.8.0 export
/// lacks, with the cmdlet that fills it and the live verdict on the stand-in tenant (DEF-36 and
/// DEF-38 fail there: the tenant declares no sensitive users or partner domains).
const SECURITY_SUITE_CHECKS: [(&str, &str, &str); 13] = [
    ("A365-DEF-33", "Get-MalwareFilterRule", "pass"),
    ("A365-DEF-34", "Get-MalwareFilterRule", "pass"),
    ("A365-DEF-35", "Get-SafeAttachmentRule", "pass"),
    ("A365-DEF-36", "Get-AntiPhishRule", "fail"),
    ("A365-DEF-37", "Get-AntiPhishRule", "pass"),
    ("A365-DEF-38", "Get-AntiPhishRule", "fail"),
    ("A365-DEF-39", "Get-AntiPhishRule", "pass"),
    ("A365-DEF-40", "Get-HostedContentFilterRule", "pass"),
    ("A365-DEF-41", "Get-HostedContentFilterRule", "pass"),
    ("A365-DEF-42", "Get-SafeLinksRule", "pass"),
    ("A365-DEF-43", "Get-SafeLinksRule", "pass"),
    ("A365-DEF-44", "Get-SafeLinksRule", "pass"),
    ("A365-PUR-12", "Get-UnifiedAuditLogRetentionPolicy", "pass"),
];

const CIS_EXCHANGE_CHECKS: [(&str, &str); 11] = [
    ("A365-EXO-30", "Get-OwaMailboxPolicy"),
    ("A365-EXO-31", "Get-OwaMailboxPolicy"),
    ("A365-EXO-32", "Get-OwaMailboxPolicy"),
    ("A365-EXO-33", "Get-ExternalInOutlook"),
    ("A365-EXO-34", "Get-MailboxAuditBypassAssociation"),
    ("A365-EXO-35", "Get-RoleAssignmentPolicy"),
    ("A365-EXO-36", "Get-OrganizationConfig"),
    ("A365-EXO-37", "Get-OrganizationConfig"),
    ("A365-DEF-30", "Get-EmailTenantSettings"),
    ("A365-DEF-31", "Get-TeamsProtectionPolicy"),
    ("A365-PUR-10", "Get-LabelPolicy"),
];

/// The checks that read the Microsoft Graph settings of the `aether365` section, with the
/// command recorded for the read that fills it.
const GRAPH_SETTINGS_CHECKS: [(&str, &str); 22] = [
    ("A365-AAD-60", "Get-MgPolicyActivityBasedTimeoutPolicy"),
    ("A365-AAD-61", "Get-MgBetaAdminAppsAndServices"),
    ("A365-AAD-62", "Get-MgBetaAdminForms"),
    ("A365-AAD-63", "Get-MgDeviceManagement"),
    (
        "A365-AAD-64",
        "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
    ),
    ("A365-AAD-65", "Get-MgPolicyDeviceRegistrationPolicy"),
    ("A365-AAD-66", "Get-MgPolicyDeviceRegistrationPolicy"),
    ("A365-AAD-67", "Get-MgPolicyDeviceRegistrationPolicy"),
    ("A365-AAD-68", "Get-MgPolicyDeviceRegistrationPolicy"),
    ("A365-AAD-69", "Get-MgPolicyDeviceRegistrationPolicy"),
    ("A365-AAD-74", "Get-MgBetaPolicyB2BManagementPolicy"),
    (
        "A365-AAD-76",
        "Get-MgIdentityConditionalAccessNamedLocation",
    ),
    (
        "A365-AAD-78",
        "Get-MgIdentityGovernanceAccessReviewDefinition",
    ),
    (
        "A365-AAD-79",
        "Get-MgIdentityGovernanceAccessReviewDefinition",
    ),
    ("A365-AAD-80", STORAGE_SP_COMMAND),
    ("A365-AAD-81", "Get-MgPolicyDefaultAppManagementPolicy"),
    ("A365-AAD-82", "Get-MgPolicyDefaultAppManagementPolicy"),
    ("A365-AAD-83", "Get-MgPolicyDefaultAppManagementPolicy"),
    ("A365-AAD-84", "Get-MgPolicyDefaultAppManagementPolicy"),
    // ScubaGear main branch's MS.AAD.5.5v1 to 5.7v1: the default policy (the first they need),
    // then the custom ones (Get-MgPolicyAppManagementPolicy).
    ("A365-AAD-95", "Get-MgPolicyDefaultAppManagementPolicy"),
    ("A365-AAD-96", "Get-MgPolicyDefaultAppManagementPolicy"),
    ("A365-AAD-97", "Get-MgPolicyDefaultAppManagementPolicy"),
];

/// The command recorded for the read of Microsoft 365 on the web's third-party storage
/// service principal (CIS 1.3.7).
const STORAGE_SP_COMMAND: &str =
    "Get-MgServicePrincipal -Filter appId eq 'c1f33bc0-bdb4-4248-ba9b-096807ddb43e'";

/// The per-object checks (CIS 1.1.4, 1.2.1, 1.2.2, 5.2.3.4, 6.1.2), the command that fills
/// each, and the prefix of the command list it is recorded in.
const PER_OBJECT_CHECKS: [(&str, &str, &str); 5] = [
    (
        "A365-AAD-90",
        "Get-MgUser -Property AssignedLicenses",
        "aad",
    ),
    (
        "A365-AAD-91",
        "Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')",
        "aad",
    ),
    (
        "A365-EXO-50",
        "Get-Mailbox -RecipientTypeDetails SharedMailbox",
        "exo",
    ),
    (
        "A365-AAD-92",
        "Get-MgReportAuthenticationMethodUserRegistrationDetail",
        "aad",
    ),
    (
        "A365-EXO-51",
        "Get-Mailbox -RecipientTypeDetails UserMailbox",
        "exo",
    ),
];

/// The per-object summaries a live collection of the stand-in tenant gives
/// (`fixtures/aether365/directory.json`).
fn directory_summaries() -> Value {
    serde_json::from_str(include_str!("../../fixtures/aether365/directory.json")).unwrap()
}

/// The bundled export, with its accepted domains limited to those whose SPF, DKIM and DMARC
/// records it holds, and with the `aether365` section a live collection of the stand-in tenant
/// adds. The sample is anonymised: it keeps the mail records of 2 of its 7 accepted domains,
/// while ScubaGear (and the collector) look up every accepted domain; this export is the
/// consistent tenant the sample stands for.
pub(crate) fn consistent_export() -> Value {
    let mut export = StandInConfig::bundled().unwrap().export;
    export["aether365"] = m365_standin::exchange_protection().clone();
    for (key, summary) in directory_summaries().as_object().unwrap() {
        export["aether365"][key] = summary.clone();
    }
    for (_, command, prefix) in PER_OBJECT_CHECKS {
        let done = export[format!("{prefix}_successful_commands")]
            .as_array_mut()
            .unwrap();
        if !done.contains(&json!(command)) {
            done.push(json!(command));
        }
    }
    for (_, cmdlet) in AETHER365_CHECKS {
        let done = export["exo_successful_commands"].as_array_mut().unwrap();
        if !done.contains(&json!(cmdlet)) {
            done.push(json!(cmdlet));
        }
    }
    // The stand-in tenant's Fabric tenant settings, read by the Power BI service.
    export["aether365"]["fabric_tenant_settings"] =
        m365_standin::fabric_settings()["fabric_tenant_settings"].clone();
    export["powerbi_successful_commands"] = json!([FABRIC_COMMAND]);
    export["powerbi_unsuccessful_commands"] = json!([]);
    // The stand-in tenant's Exchange Online, Defender and Purview settings beyond ScubaGear's.
    for part in [m365_standin::exchange_cis(), m365_standin::security_suite()] {
        for (k, v) in part.as_object().unwrap() {
            if k != "version" {
                export["aether365"][k] = v.clone();
            }
        }
    }
    let cmdlets = CIS_EXCHANGE_CHECKS.iter().map(|(_, c)| *c).chain([
        "Get-MalwareFilterRule",
        "Get-HostedContentFilterRule",
        "Get-AntiPhishRule",
        "Get-SafeAttachmentPolicy",
        "Get-SafeAttachmentRule",
        "Get-ATPBuiltInProtectionRule",
        "Get-SafeLinksPolicy",
        "Get-SafeLinksRule",
        "Get-UnifiedAuditLogRetentionPolicy",
    ]);
    for cmdlet in cmdlets {
        // Security & Compliance cmdlets are recorded under `securitysuite`, as ScubaGear does.
        let list = if matches!(
            cmdlet,
            "Get-LabelPolicy" | "Get-UnifiedAuditLogRetentionPolicy"
        ) {
            "securitysuite_successful_commands"
        } else {
            "exo_successful_commands"
        };
        let done = export[list].as_array_mut().unwrap();
        if !done.contains(&json!(cmdlet)) {
            done.push(json!(cmdlet));
        }
    }
    for (key, value) in m365_standin::entra_settings().as_object().unwrap() {
        export["aether365"][key] = value.clone();
    }
    for (_, command) in GRAPH_SETTINGS_CHECKS {
        let done = export["aad_successful_commands"].as_array_mut().unwrap();
        if !done.contains(&json!(command)) {
            done.push(json!(command));
        }
    }
    let with_records = ["tqhjy.onmicrosoft.com", "tqhjy.mail.onmicrosoft.com"];
    export["accepted_domains"]
        .as_array_mut()
        .unwrap()
        .retain(|d| with_records.contains(&d["DomainName"].as_str().unwrap()));
    export
}

/// Statuses per check id of an export, evaluated directly (what an import gives).
pub(crate) fn verdicts_of(export: Value) -> BTreeMap<String, Status> {
    let snapshot = Snapshot::from_value(export).unwrap();
    evaluate_all(&snapshot)
        .into_iter()
        .map(|f| (f.check_id.to_string(), f.status))
        .collect()
}

/// Starts a compliance scan over MCP (stateless 2026-07-28) and returns its id.
async fn start_scan(app: &TestApp) -> i64 {
    let response = app
        .stateless(
            1,
            "tools/call",
            json!({"name": "start_scan", "arguments": {"kind": "compliance", "tenant": "Contoso Ltd"}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body = answer(response).await;
    let result = &body["result"];
    assert_ne!(result["isError"], true, "start_scan failed: {body}");
    let structured = &result["structuredContent"];
    structured["scan_id"]
        .as_i64()
        .or_else(|| structured["scan"]["id"].as_i64())
        .unwrap_or_else(|| panic!("no scan id in {body}"))
}

async fn wait_final(app: &TestApp, scan_id: i64) -> scan::Model {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = scan::Entity::find_by_id(scan_id)
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        if ["completed", "failed", "cancelled"].contains(&row.status.as_str()) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "scan {scan_id} still {}",
            row.status
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn findings_of(app: &TestApp, scan_id: i64) -> BTreeMap<String, finding::Model> {
    finding::Entity::find()
        .filter(finding::Column::ScanId.eq(scan_id))
        .all(&app.testdb.db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.check_id.clone(), f))
        .collect()
}

pub(crate) async fn scan_live(app: &TestApp) -> (scan::Model, BTreeMap<String, finding::Model>) {
    let id = start_scan(app).await;
    let row = wait_final(app, id).await;
    assert_eq!(row.status, "completed", "scan {id}: {:?}", row.error);
    let findings = findings_of(app, id).await;
    (row, findings)
}

/// Asserts that every check of `ids` has `status` in `findings`.
fn assert_all<'a>(
    findings: &BTreeMap<String, finding::Model>,
    ids: impl IntoIterator<Item = &'a str>,
    status: &str,
) {
    for id in ids {
        assert_eq!(
            findings[id].status, status,
            "{id}: {}",
            findings[id].message
        );
    }
}

/// The stored snapshot of a completed scan.
async fn stored_snapshot(app: &TestApp, row: &scan::Model) -> config_snapshot::Model {
    config_snapshot::Entity::find_by_id(row.snapshot_id.unwrap())
        .one(&app.testdb.db)
        .await
        .unwrap()
        .unwrap()
}

/// Changes the test tenant's row.
async fn edit_tenant(app: &TestApp, edit: impl FnOnce(&mut tenant::ActiveModel)) {
    let db = &app.testdb.db;
    let t = tenant::Entity::find_by_id(app.tenant_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active: tenant::ActiveModel = t.into();
    edit(&mut active);
    sea_orm::ActiveModelTrait::update(active, db).await.unwrap();
}

pub(crate) fn live_app_options() -> Options {
    Options {
        conformance_fixtures: false,
        ..Options::default()
    }
}

/// Statuses per check id of the bundled export.
fn import_verdicts() -> BTreeMap<String, Status> {
    verdicts_of(StandInConfig::bundled().unwrap().export)
}

/// Why check `id` answers what it does on the bundled export as imported.
fn import_reason(id: &str) -> String {
    let imported = Snapshot::from_value(StandInConfig::bundled().unwrap().export).unwrap();
    aether365_engine::find_check(id)
        .unwrap()
        .evaluate(&imported)
        .message
}

#[actix_web::test]
async fn the_sample_differs_only_where_its_anonymised_mail_records_are_missing() {
    let expected = import_verdicts();
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        let (_, findings) = scan_live(&app).await;
        for (id, status) in &expected {
            let got = &findings[id];
            let own = AETHER365_CHECKS
                .iter()
                .chain(CIS_EXCHANGE_CHECKS.iter())
                .chain(&GRAPH_SETTINGS_CHECKS)
                .map(|(c, cmdlet)| (*c, *cmdlet))
                .chain(PER_OBJECT_CHECKS.iter().map(|(c, cmd, _)| (*c, *cmd)))
                .find(|(c, _)| c == id);
            if let Some((_, cmdlet, live)) = SECURITY_SUITE_CHECKS.iter().find(|(c, ..)| c == id) {
                // Not in a ScubaGear 1.8.0 export: the import says which read is missing, the
                // live collection reads it and decides.
                assert_eq!(*status, Status::Error, "{id}");
                let why = import_reason(id);
                assert!(why.contains(cmdlet), "{id}: {why}");
                assert_eq!(got.status, *live, "{id}: {}", got.message);
            } else if id.starts_with("A365-PBI-") {
                // Fabric tenant settings: not in a ScubaGear export; collected live, where the
                // stand-in tenant's settings decide them (some pass, some fail).
                assert_eq!(*status, Status::Error, "{id}");
                assert_eq!(
                    got.status,
                    fabric_verdicts()[id].as_str(),
                    "{id}: {}",
                    got.message
                );
            } else if let Some((_, cmdlet)) = own {
                // The plain ScubaGear export cannot decide them, and says why; the live
                // collection reads them and decides.
                assert_eq!(*status, Status::Error, "{id}");
                let why = import_reason(id);
                assert!(
                    why.contains("not in a ScubaGear export") && why.contains(cmdlet),
                    "{id}: {why}"
                );
                assert_eq!(got.status, "pass", "{id}: {}", got.message);
            } else if DNS_CHECKS.contains(&id.as_str()) {
                // The domains the sample kept no records for have none in DNS either.
                assert_eq!(got.status, "fail", "{id}: {}", got.message);
                // The message counts the domains; their names are the finding's subjects.
                let subjects = got.subjects.as_ref().map(ToString::to_string);
                assert!(
                    subjects
                        .as_deref()
                        .is_some_and(|s| s.contains("example.com")),
                    "{id}: {} {subjects:?}",
                    got.message
                );
            } else {
                assert_eq!(got.status, status.as_str(), "{id}: {}", got.message);
            }
        }
    }
}

#[actix_web::test]
async fn a_collected_scan_agrees_with_the_import_check_by_check() {
    let expected = verdicts_of(consistent_export());
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        app.standin.set_export(consistent_export());
        let (row, findings) = scan_live(&app).await;
        assert_eq!(findings.len(), expected.len());
        let disagreements: Vec<String> = expected
            .iter()
            .filter(|(id, status)| {
                findings
                    .get(*id)
                    .map(|f| f.status != status.as_str())
                    .unwrap_or(true)
            })
            .map(|(id, status)| {
                let got = findings
                    .get(id)
                    .map(|f| (f.status.clone(), f.message.clone()));
                format!("{id}: import {status:?}, collected {got:?}")
            })
            .collect();
        assert!(
            disagreements.is_empty(),
            "{} checks disagree:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );

        // The scan says what it evaluated: a fresh collection, Teams from the import.
        let input = ScanInput::from_json(row.input.as_ref()).expect("the scan records its input");
        assert_eq!(input.source, SnapshotSource::Collector);
        assert_eq!(input.snapshot_id, row.snapshot_id);
        let states: BTreeMap<&str, ServiceState> = input
            .services
            .iter()
            .map(|s| (s.service.as_str(), s.state))
            .collect();
        assert_eq!(states.len(), 7, "{states:?}");
        for (service, state) in &states {
            let want = if *service == "teams" {
                ServiceState::Imported
            } else {
                ServiceState::Collected
            };
            assert_eq!(*state, want, "{service}");
        }
        let note = input.note.unwrap();
        assert!(note.contains("teams from an earlier import"), "{note}");
        let stored = config_snapshot::Entity::find_by_id(input.snapshot_id.unwrap())
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.source, "collector");
        assert!(stored.services.is_some());

        // Read-only by construction: only reads reached Microsoft 365.
        for r in app.standin.requests() {
            let allowed = r.method == "GET"
                || r.path.ends_with("/oauth2/v2.0/token")
                || r.path.ends_with("/InvokeCommand")
                    && r.cmdlet.as_deref().is_some_and(|c| c.starts_with("Get-"))
                || r.path.contains("listTenantSettings");
            assert!(allowed, "a non-read request reached Microsoft 365: {r:?}");
        }

        // get_posture names what the answer was computed from.
        let posture = answer(
            app.stateless(
                2,
                "tools/call",
                json!({"name": "get_posture", "arguments": {}}),
            )
            .await,
        )
        .await;
        let text = posture.to_string();
        assert!(text.contains("\"source\":\"collector\""), "{text}");
    }
}

/// The tenant an older ScubaGear export describes (the 1.5 and 1.1 layouts of
/// `legacy_layouts`, served by the stand-in): a live scan of it agrees with the import check of
/// that export on every check the import decides, and is in `error` only where the import is
/// (what the export itself lacks: 1.1's unreadable authentication methods policy).
#[actix_web::test]
async fn a_tenant_built_from_an_older_export_scans_as_its_import_checks() {
    let layouts = [
        ("1.5", crate::legacy_layouts::as_1_5(consistent_export())),
        ("1.1", crate::legacy_layouts::as_1_1(consistent_export())),
    ];
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        for (release, export) in &layouts {
            let imported = verdicts_of(export.clone());
            app.standin.set_export(export.clone());
            let (_, findings) = scan_live(&app).await;
            let mut compared = 0;
            let mut disagreements = Vec::new();
            for (id, status) in &imported {
                let got = &findings[id];
                if *status == Status::Error {
                    continue;
                }
                compared += 1;
                if got.status != status.as_str() {
                    disagreements.push(format!(
                        "{id}: import {status:?}, collected {} ({})",
                        got.status, got.message
                    ));
                }
            }
            assert!(
                disagreements.is_empty(),
                "ScubaGear {release} layout: {} checks disagree:\n{}",
                disagreements.len(),
                disagreements.join("\n")
            );
            let refused = imported.values().filter(|s| **s == Status::Error).count();
            assert!(
                compared > 100 && refused < 10,
                "ScubaGear {release} layout: {compared} checks compared, {refused} in error"
            );
        }
    }
}

#[actix_web::test]
async fn exchange_protection_policies_are_collected_into_the_aether365_section_and_decided() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        // The stand-in tenant's own policies: configured as CIS asks.
        let (row, findings) = scan_live(&app).await;
        assert_all(
            &findings,
            AETHER365_CHECKS.iter().map(|(id, _)| *id),
            "pass",
        );
        let stored = stored_snapshot(&app, &row).await;
        let own = &stored.data["aether365"];
        assert_eq!(own["version"], 1, "{own}");
        for key in [
            "anti_malware_policies",
            "hosted_outbound_spam_filter_policies",
            "hosted_content_filter_policies",
        ] {
            assert!(
                own[key].as_array().is_some_and(|a| a.len() == 2),
                "{key}: {own}"
            );
            assert!(
                stored.data.get(key).is_none(),
                "{key} beside ScubaGear's keys"
            );
        }
        for (_, cmdlet) in AETHER365_CHECKS {
            assert!(
                app.standin
                    .requests()
                    .iter()
                    .any(|r| r.cmdlet.as_deref() == Some(cmdlet)),
                "{cmdlet} was not collected"
            );
        }

        // An administrator weakens every policy: each check fails on the collected data.
        let mut export = consistent_export();
        let own = &mut export["aether365"];
        let default_malware = &mut own["anti_malware_policies"][0];
        default_malware["EnableFileFilter"] = json!(false);
        default_malware["EnableInternalSenderAdminNotifications"] = json!(false);
        let outbound = &mut own["hosted_outbound_spam_filter_policies"][0];
        outbound["NotifyOutboundSpam"] = json!(false);
        outbound["RecipientLimitExternalPerHour"] = json!(0);
        own["hosted_content_filter_policies"][0]["AllowedSenderDomains"] =
            json!(["partner.example"]);
        app.standin.set_export(export);
        let (_, findings) = scan_live(&app).await;
        assert_all(
            &findings,
            AETHER365_CHECKS.iter().map(|(id, _)| *id),
            "fail",
        );

        // A refused read is an error naming the cmdlet and Microsoft's answer, never a pass.
        app.standin
            .set_fault(Fault::on("/exo", FaultKind::Forbidden).cmdlet("Get-MalwareFilterPolicy"));
        let (_, findings) = scan_live(&app).await;
        for (id, cmdlet) in AETHER365_CHECKS {
            let f = &findings[id];
            if cmdlet == "Get-MalwareFilterPolicy" {
                assert_eq!(f.status, "error", "{id}: {}", f.message);
                assert!(
                    f.message.contains(cmdlet) && f.message.contains("403"),
                    "{id}: {}",
                    f.message
                );
            } else {
                assert_eq!(f.status, "fail", "{id}: {}", f.message);
            }
        }
    }
}

/// The command the collector records for the Fabric tenant settings read.
const FABRIC_COMMAND: &str = "Get-FabricTenantSettingsRest";

/// The Power BI checks' verdicts on the stand-in tenant (the consistent export's).
fn fabric_verdicts() -> BTreeMap<String, Status> {
    verdicts_of(consistent_export())
        .into_iter()
        .filter(|(id, _)| id.starts_with("A365-PBI-"))
        .collect()
}

#[actix_web::test]
async fn fabric_tenant_settings_are_collected_into_the_aether365_section_and_decided() {
    let expected = fabric_verdicts();
    assert_eq!(expected.len(), 13);
    // The stand-in tenant passes some and fails some.
    assert!(expected.values().any(|s| *s == Status::Pass));
    assert!(expected.values().any(|s| *s == Status::Fail));
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        let (row, findings) = scan_live(&app).await;
        for (id, want) in &expected {
            let f = &findings[id];
            assert_eq!(f.status, want.as_str(), "{id}: {}", f.message);
            assert_eq!(f.service, "power_bi", "{id}");
        }
        let stored = stored_snapshot(&app, &row).await;
        let settings = &stored.data["aether365"]["fabric_tenant_settings"];
        let all = m365_standin::fabric_settings()["fabric_tenant_settings"].clone();
        assert_eq!(settings, &all, "every page was read");
        assert!(
            stored.data["powerbi_successful_commands"]
                .as_array()
                .is_some_and(|c| c.contains(&json!(FABRIC_COMMAND))),
            "{}",
            stored.data["powerbi_successful_commands"]
        );
        // Read with GETs, following the continuation (16 settings, 10 a page).
        let reads: Vec<_> = app
            .standin
            .requests()
            .into_iter()
            .filter(|r| r.path == "/fabric/v1/admin/tenantsettings")
            .collect();
        assert_eq!(reads.len(), 2, "{reads:?}");
        assert!(reads.iter().all(|r| r.method == "GET" && r.status == 200));
        assert_eq!(reads[1].query, "continuationToken=10");
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        assert!(
            input
                .services
                .iter()
                .any(|s| s.service == "power_bi" && s.state == ServiceState::Collected),
            "{:?}",
            input.services
        );

        // An administrator changes the settings: the verdicts follow.
        let mut export = consistent_export();
        for setting in export["aether365"]["fabric_tenant_settings"]
            .as_array_mut()
            .unwrap()
        {
            let name = setting["settingName"].as_str().unwrap().to_string();
            // Everything CIS wants on goes off, everything else goes on for everyone.
            let on = !matches!(
                name.as_str(),
                "EimInformationProtectionEdit" | "BlockResourceKeyAuthentication"
            );
            setting["enabled"] = json!(on);
            setting
                .as_object_mut()
                .unwrap()
                .remove("enabledSecurityGroups");
        }
        app.standin.set_export(export);
        let (_, findings) = scan_live(&app).await;
        assert_all(&findings, expected.keys().map(String::as_str), "fail");

        // The Fabric admin API refuses (the admin-API tenant setting is off, or the
        // application is outside its group): every Power BI check is an error naming the
        // tenant setting to turn on, never a pass; the other services are unaffected.
        app.standin.set_export(consistent_export());
        app.standin
            .set_fault(Fault::on("/fabric", FaultKind::Forbidden));
        let (row, findings) = scan_live(&app).await;
        for id in expected.keys() {
            let f = &findings[id];
            assert_eq!(f.status, "error", "{id}: {}", f.message);
            assert!(
                f.message.contains(FABRIC_COMMAND)
                    && f.message.contains("403")
                    && f.message
                        .contains("Service principals can access read-only admin APIs"),
                "{id}: {}",
                f.message
            );
        }
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        for s in &input.services {
            let want = match s.service.as_str() {
                "power_bi" => ServiceState::Failed,
                "teams" => ServiceState::Imported,
                _ => ServiceState::Collected,
            };
            assert_eq!(s.state, want, "{}", s.service);
        }
        assert_eq!(findings["A365-DEF-19"].status, "pass");
    }
}

#[actix_web::test]
async fn cis_exchange_settings_are_collected_into_the_aether365_section_and_decided() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        // The stand-in tenant is configured as CIS asks.
        let (row, findings) = scan_live(&app).await;
        for (id, _) in CIS_EXCHANGE_CHECKS
            .iter()
            .chain([("A365-SPO-20", "Get-SPOTenantRest")].iter())
        {
            assert_eq!(
                findings[*id].status, "pass",
                "{id}: {}",
                findings[*id].message
            );
        }
        let stored = stored_snapshot(&app, &row).await;
        let own = &stored.data["aether365"];
        assert_eq!(own["version"], 1, "{own}");
        for key in [
            "owa_mailbox_policies",
            "external_in_outlook",
            "mailbox_audit_bypass_associations",
            "role_assignment_policies",
            "organization_config",
            "email_tenant_settings",
            "teams_protection_policies",
            "label_policies",
        ] {
            assert!(
                own[key].as_array().is_some_and(|a| !a.is_empty()),
                "{key}: {own}"
            );
            assert!(
                stored.data.get(key).is_none(),
                "{key} beside ScubaGear's keys"
            );
        }
        // ScubaGear's `org_config` keeps its 14 properties; ours has the ones CIS needs, from
        // the same answer (Get-OrganizationConfig is called once).
        assert_eq!(stored.data["org_config"][0].as_object().unwrap().len(), 14);
        assert_eq!(own["organization_config"][0]["RejectDirectSend"], true);
        assert_eq!(
            own["organization_config"][0]["MailTipsLargeAudienceThreshold"],
            25
        );
        let requests = app.standin.requests();
        for (_, cmdlet) in CIS_EXCHANGE_CHECKS {
            assert!(
                requests.iter().any(|r| r.cmdlet.as_deref() == Some(cmdlet)),
                "{cmdlet} was not collected"
            );
        }
        assert_eq!(
            requests
                .iter()
                .filter(|r| r.cmdlet.as_deref() == Some("Get-OrganizationConfig"))
                .count(),
            1
        );
        assert!(
            stored.data["securitysuite_successful_commands"]
                .as_array()
                .unwrap()
                .contains(&json!("Get-LabelPolicy"))
        );

        // An administrator loosens every setting: each check fails on the collected data.
        let mut export = consistent_export();
        let own = &mut export["aether365"];
        let owa = &mut own["owa_mailbox_policies"][0];
        owa["BookingsMailboxCreationEnabled"] = json!(true);
        owa["PersonalAccountsEnabled"] = json!(true);
        owa["AdditionalStorageProvidersAvailable"] = json!(true);
        own["external_in_outlook"][0]["Enabled"] = json!(false);
        own["mailbox_audit_bypass_associations"][0]["AuditBypassEnabled"] = json!(true);
        own["role_assignment_policies"][0]["AssignedRoles"]
            .as_array_mut()
            .unwrap()
            .push(json!("My Custom Apps"));
        own["organization_config"][0]["MailTipsAllTipsEnabled"] = json!(false);
        own["organization_config"][0]["RejectDirectSend"] = json!(false);
        own["email_tenant_settings"][0]["EnablePriorityAccountProtection"] = json!(false);
        own["teams_protection_policies"][0]["ZapEnabled"] = json!(false);
        own["label_policies"][0]["Enabled"] = json!(false);
        export["SPO_tenant"][0]["SharingCapability"] = json!(2);
        // CIS 3.2.3 reads ScubaGear's DLP policies: the sample's cover no Copilot location
        // (it failed above); one that does, enforced, passes.
        assert_eq!(findings["A365-PUR-11"].status, "fail");
        export["dlp_compliance_policies"][1]["Locations"] = json!(
            "[{\"Workload\":\"Applications\",\"Location\":\"470f2276-e011-4e9d-a6ec-20768be3a4b0\",\"Inclusions\":[{\"Type\":\"Tenant\",\"Identity\":\"All\"}]}]"
        );
        app.standin.set_export(export);
        let (_, findings) = scan_live(&app).await;
        assert_eq!(
            findings["A365-PUR-11"].status, "pass",
            "{}",
            findings["A365-PUR-11"].message
        );
        for (id, _) in CIS_EXCHANGE_CHECKS
            .iter()
            .chain([("A365-SPO-20", "Get-SPOTenantRest")].iter())
        {
            assert_eq!(
                findings[*id].status, "fail",
                "{id}: {}",
                findings[*id].message
            );
        }

        // A refused read is an error naming the cmdlet and Microsoft's answer, never a pass.
        app.standin
            .set_fault(Fault::on("/exo", FaultKind::Forbidden).cmdlet("Get-OwaMailboxPolicy"));
        app.standin
            .set_fault(Fault::on("/scc", FaultKind::Forbidden).cmdlet("Get-LabelPolicy"));
        let (_, findings) = scan_live(&app).await;
        for (id, cmdlet) in CIS_EXCHANGE_CHECKS {
            let f = &findings[id];
            if ["Get-OwaMailboxPolicy", "Get-LabelPolicy"].contains(&cmdlet) {
                assert_eq!(f.status, "error", "{id}: {}", f.message);
                assert!(
                    f.message.contains(cmdlet) && f.message.contains("403"),
                    "{id}: {}",
                    f.message
                );
            } else {
                assert_eq!(f.status, "fail", "{id}: {}", f.message);
            }
        }
    }
}

#[actix_web::test]
async fn graph_settings_are_collected_into_the_aether365_section_and_decided() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        // The stand-in tenant's own settings: configured as CIS asks.
        let (row, findings) = scan_live(&app).await;
        assert_all(
            &findings,
            GRAPH_SETTINGS_CHECKS.iter().map(|(id, _)| *id),
            "pass",
        );
        let stored = stored_snapshot(&app, &row).await;
        let own = &stored.data["aether365"];
        assert_eq!(own["version"], 1, "{own}");
        // Every key arrives as Graph served it, beside the Exchange Online policies.
        for (key, value) in m365_standin::entra_settings().as_object().unwrap() {
            assert_eq!(&own[key], value, "{key}");
            assert!(
                stored.data.get(key).is_none(),
                "{key} beside ScubaGear's keys"
            );
        }
        assert!(own["anti_malware_policies"].is_array());
        let done = stored.data["aad_successful_commands"].to_string();
        for command in GRAPH_SETTINGS_CHECKS
            .iter()
            .map(|(_, c)| *c)
            .chain(["Get-MgPolicyAppManagementPolicy"])
        {
            assert!(done.contains(command), "{command}: {done}");
        }
        for path in [
            "/v1.0/policies/activityBasedTimeoutPolicies",
            "/beta/admin/appsAndServices",
            "/beta/admin/forms",
            "/v1.0/deviceManagement",
            "/v1.0/deviceManagement/deviceEnrollmentConfigurations",
            "/v1.0/policies/deviceRegistrationPolicy",
            "/beta/policies/b2bManagementPolicies",
            "/v1.0/identity/conditionalAccess/namedLocations",
            "/v1.0/identityGovernance/accessReviews/definitions",
            "/v1.0/policies/defaultAppManagementPolicy",
            "/v1.0/policies/appManagementPolicies",
            "/v1.0/policies/appManagementPolicies/a7c2e4f1-3b5d-4e8a-9c61-2f0d7b9e4a13/appliesTo",
        ] {
            assert!(
                app.standin
                    .requests()
                    .iter()
                    .any(|r| r.method == "GET" && r.path.ends_with(path)),
                "{path} was not read"
            );
        }

        assert!(
            app.standin
                .requests()
                .iter()
                .any(|r| r.path.ends_with("/v1.0/servicePrincipals")
                    && r.query.contains("c1f33bc0-bdb4-4248-ba9b-096807ddb43e")
                    && r.query.contains("accountEnabled")),
            "the third-party storage service principal was not read"
        );

        // An administrator loosens every setting: each check fails on the collected data.
        let mut export = consistent_export();
        let own = &mut export["aether365"];
        own["activity_based_timeout_policies"] = json!([]);
        own["apps_and_services"]["settings"]["isOfficeStoreEnabled"] = json!(true);
        own["forms_settings"]["settings"]["isInOrgFormsPhishingScanEnabled"] = json!(false);
        own["device_management_settings"]["settings"]["secureByDefault"] = json!(false);
        own["device_enrollment_configurations"][0]["windowsRestriction"]["personalDeviceEnrollmentBlocked"] =
            json!(false);
        let all = json!({"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"});
        let reg = &mut own["device_registration_policy"];
        reg["azureADJoin"]["allowedToJoin"] = all.clone();
        reg["azureADJoin"]["localAdmins"]["registeringUsers"] = all;
        reg["azureADJoin"]["localAdmins"]["enableGlobalAdmins"] = json!(true);
        reg["userDeviceQuota"] = json!(50);
        reg["localAdminPassword"]["isEnabled"] = json!(false);
        own["b2b_management_policies"] = json!([]);
        own["named_locations"][0]["isTrusted"] = json!(false);
        for review in own["access_review_definitions"].as_array_mut().unwrap() {
            review["settings"]["autoApplyDecisionsEnabled"] = json!(false);
        }
        own["third_party_storage_service_principals"][0]["accountEnabled"] = json!(true);
        let policy = &mut own["default_app_management_policy"];
        policy["applicationRestrictions"]["passwordCredentials"] = json!([]);
        policy["servicePrincipalRestrictions"]["keyCredentials"][0]["maxLifetime"] = json!("P2Y");
        app.standin.set_export(export);
        let (_, findings) = scan_live(&app).await;
        assert_all(
            &findings,
            GRAPH_SETTINGS_CHECKS.iter().map(|(id, _)| *id),
            "fail",
        );

        // A permission the tenant did not grant: the checks that need it are errors naming the
        // command and Microsoft's answer, never passes; the others still decide.
        app.standin.set_export(consistent_export());
        app.standin.deny_permission("OrgSettings-Forms.Read.All");
        app.standin
            .deny_permission("DeviceManagementServiceConfig.Read.All");
        let (_, findings) = scan_live(&app).await;
        for (id, command) in GRAPH_SETTINGS_CHECKS {
            let f = &findings[id];
            if [
                "Get-MgBetaAdminForms",
                "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
            ]
            .contains(&command)
            {
                assert_eq!(f.status, "error", "{id}: {}", f.message);
                assert!(
                    f.message.contains(command) && f.message.contains("403"),
                    "{id}: {}",
                    f.message
                );
            } else {
                assert_eq!(f.status, "pass", "{id}: {}", f.message);
            }
        }
    }
}

#[actix_web::test]
async fn per_object_reads_are_collected_as_bounded_summaries_and_decided() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        // The small stand-in tenant is configured as CIS asks.
        let (row, findings) = scan_live(&app).await;
        assert_all(
            &findings,
            PER_OBJECT_CHECKS.iter().map(|(id, _, _)| *id),
            "pass",
        );
        let stored = stored_snapshot(&app, &row).await;
        // The summaries are exactly the stand-in tenant's (the fixture the engine tests use).
        for (key, summary) in directory_summaries().as_object().unwrap() {
            assert_eq!(&stored.data["aether365"][key], summary, "{key}");
        }
        for (_, command, prefix) in PER_OBJECT_CHECKS {
            assert!(
                stored.data[format!("{prefix}_successful_commands")]
                    .as_array()
                    .unwrap()
                    .contains(&json!(command)),
                "{command}"
            );
        }

        // Offenders: administrators with a productivity licence, public groups, users not MFA
        // capable, shared mailboxes open to sign-in, mailboxes that audit too little.
        let population = m365_standin::population::Population {
            users: 400,
            mailboxes: 200,
            offenders: true,
        };
        let census = population.census();
        app.standin.set_population(population);
        let (_, findings) = scan_live(&app).await;
        let want = [
            ("A365-AAD-90", "fail"),
            ("A365-AAD-91", "manual"),
            ("A365-EXO-50", "fail"),
            ("A365-AAD-92", "fail"),
            ("A365-EXO-51", "fail"),
        ];
        for (id, status) in want {
            assert_eq!(
                findings[id].status, status,
                "{id}: {}",
                findings[id].message
            );
        }
        let mfa = &findings["A365-AAD-92"].message;
        assert!(
            mfa.contains(&format!(
                "{} users of {} member users",
                census.not_mfa_capable, census.members
            )),
            "{mfa}"
        );
        let shared = &findings["A365-EXO-50"].message;
        assert!(
            shared.contains(&format!("{} shared mailboxes", census.shared_mailboxes)),
            "{shared}"
        );

        // A refused read is an error naming the command and Microsoft's answer, never a pass.
        app.standin.set_fault(Fault::on(
            "/graph/v1.0/reports/authenticationMethods",
            FaultKind::Forbidden,
        ));
        let (_, findings) = scan_live(&app).await;
        let f = &findings["A365-AAD-92"];
        assert_eq!(f.status, "error", "{}", f.message);
        assert!(
            f.message
                .contains("Get-MgReportAuthenticationMethodUserRegistrationDetail")
                && f.message.contains("403"),
            "{}",
            f.message
        );
        assert_eq!(findings["A365-EXO-51"].status, "fail");
    }
}

#[actix_web::test]
async fn faults_give_error_findings_with_their_reason_and_spare_the_other_services() {
    let expected = verdicts_of(consistent_export());
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        app.standin.set_export(consistent_export());
        // Purview's endpoint refuses (missing role), Graph throttles twice, SharePoint answers
        // too late, Power Platform answers garbage, and the first Exchange token is expired.
        app.standin
            .set_fault(Fault::on("/scc", FaultKind::Forbidden));
        app.standin.set_fault(
            Fault::on(
                "/graph",
                FaultKind::Throttle {
                    retry_after_secs: 0,
                },
            )
            .times(2),
        );
        app.standin
            .set_fault(Fault::on("/spo", FaultKind::Slow { delay_ms: 6_000 }));
        app.standin
            .set_fault(Fault::on("/bap", FaultKind::Malformed));
        app.standin
            .set_fault(Fault::on("/exo", FaultKind::TokenExpired).times(1));
        let (row, findings) = scan_live(&app).await;
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        let state = |name: &str| {
            input
                .services
                .iter()
                .find(|s| s.service == name)
                .map(|s| s.state)
                .unwrap()
        };
        assert_eq!(
            state("entra_id"),
            ServiceState::Collected,
            "429s are retried"
        );
        assert_eq!(
            state("exchange_online"),
            ServiceState::Collected,
            "expired tokens are renewed"
        );
        assert_ne!(state("sharepoint"), ServiceState::Collected);
        assert_ne!(state("power_platform"), ServiceState::Collected);
        assert_ne!(state("defender_and_purview"), ServiceState::Collected);

        let by_service = |service: &str| -> Vec<&finding::Model> {
            findings.values().filter(|f| f.service == service).collect()
        };
        for f in by_service("sharepoint") {
            assert_eq!(f.status, "error", "{}: {}", f.check_id, f.message);
            assert!(
                f.message.contains("timed out") || f.message.contains("time"),
                "{}",
                f.message
            );
        }
        // Every check that reads Power Platform data is an error; policies ScubaGear leaves to
        // a person stay manual, since they read nothing.
        let undecided: std::collections::BTreeSet<&str> = aether365_engine::compliance_checks()
            .iter()
            .filter(|c| c.is_undecided())
            .map(|c| c.id)
            .collect();
        for f in by_service("power_platform") {
            let expected = if undecided.contains(f.check_id.as_str()) {
                "manual"
            } else {
                "error"
            };
            assert_eq!(f.status, expected, "{}: {}", f.check_id, f.message);
        }
        let purview_errors: Vec<_> = by_service("purview")
            .into_iter()
            .filter(|f| f.status == "error")
            .collect();
        assert!(!purview_errors.is_empty());
        for f in purview_errors {
            assert!(f.message.contains("403"), "{}: {}", f.check_id, f.message);
        }
        // Entra, Exchange and Teams verdicts are those of the import.
        for service in ["entra_id", "exchange_online", "teams"] {
            for f in by_service(service) {
                assert_eq!(
                    Some(f.status.as_str()),
                    expected.get(&f.check_id).map(|s| s.as_str()),
                    "{}: {}",
                    f.check_id,
                    f.message
                );
            }
        }
    }
}

#[actix_web::test]
async fn a_tenant_microsoft_refuses_entirely_still_ends_its_scan() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        app.standin
            .set_fault(Fault::on("/authority", FaultKind::Forbidden));
        let id = start_scan(&app).await;
        let row = wait_final(&app, id).await;
        assert_eq!(row.status, "completed", "{:?}", row.error);
        let findings = findings_of(&app, id).await;
        let errors = findings.values().filter(|f| f.status == "error").count();
        assert!(errors > 60, "only {errors} error findings");
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        assert!(
            input
                .services
                .iter()
                .all(|s| s.state != ServiceState::Collected),
            "{input:?}"
        );
    }
}

#[actix_web::test]
async fn a_change_in_the_tenant_shows_in_compare_scans() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        let (first, _) = scan_live(&app).await;
        // An administrator turns the audit log off in Exchange Online.
        let mut export = StandInConfig::bundled().unwrap().export;
        export["admin_audit_log_config"][0]["UnifiedAuditLogIngestionEnabled"] = json!(false);
        app.standin.set_export(export);
        let (second, _) = scan_live(&app).await;
        let diff = answer(
            app.stateless(
                3,
                "tools/call",
                json!({"name": "compare_scans", "arguments": {"tenant": "Contoso Ltd", "base_scan": first.id, "head_scan": second.id}}),
            )
            .await,
        )
        .await;
        let text = diff["result"]["structuredContent"].to_string();
        assert!(
            diff["result"]["structuredContent"]["newly_failing"]
                .as_array()
                .is_some_and(|a| !a.is_empty()),
            "nothing newly fails: {text}"
        );
        assert!(text.to_lowercase().contains("audit"), "{text}");
    }
}

#[actix_web::test]
async fn a_tenant_not_connected_says_what_its_scan_evaluated() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        edit_tenant(&app, |t| t.consented_at = sea_orm::Set(None)).await;
        let id = start_scan(&app).await;
        let row = wait_final(&app, id).await;
        assert_eq!(row.status, "completed");
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        assert_eq!(input.source, SnapshotSource::Import);
        let note = input.note.unwrap();
        assert!(
            note.starts_with("not connected: evaluated the configuration imported"),
            "{note}"
        );
        assert!(note.contains("2026-05-04"), "the export's own date: {note}");
        assert!(app.standin.requests().is_empty(), "nothing was collected");
    }
}

/// A signed-in dashboard user's cookie.
async fn sign_in(app: &TestApp) -> String {
    directory::create_user(
        &app.testdb.db,
        app.organisation_id,
        "admin@contoso.example",
        PASSWORD,
        "owner",
    )
    .await
    .unwrap();
    let response = app
        .client
        .post(format!("{}/api/v1/session", app.address))
        .json(&json!({"email": "admin@contoso.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

#[actix_web::test]
async fn admin_consent_connects_a_tenant_once_and_refuses_forged_or_replayed_states() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        // A fresh organisation's view: forget the connection the harness made.
        let db = &app.testdb.db;
        tenant::Entity::delete_by_id(app.tenant_id)
            .exec(db)
            .await
            .unwrap();
        let cookie = sign_in(&app).await;
        // The tenant's Global Administrator is signed in at Microsoft.
        app.standin.sign_in(Some(m365_standin::DirectoryUser::new(
            app.standin.tenant_id(),
            "admin@tqhjy.onmicrosoft.com",
            &[m365_standin::GLOBAL_ADMINISTRATOR],
        )));
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // Answers the consent URL and the browser-binding cookie.
        let begin = || async {
            let response = browser
                .post(format!("{}/api/v1/tenants/connect", app.address))
                .header("Cookie", &cookie)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let binding = response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let body: Value = response.json().await.unwrap();
            (body["consent_url"].as_str().unwrap().to_string(), binding)
        };
        // The administrator consents at Microsoft, which sends the browser back, on to the
        // sign-in, and back again.
        let (consent_url, binding) = begin().await;
        assert!(consent_url.contains("/adminconsent?"), "{consent_url}");
        let at_microsoft = browser.get(&consent_url).send().await.unwrap();
        assert_eq!(at_microsoft.status().as_u16(), 302);
        let consented = location(&at_microsoft);
        assert!(consented.contains("admin_consent=True"), "{consented}");
        // Cross-site: no session cookie on the way back, only the binding cookie.
        let back = browser
            .get(&consented)
            .header("Cookie", &binding)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status().as_u16(), 303);
        let signed_in = browser.get(location(&back)).send().await.unwrap();
        assert_eq!(signed_in.status().as_u16(), 302);
        let callback = location(&signed_in);
        let back = browser
            .get(&callback)
            .header("Cookie", &binding)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status().as_u16(), 303);
        let landing = location(&back);
        assert!(landing.starts_with("/settings/mcp?connected="), "{landing}");
        let connected = tenant::Entity::find()
            .filter(tenant::Column::OrganisationId.eq(app.organisation_id))
            .order_by_desc(tenant::Column::Id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(connected.microsoft_tenant_id, app.standin.tenant_id());
        assert!(connected.consented_at.is_some());
        assert_eq!(
            connected.initial_domain.as_deref(),
            Some(app.standin.initial_domain())
        );
        assert!(connected.licences.is_some());

        // Replaying the same callback is refused, and nothing changes.
        let replay = browser
            .get(&callback)
            .header("Cookie", &binding)
            .send()
            .await
            .unwrap();
        assert!(
            location(&replay).contains("connect_error="),
            "{}",
            location(&replay)
        );
        let replay_json = browser
            .get(&callback)
            .header("Cookie", &binding)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(replay_json.status(), 403);
        // A forged state is refused.
        let forged = callback.replace("state=", "state=AAAA");
        let forged = browser
            .get(&forged)
            .header("Cookie", &binding)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        // An administrator who declines: the error is shown, no tenant is added.
        app.standin
            .set_fault(Fault::on("/authority", FaultKind::ConsentDeclined));
        let (consent_url, binding) = begin().await;
        let declined = browser.get(consent_url).send().await.unwrap();
        let back = browser
            .get(location(&declined))
            .header("Cookie", &binding)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 400);
        let body: Value = back.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("did not grant"),
            "{body}"
        );
        let count = tenant::Entity::find()
            .filter(tenant::Column::OrganisationId.eq(app.organisation_id))
            .all(db)
            .await
            .unwrap()
            .len();
        assert_eq!(count, 1);
        // Every step is in the audit trail.
        let callbacks: Vec<_> = app
            .audit_rows()
            .await
            .into_iter()
            .filter(|r| r.action == "tenant.connect.callback")
            .collect();
        assert!(callbacks.iter().any(|r| r.outcome == "ok"), "{callbacks:?}");
        assert!(
            callbacks.iter().any(|r| r.outcome == "denied"),
            "{callbacks:?}"
        );
    }
}

#[actix_web::test]
async fn exposure_scans_skip_microsoft_owned_domains_and_say_so() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        edit_tenant(&app, |t| {
            t.verified_domains = sea_orm::Set(json!([
                "contoso.example",
                "contoso.onmicrosoft.com",
                "contoso.mail.onmicrosoft.com"
            ]))
        })
        .await;
        let response = app
            .stateless(
                1,
                "tools/call",
                json!({"name": "start_scan", "arguments": {"kind": "exposure", "tenant": "Contoso Ltd"}}),
            )
            .await;
        let body = answer(response).await;
        let id = body["result"]["structuredContent"]["scan_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{body}"));
        let row = wait_final(&app, id).await;
        assert_eq!(row.status, "completed", "{:?}", row.error);
        let findings = findings_of(&app, id).await;
        assert!(
            findings
                .values()
                .all(|f| !f.message.contains("onmicrosoft.com")),
            "a Microsoft-owned domain was observed"
        );
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        assert_eq!(input.source, SnapshotSource::PublicDns);
        let note = input.note.unwrap();
        assert!(
            note.contains("contoso.onmicrosoft.com, contoso.mail.onmicrosoft.com"),
            "{note}"
        );
    }
}

#[actix_web::test]
async fn teams_is_read_from_a_tcm_snapshot_and_its_findings_say_which_and_from_when() {
    use m365_standin::tcm::{TEAMS_JOB_COMPLETED, TEAMS_JOB_ID, TcmScenario};
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        app.standin.set_tcm(TcmScenario::Succeeded);
        let (row, findings) = scan_live(&app).await;

        // Teams was read live (not from the import), as old as the snapshot job.
        let input = ScanInput::from_json(row.input.as_ref()).unwrap();
        let teams = input
            .services
            .iter()
            .find(|s| s.service == "teams")
            .unwrap();
        assert_eq!(teams.state, ServiceState::Partial, "{teams:?}");
        assert_eq!(
            teams
                .as_of
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            TEAMS_JOB_COMPLETED
        );
        assert!(
            teams.detail.as_deref().unwrap().contains(TEAMS_JOB_ID),
            "{teams:?}"
        );
        let stored = stored_snapshot(&app, &row).await;
        assert_eq!(
            stored.data["aether365"]["teams_tcm_snapshot"]["job_id"],
            TEAMS_JOB_ID
        );

        // Its findings are decided from the snapshot and say so; what TCM lacks is an error.
        for id in ["A365-TMS-01", "A365-TMS-08", "A365-TMS-11", "A365-TMS-21"] {
            let f = &findings[id];
            assert!(
                f.status == "pass" || f.status == "fail",
                "{id}: {} {}",
                f.status,
                f.message
            );
            assert!(
                f.message.contains(TEAMS_JOB_ID) && f.message.contains("2026-11-28 06:30 UTC"),
                "{id}: {}",
                f.message
            );
        }
        assert_all(&findings, ["A365-TMS-15", "A365-TMS-16"], "error");
    }
}
