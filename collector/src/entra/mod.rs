//! Entra ID over Microsoft Graph: the reads ScubaGear's AAD provider makes, and the
//! transformation of Graph's objects into the export's Entra sections (`conditional_access_policies`,
//! `privileged_roles`, `service_plans`, ... and `aad_successful_commands`).
//!
//! Property names follow the export: ScubaGear reads Graph directly and upper-cases the first
//! letter of every property (`displayName` -> `DisplayName`); dates are written the way
//! Windows PowerShell serialises them (`/Date(1647536088205)/`). See [`convert`].

mod app_policies;
pub mod convert;
mod privileged;
mod risky;
pub mod risky_table;
pub(crate) mod settings;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::join;

use crate::ReadError;
use convert::{text, to_export};

/// Reads Microsoft Graph; the framework helper implements it over the HTTP client.
pub trait GraphReader: Send + Sync {
    /// GET `path_and_query` relative to the Graph base URL (e.g. "/beta/identity/conditionalAccess/policies"),
    /// following every @odata.nextLink, returning all `value` items.
    fn list(
        &self,
        path_and_query: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Value>, ReadError>> + Send;
    /// GET one object.
    fn get(
        &self,
        path_and_query: &str,
    ) -> impl std::future::Future<Output = Result<Value, ReadError>> + Send;
}

/// The Entra sections of a snapshot, and which of ScubaGear's commands succeeded or failed.
#[derive(Debug, Clone, Default)]
pub struct EntraSections {
    /// Export keys (`conditional_access_policies`, ...) to their values. Also holds
    /// `aad_successful_commands` and `aad_unsuccessful_commands` (command names only).
    pub sections: Map<String, Value>,
    /// Commands (ScubaGear's names, e.g. `Get-MgBetaDomain`) whose reads succeeded.
    pub successful: Vec<String>,
    /// Commands whose reads failed, with the reason.
    pub unsuccessful: Vec<(String, String)>,
}

/// What the admin-consent callback and `tenant connect` record about a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// The organisation's display name.
    pub display_name: String,
    /// Every verified domain name.
    pub verified_domains: Vec<String>,
    /// The default domain (empty if none is marked default).
    pub default_domain: String,
    /// The initial `*.onmicrosoft.com` domain (empty if none is marked initial).
    pub initial_domain: String,
    /// Part numbers of the subscribed SKUs (e.g. `SPE_E5`).
    pub skus: Vec<String>,
}

