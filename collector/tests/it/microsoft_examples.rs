//! The collector against Microsoft's own example responses (`microsoft_examples/`, each file's
//! source in its `README.md`), not only against our stand-in: a format mistake written into both
//! the stand-in and the collector would pass every round trip, but not these.
//!
//! A tiny HTTP/1.1 server on loopback answers the token request and serves each example at the
//! path the collector reads; every other request is a 404 in Graph's error format. The collection
//! runs through the collector's real path (`Collector::collect`: transport, paging, Graph,
//! `InvokeCommand`, SharePoint, Power Platform, Fabric) and the tests assert the snapshot values
//! the checks read. Where Microsoft documents two shapes of one answer, each is served in turn.
//!
//! ## Coverage
//!
//! Every read the collector makes, one row each: the path (ids as `{id}`, no query) or the
//! `InvokeCommand` cmdlet, the example files served for it, and why there is none (or what the
//! example leaves out). `Pending:` marks a read whose example is still to be gathered or built.
//! [`every_read_has_an_example_or_a_reason`] parses this table and fails when a cmdlet of
//! `AllowedCmdlet::ALL` or a path named in `collector/src` (outside its test modules) has no
//! row, a row has neither a file nor a reason, a file is missing or unnamed, or a row names a
//! read the collector no longer makes. Teams' snapshot extraction (a job's `resourceLocation`)
//! and the token endpoint are not listed: neither is a path in the source.
//!
//! | read | examples | why none / what they leave out |
//! |---|---|---|
//! | `GET /beta/identity/conditionalAccess/policies` | `graph_beta_identity_conditionalAccess_policies.json` |  |
//! | `GET /beta/policies/authorizationPolicy` | `graph_beta_policies_authorizationPolicy.collection.json`, `graph_beta_policies_authorizationPolicy.object.json` |  |
//! | `GET /beta/policies/authenticationMethodsPolicy` | `graph_beta_policies_authenticationMethodsPolicy.json` |  |
//! | `GET /beta/settings` | `graph_beta_settings.json` |  |
//! | `GET /beta/domains` | `graph_beta_domains.json` |  |
//! | `GET /beta/subscribedSkus` | `graph_beta_subscribedSkus.json`, `graph_beta_subscribedSkus.p2.json` |  |
//! | `GET /beta/organization` | `graph_beta_organization.json` |  |
//! | `GET /beta/users/$count` | `graph_beta_users_count.txt` |  |
//! | `GET /beta/directoryRoleTemplates` | `graph_beta_directoryRoleTemplates.json` |  |
//! | `GET /beta/directoryRoles` | `graph_beta_directoryRoles.json` |  |
//! | `GET /beta/directoryRoles/{id}/members` | `graph_beta_directoryRoles_members.json`, `graph_beta_directoryRoles_members.withId.json` | Microsoft's member has no `id` and no `@odata.type`: the collector refuses it (no `id`); with an `id` it is looked up in `directoryObjects`; the stand-in serves members without `@odata.type` too (`DocumentedVariant::MembersWithoutType`) |
//! | `GET /beta/roleManagement/directory/roleAssignmentScheduleInstances` | `graph_beta_roleManagement_directory_roleAssignmentScheduleInstances.json` |  |
//! | `GET /beta/roleManagement/directory/roleEligibilityScheduleInstances` | `graph_beta_roleManagement_directory_roleEligibilityScheduleInstances.json` |  |
//! | `GET /beta/policies/roleManagementPolicyAssignments` | `graph_beta_policies_roleManagementPolicyAssignments.DirectoryRole.json`, `graph_beta_policies_roleManagementPolicyAssignments.Group.json` | |
//! | `GET /beta/identityGovernance/privilegedAccess/group/resources` | `graph_beta_identityGovernance_privilegedAccess_group_resources.json` |  |
//! | `GET /beta/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances` | — | Pending: as `/beta/groups/{id}/members` |
//! | `GET /beta/directoryObjects/{id}` | `graph_beta_directoryObjects_id.json` | Microsoft's only example is a user: the group branch of a role's principals is not reached (stand-in only) |
//! | `GET /beta/users/{id}` | `graph_v1.0_users_id.json` | Microsoft's v1.0 example of `GET /users/{id}` (the beta page's is placeholders) |
//! | `GET /beta/servicePrincipals/{id}` | — | Pending: read only for a role member that is a service principal; Microsoft's role member and directory object examples are users (stand-in only) |
//! | `GET /beta/groups/{id}/members` | — | Pending: reached only for a group holding a privileged role through its members; Microsoft's examples reach none (its only `directoryObjects/{id}` is a user) |
//! | `GET /beta/groups/{id}` | `graph_beta_groups_id.json` | |
//! | `GET /beta/groups` | — | not read into the snapshot: the permission probe of `tenant test-connection` (`GRAPH_PROBES`) |
//! | `GET /v1.0/servicePrincipals` | `graph_v1.0_servicePrincipals.json` | served to the risky-classification read; the third-party storage read (`appId eq 'c1f33bc0-…'`) is not served (a 404, its command fails) |
//! | `GET /beta/servicePrincipals/{id}/delegatedPermissionClassifications` | `graph_beta_servicePrincipals_delegatedPermissionClassifications.json` |  |
//! | `GET /v1.0/policies/activityBasedTimeoutPolicies` | `graph_v1.0_policies_activityBasedTimeoutPolicies.json` |  |
//! | `GET /beta/admin/appsAndServices` | `graph_beta_admin_appsAndServices.json` |  |
//! | `GET /beta/admin/forms` | `graph_beta_admin_forms.json` |  |
//! | `GET /v1.0/deviceManagement` | `graph_v1.0_deviceManagement.json` |  |
//! | `GET /v1.0/deviceManagement/deviceEnrollmentConfigurations` | `graph_v1.0_deviceManagement_deviceEnrollmentConfigurations.json` |  |
//! | `GET /v1.0/policies/deviceRegistrationPolicy` | `graph_v1.0_policies_deviceRegistrationPolicy.json` |  |
//! | `GET /beta/policies/b2bManagementPolicies` | — | Microsoft publishes no reference page for it |
//! | `GET /v1.0/identity/conditionalAccess/namedLocations` | `graph_v1.0_identity_conditionalAccess_namedLocations.json` |  |
//! | `GET /v1.0/identityGovernance/accessReviews/definitions` | `graph_v1.0_identityGovernance_accessReviews_definitions.json` |  |
//! | `GET /v1.0/policies/defaultAppManagementPolicy` | `graph_v1.0_policies_defaultAppManagementPolicy.json` |  |
//! | `GET /v1.0/policies/appManagementPolicies` | `graph_v1.0_policies_appManagementPolicies.json` |  |
//! | `GET /v1.0/policies/appManagementPolicies/{id}/appliesTo` | `graph_v1.0_policies_appManagementPolicies_appliesTo.json` |  |
//! | `GET /v1.0/users` | `graph_v1.0_users.json` |  |
//! | `GET /v1.0/users/{id}` | `graph_v1.0_users_id.json` | without `assignedLicenses` (not selected in Microsoft's example): the collector refuses it |
//! | `GET /v1.0/groups` | `graph_v1.0_groups.json` | |
//! | `GET /v1.0/reports/authenticationMethods/userRegistrationDetails` | `graph_v1.0_reports_authenticationMethods_userRegistrationDetails.json` |  |
//! | `GET /v1.0/organization` | `graph_v1.0_organization.json` | read by `Collector::tenant_info` (admin consent, `tenant connect`), not by a collection |
//! | `GET /v1.0/subscribedSkus` | `graph_v1.0_subscribedSkus.json` | as `/v1.0/organization` |
//! | `GET /v1.0/admin/configurationManagement/configurationSnapshotJobs` | `graph_v1.0_admin_configurationManagement_configurationSnapshotJobs.json` | Microsoft's jobs have not started, so no extraction (a job's `resourceLocation`) is read, and no example of one was gathered; the extraction is tested against the stand-in in `teams_tcm.rs` |
//! | `GET /_api/SPO.Tenant` | `spo_api_SPO.Tenant.json` |  |
//! | `GET /providers/Microsoft.BusinessAppPlatform/scopes/admin/environments` | `bap_scopes_admin_environments.json` |  |
//! | `GET /providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies` | `bap_scopes_admin_apiPolicies.json` |  |
//! | `POST /providers/Microsoft.BusinessAppPlatform/listTenantSettings` | `bap_listTenantSettings.json` |  |
//! | `GET /providers/PowerPlatform.Governance/v1/tenants/{id}/tenantIsolationPolicy` | `bap_governance_tenantIsolationPolicy.json` |  |
//! | `GET /v1/admin/tenantsettings` | `fabric_v1_admin_tenantsettings.value.json`, `fabric_v1_admin_tenantsettings.tenantSettings.json` |  |
//! | `GET /AdminApi/v1.0/{id}/EXOModuleFile` | — | no documented example: the Security & Compliance discovery is the ExchangeOnlineManagement module's own call, undocumented as REST |
//! | `InvokeCommand Get-RemoteDomain` | `exo_Get-RemoteDomain.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-AcceptedDomain` | `exo_Get-AcceptedDomain.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-DkimSigningConfig` | `exo_Get-DkimSigningConfig.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-TransportConfig` | `exo_Get-TransportConfig.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-SharingPolicy` | `exo_Get-SharingPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-TransportRule` | `exo_Get-TransportRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-HostedConnectionFilterPolicy` | `exo_Get-HostedConnectionFilterPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-OrganizationConfig` | `exo_Get-OrganizationConfig.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-InboundConnector` | `exo_Get-InboundConnector.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-OutboundConnector` | `exo_Get-OutboundConnector.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-IntraOrganizationConnector` | `exo_Get-IntraOrganizationConnector.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-OrganizationRelationship` | `exo_Get-OrganizationRelationship.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-AdminAuditLogConfig` | `exo_Get-AdminAuditLogConfig.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-EOPProtectionPolicyRule` | `exo_Get-EOPProtectionPolicyRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-AntiPhishPolicy` | `exo_Get-AntiPhishPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-AtpPolicyForO365` | `exo_Get-AtpPolicyForO365.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-ATPProtectionPolicyRule` | `exo_Get-ATPProtectionPolicyRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-DlpCompliancePolicy` | `scc_Get-DlpCompliancePolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-DlpComplianceRule` | `scc_Get-DlpComplianceRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-ProtectionAlert` | `scc_Get-ProtectionAlert.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-MalwareFilterPolicy` | `exo_Get-MalwareFilterPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-HostedOutboundSpamFilterPolicy` | `exo_Get-HostedOutboundSpamFilterPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-HostedContentFilterPolicy` | `exo_Get-HostedContentFilterPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-OwaMailboxPolicy` | `exo_Get-OwaMailboxPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-ExternalInOutlook` | `exo_Get-ExternalInOutlook.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-MailboxAuditBypassAssociation` | `exo_Get-MailboxAuditBypassAssociation.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-RoleAssignmentPolicy` | `exo_Get-RoleAssignmentPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-EmailTenantSettings` | `exo_Get-EmailTenantSettings.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-TeamsProtectionPolicy` | `exo_Get-TeamsProtectionPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-LabelPolicy` | `scc_Get-LabelPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-Mailbox` | `exo_Get-Mailbox.SharedMailbox.json`, `exo_Get-Mailbox.UserMailbox.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-MalwareFilterRule` | `exo_Get-MalwareFilterRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-HostedContentFilterRule` | `exo_Get-HostedContentFilterRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-AntiPhishRule` | `exo_Get-AntiPhishRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-SafeAttachmentPolicy` | `exo_Get-SafeAttachmentPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-SafeAttachmentRule` | `exo_Get-SafeAttachmentRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-ATPBuiltInProtectionRule` | `exo_Get-ATPBuiltInProtectionRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-SafeLinksPolicy` | `exo_Get-SafeLinksPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-SafeLinksRule` | `exo_Get-SafeLinksRule.json` | built from the cmdlet reference's property names (no JSON example exists) |
//! | `InvokeCommand Get-UnifiedAuditLogRetentionPolicy` | `scc_Get-UnifiedAuditLogRetentionPolicy.json` | built from the cmdlet reference's property names (no JSON example exists) |

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aether365_collector::{
    AppCredential, Collection, Collector, CollectorConfig, EndpointKind, Endpoints, TenantTarget,
};
use aether365_engine::{Snapshot, Status, find_check};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TENANT: &str = "ee045480-0260-4c1e-b946-55842502229c";
const DOMAIN: &str = "contoso.onmicrosoft.com";
const CLIENT_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";

