//! The data model and the directory on every test database (SQLite, and PostgreSQL when configured).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aether365_actors::directory::{self, DirectoryError, NewTenant};
use aether365_actors::scans::SnapshotSource;
use aether365_actors::{db, testkit};
use aether365_engine::Snapshot;

fn sample() -> Snapshot {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    Snapshot::from_bytes(&bytes).unwrap()
}

#[tokio::test]
async fn migrations_are_idempotent_and_directory_round_trips() {
    for t in testkit::databases().await {
        // Running the migrations again changes nothing.
        db::migrate(&t.db).await.unwrap();

        let org = directory::create_organisation(&t.db, "Fabrikam")
            .await
            .unwrap();
        assert!(matches!(
            directory::create_organisation(&t.db, "Fabrikam").await,
            Err(DirectoryError::OrganisationExists(_))
        ));
        assert_eq!(
            directory::find_organisation(&t.db, "Fabrikam")
                .await
                .unwrap()
                .id,
            org.id
        );
        assert_eq!(
            directory::find_organisation(&t.db, &org.id.to_string())
                .await
                .unwrap()
                .id,
            org.id
        );
        assert!(matches!(
            directory::find_organisation(&t.db, "Nobody").await,
            Err(DirectoryError::OrganisationNotFound(_))
        ));

        let user = directory::create_user(
            &t.db,
            org.id,
            "Sec@Fabrikam.example",
            "a long enough password",
            "admin",
        )
        .await
        .unwrap();
        assert_eq!(user.email, "sec@fabrikam.example");
        assert!(user.password_hash.starts_with("$argon2id$"));
        assert!(matches!(
            directory::create_user(
                &t.db,
                org.id,
                "sec@fabrikam.example",
                "a long enough password",
                "admin"
            )
            .await,
            Err(DirectoryError::UserExists(_))
        ));
        assert!(matches!(
            directory::create_user(&t.db, org.id, "x@y.z", "short", "admin").await,
            Err(DirectoryError::Invalid(_))
        ));

        let tenant = directory::add_tenant(
            &t.db,
            org.id,
            NewTenant {
                display_name: "Fabrikam Prod".into(),
                microsoft_tenant_id: None,
                domains: vec!["Fabrikam.com".into(), "fabrikam.onmicrosoft.com".into()],
            },
        )
        .await
        .unwrap();
        assert_eq!(tenant.primary_domain, "fabrikam.com");
        assert_eq!(tenant.microsoft_tenant_id.len(), 36);
        assert!(matches!(
            directory::add_tenant(
                &t.db,
                org.id,
                NewTenant {
                    display_name: "Fabrikam Prod".into(),
                    microsoft_tenant_id: None,
                    domains: vec!["x.com".into()]
                }
            )
            .await,
            Err(DirectoryError::TenantExists(_))
        ));
        assert!(matches!(
            directory::add_tenant(
                &t.db,
                org.id,
                NewTenant {
                    display_name: "Bad".into(),
                    microsoft_tenant_id: None,
                    domains: vec!["not a domain".into()]
                }
            )
            .await,
            Err(DirectoryError::Invalid(_))
        ));
        for reference in [
            "Fabrikam Prod",
            "fabrikam prod",
            "fabrikam.com",
            &tenant.id.to_string(),
        ] {
            assert_eq!(
                directory::find_tenant(&t.db, Some(org.id), reference)
                    .await
                    .unwrap()
                    .id,
                tenant.id
            );
        }
        let other = directory::create_organisation(&t.db, "Other")
            .await
            .unwrap();
        assert!(matches!(
            directory::find_tenant(&t.db, Some(other.id), "Fabrikam Prod").await,
            Err(DirectoryError::TenantNotFound(_))
        ));

        assert!(
            directory::latest_snapshot(&t.db, tenant.id)
                .await
                .unwrap()
                .is_none()
        );
        let snapshot = sample();
        let first = directory::import_snapshot(
            &t.db,
            &tenant,
            &snapshot,
            SnapshotSource::Import,
            Some(chrono::Utc::now() - chrono::Duration::days(1)),
        )
        .await
        .unwrap();
        let second = directory::import_snapshot(
            &t.db,
            &tenant,
            &snapshot,
            SnapshotSource::Collector,
            Some(chrono::Utc::now()),
        )
        .await
        .unwrap();
        let latest = directory::latest_snapshot(&t.db, tenant.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, second.id);
        assert_ne!(first.id, second.id);
        assert_eq!(
            latest.data,
            *snapshot.value(),
            "the JSON survives the round trip"
        );
        // Without a time, an import is dated by the export's own `timestamp_zulu`.
        let dated =
            directory::import_snapshot(&t.db, &tenant, &snapshot, SnapshotSource::Import, None)
                .await
                .unwrap();
        assert_eq!(dated.source, "import");
        assert_eq!(
            dated.collected_at.to_rfc3339(),
            "2026-05-04T17:15:48.307+00:00"
        );
    }
}
