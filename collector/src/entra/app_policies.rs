//! The custom app management policies (`GET /v1.0/policies/appManagementPolicies`), each with
//! the applications and service principals it is assigned to (`GET
//! /v1.0/policies/appManagementPolicies/{id}/appliesTo`), for ScubaGear main branch's
//! MS.AAD.5.5v1 to 5.7v1: a custom policy assigned to an application replaces the tenant's
//! default policy for it, so one that switches a restriction off exempts its applications.
//!
//! Graph lists the policies without their assignments; each is kept as Graph answered it, with
//! the objects it applies to (`id`, `appId`, `displayName`) under `appliesTo`. Listing the
//! assignments needs Application.Read.All beside Policy.Read.All.

use serde_json::Value;

use super::GraphReader;
use crate::ReadError;

/// The collection of custom app management policies.
pub(crate) const PATH: &str = "/v1.0/policies/appManagementPolicies";

/// The key the engine reads the assignments under.
const APPLIES_TO: &str = "appliesTo";

/// A policy id as Graph writes it (a GUID): anything else is refused rather than put in a path.
fn safe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Every custom policy with its `appliesTo`; any failed read fails the whole (a policy whose
/// assignments are unknown could exempt any application).
pub(crate) async fn read(reader: &impl GraphReader) -> Result<Vec<Value>, ReadError> {
    let malformed = |detail: String| ReadError::Malformed {
        what: PATH.to_string(),
        detail,
    };
    let mut policies = reader.list(PATH).await?;
    for p in &mut policies {
        let Some(obj) = p.as_object_mut() else {
            return Err(malformed("a policy that is not an object".into()));
        };
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| safe_id(id))
            .ok_or_else(|| malformed("a policy without a GUID `id`".into()))?
            .to_string();
        let applies = reader
            .list(&format!(
                "/v1.0/policies/appManagementPolicies/{id}/appliesTo?$select=id,appId,displayName"
            ))
            .await?;
        obj.insert(APPLIES_TO.into(), Value::Array(applies));
    }
    Ok(policies)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    /// Answers lists from a map of paths; any other path fails.
    struct Fake(HashMap<String, Vec<Value>>);

    impl GraphReader for Fake {
        async fn list(&self, path: &str) -> Result<Vec<Value>, ReadError> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| ReadError::Malformed {
                    what: path.to_string(),
                    detail: "not served".into(),
                })
        }
        async fn get(&self, path: &str) -> Result<Value, ReadError> {
            Err(ReadError::Malformed {
                what: path.to_string(),
                detail: "not served".into(),
            })
        }
    }

    fn applies_path(id: &str) -> String {
        format!("{PATH}/{id}/appliesTo?$select=id,appId,displayName")
    }

    #[tokio::test]
    async fn each_policy_carries_the_objects_it_applies_to() {
        let id = "a7c2e4f1-3b5d-4e8a-9c61-2f0d7b9e4a13";
        let app = json!({"id": "3f9a", "appId": "d4e2", "displayName": "Build pipeline"});
        let fake = Fake(HashMap::from([
            (
                PATH.to_string(),
                vec![json!({"id": id, "isEnabled": true, "restrictions": {}})],
            ),
            (applies_path(id), vec![app.clone()]),
        ]));
        let got = read(&fake).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["appliesTo"], json!([app]));
        assert_eq!(got[0]["isEnabled"], true);
    }

    #[tokio::test]
    async fn a_failed_or_odd_read_fails_the_whole() {
        let id = "a7c2e4f1-3b5d-4e8a-9c61-2f0d7b9e4a13";
        // The assignments cannot be read.
        let fake = Fake(HashMap::from([(PATH.to_string(), vec![json!({"id": id})])]));
        assert!(read(&fake).await.is_err());
        // An id that is not a GUID never reaches a path.
        for bad in [json!({"id": "../x"}), json!({}), json!("policy")] {
            let fake = Fake(HashMap::from([(PATH.to_string(), vec![bad.clone()])]));
            assert!(read(&fake).await.is_err(), "{bad}");
        }
        // No custom policy: an empty list, read successfully.
        let fake = Fake(HashMap::from([(PATH.to_string(), vec![])]));
        assert_eq!(read(&fake).await.unwrap(), Vec::<Value>::new());
    }
}
