//! Token rows: creation, listing, revocation, and reading a row's scope.

use std::fmt;

use aether365_entities::{mcp_token, organisation, tenant};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr, TransactionSession, TransactionTrait,
};

use super::error::TokenError;
use super::format::{self, Expiry};
use super::key::TokenKey;
use crate::audit::{ActorKind, AuditEvent, write_one};
use crate::principal::TenantScope;

/// Longest accepted label, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// Attempts at finding an unused lookup id (a collision among 62^12 is already unlikely).
const LOOKUP_ATTEMPTS: usize = 3;

/// A freshly created token: the plaintext, to show once, and its stored row.
pub struct IssuedToken {
    /// The whole token. Show it once; it is stored nowhere.
    pub token: String,
    pub record: mcp_token::Model,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"<secret>")
            .field("record", &self.record)
            .finish()
    }
}

/// The tenant scope stored in a token row.
pub fn scope_of(token: &mcp_token::Model) -> Result<TenantScope, TokenError> {
    match &token.tenant_scope {
        None | Some(serde_json::Value::Null) => Ok(TenantScope::All),
        Some(value) => serde_json::from_value::<Vec<i64>>(value.clone())
            .map(TenantScope::Only)
            .map_err(|_| TokenError::InvalidStoredScope(token.id)),
    }
}

/// Checks that every listed tenant belongs to the organisation; returns the sorted,
/// de-duplicated list to store (`None` for every tenant).
pub(crate) async fn checked_scope<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    scope: &TenantScope,
) -> Result<Option<Vec<i64>>, TokenError> {
    let TenantScope::Only(ids) = scope else {
        return Ok(None);
    };
    let mut ids = ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(TokenError::EmptyScope);
    }
    let found: Vec<i64> = tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(organisation_id))
        .filter(tenant::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(TokenError::UnknownTenant(*missing)),
        None => Ok(Some(ids)),
    }
}

fn describe_scope(ids: Option<&[i64]>) -> String {
    match ids {
        None => "all tenants".to_string(),
        Some(ids) => format!("tenants {ids:?}"),
    }
}

fn actor(event: AuditEvent, user_id: Option<i64>) -> AuditEvent {
    match user_id {
        Some(id) => event.actor_kind(ActorKind::User).actor_id(id),
        None => event,
    }
}

/// Creates a token for the organisation and writes a `token.create` audit row in the same
/// transaction. The plaintext is in the answer only.
pub async fn create_token<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    organisation_id: i64,
    label: &str,
    expiry: Expiry,
    scope: TenantScope,
    created_by_user_id: Option<i64>,
) -> Result<IssuedToken, TokenError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
        return Err(TokenError::InvalidLabel(MAX_LABEL_CHARS));
    }
    if organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(TokenError::UnknownOrganisation(organisation_id));
    }
    let scope_ids = checked_scope(db, organisation_id, &scope).await?;
    let (mut lookup_id, secret) = format::generate();
    let created_at = Utc::now();

    for attempt in 1..=LOOKUP_ATTEMPTS {
        let txn = crate::db::begin_write(db).await?;
        let inserted = mcp_token::ActiveModel {
            organisation_id: Set(organisation_id),
            label: Set(label.to_string()),
            lookup_id: Set(lookup_id.clone()),
            secret_hash: Set(key.digest(&lookup_id, &secret)),
            tenant_scope: Set(scope_ids.as_ref().map(|ids| serde_json::json!(ids))),
            created_by_user_id: Set(created_by_user_id),
            created_at: Set(created_at),
            expires_at: Set(expiry.expires_at(created_at)),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let record = match inserted {
            Ok(record) => record,
            Err(e)
                if attempt < LOOKUP_ATTEMPTS
                    && matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                txn.rollback().await?;
                lookup_id = format::generate().0;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let event = AuditEvent::new(ActorKind::Cli, "token.create")
            .organisation(organisation_id)
            .target(record.id)
            .detail(format!(
                "label {label:?}, expiry {expiry}, scope {}",
                describe_scope(scope_ids.as_deref())
            ));
        write_one(&txn, actor(event, created_by_user_id)).await?;
        txn.commit().await?;
        tracing::info!(
            token_id = record.id,
            organisation_id,
            lookup_id = %record.lookup_id,
            "token created"
        );
        return Ok(IssuedToken {
            token: format::compose(&lookup_id, &secret),
            record,
        });
    }
    // Every attempt either returned or continued; the last one cannot continue.
    Err(TokenError::Db(sea_orm::DbErr::Custom(
        "no unused lookup id".to_string(),
    )))
}

/// The organisation's tokens, newest first.
pub async fn list_tokens<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<Vec<mcp_token::Model>, TokenError> {
    Ok(mcp_token::Entity::find()
        .filter(mcp_token::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(mcp_token::Column::CreatedAt)
        .order_by_desc(mcp_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes a token from the command line (`organisation_id: None`: any organisation).
/// See [`revoke_token_as`].
pub async fn revoke_token<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    organisation_id: Option<i64>,
    token_id: i64,
) -> Result<mcp_token::Model, TokenError> {
    revoke_token_as(db, organisation_id, token_id, None).await
}

/// Revokes a token, by a dashboard user or (`None`) the command line, and writes a
/// `token.revoke` audit row in the same transaction. Revoking a revoked token changes
/// nothing and answers its row. Running validators notice within their poll interval.
pub async fn revoke_token_as<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    organisation_id: Option<i64>,
    token_id: i64,
    by_user_id: Option<i64>,
) -> Result<mcp_token::Model, TokenError> {
    let txn = crate::db::begin_write(db).await?;
    let mut query = mcp_token::Entity::find_by_id(token_id);
    if let Some(org) = organisation_id {
        query = query.filter(mcp_token::Column::OrganisationId.eq(org));
    }
    let token = query
        .one(&txn)
        .await?
        .ok_or(TokenError::NotFound(token_id))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let now = Utc::now();
    let updated = mcp_token::Entity::update_many()
        .col_expr(mcp_token::Column::RevokedAt, Expr::value(now))
        .filter(mcp_token::Column::Id.eq(token_id))
        .filter(mcp_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 1 {
        let event = AuditEvent::new(ActorKind::Cli, "token.revoke")
            .organisation(token.organisation_id)
            .target(token.id)
            .detail(format!("label {:?}", token.label));
        write_one(&txn, actor(event, by_user_id)).await?;
    }
    let token = mcp_token::Entity::find_by_id(token_id)
        .one(&txn)
        .await?
        .ok_or(TokenError::NotFound(token_id))?;
    txn.commit().await?;
    tracing::info!(token_id, "token revoked");
    Ok(token)
}

/// The token row with this lookup id.
pub(crate) async fn find_by_lookup<C: ConnectionTrait>(
    db: &C,
    lookup_id: &str,
) -> Result<Option<mcp_token::Model>, sea_orm::DbErr> {
    mcp_token::Entity::find()
        .filter(mcp_token::Column::LookupId.eq(lookup_id))
        .one(db)
        .await
}
