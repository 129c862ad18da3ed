//! The OAuth 2.1 authorization server's store (issue 23): registered clients, authorization
//! codes, grants and their access and refresh tokens.
//!
//! A grant is an `mcp_tokens` row labelled `OAuth: <client name>` whose stored secret matches
//! nothing: it carries the organisation, the tenant scope, `last_used_at` and the revocation,
//! so a grant is tenant-scoped, quota-limited, audited, listed and revoked exactly like a
//! headless token. Its access tokens (`a365o_<lookup>_<secret>`, one hour) are verified by the
//! [`TokenValidator`](crate::tokens::TokenValidator) into the grant's [`Principal`](crate::Principal);
//! refresh tokens (`a365r_<lookup>_<secret>`, 30 days) rotate on every use, and a reused one
//! revokes the whole grant, as does a replayed authorization code. Codes and token secrets
//! are stored only as HMAC-SHA256 digests under the server's [`TokenKey`].

pub mod document;
mod error;
mod pkce;

use aether365_entities::{mcp_token, oauth_client, oauth_code, oauth_token};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

pub use error::OAuthError;
pub use pkce::{s256_challenge, verifier_matches};

use crate::audit::{ActorKind, AuditEvent, write_one};
use crate::principal::TenantScope;
use crate::tokens::{
    LOOKUP_LEN, SECRET_LEN, StoredSecret, TokenKey, generate, parse_prefixed, random_base62,
};

/// Prefix of access tokens.
pub const ACCESS_PREFIX: &str = "a365o_";
/// Prefix of refresh tokens.
pub const REFRESH_PREFIX: &str = "a365r_";
/// Prefix of client ids issued by registration.
pub const CLIENT_PREFIX: &str = "a365c_";
/// The one scope: read posture and findings, start read-only scans.
pub const SCOPE: &str = "mcp";
/// How long an access token lives.
pub const ACCESS_TTL: Duration = Duration::hours(1);
/// How long a refresh token lives (each use rotates it).
pub const REFRESH_TTL: Duration = Duration::days(30);
/// How long an authorization code lives.
pub const CODE_TTL: Duration = Duration::minutes(5);
/// Longest client name kept, in characters.
pub const MAX_CLIENT_NAME: usize = 80;
/// Most redirect URIs per client.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect URI accepted.
pub const MAX_REDIRECT_URI_LEN: usize = 2000;

/// What a grant's `mcp_tokens.secret_hash` holds: matches no secret.
const GRANT_SECRET: &str = "oauth-grant";
const KIND_ACCESS: &str = "access";
const KIND_REFRESH: &str = "refresh";

/// Splits `<prefix><lookup 12>_<secret 43>` (the headless tokens' shape); `None` unless it has
/// exactly that shape.
pub(crate) fn parse_token<'a>(prefix: &str, token: &'a str) -> Option<(&'a str, &'a str)> {
    parse_prefixed(prefix, token).map(|parts| (parts.lookup_id, parts.secret))
}

/// The name a client gave itself, made safe to keep: control characters dropped, trimmed,
/// at most [`MAX_CLIENT_NAME`] characters; `None` when nothing is left.
pub fn clean_client_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_CLIENT_NAME)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Whether `uri` may be registered: `https` with a host, or `http` on a loopback address
/// (RFC 8252 §7.3); never a fragment or credentials.
pub fn redirect_uri_allowed(uri: &str) -> bool {
    if uri.len() > MAX_REDIRECT_URI_LEN {
        return false;
    }
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host_str().is_some_and(|h| !h.is_empty()),
        "http" => is_loopback(&url),
        _ => false,
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `presented` matches the registered `registered`: exactly, or for an `http`
/// loopback URI with any port (RFC 8252 §7.3).
pub fn redirect_uri_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(a), Ok(b)) = (url::Url::parse(registered), url::Url::parse(presented)) else {
        return false;
    };
    a.scheme() == "http"
        && b.scheme() == "http"
        && is_loopback(&a)
        && a.host() == b.host()
        && a.path() == b.path()
        && a.query() == b.query()
        && b.fragment().is_none()
        && b.username().is_empty()
        && b.password().is_none()
}

