//! Issue 20, item 1: connecting a tenant rests on Microsoft's proof that an administrator of
//! that tenant consented, in the browser that started the flow. Against the stand-in's authority
//! issuing ID tokens for two tenants, on every test database: the takeover from the issue (B's
//! state, A's tenant id in the callback) connects nothing; spoiled ID tokens, non-administrators,
//! replays and other browsers are refused; the honest flow connects the token's tenant; a tenant
//! connected elsewhere is shared only with that proof and its first organisation is told; the
//! operator's `tenant connect` is audited as the operator's act.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use crate::common::{Options, TestApp, databases, spawn_app_with};
use aether365_actors::directory;
use aether365_actors::testkit;
use aether365_entities::{audit_log, tenant};
use m365_standin::{
    DirectoryUser, GLOBAL_ADMINISTRATOR, GLOBAL_READER, IdTokenFlaw, StandIn, StandInConfig,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
/// The attacker's own Microsoft tenant (organisation B's).
const TENANT_B: &str = "bbbbbbbb-2222-4222-8222-222222222222";
const BINDING: &str = "aether365_consent";

fn options() -> Options {
    Options {
        conformance_fixtures: false,
        ..Options::default()
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// A dashboard user (owner) of `organisation_id`, signed in: the session cookie.
async fn signed_in(app: &TestApp, organisation_id: i64, email: &str) -> String {
    directory::create_user(&app.testdb.db, organisation_id, email, PASSWORD, "owner")
        .await
        .unwrap();
    let response = app
        .client
        .post(format!("{}/api/v1/session", app.address))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// One browser: a dashboard session and, once a flow started, its binding cookie.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    session: String,
    binding: Option<String>,
}

impl<'a> Browser<'a> {
    async fn of(app: &'a TestApp, organisation_id: i64, email: &str) -> Browser<'a> {
        Browser {
            app,
            http: no_redirects(),
            session: signed_in(app, organisation_id, email).await,
            binding: None,
        }
    }

    /// `POST /api/v1/tenants/connect`: the consent URL; keeps the binding cookie.
    async fn start(&mut self) -> String {
        let response = self
            .http
            .post(format!("{}/api/v1/tenants/connect", self.app.address))
            .header("Cookie", &self.session)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with(&format!("{BINDING}=")))
            .expect("a binding cookie");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        self.binding = Some(cookie.split(';').next().unwrap().to_string());
        let body: Value = response.json().await.unwrap();
        body["consent_url"].as_str().unwrap().to_string()
    }

    /// A GET of one of our URLs (absolute, or a path), with this browser's binding cookie
    /// (cross-site: no session cookie) and JSON wanted.
    async fn back(&self, url: &str) -> reqwest::Response {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.app.address)
        } else {
            url.to_string()
        };
        let mut req = self.http.get(url).header("Accept", "application/json");
        if let Some(b) = &self.binding {
            req = req.header("Cookie", b);
        }
        req.send().await.unwrap()
    }

    /// A GET at Microsoft (the stand-in): answers where it redirects.
    async fn at_microsoft(&self, url: &str) -> String {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302, "{url}: {}", response.status());
        location(&response)
    }

    /// Consent at Microsoft, back here, on to the sign-in: the sign-in URL.
    async fn consent(&self, consent_url: &str) -> String {
        let callback = self.at_microsoft(consent_url).await;
        assert!(callback.contains("admin_consent=True"), "{callback}");
        let back = self.back(&callback).await;
        assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
        let sign_in = location(&back);
        assert!(sign_in.contains("/oauth2/v2.0/authorize?"), "{sign_in}");
        sign_in
    }

    /// The whole flow for whoever is signed in at the stand-in: the final callback URL and
    /// our answer to it.
    async fn connect(&mut self) -> (String, reqwest::Response) {
        let consent_url = self.start().await;
        let sign_in = self.consent(&consent_url).await;
        let callback = self.at_microsoft(&sign_in).await;
        assert!(callback.contains("code="), "{callback}");
        let answer = self.back(&callback).await;
        (callback, answer)
    }
}

