//! Issue 23, "Sign in with Microsoft": the dashboard's OpenID Connect sign-in through the
//! operator's Entra application, against the stand-in's authority, on every test database. A
//! known person signs in (first by verified email at a connected tenant that owns the address,
//! then by the linked identity); spoiled ID tokens (nonce, audience, signature, expiry, issuer),
//! unknown people, a missing or forged `state`, another browser and a replayed callback are
//! refused, and nothing is created for them. Password sign-in stays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Options, TestApp, databases, spawn_app_with};
use aether365_actors::directory;
use aether365_entities::{audit_log, dashboard_session, entra_identity, organisation, user};
use m365_standin::{DirectoryUser, IdTokenFlaw};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const ANN: &str = "ann@contoso.example";
/// A Microsoft tenant no organisation has connected.
const OTHER_TENANT: &str = "bbbbbbbb-2222-4222-8222-222222222222";
const BINDING: &str = "aether365_msignin";

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

fn cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Ann, a person of the test organisation (Contoso) whose tenant is connected, as the
/// stand-in's directory knows her.
fn ann_at_microsoft(app: &TestApp) -> DirectoryUser {
    DirectoryUser::new(app.standin.tenant_id(), ANN, &[]).with_email(ANN)
}

/// One browser: its binding cookie once a sign-in started.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    binding: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            http: no_redirects(),
            binding: None,
        }
    }

    /// "Sign in with Microsoft": the authorization URL at the authority; keeps the cookie.
    async fn start(&mut self) -> String {
        self.start_at("/login/microsoft").await
    }

    /// "Sign in with Microsoft" from `path` (`/login/microsoft?next=…`).
    async fn start_at(&mut self, path: &str) -> String {
        let response = self
            .http
            .get(format!("{}{path}", self.app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let cookie = cookies(&response)
            .into_iter()
            .find(|c| c.starts_with(&format!("{BINDING}=")))
            .expect("a binding cookie");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        self.binding = Some(cookie.split(';').next().unwrap().to_string());
        location(&response)
    }

    /// At Microsoft (the stand-in): where it sends the browser back.
    async fn at_microsoft(&self, url: &str) -> String {
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302, "{url}: {}", response.status());
        location(&response)
    }

    /// A GET of `url` (absolute, or a path here) with this browser's binding cookie.
    async fn back(&self, url: &str) -> reqwest::Response {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.app.address)
        } else {
            url.to_string()
        };
        let mut req = self.http.get(url);
        if let Some(b) = &self.binding {
            req = req.header("Cookie", b);
        }
        req.send().await.unwrap()
    }

    /// The whole flow for whoever is signed in at the stand-in: the callback URL and our answer.
    async fn sign_in(&mut self) -> (String, reqwest::Response) {
        let authorize = self.start().await;
        let callback = self.at_microsoft(&authorize).await;
        assert!(callback.contains("code="), "{callback}");
        let answer = self.back(&callback).await;
        (callback, answer)
    }
}

/// The session cookie an answer sets, if any (a live one, not a deletion).
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    cookies(response)
        .into_iter()
        .find(|c| c.starts_with("aether365_session=") && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().to_string())
}

