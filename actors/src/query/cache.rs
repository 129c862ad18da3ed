//! A small shared cache of completed scans: immutable once completed, read on every call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aether365_entities::{scan, tenant};
use sea_orm::FromQueryResult;

use super::QueryError;
use super::filters::{FindingStatus, Framework, Mappings};
use super::views::{Breakdown, FindingSummary, ScanDetail, ScanView, SeverityCounts, StatusCounts};
use crate::scans::ScanInput;
use crate::single_flight::SingleFlight;

/// The light columns of a finding, as cached (no evidence, rationale or remediation).
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct LightFindingRow {
    pub id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub scan_id: i64,
    pub check_id: String,
    pub title: String,
    pub service: String,
    pub severity: String,
    pub severity_rank: i32,
    pub status: String,
    pub cis_section: Option<String>,
    pub cis_version: Option<String>,
    pub scuba_ids: Option<String>,
    pub nist_controls: Option<String>,
    pub iso_controls: Option<String>,
    pub message: String,
    pub subjects: Option<serde_json::Value>,
}

/// A stored `subjects` column as names: `None` when NULL (a finding stored before subjects
/// were kept apart from the message); strings only.
pub fn subjects(value: Option<&serde_json::Value>) -> Option<Vec<String>> {
    let items = value?.as_array();
    Some(
        items
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// A cached finding: its summary, mappings and lower-cased search text.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedFinding {
    pub summary: FindingSummary,
    pub severity_rank: i32,
    pub mappings: Mappings,
    pub search_text: String,
}

impl From<&aether365_entities::finding::Model> for LightFindingRow {
    fn from(row: &aether365_entities::finding::Model) -> Self {
        LightFindingRow {
            id: row.id,
            organisation_id: row.organisation_id,
            tenant_id: row.tenant_id,
            scan_id: row.scan_id,
            check_id: row.check_id.clone(),
            title: row.title.clone(),
            service: row.service.clone(),
            severity: row.severity.clone(),
            severity_rank: row.severity_rank,
            status: row.status.clone(),
            cis_section: row.cis_section.clone(),
            cis_version: row.cis_version.clone(),
            scuba_ids: row.scuba_ids.clone(),
            nist_controls: row.nist_controls.clone(),
            iso_controls: row.iso_controls.clone(),
            message: row.message.clone(),
            subjects: row.subjects.clone(),
        }
    }
}

/// A stored enum value (status, severity, kind) parsed; a value this code never writes is a
/// database error, not a panic or a guess.
pub(super) fn stored<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, QueryError> {
    value.parse().map_err(|_| {
        QueryError::Database(sea_orm::DbErr::Type(format!(
            "stored {what} {value:?} is not valid"
        )))
    })
}

impl CachedFinding {
    /// The cached form of a finding row of the tenant named `tenant_name`.
    pub fn new(row: LightFindingRow, tenant_name: &str) -> Result<Self, QueryError> {
        let severity = stored(&row.severity, "severity")?;
        let status = stored(&row.status, "finding status")?;
        let mappings = Mappings {
            cis_section: row.cis_section,
            cis_version: row.cis_version,
            scuba_ids: row.scuba_ids,
            nist_controls: row.nist_controls,
            iso_controls: row.iso_controls,
        };
        let references = references(&mappings);
        let subjects = subjects(row.subjects.as_ref());
        let search_text = format!(
            "{} {} {} {} {} {}",
            row.check_id,
            row.title,
            row.service,
            row.message,
            references.join(" "),
            subjects.as_deref().unwrap_or_default().join(" ")
        )
        .to_lowercase();
        Ok(CachedFinding {
            summary: FindingSummary {
                id: row.id,
                scan_id: row.scan_id,
                tenant_id: row.tenant_id,
                tenant_name: tenant_name.to_string(),
                check_id: row.check_id,
                title: row.title,
                service: row.service,
                severity,
                status,
                message: row.message,
                subjects,
                references,
            },
            severity_rank: row.severity_rank,
            mappings,
            search_text,
        })
    }

    /// Whether the check fails.
    pub fn fails(&self) -> bool {
        self.summary.status == FindingStatus::Fail
    }
}

/// Human-readable framework references, such as `CIS 1.1.1 (v4.0.0)` or `SCuBA MS.AAD.1.1v1`.
pub fn references(m: &Mappings) -> Vec<String> {
    let mut out = Vec::new();
    let cis = Framework::Cis(None).references(m);
    for section in cis {
        match m.cis_version.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => out.push(format!(
                "CIS {section} (v{})",
                v.trim_start_matches(['v', 'V'])
            )),
            None => out.push(format!("CIS {section}")),
        }
    }
    for (label, fw) in [
        ("SCuBA", Framework::Scuba),
        ("NIST", Framework::Nist80053),
        ("ISO", Framework::Iso27001),
    ] {
        out.extend(fw.references(m).into_iter().map(|r| format!("{label} {r}")));
    }
    out
}

