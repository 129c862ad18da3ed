//! Microsoft's admin-consent flow: the `state` sent with an administrator to
//! `{authority}/{tenant}/adminconsent`, and the checks of the callback.
//!
//! A `state` is 256 random bits, base64url; only its SHA-256 is stored, with the organisation and
//! user that started the flow, a 15-minute expiry and the time it was used. A callback is
//! accepted once, within the expiry: a forged state matches no row, and a replayed one finds
//! its row used. The state alone says which organisation the consent is for, because the
//! browser comes back from Microsoft cross-site, without the SameSite=Strict session cookie.

use aether365_entities::consent_request;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

/// How long an administrator has to finish consenting.
pub const STATE_LIFETIME: Duration = Duration::minutes(15);

/// Why a callback's `state` is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// No such state was issued (forged, mangled, or another server's).
    #[error("this consent request is unknown: start connecting the tenant again")]
    UnknownState,
    /// The state was already used once.
    #[error("this consent request was already used: start connecting the tenant again")]
    Replayed,
    /// The state is older than [`STATE_LIFETIME`].
    #[error("this consent request expired: start connecting the tenant again")]
    Expired,
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// Issues a fresh `state` for `organisation_id` (started by `user_id`).
pub async fn begin(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String, ConsentError> {
    let bytes: [u8; 32] = rand::random();
    let state = URL_SAFE_NO_PAD.encode(bytes);
    consent_request::ActiveModel {
        state_hash: Set(hash(&state)),
        organisation_id: Set(organisation_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + STATE_LIFETIME),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(state)
}

/// Consumes `state`, exactly once and in time; returns the request (its organisation and user).
pub async fn finish(
    db: &impl ConnectionTrait,
    state: &str,
    now: DateTime<Utc>,
) -> Result<consent_request::Model, ConsentError> {
    if state.len() != 43 {
        return Err(ConsentError::UnknownState);
    }
    let key = hash(state);
    let row = consent_request::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or(ConsentError::UnknownState)?;
    if row.used_at.is_some() {
        return Err(ConsentError::Replayed);
    }
    if row.expires_at <= now {
        return Err(ConsentError::Expired);
    }
    // Two callbacks racing with one state: only one update finds it unused.
    let used = consent_request::Entity::update_many()
        .col_expr(consent_request::Column::UsedAt, Expr::value(Some(now)))
        .filter(consent_request::Column::StateHash.eq(key))
        .filter(consent_request::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected == 1 {
        Ok(row)
    } else {
        Err(ConsentError::Replayed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn states_are_long_and_hashed() {
        let h = hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
    }
}
