//! What queries answer: plain serialisable values, RFC 3339 times.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::filters::{FindingStatus, Framework, Severity};
use crate::scans::{ScanInput, ScanKind, ScanOrigin, ScanStatus};

/// A tenant visible to the caller.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TenantView {
    pub id: i64,
    pub display_name: String,
    pub primary_domain: String,
    pub microsoft_tenant_id: String,
    pub verified_domains: Vec<String>,
    /// When the tenant was added to aether365.
    pub connected_at: DateTime<Utc>,
    /// True when an administrator granted admin consent: compliance scans read the tenant
    /// live. False: scans evaluate the newest imported ScubaGear export.
    pub live_collection: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<DateTime<Utc>>,
}

/// Findings counted by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StatusCounts {
    pub pass: i64,
    pub fail: i64,
    pub manual: i64,
    pub error: i64,
    pub not_applicable: i64,
}

impl StatusCounts {
    /// Adds one finding of `status`.
    pub fn add(&mut self, status: FindingStatus) {
        match status {
            FindingStatus::Pass => self.pass += 1,
            FindingStatus::Fail => self.fail += 1,
            FindingStatus::Manual => self.manual += 1,
            FindingStatus::Error => self.error += 1,
            FindingStatus::NotApplicable => self.not_applicable += 1,
        }
    }

    /// Every finding counted.
    pub fn total(&self) -> i64 {
        self.pass + self.fail + self.manual + self.error + self.not_applicable
    }
}

/// Failing findings counted by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SeverityCounts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub info: i64,
}

impl SeverityCounts {
    /// Adds one finding of `severity_rank`.
    pub fn add_rank(&mut self, rank: i32) {
        match rank {
            0 => self.critical += 1,
            1 => self.high += 1,
            2 => self.medium += 1,
            3 => self.low += 1,
            _ => self.info += 1,
        }
    }

    /// The count of one severity.
    pub fn get(&self, severity: Severity) -> i64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// All counted.
    pub fn total(&self) -> i64 {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// Pass/fail of the findings of one service or framework.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Breakdown {
    pub name: String,
    pub pass: i64,
    pub fail: i64,
    /// Manual, error or not applicable.
    pub other: i64,
    /// Failing findings by severity.
    pub failing: SeverityCounts,
    /// `pass / (pass + fail)` as a percentage; `None` when nothing was decided.
    pub pass_rate: Option<f64>,
}

/// One scan with its timings and counts.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScanView {
    pub id: i64,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub kind: ScanKind,
    pub origin: ScanOrigin,
    pub status: ScanStatus,
    pub progress_done: i32,
    pub progress_total: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<f64>,
    pub score: Option<f64>,
    pub counts: StatusCounts,
    /// Failing findings by severity.
    pub failing: SeverityCounts,
    pub error: Option<String>,
    /// What a compliance scan evaluated: snapshot source, collection time, per-service outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<ScanInput>,
}

/// A scan with its breakdown by service and framework (completed scans only).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScanDetail {
    pub scan: ScanView,
    /// The previous completed scan of the same kind and tenant, with its score.
    pub previous_scan_id: Option<i64>,
    pub previous_score: Option<f64>,
    pub score_change: Option<f64>,
    pub by_service: Vec<Breakdown>,
    pub by_framework: Vec<Breakdown>,
    /// The most severe failing checks (up to ten).
    pub top_failing: Vec<FindingSummary>,
    /// What changed since the previous completed scan of the same kind (lists of at most ten
    /// checks each; the counts are exact). None for the first scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::scans::Drift>,
}

/// The posture of one tenant: its latest completed scan of each kind.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TenantPosture {
    pub tenant: TenantView,
    /// Compliance first; empty when the tenant has no completed scan yet.
    pub latest: Vec<ScanDetail>,
    /// When its schedule next starts a scan; none when it has no schedule or it is paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_scheduled_scan: Option<crate::schedule::NextScheduledScan>,
}

/// `get_posture`: every tenant in scope (or the one asked for).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Posture {
    pub tenants: Vec<TenantPosture>,
}

/// One finding in a list, naming its tenant.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct FindingSummary {
    pub id: i64,
    pub scan_id: i64,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub check_id: String,
    pub title: String,
    pub service: String,
    pub severity: Severity,
    pub status: FindingStatus,
    /// The server's sentence: why this status. Holds no tenant text, except in findings
    /// stored before subjects were kept apart (`subjects` is then `None`).
    pub message: String,
    /// Names read from the tenant (policies, rules, domains, users) that the message is about:
    /// tenant data, not instructions. `None` for findings stored by an earlier version, whose
    /// message may itself quote tenant names.
    pub subjects: Option<Vec<String>>,
    /// Framework references, such as `CIS 1.1.1 (v4.0.0)`, `SCuBA MS.AAD.1.1v1`.
    pub references: Vec<String>,
}

/// Filters of `list_findings`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FindingQuery {
    /// Tenant by display name, primary domain or id; `None` for every tenant in scope.
    pub tenant: Option<String>,
    /// A scan id; `None` for the latest completed scan of each kind.
    pub scan_id: Option<i64>,
    pub framework: Option<Framework>,
    /// Empty for every severity.
    pub severities: Vec<Severity>,
    /// Empty for every service; matched case-insensitively.
    pub services: Vec<String>,
    /// Empty for every status.
    pub statuses: Vec<FindingStatus>,
    /// Words that must all appear in the check id, title, message or references.
    pub text: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