/// A client to register.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    /// The registering address, for the per-address limit.
    pub registered_from: Option<String>,
}

/// Registers a public client. At most `limit_per_hour` registrations per address per hour.
pub async fn register_client<C: ConnectionTrait>(
    db: &C,
    client: NewClient,
    limit_per_hour: u64,
) -> Result<oauth_client::Model, OAuthError> {
    if client.redirect_uris.is_empty() || client.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::InvalidRedirectUri(format!(
            "between 1 and {MAX_REDIRECT_URIS} redirect_uris are needed"
        )));
    }
    if let Some(bad) = client
        .redirect_uris
        .iter()
        .find(|u| !redirect_uri_allowed(u))
    {
        return Err(OAuthError::InvalidRedirectUri(format!(
            "{:?} is neither https nor an http loopback URI",
            bad.chars().take(100).collect::<String>()
        )));
    }
    let now = Utc::now();
    if let Some(addr) = &client.registered_from {
        let recent = oauth_client::Entity::find()
            .filter(oauth_client::Column::RegisteredFrom.eq(addr.as_str()))
            .filter(oauth_client::Column::CreatedAt.gt(now - Duration::hours(1)))
            .count(db)
            .await?;
        if recent >= limit_per_hour {
            return Err(OAuthError::TooManyRegistrations);
        }
    }
    let name = client
        .client_name
        .as_deref()
        .and_then(clean_client_name)
        .unwrap_or_else(|| "Unnamed client".to_string());
    Ok(oauth_client::ActiveModel {
        client_id: Set(format!("{CLIENT_PREFIX}{}", random_base62(22))),
        client_name: Set(name),
        redirect_uris: Set(serde_json::json!(client.redirect_uris)),
        registered_from: Set(client.registered_from),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The registered client `client_id`.
pub async fn find_client<C: ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> Result<Option<oauth_client::Model>, OAuthError> {
    Ok(oauth_client::Entity::find()
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

/// Most clients one organisation may pre-register.
pub const MAX_ORGANISATION_CLIENTS: u64 = 50;

/// A client an owner or admin pre-registers in the dashboard.
#[derive(Clone, Debug)]
pub struct NewOrganisationClient {
    pub organisation_id: i64,
    /// The person registering it (id, email for the audit row).
    pub created_by: i64,
    pub created_by_email: String,
    pub client_name: String,
    /// Compared exactly at authorization (no loopback port freedom).
    pub redirect_uris: Vec<String>,
}

/// Checks `uris` as redirect URIs to keep: 1 to [`MAX_REDIRECT_URIS`], each
/// [`redirect_uri_allowed`], no duplicates.
fn check_redirect_uris(uris: &[String]) -> Result<(), OAuthError> {
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::InvalidRedirectUri(format!(
            "between 1 and {MAX_REDIRECT_URIS} redirect_uris are needed"
        )));
    }
    if let Some(bad) = uris.iter().find(|u| !redirect_uri_allowed(u)) {
        return Err(OAuthError::InvalidRedirectUri(format!(
            "{:?} is neither https nor an http loopback URI",
            bad.chars().take(100).collect::<String>()
        )));
    }
    if uris.iter().enumerate().any(|(i, u)| uris[..i].contains(u)) {
        return Err(OAuthError::InvalidRedirectUri(
            "a redirect URI is listed twice".into(),
        ));
    }
    Ok(())
}

/// Pre-registers a public client of an organisation; audited as `oauth.client_create`.
pub async fn register_organisation_client<C: ConnectionTrait>(
    db: &C,
    client: NewOrganisationClient,
) -> Result<oauth_client::Model, OAuthError> {
    let name = clean_client_name(&client.client_name).ok_or(OAuthError::InvalidClientName)?;
    check_redirect_uris(&client.redirect_uris)?;
    let existing = oauth_client::Entity::find()
        .filter(oauth_client::Column::OrganisationId.eq(client.organisation_id))
        .count(db)
        .await?;
    if existing >= MAX_ORGANISATION_CLIENTS {
        return Err(OAuthError::TooManyClients(MAX_ORGANISATION_CLIENTS));
    }
    let row = oauth_client::ActiveModel {
        client_id: Set(format!("{CLIENT_PREFIX}{}", random_base62(22))),
        client_name: Set(name),
        redirect_uris: Set(serde_json::json!(client.redirect_uris)),
        registered_from: Set(None),
        created_at: Set(Utc::now()),
        organisation_id: Set(Some(client.organisation_id)),
        created_by: Set(Some(client.created_by)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    write_one(
        db,
        AuditEvent::new(ActorKind::User, "oauth.client_create")
            .organisation(client.organisation_id)
            .actor_id(client.created_by)
            .actor_label(client.created_by_email.clone())
            .target(row.id)
            .detail(format!(
                "OAuth client {:?} ({}), redirect URIs: {}",
                row.client_name,
                row.client_id,
                client.redirect_uris.join(" ")
            )),
    )
    .await?;
    Ok(row)
}

/// The clients `organisation_id` pre-registered, oldest first.
pub async fn organisation_clients<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<Vec<oauth_client::Model>, OAuthError> {
    Ok(oauth_client::Entity::find()
        .filter(oauth_client::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(oauth_client::Column::Id)
        .all(db)
        .await?)
}

/// Deletes a client `organisation_id` pre-registered, and revokes every grant given to it
/// (their tokens stop at once); answers the deleted row and the revoked grants' ids (tell the
/// validator). `deleted_by`: the person's id and email. Another organisation's client is [`OAuthError::InvalidClient`], as an unknown
/// one. Audited as `oauth.client_delete`.
pub async fn delete_organisation_client<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    deleted_by: (i64, &str),
    client_id: &str,
) -> Result<(oauth_client::Model, Vec<i64>), OAuthError> {
    let txn = db.begin().await?;
    let client = oauth_client::Entity::find()
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .filter(oauth_client::Column::OrganisationId.eq(organisation_id))
        .one(&txn)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let mut grants: Vec<i64> = oauth_token::Entity::find()
        .select_only()
        .column(oauth_token::Column::GrantId)
        .filter(oauth_token::Column::ClientId.eq(client_id))
        .into_tuple()
        .all(&txn)
        .await?;
    grants.sort_unstable();
    grants.dedup();
    for grant in &grants {
        revoke_grant(&txn, *grant, "its OAuth client was deleted").await?;
    }
    // Codes not yet exchanged die with the client (the token endpoint would refuse them).
    oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::ClientId.eq(client_id))
        .filter(oauth_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    oauth_client::Entity::delete_by_id(client.id)
        .exec(&txn)
        .await?;
    write_one(
        &txn,
        AuditEvent::new(ActorKind::User, "oauth.client_delete")
            .organisation(organisation_id)
            .actor_id(deleted_by.0)
            .actor_label(deleted_by.1)
            .target(client.id)
            .detail(format!(
                "OAuth client {:?} ({}) deleted, {} grant(s) revoked",
                client.client_name,
                client.client_id,
                grants.len()
            )),
    )
    .await?;
    txn.commit().await?;
    Ok((client, grants))
}

/// Keeps the client a fetched metadata document describes as an `oauth_clients` row (its
/// `client_id` is the document's URL), created or brought up to date with the document, so
/// that codes, grants and tokens refer to it as to a registered client.
pub async fn save_document_client<C: ConnectionTrait>(
    db: &C,
    doc: &document::ClientDocument,
) -> Result<oauth_client::Model, OAuthError> {
    let uris = serde_json::json!(doc.redirect_uris);
    if let Some(found) = find_client(db, &doc.client_id).await? {
        if found.client_name == doc.client_name && found.redirect_uris == uris {
            return Ok(found);
        }
        let mut row: oauth_client::ActiveModel = found.into();
        row.client_name = Set(doc.client_name.clone());
        row.redirect_uris = Set(uris);
        return Ok(row.update(db).await?);
    }
    let inserted = oauth_client::ActiveModel {
        client_id: Set(doc.client_id.clone()),
        client_name: Set(doc.client_name.clone()),
        redirect_uris: Set(uris),
        registered_from: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        // Another request saved it first.
        Err(e) => find_client(db, &doc.client_id)
            .await?
            .ok_or(OAuthError::Db(e)),
    }
}

/// The redirect URIs of a client row.
pub fn redirect_uris_of(client: &oauth_client::Model) -> Vec<String> {
    serde_json::from_value(client.redirect_uris.clone()).unwrap_or_default()
}

/// What a signed-in person approved: an authorization code is issued for it.
#[derive(Clone, Debug)]
pub struct Approval {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: String,
    pub organisation_id: i64,
    pub user_id: i64,
    pub tenant_scope: TenantScope,
}

/// Issues a single-use authorization code for `approval`; answers the code (stored as a digest).
pub async fn issue_code<C: ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    approval: Approval,
) -> Result<String, OAuthError> {
    let scope =
        crate::tokens::checked_scope(db, approval.organisation_id, &approval.tenant_scope).await?;
    let code = random_base62(SECRET_LEN);
    let now = Utc::now();
    oauth_code::ActiveModel {
        code_hash: Set(key.digest("code", &code)),
        client_id: Set(approval.client_id),
        redirect_uri: Set(approval.redirect_uri),
        code_challenge: Set(approval.code_challenge),
        resource: Set(approval.resource),
        scope: Set(approval.scope),
        organisation_id: Set(approval.organisation_id),
        user_id: Set(approval.user_id),
        tenant_scope: Set(scope.map(|ids| serde_json::json!(ids))),
        created_at: Set(now),
        expires_at: Set(now + CODE_TTL),
        used_at: Set(None),
        grant_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(code)
}

/// Tokens issued by the token endpoint.
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: String,
    /// The grant (`mcp_tokens` id).
    pub grant_id: i64,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("grant_id", &self.grant_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A token request with `grant_type=authorization_code`.
#[derive(Clone)]
pub struct CodeExchange {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    /// The `resource` parameter, when sent: must name the code's resource.
    pub resource: Option<String>,
}

/// Exchanges an authorization code. A code used twice revokes what its first use issued.
pub async fn exchange_code<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    request: CodeExchange,
) -> Result<IssuedTokens, OAuthError> {
    let txn = crate::db::begin_write(db).await?;
    let code = oauth_code::Entity::find()
        .filter(oauth_code::Column::CodeHash.eq(key.digest("code", &request.code)))
        .one(&txn)
        .await?
        .ok_or(OAuthError::InvalidGrant("unknown authorization code"))?;
    if code.used_at.is_some() {
        let Some(grant_id) = code.grant_id else {
            return Err(OAuthError::InvalidGrant("authorization code already used"));
        };
        revoke_grant(&txn, grant_id, "authorization code replayed").await?;
        txn.commit().await?;
        return Err(OAuthError::GrantRevoked {
            grant_id,
            reason: "authorization code already used; what it issued is revoked",
        });
    }
    if code.expires_at <= Utc::now() {
        return Err(OAuthError::InvalidGrant("authorization code expired"));
    }
    if code.client_id != request.client_id {
        return Err(OAuthError::InvalidGrant(
            "authorization code issued to another client",
        ));
    }
    if code.redirect_uri != request.redirect_uri {
        return Err(OAuthError::InvalidGrant("redirect_uri does not match"));
    }
    if !verifier_matches(&request.code_verifier, &code.code_challenge) {
        return Err(OAuthError::InvalidGrant("code_verifier does not match"));
    }
    if request
        .resource
        .as_deref()
        .is_some_and(|r| r != code.resource)
    {
        return Err(OAuthError::InvalidTarget);
    }
    let now = Utc::now();
    let claimed = oauth_code::Entity::update_many()
        .col_expr(oauth_code::Column::UsedAt, Expr::value(now))
        .filter(oauth_code::Column::Id.eq(code.id))
        .filter(oauth_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(OAuthError::InvalidGrant("authorization code already used"));
    }
    let client = find_client(&txn, &code.client_id)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let label: String = format!("OAuth: {}", client.client_name)
        .chars()
        .take(crate::tokens::MAX_LABEL_CHARS)
        .collect();
    let grant = mcp_token::ActiveModel {
        organisation_id: Set(code.organisation_id),
        label: Set(label.clone()),
        lookup_id: Set(random_base62(LOOKUP_LEN)),
        secret_hash: Set(GRANT_SECRET.to_string()),
        tenant_scope: Set(code.tenant_scope.clone()),
        created_by_user_id: Set(Some(code.user_id)),
        created_at: Set(now),
        expires_at: Set(None),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    oauth_code::Entity::update_many()
        .col_expr(oauth_code::Column::GrantId, Expr::value(grant.id))
        .filter(oauth_code::Column::Id.eq(code.id))
        .exec(&txn)
        .await?;
    let issued = mint(
        &txn,
        key,
        &grant,
        &code.client_id,
        &code.resource,
        &code.scope,
    )
    .await?;
    write_one(
        &txn,
        AuditEvent::new(ActorKind::User, "oauth.grant")
            .organisation(code.organisation_id)
            .actor_id(code.user_id)
            .target(grant.id)
            .detail(format!(
                "client {:?} ({})",
                client.client_name, client.client_id
            )),
    )
    .await?;
    txn.commit().await?;
    Ok(issued)
}

/// A token request with `grant_type=refresh_token`.
#[derive(Clone)]
pub struct RefreshExchange {
    pub refresh_token: String,
    pub client_id: String,
    pub resource: Option<String>,
}

/// Rotates a refresh token. A refresh token used twice revokes its whole grant.
pub async fn refresh<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    request: RefreshExchange,
) -> Result<IssuedTokens, OAuthError> {
    let (lookup, secret) = parse_token(REFRESH_PREFIX, request.refresh_token.trim())
        .ok_or(OAuthError::InvalidGrant("malformed refresh token"))?;
    let txn = crate::db::begin_write(db).await?;
    let row = find_token(&txn, key, KIND_REFRESH, lookup, secret)
        .await?
        .ok_or(OAuthError::InvalidGrant("unknown refresh token"))?;
    if row.client_id != request.client_id {
        return Err(OAuthError::InvalidGrant("refresh token of another client"));
    }
    if row.used_at.is_some() {
        revoke_grant(&txn, row.grant_id, "refresh token reused").await?;
        txn.commit().await?;
        return Err(OAuthError::GrantRevoked {
            grant_id: row.grant_id,
            reason: "refresh token already used; the grant is revoked",
        });
    }
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Err(OAuthError::InvalidGrant("refresh token expired or revoked"));
    }
    if request
        .resource
        .as_deref()
        .is_some_and(|r| r != row.resource)
    {
        return Err(OAuthError::InvalidTarget);
    }
    let grant = mcp_token::Entity::find_by_id(row.grant_id)
        .one(&txn)
        .await?
        .filter(|g| g.revoked_at.is_none())
        .ok_or(OAuthError::InvalidGrant("the grant is revoked"))?;
    let claimed = oauth_token::Entity::update_many()
        .col_expr(oauth_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(oauth_token::Column::Id.eq(row.id))
        .filter(oauth_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(OAuthError::InvalidGrant("refresh token already used"));
    }
    let issued = mint(&txn, key, &grant, &row.client_id, &row.resource, &row.scope).await?;
    txn.commit().await?;
    Ok(issued)
}

/// Revokes the grant of an access or refresh token (RFC 7009); answers the grant revoked.
/// Unknown tokens, and tokens of another client, change nothing.
pub async fn revoke<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    token: &str,
    client_id: Option<&str>,
) -> Result<Option<i64>, OAuthError> {
    let token = token.trim();
    let found = if let Some((lookup, secret)) = parse_token(ACCESS_PREFIX, token) {
        Some((KIND_ACCESS, lookup, secret))
    } else {
        parse_token(REFRESH_PREFIX, token).map(|(l, s)| (KIND_REFRESH, l, s))
    };
    let Some((kind, lookup, secret)) = found else {
        return Ok(None);
    };
    let txn = crate::db::begin_write(db).await?;
    let Some(row) = find_token(&txn, key, kind, lookup, secret).await? else {
        return Ok(None);
    };
    if client_id.is_some_and(|c| c != row.client_id) {
        return Ok(None);
    }
    revoke_grant(&txn, row.grant_id, "revoked by the client").await?;
    txn.commit().await?;
    Ok(Some(row.grant_id))
}

/// Revokes a grant: its `mcp_tokens` row (open sessions close, on every instance) and every
/// token issued under it.
pub async fn revoke_grant<C: ConnectionTrait>(
    db: &C,
    grant_id: i64,
    reason: &str,
) -> Result<(), OAuthError> {
    let now = Utc::now();
    let Some(grant) = mcp_token::Entity::find_by_id(grant_id).one(db).await? else {
        return Ok(());
    };
    oauth_token::Entity::update_many()
        .col_expr(oauth_token::Column::RevokedAt, Expr::value(now))
        .filter(oauth_token::Column::GrantId.eq(grant_id))
        .filter(oauth_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let updated = mcp_token::Entity::update_many()
        .col_expr(mcp_token::Column::RevokedAt, Expr::value(now))
        .filter(mcp_token::Column::Id.eq(grant_id))
        .filter(mcp_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if updated.rows_affected == 1 {
        write_one(
            db,
            AuditEvent::new(ActorKind::Token, "token.revoke")
                .organisation(grant.organisation_id)
                .actor_id(grant.id)
                .actor_label(grant.label.clone())
                .target(grant.id)
                .detail(reason.to_string()),
        )
        .await?;
        tracing::info!(grant_id, reason, "OAuth grant revoked");
    }
    Ok(())
}

/// The live-or-not token row of `kind` whose secret matches; `None` when unknown or wrong.
async fn find_token<C: ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    kind: &str,
    lookup: &str,
    secret: &str,
) -> Result<Option<oauth_token::Model>, OAuthError> {
    let row = oauth_token::Entity::find()
        .filter(oauth_token::Column::LookupId.eq(lookup))
        .filter(oauth_token::Column::Kind.eq(kind))
        .one(db)
        .await?;
    Ok(row.filter(|row| secret_matches(key, lookup, secret, &row.secret_hash)))
}

/// Whether `secret` matches the stored digest, compared in constant time.
fn secret_matches(key: &TokenKey, lookup: &str, secret: &str, stored: &str) -> bool {
    match StoredSecret::parse(stored) {
        StoredSecret::Digest(digest) => key.matches(lookup, secret, &digest),
        // Same work as a wrong secret.
        _ => {
            let _ = key.matches(lookup, secret, &[0; 32]);
            false
        }
    }
}

/// Mints an access and a refresh token for `grant`.
async fn mint<C: ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    grant: &mcp_token::Model,
    client_id: &str,
    resource: &str,
    scope: &str,
) -> Result<IssuedTokens, OAuthError> {
    let now = Utc::now();
    let mut minted = Vec::with_capacity(2);
    for (kind, prefix, ttl) in [
        (KIND_ACCESS, ACCESS_PREFIX, ACCESS_TTL),
        (KIND_REFRESH, REFRESH_PREFIX, REFRESH_TTL),
    ] {
        let (lookup, secret) = generate();
        oauth_token::ActiveModel {
            kind: Set(kind.to_string()),
            lookup_id: Set(lookup.clone()),
            secret_hash: Set(key.digest(&lookup, &secret)),
            grant_id: Set(grant.id),
            client_id: Set(client_id.to_string()),
            resource: Set(resource.to_string()),
            scope: Set(scope.to_string()),
            created_at: Set(now),
            expires_at: Set(now + ttl),
            used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        minted.push(format!("{prefix}{lookup}_{secret}"));
    }
    let refresh_token = minted.pop().unwrap_or_default();
    let access_token = minted.pop().unwrap_or_default();
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: ACCESS_TTL.num_seconds(),
        scope: scope.to_string(),
        grant_id: grant.id,
    })
}

/// An access token verified for the token validator: the grant's row as the validator reads
/// a headless token's, its expiry the earlier of the access token's and the grant's, revoked
/// when either is; `None` when the token is unknown. `matches` is false for a wrong secret.
/// Also answers the resource the token is bound to (RFC 8707).
pub(crate) async fn verify_access<C: ConnectionTrait>(
    db: &C,
    key: &TokenKey,
    lookup: &str,
    secret: &str,
) -> Result<(Option<mcp_token::Model>, bool, Option<String>), sea_orm::DbErr> {
    let row = oauth_token::Entity::find()
        .filter(oauth_token::Column::LookupId.eq(lookup))
        .filter(oauth_token::Column::Kind.eq(KIND_ACCESS))
        .one(db)
        .await?;
    let Some(row) = row else {
        // Same work as a wrong secret.
        let _ = secret_matches(key, lookup, secret, "");
        return Ok((None, false, None));
    };
    let matches = secret_matches(key, lookup, secret, &row.secret_hash);
    let Some(mut grant) = mcp_token::Entity::find_by_id(row.grant_id).one(db).await? else {
        return Ok((None, false, None));
    };
    grant.expires_at = Some(earlier(grant.expires_at, row.expires_at));
    grant.revoked_at = row.revoked_at.or(grant.revoked_at);
    Ok((Some(grant), matches, Some(row.resource)))
}

fn earlier(a: Option<DateTime<Utc>>, b: DateTime<Utc>) -> DateTime<Utc> {
    a.map_or(b, |a| a.min(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback() {
        assert!(redirect_uri_allowed(
            "https://claude.ai/api/mcp/auth_callback"
        ));
        assert!(redirect_uri_allowed("http://127.0.0.1:33418/callback"));
        assert!(redirect_uri_allowed("http://[::1]/cb"));
        assert!(redirect_uri_allowed("http://localhost:8080/cb"));
        assert!(!redirect_uri_allowed("http://evil.example/cb"));
        assert!(!redirect_uri_allowed("https://a.example/cb#frag"));
        assert!(!redirect_uri_allowed("https://user@a.example/cb"));
        assert!(!redirect_uri_allowed("javascript:alert(1)"));
        assert!(!redirect_uri_allowed("not a url"));
    }

    #[test]
    fn loopback_redirects_match_on_any_port_only() {
        let loopback = "http://127.0.0.1/callback";
        assert!(redirect_uri_matches(
            loopback,
            "http://127.0.0.1:51234/callback"
        ));
        assert!(!redirect_uri_matches(
            loopback,
            "http://127.0.0.1:51234/other"
        ));
        assert!(!redirect_uri_matches(
            loopback,
            "http://localhost:51234/callback"
        ));
        let https = "https://app.example/cb";
        assert!(redirect_uri_matches(https, https));
        assert!(!redirect_uri_matches(https, "https://app.example/cb/"));
        assert!(!redirect_uri_matches(https, "https://app.example:444/cb"));
        assert!(!redirect_uri_matches(https, "https://app.example/cb?x=1"));
    }

    #[test]
    fn client_names_are_cleaned_and_bounded() {
        assert_eq!(clean_client_name("  Claude\u{0}\n "), Some("Claude".into()));
        assert_eq!(clean_client_name("\u{7}"), None);
        assert_eq!(
            clean_client_name(&"x".repeat(500)).unwrap().chars().count(),
            MAX_CLIENT_NAME
        );
    }

    #[test]
    fn tokens_parse_only_in_their_shape() {
        let token = format!("{ACCESS_PREFIX}{}_{}", "a".repeat(12), "b".repeat(43));
        assert!(parse_token(ACCESS_PREFIX, &token).is_some());
        assert!(parse_token(REFRESH_PREFIX, &token).is_none());
        assert!(parse_token(ACCESS_PREFIX, &token[..token.len() - 1]).is_none());
    }
}
