//! Token lifecycle, authentication failures, rate limiting, timing and revocation, on every
//! test database.

use std::sync::OnceLock;
use std::time::Duration;

use actix::{Actor, Addr};
use aether365_actors::audit::{self, AuditConfig, AuditFilter, AuditLog};
use aether365_actors::directory::{self, NewTenant};
use aether365_actors::testkit::{self, TestDb};
use aether365_actors::tokens::{
    self, AuthError, Authenticate, Expiry, SubscribeRevocations, TokenError, TokenKey,
    TokenValidator, TokenValidatorConfig,
};
use aether365_actors::{Principal, TenantScope};
use aether365_entities::mcp_token;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

struct World {
    org: i64,
    tenants: Vec<i64>,
    other_tenant: i64,
}

async fn world(db: &DatabaseConnection) -> World {
    let org = directory::create_organisation(db, "Contoso")
        .await
        .unwrap()
        .id;
    let other = directory::create_organisation(db, "Fabrikam")
        .await
        .unwrap()
        .id;
    let tenant = |name: &str, domain: &str| NewTenant {
        display_name: name.to_string(),
        microsoft_tenant_id: None,
        domains: vec![domain.to_string()],
    };
    let t1 = directory::add_tenant(db, org, tenant("Prod", "contoso.com"))
        .await
        .unwrap();
    let t2 = directory::add_tenant(db, org, tenant("Lab", "lab.contoso.com"))
        .await
        .unwrap();
    let t3 = directory::add_tenant(db, other, tenant("Prod", "fabrikam.com"))
        .await
        .unwrap();
    World {
        org,
        tenants: vec![t1.id, t2.id],
        other_tenant: t3.id,
    }
}

/// The key every token of these tests is created and verified with.
fn key() -> TokenKey {
    static KEY: OnceLock<TokenKey> = OnceLock::new();
    KEY.get_or_init(TokenKey::generate).clone()
}

fn start(
    db: &DatabaseConnection,
    config: TokenValidatorConfig,
) -> (Addr<TokenValidator>, AuditLog) {
    let config = TokenValidatorConfig {
        key: key(),
        ..config
    };
    let audit = AuditLog::start(db.clone(), AuditConfig::default());
    let validator = TokenValidator::new(db.clone(), audit.clone(), config).start();
    (validator, audit)
}

fn fast_poll() -> TokenValidatorConfig {
    TokenValidatorConfig {
        revocation_poll: Duration::from_millis(100),
        ..TokenValidatorConfig::default()
    }
}

async fn auth(
    validator: &Addr<TokenValidator>,
    bearer: &str,
    addr: &str,
) -> Result<Principal, AuthError> {
    validator
        .send(Authenticate {
            bearer: bearer.to_string(),
            oauth_resources: Vec::new(),
            client_addr: Some(addr.to_string()),
            user_agent: Some("tokens-test".to_string()),
        })
        .await
        .expect("the validator answers")
}

