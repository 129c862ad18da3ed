//! The collector against Microsoft's own example responses (`microsoft_examples/`, each file's
//! source in its `README.md`), not only against our stand-in: a format mistake written into both
//! the stand-in and the collector would pass every round trip, but not these.
//!
//! A tiny HTTP/1.1 server on loopback answers the token request and serves each example at the
//! path the collector reads; every other request is a 404 in Graph's error format. The collection
//! runs through the collector's real path (`Collector::collect`: transport, paging, Graph,
//! `InvokeCommand`, SharePoint, Power Platform, Fabric) and the tests assert the snapshot values
//! the checks read. Where Microsoft documents two shapes of one answer, each is served in turn.

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
    ]
    .into_iter()
    .map(|(path, file)| (path, file.to_string()))
    .collect()
}

/// The loopback server: answers from `routes`, records each request's path (and cmdlet).
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
    let path = target.split('?').next().unwrap_or("");

    let (status, kind, reply) = if method == "POST" && path.ends_with("/oauth2/v2.0/token") {
        (
            "200 OK",
            "application/json",
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "example-token"})
                .to_string(),
        )
    } else {
        let key = if path.ends_with("/InvokeCommand") {
            let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let cmdlet = input
                .pointer("/CmdletInput/CmdletName")
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("{path}#{cmdlet}")
        } else {
            path.to_string()
        };
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
        ] {
            s.set_variant(v, true);
        }
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