/// The Graph endpoints read, and the least-privilege application permission each needs (for test-connection and docs).
pub const GRAPH_PROBES: &[(&str, &str, &str)] = &[
    (
        "/beta/identity/conditionalAccess/policies",
        "Policy.Read.All",
        "conditional access policies",
    ),
    (
        "/beta/policies/authorizationPolicy",
        "Policy.Read.All",
        "authorization policy: user consent, guest access, app registration",
    ),
    (
        "/beta/policies/authenticationMethodsPolicy",
        "Policy.Read.All",
        "authentication methods policy and its migration state",
    ),
    (
        "/beta/settings",
        "Directory.Read.All",
        "directory settings: admin consent workflow",
    ),
    (
        "/beta/domains",
        "Domain.Read.All",
        "domains: password expiry",
    ),
    (
        "/beta/subscribedSkus",
        "Organization.Read.All",
        "licences and service plans (Entra ID P2)",
    ),
    (
        "/beta/organization",
        "Organization.Read.All",
        "tenant details and domains",
    ),
    (
        "/beta/users/$count",
        "User.Read.All",
        "total user count; privileged users' names and on-premises ids",
    ),
    (
        "/beta/directoryRoleTemplates",
        "RoleManagement.Read.Directory",
        "privileged role definitions",
    ),
    (
        "/beta/directoryRoles",
        "RoleManagement.Read.Directory",
        "privileged role members",
    ),
    (
        "/beta/roleManagement/directory/roleAssignmentScheduleInstances",
        "RoleAssignmentSchedule.Read.Directory",
        "PIM active assignments",
    ),
    (
        "/beta/roleManagement/directory/roleEligibilityScheduleInstances",
        "RoleEligibilitySchedule.Read.Directory",
        "PIM eligible assignments",
    ),
    (
        "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'",
        "RoleManagementPolicy.Read.Directory",
        "PIM role settings: approval and notification rules",
    ),
    (
        "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'00000000-0000-0000-0000-000000000000'%20and%20scopeType%20eq%20'Group'%20and%20roleDefinitionId%20eq%20'member'",
        "RoleManagementPolicy.Read.AzureADGroup",
        "PIM role settings of PIM for Groups groups (read per group)",
    ),
    (
        "/beta/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId%20eq%20'00000000-0000-0000-0000-000000000000'",
        "PrivilegedEligibilitySchedule.Read.AzureADGroup",
        "members eligible through PIM for Groups",
    ),
    (
        "/beta/identityGovernance/privilegedAccess/group/resources",
        "PrivilegedAccess.Read.AzureADGroup",
        "PIM for Groups groups holding privileged roles",
    ),
    (
        "/beta/groups",
        "GroupMember.Read.All",
        "members of groups holding privileged roles",
    ),
    (
        "/v1.0/servicePrincipals",
        "Application.Read.All",
        "privileged service principals; delegated permission classifications; the third-party storage service principal (CIS 1.3.7)",
    ),
    // The settings of the snapshot's `aether365` section ([`settings::SETTINGS_READS`]).
    (
        "/v1.0/policies/activityBasedTimeoutPolicies",
        "Policy.Read.All",
        "idle session timeout (CIS 1.3.2)",
    ),
    (
        "/beta/admin/appsAndServices",
        "OrgSettings-AppsAndServices.Read.All",
        "user owned apps and services (CIS 1.3.4)",
    ),
    (
        "/beta/admin/forms",
        "OrgSettings-Forms.Read.All",
        "Microsoft Forms phishing protection (CIS 1.3.5)",
    ),
    (
        "/v1.0/deviceManagement?$select=settings",
        "DeviceManagementConfiguration.Read.All",
        "Intune compliance settings (CIS 4.1)",
    ),
    (
        "/v1.0/deviceManagement/deviceEnrollmentConfigurations",
        "DeviceManagementServiceConfig.Read.All",
        "Intune enrolment restrictions (CIS 4.2)",
    ),
    (
        "/v1.0/policies/deviceRegistrationPolicy",
        "Policy.Read.DeviceConfiguration",
        "device registration and join settings, LAPS (CIS 5.1.4.x)",
    ),
    (
        "/beta/policies/b2bManagementPolicies",
        "Policy.Read.B2BManagementPolicy",
        "B2B collaboration domain allow-list (CIS 5.1.6.1)",
    ),
    (
        "/v1.0/identity/conditionalAccess/namedLocations",
        "Policy.Read.All",
        "named locations (CIS 5.2.2.14)",
    ),
    (
        "/v1.0/identityGovernance/accessReviews/definitions",
        "AccessReview.Read.All",
        "access reviews of guests and privileged roles (CIS 5.3.2, 5.3.3)",
    ),
    (
        "/v1.0/policies/defaultAppManagementPolicy",
        "Policy.Read.All",
        "default app management policy: client secret and certificate restrictions (CIS 5.1.5.3 to 5.1.5.6)",
    ),
    (
        "/v1.0/policies/appManagementPolicies",
        "Policy.Read.All",
        "custom app management policies, and (with Application.Read.All) the applications each applies to (SCuBA main branch MS.AAD.5.5v1 to 5.7v1)",
    ),
    // Per-object reads (crate::per_object).
    (
        "/v1.0/users",
        "User.Read.All",
        "privileged users' licences (CIS 1.1.4); shared mailboxes' accounts (CIS 1.2.2)",
    ),
    (
        "/v1.0/groups",
        "GroupMember.Read.All",
        "Microsoft 365 groups' visibility (CIS 1.2.1)",
    ),
    (
        "/v1.0/reports/authenticationMethods/userRegistrationDetails",
        "AuditLog.Read.All",
        "member users' MFA capability (CIS 5.2.3.4)",
    ),
];