async fn token_row(db: &DatabaseConnection, id: i64) -> mcp_token::Model {
    mcp_token::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn audit_rows(
    db: &DatabaseConnection,
    audit: &AuditLog,
    org: i64,
) -> Vec<aether365_entities::audit_log::Model> {
    audit.flush().await.unwrap();
    audit::list(
        db,
        &AuditFilter {
            organisation_id: org,
            token_id: None,
            since: None,
            limit: 0,
        },
    )
    .await
    .unwrap()
}

#[actix::test]
async fn create_checks_label_scope_and_organisation() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            " claude ",
            Expiry::Year1,
            TenantScope::Only(vec![w.tenants[1], w.tenants[0], w.tenants[1]]),
            None,
        )
        .await
        .unwrap();
        assert!(issued.token.starts_with("a365_"));
        assert_eq!(issued.token.len(), 5 + 12 + 1 + 43);
        // The keyed digest: 64 hex digits, no argon2.
        let digest = issued
            .record
            .secret_hash
            .strip_prefix("hmac-sha256$")
            .unwrap();
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
        let secret = issued.token.rsplit('_').next().unwrap();
        assert!(!issued.record.secret_hash.contains(secret));
        assert!(!format!("{issued:?}").contains(secret));
        assert_eq!(issued.record.label, "claude");
        assert_eq!(issued.record.last_used_at, None);
        let expires = issued.record.expires_at.unwrap() - issued.record.created_at;
        assert_eq!(expires.num_days(), 365);
        let mut sorted = w.tenants.clone();
        sorted.sort();
        assert_eq!(
            tokens::scope_of(&issued.record).unwrap(),
            TenantScope::Only(sorted)
        );

        let never = tokens::create_token(
            &db,
            &key(),
            w.org,
            "ci",
            Expiry::Never,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        assert_eq!(never.record.expires_at, None);
        assert_eq!(tokens::scope_of(&never.record).unwrap(), TenantScope::All);

        let err = tokens::create_token(
            &db,
            &key(),
            w.org,
            "x",
            Expiry::Days90,
            TenantScope::Only(vec![w.tenants[0], w.other_tenant]),
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, TokenError::UnknownTenant(id) if id == w.other_tenant),
            "{err:?}"
        );
        let err = tokens::create_token(
            &db,
            &key(),
            w.org,
            "x",
            Expiry::Days90,
            TenantScope::Only(vec![]),
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, TokenError::EmptyScope), "{err:?}");
        let err = tokens::create_token(
            &db,
            &key(),
            w.org,
            "  ",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, TokenError::InvalidLabel(_)), "{err:?}");
        let err = tokens::create_token(
            &db,
            &key(),
            999_999,
            "x",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, TokenError::UnknownOrganisation(999_999)),
            "{err:?}"
        );

        let listed = tokens::list_tokens(&db, w.org).await.unwrap();
        assert_eq!(
            listed.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![never.record.id, issued.record.id]
        );

        let rows = audit::list(
            &db,
            &AuditFilter {
                organisation_id: w.org,
                token_id: None,
                since: None,
                limit: 0,
            },
        )
        .await
        .unwrap();
        let created: Vec<_> = rows.iter().filter(|r| r.action == "token.create").collect();
        assert_eq!(created.len(), 2);
        assert!(
            created
                .iter()
                .all(|r| r.actor_kind == "cli" && r.outcome == "ok")
        );
        assert!(
            rows.iter()
                .all(|r| !r.detail.clone().unwrap_or_default().contains(secret))
        );
    }
}

