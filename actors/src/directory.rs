//! Organisations, dashboard users, connected tenants and their configuration snapshots.
//!
//! Used by the CLI and the demo; MCP reads go through [`crate::query`] instead.

use aether365_collector::host;
use aether365_engine::{CheckedExport, Snapshot};
use aether365_entities::{config_snapshot, organisation, tenant, user};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::hashing::{self, HashError};
use crate::scans::SnapshotSource;

/// Errors of the directory layer.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("organisation {0:?} already exists")]
    OrganisationExists(String),
    #[error("no organisation named {0:?}")]
    OrganisationNotFound(String),
    #[error("a user with email {0:?} already exists")]
    UserExists(String),
    #[error("tenant {0:?} already exists in this organisation")]
    TenantExists(String),
    #[error("no tenant {0:?}")]
    TenantNotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// An export dated beyond now plus [`EXPORT_CLOCK_SKEW`]: it would stay the tenant's
    /// newest snapshot whatever came after.
    #[error(
        "the export is dated {0} (timestamp_zulu), in the future: check the clock of the machine that exported it"
    )]
    ExportInFuture(String),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// The default schedule of a newly connected tenant could not be stored.
    #[error("cannot store the tenant's schedule: {0}")]
    Schedule(#[source] crate::schedule::ScheduleError),
}

/// Dashboard roles.
pub const ROLES: [&str; 3] = ["owner", "admin", "viewer"];

/// `exists()` when `err` is a unique-constraint violation, else the database error itself.
fn exists_or_db(err: sea_orm::DbErr, exists: impl FnOnce() -> DirectoryError) -> DirectoryError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        exists()
    } else {
        DirectoryError::Db(err)
    }
}

/// Creates an organisation. Names are unique.
pub async fn create_organisation(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<organisation::Model, DirectoryError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DirectoryError::Invalid(
            "the organisation name is empty".into(),
        ));
    }
    organisation::ActiveModel {
        name: Set(name.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| exists_or_db(e, || DirectoryError::OrganisationExists(name.to_string())))
}

/// Finds an organisation by exact name or by numeric id.
pub async fn find_organisation(
    db: &impl ConnectionTrait,
    name_or_id: &str,
) -> Result<organisation::Model, DirectoryError> {
    let by_name = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name_or_id))
        .one(db)
        .await?;
    let found = match (by_name, name_or_id.parse::<i64>()) {
        (Some(org), _) => Some(org),
        (None, Ok(id)) => organisation::Entity::find_by_id(id).one(db).await?,
        (None, Err(_)) => None,
    };
    found.ok_or_else(|| DirectoryError::OrganisationNotFound(name_or_id.to_string()))
}

/// Creates a dashboard user; the password is hashed with argon2id on a blocking thread.
pub async fn create_user(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    email: &str,
    password: &str,
    role: &str,
) -> Result<user::Model, DirectoryError> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.len() < 3 {
        return Err(DirectoryError::Invalid(format!(
            "{email:?} is not an email address"
        )));
    }
    if password.chars().count() < 12 {
        return Err(DirectoryError::Invalid(
            "the password must have at least 12 characters".into(),
        ));
    }
    if !ROLES.contains(&role) {
        return Err(DirectoryError::Invalid(format!(
            "role must be one of {}",
            ROLES.join(", ")
        )));
    }
    let password = password.to_string();
    let password_hash = tokio::task::spawn_blocking(move || hashing::hash_secret(&password))
        .await
        .map_err(|e| HashError::Hash(e.to_string()))??;
    user::ActiveModel {
        organisation_id: Set(organisation_id),
        email: Set(email.clone()),
        password_hash: Set(password_hash),
        role: Set(role.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| exists_or_db(e, || DirectoryError::UserExists(email)))
}

/// A tenant to connect.
#[derive(Clone, Debug)]
pub struct NewTenant {
    pub display_name: String,
    /// The Microsoft Entra tenant id; generated when unknown.
    pub microsoft_tenant_id: Option<String>,
    /// Verified domains; the first is the primary domain.
    pub domains: Vec<String>,
}

/// A tenant's domain, checked by the collector's one validator of hosts from tenant data.
fn check_domain(domain: &str) -> Result<String, DirectoryError> {
    host::dns_name(domain).map_err(|e| DirectoryError::Invalid(e.to_string()))
}

