//! The `TokenValidator` actor: authenticates bearers, remembers recent successes, rate
//! limits failures per client address, and announces revocations.
//!
//! A bearer costs one indexed row lookup and one HMAC-SHA256 under the server's
//! [`TokenKey`], compared in constant time; an unknown lookup id is compared against a fixed
//! digest, so it takes the same path as a wrong secret. Rows still holding an argon2id hash
//! (tokens created before the keyed digest) are verified with argon2 on tokio's blocking pool,
//! at most `max_concurrent_verifications` at once, and rewritten to the digest on their first
//! success. At most `max_concurrent_verifications + max_queued_verifications` bearers are
//! verified at once; beyond, a bearer is answered [`AuthError::Unavailable`]. Revocations are
//! found by polling the database, so a revocation by another process (the CLI) counts too.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::fut::{ready, wrap_future};
use actix::{
    Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, MessageResult,
    ResponseActFuture, Supervised, WrapFuture,
};
use aether365_entities::mcp_token;
use chrono::{DateTime, Utc};
use futures_util::future::Either;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::{Semaphore, broadcast, oneshot};

use super::cache::{Fingerprint, VerifiedCache};
use super::error::AuthError;
use super::format;
use super::key::{StoredSecret, TokenKey};
use super::rate_limit::FailureLimiter;
use super::store::{find_by_lookup, scope_of};
use crate::audit::{ActorKind, AuditEvent, AuditLog, Outcome};
use crate::hashing;
use crate::principal::Principal;

/// Token ids per revocation query.
const POLL_CHUNK: usize = 500;

/// Settings of the [`TokenValidator`].
#[derive(Clone, Debug)]
pub struct TokenValidatorConfig {
    /// The key of token digests. The default is a fresh random key: `serve` loads the key
    /// file instead ([`TokenKey::load_or_create`]).
    pub key: TokenKey,
    /// How long a successful verification is remembered.
    pub cache_ttl: Duration,
    /// argon2 verifications (legacy rows only) running at once.
    pub max_concurrent_verifications: usize,
    /// Verifications waiting for a slot; beyond, bearers get `Unavailable`.
    pub max_queued_verifications: usize,
    /// Failed authentications allowed per client address and window.
    pub failure_limit: u32,
    pub failure_window: Duration,
    /// How often the database is asked for revocations.
    pub revocation_poll: Duration,
    /// Least time between two `last_used_at` writes of one token.
    pub last_used_interval: Duration,
}

impl Default for TokenValidatorConfig {
    fn default() -> Self {
        TokenValidatorConfig {
            key: TokenKey::generate(),
            cache_ttl: Duration::from_secs(60),
            max_concurrent_verifications: 2,
            max_queued_verifications: 256,
            failure_limit: 10,
            failure_window: Duration::from_secs(60),
            revocation_poll: Duration::from_millis(250),
            last_used_interval: Duration::from_secs(60),
        }
    }
}

