//! [`GraphReader`] over the collector's transport: GET only, with the Graph token, paging,
//! and a 403 naming the permission from [`entra::GRAPH_PROBES`].

use serde_json::Value;

use crate::ReadError;
use crate::endpoints::scope_of;
use crate::entra::{self, GraphReader};
use crate::request::ReadRequest;
use crate::transport::{Pages, Session};

/// Reads Microsoft Graph for one tenant.
pub(crate) struct GraphClient<'a> {
    pub(crate) session: &'a Session,
    pub(crate) base: String,
}

impl<'a> GraphClient<'a> {
    pub(crate) fn new(session: &'a Session, graph_base: &str) -> GraphClient<'a> {
        GraphClient {
            session,
            base: graph_base.trim_end_matches('/').to_string(),
        }
    }

    fn request(&self, path_and_query: &str) -> Result<ReadRequest, ReadError> {
        let sep = if path_and_query.starts_with('/') {
            ""
        } else {
            "/"
        };
        let mut req = ReadRequest::get(&format!("{}{sep}{path_and_query}", self.base))?;
        if path_and_query.contains("$count") || path_and_query.contains("$search") {
            // Graph's advanced queries need this header.
            req = req.header("ConsistencyLevel", "eventual");
        }
        if let Some(p) = permission_for(path_and_query) {
            req = req.permission(p);
        }
        Ok(req)
    }

    fn scope(&self) -> String {
        scope_of(&self.base)
    }

    /// A collection read page by page (memory holds one page).
    pub(crate) fn pages(&self, path_and_query: &str) -> Result<Pages<'a>, ReadError> {
        let req = self.request(path_and_query)?;
        Ok(self.session.pages(req, Some(&self.scope())))
    }
}

/// The least-privilege permission for a Graph path, from the longest matching probe path.
/// Where a probe's `$filter` names a `scopeType`, the request's must name the same one: role
/// management policies need `RoleManagementPolicy.Read.AzureADGroup` for PIM for Groups
/// (`scopeType eq 'Group'`) and `RoleManagementPolicy.Read.Directory` for directory roles.
pub(crate) fn permission_for(path_and_query: &str) -> Option<&'static str> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let scope = scope_type(query);
    entra::GRAPH_PROBES
        .iter()
        .filter(|(probe, _, _)| {
            let (probe_path, probe_query) = probe.split_once('?').unwrap_or((probe, ""));
            (path == probe_path || path.starts_with(&format!("{probe_path}/")))
                && scope_type(probe_query).is_none_or(|s| Some(s) == scope)
        })
        .max_by_key(|(probe, _, _)| probe.len())
        .map(|(_, permission, _)| *permission)
}

/// The `scopeType` a `$filter` asks for (`scopeType eq 'Group'`, percent-encoded or not).
fn scope_type(query: &str) -> Option<&str> {
    let rest = query
        .split_once("scopeType%20eq%20'")
        .or_else(|| query.split_once("scopeType eq '"))?
        .1;
    rest.split('\'').next()
}

impl GraphReader for GraphClient<'_> {
    async fn list(&self, path_and_query: &str) -> Result<Vec<Value>, ReadError> {
        let req = self.request(path_and_query)?;
        self.session.list(req, Some(&self.scope())).await
    }

    async fn get(&self, path_and_query: &str) -> Result<Value, ReadError> {
        let req = self.request(path_and_query)?;
        self.session.execute(&req, Some(&self.scope())).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn permissions_come_from_the_probe_table() {
        assert_eq!(
            permission_for("/beta/identity/conditionalAccess/policies?$top=999"),
            Some("Policy.Read.All")
        );
        assert_eq!(permission_for("/nothing/here"), None);
    }

    #[test]
    fn role_management_policies_need_the_permission_of_their_scope() {
        assert_eq!(
            permission_for(
                "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'%2F'%20and%20scopeType%20eq%20'DirectoryRole'&$expand=policy($expand=rules)"
            ),
            Some("RoleManagementPolicy.Read.Directory")
        );
        assert_eq!(
            permission_for(
                "/beta/policies/roleManagementPolicyAssignments?$filter=scopeId%20eq%20'1f0c'%20and%20scopeType%20eq%20'Group'%20and%20roleDefinitionId%20eq%20'member'&$expand=policy($expand=rules)"
            ),
            Some("RoleManagementPolicy.Read.AzureADGroup")
        );
    }
}
