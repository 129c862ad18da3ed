//! "Sign in with Microsoft" to the dashboard: the pending flows and who a verified Entra
//! identity is among the organisations' people.
//!
//! A flow is a row keyed by the SHA-256 of its `state` (256 random bits, base64url), holding the
//! SHA-256 of a browser-binding secret (a cookie set when the flow starts), the PKCE verifier,
//! the nonce and a 15-minute expiry. [`finish`] deletes the row, so a forged state matches
//! nothing, a replayed one finds nothing, and another browser (without the cookie) is refused
//! without spending the flow.
//!
//! Who signs in ([`person_of`]), from an ID token the collector validated:
//!
//! 1. the person whose linked identity is the token's (`tid`, `oid`);
//! 2. else the person whose email is the token's `email` (or, when it has none, its
//!    `preferred_username`), provided that person has no other identity linked, the
//!    person's organisation has the token's tenant connected with proven admin consent, and the
//!    address's domain is one of that tenant's verified domains (or its initial
//!    `onmicrosoft.com` domain), so that only the tenant that owns the address vouches for it.
//!    The identity is then linked to the person, and only it signs in as them from then on.
//!
//! Anyone else is refused. No organisation and no person is ever created here.
//!
//! Where the browser goes once signed in (`next`, e.g. an OAuth authorization waiting for
//! consent) travels in the binding cookie, after the secret: the row holds the hash of the
//! whole cookie value, so a changed `next` is another browser's cookie. It must be a path of
//! this site ([`safe_next`]), checked when the flow starts and again when it ends.

use aether365_collector::VerifiedIdToken;
use aether365_entities::{entra_identity, microsoft_sign_in, tenant, user};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

/// How long a person has to finish signing in at Microsoft.
pub const STATE_LIFETIME: Duration = Duration::minutes(15);

/// Why a sign-in is refused.
#[derive(Debug, thiserror::Error)]
pub enum MicrosoftSignInError {
    /// No such flow: forged, expired and purged, or already used once.
    #[error("this sign-in is unknown or was already used: sign in again")]
    UnknownState,
    /// The flow is older than [`STATE_LIFETIME`].
    #[error("this sign-in took too long: sign in again")]
    Expired,
    /// The callback came from a browser without the binding cookie of the one that started.
    #[error("this sign-in was started in another browser: sign in again here")]
    OtherBrowser,
    /// The ID token names no object id, so no identity can be recognised.
    #[error("Microsoft's answer names no user (oid): nobody was signed in")]
    NoObjectId,
    /// Nobody in any organisation's people list is this identity.
    #[error(
        "{who} (Microsoft tenant {tenant}) is not among the people of any aether365 \
         organisation: ask an owner or admin of your organisation to invite this address, \
         or sign in with your email and password"
    )]
    UnknownPerson {
        /// The address or object id the token names.
        who: String,
        /// The token's `tid`.
        tenant: String,
    },
    /// The person with that email already signs in with another Microsoft identity.
    #[error(
        "the person {email} signs in with another Microsoft account: use that account, or \
         sign in with your email and password"
    )]
    LinkedElsewhere {
        /// The person's email.
        email: String,
    },
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Longest `next` carried through a sign-in (the binding cookie must stay well under 4 KiB).
pub const MAX_NEXT: usize = 2048;

/// `next` when it is a path of this site: one leading `/` (not `//`, not `/\`), no backslash,
/// no control character or space, at most [`MAX_NEXT`] bytes. Anything else (an absolute or
/// scheme-relative URL) is `None`: the caller goes to its default page instead.
pub fn safe_next(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    let safe = next.len() <= MAX_NEXT
        && !rest.starts_with('/')
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    safe.then_some(next)
}

/// What [`begin`] hands out for the authorization request.
#[derive(Debug, Clone)]
pub struct Started {
    /// The single-use `state`.
    pub state: String,
    /// The value of the browser-binding cookie (only its hash is stored): a secret, and the
    /// `next` of the flow ([`next_of`]).
    pub browser_secret: String,
    /// The OpenID Connect nonce.
    pub nonce: String,
    /// The PKCE verifier (its S256 challenge goes to Microsoft).
    pub pkce_verifier: String,
}

