//! The services other than Entra ID: Exchange Online, Defender and Purview (the security suite),
//! SharePoint and Power Platform (Teams: the `teams` module). Each reads what ScubaGear's REST providers read and
//! writes the same export keys and command names.

use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use crate::endpoints::scope_of;
use crate::graph::GraphClient;
use crate::host;
use crate::request::{AllowedCmdlet, ReadRequest};
use crate::transport::Session;
use crate::{Endpoints, ReadError, TenantTarget};

/// What one service's collection produced.
#[derive(Debug, Default)]
pub(crate) struct ServiceRun {
    pub(crate) sections: Map<String, Value>,
    pub(crate) ok: Vec<String>,
    pub(crate) failed: Vec<(String, String)>,
}

impl ServiceRun {
    pub(crate) fn success(&mut self, command: &str) {
        self.ok.push(command.to_string());
    }

    pub(crate) fn failure(&mut self, command: &str, e: &ReadError) {
        self.failed.push((command.to_string(), e.reason()));
    }
}

/// The anchor mailbox header Exchange Online's own module sends (routes the request to the
/// tenant's mailbox server).
/// The initial domain is tenant data: checked by [`host::initial_domain`] first.
pub(crate) fn anchor(target: &TenantTarget) -> Result<String, ReadError> {
    let domain = host::initial_domain(&target.initial_domain)?;
    Ok(format!(
        "UPN:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{domain}"
    ))
}

/// Permission advice for a 403 from Exchange Online.
pub(crate) const EXO_PERMISSION: &str =
    "Exchange.ManageAsApp (Office 365 Exchange Online) with the Global Reader role";
/// Permission advice for a 403 from Security & Compliance.
pub(crate) const SCC_PERMISSION: &str =
    "Exchange.ManageAsApp with the Global Reader role (Security & Compliance)";
/// Permission advice for a 403 from the SharePoint admin API.
pub(crate) const SPO_PERMISSION: &str = "Sites.FullControl.All (SharePoint)";
/// Permission advice for a 403 from the Power Platform admin API.
pub(crate) const PP_PERMISSION: &str =
    "Power Platform management app registration (New-PowerAppManagementApp)";

/// ScubaGear stores a cmdlet's empty answer as `[null]` (`ConvertTo-Json @($null)`); so do we.
fn export_list(items: Vec<Value>) -> Value {
    if items.is_empty() {
        json!([null])
    } else {
        Value::Array(items)
    }
}

/// Runs cmdlets concurrently (the tenant's semaphore bounds them) and returns each result in
/// the order given.
async fn invoke_all(
    session: &Session,
    api_base: &str,
    scope: &str,
    target: &TenantTarget,
    cmdlets: &[AllowedCmdlet],
    permission: &str,
) -> Vec<(AllowedCmdlet, Result<Vec<Value>, ReadError>)> {
    let futures = cmdlets.iter().map(|&cmdlet| async move {
        let req = ReadRequest::invoke(api_base, &target.microsoft_tenant_id, cmdlet, Map::new())
            .and_then(|r| {
                Ok(r.header("X-AnchorMailbox", anchor(target)?)
                    .permission(permission))
            });
        let result = match req {
            Ok(req) => session.list(req, Some(scope)).await,
            Err(e) => Err(e),
        };
        (cmdlet, result)
    });
    join_all(futures).await
}

/// Exchange Online cmdlets and the export key each fills.
pub(crate) const EXCHANGE_COMMANDS: &[(AllowedCmdlet, &str)] = &[
    (AllowedCmdlet::GetRemoteDomain, "remote_domains"),
    (AllowedCmdlet::GetAcceptedDomain, "accepted_domains"),
    (AllowedCmdlet::GetDkimSigningConfig, "dkim_config"),
    (AllowedCmdlet::GetTransportConfig, "transport_config"),
    (AllowedCmdlet::GetSharingPolicy, "sharing_policy"),
    (AllowedCmdlet::GetTransportRule, "transport_rule"),
    (
        AllowedCmdlet::GetHostedConnectionFilterPolicy,
        "conn_filter",
    ),
    (AllowedCmdlet::GetOrganizationConfig, "org_config"),
    (AllowedCmdlet::GetInboundConnector, "inbound_connectors"),
    (AllowedCmdlet::GetOutboundConnector, "outbound_connectors"),
    (
        AllowedCmdlet::GetIntraOrganizationConnector,
        "intra_org_connectors",
    ),
    (
        AllowedCmdlet::GetOrganizationRelationship,
        "org_relationships",
    ),
];

/// The key of the snapshot's own section, beside ScubaGear's keys (the engine's
/// `snapshot::AETHER365_SECTION`).
pub(crate) const AETHER365_SECTION: &str = "aether365";
/// The version of that section written here (the engine's `snapshot::AETHER365_VERSION`).
pub(crate) const AETHER365_VERSION: u64 = 1;

