//! Helpers shared by several test modules: the bundled ScubaGear export, an organisation with a
//! tenant, a scan request, and waiting for a scan to finish.

use std::time::{Duration, Instant};

use aether365_actors::TenantScope;
use aether365_actors::directory::{self, NewTenant};
use aether365_actors::scans::{ScanKind, ScanOrigin, ScanRequest, ScanStatus, SnapshotSource};
use aether365_engine::Snapshot;
use aether365_entities::{scan, tenant};
use sea_orm::{DatabaseConnection, EntityTrait};

/// The bundled ScubaGear export (fixtures/scubagear) as a snapshot.
pub fn fixture_snapshot() -> Snapshot {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scubagear/ProviderSettingsExport.json"
    );
    Snapshot::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

/// The organisation named `org` (created unless it exists) with a new tenant named `tenant`
/// (domain `<tenant>.example`), holding the bundled export when `snapshot` is true.
pub async fn org_with_tenant(
    db: &DatabaseConnection,
    org: &str,
    tenant: &str,
    snapshot: bool,
) -> (i64, tenant::Model) {
    let org = match directory::create_organisation(db, org).await {
        Ok(o) => o,
        Err(_) => directory::find_organisation(db, org).await.unwrap(),
    };
    let t = directory::add_tenant(
        db,
        org.id,
        NewTenant {
            display_name: tenant.into(),
            microsoft_tenant_id: None,
            domains: vec![format!("{}.example", tenant.to_lowercase())],
        },
    )
    .await
    .unwrap();
    if snapshot {
        directory::import_snapshot(db, &t, &fixture_snapshot(), SnapshotSource::Import, None)
            .await
            .unwrap();
    }
    (org.id, t)
}

/// Waits for the scan's row to reach a final status (polls the database: the event is a row),
/// failing after `within`.
pub async fn wait_final(db: &DatabaseConnection, scan_id: i64, within: Duration) -> scan::Model {
    let deadline = Instant::now() + within;
    loop {
        let row = scan::Entity::find_by_id(scan_id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        if row.status.parse::<ScanStatus>().unwrap().is_final() {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "scan {scan_id} still {}",
            row.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A compliance scan of one tenant, from `origin`, without AI Pilot.
pub fn request(org: i64, tenant_id: i64, origin: ScanOrigin) -> ScanRequest {
    ScanRequest {
        organisation_id: org,
        tenant_id,
        tenant_scope: TenantScope::All,
        kind: ScanKind::Compliance,
        origin,
        requested_by_user_id: None,
        requested_by_token_id: None,
        ai_pilot: false,
    }
}