#[actix::test]
async fn lifecycle_authenticate_use_expire_revoke() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let (validator, audit) = start(&db, fast_poll());
        let mut revoked = validator.send(SubscribeRevocations).await.unwrap();

        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::Only(vec![w.tenants[0]]),
            None,
        )
        .await
        .unwrap();
        let principal = auth(&validator, &issued.token, "10.0.0.1").await.unwrap();
        assert_eq!(
            principal,
            Principal {
                organisation_id: w.org,
                token_id: issued.record.id,
                token_label: "claude".to_string(),
                tenant_scope: TenantScope::Only(vec![w.tenants[0]]),
            }
        );
        // The first use is recorded before the answer.
        let first_use = token_row(&db, issued.record.id)
            .await
            .last_used_at
            .expect("last_used_at set");
        assert!(first_use >= issued.record.created_at);

        // A cached verification does not write again within the interval (the decision is
        // taken in the handler, so no write can be in flight once it answered).
        for _ in 0..50 {
            assert_eq!(
                auth(&validator, &issued.token, "10.0.0.1").await.unwrap(),
                principal
            );
        }
        assert_eq!(
            token_row(&db, issued.record.id).await.last_used_at,
            Some(first_use)
        );

        // Expiry is checked on cache hits too.
        let short = tokens::create_token(
            &db,
            &key(),
            w.org,
            "short",
            Expiry::Never,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        let expires_at = Utc::now() + chrono::Duration::milliseconds(300);
        mcp_token::Entity::update_many()
            .col_expr(mcp_token::Column::ExpiresAt, Expr::value(Some(expires_at)))
            .filter(mcp_token::Column::Id.eq(short.record.id))
            .exec(&db)
            .await
            .unwrap();
        auth(&validator, &short.token, "10.0.0.1").await.unwrap();
        // Wait for the clock to pass the expiry (an event, not a bound on how long anything takes).
        while Utc::now() <= expires_at {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            auth(&validator, &short.token, "10.0.0.1").await,
            Err(AuthError::Expired)
        );
        assert_eq!(
            auth(&validator, &short.token, "10.0.0.1").await,
            Err(AuthError::Expired)
        );

        // Revocation through the API: announced within a second, then 401.
        let revoked_row = tokens::revoke_token(&db, Some(w.org), issued.record.id)
            .await
            .unwrap();
        assert!(revoked_row.revoked_at.is_some());
        let id = revoked.recv().await.unwrap();
        assert_eq!(id, issued.record.id);
        assert_eq!(
            auth(&validator, &issued.token, "10.0.0.1").await,
            Err(AuthError::Revoked)
        );
        // Revoking again changes nothing.
        let again = tokens::revoke_token(&db, None, issued.record.id)
            .await
            .unwrap();
        assert_eq!(again.revoked_at, revoked_row.revoked_at);
        // Another organisation cannot revoke it.
        let err = tokens::revoke_token(&db, Some(w.org + 1), issued.record.id)
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::NotFound(_)), "{err:?}");

        // Revocation written straight into the database, as another process would.
        let cli = tokens::create_token(
            &db,
            &key(),
            w.org,
            "cursor",
            Expiry::Year1,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        auth(&validator, &cli.token, "10.0.0.1").await.unwrap();
        mcp_token::Entity::update_many()
            .col_expr(mcp_token::Column::RevokedAt, Expr::value(Some(Utc::now())))
            .filter(mcp_token::Column::Id.eq(cli.record.id))
            .exec(&db)
            .await
            .unwrap();
        let id = revoked.recv().await.unwrap();
        assert_eq!(id, cli.record.id);
        assert_eq!(
            auth(&validator, &cli.token, "10.0.0.1").await,
            Err(AuthError::Revoked)
        );

        let rows = audit_rows(&db, &audit, w.org).await;
        let count = |action: &str| rows.iter().filter(|r| r.action == action).count();
        assert_eq!(count("token.create"), 3);
        assert_eq!(count("token.revoke"), 1);
        let failed: Vec<_> = rows.iter().filter(|r| r.action == "auth.failed").collect();
        assert_eq!(failed.len(), 4);
        assert!(
            failed
                .iter()
                .all(|r| r.actor_kind == "token" && r.outcome == "denied")
        );
        assert!(
            failed
                .iter()
                .all(|r| r.client_addr.as_deref() == Some("10.0.0.1"))
        );
        assert_eq!(
            failed
                .iter()
                .filter(|r| r.detail.as_deref() == Some("revoked"))
                .count(),
            2
        );
        assert_eq!(
            failed
                .iter()
                .filter(|r| r.detail.as_deref() == Some("expired"))
                .count(),
            2
        );
        let by_token = audit::list(
            &db,
            &AuditFilter {
                organisation_id: w.org,
                token_id: Some(cli.record.id),
                since: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
        assert_eq!(by_token.len(), 1);
    }
}

#[actix::test]
async fn expired_token_is_refused_without_cache() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let (validator, _audit) = start(&db, fast_poll());
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "old",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        mcp_token::Entity::update_many()
            .col_expr(
                mcp_token::Column::ExpiresAt,
                Expr::value(Some(Utc::now() - chrono::Duration::seconds(1))),
            )
            .filter(mcp_token::Column::Id.eq(issued.record.id))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            auth(&validator, &issued.token, "10.0.0.9").await,
            Err(AuthError::Expired)
        );
        assert_eq!(token_row(&db, issued.record.id).await.last_used_at, None);
    }
}

#[actix::test]
async fn malformed_missing_and_wrong_tokens() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let (validator, audit) = start(&db, fast_poll());
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            auth(&validator, "", "10.1.0.1").await,
            Err(AuthError::Missing)
        );
        assert_eq!(
            auth(&validator, "   ", "10.1.0.1").await,
            Err(AuthError::Missing)
        );
        let lookup = &issued.token[5..17];
        for bad in [
            "hello".to_string(),
            format!("Bearer {}", issued.token),
            format!("{}x", issued.token),
            issued.token[..issued.token.len() - 1].to_string(),
            issued.token.replace("a365_", "a364_"),
            format!("a365_{lookup}_{}", "é".repeat(43)),
            "a365_".to_string(),
        ] {
            assert_eq!(
                auth(&validator, &bad, &format!("10.1.0.{}", bad.len())).await,
                Err(AuthError::Malformed),
                "{bad:?}"
            );
        }
        // A wrong secret for a real lookup id, and an unknown lookup id.
        let wrong_secret = format!("a365_{lookup}_{}", "A".repeat(43));
        assert_eq!(
            auth(&validator, &wrong_secret, "10.1.1.1").await,
            Err(AuthError::Invalid)
        );
        let unknown = format!("a365_{}_{}", "Z".repeat(12), "A".repeat(43));
        assert_eq!(
            auth(&validator, &unknown, "10.1.1.2").await,
            Err(AuthError::Invalid)
        );
        assert_eq!(token_row(&db, issued.record.id).await.last_used_at, None);

        audit.flush().await.unwrap();
        let org_rows = audit::list(
            &db,
            &AuditFilter {
                organisation_id: w.org,
                token_id: Some(issued.record.id),
                since: None,
                limit: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(org_rows.len(), 1);
        assert_eq!(org_rows[0].detail.as_deref(), Some("invalid"));
        assert_eq!(org_rows[0].client_addr.as_deref(), Some("10.1.1.1"));
        let anonymous = aether365_entities::audit_log::Entity::find()
            .filter(aether365_entities::audit_log::Column::ActorKind.eq("anonymous"))
            .filter(aether365_entities::audit_log::Column::Action.eq("auth.failed"))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(anonymous, 8, "seven malformed and one unknown lookup id");
    }
}

