//! The risky-permission sections. Only `risky_delegated_permission_classifications` is
//! collected: delegated permissions that ScubaGear considers risky but that the tenant has
//! classified as "low" (which lets users consent to them under the low-risk consent policy).

use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{Value, json};

use super::GraphReader;
use super::risky_table::{RESOURCES, RISKY_DELEGATED};
use crate::ReadError;

/// A resource service principal, as selected.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSp {
    id: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    display_name: Option<String>,
}

/// Graph's `delegatedPermissionClassification`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Classification {
    #[serde(default)]
    permission_id: String,
    #[serde(default)]
    permission_name: String,
    #[serde(default)]
    classification: String,
}

/// Get-ServicePrincipalsWithRiskyDelegatedPermissionClassifications.
pub async fn delegated_classifications(reader: &impl GraphReader) -> Result<Vec<Value>, ReadError> {
    let filter = RESOURCES
        .iter()
        .map(|(app, _)| format!("appId%20eq%20'{app}'"))
        .collect::<Vec<_>>()
        .join("%20or%20");
    let sps: Vec<ResourceSp> = reader
        .list(&format!(
            "/v1.0/servicePrincipals?$filter={filter}&$select=id,appId,displayName"
        ))
        .await?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    // One service principal per resource, in the resource list's order.
    let resources: Vec<&ResourceSp> = RESOURCES
        .iter()
        .filter_map(|(app, _)| sps.iter().find(|s| s.app_id == *app))
        .collect();
    let answers = join_all(resources.iter().map(|sp| async move {
        reader
            .list(&format!(
                "/beta/servicePrincipals/{}/delegatedPermissionClassifications?$select=id,permissionId,permissionName,classification",
                sp.id
            ))
            .await
    }))
    .await;
    let mut out = Vec::new();
    for (sp, answer) in resources.into_iter().zip(answers) {
        // ScubaGear skips a resource whose classifications cannot be read.
        let Ok(list) = answer else { continue };
        let risky: Vec<String> = list
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Classification>(v).ok())
            .filter(|c| {
                c.classification == "low"
                    && RISKY_DELEGATED
                        .iter()
                        .any(|(app, id, _)| *app == sp.app_id && *id == c.permission_id)
            })
            .map(|c| c.permission_name)
            .collect();
        if risky.is_empty() {
            continue;
        }
        // PowerShell unrolls a one-element list into its element.
        let names = if risky.len() == 1 {
            json!(risky[0])
        } else {
            json!(risky)
        };
        out.push(json!({
            "ObjectId": sp.id,
            "AppId": sp.app_id,
            "DisplayName": sp.display_name,
            "RiskyPermClassifications": names
        }));
    }
    Ok(out)
}