async fn me(app: &TestApp, session: &str) -> Value {
    let response = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .header("Cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn sessions(app: &TestApp) -> u64 {
    dashboard_session::Entity::find()
        .count(&app.testdb.db)
        .await
        .unwrap()
}

async fn links(app: &TestApp) -> Vec<entra_identity::Model> {
    entra_identity::Entity::find()
        .all(&app.testdb.db)
        .await
        .unwrap()
}

/// A refusal: the status, the page's text, and no session.
async fn refused(response: reqwest::Response) -> (u16, String) {
    assert!(
        session_cookie(&response).is_none(),
        "a refusal must open no session"
    );
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(text.contains("id=\"refusal\""), "{text}");
    (status, text)
}

#[actix_web::test]
async fn a_known_person_signs_in_with_microsoft() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let ann =
            directory::create_user(&app.testdb.db, app.organisation_id, ANN, PASSWORD, "viewer")
                .await
                .unwrap();
        let login_page = app
            .client
            .get(format!("{}/login", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            login_page.contains("href=\"/login/microsoft\""),
            "{login_page}"
        );
        assert!(
            login_page.contains("id=\"login-form\""),
            "password sign-in stays"
        );

        app.standin.sign_in(Some(ann_at_microsoft(&app)));
        let mut browser = Browser::new(&app);
        let authorize = browser.start().await;
        let parsed = url::Url::parse(&authorize).unwrap();
        assert_eq!(
            parsed.path(),
            "/authority/organizations/oauth2/v2.0/authorize"
        );
        let q = query_of(&authorize);
        assert_eq!(q["scope"], "openid profile email");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["client_id"], app.standin.client_id());
        assert_eq!(
            q["redirect_uri"],
            format!("{}/login/microsoft/callback", app.address)
        );
        assert_eq!(q["state"].len(), 43);
        assert_eq!(q["nonce"].len(), 43);
        assert_ne!(q["state"], q["nonce"]);

        let callback = browser.at_microsoft(&authorize).await;
        let answer = browser.back(&callback).await;
        assert_eq!(answer.status(), 200);
        let session = session_cookie(&answer).expect("a session cookie");
        assert!(
            cookies(&answer)
                .iter()
                .any(|c| c.starts_with(&format!("{BINDING}=;")) && c.contains("Max-Age=0")),
            "the binding cookie is deleted"
        );
        let page = answer.text().await.unwrap();
        assert!(page.contains("http-equiv=\"refresh\""), "{page}");
        let body = me(&app, &session).await;
        assert_eq!(body["user"]["email"], ANN, "{body}");
        assert_eq!(body["user"]["id"], ann.id);

        // The identity is linked to Ann and the sign-in audited in her organisation.
        let linked = links(&app).await;
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0].user_id, ann.id);
        assert_eq!(linked[0].microsoft_tenant_id, app.standin.tenant_id());
        assert_eq!(linked[0].object_id, ann_at_microsoft(&app).object_id);
        let logins = audit_log::Entity::find()
            .filter(audit_log::Column::OrganisationId.eq(app.organisation_id))
            .filter(audit_log::Column::Action.eq("dashboard.login"))
            .all(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(logins.len(), 1);
        assert!(
            logins[0]
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("linked"),
            "{:?}",
            logins[0].detail
        );

        // Once linked, the identity signs in even when Microsoft no longer gives the address.
        let mut renamed = ann_at_microsoft(&app);
        renamed.email = None;
        renamed.username = "ann.renamed@contoso.example".into();
        app.standin.sign_in(Some(renamed));
        let (_, answer) = Browser::new(&app).sign_in().await;
        assert_eq!(answer.status(), 200);
        let session = session_cookie(&answer).expect("a session cookie");
        assert_eq!(me(&app, &session).await["user"]["email"], ANN);
        assert_eq!(links(&app).await.len(), 1);

        // Password sign-in stays.
        let response = app
            .client
            .post(format!("{}/api/v1/session", app.address))
            .json(&json!({"email": ANN, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

#[actix_web::test]
async fn spoiled_id_tokens_are_refused() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        directory::create_user(&app.testdb.db, app.organisation_id, ANN, PASSWORD, "owner")
            .await
            .unwrap();
        app.standin.sign_in(Some(ann_at_microsoft(&app)));
        let before = sessions(&app).await;
        for (flaw, why) in [
            (IdTokenFlaw::WrongNonce, "nonce"),
            (IdTokenFlaw::WrongAudience, "issued to another application"),
            (IdTokenFlaw::ForeignKey, "signature does not verify"),
            (IdTokenFlaw::Expired, "it has expired"),
            (IdTokenFlaw::WrongIssuer, "its issuer is"),
        ] {
            app.standin.set_id_token_flaw(Some(flaw));
            let (_, answer) = Browser::new(&app).sign_in().await;
            let (status, text) = refused(answer).await;
            assert_eq!(status, 403, "{flaw:?}: {text}");
            assert!(text.contains(why), "{flaw:?}: {text}");
        }
        assert_eq!(sessions(&app).await, before);
        assert!(links(&app).await.is_empty(), "no identity is linked");
        let refusals = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("dashboard.login_microsoft_refused"))
            .count(&app.testdb.db)
            .await
            .unwrap();
        assert_eq!(refusals, 5);

        // The same person with an honest token signs in.
        app.standin.set_id_token_flaw(None);
        let (_, answer) = Browser::new(&app).sign_in().await;
        assert_eq!(answer.status(), 200);
    }
}

#[actix_web::test]
async fn unknown_people_are_refused_and_nothing_is_created() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let db = &app.testdb.db;
        // Bob is a person of Contoso, but his address is in a domain Contoso's tenant does
        // not own; Carol is a person of Fabrikam, which has not connected Contoso's tenant.
        directory::create_user(
            db,
            app.organisation_id,
            "bob@fabrikam.example",
            PASSWORD,
            "owner",
        )
        .await
        .unwrap();
        let fabrikam = directory::create_organisation(db, "Fabrikam")
            .await
            .unwrap();
        directory::create_user(db, fabrikam.id, "carol@contoso.example", PASSWORD, "owner")
            .await
            .unwrap();
        directory::create_user(db, app.organisation_id, ANN, PASSWORD, "owner")
            .await
            .unwrap();
        let organisations = organisation::Entity::find().count(db).await.unwrap();
        let people = user::Entity::find().count(db).await.unwrap();
        let tenant = app.standin.tenant_id().to_string();
        for (who, at_microsoft) in [
            (
                "a stranger of the connected tenant",
                DirectoryUser::new(&tenant, "zed@contoso.example", &[])
                    .with_email("zed@contoso.example"),
            ),
            (
                "an address the tenant does not own",
                DirectoryUser::new(&tenant, "bob@contoso.example", &[])
                    .with_email("bob@fabrikam.example"),
            ),
            (
                "a tenant the person's organisation has not connected",
                DirectoryUser::new(&tenant, "carol@contoso.example", &[])
                    .with_email("carol@contoso.example"),
            ),
            (
                "Ann's address from a tenant nobody connected",
                DirectoryUser::new(OTHER_TENANT, ANN, &[]).with_email(ANN),
            ),
        ] {
            app.standin.sign_in(Some(at_microsoft));
            let (_, answer) = Browser::new(&app).sign_in().await;
            let (status, text) = refused(answer).await;
            assert_eq!(status, 403, "{who}: {text}");
            assert!(
                text.contains("is not among the people of any aether365 organisation"),
                "{who}: {text}"
            );
        }
        assert_eq!(
            organisation::Entity::find().count(db).await.unwrap(),
            organisations
        );
        assert_eq!(user::Entity::find().count(db).await.unwrap(), people);
        assert!(links(&app).await.is_empty());
        assert_eq!(
            dashboard_session::Entity::find().count(db).await.unwrap(),
            0
        );
    }
}