/// One example file's text.
fn example(name: &str) -> String {
    let path = format!(
        "{}/tests/it/microsoft_examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parsed(name: &str) -> Value {
    serde_json::from_str(&example(name)).unwrap()
}

/// What each request path (without its query) is answered with: `(path, example file)`; an
/// `InvokeCommand` is looked up as `{path}#{cmdlet}`.
fn routes() -> BTreeMap<String, String> {
    let tenant_isolation = format!(
        "/bap/providers/PowerPlatform.Governance/v1/tenants/{TENANT}/tenantIsolationPolicy"
    );
    let exo = format!("/exo/adminapi/beta/{TENANT}/InvokeCommand");
    [
        (
            "/graph/beta/identity/conditionalAccess/policies".to_string(),
            "graph_beta_identity_conditionalAccess_policies.json",
        ),
        (
            "/graph/beta/policies/authorizationPolicy".into(),
            "graph_beta_policies_authorizationPolicy.collection.json",
        ),
        (
            "/graph/beta/policies/authenticationMethodsPolicy".into(),
            "graph_beta_policies_authenticationMethodsPolicy.json",
        ),
        ("/graph/beta/settings".into(), "graph_beta_settings.json"),
        ("/graph/beta/domains".into(), "graph_beta_domains.json"),
        (
            "/graph/beta/subscribedSkus".into(),
            "graph_beta_subscribedSkus.json",
        ),
        (
            "/graph/beta/organization".into(),
            "graph_beta_organization.json",
        ),
        (
            "/graph/v1.0/policies/activityBasedTimeoutPolicies".into(),
            "graph_v1.0_policies_activityBasedTimeoutPolicies.json",
        ),
        (
            "/graph/beta/admin/appsAndServices".into(),
            "graph_beta_admin_appsAndServices.json",
        ),
        (
            "/graph/beta/admin/forms".into(),
            "graph_beta_admin_forms.json",
        ),
        (
            "/graph/v1.0/policies/deviceRegistrationPolicy".into(),
            "graph_v1.0_policies_deviceRegistrationPolicy.json",
        ),
        (
            "/graph/v1.0/identity/conditionalAccess/namedLocations".into(),
            "graph_v1.0_identity_conditionalAccess_namedLocations.json",
        ),
        (
            "/graph/v1.0/policies/defaultAppManagementPolicy".into(),
            "graph_v1.0_policies_defaultAppManagementPolicy.json",
        ),
        (
            "/graph/v1.0/policies/appManagementPolicies".into(),
            "graph_v1.0_policies_appManagementPolicies.json",
        ),
        (
            "/graph/v1.0/policies/appManagementPolicies/db9d4b58-3488-4da4-9994-49773c454e33/appliesTo"
                .into(),
            "graph_v1.0_policies_appManagementPolicies_appliesTo.json",
        ),
        (
            "/graph/v1.0/deviceManagement".into(),
            "graph_v1.0_deviceManagement.json",
        ),
        (
            "/graph/v1.0/deviceManagement/deviceEnrollmentConfigurations".into(),
            "graph_v1.0_deviceManagement_deviceEnrollmentConfigurations.json",
        ),
        (
            "/graph/v1.0/identityGovernance/accessReviews/definitions".into(),
            "graph_v1.0_identityGovernance_accessReviews_definitions.json",
        ),
        (
            "/graph/beta/users/$count".into(),
            "graph_beta_users_count.txt",
        ),
        (
            "/graph/v1.0/reports/authenticationMethods/userRegistrationDetails".into(),
            "graph_v1.0_reports_authenticationMethods_userRegistrationDetails.json",
        ),
        ("/spo/_api/SPO.Tenant".into(), "spo_api_SPO.Tenant.json"),
        (
            "/bap/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments".into(),
            "bap_scopes_admin_environments.json",
        ),
        (
            "/bap/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies".into(),
            "bap_scopes_admin_apiPolicies.json",
        ),
        (
            "/bap/providers/Microsoft.BusinessAppPlatform/listTenantSettings".into(),
            "bap_listTenantSettings.json",
        ),
        (
            tenant_isolation,
            "bap_governance_tenantIsolationPolicy.json",
        ),
        (
            "/fabric/v1/admin/tenantsettings".into(),
            "fabric_v1_admin_tenantsettings.value.json",
        ),
        (
            format!("{exo}#Get-RemoteDomain"),
            "exo_Get-RemoteDomain.json",
        ),
        (
            format!("{exo}#Get-AdminAuditLogConfig"),
            "exo_Get-AdminAuditLogConfig.json",
        ),
        (
            format!("{exo}#Get-SharingPolicy"),
            "exo_Get-SharingPolicy.json",
        ),
        (
            format!("{exo}#Get-OrganizationConfig"),
            "exo_Get-OrganizationConfig.json",
        ),
        (
            format!("{exo}#Get-Mailbox?\"RecipientTypeDetails\":\"SharedMailbox\""),
            "exo_Get-Mailbox.SharedMailbox.json",
        ),
        (
            format!("{exo}#Get-Mailbox?\"RecipientTypeDetails\":\"UserMailbox\""),
            "exo_Get-Mailbox.UserMailbox.json",
        ),
        (
            format!("{exo}#Get-TransportConfig"),
            "exo_Get-TransportConfig.json",
        ),
        (
            format!("{exo}#Get-TransportRule"),
            "exo_Get-TransportRule.json",
        ),
        (
            format!("{exo}#Get-HostedConnectionFilterPolicy"),
            "exo_Get-HostedConnectionFilterPolicy.json",
        ),
        (
            format!("{exo}#Get-DkimSigningConfig"),
            "exo_Get-DkimSigningConfig.json",
        ),
        (
            format!("{exo}#Get-AcceptedDomain"),
            "exo_Get-AcceptedDomain.json",
        ),
        (
            format!("{exo}#Get-MalwareFilterPolicy"),
            "exo_Get-MalwareFilterPolicy.json",
        ),
        (
            format!("{exo}#Get-HostedOutboundSpamFilterPolicy"),
            "exo_Get-HostedOutboundSpamFilterPolicy.json",
        ),
        (
            format!("{exo}#Get-AtpPolicyForO365"),
            "exo_Get-AtpPolicyForO365.json",
        ),
        (
            format!("{exo}#Get-EOPProtectionPolicyRule"),
            "exo_Get-EOPProtectionPolicyRule.json",
        ),
        (
            format!("{exo}#Get-ATPProtectionPolicyRule"),
            "exo_Get-ATPProtectionPolicyRule.json",
        ),
        (
            format!("{exo}#Get-AntiPhishPolicy"),
            "exo_Get-AntiPhishPolicy.json",
        ),
        (
            format!("{exo}#Get-HostedContentFilterPolicy"),
            "exo_Get-HostedContentFilterPolicy.json",
        ),
        (
            format!("{exo}#Get-InboundConnector"),
            "exo_Get-InboundConnector.json",
        ),
        (
            format!("{exo}#Get-OutboundConnector"),
            "exo_Get-OutboundConnector.json",
        ),
        (
            format!("{exo}#Get-IntraOrganizationConnector"),
            "exo_Get-IntraOrganizationConnector.json",
        ),
        (
            format!("{exo}#Get-OrganizationRelationship"),
            "exo_Get-OrganizationRelationship.json",
        ),
        (
            format!("{exo}#Get-OwaMailboxPolicy"),
            "exo_Get-OwaMailboxPolicy.json",
        ),
        (
            format!("{exo}#Get-ExternalInOutlook"),
            "exo_Get-ExternalInOutlook.json",
        ),
        (
            format!("{exo}#Get-MailboxAuditBypassAssociation"),
            "exo_Get-MailboxAuditBypassAssociation.json",
        ),
        (
            format!("{exo}#Get-RoleAssignmentPolicy"),
            "exo_Get-RoleAssignmentPolicy.json",
        ),
        (
            format!("{exo}#Get-EmailTenantSettings"),
            "exo_Get-EmailTenantSettings.json",
        ),
        (
            format!("{exo}#Get-TeamsProtectionPolicy"),
            "exo_Get-TeamsProtectionPolicy.json",
        ),
        (
            format!("/scc/adminapi/beta/{TENANT}/InvokeCommand#Get-LabelPolicy"),
            "scc_Get-LabelPolicy.json",
        ),
        (
            format!("/scc/adminapi/beta/{TENANT}/InvokeCommand#Get-DlpCompliancePolicy"),
            "scc_Get-DlpCompliancePolicy.json",
        ),
        (
            format!("/scc/adminapi/beta/{TENANT}/InvokeCommand#Get-DlpComplianceRule"),
            "scc_Get-DlpComplianceRule.json",
        ),
        (
            format!("/scc/adminapi/beta/{TENANT}/InvokeCommand#Get-ProtectionAlert"),
            "scc_Get-ProtectionAlert.json",
        ),
        (
            format!("{exo}#Get-MalwareFilterRule"),
            "exo_Get-MalwareFilterRule.json",
        ),
        (
            format!("{exo}#Get-HostedContentFilterRule"),
            "exo_Get-HostedContentFilterRule.json",
        ),
        (
            format!("{exo}#Get-AntiPhishRule"),
            "exo_Get-AntiPhishRule.json",
        ),
        (
            format!("{exo}#Get-SafeAttachmentPolicy"),
            "exo_Get-SafeAttachmentPolicy.json",
        ),
        (
            format!("{exo}#Get-SafeAttachmentRule"),
            "exo_Get-SafeAttachmentRule.json",
        ),
        (
            format!("{exo}#Get-ATPBuiltInProtectionRule"),
            "exo_Get-ATPBuiltInProtectionRule.json",
        ),
        (
            format!("{exo}#Get-SafeLinksPolicy"),
            "exo_Get-SafeLinksPolicy.json",
        ),
        (
            format!("{exo}#Get-SafeLinksRule"),
            "exo_Get-SafeLinksRule.json",
        ),
        (
            format!("/scc/adminapi/beta/{TENANT}/InvokeCommand#Get-UnifiedAuditLogRetentionPolicy"),
            "scc_Get-UnifiedAuditLogRetentionPolicy.json",
        ),
        ("/graph/v1.0/users".into(), "graph_v1.0_users.json"),
        (
            "/graph/v1.0/admin/configurationManagement/configurationSnapshotJobs".into(),
            "graph_v1.0_admin_configurationManagement_configurationSnapshotJobs.json",
        ),
        ("/graph/v1.0/groups".into(), "graph_v1.0_groups.json"),
        // The risky delegated permission read asks for the resource applications by appId.
        (
            "/graph/v1.0/servicePrincipals?00000003-0000-0000-c000-000000000000".into(),
            "graph_v1.0_servicePrincipals.json",
        ),
        (
            "/graph/beta/servicePrincipals/59e617e5-e447-4adc-8b88-00af644d7c92/delegatedPermissionClassifications"
                .into(),
            "graph_beta_servicePrincipals_delegatedPermissionClassifications.json",
        ),
    ]
    .into_iter()
    .map(|(path, file)| (path, file.to_string()))
    .collect()
}

/// [`routes`] and the PIM chain: a tenant with Entra ID P2 (Microsoft's licence example with
/// the P2 service plan added), its directory roles and their members, role templates, PIM
/// schedule instances, role management policy with its rules, and PIM for Groups resources.
fn pim_routes() -> BTreeMap<String, String> {
    let mut r = with(
        routes(),
        "/graph/beta/subscribedSkus",
        "graph_beta_subscribedSkus.p2.json",
    );
    for (path, file) in [
        (
            "/graph/beta/directoryRoles",
            "graph_beta_directoryRoles.json",
        ),
        (
            "/graph/beta/directoryRoles/9ed3a0c4-53e1-498c-ab4d-2473476fde14/members",
            "graph_beta_directoryRoles_members.json",
        ),
        (
            "/graph/beta/directoryRoleTemplates",
            "graph_beta_directoryRoleTemplates.json",
        ),
        (
            "/graph/beta/roleManagement/directory/roleAssignmentScheduleInstances",
            "graph_beta_roleManagement_directory_roleAssignmentScheduleInstances.json",
        ),
        (
            "/graph/beta/roleManagement/directory/roleEligibilityScheduleInstances",
            "graph_beta_roleManagement_directory_roleEligibilityScheduleInstances.json",
        ),
        (
            "/graph/beta/policies/roleManagementPolicyAssignments?DirectoryRole",
            "graph_beta_policies_roleManagementPolicyAssignments.DirectoryRole.json",
        ),
        (
            "/graph/beta/identityGovernance/privilegedAccess/group/resources",
            "graph_beta_identityGovernance_privilegedAccess_group_resources.json",
        ),
        // The PIM for Groups group eligible for Global Administrator: its name and the rules
        // of its member policy.
        (
            "/graph/beta/groups/b88fc7b0-a4ff-45fc-82c4-1d31a807315e",
            "graph_beta_groups_id.json",
        ),
        (
            "/graph/beta/policies/roleManagementPolicyAssignments?b88fc7b0-a4ff-45fc-82c4-1d31a807315e",
            "graph_beta_policies_roleManagementPolicyAssignments.Group.json",
        ),
    ] {
        r.insert(path.to_string(), file.to_string());
    }
    r
}

/// The loopback server: answers from `routes`, records each request's path (and cmdlet).
///
/// A route `{path}?{text}` answers a request to `{path}` whose query (or, for `InvokeCommand`,
/// whose JSON body) contains `{text}`; it is preferred to a route of the bare path.
struct Examples {
    base: String,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Examples {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Replaces the example served at `path` by another file.
fn with(mut routes: BTreeMap<String, String>, path: &str, file: &str) -> BTreeMap<String, String> {
    assert!(routes.contains_key(path), "no route {path}");
    routes.insert(path.to_string(), file.to_string());
    routes
}

async fn serve(routes: BTreeMap<String, String>) -> Examples {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    // `(content type, body)`: Graph answers `$count` as text.
    let bodies: Arc<BTreeMap<String, (&'static str, String)>> = Arc::new(
        routes
            .into_iter()
            .map(|(path, file)| {
                let kind = if file.ends_with(".txt") {
                    "text/plain"
                } else {
                    "application/json"
                };
                (path, (kind, example(&file)))
            })
            .collect(),
    );
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (bodies, log) = (bodies.clone(), log.clone());
            tokio::spawn(async move {
                // A broken connection only fails the request the collector made on it.
                let _ = answer(stream, &bodies, &log).await;
            });
        }
    });
    Examples { base, seen, task }
}