/// ScubaGear's command names, in the order its AAD provider records them.
pub(crate) mod cmd {
    pub const CA: &str = "Get-MgBetaIdentityConditionalAccessPolicy";
    pub const SKU: &str = "Get-MgBetaSubscribedSku";
    pub const PRIV_USER: &str = "Get-PrivilegedUser";
    pub const PRIV_ROLE: &str = "Get-PrivilegedRole";
    pub const USER_COUNT: &str = "Get-MgBetaUserCount";
    pub const AUTHZ: &str = "Get-MgBetaPolicyAuthorizationPolicy";
    pub const SETTINGS: &str = "Get-MgBetaDirectorySetting";
    pub const AUTH_METHODS: &str = "Get-MgBetaPolicyAuthenticationMethodPolicy";
    pub const DOMAINS: &str = "Get-MgBetaDomain";
    pub const RISKY_DELEGATED: &str =
        "Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications";
    /// The order of `aad_successful_commands` in ScubaGear's export.
    pub const ORDER: &[&str] = &[
        CA,
        SKU,
        PRIV_USER,
        PRIV_ROLE,
        USER_COUNT,
        AUTHZ,
        SETTINGS,
        AUTH_METHODS,
        DOMAINS,
        RISKY_DELEGATED,
    ];
}

/// The Entra ID P2 service plan that PIM and risk-based conditional access need.
const P2_PLAN: &str = "AAD_PREMIUM_P2";

/// Graph beta's authorization policy.
const AUTHZ_PATH: &str = "/beta/policies/authorizationPolicy";

/// An answer Microsoft documents both as one object and as a collection (`{"value": [...]}`,
/// beta `policies/authorizationPolicy`): its items either way. Anything else is malformed.
fn one_or_collection(what: &str, v: Value) -> Result<Vec<Value>, ReadError> {
    match v {
        Value::Object(mut o) if o.contains_key("value") => match o.remove("value") {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(ReadError::Malformed {
                what: what.to_string(),
                detail: "`value` is not an array".into(),
            }),
        },
        Value::Object(mut o) if o.contains_key("id") => {
            // The answer's own annotations are not the policy's: the collection form carries
            // them beside `value`, so the one-object form must not keep them as properties.
            o.retain(|k, _| k != "@odata.context" && !k.starts_with("@microsoft.graph."));
            Ok(vec![Value::Object(o)])
        }
        _ => Err(ReadError::Malformed {
            what: what.to_string(),
            detail: "neither one object with an `id` nor a `value` collection".into(),
        }),
    }
}

