//! [`QueryService`]: the scoped queries as async methods, and the scan loading they share.

use std::sync::Arc;

use aether365_entities::{finding, scan, tenant};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::QueryError;
use super::cache::{CompletedScan, LightFindingRow, ScanCache, TenantLatest, scan_view};
use super::scope::Scope;
use super::views::{ScanView, TenantView};

/// Scan kinds, in the order posture lists them.
pub(super) const KINDS: [&str; 2] = ["compliance", "exposure"];

/// Settings of the query layer.
#[derive(Clone, Debug, Default)]
pub struct QueryConfig {
    /// How long each scope's latest scan ids may be reused (0: never; see
    /// [`ScanCache::with_latest_ttl`]).
    pub latest_ttl: std::time::Duration,
}

/// The tenant-scoped queries. Cheap to clone; clones share the scan cache.
#[derive(Clone, Debug)]
pub struct QueryService {
    pub(super) db: DatabaseConnection,
    pub(super) cache: Arc<ScanCache>,
}

/// A scan in scope: completed (cached) or still open (queued, running, failed, cancelled).
#[derive(Clone, Debug)]
pub(super) enum ScanData {
    Completed(Arc<CompletedScan>),
    Open(Box<ScanView>),
}

impl ScanData {
    pub(super) fn view(&self) -> &ScanView {
        match self {
            ScanData::Completed(c) => &c.view,
            ScanData::Open(v) => v,
        }
    }
}

/// The view of a tenant row.
pub fn tenant_view(t: &tenant::Model) -> TenantView {
    TenantView {
        id: t.id,
        display_name: t.display_name.clone(),
        primary_domain: t.primary_domain.clone(),
        microsoft_tenant_id: t.microsoft_tenant_id.clone(),
        verified_domains: super::scope::domains(t),
        connected_at: t.connected_at,
        live_collection: t.consented_at.is_some(),
        consented_at: t.consented_at,
    }
}

impl QueryService {
    /// Queries over `db` with a fresh cache.
    pub fn new(db: DatabaseConnection) -> Self {
        QueryService::with_cache(db, Arc::new(ScanCache::default()))
    }

    /// Queries over `db` with `config`.
    pub fn with_config(db: DatabaseConnection, config: &QueryConfig) -> Self {
        QueryService::with_cache(
            db,
            Arc::new(ScanCache::default().with_latest_ttl(config.latest_ttl)),
        )
    }

    /// Queries over `db` sharing `cache` with other services.
    pub fn with_cache(db: DatabaseConnection, cache: Arc<ScanCache>) -> Self {
        QueryService { db, cache }
    }

    /// The shared cache.
    pub fn cache(&self) -> &Arc<ScanCache> {
        &self.cache
    }

    /// Tenants in scope (by display name) with their latest completed scans, in one query
    /// (or from the cache, when its latest TTL is set).
    pub(super) async fn tenants_latest(
        &self,
        scope: &Scope,
    ) -> Result<Vec<TenantLatest>, QueryError> {
        let key = scope.key();
        if let Some(hit) = self.cache.latest(&key) {
            return Ok(hit.as_ref().clone());
        }
        let fresh = self.load_tenants_latest(scope).await?;
        self.cache.store_latest(key, Arc::new(fresh.clone()));
        Ok(fresh)
    }