fn admin_of(tenant_id: &str, username: &str) -> DirectoryUser {
    DirectoryUser::new(tenant_id, username, &[GLOBAL_ADMINISTRATOR])
}

async fn tenants_of(app: &TestApp, organisation_id: i64) -> Vec<tenant::Model> {
    tenant::Entity::find()
        .filter(tenant::Column::OrganisationId.eq(organisation_id))
        .all(&app.testdb.db)
        .await
        .unwrap()
}

async fn audit_of(app: &TestApp, organisation_id: i64, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::OrganisationId.eq(organisation_id))
        .filter(audit_log::Column::Action.eq(action))
        .all(&app.testdb.db)
        .await
        .unwrap()
}

async fn message(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// The attack of the issue: organisation B's owner keeps B's `state` and calls the callback
/// with `admin_consent=True&tenant=<A's tenant id>`. It connects nothing; going on through the
/// sign-in as B's own administrator (the only administrator B has) or as a non-administrator
/// of A is refused; A's tenant never appears in B and A is told nothing happened to it.
#[actix_web::test]
async fn the_consent_callback_takeover_connects_nothing() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let tenant_a = app.standin.tenant_id().to_string();
        let org_b = directory::create_organisation(&app.testdb.db, "Fabrikam")
            .await
            .unwrap();
        let mut mallory = Browser::of(&app, org_b.id, "mallory@fabrikam.example").await;
        let consent_url = mallory.start().await;
        let state = url::Url::parse(&consent_url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .to_string();

        // The exact request of the issue: it only leads on to a sign-in.
        let forged = format!(
            "/api/v1/tenants/connect/callback?admin_consent=True&tenant={tenant_a}&state={state}"
        );
        let answer = mallory.back(&forged).await;
        assert_eq!(
            answer.status(),
            303,
            "the callback must not connect on its word"
        );
        let sign_in = location(&answer);
        assert!(tenants_of(&app, org_b.id).await.is_empty());

        // At Microsoft, B's administrator cannot sign in to A ...
        app.standin
            .sign_in(Some(admin_of(TENANT_B, "mallory@fabrikam.onmicrosoft.com")));
        let refused = mallory.http.get(&sign_in).send().await.unwrap();
        assert_eq!(refused.status(), 400);
        // ... so Mallory signs in to her own tenant instead and brings that code back.
        let organizations = sign_in.replace(
            &format!("/authority/{tenant_a}/"),
            "/authority/organizations/",
        );
        let callback = mallory.at_microsoft(&organizations).await;
        let (status, text) = message(mallory.back(&callback).await).await;
        assert_eq!(status, 403, "{text}");
        // The code is redeemed at the claimed tenant, where Microsoft refuses it; were it
        // redeemed, its `tid` (B) is not the claim (A).
        assert!(
            text.contains("did not confirm") || text.contains("signed in to tenant"),
            "{text}"
        );
        assert!(tenants_of(&app, org_b.id).await.is_empty());

        // A user of A who is no administrator (a Global Reader, or a guest) proves nothing.
        app.standin.sign_in(Some(DirectoryUser::new(
            &tenant_a,
            "reader@tqhjy.onmicrosoft.com",
            &[GLOBAL_READER],
        )));
        let consent_url = mallory.start().await;
        let state = url::Url::parse(&consent_url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .to_string();
        let answer = mallory
            .back(&format!(
                "/api/v1/tenants/connect/callback?admin_consent=True&tenant={tenant_a}&state={state}"
            ))
            .await;
        let callback = mallory.at_microsoft(&location(&answer)).await;
        let (status, text) = message(mallory.back(&callback).await).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("not an administrator"), "{text}");

        assert!(tenants_of(&app, org_b.id).await.is_empty());
        let denied = audit_of(&app, org_b.id, "tenant.connect.callback").await;
        assert_eq!(denied.len(), 2, "{denied:?}");
        assert!(denied.iter().all(|r| r.outcome == "denied"), "{denied:?}");
        // A keeps its tenant, and nothing was connected elsewhere.
        assert_eq!(tenants_of(&app, app.organisation_id).await.len(), 1);
        assert!(
            audit_of(&app, app.organisation_id, "tenant.connect.elsewhere")
                .await
                .is_empty()
        );
    }
}