/// The domains Microsoft Graph reported at consent must be host names (and the initial domain
/// one label under `onmicrosoft.com`/`.us`) before they are stored: the collector builds hosts,
/// token scopes and DNS queries from them. Nothing is stored when one is refused.
fn check_consented_domains(consented: &ConsentedTenant) -> Result<(), DirectoryError> {
    host::initial_domain(&consented.initial_domain)
        .map_err(|e| DirectoryError::Invalid(format!("initial domain refused: {e}")))?;
    for domain in &consented.domains {
        check_domain(domain)?;
    }
    Ok(())
}

/// Connects a tenant to an organisation.
pub async fn add_tenant(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    new: NewTenant,
) -> Result<tenant::Model, DirectoryError> {
    let name = new.display_name.trim().to_string();
    if name.is_empty() {
        return Err(DirectoryError::Invalid("the tenant name is empty".into()));
    }
    let domains: Vec<String> = new
        .domains
        .iter()
        .map(|d| d.trim().trim_end_matches('.').to_lowercase())
        .collect();
    let Some(primary) = domains.first().cloned() else {
        return Err(DirectoryError::Invalid(
            "a tenant needs at least one domain".into(),
        ));
    };
    for domain in &domains {
        check_domain(domain)?;
    }
    let exists = tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(organisation_id))
        .filter(tenant::Column::DisplayName.eq(name.as_str()))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(DirectoryError::TenantExists(name));
    }
    tenant::ActiveModel {
        organisation_id: Set(organisation_id),
        display_name: Set(name.clone()),
        microsoft_tenant_id: Set(new
            .microsoft_tenant_id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        primary_domain: Set(primary),
        verified_domains: Set(serde_json::json!(domains)),
        connected_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| exists_or_db(e, || DirectoryError::TenantExists(name)))
}

/// Finds a tenant by numeric id, display name or primary domain, optionally within one organisation.
pub async fn find_tenant(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    reference: &str,
) -> Result<tenant::Model, DirectoryError> {
    let mut query = tenant::Entity::find();
    if let Some(org) = organisation_id {
        query = query.filter(tenant::Column::OrganisationId.eq(org));
    }
    let candidates = query.order_by_asc(tenant::Column::Id).all(db).await?;
    let wanted = reference.trim().to_lowercase();
    let matches: Vec<tenant::Model> = candidates
        .into_iter()
        .filter(|t| {
            t.id.to_string() == wanted
                || t.display_name.to_lowercase() == wanted
                || t.primary_domain == wanted
        })
        .collect();
    match matches.len() {
        1 => Ok(matches
            .into_iter()
            .next()
            .ok_or_else(|| DirectoryError::TenantNotFound(reference.to_string()))?),
        0 => Err(DirectoryError::TenantNotFound(reference.to_string())),
        _ => Err(DirectoryError::Invalid(format!(
            "{reference:?} names several tenants: use the numeric id or give --org"
        ))),
    }
}

/// The tenants of an organisation, oldest first.
pub async fn list_tenants(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<tenant::Model>, DirectoryError> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?)
}

/// Stores a configuration snapshot of a tenant. `collected_at` defaults to the export's own
/// `timestamp_zulu`, else now. `services` is the collector's per-service outcome.
pub async fn import_snapshot(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    snapshot: &Snapshot,
    source: SnapshotSource,
    collected_at: Option<DateTime<Utc>>,
) -> Result<config_snapshot::Model, DirectoryError> {
    store_snapshot(
        db,
        tenant,
        snapshot.value().clone(),
        source,
        collected_at,
        None,
    )
    .await
}

/// A stored snapshot, without its document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub id: i64,
    pub collected_at: DateTime<Utc>,
}