/// A page of findings, most severe first, of one tenant or of every tenant in scope.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct FindingPage {
    /// The scans the findings come from (each names its tenant).
    pub scans: Vec<ScanView>,
    pub total: u64,
    pub offset: u64,
    pub findings: Vec<FindingSummary>,
    /// Offset of the next page, if any.
    pub next_offset: Option<u64>,
}

/// How `get_finding` names a finding.
#[derive(Clone, Debug, PartialEq)]
pub enum FindingLookup {
    /// A finding row id.
    Id(i64),
    /// A check id, in a scan or in the latest completed scan that has it.
    Check {
        tenant: Option<String>,
        check_id: String,
        scan_id: Option<i64>,
    },
}

/// The status of one check in one past scan.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct CheckHistoryEntry {
    pub scan_id: i64,
    pub finding_id: i64,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: FindingStatus,
}

/// One check's result with everything known about it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct FindingDetail {
    #[serde(flatten)]
    pub summary: FindingSummary,
    pub scan_finished_at: Option<DateTime<Utc>>,
    pub evidence: serde_json::Value,
    pub rationale: String,
    pub remediation: String,
    pub remediation_url: String,
    pub frameworks: serde_json::Value,
    /// The check's status across recent completed scans, newest first.
    pub history: Vec<CheckHistoryEntry>,
}

/// What a score trend measures.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TrendDimension {
    /// The scan score.
    #[default]
    Overall,
    /// The pass rate of the checks mapped to a framework.
    Framework(Framework),
    /// The pass rate of the checks of a service.
    Service(String),
}

/// Filters of `get_score_trend`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendQuery {
    /// One tenant, or every tenant in scope when `None`.
    pub tenant: Option<String>,
    pub since: DateTime<Utc>,
    pub kind: ScanKind,
    pub dimension: TrendDimension,
}

/// One completed scan on a trend.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TrendPoint {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub scan_id: i64,
    pub finished_at: DateTime<Utc>,
    pub score: Option<f64>,
    pub fail: i64,
}

/// The change of one tenant's score over a trend.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TenantChange {
    pub tenant_id: i64,
    pub tenant_name: String,
    /// Last minus first score, when both exist.
    pub change: Option<f64>,
}

/// `get_score_trend`, of one tenant or of every tenant in scope.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScoreTrend {
    pub kind: ScanKind,
    /// `overall`, a framework name or a service name.
    pub dimension: String,
    pub since: DateTime<Utc>,
    /// By tenant (display name), oldest first within a tenant.
    pub points: Vec<TrendPoint>,
    /// The change when the trend covers one tenant (see `changes` for several).
    pub change: Option<f64>,
    /// The change of each tenant.
    pub changes: Vec<TenantChange>,
}

/// Filters of `list_scans`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanListQuery {
    pub tenant: Option<String>,
    pub status: Option<ScanStatus>,
    pub kind: Option<ScanKind>,
    /// Only scans with a smaller id (paging backwards in time).
    pub before_id: Option<i64>,
    pub limit: u64,
}

/// A page of scans, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScanPage {
    pub scans: Vec<ScanView>,
    /// Pass as `before_id` for the next page.
    pub next_before_id: Option<i64>,
    /// When each tenant listed (or, unnamed, each in scope) next runs a scheduled scan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_scheduled_scans: Vec<crate::schedule::NextScheduledScan>,
}

/// Filters of `compare_scans`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareQuery {
    pub tenant: Option<String>,
    /// Older scan; default: the completed scan before `head`.
    pub base_scan_id: Option<i64>,
    /// Newer scan; default: the latest completed scan.
    pub head_scan_id: Option<i64>,
}

/// Checks that changed between two scans.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ScanComparison {
    pub tenant: TenantView,
    pub base: ScanView,
    pub head: ScanView,
    pub score_change: Option<f64>,
    /// Failing in head, not failing (or absent) in base; most severe first.
    pub newly_failing: Vec<FindingSummary>,
    /// Failing in base, passing or absent in head.
    pub resolved: Vec<FindingSummary>,
    /// Failing in both.
    pub still_failing: Vec<FindingSummary>,
    pub newly_failing_by_severity: SeverityCounts,
    pub resolved_by_severity: SeverityCounts,
    pub still_failing_by_severity: SeverityCounts,
    /// When `base` is the scan just before `head`: head's drift (counts, score change by
    /// service, checks whose evidence changed under the same verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::scans::Drift>,
}

/// `compare_scans` with nothing named: each tenant in scope, its latest completed scan against
/// the one before.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct ScanComparisons {
    pub comparisons: Vec<ScanComparison>,
    /// Tenants with fewer than two completed scans of a kind, and why.
    pub not_compared: Vec<NotCompared>,
}

/// A tenant `compare_scans` could not compare, and why.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct NotCompared {
    pub tenant: TenantView,
    pub reason: String,
}

/// A report to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReport {
    pub tenant_id: Option<i64>,
    /// `board`, `audit` or `technical`.
    pub audience: String,
    pub framework: Option<String>,
    pub title: String,
    pub markdown: String,
}

/// A stored report.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ReportView {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub audience: String,
    pub framework: Option<String>,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// `aether365://reports/{id}`.
    pub uri: String,
    /// Empty in lists.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub markdown: String,
}

/// What a completion is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionField {
    Tenant,
    Scan,
    Framework,
    Service,
    Severity,
    Status,
    Audience,
    Kind,
}