/// Reads one request (headers, then `Content-Length` bytes of body) and answers it, closing the
/// connection.
async fn answer(
    mut stream: TcpStream,
    bodies: &BTreeMap<String, (&'static str, String)>,
    log: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[head_end..];
    let mut words = head.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let (status, kind, reply) = if method == "POST" && path.ends_with("/oauth2/v2.0/token") {
        (
            "200 OK",
            "application/json",
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "example-token"})
                .to_string(),
        )
    } else {
        let (key, asked) = if path.ends_with("/InvokeCommand") {
            let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let cmdlet = input
                .pointer("/CmdletInput/CmdletName")
                .and_then(Value::as_str)
                .unwrap_or("");
            (
                format!("{path}#{cmdlet}"),
                String::from_utf8_lossy(body).to_string(),
            )
        } else {
            (path.to_string(), query.to_string())
        };
        // A route naming part of the query (or body) first, then the bare path.
        let key = bodies
            .keys()
            .find(|k| {
                k.split_once('?')
                    .is_some_and(|(p, part)| p == key && asked.contains(part))
            })
            .cloned()
            .unwrap_or(key);
        log.lock().unwrap().push(key.clone());
        match bodies.get(&key) {
            Some((kind, b)) => ("200 OK", *kind, b.clone()),
            None => (
                "404 Not Found",
                "application/json",
                json!({"error": {"code": "Request_ResourceNotFound", "message": format!("no example for {key}")}})
                    .to_string(),
            ),
        }
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

async fn collect(server: &Examples) -> Collection {
    let mut endpoints = Endpoints::default();
    for (kind, path) in [
        (EndpointKind::Authority, "/authority"),
        (EndpointKind::Graph, "/graph"),
        (EndpointKind::Exchange, "/exo"),
        (EndpointKind::Compliance, "/scc"),
        (EndpointKind::SharePointAdmin, "/spo"),
        (EndpointKind::PowerPlatform, "/bap"),
        (EndpointKind::Fabric, "/fabric"),
    ] {
        endpoints.set(kind, format!("{}{path}", server.base));
    }
    let mut config = CollectorConfig::new(
        endpoints,
        CLIENT_ID,
        AppCredential::client_secret("example-secret").unwrap(),
    );
    config.timeout = Duration::from_secs(5);
    config.max_attempts = 1;
    let target = TenantTarget {
        microsoft_tenant_id: TENANT.to_string(),
        initial_domain: DOMAIN.to_string(),
    };
    Collector::new(config)
        .unwrap()
        .collect(&target, |_| {})
        .await
}

/// Every command that succeeded, whatever the service.
fn succeeded(c: &Collection) -> Vec<&str> {
    c.services
        .iter()
        .flat_map(|s| s.commands_ok.iter().map(String::as_str))
        .collect()
}

/// Why a command failed, if it did.
fn failure<'a>(c: &'a Collection, command: &str) -> Option<&'a str> {
    c.services
        .iter()
        .flat_map(|s| s.commands_failed.iter())
        .find(|(name, _)| name == command)
        .map(|(_, why)| why.as_str())
}

fn at<'a>(snapshot: &'a Value, pointer: &str) -> &'a Value {
    snapshot
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the snapshot"))
}

fn verdict(c: &Collection, check: &str) -> Status {
    let snapshot = Snapshot::from_value(c.snapshot.clone()).unwrap();
    find_check(check).unwrap().evaluate(&snapshot).status
}

