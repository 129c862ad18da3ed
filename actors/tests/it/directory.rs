//! The data model and the directory on every test database (SQLite, and PostgreSQL when configured).

use aether365_actors::directory::{self, DirectoryError, NewTenant};
use aether365_actors::scans::SnapshotSource;
use aether365_actors::{db, testkit};
use aether365_engine::Snapshot;

use crate::support::fixture_snapshot;

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
        let snapshot = fixture_snapshot();
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

fn consented(initial: &str, domains: &[&str]) -> directory::ConsentedTenant {
    directory::ConsentedTenant {
        microsoft_tenant_id: "3c19c757-3b55-411f-b03f-2bcc514a598d".into(),
        display_name: "Contoso".into(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        initial_domain: initial.into(),
        licences: vec![],
    }
}

/// Issue 20, item 7: the domains Graph reports at consent are refused, and nothing stored, when
/// one is not a host name; on the update of a connected tenant as on a new one.
#[tokio::test]
async fn connecting_refuses_domains_that_are_not_host_names() {
    use aether365_entities::tenant;
    use sea_orm::{EntityTrait, PaginatorTrait};
    for t in testkit::databases().await {
        let org = directory::create_organisation(&t.db, "Contoso")
            .await
            .unwrap();
        let at = chrono::Utc::now();
        let payload = "2130706433:18555#.onmicrosoft.com";
        // A new tenant: nothing is added.
        let err =
            directory::connect_tenant(&t.db, org.id, consented(payload, &["contoso.com"]), at)
                .await
                .unwrap_err();
        assert!(
            matches!(&err, DirectoryError::Invalid(m) if m.contains("not a DNS name") && m.contains(payload)),
            "{err:?}"
        );
        assert_eq!(tenant::Entity::find().count(&t.db).await.unwrap(), 0);

        // An honest consent, then a second one whose domains have turned hostile: refused, the
        // stored tenant unchanged.
        let honest = directory::connect_tenant(
            &t.db,
            org.id,
            consented(
                "Contoso.onmicrosoft.com",
                &["contoso.com", "contoso.onmicrosoft.com"],
            ),
            at,
        )
        .await
        .unwrap();
        assert_eq!(
            honest.initial_domain.as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        for (initial, domains) in [
            (payload, vec!["contoso.com"]),
            ("contoso.onmicrosoft.com", vec!["evil.example:8443"]),
            ("contoso.onmicrosoft.com", vec!["user@evil.example"]),
            ("contoso.onmicrosoft.com", vec!["127.0.0.1"]),
            ("contoso.evil.example", vec!["contoso.com"]),
        ] {
            let err = directory::connect_tenant(
                &t.db,
                org.id,
                consented(initial, &domains),
                chrono::Utc::now(),
            )
            .await
            .unwrap_err();
            assert!(matches!(err, DirectoryError::Invalid(_)), "{err:?}");
        }
        let stored = tenant::Entity::find_by_id(honest.id)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                stored.initial_domain,
                stored.primary_domain,
                stored.verified_domains
            ),
            (
                honest.initial_domain,
                honest.primary_domain,
                honest.verified_domains
            )
        );
    }
}

/// Issue 20, item 6: an export is stored as its text (no tree) and reads back as the same
/// document on every database.
#[tokio::test]
async fn a_checked_export_is_stored_as_its_text() {
    use aether365_entities::config_snapshot;
    use sea_orm::EntityTrait;
    for t in testkit::databases().await {
        let org = directory::create_organisation(&t.db, "Contoso")
            .await
            .unwrap();
        let tenant = directory::add_tenant(
            &t.db,
            org.id,
            NewTenant {
                display_name: "Contoso".into(),
                microsoft_tenant_id: None,
                domains: vec!["contoso.com".into()],
            },
        )
        .await
        .unwrap();
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/scubagear/ProviderSettingsExport.json"
        ))
        .unwrap();
        let checked = aether365_engine::check_export(bytes).unwrap();
        let expected: serde_json::Value = serde_json::from_str(checked.text()).unwrap();
        let stored = directory::store_export(&t.db, &tenant, checked, SnapshotSource::Import)
            .await
            .unwrap();
        let row = config_snapshot::Entity::find_by_id(stored.id)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.data, expected);
        assert_eq!(row.collected_at, stored.collected_at);
        assert_eq!(row.source, "import");
        assert_eq!(row.tenant_id, tenant.id);
        let summary = directory::latest_stored_snapshot(&t.db, tenant.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((summary.id, summary.source.as_str()), (stored.id, "import"));
        Snapshot::from_value(row.data).unwrap();
        if t.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            // The import wrote with a small page cache; every connection has its usual one back.
            let pool = t.db.get_sqlite_connection_pool();
            let mut held = Vec::new();
            for _ in 0..pool.size() {
                held.push(pool.acquire().await.unwrap());
            }
            for conn in &mut held {
                let size: i64 = sea_orm::sqlx::query_scalar("PRAGMA cache_size")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                assert_eq!(size, -16384);
            }
        }
    }
}
