//! `privileged_users`, `privileged_service_principals` and `privileged_roles`: the principals
//! holding ScubaGear's privileged roles (active members, group members, PIM eligibility), and
//! each role's PIM assignments and role management policy rules.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::join;

use super::convert::{text, to_export};
use super::{GraphReader, items};
use crate::ReadError;

/// The roles ScubaGear treats as privileged (its default `privilegedRoles` setting).
pub const PRIVILEGED_ROLES: &[&str] = &[
    "Global Administrator",
    "Privileged Role Administrator",
    "User Administrator",
    "SharePoint Administrator",
    "Exchange Administrator",
    "Hybrid Identity Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
];

/// How deep PIM for Groups membership is followed (levels 0 and 1), as ScubaGear does.
const MAX_GROUP_DEPTH: u8 = 2;

/// Graph's `directoryRole` (an activated role).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryRole {
    id: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role_template_id: String,
}

/// A `directoryObject` as listed in members: its id and, when the answer carries it, its
/// `@odata.type`.
#[derive(Debug)]
struct Member {
    id: String,
    odata_type: Option<String>,
}

impl Member {
    /// The member's kind, or `None` when the answer does not say it (Microsoft's own example of
    /// `directoryRoles/{id}/members` lists a user without `@odata.type`): the object is then
    /// looked up by id.
    fn kind(&self) -> Option<Kind> {
        self.odata_type.as_deref().map(Kind::of)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    ServicePrincipal,
    Group,
    Other,
}

impl Kind {
    fn of(odata_type: &str) -> Kind {
        match odata_type.trim_start_matches("#microsoft.graph.") {
            "user" => Kind::User,
            "servicePrincipal" => Kind::ServicePrincipal,
            "group" => Kind::Group,
            _ => Kind::Other,
        }
    }
}

/// Privileged users and service principals, keyed by object id.
pub struct PrivilegedObjects {
    /// `privileged_users`.
    pub users: Map<String, Value>,
    /// `privileged_service_principals`.
    pub service_principals: Map<String, Value>,
}

/// Get-PrivilegedUser: active members of the privileged directory roles (through groups too)
/// and, with P2, principals eligible for them through PIM.
pub async fn privileged_objects(
    reader: &impl GraphReader,
    p2: bool,
) -> Result<PrivilegedObjects, ReadError> {
    let roles: Vec<DirectoryRole> = reader
        .list("/beta/directoryRoles")
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r).ok())
        .filter(|r: &DirectoryRole| PRIVILEGED_ROLES.contains(&r.display_name.as_str()))
        .collect();
    let members = join_all(roles.iter().map(|r| async move {
        members(reader, &format!("/beta/directoryRoles/{}/members", r.id)).await
    }))
    .await;
    let mut acc = Accumulator::default();
    for (role, members) in roles.iter().zip(members) {
        for m in members? {
            acc.load(reader, &role.display_name, &m.id, m.kind(), p2)
                .await?;
        }
    }
    if p2 {
        let eligible = reader
            .list("/beta/roleManagement/directory/roleEligibilityScheduleInstances")
            .await?;
        for role in &roles {
            for e in eligible
                .iter()
                .filter(|e| text(e, "roleDefinitionId") == role.role_template_id)
            {
                let principal = text(e, "principalId");
                if !principal.is_empty() {
                    acc.load(reader, &role.display_name, principal, None, p2)
                        .await?;
                }
            }
        }
    }
    Ok(PrivilegedObjects {
        users: acc.users,
        service_principals: acc.service_principals,
    })
}

/// The members of a role or group. A member without an `id` (Microsoft's example of
/// `directoryRoles/{id}/members` shows one, shortened for readability) is a malformed answer:
/// dropping it would report a role with fewer holders than it has.
async fn members(reader: &impl GraphReader, path: &str) -> Result<Vec<Member>, ReadError> {
    reader
        .list(path)
        .await?
        .into_iter()
        .map(|m| {
            let id = text(&m, "id");
            if id.is_empty() {
                return Err(ReadError::Malformed {
                    what: path.to_string(),
                    detail: format!(
                        "a member has no `id` (displayName {:?}), so it cannot be identified",
                        text(&m, "displayName")
                    ),
                });
            }
            let odata_type = Some(text(&m, "@odata.type"))
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            Ok(Member {
                id: id.to_string(),
                odata_type,
            })
        })
        .collect()
}