/// Authenticates a bearer token; answers the caller's [`Principal`].
pub struct Authenticate {
    /// The token, without `Bearer `.
    pub bearer: String,
    /// The resources an OAuth access token must be bound to: this server's MCP endpoints as
    /// its public URL names them now (a token minted under another public URL is refused).
    /// Headless tokens are not bound to a resource.
    pub oauth_resources: Vec<String>,
    /// The client's address: failures are rate limited per address.
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticate")
            .field("client_addr", &self.client_addr)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl Message for Authenticate {
    type Result = Result<Principal, AuthError>;
}

/// Subscribes to the ids of revoked tokens (announced within one poll interval of the
/// revocation, by whichever process). Subscribe before authenticating to miss nothing.
#[derive(Debug)]
pub struct SubscribeRevocations;

impl Message for SubscribeRevocations {
    type Result = broadcast::Receiver<i64>;
}

/// Tells the validator at once that a token was revoked in this process (the poll would
/// notice within `revocation_poll` anyway): its cache entries go and subscribers hear of it.
#[derive(Debug)]
pub struct TokenRevoked(pub i64);

impl Message for TokenRevoked {
    type Result = ();
}

/// Where a request came from, for failure audit rows and rate limiting.
struct Client {
    addr: Option<String>,
    user_agent: Option<String>,
}

impl Client {
    /// The rate-limit key: clients without an address share one allowance.
    fn key(&self) -> &str {
        self.addr.as_deref().unwrap_or("")
    }
}

/// The supervised token validator. Start it with
/// `Supervisor::start(|_| TokenValidator::new(db, audit, config))`.
pub struct TokenValidator {
    db: DatabaseConnection,
    audit: AuditLog,
    config: TokenValidatorConfig,
    cache: VerifiedCache,
    limiter: FailureLimiter,
    slots: Arc<Semaphore>,
    /// Verifications started and not yet concluded.
    verifying: usize,
    /// Tokens that authenticated here: the ones whose revocation matters to open sessions.
    watched: HashSet<i64>,
    /// When each token's `last_used_at` was last written by this process.
    last_used_written: HashMap<i64, Instant>,
    polling: bool,
    revocations: broadcast::Sender<i64>,
    /// Requests waiting on a verification of the same bearer already under way: one argon2
    /// run answers them all, and they never count against the failure limiter.
    joined: HashMap<Fingerprint, Vec<oneshot::Sender<Result<Principal, AuthError>>>>,
}

impl TokenValidator {
    /// A validator over `db`, auditing failed authentications through `audit`.
    pub fn new(
        db: DatabaseConnection,
        audit: AuditLog,
        config: TokenValidatorConfig,
    ) -> TokenValidator {
        let (revocations, _) = broadcast::channel(1024);
        TokenValidator {
            db,
            audit,
            cache: VerifiedCache::new(config.cache_ttl),
            limiter: FailureLimiter::new(config.failure_limit, config.failure_window),
            slots: Arc::new(Semaphore::new(config.max_concurrent_verifications.max(1))),
            verifying: 0,
            watched: HashSet::new(),
            last_used_written: HashMap::new(),
            polling: false,
            revocations,
            joined: HashMap::new(),
            config,
        }
    }

    /// Shares `cache` with readers outside the actor (see [`VerifiedCache::principal`]).
    pub fn with_cache(mut self, cache: VerifiedCache) -> TokenValidator {
        self.cache = cache;
        self
    }

    /// The cache of recent verifications, readable without a round trip to this actor.
    pub fn verified_cache(&self) -> VerifiedCache {
        self.cache.clone()
    }

    /// Answers a failure: counts it against the client, audits it, then answers `error`.
    fn fail(
        &mut self,
        error: AuthError,
        token: Option<&mcp_token::Model>,
        client: Client,
    ) -> ResponseActFuture<Self, Result<Principal, AuthError>> {
        let now_limited = self.limiter.record_failure(client.key(), Instant::now());
        let mut detail = error.reason().to_string();
        if now_limited {
            tracing::warn!(
                client = client.key(),
                "client rate limited after failed authentications"
            );
            detail.push_str("; client now rate limited");
        }
        let mut event = AuditEvent::new(ActorKind::Anonymous, "auth.failed")
            .outcome(Outcome::Denied)
            .detail(detail)
            .client_addr(client.addr)
            .user_agent(client.user_agent);
        if let Some(token) = token {
            event = event
                .actor_kind(ActorKind::Token)
                .organisation(token.organisation_id)
                .actor_id(token.id)
                .actor_label(token.label.clone());
        }
        tracing::info!(
            reason = error.reason(),
            token_id = token.map(|t| t.id),
            "authentication failed"
        );
        let audit = self.audit.clone();
        Box::pin(wrap_future(async move {
            if let Err(e) = audit.record(event).await {
                tracing::error!("failed authentication not audited: {e}");
            }
            Err(error)
        }))
    }

