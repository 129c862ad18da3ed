//! Issue 23, the rest of the authorization server: OAuth clients an organisation pre-registers
//! in the dashboard (REST under /api/v1, audited, scoped to the organisation, exact redirect
//! URIs, deleted with their grants) and access tokens re-checked against this server's
//! resources at each verification, on every test database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aether365_actors::TenantScope;
use aether365_actors::directory;
use aether365_actors::oauth::{self, Approval, CodeExchange, NewClient};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, databases, spawn_app};
use crate::dashboard::{PASSWORD, Session, login, set_cookie, sign_in};
use crate::oauth::{
    answer_consent, approve, authorize_query, exchange, get_authorize, pkce, posture, refresh, with,
};

const CALLBACK: &str = "http://127.0.0.1:49152/callback";

/// The owner of a second organisation, signed in.
async fn fabrikam_owner(app: &TestApp) -> Session {
    let db = &app.testdb.db;
    let fabrikam = directory::create_organisation(db, "Fabrikam")
        .await
        .unwrap();
    directory::create_user(db, fabrikam.id, "owner@fabrikam.example", PASSWORD, "owner")
        .await
        .unwrap();
    let r = login(app, "owner@fabrikam.example", PASSWORD).await;
    assert_eq!(r.status(), 200);
    Session {
        cookie: set_cookie(&r).split(';').next().unwrap().to_string(),
    }
}