/// Exchange Online cmdlets ScubaGear's export does not run, and the key of the snapshot's
/// `aether365` section each fills (the engine's `snapshot::AETHER365_SOURCES`).
pub(crate) const OWN_EXCHANGE_COMMANDS: &[(AllowedCmdlet, &str)] = &[
    (
        AllowedCmdlet::GetMalwareFilterPolicy,
        "anti_malware_policies",
    ),
    (
        AllowedCmdlet::GetHostedOutboundSpamFilterPolicy,
        "hosted_outbound_spam_filter_policies",
    ),
    (
        AllowedCmdlet::GetHostedContentFilterPolicy,
        "hosted_content_filter_policies",
    ),
    // The Security Suite baseline (ScubaGear's main branch, issue 21): the rules saying whom
    // each custom policy applies to, under the keys its export gives them.
    (AllowedCmdlet::GetMalwareFilterRule, "anti_malware_rules"),
    (
        AllowedCmdlet::GetHostedContentFilterRule,
        "hosted_content_filter_rules",
    ),
    (AllowedCmdlet::GetAntiPhishRule, "anti_phish_rules"),
];

/// Defender for Office 365 cmdlets of the Security Suite baseline (ScubaGear's main branch),
/// and the key of the `aether365` section each fills. Without a Defender for Office 365 licence
/// the cmdlets do not exist: that answer is recorded as an empty list (the tenant has no such
/// policy), as ScubaGear records it; any other failure leaves the key out.
pub(crate) const SUITE_ATP_COMMANDS: &[(AllowedCmdlet, &str)] = &[
    (
        AllowedCmdlet::GetSafeAttachmentPolicy,
        "safe_attachment_policies",
    ),
    (
        AllowedCmdlet::GetSafeAttachmentRule,
        "safe_attachment_rules",
    ),
    (
        AllowedCmdlet::GetAtpBuiltInProtectionRule,
        "built_in_protection_rules",
    ),
    (AllowedCmdlet::GetSafeLinksPolicy, "safe_links_policies"),
    (AllowedCmdlet::GetSafeLinksRule, "safe_links_rules"),
];

/// Security & Compliance cmdlets of the Security Suite baseline, and the key of the `aether365`
/// section each fills (recorded in `securitysuite_*` commands). A cmdlet the tenant lacks is
/// recorded as an empty list, as for [`SUITE_ATP_COMMANDS`].
pub(crate) const SUITE_SCC_COMMANDS: &[(AllowedCmdlet, &str)] = &[(
    AllowedCmdlet::GetUnifiedAuditLogRetentionPolicy,
    "unified_audit_log_retention_policies",
)];