    /// Concludes a verification: a principal, or the failure to answer.
    fn conclude(
        &mut self,
        fingerprint: Fingerprint,
        verified: Result<(Option<mcp_token::Model>, Check), AuthError>,
        client: Client,
    ) -> ResponseActFuture<Self, Result<Principal, AuthError>> {
        let token = match verified {
            Err(e) => return Box::pin(ready(Err(e))),
            Ok((None, _)) => return self.fail(AuthError::Invalid, None, client),
            Ok((Some(token), Check::Wrong)) => {
                return self.fail(AuthError::Invalid, Some(&token), client);
            }
            Ok((Some(token), Check::OtherResource)) => {
                return self.fail(AuthError::OtherResource, Some(&token), client);
            }
            Ok((Some(token), Check::Right)) => token,
        };
        if token.revoked_at.is_some() {
            return self.fail(AuthError::Revoked, Some(&token), client);
        }
        if is_expired(token.expires_at) {
            return self.fail(AuthError::Expired, Some(&token), client);
        }
        let tenant_scope = match scope_of(&token) {
            Ok(scope) => scope,
            Err(e) => {
                tracing::error!(token_id = token.id, "{e}");
                return self.fail(AuthError::Invalid, Some(&token), client);
            }
        };
        let principal = Principal {
            organisation_id: token.organisation_id,
            token_id: token.id,
            token_label: token.label.clone(),
            tenant_scope,
        };
        let now = Instant::now();
        self.cache
            .insert(fingerprint, principal.clone(), token.expires_at, now);
        self.watched.insert(token.id);
        if token.last_used_at.is_none() {
            // The first use is written before answering, so "never used" is never wrong.
            self.last_used_written.insert(token.id, now);
            let db = self.db.clone();
            return Box::pin(wrap_future(async move {
                if let Err(e) = write_last_used(&db, principal.token_id).await {
                    tracing::warn!(
                        token_id = principal.token_id,
                        "cannot record the token's use: {e}"
                    );
                }
                Ok(principal)
            }));
        }
        self.note_use(principal.token_id, now);
        Box::pin(ready(Ok(principal)))
    }

    /// Writes `last_used_at` in the background, at most once per interval and token.
    fn note_use(&mut self, token_id: i64, now: Instant) {
        let due = self
            .last_used_written
            .get(&token_id)
            .is_none_or(|at| now.saturating_duration_since(*at) >= self.config.last_used_interval);
        if !due {
            return;
        }
        self.last_used_written.insert(token_id, now);
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = write_last_used(&db, token_id).await {
                tracing::warn!(token_id, "cannot record the token's use: {e}");
            }
        });
    }

    /// Asks the database which watched tokens were revoked (or deleted) and announces them.
    fn poll_revocations(&mut self, ctx: &mut Context<Self>) {
        if self.polling || self.watched.is_empty() {
            return;
        }
        self.polling = true;
        let ids: Vec<i64> = self.watched.iter().copied().collect();
        let db = self.db.clone();
        let poll = async move {
            let mut gone = Vec::new();
            for chunk in ids.chunks(POLL_CHUNK) {
                let rows: Vec<(i64, Option<DateTime<Utc>>)> = mcp_token::Entity::find()
                    .select_only()
                    .column(mcp_token::Column::Id)
                    .column(mcp_token::Column::RevokedAt)
                    .filter(mcp_token::Column::Id.is_in(chunk.to_vec()))
                    .into_tuple()
                    .all(&db)
                    .await?;
                let live: HashSet<i64> = rows
                    .iter()
                    .filter(|(_, revoked_at)| revoked_at.is_none())
                    .map(|(id, _)| *id)
                    .collect();
                gone.extend(chunk.iter().filter(|id| !live.contains(id)));
            }
            Ok::<_, sea_orm::DbErr>(gone)
        };
        ctx.spawn(poll.into_actor(self).map(|result, act, _ctx| {
            act.polling = false;
            match result {
                Ok(gone) => {
                    for token_id in gone {
                        act.revoke_locally(token_id);
                    }
                }
                Err(e) => tracing::warn!("cannot poll token revocations: {e}"),
            }
        }));
    }

    /// Forgets a revoked token and tells the subscribers.
    fn revoke_locally(&mut self, token_id: i64) {
        self.watched.remove(&token_id);
        self.last_used_written.remove(&token_id);
        self.cache.remove_token(token_id);
        tracing::info!(token_id, "token revoked; closing its sessions");
        // No subscriber is no error: no session is open.
        let _ = self.revocations.send(token_id);
    }
}

fn is_expired(expires_at: Option<DateTime<Utc>>) -> bool {
    expires_at.is_some_and(|at| at <= Utc::now())
}