async fn create(app: &TestApp, who: &Session, body: Value) -> (StatusCode, Value) {
    let r = who
        .post(app, "/api/v1/oauth/clients", body)
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn list(app: &TestApp, who: &Session) -> Value {
    let r = who.get(app, "/api/v1/oauth/clients").send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn delete(app: &TestApp, who: &Session, client_id: &str) -> (StatusCode, Value) {
    let r = who
        .delete(app, &format!("/api/v1/oauth/clients/{client_id}"))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn audited(app: &TestApp, action: &str) -> Vec<aether365_entities::audit_log::Model> {
    let _ = app.backend.audit.flush().await;
    app.audit_rows()
        .await
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

#[actix_web::test]
async fn organisations_pre_register_clients_of_their_own() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        let owner = sign_in(&app, "owner@contoso.example", "owner").await;
        let viewer = sign_in(&app, "viewer@contoso.example", "viewer").await;

        // Only https or loopback redirect URIs, 1 to 10, a name; a viewer may not register.
        for (body, why) in [
            (
                json!({"client_name": "x", "redirect_uris": ["http://evil.example/cb"]}),
                "neither https nor an http loopback URI",
            ),
            (
                json!({"client_name": "x", "redirect_uris": ["javascript:alert(1)"]}),
                "neither https",
            ),
            (
                json!({"client_name": "x", "redirect_uris": ["https://a.example/cb#frag"]}),
                "neither https",
            ),
            (
                json!({"client_name": "x", "redirect_uris": []}),
                "between 1 and 10",
            ),
            (
                json!({"client_name": "x", "redirect_uris": [CALLBACK, CALLBACK]}),
                "listed twice",
            ),
            (
                json!({"client_name": " \u{7} ", "redirect_uris": [CALLBACK]}),
                "name is empty",
            ),
        ] {
            let (status, problem) = create(&app, &owner, body.clone()).await;
            assert_eq!(status, 400, "{body}: {problem}");
            assert!(problem.to_string().contains(why), "{body}: {problem}");
        }
        let (status, _) = create(
            &app,
            &viewer,
            json!({"client_name": "x", "redirect_uris": [CALLBACK]}),
        )
        .await;
        assert_eq!(status, 403);
        // A cross-site form cannot register one.
        let r = owner
            .post(
                &app,
                "/api/v1/oauth/clients",
                json!({"client_name": "x", "redirect_uris": [CALLBACK]}),
            )
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(
            list(&app, &owner).await["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let (status, created) = create(
            &app,
            &owner,
            json!({"client_name": "Internal <b>assistant</b>", "redirect_uris": [CALLBACK]}),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let client_id = created["client_id"].as_str().unwrap().to_string();
        assert!(client_id.starts_with("a365c_"), "{client_id}");
        assert_eq!(created["token_endpoint_auth_method"], "none");
        assert_eq!(created["redirect_uris"], json!([CALLBACK]));
        let rows = audited(&app, "oauth.client_create").await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].organisation_id, Some(app.organisation_id));
        assert_eq!(
            rows[0].actor_label.as_deref(),
            Some("owner@contoso.example")
        );
        // A viewer of the organisation sees it; another organisation does not.
        assert_eq!(
            list(&app, &viewer).await["items"][0]["client_id"],
            client_id
        );
        let fabrikam = fabrikam_owner(&app).await;
        assert!(
            list(&app, &fabrikam).await["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        // Another organisation can neither delete it nor authorize it: as an unknown client.
        let (status, _) = delete(&app, &fabrikam, &client_id).await;
        assert_eq!(status, 404);
        let (_, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);
        let foreign = get_authorize(&app, Some(&fabrikam), &q).await;
        assert_eq!(foreign.status(), 400);
        assert!(
            foreign
                .text()
                .await
                .unwrap()
                .contains("not registered with aether365")
        );
        let unknown = get_authorize(
            &app,
            Some(&fabrikam),
            &with(&q, "client_id", Some("a365c_nope")),
        )
        .await;
        assert_eq!(unknown.status(), 400);
        // Nor answer a consent form for it (with a CSRF token of its own session).
        let r = answer_consent(
            &app,
            &fabrikam,
            &q,
            &[("csrf", "forged"), ("decision", "allow"), ("tenant", "all")],
        )
        .await;
        assert_eq!(r.status(), 400);

        // Its redirect URIs are exact: another loopback port is refused, on a page.
        let other_port = with(&q, "redirect_uri", Some("http://127.0.0.1:49153/callback"));
        let r = get_authorize(&app, Some(&owner), &other_port).await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("redirect URI"));

        // The organisation's owner authorizes it; the token reads the chosen tenant.
        let (verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);
        let page = get_authorize(&app, Some(&owner), &q)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Internal &lt;b&gt;assistant&lt;/b&gt;"),
            "{page}"
        );
        // Its name was given by the organisation's administrator, not by the application.
        assert!(
            page.contains("An administrator of ") && !page.contains("has not verified this name"),
            "{page}"
        );
        let code = approve(&app, &owner, &q, &app.tenant_id.to_string()).await;
        let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(status, 200, "{tokens}");
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let (status, text) = posture(&app, &access, json!({})).await;
        assert_eq!(status, 200, "{text}");
        // A second authorization is pending (code issued, not exchanged) when it is deleted.
        let (pending_verifier, challenge) = pkce();
        let q = authorize_query(&app, &client_id, &challenge);
        let pending = approve(&app, &owner, &q, "all").await;

        // A viewer may not delete it; the owner does, and its grant ends at once.
        let (status, _) = delete(&app, &viewer, &client_id).await;
        assert_eq!(status, 403);
        let (status, deleted) = delete(&app, &owner, &client_id).await;
        assert_eq!(status, 200, "{deleted}");
        assert_eq!(deleted["client"]["client_id"], client_id);
        assert_eq!(deleted["revoked_grants"], 1);
        let (status, _) = posture(&app, &access, json!({})).await;
        assert_eq!(status, 401);
        let (status, body) =
            refresh(&app, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_client");
        let (status, body) = exchange(&app, &client_id, &pending, &pending_verifier).await;
        assert_eq!(body["error"], "invalid_client", "{status} {body}");
        let rows = audited(&app, "oauth.client_delete").await;
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0].detail.as_deref().unwrap().contains("1 grant"),
            "{:?}",
            rows[0].detail
        );
        assert!(
            list(&app, &owner).await["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let (status, _) = delete(&app, &owner, &client_id).await;
        assert_eq!(status, 404);

        // A client registered by Dynamic Client Registration is nobody's to delete.
        let registered = crate::oauth::register(&app, "Dynamic").await;
        let (status, _) = delete(&app, &owner, &registered).await;
        assert_eq!(status, 404);

        // The API is described, with typed answers.
        let doc: Value = app
            .client
            .get(format!("{}/api/v1/openapi.json", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let paths = &doc["paths"];
        assert!(
            paths["/api/v1/oauth/clients"]["post"].is_object(),
            "{paths}"
        );
        assert!(
            paths["/api/v1/oauth/clients/{client_id}"]["delete"].is_object(),
            "{paths}"
        );
        assert!(doc["components"]["schemas"]["OAuthClientView"].is_object());
    }
}

/// Issues a grant for `resource` straight from the store (as an older server under another
/// public URL would have): the access token.
async fn token_for(app: &TestApp, resource: &str) -> String {
    let db = &app.testdb.db;
    let key = &app.backend.token_key;
    let client = oauth::register_client(
        db,
        NewClient {
            client_name: Some("Old".into()),
            redirect_uris: vec![CALLBACK.into()],
            registered_from: None,
        },
        100,
    )
    .await
    .unwrap();
    let person = directory::create_user(
        db,
        app.organisation_id,
        &format!("{}@contoso.example", rand::random::<u32>()),
        PASSWORD,
        "owner",
    )
    .await
    .unwrap();
    let (verifier, challenge) = pkce();
    let code = oauth::issue_code(
        db,
        key,
        Approval {
            client_id: client.client_id.clone(),
            redirect_uri: CALLBACK.into(),
            code_challenge: challenge,
            resource: resource.into(),
            scope: oauth::SCOPE.into(),
            organisation_id: app.organisation_id,
            user_id: person.id,
            tenant_scope: TenantScope::All,
        },
    )
    .await
    .unwrap();
    oauth::exchange_code(
        db,
        key,
        CodeExchange {
            code,
            client_id: client.client_id,
            redirect_uri: CALLBACK.into(),
            code_verifier: verifier,
            resource: None,
        },
    )
    .await
    .unwrap()
    .access_token
}

#[actix_web::test]
async fn access_tokens_for_another_resource_are_refused_at_each_request() {
    for testdb in databases().await {
        let app = spawn_app(testdb).await;
        // Minted for this server's endpoints: accepted.
        for own in ["/mcp", "/sse"] {
            let token = token_for(&app, &format!("{}{own}", app.address)).await;
            let (status, text) = posture(&app, &token, json!({})).await;
            assert_eq!(status, 200, "{own}: {text}");
        }
        // Minted under another public URL, or for another port of this host: refused.
        for other in [
            "https://old.example/mcp".to_string(),
            format!("http://127.0.0.1:{}/mcp", app.port.wrapping_add(1)),
            format!("{}/mcp/other", app.address),
        ] {
            let token = token_for(&app, &other).await;
            let (status, text) = posture(&app, &token, json!({})).await;
            assert_eq!(status, 401, "{other}: {text}");
            assert!(text.contains("another resource"), "{other}: {text}");
        }
        let rows = audited(&app, "auth.failed").await;
        assert_eq!(
            rows.iter()
                .filter(|r| r
                    .detail
                    .as_deref()
                    .is_some_and(|d| d.contains("other_resource")))
                .count(),
            3,
            "{rows:?}"
        );
    }
}
