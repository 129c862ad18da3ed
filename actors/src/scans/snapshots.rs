//! Stored configuration snapshots as scans read them: the newest one's identity without its
//! data, and the parsed [`Snapshot`] of an id, kept for the next scan.
//!
//! A snapshot row never changes once written, so its parse is keyed by id alone. A ScubaGear
//! export is a few MB of JSON: re-reading and re-parsing it for every scan of a tenant that is
//! not connected (each scan evaluates its newest import) was most of such a scan's cost.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aether365_engine::Snapshot;
use aether365_entities::{config_snapshot, tenant};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::evaluator::Evaluator;
use super::input::SnapshotSource;
use super::types::ScanError;
use crate::single_flight::SingleFlight;

/// Parsed snapshots kept: the scans of a few tenants in a row find theirs. A parsed export
/// holds a few MB, so the bound is small.
const KEPT: usize = 4;

/// The newest snapshot of a tenant, without its data.
pub(super) struct SnapshotHead {
    pub id: i64,
    pub source: SnapshotSource,
    pub collected_at: DateTime<Utc>,
}

/// The tenant's newest configuration snapshot, without its data.
pub(super) async fn latest_head(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
) -> Result<Option<SnapshotHead>, ScanError> {
    use config_snapshot::Column;
    let head: Option<(i64, String, DateTime<Utc>)> = config_snapshot::Entity::find()
        .select_only()
        .columns([Column::Id, Column::Source, Column::CollectedAt])
        .filter(Column::TenantId.eq(tenant.id))
        .filter(Column::OrganisationId.eq(tenant.organisation_id))
        .order_by_desc(Column::CollectedAt)
        .order_by_desc(Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(head.map(|(id, source, collected_at)| SnapshotHead {
        id,
        source: SnapshotSource::parse(&source).unwrap_or(SnapshotSource::Import),
        collected_at,
    }))
}

/// Parsed snapshots by id, most recently used first.
type Kept = VecDeque<(i64, Arc<Snapshot>)>;

/// The last few snapshots parsed, newest use first; cloned cheaply (shared).
#[derive(Clone, Default)]
pub(crate) struct ParsedSnapshots {
    kept: Arc<Mutex<Kept>>,
    /// Snapshots being read and parsed: scans of one snapshot starting together parse it once.
    parsing: Arc<SingleFlight<i64, Arc<Snapshot>>>,
}

impl ParsedSnapshots {
    /// The parsed snapshot `id`: kept, or read and parsed (on an evaluator thread) and kept.
    pub(super) async fn get(
        &self,
        db: &DatabaseConnection,
        evaluator: &Evaluator,
        id: i64,
    ) -> Result<Arc<Snapshot>, ScanError> {
        self.parsing.run(id, || self.parse(db, evaluator, id)).await
    }

    /// The kept snapshot `id` (a flight that ended meanwhile may have kept it), else reads and
    /// parses it (on an evaluator thread) and keeps it.
    async fn parse(
        &self,
        db: &DatabaseConnection,
        evaluator: &Evaluator,
        id: i64,
    ) -> Result<Arc<Snapshot>, ScanError> {
        if let Some(found) = self.kept(id) {
            return Ok(found);
        }
        let data: serde_json::Value = config_snapshot::Entity::find_by_id(id)
            .select_only()
            .column(config_snapshot::Column::Data)
            .into_tuple()
            .one(db)
            .await?
            .ok_or_else(|| ScanError::Failed(format!("configuration snapshot {id} is gone")))?;
        let snapshot = evaluator
            .run(move || Snapshot::from_value(data))
            .await
            .map_err(|e| ScanError::Failed(format!("reading the snapshot failed: {e}")))?
            .map_err(|e| {
                ScanError::Failed(format!("configuration snapshot {id} is unreadable: {e}"))
            })?;
        let snapshot = Arc::new(snapshot);
        self.keep(id, Arc::clone(&snapshot));
        Ok(snapshot)
    }

    fn kept(&self, id: i64) -> Option<Arc<Snapshot>> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let at = kept.iter().position(|(k, _)| *k == id)?;
        let entry = kept.remove(at)?;
        let found = Arc::clone(&entry.1);
        kept.push_front(entry);
        Some(found)
    }

    fn keep(&self, id: i64, snapshot: Arc<Snapshot>) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(k, _)| *k != id);
        kept.push_front((id, snapshot));
        kept.truncate(KEPT);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn snapshot(n: i64) -> Arc<Snapshot> {
        let doc = serde_json::json!({ "tenant_id": format!("tenant-{n}"), "conditional_access_policies": [] });
        Arc::new(Snapshot::from_value(doc).unwrap())
    }

    #[test]
    fn keeps_the_last_few_used_by_id_and_forgets_the_least_recently_used() {
        let kept = ParsedSnapshots::default();
        let first = snapshot(1);
        kept.keep(1, Arc::clone(&first));
        assert!(Arc::ptr_eq(&kept.kept(1).unwrap(), &first));
        assert!(kept.kept(2).is_none());
        for id in 2..=i64::try_from(KEPT).unwrap() {
            kept.keep(id, snapshot(id));
        }
        // Using 1 makes it the most recent: the next one in pushes out 2, not 1.
        assert!(kept.kept(1).is_some());
        kept.keep(99, snapshot(99));
        assert!(kept.kept(1).is_some());
        assert!(kept.kept(2).is_none());
        assert!(kept.kept(99).is_some());
        // Keeping an id again replaces it rather than keeping two.
        kept.keep(99, snapshot(100));
        let all = kept.kept.lock().unwrap();
        assert_eq!(all.len(), KEPT);
        assert_eq!(all.iter().filter(|(id, _)| *id == 99).count(), 1);
    }
}
