//! Microsoft Graph, rebuilt from a ScubaGear export: the raw objects (camelCase, ISO 8601
//! dates, Graph's property names) that Graph would return for the reads ScubaGear's AAD
//! provider (and aether365's collector) makes, so that collecting from the stand-in
//! reproduces the export's Entra sections.
//!
//! Objects the export keeps (policies, settings, domains, PIM assignments and rules) are
//! converted back property by property. Objects it only summarises (directory roles and
//! their members, users, service principals, PIM for Groups groups, role management policies)
//! are rebuilt with what the export says about them and stable derived ids.

mod convert;
mod settings;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use convert::{guid, to_graph};

/// What the stand-in answers for one GET.
#[derive(Debug, Clone, PartialEq)]
pub enum Served {
    /// A collection: the server pages it into `{"value": [...]}` with `@odata.nextLink`.
    Collection(Vec<Value>),
    /// A single object (or a bare value such as `$count`).
    Object(Value),
}

/// Well-known role template ids of the roles ScubaGear treats as privileged.
const ROLE_TEMPLATES: &[(&str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    (
        "SharePoint Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
    ),
    (
        "Hybrid Identity Administrator",
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    ),
    (
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
    ),
];

/// The Microsoft Graph part of a stand-in tenant.
#[derive(Debug, Clone, Default)]
pub struct GraphTenant {
    organization: Vec<Value>,
    conditional_access: Vec<Value>,
    authorization: Vec<Value>,
    settings: Vec<Value>,
    authentication_methods: Option<Value>,
    domains: Vec<Value>,
    skus: Vec<Value>,
    user_count: i64,
    role_templates: Vec<Value>,
    directory_roles: Vec<Value>,
    /// Directory role id -> its members (directoryObjects with `@odata.type`).
    role_members: BTreeMap<String, Vec<Value>>,
    /// Users, service principals and groups by id.
    objects: BTreeMap<String, Value>,
    /// Group id -> its members.
    group_members: BTreeMap<String, Vec<Value>>,
    assignment_instances: Vec<Value>,
    eligibility_instances: Vec<Value>,
    /// roleManagementPolicyAssignments (without their policy).
    policy_assignments: Vec<Value>,
    /// roleManagementPolicies by id, with their rules.
    policies: BTreeMap<String, Value>,
    /// PIM for Groups resources (groups enrolled in PIM).
    pim_groups: Vec<Value>,
    service_principals: Vec<Value>,
    /// Service principal id -> its delegated permission classifications.
    classifications: BTreeMap<String, Vec<Value>>,
    /// The tenant settings the CIS checks read, by `aether365` key ([`settings`]).
    own_settings: Map<String, Value>,
}

/// A list (or one object) as a list, nulls dropped.
fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

impl GraphTenant {
    /// Builds the Graph objects from a ScubaGear `ProviderSettingsExport.json` document.
    pub fn from_export(export: &Value) -> GraphTenant {
        let tenant_id = export
            .get("tenant_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                items(export.get("tenant_details"))
                    .first()
                    .map(|d| text(d, "TenantId").to_string())
            })
            .unwrap_or_default();
        let mut t = GraphTenant {
            conditional_access: convert_all(export.get("conditional_access_policies")),
            authorization: convert_all(export.get("authorization_policies")),
            settings: convert_all(export.get("directory_settings")),
            domains: convert_all(export.get("domain_settings")),
            ..GraphTenant::default()
        };
        t.own_settings = settings::from_export(export);
        // Service principals outside the privileged ones, listed by `servicePrincipals`.
        for sp in items(t.own_settings.get(settings::SERVICE_PRINCIPALS)) {
            if !sp.is_object() {
                continue;
            }
            let mut sp = sp.clone();
            sp["@odata.type"] = json!("#microsoft.graph.servicePrincipal");
            t.objects
                .entry(text(&sp, "id").to_string())
                .or_insert_with(|| sp.clone());
            t.service_principals.push(sp);
        }
        t.organization = organization(export, &tenant_id, &t.domains);
        t.authentication_methods = authentication_methods(export);
        t.skus = skus(export, &tenant_id);
        t.privileged(export, &tenant_id);
        t.risky_delegated(export);
        let known_users = t
            .objects
            .values()
            .filter(|o| text(o, "@odata.type") == "#microsoft.graph.user")
            .count();
        t.user_count = export
            .get("total_user_count")
            .and_then(Value::as_i64)
            .filter(|n| *n >= 0)
            .unwrap_or(i64::try_from(known_users).unwrap_or(0));
        t
    }

    /// Answer for GET `path` (e.g. "/beta/identity/conditionalAccess/policies", no query string) and its query string; None = 404.
    pub fn answer(&self, path: &str, query: &str) -> Option<Served> {
        let q = Query::parse(query);
        let path = path.trim_end_matches('/');
        let rest = path
            .strip_prefix("/beta")
            .or_else(|| path.strip_prefix("/v1.0"))?;
        if let Some(served) = settings::answer(&self.own_settings, rest) {
            return served;
        }
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let served = match segs.as_slice() {
            ["identity", "conditionalAccess", "policies"] => {
                Served::Collection(self.conditional_access.clone())
            }
            ["identity", "conditionalAccess", "policies", id] => {
                Served::Object(find(&self.conditional_access, id)?)
            }
            ["policies", "authorizationPolicy"] => {
                // A collection in beta, a single object in v1.0.
                if path.starts_with("/beta") {
                    Served::Collection(self.authorization.clone())
                } else {
                    Served::Object(self.authorization.first()?.clone())
                }
            }
            ["policies", "authenticationMethodsPolicy"] => {
                Served::Object(self.authentication_methods.clone()?)
            }
            ["settings"] => Served::Collection(self.settings.clone()),
            ["domains"] => Served::Collection(self.domains.clone()),
            ["domains", id] => Served::Object(find(&self.domains, id)?),
            ["subscribedSkus"] => Served::Collection(self.skus.clone()),
            ["organization"] => Served::Collection(self.organization.clone()),
            ["users", "$count"] => Served::Object(json!(self.user_count)),
            ["directoryRoleTemplates"] => Served::Collection(self.role_templates.clone()),
            ["directoryRoles"] => Served::Collection(self.directory_roles.clone()),
            ["directoryRoles", id, "members"] => {
                find(&self.directory_roles, id)?;
                Served::Collection(self.role_members.get(*id).cloned().unwrap_or_default())
            }
            ["directoryObjects", id] => Served::Object(self.objects.get(*id)?.clone()),
            ["users", id] => Served::Object(self.typed(id, "user")?),
            ["groups"] => Served::Collection(
                self.objects
                    .values()
                    .filter(|o| text(o, "@odata.type") == "#microsoft.graph.group")
                    .filter(|o| q.matches(o))
                    .map(untyped)
                    .collect(),
            ),
            ["groups", id] => Served::Object(self.typed(id, "group")?),
            ["groups", id, "members"] => {
                self.typed(id, "group")?;
                Served::Collection(self.group_members.get(*id).cloned().unwrap_or_default())
            }
            ["servicePrincipals"] => Served::Collection(
                self.service_principals
                    .iter()
                    .filter(|sp| q.matches(sp))
                    .map(untyped)
                    .collect(),
            ),
            ["servicePrincipals", id] => Served::Object(self.typed(id, "servicePrincipal")?),
            [
                "servicePrincipals",
                id,
                "delegatedPermissionClassifications",
            ] => {
                self.typed(id, "servicePrincipal")?;
                Served::Collection(self.classifications.get(*id).cloned().unwrap_or_default())
            }
            [
                "roleManagement",
                "directory",
                "roleAssignmentScheduleInstances",
            ] => Served::Collection(self.assignment_instances.clone()),
            [
                "roleManagement",
                "directory",
                "roleEligibilityScheduleInstances",
            ] => Served::Collection(self.eligibility_instances.clone()),
            ["policies", "roleManagementPolicyAssignments"] => Served::Collection(
                self.policy_assignments
                    .iter()
                    .filter(|a| q.matches(a))
                    .map(|a| self.expand_policy(a, &q))
                    .collect(),
            ),
            ["policies", "roleManagementPolicies"] => Served::Collection(
                self.policies
                    .values()
                    .filter(|p| q.matches(p))
                    .map(|p| q.policy(p))
                    .collect(),
            ),
            ["policies", "roleManagementPolicies", id] => {
                Served::Object(q.policy(self.policies.get(*id)?))
            }
            ["policies", "roleManagementPolicies", id, "rules"] => Served::Collection(
                items(self.policies.get(*id)?.get("rules"))
                    .into_iter()
                    .cloned()
                    .collect(),
            ),
            [
                "identityGovernance",
                "privilegedAccess",
                "group",
                "resources",
            ] => Served::Collection(self.pim_groups.clone()),
            [
                "identityGovernance",
                "privilegedAccess",
                "group",
                "eligibilityScheduleInstances",
            ] => {
                // No PIM for Groups membership is recorded in an export.
                Served::Collection(Vec::new())
            }
            _ => return None,
        };
        Some(q.select(served))
    }

    /// The application permission Microsoft's reference requires for a GET, where the stand-in
    /// enforces one ([`crate::StandIn::deny_permission`]): today the role management policies,
    /// whose permission depends on their scope (`RoleManagementPolicy.Read.AzureADGroup` for
    /// PIM for Groups, `RoleManagementPolicy.Read.Directory` for directory roles).
    pub fn required_permission(&self, path: &str, query: &str) -> Option<&'static str> {
        let q = Query::parse(query);
        let rest = path
            .trim_end_matches('/')
            .strip_prefix("/beta")
            .or_else(|| path.strip_prefix("/v1.0"))?;
        if let Some(permission) = settings::permission(rest) {
            return Some(permission);
        }
        let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let scope_type = match segs.as_slice() {
            [
                "policies",
                "roleManagementPolicyAssignments" | "roleManagementPolicies",
            ] => filter_value(q.get("$filter")?, "scopeType")?,
            ["policies", "roleManagementPolicies", id, ..] => {
                text(self.policies.get(*id)?, "scopeType").to_string()
            }
            _ => return None,
        };
        Some(if scope_type.eq_ignore_ascii_case("Group") {
            "RoleManagementPolicy.Read.AzureADGroup"
        } else {
            "RoleManagementPolicy.Read.Directory"
        })
    }

    /// A user, group or service principal by id, if it has that type.
    fn typed(&self, id: &str, kind: &str) -> Option<Value> {
        let o = self.objects.get(id)?;
        (text(o, "@odata.type") == format!("#microsoft.graph.{kind}")).then(|| untyped(o))
    }

    /// A policy assignment with its policy (and the policy's rules) when `$expand` asks.
    fn expand_policy(&self, assignment: &Value, q: &Query) -> Value {
        let mut a = assignment.clone();
        if let Some(expand) = q.get("$expand")
            && expand.starts_with("policy")
            && let Some(policy) = self.policies.get(text(assignment, "policyId"))
        {
            let mut policy = policy.clone();
            if !expand.contains("rules")
                && let Some(o) = policy.as_object_mut()
            {
                o.remove("rules");
            }
            if let Some(o) = a.as_object_mut() {
                o.insert("policy".into(), policy);
            }
        }
        a
    }

    /// Directory roles, their members, users, service principals, PIM assignments and
    /// role management policies, from `privileged_users`, `privileged_service_principals`
    /// and `privileged_roles`.
    fn privileged(&mut self, export: &Value, tenant_id: &str) {
        let roles = items(export.get("privileged_roles"));
        let template_of = |name: &str| -> String {
            roles
                .iter()
                .find(|r| text(r, "DisplayName") == name)
                .map(|r| text(r, "RoleTemplateId").to_string())
                .or_else(|| {
                    ROLE_TEMPLATES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, id)| (*id).to_string())
                })
                .unwrap_or_else(|| guid(&format!("roleTemplate:{name}")))
        };

        // Principals and the roles they hold, in the export's order.
        let mut holders: Vec<(String, Value, Vec<String>)> = Vec::new();
        for (key, kind) in [
            ("privileged_users", "user"),
            ("privileged_service_principals", "servicePrincipal"),
        ] {
            for (id, entry) in keyed(export.get(key)) {
                let mut obj = Map::new();
                obj.insert(
                    "@odata.type".into(),
                    json!(format!("#microsoft.graph.{kind}")),
                );
                obj.insert("id".into(), json!(id));
                obj.insert(
                    "displayName".into(),
                    entry.get("DisplayName").cloned().unwrap_or(Value::Null),
                );
                if kind == "user" {
                    obj.insert(
                        "onPremisesImmutableId".into(),
                        entry
                            .get("OnPremisesImmutableId")
                            .cloned()
                            .unwrap_or(Value::Null),
                    );
                } else {
                    obj.insert(
                        "appId".into(),
                        entry.get("AppId").cloned().unwrap_or(Value::Null),
                    );
                }
                let role_names: Vec<String> = items(entry.get("roles"))
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect();
                holders.push((id, Value::Object(obj), role_names));
            }
        }

        // Directory roles in an order consistent with every holder's role list (Graph lists
        // roles in one order, and ScubaGear records each holder's roles in that order).
        let lists: Vec<Vec<String>> = holders.iter().map(|(_, _, r)| r.clone()).collect();
        let mut names = order_consistently(&lists);
        for r in &roles {
            let n = text(r, "DisplayName").to_string();
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
        for name in &names {
            let role_id = guid(&format!("directoryRole:{tenant_id}:{name}"));
            self.directory_roles.push(json!({
                "id": role_id,
                "deletedDateTime": null,
                "description": null,
                "displayName": name,
                "roleTemplateId": template_of(name)
            }));
            let members: Vec<Value> = holders
                .iter()
                .filter(|(_, _, r)| r.contains(name))
                .map(|(_, o, _)| o.clone())
                .collect();
            self.role_members.insert(role_id, members);
        }
        for (id, obj, _) in holders {
            self.objects.entry(id).or_insert_with(|| obj.clone());
            if text(&obj, "@odata.type") == "#microsoft.graph.servicePrincipal" {
                self.service_principals.push(obj);
            }
        }

        // Role templates, in the export's order.
        for r in &roles {
            self.role_templates.push(json!({
                "id": text(r, "RoleTemplateId"),
                "deletedDateTime": null,
                "description": null,
                "displayName": text(r, "DisplayName")
            }));
        }

        // PIM: active assignment instances, role policies and PIM for Groups groups.
        for r in &roles {
            let template = text(r, "RoleTemplateId");
            for a in items(r.get("Assignments")) {
                self.assignment_instances.push(to_graph(a));
            }
            let rules = items(r.get("Rules"));
            if r.get("Rules").is_none() {
                continue;
            }
            let own: Vec<Value> = rules
                .iter()
                .filter(|x| text(x, "RuleSourceType") != "PIM Group")
                .map(|x| strip_source(x))
                .collect();
            let policy_id = format!(
                "DirectoryRole_{tenant_id}_{}",
                guid(&format!("rolePolicy:{template}"))
            );
            self.policies.insert(
                policy_id.clone(),
                json!({
                    "id": policy_id,
                    "displayName": "DirectoryRole",
                    "description": "DirectoryRole",
                    "isOrganizationDefault": false,
                    "scopeId": "/",
                    "scopeType": "DirectoryRole",
                    "lastModifiedDateTime": null,
                    "lastModifiedBy": null,
                    "rules": own
                }),
            );
            self.policy_assignments.push(json!({
                "id": format!("{policy_id}_{template}"),
                "policyId": policy_id,
                "scopeId": "/",
                "scopeType": "DirectoryRole",
                "roleDefinitionId": template
            }));

            // Rules that came from PIM for Groups groups assigned (eligible) to this role.
            let mut groups: Vec<&str> = Vec::new();
            for x in &rules {
                if text(x, "RuleSourceType") == "PIM Group"
                    && !groups.contains(&text(x, "RuleSource"))
                {
                    groups.push(text(x, "RuleSource"));
                }
            }
            for group in groups {
                let gid = guid(&format!("pimGroup:{tenant_id}:{group}"));
                if !self.objects.contains_key(&gid) {
                    let group_rules: Vec<Value> = rules
                        .iter()
                        .filter(|x| {
                            text(x, "RuleSourceType") == "PIM Group"
                                && text(x, "RuleSource") == group
                        })
                        .map(|x| strip_source(x))
                        .collect();
                    self.objects.insert(
                        gid.clone(),
                        json!({
                            "@odata.type": "#microsoft.graph.group",
                            "id": gid,
                            "displayName": group,
                            "securityEnabled": true,
                            "mailEnabled": false
                        }),
                    );
                    self.group_members.insert(gid.clone(), Vec::new());
                    self.pim_groups
                        .push(json!({ "id": gid, "displayName": group }));
                    let pid = format!("Group_{gid}_{}", guid(&format!("groupPolicy:{gid}")));
                    self.policies.insert(
                        pid.clone(),
                        json!({
                            "id": pid,
                            "displayName": "Group",
                            "description": "Group",
                            "isOrganizationDefault": false,
                            "scopeId": gid,
                            "scopeType": "Group",
                            "lastModifiedDateTime": null,
                            "lastModifiedBy": null,
                            "rules": group_rules
                        }),
                    );
                    self.policy_assignments.push(json!({
                        "id": format!("{pid}_member"),
                        "policyId": pid,
                        "scopeId": gid,
                        "scopeType": "Group",
                        "roleDefinitionId": "member"
                    }));
                }
                self.eligibility_instances.push(json!({
                    "id": guid(&format!("eligibility:{gid}:{template}")),
                    "principalId": gid,
                    "roleDefinitionId": template,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "startDateTime": null,
                    "endDateTime": null,
                    "memberType": "Direct",
                    "roleEligibilityScheduleId": guid(&format!("eligibilitySchedule:{gid}:{template}"))
                }));
            }
        }
    }

    /// Resource service principals and their delegated permission classifications, from
    /// `risky_delegated_permission_classifications`.
    fn risky_delegated(&mut self, export: &Value) {
        for entry in items(export.get("risky_delegated_permission_classifications")) {
            let sp_id = text(entry, "ObjectId").to_string();
            let app_id = text(entry, "AppId").to_string();
            if sp_id.is_empty() {
                continue;
            }
            let sp = json!({
                "@odata.type": "#microsoft.graph.servicePrincipal",
                "id": sp_id,
                "appId": app_id,
                "displayName": entry.get("DisplayName").cloned().unwrap_or(Value::Null)
            });
            self.objects
                .entry(sp_id.clone())
                .or_insert_with(|| sp.clone());
            if !self
                .service_principals
                .iter()
                .any(|s| text(s, "id") == sp_id)
            {
                self.service_principals.push(sp);
            }
            let list: Vec<Value> = items(entry.get("RiskyPermClassifications"))
                .iter()
                .filter_map(|n| n.as_str())
                .map(|name| {
                    let permission_id = aether365_collector::entra::risky_table::RISKY_DELEGATED
                        .iter()
                        .find(|(app, _, n)| *app == app_id && *n == name)
                        .map(|(_, id, _)| (*id).to_string())
                        .unwrap_or_else(|| guid(&format!("scope:{app_id}:{name}")));
                    json!({
                        "id": guid(&format!("classification:{sp_id}:{name}")),
                        "permissionId": permission_id,
                        "permissionName": name,
                        "classification": "low"
                    })
                })
                .collect();
            self.classifications.insert(sp_id, list);
        }
    }
}