/// Records the results of cmdlets that may not exist in the tenant (a licence it lacks): an
/// answer is the section, the cmdlet missing is an empty one, any other failure is recorded as
/// the command's failure and leaves the section out.
fn optional_cmdlets(
    run: &mut ServiceRun,
    own: &mut Map<String, Value>,
    results: Vec<(AllowedCmdlet, Result<Vec<Value>, ReadError>)>,
    keys: &[(AllowedCmdlet, &str)],
) {
    for ((cmdlet, result), (_, key)) in results.into_iter().zip(keys) {
        match result {
            Ok(items) => {
                own.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(ReadError::UnknownCmdlet { .. }) => {
                own.insert((*key).to_string(), json!([]));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
}

/// CIS v7.0.0 Exchange Online and Defender cmdlets ScubaGear's export does not run, and the key
/// of the snapshot's `aether365` section each fills (the engine's `snapshot::AETHER365_SOURCES`).
pub(crate) const CIS_EXCHANGE_COMMANDS: &[(AllowedCmdlet, &str)] = &[
    (AllowedCmdlet::GetOwaMailboxPolicy, "owa_mailbox_policies"),
    (AllowedCmdlet::GetExternalInOutlook, "external_in_outlook"),
    (
        AllowedCmdlet::GetMailboxAuditBypassAssociation,
        "mailbox_audit_bypass_associations",
    ),
    (
        AllowedCmdlet::GetRoleAssignmentPolicy,
        "role_assignment_policies",
    ),
    (
        AllowedCmdlet::GetEmailTenantSettings,
        "email_tenant_settings",
    ),
    (
        AllowedCmdlet::GetTeamsProtectionPolicy,
        "teams_protection_policies",
    ),
];

/// The properties of `Get-MailboxAuditBypassAssociation` kept (one row per account: the rest
/// of each row is not needed).
const AUDIT_BYPASS_PROPERTIES: &[&str] = &["Name", "Identity", "AuditBypassEnabled"];

/// The `aether365` key for the `Get-OrganizationConfig` properties CIS needs beyond the ones
/// ScubaGear keeps in `org_config`; filled from the same answer, not a second call.
pub(crate) const ORG_CONFIG_CIS_KEY: &str = "organization_config";

/// The `Get-OrganizationConfig` properties kept under [`ORG_CONFIG_CIS_KEY`] (CIS 6.5.2 and
/// 6.5.5).
const ORG_CONFIG_CIS_PROPERTIES: &[&str] = &[
    "Name",
    "MailTipsAllTipsEnabled",
    "MailTipsExternalRecipientsTipsEnabled",
    "MailTipsGroupMetricsEnabled",
    "MailTipsLargeAudienceThreshold",
    "RejectDirectSend",
];

/// CIS v7.0.0 Security & Compliance cmdlets ScubaGear's export does not run, and the key of the
/// `aether365` section each fills (recorded in `securitysuite_*` commands).
pub(crate) const CIS_SCC_COMMANDS: &[(AllowedCmdlet, &str)] =
    &[(AllowedCmdlet::GetLabelPolicy, "label_policies")];

/// The `Get-OrganizationConfig` properties ScubaGear keeps (`Select-Object`).
const ORG_CONFIG_PROPERTIES: &[&str] = &[
    "Name",
    "DisplayName",
    "AuditDisabled",
    "HybridConfigurationStatus",
    "OAuth2ClientProfileEnabled",
    "DefaultAuthenticationPolicy",
    "SendFromAliasEnabled",
    "ConnectorsEnabled",
    "ConnectorsEnabledForTeams",
    "CustomerLockboxEnabled",
    "SmtpActionableMessagesEnabled",
    "ActivityBasedAuthenticationTimeoutEnabled",
    "ActivityBasedAuthenticationTimeoutInterval",
    "BookingsEnabled",
];

fn select(item: &Value, properties: &[&str]) -> Value {
    let mut out = Map::new();
    for p in properties {
        out.insert(
            (*p).to_string(),
            item.get(*p).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

/// Exchange Online through `InvokeCommand` (`exo_*` commands). SPF, DKIM and DMARC records
/// come from DNS, not from here.
pub(crate) async fn exchange(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
) -> ServiceRun {
    let mut run = ServiceRun::default();
    let cmdlets: Vec<AllowedCmdlet> = EXCHANGE_COMMANDS
        .iter()
        .chain(OWN_EXCHANGE_COMMANDS)
        .chain(CIS_EXCHANGE_COMMANDS)
        .chain(SUITE_ATP_COMMANDS)
        .map(|(c, _)| *c)
        .collect();
    let mut results = invoke_all(
        session,
        &endpoints.exchange,
        &scope_of(&endpoints.exchange),
        target,
        &cmdlets,
        EXO_PERMISSION,
    )
    .await;
    let atp_results = results.split_off(
        EXCHANGE_COMMANDS.len() + OWN_EXCHANGE_COMMANDS.len() + CIS_EXCHANGE_COMMANDS.len(),
    );
    let cis_results = results.split_off(EXCHANGE_COMMANDS.len() + OWN_EXCHANGE_COMMANDS.len());
    let own_results = results.split_off(EXCHANGE_COMMANDS.len());
    let mut org_config_cis = None;
    for ((cmdlet, result), (_, key)) in results.into_iter().zip(EXCHANGE_COMMANDS) {
        match result {
            Ok(items) => {
                if cmdlet == AllowedCmdlet::GetOrganizationConfig {
                    org_config_cis = Some(export_list(
                        items
                            .iter()
                            .map(|i| select(i, ORG_CONFIG_CIS_PROPERTIES))
                            .collect(),
                    ));
                }
                let items = if cmdlet == AllowedCmdlet::GetOrganizationConfig {
                    items
                        .iter()
                        .map(|i| select(i, ORG_CONFIG_PROPERTIES))
                        .collect()
                } else {
                    items
                };
                run.sections.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
    // Ours after ScubaGear's, in `exo_successful_commands` too.
    let mut own = Map::new();
    own.insert("version".into(), json!(AETHER365_VERSION));
    for ((cmdlet, result), (_, key)) in own_results.into_iter().zip(OWN_EXCHANGE_COMMANDS) {
        match result {
            Ok(items) => {
                own.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
    // CIS v7.0.0 settings: after the Exchange Online Protection policies.
    if let Some(rows) = org_config_cis {
        own.insert(ORG_CONFIG_CIS_KEY.to_string(), rows);
    }
    for ((cmdlet, result), (_, key)) in cis_results.into_iter().zip(CIS_EXCHANGE_COMMANDS) {
        match result {
            Ok(items) => {
                let items = if cmdlet == AllowedCmdlet::GetMailboxAuditBypassAssociation {
                    items
                        .iter()
                        .map(|i| select(i, AUDIT_BYPASS_PROPERTIES))
                        .collect()
                } else {
                    items
                };
                own.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
    optional_cmdlets(&mut run, &mut own, atp_results, SUITE_ATP_COMMANDS);
    run.sections
        .insert(AETHER365_SECTION.to_string(), Value::Object(own));
    run
}

/// Defender cmdlets on Exchange Online, and the key each fills.
const DEFENDER_EXO: &[(AllowedCmdlet, &str)] = &[
    (
        AllowedCmdlet::GetAdminAuditLogConfig,
        "admin_audit_log_config",
    ),
    (
        AllowedCmdlet::GetEopProtectionPolicyRule,
        "protection_policy_rules",
    ),
    (AllowedCmdlet::GetAntiPhishPolicy, "anti_phish_policies"),
    (AllowedCmdlet::GetAtpPolicyForO365, "atp_policy_for_o365"),
    (
        AllowedCmdlet::GetAtpProtectionPolicyRule,
        "atp_policy_rules",
    ),
];

/// Purview cmdlets on Security & Compliance, and the key each fills.
const PURVIEW_SCC: &[(AllowedCmdlet, &str)] = &[
    (
        AllowedCmdlet::GetDlpCompliancePolicy,
        "dlp_compliance_policies",
    ),
    (AllowedCmdlet::GetProtectionAlert, "protection_alerts"),
    (AllowedCmdlet::GetDlpComplianceRule, "dlp_compliance_rules"),
];

/// Records a group of cmdlets whose licence ScubaGear infers from their success
/// (`defender_license`, `defender_dlp_license`): all succeeded gives `true`; failing only because
/// the cmdlets do not exist in the tenant gives `false` with empty sections (ScubaGear's
/// behaviour); any other failure (403, throttling, timeout) leaves the sections and the licence
/// key out and records the commands as unsuccessful with their reason.
fn licensed_group(
    run: &mut ServiceRun,
    results: Vec<(AllowedCmdlet, Result<Vec<Value>, ReadError>)>,
    keys: &[(AllowedCmdlet, &str)],
    licence_key: &str,
) {
    let all_ok = results.iter().all(|(_, r)| r.is_ok());
    let all_unlicensed = results
        .iter()
        .all(|(_, r)| matches!(r, Ok(_) | Err(ReadError::UnknownCmdlet { .. })));
    if all_ok {
        for ((cmdlet, result), (_, key)) in results.into_iter().zip(keys) {
            if let Ok(items) = result {
                run.sections.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
        }
        run.sections
            .insert(licence_key.to_string(), Value::Bool(true));
    } else if all_unlicensed {
        for ((cmdlet, _), (_, key)) in results.into_iter().zip(keys) {
            run.sections.insert((*key).to_string(), json!([]));
            run.success(cmdlet.name());
        }
        run.sections
            .insert(licence_key.to_string(), Value::Bool(false));
    } else {
        for ((cmdlet, result), (_, key)) in results.into_iter().zip(keys) {
            match result {
                Ok(items) => {
                    run.sections.insert((*key).to_string(), export_list(items));
                    run.success(cmdlet.name());
                }
                Err(e) => run.failure(cmdlet.name(), &e),
            }
        }
    }
}

/// Defender (Exchange Online) and Purview (Security & Compliance) for the
/// `securitysuite_*` commands.
pub(crate) async fn security_suite(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
) -> ServiceRun {
    let mut run = ServiceRun::default();
    let exo: Vec<AllowedCmdlet> = DEFENDER_EXO.iter().map(|(c, _)| *c).collect();
    let scc: Vec<AllowedCmdlet> = PURVIEW_SCC.iter().map(|(c, _)| *c).collect();
    let cis_scc: Vec<AllowedCmdlet> = CIS_SCC_COMMANDS
        .iter()
        .chain(SUITE_SCC_COMMANDS)
        .map(|(c, _)| *c)
        .collect();
    let compliance = discover_compliance(session, &endpoints.compliance, target).await;
    let exo_scope = scope_of(&endpoints.exchange);
    let (exo_results, scc_results, cis_scc_results) = futures_util::join!(
        invoke_all(
            session,
            &endpoints.exchange,
            &exo_scope,
            target,
            &exo,
            EXO_PERMISSION
        ),
        invoke_all(
            session,
            &compliance.base,
            &compliance.scope,
            target,
            &scc,
            SCC_PERMISSION
        ),
        invoke_all(
            session,
            &compliance.base,
            &compliance.scope,
            target,
            &cis_scc,
            SCC_PERMISSION
        ),
    );
    // The first three are always there; the ATP pair decides `defender_license`.
    let mut exo_results = exo_results;
    let atp = exo_results.split_off(3);
    for ((cmdlet, result), (_, key)) in exo_results.into_iter().zip(DEFENDER_EXO) {
        match result {
            Ok(items) => {
                run.sections.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
    licensed_group(&mut run, atp, &DEFENDER_EXO[3..], "defender_license");
    licensed_group(&mut run, scc_results, PURVIEW_SCC, "defender_dlp_license");
    // CIS v7.0.0 settings, into the `aether365` section (the collection merges it with the
    // Exchange Online service's).
    let mut own = Map::new();
    let mut cis_scc_results = cis_scc_results;
    let suite_scc_results = cis_scc_results.split_off(CIS_SCC_COMMANDS.len());
    for ((cmdlet, result), (_, key)) in cis_scc_results.into_iter().zip(CIS_SCC_COMMANDS) {
        match result {
            Ok(items) => {
                own.insert((*key).to_string(), export_list(items));
                run.success(cmdlet.name());
            }
            Err(e) => run.failure(cmdlet.name(), &e),
        }
    }
    optional_cmdlets(&mut run, &mut own, suite_scc_results, SUITE_SCC_COMMANDS);
    run.sections
        .insert(AETHER365_SECTION.to_string(), Value::Object(own));
    run
}

/// The Security & Compliance front doors, whose tenants are served by regional hosts.
const COMPLIANCE_FRONT_DOORS: &[&str] = &[
    "ps.compliance.protection.outlook.com",
    "ps.compliance.protection.office365.us",
];

/// Where the Security & Compliance cmdlets are sent, and the token scope they need.
struct ComplianceApi {
    /// The regional URL (or the configured one).
    base: String,
    /// The front door's resource (`https://ps.compliance.protection.outlook.com/.default`),
    /// which the regional hosts accept too: they are not resources of their own.
    scope: String,
}

/// The regional Security & Compliance host for a tenant, as ScubaGear's
/// `Get-ComplianceApiEndpoint` finds it: a GET of `{front door}/AdminApi/v1.0/{tenant}/EXOModuleFile`
/// whose redirect names the region (`nam13b.ps.compliance...` from a `Location` on
/// `nam13b.admin.protection...`). Only for URLs on the real front-door host names (scheme, port
/// and path kept, so that a test can pin those names to a stand-in); any other URL (a proxy, a
/// stand-in on an address) and any failure keep the configured URL.
async fn discover_compliance(
    session: &Session,
    configured: &str,
    target: &TenantTarget,
) -> ComplianceApi {
    let configured = configured.trim_end_matches('/').to_string();
    let unchanged = |configured: String| ComplianceApi {
        scope: scope_of(&configured),
        base: configured,
    };
    let Ok(url) = url::Url::parse(&configured) else {
        return unchanged(configured);
    };
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return unchanged(configured);
    };
    if !COMPLIANCE_FRONT_DOORS.contains(&host.as_str()) {
        return unchanged(configured);
    }
    let scope = format!("https://{host}/.default");
    let base = discover_region(session, &configured, &url, &host, &scope, target)
        .await
        .unwrap_or(configured);
    ComplianceApi { base, scope }
}

/// The regional URL behind a front door, from its discovery redirect.
async fn discover_region(
    session: &Session,
    configured: &str,
    url: &url::Url,
    host: &str,
    scope: &str,
    target: &TenantTarget,
) -> Option<String> {
    let probe = format!(
        "{configured}/AdminApi/v1.0/{}/EXOModuleFile",
        target.microsoft_tenant_id
    );
    let req = ReadRequest::get(&probe)
        .ok()?
        .header("X-AnchorMailbox", anchor(target).ok()?);
    let location = session.redirect_location(&req, Some(scope)).await?;
    regional_compliance(url, host, &location)
}

/// The front door's URL with its host replaced by `{prefix}.{front door host}`, the prefix
/// taken from a discovery redirect's `Location` (only the prefix: the redirect never chooses
/// the host the token is sent to).
fn regional_compliance(front_door: &url::Url, front_host: &str, location: &str) -> Option<String> {
    let to = url::Url::parse(location).ok()?;
    let prefix = to.host_str()?.split('.').next()?;
    let valid = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        return None;
    }
    let mut regional = front_door.clone();
    regional
        .set_host(Some(&format!("{prefix}.{front_host}")))
        .ok()?;
    Some(regional.as_str().trim_end_matches('/').to_string())
}

/// SharePoint and OneDrive: `GET {admin}/_api/SPO.Tenant` (verbose OData), stored as `[d]`.
pub(crate) async fn sharepoint(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
) -> ServiceRun {
    let mut run = ServiceRun::default();
    let command = "Get-SPOTenantRest";
    let result = async {
        let admin = endpoints.sharepoint_admin_url(&target.initial_domain)?;
        let req = ReadRequest::get(&format!("{admin}/_api/SPO.Tenant"))?
            .header("Accept", "application/json;odata=verbose")
            .permission(SPO_PERMISSION);
        let v = session.execute(&req, Some(&scope_of(&admin))).await?;
        match v.get("d") {
            Some(d @ Value::Object(_)) => Ok(d.clone()),
            _ => Err(ReadError::Malformed {
                what: "/_api/SPO.Tenant".into(),
                detail: "no `d` object (verbose OData expected)".into(),
            }),
        }
    }
    .await;
    match result {
        Ok(d) => {
            run.sections.insert("SPO_tenant".into(), json!([d]));
            run.success(command);
        }
        Err(e) => run.failure(command, &e),
    }
    run.sections
        .insert("OneDrive_PnP_Flag".into(), Value::Bool(false));
    run
}

/// Environments as ScubaGear's `Get-PowerPlatformEnvironmentsRest` reshapes them.
fn environment_row(env: &Value) -> Value {
    let p = env.get("properties").cloned().unwrap_or(Value::Null);
    json!({
        "EnvironmentName": env.get("name").cloned().unwrap_or(Value::Null),
        "DisplayName": p.get("displayName").cloned().unwrap_or(Value::Null),
        "IsDefault": p.get("isDefault").cloned().unwrap_or(Value::Null),
        "Location": env.get("location").cloned().unwrap_or(Value::Null),
        "EnvironmentType": p.get("environmentSku").cloned().unwrap_or(Value::Null),
        "CreatedTime": p.get("createdTime").cloned().unwrap_or(Value::Null),
    })
}

/// DLP policies as ScubaGear's `Get-PowerPlatformDlpPoliciesRest` normalises them, with the
/// connector groups and default group ScubaGear's REST provider drops (see [`crate::dlp`]).
fn dlp_row(policy: &Value) -> Value {
    let filter = policy.pointer("/properties/definition/constraints/environmentFilter1");
    let (kind, environments) = match filter {
        None | Some(Value::Null) => ("AllEnvironments", json!([])),
        Some(f) => {
            let envs = match f.pointer("/parameters/environments") {
                Some(Value::Array(a)) => Value::Array(a.clone()),
                Some(Value::Null) | None => json!([]),
                Some(other) => json!([other]),
            };
            if f.pointer("/parameters/filterType").and_then(Value::as_str) == Some("include") {
                ("OnlyEnvironments", envs)
            } else {
                ("ExceptEnvironments", envs)
            }
        }
    };
    let (groups, default) = crate::dlp::connector_groups(policy);
    json!({
        "name": policy.get("name").cloned().unwrap_or(Value::Null),
        "displayName": policy.pointer("/properties/displayName").cloned().unwrap_or(Value::Null),
        "environmentType": kind,
        "environments": environments,
        "connectorGroups": groups,
        "defaultConnectorsClassification": default,
    })
}

/// Power Platform through the BAP admin API (`powerplatform_*` commands), plus `tenant_id`.
pub(crate) async fn power_platform(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
) -> ServiceRun {
    let mut run = ServiceRun::default();
    let base = endpoints.power_platform.trim_end_matches('/').to_string();
    let scope = endpoints.power_platform_scope();
    let tid = target.microsoft_tenant_id.clone();

    // ScubaGear reads the organisation for the tenant id first.
    let graph = GraphClient::new(session, &endpoints.graph);
    let org = crate::entra::GraphReader::list(&graph, "/beta/organization")
        .await
        .and_then(|orgs| {
            let found = orgs
                .first()
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if found.eq_ignore_ascii_case(&tid) {
                Ok(())
            } else {
                Err(ReadError::WrongTenant {
                    what: "/beta/organization".into(),
                    expected: tid.clone(),
                    found: found.to_string(),
                })
            }
        });
    match org {
        Ok(()) => run.success("Get-MgBetaOrganization"),
        Err(e) => run.failure("Get-MgBetaOrganization", &e),
    }

    let settings = async {
        let req =
            ReadRequest::power_platform_list_tenant_settings(&base)?.permission(PP_PERMISSION);
        session.execute(&req, Some(&scope)).await
    };
    let environments = async {
        let req = ReadRequest::get(&format!(
            "{base}/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments?api-version=2023-06-01"
        ))?
        .permission(PP_PERMISSION);
        session.list(req, Some(&scope)).await
    };
    let dlp = async {
        let req = ReadRequest::get(&format!(
            "{base}/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies?api-version=2016-11-01"
        ))?
        .permission(PP_PERMISSION);
        session.list(req, Some(&scope)).await
    };
    let isolation = async {
        let req = ReadRequest::get(&format!(
            "{base}/providers/PowerPlatform.Governance/v1/tenants/{tid}/tenantIsolationPolicy?api-version=2020-06-01"
        ))?
        .permission(PP_PERMISSION);
        session.execute(&req, Some(&scope)).await
    };
    let (settings, environments, dlp, isolation) =
        futures_util::join!(settings, environments, dlp, isolation);

    match settings {
        Ok(v) => {
            run.sections
                .insert("environment_creation".into(), json!([v]));
            run.success("Get-PowerPlatformTenantSettingsRest");
        }
        Err(e) => run.failure("Get-PowerPlatformTenantSettingsRest", &e),
    }
    match environments {
        Ok(envs) => {
            let rows: Vec<Value> = envs.iter().map(environment_row).collect();
            run.sections
                .insert("environment_list".into(), Value::Array(rows));
            run.success("Get-PowerPlatformEnvironmentsRest");
        }
        Err(e) => run.failure("Get-PowerPlatformEnvironmentsRest", &e),
    }
    match dlp {
        Ok(policies) => {
            let rows: Vec<Value> = policies.iter().map(dlp_row).collect();
            run.sections
                .insert("dlp_policies".into(), json!([{"value": rows}]));
            run.success("Get-PowerPlatformDlpPoliciesRest");
        }
        Err(e) => run.failure("Get-PowerPlatformDlpPoliciesRest", &e),
    }
    match isolation {
        Ok(v) => {
            run.sections.insert("tenant_isolation".into(), json!([v]));
            run.success("Get-PowerPlatformTenantIsolationRest");
        }
        Err(e) => run.failure("Get-PowerPlatformTenantIsolationRest", &e),
    }
    run
}

/// The command name the collector records for the Fabric admin API's tenant settings read
/// (`GET {fabric}/v1/admin/tenantsettings`), in `powerbi_successful_commands` /
/// `powerbi_unsuccessful_commands` (the engine's `snapshot::AETHER365_SOURCES`).
pub const FABRIC_COMMAND: &str = "Get-FabricTenantSettingsRest";

/// The key of the `aether365` section the tenant settings fill.
pub(crate) const FABRIC_KEY: &str = "fabric_tenant_settings";

/// What a 401 or 403 from the Fabric admin API means is missing. App-only access to the Fabric
/// admin APIs is granted by a Fabric tenant setting, not by an API permission: the application's
/// service principal must be a member of a security group the setting allows, and must hold no
/// Power BI or Fabric API permission that needs admin consent (Microsoft's "Enable service
/// principal authentication for read-only admin APIs").
pub(crate) const FABRIC_PERMISSION: &str = "the Fabric tenant setting 'Service principals can access read-only admin APIs' (Fabric admin portal > Tenant settings > Admin API settings), enabled for a security group that holds this application's service principal (which must have no Power BI or Fabric API permission that needs admin consent)";

/// Why the Fabric tenant settings are not read in a cloud without a documented Fabric host.
pub const FABRIC_UNAVAILABLE: &str = "Microsoft documents no Fabric admin API host for this cloud, so the Fabric (Power BI) tenant settings are not read; set AETHER365_FABRIC_URL if one serves this tenant";

/// One page of `GET /v1/admin/tenantsettings` (`TenantSettings`): the settings under `value`
/// (the current API description), or under `tenantSettings` (its earlier examples), and the
/// continuation of a paged answer.
#[derive(Debug, serde::Deserialize)]
struct TenantSettingsPage {
    #[serde(default)]
    value: Option<Vec<Value>>,
    #[serde(default, rename = "tenantSettings")]
    tenant_settings: Option<Vec<Value>>,
    #[serde(default, rename = "continuationUri")]
    continuation_uri: Option<String>,
    #[serde(default, rename = "continuationToken")]
    continuation_token: Option<String>,
}

/// Reads every tenant setting: follows `continuationUri` (same origin only), else
/// `continuationToken` as the documented query parameter.
async fn fabric_tenant_settings(session: &Session, base: &str) -> Result<Vec<Value>, ReadError> {
    let base = base.trim_end_matches('/');
    let first = format!("{base}/v1/admin/tenantsettings");
    let scope = scope_of(base);
    let mut req = ReadRequest::get(&first)?.permission(FABRIC_PERMISSION);
    let mut items = Vec::new();
    for _ in 0..1_000 {
        let answer = session.execute(&req, Some(&scope)).await?;
        let page: TenantSettingsPage =
            serde_json::from_value(answer).map_err(|e| ReadError::Malformed {
                what: req.what().to_string(),
                detail: format!("not a list of tenant settings: {e}"),
            })?;
        let Some(settings) = page.value.or(page.tenant_settings) else {
            return Err(ReadError::Malformed {
                what: req.what().to_string(),
                detail: "no `value` (or `tenantSettings`) array in the answer".into(),
            });
        };
        items.extend(settings);
        let next = match (page.continuation_uri, page.continuation_token) {
            (Some(uri), _) if !uri.is_empty() => uri,
            (_, Some(token)) if !token.is_empty() => {
                let mut u = url::Url::parse(&first).map_err(|e| ReadError::Refused {
                    detail: format!("not a valid URL ({e}): {first}"),
                })?;
                u.query_pairs_mut().append_pair("continuationToken", &token);
                u.to_string()
            }
            _ => return Ok(items),
        };
        req = req.next_page(&next)?;
    }
    Err(ReadError::Malformed {
        what: "/v1/admin/tenantsettings".into(),
        detail: "more than 1,000 pages (a continuation loop?)".into(),
    })
}

/// Power BI and Fabric: the Fabric admin API's tenant settings, into the `aether365` section.
/// A refusal (401/403: the admin-API tenant setting off, or the application outside its group)
/// is recorded with [`FABRIC_PERMISSION`] in its reason.
pub(crate) async fn power_bi(session: &Session, endpoints: &Endpoints) -> ServiceRun {
    let mut run = ServiceRun::default();
    let Some(base) = endpoints.fabric.as_deref() else {
        run.failed
            .push((FABRIC_COMMAND.to_string(), FABRIC_UNAVAILABLE.to_string()));
        return run;
    };
    match fabric_tenant_settings(session, base).await {
        Ok(items) => {
            let mut own = Map::new();
            own.insert(FABRIC_KEY.to_string(), Value::Array(items));
            run.sections
                .insert(AETHER365_SECTION.to_string(), Value::Object(own));
            run.success(FABRIC_COMMAND);
        }
        Err(e @ ReadError::Unauthorized { .. }) => run.failed.push((
            FABRIC_COMMAND.to_string(),
            format!(
                "{}; the Fabric admin API needs {FABRIC_PERMISSION}",
                e.reason()
            ),
        )),
        Err(e) => run.failure(FABRIC_COMMAND, &e),
    }
    run
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn dlp_policies_are_normalised_like_scubagear() {
        let p = json!({"name": "p1", "properties": {"displayName": "Block", "definition": {"constraints": {
            "environmentFilter1": {"parameters": {"filterType": "include", "environments": [{"name": "e1"}]}}}}}});
        let row = dlp_row(&p);
        assert_eq!(row["environmentType"], "OnlyEnvironments");
        assert_eq!(row["environments"][0]["name"], "e1");
        let all = dlp_row(&json!({"name": "p2", "properties": {"displayName": "All"}}));
        assert_eq!(all["environmentType"], "AllEnvironments");
    }

    #[test]
    fn compliance_regions_come_from_the_redirect() {
        let front = url::Url::parse("https://ps.compliance.protection.outlook.com").unwrap();
        let host = "ps.compliance.protection.outlook.com";
        assert_eq!(
            regional_compliance(
                &front,
                host,
                "https://nam13b.admin.protection.outlook.com/AdminApi/v1.0/t/EXOModuleFile"
            )
            .as_deref(),
            Some("https://nam13b.ps.compliance.protection.outlook.com")
        );
        assert_eq!(regional_compliance(&front, host, "/relative"), None);
        // Scheme, port and path of the configured URL are kept.
        let pinned =
            url::Url::parse("http://ps.compliance.protection.outlook.com:8365/scc").unwrap();
        assert_eq!(
            regional_compliance(
                &pinned,
                host,
                "https://eur02b.admin.protection.outlook.com/AdminApi/v1.0/t/EXOModuleFile"
            )
            .as_deref(),
            Some("http://eur02b.ps.compliance.protection.outlook.com:8365/scc")
        );
    }

    #[test]
    fn empty_cmdlet_answers_look_like_scubagear() {
        assert_eq!(export_list(vec![]), json!([null]));
        assert_eq!(export_list(vec![json!(1)]), json!([1]));
    }
}

#[cfg(test)]
mod own_section_tests {
    use super::*;
    use aether365_engine::snapshot::AETHER365_SOURCES;

    #[test]
    fn the_section_is_the_one_the_engine_reads() {
        assert_eq!(
            AETHER365_SECTION,
            aether365_engine::snapshot::AETHER365_SECTION
        );
        assert_eq!(
            AETHER365_VERSION,
            aether365_engine::snapshot::AETHER365_VERSION
        );
    }

    #[test]
    fn cis_commands_fill_the_keys_the_engine_reads_from_the_same_commands() {
        let exo = CIS_EXCHANGE_COMMANDS
            .iter()
            .chain(SUITE_ATP_COMMANDS)
            .map(|(c, k)| (c.name(), *k, "exo"));
        let scc = CIS_SCC_COMMANDS
            .iter()
            .chain(SUITE_SCC_COMMANDS)
            .map(|(c, k)| (c.name(), *k, "securitysuite"));
        let org = std::iter::once((
            AllowedCmdlet::GetOrganizationConfig.name(),
            ORG_CONFIG_CIS_KEY,
            "exo",
        ));
        for (cmdlet, key, prefix) in exo.chain(scc).chain(org) {
            assert!(
                AETHER365_SOURCES
                    .iter()
                    .any(|(k, c, p)| *k == key && *c == cmdlet && *p == prefix),
                "{key}"
            );
        }
    }

    #[test]
    fn own_commands_fill_the_keys_the_engine_reads_from_the_same_commands() {
        // The Exchange keys are filled by Exchange cmdlets (and the organisation configuration's
        // CIS properties), the Security & Compliance ones by its cmdlets, and one by the Fabric
        // read; the others by Graph reads, and the per-object summaries by paged reads.
        let count = |prefix: &str| {
            AETHER365_SOURCES
                .iter()
                .filter(|(k, _, p)| {
                    *p == prefix && !crate::per_object::KEYS.iter().any(|(o, _, _)| o == k)
                })
                .count()
        };
        assert_eq!(
            OWN_EXCHANGE_COMMANDS.len()
                + CIS_EXCHANGE_COMMANDS.len()
                + SUITE_ATP_COMMANDS.len()
                + 1,
            count("exo")
        );
        assert_eq!(
            CIS_SCC_COMMANDS.len() + SUITE_SCC_COMMANDS.len(),
            count("securitysuite")
        );
        assert_eq!(1, count("powerbi"));
        assert!(
            AETHER365_SOURCES
                .iter()
                .any(|(k, c, p)| *k == FABRIC_KEY && *c == FABRIC_COMMAND && *p == "powerbi")
        );
        for (cmdlet, key) in OWN_EXCHANGE_COMMANDS {
            assert!(
                AETHER365_SOURCES
                    .iter()
                    .any(|(k, c, prefix)| k == key && *c == cmdlet.name() && *prefix == "exo"),
                "{key}"
            );
        }
    }
}