/// A completed scan as the queries need it, computed once.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletedScan {
    pub row: scan::Model,
    pub view: ScanView,
    /// Most severe first, failing before other statuses, then by check id.
    pub findings: Vec<CachedFinding>,
    pub previous_scan_id: Option<i64>,
    pub previous_score: Option<f64>,
    pub by_service: Vec<Breakdown>,
    pub by_framework: Vec<Breakdown>,
    /// What `get_scan` and `get_posture` answer for it.
    pub detail: ScanDetail,
}

impl CompletedScan {
    /// Builds the cached form of a completed scan from its row, tenant name and findings.
    pub fn build(
        row: scan::Model,
        tenant_name: String,
        findings: Vec<LightFindingRow>,
        previous: Option<(i64, Option<f64>)>,
    ) -> Result<Self, QueryError> {
        let mut findings: Vec<CachedFinding> = findings
            .into_iter()
            .map(|f| CachedFinding::new(f, &tenant_name))
            .collect::<Result<_, _>>()?;
        findings.sort_by(|a, b| {
            (
                a.severity_rank,
                !a.fails(),
                &a.summary.check_id,
                a.summary.id,
            )
                .cmp(&(
                    b.severity_rank,
                    !b.fails(),
                    &b.summary.check_id,
                    b.summary.id,
                ))
        });
        let mut view = scan_view(&row, tenant_name)?;
        if !findings.is_empty() {
            let mut counts = StatusCounts::default();
            let mut failing = SeverityCounts::default();
            for f in &findings {
                counts.add(f.summary.status);
                if f.fails() {
                    failing.add_rank(f.severity_rank);
                }
            }
            view.counts = counts;
            view.failing = failing;
        }
        let by_service = breakdown(&findings, |f| vec![f.summary.service.clone()]);
        let by_framework = breakdown(&findings, |f| framework_names(&f.mappings));
        let previous_score = previous.and_then(|p| p.1);
        let detail = ScanDetail {
            scan: view.clone(),
            previous_scan_id: previous.map(|p| p.0),
            previous_score,
            score_change: match (view.score, previous_score) {
                (Some(now), Some(before)) => Some(((now - before) * 10.0).round() / 10.0),
                _ => None,
            },
            by_service: by_service.clone(),
            by_framework: by_framework.clone(),
            top_failing: findings
                .iter()
                .filter(|f| f.fails())
                .take(10)
                .map(|f| f.summary.clone())
                .collect(),
            drift: crate::scans::Drift::of_row(&row).map(|d| d.shortened(10)),
        };
        Ok(CompletedScan {
            row,
            view,
            findings,
            previous_scan_id: previous.map(|p| p.0),
            previous_score,
            by_service,
            by_framework,
            detail,
        })
    }
}

/// The framework names a finding counts toward, such as `CIS-M365-4.0`, `SCuBA`.
pub fn framework_names(m: &Mappings) -> Vec<String> {
    let mut names = Vec::new();
    if Framework::Cis(None).matches(m) {
        match m
            .cis_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(v) => {
                let v = v.trim_start_matches(['v', 'V']);
                let v = v
                    .strip_suffix(".0")
                    .filter(|s| s.contains('.'))
                    .unwrap_or(v);
                names.push(format!("CIS-M365-{v}"));
            }
            None => names.push("CIS".to_string()),
        }
    }
    for fw in [Framework::Scuba, Framework::Nist80053, Framework::Iso27001] {
        if fw.matches(m) {
            names.push(fw.name());
        }
    }
    names
}

