//! What a compliance scan evaluated: the snapshot's source, when it was collected, and what
//! happened to each service. Stored on the scan row (`scans.input`) and shown in every answer
//! that carries the scan, so an assistant never presents old or partial data as fresh.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a configuration snapshot came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotSource {
    /// Read from the tenant by aether365's collector.
    Collector,
    /// A ScubaGear export imported by a person.
    Import,
    /// The demo's history: the ScubaGear sample with named variations, never a real tenant.
    Sample,
    /// Public DNS, observed while the scan ran (exposure scans; no configuration snapshot).
    PublicDns,
}

impl SnapshotSource {
    /// The value stored in `config_snapshots.source`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SnapshotSource::Collector => "collector",
            SnapshotSource::Import => "import",
            SnapshotSource::Sample => "sample",
            SnapshotSource::PublicDns => "public_dns",
        }
    }

    /// Parses a stored value.
    pub fn parse(s: &str) -> Option<SnapshotSource> {
        match s {
            "collector" => Some(SnapshotSource::Collector),
            "import" => Some(SnapshotSource::Import),
            "sample" => Some(SnapshotSource::Sample),
            _ => None,
        }
    }
}

/// What happened to one service's configuration in the snapshot a scan evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Read live from the tenant for this scan.
    Collected,
    /// Partly read: some reads failed (their checks are `error` with the reason).
    Partial,
    /// Reading failed: the service's checks are `error` with the reason.
    Failed,
    /// Taken from an earlier imported export (see `as_of`), because it cannot be read live.
    Imported,
    /// Not read, and no import to fall back on: its checks are `error`.
    NotCollected,
}

/// One service of a scan's input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceInput {
    /// The service, as the engine names it (`entra_id`, `exchange_online`, ...).
    pub service: String,
    pub state: ServiceState,
    /// Why it failed or was not collected, or which import it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When this service's data was read (differs from the snapshot's time for imports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// The input of a scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScanInput {
    /// The configuration snapshot evaluated; none for exposure scans, which observe DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<i64>,
    pub source: SnapshotSource,
    /// When the snapshot was collected (an import's own `timestamp_zulu`).
    pub collected_at: DateTime<Utc>,
    /// Per service; empty for imports and samples, which are one export read at one time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceInput>,
    /// A sentence for the reader when the input is not a fresh, complete collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The sentence that says a scan did not evaluate a fresh collection: `verb` is "evaluated"
/// once a scan ran, "will evaluate" before it starts. `None` for a fresh collection.
pub fn snapshot_note(
    source: SnapshotSource,
    collected_at: DateTime<Utc>,
    why_not_live: Option<&str>,
    verb: &str,
) -> Option<String> {
    let day = collected_at.format("%Y-%m-%d %H:%M UTC");
    match (source, why_not_live) {
        (SnapshotSource::Collector, None) => None,
        (SnapshotSource::Collector, Some(why)) => Some(format!(
            "{why}: {verb} the configuration collected on {day}"
        )),
        (SnapshotSource::Import, why) => Some(format!(
            "{}: {verb} the configuration imported from a ScubaGear export collected on {day}",
            why.unwrap_or("imported")
        )),
        (SnapshotSource::Sample, _) => Some(format!(
            "sample data: the ScubaGear sample export with demo variations, dated {day}; not a real tenant"
        )),
        (SnapshotSource::PublicDns, why) => why.map(str::to_string),
    }
}

impl ScanInput {
    /// The input of a scan over an imported or sample snapshot, with the note that says so.
    pub fn of_snapshot(
        snapshot_id: i64,
        source: SnapshotSource,
        collected_at: DateTime<Utc>,
        why_not_live: Option<&str>,
    ) -> ScanInput {
        ScanInput {
            snapshot_id: Some(snapshot_id),
            source,
            collected_at,
            services: Vec::new(),
            note: snapshot_note(source, collected_at, why_not_live, "evaluated"),
        }
    }

    /// The input of an exposure scan observing DNS from `at`, naming the domains it skipped.
    pub fn of_dns(at: DateTime<Utc>, skipped: &[String]) -> ScanInput {
        ScanInput {
            snapshot_id: None,
            source: SnapshotSource::PublicDns,
            collected_at: at,
            services: Vec::new(),
            note: (!skipped.is_empty()).then(|| {
                format!(
                    "not observed: {} (Microsoft-owned domains, whose DNS the tenant cannot configure)",
                    skipped.join(", ")
                )
            }),
        }
    }

    /// Parses the stored JSON; `None` for rows from before inputs were recorded.
    pub fn from_json(value: Option<&serde_json::Value>) -> Option<ScanInput> {
        value.and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// The JSON stored on the scan row.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn notes_say_what_was_evaluated() {
        let at = "2026-05-04T17:15:48Z".parse().unwrap();
        let import = ScanInput::of_snapshot(3, SnapshotSource::Import, at, Some("not connected"));
        assert_eq!(
            import.note.as_deref(),
            Some(
                "not connected: evaluated the configuration imported from a ScubaGear export collected on 2026-05-04 17:15 UTC"
            )
        );
        let live = ScanInput::of_snapshot(3, SnapshotSource::Collector, at, None);
        assert!(live.note.is_none());
        let json = live.to_json();
        assert_eq!(json["source"], "collector");
        assert_eq!(ScanInput::from_json(Some(&json)), Some(live));
        for s in [
            SnapshotSource::Collector,
            SnapshotSource::Import,
            SnapshotSource::Sample,
        ] {
            assert_eq!(SnapshotSource::parse(s.as_str()), Some(s));
        }
    }
}