#[actix_web::test]
async fn the_state_must_be_this_browsers_and_is_used_once() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        directory::create_user(&app.testdb.db, app.organisation_id, ANN, PASSWORD, "owner")
            .await
            .unwrap();
        app.standin.sign_in(Some(ann_at_microsoft(&app)));
        let mut browser = Browser::new(&app);
        let authorize = browser.start().await;
        let callback = browser.at_microsoft(&authorize).await;
        let code = query_of(&callback)["code"].clone();

        // Without a state, or with a forged one: refused (CSRF).
        let path = "/login/microsoft/callback";
        let (status, _) = refused(browser.back(&format!("{path}?code={code}")).await).await;
        assert_eq!(status, 403);
        let forged = "A".repeat(43);
        let (status, _) = refused(
            browser
                .back(&format!("{path}?code={code}&state={forged}"))
                .await,
        )
        .await;
        assert_eq!(status, 403);

        // Another browser (no binding cookie, or another one) cannot finish this sign-in ...
        let mut other = Browser::new(&app);
        let (status, text) = refused(other.back(&callback).await).await;
        assert_eq!(status, 403);
        assert!(text.contains("another browser"), "{text}");
        other.start().await;
        let (status, _) = refused(other.back(&callback).await).await;
        assert_eq!(status, 403);
        assert_eq!(sessions(&app).await, 0);

        // ... nor spend it: the browser that started it still can.
        let answer = browser.back(&callback).await;
        assert_eq!(answer.status(), 200);
        assert!(session_cookie(&answer).is_some());
        assert_eq!(sessions(&app).await, 1);

        // A replayed callback is refused and opens nothing.
        let (status, text) = refused(browser.back(&callback).await).await;
        assert_eq!(status, 403);
        assert!(text.contains("already used"), "{text}");
        assert_eq!(sessions(&app).await, 1);
    }
}