fn breakdown(
    findings: &[CachedFinding],
    keys: impl Fn(&CachedFinding) -> Vec<String>,
) -> Vec<Breakdown> {
    let mut map: Vec<Breakdown> = Vec::new();
    for f in findings {
        for key in keys(f) {
            let idx = match map.iter().position(|b| b.name == key) {
                Some(i) => i,
                None => {
                    map.push(Breakdown {
                        name: key,
                        pass: 0,
                        fail: 0,
                        other: 0,
                        failing: SeverityCounts::default(),
                        pass_rate: None,
                    });
                    map.len() - 1
                }
            };
            let b = &mut map[idx];
            match f.summary.status {
                FindingStatus::Pass => b.pass += 1,
                FindingStatus::Fail => {
                    b.fail += 1;
                    b.failing.add_rank(f.severity_rank);
                }
                _ => b.other += 1,
            }
        }
    }
    for b in &mut map {
        b.pass_rate = pass_rate(b.pass, b.fail);
    }
    map.sort_by(|a, b| a.name.cmp(&b.name));
    map
}

/// `pass / (pass + fail)` as a percentage rounded to one decimal.
pub fn pass_rate(pass: i64, fail: i64) -> Option<f64> {
    let decided = pass + fail;
    (decided > 0).then(|| ((pass as f64) * 1000.0 / decided as f64).round() / 10.0)
}

/// The view of a scan row.
pub fn scan_view(row: &scan::Model, tenant_name: String) -> Result<ScanView, QueryError> {
    Ok(ScanView {
        id: row.id,
        tenant_id: row.tenant_id,
        tenant_name,
        kind: stored(&row.kind, "scan kind")?,
        origin: stored(&row.origin, "scan origin")?,
        status: stored(&row.status, "scan status")?,
        progress_done: row.progress_done,
        progress_total: row.progress_total,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        duration_seconds: match (row.started_at, row.finished_at) {
            (Some(s), Some(f)) => Some((f - s).num_milliseconds() as f64 / 1000.0),
            _ => None,
        },
        score: row.score,
        counts: StatusCounts {
            pass: i64::from(row.pass_count),
            fail: i64::from(row.fail_count),
            manual: i64::from(row.manual_count),
            error: i64::from(row.error_count),
            not_applicable: i64::from(row.not_applicable_count),
        },
        failing: SeverityCounts {
            critical: i64::from(row.critical_count),
            high: i64::from(row.high_count),
            medium: i64::from(row.medium_count),
            low: i64::from(row.low_count),
            info: i64::from(row.info_count),
        },
        error: row.error.clone(),
        input: ScanInput::from_json(row.input.as_ref()),
    })
}

struct Entry {
    scan: Arc<CompletedScan>,
    loaded_at: Instant,
}

/// Completed scans by id, bounded, each entry kept for a while (so that a renamed or removed
/// tenant shows within that time). Shared by every [`QueryExecutor`](super::QueryExecutor).
pub struct ScanCache {
    entries: RwLock<HashMap<i64, Entry>>,
    capacity: usize,
    ttl: Duration,
    latest: RwLock<HashMap<ScopeKey, LatestEntry>>,
    latest_ttl: Duration,
    /// Bumped whenever a scan finishes here: answers derived from latest scans are stale.
    epoch: AtomicU64,
    /// Scans being loaded: a second caller waits for the first's load (after a scan completes,
    /// each tool's next call asks for it at once).
    pub(super) loading: SingleFlight<i64, Arc<CompletedScan>>,
}

type ScopeKey = (i64, Option<Vec<i64>>);

/// A scope's latest scans and when they were read.
type LatestEntry = (Instant, Arc<Vec<TenantLatest>>);

impl Default for ScanCache {
    /// 64 scans: a trend or comparison reads a tenant's recent scans, and each completed scan
    /// keeps its findings with their evidence (the soak measured 256 as several hundred MiB).
    fn default() -> Self {
        ScanCache::new(64, Duration::from_secs(60))
    }
}