async fn write_last_used(db: &DatabaseConnection, token_id: i64) -> Result<(), sea_orm::DbErr> {
    mcp_token::Entity::update_many()
        .col_expr(mcp_token::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(mcp_token::Column::Id.eq(token_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// What a verification found of the secret presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// The secret is the token's.
    Right,
    /// The secret is not the token's (or no token has the lookup id).
    Wrong,
    /// The secret is an OAuth access token's, bound to a resource that is not this server's.
    OtherResource,
}

impl From<bool> for Check {
    fn from(matches: bool) -> Check {
        if matches { Check::Right } else { Check::Wrong }
    }
}

/// The digest an unknown lookup id is compared against: no secret matches it in practice,
/// and comparing costs what a wrong secret costs.
const NO_DIGEST: [u8; 32] = [0; 32];

/// Loads the row of `lookup_id` and verifies `secret` against it (or against [`NO_DIGEST`]).
async fn verify(
    db: DatabaseConnection,
    key: TokenKey,
    slots: Arc<Semaphore>,
    lookup_id: String,
    secret: String,
) -> Result<(Option<mcp_token::Model>, Check), AuthError> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!("token verification failed: {e}");
        AuthError::Unavailable("try again later".to_string())
    };
    let token = find_by_lookup(&db, &lookup_id)
        .await
        .map_err(|e| unavailable(&e))?;
    let stored = token.as_ref().map(|t| t.secret_hash.as_str());
    let matches = match stored.map(StoredSecret::parse) {
        Some(StoredSecret::Digest(digest)) => key.matches(&lookup_id, &secret, &digest),
        None | Some(StoredSecret::Unusable) => key.matches(&lookup_id, &secret, &NO_DIGEST),
        Some(StoredSecret::Argon2(phc)) => {
            let phc = phc.to_string();
            let _slot = slots.acquire_owned().await.map_err(|e| unavailable(&e))?;
            let candidate = secret.clone();
            let matches =
                tokio::task::spawn_blocking(move || hashing::verify_secret(&phc, &candidate))
                    .await
                    .map_err(|e| unavailable(&e))?;
            if let (true, Some(token)) = (matches, &token) {
                upgrade(&db, &key, token, &secret).await;
            }
            matches
        }
    };
    Ok((token, matches.into()))
}

/// Verifies the access token of an OAuth grant: answers the grant's row as [`verify`] answers
/// a headless token's (expiry and revocation folded in), so [`TokenValidator::conclude`]
/// treats both alike.
async fn verify_oauth(
    db: DatabaseConnection,
    key: TokenKey,
    lookup_id: String,
    secret: String,
    resources: Vec<String>,
) -> Result<(Option<mcp_token::Model>, Check), AuthError> {
    let (grant, matches, resource) = crate::oauth::verify_access(&db, &key, &lookup_id, &secret)
        .await
        .map_err(|e| {
            tracing::error!("OAuth token verification failed: {e}");
            AuthError::Unavailable("try again later".to_string())
        })?;
    // Re-checked at each verification: a token minted for another resource (another server,
    // or this one under another public URL) is refused.
    let check = match resource {
        Some(r) if matches && !resources.contains(&r) => Check::OtherResource,
        _ => Check::from(matches),
    };
    Ok((grant, check))
}

/// Rewrites a legacy argon2 row to the keyed digest, once its secret proved right. A failed
/// write only postpones the upgrade to the next use.
async fn upgrade(db: &DatabaseConnection, key: &TokenKey, token: &mcp_token::Model, secret: &str) {
    let written = mcp_token::Entity::update_many()
        .col_expr(
            mcp_token::Column::SecretHash,
            Expr::value(key.digest(&token.lookup_id, secret)),
        )
        .filter(mcp_token::Column::Id.eq(token.id))
        .filter(mcp_token::Column::SecretHash.eq(token.secret_hash.as_str()))
        .exec(db)
        .await;
    match written {
        Ok(_) => tracing::info!(token_id = token.id, "token upgraded to the keyed digest"),
        Err(e) => tracing::warn!(
            token_id = token.id,
            "cannot upgrade the token's digest: {e}"
        ),
    }
}

impl Actor for TokenValidator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        ctx.run_interval(self.config.revocation_poll, |act, ctx| {
            act.poll_revocations(ctx);
            // Hits served from the shared cache count as uses too.
            let now = Instant::now();
            for token_id in act.cache.take_used() {
                act.note_use(token_id, now);
            }
        });
        ctx.run_interval(Duration::from_secs(30), |act, _ctx| {
            let now = Instant::now();
            act.cache.prune(now);
            act.limiter.prune(now);
        });
    }
}