/// What kind of object `id` is, read from `directoryObjects/{id}`; `None` when it no longer
/// exists (a principal deleted since it was assigned is skipped, as ScubaGear does). An answer
/// without `@odata.type` cannot be followed: an error, never a skip.
async fn kind_of(reader: &impl GraphReader, id: &str) -> Result<Option<Kind>, ReadError> {
    let path = format!("/beta/directoryObjects/{id}");
    match reader.get(&path).await {
        Ok(o) if text(&o, "@odata.type").is_empty() => Err(ReadError::Malformed {
            what: path,
            detail: "the directory object has no `@odata.type`".into(),
        }),
        Ok(o) => Ok(Some(Kind::of(text(&o, "@odata.type")))),
        Err(e) if super::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Default)]
struct Accumulator {
    users: Map<String, Value>,
    service_principals: Map<String, Value>,
}

impl Accumulator {
    fn add_role(entry: &mut Value, role: &str) {
        if let Some(Value::Array(roles)) = entry.get_mut("roles")
            && !roles.iter().any(|r| r.as_str() == Some(role))
        {
            roles.push(json!(role));
        }
    }

    async fn user(
        &mut self,
        reader: &impl GraphReader,
        role: &str,
        id: &str,
    ) -> Result<(), ReadError> {
        if !self.users.contains_key(id) {
            let u = reader
                .get(&format!(
                    "/beta/users/{id}?$select=id,displayName,onPremisesImmutableId"
                ))
                .await?;
            self.users.insert(
                id.to_string(),
                json!({
                    "id": id,
                    "DisplayName": u.get("displayName").cloned().unwrap_or(Value::Null),
                    "OnPremisesImmutableId": u.get("onPremisesImmutableId").cloned().unwrap_or(Value::Null),
                    "roles": []
                }),
            );
        }
        if let Some(entry) = self.users.get_mut(id) {
            Self::add_role(entry, role);
        }
        Ok(())
    }

    async fn service_principal(
        &mut self,
        reader: &impl GraphReader,
        role: &str,
        id: &str,
    ) -> Result<(), ReadError> {
        if !self.service_principals.contains_key(id) {
            let sp = reader
                .get(&format!(
                    "/beta/servicePrincipals/{id}?$select=id,appId,displayName"
                ))
                .await?;
            self.service_principals.insert(
                id.to_string(),
                json!({
                    "DisplayName": sp.get("displayName").cloned().unwrap_or(Value::Null),
                    "ServicePrincipalId": sp.get("id").cloned().unwrap_or(Value::Null),
                    "AppId": sp.get("appId").cloned().unwrap_or(Value::Null),
                    "roles": []
                }),
            );
        }
        if let Some(entry) = self.service_principals.get_mut(id) {
            Self::add_role(entry, role);
        }
        Ok(())
    }