/// Collects every Entra section. A failed read makes its command(s) unsuccessful with the
/// reason, and the rest continues; independent reads run concurrently.
pub async fn collect(reader: &impl GraphReader, microsoft_tenant_id: &str) -> EntraSections {
    let mut out = Outcomes::default();

    let (ca, skus, count, authz, settings, methods, domains, org, delegated) = join!(
        reader.list("/beta/identity/conditionalAccess/policies"),
        reader.list("/beta/subscribedSkus"),
        reader.get("/beta/users/$count"),
        async {
            reader
                .get(AUTHZ_PATH)
                .await
                .and_then(|v| one_or_collection(AUTHZ_PATH, v))
        },
        reader.list("/beta/settings"),
        reader.get("/beta/policies/authenticationMethodsPolicy"),
        reader.list("/beta/domains"),
        reader.list("/beta/organization"),
        risky::delegated_classifications(reader),
    );

    // Conditional access.
    let policies = out.list(cmd::CA, ca.map(export_all));
    out.put("cap_table_data", Value::Array(Vec::new()));
    out.put("conditional_access_policies", Value::Array(policies));

    // Licences.
    let skus = out.list(cmd::SKU, skus.map(export_all));
    let plans: Vec<Value> = skus
        .iter()
        .flat_map(|s| items(s.get("ServicePlans")))
        .filter(|p| text(p, "ProvisioningStatus") == "Success")
        .cloned()
        .collect();
    let license_info: Vec<Value> = skus.iter().map(license_information).collect();
    out.put("license_state", json!([license_state(&skus)]));
    out.put("license_information", Value::Array(license_info));

    // Privileged users and roles need to know whether the tenant has P2 (PIM).
    if plans.is_empty() {
        out.put("privileged_users", Value::Array(Vec::new()));
        out.put("privileged_roles", Value::Array(Vec::new()));
        out.put("privileged_service_principals", Value::Object(Map::new()));
        out.fail(cmd::PRIV_ROLE, "no provisioned service plan".to_string());
        out.fail(cmd::PRIV_USER, "no provisioned service plan".to_string());
    } else {
        let p2 = plans.iter().any(|p| text(p, "ServicePlanName") == P2_PLAN);
        let (users, roles) = join!(
            privileged::privileged_objects(reader, p2),
            privileged::privileged_roles(reader, p2)
        );
        match users {
            Ok(objects) => {
                out.ok(cmd::PRIV_USER);
                out.put("privileged_users", Value::Object(objects.users));
                out.put(
                    "privileged_service_principals",
                    Value::Object(objects.service_principals),
                );
            }
            Err(e) => {
                out.fail(cmd::PRIV_USER, e.reason());
                out.put("privileged_users", Value::Object(Map::new()));
                out.put("privileged_service_principals", Value::Object(Map::new()));
            }
        }
        let roles = out.list(cmd::PRIV_ROLE, roles);
        out.put("privileged_roles", Value::Array(roles));
    }
    out.put("service_plans", Value::Array(plans));

    // User count: Graph answers `$count` as a bare number (it needs ConsistencyLevel: eventual).
    let count = match count {
        Ok(v) => {
            out.ok(cmd::USER_COUNT);
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .unwrap_or(-1)
        }
        Err(e) => {
            out.fail(cmd::USER_COUNT, e.reason());
            -1
        }
    };
    out.put("total_user_count", json!(count));

    let authz = out.list(cmd::AUTHZ, authz.map(export_all));
    out.put("authorization_policies", Value::Array(authz));
    let settings = out.list(cmd::SETTINGS, settings.map(export_all));
    out.put("directory_settings", Value::Array(settings));

    // Authentication methods: the policy without its configurations, and the configurations.
    let methods = match methods {
        Ok(policy) => {
            out.ok(cmd::AUTH_METHODS);
            authentication_method(to_export(policy))
        }
        Err(e) => {
            out.fail(cmd::AUTH_METHODS, e.reason());
            json!([{ "authentication_method_policy": null, "authentication_method_feature_settings": [] }])
        }
    };
    out.put("authentication_method", methods);

    let domains = out.list(cmd::DOMAINS, domains.map(export_all));
    out.put("domain_settings", Value::Array(domains));

    let delegated = out.list(cmd::RISKY_DELEGATED, delegated);
    out.put(
        "risky_delegated_permission_classifications",
        Value::Array(delegated),
    );

    // Tenant details (ScubaGear's Get-AADTenantDetail, outside the command tracker).
    out.put(
        "tenant_details",
        tenant_details(org.map(export_all), microsoft_tenant_id),
    );

    out.finish()
}