    async fn load_tenants_latest(&self, scope: &Scope) -> Result<Vec<TenantLatest>, QueryError> {
        let latest = |kind: &'static str| {
            let sub = Query::select()
                .column((scan::Entity, scan::Column::Id))
                .from(scan::Entity)
                .and_where(
                    Expr::col((scan::Entity, scan::Column::TenantId))
                        .equals((tenant::Entity, tenant::Column::Id)),
                )
                .and_where(Expr::col((scan::Entity, scan::Column::Status)).eq("completed"))
                .and_where(Expr::col((scan::Entity, scan::Column::Kind)).eq(kind))
                .order_by((scan::Entity, scan::Column::FinishedAt), Order::Desc)
                .order_by((scan::Entity, scan::Column::Id), Order::Desc)
                .limit(1)
                .to_owned();
            Expr::SubQuery(None, Box::new(sub.into()))
        };
        Ok(tenant::Entity::find()
            .filter(scope.condition(tenant::Column::OrganisationId, tenant::Column::Id))
            .expr_as(latest(KINDS[0]), "latest_compliance")
            .expr_as(latest(KINDS[1]), "latest_exposure")
            .order_by_asc(tenant::Column::DisplayName)
            .order_by_asc(tenant::Column::Id)
            .into_model::<TenantLatest>()
            .all(&self.db)
            .await?)
    }

    /// Picks the tenant `reference` names among `tenants` (with their latest scans).
    pub(super) fn pick_latest(
        tenants: Vec<TenantLatest>,
        reference: Option<&str>,
    ) -> Result<TenantLatest, QueryError> {
        let models: Vec<tenant::Model> = tenants.iter().map(TenantLatest::model).collect();
        let picked = super::scope::pick_tenant(models, reference)?;
        tenants
            .into_iter()
            .find(|t| t.id == picked.id)
            .ok_or_else(|| QueryError::NotFound("tenant".into()))
    }

    /// A scan in scope by id; completed scans come from (and go to) the cache.
    pub(super) async fn scan(&self, scope: &Scope, id: i64) -> Result<ScanData, QueryError> {
        if let Some(cached) = self.cache.get(id) {
            return if scope.allows(cached.row.organisation_id, cached.row.tenant_id) {
                Ok(ScanData::Completed(cached))
            } else {
                Err(QueryError::NotFound(format!("scan {id}")))
            };
        }
        let row = scan::Entity::find_by_id(id)
            .filter(scope.condition(scan::Column::OrganisationId, scan::Column::TenantId))
            .one(&self.db)
            .await?
            .ok_or_else(|| QueryError::NotFound(format!("scan {id}")))?;
        let tenant = scope.tenant(&self.db, row.tenant_id).await?;
        if row.status == crate::scans::ScanStatus::Completed.as_str() {
            Ok(ScanData::Completed(
                self.load_completed(row, tenant.display_name).await?,
            ))
        } else {
            Ok(ScanData::Open(Box::new(scan_view(
                &row,
                tenant.display_name,
            )?)))
        }
    }

    /// A completed scan in scope by id; other statuses answer `InvalidArgument`.
    pub(super) async fn completed(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Arc<CompletedScan>, QueryError> {
        match self.scan(scope, id).await? {
            ScanData::Completed(c) => Ok(c),
            ScanData::Open(v) => Err(QueryError::InvalidArgument(format!(
                "scan {id} is {}, not completed: pick a completed scan (see list_scans)",
                v.status
            ))),
        }
    }

    /// Several completed scans of tenants in scope (ids known to be completed), cached.
    pub(super) async fn completed_many(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> Result<Vec<Arc<CompletedScan>>, QueryError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.completed(scope, *id).await?);
        }
        Ok(out)
    }

    /// A completed scan's findings and previous score, loaded once however many callers ask
    /// at the same time, and cached.
    async fn load_completed(
        &self,
        row: scan::Model,
        tenant_name: String,
    ) -> Result<Arc<CompletedScan>, QueryError> {
        self.cache
            .loading
            .run(row.id, || self.read_completed(row, tenant_name))
            .await
    }

    /// The cached scan (a load that ended since the caller looked may have cached it), else
    /// reads a completed scan's findings and previous score, and caches it. The caller's scoped
    /// read of `row` has checked the scope.
    async fn read_completed(
        &self,
        row: scan::Model,
        tenant_name: String,
    ) -> Result<Arc<CompletedScan>, QueryError> {
        if let Some(cached) = self.cache.get(row.id) {
            return Ok(cached);
        }
        let findings = finding::Entity::find()
            .select_only()
            .columns([
                finding::Column::Id,
                finding::Column::OrganisationId,
                finding::Column::TenantId,
                finding::Column::ScanId,
                finding::Column::CheckId,
                finding::Column::Title,
                finding::Column::Service,
                finding::Column::Severity,
                finding::Column::SeverityRank,
                finding::Column::Status,
                finding::Column::CisSection,
                finding::Column::CisVersion,
                finding::Column::ScubaIds,
                finding::Column::NistControls,
                finding::Column::IsoControls,
                finding::Column::Message,
                finding::Column::Subjects,
            ])
            .filter(finding::Column::ScanId.eq(row.id))
            .filter(finding::Column::OrganisationId.eq(row.organisation_id))
            .filter(finding::Column::TenantId.eq(row.tenant_id))
            .into_model::<LightFindingRow>()
            .all(&self.db)
            .await?;
        let previous = self.previous_completed(&row).await?;
        let built = Arc::new(CompletedScan::build(row, tenant_name, findings, previous)?);
        self.cache.insert(Arc::clone(&built));
        Ok(built)
    }

    /// The completed scan of the same tenant and kind before `row`, with its score.
    async fn previous_completed(
        &self,
        row: &scan::Model,
    ) -> Result<Option<(i64, Option<f64>)>, QueryError> {
        let Some(finished) = row.finished_at else {
            return Ok(None);
        };
        let prev = scan::Entity::find()
            .select_only()
            .columns([scan::Column::Id, scan::Column::Score])
            .filter(scan::Column::OrganisationId.eq(row.organisation_id))
            .filter(scan::Column::TenantId.eq(row.tenant_id))
            .filter(scan::Column::Status.eq("completed"))
            .filter(scan::Column::Kind.eq(row.kind.clone()))
            .filter(
                sea_orm::Condition::any()
                    .add(scan::Column::FinishedAt.lt(finished))
                    .add(
                        sea_orm::Condition::all()
                            .add(scan::Column::FinishedAt.eq(finished))
                            .add(scan::Column::Id.lt(row.id)),
                    ),
            )
            .order_by_desc(scan::Column::FinishedAt)
            .order_by_desc(scan::Column::Id)
            .into_tuple::<(i64, Option<f64>)>()
            .one(&self.db)
            .await?;
        Ok(prev)
    }
}
