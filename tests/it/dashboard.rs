//! The dashboard: sign-in, the REST API under /api/v1, roles, organisation isolation, CSRF
//! defences and the pages, against the real server on every test database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TestApp, databases, envelope, read_sse, spawn_app};
use aether365::dashboard::throttle::FAILURE_LIMIT;
use aether365_actors::TenantScope;
use aether365_actors::directory;
use aether365_actors::tokens::{self, Expiry};
use reqwest::Response;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in browser: the session cookie to send back.
pub struct Session {
    pub cookie: String,
}

pub async fn add_user(app: &TestApp, email: &str, role: &str) {
    directory::create_user(&app.testdb.db, app.organisation_id, email, PASSWORD, role)
        .await
        .unwrap();
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.client
        .post(format!("{}/api/v1/session", app.address))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

pub fn set_cookie(response: &Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_string()
}

pub async fn sign_in(app: &TestApp, email: &str, role: &str) -> Session {
    add_user(app, email, role).await;
    let response = login(app, email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response).split(';').next().unwrap().to_string();
    Session { cookie }
}

impl Session {
    pub fn get(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        app.client
            .get(format!("{}{path}", app.address))
            .header("Cookie", &self.cookie)
    }

    pub fn post(&self, app: &TestApp, path: &str, body: Value) -> reqwest::RequestBuilder {
        app.client
            .post(format!("{}{path}", app.address))
            .header("Cookie", &self.cookie)
            .json(&body)
    }

    pub fn put(&self, app: &TestApp, path: &str, body: Value) -> reqwest::RequestBuilder {
        app.client
            .put(format!("{}{path}", app.address))
            .header("Cookie", &self.cookie)
            .json(&body)
    }

    pub fn delete(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        app.client
            .delete(format!("{}{path}", app.address))
            .header("Cookie", &self.cookie)
            .header("Content-Type", "application/json")
    }
}

pub async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

/// A 2026-07-28 tools/call with `token`.
async fn call_tool(app: &TestApp, token: &str) -> Response {
    app.client
        .post(format!("{}/mcp", app.address))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "test_simple_text")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "test_simple_text", "arguments": {}, "_meta": envelope()}}))
        .send()
        .await
        .unwrap()
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[actix_web::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session() {
    for db in databases().await {
        let app = spawn_app(db).await;
        add_user(&app, "Owner@Contoso.example", "owner").await;
        let response = login(&app, "owner@contoso.example", PASSWORD).await;
        assert_eq!(response.status(), 200);
        let cookie = set_cookie(&response);
        assert!(cookie.starts_with("aether365_session="), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(
            !cookie.contains("Secure"),
            "no Secure flag over plain http: {cookie}"
        );
        let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(value.len(), 64, "a 256-bit id in hex");
        // Only the hash is stored.
        let rows = aether365_entities::dashboard_session::Entity::find()
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].id_hash, value);
        let body = json_of(response).await;
        assert_eq!(body["user"]["email"], "owner@contoso.example");

        let session = Session {
            cookie: cookie.split(';').next().unwrap().to_string(),
        };
        let me = json_of(session.get(&app, "/api/v1/me").send().await.unwrap()).await;
        assert_eq!(me["user"]["role"], "owner");
        assert_eq!(me["user"]["can_manage_tokens"], true);
        assert_eq!(me["organisation"]["id"], app.organisation_id);
        assert_eq!(me["organisation"]["name"], "Contoso");

        let out = session
            .delete(&app, "/api/v1/session")
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 204);
        assert!(set_cookie(&out).contains("Max-Age=0"));
        let after = session.get(&app, "/api/v1/me").send().await.unwrap();
        assert_eq!(after.status(), 401);
        assert_error(&json_of(after).await, "unauthenticated");
        // Signing in again forgets the ended session.
        assert_eq!(
            login(&app, "owner@contoso.example", PASSWORD)
                .await
                .status(),
            200
        );
        let rows = aether365_entities::dashboard_session::Entity::find()
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].revoked_at.is_none());

        let rows = app.audit_rows().await;
        assert!(
            rows.iter()
                .any(|r| r.action == "dashboard.login" && r.outcome == "ok")
        );
        assert!(rows.iter().any(|r| r.action == "dashboard.logout"));
    }
}

