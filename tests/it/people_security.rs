//! Issue 20, items 5 and 8: the last owner under simultaneous demotions (two instances on
//! PostgreSQL), a removed or demoted person's MCP tokens, invitations of addresses registered
//! in another organisation, future-dated imports, `/readyz`'s writes and forwarded hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aether365::http::{Application, ServerConfig, TrustedProxy};
use aether365_actors::system::BackendConfig;
use aether365_actors::{Backend, db, directory, testkit};
use aether365_entities::{audit_log, cluster_message, config_snapshot, user};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::common::{Options, TestApp, databases, other_organisation, spawn_app, spawn_app_with};
use crate::dashboard::{PASSWORD, Session, json_of, login, sign_in};

/// Another HTTP instance on `app`'s database with its own pool and backend; its address.
async fn second_instance(app: &TestApp) -> (String, Backend) {
    let pool = db::open(&app.testdb.url).await.unwrap();
    let mut config = BackendConfig {
        instance_id: "second".into(),
        ..BackendConfig::default()
    };
    config.tokens.key = app.backend.token_key.clone();
    let backend = Backend::start(pool, config);
    backend.bus.ready().await;
    let server = Application::build(
        ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        },
        backend.clone(),
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    actix_web::rt::spawn(server.run_until_stopped());
    (address, backend)
}