/// The honest flow: the tenant's Global Administrator consents and signs in, in the browser
/// that started; the tenant recorded is the ID token's `tid`. The same callback again, and the
/// consent leg again, are refused.
#[actix_web::test]
async fn an_administrators_sign_in_connects_the_token_tenant_once() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        tenant::Entity::delete_by_id(app.tenant_id)
            .exec(&app.testdb.db)
            .await
            .unwrap();
        let tenant_a = app.standin.tenant_id().to_string();
        app.standin
            .sign_in(Some(admin_of(&tenant_a, "admin@tqhjy.onmicrosoft.com")));
        let mut alice = Browser::of(&app, app.organisation_id, "alice@contoso.example").await;
        let (callback, answer) = alice.connect().await;
        assert_eq!(answer.status(), 200);
        let cleared = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with(&format!("{BINDING}=;")));
        assert!(cleared, "the binding cookie is deleted once used");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["tenant"]["microsoft_tenant_id"], tenant_a.as_str());
        let tenants = tenants_of(&app, app.organisation_id).await;
        assert_eq!(tenants.len(), 1);
        assert_eq!(tenants[0].microsoft_tenant_id, tenant_a);
        assert!(tenants[0].consented_at.is_some());
        let ok = audit_of(&app, app.organisation_id, "tenant.connect.callback").await;
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].outcome, "ok");
        let detail = ok[0].detail.clone().unwrap_or_default();
        assert!(detail.contains("Global Administrator"), "{detail}");
        assert!(detail.contains("admin@tqhjy.onmicrosoft.com"), "{detail}");

        // A replay of the final callback, in the same browser, is refused.
        let (status, text) = message(alice.back(&callback).await).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("already used"), "{text}");
        // So is the consent leg of a used request.
        let state = url::Url::parse(&callback)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .to_string();
        let again = alice
            .back(&format!(
                "/api/v1/tenants/connect/callback?admin_consent=True&tenant={tenant_a}&state={state}"
            ))
            .await;
        assert_eq!(again.status(), 403);
        assert_eq!(tenants_of(&app, app.organisation_id).await.len(), 1);
    }
}

/// A callback presented by another browser (no binding cookie, or another flow's) is refused at
/// either leg and does not use the request up: the browser that started can still finish.
#[actix_web::test]
async fn callbacks_from_another_browser_are_refused() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        tenant::Entity::delete_by_id(app.tenant_id)
            .exec(&app.testdb.db)
            .await
            .unwrap();
        let tenant_a = app.standin.tenant_id().to_string();
        app.standin
            .sign_in(Some(admin_of(&tenant_a, "admin@tqhjy.onmicrosoft.com")));
        let mut alice = Browser::of(&app, app.organisation_id, "alice@contoso.example").await;
        let mut eve = Browser::of(&app, app.organisation_id, "eve@contoso.example").await;
        eve.start().await; // Eve has a binding cookie of her own.
        let no_cookie = Browser {
            app: &app,
            http: no_redirects(),
            session: String::new(),
            binding: None,
        };

        let consent_url = alice.start().await;
        let consent_callback = alice.at_microsoft(&consent_url).await;
        for other in [&no_cookie, &eve] {
            let (status, text) = message(other.back(&consent_callback).await).await;
            assert_eq!(status, 403, "{text}");
            assert!(text.contains("another browser"), "{text}");
        }
        let back = alice.back(&consent_callback).await;
        assert_eq!(back.status(), 303);
        let code_callback = alice.at_microsoft(&location(&back)).await;
        for other in [&no_cookie, &eve] {
            let (status, text) = message(other.back(&code_callback).await).await;
            assert_eq!(status, 403, "{text}");
            assert!(text.contains("another browser"), "{text}");
        }
        assert!(tenants_of(&app, app.organisation_id).await.is_empty());
        // The refusals used nothing up.
        let answer = alice.back(&code_callback).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(tenants_of(&app, app.organisation_id).await.len(), 1);
        let denied = audit_of(&app, app.organisation_id, "tenant.connect.callback").await;
        assert_eq!(denied.iter().filter(|r| r.outcome == "ok").count(), 1);
        // Refusals name no organisation (the browser is nobody we know).
        let anonymous = audit_log::Entity::find()
            .filter(audit_log::Column::OrganisationId.is_null())
            .filter(audit_log::Column::Action.eq("tenant.connect.callback"))
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(anonymous.len(), 2, "{anonymous:?}");
    }
}

