//! [`GraphReader`] over the collector's transport: GET only, with the Graph token, paging,
//! and a 403 naming the permission from [`entra::GRAPH_PROBES`].

use serde_json::Value;

use crate::ReadError;
use crate::endpoints::scope_of;
use crate::entra::{self, GraphReader};
use crate::request::ReadRequest;
use crate::transport::Session;

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
}

/// The least-privilege permission for a Graph path, from the longest matching probe path.
pub(crate) fn permission_for(path_and_query: &str) -> Option<&'static str> {
    let path = path_and_query.split('?').next().unwrap_or(path_and_query);
    entra::GRAPH_PROBES
        .iter()
        .filter(|(probe, _, _)| {
            let probe_path = probe.split('?').next().unwrap_or(probe);
            path == probe_path || path.starts_with(&format!("{probe_path}/"))
        })
        .max_by_key(|(probe, _, _)| probe.len())
        .map(|(_, permission, _)| *permission)
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
}