#[actix_web::test]
async fn failed_sign_ins_look_alike_are_audited_and_rate_limited() {
    for db in databases().await {
        let app = spawn_app(db).await;
        add_user(&app, "owner@contoso.example", "owner").await;
        let wrong = login(&app, "owner@contoso.example", "not the password").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.headers().get("set-cookie").is_none());
        let wrong = json_of(wrong).await;
        let unknown = json_of(login(&app, "nobody@contoso.example", PASSWORD).await).await;
        assert_eq!(
            wrong, unknown,
            "unknown email and wrong password answer alike"
        );
        assert_error(&wrong, "invalid_credentials");

        let failed: Vec<_> = app
            .audit_rows()
            .await
            .into_iter()
            .filter(|r| r.action == "dashboard.login_failed")
            .collect();
        assert_eq!(
            failed.len(),
            1,
            "the known user's organisation sees the failure"
        );
        assert_eq!(failed[0].outcome, "denied");
        assert_eq!(failed[0].client_addr.as_deref(), Some("127.0.0.1"));

        // Both failures count against the address, the unknown email's too.
        for _ in 3..=FAILURE_LIMIT {
            let r = login(&app, "owner@contoso.example", "still wrong").await;
            assert_eq!(r.status(), 401);
        }
        // The allowance is used up: even the right password waits.
        let limited = login(&app, "owner@contoso.example", PASSWORD).await;
        assert_eq!(limited.status(), 429);
        let retry: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        assert_error(&json_of(limited).await, "too_many_requests");
    }
}

#[actix_web::test]
async fn a_hundred_simultaneous_sign_ins_get_exactly_the_allowance() {
    for db in databases().await {
        let app = spawn_app(db).await;
        add_user(&app, "owner@contoso.example", "owner").await;
        let answers = futures_util::future::join_all(
            (0..100).map(|_| login(&app, "owner@contoso.example", "not the password")),
        )
        .await;
        let count = |status: u16| answers.iter().filter(|r| r.status() == status).count();
        assert_eq!(count(401), FAILURE_LIMIT as usize);
        assert_eq!(count(429), 100 - FAILURE_LIMIT as usize);
        let failed = app
            .audit_rows()
            .await
            .into_iter()
            .filter(|r| r.action == "dashboard.login_failed")
            .count();
        assert_eq!(failed, FAILURE_LIMIT as usize);
    }
}

