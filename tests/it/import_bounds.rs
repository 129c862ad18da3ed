//! Issue 20, item 6: an import is checked without building it, each section within its limit;
//! one over is refused with a problem naming the section and the limit, and nothing is stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{databases, spawn_app};
use crate::dashboard::{json_of, sign_in};
use aether365_entities::config_snapshot;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

fn fixture() -> Value {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).unwrap()
}

/// The fixture with `n` conditional access policies (copies of its first).
fn with_policies(n: usize) -> Vec<u8> {
    let mut export = fixture();
    let first = export["conditional_access_policies"][0].clone();
    export["conditional_access_policies"] = Value::Array(vec![first; n]);
    serde_json::to_vec(&export).unwrap()
}

#[actix_web::test]
async fn an_import_over_a_section_limit_is_refused_and_nothing_is_stored() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let db = &app.testdb.db;
        let stored = || {
            config_snapshot::Entity::find()
                .filter(config_snapshot::Column::TenantId.eq(app.tenant_id))
                .count(db)
        };
        let before = stored().await.unwrap();
        let upload = |body: Vec<u8>| {
            app.client
                .post(format!(
                    "{}/api/v1/tenants/{}/imports",
                    app.address, app.tenant_id
                ))
                .header("Cookie", &owner.cookie)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
        };

        // One policy over the limit: 413, the section and the limit named, nothing stored.
        let r = upload(with_policies(1_001)).await.unwrap();
        assert_eq!(r.status(), 413);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem = json_of(r).await;
        assert_eq!(problem["error"], "too_large", "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("conditional_access_policies") && detail.contains("1000"),
            "{detail}"
        );
        assert_eq!(stored().await.unwrap(), before);

        // The same inside a ScubaGear results file (`Raw`), and an export of a million tiny
        // sections: refused the same way.
        let results = format!(
            r#"{{"MetaData":{{}},"Raw":{}}}"#,
            String::from_utf8(with_policies(1_001)).unwrap()
        );
        assert_eq!(upload(results.into_bytes()).await.unwrap().status(), 413);
        let sections: Vec<String> = (0..1_001).map(|i| format!("\"s{i}\":0")).collect();
        let many = format!(r#"{{"tenant_id":"t",{}}}"#, sections.join(","));
        let r = upload(many.into_bytes()).await.unwrap();
        assert_eq!(r.status(), 413);
        assert!(
            json_of(r).await["detail"]
                .as_str()
                .unwrap()
                .contains("top-level sections")
        );
        assert_eq!(stored().await.unwrap(), before);

        // At the limit: stored as sent, and read back as the same document.
        let body = with_policies(1_000);
        let r = upload(body.clone()).await.unwrap();
        assert_eq!(r.status(), 201);
        let id = json_of(r).await["snapshot_id"].as_i64().unwrap();
        let row = config_snapshot::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let sent: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(row.data, sent);
        assert_eq!(stored().await.unwrap(), before + 1);
    }
}