impl Supervised for TokenValidator {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("token validator restarting");
        self.polling = false;
        self.verifying = 0;
        self.joined.clear();
        self.limiter.clear_running();
    }
}

impl Handler<Authenticate> for TokenValidator {
    type Result = ResponseActFuture<Self, Result<Principal, AuthError>>;

    fn handle(&mut self, msg: Authenticate, _ctx: &mut Self::Context) -> Self::Result {
        let client = Client {
            addr: msg.client_addr,
            user_agent: msg.user_agent,
        };
        let bearer = msg.bearer.trim();
        if bearer.is_empty() {
            return Box::pin(ready(Err(AuthError::Missing)));
        }
        let now = Instant::now();
        let fingerprint = self.cache.fingerprint(bearer);
        if let Some(hit) = self.cache.get(&fingerprint, now) {
            if is_expired(hit.expires_at) {
                self.cache.remove(&fingerprint);
                // Expired tokens fail like any other; the row is reloaded below.
            } else {
                let principal = hit.principal;
                self.note_use(principal.token_id, now);
                return Box::pin(ready(Ok(principal)));
            }
        }
        if let Some(waiting) = self.joined.get_mut(&fingerprint) {
            let (tx, rx) = oneshot::channel();
            waiting.push(tx);
            return Box::pin(wrap_future(async move {
                rx.await
                    .unwrap_or_else(|_| Err(AuthError::Unavailable("try again later".to_string())))
            }));
        }
        if let Err(retry_after) = self.limiter.check(client.key(), now) {
            tracing::debug!(
                client = client.key(),
                "authentication refused: rate limited"
            );
            return Box::pin(ready(Err(AuthError::RateLimited { retry_after })));
        }
        // Headless tokens, or the access tokens of OAuth grants.
        let (lookup_id, secret, oauth) = match format::parse(bearer) {
            Some(parts) => (parts.lookup_id, parts.secret, false),
            None => match crate::oauth::parse_token(crate::oauth::ACCESS_PREFIX, bearer) {
                Some((lookup_id, secret)) => (lookup_id, secret, true),
                None => return self.fail(AuthError::Malformed, None, client),
            },
        };
        let capacity =
            self.config.max_concurrent_verifications.max(1) + self.config.max_queued_verifications;
        if self.verifying >= capacity {
            tracing::warn!(
                verifying = self.verifying,
                "too many token verifications waiting"
            );
            return Box::pin(ready(Err(AuthError::Unavailable(
                "too many authentications in progress; try again".to_string(),
            ))));
        }
        self.verifying += 1;
        self.limiter.start(client.key());
        self.joined.insert(fingerprint, Vec::new());
        let verification = if oauth {
            Either::Left(verify_oauth(
                self.db.clone(),
                self.config.key.clone(),
                lookup_id.to_string(),
                secret.to_string(),
                msg.oauth_resources,
            ))
        } else {
            Either::Right(verify(
                self.db.clone(),
                self.config.key.clone(),
                self.slots.clone(),
                lookup_id.to_string(),
                secret.to_string(),
            ))
        };
        Box::pin(
            verification
                .into_actor(self)
                .then(move |verified, act, _ctx| {
                    act.verifying = act.verifying.saturating_sub(1);
                    act.limiter.finish(client.key());
                    act.conclude(fingerprint, verified, client)
                })
                .map(move |answer, act, _ctx| {
                    for waiter in act.joined.remove(&fingerprint).unwrap_or_default() {
                        // A waiter that went away needs no answer.
                        let _ = waiter.send(answer.clone());
                    }
                    answer
                }),
        )
    }
}

impl Handler<SubscribeRevocations> for TokenValidator {
    type Result = MessageResult<SubscribeRevocations>;

    fn handle(&mut self, _: SubscribeRevocations, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.revocations.subscribe())
    }
}

impl Handler<TokenRevoked> for TokenValidator {
    type Result = ();

    fn handle(&mut self, TokenRevoked(token_id): TokenRevoked, _ctx: &mut Self::Context) {
        self.revoke_locally(token_id);
    }
}