#[actix_web::test]
async fn a_refusal_page_escapes_what_microsoft_sent() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let mut browser = Browser::new(&app);
        let authorize = browser.start().await;
        let state = query_of(&authorize)["state"].clone();
        let answer = browser
            .back(&format!(
                "/login/microsoft/callback?state={state}&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
            ))
            .await;
        let (status, text) = refused(answer).await;
        assert_eq!(status, 403);
        assert!(!text.contains("<script>"), "{text}");
        assert!(text.contains("&lt;script&gt;"), "{text}");
    }
}

/// The `url=` of a page's `<meta http-equiv="refresh">`, HTML-unescaped.
fn refresh_target(page: &str) -> String {
    let start = page.find(";url=").expect("a refresh") + 5;
    let end = start + page[start..].find('"').unwrap();
    unescape(&page[start..end])
}

fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `href` of the login page's "Sign in with Microsoft" button, HTML-unescaped.
async fn microsoft_button(app: &TestApp, login_path: &str) -> String {
    let page = app
        .client
        .get(format!("{}{login_path}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"microsoft-sign-in\"").expect("the button");
    let href = page[start..].find("href=\"").unwrap() + start + 6;
    let end = href + page[href..].find('"').unwrap();
    unescape(&page[href..end])
}

#[actix_web::test]
async fn sign_in_with_microsoft_comes_back_to_the_consent_page() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        directory::create_user(&app.testdb.db, app.organisation_id, ANN, PASSWORD, "owner")
            .await
            .unwrap();
        app.standin.sign_in(Some(ann_at_microsoft(&app)));
        // An assistant sends the signed-out browser to authorize: it is sent to sign in.
        let client_id = crate::oauth::register(&app, "Claude").await;
        let (_, challenge) = crate::oauth::pkce();
        let q = crate::oauth::authorize_query(&app, &client_id, &challenge);
        let r = crate::oauth::get_authorize(&app, None, &q).await;
        assert_eq!(r.status(), 302);
        let login = location(&r);
        let next = query_of(&format!("{}{login}", app.address))["next"].clone();
        assert!(next.starts_with("/oauth/authorize?"), "{next}");

        // The sign-in page's Microsoft button carries `next` through the round trip.
        let button = microsoft_button(&app, &login).await;
        assert_eq!(
            query_of(&format!("{}{button}", app.address))["next"],
            next,
            "{button}"
        );
        let mut browser = Browser::new(&app);
        let authorize = browser.start_at(&button).await;
        let callback = browser.at_microsoft(&authorize).await;
        let answer = browser.back(&callback).await;
        assert_eq!(answer.status(), 200);
        let session = session_cookie(&answer).expect("a session cookie");
        let page = answer.text().await.unwrap();
        assert_eq!(refresh_target(&page), next, "{page}");

        // Back at the authorization, signed in: the consent page.
        let consent = no_redirects()
            .get(format!("{}{next}", app.address))
            .header("Cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), 200);
        assert!(
            consent
                .text()
                .await
                .unwrap()
                .contains("name=\"decision\" value=\"allow\"")
        );

        // Without `next`, the overview.
        let (_, answer) = Browser::new(&app).sign_in().await;
        assert_eq!(refresh_target(&answer.text().await.unwrap()), "/overview");
    }
}

