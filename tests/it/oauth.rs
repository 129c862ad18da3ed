//! aether365 as the OAuth 2.1 authorization server of its MCP endpoint (issue 23): discovery,
//! registration, consent in the dashboard, code exchange with PKCE, refresh rotation,
//! revocation, and the attacks each step must refuse, on every test database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aether365_actors::oauth::s256_challenge;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, databases, envelope, spawn_app, tenant_with_two_scans};
use crate::dashboard::{Session, sign_in};

const REDIRECT: &str = "http://127.0.0.1/callback";

/// A client that does not follow redirects: the tests read each `Location`.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// A fresh PKCE verifier and its S256 challenge.
pub(crate) fn pkce() -> (String, String) {
    let verifier: String = (0..64)
        .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
        .collect();
    let challenge = s256_challenge(&verifier);
    (verifier, challenge)
}

pub(crate) async fn register(app: &TestApp, name: &str) -> String {
    let r = app
        .client
        .post(format!("{}/oauth/register", app.address))
        .json(&json!({"client_name": name, "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    body["client_id"].as_str().unwrap().to_string()
}

/// The authorization request's query.
pub(crate) fn authorize_query(
    app: &TestApp,
    client_id: &str,
    challenge: &str,
) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", "http://127.0.0.1:49152/callback"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", "st<ate>"),
        ("resource", &format!("{}/mcp", app.address)),
        ("scope", "mcp"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub(crate) fn with(
    query: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut q: Vec<_> = query.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(v) = value {
        q.push((name.to_string(), v.to_string()));
    }
    q
}

pub(crate) async fn get_authorize(
    app: &TestApp,
    cookie: Option<&Session>,
    q: &[(String, String)],
) -> Response {
    let mut r = browser()
        .get(format!("{}/oauth/authorize", app.address))
        .query(q);
    if let Some(s) = cookie {
        r = r.header("Cookie", &s.cookie);
    }
    r.send().await.unwrap()
}

/// The consent page's CSRF token.
pub(crate) fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[start..].split('"').next().unwrap().to_string()
}

pub(crate) async fn answer_consent(
    app: &TestApp,
    owner: &Session,
    q: &[(String, String)],
    extra: &[(&str, &str)],
) -> Response {
    let mut form: Vec<(String, String)> = q.to_vec();
    form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    browser()
        .post(format!("{}/oauth/authorize", app.address))
        .header("Cookie", &owner.cookie)
        .header("Origin", &app.address)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The query parameters of a redirect's `Location`.
pub(crate) fn location(r: &Response) -> url::Url {
    assert_eq!(r.status(), StatusCode::FOUND);
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

pub(crate) fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
}

/// Consents for `tenant` and answers the code.
pub(crate) async fn approve(
    app: &TestApp,
    owner: &Session,
    q: &[(String, String)],
    tenant: &str,
) -> String {
    let page = get_authorize(app, Some(owner), q).await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = answer_consent(
        app,
        owner,
        q,
        &[("csrf", &csrf), ("decision", "allow"), ("tenant", tenant)],
    )
    .await;
    let back = location(&r);
    assert_eq!(
        back.as_str().split('?').next().unwrap(),
        "http://127.0.0.1:49152/callback"
    );
    assert_eq!(param(&back, "state").as_deref(), Some("st<ate>"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    param(&back, "code").expect("a code")
}

pub(crate) async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/oauth/token", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status == 200 {
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.json().await.unwrap())
}

pub(crate) async fn exchange(
    app: &TestApp,
    client_id: &str,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", "http://127.0.0.1:49152/callback"),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub(crate) async fn refresh(
    app: &TestApp,
    client_id: &str,
    refresh_token: &str,
) -> (StatusCode, Value) {
    token_request(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// A stateless `tools/call get_posture` with `token`: status and body text.
pub(crate) async fn posture(app: &TestApp, token: &str, arguments: Value) -> (StatusCode, String) {
    let r = app
        .client
        .post(format!("{}/mcp", app.address))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "get_posture")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_posture", "arguments": arguments, "_meta": envelope()}}))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[actix_web::test]
async fn discovery_names_the_authorization_server() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        for path in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ] {
            let meta: Value = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(meta["issuer"], app.address, "{path}");
            for (field, suffix) in [
                ("authorization_endpoint", "/oauth/authorize"),
                ("token_endpoint", "/oauth/token"),
                ("registration_endpoint", "/oauth/register"),
                ("revocation_endpoint", "/oauth/revoke"),
            ] {
                assert_eq!(meta[field], format!("{}{suffix}", app.address), "{field}");
            }
            assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
            assert_eq!(meta["response_types_supported"], json!(["code"]));
            assert_eq!(
                meta["grant_types_supported"],
                json!(["authorization_code", "refresh_token"])
            );
            assert_eq!(
                meta["token_endpoint_auth_methods_supported"],
                json!(["none"])
            );
            assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
            assert!(meta["client_id_metadata_document_supported"].is_boolean());
            assert_eq!(meta["scopes_supported"], json!(["mcp"]));
        }
        let resource: Value = app
            .client
            .get(format!(
                "{}/.well-known/oauth-protected-resource/mcp",
                app.address
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resource["authorization_servers"], json!([app.address]));
        for path in ["/mcp", "/sse"] {
            let r = app
                .client
                .get(format!("{}{path}", app.address))
                .header("Accept", "text/event-stream")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
            assert_eq!(
                r.headers()["www-authenticate"].to_str().unwrap(),
                format!(
                    "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource{path}\", scope=\"mcp\"",
                    app.address
                )
            );
        }
    }
}

#[actix_web::test]
async fn registration_validates_redirect_uris_and_limits_addresses() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let post = |body: Value| {
            app.client
                .post(format!("{}/oauth/register", app.address))
                .json(&body)
                .send()
        };
        for bad in [
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            json!({"redirect_uris": ["https://a.example/cb#x"]}),
            json!({"redirect_uris": []}),
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "client_secret_basic"}),
        ] {
            let r = post(bad.clone()).await.unwrap();
            assert_eq!(r.status(), 400, "{bad}");
            let body: Value = r.json().await.unwrap();
            assert!(
                body["error"].as_str().unwrap().starts_with("invalid_"),
                "{body}"
            );
        }
        let r = post(
            json!({"client_name": format!("  <b>{}\u{7}", "x".repeat(300)),
            "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert!(body["client_id"].as_str().unwrap().starts_with("a365c_"));
        assert_eq!(body["client_name"].as_str().unwrap().chars().count(), 80);
        assert!(!body["client_name"].as_str().unwrap().contains('\u{7}'));
        assert_eq!(body["token_endpoint_auth_method"], "none");
        let mut limited = false;
        for _ in 0..25 {
            let r = post(json!({"redirect_uris": [REDIRECT]})).await.unwrap();
            if r.status() == 429 {
                limited = true;
                break;
            }
            assert_eq!(r.status(), 201);
        }
        assert!(limited, "registrations per address are limited");
    }
}

#[actix_web::test]
async fn the_whole_flow_grants_only_the_chosen_tenant() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let snapshot = aether365_engine::Snapshot::from_bytes(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/scubagear/ProviderSettingsExport.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let other = tenant_with_two_scans(
            &app.testdb.db,
            app.organisation_id,
            "Northwind Labs",
            "northwind.example",
            &snapshot,
        )
        .await;
        // The headless token of the whole organisation sees both tenants.
        let (status, all) = posture(&app, &app.token, json!({})).await;
        assert_eq!(status, 200);
        assert!(all.contains("Northwind Labs"), "{all}");

        let client_id = register(&app, "Claude <script>").await;
        let (verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);

        // Signed out: to the dashboard's sign-in, coming back here.
        let r = get_authorize(&app, None, &q).await;
        let login = r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(r.status(), 302);
        assert!(
            login.starts_with("/login?next=%2Foauth%2Fauthorize%3F"),
            "{login}"
        );

        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let page = get_authorize(&app, Some(&owner), &q).await;
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("form-action 'self' http://127.0.0.1:49152"),
            "{csp}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("Claude &lt;script&gt;") && !html.contains("Claude <script>"));
        assert!(html.contains("never change your Microsoft 365 tenant"));
        assert!(html.contains("127.0.0.1") && html.contains("Contoso"));
        assert!(html.contains("Northwind Labs"));

        let code = approve(&app, &owner, &q, &app.tenant_id.to_string()).await;
        let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 3600);
        let access = tokens["access_token"].as_str().unwrap();
        assert!(access.starts_with("a365o_"));
        let (status, text) = posture(&app, access, json!({})).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("Security posture"), "{text}");
        assert!(!text.contains("Northwind Labs"), "{text}");
        let (_, foreign) = posture(&app, access, json!({"tenant": other})).await;
        assert!(!foreign.contains("Security posture"), "{foreign}");

        // The grant is audited under the client's name.
        let _ = app.backend.audit.flush().await;
        let rows = app.audit_rows().await;
        assert!(rows.iter().any(|r| r.action == "oauth.grant"));
        assert!(
            rows.iter().any(|r| r.tool.as_deref() == Some("get_posture")
                && r.actor_label.as_deref() == Some("OAuth: Claude <script>")),
            "{rows:?}"
        );

        // The grant is listed beside headless tokens in Settings > MCP.
        let listed: Value = owner
            .get(&app, "/api/v1/tokens")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            listed.to_string().contains("OAuth: Claude <script>"),
            "{listed}"
        );

        // Refresh rotates; the new access token works.
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let (status, rotated) = refresh(&app, &client_id, refresh_token).await;
        assert_eq!(status, 200, "{rotated}");
        let (status, _) = posture(&app, rotated["access_token"].as_str().unwrap(), json!({})).await;
        assert_eq!(status, 200);

        // Revocation (RFC 7009) ends the grant: its access tokens are refused.
        let r = app
            .client
            .post(format!("{}/oauth/revoke", app.address))
            .form(&[
                ("token", rotated["refresh_token"].as_str().unwrap()),
                ("client_id", &client_id),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (status, _) = posture(&app, rotated["access_token"].as_str().unwrap(), json!({})).await;
        assert_eq!(status, 401);
        let (status, body) =
            refresh(&app, &client_id, rotated["refresh_token"].as_str().unwrap()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );

        // Deny: back to the client with access_denied and nothing issued.
        let (_, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);
        let page = get_authorize(&app, Some(&owner), &q)
            .await
            .text()
            .await
            .unwrap();
        let r = answer_consent(
            &app,
            &owner,
            &q,
            &[("csrf", &csrf_of(&page)), ("decision", "deny")],
        )
        .await;
        let back = location(&r);
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
        assert_eq!(param(&back, "code"), None);
    }
}

#[actix_web::test]
async fn attacks_are_refused() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let client_id = register(&app, "Honest").await;
        let other_client = register(&app, "Mallory").await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let (verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);

        // Wrong or partial redirect URIs are shown on a page, never redirected to.
        for bad in [
            "http://127.0.0.1:49152/callback/evil",
            "http://127.0.0.1:49152/call",
            "https://evil.example/callback",
            "http://localhost:49152/callback",
        ] {
            let r = get_authorize(&app, Some(&owner), &with(&q, "redirect_uri", Some(bad))).await;
            assert_eq!(r.status(), 400, "{bad}");
            assert!(r.headers().get("location").is_none());
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
        }
        let r = get_authorize(
            &app,
            Some(&owner),
            &with(&q, "client_id", Some("a365c_unknown")),
        )
        .await;
        assert_eq!(r.status(), 400);

        // Plain PKCE, no PKCE, another resource, an unknown scope: redirected with an error.
        for (name, value, error) in [
            ("code_challenge_method", Some("plain"), "invalid_request"),
            ("code_challenge", None, "invalid_request"),
            (
                "resource",
                Some("https://other.example/mcp"),
                "invalid_target",
            ),
            ("scope", Some("admin"), "invalid_scope"),
        ] {
            let r = get_authorize(&app, Some(&owner), &with(&q, name, value)).await;
            let back = location(&r);
            assert_eq!(param(&back, "error").as_deref(), Some(error), "{name}");
            assert_eq!(param(&back, "code"), None);
        }

        // Consent without the CSRF token, with another session's, or from another origin.
        let r = answer_consent(&app, &owner, &q, &[("decision", "allow")]).await;
        assert_eq!(r.status(), 403);
        let second = sign_in(&app, "admin@contoso.example", "admin").await;
        let second_page = get_authorize(&app, Some(&second), &q)
            .await
            .text()
            .await
            .unwrap();
        let r = answer_consent(
            &app,
            &owner,
            &q,
            &[("csrf", &csrf_of(&second_page)), ("decision", "allow")],
        )
        .await;
        assert_eq!(r.status(), 403);
        let page = get_authorize(&app, Some(&owner), &q)
            .await
            .text()
            .await
            .unwrap();
        let r = browser()
            .post(format!("{}/oauth/authorize", app.address))
            .header("Cookie", &owner.cookie)
            .header("Origin", "https://evil.example")
            .form(
                &[
                    q.clone(),
                    vec![
                        ("csrf".into(), csrf_of(&page)),
                        ("decision".into(), "allow".into()),
                    ],
                ]
                .concat(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // A viewer may not connect an assistant (no token creation): refused on the page and on
        // the answer, with nothing redirected.
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;
        let r = get_authorize(&app, Some(&viewer), &q).await;
        assert_eq!(r.status(), 403);
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("owner or admin"));
        let r = answer_consent(
            &app,
            &viewer,
            &q,
            &[("csrf", &csrf_of(&page)), ("decision", "allow")],
        )
        .await;
        assert_eq!(r.status(), 403);
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("owner or admin"));

        // An owner cannot consent beyond their organisation.
        let (_, foreign_tenant) = crate::common::other_organisation(&app.testdb.db).await;
        let page = get_authorize(&app, Some(&owner), &q)
            .await
            .text()
            .await
            .unwrap();
        let r = answer_consent(
            &app,
            &owner,
            &q,
            &[
                ("csrf", &csrf_of(&page)),
                ("decision", "allow"),
                ("tenant", &foreign_tenant.id.to_string()),
            ],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.headers().get("location").is_none());

        // The token endpoint: wrong verifier, missing verifier, another client, another
        // redirect URI, another resource; each refused and the code still unused.
        let code = approve(&app, &owner, &q, "all").await;
        let (_, other_verifier) = pkce();
        let (status, body) = exchange(&app, &client_id, &code, &other_verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        let (status, body) = token_request(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("redirect_uri", "http://127.0.0.1:49152/callback"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request"))
        );
        let (status, body) = exchange(&app, &other_client, &code, &verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        let (status, body) = token_request(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("redirect_uri", "http://127.0.0.1:49153/callback"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        let (status, body) = token_request(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &client_id),
                ("redirect_uri", "http://127.0.0.1:49152/callback"),
                ("code_verifier", &verifier),
                ("resource", "https://other.example/mcp"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_target"))
        );

        // The right exchange works once; a replay fails and revokes what the code issued.
        let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(status, 200, "{tokens}");
        let access = tokens["access_token"].as_str().unwrap().to_string();
        assert_eq!(posture(&app, &access, json!({})).await.0, 200);
        let (status, body) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        assert_eq!(posture(&app, &access, json!({})).await.0, 401);

        // Refresh-token reuse revokes the whole grant, the newest tokens included.
        let (verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);
        let code = approve(&app, &owner, &q, "all").await;
        let (_, first) = exchange(&app, &client_id, &code, &verifier).await;
        let old_refresh = first["refresh_token"].as_str().unwrap();
        let (status, second) = refresh(&app, &client_id, old_refresh).await;
        assert_eq!(status, 200);
        let new_access = second["access_token"].as_str().unwrap();
        assert_eq!(posture(&app, new_access, json!({})).await.0, 200);
        let (status, body) = refresh(&app, &client_id, old_refresh).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        assert_eq!(posture(&app, new_access, json!({})).await.0, 401);
        let (status, _) =
            refresh(&app, &client_id, second["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 400);

        // Unknown client at the token endpoint.
        let (status, body) = exchange(&app, "a365c_nobody", "x", &verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client"))
        );
    }
}

/// A loopback server of client metadata documents: each path answers its own document; it
/// counts the requests it received.
struct DocumentServer {
    base: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl DocumentServer {
    async fn start() -> DocumentServer {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (served_base, counter) = (base.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let base = served_base.clone();
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let doc = |client_id: String, redirect: &str| {
                        json!({"client_id": client_id,
                            "client_name": "Doc <b>Client</b>",
                            "redirect_uris": [redirect],
                            "token_endpoint_auth_method": "none",
                            "grant_types": ["authorization_code", "refresh_token"]})
                        .to_string()
                    };
                    let body = match path.as_str() {
                        "/good.json" => doc(
                            format!("{base}/good.json"),
                            "http://127.0.0.1:49152/callback",
                        ),
                        "/other.json" => doc(
                            format!("{base}/good.json"),
                            "http://127.0.0.1:49152/callback",
                        ),
                        "/big.json" => format!(
                            "{{\"client_id\": \"{base}/big.json\", \"client_name\": \"{}\", \"redirect_uris\": [\"http://127.0.0.1:49152/callback\"]}}",
                            "x".repeat(6 * 1024)
                        ),
                        "/slow.json" => {
                            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                            doc(
                                format!("{base}/slow.json"),
                                "http://127.0.0.1:49152/callback",
                            )
                        }
                        "/redirect.json" => {
                            let _ = socket
                                .write_all(
                                    b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
                                )
                                .await;
                            return;
                        }
                        _ => String::new(),
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age=300\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        DocumentServer { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The `oauth_clients` row of `client_id`, if any.
async fn client_row(
    app: &TestApp,
    client_id: &str,
) -> Option<aether365_entities::oauth_client::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    aether365_entities::oauth_client::Entity::find()
        .filter(aether365_entities::oauth_client::Column::ClientId.eq(client_id))
        .one(&app.testdb.db)
        .await
        .unwrap()
}

async fn codes_issued(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    aether365_entities::oauth_code::Entity::find()
        .count(&app.testdb.db)
        .await
        .unwrap()
}

/// A metadata-document client is refused on a page (never redirected), with `expected` in
/// the message, and nothing is kept or issued for it.
async fn refused_document(app: &TestApp, owner: &Session, client_id: &str, expected: &str) {
    let codes = codes_issued(app).await;
    let (_, challenge) = pkce();
    let q = authorize_query(app, client_id, &challenge);
    let r = get_authorize(app, Some(owner), &q).await;
    assert_eq!(r.status(), 400, "{client_id}");
    assert!(r.headers().get("location").is_none(), "{client_id}");
    let text = r.text().await.unwrap();
    assert!(text.contains(expected), "{client_id}: {text}");
    // The consent form's answer is refused the same way.
    let r = answer_consent(app, owner, &q, &[("csrf", "00"), ("decision", "allow")]).await;
    assert_eq!(r.status(), 400, "{client_id}");
    assert!(r.headers().get("location").is_none(), "{client_id}");
    assert!(client_row(app, client_id).await.is_none(), "{client_id}");
    assert_eq!(codes_issued(app).await, codes, "{client_id}");
    let (status, body) = exchange(app, client_id, "x", "y").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client")),
        "{client_id}"
    );
}

fn loopback_destinations(config: &mut aether365::http::ServerConfig) {
    config.allow_loopback_destinations = true;
}

#[actix_web::test]
async fn client_metadata_documents_complete_the_flow_and_attacks_are_refused() {
    for testdb in databases().await {
        let app = crate::common::spawn_app_with(
            testdb,
            crate::common::Options {
                server: Some(loopback_destinations),
                ..crate::common::Options::default()
            },
        )
        .await;
        let meta: Value = app
            .client
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                app.address
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["client_id_metadata_document_supported"], true);
        let docs = DocumentServer::start().await;
        let client_id = docs.url("/good.json");
        let (verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);

        // A stranger cannot make the server fetch anything: signed out, to the sign-in.
        let r = get_authorize(&app, None, &q).await;
        assert_eq!(r.status(), 302);
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next=")
        );
        assert_eq!(docs.hits(), 0);

        // Signed in: the consent page shows the document's name, escaped, and its domain as
        // the verified part.
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let page = get_authorize(&app, Some(&owner), &q).await;
        assert_eq!(page.status(), 200);
        // `no-referrer` would make browsers send `Origin: null` with the consent form.
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        let html = page.text().await.unwrap();
        assert!(html.contains("Doc &lt;b&gt;Client&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>Client"), "{html}");
        assert!(
            html.contains("<strong class=\"verified-domain\">127.0.0.1</strong>"),
            "{html}"
        );
        let code = approve(&app, &owner, &q, &app.tenant_id.to_string()).await;
        let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(status, 200, "{tokens}");
        let (status, text) =
            posture(&app, tokens["access_token"].as_str().unwrap(), json!({})).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("Security posture"), "{text}");
        // Cached (max-age=300): the page, the answer and the exchange fetched it once.
        assert_eq!(docs.hits(), 1);
        let (status, rotated) =
            refresh(&app, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{rotated}");

        // A redirect URI not in the document, even on another loopback port: a page.
        for bad in [
            "http://127.0.0.1:49153/callback",
            "http://127.0.0.1:49152/callback/x",
            "https://evil.example/callback",
        ] {
            let r = get_authorize(&app, Some(&owner), &with(&q, "redirect_uri", Some(bad))).await;
            assert_eq!(r.status(), 400, "{bad}");
            assert!(r.headers().get("location").is_none(), "{bad}");
        }

        // Documents that must be refused, with nothing kept or issued.
        refused_document(
            &app,
            &owner,
            &docs.url("/other.json"),
            "not the URL it was fetched from",
        )
        .await;
        refused_document(
            &app,
            &owner,
            &docs.url("/big.json"),
            "larger than 5120 bytes",
        )
        .await;
        refused_document(
            &app,
            &owner,
            &docs.url("/redirect.json"),
            "answered HTTP 302",
        )
        .await;
        refused_document(&app, &owner, &docs.url("/slow.json"), "no answer within").await;
        refused_document(
            &app,
            &owner,
            "http://169.254.169.254/latest/meta-data/client.json",
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            "https://169.254.169.254/client.json",
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            "https://10.0.0.7/client.json",
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            "https://192.168.1.1/client.json",
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            "https://[::ffff:10.0.0.7]/client.json",
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            &format!("{}/", docs.base),
            "a path is required",
        )
        .await;
        refused_document(&app, &owner, &docs.url("/x/../good.json"), "dot segments").await;
    }
}

#[actix_web::test]
async fn metadata_documents_never_reach_loopback_without_the_test_setting() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let docs = DocumentServer::start().await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let port = docs.base.rsplit(':').next().unwrap().to_string();
        refused_document(&app, &owner, &docs.url("/good.json"), "only https").await;
        refused_document(
            &app,
            &owner,
            &format!("https://127.0.0.1:{port}/good.json"),
            "127.0.0.1, which is not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            &format!("https://localhost:{port}/good.json"),
            "not a public address",
        )
        .await;
        refused_document(
            &app,
            &owner,
            &format!("https://[::1]:{port}/good.json"),
            "not a public address",
        )
        .await;
        assert_eq!(docs.hits(), 0, "nothing was sent to loopback");
    }
}