/// Reads the organisation and its licences: display name, domains and SKU part numbers.
pub async fn tenant_info(reader: &impl GraphReader) -> Result<TenantInfo, ReadError> {
    let (org, skus) = join!(
        reader.list("/v1.0/organization"),
        reader.list("/v1.0/subscribedSkus")
    );
    let org: Vec<Organization> = org?
        .into_iter()
        .filter_map(|o| serde_json::from_value(o).ok())
        .collect();
    let skus = skus?;
    let first = org.into_iter().next().unwrap_or_default();
    let domain = |pred: fn(&VerifiedDomain) -> bool| {
        first
            .verified_domains
            .iter()
            .find(|d| pred(d))
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    Ok(TenantInfo {
        default_domain: domain(|d| d.is_default),
        initial_domain: domain(|d| d.is_initial),
        verified_domains: first
            .verified_domains
            .iter()
            .map(|d| d.name.clone())
            .collect(),
        display_name: first.display_name.clone().unwrap_or_default(),
        skus: skus
            .iter()
            .map(|s| text(s, "skuPartNumber").to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

/// Graph's `organization` resource, as far as [`tenant_info`] needs it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organization {
    display_name: Option<String>,
    #[serde(default)]
    verified_domains: Vec<VerifiedDomain>,
}

/// Graph's `verifiedDomain` complex type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedDomain {
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_default: bool,
    #[serde(default)]
    is_initial: bool,
}

/// Accumulates sections and command outcomes.
#[derive(Default)]
struct Outcomes {
    sections: Map<String, Value>,
    successful: Vec<String>,
    unsuccessful: Vec<(String, String)>,
}

impl Outcomes {
    fn put(&mut self, key: &str, value: Value) {
        self.sections.insert(key.to_string(), value);
    }
    fn ok(&mut self, command: &str) {
        self.successful.push(command.to_string());
    }
    fn fail(&mut self, command: &str, reason: String) {
        tracing::warn!(command, %reason, "Entra read failed");
        self.unsuccessful.push((command.to_string(), reason));
    }
    /// A list read: its items, or none and the command marked unsuccessful.
    fn list(&mut self, command: &str, r: Result<Vec<Value>, ReadError>) -> Vec<Value> {
        match r {
            Ok(v) => {
                self.ok(command);
                v
            }
            Err(e) => {
                self.fail(command, e.reason());
                Vec::new()
            }
        }
    }
    fn finish(mut self) -> EntraSections {
        let rank = |c: &str| {
            cmd::ORDER
                .iter()
                .position(|x| *x == c)
                .unwrap_or(cmd::ORDER.len())
        };
        self.successful.sort_by_key(|c| rank(c));
        self.unsuccessful.sort_by_key(|(c, _)| rank(c));
        self.sections.insert(
            "aad_successful_commands".to_string(),
            json!(self.successful),
        );
        self.sections.insert(
            "aad_unsuccessful_commands".to_string(),
            json!(
                self.unsuccessful
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
            ),
        );
        EntraSections {
            sections: self.sections,
            successful: self.successful,
            unsuccessful: self.unsuccessful,
        }
    }
}

fn export_all(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().map(to_export).collect()
}

/// A list (or one object) as a slice of values.
pub(crate) fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// `license_information`: each SKU's `Sku*` properties, `ConsumedUnits` and `PrepaidUnits`.
fn license_information(sku: &Value) -> Value {
    let mut out = Map::new();
    if let Some(obj) = sku.as_object() {
        for (k, v) in obj {
            if k.starts_with("Sku") || k == "ConsumedUnits" || k == "PrepaidUnits" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// `license_state`, derived from the subscribed SKUs as ScubaGear's license helper does.
fn license_state(skus: &[Value]) -> Value {
    let has_any = !skus.is_empty();
    let active = skus
        .iter()
        .flat_map(|s| items(s.get("ServicePlans")))
        .any(|p| text(p, "ProvisioningStatus") == "Success");
    let (state, reason) = if !has_any {
        ("NoLicense", "No subscribed SKUs were found for the tenant.")
    } else if active {
        (
            "Active",
            "At least one service plan is provisioned successfully.",
        )
    } else {
        (
            "Inactive",
            "Subscribed SKUs exist but no service plans are provisioned successfully.",
        )
    };
    json!({
        "state": state,
        "has_any_sku": has_any,
        "has_active_plans": active,
        "is_expired": state == "Inactive",
        "days_until_expiration": null,
        "is_expiring_soon": false,
        "state_reason": reason,
        "warning_days_threshold": 30
    })
}

/// `authentication_method`: one object holding the policy (minus its method configurations)
/// and the configurations that have an id.
fn authentication_method(mut policy: Value) -> Value {
    let configs = policy
        .as_object_mut()
        .and_then(|o| o.remove("AuthenticationMethodConfigurations"))
        .unwrap_or(Value::Null);
    let features: Vec<Value> = items(Some(&configs))
        .into_iter()
        .filter(|c| !text(c, "Id").is_empty())
        .cloned()
        .collect();
    json!([{
        "authentication_method_policy": policy,
        "authentication_method_feature_settings": features
    }])
}

/// `tenant_details`: display name, initial domain, tenant id and the organisation object.
fn tenant_details(org: Result<Vec<Value>, ReadError>, microsoft_tenant_id: &str) -> Value {
    match org {
        Ok(orgs) => {
            let first = orgs.first().cloned().unwrap_or(Value::Null);
            let initial = items(first.get("VerifiedDomains"))
                .into_iter()
                .find(|d| d.get("IsInitial").and_then(Value::as_bool) == Some(true))
                .map(|d| text(d, "Name").to_string())
                .unwrap_or_else(|| "AAD: Domain Unretrievable".to_string());
            let id = match text(&first, "Id") {
                "" => microsoft_tenant_id.to_string(),
                id => id.to_string(),
            };
            json!([{
                "DisplayName": first.get("DisplayName").cloned().unwrap_or(Value::Null),
                "DomainName": initial,
                "TenantId": id,
                "AADAdditionalData": orgs
            }])
        }
        Err(e) => {
            tracing::warn!(reason = %e.reason(), "reading the organization failed");
            json!([{
                "DisplayName": "Error retrieving Display name",
                "DomainName": "Error retrieving Domain name",
                "TenantId": "Error retrieving Tenant ID",
                "AADAdditionalData": "Error retrieving additional data"
            }])
        }
    }
}

/// Whether a read failed because the object does not exist (Graph's 404).
pub(crate) fn is_not_found(e: &ReadError) -> bool {
    matches!(e, ReadError::NotFound { .. })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod authorization_policy_shapes {
    use super::*;

    /// Microsoft's documented example, trimmed: beta `GET /policies/authorizationPolicy`.
    fn policy() -> Value {
        json!({
            "id": "authorizationPolicy",
            "displayName": "Authorization Policy",
            "allowInvitesFrom": "everyone",
            "guestUserRoleId": "a0b1b346-4d3e-4e8b-98f8-753987be4970",
            "defaultUserRolePermissions": {"allowedToCreateApps": true, "allowedToCreateSecurityGroups": true}
        })
    }

    #[test]
    fn one_object_is_one_policy() {
        let got = one_or_collection(AUTHZ_PATH, policy()).unwrap();
        assert_eq!(got, vec![policy()]);
    }

    #[test]
    fn one_object_loses_the_answer_s_annotations() {
        let mut answer = policy();
        answer["@odata.context"] = json!(
            "https://graph.microsoft.com/beta/$metadata#policies/authorizationPolicy/$entity"
        );
        answer["@microsoft.graph.tips"] =
            json!("Use $select to choose only the properties your app needs");
        assert_eq!(
            one_or_collection(AUTHZ_PATH, answer).unwrap(),
            vec![policy()]
        );
    }

    #[test]
    fn a_collection_gives_its_policies() {
        let answer = json!({"@odata.context": "https://graph.microsoft.com/beta/$metadata#policies/authorizationPolicy", "value": [policy()]});
        assert_eq!(
            one_or_collection(AUTHZ_PATH, answer).unwrap(),
            vec![policy()]
        );
    }

    #[test]
    fn other_shapes_are_malformed_not_empty() {
        for bad in [
            json!({"value": {}}),
            json!({"displayName": "x"}),
            json!([policy()]),
            json!(null),
        ] {
            assert!(matches!(
                one_or_collection(AUTHZ_PATH, bad),
                Err(ReadError::Malformed { .. })
            ));
        }
    }
}