/// An object without its `@odata.type` (Graph names the type only where it can vary).
fn untyped(o: &Value) -> Value {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("@odata.type");
    }
    o
}

/// Every object of an export section (a list or a single object), converted to Graph's shape.
fn convert_all(v: Option<&Value>) -> Vec<Value> {
    items(v).into_iter().map(to_graph).collect()
}

fn find(list: &[Value], id: &str) -> Option<Value> {
    list.iter().find(|x| text(x, "id") == id).cloned()
}

/// A rule without the annotations ScubaGear adds (`RuleSource`, `RuleSourceType`), in Graph's shape.
fn strip_source(rule: &Value) -> Value {
    let mut r = rule.clone();
    if let Some(o) = r.as_object_mut() {
        o.remove("RuleSource");
        o.remove("RuleSourceType");
    }
    to_graph(&r)
}

/// `privileged_users`-style sections: an object keyed by id, or a list of objects with `Id`.
fn keyed(v: Option<&Value>) -> Vec<(String, &Value)> {
    match v {
        Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                let id = match text(x, "Id") {
                    "" => text(x, "id"),
                    id => id,
                };
                (id.to_string(), x)
            })
            .filter(|(id, _)| !id.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// One order of names consistent with each list's relative order where possible (a
/// topological sort of "comes before" pairs, ties by first appearance).
fn order_consistently(lists: &[Vec<String>]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut before: BTreeSet<(usize, usize)> = BTreeSet::new();
    let index = |seen: &mut Vec<String>, n: &str| -> usize {
        if let Some(i) = seen.iter().position(|x| x == n) {
            i
        } else {
            seen.push(n.to_string());
            seen.len() - 1
        }
    };
    for list in lists {
        let mut prev: Option<usize> = None;
        let mut done: Vec<usize> = Vec::new();
        for n in list {
            let i = index(&mut seen, n);
            if done.contains(&i) {
                continue;
            }
            if let Some(p) = prev {
                before.insert((p, i));
            }
            done.push(i);
            prev = Some(i);
        }
    }
    let mut out = Vec::new();
    let mut placed = vec![false; seen.len()];
    while out.len() < seen.len() {
        // The first unplaced name with no unplaced predecessor (or, on a cycle, the first unplaced).
        let next = (0..seen.len())
            .find(|&i| !placed[i] && !before.iter().any(|&(a, b)| b == i && !placed[a] && a != i))
            .or_else(|| (0..seen.len()).find(|&i| !placed[i]));
        let Some(i) = next else { break };
        placed[i] = true;
        out.push(seen[i].clone());
    }
    out
}

/// The organisation: `tenant_details`' Graph object, or one made from the tenant id and domains.
fn organization(export: &Value, tenant_id: &str, domains: &[Value]) -> Vec<Value> {
    let details = items(export.get("tenant_details"));
    let from_export: Vec<Value> = details
        .first()
        .map(|d| convert_all(d.get("AADAdditionalData")))
        .unwrap_or_default()
        .into_iter()
        .filter(Value::is_object)
        .collect();
    if !from_export.is_empty() {
        return from_export;
    }
    let name = details
        .first()
        .map(|d| text(d, "DisplayName").to_string())
        .unwrap_or_default();
    let verified: Vec<Value> = domains
        .iter()
        .filter(|d| d.get("isVerified").and_then(Value::as_bool) == Some(true))
        .map(|d| {
            json!({
                "name": text(d, "id"),
                "type": text(d, "authenticationType"),
                "isDefault": d.get("isDefault").cloned().unwrap_or(json!(false)),
                "isInitial": d.get("isInitial").cloned().unwrap_or(json!(false)),
                "capabilities": "Email, OfficeCommunicationsOnline"
            })
        })
        .collect();
    vec![json!({
        "id": tenant_id,
        "displayName": name,
        "verifiedDomains": verified,
        "assignedPlans": [],
        "provisionedPlans": []
    })]
}

/// The authentication methods policy with its method configurations inline, as Graph returns it.
fn authentication_methods(export: &Value) -> Option<Value> {
    let entry = *items(export.get("authentication_method")).first()?;
    let mut policy = to_graph(entry.get("authentication_method_policy")?);
    let configs = convert_all(entry.get("authentication_method_feature_settings"));
    if let Some(o) = policy.as_object_mut() {
        o.insert(
            "authenticationMethodConfigurations".into(),
            Value::Array(configs),
        );
    }
    Some(policy)
}

/// Subscribed SKUs from `license_information`; the export keeps only the provisioned service
/// plans, without saying which SKU each belongs to, so they all go to the first SKU.
fn skus(export: &Value, tenant_id: &str) -> Vec<Value> {
    let plans = convert_all(export.get("service_plans"));
    let mut out: Vec<Value> = items(export.get("license_information"))
        .into_iter()
        .map(|l| {
            let mut sku = to_graph(l);
            let sku_id = text(&sku, "skuId").to_string();
            if let Some(o) = sku.as_object_mut() {
                o.insert("id".into(), json!(format!("{tenant_id}_{sku_id}")));
                o.insert("appliesTo".into(), json!("User"));
                o.insert("capabilityStatus".into(), json!("Enabled"));
                o.insert("servicePlans".into(), json!([]));
            }
            sku
        })
        .collect();
    if out.is_empty() && !plans.is_empty() {
        out.push(json!({
            "id": format!("{tenant_id}_00000000-0000-0000-0000-000000000000"),
            "skuId": "00000000-0000-0000-0000-000000000000",
            "skuPartNumber": "UNKNOWN",
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": 0,
            "prepaidUnits": {"enabled": 0, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": []
        }));
    }
    if let Some(first) = out.first_mut().and_then(Value::as_object_mut) {
        first.insert("servicePlans".into(), Value::Array(plans));
    }
    out
}

/// The literal compared with `prop` in an OData `$filter` (`prop eq 'value'`), unquoted.
fn filter_value(filter: &str, prop: &str) -> Option<String> {
    filter
        .split(" and ")
        .flat_map(|c| c.split(" or "))
        .find_map(|cond| {
            let mut parts = cond.trim().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(p), Some("eq"), Some(lit)) if p == prop => {
                    Some(lit.trim().trim_matches('\'').to_string())
                }
                _ => None,
            }
        })
}