/// Stores a checked export ([`aether365_engine::check_export`]) as the tenant's newest
/// configuration snapshot, as its text: no JSON tree is built and nothing is serialised again
/// (on PostgreSQL the text is cast to `json`, which keeps it as sent). `collected_at` is the
/// export's own `timestamp_zulu`, else now.
///
/// The owned text is moved into the driver's arguments (sqlx directly: sea-orm's statement
/// would clone it once more), so the process holds one copy of the document while the
/// database binds it.
pub async fn store_export(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    export: CheckedExport,
    source: SnapshotSource,
) -> Result<StoredSnapshot, DirectoryError> {
    use sea_orm::sqlx;
    let collected_at = export_time(export.timestamp_zulu(), Utc::now())?.unwrap_or_else(Utc::now);
    let text = export.into_text();
    let id: i64 = match db.get_database_backend() {
        DbBackend::Postgres => {
            sqlx::query_scalar(
                "INSERT INTO config_snapshots (organisation_id, tenant_id, collected_at, source, data) \
                 VALUES ($1, $2, $3, $4, $5::json) RETURNING id",
            )
            .bind(tenant.organisation_id)
            .bind(tenant.id)
            .bind(collected_at)
            .bind(source.as_str())
            .bind(text)
            .fetch_one(db.get_postgres_connection_pool())
            .await
        }
        DbBackend::Sqlite => {
            let insert = sqlx::query_scalar(
                "INSERT INTO config_snapshots (organisation_id, tenant_id, collected_at, source, data) \
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(tenant.organisation_id)
            .bind(tenant.id)
            .bind(collected_at)
            .bind(source.as_str())
            .bind(text);
            sqlite_with_small_cache(db.get_sqlite_connection_pool(), insert).await
        }
        other => {
            return Err(DirectoryError::Invalid(format!(
                "imports are stored on SQLite or PostgreSQL, not {other:?}"
            )));
        }
    }
    .map_err(|e| DirectoryError::Db(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e.into()))))?;
    Ok(StoredSnapshot { id, collected_at })
}

/// Runs `insert` on one SQLite connection whose page cache is lowered to 2 MiB for the
/// statement, then restored: the document's pages are written once and not worth keeping, so
/// they do not fill the connection's usual cache (`db.rs`) on top of the document's copies.
async fn sqlite_with_small_cache<'q>(
    pool: &sea_orm::sqlx::SqlitePool,
    insert: sea_orm::sqlx::query::QueryScalar<
        'q,
        sea_orm::sqlx::Sqlite,
        i64,
        sea_orm::sqlx::sqlite::SqliteArguments,
    >,
) -> Result<i64, sea_orm::sqlx::Error> {
    use sea_orm::sqlx;
    let mut conn = pool.acquire().await?;
    let usual: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("PRAGMA cache_size = -2048")
        .execute(&mut *conn)
        .await?;
    let id = insert.fetch_one(&mut *conn).await;
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = {usual}")))
        .execute(&mut *conn)
        .await
    {
        // Slower reads on this connection, nothing wrong: closed rather than returned.
        tracing::warn!("cannot restore the page cache after an import: {e}");
        conn.detach();
    }
    id
}

/// The newest snapshot of a tenant without its document (what listings show).
pub async fn latest_stored_snapshot(
    db: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<Option<SnapshotSummary>, DirectoryError> {
    Ok(config_snapshot::Entity::find()
        .select_only()
        .columns([
            config_snapshot::Column::Id,
            config_snapshot::Column::CollectedAt,
            config_snapshot::Column::Source,
            config_snapshot::Column::Services,
        ])
        .filter(config_snapshot::Column::TenantId.eq(tenant_id))
        .order_by_desc(config_snapshot::Column::CollectedAt)
        .order_by_desc(config_snapshot::Column::Id)
        .into_model::<SnapshotSummary>()
        .one(db)
        .await?)
}

/// A snapshot's row without `data`.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct SnapshotSummary {
    pub id: i64,
    pub collected_at: DateTime<Utc>,
    /// `import`, `collector` or `sample`.
    pub source: String,
    /// The collector's per-service outcome; null for imports and samples.
    pub services: Option<serde_json::Value>,
}