#[actix::test]
async fn failures_are_rate_limited_per_client_address() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let config = TokenValidatorConfig {
            failure_limit: 3,
            ..fast_poll()
        };
        let (validator, audit) = start(&db, config);
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        let cached = tokens::create_token(
            &db,
            &key(),
            w.org,
            "cursor",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        auth(&validator, &cached.token, "192.0.2.7").await.unwrap();
        let wrong = format!("a365_{}_{}", &issued.token[5..17], "B".repeat(43));
        for _ in 0..3 {
            assert_eq!(
                auth(&validator, &wrong, "192.0.2.7").await,
                Err(AuthError::Invalid)
            );
        }
        for bearer in [&wrong, "garbage", &issued.token] {
            match auth(&validator, bearer, "192.0.2.7").await {
                Err(AuthError::RateLimited { retry_after }) => {
                    assert!(
                        retry_after > Duration::from_secs(50)
                            && retry_after <= Duration::from_secs(60),
                        "{retry_after:?}"
                    );
                }
                other => panic!("expected RateLimited, got {other:?}"),
            }
        }
        let text = AuthError::RateLimited {
            retry_after: Duration::from_secs(42),
        }
        .to_string();
        assert!(text.contains("42"), "{text}");
        // A token verified moments ago still passes; other addresses are not affected.
        auth(&validator, &cached.token, "192.0.2.7").await.unwrap();
        auth(&validator, &issued.token, "192.0.2.8").await.unwrap();

        let rows = audit_rows(&db, &audit, w.org).await;
        let failed: Vec<_> = rows.iter().filter(|r| r.action == "auth.failed").collect();
        assert_eq!(
            failed.len(),
            3,
            "rate-limited refusals are not audited one by one"
        );
        assert_eq!(
            failed
                .iter()
                .filter(|r| r.detail.as_deref() == Some("invalid; client now rate limited"))
                .count(),
            1
        );
    }
}

#[actix::test]
async fn unknown_lookup_ids_and_wrong_secrets_fail_alike() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let (validator, audit) = start(&db, fast_poll());
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        let lookup = &issued.token[5..17];
        let secret = "0".repeat(43);
        let wrong = auth(
            &validator,
            &format!("a365_{lookup}_{secret}"),
            "198.51.100.1",
        )
        .await;
        let unknown = auth(
            &validator,
            &format!("a365_{}_{secret}", "Q".repeat(12)),
            "198.51.100.1",
        )
        .await;
        assert_eq!(wrong, Err(AuthError::Invalid));
        assert_eq!(unknown, wrong);
        // The right secret under another key is wrong too: the key is part of the secret.
        let other = TokenValidator::new(
            db.clone(),
            audit.clone(),
            TokenValidatorConfig {
                key: TokenKey::generate(),
                ..fast_poll()
            },
        )
        .start();
        assert_eq!(
            auth(&other, &issued.token, "198.51.100.2").await,
            Err(AuthError::Invalid)
        );
        let rows = audit_rows(&db, &audit, w.org).await;
        assert_eq!(rows.iter().filter(|r| r.action == "auth.failed").count(), 2);
    }
}

