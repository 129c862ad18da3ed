//! Power Platform DLP connector groups, end to end: a live scan of the stand-in (serving the
//! admin API's `apiPolicies` in each documented shape) fails the default environment's
//! connector check when a policy leaves a non-Microsoft 365 connector allowed, and passes a
//! compliant one; the import of the same export agrees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::common::{databases, spawn_app_with};
use crate::live_collection::{consistent_export, live_app_options, scan_live, verdicts_of};
use m365_standin::DlpShape;

const CONNECTORS: &str = "A365-PPL-08";
const COVERAGE: &str = "A365-PPL-03";

fn connector(short: &str) -> Value {
    json!({"id": format!("/providers/Microsoft.PowerApps/apis/{short}"), "name": short, "type": "Microsoft.PowerApps/apis"})
}

/// The consistent export with one DLP policy on the default environment, its groups as given.
fn export_with_policy(business: &[&str], blocked: &[&str], default_group: &str) -> Value {
    let mut export = consistent_export();
    let tenant = export["tenant_id"].as_str().unwrap().to_string();
    let default_env = format!("Default-{tenant}");
    export["dlp_policies"] = json!([{"value": [{
        "name": "7d1d2a39-3c0e-4f5b-9d8c-2a4a6f0b8e11",
        "displayName": "Default environment policy",
        "environmentType": "OnlyEnvironments",
        "environments": [{"name": default_env, "id": format!("/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{default_env}"), "type": "Microsoft.BusinessAppPlatform/scopes/environments"}],
        "connectorGroups": [
            {"classification": "Confidential", "connectors": business.iter().map(|c| connector(c)).collect::<Vec<_>>()},
            {"classification": "General", "connectors": []},
            {"classification": "Blocked", "connectors": blocked.iter().map(|c| connector(c)).collect::<Vec<_>>()},
        ],
        "defaultConnectorsClassification": default_group,
    }]}]);
    export
}

#[actix_web::test]
async fn a_live_scan_fails_a_dlp_policy_that_allows_a_third_party_connector() {
    let leaky = export_with_policy(
        &["shared_sharepointonline", "shared_twitter"],
        &["shared_dropbox"],
        "Blocked",
    );
    let compliant = export_with_policy(
        &["shared_sharepointonline", "shared_office365"],
        &["shared_twitter", "shared_dropbox"],
        "Blocked",
    );
    // Every listed connector is Microsoft 365's, but new or unlisted ones join an allowed group.
    let open_default = export_with_policy(
        &["shared_sharepointonline", "shared_office365"],
        &["shared_twitter"],
        "General",
    );
    let cases = [
        (&leaky, "fail"),
        (&compliant, "pass"),
        (&open_default, "fail"),
    ];
    // The import of each export decides the same.
    for (export, want) in &cases {
        assert_eq!(
            verdicts_of((*export).clone())[CONNECTORS].as_str(),
            *want,
            "import"
        );
    }
    for testdb in databases().await {
        let app = spawn_app_with(testdb, live_app_options()).await;
        for shape in [DlpShape::ApiGroups, DlpShape::ConnectorGroups] {
            app.standin.set_dlp_shape(shape);
            for (export, want) in &cases {
                app.standin.set_export((*export).clone());
                let (_, findings) = scan_live(&app).await;
                let f = &findings[CONNECTORS];
                assert_eq!(f.status, *want, "{shape:?}: {}", f.message);
                assert_eq!(findings[COVERAGE].status, "pass", "{shape:?}");
            }
            let (_, findings) = {
                app.standin.set_export(leaky.clone());
                scan_live(&app).await
            };
            let f = &findings[CONNECTORS];
            assert!(
                f.message.contains("beyond Microsoft 365's: 1"),
                "{shape:?}: {}",
                f.message
            );
        }
    }
}