    /// Loads one principal (user, service principal, or a group's members, following PIM for
    /// Groups eligibility two levels deep) into the maps.
    async fn load(
        &mut self,
        reader: &impl GraphReader,
        role: &str,
        id: &str,
        kind: Option<Kind>,
        p2: bool,
    ) -> Result<(), ReadError> {
        let mut work: Vec<(String, Option<Kind>, u8)> = vec![(id.to_string(), kind, 0)];
        while let Some((id, kind, depth)) = work.pop() {
            if depth >= MAX_GROUP_DEPTH {
                continue;
            }
            let kind = match kind {
                Some(k) => k,
                None => match kind_of(reader, &id).await? {
                    Some(k) => k,
                    None => continue,
                },
            };
            match kind {
                Kind::User => self.user(reader, role, &id).await?,
                Kind::ServicePrincipal => self.service_principal(reader, role, &id).await?,
                Kind::Other => {}
                Kind::Group => {
                    for m in members(reader, &format!("/beta/groups/{id}/members")).await? {
                        let kind = match m.kind() {
                            Some(k) => k,
                            None => match kind_of(reader, &m.id).await? {
                                Some(k) => k,
                                None => continue,
                            },
                        };
                        match kind {
                            Kind::User => self.user(reader, role, &m.id).await?,
                            Kind::ServicePrincipal => {
                                self.service_principal(reader, role, &m.id).await?
                            }
                            _ => {}
                        }
                    }
                    if p2 {
                        let eligible = reader
                            .list(&format!(
                                "/beta/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId%20eq%20'{id}'"
                            ))
                            .await?;
                        // Processed in order: push in reverse onto the stack.
                        for e in eligible.iter().rev() {
                            let principal = text(e, "principalId");
                            if text(e, "accessId") == "member" && !principal.is_empty() {
                                work.push((principal.to_string(), None, depth + 1));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Get-PrivilegedRole: the privileged role templates and, with P2, each role's active
/// assignments (PIM assignment schedule instances) and its role management policy rules,
/// plus the rules of PIM for Groups groups assigned to the role.
pub async fn privileged_roles(
    reader: &impl GraphReader,
    p2: bool,
) -> Result<Vec<Value>, ReadError> {
    let templates = reader.list("/beta/directoryRoleTemplates").await?;
    let mut roles: Vec<Map<String, Value>> = templates
        .iter()
        .filter(|t| PRIVILEGED_ROLES.contains(&text(t, "displayName")))
        .map(|t| {
            let mut m = Map::new();
            m.insert("DisplayName".into(), json!(text(t, "displayName")));
            m.insert("RoleTemplateId".into(), json!(text(t, "id")));
            m
        })
        .collect();
    if !p2 {
        return Ok(roles.into_iter().map(Value::Object).collect());
    }
    let (active, eligible, policy_assignments) = join!(
        reader.list("/beta/roleManagement/directory/roleAssignmentScheduleInstances"),
        reader.list("/beta/roleManagement/directory/roleEligibilityScheduleInstances"),
        reader.list(
            "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'&$expand=policy($expand=rules)"
        ),
    );
    let active = active?;
    let eligible = eligible?;
    let policy_assignments = policy_assignments?;

    for role in &mut roles {
        let template = role
            .get("RoleTemplateId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = role
            .get("DisplayName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let assignments: Vec<Value> = active
            .iter()
            .filter(|a| text(a, "roleDefinitionId") == template)
            .cloned()
            .map(to_export)
            .collect();
        let rules: Vec<Value> = policy_assignments
            .iter()
            .find(|a| text(a, "roleDefinitionId") == template)
            .map(|a| {
                items(a.pointer("/policy/rules"))
                    .into_iter()
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let rules = annotate(rules, &name, "Directory Role");
        role.insert("Assignments".into(), Value::Array(assignments));
        role.insert("Rules".into(), Value::Array(rules));
    }

    // PIM for Groups: groups enrolled in PIM that hold a privileged role (active or eligible).
    let all: Vec<&Value> = active.iter().chain(eligible.iter()).collect();
    let principals: BTreeSet<&str> = all.iter().map(|a| text(a, "principalId")).collect();
    let pim_groups = reader
        .list("/beta/identityGovernance/privilegedAccess/group/resources")
        .await?;
    for group in pim_groups
        .iter()
        .filter(|g| principals.contains(text(g, "id")))
    {
        let gid = text(group, "id");
        let name = match reader
            .get(&format!("/beta/groups/{gid}?$select=displayName"))
            .await
        {
            Ok(g) => text(&g, "displayName").to_string(),
            // A group deleted since it was enrolled (a "phantom" PIM group) is skipped.
            Err(e) if super::is_not_found(&e) => continue,
            Err(_) => gid.to_string(),
        };
        // The group's member policy with its rules, in one read; a refusal (the application
        // lacks RoleManagementPolicy.Read.AzureADGroup) fails this command, and its error names
        // the permission.
        let path = format!(
            "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'{gid}'%20and%20scopeType%20eq%20'Group'%20and%20roleDefinitionId%20eq%20'member'&$expand=policy($expand=rules)"
        );
        let assignment = reader.list(&path).await?;
        // Every group enrolled in PIM has a member policy: none, or one without its rules, is
        // a failed read, never "no rules".
        let rules: Vec<Value> = match assignment.first().map(|a| a.pointer("/policy/rules")) {
            Some(Some(Value::Array(rules))) => rules.clone(),
            _ => {
                return Err(ReadError::Malformed {
                    what: path,
                    detail: "no member policy with its rules for this PIM for Groups group".into(),
                });
            }
        };
        let rules = annotate(rules, &name, "PIM Group");
        for a in all.iter().filter(|a| text(a, "principalId") == gid) {
            let template = text(a, "roleDefinitionId");
            if let Some(role) = roles
                .iter_mut()
                .find(|r| r.get("RoleTemplateId").and_then(Value::as_str) == Some(template))
                && let Some(Value::Array(existing)) = role.get_mut("Rules")
            {
                existing.extend(rules.iter().cloned());
            }
        }
    }
    Ok(roles.into_iter().map(Value::Object).collect())
}

/// Converts rules to the export's shape and records where each came from.
fn annotate(rules: Vec<Value>, source: &str, source_type: &str) -> Vec<Value> {
    rules
        .into_iter()
        .map(|r| {
            let mut r = to_export(r);
            if let Some(o) = r.as_object_mut() {
                o.insert("RuleSource".into(), json!(source));
                o.insert("RuleSourceType".into(), json!(source_type));
            }
            r
        })
        .collect()
}