#[actix_web::test]
async fn next_never_leaves_the_site() {
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        directory::create_user(&app.testdb.db, app.organisation_id, ANN, PASSWORD, "owner")
            .await
            .unwrap();
        app.standin.sign_in(Some(ann_at_microsoft(&app)));
        for evil in [
            "//evil.example",
            "//evil.example/oauth/authorize?x=1",
            "https://evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
        ] {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", evil)
                .finish();
            // Not carried by the sign-in page's button ...
            let button = microsoft_button(&app, &format!("/login?{encoded}")).await;
            assert_eq!(button, "/login/microsoft", "{evil:?}");
            // ... nor by the flow when sent to it directly: the overview, not the other site.
            let mut browser = Browser::new(&app);
            let authorize = browser
                .start_at(&format!("/login/microsoft?{encoded}"))
                .await;
            let callback = browser.at_microsoft(&authorize).await;
            let answer = browser.back(&callback).await;
            assert_eq!(answer.status(), 200, "{evil:?}");
            assert!(session_cookie(&answer).is_some());
            let page = answer.text().await.unwrap();
            assert_eq!(refresh_target(&page), "/overview", "{evil:?}: {page}");
            assert!(!page.contains("evil.example"), "{evil:?}: {page}");
        }

        // A `next` swapped in the binding cookie is another browser's cookie: refused.
        let mut browser = Browser::new(&app);
        let authorize = browser.start_at("/login/microsoft?next=%2Foverview").await;
        let callback = browser.at_microsoft(&authorize).await;
        let honest = browser.binding.clone().unwrap();
        let (name_secret, _) = honest.rsplit_once('.').expect("next in the cookie");
        use base64::Engine;
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("/settings/mcp");
        browser.binding = Some(format!("{name_secret}.{forged}"));
        let (status, text) = refused(browser.back(&callback).await).await;
        assert_eq!(status, 403);
        assert!(text.contains("another browser"), "{text}");
        // The honest cookie still finishes it.
        browser.binding = Some(honest);
        let answer = browser.back(&callback).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(refresh_target(&answer.text().await.unwrap()), "/overview");
    }
}

#[actix_web::test]
async fn starts_of_sign_in_with_microsoft_are_limited_per_address() {
    use aether365_actors::audit::{self, ActorKind, AuditEvent};
    for testdb in databases().await {
        let app = spawn_app_with(testdb, options()).await;
        let db = &app.testdb.db;
        // Another address used up its starts: this one is not held back by it.
        for _ in 0..aether365::dashboard::microsoft::STARTS_PER_ADDRESS {
            audit::write_one(
                db,
                AuditEvent::new(
                    ActorKind::Anonymous,
                    aether365::dashboard::microsoft::STARTED,
                )
                .client_addr(Some("192.0.2.7".into())),
            )
            .await
            .unwrap();
        }
        for _ in 0..aether365::dashboard::microsoft::STARTS_PER_ADDRESS {
            Browser::new(&app).start().await;
        }
        let flows = aether365_entities::microsoft_sign_in::Entity::find()
            .count(db)
            .await
            .unwrap();
        assert_eq!(flows, aether365::dashboard::microsoft::STARTS_PER_ADDRESS);

        let response = no_redirects()
            .get(format!("{}/login/microsoft", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        assert!(
            cookies(&response).iter().all(|c| !c.starts_with(BINDING)),
            "no flow is started"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("Too many sign-ins with Microsoft"), "{text}");
        assert_eq!(
            aether365_entities::microsoft_sign_in::Entity::find()
                .count(db)
                .await
                .unwrap(),
            flows
        );
        // Password sign-in keeps its own limit (failures), untouched by this one.
        let r = app
            .client
            .post(format!("{}/api/v1/session", app.address))
            .json(&json!({"email": ANN, "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}
