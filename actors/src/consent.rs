//! Connecting a tenant by Microsoft's admin consent, proven by the administrator's sign-in.
//!
//! A flow has two legs, both ending at the same callback and both carrying the same `state`:
//!
//! 1. Microsoft's admin-consent page sends the administrator back with `admin_consent=True` and
//!    a `tenant` parameter. That parameter is only a claim (anyone can type a URL); it is
//!    recorded as the *claimed* tenant ([`admin_consented`]) and the browser is sent on to:
//! 2. an OpenID Connect sign-in (authorization code, PKCE S256, nonce) whose ID token, validated
//!    by the collector against the authority's keys, names the tenant (`tid`) and the signed-in
//!    user's directory roles (`wids`). [`finish`] consumes the request; [`check_proof`] accepts
//!    the token only when `tid` equals the claimed tenant and the user holds a role that can
//!    grant tenant-wide admin consent.
//!
//! A request is a row keyed by the SHA-256 of its `state` (256 random bits, base64url), with the
//! organisation and user that started it, a 15-minute expiry, the time it was used, the SHA-256
//! of a browser-binding secret (set as a cookie when the flow starts: the callback refuses a
//! browser without it), the PKCE verifier and the nonce. A forged state matches no row, a
//! replayed one finds its row used, another browser lacks the cookie.

use aether365_collector::VerifiedIdToken;
use aether365_entities::{consent_request, tenant};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::audit::{self, ActorKind, AuditEvent};

/// How long an administrator has to finish consenting.
pub const STATE_LIFETIME: Duration = Duration::minutes(15);

/// Directory roles (template ids, as in the ID token's `wids`) that can grant tenant-wide admin
/// consent to an application's permissions, with their names.
pub const CONSENT_ADMIN_ROLES: [(&str, &str); 4] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
];

/// The audit action written in every other organisation that has the tenant connected.
pub const CONNECTED_ELSEWHERE: &str = "tenant.connect.elsewhere";

/// Why a callback is refused.
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
    /// The callback came from a browser without the binding cookie of the one that started.
    #[error(
        "this consent was started in another browser: finish it in the browser where \
         \"Connect a tenant\" was clicked, or start again here"
    )]
    OtherBrowser,
    /// The signed-in tenant is not the one Microsoft's consent redirect named.
    #[error(
        "the administrator signed in to tenant {signed_in}, not to tenant {claimed} that the \
         consent named: sign in with an administrator of the tenant to connect"
    )]
    TenantMismatch {
        /// The ID token's `tid`.
        signed_in: String,
        /// The consent redirect's `tenant`.
        claimed: String,
    },
    /// The signed-in user holds no role that can grant admin consent.
    #[error(
        "{user} is not an administrator who can grant consent in tenant {tenant} (Global, \
         Privileged Role, Cloud Application or Application Administrator): nothing was connected"
    )]
    NotAdministrator {
        /// The user's name in the token.
        user: String,
        /// The ID token's `tid`.
        tenant: String,
    },
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("audit error: {0}")]
    Audit(#[from] audit::AuditError),
}

/// What [`begin`] hands out: the `state` for Microsoft and the browser's binding secret.
#[derive(Debug, Clone)]
pub struct Started {
    /// The single-use `state`.
    pub state: String,
    /// The secret for the browser-binding cookie (only its hash is stored).
    pub browser_secret: String,
}

fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a fresh request for `organisation_id` (started by `user_id`).
pub async fn begin(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Started, ConsentError> {
    let state = random_token();
    let browser_secret = random_token();
    consent_request::ActiveModel {
        state_hash: Set(hash(&state)),
        organisation_id: Set(organisation_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + STATE_LIFETIME),
        used_at: Set(None),
        browser_hash: Set(Some(hash(&browser_secret))),
        pkce_verifier: Set(Some(random_token())),
        nonce: Set(Some(random_token())),
        claimed_tenant: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Started {
        state,
        browser_secret,
    })
}

/// The live, unused request of `state`, presented by the browser holding `browser_secret`.
async fn pending(
    db: &impl ConnectionTrait,
    state: &str,
    browser_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<consent_request::Model, ConsentError> {
    if state.len() != 43 {
        return Err(ConsentError::UnknownState);
    }
    let row = consent_request::Entity::find_by_id(hash(state))
        .one(db)
        .await?
        .ok_or(ConsentError::UnknownState)?;
    // The binding first: another browser learns nothing about the request's fate.
    let bound = match (&row.browser_hash, browser_secret) {
        (Some(stored), Some(secret)) => *stored == hash(secret),
        _ => false,
    };
    if !bound {
        return Err(ConsentError::OtherBrowser);
    }
    if row.used_at.is_some() {
        return Err(ConsentError::Replayed);
    }
    if row.expires_at <= now {
        return Err(ConsentError::Expired);
    }
    Ok(row)
}

/// The first leg: Microsoft's admin-consent redirect. Checks the request (without consuming it)
/// and records the tenant the redirect names; answers the request, whose nonce and verifier go
/// into the sign-in URL.
pub async fn admin_consented(
    db: &impl ConnectionTrait,
    state: &str,
    browser_secret: Option<&str>,
    claimed_tenant: &str,
    now: DateTime<Utc>,
) -> Result<consent_request::Model, ConsentError> {
    let row = pending(db, state, browser_secret, now).await?;
    let claimed = claimed_tenant.trim().to_ascii_lowercase();
    consent_request::Entity::update_many()
        .col_expr(
            consent_request::Column::ClaimedTenant,
            Expr::value(Some(claimed.clone())),
        )
        .filter(consent_request::Column::StateHash.eq(row.state_hash.clone()))
        .filter(consent_request::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(consent_request::Model {
        claimed_tenant: Some(claimed),
        ..row
    })
}

/// The second leg: consumes the request, exactly once, in time, from the browser that started
/// it; answers it (organisation, user, verifier, nonce, claimed tenant).
pub async fn finish(
    db: &impl ConnectionTrait,
    state: &str,
    browser_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<consent_request::Model, ConsentError> {
    let row = pending(db, state, browser_secret, now).await?;
    // Two callbacks racing with one state: only one update finds it unused.
    let used = consent_request::Entity::update_many()
        .col_expr(consent_request::Column::UsedAt, Expr::value(Some(now)))
        .filter(consent_request::Column::StateHash.eq(row.state_hash.clone()))
        .filter(consent_request::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if used.rows_affected == 1 {
        Ok(row)
    } else {
        Err(ConsentError::Replayed)
    }
}

/// The name of the first role in `token` that can grant admin consent, if any.
pub fn consent_role(token: &VerifiedIdToken) -> Option<&'static str> {
    CONSENT_ADMIN_ROLES
        .iter()
        .find(|(id, _)| token.role_template_ids.iter().any(|w| w == id))
        .map(|(_, name)| *name)
}

/// Whether a validated ID token proves the consent of `request`: the token's tenant is the one
/// the consent named (when it named one) and the user can grant admin consent there. Answers the
/// role that does.
pub fn check_proof(
    request: &consent_request::Model,
    token: &VerifiedIdToken,
) -> Result<&'static str, ConsentError> {
    if let Some(claimed) = &request.claimed_tenant
        && !claimed.eq_ignore_ascii_case(&token.tenant_id)
    {
        return Err(ConsentError::TenantMismatch {
            signed_in: token.tenant_id.clone(),
            claimed: claimed.clone(),
        });
    }
    consent_role(token).ok_or_else(|| ConsentError::NotAdministrator {
        user: token
            .username
            .clone()
            .or_else(|| token.object_id.clone())
            .unwrap_or_else(|| "the signed-in user".into()),
        tenant: token.tenant_id.clone(),
    })
}

/// Tells every *other* organisation that has `connected`'s Microsoft tenant connected: one
/// [`CONNECTED_ELSEWHERE`] audit row in each (the dashboard shows them as notices). `by` says who
/// did it (the administrator's name at Microsoft, or the operator). Answers how many were told.
pub async fn tell_other_organisations(
    db: &impl ConnectionTrait,
    connected: &tenant::Model,
    by: &str,
    at: DateTime<Utc>,
) -> Result<usize, ConsentError> {
    let others = tenant::Entity::find()
        .filter(tenant::Column::MicrosoftTenantId.eq(connected.microsoft_tenant_id.as_str()))
        .filter(tenant::Column::OrganisationId.ne(connected.organisation_id))
        .all(db)
        .await?;
    for other in &others {
        let event = AuditEvent::new(ActorKind::Anonymous, CONNECTED_ELSEWHERE)
            .organisation(other.organisation_id)
            .actor_label(by.to_string())
            .target(other.id)
            .detail(format!(
                "Microsoft tenant {} ({}) was also connected to another aether365 organisation \
                 on {} by {by}. If nobody in your tenant did this, revoke the application's \
                 consent in Microsoft Entra and tell your aether365 operator.",
                other.microsoft_tenant_id,
                other.display_name,
                at.format("%Y-%m-%d %H:%M UTC"),
            ));
        let event = AuditEvent { at, ..event };
        audit::write_one(db, event).await?;
    }
    Ok(others.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn token(tid: &str, wids: &[&str]) -> VerifiedIdToken {
        VerifiedIdToken {
            tenant_id: tid.into(),
            object_id: None,
            username: Some("u@x".into()),
            email: None,
            name: None,
            role_template_ids: wids.iter().map(|w| w.to_string()).collect(),
            issued_at: Utc::now(),
        }
    }

    fn request(claimed: Option<&str>) -> consent_request::Model {
        consent_request::Model {
            state_hash: hash("s"),
            organisation_id: 1,
            user_id: None,
            created_at: Utc::now(),
            expires_at: Utc::now(),
            used_at: None,
            browser_hash: None,
            pkce_verifier: None,
            nonce: None,
            claimed_tenant: claimed.map(str::to_string),
        }
    }

    #[test]
    fn states_are_long_and_hashed() {
        let h = hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(random_token().len(), 43);
    }

    #[test]
    fn proof_needs_the_claimed_tenant_and_an_admin_role() {
        let a = "aaaaaaaa-0000-4000-8000-000000000000";
        let b = "bbbbbbbb-0000-4000-8000-000000000000";
        let global = CONSENT_ADMIN_ROLES[0].0;
        assert_eq!(
            check_proof(&request(Some(a)), &token(a, &[global])).unwrap(),
            "Global Administrator"
        );
        assert!(matches!(
            check_proof(&request(Some(a)), &token(b, &[global])),
            Err(ConsentError::TenantMismatch { .. })
        ));
        // Global Reader (f2ef992c-…) reads everything but cannot consent.
        assert!(matches!(
            check_proof(
                &request(None),
                &token(a, &["f2ef992c-3afb-46b9-b7cf-a126ee74c451"])
            ),
            Err(ConsentError::NotAdministrator { .. })
        ));
    }
}