#[actix_web::test]
async fn settings_tenants_and_the_token_lifecycle() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;

        let settings = json_of(
            owner
                .get(&app, "/api/v1/mcp/settings")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(settings["server_url"], app.address);
        assert_eq!(settings["mcp_url"], format!("{}/mcp", app.address));
        assert_eq!(settings["sse_url"], format!("{}/sse", app.address));
        let cursor = &settings["cursor"]["mcpServers"]["aether365"];
        assert_eq!(cursor["url"], format!("{}/mcp", app.address));
        assert_eq!(cursor["headers"]["Authorization"], "Bearer YOUR_TOKEN");
        let claude = &settings["claude_desktop"]["mcpServers"]["aether365"];
        assert_eq!(claude["args"][2], format!("{}/mcp", app.address));
        assert_eq!(claude["env"]["AETHER365_AUTH"], "Bearer YOUR_TOKEN");

        let tenants = json_of(owner.get(&app, "/api/v1/tenants").send().await.unwrap()).await;
        assert_eq!(tenants["items"].as_array().unwrap().len(), 1);
        assert_eq!(tenants["items"][0]["id"], app.tenant_id);
        assert_eq!(tenants["items"][0]["display_name"], "Contoso Ltd");

        // Create: 201, the plaintext once, the configurations filled in.
        let created = owner
            .post(
                &app,
                "/api/v1/tokens",
                json!({"label": "Claude Desktop", "expires": "1y", "tenants": [app.tenant_id]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        assert_eq!(created.headers()["cache-control"], "no-store");
        let created = json_of(created).await;
        let token = created["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("a365_"));
        let token_id = created["record"]["id"].as_i64().unwrap();
        assert_eq!(created["record"]["status"], "active");
        assert_eq!(created["record"]["tenants"], json!([app.tenant_id]));
        assert_eq!(
            created["cursor"]["mcpServers"]["aether365"]["headers"]["Authorization"],
            format!("Bearer {token}")
        );
        assert_eq!(
            created["claude_desktop"]["mcpServers"]["aether365"]["env"]["AETHER365_AUTH"],
            format!("Bearer {token}")
        );
        assert!(created["warning"].as_str().unwrap().contains("once"));

        // Listed newest first, never with the secret, "never used" as null.
        let listed = json_of(owner.get(&app, "/api/v1/tokens").send().await.unwrap()).await;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["id"], token_id);
        assert_eq!(items[0]["label"], "Claude Desktop");
        assert!(items[0]["last_used_at"].is_null());
        assert!(items[0]["expires_at"].is_string());
        assert!(!listed.to_string().contains(&token[token.len() - 20..]));

        // The token works on /mcp and its calls are in the audit trail.
        assert_eq!(app.initialize_status(&app.address, &token).await, 200);
        for _ in 0..3 {
            assert_eq!(call_tool(&app, &token).await.status(), 200);
        }
        assert_eq!(call_tool(&app, &app.token).await.status(), 200);
        let page = json_of(
            owner
                .get(&app, &format!("/api/v1/audit?token={token_id}&limit=2"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let first = page["items"].as_array().unwrap();
        assert_eq!(first.len(), 2);
        assert!(
            first
                .iter()
                .all(|r| r["actor_kind"] == "token" && r["actor_id"] == token_id)
        );
        assert!(
            first[0]["id"].as_i64() > first[1]["id"].as_i64(),
            "newest first"
        );
        let before = page["next_before"].as_i64().unwrap();
        let rest = json_of(
            owner
                .get(
                    &app,
                    &format!("/api/v1/audit?token={token_id}&limit=2&before={before}"),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        let second = rest["items"].as_array().unwrap();
        assert!(!second.is_empty());
        assert!(second.iter().all(|r| r["id"].as_i64().unwrap() < before));
        // Unfiltered: every row of the organisation, including the dashboard's own.
        let all = json_of(owner.get(&app, "/api/v1/audit").send().await.unwrap()).await;
        let actions: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"token.create") && actions.contains(&"dashboard.login"),
            "{actions:?}"
        );
        let future = json_of(
            owner
                .get(&app, "/api/v1/audit?since=2999-01-01T00:00:00Z")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(future["items"], json!([]));
        assert!(future["next_before"].is_null());

        // Revoke: at once, and the token no longer opens anything.
        let revoked = owner
            .delete(&app, &format!("/api/v1/tokens/{token_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        assert_eq!(json_of(revoked).await["status"], "revoked");
        assert_eq!(app.initialize_status(&app.address, &token).await, 401);
        assert_eq!(call_tool(&app, &token).await.status(), 401);
        let listed = json_of(owner.get(&app, "/api/v1/tokens").send().await.unwrap()).await;
        assert_eq!(listed["items"][0]["status"], "revoked");
        let rows = app.audit_rows().await;
        let revoke = rows.iter().find(|r| r.action == "token.revoke").unwrap();
        assert_eq!(revoke.actor_kind, "user");
    }
}

#[actix_web::test]
async fn bad_input_answers_400_with_what_to_fix() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let cases = [
            (json!({"label": "x", "expires": "2w"}), "bad_request", "90d"),
            (json!({"label": ""}), "bad_request", "label"),
            (
                json!({"label": "x", "tenants": []}),
                "bad_request",
                "at least one tenant",
            ),
            (
                json!({"label": "x", "tenants": [999999]}),
                "bad_request",
                "no tenant 999999",
            ),
            (
                json!({"label": "x", "scope": "all"}),
                "invalid_json",
                "unknown field",
            ),
            (json!({"expires": "90d"}), "invalid_json", "label"),
            (json!({"label": 5}), "invalid_json", "string"),
        ];
        for (body, code, hint) in cases {
            let r = owner
                .post(&app, "/api/v1/tokens", body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{body}");
            let answer = json_of(r).await;
            assert_error(&answer, code);
            assert!(
                answer["message"].as_str().unwrap().contains(hint),
                "{body}: {answer}"
            );
        }
        let broken = app
            .client
            .post(format!("{}/api/v1/tokens", app.address))
            .header("Cookie", &owner.cookie)
            .header("Content-Type", "application/json")
            .body("{\"label\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(broken.status(), 400);
        assert_error(&json_of(broken).await, "invalid_json");
        for query in [
            "limit=0",
            "limit=5000",
            "since=yesterday",
            "token=abc",
            "colour=red",
        ] {
            let r = owner
                .get(&app, &format!("/api/v1/audit?{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{query}");
            assert_error(&json_of(r).await, "bad_request");
        }
        let r = owner
            .post(&app, "/api/v1/me", json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert_error(&json_of(r).await, "method_not_allowed");
        let r = owner
            .get(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        let r = owner
            .delete(&app, "/api/v1/tokens/not-a-number")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_error(&json_of(r).await, "not_found");
        let r = owner
            .get(&app, "/api/v1/nothing-here")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_error(&json_of(r).await, "not_found");
        // Without a session, every API route answers 401 in JSON.
        for path in [
            "/api/v1/me",
            "/api/v1/mcp/settings",
            "/api/v1/tenants",
            "/api/v1/tokens",
            "/api/v1/audit",
        ] {
            let r = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{path}");
            assert_error(&json_of(r).await, "unauthenticated");
        }
        let r = app
            .client
            .post(format!("{}/api/v1/tokens", app.address))
            .json(&json!({"label": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[actix_web::test]
async fn viewers_read_but_only_owners_and_admins_change_tokens() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let admin = sign_in(&app, "admin@contoso.example", "admin").await;
        for path in [
            "/api/v1/me",
            "/api/v1/mcp/settings",
            "/api/v1/tenants",
            "/api/v1/tokens",
            "/api/v1/audit",
        ] {
            assert_eq!(
                viewer.get(&app, path).send().await.unwrap().status(),
                200,
                "{path}"
            );
        }
        let me = json_of(viewer.get(&app, "/api/v1/me").send().await.unwrap()).await;
        assert_eq!(me["user"]["can_manage_tokens"], false);
        let r = viewer
            .post(&app, "/api/v1/tokens", json!({"label": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_error(&json_of(r).await, "forbidden");
        let r = viewer
            .delete(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(
            app.initialize_status(&app.address, &app.token).await,
            200,
            "the token still works"
        );

        let r = admin
            .post(
                &app,
                "/api/v1/tokens",
                json!({"label": "by admin", "expires": "never"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created = json_of(r).await;
        assert!(created["record"]["expires_at"].is_null());
        assert_eq!(created["record"]["tenants"], "all");
        let r = admin
            .delete(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Revoking twice changes nothing.
        let r = admin
            .delete(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[actix_web::test]
async fn another_organisations_ids_answer_like_missing_ones() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let (other, other_tenant) = crate::common::other_organisation(&app.testdb.db).await;
        let other_token = tokens::create_token(
            &app.testdb.db,
            &app.backend.token_key,
            other.id,
            "theirs",
            Expiry::Days90,
            TenantScope::All,
            None,
        )
        .await
        .unwrap();
        assert_eq!(call_tool(&app, &other_token.token).await.status(), 200);
        let other_id = other_token.record.id;
        let missing = 999_999;

        let theirs = owner
            .delete(&app, &format!("/api/v1/tokens/{other_id}"))
            .send()
            .await
            .unwrap();
        let nobody = owner
            .delete(&app, &format!("/api/v1/tokens/{missing}"))
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), 404);
        assert_eq!(nobody.status(), 404);
        let (theirs, nobody) = (json_of(theirs).await, json_of(nobody).await);
        assert_error(&theirs, "not_found");
        assert_eq!(
            theirs["message"]
                .as_str()
                .unwrap()
                .replace(&other_id.to_string(), "N"),
            nobody["message"]
                .as_str()
                .unwrap()
                .replace(&missing.to_string(), "N")
        );
        assert_eq!(
            app.initialize_status(&app.address, &other_token.token)
                .await,
            200,
            "not revoked"
        );

        for id in [other_id, missing] {
            let r = owner
                .get(&app, &format!("/api/v1/audit?token={id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404);
        }
        for id in [other_tenant.id, missing] {
            let r = owner
                .post(
                    &app,
                    "/api/v1/tokens",
                    json!({"label": "x", "tenants": [id]}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400);
            assert_eq!(json_of(r).await["message"], format!("no tenant {id}"));
        }
        let listed = json_of(owner.get(&app, "/api/v1/tokens").send().await.unwrap()).await;
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["id"] != other_id)
        );
        let tenants = json_of(owner.get(&app, "/api/v1/tenants").send().await.unwrap()).await;
        assert!(
            tenants["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["id"] != other_tenant.id)
        );
        let audit = json_of(
            owner
                .get(&app, "/api/v1/audit?limit=200")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["organisation_id"] == app.organisation_id),
            "{audit}"
        );
    }
}

#[actix_web::test]
async fn state_changes_must_be_same_origin_json() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let url = format!("{}/api/v1/tokens", app.address);
        let r = owner
            .post(&app, "/api/v1/tokens", json!({"label": "x"}))
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_error(&json_of(r).await, "forbidden_origin");
        let r = owner
            .post(&app, "/api/v1/tokens", json!({"label": "x"}))
            .header("Origin", &app.address)
            .header("Sec-Fetch-Site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = owner
            .delete(&app, &format!("/api/v1/tokens/{}", app.token_id))
            .header("Origin", "null")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let form = app
            .client
            .post(&url)
            .header("Cookie", &owner.cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("label=x")
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 415);
        assert_error(&json_of(form).await, "unsupported_media_type");
        let plain = app
            .client
            .delete(format!("{url}/{}", app.token_id))
            .header("Cookie", &owner.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 415);
        let login_form = app
            .client
            .post(format!("{}/api/v1/session", app.address))
            .header("Content-Type", "text/plain")
            .body(format!(
                "{{\"email\":\"owner@contoso.example\",\"password\":\"{PASSWORD}\"}}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(login_form.status(), 415);
        assert_eq!(
            app.initialize_status(&app.address, &app.token).await,
            200,
            "nothing was revoked"
        );
        // Same origin is fine.
        let r = owner
            .post(&app, "/api/v1/tokens", json!({"label": "same origin"}))
            .header("Origin", &app.address)
            .header("Sec-Fetch-Site", "same-origin")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[actix_web::test]
async fn pages_redirect_without_a_session_and_carry_security_headers() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let get = |path: &str, cookie: Option<&str>| {
            let mut request = client.get(format!("{}{path}", app.address));
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            request.send()
        };
        let root = get("/", None).await.unwrap();
        assert_eq!(root.status(), 303);
        assert_eq!(root.headers()["location"], "/overview");
        let page = get("/settings/mcp", None).await.unwrap();
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/login");
        let stale = get("/settings/mcp", Some("aether365_session=00ff"))
            .await
            .unwrap();
        assert_eq!(stale.status(), 303);

        let login_page = get("/login", None).await.unwrap();
        assert_eq!(login_page.status(), 200);
        let csp = login_page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(login_page.headers()["x-frame-options"], "DENY");
        let html = login_page.text().await.unwrap();
        assert!(html.contains("/assets/login.js"));
        assert!(!html.contains("<script>"), "no inline script");

        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let page = get("/settings/mcp", Some(&owner.cookie)).await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("/assets/mcp.js") && !html.contains("<script>"));

        for (asset, kind) in [
            ("mcp.js", "text/javascript"),
            ("login.js", "text/javascript"),
            ("common.js", "text/javascript"),
            ("dashboard.css", "text/css"),
        ] {
            let r = get(&format!("/assets/{asset}"), None).await.unwrap();
            assert_eq!(r.status(), 200, "{asset}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(kind)
            );
            assert!(!r.text().await.unwrap().trim().is_empty(), "{asset}");
        }
        assert_eq!(
            get("/assets/../Cargo.toml", None).await.unwrap().status(),
            404
        );
        assert_eq!(get("/assets/secret.txt", None).await.unwrap().status(), 404);
    }
}

/// Opens a 2025-06-18 session with `token` and its GET stream.
async fn open_stream(app: &TestApp, token: &str) -> Response {
    let post = || {
        app.client
            .post(format!("{}/mcp", app.address))
            .bearer_auth(token)
            .header("Accept", "application/json, text/event-stream")
    };
    let init = post()
        .json(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "tests", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    let session = init.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let ack = post()
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ack.status(), 202);
    let stream = app
        .client
        .get(format!("{}/mcp", app.address))
        .bearer_auth(token)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "2025-06-18")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

#[actix_web::test]
async fn revoking_in_the_dashboard_closes_open_mcp_streams_at_once() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let created = json_of(
            owner
                .post(&app, "/api/v1/tokens", json!({"label": "streaming"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let token = created["token"].as_str().unwrap();
        let id = created["record"]["id"].as_i64().unwrap();
        let stream = open_stream(&app, token).await;
        let r = owner
            .delete(&app, &format!("/api/v1/tokens/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let started = std::time::Instant::now();
        read_sse(stream, std::time::Duration::from_secs(5), |_| false).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "the stream stayed open {:?}",
            started.elapsed()
        );
        assert_eq!(app.initialize_status(&app.address, token).await, 401);
    }
}

/// Stores a completed compliance scan of the bundled sample's findings; answers its id and the
/// number of findings and of those that passed.
pub(crate) async fn stored_sample_scan(
    db: &sea_orm::DatabaseConnection,
    organisation_id: i64,
    tenant_id: i64,
) -> (i64, usize, usize) {
    use aether365_actors::scans::{CompletedScan, ScanKind, ScanOrigin, persist_completed_scan};
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/scubagear/ProviderSettingsExport.json"
    ))
    .unwrap();
    let snapshot = aether365_engine::Snapshot::from_bytes(&bytes).unwrap();
    let findings = aether365_engine::evaluate_all(&snapshot);
    let passed = findings
        .iter()
        .filter(|f| f.status == aether365_engine::Status::Pass)
        .count();
    let total = findings.len();
    let finished_at = chrono::Utc::now();
    let id = persist_completed_scan(
        db,
        CompletedScan {
            organisation_id,
            tenant_id,
            kind: ScanKind::Compliance,
            origin: ScanOrigin::Dashboard,
            snapshot_id: None,
            input: None,
            findings,
            started_at: finished_at - chrono::Duration::seconds(30),
            finished_at,
        },
    )
    .await
    .unwrap();
    (id, total, passed)
}

#[actix_web::test]
async fn scan_findings_download_as_ocsf_sarif_and_csv() {
    for db in databases().await {
        let app = spawn_app(db).await;
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let (id, total, passed) =
            stored_sample_scan(&app.testdb.db, app.organisation_id, app.tenant_id).await;
        let download = |format: &str| {
            viewer
                .get(
                    &app,
                    &format!("/api/v1/scans/{id}/findings?format={format}"),
                )
                .send()
        };
        let header = |r: &Response, name: &str| {
            r.headers()
                .get(name)
                .unwrap_or_else(|| panic!("no {name}"))
                .to_str()
                .unwrap()
                .to_string()
        };

        let r = download("ocsf").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), "application/json");
        assert_eq!(
            header(&r, "content-disposition"),
            format!("attachment; filename=\"aether365-scan-{id}-findings.ocsf.json\"")
        );
        let events = json_of(r).await;
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), total);
        assert!(events.iter().all(|e| e["class_uid"] == 2003
            && e["metadata"]["correlation_uid"] == format!("aether365:scan:{id}")));

        let r = download("sarif").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-type"), "application/sarif+json");
        assert!(header(&r, "content-disposition").contains(".sarif\""));
        let log = json_of(r).await;
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), total - passed);
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            total
        );

        let r = download("csv").await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-type").starts_with("text/csv"));
        assert!(header(&r, "content-disposition").contains(".csv\""));
        let text = r.text().await.unwrap();
        assert!(text.starts_with("check_id,title,service,severity,status,"));
        let rows = text
            .split("\r\n")
            .filter(|l| l.starts_with("A365-"))
            .count();
        assert_eq!(rows, total);

        // Bad or missing formats say what to fix.
        for query in ["?format=xml", "", "?format=csv&extra=1"] {
            let r = viewer
                .get(&app, &format!("/api/v1/scans/{id}/findings{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{query}");
            assert_error(&json_of(r).await, "bad_request");
        }
        // Without a session: 401.
        let r = app
            .client
            .get(format!(
                "{}/api/v1/scans/{id}/findings?format=csv",
                app.address
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // Another organisation's scan answers exactly like a missing one.
        let (other, other_tenant) = crate::common::other_organisation(&app.testdb.db).await;
        let (theirs, _, _) = stored_sample_scan(&app.testdb.db, other.id, other_tenant.id).await;
        let missing = 999_999;
        let mut messages = Vec::new();
        for scan in [theirs, missing] {
            let r = viewer
                .get(&app, &format!("/api/v1/scans/{scan}/findings?format=sarif"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404);
            let body = json_of(r).await;
            assert_error(&body, "not_found");
            messages.push(
                body["message"]
                    .as_str()
                    .unwrap()
                    .replace(&scan.to_string(), "N"),
            );
        }
        assert_eq!(messages[0], messages[1]);
    }
}