impl std::fmt::Debug for ScanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl ScanCache {
    /// A cache of at most `capacity` scans, each kept at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        ScanCache {
            entries: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
            ttl,
            latest: RwLock::new(HashMap::new()),
            latest_ttl: Duration::ZERO,
            epoch: AtomicU64::new(0),
            loading: SingleFlight::default(),
        }
    }

    /// Also keeps each scope's tenants and latest completed scan ids for `ttl` (off when
    /// zero, the default): a scan completed meanwhile shows after at most `ttl`, or at once
    /// after [`ScanCache::invalidate_organisation`].
    pub fn with_latest_ttl(mut self, ttl: Duration) -> Self {
        self.latest_ttl = ttl;
        self
    }

    /// The cached tenants and latest scans of a scope, if fresh.
    pub(super) fn latest(&self, key: &ScopeKey) -> Option<Arc<Vec<TenantLatest>>> {
        if self.latest_ttl.is_zero() {
            return None;
        }
        let map = self.latest.read().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.latest_ttl)
            .map(|(_, v)| Arc::clone(v))
    }

    /// Remembers the tenants and latest scans of a scope.
    pub(super) fn store_latest(&self, key: ScopeKey, value: Arc<Vec<TenantLatest>>) {
        if self.latest_ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.latest.write() {
            if map.len() >= 4096 {
                map.clear();
            }
            map.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets the latest scans of every scope of an organisation (a scan of it changed).
    pub fn invalidate_organisation(&self, organisation_id: i64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.latest.write() {
            map.retain(|(org, _), _| *org != organisation_id);
        }
    }

    /// Changes each time a scan finishes in this process: a cache of answers keyed by it
    /// never serves an answer computed before the latest scans changed.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// How long latest scan ids are reused (zero: never).
    pub fn latest_ttl(&self) -> Duration {
        self.latest_ttl
    }

    /// The cached scan `id`, if fresh.
    pub fn get(&self, id: i64) -> Option<Arc<CompletedScan>> {
        let entries = self.entries.read().ok()?;
        entries
            .get(&id)
            .filter(|e| e.loaded_at.elapsed() < self.ttl)
            .map(|e| Arc::clone(&e.scan))
    }

    /// Stores a completed scan, evicting the oldest entries when full.
    pub fn insert(&self, scan: Arc<CompletedScan>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, e| e.loaded_at.elapsed() < ttl);
            while entries.len() >= self.capacity {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.loaded_at)
                    .map(|(id, _)| *id);
                match oldest {
                    Some(id) => entries.remove(&id),
                    None => break,
                };
            }
        }
        entries.insert(
            scan.row.id,
            Entry {
                scan,
                loaded_at: Instant::now(),
            },
        );
    }

    /// Number of entries (fresh or not).
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A tenant in scope with its latest completed scan id of each kind (see [`KINDS`]).
#[derive(Clone, Debug, FromQueryResult)]
pub(super) struct TenantLatest {
    pub id: i64,
    pub organisation_id: i64,
    pub display_name: String,
    pub microsoft_tenant_id: String,
    pub primary_domain: String,
    pub verified_domains: serde_json::Value,
    pub connected_at: chrono::DateTime<chrono::Utc>,
    pub initial_domain: Option<String>,
    pub consented_at: Option<chrono::DateTime<chrono::Utc>>,
    pub licences: Option<serde_json::Value>,
    pub latest_compliance: Option<i64>,
    pub latest_exposure: Option<i64>,
}

impl TenantLatest {
    pub(super) fn model(&self) -> tenant::Model {
        tenant::Model {
            id: self.id,
            organisation_id: self.organisation_id,
            display_name: self.display_name.clone(),
            microsoft_tenant_id: self.microsoft_tenant_id.clone(),
            primary_domain: self.primary_domain.clone(),
            verified_domains: self.verified_domains.clone(),
            connected_at: self.connected_at,
            initial_domain: self.initial_domain.clone(),
            consented_at: self.consented_at,
            licences: self.licences.clone(),
        }
    }

    /// Latest completed scan ids, compliance first.
    pub(super) fn latest_ids(&self) -> Vec<i64> {
        [self.latest_compliance, self.latest_exposure]
            .into_iter()
            .flatten()
            .collect()
    }
}
