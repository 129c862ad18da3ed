//! The `QueryExecutor` actor and its messages. Each message carries the caller's
//! [`Principal`]; handlers run as futures and never block the mailbox.

use std::sync::Arc;

use actix::{Actor, Context, Handler, Message, ResponseFuture};
use sea_orm::DatabaseConnection;

use super::QueryError;
use super::cache::ScanCache;
use super::exports::FindingsExport;
use super::framework_report::FrameworkReportQuery;
use super::service::{QueryConfig, QueryService};
use super::views::*;
use crate::principal::Principal;

/// Serves tenant-scoped reads. Stateless apart from the shared scan cache. Each query is a
/// future on the executor's arbiter that waits on the async database pool; the backend gives
/// the executor an arbiter of its own ([`crate::system::Backend::start`]), so the queries'
/// CPU work (decoding rows, building views) leaves the arbiter of the other actors.
#[derive(Debug)]
pub struct QueryExecutor {
    service: QueryService,
}

impl QueryExecutor {
    /// An executor over `db` with its own cache.
    pub fn new(db: DatabaseConnection) -> Self {
        QueryExecutor {
            service: QueryService::new(db),
        }
    }

    /// An executor over `db` with `config`.
    pub fn with_config(db: DatabaseConnection, config: QueryConfig) -> Self {
        QueryExecutor {
            service: QueryService::with_config(db, &config),
        }
    }

    /// An executor over `db` sharing `cache`.
    pub fn with_cache(db: DatabaseConnection, cache: Arc<ScanCache>) -> Self {
        QueryExecutor {
            service: QueryService::with_cache(db, cache),
        }
    }

    /// The queries this executor runs.
    pub fn service(&self) -> &QueryService {
        &self.service
    }
}

impl Actor for QueryExecutor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
    }
}

impl actix::Supervised for QueryExecutor {}

/// A scan changed: forget the cached latest scans of its organisation. Subscribe the
/// executor to the scan manager's events to see completions at once when a latest TTL is set.
impl Handler<crate::scans::ScanEvent> for QueryExecutor {
    type Result = ();

    fn handle(&mut self, event: crate::scans::ScanEvent, _ctx: &mut Self::Context) {
        if event.status.is_final() {
            self.service
                .cache()
                .invalidate_organisation(event.organisation_id);
        }
    }
}

/// Declares a message carrying a `principal` and the handler that runs one service call.
macro_rules! query_message {
    (
        $(#[$doc:meta])*
        $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? } -> $out:ty,
        |$svc:ident, $m:ident| $call:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            /// Who asks; scopes the query.
            pub principal: Principal,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl Message for $name {
            type Result = Result<$out, QueryError>;
        }

        impl Handler<$name> for QueryExecutor {
            type Result = ResponseFuture<Result<$out, QueryError>>;

            fn handle(&mut self, $m: $name, _ctx: &mut Self::Context) -> Self::Result {
                let $svc = self.service.clone();
                Box::pin(async move { $call.await })
            }
        }
    };
}

query_message!(
    /// Every tenant in scope.
    ListTenants {} -> Vec<TenantView>,
    |svc, m| svc.list_tenants(&m.principal)
);

query_message!(
    /// The tenant a name, domain or id designates (the only one when `None`).
    ResolveTenant {
        tenant: Option<String>,
    } -> TenantView,
    |svc, m| svc.resolve_tenant(&m.principal, m.tenant.as_deref())
);

query_message!(
    /// Latest completed scans per tenant in scope, with score change and breakdowns.
    GetPosture {
        /// One tenant, or every tenant in scope when `None`.
        tenant: Option<String>,
    } -> Posture,
    |svc, m| svc.posture(&m.principal, m.tenant.as_deref())
);

query_message!(
    /// A filtered page of findings, most severe first.
    ListFindings { query: FindingQuery } -> FindingPage,
    |svc, m| svc.list_findings(&m.principal, m.query)
);

query_message!(
    /// One finding with evidence, remediation and its status across recent scans.
    GetFinding {
        lookup: FindingLookup,
        /// How many recent scans to report the check's status for.
        history: u64,
    } -> FindingDetail,
    |svc, m| svc.get_finding(&m.principal, m.lookup, m.history)
);

query_message!(
    /// The score per completed scan since a date.
    GetScoreTrend { query: TrendQuery } -> ScoreTrend,
    |svc, m| svc.score_trend(&m.principal, m.query)
);

query_message!(
    /// Scans, newest first.
    ListScans { query: ScanListQuery } -> ScanPage,
    |svc, m| svc.list_scans(&m.principal, m.query)
);

query_message!(
    /// One scan with its summary.
    GetScan { scan_id: i64 } -> ScanDetail,
    |svc, m| svc.get_scan(&m.principal, m.scan_id)
);

query_message!(
    /// A completed scan's findings as OCSF, SARIF or CSV.
    ExportFindings { scan_id: i64, format: aether365_engine::ExportFormat } -> FindingsExport,
    |svc, m| svc.export_findings(&m.principal, m.scan_id, m.format)
);

query_message!(
    /// The newest scan (any status) of each tenant in scope.
    LatestScans {} -> Vec<ScanView>,
    |svc, m| svc.latest_scans(&m.principal)
);

query_message!(
    /// What changed between two completed scans of a tenant.
    CompareScans { query: CompareQuery } -> ScanComparison,
    |svc, m| svc.compare_scans(&m.principal, m.query)
);

query_message!(
    /// Each tenant in scope: its latest completed scan against the one before.
    CompareLatestScans {} -> ScanComparisons,
    |svc, m| svc.compare_latest_scans(&m.principal)
);

query_message!(
    /// Stores a generated report.
    SaveReport { report: NewReport } -> ReportView,
    |svc, m| svc.save_report(&m.principal, m.report)
);

query_message!(
    /// One stored report with its Markdown.
    GetReport { report_id: i64 } -> ReportView,
    |svc, m| svc.get_report(&m.principal, m.report_id)
);

query_message!(
    /// Stored reports, newest first, without their Markdown.
    ListReports { limit: u64 } -> Vec<ReportView>,
    |svc, m| svc.list_reports(&m.principal, m.limit)
);

query_message!(
    /// The CIS or SCuBA report of a tenant's latest (or a given) compliance scan.
    GetFrameworkReport { query: FrameworkReportQuery } -> aether365_engine::report::FrameworkReport,
    |svc, m| svc.framework_report(&m.principal, m.query)
);

query_message!(
    /// Values for an argument, starting with `prefix` (case-insensitive).
    Complete {
        field: CompletionField,
        prefix: String,
        limit: usize,
    } -> Vec<String>,
    |svc, m| svc.complete(&m.principal, m.field, &m.prefix, m.limit)
);