#[tokio::test]
async fn microsoft_graph_examples_reach_the_entra_sections() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-MgBetaIdentityConditionalAccessPolicy",
        "Get-MgBetaSubscribedSku",
        "Get-MgBetaPolicyAuthorizationPolicy",
        "Get-MgBetaDirectorySetting",
        "Get-MgBetaPolicyAuthenticationMethodPolicy",
        "Get-MgBetaDomain",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }

    // Conditional access: both policies, Graph's camelCase as the export's PascalCase.
    let ca = at(s, "/conditional_access_policies").as_array().unwrap();
    assert_eq!(ca.len(), 2);
    assert_eq!(ca[0]["DisplayName"], "SimplePolicy1");
    assert_eq!(ca[0]["State"], "disabled");
    assert_eq!(ca[0]["GrantControls"]["BuiltInControls"], json!(["block"]));
    assert_eq!(
        ca[1]["Conditions"]["Users"]["IncludeUsers"],
        json!(["None"])
    );
    assert_eq!(ca[1]["GrantControls"]["BuiltInControls"], json!(["mfa"]));
    assert_eq!(ca[1]["CreatedDateTime"], Value::Null);

    // Authorization policy (the collection shape; the object shape has its own test).
    let authz = at(s, "/authorization_policies").as_array().unwrap();
    assert_eq!(authz.len(), 1);
    assert_eq!(authz[0]["AllowInvitesFrom"], "everyone");
    assert_eq!(
        authz[0]["GuestUserRoleId"],
        "10dae51f-b6af-4016-8d66-8c2a99b929b3"
    );
    assert_eq!(
        authz[0]["DefaultUserRolePermissions"]["AllowedToCreateApps"],
        false
    );
    assert_eq!(
        authz[0]["PermissionGrantPolicyIdsAssignedToDefaultUserRole"],
        json!(["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"])
    );

    // Authentication methods: the policy without its configurations, and the configurations.
    let methods = at(s, "/authentication_method/0");
    assert_eq!(
        methods["authentication_method_policy"]["PolicyVersion"],
        "1.4"
    );
    assert_eq!(
        methods["authentication_method_policy"]["RegistrationEnforcement"]["AuthenticationMethodsRegistrationCampaign"]
            ["State"],
        "default"
    );
    assert!(
        methods["authentication_method_policy"]
            .get("AuthenticationMethodConfigurations")
            .is_none()
    );
    let features = methods["authentication_method_feature_settings"]
        .as_array()
        .unwrap();
    let state = |id: &str| {
        features
            .iter()
            .find(|f| f["Id"] == id)
            .map(|f| f["State"].clone())
    };
    assert_eq!(features.len(), 5);
    assert_eq!(state("Sms"), Some(json!("enabled")));
    assert_eq!(state("MicrosoftAuthenticator"), Some(json!("disabled")));
    assert_eq!(
        features
            .iter()
            .find(|f| f["Id"] == "MicrosoftAuthenticator")
            .unwrap()["IncludeTargets"][0]["NumberMatchingRequiredState"],
        "default"
    );

    // Directory settings, domains, licences.
    assert_eq!(at(s, "/directory_settings/0/Values/0/Name"), "name-value");
    assert_eq!(at(s, "/domain_settings/0/Name"), "contoso.com");
    assert_eq!(at(s, "/domain_settings/0/IsDefault"), true);
    assert_eq!(
        at(s, "/domain_settings/0/SupportedServices"),
        &json!(["Email", "OfficeCommunicationsOnline"])
    );
    assert_eq!(at(s, "/license_information/0/SkuPartNumber"), "EMSPREMIUM");
    assert_eq!(at(s, "/license_information/0/ConsumedUnits"), 20);
    assert_eq!(at(s, "/license_information/0/PrepaidUnits/Enabled"), 20);
    assert_eq!(
        at(s, "/service_plans"),
        &json!([{
            "ServicePlanId": "113feb6c-3fe4-4440-bddc-54d774bf0318",
            "ServicePlanName": "EXCHANGE_S_FOUNDATION",
            "ProvisioningStatus": "Success",
            "AppliesTo": "Company"
        }])
    );
    assert_eq!(at(s, "/license_state/0/state"), "Active");

    // `$count` comes as text.
    assert!(
        ok.contains(&"Get-MgBetaUserCount"),
        "{:?}",
        failure(&c, "Get-MgBetaUserCount")
    );
    assert_eq!(at(s, "/total_user_count"), 893);

    // The organisation example has no id and no verified domains: the tenant id is the one
    // asked for and the domain is said to be unknown, not invented.
    assert_eq!(at(s, "/tenant_details/0/DisplayName"), "displayName-value");
    assert_eq!(at(s, "/tenant_details/0/TenantId"), TENANT);
    assert_eq!(
        at(s, "/tenant_details/0/DomainName"),
        "AAD: Domain Unretrievable"
    );
    // ... and Power Platform, which checks the organisation is the tenant asked for, refuses it.
    let why = failure(&c, "Get-MgBetaOrganization").expect("an organisation without an id");
    assert!(why.contains(TENANT), "{why}");
}

#[tokio::test]
async fn microsoft_graph_settings_examples_reach_the_aether365_section() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-MgPolicyActivityBasedTimeoutPolicy",
        "Get-MgBetaAdminAppsAndServices",
        "Get-MgBetaAdminForms",
        "Get-MgPolicyDeviceRegistrationPolicy",
        "Get-MgIdentityConditionalAccessNamedLocation",
        "Get-MgPolicyDefaultAppManagementPolicy",
        "Get-MgPolicyAppManagementPolicy",
        "Get-MgDeviceManagement",
        "Get-MgDeviceManagementDeviceEnrollmentConfiguration",
        "Get-MgIdentityGovernanceAccessReviewDefinition",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(
        at(
            s,
            "/aether365/activity_based_timeout_policies/0/isOrganizationDefault"
        ),
        true
    );
    assert_eq!(
        at(s, "/aether365/activity_based_timeout_policies/0/definition"),
        &json!(["definition-value"])
    );
    // Microsoft documents admin/appsAndServices and admin/forms as one object wrapped in
    // `value`: the object is what the section keeps.
    assert_eq!(
        at(
            s,
            "/aether365/apps_and_services/settings/isOfficeStoreEnabled"
        ),
        false
    );
    assert_eq!(
        at(
            s,
            "/aether365/apps_and_services/settings/isAppAndServicesTrialEnabled"
        ),
        true
    );
    assert_eq!(
        at(
            s,
            "/aether365/forms_settings/settings/isInOrgFormsPhishingScanEnabled"
        ),
        false
    );
    assert_eq!(
        at(s, "/aether365/forms_settings/id"),
        "7ef97113-d231-e67c-535d-7c051d9e22be"
    );
    // Which the checks read as verdicts, not as an unknown shape.
    assert_eq!(verdict(&c, "A365-AAD-61"), Status::Fail);
    assert_eq!(verdict(&c, "A365-AAD-62"), Status::Fail);

    // Intune's reference shows deviceManagement under `value` too.
    assert_eq!(
        at(
            s,
            "/aether365/device_management_settings/settings/secureByDefault"
        ),
        true
    );
    assert_eq!(
        at(s, "/aether365/device_management_settings/intuneAccountId"),
        "cf1549a1-49a1-cf15-a149-15cfa14915cf"
    );
    assert_eq!(verdict(&c, "A365-AAD-63"), Status::Pass);
    assert_eq!(
        at(s, "/aether365/device_enrollment_configurations/0/priority"),
        8
    );
    let review = at(s, "/aether365/access_review_definitions/0");
    assert_eq!(review["status"], "InProgress");
    assert_eq!(
        review["scope"]["query"],
        "./members/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')"
    );
    assert_eq!(review["settings"]["recurrence"]["pattern"]["interval"], 3);

    // Registration details: the example's guest is not counted among the members.
    assert!(ok.contains(&"Get-MgReportAuthenticationMethodUserRegistrationDetail"));
    assert_eq!(
        at(s, "/aether365/member_mfa_capability"),
        &json!({"members": 2, "not_mfa_capable": {"count": 0, "examples": []}})
    );

    let drp = at(s, "/aether365/device_registration_policy");
    assert!(drp.get("@odata.context").is_none());
    assert_eq!(drp["userDeviceQuota"], 2);
    assert_eq!(drp["multiFactorAuthConfiguration"], "notRequired");
    assert_eq!(
        drp["azureADJoin"]["allowedToJoin"]["@odata.type"],
        "#microsoft.graph.allDeviceRegistrationMembership"
    );
    assert_eq!(drp["localAdminPassword"]["isEnabled"], false);

    let locations = at(s, "/aether365/named_locations").as_array().unwrap();
    assert_eq!(locations.len(), 3);
    assert_eq!(locations[2]["isTrusted"], true);
    assert_eq!(locations[1]["countriesAndRegions"], json!(["US", "CA"]));

    let app = at(s, "/aether365/default_app_management_policy");
    assert_eq!(app["isEnabled"], false);
    assert_eq!(
        app["applicationRestrictions"]["passwordCredentials"],
        json!([])
    );

    // The custom policy keeps Graph's properties and gains the objects it applies to.
    let custom = at(s, "/aether365/app_management_policies");
    assert_eq!(custom[0]["id"], "db9d4b58-3488-4da4-9994-49773c454e33");
    assert_eq!(custom[0]["isEnabled"], false);
    assert_eq!(
        custom[0]["restrictions"]["keyCredentials"][0]["maxLifetime"],
        "P90D"
    );
    let applies: Vec<&str> = custom[0]["appliesTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(applies, ["TestApp1", "TestApp2"]);
}

/// Microsoft's beta reference has shown `GET /policies/authorizationPolicy` both as one object
/// (`$entity`) and as a collection; the collection shape is served by the routes above.
#[tokio::test]
async fn the_authorization_policy_as_one_object_is_read_too() {
    let server = serve(with(
        routes(),
        "/graph/beta/policies/authorizationPolicy",
        "graph_beta_policies_authorizationPolicy.object.json",
    ))
    .await;
    let c = collect(&server).await;
    assert!(succeeded(&c).contains(&"Get-MgBetaPolicyAuthorizationPolicy"));
    let authz = at(&c.snapshot, "/authorization_policies")
        .as_array()
        .unwrap();
    assert_eq!(authz.len(), 1);
    assert_eq!(authz[0]["Id"], "authorizationPolicy");
    // The answer's `@odata.context` is not a property of the policy.
    assert!(authz[0].get("@odata.context").is_none(), "{}", authz[0]);
    assert_eq!(authz[0]["AllowUserConsentForRiskyApps"], false);
    assert_eq!(
        authz[0]["DefaultUserRolePermissions"]["AllowedToCreateApps"],
        true
    );
    assert_eq!(
        authz[0]["PermissionGrantPolicyIdsAssignedToDefaultUserRole"],
        json!(["managePermissionGrantsForSelf.microsoft-user-default-low"])
    );
}