fn patch_role(
    app: &TestApp,
    address: &str,
    session: &Session,
    id: i64,
    role: &str,
) -> reqwest::RequestBuilder {
    app.client
        .patch(format!("{address}/api/v1/people/{id}"))
        .header("Cookie", &session.cookie)
        .json(&json!({"role": role}))
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.testdb.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn owners(app: &TestApp) -> u64 {
    user::Entity::find()
        .filter(user::Column::OrganisationId.eq(app.organisation_id))
        .filter(user::Column::Role.eq("owner"))
        .count(&app.testdb.db)
        .await
        .unwrap()
}

/// Two owners demote each other at the same moment, each through another instance (another
/// pool): exactly one succeeds, the other gets a 409 problem, one owner remains. Repeated.
#[actix_web::test]
async fn the_last_owner_survives_simultaneous_demotions() {
    let Some(pg) = testkit::postgres().await.unwrap() else {
        return;
    };
    let app = spawn_app(pg).await;
    let (second, _backend) = second_instance(&app).await;
    let alice = sign_in(&app, "alice@contoso.example", "owner").await;
    let bob = sign_in(&app, "bob@contoso.example", "owner").await;
    let (alice_id, bob_id) = (
        user_id(&app, "alice@contoso.example").await,
        user_id(&app, "bob@contoso.example").await,
    );
    for round in 0..20 {
        assert_eq!(
            owners(&app).await,
            2,
            "round {round} starts with two owners"
        );
        let (a, b) = tokio::join!(
            patch_role(&app, &app.address, &alice, bob_id, "admin").send(),
            patch_role(&app, &second, &bob, alice_id, "admin").send(),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let statuses = [a.status(), b.status()];
        assert_eq!(owners(&app).await, 1, "round {round}: {statuses:?}");
        assert!(
            statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
            "round {round}: {statuses:?}"
        );
        let (winner, refused) = if a.status() == StatusCode::OK {
            (&alice, b)
        } else {
            (&bob, a)
        };
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
        let problem = json_of(refused).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("last owner"),
            "{problem}"
        );
        // The survivor makes the other owner again for the next round.
        let other = if std::ptr::eq(winner, &alice) {
            bob_id
        } else {
            alice_id
        };
        let r = patch_role(&app, &app.address, winner, other, "owner")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // A demoted owner cannot act as an owner on the strength of their session.
    let r = patch_role(&app, &app.address, &alice, bob_id, "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = patch_role(&app, &second, &bob, bob_id, "owner")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(owners(&app).await, 1);
}

async fn create_token(app: &TestApp, session: &Session, label: &str, expires: &str) -> String {
    let r = session
        .post(
            app,
            "/api/v1/tokens",
            json!({"label": label, "expires": expires}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    json_of(r).await["token"].as_str().unwrap().to_string()
}

/// Removing a person, or lowering them to viewer, revokes the MCP tokens they created (a
/// `never` token too), at once, audited; lowering an owner to admin keeps them.
#[actix_web::test]
async fn a_removed_or_demoted_persons_tokens_stop_at_once() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let ada = sign_in(&app, "ada@contoso.example", "admin").await;
        let never = create_token(&app, &ada, "ada's laptop", "never").await;
        let yearly = create_token(&app, &ada, "ada's ci", "1y").await;
        assert_eq!(app.initialize_status(&app.address, &never).await, 200);
        assert_eq!(app.initialize_status(&app.address, &yearly).await, 200);
        let ada_id = user_id(&app, "ada@contoso.example").await;
        let r = owner
            .delete(&app, &format!("/api/v1/people/{ada_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let removed = json_of(r).await;
        assert_eq!(removed["tokens_revoked"], 2, "{removed}");
        assert_eq!(removed["user"]["email"], "ada@contoso.example");
        assert_eq!(app.initialize_status(&app.address, &never).await, 401);
        assert_eq!(app.initialize_status(&app.address, &yearly).await, 401);
        // The test organisation's own token (created by nobody) still works.
        assert_eq!(app.initialize_status(&app.address, &app.token).await, 200);

        // An owner lowered to admin keeps their tokens; lowered to viewer, loses them.
        let olga = sign_in(&app, "olga@contoso.example", "owner").await;
        let olga_token = create_token(&app, &olga, "olga's", "90d").await;
        let olga_id = user_id(&app, "olga@contoso.example").await;
        let r = patch_role(&app, &app.address, &owner, olga_id, "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let changed = json_of(r).await;
        assert_eq!(changed["role"], "admin");
        assert_eq!(changed["tokens_revoked"], 0);
        assert_eq!(app.initialize_status(&app.address, &olga_token).await, 200);
        let r = patch_role(&app, &app.address, &owner, olga_id, "viewer")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(json_of(r).await["tokens_revoked"], 1);
        assert_eq!(app.initialize_status(&app.address, &olga_token).await, 401);
        // Made admin again, the revoked token stays revoked.
        let r = patch_role(&app, &app.address, &owner, olga_id, "admin")
            .send()
            .await
            .unwrap();
        assert_eq!(json_of(r).await["tokens_revoked"], 0);
        assert_eq!(app.initialize_status(&app.address, &olga_token).await, 401);

        let revocations = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("token.revoke"))
            .filter(audit_log::Column::OrganisationId.eq(app.organisation_id))
            .count(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(revocations, 3);
    }
}

/// On PostgreSQL, a token in use on another instance stops there too once its creator is
/// removed.
#[actix_web::test]
async fn a_removed_persons_token_stops_on_every_instance() {
    let Some(pg) = testkit::postgres().await.unwrap() else {
        return;
    };
    let app = spawn_app(pg).await;
    let (second, _backend) = second_instance(&app).await;
    let owner = sign_in(&app, "owner@contoso.example", "owner").await;
    let ada = sign_in(&app, "ada@contoso.example", "admin").await;
    let never = create_token(&app, &ada, "ada's laptop", "never").await;
    assert_eq!(app.initialize_status(&second, &never).await, 200);
    let ada_id = user_id(&app, "ada@contoso.example").await;
    let r = owner
        .delete(&app, &format!("/api/v1/people/{ada_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(3);
    while app.initialize_status(&second, &never).await != 401 {
        assert!(
            Instant::now() < deadline,
            "still accepted on the other instance"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The keys of a JSON object, nested objects' keys as `outer.inner`.
fn shape(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let key = format!("{prefix}{k}");
            shape(v, &format!("{key}."), out);
            out.push(key);
        }
    }
    out.sort();
}

/// Inviting an address registered in another organisation answers like a new address (status,
/// body shape, time) and links nothing: the other account is untouched.
#[actix_web::test]
async fn an_address_of_another_organisation_answers_like_a_new_one() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let (fabrikam, _) = other_organisation(&app.testdb.db).await;
        directory::create_user(
            &app.testdb.db,
            fabrikam.id,
            "fred@fabrikam.example",
            PASSWORD,
            "owner",
        )
        .await
        .unwrap();
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let invite = |email: String| {
            let request = owner.post(
                &app,
                "/api/v1/people",
                json!({"email": email, "role": "admin"}),
            );
            async move {
                let started = Instant::now();
                let r = request.send().await.unwrap();
                let status = r.status();
                let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
                (status, content_type, json_of(r).await, started.elapsed())
            }
        };
        let mut taken = Vec::new();
        let mut fresh = Vec::new();
        for i in 0..3 {
            taken.push(invite("Fred@Fabrikam.example".into()).await);
            fresh.push(invite(format!("new{i}@contoso.example")).await);
        }
        for ((s1, c1, b1, _), (s2, c2, b2, _)) in taken.iter().zip(&fresh) {
            assert_eq!(*s1, StatusCode::CREATED, "{b1}");
            assert_eq!(s1, s2);
            assert_eq!(c1, c2);
            let (mut k1, mut k2) = (Vec::new(), Vec::new());
            shape(b1, "", &mut k1);
            shape(b2, "", &mut k2);
            assert_eq!(k1, k2);
            assert_eq!(b1["user"]["email"], "fred@fabrikam.example");
            assert_eq!(b1["user"]["organisation_id"], app.organisation_id);
            assert_eq!(b1["user"]["role"], "admin");
            assert_eq!(
                b1["password"].as_str().unwrap().len(),
                b2["password"].as_str().unwrap().len()
            );
        }
        // Ids advance as for real invitations (no id of a real row is handed out twice).
        let ids: Vec<i64> = taken
            .iter()
            .zip(&fresh)
            .flat_map(|(a, b)| {
                [
                    a.2["user"]["id"].as_i64().unwrap(),
                    b.2["user"]["id"].as_i64().unwrap(),
                ]
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        // The password is hashed either way: no early answer.
        let fastest = |answers: &[(StatusCode, String, Value, Duration)]| {
            answers.iter().map(|a| a.3).min().unwrap()
        };
        assert!(
            fastest(&taken) * 3 >= fastest(&fresh),
            "taken {:?} vs fresh {:?}",
            fastest(&taken),
            fastest(&fresh)
        );
        // Nothing is linked: Fred is still Fabrikam's owner with his own password, the one-time
        // password opens nothing, and Contoso's list does not hold him.
        let fred = user::Entity::find()
            .filter(user::Column::Email.eq("fred@fabrikam.example"))
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (fred.organisation_id, fred.role.as_str()),
            (fabrikam.id, "owner")
        );
        let one_time = taken[0].2["password"].as_str().unwrap();
        assert_eq!(
            login(&app, "fred@fabrikam.example", one_time)
                .await
                .status(),
            401
        );
        assert_eq!(
            login(&app, "fred@fabrikam.example", PASSWORD)
                .await
                .status(),
            200
        );
        let list = json_of(owner.get(&app, "/api/v1/people").send().await.unwrap()).await;
        assert!(
            !list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["email"] == "fred@fabrikam.example"),
            "{list}"
        );
        // An address of this organisation still answers 409 (its managers see it listed).
        let again = invite("new0@contoso.example".into()).await;
        assert_eq!(again.0, StatusCode::CONFLICT);
    }
}

/// The fixture export with its `timestamp_zulu` replaced.
fn export_dated(at: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut export: Value = serde_json::from_str(text).unwrap();
    export["timestamp_zulu"] = json!(at);
    serde_json::to_vec(&export).unwrap()
}

async fn snapshots(app: &TestApp) -> u64 {
    config_snapshot::Entity::find()
        .filter(config_snapshot::Column::TenantId.eq(app.tenant_id))
        .count(&app.testdb.db)
        .await
        .unwrap()
}

/// An export dated in 2099 is refused (dashboard 400, command line one error line) and stores
/// nothing; one dated a minute ahead (clock skew) is taken.
#[actix_web::test]
async fn a_future_dated_import_is_refused() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let import = |body: Vec<u8>| {
            app.client
                .post(format!(
                    "{}/api/v1/tenants/{}/imports",
                    app.address, app.tenant_id
                ))
                .header("Cookie", &owner.cookie)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
        };
        let before = snapshots(&app).await;
        let r = import(export_dated("2099-01-01T00:00:00Z")).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem = json_of(r).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("in the future"),
            "{problem}"
        );
        assert_eq!(snapshots(&app).await, before);

        let soon = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
        let r = import(export_dated(&soon)).await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(snapshots(&app).await, before + 1);

        // The command line refuses it the same way.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("future.json");
        std::fs::write(&file, export_dated("2099-01-01T00:00:00Z")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_aether365"))
            .arg("--database-url")
            .arg(&app.testdb.url)
            .args(["tenant", "import-config", &app.tenant_id.to_string()])
            .arg(&file)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("in the future"), "{stderr}");
        assert_eq!(snapshots(&app).await, before + 1);
    }
}

/// The id the next `cluster_messages` row gets, by writing one (what `/readyz` writes).
async fn next_message_id(app: &TestApp) -> i64 {
    cluster_message::ActiveModel {
        payload: Set("test".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.testdb.db)
    .await
    .unwrap()
    .id
}

/// 200 calls of `/readyz`, 20 at a time, cost at most one database write per second.
#[actix_web::test]
async fn readyz_writes_at_most_once_a_second() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let before = next_message_id(&app).await;
        let started = Instant::now();
        for _ in 0..10 {
            let calls = (0..20).map(|_| app.client.get(format!("{}/readyz", app.address)).send());
            for r in futures_util::future::join_all(calls).await {
                let r = r.unwrap();
                assert_eq!(r.status(), 200);
                assert_eq!(json_of(r).await["status"], "ready");
            }
        }
        let seconds = started.elapsed().as_secs();
        let writes = next_message_id(&app).await - before - 1;
        assert!(
            writes >= 1 && writes <= i64::try_from(seconds).unwrap() + 1,
            "{writes} writes in {seconds} s"
        );
    }
}

/// The dashboard's same-origin check reads `X-Forwarded-Host` only from a trusted proxy: from
/// loopback, not configured, a hostile forwarded host matching a hostile `Origin` is refused;
/// with loopback trusted it is believed.
#[actix_web::test]
async fn forwarded_hosts_count_only_from_trusted_proxies() {
    fn trust_loopback(config: &mut ServerConfig) {
        config.trusted_proxies = vec!["127.0.0.1".parse::<TrustedProxy>().unwrap()];
    }
    let create = |app: &TestApp, session: &Session| {
        session
            .post(app, "/api/v1/tokens", json!({"label": "through a proxy"}))
            .header("Origin", "https://evil.example")
            .header("X-Forwarded-Host", "evil.example")
            .header("X-Forwarded-Proto", "https")
            .send()
    };
    let testdb = testkit::sqlite().await.unwrap();
    let direct = spawn_app(testdb).await;
    let owner = sign_in(&direct, "owner@contoso.example", "owner").await;
    let r = create(&direct, &owner).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(json_of(r).await["error"], "forbidden_origin");
    let forwarded = direct
        .client
        .post(format!("{}/api/v1/tokens", direct.address))
        .header("Cookie", &owner.cookie)
        .header("Origin", "https://evil.example")
        .header("Forwarded", "host=evil.example;proto=https")
        .json(&json!({"label": "through a proxy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), 403);

    let testdb = testkit::sqlite().await.unwrap();
    let proxied = spawn_app_with(
        testdb,
        Options {
            server: Some(trust_loopback),
            ..Options::default()
        },
    )
    .await;
    let owner = sign_in(&proxied, "owner@contoso.example", "owner").await;
    let r = create(&proxied, &owner).await.unwrap();
    assert_eq!(r.status(), 201);
}

/// `aether365 user set-role` restores an owner when none is left, audited as the operator,
/// and refuses to take the last owner's role.
#[actix_web::test]
async fn an_operator_restores_an_owner() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        directory::create_user(
            &app.testdb.db,
            app.organisation_id,
            "ann@contoso.example",
            PASSWORD,
            "admin",
        )
        .await
        .unwrap();
        assert_eq!(owners(&app).await, 0);
        let set_role = |email: &str, role: &str| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_aether365"))
                .arg("--database-url")
                .arg(&app.testdb.url)
                .args([
                    "user", "set-role", "--org", "Contoso", "--email", email, role,
                ])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"").unwrap();
            child.wait_with_output().unwrap()
        };
        let out = set_role("ANN@contoso.example", "owner");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("admin -> owner"));
        assert_eq!(owners(&app).await, 1);
        let audit = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("person.role"))
            .filter(audit_log::Column::OrganisationId.eq(app.organisation_id))
            .one(&app.testdb.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(audit.actor_kind, "cli");
        let out = set_role("ann@contoso.example", "viewer");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("last owner"));
        let out = set_role("ann@contoso.example", "emperor");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("role must be one of"));
        let out = set_role("nobody@contoso.example", "owner");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no person"));
        assert_eq!(owners(&app).await, 1);
    }
}