#[actix::test]
async fn legacy_argon2_tokens_work_and_are_upgraded_on_first_use() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "old",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        // The row as a server before the keyed digest stored it.
        let secret = issued.token.rsplit('_').next().unwrap().to_string();
        let phc = aether365_actors::hashing::hash_secret(&secret).unwrap();
        mcp_token::Entity::update_many()
            .col_expr(mcp_token::Column::SecretHash, Expr::value(phc.clone()))
            .filter(mcp_token::Column::Id.eq(issued.record.id))
            .exec(&db)
            .await
            .unwrap();
        let (validator, _audit) = start(&db, fast_poll());
        let (head, last) = issued.token.split_at(issued.token.len() - 1);
        let wrong = format!("{head}{}", if last == "x" { "y" } else { "x" });
        assert_eq!(
            auth(&validator, &wrong, "10.3.0.1").await,
            Err(AuthError::Invalid)
        );
        assert_eq!(token_row(&db, issued.record.id).await.secret_hash, phc);

        let principal = auth(&validator, &issued.token, "10.3.0.1").await.unwrap();
        assert_eq!(principal.token_id, issued.record.id);
        let upgraded = token_row(&db, issued.record.id).await.secret_hash;
        assert!(upgraded.starts_with("hmac-sha256$"), "{upgraded}");
        // A fresh validator (no cache) accepts the upgraded row, and only the right secret.
        let (fresh, _audit) = start(&db, fast_poll());
        assert_eq!(
            auth(&fresh, &issued.token, "10.3.0.2")
                .await
                .map(|p| p.token_id),
            Ok(issued.record.id)
        );
        assert_eq!(
            auth(&fresh, &wrong, "10.3.0.2").await,
            Err(AuthError::Invalid)
        );
    }
}

#[actix::test]
async fn in_process_revocation_is_immediate() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let config = TokenValidatorConfig {
            revocation_poll: Duration::from_secs(3600),
            ..TokenValidatorConfig::default()
        };
        let (validator, _audit) = start(&db, config);
        let mut revoked = validator.send(SubscribeRevocations).await.unwrap();
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        auth(&validator, &issued.token, "10.2.0.1").await.unwrap();
        tokens::revoke_token(&db, Some(w.org), issued.record.id)
            .await
            .unwrap();
        validator
            .send(tokens::TokenRevoked(issued.record.id))
            .await
            .unwrap();
        assert_eq!(revoked.try_recv().unwrap(), issued.record.id);
        assert_eq!(
            auth(&validator, &issued.token, "10.2.0.1").await,
            Err(AuthError::Revoked)
        );
    }
}

#[actix::test]
async fn concurrent_guesses_cannot_overrun_the_allowance() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let config = TokenValidatorConfig {
            failure_limit: 3,
            ..fast_poll()
        };
        let (validator, _audit) = start(&db, config);
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "claude",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        let lookup = &issued.token[5..17];
        let guesses = (0..20)
            .map(|i| format!("a365_{lookup}_{i:0>43}"))
            .collect::<Vec<_>>();
        let answers = futures_util::future::join_all(
            guesses.iter().map(|g| auth(&validator, g, "203.0.113.5")),
        )
        .await;
        let invalid = answers
            .iter()
            .filter(|a| **a == Err(AuthError::Invalid))
            .count();
        let limited = answers
            .iter()
            .filter(|a| matches!(a, Err(AuthError::RateLimited { .. })))
            .count();
        assert_eq!((invalid, limited), (3, 17), "{answers:?}");
    }
}

#[actix::test]
async fn a_burst_of_one_valid_token_on_a_cold_cache_is_verified_once() {
    for TestDb { db, .. } in testkit::databases().await {
        let w = world(&db).await;
        let (validator, _audit) = start(&db, TokenValidatorConfig::default());
        let issued = tokens::create_token(
            &db,
            &key(),
            w.org,
            "burst",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        // 300 sessions connect at once with the same token from one address: one verification
        // answers them all, and none is refused by the failure limiter or the queue bound
        // (258 verifications at most may be under way: 300 separate ones would be refused).
        let answers = futures_util::future::join_all(
            (0..300).map(|_| auth(&validator, &issued.token, "10.9.0.1")),
        )
        .await;
        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().map(|p| p.token_id) == Ok(issued.record.id))
        );
        // A burst of the same wrong token is one failed guess, not 300.
        let (head, last) = issued.token.split_at(issued.token.len() - 1);
        let wrong = format!("{head}{}", if last == "x" { "y" } else { "x" });
        let answers =
            futures_util::future::join_all((0..50).map(|_| auth(&validator, &wrong, "10.9.0.2")))
                .await;
        assert!(
            answers.iter().all(|a| *a == Err(AuthError::Invalid)),
            "{answers:?}"
        );
        assert_eq!(
            auth(&validator, &issued.token, "10.9.0.2")
                .await
                .map(|p| p.token_id),
            Ok(issued.record.id),
            "the address is not rate limited after one failed guess"
        );
    }
}