/// An answer in neither documented shape stays an error the checks see: never an empty list.
#[tokio::test]
async fn an_undocumented_authorization_policy_shape_is_an_error() {
    // SharePoint's verbose answer: an object with neither `id` nor `value`.
    let server = serve(with(
        routes(),
        "/graph/beta/policies/authorizationPolicy",
        "spo_api_SPO.Tenant.json",
    ))
    .await;
    let c = collect(&server).await;
    let why = failure(&c, "Get-MgBetaPolicyAuthorizationPolicy").expect("refused");
    assert!(why.contains("neither one object"), "{why}");
    assert_eq!(at(&c.snapshot, "/authorization_policies"), &json!([]));
    assert!(
        at(&c.snapshot, "/aad_unsuccessful_commands")
            .as_array()
            .unwrap()
            .contains(&json!("Get-MgBetaPolicyAuthorizationPolicy"))
    );
}

#[tokio::test]
async fn sharepoint_power_platform_fabric_and_exchange_examples_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-SPOTenantRest",
        "Get-PowerPlatformTenantSettingsRest",
        "Get-PowerPlatformEnvironmentsRest",
        "Get-PowerPlatformDlpPoliciesRest",
        "Get-PowerPlatformTenantIsolationRest",
        "Get-FabricTenantSettingsRest",
        "Get-RemoteDomain",
        "Get-AdminAuditLogConfig",
        "Get-SharingPolicy",
        "Get-OrganizationConfig",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }

    // SharePoint: the verbose OData `d` object, as a list of one.
    let spo = at(s, "/SPO_tenant/0");
    assert_eq!(spo["SharingCapability"], 2);
    assert_eq!(spo["ODBSharingCapability"], 1);
    assert_eq!(spo["SharingDomainRestrictionMode"], 1);
    assert_eq!(spo["SharingAllowedDomainList"], "contoso.com fabrikam.com");
    assert_eq!(spo["RequireAnonymousLinksExpireInDays"], 30);
    assert_eq!(spo["EmailAttestationRequired"], true);
    assert_eq!(spo["EmailAttestationReAuthDays"], 15);
    assert_eq!(spo["DefaultSharingLinkType"], 2);
    assert_eq!(spo["LegacyAuthProtocolsEnabled"], false);
    assert_eq!(at(s, "/OneDrive_PnP_Flag"), false);

    // Power Platform.
    assert_eq!(
        at(
            s,
            "/environment_creation/0/disableEnvironmentCreationByNonAdminUsers"
        ),
        true
    );
    assert_eq!(
        at(
            s,
            "/environment_creation/0/disableTrialEnvironmentCreationByNonAdminUsers"
        ),
        false
    );
    assert_eq!(
        at(s, "/environment_list"),
        &json!([
            {"EnvironmentName": "Default-ee045480-0260-4c1e-b946-55842502229c", "DisplayName": "Contoso (default)", "IsDefault": true, "Location": "unitedstates", "EnvironmentType": "Default", "CreatedTime": "2019-05-03T18:20:02.8539547Z"},
            {"EnvironmentName": "8a0f0c19-5c4b-4d74-9a5b-fd9ef3c0e6d2", "DisplayName": "Contoso sandbox", "IsDefault": false, "Location": "europe", "EnvironmentType": "Sandbox", "CreatedTime": "2021-02-11T09:14:45.1234567Z"}
        ])
    );
    let dlp = at(s, "/dlp_policies/0/value/0");
    assert_eq!(dlp["displayName"], "MetroBank Policy");
    assert_eq!(dlp["environmentType"], "OnlyEnvironments");
    assert_eq!(
        dlp["environments"][0]["name"],
        "Default-02c201b0-db76-4a6a-b3e1-a69202b479e6"
    );
    // `defaultApiGroup: lbi` is the non-business group, `General` in the export.
    assert_eq!(dlp["defaultConnectorsClassification"], "General");
    let names = |class: &str| -> Vec<String> {
        dlp["connectorGroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["classification"] == class)
            .unwrap()["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("Confidential"), ["SharePoint", "Twitter"]);
    assert_eq!(names("General"), ["Dropbox"]);
    assert!(names("Blocked").is_empty());
    assert_eq!(at(s, "/tenant_isolation/0/properties/isDisabled"), false);
    assert_eq!(
        at(
            s,
            "/tenant_isolation/0/properties/allowedTenants/0/direction/inbound"
        ),
        true
    );

    // Fabric (the `value` shape; the `tenantSettings` shape has its own test).
    let fabric = at(s, "/aether365/fabric_tenant_settings")
        .as_array()
        .unwrap();
    assert_eq!(fabric.len(), 2);
    assert_eq!(fabric[1]["settingName"], "DatamartTenant");
    assert_eq!(fabric[1]["enabled"], true);
    assert_eq!(
        fabric[1]["enabledSecurityGroups"].as_array().unwrap().len(),
        3
    );

    // Exchange Online, from the cmdlets' documented properties.
    assert_eq!(at(s, "/remote_domains/0/DomainName"), "*");
    assert_eq!(at(s, "/remote_domains/0/AutoForwardEnabled"), false);
    assert_eq!(
        at(
            s,
            "/admin_audit_log_config/0/UnifiedAuditLogIngestionEnabled"
        ),
        true
    );
    assert_eq!(
        at(s, "/sharing_policy/0/Domains"),
        &json!([
            "*:CalendarSharingFreeBusySimple",
            "Anonymous:CalendarSharingFreeBusyReviewer"
        ])
    );
    // `org_config` keeps ScubaGear's properties, the `aether365` section the CIS ones.
    assert_eq!(at(s, "/org_config/0/AuditDisabled"), false);
    assert_eq!(at(s, "/org_config/0/CustomerLockboxEnabled"), false);
    assert!(at(s, "/org_config/0").get("IsDehydrated").is_none());
    assert_eq!(
        at(
            s,
            "/aether365/organization_config/0/MailTipsLargeAudienceThreshold"
        ),
        25
    );
    assert_eq!(
        at(
            s,
            "/aether365/organization_config/0/MailTipsExternalRecipientsTipsEnabled"
        ),
        false
    );
    // Every route above was asked for at least once.
    let seen = server.seen.lock().unwrap().clone();
    for path in routes().keys() {
        assert!(seen.contains(path), "{path} was never read");
    }
}

/// Fabric's earlier examples wrap the settings in `tenantSettings`, the current ones in `value`.
#[tokio::test]
async fn fabric_settings_under_tenant_settings_are_read_too() {
    let server = serve(with(
        routes(),
        "/fabric/v1/admin/tenantsettings",
        "fabric_v1_admin_tenantsettings.tenantSettings.json",
    ))
    .await;
    let c = collect(&server).await;
    assert!(succeeded(&c).contains(&"Get-FabricTenantSettingsRest"));
    assert_eq!(
        at(&c.snapshot, "/aether365/fabric_tenant_settings"),
        &parsed("fabric_v1_admin_tenantsettings.tenantSettings.json")["tenantSettings"]
    );
}

// ---------- The stand-in serves each documented variant on demand ----------

mod standin_variants {
    use aether365_collector::{AppCredential, Collector, TenantTarget};
    use m365_standin::{DocumentedVariant, StandIn, StandInConfig};
    use serde_json::Value;

    fn start() -> StandIn {
        StandIn::start(StandInConfig::bundled().unwrap()).unwrap()
    }

    async fn snapshot(s: &StandIn) -> Value {
        let mut config = aether365_collector::CollectorConfig::new(
            s.endpoints(),
            s.client_id(),
            AppCredential::client_secret(m365_standin::DEFAULT_CLIENT_SECRET).unwrap(),
        );
        config.timeout = std::time::Duration::from_secs(5);
        let target = TenantTarget {
            microsoft_tenant_id: s.tenant_id().to_string(),
            initial_domain: s.initial_domain().to_string(),
        };
        Collector::new(config)
            .unwrap()
            .collect(&target, |_| {})
            .await
            .snapshot
    }

    /// What the stand-in answers on the wire at `base` + `path`, with a token for `base`.
    async fn raw(s: &StandIn, base: &str, path: &str) -> Value {
        let client = reqwest::Client::new();
        let authority = s.endpoints().authority;
        let token: Value = client
            .post(format!("{authority}/{}/oauth2/v2.0/token", s.tenant_id()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", s.client_id()),
                ("client_secret", m365_standin::DEFAULT_CLIENT_SECRET),
                ("scope", &format!("{base}/.default")),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Each variant changes what is on the wire, and the collector reads the same settings
    /// from it as from the default form.
    #[tokio::test]
    async fn every_documented_variant_is_served_and_read_alike() {
        let s = start();
        let graph = s.endpoints().graph;
        let fabric = s.endpoints().fabric.unwrap();
        let before = snapshot(&s).await;
        let authz = "/beta/policies/authorizationPolicy";
        assert!(raw(&s, &graph, authz).await["value"].is_array());
        assert!(raw(&s, &graph, "/beta/admin/forms").await["settings"].is_object());
        assert!(raw(&s, &fabric, "/v1/admin/tenantsettings").await["value"].is_array());

        for v in [
            DocumentedVariant::AuthorizationPolicyObject,
            DocumentedVariant::AdminSettingsUnderValue,
            DocumentedVariant::FabricTenantSettingsKey,
            DocumentedVariant::MembersWithoutType,
        ] {
            s.set_variant(v, true);
        }
        // Role members without their type, as Microsoft's example lists them.
        let roles = raw(&s, &graph, "/beta/directoryRoles").await;
        let mut untyped = 0;
        for role in roles["value"].as_array().unwrap() {
            let path = format!(
                "/beta/directoryRoles/{}/members",
                role["id"].as_str().unwrap()
            );
            for m in raw(&s, &graph, &path).await["value"].as_array().unwrap() {
                assert!(m.get("@odata.type").is_none(), "{m}");
                assert!(m["id"].is_string(), "{m}");
                untyped += 1;
            }
        }
        assert!(untyped > 0, "the bundled tenant has role members");
        assert!(!before["privileged_users"].as_object().unwrap().is_empty());
        let one = raw(&s, &graph, authz).await;
        assert!(one.get("value").is_none(), "{one}");
        assert_eq!(one["id"], "authorizationPolicy");
        assert!(
            one["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("/$entity")
        );
        for path in [
            "/beta/admin/forms",
            "/beta/admin/appsAndServices",
            "/v1.0/deviceManagement?$select=settings",
        ] {
            let wrapped = raw(&s, &graph, path).await;
            assert!(
                wrapped["value"]["settings"].is_object(),
                "{path}: {wrapped}"
            );
        }
        let settings = raw(&s, &fabric, "/v1/admin/tenantsettings").await;
        assert!(settings.get("value").is_none());
        assert!(settings["tenantSettings"].is_array());

        let after = snapshot(&s).await;
        for pointer in [
            "/authorization_policies",
            "/aether365/forms_settings",
            "/aether365/apps_and_services",
            "/aether365/device_management_settings",
            "/aether365/fabric_tenant_settings",
            "/privileged_users",
            "/privileged_service_principals",
        ] {
            let b = before.pointer(pointer).unwrap();
            assert!(!b.is_null() && b != &Value::Array(Vec::new()), "{pointer}");
            assert_eq!(after.pointer(pointer), Some(b), "{pointer}");
        }

        // And back to the default forms.
        s.set_variant(DocumentedVariant::AuthorizationPolicyObject, false);
        assert!(raw(&s, &graph, authz).await["value"].is_array());
    }
}

// ---------- The PIM chain, users, mailboxes and service principals ----------

/// Microsoft's PIM examples: the role's active assignment, its policy rules and the PIM for
/// Groups resources are read; the role members example, whose member has no `id`, is refused
/// rather than read as a role without members.
#[tokio::test]
async fn the_pim_examples_are_read_and_a_member_without_an_id_is_refused() {
    let server = serve(pim_routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    assert!(
        succeeded(&c).contains(&"Get-PrivilegedRole"),
        "{:?}",
        failure(&c, "Get-PrivilegedRole")
    );
    assert_eq!(at(s, "/service_plans/1/ServicePlanName"), "AAD_PREMIUM_P2");

    // Get-PrivilegedRole: the one privileged template, with its active assignment (the other
    // example assignment is Directory Readers, not privileged) and its policy's rules.
    let roles = at(s, "/privileged_roles").as_array().unwrap();
    assert_eq!(roles.len(), 1);
    let ga = &roles[0];
    assert_eq!(ga["DisplayName"], "Global Administrator");
    assert_eq!(ga["RoleTemplateId"], "62e90394-69f5-4237-9190-012177145e10");
    let assignments = ga["Assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1);
    assert_eq!(
        assignments[0]["PrincipalId"],
        "939a0aff-aee7-4748-986e-35fd46116d46"
    );
    assert_eq!(assignments[0]["AssignmentType"], "Assigned");
    assert_eq!(assignments[0]["EndDateTime"], Value::Null);
    let rules = ga["Rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["Id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "Expiration_Admin_Eligibility",
            "Notification_Admin_Admin_Eligibility",
            "Expiration_Admin_Assignment",
            "Approval_EndUser_Assignment",
            // The rules of the PIM for Groups group eligible for the role.
            "Expiration_Admin_Eligibility",
            "Expiration_Admin_Assignment",
            "Expiration_EndUser_Assignment"
        ]
    );
    assert!(
        rules[..4]
            .iter()
            .all(|r| r["RuleSource"] == "Global Administrator"
                && r["RuleSourceType"] == "Directory Role")
    );
    // The group's name comes from `groups/{id}`, its rules from its member policy.
    assert!(
        rules[4..]
            .iter()
            .all(|r| r["RuleSource"] == "Library Assist" && r["RuleSourceType"] == "PIM Group")
    );
    assert_eq!(rules[5]["IsExpirationRequired"], true);
    assert_eq!(rules[6]["MaximumDuration"], "PT8H");
    assert_eq!(rules[2]["MaximumDuration"], "P180D");
    assert_eq!(rules[2]["IsExpirationRequired"], false);
    assert_eq!(rules[2]["Target"]["Level"], "Assignment");
    assert_eq!(
        rules[1]["NotificationRecipients"],
        json!(["aaronlin519@yahoo.com"])
    );
    assert_eq!(rules[3]["Setting"]["IsApprovalRequired"], false);
    assert_eq!(
        rules[3]["Setting"]["ApprovalStages"][0]["ApprovalStageTimeOutInDays"],
        1
    );
    // The other PIM for Groups resource holds no privileged role: it is not read.
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        !seen
            .iter()
            .any(|p| p.contains("a13fc7b0-a4ff-45fc-82c4-1d31a807426a")),
        "{seen:?}"
    );
    for path in pim_routes().keys() {
        assert!(seen.contains(path), "{path} was never read");
    }

    // Get-PrivilegedUser: Microsoft's member example (shortened for readability) has no `id`.
    let why = failure(&c, "Get-PrivilegedUser").expect("a member without an id is refused");
    assert!(why.contains("no `id`"), "{why}");
    assert!(why.contains("Adele Vance"), "{why}");
    assert_eq!(at(s, "/privileged_users"), &json!({}));
    // The privileged users' licences are not read without them.
    let why = failure(&c, "Get-MgUser -Property AssignedLicenses")
        .expect("the licences read fails with the privileged users");
    assert!(why.contains("Get-PrivilegedUser"), "{why}");
}

/// `Get-Mailbox` (built from the cmdlet's documented properties) joined with Microsoft's
/// example of `GET /v1.0/users`, and the user mailboxes' audit settings.
#[tokio::test]
async fn mailbox_and_user_examples_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let shared = at(s, "/aether365/shared_mailbox_sign_in");
    assert_eq!(shared["shared_mailboxes"], 2, "{shared}");
    // The example users carry no `accountEnabled`: the filter asked for enabled accounts.
    assert_eq!(shared["enabled_users_read"], 2, "{shared}");
    assert_eq!(
        shared["sign_in_enabled"]["examples"],
        json!([{"id": "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0", "user_principal_name": "Adams@contoso.com"}]),
        "{shared}"
    );
    assert_eq!(
        shared["without_directory_id"]["examples"],
        json!(["LegacyShared@contoso.com"]),
        "{shared}"
    );

    let audit = at(s, "/aether365/mailbox_audit_actions");
    assert_eq!(audit["mailboxes"], 2, "{audit}");
    let configurations = audit["configurations"].as_array().unwrap();
    assert_eq!(configurations.len(), 2, "{audit}");
    assert_eq!(configurations[0]["audit_enabled"], true);
    assert_eq!(configurations[0]["examples"], json!(["admin@contoso.com"]));
    assert!(
        configurations[0]["audit_owner"]
            .as_array()
            .unwrap()
            .contains(&json!("MailItemsAccessed"))
    );
    assert_eq!(configurations[1]["audit_enabled"], false);
    assert_eq!(configurations[1]["audit_owner"], json!([]));
}

/// Microsoft's example of `GET /v1.0/groups` holds a Microsoft 365 group and a group that is
/// not one (`groupTypes` empty, visibility null): the collector, which asked for Microsoft 365
/// groups only, counts the first.
#[tokio::test]
async fn the_group_list_example_is_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    assert!(
        succeeded(&c).contains(&"Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')"),
        "{:?}",
        failure(&c, "Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')")
    );
    let groups = at(&c.snapshot, "/aether365/unified_group_visibility");
    assert_eq!(groups["groups"], 1, "{groups}");
    assert_eq!(
        groups["public"]["examples"],
        json!([{"id": "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4", "display_name": "Golf Assist"}]),
        "{groups}"
    );
    assert_eq!(groups["unknown_visibility"]["count"], 0, "{groups}");
}

/// Microsoft's service principal and delegated permission classification examples: a "low"
/// classification of a permission ScubaGear does not count as risky is not reported.
#[tokio::test]
async fn service_principal_and_classification_examples_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    assert!(
        succeeded(&c).contains(&"Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications"),
        "{:?}",
        failure(
            &c,
            "Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications"
        )
    );
    assert_eq!(
        at(&c.snapshot, "/risky_delegated_permission_classifications"),
        &json!([])
    );
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen.iter().any(|p| {
        p.ends_with("/59e617e5-e447-4adc-8b88-00af644d7c92/delegatedPermissionClassifications")
    }));
}

// ---------- Coverage: the table in this module's documentation ----------

/// This file's own text.
fn own_source() -> String {
    std::fs::read_to_string(format!(
        "{}/tests/it/microsoft_examples.rs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// One row of the coverage table: the read, its example files, and why it has none.
struct Row {
    read: String,
    files: Vec<String>,
    why: String,
}

/// The rows of the coverage table in the module documentation.
fn coverage() -> Vec<Row> {
    let backticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    own_source()
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .map(|l| {
            let row = format!("`{l}");
            let cells: Vec<&str> = row
                .trim_end()
                .trim_end_matches('|')
                .split(" | ")
                .map(str::trim)
                .collect();
            assert_eq!(cells.len(), 3, "a coverage row has three cells: {l}");
            Row {
                read: backticked(cells[0]).concat(),
                files: backticked(cells[1]),
                why: cells[2].to_string(),
            }
        })
        .collect()
}

/// Every path the collector's source names (string literals outside its test modules and
/// comments): Graph, SharePoint, Power Platform, Fabric, the compliance discovery. Queries are
/// dropped, a `{...}` placeholder is `{id}`, a leading base (`{bap}`, `https://host`) is dropped.
fn paths_in_collector_source() -> std::collections::BTreeSet<String> {
    const MARKS: &[&str] = &[
        "/beta/",
        "/v1.0/",
        "/providers/",
        "/_api/",
        "/v1/admin/",
        "EXOModuleFile",
    ];
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(format!(
        "{}/src",
        env!("CARGO_MANIFEST_DIR")
    ))];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Up to the first `#[cfg(test)] mod ...`.
        let end = (0..lines.len())
            .find(|&i| {
                lines[i].trim() == "#[cfg(test)]"
                    && lines[i + 1..]
                        .iter()
                        .find(|l| !l.trim().starts_with("#["))
                        .is_some_and(|l| l.trim_start().starts_with("mod "))
            })
            .unwrap_or(lines.len());
        for line in &lines[..end] {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // The contents of each string literal on the line.
            for literal in line.split('"').skip(1).step_by(2) {
                if literal.contains("InvokeCommand") || !MARKS.iter().any(|m| literal.contains(m)) {
                    continue;
                }
                let path = literal.split('?').next().unwrap_or("");
                let path = if let Some(rest) = path.strip_prefix("https://") {
                    &rest[rest.find('/').unwrap_or(rest.len())..]
                } else if path.starts_with('{') {
                    &path[path.find('}').map_or(0, |i| i + 1)..]
                } else {
                    path
                };
                let mut normal = String::new();
                let mut rest = path;
                while let Some(open) = rest.find('{') {
                    normal.push_str(&rest[..open]);
                    normal.push_str("{id}");
                    rest = &rest[rest[open..].find('}').map_or(rest.len(), |c| open + c + 1)..];
                }
                normal.push_str(rest);
                out.insert(normal);
            }
        }
    }
    out
}

/// Every read the collector makes has a row in the coverage table, with Microsoft's example
/// (or one built from its documented properties) or the reason there is none; every example
/// file is named in a row, and every row is a read the collector still makes.
#[test]
fn every_read_has_an_example_or_a_reason() {
    let rows = coverage();
    assert!(rows.len() > 40, "the coverage table was not found");
    let dir = format!("{}/tests/it/microsoft_examples", env!("CARGO_MANIFEST_DIR"));
    let mut named = std::collections::BTreeSet::new();
    for r in &rows {
        assert!(
            !r.files.is_empty() || !r.why.is_empty(),
            "{}: neither an example nor a reason",
            r.read
        );
        for f in &r.files {
            assert!(
                std::path::Path::new(&format!("{dir}/{f}")).is_file(),
                "{}: no file {f}",
                r.read
            );
            named.insert(f.clone());
        }
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            name == "README.md" || named.contains(&name),
            "{name} is in no coverage row"
        );
    }

    let read = |r: &Row| {
        r.read
            .split_once(' ')
            .map(|(_, p)| p.to_string())
            .unwrap_or_default()
    };
    let cmdlets: Vec<String> = rows
        .iter()
        .filter(|r| r.read.starts_with("InvokeCommand "))
        .map(read)
        .collect();
    for c in aether365_collector::AllowedCmdlet::ALL {
        assert!(
            cmdlets.iter().any(|n| n == c.name()),
            "the collector may invoke {} but the coverage table has no row for it",
            c.name()
        );
    }
    for n in &cmdlets {
        assert!(
            aether365_collector::AllowedCmdlet::from_name(n).is_ok(),
            "coverage row for {n}, which the collector does not invoke"
        );
    }
    let paths: Vec<String> = rows
        .iter()
        .filter(|r| r.read.starts_with("GET ") || r.read.starts_with("POST "))
        .map(read)
        .collect();
    let source = paths_in_collector_source();
    for p in &source {
        assert!(
            paths.contains(p),
            "the collector reads {p} but the coverage table has no row for it"
        );
    }
    for p in &paths {
        assert!(
            source.contains(p),
            "coverage row for {p}, which the collector's source does not name"
        );
    }
}

/// The CIS cmdlets' answers (built from each cmdlet reference's properties) reach the
/// `aether365` section, and the checks read them as verdicts, not as an unknown shape.
#[tokio::test]
async fn cis_exchange_defender_and_purview_cmdlets_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-OwaMailboxPolicy",
        "Get-ExternalInOutlook",
        "Get-MailboxAuditBypassAssociation",
        "Get-RoleAssignmentPolicy",
        "Get-EmailTenantSettings",
        "Get-TeamsProtectionPolicy",
        "Get-LabelPolicy",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(
        at(
            s,
            "/aether365/owa_mailbox_policies/1/PersonalAccountsEnabled"
        ),
        true
    );
    assert_eq!(
        at(s, "/aether365/external_in_outlook/0/AllowList"),
        &json!(["fabrikam.com", "admin@contoso.onmicrosoft.com"])
    );
    // Only the three properties the check needs are kept of each bypass association.
    assert_eq!(
        at(s, "/aether365/mailbox_audit_bypass_associations/1"),
        &json!({"Name": "svc-backup", "Identity": "svc-backup", "AuditBypassEnabled": true})
    );
    assert_eq!(
        at(s, "/aether365/label_policies/0/Labels"),
        &json!(["Public", "General", "Confidential"])
    );

    for (check, expected) in [
        // The default policy allows shared Bookings pages and Bookings is on.
        ("A365-EXO-30", Status::Fail),
        // Personal accounts: off in the default policy (on only in another).
        ("A365-EXO-31", Status::Pass),
        // Additional storage providers: on in the default policy.
        ("A365-EXO-32", Status::Fail),
        ("A365-EXO-33", Status::Pass),
        // svc-backup bypasses mailbox audit logging.
        ("A365-EXO-34", Status::Fail),
        // The default role assignment policy assigns the three add-in roles.
        ("A365-EXO-35", Status::Fail),
        ("A365-DEF-30", Status::Pass),
        ("A365-DEF-31", Status::Pass),
        // One enabled policy publishes three labels.
        ("A365-PUR-10", Status::Pass),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
}

/// The transport, connection filter, DKIM and accepted domain cmdlets' answers (built from
/// their references' properties) reach ScubaGear's sections as they are, and the checks read
/// them as verdicts.
#[tokio::test]
async fn exchange_transport_and_filter_cmdlets_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-TransportConfig",
        "Get-TransportRule",
        "Get-HostedConnectionFilterPolicy",
        "Get-DkimSigningConfig",
        "Get-AcceptedDomain",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(at(s, "/transport_rule/1/SetSCL"), -1);
    assert_eq!(
        at(s, "/transport_rule/1/SenderDomainIs"),
        &json!(["fabrikam.com"])
    );
    assert_eq!(at(s, "/dkim_config/0/Domain"), "contoso.com");
    assert_eq!(at(s, "/dkim_config/0/Enabled"), true);
    // Exchange's dates are kept as the cmdlet gave them.
    assert_eq!(
        at(s, "/dkim_config/0/KeyCreationTime"),
        "2023-05-10T08:30:00Z"
    );
    assert_eq!(at(s, "/accepted_domains/1/InitialDomain"), true);
    assert_eq!(at(s, "/conn_filter/0/IPAllowList/1"), "192.168.2.0/24");
    for (check, expected) in [
        // SMTP AUTH is disabled organisation-wide.
        ("A365-EXO-07", Status::Pass),
        // "External sender warning" prepends a subject to mail from outside.
        ("A365-EXO-11", Status::Pass),
        // "Skip filtering for Fabrikam" sets SCL -1 for a sender domain.
        ("A365-EXO-15", Status::Fail),
        // The default connection filter policy has an IP allow list ...
        ("A365-EXO-16", Status::Fail),
        // ... and the safe list off.
        ("A365-EXO-17", Status::Pass),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
}

/// The anti-malware, outbound spam and ATP policies' answers (built from their references'
/// properties) reach their sections, and the checks read them as verdicts; a preset
/// policy's copy is not judged as the tenant's own.
#[tokio::test]
async fn defender_policy_cmdlets_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-MalwareFilterPolicy",
        "Get-HostedOutboundSpamFilterPolicy",
        "Get-AtpPolicyForO365",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(
        at(
            s,
            "/aether365/anti_malware_policies/1/RecommendedPolicyType"
        ),
        "Standard"
    );
    assert_eq!(
        at(
            s,
            "/aether365/hosted_outbound_spam_filter_policies/0/RecipientLimitPerDay"
        ),
        0
    );
    assert_eq!(
        at(s, "/atp_policy_for_o365/0/EnableATPForSPOTeamsODB"),
        true
    );
    for (check, expected) in [
        // Safe Attachments for SharePoint, OneDrive and Teams is on ...
        ("A365-DEF-06", Status::Pass),
        // ... but users may open Safe Documents' files anyway.
        ("A365-DEF-07", Status::Fail),
        // The Default policy filters attachments (the preset's copy, off, is not judged) ...
        ("A365-DEF-19", Status::Pass),
        // ... notifies no administrator of internal senders' malware ...
        ("A365-DEF-20", Status::Fail),
        // ... and lacks types of the minimum list (ps1, js, ...).
        ("A365-DEF-21", Status::Fail),
        // Outbound spam is copied and notified to secops@contoso.com ...
        ("A365-DEF-22", Status::Pass),
        // ... but the recipient limits are the service's defaults (0).
        ("A365-DEF-24", Status::Fail),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
}

/// The Purview DLP and alert cmdlets' answers (built from their references' properties): all
/// three read, so the DLP licence is recorded, and the checks read them as verdicts.
#[tokio::test]
async fn purview_dlp_and_alert_cmdlets_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-DlpCompliancePolicy",
        "Get-DlpComplianceRule",
        "Get-ProtectionAlert",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(at(s, "/defender_dlp_license"), true);
    assert_eq!(
        at(
            s,
            "/dlp_compliance_rules/0/ContentContainsSensitiveInformation/1/name"
        ),
        "U.S. Social Security Number (SSN)"
    );
    assert_eq!(at(s, "/protection_alerts/1/Disabled"), true);
    for (check, expected) in [
        // "U.S. Financial Data" is enabled and enforced ...
        ("A365-PUR-03", Status::Pass),
        // ... on every Teams location ...
        ("A365-PUR-04", Status::Pass),
        // ... but no enforced rule detects ITINs.
        ("A365-PUR-05", Status::Fail),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
}

/// The preset rules and anti-phishing policy answers (built from their references'
/// properties): with the ATP pair read, the Defender licence is recorded, and the checks read
/// the rules' recipient conditions as verdicts.
#[tokio::test]
async fn defender_preset_rules_and_anti_phishing_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    let ok = succeeded(&c);
    for command in [
        "Get-EOPProtectionPolicyRule",
        "Get-ATPProtectionPolicyRule",
        "Get-AntiPhishPolicy",
    ] {
        assert!(
            ok.contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
    }
    assert_eq!(at(s, "/defender_license"), true);
    assert_eq!(
        at(s, "/protection_policy_rules/1/RecipientDomainIs"),
        &json!(["contoso.com"])
    );
    assert_eq!(at(s, "/atp_policy_rules/0/State"), "Disabled");
    assert_eq!(
        at(
            s,
            "/anti_phish_policies/0/EnableOrganizationDomainsProtection"
        ),
        false
    );
    for (check, expected) in [
        // Both presets are enabled (in the EOP rules).
        ("A365-DEF-01", Status::Pass),
        // The Strict preset's Defender for Office 365 rule is disabled.
        ("A365-DEF-15", Status::Fail),
        // No anti-phishing policy has mailbox intelligence protection, spoof intelligence and
        // organisation domain protection together.
        ("A365-DEF-09", Status::Fail),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
}

/// The inbound anti-spam policies, connectors and organisation relationships (built from their
/// references' properties) reach their sections as served; an allowed sender domain is read as
/// a fail.
#[tokio::test]
async fn anti_spam_connector_and_relationship_cmdlets_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    for (command, key) in [
        (
            "Get-HostedContentFilterPolicy",
            "/aether365/hosted_content_filter_policies",
        ),
        ("Get-InboundConnector", "/inbound_connectors"),
        ("Get-OutboundConnector", "/outbound_connectors"),
        ("Get-IntraOrganizationConnector", "/intra_org_connectors"),
        ("Get-OrganizationRelationship", "/org_relationships"),
    ] {
        assert!(
            succeeded(&c).contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
        let file = routes()
            .into_iter()
            .find(|(k, _)| k.ends_with(&format!("#{command}")))
            .unwrap()
            .1;
        assert_eq!(at(s, key), &parsed(&file)["value"], "{command}");
    }
    // "Partners" lets fabrikam.com past spam filtering.
    assert_eq!(verdict(&c, "A365-DEF-23"), Status::Fail);
}

/// The Security Suite's rules, Defender for Office 365 policies and audit retention policies
/// (built from their references' properties) reach the `aether365` section as served, and the
/// Security Suite checks judge the policy each rule applies to everyone: the custom policy whose
/// rule names every accepted domain, the Default policy where a custom rule covers one group
/// only, the built-in protection where no other Safe Attachments policy covers everyone.
#[tokio::test]
async fn security_suite_rules_and_policies_are_read() {
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let s = &c.snapshot;
    for (command, key) in [
        ("Get-MalwareFilterRule", "/aether365/anti_malware_rules"),
        (
            "Get-HostedContentFilterRule",
            "/aether365/hosted_content_filter_rules",
        ),
        ("Get-AntiPhishRule", "/aether365/anti_phish_rules"),
        (
            "Get-SafeAttachmentPolicy",
            "/aether365/safe_attachment_policies",
        ),
        ("Get-SafeAttachmentRule", "/aether365/safe_attachment_rules"),
        (
            "Get-ATPBuiltInProtectionRule",
            "/aether365/built_in_protection_rules",
        ),
        ("Get-SafeLinksPolicy", "/aether365/safe_links_policies"),
        ("Get-SafeLinksRule", "/aether365/safe_links_rules"),
        (
            "Get-UnifiedAuditLogRetentionPolicy",
            "/aether365/unified_audit_log_retention_policies",
        ),
    ] {
        assert!(
            succeeded(&c).contains(&command),
            "{command}: {:?}",
            failure(&c, command)
        );
        let file = routes()
            .into_iter()
            .find(|(k, _)| k.ends_with(&format!("#{command}")))
            .unwrap()
            .1;
        assert_eq!(at(s, key), &parsed(&file)["value"], "{command}");
    }
    assert_eq!(
        at(s, "/aether365/anti_malware_rules/0/RecipientDomainIs"),
        &json!(["contoso.com", "contoso.onmicrosoft.com"])
    );
    assert_eq!(
        at(s, "/aether365/built_in_protection_rules/0/ExceptIfSentTo"),
        &Value::Null
    );
    assert_eq!(
        at(
            s,
            "/aether365/unified_audit_log_retention_policies/0/RetentionDuration"
        ),
        "ThreeYears"
    );
    for (check, expected) in [
        // "Contoso executives" applies to both accepted domains ahead of Default: its filter
        // blocks exe, cmd and vbe ...
        ("A365-DEF-33", Status::Pass),
        // ... but its zero-hour auto purge is off (Default's, on, is not judged).
        ("A365-DEF-34", Status::Fail),
        // "Finance attachments" (Allow) covers one group only; the built-in protection makes
        // no exception and blocks.
        ("A365-DEF-35", Status::Pass),
        // A collection declares no sensitive users or partner domains (ScubaGear's config).
        ("A365-DEF-36", Status::Fail),
        // The custom anti-phishing policy covers everyone, protects the organisation's
        // domains with quarantine and shows every safety tip.
        ("A365-DEF-37", Status::Pass),
        ("A365-DEF-38", Status::Fail),
        ("A365-DEF-39", Status::Pass),
        // "Partners" allows fabrikam.com but its rule covers the sales group only, so only
        // Default is judged (A365-DEF-23, over every policy, fails).
        ("A365-DEF-40", Status::Pass),
        ("A365-DEF-41", Status::Pass),
        // "Contoso links" applies to everyone: links checked everywhere, clicks tracked, but
        // delivery does not wait for the scan.
        ("A365-DEF-42", Status::Pass),
        ("A365-DEF-43", Status::Fail),
        ("A365-DEF-44", Status::Pass),
    ] {
        assert_eq!(verdict(&c, check), expected, "{check}");
    }
    // A three-year policy exists, but only for Exchange administrators' actions, and
    // Microsoft's licence example has no Audit (Premium) plan.
    let snapshot = Snapshot::from_value(c.snapshot.clone()).unwrap();
    let retention = find_check("A365-PUR-12").unwrap().evaluate(&snapshot);
    assert_eq!(retention.status, Status::Fail, "{}", retention.message);
    assert_eq!(
        retention.evidence["policies_a_year_or_more_for_some_records"],
        json!(["Exchange admin actions for three years"])
    );
    assert_eq!(
        retention.evidence["policies_a_year_or_more_for_every_record"],
        json!([])
    );
    assert_eq!(retention.evidence["advanced_auditing_plan"], false);
    // With the licence, the scoped policy still does not keep every record.
    let mut licensed = c.snapshot.clone();
    licensed["service_plans"].as_array_mut().unwrap().push(
        json!({"ServicePlanName": "M365_ADVANCED_AUDITING", "ProvisioningStatus": "Success"}),
    );
    let retention = find_check("A365-PUR-12")
        .unwrap()
        .evaluate(&Snapshot::from_value(licensed).unwrap());
    assert_eq!(retention.status, Status::Fail, "{}", retention.message);
    assert!(
        retention.message.contains("scoped to some record types"),
        "{}",
        retention.message
    );
}

/// Microsoft's role member with its `id` (that of the same user in Microsoft's user example)
/// but still without `@odata.type`: the collector looks the member up in `directoryObjects`,
/// reads the user, and records it under its role; a principal eligible for the role that no
/// longer exists (a 404) is skipped. The user example carries no `assignedLicenses`, so the
/// privileged users' licences are refused rather than read as "no licence".
#[tokio::test]
async fn a_role_member_with_its_id_is_looked_up_and_read() {
    const ADELE: &str = "87d349ed-44d7-43e1-9a83-5f2406dee5bd";
    let mut routes = with(
        pim_routes(),
        "/graph/beta/directoryRoles/9ed3a0c4-53e1-498c-ab4d-2473476fde14/members",
        "graph_beta_directoryRoles_members.withId.json",
    );
    for (path, file) in [
        (
            format!("/graph/beta/directoryObjects/{ADELE}"),
            "graph_beta_directoryObjects_id.json",
        ),
        (
            format!("/graph/beta/users/{ADELE}"),
            "graph_v1.0_users_id.json",
        ),
        (
            format!("/graph/v1.0/users/{ADELE}"),
            "graph_v1.0_users_id.json",
        ),
    ] {
        routes.insert(path, file.to_string());
    }
    let server = serve(routes.clone()).await;
    let c = collect(&server).await;
    assert!(
        succeeded(&c).contains(&"Get-PrivilegedUser"),
        "{:?}",
        failure(&c, "Get-PrivilegedUser")
    );
    assert_eq!(
        at(&c.snapshot, "/privileged_users"),
        &json!({ADELE: {
            "id": ADELE,
            "DisplayName": "Adele Vance",
            "OnPremisesImmutableId": null,
            "roles": ["Global Administrator"]
        }})
    );
    assert_eq!(
        at(&c.snapshot, "/privileged_service_principals"),
        &json!({})
    );
    let seen = server.seen.lock().unwrap().clone();
    for path in routes.keys() {
        assert!(seen.contains(path), "{path} was never read");
    }
    // The PIM group eligible for Global Administrator is not a directory object here (404):
    // skipped, as a principal deleted since its assignment.
    assert!(seen.contains(
        &"/graph/beta/directoryObjects/b88fc7b0-a4ff-45fc-82c4-1d31a807315e".to_string()
    ));

    let why = failure(&c, "Get-MgUser -Property AssignedLicenses")
        .expect("a user without assignedLicenses is refused");
    assert!(why.contains("no `assignedLicenses`"), "{why}");
}

/// What the admin-consent callback and `tenant connect` record, from Microsoft's v1.0
/// organisation and licence examples (not part of a collection).
#[tokio::test]
async fn the_tenant_info_examples_are_read() {
    let mut routes = BTreeMap::new();
    routes.insert(
        "/graph/v1.0/organization".to_string(),
        "graph_v1.0_organization.json".to_string(),
    );
    routes.insert(
        "/graph/v1.0/subscribedSkus".to_string(),
        "graph_v1.0_subscribedSkus.json".to_string(),
    );
    let server = serve(routes).await;
    let mut endpoints = Endpoints::default();
    endpoints.set(
        EndpointKind::Authority,
        format!("{}/authority", server.base),
    );
    endpoints.set(EndpointKind::Graph, format!("{}/graph", server.base));
    let mut config = CollectorConfig::new(
        endpoints,
        CLIENT_ID,
        AppCredential::client_secret("example-secret").unwrap(),
    );
    config.max_attempts = 1;
    let info = Collector::new(config)
        .unwrap()
        .tenant_info(TENANT)
        .await
        .unwrap();
    assert_eq!(info.display_name, "Contoso");
    assert_eq!(info.verified_domains, ["Contoso.onmicrosoft.com"]);
    assert_eq!(info.default_domain, "Contoso.onmicrosoft.com");
    assert_eq!(info.initial_domain, "Contoso.onmicrosoft.com");
    // Every SKU the tenant holds, the suspended one included (as Microsoft lists it).
    assert_eq!(info.skus, ["ENTERPRISEPREMIUM", "CRMSTANDARD"]);
}

/// Microsoft's example of the Teams snapshot jobs: two jobs not started (with the zero
/// completion date Graph gives them). None succeeded, so Teams is not collected, and the
/// reason says so rather than reading an extraction that does not exist.
#[tokio::test]
async fn the_snapshot_job_example_leaves_teams_not_collected_with_its_reason() {
    use aether365_collector::{CollectedService, ServiceStatus};
    let server = serve(routes()).await;
    let c = collect(&server).await;
    let teams = c
        .services
        .iter()
        .find(|o| o.service == CollectedService::Teams)
        .unwrap();
    assert_eq!(teams.status, ServiceStatus::NotCollected, "{teams:?}");
    let reason = teams.reason.clone().unwrap();
    assert!(
        reason.contains("none of the tenant's 2") && reason.contains("notStarted"),
        "{reason}"
    );
}