/// How the person was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognised {
    /// By the identity linked at an earlier sign-in.
    LinkedIdentity,
    /// By the verified email address; the identity is now linked.
    EmailNowLinked,
}

fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a fresh flow (and forgets the expired ones); `next` ([`safe_next`] only, anything
/// else is dropped) is where the browser goes once signed in.
pub async fn begin(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    next: Option<&str>,
) -> Result<Started, MicrosoftSignInError> {
    microsoft_sign_in::Entity::delete_many()
        .filter(microsoft_sign_in::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let mut browser_secret = random_token();
    if let Some(next) = next.and_then(safe_next) {
        browser_secret.push('.');
        browser_secret.push_str(&URL_SAFE_NO_PAD.encode(next.as_bytes()));
    }
    let started = Started {
        state: random_token(),
        browser_secret,
        nonce: random_token(),
        pkce_verifier: random_token(),
    };
    microsoft_sign_in::ActiveModel {
        state_hash: Set(hash(&started.state)),
        browser_hash: Set(hash(&started.browser_secret)),
        pkce_verifier: Set(started.pkce_verifier.clone()),
        nonce: Set(started.nonce.clone()),
        created_at: Set(now),
        expires_at: Set(now + STATE_LIFETIME),
    }
    .insert(db)
    .await?;
    Ok(started)
}

/// Consumes the flow of `state`, exactly once, in time, from the browser holding
/// `browser_secret`; answers it (verifier and nonce).
pub async fn finish(
    db: &impl ConnectionTrait,
    state: &str,
    browser_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<microsoft_sign_in::Model, MicrosoftSignInError> {
    if state.len() != 43 {
        return Err(MicrosoftSignInError::UnknownState);
    }
    let row = microsoft_sign_in::Entity::find_by_id(hash(state))
        .one(db)
        .await?
        .ok_or(MicrosoftSignInError::UnknownState)?;
    // The binding first: another browser neither learns the flow's fate nor spends it.
    if browser_secret.map(hash).as_deref() != Some(row.browser_hash.as_str()) {
        return Err(MicrosoftSignInError::OtherBrowser);
    }
    // Two callbacks racing with one state: only one delete finds the row.
    let deleted = microsoft_sign_in::Entity::delete_by_id(row.state_hash.clone())
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(MicrosoftSignInError::UnknownState);
    }
    if row.expires_at <= now {
        return Err(MicrosoftSignInError::Expired);
    }
    Ok(row)
}

/// The `next` a binding cookie value carries (checked again with [`safe_next`]); call it
/// once [`finish`] accepted that value.
pub fn next_of(browser_secret: &str) -> Option<String> {
    let (_, encoded) = browser_secret.split_once('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let next = String::from_utf8(bytes).ok()?;
    safe_next(&next).map(str::to_string)
}

/// The address the token vouches for: `email`, else `preferred_username`, lower case.
fn address_of(token: &VerifiedIdToken) -> Option<String> {
    token
        .email
        .as_deref()
        .or(token.username.as_deref())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.contains('@'))
}

/// Whether `tenant` (connected, with proven consent) owns the domain of `address`.
fn tenant_owns(tenant: &tenant::Model, address: &str) -> bool {
    let Some((_, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let verified = tenant
        .verified_domains
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str());
    tenant.consented_at.is_some()
        && verified
            .chain(tenant.initial_domain.as_deref())
            .any(|d| d.eq_ignore_ascii_case(domain))
}

/// The person `token` (validated by the collector) signs in as, by the rule of the module
/// documentation; links the identity on a first sign-in by email.
pub async fn person_of(
    db: &impl ConnectionTrait,
    token: &VerifiedIdToken,
    now: DateTime<Utc>,
) -> Result<(user::Model, Recognised), MicrosoftSignInError> {
    let tid = token.tenant_id.to_ascii_lowercase();
    let oid = token
        .object_id
        .as_deref()
        .map(|o| o.trim().to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .ok_or(MicrosoftSignInError::NoObjectId)?;
    let unknown = || MicrosoftSignInError::UnknownPerson {
        who: address_of(token).unwrap_or_else(|| oid.clone()),
        tenant: tid.clone(),
    };

    // 1. A linked identity.
    if let Some(link) = entra_identity::Entity::find()
        .filter(entra_identity::Column::MicrosoftTenantId.eq(tid.as_str()))
        .filter(entra_identity::Column::ObjectId.eq(oid.as_str()))
        .one(db)
        .await?
    {
        let person = user::Entity::find_by_id(link.user_id)
            .filter(user::Column::OrganisationId.eq(link.organisation_id))
            .one(db)
            .await?
            .ok_or_else(unknown)?;
        return Ok((person, Recognised::LinkedIdentity));
    }

    // 2. The verified address, vouched for by a connected tenant that owns its domain.
    let address = address_of(token).ok_or_else(unknown)?;
    let person = user::Entity::find()
        .filter(user::Column::Email.eq(address.as_str()))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let connected = tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(person.organisation_id))
        .filter(tenant::Column::MicrosoftTenantId.eq(tid.as_str()))
        .all(db)
        .await?;
    if !connected.iter().any(|t| tenant_owns(t, &address)) {
        return Err(unknown());
    }
    let linked = entra_identity::Entity::find()
        .filter(entra_identity::Column::UserId.eq(person.id))
        .one(db)
        .await?;
    if linked.is_some() {
        return Err(MicrosoftSignInError::LinkedElsewhere {
            email: person.email,
        });
    }
    // A racing first sign-in of the same person or identity fails on the unique indexes.
    entra_identity::ActiveModel {
        user_id: Set(person.id),
        organisation_id: Set(person.organisation_id),
        microsoft_tenant_id: Set(tid.clone()),
        object_id: Set(oid.clone()),
        linked_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            MicrosoftSignInError::LinkedElsewhere {
                email: person.email.clone(),
            }
        }
        _ => MicrosoftSignInError::Db(e),
    })?;
    Ok((person, Recognised::EmailNowLinked))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tenant(domains: &[&str], initial: Option<&str>, consented: bool) -> tenant::Model {
        tenant::Model {
            id: 1,
            organisation_id: 1,
            display_name: "t".into(),
            microsoft_tenant_id: "x".into(),
            primary_domain: domains.first().copied().unwrap_or_default().into(),
            verified_domains: serde_json::json!(domains),
            connected_at: Utc::now(),
            initial_domain: initial.map(str::to_string),
            consented_at: consented.then(Utc::now),
            licences: None,
        }
    }

    #[test]
    fn next_is_a_path_of_this_site_only() {
        for good in [
            "/overview",
            "/oauth/authorize?client_id=x&state=%2F%2Fy",
            "/a/b#c",
        ] {
            assert_eq!(safe_next(good), Some(good), "{good}");
        }
        for bad in [
            "//evil.example",
            "//evil.example/oauth/authorize",
            "https://evil.example",
            "http://evil.example/",
            "/\\evil.example",
            "/\\/evil.example",
            "/ok\\..\\x",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(MAX_NEXT))), None);
    }

    #[test]
    fn the_cookie_carries_next_and_a_forged_one_is_dropped() {
        let with = |next: &str| format!("secret.{}", URL_SAFE_NO_PAD.encode(next));
        assert_eq!(
            next_of(&with("/oauth/authorize?a=b")).as_deref(),
            Some("/oauth/authorize?a=b")
        );
        assert_eq!(next_of("secret"), None);
        assert_eq!(next_of(&with("//evil.example")), None);
        assert_eq!(next_of(&with("https://evil.example")), None);
        assert_eq!(next_of("secret.%%%"), None);
    }

    #[test]
    fn only_a_consented_tenant_owning_the_domain_vouches() {
        let t = tenant(&["contoso.example"], Some("contoso.onmicrosoft.com"), true);
        assert!(tenant_owns(&t, "ann@contoso.example"));
        assert!(tenant_owns(&t, "ann@CONTOSO.onmicrosoft.com"));
        assert!(!tenant_owns(&t, "ann@fabrikam.example"));
        assert!(!tenant_owns(&t, "ann@sub.contoso.example"));
        assert!(!tenant_owns(&t, "contoso.example"));
        let unproven = tenant(&["contoso.example"], None, false);
        assert!(!tenant_owns(&unproven, "ann@contoso.example"));
    }
}