/// Stores a snapshot document; see [`import_snapshot`].
pub async fn store_snapshot(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    data: serde_json::Value,
    source: SnapshotSource,
    collected_at: Option<DateTime<Utc>>,
    services: Option<serde_json::Value>,
) -> Result<config_snapshot::Model, DirectoryError> {
    let exported_at = export_time(
        data.get("timestamp_zulu")
            .and_then(serde_json::Value::as_str),
        Utc::now(),
    )?;
    Ok(config_snapshot::ActiveModel {
        organisation_id: Set(tenant.organisation_id),
        tenant_id: Set(tenant.id),
        collected_at: Set(collected_at.or(exported_at).unwrap_or_else(Utc::now)),
        source: Set(source.as_str().to_string()),
        data: Set(data),
        services: Set(services),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// How far past the present an export's own time may lie (clocks differ).
pub const EXPORT_CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// The export's own time (`timestamp_zulu`, RFC 3339), if it has a readable one; refused when
/// it lies beyond `now` plus [`EXPORT_CLOCK_SKEW`] (snapshots are ordered by this time, so a
/// future date would stay the newest for ever).
pub fn export_time(
    timestamp_zulu: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DirectoryError> {
    let Some(raw) = timestamp_zulu else {
        return Ok(None);
    };
    let Ok(at) = DateTime::parse_from_rfc3339(raw) else {
        return Ok(None);
    };
    let at = at.with_timezone(&Utc);
    if at > now + EXPORT_CLOCK_SKEW {
        return Err(DirectoryError::ExportInFuture(raw.to_string()));
    }
    Ok(Some(at))
}

/// What Microsoft Graph said about a tenant that granted admin consent.
#[derive(Clone, Debug)]
pub struct ConsentedTenant {
    /// The Entra tenant id (GUID).
    pub microsoft_tenant_id: String,
    pub display_name: String,
    /// Verified domains, the default domain first.
    pub domains: Vec<String>,
    /// The `*.onmicrosoft.com` initial domain.
    pub initial_domain: String,
    /// Subscribed SKU part numbers.
    pub licences: Vec<String>,
}

impl ConsentedTenant {
    /// The tenant `microsoft_tenant_id` as Microsoft Graph describes it, default domain first.
    pub fn from_info(
        microsoft_tenant_id: String,
        info: aether365_collector::entra::TenantInfo,
    ) -> ConsentedTenant {
        let default = info.default_domain;
        let domains = std::iter::once(default.clone())
            .chain(
                info.verified_domains
                    .into_iter()
                    .filter(|d| !d.eq_ignore_ascii_case(&default)),
            )
            .collect();
        ConsentedTenant {
            microsoft_tenant_id,
            display_name: info.display_name,
            domains,
            initial_domain: info.initial_domain,
            licences: info.skus,
        }
    }
}

/// Records a consented tenant: updates the organisation's tenant with that Entra tenant id, or
/// adds it. From now on its compliance scans collect live.
pub async fn connect_tenant(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    consented: ConsentedTenant,
    at: DateTime<Utc>,
) -> Result<tenant::Model, DirectoryError> {
    let wanted = consented.microsoft_tenant_id.trim().to_ascii_lowercase();
    if !host::is_guid(&wanted) {
        return Err(DirectoryError::Invalid(format!(
            "{:?} is not a Microsoft Entra tenant id (a GUID)",
            consented.microsoft_tenant_id
        )));
    }
    check_consented_domains(&consented)?;
    let existing = tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(organisation_id))
        .filter(tenant::Column::MicrosoftTenantId.eq(wanted.as_str()))
        .one(db)
        .await?;
    let model = match existing {
        Some(t) => t,
        None => {
            let mut name = consented.display_name.trim().to_string();
            if name.is_empty() {
                name = consented.initial_domain.clone();
            }
            let clash = tenant::Entity::find()
                .filter(tenant::Column::OrganisationId.eq(organisation_id))
                .filter(tenant::Column::DisplayName.eq(name.as_str()))
                .one(db)
                .await?;
            if clash.is_some() {
                name = format!("{name} ({})", consented.initial_domain);
            }
            add_tenant(
                db,
                organisation_id,
                NewTenant {
                    display_name: name,
                    microsoft_tenant_id: Some(wanted.clone()),
                    domains: consented.domains.clone(),
                },
            )
            .await?
        }
    };
    let mut active: tenant::ActiveModel = model.into();
    active.initial_domain = Set(Some(consented.initial_domain.to_ascii_lowercase()));
    active.consented_at = Set(Some(at));
    active.licences = Set(Some(serde_json::json!(consented.licences)));
    if let Some(primary) = consented.domains.first() {
        active.primary_domain = Set(primary.to_ascii_lowercase());
        active.verified_domains = Set(serde_json::json!(
            consented
                .domains
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect::<Vec<_>>()
        ));
    }
    let tenant = active.update(db).await?;
    // A newly connected tenant gets the default schedule (kept if it has one).
    crate::schedule::ensure_default(db, organisation_id, tenant.id)
        .await
        .map_err(DirectoryError::Schedule)?;
    Ok(tenant)
}

/// The newest configuration snapshot of a tenant, if any.
pub async fn latest_snapshot(
    db: &impl ConnectionTrait,
    tenant_id: i64,
) -> Result<Option<config_snapshot::Model>, DirectoryError> {
    Ok(config_snapshot::Entity::find()
        .filter(config_snapshot::Column::TenantId.eq(tenant_id))
        .order_by_desc(config_snapshot::Column::CollectedAt)
        .order_by_desc(config_snapshot::Column::Id)
        .one(db)
        .await?)
}