/// ID tokens signed by another key, for another application, from another issuer, with another
/// nonce or expired are refused, and so is an honest token of a user without an administrator
/// role; the same flow with an honest administrator's token then connects.
#[actix_web::test]
async fn id_tokens_that_fail_a_check_are_refused() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        tenant::Entity::delete_by_id(app.tenant_id)
            .exec(&app.testdb.db)
            .await
            .unwrap();
        let tenant_a = app.standin.tenant_id().to_string();
        let mut alice = Browser::of(&app, app.organisation_id, "alice@contoso.example").await;
        app.standin
            .sign_in(Some(admin_of(&tenant_a, "admin@tqhjy.onmicrosoft.com")));
        for (flaw, why) in [
            (IdTokenFlaw::ForeignKey, "signature does not verify"),
            (IdTokenFlaw::WrongAudience, "another application"),
            (IdTokenFlaw::WrongIssuer, "issuer"),
            (IdTokenFlaw::WrongNonce, "nonce"),
            (IdTokenFlaw::Expired, "expired"),
        ] {
            app.standin.set_id_token_flaw(Some(flaw));
            let (_, answer) = alice.connect().await;
            let (status, text) = message(answer).await;
            assert_eq!(status, 403, "{flaw:?}: {text}");
            assert!(text.contains(why), "{flaw:?}: {text}");
            assert!(tenants_of(&app, app.organisation_id).await.is_empty());
        }
        app.standin.set_id_token_flaw(None);
        app.standin.sign_in(Some(DirectoryUser::new(
            &tenant_a,
            "someone@tqhjy.onmicrosoft.com",
            &[],
        )));
        let (_, answer) = alice.connect().await;
        let (status, text) = message(answer).await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("not an administrator"), "{text}");
        assert!(tenants_of(&app, app.organisation_id).await.is_empty());

        app.standin
            .sign_in(Some(admin_of(&tenant_a, "admin@tqhjy.onmicrosoft.com")));
        let (_, answer) = alice.connect().await;
        assert_eq!(answer.status(), 200);
        assert_eq!(tenants_of(&app, app.organisation_id).await.len(), 1);
    }
}