/// The OData options the stand-in honours: `$filter` (`prop eq 'x'` joined by `and`/`or`),
/// `$select` and `$expand`.
struct Query {
    params: Vec<(String, String)>,
}

impl Query {
    fn parse(query: &str) -> Query {
        Query {
            params: url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A role management policy, with its rules only when `$expand` asks for them.
    fn policy(&self, p: &Value) -> Value {
        let mut p = p.clone();
        if !self.get("$expand").is_some_and(|e| e.contains("rules"))
            && let Some(o) = p.as_object_mut()
        {
            o.remove("rules");
        }
        p
    }

    /// Whether `v` passes `$filter` (no filter passes everything).
    fn matches(&self, v: &Value) -> bool {
        let Some(filter) = self.get("$filter") else {
            return true;
        };
        filter.split(" or ").any(|alt| {
            alt.split(" and ").all(|cond| {
                let mut parts = cond.trim().splitn(3, ' ');
                let (Some(prop), Some("eq"), Some(lit)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return true;
                };
                let lit = lit.trim().trim_matches('\'');
                match v.get(prop) {
                    Some(Value::String(s)) => s.eq_ignore_ascii_case(lit),
                    Some(other) => serde_json::from_str::<Value>(lit).ok().as_ref() == Some(other),
                    None => false,
                }
            })
        })
    }

    /// Applies `$select` (keeping `@odata.*` annotations).
    fn select(&self, served: Served) -> Served {
        let Some(select) = self.get("$select") else {
            return served;
        };
        let keep: Vec<&str> = select.split(',').map(str::trim).collect();
        let pick = |v: Value| match v {
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .filter(|(k, _)| k.starts_with('@') || keep.contains(&k.as_str()))
                    .collect(),
            ),
            other => other,
        };
        match served {
            Served::Collection(list) => Served::Collection(list.into_iter().map(pick).collect()),
            Served::Object(o) => Served::Object(pick(o)),
        }
    }
}