/// A tenant connected to A, consented and proven by a real administrator of that tenant from
/// organisation B (say the customer's administrator, for its managed-service provider): B gets
/// it too, A keeps it, and A's owners get an audit row and a notice in their dashboard.
#[actix_web::test]
async fn a_proven_connection_elsewhere_is_told_to_the_first_organisation() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let tenant_a = app.standin.tenant_id().to_string();
        let org_b = directory::create_organisation(&app.testdb.db, "Northwind MSP")
            .await
            .unwrap();
        let owner_a = Browser::of(&app, app.organisation_id, "owner@contoso.example").await;
        let mut bob = Browser::of(&app, org_b.id, "bob@northwind.example").await;
        app.standin
            .sign_in(Some(admin_of(&tenant_a, "admin@tqhjy.onmicrosoft.com")));
        let (_, answer) = bob.connect().await;
        assert_eq!(answer.status(), 200);
        let in_b = tenants_of(&app, org_b.id).await;
        assert_eq!(in_b.len(), 1);
        assert_eq!(in_b[0].microsoft_tenant_id, tenant_a);
        assert_eq!(tenants_of(&app, app.organisation_id).await.len(), 1);

        let told = audit_of(&app, app.organisation_id, "tenant.connect.elsewhere").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].target_ids, json!([app.tenant_id.to_string()]));
        let by = told[0].actor_label.clone().unwrap_or_default();
        assert!(by.contains("admin@tqhjy.onmicrosoft.com"), "{by}");
        assert!(
            audit_of(&app, org_b.id, "tenant.connect.elsewhere")
                .await
                .is_empty()
        );

        // The notice in A's dashboard; none in B's.
        let notices = |browser: &Browser<'_>| {
            let request = browser
                .http
                .get(format!("{}/api/v1/tenants/notices", app.address))
                .header("Cookie", browser.session.clone());
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.json::<Value>().await.unwrap()
            }
        };
        let a = notices(&owner_a).await;
        let items = a["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{a}");
        assert_eq!(items[0]["tenant_id"], app.tenant_id);
        assert!(
            items[0]["message"].as_str().unwrap().contains(&tenant_a),
            "{a}"
        );
        let b = notices(&bob).await;
        assert_eq!(b["items"], json!([]), "{b}");
    }
}

/// `aether365 tenant connect` stays, for the operator: it writes a `tenant.connect` audit row
/// naming the operator, and tells an organisation that had the tenant already.
#[tokio::test]
async fn the_operators_tenant_connect_is_audited_as_the_operators_act() {
    for t in testkit::databases().await {
        let standin = StandIn::start(StandInConfig::bundled().unwrap()).unwrap();
        let e = standin.endpoints();
        let run = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_aether365"))
                .arg("--database-url")
                .arg(&t.url)
                .args(args)
                .args([
                    "--entra-client-id",
                    standin.client_id(),
                    "--entra-client-secret",
                    m365_standin::DEFAULT_CLIENT_SECRET,
                    "--entra-authority-url",
                    &e.authority,
                    "--graph-url",
                    &e.graph,
                    "--exchange-url",
                    &e.exchange,
                    "--compliance-url",
                    &e.compliance,
                    "--sharepoint-admin-url",
                    &e.sharepoint_admin,
                    "--power-platform-url",
                    &e.power_platform,
                    "--fabric-url",
                    e.fabric.as_deref().unwrap_or_default(),
                ])
                .env("RUST_LOG", "warn")
                .env("AETHER365_OPERATOR", "ops-alice")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let plain = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_aether365"))
                .arg("--database-url")
                .arg(&t.url)
                .args(args)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}");
        };
        plain(&["org", "create", "Acme"]);
        plain(&["org", "create", "Beta"]);
        let tid = standin.tenant_id();
        run(&[
            "tenant",
            "connect",
            "--org",
            "Acme",
            "--microsoft-tenant-id",
            tid,
        ]);
        run(&[
            "tenant",
            "connect",
            "--org",
            "Beta",
            "--microsoft-tenant-id",
            tid,
        ]);
        let acme = directory::find_organisation(&t.db, "Acme").await.unwrap();
        let beta = directory::find_organisation(&t.db, "Beta").await.unwrap();
        for org in [acme.id, beta.id] {
            let rows = audit_log::Entity::find()
                .filter(audit_log::Column::OrganisationId.eq(org))
                .filter(audit_log::Column::Action.eq("tenant.connect"))
                .all(&t.db)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].actor_kind, "cli");
            assert_eq!(rows[0].actor_label.as_deref(), Some("ops-alice"));
            assert!(rows[0].detail.as_deref().unwrap().contains(tid));
        }
        let told = audit_log::Entity::find()
            .filter(audit_log::Column::OrganisationId.eq(acme.id))
            .filter(audit_log::Column::Action.eq("tenant.connect.elsewhere"))
            .all(&t.db)
            .await
            .unwrap();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0]
                .actor_label
                .as_deref()
                .unwrap()
                .contains("ops-alice")
        );
    }
}
